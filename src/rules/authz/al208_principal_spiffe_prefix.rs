use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL208",
    name: "principal-spiffe-prefix",
    severity: Severity::Error,
    summary: "a principal written with `spiffe://` never matches: policies name identities without the scheme",
    doc: include_str!("../../../rules/AL208-principal-spiffe-prefix.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Safe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for r in ctx.principal_refs() {
        let Some(rest) = r.value.strip_prefix("spiffe://") else {
            continue;
        };
        let at = Location::field(r.policy.meta.object, r.path.clone());
        let fix = crate::rules::edits::edit_in_place(ctx, &at, "spiffe://", "").map(|edit| Fix {
            title: "drop `spiffe://`".to_string(),
            // The same identity, written as Istio compares it: it admits whom the policy
            // meant to admit, no more.
            applicability: Applicability::Safe,
            edits: vec![edit],
        });
        out.push(
            finding(
                &RULE,
                at,
                format!("principal `{}` starts with `spiffe://` and never matches: Istio compares principals without the scheme", r.value),
            )
            .help(format!("write it as `{rest}`"))
            .fix(fix),
        );
    }
}
