//! Synthetic infra trees for the benchmark: N namespaces, each a small ambient application with
//! the cross-references real repositories have (principals naming other namespaces' accounts,
//! NetworkPolicies selecting pods and namespaces, routes on a shared Gateway).

use std::fmt::Write as _;
use std::path::Path;

/// Resources written per namespace (see `namespace_files`).
pub const RESOURCES_PER_NAMESPACE: usize = 13;

fn namespace_files(i: usize, n: usize) -> Vec<(String, String)> {
    let ns = format!("team-{i:05}");
    let next = format!("team-{:05}", (i + 1) % n);
    // The namespace whose api calls this one's (through its PEER_URL).
    let prev = format!("team-{:05}", (i + n - 1) % n);
    let mut app = String::new();
    let mut policies = String::new();
    let mut routes = String::new();
    writeln!(app, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    istio.io/dataplane-mode: ambient\n    team: t{}\n---", i % 50).unwrap();
    for svc in ["api", "db"] {
        let port = if svc == "db" { 5432 } else { 8080 };
        // The api calls the next namespace's api, and its own database.
        let env = if svc == "api" {
            format!(
                "\n          env:\n            - {{name: PEER_URL, value: \"http://api.{next}.svc.cluster.local:8080\"}}\n            - {{name: DATABASE_URL, value: \"postgres://db:5432/app\"}}"
            )
        } else {
            String::new()
        };
        writeln!(
            app,
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {svc}\n  namespace: {ns}\n---\n\
apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc}\n  namespace: {ns}\n  labels: {{app: {svc}}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {svc}}}\n  template:\n    metadata:\n      labels: {{app: {svc}, version: v1}}\n    spec:\n      serviceAccountName: {svc}\n      containers:\n        - name: {svc}\n          image: registry.example/{svc}:1.{i}\n          ports:\n            - {{name: http, containerPort: {port}}}\n          readinessProbe:\n            httpGet: {{path: /ready, port: http}}{env}\n---\n\
apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {ns}\nspec:\n  selector: {{app: {svc}}}\n  ports:\n    - {{name: http, port: {port}, targetPort: http}}\n---"
        )
        .unwrap();
    }
    writeln!(
        policies,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api\n  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: api}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels: {{kubernetes.io/metadata.name: infra}}\n        - namespaceSelector:\n            matchLabels: {{kubernetes.io/metadata.name: {prev}}}\n      ports:\n        - {{port: 15008, protocol: TCP}}\n        - {{port: 8080, protocol: TCP}}\n    - from:\n        - ipBlock: {{cidr: 169.254.7.127/32}}\n  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels: {{kubernetes.io/metadata.name: {next}}}\n          podSelector:\n            matchLabels: {{app: api}}\n      ports:\n        - {{port: 8080}}\n        - {{port: 15008}}\n    - to:\n        - podSelector:\n            matchLabels: {{app: db}}\n      ports:\n        - {{port: 15008}}\n    - to:\n        - namespaceSelector: {{}}\n          podSelector:\n            matchLabels: {{k8s-app: kube-dns}}\n      ports:\n        - {{port: 53, protocol: UDP}}\n        - {{port: 53, protocol: TCP}}\n---\n\
apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: db}}\n  ingress:\n    - from:\n        - podSelector:\n            matchLabels: {{app: api}}\n        - ipBlock: {{cidr: 169.254.7.127/32}}\n---\n\
apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: api\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: api}}\n  rules:\n    - from:\n        - source:\n            principals:\n              - cluster.local/ns/infra/sa/edge-istio\n              - cluster.local/ns/{prev}/sa/api\n    - from:\n        - source:\n            namespaces: [\"{ns}\"]\n      to:\n        - operation:\n            ports: [\"8080\"]\n---\n\
apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: db\n  namespace: {ns}\nspec:\n  selector:\n    matchLabels: {{app: db}}\n  rules:\n    - from:\n        - source:\n            principals: [\"cluster.local/ns/{ns}/sa/api\"]\n---"
    )
    .unwrap();
    writeln!(
        routes,
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: api\n  namespace: {ns}\nspec:\n  parentRefs:\n    - {{name: edge, namespace: infra}}\n  hostnames: [\"{ns}.example.com\"]\n  rules:\n    - matches:\n        - path: {{type: PathPrefix, value: /api}}\n          method: GET\n      backendRefs:\n        - {{name: api, port: 8080}}"
    )
    .unwrap();
    vec![
        (format!("{ns}/app.yaml"), app),
        (format!("{ns}/policies.yaml"), policies),
        (format!("{ns}/routes.yaml"), routes),
    ]
}

const INFRA: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: edge\n  namespace: infra\nspec:\n  gatewayClassName: istio\n  listeners:\n    - name: http\n      port: 80\n      protocol: HTTP\n      hostname: \"*.example.com\"\n      allowedRoutes:\n        namespaces:\n          from: All\n";

/// Writes a tree of about `resources` resources under `dir`; returns the resource count.
pub fn write_tree(dir: &Path, resources: usize) -> usize {
    let n = (resources / RESOURCES_PER_NAMESPACE).max(2);
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::write(dir.join("infra/gateway.yaml"), INFRA).unwrap();
    for i in 0..n {
        for (path, text) in namespace_files(i, n) {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }
    n * RESOURCES_PER_NAMESPACE + 2
}

/// The same tree split into `units` folders `env-N/`, each a whole copy of the platform at a
/// smaller size: alternatives side by side, as per-environment repositories hold them. Declared
/// as units (`env-*`), each is its own cluster. Returns the resource count.
pub fn write_unit_tree(dir: &Path, resources: usize, units: usize) -> usize {
    let _ = std::fs::remove_dir_all(dir);
    (0..units)
        .map(|u| write_tree(&dir.join(format!("env-{u}")), resources / units))
        .sum()
}

/// A kustomize tree: one base holding one namespace's application, and `roots` overlays that
/// each put it in a namespace of their own with a name prefix. Returns the rendered resource
/// count.
pub fn write_kustomize_tree(dir: &Path, roots: usize) -> usize {
    let _ = std::fs::remove_dir_all(dir);
    let base = dir.join("base");
    std::fs::create_dir_all(&base).unwrap();
    let mut names = Vec::new();
    for (path, text) in namespace_files(0, 1) {
        let name = path.replace('/', "-");
        // The overlay's `namespace:` decides; the Namespace object comes from each overlay.
        let text = text
            .split("\n---")
            .filter(|d| !d.contains("kind: Namespace"))
            .collect::<Vec<_>>()
            .join("\n---");
        std::fs::write(base.join(&name), text.replace("namespace: team-00000", "")).unwrap();
        names.push(name);
    }
    std::fs::write(
        base.join("kustomization.yaml"),
        format!("resources: [{}]\n", names.join(", ")),
    )
    .unwrap();
    for r in 0..roots {
        let overlay = dir.join(format!("overlays/r{r:03}"));
        std::fs::create_dir_all(&overlay).unwrap();
        std::fs::write(
            overlay.join("kustomization.yaml"),
            format!("namespace: r{r:03}\nnamePrefix: r{r:03}-\nresources: [../../base, namespace.yaml]\n"),
        )
        .unwrap();
        std::fs::write(
            overlay.join("namespace.yaml"),
            format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: r{r:03}\n  labels: {{istio.io/dataplane-mode: ambient}}\n"),
        )
        .unwrap();
    }
    roots * (RESOURCES_PER_NAMESPACE)
}
