//! Kubernetes NetworkPolicy, exactly (docs/platform.md §8): a direction of a pod is isolated
//! only by policies that select it and list that direction in `policyTypes`; what is admitted is
//! the union of their rules; a rule admits a peer on its ports; egress is judged at the source,
//! ingress at the destination.

use crate::finding::Location;
use crate::load::node::FieldPath;
use crate::model::Model;
use crate::model::reader::IntOrString;
use crate::model::resources::{NetPolPort, NetPolRule, NetworkPolicy, Peer};
use crate::model::selector::LabelSelector;

use super::ip::IpRange;
use super::ports::{MAX_PORT, MIN_PORT, PortSet};
use super::{Endpoint, Engine, IpBlocksAndPods, any3};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn restricts(self, p: &NetworkPolicy) -> bool {
        match self {
            Direction::Ingress => p.ingress_type,
            Direction::Egress => p.egress_type,
        }
    }

    pub fn rules(self, p: &NetworkPolicy) -> &[NetPolRule] {
        match self {
            Direction::Ingress => &p.ingress,
            Direction::Egress => &p.egress,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// For each workload, the policies that select it (indexes into `model.network_policies`).
pub fn selecting_policies(model: &Model) -> Vec<Vec<usize>> {
    let mut by_workload = vec![Vec::new(); model.workloads.len()];
    for (pi, p) in model.network_policies.iter().enumerate() {
        for w in model.select_workloads(Some(&p.meta.namespace), &p.pod_selector) {
            by_workload[w].push(pi);
        }
    }
    by_workload
}

/// A rule of a policy that admits (some of) a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub policy: usize,
    pub rule: usize,
    /// The ports it admits for this peer.
    pub ports: PortSet,
    /// Whether the peer surely matches; false when the input cannot tell.
    pub certain: bool,
}

/// What one direction admits between a local endpoint (whose policies apply) and a remote one.
#[derive(Clone, Debug, Default)]
pub struct Admission {
    /// Some policy selects the local endpoint and restricts this direction.
    pub isolated: bool,
    /// Policies that isolate the local endpoint in this direction.
    pub isolating: Vec<usize>,
    /// Admitted for sure.
    pub certain: PortSet,
    /// Admitted unless a fact the input lacks says otherwise (a superset of `certain`).
    pub possible: PortSet,
    pub admitting: Vec<RuleRef>,
    /// Why part of the answer is unknown.
    pub unknown: Vec<String>,
}

impl Admission {
    pub fn verdict(&self, protocol: &str, port: u16) -> super::Verdict {
        if self.certain.contains(protocol, port) {
            super::Verdict::Allowed
        } else if self.possible.contains(protocol, port) {
            super::Verdict::Unknown
        } else {
            super::Verdict::Denied
        }
    }
}

impl Engine<'_> {
    /// The policies that select `e` and restrict `dir`.
    pub fn isolating(&self, e: &Endpoint, dir: Direction) -> Vec<usize> {
        let model = self.model;
        match e {
            Endpoint::Workload(i) => self
                .selecting(*i)
                .iter()
                .copied()
                .filter(|&p| dir.restricts(&model.network_policies[p]))
                .collect(),
            Endpoint::IstioGateway { namespace, .. } => {
                let labels = self.pod_labels(e);
                self.network_policies_in(namespace)
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let p = &model.network_policies[i];
                        dir.restricts(p) && p.pod_selector.matches(&labels)
                    })
                    .collect()
            }
            Endpoint::Ip(_) => Vec::new(),
        }
    }

    /// What `dir` admits at `local` (the destination for ingress, the source for egress) for
    /// connections with `remote`.
    pub fn admission(&self, dir: Direction, local: &Endpoint, remote: &Endpoint) -> Admission {
        let isolating = self.isolating(local, dir);
        if isolating.is_empty() {
            return Admission {
                isolated: false,
                isolating,
                certain: PortSet::all(),
                possible: PortSet::all(),
                admitting: Vec::new(),
                unknown: Vec::new(),
            };
        }
        let destination = match dir {
            Direction::Ingress => local,
            Direction::Egress => remote,
        };
        let mut out = Admission {
            isolated: true,
            isolating: isolating.clone(),
            ..Admission::default()
        };
        for &pi in &isolating {
            let policy = &self.model.network_policies[pi];
            for (ri, rule) in dir.rules(policy).iter().enumerate() {
                let matched = if rule.peers.is_empty() {
                    Some(true)
                } else {
                    any3(rule.peers.iter().map(|peer| {
                        self.peer_matches(&policy.meta.namespace, peer, remote, &mut out.unknown)
                    }))
                };
                if matched == Some(false) {
                    continue;
                }
                let (ports, ports_maybe) = self.rule_ports(rule, destination);
                if ports.is_empty() && ports_maybe.is_empty() {
                    continue;
                }
                let certain = matched == Some(true);
                if certain {
                    out.certain.union_with(&ports);
                }
                out.possible.union_with(&ports);
                out.possible.union_with(&ports_maybe);
                let mut all = ports.clone();
                all.union_with(&ports_maybe);
                out.admitting.push(RuleRef {
                    policy: pi,
                    rule: ri,
                    ports: all,
                    certain,
                });
            }
        }
        // Kept for every pair of every flow judged: room for four rules where one admits adds up.
        out.admitting.shrink_to_fit();
        out.unknown.sort();
        out.unknown.dedup();
        out
    }

    /// Whether a peer of a policy in `policy_namespace` matches `remote`; None when the input
    /// cannot tell, with the reason pushed to `why`.
    pub fn peer_matches(
        &self,
        policy_namespace: &str,
        peer: &Peer,
        remote: &Endpoint,
        why: &mut Vec<String>,
    ) -> Option<bool> {
        match peer {
            Peer::Pods {
                namespace_selector,
                pod_selector,
                ..
            } => {
                let Some(ns) = self.namespace_of(remote) else {
                    return Some(false);
                };
                let namespace_ok =
                    self.namespace_matches(policy_namespace, namespace_selector.as_ref(), ns, why)?;
                Some(
                    namespace_ok
                        && pod_selector
                            .as_ref()
                            .is_none_or(|s| s.matches(&self.pod_labels(remote))),
                )
            }
            Peer::IpBlock { cidr, except, .. } => {
                let Some(block) = IpRange::parse(cidr) else {
                    why.push(format!("`{cidr}` is not an address block"));
                    return None;
                };
                let holes: Vec<IpRange> = except.iter().filter_map(|e| IpRange::parse(e)).collect();
                match remote {
                    Endpoint::Ip(r) => {
                        if !block.overlaps(r) || holes.iter().any(|h| h.contains(r)) {
                            Some(false)
                        } else if block.contains(r) && !holes.iter().any(|h| h.overlaps(r)) {
                            Some(true)
                        } else {
                            why.push(format!("`{cidr}` covers only part of {r}"));
                            None
                        }
                    }
                    _ => match self.ip_blocks {
                        IpBlocksAndPods::Never => Some(false),
                        IpBlocksAndPods::Unknown if block.outside_pod_network() => Some(false),
                        IpBlocksAndPods::Unknown => {
                            why.push(format!(
                                "whether `ipBlock` `{cidr}` covers pod addresses depends on the CNI"
                            ));
                            None
                        }
                    },
                }
            }
        }
    }

    /// Whether the namespace part of a pod peer of a policy in `policy_namespace` matches
    /// namespace `ns`: no selector means the policy's own namespace. None when the input lacks
    /// the namespace's labels and the selector looks at more than its name.
    pub fn namespace_matches(
        &self,
        policy_namespace: &str,
        selector: Option<&LabelSelector>,
        ns: &str,
        why: &mut Vec<String>,
    ) -> Option<bool> {
        let Some(sel) = selector else {
            return Some(ns == policy_namespace);
        };
        let (labels, complete) = self.model.namespace_labels(ns);
        let only_name = sel
            .match_labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(sel.expressions.iter().map(|r| r.key.as_str()))
            .all(|k| k == crate::model::METADATA_NAME);
        if !complete && !only_name && !self.name_only_namespaces {
            why.push(format!(
                "the labels of namespace `{ns}` are not in the input"
            ));
            return None;
        }
        Some(sel.matches(&labels))
    }

    /// The ports a rule admits towards `destination`: surely, and possibly (a named port the
    /// input cannot resolve).
    pub fn rule_ports(&self, rule: &NetPolRule, destination: &Endpoint) -> (PortSet, PortSet) {
        let mut sure = PortSet::empty();
        let mut maybe = PortSet::empty();
        if rule.ports.is_empty() {
            return (PortSet::all(), maybe);
        }
        for entry in &rule.ports {
            match &entry.port {
                None => sure.add_range(&entry.protocol, MIN_PORT, MAX_PORT),
                Some(IntOrString::Int(n)) => {
                    let start = clamp(*n);
                    let end = entry.end_port.map_or(start, clamp);
                    sure.add_range(&entry.protocol, start, end);
                }
                Some(IntOrString::String(name)) => {
                    match self.named_port(destination, entry, name) {
                        NamedPort::Resolved(ports) => {
                            for p in ports {
                                sure.add_range(&entry.protocol, p, p);
                            }
                        }
                        NamedPort::Unknown => maybe.add_range(&entry.protocol, MIN_PORT, MAX_PORT),
                    }
                }
            }
        }
        (sure, maybe)
    }

    /// A named port resolved on the destination pods' containers, with the entry's protocol.
    fn named_port(&self, destination: &Endpoint, entry: &NetPolPort, name: &str) -> NamedPort {
        match destination {
            Endpoint::Workload(i) => NamedPort::Resolved(
                self.model.workloads[*i]
                    .container_ports()
                    .filter(|p| {
                        p.name.as_deref() == Some(name)
                            && p.protocol.eq_ignore_ascii_case(&entry.protocol)
                    })
                    .map(|p| clamp(p.port))
                    .collect(),
            ),
            // Istio's template names its ports; the input does not show them.
            Endpoint::IstioGateway { .. } => NamedPort::Unknown,
            Endpoint::Ip(_) => NamedPort::Resolved(Vec::new()),
        }
    }

    /// Whether some rule isolating `local` in `dir` may admit `protocol`/`port` to or from some
    /// pod: a rule for every peer, a peer that selects pods, or an `ipBlock` that may cover pod
    /// addresses. A port admitted only from the kubelet probe address admits no pod.
    pub fn may_admit_pods(
        &self,
        local: &Endpoint,
        dir: Direction,
        protocol: &str,
        port: u16,
    ) -> bool {
        self.isolating(local, dir).iter().any(|&pi| {
            dir.rules(&self.model.network_policies[pi]).iter().any(|r| {
                r.admits_port(protocol, i64::from(port))
                    && (r.peers.is_empty()
                        || r.peers.iter().any(|peer| match peer {
                            Peer::Pods { .. } => true,
                            Peer::IpBlock { cidr, .. } => {
                                self.ip_blocks == IpBlocksAndPods::Unknown
                                    && IpRange::parse(cidr).is_none_or(|b| !b.outside_pod_network())
                            }
                        }))
            })
        })
    }

    /// Workloads a pod peer of a policy in `policy_namespace` may select, narrowed by the
    /// namespaces it names, else by the pod labels it requires, so that the cost follows the peer
    /// rather than the whole input. The caller still matches each candidate.
    pub fn peer_candidates(
        &self,
        policy_namespace: &str,
        namespace_selector: Option<&LabelSelector>,
        pod_selector: Option<&LabelSelector>,
    ) -> Vec<usize> {
        let model = self.model;
        let named: Vec<String> = match namespace_selector {
            None => vec![policy_namespace.to_string()],
            Some(sel) => sel
                .required_values(crate::model::METADATA_NAME)
                .into_iter()
                .map(|(v, _)| v)
                .collect(),
        };
        if !named.is_empty() {
            named
                .iter()
                .flat_map(|ns| model.workloads_in(ns).map(|(i, _)| i))
                .collect()
        } else if let Some(pods) = pod_selector.filter(|s| !s.match_labels.is_empty()) {
            model.select_workloads(None, pods)
        } else {
            (0..model.workloads.len()).collect()
        }
    }

    /// Workloads a peer of a policy in `policy_namespace` surely selects.
    pub fn peer_workloads(&self, policy_namespace: &str, peer: &Peer) -> Vec<usize> {
        let Peer::Pods {
            namespace_selector,
            pod_selector,
            ..
        } = peer
        else {
            return Vec::new();
        };
        let mut why = Vec::new();
        self.peer_candidates(
            policy_namespace,
            namespace_selector.as_ref(),
            pod_selector.as_ref(),
        )
        .into_iter()
        .filter(|&i| {
            self.peer_matches(policy_namespace, peer, &Endpoint::Workload(i), &mut why)
                == Some(true)
        })
        .collect()
    }

    /// Where on a policy a finding about one direction points: the rules list when written, else
    /// `policyTypes`, else the pod selector that made it apply.
    pub fn direction_location(&self, policy: usize, dir: Direction) -> Location {
        let p = &self.model.network_policies[policy];
        Location::field(p.meta.object, direction_path(p, dir))
    }

    pub fn rule_location(&self, r: &RuleRef, dir: Direction) -> Location {
        let p = &self.model.network_policies[r.policy];
        Location::field(p.meta.object, dir.rules(p)[r.rule].path.clone())
    }
}

enum NamedPort {
    Resolved(Vec<u16>),
    Unknown,
}

fn clamp(n: i64) -> u16 {
    n.clamp(i64::from(MIN_PORT), i64::from(MAX_PORT)) as u16
}

/// The rules list of a direction when written, else `policyTypes`, else the pod selector.
pub fn direction_path(p: &NetworkPolicy, dir: Direction) -> FieldPath {
    let written = match dir {
        Direction::Ingress => p.ingress_written,
        Direction::Egress => p.egress_written,
    };
    if written {
        FieldPath::new("spec").key(dir.key())
    } else if p.policy_types_written {
        FieldPath::new("spec.policyTypes")
    } else {
        FieldPath::new("spec.podSelector")
    }
}
