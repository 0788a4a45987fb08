//! How ambient-lint fits into a team's workflow: configuration, CI formats, output files,
//! pre-commit's changed-files runs, completions.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{write, yaml_to_json};

/// A fresh directory under this target's own folder.
fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("workflow/{name}"))
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ambient-lint"));
    c.current_dir(dir).env_remove("NO_COLOR");
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A policy with an error (AL208) and a route with a warning (AL401) and an info (AL402).
const POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n    - from:\n        - source: {principals: [\"spiffe://cluster.local/ns/shop/sa/x\"]}\n";
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\nspec:\n  gatewayClassName: istio\n  listeners: [{name: http, port: 80, protocol: HTTP}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {ports: [{port: 80}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{name: edge}]\n  rules:\n    - matches: [{path: {type: PathPrefix, value: /}}, {path: {type: Exact, value: /orders}, method: POST}]\n      backendRefs: [{name: api, port: 80}]\n";

fn codes(o: &Output) -> Vec<String> {
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn project(name: &str, config: Option<&str>) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    write(&dir, "k8s/policy.yaml", POLICY);
    write(&dir, "k8s/route.yaml", ROUTE);
    if let Some(c) = config {
        write(&dir, ".ambient-lint.yaml", c);
    }
    dir
}

// ------------------------------------------------------------------ configuration

#[test]
fn the_config_file_is_found_from_a_subfolder_and_applied() {
    let dir = project(
        "config_found",
        Some("ignore: [AL401]\nseverity: {AL208: warning}\nfail-on: error\n"),
    );
    let o = bin(&dir.join("k8s"))
        .args([".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&o), vec!["AL208", "AL402"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(
        o.status.code(),
        Some(0),
        "fail-on: error from the file, and no error is left"
    );
    // The command line wins over the file.
    let o = bin(&dir.join("k8s"))
        .args([
            ".",
            "--format",
            "json",
            "--fail-on",
            "warning",
            "--ignore",
            "AL402",
        ])
        .output()
        .unwrap();
    assert_eq!(codes(&o), vec!["AL208", "AL401"]);
    assert_eq!(o.status.code(), Some(1));
    // --no-config ignores it; --config names another.
    let o = bin(&dir)
        .args(["k8s", "--format", "json", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(codes(&o), vec!["AL208", "AL401", "AL402"]);
    write(&dir, "strict.yaml", "select: [AL4]\n");
    let o = bin(&dir)
        .args(["k8s", "--format", "json", "--config", "strict.yaml"])
        .output()
        .unwrap();
    assert_eq!(codes(&o), vec!["AL401", "AL402"]);
}

#[test]
fn declared_flows_that_no_unit_places_are_named_and_change_nothing_else() {
    let config = "units: [\"k8s\", \"other\"]\nflows:\n  - {from: Gateway shop/edge, to: Service shop/api, ports: [80]}\n  - {from: shop/nope, to: external}\nforbidden-flows:\n  - from: external\n    to: Service shop/api\n    ports: [8080]\n";
    let dir = project("declared_flows", Some(config));
    write(
        &dir,
        "other/svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {ports: [{port: 8080}]}\n",
    );
    let with = bin(&dir)
        .args(["k8s", "other", "--format", "json"])
        .output()
        .unwrap();
    let err = stderr(&with);
    assert!(
        err.contains("warning: declared flow flows[1] in .ambient-lint.yaml (line 4) is not checked: no workload `shop/nope` is in the input"),
        "{err}"
    );
    assert!(
        !err.contains("flows[0]") && !err.contains("forbidden-flows[0]"),
        "a flow one unit places is checked there: {err}"
    );
    write(&dir, "units-only.yaml", "units: [\"k8s\", \"other\"]\n");
    let without = bin(&dir)
        .args([
            "k8s",
            "other",
            "--format",
            "json",
            "--config",
            "units-only.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(codes(&with), codes(&without));
    let summary =
        |o: &Output| serde_json::from_slice::<Value>(&o.stdout).unwrap()["summary"].clone();
    assert_eq!(
        summary(&with),
        summary(&without),
        "the config file is no input"
    );
}

#[test]
fn discovery_stops_at_the_repository_root() {
    let outer = scratch("config_root");
    write(&outer, ".ambient-lint.yaml", "select: [AL4]\n");
    let repo = outer.join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo, "policy.yaml", POLICY);
    let o = bin(&repo).args([".", "--format", "json"]).output().unwrap();
    assert_eq!(
        codes(&o),
        vec!["AL208"],
        "the file above the repository root is not used"
    );
}

#[test]
fn config_mistakes_stop_the_run_with_their_position() {
    for (text, expected) in [
        (
            "select: [AL2]\nignore: [AL999]\n",
            ".ambient-lint.yaml:2:10: `AL999` is not a rule code",
        ),
        (
            "selct: [AL2]\n",
            ".ambient-lint.yaml:1:1: unknown key `selct`",
        ),
        (
            "fail-on: 3\n",
            ".ambient-lint.yaml:1:10: `fail-on` must be a string, found a number",
        ),
        (
            "routes: {internl: []}\n",
            ".ambient-lint.yaml:1:10: unknown key `routes.internl`",
        ),
    ] {
        let dir = project("config_errors", Some(text));
        for format in ["human", "json", "sarif"] {
            let o = bin(&dir).args([".", "--format", format]).output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{text}");
            assert!(stderr(&o).contains(expected), "{text}: {}", stderr(&o));
            assert!(
                o.stdout.is_empty(),
                "nothing is reported when the tool cannot run"
            );
        }
    }
    let dir = project("config_missing", None);
    let o = bin(&dir)
        .args([".", "--config", "nope.yaml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin(&dir).args([".", "--select", "AL9"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn excludes_and_per_path_ignores_are_relative_to_the_config_file() {
    let dir = project(
        "config_paths",
        Some("exclude: [k8s/route.yaml]\nper-path-ignores:\n  \"legacy/**\": [AL208]\n"),
    );
    write(
        &dir,
        "legacy/old.yaml",
        &POLICY.replace("name: p,", "name: old,"),
    );
    let o = bin(&dir.join("legacy"))
        .args(["..", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec!["../k8s/policy.yaml"], "{}", stdout(&o));
}

#[test]
fn init_writes_a_starter_config_that_changes_nothing() {
    let dir = project("init", None);
    let o = bin(&dir).arg("init").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = std::fs::read_to_string(dir.join(".ambient-lint.yaml")).unwrap();
    assert!(written.contains("routes:"));
    let o = bin(&dir).arg("init").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "it does not overwrite without --force"
    );
    assert_eq!(
        bin(&dir)
            .args(["init", "--force"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let with = bin(&dir).args([".", "--format", "json"]).output().unwrap();
    let without = bin(&dir)
        .args([".", "--format", "json", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(codes(&with), codes(&without));
}

/// The YAML blocks of docs/configuration.md marked `config`.
fn documented_configs() -> Vec<String> {
    let doc = std::fs::read_to_string(manifest_dir().join("docs/configuration.md")).unwrap();
    common::fenced_blocks(&doc, "config")
}

#[test]
fn the_json_schema_accepts_the_documented_configs_and_matches_the_parser() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest_dir().join("schema/ambient-lint.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut examples = documented_configs();
    assert!(
        examples.len() >= 3,
        "docs/configuration.md has its examples"
    );
    examples.push(ambient_lint::config::STARTER.to_string());
    for text in &examples {
        let json = yaml_to_json(text);
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "schema rejects a documented config: {errors:?}\n{text}"
        );
        ambient_lint::config::parse(Path::new("doc.yaml"), text)
            .unwrap_or_else(|e| panic!("the parser rejects a documented config: {e}\n{text}"));
    }
    // Both say no to the same mistakes.
    for bad in [
        "selct: []\n",
        "fail-on: sometimes\n",
        "routes: {internl: []}\n",
        "assume-complete: maybe\n",
        "flows: [{from: a/b}]\n",
        "flows: [{from: ecom, to: external}]\n",
        "forbidden-flows: [{from: a/b, to: Pod c/d}]\n",
        "flows: [{from: a/b, to: c/d, ports: [{port: 53, protocol: udp}]}]\n",
    ] {
        assert!(
            !validator.is_valid(&yaml_to_json(bad)),
            "schema accepts {bad}"
        );
        assert!(
            ambient_lint::config::parse(Path::new("c.yaml"), bad).is_err(),
            "parser accepts {bad}"
        );
    }
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = ambient_lint::config::KEYS.to_vec();
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys, expected,
        "the schema and the parser know the same keys"
    );
}

// ------------------------------------------------------------------ CI formats

fn bookstore(format: &str) -> Output {
    bin(manifest_dir())
        .args(["examples/bookstore", "--format", format])
        .output()
        .unwrap()
}

#[test]
fn sarif_is_valid_and_has_what_github_code_scanning_requires() {
    let o = bookstore("sarif");
    assert_eq!(o.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest_dir().join("tests/data/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    // The published schema's `language` patterns have a stray `]`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which a validator checking the schema's own
    // regexes refuses. The pattern meant is put in their place; nothing else is touched.
    fn fix(v: &mut Value) -> usize {
        match v {
            Value::String(s) if s == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => {
                *s = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".to_string();
                1
            }
            Value::Array(a) => a.iter_mut().map(fix).sum(),
            Value::Object(o) => o.values_mut().map(fix).sum(),
            _ => 0,
        }
    }
    assert!(fix(&mut schema) >= 1);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "ambient-lint");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), ambient_lint::rules::RULES.len());
    for r in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "helpUri",
            "defaultConfiguration",
        ] {
            assert!(!r[key].is_null(), "rule {} lacks {key}", r["id"]);
        }
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
    // Locations are relative to the repository root, which the run names as a file URI.
    let root = manifest_dir()
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(manifest_dir());
    let prefix = root_relative_prefix(root, manifest_dir());
    assert_eq!(
        run["originalUriBaseIds"]["SRCROOT"]["uri"],
        file_uri(root),
        "{:#}",
        run["originalUriBaseIds"]
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 19);
    for r in results {
        assert!(r["ruleId"].is_string() && r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.starts_with(&format!("{prefix}examples/bookstore/")) && !uri.starts_with('/'),
            "{uri}"
        );
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
        assert!(r["partialFingerprints"]["ambientLint/v1"].is_string());
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            r["ruleId"]
        );
    }
    let al211 = results.iter().find(|r| r["ruleId"] == "AL211").unwrap();
    assert_eq!(
        al211["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{prefix}examples/bookstore/infra/kgateway/gateway.yaml")
    );
}

/// `file:///abs/dir/` for a folder; these test paths need no percent-encoding.
fn file_uri(dir: &Path) -> String {
    let path = dir.to_str().unwrap().replace('\\', "/");
    assert!(!path.contains(' ') && !path.contains('%'), "{path}");
    format!(
        "file://{}{path}/",
        if path.starts_with('/') { "" } else { "/" }
    )
}

/// `dir` relative to `root` as the start of a URI (`sub/dir/`), or `""` when they are the same.
fn root_relative_prefix(root: &Path, dir: &Path) -> String {
    dir.strip_prefix(root)
        .unwrap()
        .components()
        .map(|c| format!("{}/", c.as_os_str().to_str().unwrap()))
        .collect()
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root_and_percent_encoded() {
    let dir = project("sarif_root", None);
    write(&dir, "k8s/my policy.yaml", POLICY);
    // Run from a subfolder: the root is the folder holding `.git`, not the current directory.
    let o = bin(&dir.join("k8s"))
        .args(["my policy.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let sarif: Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["originalUriBaseIds"]["SRCROOT"]["uri"], file_uri(&dir));
    let artifact = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "k8s/my%20policy.yaml");
    assert_eq!(artifact["uriBaseId"], "SRCROOT");
}

#[test]
fn sarif_never_names_standard_input_as_a_uri() {
    let dir = project("sarif_stdin", None);
    let mut child = bin(&dir)
        .args(["-", "--format", "sarif"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), POLICY.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(!out.contains("<stdin>"), "{out}");
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        for loc in r["locations"].as_array().unwrap() {
            assert!(loc.get("physicalLocation").is_none(), "{loc:#}");
        }
    }
}

#[test]
fn github_annotations_are_workflow_commands() {
    let o = bookstore("github");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // 19 annotations, then a notice per reason something was not judged.
    assert_eq!(lines.len(), 20);
    assert!(lines[19].starts_with("::notice title=ambient-lint%3A not judged::not judged: 3 references to namespace kgateway-system"), "{out}");
    assert!(lines.contains(&"::error file=examples/bookstore/infra/istio/security/authz-policies/inventory-service-policy.yaml,line=18,col=13,endLine=18,endColumn=30,title=AL201 l7-rule-in-ztunnel-allow::ztunnel does not support HTTP attributes (found: `methods` and `paths`): this ALLOW rule is dropped; no rule is left, so the policy denies all traffic to the workloads it selects (503s / connection resets)%0Ahelp: keep only L4 fields in ztunnel policies (source principals, namespaces, serviceAccounts, ipBlocks; operation ports) and enforce the HTTP part in an HTTPRoute or a waypoint: deploy one, label the Service `istio.io/use-waypoint`, and attach the policy with `targetRefs`"), "{out}");
    for l in &lines[..13] {
        assert!(
            l.starts_with("::error file=")
                || l.starts_with("::warning file=")
                || l.starts_with("::notice file="),
            "{l}"
        );
        assert!(!l.contains('\n'));
    }
}

#[test]
fn gitlab_code_quality_has_stable_unique_fingerprints() {
    let a: Value = serde_json::from_slice(&bookstore("gitlab").stdout).unwrap();
    let b: Value = serde_json::from_slice(&bookstore("gitlab").stdout).unwrap();
    assert_eq!(a, b, "the same input gives the same report");
    let issues = a.as_array().unwrap();
    assert_eq!(issues.len(), 19);
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    for i in issues {
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&i["severity"].as_str().unwrap())
        );
        assert!(i["description"].is_string() && i["check_name"].is_string());
        assert!(
            i["location"]["path"]
                .as_str()
                .unwrap()
                .starts_with("examples/")
        );
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    // A line added above a finding leaves its fingerprint unchanged.
    let dir = scratch("fingerprint");
    write(&dir, "p.yaml", POLICY);
    let before: Value = serde_json::from_slice(
        &bin(&dir)
            .args(["p.yaml", "--format", "gitlab"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    write(
        &dir,
        "p.yaml",
        &format!("# a comment added later\n{POLICY}"),
    );
    let after: Value = serde_json::from_slice(
        &bin(&dir)
            .args(["p.yaml", "--format", "gitlab"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(before[0]["fingerprint"], after[0]["fingerprint"]);
    assert_ne!(
        before[0]["location"]["lines"]["begin"],
        after[0]["location"]["lines"]["begin"]
    );
}

#[test]
fn output_files_and_statistics() {
    let dir = scratch("output");
    let report = dir.join("report.sarif");
    let o = bin(manifest_dir())
        .args([
            "examples/bookstore",
            "--format",
            "sarif",
            "--statistics",
            "--output",
        ])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "the exit status still follows --fail-on"
    );
    assert!(
        o.stdout.starts_with(b"    3  AL211  error"),
        "{}",
        stdout(&o)
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 19);
    // Machine-readable output to stdout keeps statistics on stderr.
    let o = bin(manifest_dir())
        .args(["examples/bookstore", "--format", "json", "--statistics"])
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&o.stdout).unwrap();
    assert!(stderr(&o).contains("AL211  error    gateway-namespace-mismatch"));
    let o = bin(manifest_dir())
        .args(["examples/bookstore", "--output", "/nonexistent-dir/x.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

// ------------------------------------------------------------------ pre-commit and completions

#[test]
fn context_reads_the_tree_but_reports_only_the_files_given() {
    let dir = scratch("context");
    // The principal's ServiceAccount lives in another file: without it AL206 would fire.
    write(
        &dir,
        "accounts.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec: {serviceAccountName: api, containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: other, namespace: shop}\n",
    );
    write(
        &dir,
        "policy.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n    - from:\n        - source: {principals: [\"cluster.local/ns/shop/sa/api\", \"cluster.local/ns/shop/sa/other\"]}\n",
    );
    // Alone, the changed file cannot be judged.
    let alone = bin(&dir)
        .args(["policy.yaml", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&alone), Vec::<String>::new());
    // With the tree as context: AL207 on `other`, reported in policy.yaml only, read once.
    let o = bin(&dir)
        .args(["--context", ".", "policy.yaml", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(codes(&o), vec!["AL207"], "{}", stdout(&o));
    assert_eq!(v["findings"][0]["file"], "policy.yaml");
    assert_eq!(v["summary"]["files"], 2, "policy.yaml is not read twice");
}

#[test]
fn the_pre_commit_hook_runs_as_declared() {
    let hooks = std::fs::read_to_string(manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("id: ambient-lint"));
    let entry = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("the hook has an entry");
    let args: Vec<&str> = entry.split_whitespace().collect();
    assert_eq!(args[0], "ambient-lint");
    // pre-commit appends the changed files to the entry.
    let dir = project("pre_commit", None);
    let o = bin(&dir)
        .args(&args[1..])
        .arg("k8s/policy.yaml")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("k8s/policy.yaml:7:33: error[AL208]"),
        "{}",
        stdout(&o)
    );
    assert!(
        !stdout(&o).contains("route.yaml"),
        "only the changed files are reported"
    );
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = bin(manifest_dir())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0));
        let script = stdout(&o);
        assert!(
            script.contains("ambient-lint") && script.contains("--fail-on"),
            "{shell}"
        );
    }
}
