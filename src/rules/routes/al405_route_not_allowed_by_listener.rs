use super::{addressed_listeners, hostname_admits, listener_admits, listener_owner};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL405",
    name: "route-not-allowed-by-listener",
    severity: Severity::Error,
    summary: "the parent Gateway's listeners do not admit the route (allowedRoutes namespaces or kinds): it is not attached",
    doc: include_str!("../../../rules/AL405-route-not-allowed-by-listener.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// The reasons istiod writes on `Accepted=False` (Gateway API `RouteReason*`).
const NOT_ALLOWED: &str = "NotAllowedByListeners";
const NO_HOSTNAME: &str = "NoMatchingListenerHostname";

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in ctx.routes() {
        let route_ns = &route.meta.namespace;
        for p in route
            .parent_refs
            .iter()
            .filter(|p| !p.is_foreign(route.foreign_parents))
        {
            let owner = listener_owner(model, p, ctx.path_of(route.meta.object));
            let mesh = p.is_service() || p.is_service_entry();
            if route.kind == "UDPRoute"
                && (mesh || owner.as_ref().is_some_and(|o| o.istio == Some(true)))
            {
                // istiod reads no UDPRoute (no informer; Istio skips the feature), so it writes
                // no status either.
                let target = match &owner {
                    Some(o) => o.display(),
                    None => format!("{} `{}`", p.kind, qualified(Some(&p.namespace), &p.name)),
                };
                out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, p.path.clone()),
                        format!("this UDPRoute is not served at {target}: Istio implements no UDPRoute, so istiod does not read the route and writes it no status"),
                    )
                    .help("Istio does not route UDP at gateways or in the mesh (ztunnel passes UDP through as it is); drop the route, or serve UDP with a Service of type LoadBalancer"),
                );
                continue;
            }
            let Some(owner) = owner else {
                continue;
            };
            if owner.waypoint || owner.routes_ignored {
                continue;
            }
            let listeners = addressed_listeners(owner.listeners, p);
            if listeners.is_empty() {
                continue; // AL404 (no such sectionName) or no listeners at all
            }
            // As istiod judges each listener (`conversion.go`, `referenceAllowed`): the
            // hostname first, then the namespace and kind; across listeners an accepting one
            // wins, then NotAllowedByListeners, then NoMatchingListenerHostname
            // (`conditions.go`, `rankParentError`).
            let hostnames = if route.kind == "TCPRoute" || route.kind == "UDPRoute" {
                &[][..] // no hostnames: every listener hostname matches
            } else {
                route.hostnames
            };
            let results: Vec<Result<(), (&str, String)>> = listeners
                .iter()
                .map(|l| {
                    if !hostname_admits(l, hostnames) {
                        return Err((
                            NO_HOSTNAME,
                            format!(
                                "listener `{}` serves hostname `{}`, which none of the route's hostnames matches",
                                l.name,
                                l.hostname.as_deref().unwrap_or("")
                            ),
                        ));
                    }
                    listener_admits(model, &owner, l, route_ns, route.kind)
                        .map_err(|why| (NOT_ALLOWED, why))
                })
                .collect();
            if results.iter().any(Result::is_ok) {
                continue;
            }
            let errors: Vec<(&str, String)> = results.into_iter().filter_map(Result::err).collect();
            let reason = if errors.iter().any(|(r, _)| *r == NOT_ALLOWED) {
                NOT_ALLOWED
            } else {
                NO_HOSTNAME
            };
            let reasons: Vec<String> = errors
                .into_iter()
                .filter(|(r, _)| *r == reason)
                .map(|(_, why)| why)
                .collect();
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, p.path.clone()),
                    format!(
                        "this {1} from namespace `{route_ns}` is not admitted by {0}: {2}; the route is not attached ({reason}) and serves nothing",
                        owner.display(),
                        route.kind,
                        reasons.join("; ")
                    ),
                )
                .help(if reason == NOT_ALLOWED {
                    "attach the route to a listener whose protocol carries its kind, or set the listener's `allowedRoutes` (`namespaces.from: All` or a `Selector` matching this namespace, `kinds`), or move the route to the listener's namespace"
                } else {
                    "give the route a hostname the listener serves (or drop the listener's `hostname`), or attach it to a listener for its hostnames with `sectionName`"
                })
                .related(Location::field(owner.meta.object, listeners[0].path.clone()), "the listener"),
            );
        }
    }
}
