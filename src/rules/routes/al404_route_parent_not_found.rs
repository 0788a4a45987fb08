use super::all_routes;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL404",
    name: "route-parent-not-found",
    severity: Severity::Error,
    summary: "a route's parentRef names no Gateway (or Service, or listener) that exists: the route is attached to nothing",
    doc: include_str!("../../../rules/AL404-route-parent-not-found.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in all_routes(model) {
        for p in route.parent_refs {
            let target = qualified(Some(&p.namespace), &p.name);
            if p.is_gateway() {
                match model.gateway(&p.namespace, &p.name) {
                    None if model.holds_gateways(&p.namespace) => out.push(
                        finding(
                            &RULE,
                            Location::field(route.meta.object, p.path.clone()),
                            format!("parent Gateway `{target}` does not exist: the {} is attached to nothing and serves no traffic", route.kind),
                        )
                        .help("correct `name`/`namespace` (a parentRef without `namespace` means the route's own)"),
                    ),
                    Some(g) => {
                        // A declared Gateway may leave its listeners out: then they are not known.
                        if let Some(section) = &p.section_name
                            && !g.listeners.is_empty()
                            && !g.listeners.iter().any(|l| &l.name == section)
                        {
                            let names: Vec<String> = g.listeners.iter().map(|l| l.name.clone()).collect();
                            out.push(
                                finding(
                                    &RULE,
                                    Location::field(route.meta.object, p.path.key("sectionName")),
                                    format!("no listener of Gateway `{target}` is named `{section}`: the {} is attached to nothing", route.kind),
                                )
                                .help(format!("use one of its listeners: {}", crate::rules::list(&names)))
                                .related(Location::field(g.meta.object, "spec.listeners"), "the Gateway's listeners"),
                            );
                        } else if super::addressed_listeners(g, p).is_empty() && !g.listeners.is_empty() {
                            // The sectionName exists (or is absent) but no listener is on `port`.
                            let ports: Vec<String> = g.listeners.iter().filter_map(|l| l.port.map(|n| n.to_string())).collect();
                            out.push(
                                finding(
                                    &RULE,
                                    Location::field(route.meta.object, p.path.key("port")),
                                    format!(
                                        "no listener of Gateway `{target}`{} is on port {}: the {} is attached to nothing",
                                        p.section_name.as_ref().map_or(String::new(), |s| format!(" named `{s}`")),
                                        p.port.unwrap_or_default(),
                                        route.kind
                                    ),
                                )
                                .help(format!("use a port of its listeners ({}), or drop `port`", crate::rules::list(&ports)))
                                .related(Location::field(g.meta.object, "spec.listeners"), "the Gateway's listeners"),
                            );
                        }
                    }
                    None => ctx.unjudged(Unjudged::UndescribedNamespace, &p.namespace, route.meta.object),
                }
            } else if (p.group.is_empty() || p.group == "core")
                && p.kind == "Service"
                && model.service(&p.namespace, &p.name).is_none()
                && !model.holds_services(&p.namespace)
            {
                ctx.unjudged(
                    Unjudged::UndescribedNamespace,
                    &p.namespace,
                    route.meta.object,
                );
            } else if (p.group.is_empty() || p.group == "core")
                && p.kind == "Service"
                && model.service(&p.namespace, &p.name).is_none()
            {
                out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, p.path.clone()),
                        format!("parent Service `{target}` does not exist: this mesh route applies to nothing"),
                    )
                    .help("correct the Service name or create it"),
                );
            }
        }
    }
}
