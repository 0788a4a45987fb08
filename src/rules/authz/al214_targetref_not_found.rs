use crate::finding::{Finding, Location, Severity};
use crate::model::resources::{Meta, TargetRef, WAYPOINT_CLASS};
use crate::model::{Model, qualified};
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL214",
    name: "targetref-not-found",
    severity: Severity::Error,
    summary: "a `targetRefs` entry names a Gateway, Service or GatewayClass that does not exist (warning: a Service no waypoint serves)",
    doc: include_str!("../../../rules/AL214-targetref-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// A problem with one targetRef: what is wrong, and what to do.
fn problem(model: &Model, meta: &Meta, t: &TargetRef) -> Option<(String, String, Severity)> {
    let root = &model.options.root_namespace;
    if let Some(ns) = t.namespace.as_deref().filter(|ns| *ns != meta.namespace) {
        return Some((
            format!(
                "this targetRef names namespace `{ns}`, but a targetRef only matches objects in the policy's own namespace `{}`",
                meta.namespace
            ),
            "create the policy in the target's namespace and drop `namespace` from the targetRef"
                .into(),
            Severity::Error,
        ));
    }
    let missing = |what: &str| {
        Some((
            format!(
                "this targetRef names {what} `{}`, which does not exist in namespace `{}`",
                t.name, meta.namespace
            ),
            format!("correct the name, or create the {what}"),
            Severity::Error,
        ))
    };
    match (t.group.as_str(), t.kind.as_str()) {
        ("gateway.networking.k8s.io", "Gateway") => {
            (model.holds_gateways(&meta.namespace) && model.gateway(&meta.namespace, &t.name).is_none())
                .then(|| missing("Gateway"))
                .flatten()
        }
        ("gateway.networking.k8s.io", "GatewayClass") if meta.namespace != *root => Some((
            format!(
                "this targetRef names GatewayClass `{}` from namespace `{}`: GatewayClass targets apply only from the root namespace `{root}`",
                t.name, meta.namespace
            ),
            "move the policy to the root namespace, or target the Gateway instead".into(),
            Severity::Error,
        )),
        ("gateway.networking.k8s.io", "GatewayClass") if t.name != WAYPOINT_CLASS => Some((
            format!(
                "this targetRef names GatewayClass `{}`: only `{WAYPOINT_CLASS}` is a valid GatewayClass target",
                t.name
            ),
            format!("target `{WAYPOINT_CLASS}` to apply to every waypoint, or a Gateway"),
            Severity::Error,
        )),
        ("" | "core", "Service") => match model.service(&meta.namespace, &t.name) {
            None if model.holds_services(&meta.namespace) => missing("Service"),
            // Served by no waypoint: no binding, or one to a waypoint missing from a namespace
            // whose Gateways the input holds (elsewhere it may exist; AL103 judges the binding).
            Some(svc) if model
                .service_waypoint(svc)
                .is_none_or(|u| model.waypoint_gateway(&u).is_none() && model.holds_gateways(&u.namespace)) =>
            {
                Some((
                    format!(
                        "this targetRef names Service `{}`, which no waypoint serves: a Service-targeted policy is enforced by the Service's waypoint",
                        t.name
                    ),
                    "bind the Service to a waypoint (`istio.io/use-waypoint` on it or its namespace), or use a `selector` policy for ztunnel (L4 only)".into(),
                    Severity::Warning,
                ))
            }
            _ => None,
        },
        _ => None,
    }
}

fn check_ref(model: &Model, kind: &str, meta: &Meta, t: &TargetRef, out: &mut Vec<Finding>) {
    let Some((what, help, severity)) = problem(model, meta, t) else {
        return;
    };
    let policy = format!("{kind} `{}`", qualified(Some(&meta.namespace), &meta.name));
    let mut f = finding(
        &RULE,
        Location::field(meta.object, t.path.clone()),
        format!("{what}: nothing enforces {policy}"),
    )
    .help(help);
    f.severity = severity;
    out.push(f);
}

/// Notes a Gateway or Service target in a namespace whose Gateways or Services the input does
/// not hold: whether it exists cannot be judged.
fn note_undescribed(ctx: &Context, meta: &Meta, t: &TargetRef) {
    let m = ctx.model;
    let held = match (t.group.as_str(), t.kind.as_str()) {
        ("gateway.networking.k8s.io", "Gateway") => {
            m.holds_gateways(&meta.namespace) || m.gateway(&meta.namespace, &t.name).is_some()
        }
        ("" | "core", "Service") => {
            m.holds_services(&meta.namespace) || m.service(&meta.namespace, &t.name).is_some()
        }
        _ => true,
    };
    if !held && t.namespace.as_deref().is_none_or(|ns| ns == meta.namespace) {
        ctx.unjudged(Unjudged::UndescribedNamespace, &meta.namespace, meta.object);
    }
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for p in &model.authorization_policies {
        for t in &p.target_refs {
            note_undescribed(ctx, &p.meta, t);
            check_ref(model, "AuthorizationPolicy", &p.meta, t, out);
        }
    }
    for p in &model.request_authentications {
        for t in &p.target_refs {
            note_undescribed(ctx, &p.meta, t);
            check_ref(model, "RequestAuthentication", &p.meta, t, out);
        }
    }
}
