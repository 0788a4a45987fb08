use super::*;
use crate::model::ModelOptions;

fn inputs(text: &str) -> Inputs {
    let inputs = Inputs::from_texts([("m.yaml", text)]);
    assert!(inputs.findings.is_empty(), "{:?}", inputs.findings);
    inputs
}

fn model(inputs: &Inputs) -> Model {
    let m = Model::build(inputs, ModelOptions::default());
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    m
}

/// A flow as `ns/name -> ns/service:port`, for assertions.
fn show(m: &Model, f: &Flow) -> String {
    let from = match &f.from {
        FlowSource::Workload(i) => format!(
            "{}/{}",
            m.workloads[*i].meta.namespace, m.workloads[*i].meta.name
        ),
        FlowSource::Gateway(i) => format!(
            "gateway {}/{}",
            m.gateways[*i].meta.namespace, m.gateways[*i].meta.name
        ),
        FlowSource::Namespace(ns) => format!("{ns}/*"),
        FlowSource::External => "external".to_string(),
    };
    let port = |p: &Option<i64>| p.map_or("*".to_string(), |p| p.to_string());
    let to = match &f.to {
        FlowTarget::Service { service, port } => {
            let s = &m.services[*service];
            format!(
                "svc {}/{}:{}",
                s.meta.namespace, s.meta.name, s.ports[*port].port
            )
        }
        FlowTarget::Workload { workload, port: p } => format!(
            "{}/{}:{}",
            m.workloads[*workload].meta.namespace,
            m.workloads[*workload].meta.name,
            port(p)
        ),
        FlowTarget::Namespace { namespace, port: p } => format!("{namespace}/*:{}", port(p)),
        FlowTarget::External { port: p } => format!("external:{}", port(p)),
    };
    format!("{from} -> {to}")
}

fn shown(m: &Model, inferred: &Inferred) -> Vec<String> {
    inferred.flows.iter().map(|f| show(m, f)).collect()
}

fn field_path(at: &Location) -> String {
    match at {
        Location::Field { path, .. } => path.to_string(),
        Location::File { .. } => "file".to_string(),
    }
}

const SERVICES: &str = "\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 8000}, {port: 9000, name: grpc}]}
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: infra}
spec: {selector: {app: dns}, ports: [{port: 53, protocol: UDP}]}
";

const GATEWAYS: &str = "\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: other, namespace: infra}
spec:
  gatewayClassName: kgateway
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
";

#[test]
fn routes_give_gateway_flows_with_their_methods_paths_and_ports() {
    let text = format!(
        "{SERVICES}---\n{GATEWAYS}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: shop, namespace: shop}}
spec:
  parentRefs: [{{name: edge, namespace: infra}}, {{name: edge, namespace: infra, sectionName: http}}]
  rules:
    - matches:
        - {{path: {{type: PathPrefix, value: /shop/}}, method: GET}}
        - {{path: {{type: Exact, value: /shop/checkout}}, method: POST}}
        - {{path: {{type: Exact, value: /shop}}, method: POST}}
        - {{path: {{type: Exact, value: /cart}}, method: GET}}
      backendRefs: [{{name: web, port: 80}}]
    - backendRefs: [{{name: web}}, {{name: api}}, {{name: api, port: 9000}}, {{name: api, port: 8080}}, {{name: gone, port: 80}}]
    - matches: [{{path: {{type: PathPrefix, value: /api}}}}, {{path: {{type: RegularExpression, value: '/v[0-9]'}}, method: GET}}]
      backendRefs: [{{name: api, port: 8000}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: elsewhere, namespace: shop}}
spec:
  parentRefs: [{{name: other, namespace: infra}}, {{name: waypoint}}, {{name: web, kind: Service, group: \"\"}}]
  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {{name: rpc, namespace: shop}}
spec:
  parentRefs: [{{name: edge, namespace: infra}}]
  rules:
    - matches: [{{method: {{service: shop.v1.Cart, method: Add}}}}, {{method: {{service: shop.v1.Admin}}}}]
      backendRefs: [{{name: api, port: 9000}}]
"
    );
    let inputs = inputs(&text);
    let m = model(&inputs);
    let inferred = infer(&m, &inputs, &[]);
    assert_eq!(
        shown(&m, &inferred),
        [
            "gateway infra/edge -> svc shop/web:80",
            "gateway infra/edge -> svc shop/web:80",
            "gateway infra/edge -> svc shop/api:9000",
            "gateway infra/edge -> svc shop/api:8000",
            "gateway infra/edge -> svc shop/api:9000",
        ],
        "one flow per Gateway however many parentRefs name it; a backend without port needs a Service with one; nothing through other classes, waypoints or Services"
    );
    let f = &inferred.flows;
    assert_eq!(f[0].methods, ["GET", "POST"]);
    assert_eq!(
        f[0].paths,
        ["/cart", "/shop", "/shop/*"],
        "`/shop/checkout` is below `/shop/*`"
    );
    assert_eq!(f[0].origin.kind, OriginKind::Route);
    assert_eq!(f[0].origin.detail, "HTTPRoute `shop/shop` rules[0]");
    assert_eq!(field_path(&f[0].origin.at), "spec.rules[0].backendRefs[0]");
    assert!(
        f[1].methods.is_empty() && f[1].paths.is_empty(),
        "no matches: everything"
    );
    assert_eq!(field_path(&f[2].origin.at), "spec.rules[1].backendRefs[2]");
    assert!(
        f[3].methods.is_empty() && f[3].paths.is_empty(),
        "a match without method, and a regular expression, admit any"
    );
    assert_eq!(f[4].methods, ["POST"]);
    assert_eq!(f[4].paths, ["/shop.v1.Admin/*", "/shop.v1.Cart/Add"]);
    assert_eq!(f[4].origin.detail, "GRPCRoute `shop/rpc` rules[0]");
    assert!(f.iter().all(|f| f.protocol == "TCP" && !f.forbidden));
    assert!(inferred.unresolved.is_empty());
}

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop}
spec:
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
        - name: front
          image: front
          env:
            - {name: API_URL, value: 'http://api:8000/v1'}
            - {name: WEB, value: 'web.shop.svc.cluster.local'}
            - {name: RESOLVER, value: 'udp://dns.infra:53'}
            - {name: LOG_LEVEL, value: info}
            - {name: CACHE, value: web}
            - {name: SELF, value: 'http://front.shop:80'}
            - {name: WRONG_PORT, value: 'web.shop:8080'}
            - {name: AMBIGUOUS, value: 'api.shop'}
            - {name: OUTSIDE, value: 'https://api.example.com'}
            - name: FROM_MAP
              valueFrom: {configMapKeyRef: {name: settings, key: api-address}}
            - name: MISSING_MAP
              valueFrom: {configMapKeyRef: {name: nowhere, key: x, optional: true}}
            - name: POD_IP
              valueFrom: {fieldRef: {fieldPath: status.podIP}}
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: secret, key: password}}
          envFrom:
            - {configMapRef: {name: settings}, prefix: CFG_}
            - {secretRef: {name: secret}}
            - configMapRef: {name: nowhere, optional: true}
---
apiVersion: v1
kind: Service
metadata: {name: front, namespace: shop}
spec: {selector: {app: front}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: info, namespace: shop}
spec: {selector: {app: info}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data:
  api-address: 'api.shop:9000'
  DEBUG: 'true'
  RETRIES: 3
binaryData: {blob: aGVsbG8=}
";

#[test]
fn env_values_and_config_maps_give_workload_flows() {
    let text = format!("{SERVICES}---\n{APP}");
    let inputs = inputs(&text);
    let m = model(&inputs);
    let inferred = infer(&m, &inputs, &[]);
    assert_eq!(
        shown(&m, &inferred),
        [
            "shop/front -> svc shop/api:8000",
            "shop/front -> svc shop/web:80",
            "shop/front -> svc infra/dns:53",
            "shop/front -> svc shop/api:9000",
        ],
        "`envFrom` reads `api-address` again under another name: the same field, the same flow"
    );
    let f = &inferred.flows;
    assert_eq!(f[0].origin.kind, OriginKind::Env);
    assert_eq!(f[0].origin.detail, "env `API_URL` of container `front`");
    assert_eq!(
        field_path(&f[0].origin.at),
        "spec.template.spec.containers[0].env[0].value"
    );
    assert_eq!(f[2].protocol, "UDP", "the Service port's protocol");
    assert_eq!(
        f[3].origin.detail,
        "env `FROM_MAP` of container `front`, from key `api-address` of ConfigMap `shop/settings`"
    );
    let Location::Field { object, path } = &f[3].origin.at else {
        panic!()
    };
    assert_eq!(inputs.objects[*object].kind, "ConfigMap");
    assert_eq!(path.as_str(), "data.api-address");
}

#[test]
fn env_from_a_config_map_reads_every_key_with_its_prefix() {
    let text = format!(
        "{SERVICES}---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: worker, namespace: shop}}
spec:
  template:
    metadata: {{labels: {{app: worker}}}}
    spec:
      containers:
        - {{name: w, image: w, envFrom: [{{configMapRef: {{name: settings}}, prefix: APP_}}]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: shop}}
data: {{API: 'grpc://api:9000', WEB: 'http://web', LEVEL: debug, BROKERS: 'api.shop:8000,web.shop:80'}}
"
    );
    let inputs = inputs(&text);
    let m = model(&inputs);
    let inferred = infer(&m, &inputs, &[]);
    assert_eq!(
        shown(&m, &inferred),
        [
            "shop/worker -> svc shop/api:9000",
            "shop/worker -> svc shop/web:80",
            "shop/worker -> svc shop/api:8000",
            "shop/worker -> svc shop/web:80",
        ]
    );
    let details: Vec<&str> = inferred
        .flows
        .iter()
        .map(|f| f.origin.detail.as_str())
        .collect();
    assert_eq!(
        details[0],
        "env `APP_API` of container `w`, from ConfigMap `shop/settings`"
    );
    assert_eq!(field_path(&inferred.flows[3].origin.at), "data.BROKERS");
}

fn spec(from: &str, to: &str, ports: &[(i64, Option<&str>)], forbidden: bool) -> FlowSpec {
    FlowSpec {
        from: FlowEnd::parse(from).unwrap(),
        to: FlowEnd::parse(to).unwrap(),
        ports: ports
            .iter()
            .map(|(port, protocol)| FlowPort {
                port: *port,
                protocol: protocol.map(str::to_string),
            })
            .collect(),
        forbidden,
        entry: "flows[0] in .ambient-lint.yaml".to_string(),
        at: Location::File {
            file: 0,
            span: Default::default(),
        },
    }
}

#[test]
fn declared_flows_resolve_against_the_model_or_say_what_is_missing() {
    let text = format!(
        "{SERVICES}---\n{GATEWAYS}---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec: {{template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: w, image: w}}]}}}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: web, namespace: shop}}
spec: {{jobTemplate: {{spec: {{template: {{spec: {{containers: [{{name: w, image: w}}]}}}}}}}}}}
"
    );
    let inputs = inputs(&text);
    let m = model(&inputs);
    let declared = [
        spec("shop/web", "Service shop/api", &[(8000, None)], false),
        spec("shop/*", "Service infra/dns", &[], false),
        spec(
            "Gateway infra/edge",
            "shop/web",
            &[(8080, None), (53, Some("UDP"))],
            true,
        ),
        spec("external", "shop/*", &[], false),
        spec("shop/web", "external", &[(443, None)], true),
        spec("shop/nope", "external", &[], false),
        spec("shop/web", "Service shop/api", &[(8080, None)], false),
        spec("shop/web", "Service infra/dns", &[(53, Some("TCP"))], false),
        spec("Gateway infra/other", "shop/web", &[], false),
        spec("Gateway shop/waypoint", "shop/web", &[], false),
        spec("payments/*", "shop/web", &[], false),
    ];
    let inferred = infer(&m, &inputs, &declared);
    assert_eq!(
        shown(&m, &inferred),
        [
            "shop/web -> svc shop/api:8000",
            "shop/web -> svc shop/api:8000",
            "shop/* -> svc infra/dns:53",
            "gateway infra/edge -> shop/web:8080",
            "gateway infra/edge -> shop/web:53",
            "gateway infra/edge -> shop/web:8080",
            "gateway infra/edge -> shop/web:53",
            "external -> shop/*:*",
            "shop/web -> external:443",
            "shop/web -> external:443",
        ],
        "a name matches the workloads of every kind (a Deployment and a CronJob here)"
    );
    let f = &inferred.flows;
    assert_eq!(f[2].protocol, "UDP");
    assert_eq!(f[4].protocol, "UDP");
    assert!(f[3].forbidden && !f[0].forbidden);
    assert_eq!(f[0].origin.kind, OriginKind::Config);
    assert_eq!(f[0].origin.detail, "flows[0] in .ambient-lint.yaml");
    let why: Vec<(usize, &str)> = inferred
        .unresolved
        .iter()
        .map(|u| (u.spec, u.why.as_str()))
        .collect();
    assert_eq!(
        why,
        [
            (5, "no workload `shop/nope` is in the input"),
            (6, "Service `shop/api` has no port 8080"),
            (7, "Service `infra/dns` has no port 53/TCP"),
            (
                8,
                "Gateway `infra/other` (class `kgateway`) is no gateway whose pods Istio deploys"
            ),
            (
                9,
                "Gateway `shop/waypoint` (class `istio-waypoint`) is no gateway whose pods Istio deploys"
            ),
            (10, "namespace `payments` is not in the input"),
        ]
    );
}

#[test]
fn flow_ends_parse_in_the_forms_declare_uses() {
    assert_eq!(
        FlowEnd::parse("service shop/api"),
        Ok(FlowEnd::Service {
            namespace: "shop".into(),
            name: "api".into()
        })
    );
    assert_eq!(
        FlowEnd::parse("shop/*"),
        Ok(FlowEnd::Namespace("shop".into()))
    );
    assert_eq!(FlowEnd::parse("external"), Ok(FlowEnd::External));
    for bad in [
        "shop",
        "shop/a/b",
        "/a",
        "Service shop/*",
        "Pod shop/a",
        "*/a",
        "a b c",
        "",
    ] {
        assert!(FlowEnd::parse(bad).is_err(), "{bad}");
    }
}

/// The bookstore example: the gateway's routes and ecom-service's `INVENTORY_SERVICE_URL`.
#[test]
fn the_bookstore_flows() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookstore");
    let options = crate::load::LoadOptions {
        paths: vec![dir],
        ..crate::LintOptions::default().load
    };
    let inputs = crate::load::load(&options).unwrap();
    let m = Model::build(&inputs, ModelOptions::default());
    let inferred = infer(&m, &inputs, &[]);
    let mut flows: Vec<String> = inferred
        .flows
        .iter()
        .map(|f| format!("{} ({})", show(&m, f), f.origin.detail))
        .collect();
    flows.sort();
    assert_eq!(
        flows,
        [
            "ecom/ecom-service -> svc inventory/inventory-service:8000 (env `INVENTORY_SERVICE_URL` of container `ecom-service`)",
            "gateway infra/bookstore-gateway -> svc ecom/ecom-service:8080 (HTTPRoute `ecom/ecom-route` rules[0])",
            "gateway infra/bookstore-gateway -> svc ecom/ui-service:80 (HTTPRoute `ecom/ui-route` rules[0])",
            "gateway infra/bookstore-gateway -> svc inventory/inventory-service:8000 (HTTPRoute `inventory/inven-route` rules[0])",
        ]
    );
}
