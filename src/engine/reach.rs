//! NetworkPolicy for every workload at once: what one direction admits, computed once per rule
//! and once per group of workloads the same policies isolate, so that listing who reaches whom
//! costs what the answer holds rather than every pair (`connectivity`, issue 9 §4).
//!
//! The answers are those of [`Engine::admission`] between two workloads: the same peer matching
//! ([`Engine::peer_matches`], [`Engine::namespace_matches`]) and port resolution
//! ([`Engine::rule_ports`]), gathered the other way round.

use crate::hash::{HashMap, HashSet};

use crate::model::resources::Peer;

use super::netpol::Direction;
use super::ports::PortSet;
use super::{Endpoint, Engine};

/// A rule of a policy: (policy, index in the direction's rules).
pub type RuleId = (usize, usize);

/// The workloads one rule admits as remote ends.
#[derive(Clone, Debug, Default)]
pub struct RuleReach {
    /// Every workload: Some(true) surely, Some(false) possibly (the input cannot tell), None not
    /// every workload.
    pub every: Option<bool>,
    /// Workloads it admits beyond `every`, with whether surely.
    pub workloads: HashMap<usize, bool>,
}

impl RuleReach {
    /// Whether the rule admits `remote`: Some(surely), None not at all.
    pub fn admits(&self, remote: usize) -> Option<bool> {
        let named = self.workloads.get(&remote).copied();
        match (self.every, named) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), _) | (_, Some(false)) => Some(false),
            (None, None) => None,
        }
    }

    fn add(&mut self, w: usize, certain: bool) {
        let e = self.workloads.entry(w).or_insert(certain);
        *e |= certain;
    }
}

/// Workloads one direction of whose pods the same policies isolate.
#[derive(Clone, Debug)]
pub struct Group {
    pub members: Vec<usize>,
    pub policies: Vec<usize>,
    pub rules: Vec<RuleId>,
    /// Some rule admits every workload (surely or possibly).
    pub open: bool,
}

/// One direction of every workload.
pub struct Reach {
    pub dir: Direction,
    group_of: Vec<Option<usize>>,
    pub groups: Vec<Group>,
    pub rules: HashMap<RuleId, RuleReach>,
    /// Workloads no policy isolates in this direction.
    pub unisolated: Vec<usize>,
    /// Groups some rule of which admits every workload.
    open_groups: Vec<usize>,
    /// Remote workload → the groups a rule of which names it.
    named_in: Vec<Vec<usize>>,
}

/// Remote ends to consider: every workload, or these.
pub enum Remotes {
    All,
    Some(Vec<usize>),
}

impl Engine<'_> {
    /// One direction of every workload.
    pub fn reach(&self, dir: Direction) -> Reach {
        let model = self.model;
        let n = model.workloads.len();
        let mut group_by_key: HashMap<Vec<usize>, usize> = HashMap::default();
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of = vec![None; n];
        let mut unisolated = Vec::new();
        for (w, slot) in group_of.iter_mut().enumerate() {
            let policies: Vec<usize> = self
                .selecting(w)
                .iter()
                .copied()
                .filter(|&p| dir.restricts(&model.network_policies[p]))
                .collect();
            if policies.is_empty() {
                unisolated.push(w);
                continue;
            }
            let g = *group_by_key.entry(policies.clone()).or_insert_with(|| {
                let rules = policies
                    .iter()
                    .flat_map(|&p| {
                        (0..dir.rules(&model.network_policies[p]).len()).map(move |r| (p, r))
                    })
                    .collect();
                groups.push(Group {
                    members: Vec::new(),
                    policies,
                    rules,
                    open: false,
                });
                groups.len() - 1
            });
            groups[g].members.push(w);
            *slot = Some(g);
        }
        let mut rules: HashMap<RuleId, RuleReach> = HashMap::default();
        for g in &groups {
            for &id in &g.rules {
                rules.entry(id).or_insert_with(|| self.rule_reach(dir, id));
            }
        }
        let mut named_in: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut open_groups = Vec::new();
        for (gi, g) in groups.iter_mut().enumerate() {
            let mut seen: HashSet<usize> = HashSet::default();
            for id in &g.rules {
                let r = &rules[id];
                g.open |= r.every.is_some();
                for &w in r.workloads.keys() {
                    if seen.insert(w) {
                        named_in[w].push(gi);
                    }
                }
            }
            if g.open {
                open_groups.push(gi);
            }
        }
        Reach {
            dir,
            group_of,
            groups,
            rules,
            unisolated,
            open_groups,
            named_in,
        }
    }

    /// The workloads a rule admits as remote ends.
    fn rule_reach(&self, dir: Direction, (p, r): RuleId) -> RuleReach {
        let model = self.model;
        let policy = &model.network_policies[p];
        let rule = &dir.rules(policy)[r];
        let mut out = RuleReach::default();
        if rule.peers.is_empty() {
            out.every = Some(true);
            return out;
        }
        let ns = policy.meta.namespace.as_str();
        let mut why = Vec::new();
        for peer in &rule.peers {
            match peer {
                Peer::IpBlock { .. } => {
                    if model.workloads.is_empty() {
                        continue;
                    }
                    // Whether an ipBlock covers pods does not depend on which pod.
                    match self.peer_matches(ns, peer, &Endpoint::Workload(0), &mut why) {
                        Some(true) => out.every = Some(true),
                        None => out.every = Some(out.every.unwrap_or(false)),
                        Some(false) => {}
                    }
                }
                Peer::Pods {
                    namespace_selector,
                    pod_selector,
                    ..
                } => {
                    let candidates = self.peer_candidates(
                        ns,
                        namespace_selector.as_ref(),
                        pod_selector.as_ref(),
                    );
                    let mut namespace_ok: HashMap<&str, Option<bool>> = HashMap::default();
                    for w in candidates {
                        let wl = &model.workloads[w];
                        let wns = wl.meta.namespace.as_str();
                        let m = *namespace_ok.entry(wns).or_insert_with(|| {
                            self.namespace_matches(ns, namespace_selector.as_ref(), wns, &mut why)
                        });
                        if m == Some(false)
                            || !pod_selector
                                .as_ref()
                                .is_none_or(|s| s.matches(&wl.pod_labels))
                        {
                            continue;
                        }
                        out.add(w, m == Some(true));
                    }
                }
            }
        }
        // Every workload, surely: no need to name them.
        if out.every.is_none()
            && out.workloads.len() == model.workloads.len()
            && out.workloads.values().all(|&c| c)
        {
            out.every = Some(true);
            out.workloads.clear();
        }
        if out.every == Some(true) {
            out.workloads.clear();
        }
        out
    }
}

impl Reach {
    pub fn group_of(&self, w: usize) -> Option<usize> {
        self.group_of[w]
    }

    /// What this direction admits at workload `local` for connections with workload `remote`:
    /// (surely, possibly), as [`Engine::admission`] answers.
    pub fn ports(&self, engine: &Engine, local: usize, remote: usize) -> (PortSet, PortSet) {
        let Some(g) = self.group_of[local] else {
            return (PortSet::all(), PortSet::all());
        };
        let destination = match self.dir {
            Direction::Ingress => local,
            Direction::Egress => remote,
        };
        let mut certain = PortSet::empty();
        let mut possible = PortSet::empty();
        for &(p, r) in &self.groups[g].rules {
            let Some(sure) = self.rules[&(p, r)].admits(remote) else {
                continue;
            };
            let rule = &self.dir.rules(&engine.model.network_policies[p])[r];
            let (ports, maybe) = engine.rule_ports(rule, &Endpoint::Workload(destination));
            if sure {
                certain.union_with(&ports);
            }
            possible.union_with(&ports);
            possible.union_with(&maybe);
        }
        (certain, possible)
    }

    /// The workloads `local` may admit as remote ends.
    pub fn remotes(&self, local: usize) -> Remotes {
        let Some(g) = self.group_of[local] else {
            return Remotes::All;
        };
        let group = &self.groups[g];
        if group.open {
            return Remotes::All;
        }
        let mut out: Vec<usize> = group
            .rules
            .iter()
            .flat_map(|id| self.rules[id].workloads.keys().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        Remotes::Some(out)
    }

    /// The workloads whose policies may admit `remote` as a remote end.
    pub fn locals_admitting(&self, remote: usize) -> Remotes {
        if self.groups.is_empty() {
            return Remotes::All;
        }
        let mut out: Vec<usize> = self.unisolated.clone();
        for &g in self.open_groups.iter().chain(&self.named_in[remote]) {
            out.extend(&self.groups[g].members);
        }
        out.sort_unstable();
        out.dedup();
        Remotes::Some(out)
    }
}

impl Remotes {
    /// Both: every workload when both say every one.
    pub fn and(self, other: Remotes, n: usize) -> Vec<usize> {
        match (self, other) {
            (Remotes::All, Remotes::All) => (0..n).collect(),
            (Remotes::All, Remotes::Some(v)) | (Remotes::Some(v), Remotes::All) => v,
            (Remotes::Some(a), Remotes::Some(b)) => {
                let b: HashSet<usize> = b.into_iter().collect();
                a.into_iter().filter(|x| b.contains(x)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::IpBlocksAndPods;
    use crate::load::Inputs;
    use crate::model::{Model, ModelOptions};

    const INPUT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ops, labels: {team: b}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api, tier: back}}
    spec:
      containers: [{name: c, ports: [{name: http, containerPort: 9090}, {name: dns, containerPort: 53, protocol: UDP}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mon, namespace: ops}
spec:
  template:
    metadata: {labels: {app: mon}}
    spec:
      containers: [{name: c}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: job, namespace: elsewhere}
spec:
  template:
    metadata: {labels: {app: job}}
    spec:
      containers: [{name: c}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: http}, {port: dns, protocol: UDP}]
    - from:
        - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a]}]}
      ports: [{port: 9000, endPort: 9100}]
    - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
  egress:
    - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: mon}}}]
    - to: [{podSelector: {}}]
      ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: ops}
spec:
  podSelector: {}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]
"#;

    /// The bulk answers are those of `admission`, pair by pair, in both readings; every pair
    /// with something possibly admitted is among the candidates.
    #[test]
    fn reach_answers_as_admission_does() {
        let inputs = Inputs::from_texts([("m.yaml", INPUT)]);
        let model = Model::build(&inputs, ModelOptions::default());
        let n = model.workloads.len();
        assert_eq!(n, 4);
        for engine in [
            Engine::plain(&model),
            Engine::new(&model, IpBlocksAndPods::Unknown),
        ] {
            for dir in [Direction::Ingress, Direction::Egress] {
                let reach = engine.reach(dir);
                for local in 0..n {
                    let remotes = match reach.remotes(local) {
                        Remotes::All => (0..n).collect(),
                        Remotes::Some(v) => v,
                    };
                    for remote in 0..n {
                        let a = engine.admission(
                            dir,
                            &Endpoint::Workload(local),
                            &Endpoint::Workload(remote),
                        );
                        let (certain, possible) = reach.ports(&engine, local, remote);
                        assert_eq!(
                            (&certain, &possible),
                            (&a.certain, &a.possible),
                            "{dir:?} at {local} with {remote}, plain: {}",
                            engine.name_only_namespaces
                        );
                        if !a.possible.is_empty() {
                            assert!(remotes.contains(&remote));
                            let locals = match reach.locals_admitting(remote) {
                                Remotes::All => (0..n).collect(),
                                Remotes::Some(v) => v,
                            };
                            assert!(locals.contains(&local));
                        }
                    }
                }
            }
        }
    }
}
