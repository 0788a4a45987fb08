use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL106",
    name: "waypoint-without-hbone-listener",
    severity: Severity::Error,
    summary: "an `istio-waypoint` Gateway has no HBONE listener on port 15008: mesh traffic cannot reach it",
    doc: include_str!("../../../rules/AL106-waypoint-without-hbone-listener.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for g in ctx.model.gateways.iter().filter(|g| g.is_waypoint()) {
        if g.listeners
            .iter()
            .any(|l| l.port == Some(15008) && l.protocol == "HBONE")
        {
            continue;
        }
        let at = if g.listeners.is_empty() {
            "spec"
        } else {
            "spec.listeners"
        };
        out.push(
            finding(
                &RULE,
                Location::field(g.meta.object, at),
                format!(
                    "waypoint `{}` has no listener with `port: 15008` and `protocol: HBONE`: ztunnel sends mesh traffic to waypoints over HBONE on 15008, so nothing reaches this one",
                    qualified(Some(&g.meta.namespace), &g.meta.name)
                ),
            )
            .help("add the canonical listener `- {name: mesh, port: 15008, protocol: HBONE}` (what `istioctl waypoint generate` writes)"),
        );
    }
}
