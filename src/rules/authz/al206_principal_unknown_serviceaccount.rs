use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::model::identity::parse_principal;
use crate::model::{Model, qualified};
use crate::rules::{Context, Rule, Unjudged, finding, list};

pub static RULE: Rule = Rule {
    code: "AL206",
    name: "principal-unknown-serviceaccount",
    severity: Severity::Error,
    summary: "a principal names a ServiceAccount that does not exist in its namespace: the rule never matches",
    doc: include_str!("../../../rules/AL206-principal-unknown-serviceaccount.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

/// Accounts a namespace's pods can present: declared ones, `default`, the ones workloads name,
/// and those Istio generates for gateways and waypoints.
pub fn account_exists(model: &Model, ns: &str, sa: &str) -> bool {
    sa == "default"
        || model.service_account(ns, sa).is_some()
        || !model.workloads_running_as(ns, sa).is_empty()
        || model
            .gateway_accounts_in(ns)
            .any(|d| d.service_account == sa)
}

/// Whether the input describes the namespace's identities: it holds ServiceAccounts or workloads
/// there. Otherwise its accounts may be created elsewhere and nothing can be said.
pub fn identities_in_input(model: &Model, ns: &str) -> bool {
    model.complete_unit()
        && ns != model.options.root_namespace
        && (model
            .service_accounts_in(ns)
            .any(|s| !model.is_declared(s.object))
            || model.workloads_in(ns).next().is_some())
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let mut elsewhere = None;
    for r in ctx.principal_refs() {
        // A `spiffe://` principal is also AL208's (the prefix); its account is checked here all
        // the same, so that both mistakes are found.
        let value = r.value.strip_prefix("spiffe://").unwrap_or(&r.value);
        let Some(p) = parse_principal(value) else {
            continue;
        };
        let (ns, sa) = (p.namespace, p.service_account);
        if account_exists(model, ns, sa) || ns == model.options.root_namespace {
            continue;
        }
        // An account of this name in other namespaces: the principal likely names the wrong one.
        let candidates: Vec<(&str, &(Location, String))> = elsewhere
            .get_or_insert_with(|| super::accounts_by_name(model))
            .get(sa)
            .map(|m| {
                m.iter()
                    .map(|(n, l)| (*n, l))
                    .filter(|(n, _)| *n != ns)
                    .collect()
            })
            .unwrap_or_default();
        let judged =
            identities_in_input(model, ns) || (!candidates.is_empty() && model.describes(ns));
        if !judged {
            ctx.unjudged(Unjudged::UndescribedNamespace, ns, r.policy.meta.object);
            continue;
        }
        let mut in_use: Vec<String> = Vec::new();
        let mut f = finding(
            &RULE,
            Location::field(r.policy.meta.object, r.path.clone()),
            String::new(),
        );
        for (_, (at, what)) in candidates.iter().take(3) {
            f = f.related(at.clone(), what.clone());
        }
        for (_, w) in model.workloads_in(ns).take(3) {
            let account = w.service_account_name().to_string();
            f = f.related(
                w.account_location(),
                format!(
                    "{} `{}` runs as `{account}`",
                    w.kind,
                    qualified(Some(ns), &w.meta.name)
                ),
            );
            if !in_use.contains(&account) {
                in_use.push(account);
            }
        }
        for d in model.gateway_accounts_in(ns) {
            if !in_use.contains(&d.service_account) {
                in_use.push(d.service_account.clone());
            }
        }
        for s in model.service_accounts_in(ns) {
            if !in_use.iter().any(|u| *u == s.name) {
                in_use.push(s.name.to_string());
            }
        }
        let did_you_mean = if candidates.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = candidates
                .iter()
                .map(|(n, _)| format!("{n}/{sa}"))
                .collect();
            format!("; did you mean {}?", super::or_list(&names))
        };
        f.message = if candidates.is_empty() {
            format!(
                "principal `{}` names ServiceAccount `{sa}`, which does not exist in namespace `{ns}`: no workload presents this identity, so {}",
                r.value,
                super::never_matches_effect(&r.path)
            )
        } else {
            format!(
                "no ServiceAccount `{sa}` in `{ns}`{did_you_mean} As written, principal `{}` names an identity no workload presents, so {}",
                r.value,
                super::never_matches_effect(&r.path)
            )
        };
        let td = p.trust_domain.unwrap_or(&model.options.trust_domain);
        f.help = match candidates.first() {
            Some((other, _)) => format!(
                "if the caller is `{other}/{sa}`, write `{td}/ns/{other}/sa/{sa}`; otherwise create ServiceAccount `{ns}/{sa}` and set `serviceAccountName: {sa}` in the pod template of the workload meant to have this identity"
            ),
            None => format!(
                "create ServiceAccount `{ns}/{sa}` and set `serviceAccountName: {sa}` in the pod template of the workload meant to have this identity, or name an account that exists ({})",
                list(&in_use)
            ),
        };
        // No account of that name anywhere, and one workload of that name on `default`: the
        // account it was meant to have.
        if candidates.is_empty() {
            f = f.fix(own_account_fix(ctx, ns, sa));
        }
        // The one account of that name elsewhere, written in: unsafe, it admits that account.
        if let [(other, _)] = candidates.as_slice() {
            let at = Location::field(r.policy.meta.object, r.path.clone());
            f = f.fix(
                crate::rules::edits::edit_in_place(
                    ctx,
                    &at,
                    &format!("/ns/{ns}/"),
                    &format!("/ns/{other}/"),
                )
                .map(|edit| Fix {
                    title: format!("name `{other}/{sa}`"),
                    applicability: Applicability::Unsafe,
                    edits: vec![edit],
                }),
            );
        }
        out.push(f);
    }
}

/// The ServiceAccount a principal names, for the one workload of the namespace that bears its
/// name and runs as `default`: the account, appended to the workload's file, and
/// `serviceAccountName` in its pod template. Unsafe: the workload's pods change identity, so
/// what admitted them as `default` no longer does, and this principal's rule now does.
fn own_account_fix(ctx: &Context, ns: &str, sa: &str) -> Option<Fix> {
    use crate::rules::edits;
    let model = ctx.model;
    let mut named = model.workloads_in(ns).filter(|(_, w)| w.meta.name == sa);
    let (_, w) = named.next()?;
    if named.next().is_some() || w.service_account_name() != "default" {
        return None;
    }
    let (root, file, text) = edits::editable(ctx, w.meta.object)?;
    let set_account = match &w.service_account {
        // `serviceAccountName: default`, written: the value replaced where it is.
        Some(written) => {
            let node = edits::node_at(root, &written.path)?;
            let span = node.span();
            (text.get(span.start..span.end)? == "default").then(|| crate::finding::Edit {
                file,
                start: span.start,
                end: span.end,
                content: sa.to_string(),
            })?
        }
        None => {
            let spec = edits::node_at(root, &w.pod_spec)?;
            edits::add_to_map(text, file, spec, "serviceAccountName", sa)?
        }
    };
    let separator = if text.ends_with('\n') || text.is_empty() {
        ""
    } else {
        "\n"
    };
    let account = crate::finding::Edit {
        file,
        start: text.len(),
        end: text.len(),
        content: format!(
            "{separator}---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: {ns}\n"
        ),
    };
    Some(Fix {
        title: format!(
            "create ServiceAccount `{ns}/{sa}` and run {} `{}` as it",
            w.kind, w.meta.name
        ),
        applicability: Applicability::Unsafe,
        edits: vec![set_account, account],
    })
}
