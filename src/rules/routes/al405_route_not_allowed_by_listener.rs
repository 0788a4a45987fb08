use super::{addressed_listeners, all_routes, hostname_admits, listener_admits};
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
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in all_routes(model) {
        let route_ns = &route.meta.namespace;
        for p in route.parent_refs.iter().filter(|p| p.is_gateway()) {
            let Some(g) = model.gateway_near(&p.namespace, &p.name, ctx.path_of(route.meta.object))
            else {
                continue;
            };
            if g.is_waypoint() {
                continue;
            }
            let listeners = addressed_listeners(g, p);
            if listeners.is_empty() {
                continue; // AL404 (no such sectionName) or no listeners at all
            }
            let results: Vec<Result<(), String>> = listeners
                .iter()
                .map(|l| {
                    listener_admits(model, g, l, route_ns, route.kind)?;
                    if hostname_admits(l, route.hostnames) {
                        Ok(())
                    } else {
                        Err(format!(
                            "listener `{}` serves hostname `{}`, which none of the route's hostnames matches",
                            l.name,
                            l.hostname.as_deref().unwrap_or("")
                        ))
                    }
                })
                .collect();
            let admitted = results.iter().any(Result::is_ok);
            let reasons: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            if admitted {
                continue;
            }
            out.push(
                finding(
                    &RULE,
                    Location::field(route.meta.object, p.path.clone()),
                    format!(
                        "this {1} from namespace `{route_ns}` is not admitted by Gateway `{0}`: {2}; the route is not attached (NotAllowedByListeners) and serves nothing",
                        qualified(Some(&g.meta.namespace), &g.meta.name),
                        route.kind,
                        reasons.join("; ")
                    ),
                )
                .help("set the listener's `allowedRoutes.namespaces.from` to `All` (or a `Selector` matching this namespace), or move the route to the Gateway's namespace")
                .related(Location::field(g.meta.object, listeners[0].path.clone()), "the listener's allowedRoutes"),
            );
        }
    }
}
