use super::{BackendKind, RouteView, backend_kind, holds_kind, lost_traffic, reference_granted};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::resources::BackendRef;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL406",
    name: "backend-not-found",
    severity: Severity::Error,
    summary: "a route's backendRef names a backend that does not exist (Service, ServiceImport, Hostname, XBackend, InferencePool): ResolvedRefs=False, BackendNotFound",
    doc: include_str!("../../../rules/AL406-backend-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in ctx.routes() {
        let file = ctx.path_of(route.meta.object);
        // Kinds other than Service mean what istiod makes of them only on routes it judges.
        let istio = route.istio == Some(true);
        if route.udp_ignored_by_istio() {
            continue;
        }
        let enforced = route.enforces_grants(model, file);
        for b in &route.backend_refs {
            let kind = backend_kind(b);
            if kind != BackendKind::Service && !istio {
                continue;
            }
            // istiod checks the ReferenceGrant first: a refused reference is RefNotPermitted
            // (AL407), whether or not the backend exists.
            if enforced
                && model.describes(&b.namespace)
                && !reference_granted(model, route, b, istio)
            {
                continue;
            }
            // What istiod cannot convert at all is AL411's: a Service by its DNS name, a Hostname
            // with a namespace.
            if (kind == BackendKind::Service && b.name.contains('.'))
                || (kind == BackendKind::Hostname && b.namespace_set)
            {
                continue;
            }
            let target = qualified(Some(&b.namespace), &b.name);
            let lost = lost_traffic(route.kind, b);
            match kind {
                BackendKind::Service | BackendKind::ServiceImport => {
                    if model.service_near(&b.namespace, &b.name, file).is_some() {
                        continue;
                    }
                    if !model.holds_services(&b.namespace) {
                        ctx.unjudged(
                            Unjudged::UndescribedNamespace,
                            &b.namespace,
                            route.meta.object,
                        );
                        continue;
                    }
                    let what = if kind == BackendKind::Service {
                        format!("backend Service `{target}` does not exist")
                    } else {
                        format!(
                            "backend ServiceImport `{target}` has no Service `{target}` behind it (istiod resolves a ServiceImport to the Service of its name)"
                        )
                    };
                    out.push(not_found(istio, route, b, what, lost, "correct `name`/`namespace` (a backendRef without `namespace` means the route's own)"));
                }
                BackendKind::Hostname => {
                    if hostname_known(ctx, &b.name, &route.meta.namespace) {
                        continue;
                    }
                    // A hostname may come from any namespace, or another cluster's registry.
                    if !model.assume_complete() {
                        ctx.unjudged(Unjudged::UndeclaredHost, &b.namespace, route.meta.object);
                        continue;
                    }
                    out.push(not_found(
                        istio,
                        route,
                        b,
                        format!(
                            "no ServiceEntry or Service in `{}` has the hostname `{}` (istiod looks it up in the route's namespace, exactly)",
                            route.meta.namespace, b.name
                        ),
                        lost,
                        "name a host of a ServiceEntry in the route's namespace (`spec.hosts`, written out: no wildcard) or the DNS name of a Service there, or create the ServiceEntry there",
                    ));
                }
                BackendKind::XBackend => {
                    let found = model
                        .x_backends
                        .iter()
                        .find(|x| x.meta.namespace == b.namespace && x.meta.name == b.name);
                    match found {
                        None if holds_kind(
                            model,
                            &b.namespace,
                            model.x_backends.iter().map(|x| &x.meta),
                        ) =>
                        {
                            out.push(not_found(
                                istio,
                                route,
                                b,
                                format!("backend XBackend `{target}` does not exist"),
                                lost,
                                "correct `name`/`namespace`, or create the XBackend",
                            ));
                        }
                        None => ctx.unjudged(
                            Unjudged::UndescribedNamespace,
                            &b.namespace,
                            route.meta.object,
                        ),
                        Some(x) => {
                            // Its port is declared on the XBackend; a backendRef port must agree.
                            if let (Some(want), Some(has)) = (b.port, x.port)
                                && want != has
                            {
                                out.push(
                                    not_found(
                                        istio,
                                        route,
                                        b,
                                        format!("backend XBackend `{target}` exposes port {has}, not {want}"),
                                        lost,
                                        "drop `port` (an XBackend declares its own) or write the XBackend's port",
                                    )
                                    .related(Location::field(x.meta.object, "spec.port"), "the XBackend's port"),
                                );
                            }
                        }
                    }
                }
                BackendKind::InferencePool => {
                    let exists = model
                        .inference_pools
                        .iter()
                        .any(|m| m.namespace == b.namespace && m.name == b.name);
                    if exists {
                        continue;
                    }
                    if holds_kind(model, &b.namespace, model.inference_pools.iter()) {
                        out.push(not_found(
                            istio,
                            route,
                            b,
                            format!("backend InferencePool `{target}` does not exist"),
                            lost,
                            "correct `name`/`namespace`, or create the InferencePool",
                        ));
                    } else {
                        ctx.unjudged(
                            Unjudged::UndescribedNamespace,
                            &b.namespace,
                            route.meta.object,
                        );
                    }
                }
                BackendKind::Unsupported => {} // AL409
            }
        }
    }
}

/// Whether a ServiceEntry host or a Service's DNS name `<name>.<namespace>.svc.<domain>`, defined
/// in `namespace`, is exactly `host`: istiod looks a Hostname backend up by host and the route's
/// namespace only, with no wildcard (gatewaycommon `context.go` `GetService`, the push context's
/// `HostnameAndNamespace` index).
fn hostname_known(ctx: &Context, host: &str, namespace: &str) -> bool {
    let model = ctx.model;
    let entry = model
        .service_entries
        .iter()
        .filter(|e| e.meta.namespace == namespace)
        .flat_map(|e| &e.hosts)
        .any(|h| h == host);
    entry
        || host.split_once(".svc.").is_some_and(|(left, _)| {
            left.split_once('.')
                .is_some_and(|(name, ns)| ns == namespace && model.service(ns, name).is_some())
        })
}

fn not_found(
    istio: bool,
    route: &RouteView,
    b: &BackendRef,
    what: String,
    lost: &str,
    help: &str,
) -> Finding {
    let at = if b.mirror {
        "this mirror's backend"
    } else {
        "this backend"
    };
    // The Gateway API's rule for every implementation; istiod is named where it judges the route.
    let who = if istio {
        "istiod"
    } else {
        "the implementation"
    };
    finding(
        &RULE,
        Location::field(route.meta.object, b.path.clone()),
        format!("{what}: {who} drops {at} and marks the {} ResolvedRefs=False (BackendNotFound); {lost}", route.kind),
    )
    .help(help)
}
