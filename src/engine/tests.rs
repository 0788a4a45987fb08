//! The engine's semantics on small inputs: Kubernetes NetworkPolicy, ambient's wire, and
//! authorization as each enforcer applies it.

use super::authz::{Enforcer, Identity, Request};
use super::ip::IpRange;
use super::wire::AppFlow;
use super::*;
use crate::load::Inputs;
use crate::model::ModelOptions;

const NAMESPACES: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, tier: front}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
";

fn deployment(name: &str, ns: &str, extra_labels: &str, ports: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}{extra_labels}}}}}\n    spec:\n      serviceAccountName: {name}\n      containers: [{{name: c, image: i, ports: [{ports}]}}]\n---\n"
    )
}

fn model(extra: &str) -> Model {
    let text = format!(
        "{NAMESPACES}{}{}{}{}{extra}",
        deployment("web", "shop", "", "{containerPort: 8080, name: http}"),
        deployment(
            "api",
            "shop",
            ", role: api",
            "{containerPort: 9090, name: grpc}, {containerPort: 53, name: dns, protocol: UDP}"
        ),
        deployment("old", "legacy", "", "{containerPort: 8080}"),
        deployment("elsewhere", "unseen", "", "{containerPort: 8080}"),
    );
    let inputs = Inputs::from_texts([("m.yaml", text.as_str())]);
    Model::build(&inputs, ModelOptions::default())
}

fn workload(m: &Model, name: &str) -> Endpoint {
    Endpoint::Workload(
        m.workloads
            .iter()
            .position(|w| w.meta.name == name)
            .unwrap(),
    )
}

fn policy(ns: &str, selector: &str, spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{}, namespace: {ns}}}\nspec:\n  podSelector: {selector}\n{spec}---\n",
        spec.len()
    )
}

fn ingress_verdict(
    m: &Model,
    mode: IpBlocksAndPods,
    from: &Endpoint,
    to: &Endpoint,
    proto: &str,
    port: u16,
) -> Verdict {
    Engine::new(m, mode)
        .admission(Direction::Ingress, to, from)
        .verdict(proto, port)
}

#[test]
fn isolation_follows_policy_types_and_empty_lists() {
    // No policyTypes and an egress section: both directions; `ingress: []` admits nothing.
    let m = model(&policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress: []\n  egress: [{}]\n",
    ));
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let (web, api) = (workload(&m, "web"), workload(&m, "api"));
    let ing = e.admission(Direction::Ingress, &api, &web);
    assert!(ing.isolated && ing.possible.is_empty());
    let eg = e.admission(Direction::Egress, &api, &web);
    assert!(eg.isolated && eg.certain.is_all());
    // Without an egress section and policyTypes, egress is not isolated.
    let m = model(&policy("shop", "{}", "  ingress: [{}]\n"));
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    assert!(
        !e.admission(
            Direction::Egress,
            &workload(&m, "web"),
            &workload(&m, "api")
        )
        .isolated
    );
}

#[test]
fn peers_in_one_entry_are_anded_and_separate_entries_ored() {
    let and = policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {tier: front}}, podSelector: {matchLabels: {app: admin}}}]\n",
    );
    let m = model(&and);
    let (web, api) = (workload(&m, "web"), workload(&m, "api"));
    assert_eq!(
        ingress_verdict(&m, IpBlocksAndPods::Unknown, &web, &api, "TCP", 9090),
        Verdict::Denied
    );
    let or = policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {tier: front}}}, {podSelector: {matchLabels: {app: admin}}}]\n",
    );
    let m = model(&or);
    let (web, api) = (workload(&m, "web"), workload(&m, "api"));
    assert_eq!(
        ingress_verdict(&m, IpBlocksAndPods::Unknown, &web, &api, "TCP", 9090),
        Verdict::Allowed
    );
}

#[test]
fn a_namespace_whose_labels_are_not_in_the_input_gives_unknown() {
    let m = model(&policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {tier: front}}}]\n",
    ));
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let a = e.admission(
        Direction::Ingress,
        &workload(&m, "api"),
        &workload(&m, "elsewhere"),
    );
    assert_eq!(a.verdict("TCP", 9090), Verdict::Unknown);
    assert!(
        a.unknown[0].contains("namespace `unseen`"),
        "{:?}",
        a.unknown
    );
    // By name alone, every namespace can be judged.
    let m = model(&policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: unseen}}}]\n",
    ));
    assert_eq!(
        ingress_verdict(
            &m,
            IpBlocksAndPods::Unknown,
            &workload(&m, "elsewhere"),
            &workload(&m, "api"),
            "TCP",
            9090
        ),
        Verdict::Allowed
    );
}

#[test]
fn ports_protocols_end_ports_and_named_ports() {
    let m = model(&policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - ports: [{port: 15000, endPort: 15010}, {port: grpc}, {port: dns, protocol: UDP}, {port: http}, {protocol: SCTP}]\n",
    ));
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let a = e.admission(
        Direction::Ingress,
        &workload(&m, "api"),
        &workload(&m, "web"),
    );
    assert_eq!(
        a.certain.to_string(),
        "SCTP 1-65535; TCP 9090,15000-15010; UDP 53"
    );
}

#[test]
fn ip_blocks_with_holes_against_addresses_and_pods() {
    let m = model(&policy(
        "shop",
        "{matchLabels: {app: api}}",
        "  ingress:\n    - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n",
    ));
    let api = workload(&m, "api");
    let ip = |s: &str| Endpoint::Ip(IpRange::parse(s).unwrap());
    let v = |from: &Endpoint, mode| ingress_verdict(&m, mode, from, &api, "TCP", 9090);
    assert_eq!(
        v(&ip("10.2.0.1"), IpBlocksAndPods::Unknown),
        Verdict::Allowed
    );
    assert_eq!(
        v(&ip("10.1.2.3"), IpBlocksAndPods::Unknown),
        Verdict::Denied
    );
    assert_eq!(
        v(&ip("192.168.0.1"), IpBlocksAndPods::Unknown),
        Verdict::Denied
    );
    // A block half inside the hole cannot be judged as one.
    assert_eq!(
        v(&ip("10.0.0.0/8"), IpBlocksAndPods::Unknown),
        Verdict::Unknown
    );
    // Whether the block holds pod addresses is the CNI's business, unless the mode says.
    assert_eq!(
        v(&workload(&m, "web"), IpBlocksAndPods::Unknown),
        Verdict::Unknown
    );
    assert_eq!(
        v(&workload(&m, "web"), IpBlocksAndPods::Never),
        Verdict::Denied
    );
}

#[test]
fn the_wire_is_hbone_between_ambient_pods_and_the_port_otherwise() {
    let m = model("");
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let flow = |src: &str, dst: &str| AppFlow {
        src: workload(&m, src),
        dst: workload(&m, dst),
        protocol: "TCP".into(),
        port: Some(8080),
        service: None,
        service_port: None,
        methods: vec![],
        paths: vec![],
    };
    assert_eq!(e.judge(&flow("api", "web")).wire(), "HBONE (TCP 15008)");
    assert_eq!(e.judge(&flow("api", "old")).wire(), "TCP 8080");
    assert_eq!(e.judge(&flow("old", "web")).wire(), "TCP 8080");
    // `unseen` has no Namespace object: both readings are judged.
    let j = e.judge(&flow("elsewhere", "web"));
    assert_eq!(j.plans.len(), 2);
    assert_eq!(j.verdict(), Verdict::Allowed);
}

#[test]
fn a_waypoint_makes_two_legs_and_takes_the_clients_place() {
    let m = model(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: wp, namespace: shop}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n---\n\
apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, labels: {istio.io/use-waypoint: wp}}\nspec:\n  selector: {app: web}\n  ports: [{port: 8080}]\n---\n",
    );
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let service = m.services.iter().position(|s| s.meta.name == "web");
    let j = e.judge(&AppFlow {
        src: workload(&m, "api"),
        dst: workload(&m, "web"),
        protocol: "TCP".into(),
        port: Some(8080),
        service,
        service_port: Some(8080),
        methods: vec![],
        paths: vec![],
    });
    let plan = &j.plans[0];
    assert_eq!(plan.legs.len(), 2);
    assert!(matches!(&plan.legs[0].leg.dst, Endpoint::IstioGateway { name, .. } if name == "wp"));
    let at_destination = &plan.authz[1];
    assert!(matches!(at_destination.enforcer, Enforcer::Ztunnel));
    assert_eq!(at_destination.identity.as_ref().unwrap().account, "wp");
    assert!(matches!(plan.authz[0].enforcer, Enforcer::Waypoint { .. }));
}

fn authz(action: &str, rules: &str) -> String {
    format!(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {{name: a{}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  action: {action}\n  rules:\n{rules}---\n",
        rules.len()
    )
}

#[test]
fn authorization_denies_first_then_needs_an_allow_and_ztunnel_drops_http_rules() {
    let web = Identity {
        namespace: "shop".into(),
        account: "web".into(),
    };
    let req = |methods: &[&str]| Request {
        identity: Some(web.clone()),
        port: Some(9090),
        methods: methods.iter().map(|m| m.to_string()).collect(),
        ..Request::default()
    };
    let allow_web = authz(
        "ALLOW",
        "    - from: [{source: {principals: [cluster.local/ns/shop/sa/web]}}]\n",
    );
    let deny_port = authz("DENY", "    - to: [{operation: {ports: [\"9090\"]}}]\n");
    let allow_get = authz("ALLOW", "    - to: [{operation: {methods: [GET]}}]\n");

    let m = model(&allow_web);
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let api = workload(&m, "api");
    assert_eq!(
        e.authorize(&api, &Enforcer::Ztunnel, &req(&[])).verdict,
        Verdict::Allowed
    );
    let other = Request {
        identity: Some(Identity {
            namespace: "shop".into(),
            account: "api".into(),
        }),
        ..req(&[])
    };
    assert_eq!(
        e.authorize(&api, &Enforcer::Ztunnel, &other).verdict,
        Verdict::Denied
    );

    let m = model(&format!("{allow_web}{deny_port}"));
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let o = e.authorize(&workload(&m, "api"), &Enforcer::Ztunnel, &req(&[]));
    assert_eq!(o.verdict, Verdict::Denied);
    assert_eq!(o.decided_by[0].effect, "this DENY rule matches");

    // ztunnel drops the rule naming a method; Envoy judges it when the request's method is known.
    let m = model(&allow_get);
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let api = workload(&m, "api");
    assert_eq!(
        e.authorize(&api, &Enforcer::Ztunnel, &req(&["GET"]))
            .verdict,
        Verdict::Denied
    );
    assert_eq!(
        e.authorize(&api, &Enforcer::Envoy, &req(&["GET"])).verdict,
        Verdict::Allowed
    );
    assert_eq!(
        e.authorize(&api, &Enforcer::Envoy, &req(&["POST"])).verdict,
        Verdict::Denied
    );
    assert_eq!(
        e.authorize(&api, &Enforcer::Envoy, &req(&[])).verdict,
        Verdict::Unknown
    );

    // Plain text carries no identity: a principal never matches it.
    let m = model(&allow_web);
    let e = Engine::new(&m, IpBlocksAndPods::Unknown);
    let plain = Request {
        identity: None,
        ..req(&[])
    };
    assert_eq!(
        e.authorize(&workload(&m, "api"), &Enforcer::Ztunnel, &plain)
            .verdict,
        Verdict::Denied
    );
}

#[test]
fn an_admitted_judgement_without_its_reasons_still_reads_as_admitted() {
    let j = super::wire::Judgement::admitted();
    assert_eq!(j.network(), Verdict::Allowed);
    assert_eq!(j.authorization(), Verdict::Allowed);
    assert_eq!(j.verdict(), Verdict::Allowed);
}
