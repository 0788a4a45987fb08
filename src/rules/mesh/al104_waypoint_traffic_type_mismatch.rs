use super::waypoint_uses;
use crate::finding::{Finding, Location, Severity};
use crate::model::waypoints::WAYPOINT_FOR;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL104",
    name: "waypoint-traffic-type-mismatch",
    severity: Severity::Warning,
    summary: "a Service uses a waypoint that handles no service traffic, or a pod one that handles no workload traffic",
    doc: include_str!("../../../rules/AL104-waypoint-traffic-type-mismatch.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for (u, _, kind) in waypoint_uses(model) {
        let Some(g) = model.waypoint_gateway(&u) else {
            continue;
        };
        let handles = model.waypoint_for(g);
        let needs = match kind {
            "service" => "service",
            "workload" => "workload",
            _ => continue, // a namespace binds whichever kind the waypoint handles
        };
        if handles == "all" || handles == needs {
            continue;
        }
        let at = if g.meta.label(WAYPOINT_FOR).is_some() {
            Location::field(
                g.meta.object,
                crate::load::node::FieldPath::new("metadata.labels").key(WAYPOINT_FOR),
            )
        } else {
            Location::field(g.meta.object, "metadata.name")
        };
        out.push(
            finding(
                &RULE,
                u.at.clone(),
                format!(
                    "this {kind} uses waypoint `{}/{}`, which handles `{handles}` traffic: {needs} traffic does not go through it, so its L7 policies are not enforced here",
                    u.namespace, u.name
                ),
            )
            .help(format!(
                "label the waypoint `{WAYPOINT_FOR}: {needs}` (or `all`), or bind the {} instead",
                if needs == "service" { "pods" } else { "Service" }
            ))
            .related(at, format!("`{WAYPOINT_FOR}: {handles}` (default `service`)")),
        );
    }
}
