use std::collections::BTreeMap;

use crate::finding::{Finding, Location, Severity};
use crate::model::identity::parse_principal;
use crate::model::resources::Workload;
use crate::model::{Dataplane, qualified};
use crate::rules::{Context, Rule, finding};

fn named_like(w: &Workload, account: &str) -> bool {
    w.meta.name == account
        || w.pod_label("app") == Some(account)
        || w.pod_label("app.kubernetes.io/name") == Some(account)
}

pub static RULE: Rule = Rule {
    code: "AL107",
    name: "workload-on-default-serviceaccount",
    severity: Severity::Warning,
    summary: "an ambient workload runs as `default` while a policy names an identity in its namespace that no workload presents",
    doc: include_str!("../../../rules/AL107-workload-on-default-serviceaccount.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    // Per namespace, the first principal naming a non-default account that no pod runs as.
    let mut unmatched: BTreeMap<String, (String, Location)> = BTreeMap::new();
    for r in ctx.principal_refs() {
        let Some(p) = parse_principal(&r.value) else {
            continue;
        };
        let (ns, sa) = (p.namespace, p.service_account);
        if sa == "default"
            || !model.workloads_running_as(ns, sa).is_empty()
            || model
                .gateway_accounts_in(ns)
                .any(|d| d.service_account == sa)
        {
            continue;
        }
        unmatched.entry(ns.to_string()).or_insert((
            r.value.clone(),
            Location::field(r.policy.meta.object, r.path.clone()),
        ));
    }
    for (ns, (principal, at)) in unmatched {
        let expected = parse_principal(&principal).map_or("", |p| p.service_account);
        let on_default: Vec<&Workload> = model
            .workloads_running_as(&ns, "default")
            .iter()
            .map(|&i| &model.workloads[i])
            .filter(|w| model.workload_dataplane(w) == Dataplane::Ambient)
            .collect();
        // The workload named like the expected account is the one meant to carry it; only when
        // none is, every workload on `default` is a candidate.
        let named: Vec<&Workload> = on_default
            .iter()
            .copied()
            .filter(|w| named_like(w, expected))
            .collect();
        let flagged = if named.is_empty() { on_default } else { named };
        for w in flagged {
            out.push(
                finding(
                    &RULE,
                    w.account_location(),
                    format!(
                        "`{}` ({}) runs as the `default` ServiceAccount and presents `{}/ns/{ns}/sa/default`, while a policy expects `{principal}` in this namespace",
                        qualified(Some(&ns), &w.meta.name),
                        w.kind,
                        model.options.trust_domain
                    ),
                )
                .help("give each workload its own ServiceAccount (`serviceAccountName` in the pod template) so that policies can tell workloads apart, and name that account in the policy")
                .related(at.clone(), "the identity the policy expects; no pod presents it"),
            );
        }
    }
}
