//! Real repositories as users lint them: kustomize trees rendered per root, units, and rendered
//! input on standard input mapped back to its source files. Rendering uses the kubectl (or
//! kustomize) on PATH, as a user's run does; CI installs kubectl, so there a missing binary is a
//! failure, elsewhere the tests that need it say they were skipped.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{scratch, write};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ambient-lint"));
    c.args(["--no-config", "--color", "never"]);
    c
}

fn can_render(test: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p)
            .any(|d| d.join("kubectl").is_file() || d.join("kustomize").is_file())
    });
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: CI must have kubectl or kustomize on PATH"
        );
        eprintln!("{test}: skipped, neither kubectl nor kustomize is on PATH");
    }
    found
}

fn json_in(dir: &Path, args: &[&str]) -> (serde_json::Value, Output) {
    let o = bin()
        .args(args)
        .args(["--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (v, o)
}

/// `ambient-lint . --format json` in `dir`, reading its `.ambient-lint.yaml` as a user's run does.
fn json_with_config(dir: &Path) -> (serde_json::Value, Output) {
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "json", "--color", "never"])
        .current_dir(dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)));
    (v, o)
}

/// (code, file, line) of every finding.
fn located(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

const NAMESPACE: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
";

const APP: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      containers: [{name: web, image: web}]
";

fn policy(principal: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: web
spec:
  selector:
    matchLabels: {{app: web}}
  rules:
  - from:
    - source:
        principals: [\"{principal}\"]
"
    )
}

/// base/ holds the app and a policy; overlays/prod puts it in `shop` with a `prod-` prefix.
fn overlay_tree(name: &str, principal: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(
        &dir,
        "base/kustomization.yaml",
        "resources: [app.yaml, policy.yaml]\n",
    );
    write(&dir, "base/app.yaml", APP);
    write(&dir, "base/policy.yaml", &policy(principal));
    write(
        &dir,
        "overlays/prod/kustomization.yaml",
        "namespace: shop\nnamePrefix: prod-\nresources: [../../base, namespace.yaml]\nlabels:\n- pairs: {team: shop}\n  includeSelectors: true\n",
    );
    write(&dir, "overlays/prod/namespace.yaml", NAMESPACE);
    dir
}

#[test]
fn a_principal_is_judged_against_the_names_kustomize_gives() {
    if !can_render("a_principal_is_judged_against_the_names_kustomize_gives") {
        return;
    }
    // kustomize renames the account to prod-web, and updates serviceAccountName with it.
    let dir = overlay_tree("kustomize_prefix_wrong", "cluster.local/ns/shop/sa/web");
    let (v, _) = json_in(&dir, &["."]);
    assert_eq!(
        located(&v),
        vec![("AL206".into(), "base/policy.yaml".into(), 11)],
        "{v:#}"
    );
    let f = &v["findings"][0];
    assert!(
        f["help"].as_str().unwrap().contains("`prod-web`"),
        "the help names the account kustomize made: {f:#}"
    );
    assert_eq!(f["resource"]["name"], "prod-web", "the rendered object");
    assert_eq!(f["resource"]["namespace"], "shop");

    let dir = overlay_tree(
        "kustomize_prefix_right",
        "cluster.local/ns/shop/sa/prod-web",
    );
    let (v, o) = json_in(&dir, &["."]);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_field_set_by_a_patch_is_shown_in_the_patch() {
    if !can_render("a_field_set_by_a_patch_is_shown_in_the_patch") {
        return;
    }
    let dir = overlay_tree("kustomize_patch", "cluster.local/ns/shop/sa/prod-web");
    write(
        &dir,
        "overlays/prod/kustomization.yaml",
        "namespace: shop\nnamePrefix: prod-\nresources: [../../base, namespace.yaml]\npatches:\n- path: policy-patch.yaml\n- path: ops.yaml\n  target: {kind: AuthorizationPolicy, name: web}\n",
    );
    write(
        &dir,
        "overlays/prod/policy-patch.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web\nspec:\n  rules:\n  - from:\n    - source:\n        principals: [\"cluster.local/ns/shop/sa/prod-web\"]\n    to:\n    - operation:\n        methods: [\"GET\"]\n",
    );
    write(
        &dir,
        "overlays/prod/ops.yaml",
        "- op: add\n  path: /spec/rules/0/to/0/operation/paths\n  value: [\"/admin\"]\n",
    );
    let (v, _) = json_in(&dir, &["."]);
    let found = located(&v);
    assert!(
        found.contains(&("AL201".into(), "overlays/prod/policy-patch.yaml".into(), 12)),
        "`methods` is written by the strategic-merge patch: {v:#}"
    );
    let related = &v["findings"][0]["related"];
    assert!(
        related
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["file"] == "overlays/prod/ops.yaml" && r["line"] == 3),
        "`paths` is written by the JSON patch's value: {v:#}"
    );
    assert!(
        found
            .iter()
            .all(|(_, file, _)| !file.contains("kustomize build")),
        "no location in rendered text: {v:#}"
    );
    // The patch and the JSON patch are not objects of their own.
    assert!(
        found.iter().all(|(c, _, _)| c != "AL002" && c != "AL004"),
        "{v:#}"
    );
}

#[test]
fn a_base_shared_by_two_overlays_reports_once_naming_them() {
    if !can_render("a_base_shared_by_two_overlays_reports_once_naming_them") {
        return;
    }
    let dir = overlay_tree("kustomize_shared_base", "cluster.local/ns/shop/sa/web");
    write(
        &dir,
        "overlays/dev/kustomization.yaml",
        "namespace: shop\nnamePrefix: dev-\nresources: [../../base, ../prod/namespace.yaml]\n",
    );
    // A file in the tree that no kustomization reads: applied by nobody, so not linted.
    write(&dir, "overlays/dev/old-policy.yaml", &policy("broken"));
    let (v, o) = json_in(&dir, &["."]);
    let found = located(&v);
    assert_eq!(found.len(), 1, "{v:#}");
    assert_eq!(found[0], ("AL206".into(), "base/policy.yaml".into(), 11));
    let message = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.ends_with("(in overlays `overlays/dev`, `overlays/prod`)"),
        "{message}"
    );
    assert_eq!(v["summary"]["units"], 2);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("overlays/dev/old-policy.yaml"),
        "the unread file is named: {stderr}"
    );
}

#[test]
fn a_comment_suppression_in_a_base_applies_to_what_it_renders() {
    if !can_render("a_comment_suppression_in_a_base_applies_to_what_it_renders") {
        return;
    }
    let dir = overlay_tree("kustomize_suppression", "cluster.local/ns/shop/sa/web");
    let suppressed = policy("cluster.local/ns/shop/sa/web").replace(
        "        principals:",
        "        # ambient-lint: ignore[AL206] the account is made by the platform\n        principals:",
    );
    write(&dir, "base/policy.yaml", &suppressed);
    let (v, o) = json_in(&dir, &["."]);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn units_keep_alternatives_apart() {
    let dir = scratch("units_alternatives");
    for (env, port) in [("dev", 8080), ("prod", 9090)] {
        write(
            &dir,
            &format!("envs/{env}/app.yaml"),
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: {port}}}]\n"
            ),
        );
    }
    // As one cluster: the two copies collide.
    let (v, _) = json_in(&dir, &["."]);
    assert_eq!(
        located(&v),
        vec![("AL004".into(), "envs/prod/app.yaml".into(), 3)],
        "{v:#}"
    );
    assert_eq!(v["findings"][0]["severity"], "warning", "{v:#}");
    // Declared as units: each is a cluster of its own.
    write(&dir, ".ambient-lint.yaml", "units: [\"envs/*\"]\n");
    let (v, o) = json_with_config(&dir);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(v["summary"]["units"], 2);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The same config kept outside the tree: its glob is relative to its own folder and names
    // nothing here, which is said rather than silently linting everything as one unit.
    let elsewhere = scratch("units_config_elsewhere");
    write(&elsewhere, "units.yaml", "units: [\"envs/*\"]\n");
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "json", "--config"])
        .arg(elsewhere.join("units.yaml"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["units"], 1);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("`units:` glob `envs/*` names no folder of the input"),
        "{stderr}"
    );
}

#[test]
fn without_a_renderer_the_root_is_linted_as_written_and_said_so() {
    let dir = overlay_tree("kustomize_no_renderer", "cluster.local/ns/shop/sa/web");
    let o = bin()
        .args([".", "--format", "json"])
        .env("AMBIENT_LINT_KUSTOMIZE", "")
        .current_dir(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = located(&v);
    assert!(
        found.contains(&("AL006".into(), "overlays/prod/kustomization.yaml".into(), 1)),
        "{v:#}"
    );
    // The namespace is still applied: the policy is judged in `shop`, where `web` exists.
    assert!(found.iter().all(|(c, _, _)| c != "AL206"), "{v:#}");
}

fn pipe(dir: &Path, args: &[&str], input: &str) -> serde_json::Value {
    let args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let o = common::run_in_with_stdin(dir, &args, input);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn helm_output_maps_to_its_templates() {
    let dir = scratch("helm_source");
    write(
        &dir,
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        &dir,
        "charts/web/templates/policy.yaml",
        "{{- if .Values.policy }}\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\nspec:\n  rules:\n  - to:\n    - operation:\n        # ambient-lint: ignore[AL201] a waypoint takes over next sprint\n        methods: [\"GET\"]\n  - to:\n    - operation:\n        paths: [\"/admin\"]\n{{- end }}\n",
    );
    let rendered = format!(
        "---\n# Source: web/templates/namespace.yaml\n{NAMESPACE}---\n# Source: web/templates/policy.yaml\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: rel\n  namespace: shop\nspec:\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n  - to:\n    - operation:\n        paths: [\"/admin\"]\n"
    );
    let v = pipe(&dir, &["-"], &rendered);
    assert_eq!(
        located(&v),
        vec![(
            "AL201".into(),
            "charts/web/templates/policy.yaml".into(),
            15
        )],
        "{v:#}"
    );
    assert_eq!(
        v["summary"]["suppressed"], 1,
        "the template's comment applies"
    );
}

#[test]
fn kustomize_output_maps_through_origin_annotations() {
    let dir = scratch("kustomize_origin");
    // Namespace-wide: a selector that matches no workload would make the principal moot.
    let policy = |p: &str| policy(p).replace("  selector:\n    matchLabels: {app: web}\n", "");
    write(
        &dir,
        "base/policy.yaml",
        &policy("cluster.local/ns/shop/sa/web"),
    );
    write(&dir, "base/namespace.yaml", NAMESPACE);
    let rendered = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: api, namespace: shop}}\n---\n{}---\n{}",
        NAMESPACE.replace(
            "metadata:\n",
            "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../base/namespace.yaml\n"
        ),
        policy("cluster.local/ns/shop/sa/web").replace(
            "metadata:\n",
            "metadata:\n  namespace: shop\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../base/policy.yaml\n"
        )
    );
    // The origin is relative to the kustomization built, which --stdin-filename names.
    write(
        &dir,
        "overlays/prod/kustomization.yaml",
        "resources: [../../base]\n",
    );
    let v = pipe(
        &dir,
        &[
            "-",
            "--stdin-filename",
            "overlays/prod/kustomization.yaml",
            "--assume-complete",
            "--ignore",
            "AL212",
        ],
        &rendered,
    );
    assert_eq!(
        located(&v),
        vec![("AL206".into(), "base/policy.yaml".into(), 9)],
        "{v:#}"
    );
}

#[test]
fn name_suffixes_and_labels_are_applied_as_kustomize_applies_them() {
    if !can_render("name_suffixes_and_labels_are_applied_as_kustomize_applies_them") {
        return;
    }
    let dir = scratch("kustomize_suffix_labels");
    write(&dir, "base/kustomization.yaml", "resources: [app.yaml]\n");
    write(&dir, "base/app.yaml", APP);
    // The policy selects the label kustomize adds, and names the account with its suffix.
    write(
        &dir,
        "overlay/kustomization.yaml",
        "namespace: shop\nnameSuffix: -v2\ncommonLabels: {tier: back}\nresources: [../base, namespace.yaml, policy.yaml]\n",
    );
    write(&dir, "overlay/namespace.yaml", NAMESPACE);
    write(
        &dir,
        "overlay/policy.yaml",
        &policy("cluster.local/ns/shop/sa/web-v2").replace("{app: web}", "{tier: back}"),
    );
    let (v, o) = json_in(&dir, &["."]);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(o.status.code(), Some(0));
    // As written, the selector matches nothing and the account does not exist.
    let (v, _) = json_in(&dir, &[".", "--no-render", "--assume-complete"]);
    let codes: Vec<String> = located(&v).into_iter().map(|(c, _, _)| c).collect();
    assert!(codes.contains(&"AL212".to_string()), "{v:#}");
}

#[test]
fn a_component_writes_its_own_findings() {
    if !can_render("a_component_writes_its_own_findings") {
        return;
    }
    let dir = overlay_tree("kustomize_component", "cluster.local/ns/shop/sa/prod-web");
    write(
        &dir,
        "overlays/prod/kustomization.yaml",
        "namespace: shop\nnamePrefix: prod-\nresources: [../../base, namespace.yaml]\ncomponents: [../../components/readonly]\n",
    );
    write(
        &dir,
        "components/readonly/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [readonly.yaml]\n",
    );
    write(
        &dir,
        "components/readonly/readonly.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: readonly\nspec:\n  selector:\n    matchLabels: {app: web}\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n",
    );
    let (v, _) = json_in(&dir, &["."]);
    assert_eq!(
        located(&v),
        vec![(
            "AL201".into(),
            "components/readonly/readonly.yaml".into(),
            11
        )],
        "a component is no root of its own; its object is linted in the overlay: {v:#}"
    );
}

/// The three ways the README shows — an app repository with declared facts, a kustomize tree, a
/// helm chart piped in — give findings at source files in every format.
#[test]
fn every_format_points_at_source_files() {
    if !can_render("every_format_points_at_source_files") {
        return;
    }
    let kustomize = overlay_tree("formats_kustomize", "cluster.local/ns/shop/sa/web");
    let app = scratch("formats_app");
    write(
        &app,
        "k8s/policy.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n",
    );
    let helm = scratch("formats_helm");
    write(
        &helm,
        "web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(
        &helm,
        "web/templates/policy.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n",
    );
    let rendered = format!(
        "---\n# Source: web/templates/ns.yaml\n{NAMESPACE}---\n# Source: web/templates/policy.yaml\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: rel\n  namespace: shop\nspec:\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n"
    );
    let cases: [(&Path, Vec<&str>, Option<&str>, &str); 3] = [
        (
            &app,
            vec!["k8s", "--default-dataplane", "ambient"],
            None,
            "k8s/policy.yaml",
        ),
        (&kustomize, vec!["."], None, "base/policy.yaml"),
        (
            &helm,
            vec!["-"],
            Some(rendered.as_str()),
            "web/templates/policy.yaml",
        ),
    ];
    for (dir, args, input, source) in cases {
        for format in ["human", "concise", "json", "sarif", "github", "gitlab"] {
            let mut child = bin()
                .args(&args)
                .args(["--format", format])
                .current_dir(dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.unwrap_or("").as_bytes()).unwrap();
            drop(stdin);
            let o = child.wait_with_output().unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            assert_eq!(
                o.status.code(),
                Some(1),
                "{format} in {}: {out}",
                dir.display()
            );
            assert!(out.contains(source), "{format} names {source}: {out}");
            for never in ["(kustomize build)", "<stdin>", "\"stdin\"", "file=stdin"] {
                assert!(!out.contains(never), "{format} shows `{never}`: {out}");
            }
        }
    }
}

/// What the pre-commit hook runs: the changed files, judged against the whole tree. A change to a
/// base is judged in every overlay that renders it, and reported at the base.
#[test]
fn pre_commit_on_a_changed_base_reports_what_the_overlays_render() {
    if !can_render("pre_commit_on_a_changed_base_reports_what_the_overlays_render") {
        return;
    }
    let dir = overlay_tree("precommit_kustomize", "cluster.local/ns/shop/sa/web");
    let (v, o) = json_in(&dir, &["--context", ".", "base/policy.yaml"]);
    assert_eq!(
        located(&v),
        vec![("AL206".into(), "base/policy.yaml".into(), 11)],
        "{v:#}"
    );
    assert_eq!(o.status.code(), Some(1));
    // A change elsewhere does not report the base's finding.
    let (v, o) = json_in(&dir, &["--context", ".", "overlays/prod/namespace.yaml"]);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(o.status.code(), Some(0));
}

/// A root naming a remote base cannot be rendered offline: its local bases are rendered one by
/// one into the root's unit, and since objects may be missing, nothing is called absent.
#[test]
fn a_root_with_a_remote_base_renders_its_local_bases_and_calls_nothing_missing() {
    if !can_render("a_root_with_a_remote_base_renders_its_local_bases_and_calls_nothing_missing") {
        return;
    }
    let dir = scratch("kustomize_remote");
    write(
        &dir,
        "overlay/kustomization.yaml",
        "namespace: shop\nresources:\n- ../base\n- ../other\n- namespace.yaml\n- https://github.com/example/repo//deploy?ref=v1\n",
    );
    // Two bases that both define the namespace: rendered apart, their overlap is not judged.
    write(
        &dir,
        "other/kustomization.yaml",
        "resources: [namespace.yaml]\n",
    );
    write(
        &dir,
        "other/namespace.yaml",
        &NAMESPACE.replace("labels: {", "labels: {team: other, "),
    );
    write(&dir, "overlay/namespace.yaml", NAMESPACE);
    write(
        &dir,
        "base/kustomization.yaml",
        "resources: [policies.yaml]\n",
    );
    write(
        &dir,
        "base/policies.yaml",
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: web\nspec:\n  rules:\n  - to:\n    - operation:\n        methods: [\"GET\"]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: remote-app\nspec:\n  podSelector:\n    matchLabels: {app: from-the-remote-base}\n  policyTypes: [Ingress]\n",
    );
    let (v, _) = json_in(&dir, &[".", "--assume-complete"]);
    let found = located(&v);
    assert!(
        found.contains(&("AL006".into(), "overlay/kustomization.yaml".into(), 6)),
        "at the remote resource: {v:#}"
    );
    assert!(
        found.contains(&("AL201".into(), "base/policies.yaml".into(), 9)),
        "the local base is rendered, in the root's namespace: {v:#}"
    );
    assert!(
        found.iter().all(|(c, _, _)| c != "AL307"),
        "the remote base may hold the pods: {v:#}"
    );
    assert!(
        found.iter().all(|(c, _, _)| c != "AL004"),
        "parts rendered apart are no duplicates: {v:#}"
    );
    assert_eq!(v["summary"]["units"], 1, "one root, one cluster");
}

#[test]
fn units_can_name_alternative_files_in_one_folder() {
    let dir = scratch("units_files");
    for v in ["v1", "v2"] {
        write(
            &dir,
            &format!("samples/httpbin-{v}.yaml"),
            &format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: httpbin, namespace: shop, labels: {{version: {v}}}}}\nspec:\n  selector: {{app: httpbin}}\n  ports: [{{port: 8000}}]\n"
            ),
        );
    }
    let (v, _) = json_in(&dir, &["."]);
    assert_eq!(v["findings"][0]["code"], "AL004", "{v:#}");
    assert_eq!(v["findings"][0]["severity"], "error", "one folder: {v:#}");
    write(&dir, ".ambient-lint.yaml", "units: [\"samples/*.yaml\"]\n");
    let (v, _) = json_with_config(&dir);
    assert_eq!(located(&v), vec![], "{v:#}");
    assert_eq!(v["summary"]["units"], 2);
}

/// kustomize renames a Service with `namePrefix` but does not know that an HTTPRoute's
/// `backendRefs` name Services: the route keeps pointing at the old name. Only the rendered view
/// shows it.
#[test]
fn a_route_backend_kustomize_does_not_rename_is_found() {
    if !can_render("a_route_backend_kustomize_does_not_rename_is_found") {
        return;
    }
    let dir = scratch("kustomize_route_backend");
    write(&dir, "base/kustomization.yaml", "resources: [app.yaml]\n");
    write(
        &dir,
        "base/app.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector: {app: api}\n  ports: [{port: 8080}]\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: api\nspec:\n  parentRefs: [{name: api}]\n  rules:\n  - backendRefs:\n    - {name: api, port: 8080}\n",
    );
    write(
        &dir,
        "overlay/kustomization.yaml",
        "namespace: shop\nnamePrefix: prod-\nresources: [../base]\n",
    );
    let (v, _) = json_in(&dir, &["."]);
    let found = located(&v);
    assert!(
        found.contains(&("AL406".into(), "base/app.yaml".into(), 17)),
        "{v:#}"
    );
    let message = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "AL406")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("`shop/api`"), "{message}");
}

/// A kustomization that does not parse is an error at its position (kustomize refuses it), and
/// the files beside it are still linted.
#[test]
fn a_broken_kustomization_is_reported_and_the_rest_is_linted() {
    let dir = scratch("kustomize_broken");
    write(
        &dir,
        "app/kustomization.yaml",
        "resources: [policy.yaml\nnamespace: shop\n",
    );
    write(
        &dir,
        "app/policy.yaml",
        &policy("spiffe://cluster.local/ns/shop/sa/web"),
    );
    let (v, o) = json_in(&dir, &["."]);
    let found = located(&v);
    assert!(
        found.contains(&("AL001".into(), "app/kustomization.yaml".into(), 2)),
        "{v:#}"
    );
    assert!(
        found
            .iter()
            .any(|(c, f, _)| c == "AL208" && f == "app/policy.yaml"),
        "{v:#}"
    );
    assert_eq!(o.status.code(), Some(1));
}
