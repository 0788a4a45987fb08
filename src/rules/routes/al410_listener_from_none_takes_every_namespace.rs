use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::resources::RoutesFrom;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL410",
    name: "listener-from-none-takes-every-namespace",
    severity: Severity::Warning,
    summary: "a listener of an Istio Gateway says `allowedRoutes.namespaces.from: None`, which istiod takes for every namespace: routes meant to be refused attach",
    doc: include_str!("../../../rules/AL410-listener-from-none-takes-every-namespace.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for g in &model.gateways {
        let owner = super::gateway_owner(model, g);
        // Waypoints take mesh routes by other means; istio-remote Gateways get no routes at all.
        if owner.istio != Some(true) || owner.waypoint || owner.routes_ignored {
            continue;
        }
        for l in g
            .listeners
            .iter()
            .filter(|l| l.routes_from == RoutesFrom::None)
        {
            out.push(
                finding(
                    &RULE,
                    Location::field(
                        g.meta.object,
                        l.path.key("allowedRoutes").key("namespaces").key("from"),
                    ),
                    format!(
                        "istiod does not honour `from: None`: listener `{}` of Gateway `{}` takes routes from every namespace, so a route anyone writes for it is served",
                        l.name,
                        qualified(Some(&g.meta.namespace), &g.meta.name)
                    ),
                )
                .help("to take no routes, select no namespace: `from: Selector` with `selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: DoesNotExist}]}`; or drop the listener"),
            );
        }
    }
}
