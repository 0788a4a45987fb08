//! AL5xx: the flows the manifests intend (routes, env values, the config), judged end to end by
//! the policy engine (docs/flows.md).

pub mod al501_flow_blocked_by_networkpolicy;
pub mod al502_flow_blocked_by_authorization;
pub mod al503_forbidden_flow_allowed;

use crate::engine::authz::{Enforcer, RuleParts};
use crate::engine::wire::{AuthzJudgement, HBONE_PORT, LegJudgement};
use crate::engine::{Direction, Endpoint, Engine, Verdict};
use crate::finding::Finding;
use crate::flows::verdict::Pair;
use crate::flows::{Flow, FlowTarget};
use crate::model::qualified;
use crate::model::resources::Action;
use crate::rules::Context;

/// `Service `inventory/inventory-service` port 8000`, `Deployment `ecom/ecom-db``.
pub fn target_name(engine: &Engine, flow: &Flow, pair: &Pair) -> String {
    let model = engine.model;
    match &flow.to {
        FlowTarget::Service { service, port } => {
            let s = &model.services[*service];
            format!(
                "Service `{}` port {}",
                qualified(Some(&s.meta.namespace), &s.meta.name),
                s.ports[*port].port
            )
        }
        _ => match pair.port {
            Some(p) => format!("{} port {p}", engine.describe(&pair.dst)),
            None => engine.describe(&pair.dst),
        },
    }
}

/// The pairs of a flow whose verdict in one layer is `Denied`, the first first.
pub fn denied_pairs<'v>(
    pairs: &'v [Pair],
    layer: impl Fn(&Pair) -> Verdict + 'v,
) -> impl Iterator<Item = &'v Pair> + 'v {
    pairs.iter().filter(move |p| layer(p) == Verdict::Denied)
}

/// " (and 2 more destinations)" when a flow is cut to several pod groups.
pub fn more(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => " (and 1 more destination)".to_string(),
        n => format!(" (and {} more destinations)", n - 1),
    }
}

/// The first leg NetworkPolicy denies, in the first plan that denies.
pub fn denied_leg(pair: &Pair) -> Option<&LegJudgement> {
    pair.judgement
        .plans
        .iter()
        .filter(|p| p.network() == Verdict::Denied)
        .flat_map(|p| &p.legs)
        .find(|l| l.verdict() == Verdict::Denied)
}

/// The first authorization check that refuses, in the first plan that refuses.
pub fn denied_authz(pair: &Pair) -> Option<&AuthzJudgement> {
    pair.judgement
        .plans
        .iter()
        .filter(|p| p.authorization() == Verdict::Denied)
        .flat_map(|p| &p.authz)
        .find(|a| a.verdict() == Verdict::Denied)
}

/// The AL3xx rule that reports the same cause on the same policy, if any: a restricted
/// direction that admits HBONE to or from no pod at all.
pub fn same_cause_netpol(
    engine: &Engine,
    leg: &LegJudgement,
    dir: Direction,
) -> Option<&'static str> {
    if !leg.leg.hbone {
        return None;
    }
    let (local, code) = match dir {
        Direction::Egress => (&leg.leg.src, "AL301"),
        Direction::Ingress => (&leg.leg.dst, "AL302"),
    };
    (matches!(local, Endpoint::Workload(_))
        && engine.role(local) == crate::engine::Role::Ambient
        && !engine.may_admit_pods(local, dir, "TCP", HBONE_PORT))
    .then_some(code)
}

/// The AL2xx rule that reports why an ALLOW policy refuses at ztunnel, if it is that its rules
/// use HTTP attributes (dropped, AL201).
pub fn same_cause_authz(engine: &Engine, a: &AuthzJudgement) -> Option<&'static str> {
    if !matches!(a.enforcer, Enforcer::Ztunnel) {
        return None;
    }
    a.outcome.decided_by.iter().find_map(|d| {
        let p = &engine.model.authorization_policies[d.policy];
        (p.action == Action::Allow
            && d.rule.is_none()
            && p.rules.iter().any(|r| !RuleParts::of(r).l7().is_empty()))
        .then_some("AL201")
    })
}

/// Notes, for the summary, flows whose verdict turns on a namespace's unknown enrolment.
pub fn note_unknown(ctx: &Context, flow: &Flow, pair: &Pair) {
    if pair.judgement.verdict() != Verdict::Unknown {
        return;
    }
    if let Some(ns) = [&pair.src, &pair.dst]
        .into_iter()
        .filter(|e| ctx.engine().role(e) == crate::engine::Role::Unknown)
        .find_map(|e| ctx.engine().namespace_of(e))
    {
        ctx.unjudged_at(
            crate::rules::Unjudged::UnknownDataplane,
            ns,
            &flow.origin.at,
        );
    }
}

pub fn push_related_netpol(engine: &Engine, leg: &LegJudgement, mut f: Finding) -> Finding {
    for (_, _, at, what) in engine.leg_deciders(leg) {
        f = f.related(at, what);
    }
    f
}
