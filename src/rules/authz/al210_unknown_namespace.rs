use super::{accounts_by_name, namespace_pattern_known, or_list};
use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::model::identity::parse_principal;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL210",
    name: "unknown-namespace",
    severity: Severity::Error,
    summary: "a policy names a namespace that does not exist (under `--assume-complete`; otherwise a note that it was not judged): the rule matches no traffic from it",
    doc: include_str!("../../../rules/AL210-unknown-namespace.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let mut accounts = None;
    for r in ctx.namespace_refs() {
        if namespace_pattern_known(ctx.model, r.value) {
            continue;
        }
        let what = if r.in_principal {
            "the principal's namespace"
        } else {
            "namespace"
        };
        // The account a principal names, where it does exist: the namespace is likely the
        // mistake.
        let account = r
            .principal
            .and_then(|p| parse_principal(p.strip_prefix("spiffe://").unwrap_or(p)))
            .map(|p| (p.trust_domain, p.service_account));
        let candidates: Vec<(&str, Location, String)> = match account {
            Some((_, sa)) => accounts
                .get_or_insert_with(|| accounts_by_name(ctx.model))
                .get(sa)
                .map(|m| {
                    m.iter()
                        .map(|(ns, (at, why))| (*ns, at.clone(), why.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        // Unless the input is the whole cluster, the namespace may exist elsewhere: a note, not
        // a finding; but an account of that name in another namespace says which was meant.
        if !ctx.model.assume_complete() && candidates.is_empty() {
            ctx.unjudged(Unjudged::UnknownNamespace, r.value, r.policy.meta.object);
            continue;
        }
        let message = match account.filter(|_| !candidates.is_empty()) {
            Some((_, sa)) => {
                let names: Vec<String> = candidates
                    .iter()
                    .map(|(ns, _, _)| format!("{ns}/{sa}"))
                    .collect();
                format!(
                    "namespace `{}` does not exist; did you mean {}? As written, no Namespace object or resource in the input lives there, so {}",
                    r.value,
                    or_list(&names),
                    super::never_matches_effect(&r.path)
                )
            }
            None => format!(
                "{what} `{}` does not exist: the input is declared complete and no Namespace object or resource in it lives there, so {}",
                r.value,
                super::never_matches_effect(&r.path)
            ),
        };
        let help = match (account, candidates.first()) {
            (Some((td, sa)), Some((ns, _, _))) => format!(
                "if the caller is `{ns}/{sa}`, write `{}/ns/{ns}/sa/{sa}`; if `{}` exists outside these manifests, pass `--known-namespace {}`",
                td.unwrap_or(&ctx.model.options.trust_domain),
                r.value,
                r.value
            ),
            _ => format!(
                "correct the name (known namespaces: {}), or if `{}` exists outside these manifests, declare it: `--ambient-namespace {}` (or `cluster.namespaces` in .ambient-lint.yaml) if it runs in ambient, `--known-namespace {}` otherwise",
                ctx.model.known_namespace_names().join(", "),
                r.value,
                r.value,
                r.value
            ),
        };
        let mut f = finding(
            &RULE,
            Location::field(r.policy.meta.object, r.path.clone()),
            message,
        )
        .help(help);
        // The one namespace holding that account, written into the principal: unsafe, it
        // admits that account.
        if let ([(ns, _, _)], Some(_)) = (candidates.as_slice(), r.principal) {
            let at = Location::field(r.policy.meta.object, r.path.clone());
            f = f.fix(
                crate::rules::edits::edit_in_place(
                    ctx,
                    &at,
                    &format!("/ns/{}/", r.value),
                    &format!("/ns/{ns}/"),
                )
                .map(|edit| Fix {
                    title: format!("write namespace `{ns}`"),
                    applicability: Applicability::Unsafe,
                    edits: vec![edit],
                }),
            );
        }
        for (_, at, why) in candidates.into_iter().take(3) {
            f = f.related(at, why);
        }
        out.push(f);
    }
}
