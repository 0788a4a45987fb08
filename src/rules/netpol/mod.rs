//! AL3xx: NetworkPolicy against what ambient puts on the wire (docs/platform.md §4, §8).

pub mod al301_missing_hbone_egress;
pub mod al302_missing_hbone_ingress;
pub mod al303_missing_dns_egress;
pub mod al304_probe_snat_blocked;
pub mod al305_app_port_to_mesh_destination;
pub mod al306_unknown_namespace_selector;
pub mod al307_policy_selects_no_pods;
pub mod al308_rules_ignored_by_policytypes;
pub mod al309_named_port_not_found;

use std::collections::BTreeMap;

use crate::finding::{Applicability, Finding, Fix, Location};
use crate::load::node::FieldPath;
use crate::model::resources::{NetPolPort, NetPolRule, NetworkPolicy, Peer, Workload};
use crate::model::{DATAPLANE_MODE, METADATA_NAME, Model, qualified};
use crate::rules::{Context, Rule, edits, finding};

pub const HBONE_PORT: i64 = 15008;

pub use crate::engine::netpol::{Direction, direction_path, selecting_policies};

/// What a workload's policies say in one direction.
pub struct Coverage<'m> {
    /// Policies that select the workload and restrict this direction.
    pub restricting: Vec<&'m NetworkPolicy>,
}

impl<'m> Coverage<'m> {
    pub fn of(model: &'m Model, selecting: &[usize], dir: Direction) -> Coverage<'m> {
        Coverage {
            restricting: selecting
                .iter()
                .map(|&i| &model.network_policies[i])
                .filter(|p| dir.restricts(p))
                .collect(),
        }
    }

    pub fn is_restricted(&self) -> bool {
        !self.restricting.is_empty()
    }

    pub fn rules(&self, dir: Direction) -> impl Iterator<Item = &NetPolRule> {
        self.restricting.iter().flat_map(move |p| dir.rules(p))
    }

    /// A port entry that admits `port` over another protocol than `protocol` (`15008/UDP`
    /// where HBONE needs TCP): the near miss a finding should point at.
    pub fn near_miss(
        &self,
        dir: Direction,
        protocol: &str,
        port: i64,
    ) -> Option<(&'m NetworkPolicy, &'m NetPolPort)> {
        self.restricting.iter().find_map(|p| {
            dir.rules(p).iter().find_map(|r| {
                r.ports
                    .iter()
                    .find(|e| {
                        !e.protocol.eq_ignore_ascii_case(protocol)
                            && e.port.is_some()
                            && e.admits(&e.protocol, port)
                    })
                    .map(|e| (*p, e))
            })
        })
    }

    /// The policy a finding about this workload belongs on: one written for it (non-empty
    /// podSelector) with rules in this direction, else any with rules, else the first.
    pub fn primary(&self, dir: Direction) -> Option<&'m NetworkPolicy> {
        let with_rules = |p: &&&NetworkPolicy| !dir.rules(p).is_empty();
        self.restricting
            .iter()
            .filter(with_rules)
            .find(|p| !p.pod_selector.is_empty())
            .or_else(|| self.restricting.iter().find(with_rules))
            .or_else(|| self.restricting.first())
            .copied()
    }
}

/// Findings about several workloads under one policy become one finding on that policy, with
/// each workload as a related location.
pub struct Grouped<'m> {
    groups: BTreeMap<usize, (&'m NetworkPolicy, Vec<&'m Workload>)>,
}

impl<'m> Grouped<'m> {
    pub fn new() -> Self {
        Grouped {
            groups: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, policy: &'m NetworkPolicy, w: &'m Workload) {
        self.groups
            .entry(policy.meta.object)
            .or_insert((policy, Vec::new()))
            .1
            .push(w);
    }

    /// Emits one finding per policy; `message` gets the policy and the workloads' names.
    pub fn emit(
        self,
        rule: &Rule,
        dir: Direction,
        out: &mut Vec<Finding>,
        message: impl Fn(&NetworkPolicy, &str) -> (String, String),
        related: &str,
    ) {
        self.emit_with(rule, dir, out, message, related, |_, _, f| f);
    }

    /// [`Grouped::emit`], then `finish` adds to each finding what depends on its policy and
    /// workloads (a near-miss entry, the label that enrols them).
    pub fn emit_with(
        self,
        rule: &Rule,
        dir: Direction,
        out: &mut Vec<Finding>,
        message: impl Fn(&NetworkPolicy, &str) -> (String, String),
        related: &str,
        finish: impl Fn(&NetworkPolicy, &[&'m Workload], Finding) -> Finding,
    ) {
        for (_, (policy, workloads)) in self.groups {
            let names = workload_names(&workloads);
            let (msg, help) = message(policy, &names);
            let mut f = finding(
                rule,
                Location::field(policy.meta.object, direction_path(policy, dir)),
                msg,
            )
            .help(help);
            for w in &workloads {
                f = f.related(Location::field(w.meta.object, "metadata.name"), related);
            }
            out.push(finish(policy, &workloads, f));
        }
    }
}

impl Default for Grouped<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// `Deployment `ecom/a``, or `Deployments `ecom/a` and `ecom/b``.
pub fn workload_names(ws: &[&Workload]) -> String {
    let names: Vec<String> = ws
        .iter()
        .map(|w| qualified(Some(&w.meta.namespace), &w.meta.name))
        .collect();
    let kinds: Vec<&str> = ws.iter().map(|w| w.kind.as_str()).collect();
    let kind = if kinds.iter().all(|k| *k == kinds[0]) {
        if ws.len() == 1 {
            kinds[0].to_string()
        } else {
            format!("{}s", kinds[0])
        }
    } else {
        "workloads".to_string()
    };
    format!("{kind} {}", crate::rules::list(&names))
}

/// A namespace named by a NetworkPolicy peer through `kubernetes.io/metadata.name`.
pub struct NamespaceSelectorRef<'m> {
    pub policy: &'m NetworkPolicy,
    pub value: String,
    pub path: FieldPath,
}

pub fn namespace_selector_refs(model: &Model) -> Vec<NamespaceSelectorRef<'_>> {
    let mut out = Vec::new();
    for policy in &model.network_policies {
        for rule in policy.ingress.iter().chain(&policy.egress) {
            for peer in &rule.peers {
                if let Peer::Pods {
                    namespace_selector: Some(sel),
                    ..
                } = peer
                {
                    for (value, path) in sel.required_values(METADATA_NAME) {
                        out.push(NamespaceSelectorRef {
                            policy,
                            value,
                            path,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Where a workload is enrolled in ambient: its pod's `istio.io/dataplane-mode: ambient` label,
/// else its Namespace's. None when neither is written (it is not ambient then).
pub fn ambient_label(model: &Model, w: &Workload) -> Option<Location> {
    if w.pod_label(DATAPLANE_MODE) == Some("ambient") {
        return Some(Location::field(
            w.meta.object,
            w.pod_labels_path().key(DATAPLANE_MODE),
        ));
    }
    let ns = model.namespace(&w.meta.namespace)?;
    (ns.label(DATAPLANE_MODE) == Some("ambient")).then(|| {
        Location::field(
            ns.object,
            FieldPath::new("metadata.labels").key(DATAPLANE_MODE),
        )
    })
}

/// Relates, once per label, the `dataplane-mode: ambient` labels that enrol these workloads: the
/// findings that need them to be ambient depend on these labels.
pub fn relate_ambient_labels(model: &Model, workloads: &[&Workload], mut f: Finding) -> Finding {
    let mut seen: Vec<Location> = Vec::new();
    for w in workloads {
        if let Some(at) = ambient_label(model, w).filter(|at| !seen.contains(at)) {
            seen.push(at.clone());
            f = f.related(
                at,
                "`istio.io/dataplane-mode: ambient` enrols it in ambient",
            );
        }
    }
    f
}

/// Per policy (object id), the first near-miss entry of its workloads: `port` admitted over
/// another protocol than `protocol`.
pub type NearMisses = BTreeMap<usize, (Location, String)>;

/// Records the near miss of one workload's coverage under the policy its finding is on.
pub fn note_near_miss(
    misses: &mut NearMisses,
    primary: &NetworkPolicy,
    cov: &Coverage,
    dir: Direction,
    protocol: &str,
    port: i64,
) {
    if let Some((p, e)) = cov.near_miss(dir, protocol, port) {
        misses.entry(primary.meta.object).or_insert_with(|| {
            (
                Location::field(p.meta.object, e.path.clone()),
                e.protocol.clone(),
            )
        });
    }
}

/// Adds a recorded near miss to a finding on `policy`: the message says it, the entry is related.
pub fn with_near_miss(
    misses: &NearMisses,
    policy: &NetworkPolicy,
    port: i64,
    protocol: &str,
    why: &str,
    mut f: Finding,
) -> Finding {
    if let Some((at, other)) = misses.get(&policy.meta.object) {
        f.message.push_str(&format!(
            "; port {port} is admitted over {other} only; {why}"
        ));
        f = f.related(
            at.clone(),
            format!("admits port {port} over {other}, not {protocol}"),
        );
    }
    f
}

/// The fix AL301 and AL302 offer: TCP 15008 added to the `ports` of each rule of `policy` in
/// `dir` that lists ports, in the list's own style (flow `[...]`, or block items with their
/// indentation). Unsafe: 15008 carries every port of the mesh pods behind it, so the rule's
/// peers reach all of them (docs/platform.md §4.1). None when the policy is not written in a file
/// given to lint, or a list is not laid out as this can follow.
pub fn add_hbone_port_fix(ctx: &Context, policy: &NetworkPolicy, dir: Direction) -> Option<Fix> {
    let (root, file, text) = edits::editable(ctx, policy.meta.object)?;
    let rules = match dir {
        Direction::Ingress => &policy.ingress,
        Direction::Egress => &policy.egress,
    };
    let flow = format!("{{port: {HBONE_PORT}, protocol: TCP}}");
    let port = format!("port: {HBONE_PORT}");
    let item = edits::Item {
        flow: &flow,
        block: &[&port, "protocol: TCP"],
    };
    let mut found = Vec::new();
    for rule in rules
        .iter()
        .filter(|r| !r.ports.is_empty() && !r.admits_port("TCP", HBONE_PORT))
    {
        let ports = edits::node_at(root, &rule.path.key("ports"))?;
        found.push(edits::append_to_seq(text, file, ports, &item)?);
    }
    (!found.is_empty()).then(|| Fix {
        title: format!(
            "allow TCP {HBONE_PORT} in each {} rule that lists ports",
            match dir {
                Direction::Ingress => "ingress",
                Direction::Egress => "egress",
            }
        ),
        applicability: Applicability::Unsafe,
        edits: found,
    })
}
