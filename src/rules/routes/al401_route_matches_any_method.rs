use super::{describe, exposing_gateways, matches};
use crate::finding::{Applicability, Finding, Fix, Location, Severity};
use crate::model::qualified;
use crate::rules::edits;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL401",
    name: "route-matches-any-method",
    severity: Severity::Warning,
    summary: "a match of a route exposed through a north-south gateway has no `method`: POST, PUT, PATCH and DELETE reach the backend too",
    doc: include_str!("../../../rules/AL401-route-matches-any-method.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for route in &ctx.model.http_routes {
        let gateways = exposing_gateways(ctx.model, route, ctx.path_of(route.meta.object));
        let Some((_, gw)) = gateways.first() else {
            continue;
        };
        for rule in &route.rules {
            // A rule without backends (a redirect, or nothing) forwards nothing to anyone.
            if rule.backend_refs.is_empty() {
                continue;
            }
            let backends: Vec<String> = rule
                .backend_refs
                .iter()
                .map(|b| qualified(Some(&b.namespace), &b.name))
                .collect();
            let to = if backends.is_empty() {
                String::new()
            } else {
                format!(" to {}", crate::rules::list(&backends))
            };
            for (i, m) in matches(rule).into_iter().enumerate() {
                if m.method.is_some() {
                    continue;
                }
                // `method: GET` added to the match (a rule without matches gets none): unsafe,
                // the other methods then get 404 — what the finding asks, but a change.
                let fix = rule.matches.get(i).and_then(|written| {
                    let (root, file, text) = edits::editable(ctx, route.meta.object)?;
                    let node = edits::node_at(root, &written.path)?;
                    let edit = edits::add_to_map(text, file, node, "method", "GET")?;
                    Some(Fix {
                        title: "match `method: GET` only".to_string(),
                        applicability: Applicability::Unsafe,
                        edits: vec![edit],
                    })
                });
                let what = if rule.matches.is_empty() {
                    "rule has no `matches`, so it forwards every path".to_string()
                } else {
                    format!("match {} has no `method`, so it forwards", describe(m.path))
                };
                out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, m.location.clone()),
                        format!(
                            "{what} with every HTTP method{to} through Gateway `{}`: POST, PUT, PATCH and DELETE from the internet reach the backend too",
                            qualified(Some(&gw.meta.namespace), &gw.meta.name)
                        ),
                    )
                    .help("add `method: GET` to the match (one match per method you mean to expose); an unmatched request gets 404 at the gateway")
                    .related(Location::field(gw.meta.object, "metadata.name"), "the north-south gateway this route is exposed on")
                    .fix(fix),
                );
            }
        }
    }
}
