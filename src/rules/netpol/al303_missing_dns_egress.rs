use super::{Coverage, Direction, Grouped};
use std::collections::BTreeMap;

use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::model::qualified;
use crate::model::resources::{NetworkPolicy, Peer};
use crate::rules::{Context, Rule, edits};

pub static RULE: Rule = Rule {
    code: "AL303",
    name: "missing-dns-egress",
    severity: Severity::Error,
    summary: "a pod's egress is restricted and DNS (UDP 53) is not allowed: name lookups fail (warning when only TCP 53 is missing)",
    doc: include_str!("../../../rules/AL303-missing-dns-egress.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

/// The egress rule entry that lets DNS over `protocol` reach kube-dns, which runs in
/// kube-system: to any destination, to an `ipBlock` (node-local DNS caches), or to a peer that can
/// select pods of another namespace. A lone `podSelector` means the policy's own namespace (docs/platform.md §8),
/// so it reaches kube-dns only from kube-system. A named port may be CoreDNS's `dns`/`dns-tcp`.
/// Returns the port entry (or the rule, when it lists no ports).
fn dns_entry(cov: &Coverage, protocol: &str) -> Option<Location> {
    cov.restricting.iter().find_map(|policy| {
        policy.egress.iter().find_map(|r| {
            let peer = r.peers.is_empty()
                || policy.meta.namespace == "kube-system"
                || r.peers.iter().any(|peer| {
                    !matches!(
                        peer,
                        Peer::Pods {
                            namespace_selector: None,
                            ..
                        }
                    )
                });
            if !peer {
                return None;
            }
            if r.ports.is_empty() {
                return Some(Location::field(policy.meta.object, r.path.clone()));
            }
            r.ports
                .iter()
                .find(|p| p.admits_maybe_named(protocol, 53, true))
                .map(|p| Location::field(policy.meta.object, p.path.clone()))
        })
    })
}

/// A DNS rule appended to the policy's egress rules: UDP and TCP 53 to kube-system, where
/// kube-dns runs. Unsafe: it opens port 53 to every pod there (node-local DNS caches listen on a
/// link-local address instead, which this does not cover).
fn dns_rule_fix(ctx: &Context, policy: &NetworkPolicy) -> Option<Fix> {
    let (root, file, text) = edits::editable(ctx, policy.meta.object)?;
    let egress = edits::node_at(root, &"spec.egress".into())?;
    let item = edits::Item {
        flow: "{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}",
        block: &[
            "to:",
            "  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}",
            "ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]",
        ],
    };
    Some(Fix {
        title: "allow DNS (UDP and TCP 53) to kube-system".to_string(),
        applicability: Applicability::Unsafe,
        edits: vec![edits::append_to_seq(text, file, egress, &item)?],
    })
}

/// TCP 53 added to the list that admits DNS over UDP only (`at` is its UDP entry).
fn dns_tcp_fix(ctx: &Context, policy: &NetworkPolicy, at: &Location) -> Option<Fix> {
    let Location::Field { path, .. } = at else {
        return None;
    };
    let (list, _) = path.as_str().rsplit_once('[')?;
    let (root, file, text) = edits::editable(ctx, policy.meta.object)?;
    let ports = edits::node_at(root, &list.into())?;
    let item = edits::Item {
        flow: "{port: 53, protocol: TCP}",
        block: &["port: 53", "protocol: TCP"],
    };
    Some(Fix {
        title: "allow TCP 53 beside UDP 53".to_string(),
        applicability: Applicability::Unsafe,
        edits: vec![edits::append_to_seq(text, file, ports, &item)?],
    })
}

fn allows_dns(cov: &Coverage, protocol: &str) -> bool {
    dns_entry(cov, protocol).is_some()
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    let mut no_dns = Grouped::new();
    let mut no_tcp = Grouped::new();
    // Per policy, the entry that admits DNS over the other protocol only.
    let mut tcp_only: BTreeMap<usize, Location> = BTreeMap::new();
    let mut udp_only: BTreeMap<usize, Location> = BTreeMap::new();
    for (i, w) in model.workloads.iter().enumerate() {
        let cov = Coverage::of(model, &selecting[i], Direction::Egress);
        // Fully isolated pods open no connections and need no DNS.
        if cov.rules(Direction::Egress).next().is_none() {
            continue;
        }
        let Some(p) = cov.primary(Direction::Egress) else {
            continue;
        };
        if !allows_dns(&cov, "UDP") {
            if let Some(at) = dns_entry(&cov, "TCP") {
                tcp_only.entry(p.meta.object).or_insert(at);
            }
            no_dns.add(p, w);
        } else if !allows_dns(&cov, "TCP") {
            if let Some(at) = dns_entry(&cov, "UDP") {
                udp_only.entry(p.meta.object).or_insert(at);
            }
            no_tcp.add(p, w);
        }
    }
    no_dns.emit_with(
        &RULE,
        Direction::Egress,
        out,
        |policy, names| {
            (
                format!(
                    "egress of {names} is restricted by NetworkPolicy `{}` and no policy selecting it allows DNS (UDP 53): Service names do not resolve, so every call by name fails",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                "add an egress rule for DNS: `- ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]`, to any destination or to the kube-dns pods with a `namespaceSelector` for kube-system (a `podSelector` alone selects pods of the policy's own namespace)".to_string(),
            )
        },
        "selected by this policy",
        |policy, _, mut f| {
            f = f.fix(dns_rule_fix(ctx, policy));
            if let Some(at) = tcp_only.get(&policy.meta.object) {
                f.message
                    .push_str("; DNS is admitted over TCP only, and lookups go over UDP first");
                f = f.related(at.clone(), "admits port 53 over TCP, not UDP");
            }
            f
        },
    );
    let start = out.len();
    no_tcp.emit_with(
        &RULE,
        Direction::Egress,
        out,
        |policy, names| {
            (
                format!(
                    "egress of {names} allows DNS over UDP but not TCP 53 (NetworkPolicy `{}`): answers too large for UDP are retried over TCP and fail",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                "add `{port: 53, protocol: TCP}` beside the UDP 53 entry".to_string(),
            )
        },
        "selected by this policy",
        |policy, _, f| match udp_only.get(&policy.meta.object) {
            Some(at) => {
                let fix = dns_tcp_fix(ctx, policy, at);
                f.related(at.clone(), "admits port 53 over UDP only").fix(fix)
            }
            None => f,
        },
    );
    for f in &mut out[start..] {
        f.severity = Severity::Warning;
    }
}
