//! AL4xx: what Gateway API routes expose through north-south gateways (docs/platform.md §7).

pub mod al401_route_matches_any_method;
pub mod al402_mutating_method_exposed;
pub mod al403_internal_path_exposed;
pub mod al404_route_parent_not_found;
pub mod al405_route_not_allowed_by_listener;
pub mod al406_backend_not_found;
pub mod al407_backend_reference_not_granted;
pub mod al408_backend_port_not_found;
pub mod al409_backend_kind_unsupported;
pub mod al410_listener_from_none_takes_every_namespace;
pub mod al411_route_rejected_by_istiod;

use crate::load::node::FieldPath;
use crate::model::Model;
use crate::model::resources::{
    BackendRef, Filter, Gateway, HttpRoute, Listener, ListenerSet, Meta, ParentRef, PathMatch,
    RouteMatch, RouteRule, RoutesFrom,
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

/// What holds the listeners a route attaches to: a Gateway, or a ListenerSet merged into one.
pub struct ListenerOwner<'m> {
    pub kind: &'static str,
    pub meta: &'m Meta,
    pub listeners: &'m [Listener],
    /// Whether istiod judges it (the Gateway's, or the ListenerSet's Gateway's, class); None
    /// when the input does not say.
    pub istio: Option<bool>,
    pub waypoint: bool,
    /// An `istio-remote` Gateway: istiod ignores the routes on it and writes them no status.
    pub routes_ignored: bool,
}

impl ListenerOwner<'_> {
    pub fn display(&self) -> String {
        format!(
            "{} `{}`",
            self.kind,
            crate::model::qualified(Some(&self.meta.namespace), &self.meta.name)
        )
    }
}

/// The Gateway or ListenerSet a parentRef names, as the file `route_file` means it.
pub fn listener_owner<'m>(
    model: &'m Model,
    p: &ParentRef,
    route_file: &str,
) -> Option<ListenerOwner<'m>> {
    if p.is_gateway() {
        let g = model.gateway_near(&p.namespace, &p.name, route_file)?;
        return Some(gateway_owner(model, g));
    }
    if p.is_listener_set() {
        let set = model.listener_set(&p.namespace, &p.name)?;
        let gateway = set
            .parent
            .as_ref()
            .and_then(|(ns, name)| model.gateway(ns, name));
        return Some(ListenerOwner {
            kind: "ListenerSet",
            meta: &set.meta,
            listeners: &set.listeners,
            istio: gateway.and_then(|g| crate::model::istio_manages(g, &model.gateway_classes)),
            waypoint: false,
            routes_ignored: gateway
                .is_some_and(|g| crate::model::routes_ignored(g, &model.gateway_classes)),
        });
    }
    None
}

/// Whether a ListenerSet's Gateway takes it (docs/platform.md §7.1).
pub enum SetTaken<'m> {
    /// Taken, or the input cannot tell (a Gateway not shown, or only declared).
    Yes,
    /// Its Gateway does not exist where the input holds that namespace's Gateways.
    GatewayMissing(&'m str, &'m str),
    /// The Gateway's `allowedListeners` (unset: none) does not admit the ListenerSet's namespace.
    NotAllowed(&'m Gateway),
}

pub fn listener_set_taken<'m>(model: &'m Model, set: &'m ListenerSet) -> SetTaken<'m> {
    let Some((gns, gname)) = &set.parent else {
        return SetTaken::Yes;
    };
    let Some(g) = model.gateway(gns, gname) else {
        return if model.holds_gateways(gns) {
            SetTaken::GatewayMissing(gns, gname)
        } else {
            SetTaken::Yes
        };
    };
    // A declared Gateway says nothing of its `allowedListeners`.
    if model.is_declared(g.meta.object) {
        return SetTaken::Yes;
    }
    let ns = &set.meta.namespace;
    let admitted = match &g.allowed_listeners {
        RoutesFrom::All => true,
        RoutesFrom::Same => *ns == g.meta.namespace,
        RoutesFrom::None => false,
        RoutesFrom::Selector(sel) => {
            let (labels, complete) = model.namespace_labels(ns);
            sel.matches(&labels) || !complete
        }
    };
    if admitted {
        SetTaken::Yes
    } else {
        SetTaken::NotAllowed(g)
    }
}

pub fn gateway_owner<'m>(model: &'m Model, g: &'m Gateway) -> ListenerOwner<'m> {
    ListenerOwner {
        kind: "Gateway",
        meta: &g.meta,
        listeners: &g.listeners,
        istio: crate::model::istio_manages(g, &model.gateway_classes),
        waypoint: crate::model::is_waypoint(g, &model.gateway_classes),
        routes_ignored: crate::model::routes_ignored(g, &model.gateway_classes),
    }
}

/// Why a listener refuses a route of `kind` from `route_ns`, or Ok when it admits it. A Selector
/// over a namespace whose labels the input does not hold is taken to admit.
pub fn listener_admits(
    model: &Model,
    owner: &ListenerOwner,
    l: &Listener,
    route_ns: &str,
    kind: &str,
) -> Result<(), String> {
    let home = owner.meta.namespace.as_str();
    let ns_ok = match &l.routes_from {
        RoutesFrom::All => true,
        RoutesFrom::Same => route_ns == home,
        // istiod takes `None` for `All` (`namespacesFromSelector` handles only Same and All and
        // falls through to "*"): refused only by another implementation.
        RoutesFrom::None => owner.istio != Some(false),
        RoutesFrom::Selector(sel) => {
            let (labels, complete) = model.namespace_labels(route_ns);
            sel.matches(&labels) || !complete
        }
    };
    if !ns_ok {
        let from = match &l.routes_from {
            RoutesFrom::Same => format!("its own namespace `{home}` only (the default)"),
            RoutesFrom::None => "no namespace".to_string(),
            _ => "namespaces matching its selector, not this one".to_string(),
        };
        return Err(format!("listener `{}` admits routes from {from}", l.name));
    }
    let kind_ok = match owner.istio {
        Some(istio) => l.accepts_kind(kind, istio),
        // A class the input does not show: refused only if refused either way.
        None => l.accepts_kind(kind, true) || l.accepts_kind(kind, false),
    };
    if !kind_ok {
        let known = ["HTTP", "HTTPS", "TLS", "TCP", "UDP"].contains(&l.protocol.as_str());
        let why = if owner.istio == Some(true) && !known {
            "istiod knows no such protocol (HTTP, HTTPS, TLS and TCP, in capitals), so the listener carries no route kind"
        } else if owner.istio == Some(true) && kind == "UDPRoute" {
            "Istio implements no UDPRoute"
        } else if owner.istio == Some(true) && !l.kinds.is_empty() {
            "of the kinds its protocol carries, `allowedRoutes.kinds` keeps others"
        } else {
            "its protocol or `allowedRoutes.kinds` do not include it"
        };
        return Err(format!(
            "listener `{}` ({}) does not accept {kind}s: {why}",
            l.name, l.protocol
        ));
    }
    Ok(())
}

/// The listeners a parentRef addresses (its `sectionName` and `port`, or all).
pub fn addressed_listeners<'g>(listeners: &'g [Listener], p: &ParentRef) -> Vec<&'g Listener> {
    listeners
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
    exposing_parents(
        model,
        &route.parent_refs,
        &route.meta.namespace,
        &route.hostnames,
        "HTTPRoute",
        route_file,
    )
}

/// [`exposing_gateways`] for a route of any kind: the Gateways (a ListenerSet's parent Gateway
/// for a ListenerSet) whose listeners admit it, waypoints and `istio-remote` Gateways aside.
pub fn exposing_parents<'m>(
    model: &'m Model,
    parent_refs: &'m [ParentRef],
    route_ns: &str,
    hostnames: &[String],
    kind: &str,
    route_file: &str,
) -> Vec<(&'m ParentRef, &'m Gateway)> {
    parent_refs
        .iter()
        .filter_map(|p| {
            let owner = listener_owner(model, p, route_file)?;
            if owner.waypoint || owner.routes_ignored {
                return None;
            }
            let gateway = if p.is_gateway() {
                model.gateway_near(&p.namespace, &p.name, route_file)?
            } else {
                let set = model.listener_set(&p.namespace, &p.name)?;
                if !matches!(listener_set_taken(model, set), SetTaken::Yes) {
                    return None;
                }
                let (ns, name) = set.parent.as_ref()?;
                model.gateway(ns, name)?
            };
            let hostnames = if matches!(kind, "TCPRoute" | "UDPRoute") {
                &[][..]
            } else {
                hostnames
            };
            addressed_listeners(owner.listeners, p)
                .iter()
                .any(|l| {
                    listener_admits(model, &owner, l, route_ns, kind).is_ok()
                        && hostname_admits(l, hostnames)
                })
                .then_some((p, gateway))
        })
        .collect()
}

/// What the reference rules need of any route kind.
pub struct RouteView<'m> {
    pub kind: &'static str,
    pub meta: &'m Meta,
    pub parent_refs: &'m [ParentRef],
    /// Parents the route's status says another controller handles.
    pub foreign_parents: &'m [crate::model::resources::ForeignParent],
    pub hostnames: &'m [String],
    /// The rules' backendRefs, then their mirrors' (`BackendRef::mirror`).
    pub backend_refs: Vec<&'m BackendRef>,
    /// The rules' `filters` (HTTP and gRPC routes).
    pub rule_filters: Vec<&'m Filter>,
    /// Whether istiod judges it ([`RouteView::istio_judges`]), as [`Context::routes`] gives it.
    pub istio: Option<bool>,
}

impl RouteView<'_> {
    /// Whether ReferenceGrants bind the route's backends: some parent is a Gateway (or a
    /// ListenerSet of one) that serves routes. istiod enforces them only in the pass for gateway
    /// parents, which runs when a parentRef finds such a parent (`route_collections.go`); a mesh
    /// parent, a waypoint, an `istio-remote` Gateway or a Gateway known to be missing do not
    /// count. A Gateway the input does not show is taken to exist.
    pub fn enforces_grants(&self, model: &Model, route_file: &str) -> bool {
        self.parent_refs.iter().any(|p| {
            if !(p.is_gateway() || p.is_listener_set()) {
                return false;
            }
            match listener_owner(model, p, route_file) {
                Some(o) => !o.waypoint && !o.routes_ignored,
                None if p.is_gateway() => !model.holds_gateways(&p.namespace),
                None => !holds_kind(
                    model,
                    &p.namespace,
                    model.listener_sets.iter().map(|s| &s.meta),
                ),
            }
        })
    }

    /// A UDPRoute istiod would judge if it read UDPRoutes: it reads none (no informer; Istio
    /// skips the UDPRoute feature), so only AL405 speaks of it.
    pub fn udp_ignored_by_istio(&self) -> bool {
        self.kind == "UDPRoute" && self.istio == Some(true)
    }

    /// Whether istiod judges the route: some parent is a mesh parent, or a Gateway or
    /// ListenerSet of an Istio class. None when no parent is known either way.
    pub fn istio_judges(&self, model: &Model, route_file: &str) -> Option<bool> {
        let mut unknown = false;
        for p in self.parent_refs {
            if p.is_foreign(self.foreign_parents) {
                continue;
            }
            if p.is_service() || p.is_service_entry() {
                return Some(true);
            }
            match listener_owner(model, p, route_file).and_then(|o| {
                if o.routes_ignored {
                    Some(false)
                } else {
                    o.istio
                }
            }) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        if unknown { None } else { Some(false) }
    }
}

/// A backendRef's kind as istiod reads it (`conversion.go`, `buildDestination`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Service,
    /// Istio resolves it to the Service of the same name.
    ServiceImport,
    /// `networking.istio.io/Hostname`: a ServiceEntry host or a Service's DNS name.
    Hostname,
    /// Behind `PILOT_ENABLE_ALPHA_GATEWAY_API`.
    XBackend,
    /// Behind `ENABLE_GATEWAY_API_INFERENCE_EXTENSION`.
    InferencePool,
    /// Any other kind: InvalidKind.
    Unsupported,
}

pub fn backend_kind(b: &BackendRef) -> BackendKind {
    if b.is_service() {
        BackendKind::Service
    } else if b.is_kind("multicluster.x-k8s.io", "ServiceImport") {
        BackendKind::ServiceImport
    } else if b.is_kind("networking.istio.io", "Hostname") {
        BackendKind::Hostname
    } else if b.is_kind("gateway.networking.x-k8s.io", "XBackend") {
        BackendKind::XBackend
    } else if b.is_kind("inference.networking.k8s.io", "InferencePool") {
        BackendKind::InferencePool
    } else {
        BackendKind::Unsupported
    }
}

/// What happens to the traffic a backendRef would take when istiod cannot resolve it.
pub fn lost_traffic(route_kind: &str, b: &BackendRef) -> &'static str {
    if b.mirror && route_kind == "GRPCRoute" {
        // Unlike an HTTPRoute's, a GRPCRoute's mirror error fails the whole conversion
        // (istiod `convertGRPCRoute`).
        "istiod then drops the whole GRPCRoute: none of its rules serves"
    } else if b.mirror {
        "the mirror gets no copies (the rule's answers are unaffected)"
    } else if matches!(route_kind, "HTTPRoute" | "GRPCRoute") {
        "requests this rule sends there get 500"
    } else {
        "connections this rule sends there are closed"
    }
}

/// Whether a ReferenceGrant in the backend's namespace lets routes of this kind from the
/// route's namespace refer to it: `from` the route's kind and namespace, `to` the backend's group
/// and kind (and name, when given). A backend in the route's own namespace needs none. istiod
/// (`istio`) records grants only to Services, XBackends and InferencePools, from HTTP, GRPC, TLS
/// and TCP routes (gatewaycommon `references.go`): a ServiceImport elsewhere is never granted.
pub fn reference_granted(model: &Model, route: &RouteView, b: &BackendRef, istio: bool) -> bool {
    let from_ns = &route.meta.namespace;
    if b.namespace == *from_ns {
        return true;
    }
    if istio
        && !(b.is_service()
            || b.is_kind("gateway.networking.x-k8s.io", "XBackend")
            || b.is_kind("inference.networking.k8s.io", "InferencePool"))
    {
        return false;
    }
    model.reference_grants.iter().any(|g| {
        g.meta.namespace == b.namespace
            && g.from.iter().any(|f| {
                f.group == crate::model::resources::GATEWAY_API_GROUP
                    && f.kind == route.kind
                    && f.namespace == *from_ns
            })
            && g.to.iter().any(|t| {
                t.group == b.group
                    && t.kind == b.kind
                    && t.name.as_ref().is_none_or(|n| *n == b.name)
            })
    })
}

/// Whether the input holds a namespace's objects of a kind (some object of it there), so that
/// one missing from it can be called missing.
pub fn holds_kind<'m>(
    model: &Model,
    namespace: &str,
    mut metas: impl Iterator<Item = &'m Meta>,
) -> bool {
    model.assume_complete() || (model.complete_unit() && metas.any(|m| m.namespace == namespace))
}

/// Routes of every kind: HTTPRoutes, GRPCRoutes, TLSRoutes, TCPRoutes and UDPRoutes.
pub fn all_routes<'m>(model: &'m Model) -> Vec<RouteView<'m>> {
    let http = model.http_routes.iter().map(|r| {
        let rules = r
            .rules
            .iter()
            .map(|x| (&x.backend_refs[..], &x.mirror_refs[..], &x.filters[..]));
        view(
            "HTTPRoute",
            &r.meta,
            &r.parent_refs,
            &r.foreign_parents,
            &r.hostnames,
            rules,
        )
    });
    let grpc = model.grpc_routes.iter().map(|r| {
        let rules = r
            .rules
            .iter()
            .map(|x| (&x.backend_refs[..], &x.mirror_refs[..], &x.filters[..]));
        view(
            "GRPCRoute",
            &r.meta,
            &r.parent_refs,
            &r.foreign_parents,
            &r.hostnames,
            rules,
        )
    });
    let l4 = model.l4_routes.iter().map(|r| {
        let rules = r
            .rules
            .iter()
            .map(|x| (&x.backend_refs[..], &[][..], &[][..]));
        view(
            r.kind,
            &r.meta,
            &r.parent_refs,
            &r.foreign_parents,
            &r.hostnames,
            rules,
        )
    });
    http.chain(grpc).chain(l4).collect()
}

/// A route as the reference rules see it, from its rules' (backends, mirrors, filters). A
/// backend of weight 0 gets no traffic and istiod does not resolve it, so it is left out.
fn view<'m>(
    kind: &'static str,
    meta: &'m Meta,
    parent_refs: &'m [ParentRef],
    foreign_parents: &'m [crate::model::resources::ForeignParent],
    hostnames: &'m [String],
    rules: impl Iterator<Item = (&'m [BackendRef], &'m [BackendRef], &'m [Filter])>,
) -> RouteView<'m> {
    let (mut backend_refs, mut mirrors, mut rule_filters) = (Vec::new(), Vec::new(), Vec::new());
    for (backends, mirrored, filters) in rules {
        backend_refs.extend(backends.iter().filter(|b| b.weight != Some(0)));
        mirrors.extend(mirrored);
        rule_filters.extend(filters);
    }
    backend_refs.append(&mut mirrors);
    RouteView {
        kind,
        meta,
        parent_refs,
        foreign_parents,
        hostnames,
        backend_refs,
        rule_filters,
        istio: None,
    }
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
