use crate::finding::{Finding, Location, Severity};
use crate::model::identity::parse_principal;
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL207",
    name: "principal-serviceaccount-unused",
    severity: Severity::Warning,
    summary: "a principal names a ServiceAccount that exists but that no workload runs as: the rule matches nothing",
    doc: include_str!("../../../rules/AL207-principal-serviceaccount-unused.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for r in ctx.principal_refs() {
        let Some(p) = parse_principal(&r.value) else {
            continue;
        };
        let (ns, sa) = (p.namespace, p.service_account);
        let Some(account) = model.service_account(ns, sa) else {
            continue;
        };
        let has_workloads = model.workloads_in(ns).next().is_some();
        if !has_workloads
            || !model.workloads_running_as(ns, sa).is_empty()
            || model
                .gateway_accounts_in(ns)
                .any(|d| d.service_account == sa)
        {
            continue;
        }
        let mut f = finding(
            &RULE,
            Location::field(r.policy.meta.object, r.path.clone()),
            format!(
                "no workload runs as ServiceAccount `{ns}/{sa}`, so for principal `{}` {}",
                r.value,
                super::never_matches_effect(&r.path)
            ),
        )
        .help(format!(
            "set `serviceAccountName: {sa}` in the pod template of the workload meant to have this identity, then roll it out"
        ))
        .related(Location::field(account.object, "metadata.name"), "declared here, used by no pod template");
        for (_, w) in model.workloads_in(ns).take(3) {
            f = f.related(
                w.account_location(),
                format!(
                    "{} `{}` runs as `{}`",
                    w.kind,
                    qualified(Some(ns), &w.meta.name),
                    w.service_account_name()
                ),
            );
        }
        out.push(f);
    }
}
