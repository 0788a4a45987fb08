use super::all_routes;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL407",
    name: "backend-reference-not-granted",
    severity: Severity::Error,
    summary: "a route references a Service in another namespace that no ReferenceGrant there admits: requests get 500",
    doc: include_str!("../../../rules/AL407-backend-reference-not-granted.md"),
    check: Some(check),
    supersedes: &[],
};

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    // Mesh routes (parented only by Services, GAMMA) are not held to ReferenceGrant: a route
    // that is not attached to a Gateway is not judged.
    for route in all_routes(model)
        .into_iter()
        .filter(|r| r.parent_refs.iter().any(|p| p.is_gateway()))
    {
        let from_ns = &route.meta.namespace;
        for b in &route.backend_refs {
            if b.namespace == *from_ns
                || !(b.group.is_empty() || b.group == "core")
                || b.kind != "Service"
            {
                continue;
            }
            if !model.describes(&b.namespace) {
                ctx.unjudged(
                    Unjudged::UndescribedNamespace,
                    &b.namespace,
                    route.meta.object,
                );
                continue; // grants live in the backend's namespace, which the input does not show
            }
            let granted = model.reference_grants.iter().any(|g| {
                g.meta.namespace == b.namespace
                    && g.from.iter().any(|f| {
                        f.group == GATEWAY_GROUP && f.kind == route.kind && f.namespace == *from_ns
                    })
                    && g.to.iter().any(|t| {
                        (t.group.is_empty() || t.group == "core")
                            && t.kind == "Service"
                            && t.name.as_ref().is_none_or(|n| *n == b.name)
                    })
            });
            if granted {
                continue;
            }
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, b.path.clone()),
                    format!(
                        "backend Service `{}` is in another namespace and no ReferenceGrant in `{}` admits {}s from `{from_ns}`: the reference is refused (RefNotPermitted) and requests get 500",
                        qualified(Some(&b.namespace), &b.name),
                        b.namespace,
                        route.kind
                    ),
                )
                .help(format!(
                    "add a ReferenceGrant in namespace `{}` with `from: [{{group: {GATEWAY_GROUP}, kind: {}, namespace: {from_ns}}}]` and `to: [{{group: \"\", kind: Service}}]`, or move the route next to the Service",
                    b.namespace, route.kind
                )),
            );
        }
    }
}
