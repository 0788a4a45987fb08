//! `ambient-lint server` through a real editor's LSP client: Neovim, headless, runs
//! `tests/editors/neovim.lua` on a copy of the bookstore. The script opens a file, waits for the
//! diagnostics, applies a fix from the code actions, asks for a definition and a hover, then
//! stops the server; this test compares what the editor saw with `check --format json`.
//!
//! CI installs Neovim (`.ci/run`); where it is missing outside CI the test says so and passes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bookstore, fixable_finding, run_in};
use serde_json::{Value, json};

fn neovim() -> Option<&'static str> {
    let found = Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found && std::env::var_os("CI").is_some() {
        panic!("nvim is not on PATH: .ci/run installs it (apt-get install neovim)");
    }
    found.then_some("nvim")
}

/// Runs the script with `plan`; what the editor saw, or a panic with what Neovim printed.
fn drive(nvim: &str, dir: &Path, plan: Value) -> Value {
    let plan_file = dir.join("..").join("neovim-plan.json");
    std::fs::write(&plan_file, plan.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/editors/neovim.lua");
    let mut child = Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(dir)
        .env("AMBIENT_LINT_PLAN", &plan_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A script stuck on a wait times out inside Neovim; this is for Neovim itself hanging.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(180) {
            child.kill().unwrap();
            panic!("Neovim did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let out = plan["out"].as_str().unwrap();
    let seen = std::fs::read_to_string(out).unwrap_or_else(|e| {
        panic!(
            "{out}: {e}; Neovim exited with {}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let seen: Value = serde_json::from_str(&seen).unwrap();
    assert!(
        output.status.success() && seen.get("error").is_none(),
        "Neovim exited with {}: {seen:#}",
        output.status
    );
    seen
}

#[test]
fn neovim_shows_diagnostics_applies_a_fix_and_follows_references() {
    let Some(nvim) = neovim() else {
        eprintln!("nvim is not on PATH: the Neovim test did not run");
        return;
    };
    let dir = bookstore("editors_neovim").canonicalize().unwrap();
    let report = common::json(&run_in(&dir, &["check", ".", "--format", "json"]));
    let finding = fixable_finding(&report);
    let rel = finding["file"].as_str().unwrap();
    let file = dir.join(rel);
    let line = finding["line"].as_u64().unwrap() - 1;
    let character = finding["column"].as_u64().unwrap() - 1;
    let route = dir.join("infra/kgateway/routes/ecom-route.yaml");
    let policy = dir.join("infra/istio/security/authz-policies/ecom-service-policy.yaml");
    let out = dir.join("..").join("neovim-seen.json");
    let _ = std::fs::remove_file(&out);
    let plan = json!({
        "bin": env!("CARGO_BIN_EXE_ambient-lint"),
        "root": dir,
        "file": file,
        "out": out,
        "finding": {
            "line": line, "character": character, "code": finding["code"],
            "fix_title": finding["fix"]["title"],
        },
        // `- name: ecom-service` under backendRefs (line 25), and the policy's matchLabels.
        "definition": {"file": route, "line": 24, "character": 18},
        "hover": {"file": policy, "line": 8, "character": 10},
    });
    let seen = drive(nvim, &dir, plan);

    // The buffer shows what `check` reports for its file, at the same lines and columns (the
    // bookstore is ASCII, so UTF-16 columns are byte columns).
    let mut expected: Vec<Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == rel)
        .map(|f| {
            json!([
                f["line"].as_u64().unwrap() - 1,
                f["column"].as_u64().unwrap() - 1,
                f["code"]
            ])
        })
        .collect();
    expected.sort_by_key(|v| v.to_string());
    let mut shown = seen["diagnostics"].as_array().unwrap().clone();
    shown.sort_by_key(|v| v.to_string());
    assert_eq!(shown, expected, "{seen:#}");
    assert_eq!(seen["encoding"], "utf-16");

    // The fix changed the buffer (not the disk), and the finding left the editor.
    let on_disk = std::fs::read_to_string(&file).unwrap();
    let fixed = seen["fixed_text"].as_str().unwrap();
    assert_ne!(fixed, on_disk);
    let after = seen["diagnostics_after"].as_array().unwrap();
    assert!(
        !after
            .iter()
            .any(|d| d[0] == json!(line) && d[2] == finding["code"]),
        "{seen:#}"
    );
    // What the fix wrote is what `--fix` writes (with `--unsafe-fixes` when it is unsafe).
    let cli = bookstore("editors_neovim_cli");
    let mut args = vec!["check", ".", "--fix", "--fail-on", "never"];
    if finding["fix"]["applicability"] == "unsafe" {
        args.push("--unsafe-fixes");
    }
    run_in(&cli, &args);
    let by_cli = std::fs::read_to_string(cli.join(rel)).unwrap();
    assert!(
        by_cli.contains(fixed.lines().nth(line as usize).unwrap().trim()),
        "the editor's line {line} is not in the file --fix wrote:\n{fixed}\n---\n{by_cli}"
    );

    assert_eq!(
        seen["definition"],
        json!({"file": dir.join("ecom-service/k8s/ecom-service.yaml"), "line": line_of_service(&dir)}),
        "{seen:#}"
    );
    let hover = seen["hover"].as_str().unwrap_or_default();
    assert!(hover.contains("Deployment `ecom/ecom-service`"), "{seen:#}");
    assert_eq!(seen["exit"], json!({"code": 0, "signal": 0}), "{seen:#}");
}

/// The line (0-based) of the `name:` of Service `ecom-service` in its manifest.
fn line_of_service(dir: &Path) -> usize {
    let text = std::fs::read_to_string(dir.join("ecom-service/k8s/ecom-service.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let kind = lines
        .iter()
        .position(|l| *l == "kind: Service")
        .expect("a Service in ecom-service.yaml");
    kind + lines[kind..]
        .iter()
        .position(|l| l.trim() == "name: ecom-service")
        .unwrap()
}
