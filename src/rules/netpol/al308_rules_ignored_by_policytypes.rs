use crate::finding::{Applicability, Finding, Fix, Location, Severity};
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
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
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
                let fix = crate::rules::edits::editable(ctx, p.meta.object).and_then(
                    |(root, file, text)| {
                        let types = crate::rules::edits::node_at(root, &"spec.policyTypes".into())?;
                        let item = crate::rules::edits::Item {
                            flow: ty,
                            block: &[ty],
                        };
                        crate::rules::edits::append_to_seq(text, file, types, &item)
                    },
                );
                let fix = fix.map(|edit| Fix {
                    title: format!("add `{ty}` to `policyTypes`"),
                    // The written rules then apply: what they do not admit in that direction is
                    // dropped, a change of behaviour to review.
                    applicability: Applicability::Unsafe,
                    edits: vec![edit],
                });
                out.push(
                    finding(
                        &RULE,
                        Location::field(p.meta.object, format!("spec.{key}").as_str()),
                        format!(
                            "the `{key}` rules of NetworkPolicy `{name}` are ignored: its `policyTypes` leaves out {ty}, so they allow nothing and restrict nothing"
                        ),
                    )
                    .help(format!("add `{ty}` to `policyTypes`, or delete the `{key}` rules"))
                    .related(Location::field(p.meta.object, "spec.policyTypes"), format!("no `{ty}` here"))
                    .fix(fix),
                );
            }
        }
    }
}
