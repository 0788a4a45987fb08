use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::model::{Model, qualified};
use crate::rules::netpol::namespace_selector_refs;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL211",
    name: "gateway-namespace-mismatch",
    severity: Severity::Error,
    summary: "a policy allows a gateway namespace where no gateway runs, while the istio Gateway's pods run elsewhere",
    doc: include_str!("../../../rules/AL211-gateway-namespace-mismatch.md"),
    check: Some(check),
    supersedes: &["AL210", "AL306"],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

/// The Istio-deployed gateway a misdirected namespace most likely meant.
struct RealGateway {
    object: usize,
    name: String,
    namespace: String,
    principal: String,
}

/// `ns` looks like a gateway namespace, runs no gateway nor any workload in the input, and an
/// `istio`-class Gateway lives elsewhere: the guide's `kgateway-system` vs `infra`.
fn misdirected(model: &Model, ns: &str) -> Option<RealGateway> {
    let lower = ns.to_ascii_lowercase();
    if !(lower.contains("gateway") || lower.contains("ingress")) {
        return None;
    }
    // A namespace that exists (a Namespace object, `--known-namespace`) may well run a gateway
    // deployed outside these manifests, as Istio's Helm charts put one in `istio-ingress`.
    if model.namespace_known(ns)
        || model.gateways.iter().any(|g| g.meta.namespace == ns)
        || model.workloads_in(ns).next().is_some()
    {
        return None;
    }
    model
        .gateway_deployments
        .iter()
        .map(|d| (d, &model.gateways[d.gateway]))
        .find(|(_, g)| !g.is_waypoint())
        .map(|(d, g)| RealGateway {
            object: g.meta.object,
            name: g.meta.name.to_string(),
            namespace: d.namespace.clone(),
            principal: format!(
                "{}/ns/{}/sa/{}",
                model.options.trust_domain, d.namespace, d.service_account
            ),
        })
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let mut refs: Vec<(usize, crate::load::node::FieldPath, String, bool)> = ctx
        .namespace_refs()
        .iter()
        .map(|r| {
            (
                r.policy.meta.object,
                r.path.clone(),
                r.value.to_string(),
                false,
            )
        })
        .collect();
    refs.extend(
        namespace_selector_refs(model)
            .into_iter()
            .map(|r| (r.policy.meta.object, r.path, r.value, true)),
    );
    // The namespace to write in is known only when exactly one gateway runs Istio-deployed pods.
    let gateways = model
        .gateway_deployments
        .iter()
        .filter(|d| !model.gateways[d.gateway].is_waypoint())
        .count();
    for (object, path, ns, network_policy) in refs {
        let Some(real) = misdirected(model, &ns) else {
            continue;
        };
        let at = Location::field(object, path.clone());
        let fix = (gateways == 1)
            .then(|| crate::rules::edits::edit_in_place(ctx, &at, &ns, &real.namespace))
            .flatten()
            .map(|edit| Fix {
                title: format!("write namespace `{}`", real.namespace),
                // It admits the gateway's namespace, every pod there: review it.
                applicability: Applicability::Unsafe,
                edits: vec![edit],
            });
        let help = if network_policy {
            format!(
                "select `kubernetes.io/metadata.name: {}`, the namespace the gateway pods run in",
                real.namespace
            )
        } else {
            format!(
                "allow namespace `{}` or, narrower, principal `{}`",
                real.namespace, real.principal
            )
        };
        out.push(
            finding(
                &RULE,
                Location::field(object, path),
                format!(
                    "no gateway runs in namespace `{ns}`: Gateway `{}` (class `istio`) runs its pods in `{}` as `{}`, so gateway traffic is not matched here",
                    qualified(Some(&real.namespace), &real.name),
                    real.namespace,
                    real.principal
                ),
            )
            .help(help)
            .related(
                Location::field(real.object, "metadata.name"),
                format!("Istio deploys this Gateway's pods in its own namespace, `{}`", real.namespace),
            )
            .fix(fix),
        );
    }
}
