use super::{
    Coverage, Direction, Grouped, HBONE_PORT, NearMisses, add_hbone_port_fix, note_near_miss,
    relate_ambient_labels, with_near_miss,
};
use crate::engine::Endpoint;
use crate::finding::{Finding, Severity};
use crate::model::Dataplane;
use crate::model::qualified;
use crate::rules::{Context, Rule};

pub static RULE: Rule = Rule {
    code: "AL302",
    name: "missing-hbone-ingress",
    severity: Severity::Error,
    summary: "an ambient pod that serves traffic has restricted ingress and no policy allows TCP 15008: mesh clients cannot reach it",
    doc: include_str!("../../../rules/AL302-missing-hbone-ingress.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    let mut isolated = Grouped::new();
    let mut app_ports_only = Grouped::new();
    let mut misses = NearMisses::new();
    for (i, w) in model.workloads.iter().enumerate() {
        if model.workload_dataplane(w) != Dataplane::Ambient {
            ctx.unjudged_workload(i);
            continue;
        }
        // Only pods something is meant to call: those behind a Service.
        if model.services_selecting(w).next().is_none() {
            continue;
        }
        let cov = Coverage::of(model, &selecting[i], Direction::Ingress);
        if !cov.is_restricted()
            || ctx.engine().may_admit_pods(
                &Endpoint::Workload(i),
                Direction::Ingress,
                "TCP",
                HBONE_PORT as u16,
            )
        {
            continue;
        }
        let Some(p) = cov.primary(Direction::Ingress) else {
            continue;
        };
        if cov.rules(Direction::Ingress).next().is_none() {
            isolated.add(p, w);
        } else {
            note_near_miss(&mut misses, p, &cov, Direction::Ingress, "TCP", HBONE_PORT);
            app_ports_only.add(p, w);
        }
    }
    let help = format!(
        "add an ingress rule allowing TCP {HBONE_PORT} from the callers (e.g. `- from: [...]` with `ports: [{{port: {HBONE_PORT}, protocol: TCP}}]`); in ambient every mesh connection arrives on {HBONE_PORT}, and the app port is used only by clients outside the mesh"
    );
    isolated.emit_with(
        &RULE,
        Direction::Ingress,
        out,
        |policy, names| {
            (
                format!(
                    "ingress of {names} (ambient, behind a Service) is denied entirely by NetworkPolicy `{}`: mesh clients arrive over HBONE on TCP {HBONE_PORT}, which no policy allows, so every connection times out (a gateway in front answers 504)",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                help.clone(),
            )
        },
        "runs in ambient, is selected by a Service, and receives no allowed ingress",
        |policy, workloads, f| {
            let f = f.fix(hbone_rule_fix(ctx, policy, workloads));
            relate_ambient_labels(model, workloads, f)
        },
    );
    app_ports_only.emit_with(
        &RULE,
        Direction::Ingress,
        out,
        |policy, names| {
            (
                format!(
                    "ingress of {names} (ambient) is restricted by NetworkPolicy `{}` and no policy selecting it allows TCP {HBONE_PORT}: mesh clients arrive over HBONE on {HBONE_PORT}, not on the application port, so they time out",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                help.clone(),
            )
        },
        "runs in ambient and is selected by this policy",
        |policy, workloads, f| {
            let f = with_near_miss(&misses, policy, HBONE_PORT, "TCP", "HBONE is TCP", f)
                .fix(add_hbone_port_fix(ctx, policy, Direction::Ingress));
            relate_ambient_labels(model, workloads, f)
        },
    );
}

/// For pods no ingress rule admits at all: a new ingress rule on the policy allowing TCP 15008
/// from the namespaces of the callers the intended flows name (docs/platform.md §4.2), in the
/// list's own style. Unsafe: it admits those namespaces to every pod the policy selects, on every
/// port behind the tunnel. None when no flow names a caller inside the cluster.
fn hbone_rule_fix(
    ctx: &Context,
    policy: &crate::model::resources::NetworkPolicy,
    workloads: &[&crate::model::resources::Workload],
) -> Option<crate::finding::Fix> {
    use crate::flows::{FlowSource, FlowTarget};
    use crate::rules::edits;
    let model = ctx.model;
    let is_target = |w: usize| {
        workloads
            .iter()
            .any(|t| std::ptr::eq(*t, &model.workloads[w]))
    };
    // The Services in front of these pods, looked up once: flows name Services by index.
    let services: std::collections::HashSet<usize> = workloads
        .iter()
        .flat_map(|w| model.services_selecting(w))
        .filter_map(|s| model.service_index_of(s))
        .collect();
    let mut namespaces = std::collections::BTreeSet::new();
    for flow in ctx.flows().flows.iter().filter(|f| !f.forbidden) {
        let reaches = match &flow.to {
            FlowTarget::Workload { workload, .. } => is_target(*workload),
            FlowTarget::Service { service, .. } => services.contains(service),
            FlowTarget::Namespace { .. } | FlowTarget::External { .. } => false,
        };
        if !reaches {
            continue;
        }
        match &flow.from {
            FlowSource::Workload(i) => {
                namespaces.insert(model.workloads[*i].meta.namespace.to_string())
            }
            FlowSource::Gateway(i) => {
                namespaces.insert(model.gateways[*i].meta.namespace.to_string())
            }
            FlowSource::Namespace(ns) => namespaces.insert(ns.clone()),
            FlowSource::External => false,
        };
    }
    if namespaces.is_empty() {
        return None;
    }
    let peers: Vec<String> = namespaces
        .iter()
        .map(|ns| {
            if *ns == policy.meta.namespace {
                "{podSelector: {}}".to_string()
            } else {
                format!(
                    "{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {ns}}}}}}}"
                )
            }
        })
        .collect();
    let from = format!("from: [{}]", peers.join(", "));
    let ports = format!("ports: [{{port: {HBONE_PORT}, protocol: TCP}}]");
    let (root, file, text) = edits::editable(ctx, policy.meta.object)?;
    let spec = edits::node_at(root, &"spec".into())?;
    let edit = match spec.get("ingress") {
        None => edits::add_to_map(
            text,
            file,
            spec,
            "ingress",
            &format!("[{{{from}, {ports}}}]"),
        )?,
        Some(_) => {
            let list = edits::node_at(root, &"spec.ingress".into())?;
            let flow = format!("{{{from}, {ports}}}");
            let item = edits::Item {
                flow: &flow,
                block: &[&from, &ports],
            };
            edits::append_to_seq(text, file, list, &item)?
        }
    };
    let shown: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    Some(crate::finding::Fix {
        title: format!(
            "add an ingress rule allowing TCP {HBONE_PORT} from the callers' namespaces ({})",
            shown.join(", ")
        ),
        applicability: crate::finding::Applicability::Unsafe,
        edits: vec![edit],
    })
}
