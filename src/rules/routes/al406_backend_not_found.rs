use super::all_routes;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL406",
    name: "backend-not-found",
    severity: Severity::Error,
    summary: "a route's backendRef names a Service that does not exist, or a port the Service does not have",
    doc: include_str!("../../../rules/AL406-backend-not-found.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in all_routes(model) {
        for b in &route.backend_refs {
            if !(b.group.is_empty() || b.group == "core") || b.kind != "Service" {
                continue;
            }
            let target = qualified(Some(&b.namespace), &b.name);
            match model.service_near(&b.namespace, &b.name, ctx.path_of(route.meta.object)) {
                None if model.holds_services(&b.namespace) => out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, b.path.clone()),
                        format!("backend Service `{target}` does not exist: requests to this rule get 500 (ResolvedRefs=False, BackendNotFound)"),
                    )
                    .help("correct `name`/`namespace` (a backendRef without `namespace` means the route's own)"),
                ),
                Some(svc) => {
                    // A declared Service may leave its ports out: then they are not known.
                    if let Some(port) = b.port
                        && !svc.ports.is_empty()
                        && !svc.ports.iter().any(|p| p.port == port)
                    {
                        let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
                        out.push(
                            finding(
                                &RULE,
                                Location::field(route.meta.object, b.path.key("port")),
                                format!("backend Service `{target}` has no port {port}: istiod accepts the route (it checks only that the Service exists), but the gateway has no upstream cluster for that port, so requests sent to this backend get 503"),
                            )
                            .help(format!("use a port the Service exposes ({}); a backendRef names the Service port, not the container port", crate::rules::list(&ports)))
                            .related(Location::field(svc.meta.object, "spec.ports"), "the Service's ports"),
                        );
                    }
                }
                None => ctx.unjudged(Unjudged::UndescribedNamespace, &b.namespace, route.meta.object),
            }
        }
    }
}
