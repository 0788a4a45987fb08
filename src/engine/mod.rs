//! The policy engine: what Kubernetes NetworkPolicy, ambient's wire and Istio authorization
//! admit between two endpoints. Rules and the `graph`/`connectivity` commands query it; they do
//! not re-derive the semantics (docs/flows.md).
//!
//! Every answer is three-valued: where the input cannot tell (a namespace's labels, whether an
//! `ipBlock` covers pod addresses under the CNI in use), the engine says unknown and why.

pub mod authz;
/// Address ranges live with the model, which validates `ipBlock`s with them.
pub use crate::model::ip;
pub mod netpol;
pub mod ports;
pub mod reach;
pub mod wire;

use crate::hash::HashMap;
use std::borrow::Cow;

use crate::finding::Location;
use crate::intern::Atom;
use crate::model::resources::Workload;
use crate::model::selector::{GATEWAY_POD_LABELS, Labels};
use crate::model::{Dataplane, Model, qualified};
use ip::IpRange;

pub use netpol::Direction;

/// One side of a connection: the pods of a workload, the pods Istio deploys for a Gateway
/// (an ingress gateway or a waypoint), or addresses outside the pod network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Workload(usize),
    /// The pods of Gateway `name` in `namespace`; `gateway` indexes `model.gateways` when the
    /// input holds the Gateway (a waypoint named by a label may not be).
    IstioGateway {
        namespace: String,
        name: String,
        gateway: Option<usize>,
    },
    Ip(IpRange),
}

/// Whether an `ipBlock` can match pod addresses. Kubernetes leaves it to the CNI (some match pod
/// IPs against ipBlocks, some do not), so flow verdicts call it unknown; `connectivity --mode
/// plain` takes the reading NetworkPolicy analyzers take, that ipBlocks name addresses outside
/// the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpBlocksAndPods {
    Unknown,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Denied,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "blocked",
            Verdict::Unknown => "unknown",
        }
    }

    /// Both must allow: denied if either denies, allowed only if both allow.
    pub fn and(self, other: Verdict) -> Verdict {
        match (self, other) {
            (Verdict::Denied, _) | (_, Verdict::Denied) => Verdict::Denied,
            (Verdict::Allowed, Verdict::Allowed) => Verdict::Allowed,
            _ => Verdict::Unknown,
        }
    }

    /// Alternatives the input cannot choose between: known only when they agree.
    pub fn either(self, other: Verdict) -> Verdict {
        if self == other {
            self
        } else {
            Verdict::Unknown
        }
    }
}

/// The engine over one model. Cheap facts are computed on demand; the per-workload selecting
/// policies once.
pub struct Engine<'m> {
    pub model: &'m Model,
    pub ip_blocks: IpBlocksAndPods,
    /// A namespace the input has no Namespace object for carries only
    /// `kubernetes.io/metadata.name` (what `connectivity --mode plain` and NetworkPolicy
    /// analyzers assume), instead of labels the input cannot tell.
    pub name_only_namespaces: bool,
    /// For each workload, the NetworkPolicies selecting it (indexes into `network_policies`).
    selecting: Vec<Vec<usize>>,
    /// NetworkPolicies by namespace, so that a query looks only at the policies that can apply.
    network_policies_in: HashMap<String, Vec<usize>>,
    /// AuthorizationPolicies without `targetRefs` by namespace, and those with (indexes), so
    /// that a verdict looks at the policies of two namespaces rather than all of them.
    authz_by_namespace: HashMap<String, Vec<usize>>,
    authz_targeted: Vec<usize>,
    /// PeerAuthentications by namespace.
    peer_auth_by_namespace: HashMap<String, Vec<usize>>,
}

impl<'m> Engine<'m> {
    pub fn new(model: &'m Model, ip_blocks: IpBlocksAndPods) -> Engine<'m> {
        let mut network_policies_in: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, p) in model.network_policies.iter().enumerate() {
            network_policies_in
                .entry(p.meta.namespace.to_string())
                .or_default()
                .push(i);
        }
        let mut authz_by_namespace: HashMap<String, Vec<usize>> = HashMap::default();
        let mut authz_targeted = Vec::new();
        for (i, p) in model.authorization_policies.iter().enumerate() {
            if p.target_refs.is_empty() {
                authz_by_namespace
                    .entry(p.meta.namespace.to_string())
                    .or_default()
                    .push(i);
            } else {
                authz_targeted.push(i);
            }
        }
        let mut peer_auth_by_namespace: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, p) in model.peer_authentications.iter().enumerate() {
            peer_auth_by_namespace
                .entry(p.meta.namespace.to_string())
                .or_default()
                .push(i);
        }
        Engine {
            model,
            ip_blocks,
            name_only_namespaces: false,
            selecting: netpol::selecting_policies(model),
            network_policies_in,
            authz_by_namespace,
            authz_targeted,
            peer_auth_by_namespace,
        }
    }

    /// Kubernetes NetworkPolicy as NetworkPolicy analyzers read a manifest set: an `ipBlock`
    /// names addresses outside the pod network, and a namespace without a Namespace object has
    /// only its `kubernetes.io/metadata.name` label. Nothing is then unknown.
    pub fn plain(model: &'m Model) -> Engine<'m> {
        Engine {
            name_only_namespaces: true,
            ..Engine::new(model, IpBlocksAndPods::Never)
        }
    }

    /// The policies of namespace `ns` and of the root namespace from `index`, in input order.
    fn in_namespaces(&self, index: &HashMap<String, Vec<usize>>, ns: &str) -> Vec<usize> {
        let root = self.model.options.root_namespace.as_str();
        let mut out: Vec<usize> = index.get(ns).cloned().unwrap_or_default();
        if root != ns {
            out.extend(index.get(root).into_iter().flatten());
            out.sort_unstable();
        }
        out
    }

    pub fn selecting(&self, workload: usize) -> &[usize] {
        &self.selecting[workload]
    }

    pub fn network_policies_in(&self, namespace: &str) -> &[usize] {
        self.network_policies_in
            .get(namespace)
            .map_or(&[], |v| v.as_slice())
    }

    /// For each workload, the NetworkPolicies selecting it.
    pub fn selecting_all(&self) -> &[Vec<usize>] {
        &self.selecting
    }

    /// The pods of the Gateway `model.gateways[g]`.
    pub fn gateway_endpoint(&self, g: usize) -> Endpoint {
        let gw = &self.model.gateways[g];
        Endpoint::IstioGateway {
            namespace: gw.meta.namespace.to_string(),
            name: gw.meta.name.to_string(),
            gateway: Some(g),
        }
    }

    pub fn namespace_of<'e>(&self, e: &'e Endpoint) -> Option<&'e str>
    where
        'm: 'e,
    {
        match e {
            Endpoint::Workload(i) => Some(&self.model.workloads[*i].meta.namespace),
            Endpoint::IstioGateway { namespace, .. } => Some(namespace),
            Endpoint::Ip(_) => None,
        }
    }

    /// The labels the endpoint's pods carry; an Istio gateway's pods carry the Gateway's labels
    /// and its name (docs/platform.md §5).
    pub fn pod_labels<'e>(&'e self, e: &'e Endpoint) -> Cow<'e, Labels> {
        match e {
            Endpoint::Workload(i) => Cow::Borrowed(&self.model.workloads[*i].pod_labels),
            Endpoint::IstioGateway { name, gateway, .. } => {
                let gw = gateway.map(|g| &self.model.gateways[g]);
                let mut labels = gw.map(|g| g.meta.labels.clone()).unwrap_or_default();
                for key in GATEWAY_POD_LABELS {
                    labels.push((Atom::new(key), Atom::new(name)));
                }
                // What Istio's deployment templates add (istio `kube-gateway.yaml`,
                // `waypoint.yaml`): the class, and the controller that manages the pods.
                let class = gw.map_or(crate::model::resources::WAYPOINT_CLASS, |g| {
                    g.class_name.value.as_str()
                });
                labels.push((
                    Atom::new("gateway.networking.k8s.io/gateway-class-name"),
                    Atom::new(class),
                ));
                let controller = if gw.is_none_or(|g| g.is_waypoint()) {
                    "istio.io-mesh-controller"
                } else {
                    "istio.io-gateway-controller"
                };
                labels.push((Atom::new("gateway.istio.io/managed"), Atom::new(controller)));
                Cow::Owned(labels)
            }
            Endpoint::Ip(_) => Cow::Owned(Vec::new()),
        }
    }

    pub fn workload(&self, e: &Endpoint) -> Option<&'m Workload> {
        match e {
            Endpoint::Workload(i) => Some(&self.model.workloads[*i]),
            _ => None,
        }
    }

    /// `Deployment ecom/ecom-service`, `gateway infra/bookstore-gateway`, `10.0.0.0/8`.
    pub fn describe(&self, e: &Endpoint) -> String {
        match e {
            Endpoint::Workload(i) => {
                let w = &self.model.workloads[*i];
                format!(
                    "{} `{}`",
                    w.kind,
                    qualified(Some(&w.meta.namespace), &w.meta.name)
                )
            }
            Endpoint::IstioGateway {
                namespace,
                name,
                gateway,
            } => {
                let what = match gateway.map(|g| &self.model.gateways[g]) {
                    Some(g) if !g.is_waypoint() => "gateway",
                    _ => "waypoint",
                };
                format!("{what} `{}`", qualified(Some(namespace), name))
            }
            Endpoint::Ip(r) => r.to_string(),
        }
    }

    /// Where the endpoint is declared, for related locations.
    pub fn location(&self, e: &Endpoint) -> Option<Location> {
        match e {
            Endpoint::Workload(i) => Some(Location::field(
                self.model.workloads[*i].meta.object,
                "metadata.name",
            )),
            Endpoint::IstioGateway {
                gateway: Some(g), ..
            } => Some(Location::field(
                self.model.gateways[*g].meta.object,
                "metadata.name",
            )),
            _ => None,
        }
    }

    /// How the endpoint's traffic is carried (docs/platform.md §1, §4.1, §10).
    pub fn role(&self, e: &Endpoint) -> Role {
        match e {
            Endpoint::Workload(i) => {
                let w = &self.model.workloads[*i];
                if let Some(envoy) = self.model.envoy_workload(w) {
                    return match envoy.kind {
                        crate::model::envoy::EnvoyKind::Gateway => Role::IstioProxy,
                        crate::model::envoy::EnvoyKind::Sidecar => Role::Sidecar,
                    };
                }
                match self.model.workload_dataplane(w) {
                    Dataplane::Ambient => Role::Ambient,
                    Dataplane::Sidecar => Role::Sidecar,
                    Dataplane::Outside => Role::Outside,
                    Dataplane::Unknown => Role::Unknown,
                }
            }
            Endpoint::IstioGateway { .. } => Role::IstioProxy,
            Endpoint::Ip(_) => Role::Outside,
        }
    }
}

/// Kleene AND of three-valued matches: false wins, then unknown.
pub fn all3(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(true);
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => result = None,
            Some(true) => {}
        }
    }
    result
}

/// Kleene OR of three-valued matches: true wins, then unknown.
pub fn any3(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut result = Some(false);
    for v in values {
        match v {
            Some(true) => return Some(true),
            None => result = None,
            Some(false) => {}
        }
    }
    result
}

/// How an endpoint takes part in the mesh, as far as the wire is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An ambient pod: ztunnel carries its traffic over HBONE.
    Ambient,
    /// An Istio gateway or waypoint: Envoy that speaks HBONE to ambient destinations.
    IstioProxy,
    /// A pod with an injected sidecar.
    Sidecar,
    /// Not in the mesh: plain TCP.
    Outside,
    /// The input does not say.
    Unknown,
}

#[cfg(test)]
mod tests;
