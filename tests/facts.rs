//! Facts from outside the manifests (config, flags, `--context` dumps), what is not judged
//! without them, warnings that keep a run from passing silently, and pre-commit runs that
//! report what a changed file breaks elsewhere. Each test runs the binary as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{json, write};

fn scratch(name: &str) -> PathBuf {
    let dir = common::scratch(&format!("facts/{name}"));
    // A repository root, so that no config file above the scratch folder is found.
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    dir
}

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ambient-lint"));
    c.current_dir(dir).env_remove("NO_COLOR");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin(dir).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn codes(o: &Output) -> Vec<String> {
    let mut c: Vec<String> = json(o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

/// An app repository: no Namespace objects (they come from a platform repository), an ALLOW
/// policy with HTTP attributes naming another namespace, and a NetworkPolicy without 15008.
const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {serviceAccountName: api, containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow, namespace: shop}
spec:
  action: ALLOW
  rules:
    - from: [{source: {namespaces: [payments]}}]
      to: [{operation: {methods: [GET], paths: [/orders]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: 8080}]
";

fn app(name: &str) -> PathBuf {
    let dir = scratch(name);
    write(&dir, "app/app.yaml", APP);
    dir
}

#[test]
fn an_app_repository_without_namespaces_is_not_silently_green() {
    let dir = app("not_silent");
    let o = run(&dir, &["app", "--color", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("not judged: 2 policies in namespace shop whose dataplane is unknown — declare it with `--default-dataplane ambient`"),
        "{out}"
    );
    assert!(
        out.contains("not judged: 1 reference to namespace payments the input does not show"),
        "{out}"
    );
    // AL210 is not an error unless the input is declared complete.
    assert!(!out.contains("AL210"), "{out}");

    let concise = stdout(&run(&dir, &["app", "--format", "concise"]));
    assert!(concise.starts_with("not judged: 2 policies"), "{concise}");

    let v = json(&run(&dir, &["app", "--format", "json"]));
    let u = &v["summary"]["unjudged"];
    assert_eq!(u["unknown-dataplane"]["count"], 2, "{u}");
    assert_eq!(
        u["unknown-dataplane"]["namespaces"],
        serde_json::json!(["shop"])
    );
    assert!(
        u["unknown-dataplane"]["declare"]
            .as_str()
            .unwrap()
            .contains("--ambient-namespace")
    );
    assert_eq!(
        u["unknown-namespace"]["namespaces"],
        serde_json::json!(["payments"])
    );

    // CI formats say it too: a notice on the workflow run, a note on the SARIF run.
    let github = stdout(&run(&dir, &["app", "--format", "github"]));
    assert!(
        github.contains("::notice title=ambient-lint%3A not judged::not judged: 2 policies"),
        "{github}"
    );
    let sarif = json(&run(&dir, &["app", "--format", "sarif"]));
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(2), "{sarif}");
    assert_eq!(notes[0]["level"], "note");

    let complete = run(&dir, &["app", "--format", "json", "--assume-complete"]);
    assert_eq!(codes(&complete), vec!["AL210"]);
}

#[test]
fn the_dataplane_declared_once_judges_the_policies() {
    let dir = app("declared_flags");
    for flags in [
        &["--default-dataplane", "ambient"][..],
        &["--ambient-namespace", "shop"][..],
        &["--namespace-label", "shop:istio.io/dataplane-mode=ambient"][..],
    ] {
        let mut args = vec!["app", "--format", "json"];
        args.extend(flags);
        let o = run(&dir, &args);
        assert_eq!(o.status.code(), Some(1), "{flags:?}");
        assert_eq!(codes(&o), vec!["AL201", "AL302"], "{flags:?}");
        assert!(
            json(&o)["summary"]["unjudged"]
                .get("unknown-dataplane")
                .is_none(),
            "{flags:?}"
        );
    }
    // A sidecar default: the ztunnel rules have nothing to say, and nothing is left unjudged.
    let o = run(
        &dir,
        &["app", "--format", "json", "--default-dataplane", "sidecar"],
    );
    assert_eq!(codes(&o), Vec::<String>::new());
    assert!(
        json(&o)["summary"]["unjudged"]
            .get("unknown-dataplane")
            .is_none()
    );
    // A bad label flag is a usage error.
    let o = run(&dir, &["app", "--namespace-label", "shop=ambient"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NAMESPACE:KEY=VALUE"), "{}", stderr(&o));
}

#[test]
fn cluster_facts_in_the_config_file() {
    let dir = app("declared_config");
    write(
        &dir,
        ".ambient-lint.yaml",
        "cluster:\n  namespaces:\n    shop: {labels: {istio.io/dataplane-mode: ambient}}\n    payments: {labels: {istio.io/dataplane-mode: ambient}}\n",
    );
    let o = run(&dir, &["app", "--format", "json"]);
    assert_eq!(codes(&o), vec!["AL201", "AL302"]);
    assert!(
        json(&o)["summary"].get("unjudged").is_none(),
        "{}",
        stdout(&o)
    );

    write(
        &dir,
        ".ambient-lint.yaml",
        "cluster:\n  default-dataplane: ambient\n  objects:\n    - {kind: Pod, namespace: shop, name: x}\n",
    );
    let o = run(&dir, &["app"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(".ambient-lint.yaml:4:14: `Pod` cannot be declared"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_manifest_object_wins_over_a_declared_one_and_declared_places_are_no_files() {
    let dir = scratch("declared_wins");
    // The Namespace object says sidecar; the declaration says ambient: the manifest wins, with
    // no duplicate reported.
    write(
        &dir,
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}}\n",
    );
    write(&dir, "app.yaml", APP);
    let o = run(
        &dir,
        &[
            ".",
            "--format",
            "json",
            "--ambient-namespace",
            "shop",
            "--known-namespace",
            "payments",
        ],
    );
    assert_eq!(codes(&o), Vec::<String>::new(), "{}", stdout(&o));

    // A Service declared without ports: a route's backend port is not called missing, and a
    // related location in declared facts is named, never shown as a file.
    let dir = scratch("declared_related");
    write(
        &dir,
        "route.yaml",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: shop}\nspec:\n  parentRefs: [{name: edge, namespace: infra}]\n  rules:\n    - matches: [{method: GET, path: {type: PathPrefix, value: /}}]\n      backendRefs: [{name: api, namespace: payments, port: 80}]\n",
    );
    let o = run(
        &dir,
        &[
            "route.yaml",
            "--format",
            "json",
            "--declare",
            "Gateway infra/edge istio",
            "--declare",
            "Service payments/api",
        ],
    );
    let v = json(&o);
    let text = stdout(&o);
    assert!(!text.contains("declared on the command line\","), "{text}");
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["file"], "route.yaml", "{text}");
        for r in f["related"].as_array().unwrap() {
            assert_eq!(r["file"], "route.yaml", "{text}");
        }
    }
    assert!(!codes(&o).contains(&"AL406".to_string()), "{text}");
    assert!(!codes(&o).contains(&"AL404".to_string()), "{text}");
    let human = stdout(&run(
        &dir,
        &[
            "route.yaml",
            "--color",
            "never",
            "--declare",
            "Gateway infra/edge istio",
            "--declare",
            "Service payments/api",
        ],
    ));
    assert!(!human.contains("╭─[declared"), "{human}");

    // With ports declared in the config file, a wrong backend port is found; the Service's
    // ports are where they were declared, named in the human format and left out of JSON.
    write(
        &dir,
        ".ambient-lint.yaml",
        "cluster:\n  objects:\n    - {kind: Service, namespace: payments, name: api, ports: [8080]}\n    - {kind: Gateway, namespace: infra, name: edge, gatewayClassName: istio}\n",
    );
    let human = stdout(&run(&dir, &["route.yaml", "--color", "never"]));
    assert!(
        human.contains("☞ the Service's ports (declared in .ambient-lint.yaml)"),
        "{human}"
    );
    assert!(
        human.contains("1 error, 0 warnings in 1 file (1 resource)"),
        "{human}"
    );
    let o = run(&dir, &["route.yaml", "--format", "json"]);
    assert_eq!(codes(&o), vec!["AL408"]);
    assert_eq!(json(&o)["findings"][0]["related"], serde_json::json!([]));
    let sarif = stdout(&run(&dir, &["route.yaml", "--format", "sarif"]));
    assert!(!sarif.contains("\"uri\": \"declared in"), "{sarif}");
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["relatedLocations"],
        serde_json::json!([])
    );
}

#[test]
fn context_takes_files_folders_and_kubectl_dumps() {
    let dir = app("context_dump");
    // `kubectl get ns -o yaml` output, and a NamespaceList, read with --context.
    write(
        &dir,
        "ns.yaml",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\nmetadata: {resourceVersion: \"\"}\n",
    );
    write(
        &dir,
        "platform/namespaces.yaml",
        "apiVersion: v1\nkind: NamespaceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: payments, labels: {istio.io/dataplane-mode: ambient}}\n",
    );
    let o = run(
        &dir,
        &[
            "--context",
            "ns.yaml",
            "--context",
            "platform",
            "app",
            "--format",
            "json",
        ],
    );
    assert_eq!(codes(&o), vec!["AL201", "AL302"], "{}", stdout(&o));
    assert!(
        json(&o)["summary"].get("unjudged").is_none(),
        "{}",
        stdout(&o)
    );

    let missing = run(&dir, &["--context", "nowhere.yaml", "app"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("nowhere.yaml: no such file or directory"));
}

#[test]
fn warnings_for_paths_that_yield_nothing_symlinks_and_misnamed_configs() {
    let dir = app("warnings");
    write(&dir, "empty/README.md", "nothing here\n");
    write(&dir, "values/data.yaml", "replicas: 3\n");
    write(&dir, ".ambient-lint.yml", "fail-on: never\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("app/app.yaml"), dir.join("app/link.yaml")).unwrap();
    let o = run(
        &dir,
        &["app", "empty", "values/data.yaml", "--format", "json"],
    );
    let err = stderr(&o);
    assert!(
        err.contains("ambient-lint: warning: empty: no Kubernetes manifest found there"),
        "{err}"
    );
    assert!(
        err.contains("ambient-lint: warning: values/data.yaml: no Kubernetes manifest found there"),
        "{err}"
    );
    assert!(!err.contains("warning: app:"), "{err}");
    #[cfg(unix)]
    assert!(
        err.contains("ambient-lint: warning: app/link.yaml: symbolic link skipped"),
        "{err}"
    );
    assert!(
        err.contains("ambient-lint: warning: .ambient-lint.yml is not read: the config file must be named `.ambient-lint.yaml`"),
        "{err}"
    );
    // Warnings change nothing else: the report and the exit status are as without them.
    assert_eq!(o.status.code(), Some(0));
    json(&o);
    // With the right name, no warning.
    std::fs::rename(
        dir.join(".ambient-lint.yml"),
        dir.join(".ambient-lint.yaml"),
    )
    .unwrap();
    assert!(!stderr(&run(&dir, &["app"])).contains(".ambient-lint.yml"));
}

#[test]
fn a_pre_commit_run_reports_what_a_changed_label_breaks_in_an_unchanged_policy() {
    let dir = scratch("pre_commit_label");
    write(
        &dir,
        "k8s/namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\n",
    );
    // Every pod's ingress is denied but for what `allow-hbone` admits to `app: api`.
    write(
        &dir,
        "k8s/netpol.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-hbone, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n    - ports: [{port: 15008, protocol: TCP}, {port: 8080}]\n",
    );
    let deployment = |label: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {label}}}}}\n  template:\n    metadata: {{labels: {{app: {label}}}}}\n    spec: {{containers: [{{name: a, image: a}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: shop}}\nspec: {{selector: {{app: {label}}}, ports: [{{port: 8080}}]}}\n"
        )
    };
    write(&dir, "k8s/api.yaml", &deployment("api"));
    let before = run(
        &dir,
        &["--context", "k8s", "k8s/api.yaml", "--format", "json"],
    );
    assert!(
        !codes(&before).contains(&"AL302".to_string()),
        "{}",
        stdout(&before)
    );

    // The commit changes only the pod label: `allow-hbone` no longer selects the pods, and the
    // unchanged deny-all now blocks HBONE to them. The finding is located in netpol.yaml, which
    // the commit does not touch, but it concerns the changed Deployment, so the hook reports it.
    write(&dir, "k8s/api.yaml", &deployment("api-v2"));
    let o = run(
        &dir,
        &["--context", "k8s", "k8s/api.yaml", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    let al302 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "AL302")
        .unwrap_or_else(|| panic!("AL302 not reported: {}", stdout(&o)));
    assert_eq!(al302["file"], "k8s/netpol.yaml");
    assert!(
        al302["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["file"] == "k8s/api.yaml"),
        "{al302}"
    );
    // What concerns only unchanged files stays unreported: AL307 on `allow-hbone`, which now
    // selects no pods, has no location in the changed file.
    assert!(!codes(&o).contains(&"AL307".to_string()), "{}", stdout(&o));
    // Linting the whole tree reports it.
    let all = run(&dir, &["k8s", "--format", "json"]);
    assert!(
        codes(&all).contains(&"AL307".to_string()),
        "{}",
        stdout(&all)
    );
}
