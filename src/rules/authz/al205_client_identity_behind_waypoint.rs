use std::collections::BTreeSet;

use super::covered_workloads;
use crate::finding::{Finding, Location, Severity};
use crate::model::identity::{principal_namespace, wildcard_match};
use crate::model::{Model, generated_service_account, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL205",
    name: "client-identity-behind-waypoint",
    severity: Severity::Error,
    summary: "a ztunnel policy on a workload reached through a waypoint names the original clients: the destination sees the waypoint's identity",
    doc: include_str!("../../../rules/AL205-client-identity-behind-waypoint.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// The waypoint a workload's traffic arrives through: (gateway index, its principal).
fn waypoint_in_front(model: &Model, w: usize) -> Option<(usize, String)> {
    let wl = &model.workloads[w];
    let via_service = model
        .services_selecting(wl)
        .filter_map(|s| model.service_waypoint(s))
        .find_map(|u| {
            model
                .waypoint_gateway(&u)
                .filter(|g| matches!(model.waypoint_for(g), "service" | "all"))
        });
    let via_pod = model.workload_waypoint(wl).and_then(|u| {
        model
            .waypoint_gateway(&u)
            .filter(|g| matches!(model.waypoint_for(g), "workload" | "all"))
    });
    let g = via_service.or(via_pod)?;
    let index = model.gateway_index_of(g)?;
    let sa = generated_service_account(g, &model.gateway_classes)?;
    Some((
        index,
        format!(
            "{}/ns/{}/sa/{sa}",
            model.options.trust_domain, g.meta.namespace
        ),
    ))
}

/// Identities that still reach the destination directly: ingress gateways skip waypoints unless
/// told otherwise (`istio.io/ingress-use-waypoint`), so naming them is right.
fn ingress_identities(model: &Model) -> Vec<(String, String)> {
    model
        .gateway_deployments
        .iter()
        .filter(|d| !model.gateways[d.gateway].is_waypoint())
        .map(|d| {
            (
                d.namespace.clone(),
                format!(
                    "{}/ns/{}/sa/{}",
                    model.options.trust_domain, d.namespace, d.service_account
                ),
            )
        })
        .collect()
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let ingress = ingress_identities(model);
    let mut reported = BTreeSet::new();
    let refs = ctx
        .principal_refs()
        .iter()
        .map(|r| (r.policy, r.path.clone(), r.value.clone(), true))
        .chain(
            ctx.namespace_refs()
                .iter()
                .filter(|r| !r.in_principal)
                .map(|r| (r.policy, r.path.clone(), r.value.to_string(), false)),
        );
    for (policy, path, value, is_principal) in refs {
        if !policy.target_refs.is_empty() {
            continue;
        }
        let Some((gw, waypoint_principal)) =
            covered_workloads(model, &policy.meta, policy.selector.as_ref())
                .into_iter()
                .find_map(|w| waypoint_in_front(model, w))
        else {
            continue;
        };
        let g = &model.gateways[gw];
        let names_waypoint = if is_principal {
            wildcard_match(&value, &waypoint_principal)
        } else {
            wildcard_match(&value, &g.meta.namespace)
        };
        let names_ingress = ingress.iter().any(|(ns, p)| {
            if is_principal {
                wildcard_match(&value, p)
                    || (principal_namespace(&value) == Some(ns.as_str())
                        && value.ends_with("/sa/*"))
            } else {
                wildcard_match(&value, ns)
            }
        });
        if names_waypoint || names_ingress || !reported.insert((policy.meta.object, path.clone())) {
            continue;
        }
        out.push(
            finding(
                &RULE,
                Location::field(policy.meta.object, path),
                format!(
                    "traffic to the workloads of this policy goes through waypoint `{}`, so ztunnel at the destination sees the waypoint's identity `{waypoint_principal}`, not `{value}`: this condition never matches mesh traffic",
                    qualified(Some(&g.meta.namespace), &g.meta.name)
                ),
            )
            .help("move client conditions to a policy on the waypoint (`targetRefs` to the Gateway or the Service), and let this policy allow only the waypoint's principal")
            .related(Location::field(g.meta.object, "metadata.name"), "the waypoint in front of these workloads"),
        );
    }
}
