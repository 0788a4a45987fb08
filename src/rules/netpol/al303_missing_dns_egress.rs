use super::{Coverage, Direction, Grouped};
use crate::finding::{Finding, Severity};
use crate::model::qualified;
use crate::model::resources::Peer;
use crate::rules::{Context, Rule};

pub static RULE: Rule = Rule {
    code: "AL303",
    name: "missing-dns-egress",
    severity: Severity::Error,
    summary: "a pod's egress is restricted and DNS (UDP 53) is not allowed: name lookups fail (warning when only TCP 53 is missing)",
    doc: include_str!("../../../rules/AL303-missing-dns-egress.md"),
    check: Some(check),
    supersedes: &[],
};

/// Whether some egress rule lets DNS over `protocol` reach kube-dns, which runs in kube-system: to
/// any destination, to an `ipBlock` (node-local DNS caches), or to a peer that can select pods of
/// another namespace. A lone `podSelector` means the policy's own namespace (docs/platform.md §8),
/// so it reaches kube-dns only from kube-system. A named port may be CoreDNS's `dns`/`dns-tcp`.
fn allows_dns(cov: &Coverage, protocol: &str) -> bool {
    cov.restricting.iter().any(|policy| {
        policy.egress.iter().any(|r| {
            let port = r.ports.is_empty()
                || r.ports
                    .iter()
                    .any(|p| p.admits_maybe_named(protocol, 53, true));
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
            port && peer
        })
    })
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    let mut no_dns = Grouped::new();
    let mut no_tcp = Grouped::new();
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
            no_dns.add(p, w);
        } else if !allows_dns(&cov, "TCP") {
            no_tcp.add(p, w);
        }
    }
    no_dns.emit(
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
    );
    let start = out.len();
    no_tcp.emit(
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
    );
    for f in &mut out[start..] {
        f.severity = Severity::Warning;
    }
}
