//! `ambient-lint connectivity` as a user runs it: plain NetworkPolicy semantics, address blocks,
//! naming of Pod objects, inputs that are not manifests, exit codes, and what ambient's wire
//! changes.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{scratch, write};

use serde_json::{Value, json};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .arg("connectivity")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Runs `connectivity --format json --no-config` on the folder and returns the report.
fn report(dir: &Path, mode: &str) -> Value {
    let o = run(
        dir,
        &["--mode", mode, "--format", "json", "--no-config", "."],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["mode"], mode);
    v
}

/// `ns/name[Kind]` or a CIDR.
fn peer_name(p: &Value) -> String {
    match p.get("ip") {
        Some(ip) => ip.as_str().unwrap().to_string(),
        None => format!(
            "{}/{}[{}]",
            p["namespace"].as_str().unwrap(),
            p["name"].as_str().unwrap(),
            p["kind"].as_str().unwrap()
        ),
    }
}

/// Every pair: (src, dst) → conns.
fn pairs(v: &Value) -> Vec<(String, String, Value)> {
    v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                peer_name(&c["src"]),
                peer_name(&c["dst"]),
                c["conns"].clone(),
            )
        })
        .collect()
}

fn conns(v: &Value, src: &str, dst: &str) -> Option<Value> {
    pairs(v)
        .into_iter()
        .find(|(s, d, _)| s == src && d == dst)
        .map(|(_, _, c)| c)
}

fn deployment(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {labels}}}\n  template:\n    metadata: {{labels: {labels}}}\n    spec:\n      containers: [{{name: c, image: x, ports: {ports}}}]\n---\n"
    )
}

fn namespace(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {labels}}}\n---\n")
}

#[test]
fn no_policy_allows_everything_between_every_pair() {
    let dir = scratch("conn-default-allow");
    let text = deployment("shop", "web", "{app: web}", "[]")
        + &deployment("shop", "api", "{app: api}", "[{containerPort: 8080}]");
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "plain");
    let all = json!("all");
    assert_eq!(
        pairs(&v),
        vec![
            (
                "shop/api[Deployment]".into(),
                "shop/web[Deployment]".into(),
                all.clone()
            ),
            (
                "shop/api[Deployment]".into(),
                "0.0.0.0/0".into(),
                all.clone()
            ),
            (
                "shop/web[Deployment]".into(),
                "shop/api[Deployment]".into(),
                all.clone()
            ),
            (
                "shop/web[Deployment]".into(),
                "0.0.0.0/0".into(),
                all.clone()
            ),
            (
                "0.0.0.0/0".into(),
                "shop/api[Deployment]".into(),
                all.clone()
            ),
            ("0.0.0.0/0".into(), "shop/web[Deployment]".into(), all),
        ]
    );
    // The table: aligned columns, sorted by source then destination.
    let o = run(&dir, &["--mode", "plain", "--no-config", "."]);
    assert_eq!(o.status.code(), Some(0));
    let table = stdout(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["SRC", "DST", "CONNECTIONS"]
    );
    assert_eq!(lines[1], "shop/api[Deployment]  shop/web[Deployment]  all");
    assert_eq!(lines.len(), 7, "{table}");
    assert_eq!(
        lines[0].find("DST"),
        lines[1].find("shop/web"),
        "columns aligned: {table}"
    );
}

const POLICY_HEAD: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n";

#[test]
fn ingress_isolation_admits_only_the_selected_peers_and_ports() {
    let dir = scratch("conn-ingress");
    let text = deployment("shop", "web", "{app: web}", "[]")
        + &deployment("shop", "api", "{app: api}", "[]")
        + &deployment(
            "shop",
            "db",
            "{app: db}",
            "[{containerPort: 5432, name: pg}]",
        )
        + POLICY_HEAD
        + "  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: api}}}]\n      ports: [{port: pg}, {port: 9000, endPort: 9010}, {port: 53, protocol: UDP}, {protocol: SCTP}]\n";
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "plain");
    assert_eq!(
        conns(&v, "shop/api[Deployment]", "shop/db[Deployment]"),
        Some(json!({"TCP": [5432, [9000, 9010]], "UDP": [53], "SCTP": [[1, 65535]]}))
    );
    assert_eq!(
        conns(&v, "shop/web[Deployment]", "shop/db[Deployment]"),
        None
    );
    assert_eq!(conns(&v, "0.0.0.0/0", "shop/db[Deployment]"), None);
    // Egress is not isolated: db still reaches everyone.
    assert_eq!(
        conns(&v, "shop/db[Deployment]", "shop/web[Deployment]"),
        Some(json!("all"))
    );
    let o = run(&dir, &["--mode", "plain", "--no-config", "."]);
    assert!(
        stdout(&o).contains(
            "shop/api[Deployment]  shop/db[Deployment]   SCTP 1-65535; TCP 5432,9000-9010; UDP 53"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_and_in_two() {
    let dir = scratch("conn-ns-and-pod");
    let text = namespace("shop", "{team: a}")
        + &namespace("ops", "{team: b}")
        + &deployment("shop", "api", "{app: api}", "[]")
        + &deployment("shop", "web", "{app: web}", "[]")
        + &deployment("ops", "web", "{app: web}", "[]")
        + &deployment("ops", "mon", "{app: mon}", "[]")
        // Undeclared namespace: only its name label, so `team: b` does not match it.
        + &deployment("other", "web", "{app: web}", "[]")
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: and, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: b}}\n          podSelector: {matchLabels: {app: web}}\n---\n"
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: or, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - namespaceSelector: {matchLabels: {team: b}}\n        - podSelector: {matchLabels: {app: api}}\n";
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "plain");
    let to = |src: &str, dst: &str| conns(&v, src, dst).is_some();
    // AND: web pods of team-b namespaces only.
    assert!(to("ops/web[Deployment]", "shop/api[Deployment]"));
    assert!(!to("ops/mon[Deployment]", "shop/api[Deployment]"));
    assert!(!to("shop/web[Deployment]", "shop/api[Deployment]"));
    assert!(!to("other/web[Deployment]", "shop/api[Deployment]"));
    // OR: every pod of team-b namespaces, or api pods of the policy's namespace.
    assert!(to("ops/web[Deployment]", "shop/web[Deployment]"));
    assert!(to("ops/mon[Deployment]", "shop/web[Deployment]"));
    assert!(to("shop/api[Deployment]", "shop/web[Deployment]"));
    assert!(!to("other/web[Deployment]", "shop/web[Deployment]"));
}

#[test]
fn ip_blocks_are_cut_by_their_excepts() {
    let dir = scratch("conn-ipblock");
    let text = deployment("shop", "api", "{app: api}", "[]")
        + POLICY_HEAD
        + "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n      ports: [{port: 443}]\n  egress:\n    - to: [{ipBlock: {cidr: 192.168.0.0/16}}]\n";
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "plain");
    let into_api: Vec<(String, Value)> = pairs(&v)
        .into_iter()
        .filter(|(_, d, _)| d == "shop/api[Deployment]")
        .map(|(s, _, c)| (s, c))
        .collect();
    let tcp443 = json!({"TCP": [443]});
    let expected: Vec<(String, Value)> = [
        "10.0.0.0/16",
        "10.2.0.0/15",
        "10.4.0.0/14",
        "10.8.0.0/13",
        "10.16.0.0/12",
        "10.32.0.0/11",
        "10.64.0.0/10",
        "10.128.0.0/9",
    ]
    .iter()
    .map(|c| (c.to_string(), tcp443.clone()))
    .collect();
    assert_eq!(into_api, expected);
    assert_eq!(
        conns(&v, "shop/api[Deployment]", "192.168.0.0/16"),
        Some(json!("all"))
    );
    assert_eq!(pairs(&v).len(), 9, "{v:#}");
}

#[test]
fn egress_and_ingress_must_both_admit() {
    let dir = scratch("conn-intersection");
    let text = deployment("shop", "web", "{app: web}", "[]")
        + &deployment("shop", "api", "{app: api}", "[]")
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n    - to: [{podSelector: {matchLabels: {app: api}}}]\n      ports: [{port: 80, endPort: 90}]\n---\n"
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: in, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  ingress:\n    - ports: [{port: 85, endPort: 100}, {port: 53, protocol: UDP}]\n";
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "plain");
    assert_eq!(
        conns(&v, "shop/web[Deployment]", "shop/api[Deployment]"),
        Some(json!({"TCP": [[85, 90]]}))
    );
    assert_eq!(conns(&v, "shop/web[Deployment]", "0.0.0.0/0"), None);
    assert_eq!(
        conns(&v, "0.0.0.0/0", "shop/api[Deployment]"),
        Some(json!({"TCP": [[85, 100]], "UDP": [53]}))
    );
}

fn pod(name: &str, labels: &str, owner: Option<(&str, &str)>) -> String {
    let owner = owner.map_or(String::new(), |(kind, name)| {
        format!("  ownerReferences:\n    - {{apiVersion: v1, kind: {kind}, name: {name}, controller: true, uid: u}}\n")
    });
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  labels: {labels}\n{owner}spec:\n  containers: [{{name: c, image: x}}]\n---\n"
    )
}

#[test]
fn pods_are_named_by_their_controlling_owner() {
    let dir = scratch("conn-owners");
    let text = pod("web-5d8f-a", "{app: web}", Some(("ReplicaSet", "web-5d8f")))
        + &pod("web-5d8f-b", "{app: web}", Some(("ReplicaSet", "web-5d8f")))
        + &pod("etcd-node1", "{app: etcd}", Some(("Node", "node1")))
        + &pod("lone", "{app: lone}", None);
    write(&dir, "pods.yaml", &text);
    let v = report(&dir, "plain");
    let mut names: Vec<String> = pairs(&v).into_iter().map(|(s, _, _)| s).collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        [
            "0.0.0.0/0",
            "shop/etcd-node1[Pod]",
            "shop/lone[Pod]",
            "shop/web-5d8f[ReplicaSet]"
        ]
    );
    // Two pods of one owner are one workload: never a pair with itself.
    assert_eq!(
        conns(&v, "shop/web-5d8f[ReplicaSet]", "shop/web-5d8f[ReplicaSet]"),
        None
    );
    assert_eq!(
        conns(&v, "shop/web-5d8f[ReplicaSet]", "shop/lone[Pod]"),
        Some(json!("all"))
    );
}

#[test]
fn files_that_are_not_manifests_are_skipped() {
    let dir = scratch("conn-non-manifests");
    write(
        &dir,
        "app.yaml",
        &deployment("shop", "api", "{app: api}", "[]"),
    );
    write(
        &dir,
        "more.yaml",
        &(deployment("shop", "web", "{app: web}", "[]") + "kind: [unclosed\n"),
    );
    write(
        &dir,
        "README.md",
        "# Notes\n\n```yaml\nkind: Deployment\n```\n",
    );
    write(&dir, "notes.txt", "not yaml: [\n");
    write(&dir, "data.json", "[1, 2, {\"a\": 3}]\n");
    write(&dir, "config.json", "{\"settings\": {\"x\": 1}}\n");
    write(
        &dir,
        "diagram.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n",
    );
    let v = report(&dir, "plain");
    assert_eq!(
        conns(&v, "shop/api[Deployment]", "shop/web[Deployment]"),
        Some(json!("all"))
    );
    assert_eq!(pairs(&v).len(), 6, "{v:#}");
}

#[test]
fn reports_without_gating_and_fails_only_when_it_cannot_run() {
    let dir = scratch("conn-exit");
    // check would fail on this (AL201: HTTP attributes in an ALLOW policy ztunnel enforces).
    let text = namespace("shop", "{istio.io/dataplane-mode: ambient}")
        + &deployment("shop", "api", "{app: api}", "[{containerPort: 8080}]")
        + "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules:\n    - to:\n        - operation: {methods: [GET]}\n";
    write(&dir, "app.yaml", &text);
    let check = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .current_dir(&dir)
        .args(["check", "--no-config", "."])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    for mode in ["ambient", "plain"] {
        let o = run(&dir, &["--mode", mode, "--no-config", "."]);
        assert_eq!(o.status.code(), Some(0), "{mode}");
    }
    let o = run(&dir, &["--no-config", "missing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing: no such file or directory"));
    assert!(o.stdout.is_empty());
    let o = run(&dir, &["--mode", "wrong", "."]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ambient_carries_pod_traffic_over_hbone() {
    let dir = scratch("conn-ambient");
    // Ingress admits the application port only: plain NetworkPolicy connects web to api on
    // 8080, but in ambient the connection arrives on HBONE's 15008, which nothing admits.
    let text = namespace("shop", "{istio.io/dataplane-mode: ambient}")
        + &deployment("shop", "web", "{app: web}", "[{containerPort: 80}]")
        + &deployment(
            "shop",
            "api",
            "{app: api}",
            "[{containerPort: 8080}, {containerPort: 5353, protocol: UDP}]",
        )
        + &deployment("shop", "db", "{app: db}", "[{containerPort: 5432}]")
        + POLICY_HEAD
        + "  podSelector: {matchLabels: {app: api}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: web}}}]\n      ports: [{port: 8080}, {port: 5353, protocol: UDP}]\n---\n"
        + "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: web}}}]\n      ports: [{port: 15008}]\n---\n"
        + "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: db, namespace: shop}\nspec:\n  selector: {matchLabels: {app: db}}\n  rules:\n    - to: [{operation: {ports: [\"5432\"]}}]\n";
    write(&dir, "app.yaml", &text);
    let plain = report(&dir, "plain");
    assert_eq!(
        conns(&plain, "shop/web[Deployment]", "shop/api[Deployment]"),
        Some(json!({"TCP": [8080], "UDP": [5353]}))
    );
    assert_eq!(
        conns(&plain, "shop/web[Deployment]", "shop/db[Deployment]"),
        Some(json!({"TCP": [15008]}))
    );
    let ambient = report(&dir, "ambient");
    // HBONE is refused; UDP is not captured by ambient and passes as in plain.
    assert_eq!(
        conns(&ambient, "shop/web[Deployment]", "shop/api[Deployment]"),
        Some(json!({"UDP": [5353]}))
    );
    // 15008 admitted: the application's 5432 arrives, and the policy allows it.
    assert_eq!(
        conns(&ambient, "shop/web[Deployment]", "shop/db[Deployment]"),
        Some(json!({"TCP": [5432]}))
    );
    // Ports are the destination's application ports.
    assert_eq!(
        conns(&ambient, "shop/api[Deployment]", "shop/web[Deployment]"),
        Some(json!({"TCP": [80]}))
    );
    assert_eq!(
        conns(&ambient, "0.0.0.0/0", "shop/web[Deployment]"),
        Some(json!({"TCP": [80]}))
    );
}

#[test]
fn ambient_lists_what_the_input_cannot_settle_as_unknown() {
    let dir = scratch("conn-unknown");
    // No Namespace object: whether `shop` is in ambient is not in the input.
    let text = deployment("shop", "web", "{app: web}", "[]")
        + &deployment("shop", "api", "{app: api}", "[{containerPort: 8080}]")
        + POLICY_HEAD
        + "  podSelector: {matchLabels: {app: api}}\n  ingress:\n    - from: [{podSelector: {matchLabels: {app: web}}}]\n      ports: [{port: 8080}]\n";
    write(&dir, "app.yaml", &text);
    let v = report(&dir, "ambient");
    let entry = v["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            peer_name(&c["src"]) == "shop/web[Deployment]"
                && peer_name(&c["dst"]) == "shop/api[Deployment]"
        })
        .cloned()
        .unwrap();
    assert_eq!(entry["conns"], json!({}));
    assert_eq!(entry["unknown"], json!({"TCP": [8080]}));
    let o = run(&dir, &["--no-config", "."]);
    assert!(
        stdout(&o).contains("shop/web[Deployment]  shop/api[Deployment]  unknown: TCP 8080"),
        "{}",
        stdout(&o)
    );
}
