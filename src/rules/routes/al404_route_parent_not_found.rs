use super::{
    ListenerOwner, SetTaken, addressed_listeners, holds_kind, listener_owner, listener_set_taken,
};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::resources::{ParentRef, RoutesFrom};
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL404",
    name: "route-parent-not-found",
    severity: Severity::Error,
    summary: "a route's parentRef names no Gateway, ListenerSet, Service, ServiceEntry or listener that exists: NoMatchingParent, it attaches the route to nothing",
    doc: include_str!("../../../rules/AL404-route-parent-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in ctx.routes() {
        let file = ctx.path_of(route.meta.object);
        if route.udp_ignored_by_istio() {
            continue; // AL405 says istiod reads no UDPRoute
        }
        // A parent another controller reports on in the route's status exists, and is not ours.
        for p in route
            .parent_refs
            .iter()
            .filter(|p| !p.is_foreign(route.foreign_parents))
        {
            if p.is_gateway() || p.is_listener_set() {
                match listener_owner(model, p, file) {
                    Some(owner) => {
                        if !listener_set_rejected(ctx, out, route, p, &owner) {
                            wrong_listener(out, route, p, &owner);
                        }
                    }
                    None if p.is_gateway() => missing_parent(
                        ctx,
                        out,
                        route,
                        p,
                        "Gateway",
                        model.holds_gateways(&p.namespace),
                        model.gateways.iter().map(|g| &g.meta),
                    ),
                    None => missing_parent(
                        ctx,
                        out,
                        route,
                        p,
                        "ListenerSet",
                        holds_kind(
                            model,
                            &p.namespace,
                            model.listener_sets.iter().map(|s| &s.meta),
                        ),
                        model.listener_sets.iter().map(|s| &s.meta),
                    ),
                }
            } else if p.is_service() && model.service(&p.namespace, &p.name).is_none() {
                missing_parent(
                    ctx,
                    out,
                    route,
                    p,
                    "Service",
                    model.holds_services(&p.namespace),
                    model.services.iter().map(|s| &s.meta),
                );
            } else if p.is_service_entry()
                && !model
                    .service_entries
                    .iter()
                    .any(|e| e.meta.namespace == p.namespace && e.meta.name == p.name)
            {
                missing_parent(
                    ctx,
                    out,
                    route,
                    p,
                    "ServiceEntry",
                    holds_kind(
                        model,
                        &p.namespace,
                        model.service_entries.iter().map(|e| &e.meta),
                    ),
                    model.service_entries.iter().map(|e| &e.meta),
                );
            }
            // Other parent kinds istiod ignores: they may be another controller's.
        }
    }
}

/// A ListenerSet parent whose Gateway does not take it: its `allowedListeners` (default: no
/// ListenerSet) do not admit the ListenerSet's namespace, or the Gateway does not exist. Its
/// listeners then serve nothing, and istiod gives the route no parent for it (docs/platform.md
/// §7.1). Reports and returns true when so.
fn listener_set_rejected(
    ctx: &Context,
    out: &mut Vec<Finding>,
    route: &super::RouteView,
    p: &ParentRef,
    owner: &ListenerOwner,
) -> bool {
    let model = ctx.model;
    let Some(set) = model
        .listener_set(&p.namespace, &p.name)
        .filter(|_| owner.kind == "ListenerSet")
    else {
        return false;
    };
    let set_name = owner.display();
    let at = Location::field(route.meta.object, p.path.clone());
    match listener_set_taken(model, set) {
        SetTaken::Yes => false,
        SetTaken::GatewayMissing(gns, gname) => {
            out.push(
                finding(
                    &RULE,
                    at,
                    format!(
                        "the parent {set_name} attaches to Gateway `{}`, which does not exist: its listeners serve nothing, and {}",
                        qualified(Some(gns), gname),
                        unattached(route)
                    ),
                )
                .help("correct the ListenerSet's `spec.parentRef`, or attach the route to the Gateway itself")
                .related(Location::field(set.meta.object, "spec.parentRef"), "the ListenerSet's parent"),
            );
            true
        }
        SetTaken::NotAllowed(g) => {
            let from = match &g.allowed_listeners {
                RoutesFrom::None => {
                    "no ListenerSet (`allowedListeners` unset means `from: None`)".to_string()
                }
                RoutesFrom::Same => {
                    format!(
                        "ListenerSets of its own namespace `{}` only",
                        g.meta.namespace
                    )
                }
                _ => "ListenerSets of namespaces matching its selector, not this one".to_string(),
            };
            out.push(
                finding(
                    &RULE,
                    at,
                    format!(
                        "the parent {set_name} is not accepted by Gateway `{}`, which admits {from} (NotAllowed): its listeners serve nothing, and {}",
                        qualified(Some(&g.meta.namespace), &g.meta.name),
                        unattached(route)
                    ),
                )
                .help(format!(
                    "set `spec.allowedListeners.namespaces.from` on Gateway `{}` to `All`, `Same` (for a ListenerSet in its namespace) or a `Selector` matching `{}`",
                    qualified(Some(&g.meta.namespace), &g.meta.name),
                    set.meta.namespace
                ))
                .related(Location::field(g.meta.object, "metadata.name"), "the Gateway the ListenerSet attaches to"),
            );
            true
        }
    }
}

/// What a parentRef that attaches to nothing costs: the whole route when it is the only one.
fn unattached(route: &super::RouteView) -> String {
    if route.parent_refs.len() > 1 {
        format!(
            "this parentRef attaches the {} to nothing (its other parents are judged on their own)",
            route.kind
        )
    } else {
        format!(
            "the {} is attached to nothing and serves no traffic",
            route.kind
        )
    }
}

/// A parentRef whose `sectionName` or `port` no listener of its Gateway or ListenerSet has.
fn wrong_listener(
    out: &mut Vec<Finding>,
    route: &super::RouteView,
    p: &ParentRef,
    owner: &ListenerOwner,
) {
    // A declared Gateway may leave its listeners out: then they are not known.
    let listeners = owner.listeners;
    if listeners.is_empty() || owner.routes_ignored {
        return;
    }
    let target = owner.display();
    let at = Location::field(owner.meta.object, "spec.listeners");
    let related = format!("the {}'s listeners", owner.kind);
    if let Some(section) = &p.section_name
        && !listeners.iter().any(|l| &l.name == section)
    {
        let names: Vec<String> = listeners.iter().map(|l| l.name.clone()).collect();
        out.push(
            finding(
                &RULE,
                Location::field(route.meta.object, p.path.key("sectionName")),
                format!(
                    "no listener of {target} is named `{section}`: {} (NoMatchingParent)",
                    unattached(route)
                ),
            )
            .help(format!(
                "use one of its listeners: {}",
                crate::rules::list(&names)
            ))
            .related(at, related),
        );
    } else if addressed_listeners(listeners, p).is_empty() {
        // The sectionName exists (or is absent) but no listener is on `port`.
        let ports: Vec<String> = listeners
            .iter()
            .filter_map(|l| l.port.map(|n| n.to_string()))
            .collect();
        out.push(
            finding(
                &RULE,
                Location::field(route.meta.object, p.path.key("port")),
                format!(
                    "no listener of {target}{} is on port {}: {} (NoMatchingParent)",
                    p.section_name
                        .as_ref()
                        .map_or(String::new(), |s| format!(" named `{s}`")),
                    p.port.unwrap_or_default(),
                    unattached(route)
                ),
            )
            .help(format!(
                "use a port of its listeners ({}), or drop `port`",
                crate::rules::list(&ports)
            ))
            .related(at, related),
        );
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
        let fix = match elsewhere.as_slice() {
            [(ns, _)] => namespace_fix(ctx, route, p, ns),
            _ => None,
        };
        out.push(missing(route, p, kind, &target, &elsewhere).fix(fix));
    } else {
        ctx.unjudged(
            Unjudged::UndescribedNamespace,
            &p.namespace,
            route.meta.object,
        );
    }
}

/// The one "did you mean" written in: `namespace: <ns>` added to the parentRef, or its namespace
/// replaced. Unsafe: it attaches the route, which then serves (and exposes) its rules.
fn namespace_fix(
    ctx: &Context,
    route: &super::RouteView,
    p: &ParentRef,
    ns: &str,
) -> Option<crate::finding::Fix> {
    use crate::rules::edits;
    let (root, file, text) = edits::editable(ctx, route.meta.object)?;
    let parent = edits::node_at(root, &p.path)?;
    let edit = match parent.get("namespace") {
        None => edits::add_to_map(text, file, parent, "namespace", ns)?,
        Some(_) => crate::rules::edits::edit_in_place(
            ctx,
            &Location::field(route.meta.object, p.path.key("namespace")),
            &p.namespace,
            ns,
        )?,
    };
    Some(crate::finding::Fix {
        title: format!("set `namespace: {ns}` in the parentRef"),
        applicability: crate::finding::Applicability::Unsafe,
        edits: vec![edit],
    })
}

/// A parentRef naming no object; with a "did you mean" when objects of that name exist in other
/// namespaces.
fn missing(
    route: &super::RouteView,
    p: &ParentRef,
    kind: &str,
    target: &str,
    elsewhere: &[(&str, Location)],
) -> Finding {
    let gateway_like = kind == "Gateway" || kind == "ListenerSet";
    // No controller owns a Gateway that does not exist, so none writes the route a status for it
    // (istiod gives the parentRef no entry); a missing Service or ServiceEntry is NoMatchingParent.
    let effect = if gateway_like {
        format!(
            "{} (no controller writes it a status for this parent)",
            unattached(route)
        )
    } else if route.parent_refs.len() > 1 {
        "this parentRef applies the route to nothing (NoMatchingParent)".to_string()
    } else {
        "this mesh route applies to nothing (NoMatchingParent)".to_string()
    };
    let names: Vec<String> = elsewhere
        .iter()
        .map(|(ns, _)| format!("{ns}/{}", p.name))
        .collect();
    let (message, help) = match elsewhere.first() {
        None => (
            format!("parent {kind} `{target}` does not exist: {effect}"),
            if gateway_like {
                "correct `name`/`namespace` (a parentRef without `namespace` means the route's own)"
                    .to_string()
            } else {
                format!("correct the {kind} name or create it")
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
    let mut f = finding(
        &RULE,
        Location::field(route.meta.object, p.path.clone()),
        message,
    )
    .help(help);
    for (ns, at) in elsewhere.iter().take(3) {
        f = f.related(at.clone(), format!("{kind} `{ns}/{}` exists here", p.name));
    }
    f
}
