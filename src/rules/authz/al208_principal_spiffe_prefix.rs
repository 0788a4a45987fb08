use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL208",
    name: "principal-spiffe-prefix",
    severity: Severity::Error,
    summary: "a principal written with `spiffe://` never matches: policies name identities without the scheme",
    doc: include_str!("../../../rules/AL208-principal-spiffe-prefix.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for r in ctx.principal_refs() {
        let Some(rest) = r.value.strip_prefix("spiffe://") else {
            continue;
        };
        out.push(
            finding(
                &RULE,
                Location::field(r.policy.meta.object, r.path.clone()),
                format!("principal `{}` starts with `spiffe://` and never matches: Istio compares principals without the scheme", r.value),
            )
            .help(format!("write it as `{rest}`")),
        );
    }
}
