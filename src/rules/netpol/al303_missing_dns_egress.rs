use super::{Coverage, Direction, Grouped, selecting_policies};
use crate::finding::{Finding, Severity};
use crate::model::qualified;
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

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = selecting_policies(model);
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
        if !cov.admits(Direction::Egress, "UDP", 53) {
            no_dns.add(p, w);
        } else if !cov.admits(Direction::Egress, "TCP", 53) {
            no_tcp.add(p, w);
        }
    }
    no_dns.emit(
        &RULE,
        Direction::Egress,
        out,
        |policy, names, _| {
            (
                format!(
                    "egress of {names} is restricted by NetworkPolicy `{}` and no policy selecting it allows DNS (UDP 53): Service names do not resolve, so every call by name fails",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                "add an egress rule for DNS: `- ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]` (optionally `to:` the kube-dns pods in kube-system)".to_string(),
            )
        },
        "selected by this policy",
    );
    let start = out.len();
    no_tcp.emit(
        &RULE,
        Direction::Egress,
        out,
        |policy, names, _| {
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
