//! AL4xx: what Gateway API routes expose through north-south gateways (docs/platform.md §7).

pub mod al401_route_matches_any_method;
pub mod al402_mutating_method_exposed;
pub mod al403_internal_path_exposed;
pub mod al404_route_parent_not_found;
pub mod al405_route_not_allowed_by_listener;
pub mod al406_backend_not_found;
pub mod al407_backend_reference_not_granted;

use crate::load::node::FieldPath;
use crate::model::Model;
use crate::model::resources::{
    BackendRef, Gateway, HttpRoute, Listener, Meta, ParentRef, PathMatch, RouteMatch, RouteRule,
    RoutesFrom,
};

/// A set of requests: `POST /inven/stock/reserve`, `/admin/*` (any method, any path below
/// `/admin/`). Used for requests declared internal and for mutations declared public.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestPattern {
    pub method: Option<String>,
    pub path: String,
    /// A trailing `*`: the path and everything below it.
    pub subtree: bool,
}

impl RequestPattern {
    pub fn parse(spec: &str) -> Result<RequestPattern, String> {
        let spec = spec.trim();
        let (method, path) = match spec.split_once(char::is_whitespace) {
            Some((m, p)) => (Some(m.trim().to_ascii_uppercase()), p.trim()),
            None => (None, spec),
        };
        if let Some(m) = &method
            && !crate::model::resources::HTTP_METHODS.contains(&m.as_str())
        {
            return Err(format!(
                "`{m}` is not an HTTP method in internal path `{spec}`"
            ));
        }
        if !path.starts_with('/') {
            return Err(format!(
                "internal path `{spec}` must start with `/` (form: `[METHOD] /path` or `/prefix/*`)"
            ));
        }
        let (path, subtree) = match path.strip_suffix('*') {
            Some(p) => (p.trim_end_matches('/').to_string(), true),
            None => (path.to_string(), false),
        };
        Ok(RequestPattern {
            method,
            path,
            subtree,
        })
    }

    pub fn display(&self) -> String {
        let path = if self.subtree {
            format!("{}/*", self.path)
        } else {
            self.path.clone()
        };
        match &self.method {
            Some(m) => format!("{m} {path}"),
            None => path,
        }
    }

    /// Whether every request a match with an explicit method admits lies inside this pattern.
    pub fn covers(&self, m: &Match) -> bool {
        if let Some(mine) = &self.method
            && m.method != Some(mine.as_str())
        {
            return false;
        }
        match m.path {
            PathMatch::Exact(e) => {
                trim(e) == trim(&self.path) || (self.subtree && element_prefix(&self.path, e))
            }
            PathMatch::Prefix(p) => self.subtree && element_prefix(&self.path, p),
            PathMatch::Regex(_) => false,
        }
    }

    /// Whether a route match admits some request of this pattern.
    pub fn exposed_by(&self, m: &Match) -> bool {
        if let (Some(mine), Some(theirs)) = (&self.method, m.method) {
            if mine != theirs {
                return false;
            }
        }
        match m.path {
            // Exact is exact: `/a/` does not match `/a`.
            PathMatch::Exact(e) => {
                if self.subtree {
                    element_prefix(&self.path, e)
                } else {
                    e == &self.path
                }
            }
            PathMatch::Prefix(p) => {
                element_prefix(p, &self.path) || (self.subtree && element_prefix(&self.path, p))
            }
            // Regular expressions are implementation-specific: no claim either way.
            PathMatch::Regex(_) => false,
        }
    }
}

fn trim(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Gateway API PathPrefix: element-wise, a trailing `/` ignored; `/` matches everything.
pub fn element_prefix(prefix: &str, path: &str) -> bool {
    let prefix = trim(prefix);
    let path = trim(path);
    if prefix == "/" {
        return true;
    }
    path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

/// A route match with the Gateway API defaults applied.
pub struct Match<'r> {
    pub path: &'r PathMatch,
    pub method: Option<&'r str>,
    /// Where a finding about this match points.
    pub location: FieldPath,
}

static SLASH: std::sync::LazyLock<PathMatch> =
    std::sync::LazyLock::new(|| PathMatch::Prefix("/".into()));

/// The matches of a rule; a rule without `matches` is one match: PathPrefix `/`, any method.
pub fn matches(rule: &RouteRule) -> Vec<Match<'_>> {
    if rule.matches.is_empty() {
        return vec![Match {
            path: &SLASH,
            method: None,
            location: rule.path.clone(),
        }];
    }
    rule.matches.iter().map(|m| one_match(m)).collect()
}

fn one_match(m: &RouteMatch) -> Match<'_> {
    Match {
        path: m.path_match.as_ref().map_or(&*SLASH, |(p, _)| p),
        method: m.method.as_ref().map(|s| s.value.as_str()),
        location: m
            .path_match
            .as_ref()
            .map_or(m.path.clone(), |(_, p)| p.clone()),
    }
}

pub fn describe(path: &PathMatch) -> String {
    match path {
        PathMatch::Exact(v) => format!("Exact `{v}`"),
        PathMatch::Prefix(v) => format!("PathPrefix `{v}`"),
        PathMatch::Regex(v) => format!("RegularExpression `{v}`"),
    }
}

/// Gateway API precedence among matches a request satisfies: an Exact path over a prefix, a
/// longer prefix over a shorter one, a match naming the method over one that does not.
fn precedence(m: &Match) -> (bool, usize, bool) {
    match m.path {
        PathMatch::Exact(e) => (true, e.len(), m.method.is_some()),
        PathMatch::Prefix(p) => (false, trim(p).len(), m.method.is_some()),
        PathMatch::Regex(_) => (false, 0, m.method.is_some()),
    }
}

/// Which rule of a route serves the concrete request `method path`, by Gateway API precedence:
/// the index of the rule and the winning match. None when no match admits it, or when a regular
/// expression match might (its precedence is implementation-specific).
pub fn serving_rule<'r>(
    route: &'r HttpRoute,
    method: &str,
    path: &str,
) -> Option<(usize, Match<'r>)> {
    let mut best: Option<(usize, Match<'r>)> = None;
    for (i, rule) in route.rules.iter().enumerate() {
        for m in matches(rule) {
            let path_ok = match m.path {
                PathMatch::Exact(e) => e == path,
                PathMatch::Prefix(p) => element_prefix(p, path),
                PathMatch::Regex(_) => return None,
            };
            if !path_ok || m.method.is_some_and(|x| x != method) {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(_, b)| precedence(&m) > precedence(b))
            {
                best = Some((i, m));
            }
        }
    }
    best
}

/// Why a listener refuses a route of `kind` from `route_ns`, or Ok when it admits it. A Selector
/// over a namespace whose labels the input does not hold is taken to admit.
pub fn listener_admits(
    model: &Model,
    g: &Gateway,
    l: &Listener,
    route_ns: &str,
    kind: &str,
) -> Result<(), String> {
    let ns_ok = match &l.routes_from {
        RoutesFrom::All => true,
        RoutesFrom::Same => route_ns == g.meta.namespace,
        RoutesFrom::None => false,
        RoutesFrom::Selector(sel) => {
            let (labels, complete) = model.namespace_labels(route_ns);
            sel.matches(&labels) || !complete
        }
    };
    if !ns_ok {
        let from = match &l.routes_from {
            RoutesFrom::Same => format!(
                "its own namespace `{}` only (the default)",
                g.meta.namespace
            ),
            RoutesFrom::None => "no namespace".to_string(),
            _ => "namespaces matching its selector, not this one".to_string(),
        };
        return Err(format!("listener `{}` admits routes from {from}", l.name));
    }
    if !l.accepts_kind(kind) {
        return Err(format!(
            "listener `{}` ({}) does not accept {kind}s",
            l.name, l.protocol
        ));
    }
    Ok(())
}

/// The listeners of `g` a parentRef addresses (its `sectionName` and `port`, or all).
pub fn addressed_listeners<'g>(g: &'g Gateway, p: &ParentRef) -> Vec<&'g Listener> {
    g.listeners
        .iter()
        .filter(|l| p.section_name.as_ref().is_none_or(|s| &l.name == s))
        .filter(|l| p.port.is_none_or(|port| l.port == Some(port)))
        .collect()
}

/// Whether two Gateway API hostnames intersect: equal, or a `*.` wildcard whose suffix the other
/// ends with (a wildcard covers one or more labels).
pub fn hostnames_intersect(a: &str, b: &str) -> bool {
    let covers = |wild: &str, other: &str| {
        wild.strip_prefix('*')
            .is_some_and(|suffix| other.len() > suffix.len() && other.ends_with(suffix))
    };
    a.eq_ignore_ascii_case(b) || covers(a, b) || covers(b, a)
}

/// Whether a listener and a route have a hostname in common (no hostname means every one).
pub fn hostname_admits(l: &Listener, route_hostnames: &[String]) -> bool {
    match &l.hostname {
        None => true,
        Some(h) => {
            route_hostnames.is_empty() || route_hostnames.iter().any(|r| hostnames_intersect(h, r))
        }
    }
}

/// The north-south Gateways (in the input, class other than `istio-waypoint`) a route attaches
/// to and is admitted by. Parents not in the input say nothing about exposure, and stay out.
pub fn exposing_gateways<'m>(
    model: &'m Model,
    route: &'m HttpRoute,
    route_file: &str,
) -> Vec<(&'m ParentRef, &'m Gateway)> {
    route
        .parent_refs
        .iter()
        .filter(|p| p.is_gateway())
        .filter_map(|p| {
            model
                .gateway_near(&p.namespace, &p.name, route_file)
                .map(|g| (p, g))
        })
        .filter(|(_, g)| !g.is_waypoint())
        .filter(|(p, g)| {
            addressed_listeners(g, p).iter().any(|l| {
                listener_admits(model, g, l, &route.meta.namespace, "HTTPRoute").is_ok()
                    && hostname_admits(l, &route.hostnames)
            })
        })
        .collect()
}

/// What the reference rules need of any route kind.
pub struct RouteView<'m> {
    pub kind: &'static str,
    pub meta: &'m Meta,
    pub parent_refs: &'m [ParentRef],
    pub hostnames: &'m [String],
    pub backend_refs: Vec<&'m BackendRef>,
}

/// HTTPRoutes and GRPCRoutes alike.
pub fn all_routes(model: &Model) -> Vec<RouteView<'_>> {
    let http = model.http_routes.iter().map(|r| RouteView {
        kind: "HTTPRoute",
        meta: &r.meta,
        parent_refs: &r.parent_refs,
        hostnames: &r.hostnames,
        backend_refs: r.rules.iter().flat_map(|x| &x.backend_refs).collect(),
    });
    let grpc = model.grpc_routes.iter().map(|r| RouteView {
        kind: "GRPCRoute",
        meta: &r.meta,
        parent_refs: &r.parent_refs,
        hostnames: &r.hostnames,
        backend_refs: r.rules.iter().flat_map(|x| &x.backend_refs).collect(),
    });
    http.chain(grpc).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m<'a>(path: &'a PathMatch, method: Option<&'a str>) -> Match<'a> {
        Match {
            path,
            method,
            location: FieldPath::root(),
        }
    }

    #[test]
    fn prefixes_match_by_path_element() {
        assert!(element_prefix("/inven/stock", "/inven/stock/reserve"));
        assert!(element_prefix("/inven/stock/", "/inven/stock"));
        assert!(!element_prefix("/inven/st", "/inven/stock"));
        assert!(element_prefix("/", "/anything"));
    }

    #[test]
    fn internal_paths_against_matches() {
        let reserve = RequestPattern::parse("POST /inven/stock/reserve").unwrap();
        let prefix = PathMatch::Prefix("/inven/stock".into());
        assert!(reserve.exposed_by(&m(&prefix, None)));
        assert!(reserve.exposed_by(&m(&prefix, Some("POST"))));
        assert!(!reserve.exposed_by(&m(&prefix, Some("GET"))));
        let health = PathMatch::Exact("/inven/health".into());
        assert!(!reserve.exposed_by(&m(&health, None)));

        let admin = RequestPattern::parse("/admin/*").unwrap();
        assert!(admin.exposed_by(&m(&PathMatch::Prefix("/".into()), Some("GET"))));
        assert!(admin.exposed_by(&m(&PathMatch::Prefix("/admin/users".into()), None)));
        assert!(admin.exposed_by(&m(&PathMatch::Exact("/admin/x".into()), None)));
        assert!(!admin.exposed_by(&m(&PathMatch::Prefix("/administrator".into()), None)));
        assert!(!admin.exposed_by(&m(&PathMatch::Regex("/admin/.*".into()), None)));
    }

    #[test]
    fn hostnames_intersect_like_the_gateway_api() {
        assert!(hostnames_intersect("api.example.com", "API.example.com"));
        assert!(hostnames_intersect("*.example.com", "api.example.com"));
        assert!(hostnames_intersect("a.b.example.com", "*.example.com"));
        assert!(!hostnames_intersect("*.example.com", "example.com"));
        assert!(!hostnames_intersect("api.example.com", "web.example.com"));
    }

    #[test]
    fn internal_path_specs_are_validated() {
        assert!(RequestPattern::parse("FETCH /x").is_err());
        assert!(RequestPattern::parse("x").is_err());
        assert_eq!(
            RequestPattern::parse("get /a").unwrap().method.as_deref(),
            Some("GET")
        );
    }
}
