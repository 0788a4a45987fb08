//! `--fix` and `--diff` as a user runs them. Every firing fixture of a rule that can fix is fixed
//! in a scratch copy: the fixed text is kept as a snapshot, it re-lints without that rule's
//! findings (and without AL001/AL002), and fixing again changes nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ambient_lint::rules::{FixAvailability, RULES};
use common::{bookstore, finding_codes, first_finding, json, run_in_with_stdin, scratch};

use common::run_in as run;

fn codes(o: &Output) -> Vec<String> {
    let v = json(o);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn fixable_fixtures() -> Vec<(&'static str, bool, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let applies = |r: &&&ambient_lint::rules::Rule| {
        !matches!(
            r.fix,
            FixAvailability::None
                | FixAvailability::Sometimes(ambient_lint::finding::Applicability::DisplayOnly)
        )
    };
    for rule in RULES.iter().filter(applies) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(rule.code))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("fires-")
            })
            .collect();
        files.sort();
        let unsafe_fix =
            rule.fix == FixAvailability::Sometimes(ambient_lint::finding::Applicability::Unsafe);
        out.extend(files.into_iter().map(|f| (rule.code, unsafe_fix, f)));
    }
    out
}

#[test]
fn every_fixable_rule_fixes_its_firing_fixtures() {
    let fixtures = fixable_fixtures();
    assert!(
        ["AL005", "AL208", "AL301", "AL302"]
            .iter()
            .all(|code| fixtures.iter().any(|(c, _, _)| c == code))
    );
    let rules_with_fixtures: std::collections::BTreeSet<&str> =
        fixtures.iter().map(|(c, _, _)| *c).collect();
    let mut fixed_per_rule = std::collections::BTreeSet::new();
    for (code, unsafe_fix, fixture) in fixtures {
        let name = fixture.file_name().unwrap().to_string_lossy().to_string();
        let dir = scratch(&format!("fix_{code}_{name}"));
        let text = std::fs::read_to_string(&fixture).unwrap();
        std::fs::write(dir.join(&name), &text).unwrap();
        let extra: &[&str] = if text.contains("# lint with: --assume-complete") {
            &["--assume-complete"]
        } else {
            &[]
        };
        // `check FILE --no-config [--assume-complete] MORE...` in the scratch folder.
        let lint = |more: &[&str]| -> Output {
            let mut all = vec!["check", name.as_str(), "--no-config"];
            all.extend_from_slice(extra);
            all.extend_from_slice(more);
            if unsafe_fix && more.iter().any(|m| *m == "--fix" || *m == "--diff") {
                all.push("--unsafe-fixes");
            }
            run(&dir, &all)
        };
        let before = lint(&["--format", "json"]);
        let fired = codes(&before).iter().filter(|c| *c == code).count();
        assert!(fired > 0, "{code} {name} does not fire");
        // A rule fixes some of its findings: a fixture without a fix of it is left alone.
        let v = json(&before);
        let has_fix = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code && !f["fix"].is_null());
        if !has_fix {
            continue;
        }
        fixed_per_rule.insert(code);

        // An unsafe fix is not applied without `--unsafe-fixes`: the diff differs.
        if unsafe_fix {
            let mut all = vec!["check", name.as_str(), "--no-config", "--diff"];
            all.extend_from_slice(extra);
            let safe_only = run(&dir, &all);
            assert_ne!(
                safe_only.stdout,
                lint(&["--diff"]).stdout,
                "{code} {name}: an unsafe fix applied without --unsafe-fixes"
            );
        }
        // --diff shows the change and writes nothing.
        let diff = lint(&["--diff"]);
        assert_eq!(diff.status.code(), Some(1), "{code} {name}: {diff:?}");
        let diff_text = String::from_utf8_lossy(&diff.stdout).to_string();
        assert!(
            diff_text.starts_with(&format!("--- a/{name}")),
            "{diff_text}"
        );
        assert_eq!(std::fs::read_to_string(dir.join(&name)).unwrap(), text);

        // --fix writes it; the fixed text loses the rule's findings and gains no error.
        lint(&["--fix"]);
        let fixed = std::fs::read_to_string(dir.join(&name)).unwrap();
        assert_ne!(fixed, text, "{code} {name}: nothing fixed");
        let after = codes(&lint(&["--format", "json"]));
        let left = after.iter().filter(|c| *c == code).count();
        assert!(left < fired, "{code} {name}: still {left} of {fired}");
        assert!(
            !after.iter().any(|c| c == "AL001" || c == "AL002"),
            "{code} {name}: {after:?}"
        );
        insta::assert_snapshot!(format!("{code}__{name}.fixed"), fixed);

        // Fixing twice is fixing once.
        let again = lint(&["--diff"]);
        assert_eq!(
            again.status.code(),
            Some(0),
            "{code} {name}: {}",
            String::from_utf8_lossy(&again.stdout)
        );
    }
    // Every rule that says it can fix fixes one of its firing fixtures at least.
    assert_eq!(fixed_per_rule, rules_with_fixtures);
}

#[test]
fn a_file_with_a_bom_and_crlf_line_ends_keeps_them() {
    // The same fixes as on the LF file, with every line end (the inserted ones too) a CRLF,
    // and the BOM kept.
    // A block list, so that the fix inserts a whole line.
    let lf = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes:\n    - Egress\n  ingress:\n    - from:\n        - podSelector: {}\n";
    let dir = scratch("fix_crlf");
    std::fs::write(dir.join("lf.yaml"), lf).unwrap();
    let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
    std::fs::write(dir.join("crlf.yaml"), &crlf).unwrap();
    for file in ["lf.yaml", "crlf.yaml"] {
        run(
            &dir,
            &["check", file, "--no-config", "--fix", "--unsafe-fixes"],
        );
    }
    let fixed_lf = std::fs::read_to_string(dir.join("lf.yaml")).unwrap();
    let fixed_crlf = std::fs::read_to_string(dir.join("crlf.yaml")).unwrap();
    assert_ne!(fixed_lf, lf, "the fixture has a fix to apply");
    assert!(
        fixed_lf.contains("    - Egress\n    - Ingress\n"),
        "{fixed_lf}"
    );
    assert_eq!(
        fixed_crlf,
        format!("\u{feff}{}", fixed_lf.replace('\n', "\r\n"))
    );
    // JSON edits are given as the file's bytes: offsets past the BOM and the CRLFs before.
    std::fs::write(dir.join("crlf.yaml"), &crlf).unwrap();
    let o = run(
        &dir,
        &["check", "crlf.yaml", "--no-config", "--format", "json"],
    );
    let v = json(&o);
    let f = first_finding(&v, "AL308");
    let edit = &f["fix"]["edits"][0];
    let (start, end) = (
        edit["start_offset"].as_u64().unwrap() as usize,
        edit["end_offset"].as_u64().unwrap() as usize,
    );
    let applied = format!(
        "{}{}{}",
        &crlf[..start],
        edit["content"].as_str().unwrap(),
        &crlf[end..]
    );
    assert_eq!(applied, fixed_crlf);
}

#[test]
fn a_file_with_mixed_line_ends_is_left_alone_and_said_so() {
    let dir = scratch("fix_mixed");
    let text = "apiVersion: security.istio.io/v1\r\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\r\nspec:\r\n  rules:\r\n    - from:\r\n        - source: {principals: [\"spiffe://cluster.local/ns/shop/sa/web\"]}\r\n";
    std::fs::write(dir.join("p.yaml"), text).unwrap();
    let o = run(&dir, &["check", "p.yaml", "--no-config", "--fix"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.join("p.yaml")).unwrap(), text);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("p.yaml: not fixed"), "{err}");
    assert!(err.contains("line ends mixed"), "{err}");
}

#[test]
fn fixes_appear_in_json_and_sarif() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/AL208/fires-when-source-principal.yaml");
    let dir = scratch("fix_formats");
    std::fs::copy(&fixture, dir.join("p.yaml")).unwrap();
    let o = run(
        &dir,
        &["check", "p.yaml", "--no-config", "--format", "json"],
    );
    let v = json(&o);
    let f = first_finding(&v, "AL208");
    assert_eq!(f["fix"]["applicability"], "safe");
    assert_eq!(f["fix"]["edits"][0]["content"], "");
    assert_eq!(f["fix"]["edits"][0]["file"], "p.yaml");
    let span = f["fix"]["edits"][0]["end_offset"].as_u64().unwrap()
        - f["fix"]["edits"][0]["start_offset"].as_u64().unwrap();
    assert_eq!(span, "spiffe://".len() as u64);
    let o = run(
        &dir,
        &["check", "p.yaml", "--no-config", "--format", "sarif"],
    );
    let v = json(&o);
    let result = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "AL208")
        .unwrap();
    let change = &result["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["replacements"][0]["insertedContent"]["text"], "");
    assert!(
        change["replacements"][0]["deletedRegion"]["startLine"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn the_readme_diff_is_what_diff_prints_on_the_bookstore() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let excerpt = readme
        .split("(`ambient-lint check examples/bookstore --diff --unsafe-fixes`):")
        .nth(1)
        .and_then(|rest| rest.split("```diff\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows the bookstore's diff");
    let o = run(
        root,
        &["check", "examples/bookstore", "--diff", "--unsafe-fixes"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), excerpt);
}

#[test]
fn a_display_only_fix_is_shown_and_never_applied() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = run(root, &["check", "examples/bookstore", "--format", "json"]);
    let v = json(&o);
    let shown = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "AL201")
        .map(|f| &f["fix"])
        .collect::<Vec<_>>();
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|f| f["applicability"] == "display-only"),
        "{shown:?}"
    );
    assert!(
        shown[0]["edits"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("targetRefs: [{kind: Service")
    );
    let diff = run(
        root,
        &["check", "examples/bookstore", "--diff", "--unsafe-fixes"],
    );
    assert!(!String::from_utf8_lossy(&diff.stdout).contains("targetRefs"));
}

#[test]
fn the_display_only_waypoint_fix_makes_al201_go_away_when_applied_by_hand() {
    // What AL201 shows (targetRefs, the Service's use-waypoint label, the waypoint) is a whole
    // change: applied by hand in a copy of the bookstore, the policy is enforced by a waypoint.
    let dir = bookstore("fix_al201_by_hand");
    let lint = |dir: &Path| {
        json(&run(
            dir,
            &["check", ".", "--format", "json", "--no-config"],
        ))
    };
    let v = lint(&dir);
    let fix = first_finding(&v, "AL201")["fix"].clone();
    let edits = fix["edits"].as_array().unwrap();
    let contents: Vec<&str> = edits
        .iter()
        .map(|e| e["content"].as_str().unwrap())
        .collect();
    assert!(contents[0].starts_with("targetRefs:"), "{contents:?}");
    assert!(
        contents
            .iter()
            .any(|c| c.contains("istio.io/use-waypoint: waypoint"))
    );
    assert!(
        contents
            .iter()
            .any(|c| c.contains("gatewayClassName: istio-waypoint"))
    );
    // Applied per file, from the end so that offsets stay true.
    let mut by_file: Vec<(String, Vec<&serde_json::Value>)> = Vec::new();
    for e in edits {
        let file = e["file"].as_str().unwrap().to_string();
        match by_file.iter_mut().find(|(f, _)| *f == file) {
            Some((_, list)) => list.push(e),
            None => by_file.push((file, vec![e])),
        }
    }
    for (file, mut list) in by_file {
        let path = dir.join(&file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        list.sort_by_key(|e| std::cmp::Reverse(e["start_offset"].as_u64().unwrap()));
        for e in list {
            let (a, b) = (
                e["start_offset"].as_u64().unwrap() as usize,
                e["end_offset"].as_u64().unwrap() as usize,
            );
            text.replace_range(a..b, e["content"].as_str().unwrap());
        }
        std::fs::write(&path, text).unwrap();
    }
    let after = lint(&dir);
    let codes = finding_codes(&after);
    let before = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "AL201")
        .count();
    let left = codes.iter().filter(|c| **c == "AL201").count();
    assert!(left < before, "AL201 {before} -> {left}: {codes:?}");
    assert!(
        !codes.iter().any(|c| *c == "AL001" || *c == "AL002"),
        "{codes:?}"
    );
}

#[test]
fn diff_shows_what_fix_writes_after_every_pass() {
    // Dropping `spiffe://` (AL208) comes first; the namespace's did-you-mean (AL210) is found only
    // when the principal is linted again. `--diff` lints the fixed text in memory, as `--fix`
    // does on disk, so both end at the same text.
    let text = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: web, ports: [{containerPort: 8080}]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  rules:
    - from:
        - source:
            principals: ["spiffe://cluster.local/ns/shopp/sa/web"]
"#;
    let dir = scratch("fix_diff_passes");
    std::fs::write(dir.join("p.yaml"), text).unwrap();
    let diff = run(
        &dir,
        &["check", "p.yaml", "--no-config", "--diff", "--unsafe-fixes"],
    );
    assert_eq!(diff.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(dir.join("p.yaml")).unwrap(), text);
    run(
        &dir,
        &["check", "p.yaml", "--no-config", "--fix", "--unsafe-fixes"],
    );
    let fixed = std::fs::read_to_string(dir.join("p.yaml")).unwrap();
    assert!(
        fixed.contains(r#"principals: ["cluster.local/ns/shop/sa/web"]"#),
        "{fixed}"
    );
    let expected = ambient_lint::fix::unified_diff(Path::new("p.yaml"), text, &fixed);
    assert_eq!(String::from_utf8_lossy(&diff.stdout), expected);
}

const WEB_ON_DEFAULT: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "db:1"}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/shop/sa/web"]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db-too, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  rules:
    - from:
        - source:
            principals: ["cluster.local/ns/shop/sa/web"]
"#;

const WEB_DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1"}]
"#;

#[test]
fn one_fix_offered_by_two_findings_is_applied_once() {
    let dir = scratch("fix_once");
    std::fs::write(dir.join("p.yaml"), WEB_ON_DEFAULT).unwrap();
    std::fs::write(dir.join("web.yaml"), WEB_DEPLOYMENT).unwrap();
    run(
        &dir,
        &["check", ".", "--no-config", "--fix", "--unsafe-fixes"],
    );
    let web = std::fs::read_to_string(dir.join("web.yaml")).unwrap();
    assert_eq!(web.matches("serviceAccountName: web").count(), 1, "{web}");
    assert_eq!(web.matches("kind: ServiceAccount").count(), 1, "{web}");
    let again = run(&dir, &["check", ".", "--no-config", "--format", "concise"]);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(!out.contains("AL206") && !out.contains("AL001"), "{out}");
}

#[test]
fn a_json_manifest_gets_no_yaml_written_into_it() {
    let dir = scratch("fix_json");
    std::fs::write(dir.join("p.yaml"), WEB_ON_DEFAULT).unwrap();
    let json = r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}}
"#;
    std::fs::write(dir.join("web.json"), json).unwrap();
    run(
        &dir,
        &["check", ".", "--no-config", "--fix", "--unsafe-fixes"],
    );
    let after = std::fs::read_to_string(dir.join("web.json")).unwrap();
    assert_eq!(after, json);
    serde_json::from_str::<serde_json::Value>(&after).unwrap();
}

#[test]
fn diff_with_standard_input_keeps_it_for_every_pass() {
    // Standard input can be read only once, and every pass lints again: each pass must see the
    // text piped in, or the second would find fixes for a world where its objects are missing
    // (here: append the ServiceAccount that standard input holds).
    let dir = scratch("fix_diff_stdin");
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n";
    // Two passes: `spiffe://` dropped first (AL208), then the namespace's did-you-mean (AL210).
    let policy = WEB_ON_DEFAULT.replace(
        "cluster.local/ns/shop/sa/web",
        "spiffe://cluster.local/ns/shopp/sa/web",
    );
    std::fs::write(dir.join("p.yaml"), &policy).unwrap();
    std::fs::write(dir.join("web.yaml"), WEB_DEPLOYMENT).unwrap();
    let o = run_in_with_stdin(
        &dir,
        &[
            "check",
            "-",
            "p.yaml",
            "web.yaml",
            "--no-config",
            "--diff",
            "--unsafe-fixes",
        ],
        account,
    );
    let diff = String::from_utf8_lossy(&o.stdout);
    assert!(
        diff.contains("-            principals: [\"spiffe://cluster.local/ns/shopp/sa/web\"]"),
        "{diff}"
    );
    assert!(
        diff.contains("+            principals: [\"cluster.local/ns/shop/sa/web\"]"),
        "{diff}"
    );
    assert!(!diff.contains("kind: ServiceAccount"), "{diff}");
}

#[test]
fn al201_names_a_waypoint_already_there_instead_of_adding_one() {
    let dir = bookstore("fix_al201_existing_waypoint");
    std::fs::write(
        dir.join("waypoint.yaml"),
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: inventory}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n",
    )
    .unwrap();
    let o = run(&dir, &["check", ".", "--no-config", "--format", "json"]);
    let v = json(&o);
    let fix = first_finding(&v, "AL201")["fix"].clone();
    let contents: Vec<&str> = fix["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["content"].as_str().unwrap())
        .collect();
    assert!(
        !contents.iter().any(|c| c.contains("kind: Gateway")),
        "{contents:?}"
    );
    assert!(
        contents
            .iter()
            .any(|c| c.contains("istio.io/use-waypoint: waypoint"))
    );
    assert!(fix["title"].as_str().unwrap().contains("is there"), "{fix}");
}
