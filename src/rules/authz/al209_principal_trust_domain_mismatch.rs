use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL209",
    name: "principal-trust-domain-mismatch",
    severity: Severity::Warning,
    summary: "a principal's trust domain differs from the mesh's: it matches no identity the mesh issues",
    doc: include_str!("../../../rules/AL209-principal-trust-domain-mismatch.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let td = &ctx.model.options.trust_domain;
    for r in ctx.principal_refs() {
        if r.value.starts_with("spiffe://") {
            continue; // AL208
        }
        let Some((domain, rest)) = r.value.split_once('/') else {
            continue;
        };
        if domain.contains('*') || domain == td || !rest.starts_with("ns/") {
            continue;
        }
        out.push(
            finding(
                &RULE,
                Location::field(r.policy.meta.object, r.path.clone()),
                format!(
                    "principal `{}` is in trust domain `{domain}`, but the mesh issues identities in `{td}`: it matches none of them",
                    r.value
                ),
            )
            .help(format!(
                "write `{td}/{rest}`; if the mesh really uses `{domain}`, pass `--trust-domain {domain}`"
            )),
        );
    }
}
