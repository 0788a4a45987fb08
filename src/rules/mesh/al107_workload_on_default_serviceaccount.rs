use std::collections::BTreeMap;

use crate::finding::{Finding, Location, Severity};
use crate::model::identity::parse_principal;
use crate::model::{Dataplane, qualified};
use crate::rules::authz::principal_refs;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL107",
    name: "workload-on-default-serviceaccount",
    severity: Severity::Warning,
    summary: "an ambient workload runs as `default` while a policy names an identity in its namespace that no workload presents",
    doc: include_str!("../../../rules/AL107-workload-on-default-serviceaccount.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    // Per namespace, the first principal naming a non-default account that no pod runs as.
    let mut unmatched: BTreeMap<String, (String, Location)> = BTreeMap::new();
    for r in principal_refs(model) {
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
        for &i in model.workloads_running_as(&ns, "default") {
            let w = &model.workloads[i];
            if model.workload_dataplane(w) != Dataplane::Ambient {
                continue;
            }
            out.push(
                finding(
                    &RULE,
                    w.account_location(),
                    format!(
                        "{} `{}` runs as the `default` ServiceAccount and presents `{}/ns/{ns}/sa/default`, while a policy expects `{principal}` in this namespace",
                        w.kind,
                        qualified(Some(&ns), &w.meta.name),
                        model.options.trust_domain
                    ),
                )
                .help("give each workload its own ServiceAccount (`serviceAccountName` in the pod template) so that policies can tell workloads apart, and name that account in the policy")
                .related(at.clone(), "the identity the policy expects; no pod presents it"),
            );
        }
    }
}
