use super::{
    Match, RequestPattern, describe, exposing_gateways, exposing_parents, matches, serving_rule,
};
use crate::finding::{Finding, Location, Severity};
use crate::load::node::FieldPath;
use crate::model::qualified;
use crate::model::resources::{
    BackendRef, Gateway, GrpcMethodMatch, GrpcRouteRule, HttpRoute, PathMatch, Service,
};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL403",
    name: "internal-path-exposed",
    severity: Severity::Error,
    summary: "a route on a north-south gateway reaches a method and path declared internal",
    doc: include_str!("../../../rules/AL403-internal-path-exposed.md"),
    check: Some(check),
    supersedes: &["AL401"],
    fix: crate::rules::FixAvailability::None,
};

/// The annotation on a Service that lists its internal-only requests, comma-separated.
pub const ANNOTATION: &str = "ambient-lint.io/internal-paths";

/// Whether a concrete internal request (a method and an exact path) is served by another rule of
/// the route that wins by precedence, such as an Exact match that redirects: then this rule does
/// not expose it.
fn served_elsewhere(route: &HttpRoute, rule_index: usize, p: &RequestPattern) -> bool {
    match (&p.method, p.subtree) {
        (Some(method), false) => {
            serving_rule(route, method, &p.path).is_some_and(|(winner, _)| winner != rule_index)
        }
        _ => false,
    }
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in &model.http_routes {
        let gateways = exposing_gateways(model, route, ctx.path_of(route.meta.object));
        let Some((_, gw)) = gateways.first() else {
            continue;
        };
        for (rule_index, rule) in route.rules.iter().enumerate() {
            judge_rule(
                ctx,
                out,
                (route.meta.object, gw),
                &rule.backend_refs,
                matches(rule),
                &|p| served_elsewhere(route, rule_index, p),
                &|m| {
                    let method = m
                        .method
                        .map_or("any method".to_string(), |x| format!("method {x}"));
                    format!("{} with {method}", describe(m.path))
                },
            );
        }
    }
    for route in &model.grpc_routes {
        let file = ctx.path_of(route.meta.object);
        let gateways = exposing_parents(
            model,
            &route.parent_refs,
            &route.meta.namespace,
            &route.hostnames,
            "GRPCRoute",
            file,
        );
        let Some((_, gw)) = gateways.first() else {
            continue;
        };
        for rule in &route.rules {
            let paths = grpc_paths(rule);
            let calls = paths
                .iter()
                .map(|(path, location)| Match {
                    path,
                    method: Some("POST"),
                    location: location.clone(),
                })
                .collect();
            judge_rule(
                ctx,
                out,
                (route.meta.object, gw),
                &rule.backend_refs,
                calls,
                &|_| false,
                &|m| match m.path {
                    PathMatch::Exact(e) => {
                        format!("the gRPC method `{}`", e.trim_start_matches('/'))
                    }
                    PathMatch::Prefix(p) if p == "/" => "a match of every gRPC call".to_string(),
                    PathMatch::Prefix(p) => {
                        format!(
                            "every method of gRPC service `{}`",
                            p.trim_start_matches('/')
                        )
                    }
                    PathMatch::Regex(r) => format!("RegularExpression `{r}`"),
                },
            );
        }
    }
    whole_port_routes(ctx, out);
}

/// A GRPCRoute rule's matches as the paths of the HTTP/2 requests they admit (every call is a
/// POST to `/package.Service/Method`; a whole service is a prefix), with where each is written. A
/// match naming only the method, or regular expressions, leave paths open that this check does
/// not judge.
fn grpc_paths(rule: &GrpcRouteRule) -> Vec<(PathMatch, FieldPath)> {
    if rule.matches.is_empty() {
        return vec![(PathMatch::Prefix("/".into()), rule.path.clone())];
    }
    rule.matches
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let path = match m {
                None => PathMatch::Prefix("/".into()),
                Some(GrpcMethodMatch {
                    regex: false,
                    service: Some(s),
                    method: Some(m),
                }) => PathMatch::Exact(format!("/{s}/{m}")),
                Some(GrpcMethodMatch {
                    regex: false,
                    service: Some(s),
                    method: None,
                }) => PathMatch::Prefix(format!("/{s}")),
                _ => return None,
            };
            Some((path, rule.path.key("matches").index(i)))
        })
        .collect()
}

/// One rule of a route on a north-south gateway: each match that admits a request declared
/// internal, by the command line or by a backend's annotation.
fn judge_rule(
    ctx: &Context,
    out: &mut Vec<Finding>,
    (object, gw): (crate::load::ObjectId, &Gateway),
    backend_refs: &[BackendRef],
    matches: Vec<Match>,
    served_elsewhere: &dyn Fn(&RequestPattern) -> bool,
    describe_match: &dyn Fn(&Match) -> String,
) {
    let model = ctx.model;
    // A rule without backends (a redirect, or nothing) forwards nothing to anyone.
    if backend_refs.is_empty() {
        return;
    }
    // Declarations that apply: the command line's, and the backends' annotations.
    let mut declared: Vec<(RequestPattern, Option<Location>)> = ctx
        .options
        .internal_paths
        .iter()
        .map(|p| (p.clone(), None))
        .collect();
    for b in backend_refs {
        let Some(svc) = model.service_near(&b.namespace, &b.name, ctx.path_of(object)) else {
            continue;
        };
        let at = annotation_at(svc);
        declared.extend(declared_on(svc).into_iter().map(|p| (p, Some(at.clone()))));
    }
    for m in matches {
        let Some((internal, declared_at)) = declared
            .iter()
            .find(|(p, _)| p.exposed_by(&m) && !served_elsewhere(p))
        else {
            continue;
        };
        let mut f = finding(
            &RULE,
            Location::field(object, m.location.clone()),
            format!(
                "`{}` is declared internal but this route exposes it through Gateway `{}`: {} matches it",
                internal.display(),
                qualified(Some(&gw.meta.namespace), &gw.meta.name),
                describe_match(&m)
            ),
        )
        .help("narrow the match so the internal request has no matching rule (e.g. `method: GET`, or an Exact path); the gateway then answers 404 while in-mesh callers still reach it pod to pod")
        .related(Location::field(gw.meta.object, "metadata.name"), "the north-south gateway this route is exposed on");
        if let Some(at) = declared_at {
            f = f.related(at.clone(), "declared internal here");
        }
        out.push(f);
    }
}

/// The requests a Service's annotation declares internal (entries that do not parse are left out).
fn declared_on(svc: &Service) -> Vec<RequestPattern> {
    svc.meta
        .annotation(ANNOTATION)
        .into_iter()
        .flat_map(|list| list.split(','))
        .filter(|spec| !spec.trim().is_empty())
        .filter_map(|spec| RequestPattern::parse(spec).ok())
        .collect()
}

fn annotation_at(svc: &Service) -> Location {
    Location::field(
        svc.meta.object,
        FieldPath::new("metadata.annotations").key(ANNOTATION),
    )
}

/// A TCPRoute or TLSRoute forwards the whole port: every request to a backend whose Service
/// declares internal requests passes, whatever its path (docs/platform.md §7).
fn whole_port_routes(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in model
        .l4_routes
        .iter()
        .filter(|r| matches!(r.kind, "TCPRoute" | "TLSRoute"))
    {
        let file = ctx.path_of(route.meta.object);
        let gateways = exposing_parents(
            model,
            &route.parent_refs,
            &route.meta.namespace,
            &route.hostnames,
            route.kind,
            file,
        );
        let Some((_, gw)) = gateways.first() else {
            continue;
        };
        for b in route.rules.iter().flat_map(|r| &r.backend_refs) {
            if !b.is_service() {
                continue;
            }
            let Some(svc) = model.service_near(&b.namespace, &b.name, file) else {
                continue;
            };
            let internal: Vec<String> = declared_on(svc).iter().map(|p| p.display()).collect();
            if internal.is_empty() {
                continue;
            }
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, b.path.clone()),
                    format!(
                        "this {} forwards the whole port of Service `{}` through Gateway `{}`: no path is matched, so the requests it declares internal ({}) reach it from outside too",
                        route.kind,
                        qualified(Some(&b.namespace), &b.name),
                        qualified(Some(&gw.meta.namespace), &gw.meta.name),
                        crate::rules::list(&internal)
                    ),
                )
                .help("expose the Service through an HTTPRoute (terminating TLS at the gateway) whose matches leave the internal requests out, or keep this route off the north-south gateway")
                .related(Location::field(gw.meta.object, "metadata.name"), "the north-south gateway this route is exposed on")
                .related(annotation_at(svc), "declared internal here"),
            );
        }
    }
}
