//! The binary as a user runs it: exit codes, formats, inputs, and the shipped examples.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{json, scratch, write};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ambient-lint"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env_remove("NO_COLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn run_stdin(args: &[&str], input: &str) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const AMBIENT_NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio.io/dataplane-mode: ambient}\n";
const L7_POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n    - to:\n        - operation: {methods: [GET]}\n";
const SPIFFE_POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: s, namespace: default}\nspec:\n  rules:\n    - from:\n        - source: {principals: [\"spiffe://cluster.local/ns/default/sa/x\"]}\n";

// ------------------------------------------------------------------ the shipped examples

/// Every manifest-level failure of the bookstore guide, where it must be reported.
const GUIDE_FAILURES: &[(&str, &str)] = &[
    // #1 L7 attributes in a ztunnel ALLOW policy.
    (
        "examples/bookstore/infra/istio/security/authz-policies/inventory-service-policy.yaml:18:13",
        "AL201",
    ),
    // #2 kgateway-system instead of infra, in both kinds of policy.
    (
        "examples/bookstore/infra/istio/security/authz-policies/ecom-service-policy.yaml:14:26",
        "AL211",
    ),
    (
        "examples/bookstore/infra/kubernetes/network-policies/ecom-netpol.yaml:26:15",
        "AL211",
    ),
    // #3 POST /inven/stock/reserve exposed by the route.
    (
        "examples/bookstore/infra/kgateway/routes/inven-route.yaml:14:11",
        "AL403",
    ),
    // #4 no HBONE 15008 egress.
    (
        "examples/bookstore/infra/kubernetes/network-policies/ecom-netpol.yaml:27:3",
        "AL301",
    ),
    // #5 default-deny-all leaves ui-service without HBONE ingress.
    (
        "examples/bookstore/infra/kubernetes/network-policies/ecom-netpol.yaml:10:3",
        "AL302",
    ),
    // #8 principal whose ServiceAccount does not exist; the workload runs as default.
    (
        "examples/bookstore/infra/istio/security/authz-policies/inventory-service-policy.yaml:15:26",
        "AL206",
    ),
    (
        "examples/bookstore/ecom-service/k8s/ecom-service.yaml:16:5",
        "AL107",
    ),
];

#[test]
fn bookstore_reports_every_guide_failure_at_its_field() {
    let o = run(&["examples/bookstore", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for (at, code) in GUIDE_FAILURES {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{at}: ")) && l.contains(&format!("[{code}]"))),
            "expected {code} at {at}; got:\n{out}"
        );
    }
    insta::assert_snapshot!("bookstore_concise", out);
}

#[test]
fn bookstore_fixed_has_no_errors() {
    let o = run(&["examples/bookstore-fixed", "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["summary"]["errors"], 0, "{}", stdout(&o));
    assert_eq!(
        o.status.code(),
        if v["summary"]["warnings"] == 0 {
            Some(0)
        } else {
            Some(1)
        }
    );
    assert!(v["summary"]["resources"].as_u64().unwrap() > 20);
}

#[test]
fn bookstore_human_output() {
    let o = run(&["examples/bookstore", "--color", "never"]);
    insta::assert_snapshot!("bookstore_human", stdout(&o));
}

// ------------------------------------------------------------------ formats and exit codes

#[test]
fn json_has_the_documented_shape() {
    let dir = scratch("json_shape");
    write(&dir, "a.yaml", &format!("{AMBIENT_NS}---\n{L7_POLICY}"));
    let o = bin()
        .args(["a.yaml", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "AL201");
    assert_eq!(f["name"], "l7-rule-in-ztunnel-allow");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["file"], "a.yaml", "paths stay as given");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(13), Some(23))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(13), Some(37))
    );
    assert_eq!(f["path"], "spec.rules[0].to[0].operation.methods");
    assert_eq!(f["resource"]["kind"], "AuthorizationPolicy");
    assert_eq!(f["resource"]["namespace"], "shop");
    assert_eq!(f["resource"]["name"], "p");
    assert!(f["help"].as_str().unwrap().contains("targetRefs"));
    assert!(f["related"].is_array());
    for key in [
        "files",
        "documents",
        "resources",
        "errors",
        "warnings",
        "infos",
    ] {
        assert!(v["summary"][key].is_u64(), "summary.{key}");
    }
    assert_eq!(v["summary"]["documents"], 2);
}

#[test]
fn exit_codes_follow_fail_on_in_every_format() {
    let dir = scratch("exit_codes");
    // Only a warning (AL207): fails under warning, passes under error.
    write(
        &dir,
        "w.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: idle, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: w, image: w}]\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n    - from:\n        - source: {principals: [cluster.local/ns/shop/sa/idle]}\n",
    );
    for format in ["human", "concise", "json"] {
        let code = |fail_on: &str| {
            bin()
                .args(["w.yaml", "--format", format, "--fail-on", fail_on])
                .current_dir(&dir)
                .output()
                .unwrap()
                .status
                .code()
        };
        assert_eq!(code("warning"), Some(1), "{format}");
        assert_eq!(code("info"), Some(1), "{format}");
        assert_eq!(code("error"), Some(0), "{format}");
        assert_eq!(code("never"), Some(0), "{format}");
    }
}

#[test]
fn a_clean_input_exits_zero() {
    let o = run(&["examples/bookstore-fixed", "--fail-on", "error"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("0 errors"));
}

#[test]
fn the_tool_failing_to_run_exits_two() {
    let o = run(&["does/not/exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does/not/exist"));
    assert_eq!(run(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(run(&[".", "--format", "xml"]).status.code(), Some(2));
    let bad_path = run(&["examples", "--internal-path", "FETCH /x"]);
    assert_eq!(bad_path.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_path.stderr).contains("FETCH"));
    assert_eq!(run(&["explain", "AL999"]).status.code(), Some(2));
}

#[test]
fn concise_is_one_line_per_finding() {
    let o = run_stdin(
        &["-", "--format", "concise"],
        &format!("{AMBIENT_NS}---\n{L7_POLICY}"),
    );
    assert_eq!(
        stdout(&o),
        "stdin:13:23: error[AL201] ztunnel does not support HTTP attributes (found: `methods`): this ALLOW rule is dropped; no rule is left, so the policy denies all traffic to the workloads it selects (503s / connection resets)\n"
    );
}

#[test]
fn color_is_chosen_by_flag_and_no_color() {
    let input = format!("{AMBIENT_NS}---\n{L7_POLICY}");
    let always = run_stdin(&["-", "--color", "always"], &input);
    assert!(stdout(&always).contains('\u{1b}'));
    let never = run_stdin(&["-", "--color", "never"], &input);
    assert!(!stdout(&never).contains('\u{1b}'));
    // Not a terminal: auto means no colour.
    let auto = run_stdin(&["-"], &input);
    assert!(!stdout(&auto).contains('\u{1b}'));
    let mut c = bin();
    c.env("NO_COLOR", "1").args(["-", "--color", "auto"]);
    let o = c.stdin(Stdio::null()).output().unwrap();
    assert!(!stdout(&o).contains('\u{1b}'));
}

// ------------------------------------------------------------------ inputs

#[test]
fn stdin_takes_rendered_output_and_namespace_flag() {
    let policy = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - to:\n        - operation: {methods: [GET]}\n";
    let o = run_stdin(
        &["-", "-n", "shop", "--format", "json"],
        &format!("{AMBIENT_NS}---\n{policy}"),
    );
    let v = json(&o);
    assert_eq!(
        v["findings"][0]["code"], "AL201",
        "the policy lands in -n shop, an ambient namespace"
    );
    assert_eq!(v["findings"][0]["file"], "stdin");
    let o = run_stdin(
        &["-", "--format", "json"],
        &format!("{AMBIENT_NS}---\n{policy}"),
    );
    assert_eq!(
        json(&o)["findings"].as_array().unwrap().len(),
        0,
        "without -n it is in default"
    );
}

#[test]
fn a_broken_document_does_not_stop_the_others() {
    let dir = scratch("broken_doc");
    let renamed = SPIFFE_POLICY.replace("name: s,", "name: t,");
    write(
        &dir,
        "a-broken.yaml",
        &format!("{SPIFFE_POLICY}---\nkind: [unclosed\n---\n{renamed}"),
    );
    write(
        &dir,
        "b-good.yaml",
        &SPIFFE_POLICY.replace("name: s,", "name: u,"),
    );
    let o = bin()
        .args([".", "--format", "concise"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.contains("a-broken.yaml:10:1: error[AL001] invalid YAML"),
        "{out}"
    );
    assert_eq!(
        out.matches("[AL208]").count(),
        3,
        "both documents around the error and the other file are linted:\n{out}"
    );
}

#[test]
fn walking_skips_hidden_ignored_and_non_manifest_files() {
    let dir = scratch("walk");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    write(&dir, "app/policy.yaml", SPIFFE_POLICY);
    write(
        &dir,
        "app/policy.json",
        r#"{"apiVersion":"security.istio.io/v1","kind":"AuthorizationPolicy","metadata":{"name":"j"},"spec":{"rules":[{"from":[{"source":{"principals":["spiffe://x/ns/a/sa/b"]}}]}]}}"#,
    );
    write(&dir, ".hidden/policy.yaml", SPIFFE_POLICY);
    write(&dir, "vendor/policy.yaml", SPIFFE_POLICY);
    write(&dir, "generated/policy.yaml", SPIFFE_POLICY);
    write(&dir, ".gitignore", "vendor/\n");
    write(&dir, "chart/values.yaml", "image: {{ bad\n");
    write(
        &dir,
        "kustomization.yaml",
        "resources: [app/policy.yaml, app/policy.json]\n",
    );
    write(&dir, "notes.txt", "not yaml");
    write(&dir, "config.yaml", "just: a config file\n");
    let o = bin()
        .args([".", "--format", "json", "--exclude", "generated/"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let v = json(&o);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec!["app/policy.json", "app/policy.yaml"],
        "{}",
        stdout(&o)
    );
    assert_eq!(
        v["summary"]["files"], 3,
        "app/policy.json, app/policy.yaml and the kustomization that renders them; config.yaml is in the kustomize tree but read by no kustomization"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("1 file inside kustomize trees is read by no kustomization"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn lists_crlf_and_bom_are_read() {
    let dir = scratch("list_crlf");
    let list = "\u{feff}apiVersion: v1\r\nkind: List\r\nitems:\r\n  - apiVersion: security.istio.io/v1\r\n    kind: AuthorizationPolicy\r\n    metadata: {name: p, namespace: default}\r\n    spec:\r\n      rules:\r\n        - from:\r\n            - source: {principals: [\"spiffe://cluster.local/ns/default/sa/x\"]}\r\n";
    write(&dir, "list.yaml", list);
    let o = bin()
        .args(["list.yaml", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let f = &json(&o)["findings"][0];
    assert_eq!(f["code"], "AL208");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(10), Some(37))
    );
    assert_eq!(
        f["path"],
        "items[0].spec.rules[0].from[0].source.principals[0]"
    );
}

#[test]
fn internal_path_flag_declares_routes_internal() {
    let route = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{name: edge}]\n  rules:\n    - matches: [{path: {type: PathPrefix, value: /admin}, method: GET}]\n      backendRefs: [{name: admin, port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: admin, namespace: shop}\nspec: {ports: [{port: 80}]}\n";
    let without = run_stdin(&["-", "--format", "json"], route);
    assert_eq!(json(&without)["findings"].as_array().unwrap().len(), 0);
    let with = run_stdin(
        &["-", "--format", "json", "--internal-path", "/admin/*"],
        route,
    );
    assert_eq!(json(&with)["findings"][0]["code"], "AL403");
}

// ------------------------------------------------------------------ rules and explain

#[test]
fn rules_lists_every_rule_and_explain_prints_documents() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .starts_with("AL001  invalid-yaml")
    );
    let o = run(&["rules", "--format", "json"]);
    let v = json(&o);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), ambient_lint::rules::RULES.len());
    assert_eq!(text.lines().count(), list.len());
    assert!(
        list.iter()
            .any(|r| r["code"] == "AL403" && r["severity"] == "error")
    );

    let o = run(&["explain", "AL201"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("# AL201 l7-rule-in-ztunnel-allow"));
    let by_name = run(&["explain", "l7-rule-in-ztunnel-allow"]);
    assert_eq!(stdout(&by_name), stdout(&o));
}

#[test]
fn suppressed_findings_are_counted_not_failed_and_shown_on_request() {
    let suppressed = SPIFFE_POLICY.replace(
        "        - source:",
        "        # ambient-lint: ignore[AL208] migrating\n        - source:",
    );
    let o = run_stdin(&["-"], &suppressed);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l == "0 errors, 0 warnings in 1 file (1 resource); 1 suppressed"),
        "{}",
        stdout(&o)
    );

    // A comment above a line where nothing fires suppresses nothing: AL005 says so.
    let stale = format!("# ambient-lint: ignore[AL208] old\n{suppressed}");
    let o = run_stdin(&["-", "--format", "json", "--show-suppressed"], &stale);
    let v = json(&o);
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["AL005", "AL208"], "{}", stdout(&o));
    assert_eq!(v["findings"][0]["suppressed"], serde_json::Value::Null);
    assert_eq!(v["findings"][1]["suppressed"], "migrating");
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the unused suppression is a warning"
    );
}

#[test]
fn the_definition_applied_last_is_the_one_linted() {
    let dir = scratch("last_wins");
    let route = |method: &str| {
        format!(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: edge, namespace: shop}}\nspec:\n  gatewayClassName: istio\n  listeners: [{{name: http, port: 80, protocol: HTTP}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: shop}}\nspec: {{ports: [{{port: 80}}]}}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r, namespace: shop}}\nspec:\n  parentRefs: [{{name: edge}}]\n  rules:\n    - matches: [{{path: {{type: PathPrefix, value: /}}{method}}}]\n      backendRefs: [{{name: api, port: 80}}]\n"
        )
    };
    write(&dir, "a.yaml", &route(", method: GET"));
    // b.yaml comes later and drops the method: it is what the cluster ends up with.
    write(&dir, "b.yaml", &route(""));
    let o = bin()
        .args([".", "--format", "concise"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("b.yaml:") && l.contains("[AL401]")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("b.yaml:") && l.contains("[AL004] duplicate HTTPRoute")),
        "{out}"
    );
    assert!(out.contains("[AL004] identical duplicate Gateway"), "{out}");
}

#[test]
fn the_readme_excerpt_is_what_the_run_command_prints() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let excerpt = readme
        .split("An excerpt of what the first command prints:")
        .nth(1)
        .and_then(|rest| rest.split("```").nth(1))
        .expect("the README has an excerpt block");
    let out = stdout(&run(&["examples/bookstore", "--color", "never"]));
    let printed: Vec<&str> = out.lines().collect();
    for line in excerpt
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != "...")
    {
        assert!(
            printed.contains(&line),
            "README line not in the output: {line:?}\n{out}"
        );
    }
}
