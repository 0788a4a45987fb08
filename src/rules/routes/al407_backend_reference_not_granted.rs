use super::{lost_traffic, reference_granted};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL407",
    name: "backend-reference-not-granted",
    severity: Severity::Error,
    summary: "a route references a backend in another namespace that no ReferenceGrant there admits: RefNotPermitted, the backend is dropped",
    doc: include_str!("../../../rules/AL407-backend-reference-not-granted.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

const GATEWAY_GROUP: &str = crate::model::resources::GATEWAY_API_GROUP;

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    // Mesh routes (parented only by Services or ServiceEntries, GAMMA) are not held to
    // ReferenceGrant (istiod `route_collections.go`: the grant is enforced for gateway parents).
    for route in ctx.routes() {
        let file = ctx.path_of(route.meta.object);
        if !route.enforces_grants(model, file) || route.udp_ignored_by_istio() {
            continue;
        }
        let istio = route.istio == Some(true);
        let from_ns = &route.meta.namespace;
        for b in &route.backend_refs {
            if b.namespace == *from_ns {
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
            if reference_granted(model, route, b, istio) {
                continue;
            }
            let group = if b.group.is_empty() {
                "\"\""
            } else {
                b.group.as_str()
            };
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, b.path.clone()),
                    format!(
                        "backend {} `{}` is in another namespace and no ReferenceGrant in `{}` admits {}s from `{from_ns}`: the reference is refused (RefNotPermitted) and {}",
                        b.kind,
                        qualified(Some(&b.namespace), &b.name),
                        b.namespace,
                        route.kind,
                        lost_traffic(route.kind, b)
                    ),
                )
                .help(format!(
                    "add a ReferenceGrant in namespace `{}` with `from: [{{group: {GATEWAY_GROUP}, kind: {}, namespace: {from_ns}}}]` and `to: [{{group: {group}, kind: {}}}]`, or move the route next to the backend",
                    b.namespace, route.kind, b.kind
                )),
            );
        }
    }
}
