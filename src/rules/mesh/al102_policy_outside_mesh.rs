use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Meta;
use crate::model::selector::LabelSelector;
use crate::model::{DATAPLANE_MODE, Dataplane, Model, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL102",
    name: "policy-outside-mesh",
    severity: Severity::Warning,
    summary: "an AuthorizationPolicy or PeerAuthentication covers only workloads outside the mesh: nothing enforces it",
    doc: include_str!("../../../rules/AL102-policy-outside-mesh.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// Whether every workload the policy covers is outside the mesh, as far as the input shows:
/// None when some may enforce it, else the covered workloads (empty when the namespace's labels
/// decide).
fn outside(model: &Model, meta: &Meta, selector: Option<&LabelSelector>) -> Option<Vec<usize>> {
    if meta.namespace == model.options.root_namespace {
        return None; // mesh-wide
    }
    // Istio-deployed gateway pods (not in the input) enforce selector and namespace policies.
    let gateway_here = model
        .gateway_deployments
        .iter()
        .any(|d| d.namespace == meta.namespace && !model.gateways[d.gateway].is_waypoint());
    let selects_gateway = selector.is_some_and(|s| {
        crate::model::selector::names_gateway_pods(s)
            || model
                .gateway_selected_by(Some(&meta.namespace), s)
                .is_some()
    });
    if selects_gateway || (selector.is_none() && gateway_here) {
        return None;
    }
    let mode = model.namespace_dataplane(&meta.namespace);
    let covered: Vec<usize> = match selector {
        Some(sel) => model.select_workloads(Some(&meta.namespace), sel),
        None => model
            .workloads_in(&meta.namespace)
            .map(|(i, _)| i)
            .collect(),
    };
    if covered.is_empty() {
        // No workload to judge by: the namespace's own labels decide.
        return (mode == Dataplane::Outside).then_some(covered);
    }
    // Pods that run Envoy (a gateway Deployment, a pod with a sidecar) enforce it themselves,
    // whatever their `dataplane-mode` says.
    covered
        .iter()
        .all(|&i| {
            let w = &model.workloads[i];
            model.workload_dataplane(w) == Dataplane::Outside && model.envoy_workload(w).is_none()
        })
        .then_some(covered)
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let policies = model
        .istio_policies()
        .filter(|p| p.kind != "RequestAuthentication" && !p.has_target_refs)
        .map(|p| (p.kind, p.meta, p.selector));
    for (kind, meta, selector) in policies {
        let Some(covered) = outside(model, meta, selector) else {
            ctx.unjudged_scope(meta, selector);
            continue;
        };
        let at = match selector {
            Some(sel) => sel.path.clone(),
            None => "metadata.name".into(),
        };
        let mut f = finding(
            &RULE,
            Location::field(meta.object, at),
            format!(
                "nothing enforces {kind} `{}`: the workloads it covers are not enrolled in ambient and have no sidecar",
                qualified(Some(&meta.namespace), &meta.name)
            ),
        )
        .help(if model.namespace_dataplane(&meta.namespace) == Dataplane::Ambient {
            "remove `istio.io/dataplane-mode: none` from the pods to enrol them, or delete the policy".to_string()
        } else {
            format!(
                "enrol the namespace with `kubectl label namespace {} istio.io/dataplane-mode=ambient` (or the pods with that label), or delete the policy",
                meta.namespace
            )
        });
        // The opt-out label that takes the first covered pod out of the mesh.
        if let Some(w) = covered
            .iter()
            .map(|&i| &model.workloads[i])
            .find(|w| w.pod_label(DATAPLANE_MODE) == Some("none"))
        {
            f = f.related(
                Location::field(w.meta.object, w.pod_labels_path().key(DATAPLANE_MODE)),
                format!(
                    "`{DATAPLANE_MODE}: none` takes the pods of {} `{}` out of ambient",
                    w.kind, w.meta.name
                ),
            );
        }
        if let Some(ns) = model
            .namespace(&meta.namespace)
            .filter(|_| model.namespace_dataplane(&meta.namespace) == Dataplane::Outside)
        {
            f = f.related(
                Location::field(ns.object, "metadata.name"),
                "no `istio.io/dataplane-mode: ambient` and no sidecar injection here",
            );
        }
        out.push(f);
    }
}
