//! Helpers the integration tests share.
#![allow(dead_code)] // each test target uses its own subset

use std::path::{Path, PathBuf};

use ambient_lint::load::node::{Node, NodeKind as V};
use serde_json::Value;

/// A fresh directory for one test, under cargo's per-target temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary from `dir` (where it finds that folder's `.ambient-lint.yaml`).
pub fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// Runs the binary from `dir` with `input` on its standard input.
pub fn run_in_with_stdin(dir: &Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A copy of the bookstore of one's own, for tests that edit it (tests run in parallel).
pub fn bookstore(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookstore"),
        &dir,
    );
    dir
}

/// The JSON a run printed (`--format json`); a panic shows what it printed instead.
pub fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The first finding of rule `code` in a run's JSON.
pub fn first_finding<'v>(v: &'v Value, code: &str) -> &'v Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {v}"))
}

/// The codes of a run's JSON findings, in order.
pub fn finding_codes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

/// Copies a folder's files (recursively) below `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

/// Writes `text` to `dir/rel`, creating folders on the way.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A loaded YAML tree as JSON, reading scalars as Kubernetes does (quoted ones stay strings).
pub fn to_json(n: Node<'_>) -> Value {
    match n.kind() {
        V::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        V::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.as_str().unwrap_or("").to_string(), to_json(e.value)))
                .collect(),
        ),
        V::Scalar(s) if s.is_null() => Value::Null,
        V::Scalar(s) => match (s.plain, s.as_int(), s.as_bool()) {
            (true, Some(i), _) => Value::from(i),
            (true, _, Some(b)) => Value::Bool(b),
            _ => Value::String(s.text.to_string()),
        },
    }
}

/// The first document of a YAML text as JSON (an empty object when there is none).
pub fn yaml_to_json(text: &str) -> Value {
    let stream = ambient_lint::load::yaml::parse_stream(text);
    let first = stream
        .documents
        .first()
        .and_then(|d| d.result.clone().ok().flatten());
    first
        .map(|id| to_json(stream.tree.node(id)))
        .unwrap_or(Value::Object(Default::default()))
}

/// The bodies of a Markdown document's fenced blocks whose info string is `yaml <kind>`, each
/// ending with a newline.
pub fn fenced_blocks(doc: &str, kind: &str) -> Vec<String> {
    let fence = format!("```yaml {kind}");
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == fence {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            out.push(body.join("\n") + "\n");
        }
    }
    out
}

/// Multi-file examples: fenced blocks whose info string is `yaml <kind> tree`, each split into
/// files at `# file: <path>` lines, as (path, text) pairs.
pub fn fenced_trees(doc: &str, kind: &str) -> Vec<Vec<(String, String)>> {
    let fence = format!("```yaml {kind} tree");
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == fence {
            let mut files: Vec<(String, String)> = Vec::new();
            for l in lines.by_ref().take_while(|l| !l.starts_with("```")) {
                match l.strip_prefix("# file: ") {
                    Some(path) => files.push((path.trim().to_string(), String::new())),
                    None => {
                        if let Some((_, text)) = files.last_mut() {
                            text.push_str(l);
                            text.push('\n');
                        }
                    }
                }
            }
            out.push(files);
        }
    }
    out
}

/// Lints a tree of files written to a scratch folder, as `ambient-lint <folder>` does.
pub fn lint_tree(name: &str, files: &[(String, String)]) -> Vec<ambient_lint::finding::Finding> {
    let dir = scratch(name);
    for (path, text) in files {
        write(&dir, path, text);
    }
    let mut options = ambient_lint::LintOptions::default();
    // A tree's config file declares flows as the CLI would read them.
    if let Some((path, text)) = files.iter().find(|(p, _)| p == ".ambient-lint.yaml") {
        let config = ambient_lint::config::parse(&dir.join(path), text).expect("the config parses");
        options.load.config = Some(ambient_lint::load::ConfigInput {
            path: path.clone(),
            text: text.clone(),
            flows: config.flows,
        });
    }
    options.load.paths = vec![dir];
    ambient_lint::lint(&options).expect("the tree loads").1
}

/// The options a rule's example or fixture is linted with: the defaults, and
/// `--assume-complete` when a line of it says `# lint with: --assume-complete` (the input is then
/// the whole cluster, as some rules need).
pub fn options_for(text: &str) -> ambient_lint::LintOptions {
    let mut options = ambient_lint::LintOptions::default();
    options.model.assume_complete = text
        .lines()
        .any(|l| l.trim() == "# lint with: --assume-complete");
    options
}

/// The text of every file below a folder of the repository, in path order.
pub fn files_below(rel: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

/// House style, as clippy checks its lints: a message says what is wrong, starts lowercase and
/// has no final period; every finding says how to fix it.
pub fn assert_house_style(f: &ambient_lint::finding::Finding, context: &str) {
    assert!(
        !f.message.starts_with(char::is_uppercase) && !f.message.ends_with('.'),
        "{context}: {} message breaks the house style: {}",
        f.code,
        f.message
    );
    assert!(
        !f.help.is_empty(),
        "{context}: {} says what is wrong but not how to fix it: {}",
        f.code,
        f.message
    );
    assert!(
        !f.help.ends_with('.'),
        "{context}: {} help ends with a period",
        f.code
    );
}

/// AuthorizationPolicy `shop/p`, one rule allowing `principals` as written.
pub fn principal_policy(principals: &[&str]) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  rules: [{{from: [{{source: {{principals: {}}}}}]}}]\n",
        serde_json::to_string(principals).unwrap()
    )
}

/// The first finding of a `--format json` report with a fix that may be applied and that
/// edits only the finding's own file.
pub fn fixable_finding(report: &Value) -> &Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            let fix = &f["fix"];
            fix.is_object()
                && fix["applicability"] != "display-only"
                && fix["edits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|e| e["file"] == f["file"])
        })
        .expect("the report has a fixable finding")
}
