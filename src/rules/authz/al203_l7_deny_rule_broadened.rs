use super::{RuleParts, attribute_names, deny_rule_broadened, deny_rule_emptied, ztunnel_reach};
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding, list};

pub static RULE: Rule = Rule {
    code: "AL203",
    name: "l7-deny-rule-broadened",
    severity: Severity::Warning,
    summary: "a DENY rule enforced by ztunnel loses its HTTP attributes but keeps L4 ones: it denies more than written",
    doc: include_str!("../../../rules/AL203-l7-deny-rule-broadened.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for policy in &ctx.model.authorization_policies {
        if policy.action != Action::Deny {
            continue;
        }
        let Some(reach) = ztunnel_reach(ctx.model, policy) else {
            super::unjudged_if_unenrolled(ctx, policy);
            continue;
        };
        for rule in &policy.rules {
            let parts = RuleParts::of(rule);
            let attrs = parts.l7();
            let Some(first) = attrs.first() else { continue };
            // AL202 reports rules and entries that do nothing; this rule, entries that do more.
            if deny_rule_emptied(&parts).is_some() || !deny_rule_broadened(&parts) {
                continue;
            }
            out.push(reach.relate(
                finding(
                    &RULE,
                    Location::field(policy.meta.object, first.path.clone()),
                    format!(
                        "ztunnel enforces this DENY rule without its HTTP attributes (found: {}): it denies every connection that matches the remaining L4 conditions, more than written{}",
                        list(&attribute_names(&attrs)),
                        reach.envoy_note()
                    ),
                )
                .help("attach the policy to a waypoint with `targetRefs` to keep the HTTP conditions, or drop them here if denying all matching connections is intended"),
            ));
        }
    }
}
