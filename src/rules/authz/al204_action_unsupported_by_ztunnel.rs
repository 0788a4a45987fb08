use super::ztunnel_reach;
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL204",
    name: "action-unsupported-by-ztunnel",
    severity: Severity::Error,
    summary: "an AUDIT or CUSTOM policy without targetRefs: ztunnel supports only ALLOW and DENY and ignores it",
    doc: include_str!("../../../rules/AL204-action-unsupported-by-ztunnel.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for policy in &ctx.model.authorization_policies {
        let action = match policy.action {
            Action::Audit => "AUDIT",
            Action::Custom => "CUSTOM",
            _ => continue,
        };
        let Some(reach) = ztunnel_reach(ctx.model, policy) else {
            super::unjudged_if_unenrolled(ctx, policy);
            continue;
        };
        let consequence = if policy.action == Action::Custom {
            "the external authorizer is never called and the traffic it should check is let through"
        } else {
            "nothing is audited"
        };
        out.push(reach.relate(
            finding(
                &RULE,
                Location::field(policy.meta.object, policy.action_path.clone()),
                format!("ztunnel does not support the {action} action: it ignores this policy, so {consequence}{}", reach.envoy_note()),
            )
            .help("deploy a waypoint for the workloads, label their Service `istio.io/use-waypoint`, and attach this policy to it with `targetRefs`"),
        ));
    }
}
