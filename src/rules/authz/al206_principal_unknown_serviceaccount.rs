use crate::finding::{Finding, Location, Severity};
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
    ns != model.options.root_namespace
        && (model
            .service_accounts_in(ns)
            .any(|s| !model.is_declared(s.object))
            || model.workloads_in(ns).next().is_some())
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for r in ctx.principal_refs() {
        let Some(p) = parse_principal(&r.value) else {
            continue;
        };
        if p.trust_domain.is_some_and(|t| t.starts_with("spiffe:")) {
            continue; // AL208 reports it.
        }
        let (ns, sa) = (p.namespace, p.service_account);
        if account_exists(model, ns, sa) {
            continue;
        }
        if !identities_in_input(model, ns) {
            if ns != model.options.root_namespace {
                ctx.unjudged(Unjudged::UndescribedNamespace, ns, r.policy.meta.object);
            }
            continue;
        }
        let mut in_use: Vec<String> = Vec::new();
        let mut f = finding(
            &RULE,
            Location::field(r.policy.meta.object, r.path.clone()),
            String::new(),
        );
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
            if !in_use.contains(&s.name) {
                in_use.push(s.name.clone());
            }
        }
        f.message = format!(
            "principal `{}` names ServiceAccount `{sa}`, which does not exist in namespace `{ns}`: no workload presents this identity, so {}",
            r.value,
            super::never_matches_effect(&r.path)
        );
        f.help = format!(
            "create ServiceAccount `{ns}/{sa}` and set `serviceAccountName: {sa}` in the pod template of the workload meant to have this identity, or name an account that exists ({})",
            list(&in_use)
        );
        out.push(f);
    }
}
