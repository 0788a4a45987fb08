use super::{describe, exposing_gateways, matches};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL402",
    name: "mutating-method-exposed",
    severity: Severity::Info,
    summary: "a route on a north-south gateway explicitly exposes a mutating method on a path not declared public",
    doc: include_str!("../../../rules/AL402-mutating-method-exposed.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

const MUTATING: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for route in &ctx.model.http_routes {
        let Some((_, gw)) = exposing_gateways(ctx.model, route, ctx.path_of(route.meta.object))
            .into_iter()
            .next()
        else {
            continue;
        };
        for rule in &route.rules {
            // A rule without backends (a redirect, or nothing) forwards nothing to anyone.
            if rule.backend_refs.is_empty() {
                continue;
            }
            for m in matches(rule) {
                let Some(method) = m.method.filter(|x| MUTATING.contains(x)) else {
                    continue;
                };
                if ctx.options.public_mutations.iter().any(|p| p.covers(&m)) {
                    continue;
                }
                out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, m.location.clone()),
                        format!(
                            "this match makes {method} on {} reachable from outside through Gateway `{}`: make sure the backend authenticates and authorizes it",
                            describe(m.path),
                            qualified(Some(&gw.meta.namespace), &gw.meta.name)
                        ),
                    )
                    .help(format!(
                        "if this is meant to be public, declare it: `--public-mutation '{method} <path>'`"
                    )),
                );
            }
        }
    }
}
