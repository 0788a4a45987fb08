//! `--write-baseline` and `--baseline` on the shipped bookstore, as a team adopting the linter
//! would use them: record, pass, survive lines added above and a file moved, catch a new fault
//! alone, and say which recorded findings are gone.

mod common;

use std::path::{Path, PathBuf};

use common::{bookstore, json, write};
use serde_json::Value;

use common::run_in as run;

#[test]
fn a_baseline_lets_recorded_findings_pass_and_catches_only_new_ones() {
    let dir = bookstore("baseline_round_trip");
    let before = run(&dir, &["check", ".", "--format", "json"]);
    assert_eq!(before.status.code(), Some(1));
    let count = json(&before)["findings"].as_array().unwrap().len();
    assert!(count > 10, "the bookstore has its guide's faults");

    // Record: nothing printed on standard output, exit 0, one entry a finding.
    let wrote = run(&dir, &["check", ".", "--write-baseline", "baseline.json"]);
    assert_eq!(wrote.status.code(), Some(0), "{wrote:?}");
    assert!(wrote.stdout.is_empty());
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(recorded["version"], 1);
    assert_eq!(recorded["findings"].as_array().unwrap().len(), count);

    // Lint with it: clean, every finding let pass, none gone.
    let with = run(
        &dir,
        &[
            "check",
            ".",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&with.stdout)
    );
    let v = json(&with);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["baseline"]["matched"], count);
    assert_eq!(v["summary"]["baseline"]["gone"], serde_json::json!([]));
    assert_eq!(v["summary"]["suppressed"], count);

    // Lines added above every finding, and a file moved to another folder: still clean.
    let inventory = dir.join("inventory-service/k8s/inventory-service.yaml");
    let text = std::fs::read_to_string(&inventory).unwrap();
    std::fs::write(
        &inventory,
        format!("# owned by the inventory team\n# see the runbook\n{text}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("moved")).unwrap();
    std::fs::rename(
        dir.join("ui-service/k8s/ui-service.yaml"),
        dir.join("moved/ui-service.yaml"),
    )
    .unwrap();
    let moved = run(
        &dir,
        &[
            "check",
            ".",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        moved.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&moved.stdout)
    );
    assert_eq!(json(&moved)["summary"]["baseline"]["matched"], count);

    // A new fault: exit 1, and it is the only finding shown.
    write(
        &dir,
        "infra/istio/security/authz-policies/new-policy.yaml",
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ui-from-gateway, namespace: ui}
spec:
  selector: {matchLabels: {app: ui-service}}
  action: ALLOW
  rules:
    - from:
        - source: {principals: [\"spiffe://cluster.local/ns/kgateway-system/sa/kgateway\"]}
",
    );
    let new = run(
        &dir,
        &[
            "check",
            ".",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(new.status.code(), Some(1));
    let v = json(&new);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"AL208"), "{codes:?}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["file"].as_str().unwrap().ends_with("new-policy.yaml")),
        "{v:#}"
    );

    // Faults gone (the route that exposed an internal path removed): listed, still exit 0.
    std::fs::remove_file(dir.join("infra/istio/security/authz-policies/new-policy.yaml")).unwrap();
    std::fs::remove_file(dir.join("infra/kgateway/routes/inven-route.yaml")).unwrap();
    let fixed = run(&dir, &["check", ".", "--baseline", "baseline.json"]);
    assert_eq!(fixed.status.code(), Some(0));
    let out = String::from_utf8_lossy(&fixed.stdout);
    assert!(out.contains("no longer occur"), "{out}");
    assert!(out.contains("--write-baseline baseline.json"), "{out}");
    assert!(out.contains("2 recorded findings no longer occur"), "{out}");
    assert!(
        out.contains("gone: infra/kgateway/routes/inven-route.yaml:14: AL403"),
        "{out}"
    );
}

#[test]
fn a_file_that_is_not_a_baseline_cannot_run() {
    let dir = bookstore("baseline_bad_file");
    write(
        &dir,
        "baseline.json",
        "{\"version\": 1, \"findings\": [{\"code\": 3}]}",
    );
    let o = run(&dir, &["check", ".", "--baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("baseline.json:1:"), "{err}");
    let missing = run(&dir, &["check", ".", "--baseline", "nowhere.json"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn shown_with_show_suppressed_as_in_the_baseline() {
    let dir = bookstore("baseline_show_suppressed");
    assert_eq!(
        run(&dir, &["check", ".", "--write-baseline", "b.json"])
            .status
            .code(),
        Some(0)
    );
    let o = run(
        &dir,
        &[
            "check",
            ".",
            "--baseline",
            "b.json",
            "--show-suppressed",
            "--format",
            "concise",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("(suppressed: in the baseline)"), "{out}");
    assert!(out.contains("let pass"), "{out}");
}

#[test]
fn add_suppressions_annotates_every_finding_and_the_tree_then_passes() {
    let dir = bookstore("add_suppressions");
    let before: Vec<(PathBuf, String)> = walk(&dir);
    let o = run(&dir, &["check", ".", "--add-suppressions"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("added 9 suppression annotations in 7 files"),
        "{err}"
    );
    // Every finding is suppressed with a TODO reason, and no suppression is unused (AL005).
    let after = run(
        &dir,
        &["check", ".", "--format", "json", "--show-suppressed"],
    );
    assert_eq!(after.status.code(), Some(0));
    let v = json(&after);
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() > 10);
    assert!(findings.iter().all(|f| f["suppressed"] == "TODO"), "{v:#}");
    assert!(!findings.iter().any(|f| f["code"] == "AL005"));
    // Only lines were added: every line of every file is still there, in order.
    for (path, old) in before {
        let new = std::fs::read_to_string(&path).unwrap();
        let mut lines = new.lines();
        for line in old.lines() {
            assert!(
                lines.any(|l| l == line),
                "{}: lost {line:?}",
                path.display()
            );
        }
    }
}

fn walk(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}
