//! Typed resources read from objects. Each keeps its object id and the field paths rules report.

use crate::intern::Atom;
use crate::load::node::{FieldPath, Node};
use crate::load::{Object, ObjectId};

use super::reader::{IntOrString, Reader, Str};
use super::selector::{Annotations, LabelSelector, Labels};

fn p(s: &str) -> FieldPath {
    FieldPath::new(s)
}

#[derive(Clone, Debug)]
pub struct Meta {
    pub object: ObjectId,
    pub name: Atom,
    pub namespace: Atom,
    pub labels: Labels,
    pub annotations: Annotations,
}

impl Meta {
    pub fn read(r: &mut Reader, obj: &Object) -> Meta {
        let meta = r.map(obj.node().get("metadata"), &p("metadata"));
        if meta.is_some() {
            // Type-check name and namespace; their values were taken by the loader.
            r.string(meta.and_then(|m| m.get("name")), &p("metadata.name"));
            r.string(
                meta.and_then(|m| m.get("namespace")),
                &p("metadata.namespace"),
            );
        }
        if obj.name.is_empty() {
            r.invalid(
                &p("metadata"),
                "the object has no `metadata.name`".to_string(),
            );
        }
        Meta {
            object: r.object,
            name: obj.name,
            namespace: obj.namespace.unwrap_or_default(),
            labels: r.string_map(meta.and_then(|m| m.get("labels")), &p("metadata.labels")),
            annotations: r.annotation_map(
                meta.and_then(|m| m.get("annotations")),
                &p("metadata.annotations"),
            ),
        }
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        super::selector::label(&self.labels, key)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        super::selector::label(&self.annotations, key)
    }
}

// ---------------------------------------------------------------- core

#[derive(Clone, Debug)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: i64,
    pub protocol: String,
    pub path: FieldPath,
}

/// An env var with a literal `value`.
#[derive(Clone, Debug)]
pub struct EnvVar {
    pub name: String,
    pub value: Str,
}

/// An env var whose value is a ConfigMap's key: `env[].valueFrom.configMapKeyRef`.
#[derive(Clone, Debug)]
pub struct ConfigMapKeyEnv {
    pub name: String,
    pub config_map: String,
    pub key: String,
    /// The `configMapKeyRef`.
    pub path: FieldPath,
}

/// Every key of a ConfigMap as an env var: `envFrom[].configMapRef`.
#[derive(Clone, Debug)]
pub struct ConfigMapEnvFrom {
    pub config_map: String,
    /// `prefix`, put before each key to make the variable's name.
    pub prefix: String,
    /// The `configMapRef`.
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct Probe {
    pub path: FieldPath,
    /// The port probed, as written (a number or a container port name).
    pub port: Option<IntOrString>,
}

#[derive(Clone, Debug)]
pub struct Container {
    pub name: String,
    pub ports: Vec<ContainerPort>,
    /// Probes kubelet sends over the network (httpGet, tcpSocket, grpc); exec probes are not.
    pub network_probes: Vec<Probe>,
    pub env: Vec<EnvVar>,
    pub env_from_config_map_keys: Vec<ConfigMapKeyEnv>,
    pub env_from_config_maps: Vec<ConfigMapEnvFrom>,
    /// `image` as written (`auto` when the injector fills it in).
    pub image: Option<Str>,
}

#[derive(Clone, Debug)]
pub struct Workload {
    pub meta: Meta,
    pub kind: Atom,
    /// Path of the pod spec: `spec.template.spec`, `spec` for a Pod, ...
    pub pod_spec: FieldPath,
    pub pod_labels: Labels,
    pub pod_annotations: Annotations,
    /// `serviceAccountName` as written; None means `default`.
    pub service_account: Option<Str>,
    pub host_network: bool,
    pub containers: Vec<Container>,
    /// For a Pod object: the kind and name of the owner its `ownerReferences` mark as
    /// controller (a ReplicaSet, a StatefulSet...), which names it as NetworkPolicy analyzers
    /// do; none for a static pod, whose controller is its Node. The kind is empty when the
    /// reference does not write it.
    pub owner: Option<(String, String)>,
}

impl Workload {
    pub fn service_account_name(&self) -> &str {
        self.service_account
            .as_ref()
            .map_or("default", |s| s.value.as_str())
    }

    pub fn pod_label(&self, key: &str) -> Option<&str> {
        super::selector::label(&self.pod_labels, key)
    }

    /// Where the pod labels are written: `spec.template.metadata.labels` (or the CronJob's
    /// nested template), `metadata.labels` for a Pod.
    pub fn pod_labels_path(&self) -> FieldPath {
        if self.kind == "Pod" {
            return FieldPath::new("metadata.labels");
        }
        self.pod_spec
            .as_str()
            .strip_suffix(".spec")
            .map(|t| FieldPath::new(t).key("metadata").key("labels"))
            .unwrap_or_else(|| FieldPath::new("metadata.labels"))
    }

    /// Where the account is set: `serviceAccountName`, or the pod spec that leaves it out.
    pub fn account_location(&self) -> crate::finding::Location {
        let path = self
            .service_account
            .as_ref()
            .map_or(self.pod_spec.clone(), |s| s.path.clone());
        crate::finding::Location::field(self.meta.object, path)
    }

    /// The kind and name this workload goes by in connectivity reports: its controlling owner
    /// for a Pod that has one, else its own.
    pub fn display_name(&self) -> (&str, &str) {
        match &self.owner {
            Some((kind, name)) if kind.is_empty() => (&self.kind, name),
            Some((kind, name)) => (kind, name),
            None => (&self.kind, &self.meta.name),
        }
    }

    pub fn container_ports(&self) -> impl Iterator<Item = &ContainerPort> {
        self.containers.iter().flat_map(|c| c.ports.iter())
    }

    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<Workload> {
        let (template, spec_path): (Option<Node<'_>>, &str) = match obj.kind.as_str() {
            "Pod" => (Some(obj.node()), ""),
            "CronJob" => (
                obj.node()
                    .get("spec")
                    .and_then(|s| s.get("jobTemplate"))
                    .and_then(|j| j.get("spec"))
                    .and_then(|s| s.get("template")),
                "spec.jobTemplate.spec.template",
            ),
            _ => (
                obj.node().get("spec").and_then(|s| s.get("template")),
                "spec.template",
            ),
        };
        let (pod_labels, pod_annotations, spec_node, pod_spec) = if obj.kind == "Pod" {
            (
                meta.labels.clone(),
                meta.annotations.clone(),
                obj.node().get("spec"),
                p("spec"),
            )
        } else {
            let tpath = p(spec_path);
            let template = r.map(template, &tpath);
            let tmeta = template.and_then(|t| t.get("metadata"));
            let tmeta = r.map(tmeta, &tpath.key("metadata"));
            (
                r.string_map(
                    tmeta.and_then(|m| m.get("labels")),
                    &tpath.key("metadata").key("labels"),
                ),
                r.annotation_map(
                    tmeta.and_then(|m| m.get("annotations")),
                    &tpath.key("metadata").key("annotations"),
                ),
                template.and_then(|t| t.get("spec")),
                tpath.key("spec"),
            )
        };
        let spec = r.map(spec_node, &pod_spec)?;
        let service_account = r
            .field_string(spec, "serviceAccountName", &pod_spec)
            .or_else(|| r.field_string(spec, "serviceAccount", &pod_spec));
        let host_network = r
            .bool(spec.get("hostNetwork"), &pod_spec.key("hostNetwork"))
            .unwrap_or(false);
        let mut listed = r.items(spec, "initContainers", &pod_spec);
        listed.extend(r.items(spec, "containers", &pod_spec));
        let mut containers = Vec::with_capacity(listed.len());
        for (c, cp) in listed {
            if r.map(Some(c), &cp).is_none() {
                continue;
            }
            containers.push(read_container(r, c, &cp));
        }
        let owner = if obj.kind == "Pod" {
            controller_owner(obj.node())
        } else {
            None
        };
        Some(Workload {
            owner,
            meta,
            kind: obj.kind,
            pod_spec,
            pod_labels,
            pod_annotations,
            service_account,
            host_network,
            containers,
        })
    }
}

/// The `ownerReferences` entry with `controller: true`, unless it is a Node (a static pod).
fn controller_owner(node: Node<'_>) -> Option<(String, String)> {
    let refs = node.get("metadata")?.get("ownerReferences")?.as_seq()?;
    let owner = refs.iter().find(|r| {
        r.get("controller")
            .and_then(|c| c.as_scalar())
            .and_then(|c| c.as_bool())
            == Some(true)
    })?;
    // A reference without a kind (the API server requires one) still names the pod's owner.
    let kind = owner.get("kind").and_then(Node::as_str).unwrap_or("");
    let name = owner.get("name")?.as_str()?;
    (kind != "Node" && !name.is_empty()).then(|| (kind.to_string(), name.to_string()))
}

fn read_container(r: &mut Reader, c: Node<'_>, cp: &FieldPath) -> Container {
    let name = r
        .field_string(c, "name", cp)
        .map(|s| s.value)
        .unwrap_or_default();
    let listed = r.items(c, "ports", cp);
    let mut ports = Vec::with_capacity(listed.len());
    for (port, pp) in listed {
        if r.map(Some(port), &pp).is_none() {
            continue;
        }
        let number = r.int(port.get("containerPort"), &pp.key("containerPort"));
        if let Some(n) = number
            && !(1..=65535).contains(&n)
        {
            r.invalid(
                &pp.key("containerPort"),
                format!("port {n} is out of range (1-65535)"),
            );
            continue;
        }
        let protocol = r
            .field_string(port, "protocol", &pp)
            .map_or("TCP".to_string(), |s| s.value);
        if let Some(port_number) = number {
            ports.push(ContainerPort {
                name: r.field_string(port, "name", &pp).map(|s| s.value),
                port: port_number,
                protocol,
                path: pp.key("containerPort"),
            });
        }
    }
    let mut network_probes = Vec::new();
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let pp = cp.key(probe);
        let Some(pn) = r.map(c.get(probe), &pp) else {
            continue;
        };
        for handler in ["httpGet", "tcpSocket", "grpc"] {
            if let Some(h) = r.map(pn.get(handler), &pp.key(handler)) {
                let port = r.port(h.get("port"), &pp.key(handler).key("port"));
                network_probes.push(Probe {
                    path: pp.clone(),
                    port,
                });
            }
        }
    }
    let mut env = Vec::new();
    let listed = r.items(c, "env", cp);
    let mut env_from_config_map_keys = Vec::with_capacity(listed.len());
    for (e, ep) in listed {
        if r.map(Some(e), &ep).is_none() {
            continue;
        }
        let name = r.field_string(e, "name", &ep);
        let value = r.field_string(e, "value", &ep);
        let vp = ep.key("valueFrom");
        let kp = vp.key("configMapKeyRef");
        let key_ref = r
            .map(e.get("valueFrom"), &vp)
            .and_then(|v| r.map(v.get("configMapKeyRef"), &kp))
            .map(|k| {
                (
                    r.field_string(k, "name", &kp),
                    r.field_string(k, "key", &kp),
                )
            });
        let Some(name) = name else { continue };
        if let Some(value) = value {
            env.push(EnvVar {
                name: name.value.clone(),
                value,
            });
        }
        if let Some((Some(config_map), Some(key))) = key_ref {
            env_from_config_map_keys.push(ConfigMapKeyEnv {
                name: name.value,
                config_map: config_map.value,
                key: key.value,
                path: kp,
            });
        }
    }
    let listed = r.items(c, "envFrom", cp);
    let mut env_from_config_maps = Vec::with_capacity(listed.len());
    for (e, ep) in listed {
        if r.map(Some(e), &ep).is_none() {
            continue;
        }
        let rp = ep.key("configMapRef");
        let Some(config_map_ref) = r.map(e.get("configMapRef"), &rp) else {
            continue;
        };
        if let Some(config_map) = r.field_string(config_map_ref, "name", &rp) {
            env_from_config_maps.push(ConfigMapEnvFrom {
                config_map: config_map.value,
                prefix: r
                    .field_string(e, "prefix", &ep)
                    .map(|s| s.value)
                    .unwrap_or_default(),
                path: rp,
            });
        }
    }
    let image = r.field_string(c, "image", cp);
    Container {
        name,
        ports,
        network_probes,
        env,
        env_from_config_map_keys,
        env_from_config_maps,
        image,
    }
}

/// A ConfigMap, for the values workloads take from it into their environment.
#[derive(Clone, Debug)]
pub struct ConfigMap {
    pub meta: Meta,
    /// `data`: each key and its value, with the value's path (`data.KEY`).
    pub data: Vec<(String, Str)>,
}

impl ConfigMap {
    /// Reads `data` leniently: a value that is not a string is left out without a finding, since
    /// what a ConfigMap holds is its users' business, not a mesh setting.
    pub fn read(obj: &Object, meta: Meta) -> ConfigMap {
        let data = obj
            .node()
            .get("data")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let key = e.key.as_str()?;
                let value = e
                    .value
                    .as_scalar()
                    .filter(|s| !s.plain || s.type_name() == "a string")?;
                Some((
                    key.to_string(),
                    Str {
                        value: value.text.to_string(),
                        path: p("data").key(key),
                    },
                ))
            })
            .collect();
        ConfigMap { meta, data }
    }

    pub fn value(&self, key: &str) -> Option<&Str> {
        self.data.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub target_port: Option<IntOrString>,
    pub protocol: String,
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub meta: Meta,
    /// None: a Service without selector (endpoints managed elsewhere).
    pub selector: Option<LabelSelector>,
    pub ports: Vec<ServicePort>,
}

impl Service {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Service {
        let spec = r.map(obj.node().get("spec"), &p("spec"));
        let mut ports = Vec::new();
        let mut selector = None;
        if let Some(spec) = spec {
            let sel = r.string_map(spec.get("selector"), &p("spec.selector"));
            if !sel.is_empty() {
                selector = Some(LabelSelector::from_labels(sel, p("spec.selector")));
            }
            for (n, pp) in r.items(spec, "ports", &p("spec")) {
                if r.map(Some(n), &pp).is_none() {
                    continue;
                }
                let port = r.port(n.get("port"), &pp.key("port"));
                let port = match port {
                    Some(IntOrString::Int(i)) => i,
                    Some(IntOrString::String(_)) => {
                        r.invalid(
                            &pp.key("port"),
                            "a Service `port` must be a number".to_string(),
                        );
                        continue;
                    }
                    None => continue,
                };
                ports.push(ServicePort {
                    name: r.field_string(n, "name", &pp).map(|s| s.value),
                    port,
                    target_port: r.port(n.get("targetPort"), &pp.key("targetPort")),
                    protocol: r
                        .field_string(n, "protocol", &pp)
                        .map_or("TCP".into(), |s| s.value),
                    path: pp,
                });
            }
        }
        Service {
            meta,
            selector,
            ports,
        }
    }
}

// ---------------------------------------------------------------- NetworkPolicy

#[derive(Clone, Debug)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector` in one peer (ANDed). A lone podSelector means the
    /// policy's namespace; a lone namespaceSelector means every pod of the matching namespaces.
    Pods {
        namespace_selector: Option<LabelSelector>,
        pod_selector: Option<LabelSelector>,
        path: FieldPath,
    },
    IpBlock {
        cidr: String,
        except: Vec<String>,
        path: FieldPath,
    },
}

#[derive(Clone, Debug)]
pub struct NetPolPort {
    pub protocol: String,
    /// None: every port.
    pub port: Option<IntOrString>,
    pub end_port: Option<i64>,
    pub path: FieldPath,
}

impl NetPolPort {
    /// Whether this entry admits `protocol`/`number`. A named port is resolved against the
    /// destination pods' container ports, which the input may not hold: it admits `number` only
    /// when `named_may_match` says such a name could be that port (DNS pods name port 53 `dns`;
    /// no pod declares ztunnel's 15008).
    pub fn admits_maybe_named(&self, protocol: &str, number: i64, named_may_match: bool) -> bool {
        if !self.protocol.eq_ignore_ascii_case(protocol) {
            return false;
        }
        match &self.port {
            Some(IntOrString::String(_)) => named_may_match,
            _ => self.admits(protocol, number),
        }
    }

    /// Whether this entry admits `protocol`/`number`; a named port never does.
    pub fn admits(&self, protocol: &str, number: i64) -> bool {
        if !self.protocol.eq_ignore_ascii_case(protocol) {
            return false;
        }
        match &self.port {
            None => true,
            Some(IntOrString::Int(p)) => match self.end_port {
                Some(end) => (*p..=end).contains(&number),
                None => *p == number,
            },
            Some(IntOrString::String(_)) => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NetPolRule {
    pub path: FieldPath,
    /// Empty: every peer.
    pub peers: Vec<Peer>,
    /// Empty: every port.
    pub ports: Vec<NetPolPort>,
}

impl NetPolRule {
    pub fn admits_port(&self, protocol: &str, number: i64) -> bool {
        self.ports.is_empty() || self.ports.iter().any(|p| p.admits(protocol, number))
    }
}

#[derive(Clone, Debug)]
pub struct NetworkPolicy {
    pub meta: Meta,
    pub pod_selector: LabelSelector,
    pub ingress_type: bool,
    pub egress_type: bool,
    pub policy_types_written: bool,
    pub ingress: Vec<NetPolRule>,
    pub egress: Vec<NetPolRule>,
    pub ingress_written: bool,
    pub egress_written: bool,
}

impl NetworkPolicy {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<NetworkPolicy> {
        // Every field of the spec is optional, the spec too: without one the policy selects every
        // pod and denies them all ingress.
        let spec = match obj.node().get("spec").filter(|n| !n.is_null()) {
            None => Node::empty_map(),
            Some(n) => r.map(Some(n), &p("spec"))?,
        };
        // `podSelector` is optional: absent (or null) it is `{}`, every pod of the namespace. The
        // path still names it, so findings about it resolve to `spec`.
        let sp = p("spec.podSelector");
        let pod_selector = match spec.get("podSelector").filter(|n| !n.is_null()) {
            None => LabelSelector::from_labels(Vec::new(), sp),
            Some(n) => LabelSelector::read(r, Some(n), &sp)?,
        };
        let types = r.strings(spec, "policyTypes", &p("spec"));
        for t in &types {
            if t.value != "Ingress" && t.value != "Egress" {
                r.invalid(
                    &t.path,
                    format!("`{}` is not a policy type (Ingress, Egress)", t.value),
                );
            }
        }
        let ingress_written = spec.get("ingress").is_some_and(|n| !n.is_null());
        let egress_written = spec.get("egress").is_some_and(|n| !n.is_null());
        let policy_types_written = !types.is_empty();
        let (ingress_type, egress_type) = if policy_types_written {
            (
                types.iter().any(|t| t.value == "Ingress"),
                types.iter().any(|t| t.value == "Egress"),
            )
        } else {
            // Kubernetes' default: Ingress always, Egress when egress rules are present.
            (true, egress_written)
        };
        let ingress = read_netpol_rules(r, spec, "ingress", "from");
        let egress = read_netpol_rules(r, spec, "egress", "to");
        Some(NetworkPolicy {
            meta,
            pod_selector,
            ingress_type,
            egress_type,
            policy_types_written,
            ingress,
            egress,
            ingress_written,
            egress_written,
        })
    }
}

fn read_netpol_rules(
    r: &mut Reader,
    spec: Node<'_>,
    list: &str,
    peers_key: &str,
) -> Vec<NetPolRule> {
    // Vectors are sized from the list they are read from: grown from empty, a vector of one
    // holds room for four, and a large tree has tens of thousands of them.
    let items = r.items(spec, list, &p("spec"));
    let mut rules = Vec::with_capacity(items.len());
    for (rule, rp) in items {
        if rule.is_null() {
            // `- {}` written as `-`: allows everything.
            rules.push(NetPolRule {
                path: rp,
                peers: vec![],
                ports: vec![],
            });
            continue;
        }
        if r.map(Some(rule), &rp).is_none() {
            continue;
        }
        let items = r.items(rule, peers_key, &rp);
        let mut peers = Vec::with_capacity(items.len());
        for (peer, pp) in items {
            if r.map(Some(peer), &pp).is_none() {
                continue;
            }
            if let Some(block) = r.map(peer.get("ipBlock"), &pp.key("ipBlock")) {
                let bp = pp.key("ipBlock");
                let cidr = r.field_string(block, "cidr", &bp);
                let except = r.strings(block, "except", &bp);
                if peer.get("podSelector").is_some() || peer.get("namespaceSelector").is_some() {
                    r.invalid(&pp, "`ipBlock` cannot be combined with `podSelector` or `namespaceSelector` in one peer".to_string());
                }
                match cidr {
                    Some(c) => {
                        for e in &except {
                            if !cidr_contains(&c.value, &e.value) {
                                r.invalid(
                                    &e.path,
                                    format!(
                                        "except `{}` is not inside cidr `{}`",
                                        e.value, c.value
                                    ),
                                );
                            }
                        }
                        peers.push(Peer::IpBlock {
                            cidr: c.value,
                            except: except.into_iter().map(|e| e.value).collect(),
                            path: pp,
                        });
                    }
                    None => r.invalid(&bp, "`ipBlock` needs `cidr`".to_string()),
                }
                continue;
            }
            let namespace_selector = LabelSelector::read(
                r,
                peer.get("namespaceSelector"),
                &pp.key("namespaceSelector"),
            );
            let pod_selector =
                LabelSelector::read(r, peer.get("podSelector"), &pp.key("podSelector"));
            if namespace_selector.is_none() && pod_selector.is_none() {
                r.invalid(
                    &pp,
                    "a peer needs `podSelector`, `namespaceSelector` or `ipBlock`".to_string(),
                );
                continue;
            }
            peers.push(Peer::Pods {
                namespace_selector,
                pod_selector,
                path: pp,
            });
        }
        let items = r.items(rule, "ports", &rp);
        let mut ports = Vec::with_capacity(items.len());
        for (port, pp) in items {
            if r.map(Some(port), &pp).is_none() {
                continue;
            }
            let protocol = r
                .field_string(port, "protocol", &pp)
                .map_or("TCP".to_string(), |s| s.value);
            let number = r.port(port.get("port"), &pp.key("port"));
            let end_port = r.int(port.get("endPort"), &pp.key("endPort"));
            if let Some(end) = end_port {
                match &number {
                    Some(IntOrString::Int(start)) if end < *start => {
                        r.invalid(
                            &pp.key("endPort"),
                            format!("endPort {end} is below port {start}"),
                        );
                        continue;
                    }
                    Some(IntOrString::String(_)) | None => {
                        r.invalid(
                            &pp.key("endPort"),
                            "endPort needs a numeric `port`".to_string(),
                        );
                        continue;
                    }
                    _ => {}
                }
            }
            ports.push(NetPolPort {
                protocol,
                port: number,
                end_port,
                path: pp,
            });
        }
        rules.push(NetPolRule {
            path: rp,
            peers,
            ports,
        });
    }
    rules
}

/// Whether IPv4/IPv6 CIDR `outer` contains `inner` (an address or a CIDR). Unparsable input
/// counts as contained, so that only a clear mistake is reported.
pub fn cidr_contains(outer: &str, inner: &str) -> bool {
    use super::ip::IpRange;
    match (IpRange::parse(outer), IpRange::parse(inner)) {
        (Some(o), Some(i)) => o.contains(&i),
        _ => true,
    }
}

// ---------------------------------------------------------------- Istio security

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
    Audit,
    Custom,
}

/// One field of a `source` or `operation`, as written: `principals: [...]`.
#[derive(Clone, Debug)]
pub struct StringsField {
    pub name: String,
    pub values: Vec<Str>,
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct Condition {
    pub key: Str,
    pub values: Vec<Str>,
    pub not_values: Vec<Str>,
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct Clause {
    /// `spec.rules[i].from[j].source` or `spec.rules[i].to[j].operation`.
    pub path: FieldPath,
    pub fields: Vec<StringsField>,
}

impl Clause {
    pub fn field(&self, name: &str) -> Option<&StringsField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct AuthzRule {
    pub path: FieldPath,
    /// None when the rule has no `from` (any source).
    pub from: Option<Vec<Clause>>,
    pub to: Option<Vec<Clause>>,
    pub when: Vec<Condition>,
}

#[derive(Clone, Debug)]
pub struct TargetRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct AuthorizationPolicy {
    pub meta: Meta,
    pub selector: Option<LabelSelector>,
    pub target_refs: Vec<TargetRef>,
    pub action: Action,
    pub action_path: FieldPath,
    pub rules: Vec<AuthzRule>,
}

impl AuthorizationPolicy {
    /// Enforced by ztunnel: everything without targetRefs (docs/platform.md §3.1).
    pub fn ztunnel_enforced(&self) -> bool {
        self.target_refs.is_empty()
    }

    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<AuthorizationPolicy> {
        let spec = r.map(obj.node().get("spec"), &p("spec"));
        let spec = spec.unwrap_or(Node::empty_map());
        let selector = read_istio_selector(r, spec);
        let target_refs = read_target_refs(r, spec);
        if selector.is_some() && !target_refs.is_empty() {
            r.invalid(
                &p("spec.targetRefs"),
                "only one of `targetRefs` or `selector` can be set".to_string(),
            );
            return None;
        }
        let action_str = r.field_string(spec, "action", &p("spec"));
        let action = match action_str.as_ref().map(|s| s.as_str()) {
            None | Some("ALLOW") => Action::Allow,
            Some("DENY") => Action::Deny,
            Some("AUDIT") => Action::Audit,
            Some("CUSTOM") => Action::Custom,
            Some(other) => {
                let other = other.to_string();
                r.invalid(
                    &p("spec.action"),
                    format!("`{other}` is not an action (ALLOW, DENY, AUDIT, CUSTOM)"),
                );
                return None;
            }
        };
        let listed = r.items(spec, "rules", &p("spec"));
        let mut rules = Vec::with_capacity(listed.len());
        for (rule, rp) in listed {
            if rule.is_null() {
                rules.push(AuthzRule {
                    path: rp,
                    from: None,
                    to: None,
                    when: vec![],
                });
                continue;
            }
            if r.map(Some(rule), &rp).is_none() {
                continue;
            }
            let from = read_clauses(r, rule, &rp, "from", "source");
            let to = read_clauses(r, rule, &rp, "to", "operation");
            let listed = r.items(rule, "when", &rp);
            let mut when = Vec::with_capacity(listed.len());
            for (c, cp) in listed {
                if r.map(Some(c), &cp).is_none() {
                    continue;
                }
                let Some(key) = r.field_string(c, "key", &cp) else {
                    r.invalid(&cp, "a `when` condition needs `key`".to_string());
                    continue;
                };
                let values = r.strings(c, "values", &cp);
                let not_values = r.strings(c, "notValues", &cp);
                if key.value == "destination.port" {
                    check_istio_ports(r, &values, "destination.port");
                    check_istio_ports(r, &not_values, "destination.port");
                }
                when.push(Condition {
                    key,
                    values,
                    not_values,
                    path: cp,
                });
            }
            if let Some(from) = &from {
                for clause in from {
                    let has_sa = clause.field("serviceAccounts").is_some()
                        || clause.field("notServiceAccounts").is_some();
                    let has_other = ["principals", "notPrincipals", "namespaces", "notNamespaces"]
                        .iter()
                        .any(|f| clause.field(f).is_some());
                    if has_sa && has_other {
                        r.invalid(&clause.path, "`serviceAccounts` cannot be combined with `principals` or `namespaces`".to_string());
                    }
                }
            }
            rules.push(AuthzRule {
                path: rp,
                from,
                to,
                when,
            });
        }
        Some(AuthorizationPolicy {
            meta,
            selector,
            target_refs,
            action,
            action_path: p("spec.action"),
            rules,
        })
    }
}

fn read_clauses(
    r: &mut Reader,
    rule: Node<'_>,
    rp: &FieldPath,
    list: &str,
    inner: &str,
) -> Option<Vec<Clause>> {
    rule.get(list).filter(|n| !n.is_null())?;
    let items = r.items(rule, list, rp);
    let mut out = Vec::with_capacity(items.len());
    for (item, ip) in items {
        if r.map(Some(item), &ip).is_none() {
            continue;
        }
        let cp = ip.key(inner);
        let Some(clause) = r.map(item.get(inner), &cp) else {
            r.invalid(&ip, format!("each `{list}` entry needs `{inner}`"));
            continue;
        };
        let entries = clause.as_map().unwrap_or_default();
        let mut fields = Vec::with_capacity(entries.len());
        for e in entries {
            let Some(name) = e.key.as_str() else { continue };
            let fp = cp.key(name);
            let values = r.strings(clause, name, &cp);
            if inner == "operation" && (name == "ports" || name == "notPorts") {
                check_istio_ports(r, &values, name);
            }
            fields.push(StringsField {
                name: name.to_string(),
                values,
                path: fp,
            });
        }
        out.push(Clause { path: cp, fields });
    }
    Some(out)
}

/// AuthorizationPolicy ports (`to.operation.ports`, `notPorts`, `when` `destination.port`) are
/// strings holding a decimal port number. istiod reads them with `strconv.ParseUint(v, 10, 32)`
/// and `<= 65535` (`security.ValidatePorts` in its validation, `stringToPort` in the ztunnel
/// conversion): a port name or an out-of-range number is refused by the validation and, where that
/// is bypassed, dropped, so the rule never matches what was meant. `0` passes both but is no port
/// any connection uses.
fn check_istio_ports(r: &mut Reader, values: &[Str], field: &str) {
    const HELP: &str = "use the port number; AuthorizationPolicy ports are numbers, not names";
    const DROPPED: &str = "Istio's validation refuses the policy, and where validation is off istiod drops the entry, so it never applies to the port that was meant";
    for v in values {
        let s = v.as_str();
        let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (message, help) = match s.parse::<u32>() {
            Ok(1..=65535) if digits => continue,
            Ok(0) if digits => (
                format!(
                    "`{field}` entry `0` is no port a connection uses, so it matches no traffic"
                ),
                "write the port the workload listens on (1-65535)",
            ),
            _ if digits => (
                format!("`{field}` entry `{s}` is out of range (1-65535): {DROPPED}"),
                HELP,
            ),
            _ => (
                format!("`{field}` entry `{s}` is not a port number: {DROPPED}"),
                HELP,
            ),
        };
        r.invalid_with_help(&v.path, message, help);
    }
}

/// Istio's `selector: {matchLabels: ...}` (WorkloadSelector).
fn read_istio_selector(r: &mut Reader, spec: Node<'_>) -> Option<LabelSelector> {
    let sp = p("spec.selector");
    let sel = r.map(spec.get("selector"), &sp)?;
    let labels = r.string_map(sel.get("matchLabels"), &sp.key("matchLabels"));
    Some(LabelSelector::from_labels(labels, sp))
}

fn read_target_refs(r: &mut Reader, spec: Node<'_>) -> Vec<TargetRef> {
    let mut out = Vec::new();
    let mut items: Vec<(Node<'_>, FieldPath)> = r.items(spec, "targetRefs", &p("spec"));
    if let Some(single) = r.map(spec.get("targetRef"), &p("spec.targetRef")) {
        items.push((single, p("spec.targetRef")));
    }
    for (n, tp) in items {
        if r.map(Some(n), &tp).is_none() {
            continue;
        }
        out.push(TargetRef {
            group: r
                .field_string(n, "group", &tp)
                .map(|s| s.value)
                .unwrap_or_default(),
            kind: r
                .field_string(n, "kind", &tp)
                .map(|s| s.value)
                .unwrap_or_default(),
            name: r
                .field_string(n, "name", &tp)
                .map(|s| s.value)
                .unwrap_or_default(),
            namespace: r.field_string(n, "namespace", &tp).map(|s| s.value),
            path: tp,
        });
    }
    out
}

#[derive(Clone, Debug)]
pub struct PeerAuthentication {
    pub meta: Meta,
    pub selector: Option<LabelSelector>,
    pub mode: Option<Str>,
    /// `portLevelMtls`: container port → mode.
    pub port_modes: Vec<(String, Str)>,
}

impl PeerAuthentication {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> PeerAuthentication {
        let spec = r.map(obj.node().get("spec"), &p("spec"));
        let mut port_modes = Vec::new();
        let (selector, mode) = match spec {
            Some(spec) => {
                let mtls = r.map(spec.get("mtls"), &p("spec.mtls"));
                let lp = p("spec.portLevelMtls");
                if let Some(levels) = r.map(spec.get("portLevelMtls"), &lp) {
                    for e in levels.as_map().unwrap_or_default() {
                        let Some(port) = e.key.as_str() else { continue };
                        let pp = lp.key(port);
                        if let Some(m) = r.map(Some(e.value), &pp)
                            && let Some(mode) = r.field_string(m, "mode", &pp)
                        {
                            port_modes.push((port.to_string(), mode));
                        }
                    }
                }
                (
                    read_istio_selector(r, spec),
                    mtls.and_then(|m| r.field_string(m, "mode", &p("spec.mtls"))),
                )
            }
            None => (None, None),
        };
        PeerAuthentication {
            meta,
            selector,
            mode,
            port_modes,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestAuthentication {
    pub meta: Meta,
    pub selector: Option<LabelSelector>,
    pub target_refs: Vec<TargetRef>,
}

impl RequestAuthentication {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> RequestAuthentication {
        let spec = r.map(obj.node().get("spec"), &p("spec"));
        let (selector, target_refs) = match spec {
            Some(spec) => (read_istio_selector(r, spec), read_target_refs(r, spec)),
            None => (None, vec![]),
        };
        RequestAuthentication {
            meta,
            selector,
            target_refs,
        }
    }
}

// ---------------------------------------------------------------- Gateway API

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoutesFrom {
    Same,
    All,
    Selector(LabelSelector),
    None,
}

impl PartialEq for LabelSelector {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}
impl Eq for LabelSelector {}

#[derive(Clone, Debug)]
pub struct Listener {
    pub name: String,
    pub port: Option<i64>,
    pub protocol: String,
    pub hostname: Option<String>,
    pub routes_from: RoutesFrom,
    /// `allowedRoutes.kinds[]` as (group, kind); empty means the protocol's default kinds.
    pub kinds: Vec<(String, String)>,
    /// `tls.mode` when `tls` is set: `Terminate` (the default) or `Passthrough`.
    pub tls_mode: Option<String>,
    pub path: FieldPath,
}

impl Listener {
    /// The route kinds the listener's protocol carries by the Gateway API (`gateway_types.go`;
    /// GRPCRoute rides HTTP and HTTPS).
    fn protocol_kinds(&self, istio: bool) -> &'static [&'static str] {
        match self.protocol.as_str() {
            "HTTP" | "HTTPS" => &["HTTPRoute", "GRPCRoute"],
            // istiod also serves TCPRoute on a TLS listener that terminates TLS
            // (gatewaycommon `GenerateGatewaySupportedKinds`).
            "TLS" if istio && self.tls_mode.as_deref() == Some("Terminate") => {
                &["TLSRoute", "TCPRoute"]
            }
            "TLS" => &["TLSRoute"],
            "TCP" => &["TCPRoute"],
            // Istio implements no UDPRoute.
            "UDP" if istio => &[],
            "UDP" => &["UDPRoute"],
            // A protocol istiod does not know carries nothing (an empty kind list).
            _ if istio => &[],
            // A protocol of another implementation's own: not judged.
            _ => &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"],
        }
    }

    /// Whether the listener accepts routes of this kind. For Istio (`istio`), the kinds its
    /// protocol carries narrowed by `allowedRoutes.kinds` (istiod intersects them); for another
    /// implementation, the kinds listed, else the protocol's.
    pub fn accepts_kind(&self, kind: &str, istio: bool) -> bool {
        let listed = |k: &str| {
            self.kinds
                .iter()
                .any(|(g, lk)| lk == k && g == GATEWAY_API_GROUP)
        };
        let by_protocol = self.protocol_kinds(istio).contains(&kind);
        match (self.kinds.is_empty(), istio) {
            (true, _) => by_protocol,
            (false, true) => by_protocol && listed(kind),
            (false, false) => listed(kind),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Gateway {
    pub meta: Meta,
    pub class_name: Str,
    pub listeners: Vec<Listener>,
    /// `allowedListeners.namespaces`: which ListenerSets may attach (default: none).
    pub allowed_listeners: RoutesFrom,
}

pub const WAYPOINT_CLASS: &str = "istio-waypoint";
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

impl Gateway {
    pub fn is_waypoint(&self) -> bool {
        self.class_name.value == WAYPOINT_CLASS
    }

    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<Gateway> {
        let spec = r.map(obj.node().get("spec"), &p("spec"))?;
        let Some(class_name) = r.field_string(spec, "gatewayClassName", &p("spec")) else {
            r.invalid(&p("spec"), "a Gateway needs `gatewayClassName`".to_string());
            return None;
        };
        let listeners = read_listeners(r, spec, &p("spec"));
        let ap = p("spec.allowedListeners.namespaces");
        let ns = spec
            .get("allowedListeners")
            .and_then(|a| a.get("namespaces"));
        let ns = r.map(ns, &ap);
        let allowed_listeners = read_namespaces_from(r, ns, &ap, RoutesFrom::None);
        Some(Gateway {
            meta,
            class_name,
            listeners,
            allowed_listeners,
        })
    }
}

/// The `listeners` of a Gateway or a ListenerSet.
fn read_listeners(r: &mut Reader, spec: Node<'_>, base: &FieldPath) -> Vec<Listener> {
    let listed = r.items(spec, "listeners", base);
    let mut listeners = Vec::with_capacity(listed.len());
    for (l, lp) in listed {
        if r.map(Some(l), &lp).is_none() {
            continue;
        }
        let port = r.int(l.get("port"), &lp.key("port"));
        let ap = lp.key("allowedRoutes").key("namespaces");
        let ns = l.get("allowedRoutes").and_then(|a| a.get("namespaces"));
        let ns = r.map(ns, &ap);
        let routes_from = read_namespaces_from(r, ns, &ap, RoutesFrom::Same);
        let kinds = l
            .get("allowedRoutes")
            .map(|a| {
                r.items(a, "kinds", &lp.key("allowedRoutes"))
                    .into_iter()
                    .filter_map(|(k, kp)| {
                        let k = r.map(Some(k), &kp)?;
                        let kind = r.field_string(k, "kind", &kp)?.value;
                        let group = r
                            .field_string(k, "group", &kp)
                            .map_or(GATEWAY_API_GROUP.to_string(), |s| s.value);
                        Some((group, kind))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The API server defaults `tls.mode` to Terminate.
        let tls_mode = r.map(l.get("tls"), &lp.key("tls")).map(|t| {
            r.field_string(t, "mode", &lp.key("tls"))
                .map_or("Terminate".to_string(), |s| s.value)
        });
        listeners.push(Listener {
            kinds,
            tls_mode,
            hostname: r.field_string(l, "hostname", &lp).map(|s| s.value),
            name: r
                .field_string(l, "name", &lp)
                .map(|s| s.value)
                .unwrap_or_default(),
            port,
            protocol: r
                .field_string(l, "protocol", &lp)
                .map(|s| s.value)
                .unwrap_or_default(),
            routes_from,
            path: lp,
        });
    }
    listeners
}

/// `from` (and `selector`) of a listener's `allowedRoutes.namespaces` or a Gateway's
/// `allowedListeners.namespaces`; `default` when `from` is absent.
fn read_namespaces_from(
    r: &mut Reader,
    ns: Option<Node<'_>>,
    ap: &FieldPath,
    default: RoutesFrom,
) -> RoutesFrom {
    match ns
        .and_then(|n| r.field_string(n, "from", ap))
        .as_ref()
        .map(|s| s.as_str())
    {
        None => default,
        Some("Same") => RoutesFrom::Same,
        Some("All") => RoutesFrom::All,
        Some("None") => RoutesFrom::None,
        Some("Selector") => {
            match ns.and_then(|n| LabelSelector::read(r, n.get("selector"), &ap.key("selector"))) {
                Some(sel) => RoutesFrom::Selector(sel),
                None => RoutesFrom::None,
            }
        }
        Some(other) => {
            let other = other.to_string();
            r.invalid(
                &ap.key("from"),
                format!("`{other}` is not one of Same, All, Selector, None"),
            );
            default
        }
    }
}

/// A ListenerSet (Gateway API v1.5): listeners merged into a parent Gateway, to which routes
/// attach as to a Gateway (parentRef kind `ListenerSet`).
#[derive(Clone, Debug)]
pub struct ListenerSet {
    pub meta: Meta,
    /// The Gateway it adds listeners to: (namespace, name).
    pub parent: Option<(String, String)>,
    pub listeners: Vec<Listener>,
}

impl ListenerSet {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<ListenerSet> {
        let spec = r.map(obj.node().get("spec"), &p("spec"))?;
        let pp = p("spec.parentRef");
        let parent = r.map(spec.get("parentRef"), &pp).and_then(|n| {
            let name = r.field_string(n, "name", &pp)?.value;
            let ns = r
                .field_string(n, "namespace", &pp)
                .map_or_else(|| meta.namespace.to_string(), |s| s.value);
            Some((ns, name))
        });
        let listeners = read_listeners(r, spec, &p("spec"));
        Some(ListenerSet {
            meta,
            parent,
            listeners,
        })
    }
}

/// An Istio ServiceEntry, as routes see it: a parent (mesh routes) and hostnames a backendRef
/// of kind `Hostname` may name.
#[derive(Clone, Debug)]
pub struct ServiceEntry {
    pub meta: Meta,
    pub hosts: Vec<String>,
}

impl ServiceEntry {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> ServiceEntry {
        let hosts = r
            .map(obj.node().get("spec"), &p("spec"))
            .map(|spec| {
                r.strings(spec, "hosts", &p("spec"))
                    .into_iter()
                    .map(|s| s.value)
                    .collect()
            })
            .unwrap_or_default();
        ServiceEntry { meta, hosts }
    }
}

/// An XBackend (`gateway.networking.x-k8s.io`): an external hostname a route may send to.
#[derive(Clone, Debug)]
pub struct XBackend {
    pub meta: Meta,
    /// `spec.type`; istiod serves only `ExternalHostname`.
    pub backend_type: String,
    pub hostname: Option<String>,
    pub port: Option<i64>,
}

impl XBackend {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> XBackend {
        let spec = r.map(obj.node().get("spec"), &p("spec"));
        let field = |r: &mut Reader, key: &str| {
            spec.and_then(|s| r.field_string(s, key, &p("spec")))
                .map(|s| s.value)
        };
        let backend_type = field(r, "type").unwrap_or_default();
        let hostname = spec
            .and_then(|s| s.get("externalHostname"))
            .and_then(|h| h.get("hostname"))
            .and_then(|h| h.as_str())
            .map(str::to_string);
        let port = spec
            .and_then(|s| s.get("port"))
            .and_then(|pn| pn.get("port"))
            .and_then(|n| n.as_str())
            .and_then(|n| n.parse().ok());
        XBackend {
            meta,
            backend_type,
            hostname,
            port,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ParentRef {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub section_name: Option<String>,
    /// `port`: only listeners on this port.
    pub port: Option<i64>,
    pub path: FieldPath,
}

impl ParentRef {
    pub fn is_gateway(&self) -> bool {
        self.group == GATEWAY_API_GROUP && self.kind == "Gateway"
    }

    /// A Service parent: a mesh (GAMMA) route. Group `core` is not the core group to istiod.
    pub fn is_service(&self) -> bool {
        self.group.is_empty() && self.kind == "Service"
    }

    /// A ServiceEntry parent: a mesh route for an Istio ServiceEntry.
    pub fn is_service_entry(&self) -> bool {
        self.group == "networking.istio.io" && self.kind == "ServiceEntry"
    }

    /// A ListenerSet parent (Gateway API v1.5; istiod 86c9f01 takes no `XListenerSet`).
    pub fn is_listener_set(&self) -> bool {
        self.group == GATEWAY_API_GROUP && self.kind == "ListenerSet"
    }

    /// Whether the route's own status says a controller other than Istio's handles this parent.
    pub fn is_foreign(&self, foreign: &[ForeignParent]) -> bool {
        foreign.iter().any(|(g, k, ns, name)| {
            *g == self.group && *k == self.kind && *ns == self.namespace && *name == self.name
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathMatch {
    Exact(String),
    Prefix(String),
    Regex(String),
}

#[derive(Clone, Debug)]
pub struct RouteMatch {
    pub path: FieldPath,
    /// None: `PathPrefix /`.
    pub path_match: Option<(PathMatch, FieldPath)>,
    pub method: Option<Str>,
}

#[derive(Clone, Debug)]
pub struct BackendRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// Whether `namespace` was written (a `Hostname` backend must not have one).
    pub namespace_set: bool,
    pub port: Option<i64>,
    /// `weight`; istiod resolves no backend of weight 0 (it gets no traffic).
    pub weight: Option<i64>,
    pub path: FieldPath,
    /// The backend of a `RequestMirror` filter: it gets copies, the answer comes from elsewhere.
    pub mirror: bool,
    /// Its own `filters` (none on a mirror's backend).
    pub filters: Vec<Filter>,
}

impl BackendRef {
    /// `(group, kind)` exactly: istiod does not take `core` for the core group `""`.
    pub fn is_kind(&self, group: &str, kind: &str) -> bool {
        self.group == group && self.kind == kind
    }

    pub fn is_service(&self) -> bool {
        self.is_kind("", "Service")
    }
}

#[derive(Clone, Debug)]
pub struct RouteRule {
    pub path: FieldPath,
    /// Empty when the rule has no `matches`: every request (PathPrefix `/`, any method).
    pub matches: Vec<RouteMatch>,
    pub backend_refs: Vec<BackendRef>,
    /// The backends of the rule's `RequestMirror` filters.
    pub mirror_refs: Vec<BackendRef>,
    pub filters: Vec<Filter>,
}

/// A route filter: its `type` and where it is written.
#[derive(Clone, Debug)]
pub struct Filter {
    pub kind: String,
    pub path: FieldPath,
}

/// The `filters` of a route rule or a backendRef.
fn read_filters(r: &mut Reader, owner: Node<'_>, at: &FieldPath) -> Vec<Filter> {
    r.items(owner, "filters", at)
        .into_iter()
        .filter_map(|(f, fp)| {
            let kind = r
                .map(Some(f), &fp)
                .and_then(|m| r.field_string(m, "type", &fp))?;
            Some(Filter {
                kind: kind.value,
                path: fp.key("type"),
            })
        })
        .collect()
}

/// A parent the route's own `status` says another controller than Istio's handles:
/// (group, kind, namespace, name). Such a parent exists even when the input lacks it.
pub type ForeignParent = (String, String, String, String);

/// The parents of a route's `status.parents` written by a controller other than Istio's.
fn read_foreign_parents(obj: &Object, meta: &Meta) -> Vec<ForeignParent> {
    let Some(parents) = obj
        .node()
        .get("status")
        .and_then(|s| s.get("parents"))
        .and_then(|p| p.as_seq())
    else {
        return Vec::new();
    };
    parents
        .iter()
        .filter(|e| {
            e.get("controllerName")
                .and_then(|c| c.as_str())
                .is_some_and(|c| !c.starts_with("istio.io/"))
        })
        .filter_map(|e| {
            let r = e.get("parentRef")?;
            let s = |k: &str| r.get(k).and_then(|v| v.as_str()).map(str::to_string);
            Some((
                s("group").unwrap_or(GATEWAY_API_GROUP.to_string()),
                s("kind").unwrap_or("Gateway".to_string()),
                s("namespace").unwrap_or(meta.namespace.to_string()),
                s("name")?,
            ))
        })
        .collect()
}

#[derive(Clone, Debug)]
pub struct HttpRoute {
    pub meta: Meta,
    pub parent_refs: Vec<ParentRef>,
    pub foreign_parents: Vec<ForeignParent>,
    /// `spec.hostnames`; empty means every hostname.
    pub hostnames: Vec<String>,
    pub rules: Vec<RouteRule>,
}

impl HttpRoute {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<HttpRoute> {
        let (spec, parent_refs, hostnames) = read_route_head(r, obj, &meta)?;
        let listed = r.items(spec, "rules", &p("spec"));
        let mut rules = Vec::with_capacity(listed.len());
        for (rule, rp) in listed {
            if r.map(Some(rule), &rp).is_none() {
                continue;
            }
            let listed = r.items(rule, "matches", &rp);
            let mut matches = Vec::with_capacity(listed.len());
            for (m, mp) in listed {
                if r.map(Some(m), &mp).is_none() {
                    continue;
                }
                let pp = mp.key("path");
                let path_match = r.map(m.get("path"), &pp).and_then(|pn| {
                    let value = r.field_string(pn, "value", &pp).map_or("/".to_string(), |s| s.value);
                    let kind = r.field_string(pn, "type", &pp);
                    let pm = match kind.as_ref().map(|s| s.as_str()) {
                        None | Some("PathPrefix") => PathMatch::Prefix(value),
                        Some("Exact") => PathMatch::Exact(value),
                        Some("RegularExpression") => PathMatch::Regex(value),
                        Some(other) => {
                            let other = other.to_string();
                            r.invalid(&pp.key("type"), format!("`{other}` is not a path match type (Exact, PathPrefix, RegularExpression)"));
                            return None;
                        }
                    };
                    Some((pm, pp.clone()))
                });
                let method = r.field_string(m, "method", &mp);
                if let Some(m) = &method
                    && !HTTP_METHODS.contains(&m.value.as_str())
                {
                    r.invalid(
                        &m.path,
                        format!(
                            "`{}` is not an HTTP method the Gateway API accepts ({})",
                            m.value,
                            HTTP_METHODS.join(", ")
                        ),
                    );
                }
                matches.push(RouteMatch {
                    path: mp,
                    path_match,
                    method,
                });
            }
            let (backend_refs, mirror_refs) = read_backend_refs(r, rule, &rp, &meta);
            rules.push(RouteRule {
                filters: read_filters(r, rule, &rp),
                path: rp,
                matches,
                backend_refs,
                mirror_refs,
            });
        }
        Some(HttpRoute {
            foreign_parents: read_foreign_parents(obj, &meta),
            meta,
            parent_refs,
            hostnames,
            rules,
        })
    }
}

/// A gRPC match's `method`: the service and method it names (None: any).
#[derive(Clone, Debug)]
pub struct GrpcMethodMatch {
    pub service: Option<String>,
    pub method: Option<String>,
    /// `type: RegularExpression`: the names are patterns.
    pub regex: bool,
}

#[derive(Clone, Debug)]
pub struct GrpcRouteRule {
    pub path: FieldPath,
    /// One per match; a match without `method` is None. Empty: every call.
    pub matches: Vec<Option<GrpcMethodMatch>>,
    pub backend_refs: Vec<BackendRef>,
    pub mirror_refs: Vec<BackendRef>,
    pub filters: Vec<Filter>,
}

/// A GRPCRoute: its parents, and per rule the methods it matches and its backends.
#[derive(Clone, Debug)]
pub struct GrpcRoute {
    pub meta: Meta,
    pub parent_refs: Vec<ParentRef>,
    pub foreign_parents: Vec<ForeignParent>,
    /// `spec.hostnames`; empty means every hostname.
    pub hostnames: Vec<String>,
    pub rules: Vec<GrpcRouteRule>,
}

impl GrpcRoute {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<GrpcRoute> {
        let (spec, parent_refs, hostnames) = read_route_head(r, obj, &meta)?;
        let listed = r.items(spec, "rules", &p("spec"));
        let mut rules = Vec::with_capacity(listed.len());
        for (rule, rp) in listed {
            if r.map(Some(rule), &rp).is_none() {
                continue;
            }
            let listed = r.items(rule, "matches", &rp);
            let mut matches = Vec::with_capacity(listed.len());
            for (m, mp) in listed {
                if r.map(Some(m), &mp).is_none() {
                    continue;
                }
                let method_path = mp.key("method");
                let method = r
                    .map(m.get("method"), &method_path)
                    .map(|n| GrpcMethodMatch {
                        service: r.field_string(n, "service", &method_path).map(|s| s.value),
                        method: r.field_string(n, "method", &method_path).map(|s| s.value),
                        regex: r
                            .field_string(n, "type", &method_path)
                            .is_some_and(|t| t.value == "RegularExpression"),
                    });
                matches.push(method);
            }
            let (backend_refs, mirror_refs) = read_backend_refs(r, rule, &rp, &meta);
            rules.push(GrpcRouteRule {
                filters: read_filters(r, rule, &rp),
                path: rp,
                matches,
                backend_refs,
                mirror_refs,
            });
        }
        Some(GrpcRoute {
            foreign_parents: read_foreign_parents(obj, &meta),
            meta,
            parent_refs,
            hostnames,
            rules,
        })
    }
}

pub const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

fn read_parent_refs(r: &mut Reader, spec: Node<'_>, meta: &Meta) -> Vec<ParentRef> {
    let listed = r.items(spec, "parentRefs", &p("spec"));
    let mut out = Vec::with_capacity(listed.len());
    for (n, pp) in listed {
        if r.map(Some(n), &pp).is_none() {
            continue;
        }
        let Some(name) = r.field_string(n, "name", &pp) else {
            r.invalid(&pp, "a parentRef needs `name`".to_string());
            continue;
        };
        out.push(ParentRef {
            group: r
                .field_string(n, "group", &pp)
                .map_or("gateway.networking.k8s.io".into(), |s| s.value),
            kind: r
                .field_string(n, "kind", &pp)
                .map_or("Gateway".into(), |s| s.value),
            namespace: r
                .field_string(n, "namespace", &pp)
                .map_or(meta.namespace.to_string(), |s| s.value),
            name: name.value,
            section_name: r.field_string(n, "sectionName", &pp).map(|s| s.value),
            port: r.int(n.get("port"), &pp.key("port")),
            path: pp,
        });
    }
    out
}

/// What every route kind has: its `spec`, `parentRefs` and `hostnames` (empty: every hostname).
fn read_route_head<'o>(
    r: &mut Reader,
    obj: &'o Object,
    meta: &Meta,
) -> Option<(Node<'o>, Vec<ParentRef>, Vec<String>)> {
    let spec = r.map(obj.node().get("spec"), &p("spec"))?;
    let parent_refs = read_parent_refs(r, spec, meta);
    let hostnames = r
        .strings(spec, "hostnames", &p("spec"))
        .into_iter()
        .map(|s| s.value)
        .collect();
    Some((spec, parent_refs, hostnames))
}

/// A rule's `backendRefs`, and the backends of the rule's `RequestMirror` filters (istiod
/// takes a mirror only there: on a backendRef it is an unsupported filter).
fn read_backend_refs(
    r: &mut Reader,
    rule: Node<'_>,
    rp: &FieldPath,
    meta: &Meta,
) -> (Vec<BackendRef>, Vec<BackendRef>) {
    let mut refs = Vec::new();
    let mut mirrors = Vec::new();
    read_mirrors(r, rule, rp, meta, &mut mirrors);
    for (n, bp) in r.items(rule, "backendRefs", rp) {
        if r.map(Some(n), &bp).is_none() {
            continue;
        }
        refs.extend(read_backend_ref(r, n, bp, meta, false));
    }
    (refs, mirrors)
}

fn read_mirrors(
    r: &mut Reader,
    owner: Node<'_>,
    at: &FieldPath,
    meta: &Meta,
    out: &mut Vec<BackendRef>,
) {
    for (f, fp) in r.items(owner, "filters", at) {
        let mp = fp.key("requestMirror");
        if let Some(m) = f.get("requestMirror")
            && r.map(Some(m), &mp).is_some()
            && let Some(b) = m.get("backendRef")
            && r.map(Some(b), &mp.key("backendRef")).is_some()
        {
            out.extend(read_backend_ref(r, b, mp.key("backendRef"), meta, true));
        }
    }
}

fn read_backend_ref(
    r: &mut Reader,
    n: Node<'_>,
    bp: FieldPath,
    meta: &Meta,
    mirror: bool,
) -> Option<BackendRef> {
    let Some(name) = r.field_string(n, "name", &bp) else {
        r.invalid(&bp, "a backendRef needs `name`".to_string());
        return None;
    };
    let namespace = r.field_string(n, "namespace", &bp);
    let filters = if mirror {
        Vec::new()
    } else {
        read_filters(r, n, &bp)
    };
    Some(BackendRef {
        filters,
        group: r
            .field_string(n, "group", &bp)
            .map_or(String::new(), |s| s.value),
        kind: r
            .field_string(n, "kind", &bp)
            .map_or("Service".into(), |s| s.value),
        namespace_set: namespace.is_some(),
        namespace: namespace.map_or(meta.namespace.to_string(), |s| s.value),
        name: name.value,
        port: r.int(n.get("port"), &bp.key("port")),
        weight: r.int(n.get("weight"), &bp.key("weight")),
        path: bp,
        mirror,
    })
}

/// A TLSRoute, TCPRoute or UDPRoute: parents, and per rule the backends; no request matching.
#[derive(Clone, Debug)]
pub struct L4Route {
    pub meta: Meta,
    pub kind: &'static str,
    pub parent_refs: Vec<ParentRef>,
    pub foreign_parents: Vec<ForeignParent>,
    /// `spec.hostnames` (TLSRoute: SNI); empty means every hostname.
    pub hostnames: Vec<String>,
    pub rules: Vec<L4RouteRule>,
}

#[derive(Clone, Debug)]
pub struct L4RouteRule {
    pub path: FieldPath,
    pub backend_refs: Vec<BackendRef>,
}

impl L4Route {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<L4Route> {
        let kind = match obj.kind.as_str() {
            "TLSRoute" => "TLSRoute",
            "TCPRoute" => "TCPRoute",
            _ => "UDPRoute",
        };
        let (spec, parent_refs, hostnames) = read_route_head(r, obj, &meta)?;
        let listed = r.items(spec, "rules", &p("spec"));
        let mut rules = Vec::with_capacity(listed.len());
        for (rule, rp) in listed {
            if r.map(Some(rule), &rp).is_none() {
                continue;
            }
            // No filters on these kinds: no mirrors.
            let (backend_refs, _) = read_backend_refs(r, rule, &rp, &meta);
            rules.push(L4RouteRule {
                path: rp,
                backend_refs,
            });
        }
        Some(L4Route {
            foreign_parents: read_foreign_parents(obj, &meta),
            meta,
            kind,
            parent_refs,
            hostnames,
            rules,
        })
    }
}

#[derive(Clone, Debug)]
pub struct GatewayClass {
    pub meta: Meta,
    pub controller: Option<String>,
}

#[derive(Clone, Debug)]
pub struct GrantFrom {
    pub group: String,
    pub kind: String,
    pub namespace: String,
}

#[derive(Clone, Debug)]
pub struct GrantTo {
    pub group: String,
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ReferenceGrant {
    pub meta: Meta,
    pub from: Vec<GrantFrom>,
    pub to: Vec<GrantTo>,
}

impl ReferenceGrant {
    pub fn read(r: &mut Reader, obj: &Object, meta: Meta) -> Option<ReferenceGrant> {
        let spec = r.map(obj.node().get("spec"), &p("spec"))?;
        let listed = r.items(spec, "from", &p("spec"));
        let mut from = Vec::with_capacity(listed.len());
        for (n, fp) in listed {
            if r.map(Some(n), &fp).is_none() {
                continue;
            }
            from.push(GrantFrom {
                group: r
                    .field_string(n, "group", &fp)
                    .map(|s| s.value)
                    .unwrap_or_default(),
                kind: r
                    .field_string(n, "kind", &fp)
                    .map(|s| s.value)
                    .unwrap_or_default(),
                namespace: r
                    .field_string(n, "namespace", &fp)
                    .map(|s| s.value)
                    .unwrap_or_default(),
            });
        }
        let listed = r.items(spec, "to", &p("spec"));
        let mut to = Vec::with_capacity(listed.len());
        for (n, tp) in listed {
            if r.map(Some(n), &tp).is_none() {
                continue;
            }
            to.push(GrantTo {
                group: r
                    .field_string(n, "group", &tp)
                    .map(|s| s.value)
                    .unwrap_or_default(),
                kind: r
                    .field_string(n, "kind", &tp)
                    .map(|s| s.value)
                    .unwrap_or_default(),
                name: r.field_string(n, "name", &tp).map(|s| s.value),
            });
        }
        Some(ReferenceGrant { meta, from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        assert!(cidr_contains("10.0.0.0/8", "10.1.0.0/16"));
        assert!(!cidr_contains("10.0.0.0/16", "10.1.0.0/24"));
        assert!(!cidr_contains("10.0.0.0/16", "10.0.0.0/8"));
        assert!(cidr_contains("0.0.0.0/0", "169.254.7.127/32"));
        assert!(cidr_contains("169.254.7.127/32", "169.254.7.127"));
        assert!(!cidr_contains("10.0.0.0/8", "fd00::/8"));
    }

    fn build(text: &str) -> crate::model::Model {
        let inputs = crate::load::Inputs::from_texts([("t.yaml", text)]);
        assert!(inputs.findings.is_empty(), "{:?}", inputs.findings);
        crate::model::Model::build(&inputs, crate::model::ModelOptions::default())
    }

    const WORKLOAD: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: w, image: w}]}
";

    #[test]
    fn a_network_policy_without_pod_selector_selects_every_pod() {
        let text = format!(
            "{WORKLOAD}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: no-selector, namespace: shop}}
spec:
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: null-selector, namespace: shop}}
spec: {{podSelector: null, egress: [{{}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: no-spec, namespace: shop}}
"
        );
        let m = build(&text);
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        let types: Vec<(&str, bool, bool)> = m
            .network_policies
            .iter()
            .map(|p| (p.meta.name.as_str(), p.ingress_type, p.egress_type))
            .collect();
        assert_eq!(
            types,
            [
                ("no-selector", true, true),
                ("null-selector", true, true),
                ("no-spec", true, false)
            ]
        );
        for p in &m.network_policies {
            assert!(p.pod_selector.is_empty());
            assert_eq!(p.pod_selector.path.as_str(), "spec.podSelector");
            assert_eq!(m.select_workloads(Some("shop"), &p.pod_selector).len(), 1);
        }
    }

    #[test]
    fn a_pod_selector_of_the_wrong_shape_is_still_invalid() {
        let m = build(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec: {podSelector: [app]}
",
        );
        assert!(m.network_policies.is_empty());
        assert_eq!(m.findings.len(), 1, "{:?}", m.findings);
        assert!(
            m.findings[0]
                .message
                .contains("`podSelector` must be a mapping")
        );
    }

    #[test]
    fn authorization_policy_ports_must_be_port_numbers() {
        let m = build(
            r#"apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: shop}
spec:
  rules:
    - to:
        - operation: {ports: ["8080", "http", "00443"], notPorts: ["0", "70000", "-1", "+80", ""]}
      when:
        - {key: destination.port, values: ["65535", "65536"], notValues: ["dns"]}
        - {key: source.namespace, values: ["http"]}
"#,
        );
        assert!(m.authorization_policies.is_empty());
        let found: Vec<(String, &str)> = m
            .findings
            .iter()
            .map(|f| match &f.location {
                crate::finding::Location::Field { path, .. } => (path.to_string(), f.help.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        let names = "use the port number; AuthorizationPolicy ports are numbers, not names";
        let zero = "write the port the workload listens on (1-65535)";
        let op = "spec.rules[0].to[0].operation";
        let when = "spec.rules[0].when[0]";
        assert_eq!(
            found,
            [
                (format!("{op}.ports[1]"), names),
                (format!("{op}.notPorts[0]"), zero),
                (format!("{op}.notPorts[1]"), names),
                (format!("{op}.notPorts[2]"), names),
                (format!("{op}.notPorts[3]"), names),
                (format!("{op}.notPorts[4]"), names),
                (format!("{when}.values[1]"), names),
                (format!("{when}.notValues[0]"), names),
            ]
        );
        assert!(
            m.findings[0]
                .message
                .contains("`ports` entry `http` is not a port number")
        );
        assert!(m.findings[2].message.contains("`70000` is out of range"));
    }
}
