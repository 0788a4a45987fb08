use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL307",
    name: "policy-selects-no-pods",
    severity: Severity::Warning,
    summary: "a NetworkPolicy's podSelector matches no workload in its namespace: it restricts and allows nothing",
    doc: include_str!("../../../rules/AL307-policy-selects-no-pods.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for p in &model.network_policies {
        // Pods Istio deploys for Gateways and waypoints are not in the input, but exist.
        if p.pod_selector.is_empty()
            || crate::model::selector::names_gateway_pods(&p.pod_selector)
            || model
                .gateway_selected_by(Some(&p.meta.namespace), &p.pod_selector)
                .is_some()
        {
            continue;
        }
        let ns = &p.meta.namespace;
        let has_workloads = model.workloads_in(ns).next().is_some();
        if !model.complete_unit()
            || (!has_workloads && !model.assume_complete())
            || !model.select_workloads(Some(ns), &p.pod_selector).is_empty()
        {
            continue;
        }
        out.push(
            finding(
                &RULE,
                Location::field(p.meta.object, p.pod_selector.path.clone()),
                format!(
                    "the podSelector of NetworkPolicy `{}` matches no workload in namespace `{ns}`: the policy restricts and allows nothing",
                    qualified(Some(ns), &p.meta.name)
                ),
            )
            .help("match the pod template's labels (`spec.template.metadata.labels`); a podSelector only sees pods in the policy's namespace"),
        );
    }
}
