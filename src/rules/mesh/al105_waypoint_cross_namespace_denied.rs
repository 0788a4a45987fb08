use super::waypoint_uses;
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::RoutesFrom;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL105",
    name: "waypoint-cross-namespace-denied",
    severity: Severity::Error,
    summary: "a waypoint in another namespace does not allow this namespace on its HBONE listener: the binding is refused",
    doc: include_str!("../../../rules/AL105-waypoint-cross-namespace-denied.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for (u, user_ns, _) in waypoint_uses(model) {
        if u.namespace == user_ns {
            continue;
        }
        let Some(g) = model.waypoint_gateway(&u) else {
            continue;
        };
        let Some(listener) = g
            .listeners
            .iter()
            .find(|l| l.port == Some(15008) && l.protocol == "HBONE")
        else {
            continue; // AL106
        };
        // Unknown when the namespace's labels are not in the input.
        let Some(allowed) = model.waypoint_accepts(g, &user_ns) else {
            continue;
        };
        if allowed {
            continue;
        }
        out.push(
            finding(
                &RULE,
                u.at.clone(),
                format!(
                    "waypoint `{}/{}` does not accept namespace `{user_ns}`: its HBONE listener's `allowedRoutes` admits only {}, so this binding is refused and traffic skips the waypoint",
                    u.namespace,
                    u.name,
                    match &listener.routes_from {
                        RoutesFrom::Same | RoutesFrom::None => "its own namespace",
                        _ => "namespaces matching its selector",
                    }
                ),
            )
            .help("set `allowedRoutes: {namespaces: {from: All}}` on the waypoint's `mesh` listener (or a Selector matching this namespace), or deploy a waypoint in this namespace")
            .related(Location::field(g.meta.object, listener.path.clone()), "the waypoint's HBONE listener"),
        );
    }
}
