use super::{RuleParts, attribute_names, ztunnel_reach};
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding, list};

pub static RULE: Rule = Rule {
    code: "AL201",
    name: "l7-rule-in-ztunnel-allow",
    severity: Severity::Error,
    summary: "an ALLOW rule enforced by ztunnel uses HTTP attributes: ztunnel drops the rule, and with no rule left the policy denies everything",
    doc: include_str!("../../../rules/AL201-l7-rule-in-ztunnel-allow.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for policy in &ctx.model.authorization_policies {
        if policy.action != Action::Allow {
            continue;
        }
        let Some(reach) = ztunnel_reach(ctx.model, policy) else {
            super::unjudged_if_unenrolled(ctx, policy);
            continue;
        };
        let parts: Vec<RuleParts> = policy.rules.iter().map(RuleParts::of).collect();
        let dropped = parts.iter().filter(|p| !p.l7().is_empty()).count();
        let all_dropped = dropped == policy.rules.len();
        for part in &parts {
            let attrs = part.l7();
            let Some(first) = attrs.first() else { continue };
            let consequence = if all_dropped {
                "; no rule is left, so the policy denies all traffic to the workloads it selects (503s / connection resets)"
            } else {
                "; the traffic it was meant to allow is denied"
            };
            let mut f = finding(
                &RULE,
                Location::field(policy.meta.object, first.path.clone()),
                format!(
                    "ztunnel does not support HTTP attributes (found: {}): this ALLOW rule is dropped{consequence}{}",
                    list(&attribute_names(&attrs)),
                    reach.envoy_note()
                ),
            )
            .help("keep only L4 fields in ztunnel policies (source principals, namespaces, serviceAccounts, ipBlocks; operation ports) and enforce the HTTP part in an HTTPRoute or a waypoint: deploy one, label the Service `istio.io/use-waypoint`, and attach the policy with `targetRefs`");
            for other in attrs.iter().skip(1) {
                f = f.related(
                    Location::field(policy.meta.object, other.path.clone()),
                    format!("`{}` is an HTTP attribute too", other.name),
                );
            }
            out.push(reach.relate(f));
        }
    }
}
