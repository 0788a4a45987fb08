use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::selector::names_gateway_pods;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL212",
    name: "selector-matches-no-workload",
    severity: Severity::Warning,
    summary: "an Istio policy's selector matches no workload in its namespace: the policy applies to nothing",
    doc: include_str!("../../../rules/AL212-selector-matches-no-workload.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let policies = model.istio_policies().map(|p| (p.kind, p.meta, p.selector));
    for (kind, meta, selector) in policies {
        let Some(sel) = selector.filter(|s| !s.is_empty()) else {
            continue;
        };
        let root = meta.namespace == model.options.root_namespace;
        let ns = (!root).then_some(meta.namespace.as_str());
        if !model.select_workloads(ns, sel).is_empty()
            || model.gateway_selected_by(ns, sel).is_some()
        {
            continue;
        }
        if names_gateway_pods(sel) {
            continue; // gateway pods of a Gateway not in the input
        }
        // Judge only where the input shows the namespace's workloads.
        let has_workloads = match ns {
            Some(ns) => model.workloads_in(ns).next().is_some(),
            None => !model.workloads.is_empty(),
        };
        if !model.complete_unit() || (!has_workloads && !model.assume_complete()) {
            continue;
        }
        let labels: Vec<String> = sel
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(
            finding(
                &RULE,
                Location::field(meta.object, sel.path.clone()),
                format!(
                    "the selector of {kind} `{}` ({}) matches no workload {}: the policy applies to nothing",
                    qualified(Some(&meta.namespace), &meta.name),
                    labels.join(", "),
                    if root { "in any namespace".to_string() } else { format!("in namespace `{}`", meta.namespace) }
                ),
            )
            .help("match the labels of the pod template (`spec.template.metadata.labels`), not the Deployment's own labels; a selector only sees pods in the policy's namespace"),
        );
    }
}
