use super::{BackendKind, backend_kind};
use crate::finding::{Finding, Location, Severity};
use crate::load::node::FieldPath;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL411",
    name: "route-rejected-by-istiod",
    severity: Severity::Error,
    summary: "a filter istiod does not support, or a backendRef it cannot take as written: istiod programs none of the route's rules",
    doc: include_str!("../../../rules/AL411-route-rejected-by-istiod.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// The filters istiod converts on an HTTPRoute rule, a GRPCRoute rule and a backendRef
/// (`conversion.go`, `convertHTTPRoute`, `convertGRPCRoute`, `buildHTTPDestination`).
const HTTP_RULE_FILTERS: [&str; 6] = [
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestRedirect",
    "RequestMirror",
    "URLRewrite",
    "CORS",
];
const GRPC_RULE_FILTERS: [&str; 3] = [
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
];
const BACKEND_FILTERS: [&str; 2] = ["RequestHeaderModifier", "ResponseHeaderModifier"];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for route in ctx.routes() {
        if route.istio != Some(true) || route.udp_ignored_by_istio() {
            continue;
        }
        let mut reject = |at: FieldPath, why: String, reason: &str| {
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, at),
                    format!(
                        "{why}: converting the {kind} fails ({reason}), so istiod programs none of its rules and the whole {kind} serves nothing",
                        kind = route.kind
                    ),
                )
                .help(match reason {
                    "InvalidFilter" => "drop the filter, or move what it does to one istiod supports (header modifiers on a backendRef; redirect, rewrite, mirror or CORS on an HTTPRoute rule)",
                    _ => "write the backendRef as istiod takes it: a Service by its name (not its DNS name), a Hostname backend without `namespace`",
                }),
            );
        };
        // Rule filters (HTTP and gRPC routes).
        let supported: &[&str] = match route.kind {
            "GRPCRoute" => &GRPC_RULE_FILTERS,
            _ => &HTTP_RULE_FILTERS,
        };
        for f in &route.rule_filters {
            if !supported.contains(&f.kind.as_str()) {
                reject(
                    f.path.clone(),
                    format!(
                        "istiod does not support filter type `{}` in a rule of this {}",
                        f.kind, route.kind
                    ),
                    "InvalidFilter",
                );
            }
        }
        for b in route.backend_refs.iter().filter(|b| !b.mirror) {
            for f in &b.filters {
                if !BACKEND_FILTERS.contains(&f.kind.as_str()) {
                    reject(
                        f.path.clone(),
                        format!(
                            "istiod does not support filter type `{}` on a backendRef (only RequestHeaderModifier and ResponseHeaderModifier)",
                            f.kind
                        ),
                        "InvalidFilter",
                    );
                }
            }
            match backend_kind(b) {
                BackendKind::Service if b.name.contains('.') => reject(
                    b.path.key("name"),
                    format!(
                        "backendRef names Service `{}` by a DNS name, where istiod wants the Service's name",
                        b.name
                    ),
                    "InvalidDestination",
                ),
                BackendKind::Hostname if b.namespace_set => reject(
                    b.path.key("namespace"),
                    "a Hostname backendRef may not set `namespace`".to_string(),
                    "InvalidDestination",
                ),
                _ => {}
            }
        }
    }
}
