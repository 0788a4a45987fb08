//! `ambient-lint graph`: every intended flow with its verdict, in each format, as a user runs it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{scratch, write};

fn run(args: &[&str]) -> Output {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs the binary from `dir`, where it finds that folder's `.ambient-lint.yaml`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn flows_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["graph", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    doc["flows"].as_array().unwrap().clone()
}

#[test]
fn the_bookstore_flows_the_guide_saw_fail_are_blocked_and_graph_exits_zero() {
    let flows = flows_json(&["examples/bookstore"]);
    assert_eq!(flows.len(), 4);
    assert!(
        flows.iter().all(|f| f["verdict"] == "blocked"),
        "{flows:#?}"
    );
    let ui = flows
        .iter()
        .find(|f| f["to"]["name"] == "ui-service")
        .unwrap();
    assert_eq!(ui["from"]["kind"], "Gateway");
    assert_eq!(ui["from"]["namespace"], "infra");
    assert_eq!(ui["to"]["port"], 80);
    assert_eq!(ui["origin"]["kind"], "route");
    assert_eq!(
        ui["origin"]["file"],
        "examples/bookstore/infra/kgateway/routes/ui-route.yaml"
    );
    assert_eq!(ui["origin"]["line"], 17);
    assert_eq!(ui["wire"], "HBONE (TCP 15008)");
    let decided = &ui["decided_by"][0];
    assert_eq!(decided["layer"], "networkpolicy");
    assert_eq!(decided["direction"], "ingress");
    assert_eq!(decided["policy"]["name"], "default-deny-all");
    assert_eq!(
        decided["file"],
        "examples/bookstore/infra/kubernetes/network-policies/ecom-netpol.yaml"
    );
    // The env flow is cut by both layers: the egress without 15008 and the ALLOW policy whose
    // HTTP rules ztunnel drops.
    let env = flows.iter().find(|f| f["origin"]["kind"] == "env").unwrap();
    assert_eq!(env["from"]["name"], "ecom-service");
    assert_eq!(env["to"]["name"], "inventory-service");
    let layers: Vec<&str> = env["decided_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["layer"].as_str().unwrap())
        .collect();
    assert!(layers.contains(&"networkpolicy") && layers.contains(&"authorization"));
}

#[test]
fn the_fixed_bookstore_has_every_flow_allowed() {
    let flows = flows_json(&["examples/bookstore-fixed"]);
    assert_eq!(flows.len(), 5);
    assert!(
        flows.iter().all(|f| f["verdict"] == "allowed"),
        "{flows:#?}"
    );
    let blocked = flows_json(&["examples/bookstore-fixed", "--blocked"]);
    assert!(blocked.is_empty());
}

#[test]
fn the_table_shows_what_decided_and_counts_the_verdicts() {
    let o = run(&["graph", "examples/bookstore"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let header = out.lines().next().unwrap();
    for column in ["FROM", "TO", "PORT", "ORIGIN", "VERDICT", "DECIDED BY"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        out.contains("4 flows: 0 allowed, 4 blocked, 0 unknown"),
        "{out}"
    );
    let ui = out.lines().find(|l| l.contains("ecom/ui-service")).unwrap();
    assert!(ui.contains("examples/bookstore/infra/kgateway/routes/ui-route.yaml:17"));
    assert!(
        ui.contains("NetworkPolicy ecom/default-deny-all (ingress)"),
        "{ui}"
    );
}

#[test]
fn the_readme_graph_excerpt_is_what_graph_prints() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let excerpt = readme
        .split("`ambient-lint graph examples/bookstore`, excerpt):")
        .nth(1)
        .and_then(|rest| rest.split("```").nth(1))
        .expect("the README has a graph excerpt");
    let out = stdout(&run(&["graph", "examples/bookstore"]));
    // The excerpt leaves out the ORIGIN column; every other cell is printed on one row.
    for line in excerpt.lines().skip(2).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert!(
            out.lines().any(|row| cells.iter().all(|c| row.contains(c))),
            "README row not printed: {line}\n{out}"
        );
    }
}

#[test]
fn dot_and_mermaid_draw_one_edge_per_flow_coloured_by_verdict() {
    let dot = stdout(&run(&["graph", "--format", "dot", "examples/bookstore"]));
    assert!(dot.starts_with("digraph flows {"), "{dot}");
    assert_eq!(dot.matches(" -> ").count(), 4);
    assert!(dot.contains(
        "\"infra/bookstore-gateway\" -> \"ecom/ui-service\" [label=\"80 blocked\", color=red"
    ));
    let mermaid = stdout(&run(&[
        "graph",
        "--format",
        "mermaid",
        "examples/bookstore-fixed",
    ]));
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert_eq!(mermaid.matches("-->").count(), 5);
    assert_eq!(mermaid.matches("stroke:green").count(), 5);
}

#[test]
fn declared_and_forbidden_flows_are_listed_with_their_config_line() {
    let dir = scratch("graph-config");
    write(
        &dir,
        ".ambient-lint.yaml",
        "flows:\n  - {from: shop/web, to: Service shop/catalog, ports: [8080]}\nforbidden-flows:\n  - {from: shop/catalog, to: shop/web}\n",
    );
    write(
        &dir,
        "m.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: catalog, namespace: shop}\nspec:\n  selector: {matchLabels: {app: catalog}}\n  template:\n    metadata: {labels: {app: catalog}}\n    spec: {containers: [{name: catalog, image: catalog, ports: [{containerPort: 8080}]}]}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: catalog, namespace: shop}\nspec:\n  selector: {app: catalog}\n  ports: [{port: 8080}]\n",
    );
    let o = run_in(&dir, &["graph", "--format", "json", "."]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let flows = doc["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 2, "{flows:#?}");
    assert!(flows.iter().all(|f| f["origin"]["kind"] == "config"
        && f["origin"]["file"] == ".ambient-lint.yaml"
        && f["verdict"] == "allowed"));
    assert_eq!(flows[0]["origin"]["line"], 4);
    // The forbidden one gets through: `check` fails on it (AL503), `graph` only reports.
    let check = run_in(&dir, &[".", "--format", "concise"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains(".ambient-lint.yaml:4:5: error[AL503]"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn a_missing_path_cannot_run() {
    let o = run(&["graph", "no/such/path"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/path"));
}

#[test]
fn each_row_names_the_unit_it_was_judged_in() {
    let dir = scratch("graph-units");
    write(&dir, ".ambient-lint.yaml", "units: [\"env-*\"]\n");
    let app = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web, env: [{name: API, value: \"http://api:8080\"}]}]}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: api, ports: [{containerPort: 8080}]}]}\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec:\n  selector: {app: api}\n  ports: [{port: 8080}]\n";
    write(&dir, "env-a/app.yaml", app);
    write(&dir, "env-b/app.yaml", app);
    // In env-c the api's ingress admits no HBONE: the same flow is cut there.
    write(
        &dir,
        "env-c/app.yaml",
        &format!(
            "{app}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: api, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: api}}}}\n  ingress: [{{ports: [{{port: 8080}}]}}]\n"
        ),
    );
    let o = run_in(&dir, &["graph", "--format", "json", "."]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let flows = doc["flows"].as_array().unwrap();
    let allowed: Vec<_> = flows.iter().filter(|f| f["verdict"] == "allowed").collect();
    let blocked: Vec<_> = flows.iter().filter(|f| f["verdict"] == "blocked").collect();
    // One row per file: each names its unit.
    assert_eq!(allowed.len(), 2, "{flows:#?}");
    assert_eq!(allowed[0]["units"], serde_json::json!(["env-a"]));
    assert_eq!(blocked.len(), 1, "{flows:#?}");
    assert_eq!(blocked[0]["units"], serde_json::json!(["env-c"]));
    assert_eq!(blocked[0]["origin"]["file"], "env-c/app.yaml");
}

#[test]
fn a_route_on_a_listener_set_is_a_flow_from_its_gateways_pods() {
    let dir = scratch("graph_listener_set");
    write(
        &dir,
        "all.yaml",
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  allowedListeners: {namespaces: {from: All}}
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: ListenerSet
metadata: {name: shop, namespace: shop}
spec:
  parentRef: {name: edge, namespace: infra}
  listeners: [{name: web, port: 80, protocol: HTTP, hostname: shop.example.com}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{group: gateway.networking.k8s.io, kind: ListenerSet, name: shop}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /}, method: GET}]
      backendRefs: [{name: web, port: 8080}]
",
    );
    let o = run_in(&dir, &["graph", "--format", "json", "all.yaml"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let flows = doc["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 1, "{doc:#}");
    assert_eq!(flows[0]["from"]["kind"], "Gateway");
    assert_eq!(flows[0]["from"]["name"], "edge");
    assert_eq!(flows[0]["to"]["name"], "web");
}
