use super::ztunnel_reach;
use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL218",
    name: "trust-domains-ignored-by-ztunnel",
    severity: Severity::Warning,
    summary: "`trustDomains`/`notTrustDomains` in a ztunnel policy are dropped: the condition is not enforced",
    doc: include_str!("../../../rules/AL218-trust-domains-ignored-by-ztunnel.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for policy in &ctx.model.authorization_policies {
        let Some(reach) = ztunnel_reach(ctx.model, policy) else {
            super::unjudged_if_unenrolled(ctx, policy);
            continue;
        };
        for rule in &policy.rules {
            for clause in rule.from.as_deref().unwrap_or_default() {
                for field in clause
                    .fields
                    .iter()
                    .filter(|f| f.name == "trustDomains" || f.name == "notTrustDomains")
                {
                    let alone = clause
                        .fields
                        .iter()
                        .all(|f| f.name == "trustDomains" || f.name == "notTrustDomains");
                    let effect = if alone {
                        "this source holds nothing else, so it never matches"
                    } else {
                        "the rest of this source is enforced without it"
                    };
                    out.push(reach.relate(
                        finding(
                            &RULE,
                            Location::field(policy.meta.object, field.path.clone()),
                            format!("ztunnel drops `{}`: {effect}{}", field.name, reach.envoy_note()),
                        )
                        .help("name the trust domain inside `principals` (`<trust-domain>/ns/<ns>/sa/<sa>`, wildcards allowed), or attach the policy to a waypoint with `targetRefs`"),
                    ));
                }
            }
        }
    }
}
