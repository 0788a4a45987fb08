use super::all_routes;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::resources::ParentRef;
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
                match model.gateway_near(&p.namespace, &p.name, ctx.path_of(route.meta.object)) {
                    None => missing_parent(
                        ctx,
                        out,
                        &route,
                        p,
                        "Gateway",
                        model.holds_gateways(&p.namespace),
                        model.gateways.iter().map(|g| &g.meta),
                    ),
                    Some(g) => {
                        // A declared Gateway may leave its listeners out: then they are not known.
                        if let Some(section) = &p.section_name
                            && !g.listeners.is_empty()
                            && !g.listeners.iter().any(|l| &l.name == section)
                        {
                            let names: Vec<String> =
                                g.listeners.iter().map(|l| l.name.clone()).collect();
                            out.push(
                                finding(
                                    &RULE,
                                    Location::field(route.meta.object, p.path.key("sectionName")),
                                    format!("no listener of Gateway `{target}` is named `{section}`: the {} is attached to nothing", route.kind),
                                )
                                .help(format!("use one of its listeners: {}", crate::rules::list(&names)))
                                .related(Location::field(g.meta.object, "spec.listeners"), "the Gateway's listeners"),
                            );
                        } else if super::addressed_listeners(g, p).is_empty()
                            && !g.listeners.is_empty()
                        {
                            // The sectionName exists (or is absent) but no listener is on `port`.
                            let ports: Vec<String> = g
                                .listeners
                                .iter()
                                .filter_map(|l| l.port.map(|n| n.to_string()))
                                .collect();
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
                }
            } else if (p.group.is_empty() || p.group == "core")
                && p.kind == "Service"
                && model.service(&p.namespace, &p.name).is_none()
            {
                missing_parent(
                    ctx,
                    out,
                    &route,
                    p,
                    "Service",
                    model.holds_services(&p.namespace),
                    model.services.iter().map(|s| &s.meta),
                );
            }
        }
    }
}

/// A parentRef naming no object of `kind`: reported where the input holds that namespace's
/// objects of the kind, or where objects of that name in other namespaces (`same_kind`) say which
/// was meant; otherwise not judged.
fn missing_parent<'m>(
    ctx: &Context,
    out: &mut Vec<Finding>,
    route: &super::RouteView,
    p: &ParentRef,
    kind: &str,
    holds: bool,
    same_kind: impl Iterator<Item = &'m crate::model::resources::Meta>,
) {
    let elsewhere: Vec<(&str, Location)> = same_kind
        .filter(|m| m.name == p.name && m.namespace != p.namespace)
        .map(|m| {
            (
                m.namespace.as_str(),
                Location::field(m.object, "metadata.name"),
            )
        })
        .collect();
    if holds || (!elsewhere.is_empty() && ctx.model.describes(&p.namespace)) {
        let target = qualified(Some(&p.namespace), &p.name);
        out.push(missing(
            route.meta.object,
            route.kind,
            p,
            kind,
            &target,
            &elsewhere,
        ));
    } else {
        ctx.unjudged(
            Unjudged::UndescribedNamespace,
            &p.namespace,
            route.meta.object,
        );
    }
}

/// A parentRef naming no object; with a "did you mean" when objects of that name exist in other
/// namespaces.
fn missing(
    route: usize,
    route_kind: &str,
    p: &ParentRef,
    kind: &str,
    target: &str,
    elsewhere: &[(&str, Location)],
) -> Finding {
    let effect = if kind == "Gateway" {
        format!("the {route_kind} is attached to nothing and serves no traffic")
    } else {
        "this mesh route applies to nothing".to_string()
    };
    let names: Vec<String> = elsewhere
        .iter()
        .map(|(ns, _)| format!("{ns}/{}", p.name))
        .collect();
    let (message, help) = match elsewhere.first() {
        None => (
            format!("parent {kind} `{target}` does not exist: {effect}"),
            if kind == "Gateway" {
                "correct `name`/`namespace` (a parentRef without `namespace` means the route's own)"
                    .to_string()
            } else {
                "correct the Service name or create it".to_string()
            },
        ),
        Some((ns, _)) => (
            format!(
                "no {kind} `{}` in `{}`; did you mean {}? As written, {effect}",
                p.name,
                p.namespace,
                crate::rules::list(&names).replacen(" and ", " or ", 1)
            ),
            format!(
                "set `namespace: {ns}` in the parentRef (without `namespace` it means the route's own), or create {kind} `{target}`"
            ),
        ),
    };
    let mut f = finding(&RULE, Location::field(route, p.path.clone()), message).help(help);
    for (ns, at) in elsewhere.iter().take(3) {
        f = f.related(at.clone(), format!("{kind} `{ns}/{}` exists here", p.name));
    }
    f
}
