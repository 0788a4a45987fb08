use super::{BackendKind, backend_kind};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL408",
    name: "backend-port-not-found",
    severity: Severity::Error,
    summary: "a route's backendRef names a port its Service does not expose: the route is accepted, yet the gateway has no upstream for it (500)",
    doc: include_str!("../../../rules/AL408-backend-port-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in ctx.routes() {
        let istio = route.istio == Some(true);
        if route.udp_ignored_by_istio() {
            continue;
        }
        for b in &route.backend_refs {
            if !matches!(
                backend_kind(b),
                BackendKind::Service | BackendKind::ServiceImport
            ) {
                continue;
            }
            let Some(port) = b.port else { continue };
            let Some(svc) =
                model.service_near(&b.namespace, &b.name, ctx.path_of(route.meta.object))
            else {
                continue; // AL406
            };
            // A declared Service may leave its ports out: then they are not known.
            if svc.ports.is_empty() || svc.ports.iter().any(|p| p.port == port) {
                continue;
            }
            let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
            let effect = if b.mirror {
                "the mirror's copies go nowhere"
            } else if matches!(route.kind, "HTTPRoute" | "GRPCRoute") {
                "requests sent to this backend get 500"
            } else {
                "connections sent to this backend are closed"
            };
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, b.path.key("port")),
                    if istio {
                        format!(
                            "backend Service `{}` has no port {port}: istiod accepts the {} (it checks only that the Service exists, so its status shows nothing wrong), but the proxy has no upstream cluster for that port, and {effect}",
                            qualified(Some(&b.namespace), &b.name),
                            route.kind
                        )
                    } else {
                        format!(
                            "backend Service `{}` has no port {port}: the Service forwards nothing on it, so the traffic this {} sends there is not delivered",
                            qualified(Some(&b.namespace), &b.name),
                            route.kind
                        )
                    },
                )
                .help(format!("use a port the Service exposes ({}); a backendRef names the Service port, not the container port", crate::rules::list(&ports)))
                .related(Location::field(svc.meta.object, "spec.ports"), "the Service's ports"),
            );
        }
    }
}
