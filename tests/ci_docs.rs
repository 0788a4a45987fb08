//! The CI recipes of docs/ci.md run as written: every `ambient-lint` command in their snippets
//! is executed on the bookstore example, and what it promises (a report file, an exit status) is
//! checked.

use std::path::Path;
use std::process::Command;

mod common;

fn blocks(kind: &str) -> Vec<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    common::fenced_blocks(&doc, kind)
}

/// The `ambient-lint` commands of a snippet (`run:` steps or `script:` items).
fn commands(snippet: &str) -> Vec<String> {
    snippet
        .lines()
        .filter_map(|l| {
            let l = l
                .trim()
                .trim_start_matches("- ")
                .trim_start_matches("run: ");
            l.starts_with("ambient-lint ").then(|| l.to_string())
        })
        .collect()
}

/// Runs a command with the built binary first on PATH, in a copy of the bookstore example.
fn run(name: &str, command: &str) -> (std::process::Output, std::path::PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ci_docs")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookstore");
    copy_dir(&src, &dir.join("bookstore"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&dir)
        .env("PATH", path)
        .output()
        .unwrap();
    (out, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn github_recipes_run_and_produce_what_the_upload_step_reads() {
    let snippets = blocks("github");
    assert_eq!(snippets.len(), 2);
    let sarif_job = &snippets[0];
    let cmds = commands(sarif_job);
    assert_eq!(
        cmds,
        vec!["ambient-lint . --format sarif --output ambient-lint.sarif"]
    );
    let (out, dir) = run("github_sarif", &cmds[0]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the bookstore has findings: the step fails"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ambient-lint.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(
        sarif_job.contains("sarif_file: ambient-lint.sarif"),
        "the upload reads the file written"
    );
    assert!(
        sarif_job.contains("if: always()"),
        "the upload runs when the lint step fails"
    );

    let cmds = commands(&snippets[1]);
    let (out, _) = run("github_annotations", &cmds[0]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("::"));
}

#[test]
fn gitlab_recipe_runs_and_writes_the_code_quality_artifact() {
    let snippet = &blocks("gitlab")[0];
    let cmds = commands(snippet);
    assert_eq!(cmds.len(), 1);
    let (out, dir) = run("gitlab", &cmds[0]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    assert!(!report.as_array().unwrap().is_empty());
    assert!(snippet.contains("codequality: gl-code-quality-report.json"));
    assert!(snippet.contains("when: always"));
}

#[test]
fn the_pre_commit_recipe_names_the_hook_this_repository_declares() {
    let snippet = &blocks("pre-commit")[0];
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let id = snippet
        .lines()
        .find_map(|l| l.trim().strip_prefix("- id: "))
        .unwrap();
    assert!(
        hooks.contains(&format!("- id: {id}")),
        "{id} is not in .pre-commit-hooks.yaml"
    );
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let entry = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .unwrap();
    assert!(
        doc.contains(&format!("`{entry} <changed files>`")),
        "docs/ci.md describes the hook's real entry"
    );
    // What pre-commit runs for a commit that changes one file.
    let (out, _) = run(
        "pre_commit",
        &format!("{entry} bookstore/infra/kgateway/routes/inven-route.yaml"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("bookstore/infra/kgateway/routes/inven-route.yaml:14:11: error[AL403]"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("bookstore/infra/kgateway/routes/inven-route.yaml:")),
        "only the changed file is reported: {stdout}"
    );
}

#[test]
fn the_rendered_manifests_recipe_reads_standard_input() {
    let (out, _) = run(
        "stdin",
        "cat bookstore/infra/istio/security/authz-policies/*.yaml bookstore/infra/namespaces/*.yaml | ambient-lint - --format sarif --output ambient-lint.sarif; echo $?",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}
