use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL308",
    name: "rules-ignored-by-policytypes",
    severity: Severity::Error,
    summary: "`egress` or `ingress` rules while `policyTypes` leaves that direction out: Kubernetes ignores them",
    doc: include_str!("../../../rules/AL308-rules-ignored-by-policytypes.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for p in &ctx.model.network_policies {
        if !p.policy_types_written {
            continue;
        }
        let name = qualified(Some(&p.meta.namespace), &p.meta.name);
        for (written, typed, key, ty) in [
            (
                p.ingress_written && !p.ingress.is_empty(),
                p.ingress_type,
                "ingress",
                "Ingress",
            ),
            (
                p.egress_written && !p.egress.is_empty(),
                p.egress_type,
                "egress",
                "Egress",
            ),
        ] {
            if written && !typed {
                out.push(
                    finding(
                        &RULE,
                        Location::field(p.meta.object, format!("spec.{key}").as_str()),
                        format!(
                            "the `{key}` rules of NetworkPolicy `{name}` are ignored: its `policyTypes` leaves out {ty}, so they allow nothing and restrict nothing"
                        ),
                    )
                    .help(format!("add `{ty}` to `policyTypes`, or delete the `{key}` rules"))
                    .related(Location::field(p.meta.object, "spec.policyTypes"), format!("no `{ty}` here")),
                );
            }
        }
    }
}
