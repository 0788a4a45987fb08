//! Flows from routes: the pods Istio deploys for a north-south Gateway to each Service backend of
//! the HTTPRoutes and GRPCRoutes attached to it (or to a ListenerSet of it). What a route means, not whether the Gateway
//! accepts it: listeners and ReferenceGrants are AL405's and AL407's to judge. Routes on a
//! Service (mesh routes) and on a waypoint add no flow of their own; a Gateway of another
//! implementation has pods this input does not show.

use super::{Flow, FlowOrigin, FlowSource, FlowTarget, OriginKind, service_index_near};
use crate::finding::Location;
use crate::load::ObjectId;
use crate::model::resources::{BackendRef, GrpcMethodMatch, Meta, ParentRef, PathMatch, RouteRule};
use crate::model::{Model, is_waypoint};

/// A route rule as flows need it, whatever the route's kind.
struct RuleView<'m> {
    index: usize,
    backend_refs: &'m [BackendRef],
    methods: Vec<String>,
    paths: Vec<String>,
}

pub(super) fn flows<'i>(model: &Model, path_of: &dyn Fn(ObjectId) -> &'i str) -> Vec<Flow> {
    let mut out = Vec::new();
    for route in &model.http_routes {
        let rules = route.rules.iter().enumerate().map(|(index, rule)| {
            let (methods, paths) = http_requests(rule);
            RuleView {
                index,
                backend_refs: &rule.backend_refs,
                methods,
                paths,
            }
        });
        route_flows(
            model,
            "HTTPRoute",
            &route.meta,
            &route.parent_refs,
            rules,
            path_of,
            &mut out,
        );
    }
    for route in &model.grpc_routes {
        let rules = route
            .rules
            .iter()
            .enumerate()
            .map(|(index, rule)| RuleView {
                index,
                backend_refs: &rule.backend_refs,
                // Every gRPC call is an HTTP/2 POST to `/package.Service/Method`.
                methods: vec!["POST".to_string()],
                paths: grpc_paths(&rule.matches),
            });
        route_flows(
            model,
            "GRPCRoute",
            &route.meta,
            &route.parent_refs,
            rules,
            path_of,
            &mut out,
        );
    }
    out
}

fn route_flows<'m, 'i>(
    model: &Model,
    kind: &str,
    meta: &Meta,
    parent_refs: &[ParentRef],
    rules: impl Iterator<Item = RuleView<'m>>,
    path_of: &dyn Fn(ObjectId) -> &'i str,
    out: &mut Vec<Flow>,
) {
    let file = path_of(meta.object);
    let mut gateways: Vec<usize> = parent_refs
        .iter()
        .filter_map(|p| {
            if p.is_gateway() {
                model.gateway_near(&p.namespace, &p.name, file)
            } else if p.is_listener_set() {
                // A ListenerSet's listeners are served by its Gateway's pods.
                let (ns, name) = model.listener_set(&p.namespace, &p.name)?.parent.as_ref()?;
                model.gateway(ns, name)
            } else {
                None
            }
        })
        .filter_map(|g| model.gateway_index_of(g))
        .filter(|&g| {
            !is_waypoint(&model.gateways[g], &model.gateway_classes)
                && model.gateway_deployments.iter().any(|d| d.gateway == g)
        })
        .collect();
    // Two parentRefs to one Gateway (two listeners) are one flow.
    gateways.sort_unstable();
    gateways.dedup();
    if gateways.is_empty() {
        return;
    }
    let name = format!("{}/{}", meta.namespace, meta.name);
    for rule in rules {
        for b in rule.backend_refs {
            // A backend of weight 0 gets no traffic.
            if !b.is_service() || b.weight == Some(0) {
                continue;
            }
            let Some(service) = service_index_near(model, &b.namespace, &b.name, file) else {
                continue;
            };
            let ports = &model.services[service].ports;
            let port = match b.port {
                Some(p) => ports.iter().position(|sp| sp.port == p),
                None if ports.len() == 1 => Some(0),
                None => None,
            };
            let Some(port) = port else { continue };
            for &g in &gateways {
                out.push(Flow {
                    from: FlowSource::Gateway(g),
                    to: FlowTarget::Service { service, port },
                    protocol: ports[port].protocol.clone(),
                    methods: rule.methods.clone(),
                    paths: rule.paths.clone(),
                    origin: FlowOrigin {
                        kind: OriginKind::Route,
                        at: Location::field(meta.object, b.path.clone()),
                        detail: format!("{kind} `{name}` rules[{}]", rule.index),
                    },
                    forbidden: false,
                });
            }
        }
    }
}

/// The methods and paths an HTTPRoute rule's matches admit; empty when any match admits every
/// method (or every path). A match without `path` is PathPrefix `/`, every path; a regular
/// expression is implementation-specific, so it admits any path as far as flows go.
fn http_requests(rule: &RouteRule) -> (Vec<String>, Vec<String>) {
    if rule.matches.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut methods: Vec<String> = Vec::new();
    let mut any_method = false;
    let mut paths: Vec<String> = Vec::new();
    let mut any_path = false;
    for m in &rule.matches {
        match &m.method {
            Some(method) => methods.push(method.value.clone()),
            None => any_method = true,
        }
        match m.path_match.as_ref().map(|(p, _)| p) {
            Some(PathMatch::Exact(e)) => paths.push(e.clone()),
            Some(PathMatch::Prefix(p)) if p.trim_end_matches('/').is_empty() => any_path = true,
            // Gateway API prefixes match whole path elements: `/a` is `/a` and `/a/...`.
            Some(PathMatch::Prefix(p)) => {
                let p = p.trim_end_matches('/');
                paths.push(p.to_string());
                paths.push(format!("{p}/*"));
            }
            Some(PathMatch::Regex(_)) | None => any_path = true,
        }
    }
    if any_path {
        paths.clear();
    }
    // A path below a prefix already listed adds nothing (`/a/b` under `/a/*`).
    let prefixes: Vec<String> = paths
        .iter()
        .filter_map(|p| p.strip_suffix('*').map(str::to_string))
        .collect();
    paths.retain(|p| {
        !prefixes
            .iter()
            .any(|q| p.starts_with(q.as_str()) && *p != format!("{q}*"))
    });
    (
        if any_method {
            Vec::new()
        } else {
            sorted(methods)
        },
        sorted(paths),
    )
}

/// The paths of a GRPCRoute rule's method matches: `/pkg.Service/Method`, `/pkg.Service/*` for
/// a whole service, `*/Method` for a method of any service; empty when any match admits every
/// call.
fn grpc_paths(matches: &[Option<GrpcMethodMatch>]) -> Vec<String> {
    let mut paths = Vec::new();
    for m in matches {
        let path = match m {
            Some(GrpcMethodMatch {
                regex: false,
                service,
                method,
            }) => match (service, method) {
                (Some(s), Some(m)) => format!("/{s}/{m}"),
                (Some(s), None) => format!("/{s}/*"),
                (None, Some(m)) => format!("*/{m}"),
                (None, None) => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        paths.push(path);
    }
    sorted(paths)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}
