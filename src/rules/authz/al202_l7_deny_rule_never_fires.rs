use super::{RuleParts, attribute_names, deny_entries_skipped, deny_rule_emptied, ztunnel_reach};
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding, list};

pub static RULE: Rule = Rule {
    code: "AL202",
    name: "l7-deny-rule-never-fires",
    severity: Severity::Error,
    summary: "a DENY rule (or one of its `from`/`to` entries) enforced by ztunnel is left with no L4 condition: it never matches and the traffic is allowed",
    doc: include_str!("../../../rules/AL202-l7-deny-rule-never-fires.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

const HELP: &str = "deploy a waypoint for the workloads, label their Service `istio.io/use-waypoint`, and attach this DENY policy with `targetRefs`; or rewrite the rule with L4 fields only (principals, namespaces, ipBlocks, ports)";

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
            let Some((at, part)) = deny_rule_emptied(&parts) else {
                for (at, list) in deny_entries_skipped(&parts) {
                    out.push(reach.relate(
                        finding(
                            &RULE,
                            Location::field(policy.meta.object, at.path.clone()),
                            format!(
                                "ztunnel cannot enforce HTTP attributes (found: `{}`): this `{list}` entry of a DENY rule has no condition left, so ztunnel skips it and the traffic it names is allowed; only the other entries are enforced{}",
                                at.name,
                                reach.envoy_note()
                            ),
                        )
                        .help(HELP),
                    ));
                }
                continue;
            };
            let attrs = parts.l7();
            out.push(reach.relate(
                finding(
                    &RULE,
                    Location::field(policy.meta.object, at.path.clone()),
                    format!(
                        "ztunnel cannot enforce HTTP attributes (found: {}): stripped of them, this DENY rule's `{part}` has no condition left, so the rule never matches and the traffic it was meant to deny is allowed{}",
                        list(&attribute_names(&attrs)),
                        reach.envoy_note()
                    ),
                )
                .help(HELP),
            ));
        }
    }
}
