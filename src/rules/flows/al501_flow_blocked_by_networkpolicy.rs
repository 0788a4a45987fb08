use super::{
    denied_leg, denied_pairs, more, note_unknown, push_related_netpol, same_cause_netpol,
    target_name,
};
use crate::engine::Direction;
use crate::engine::Verdict;
use crate::finding::{Finding, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL501",
    name: "flow-blocked-by-networkpolicy",
    severity: Severity::Error,
    summary: "a flow the manifests intend (a route's backend, a Service named in an env value, a declared flow) is denied by NetworkPolicy on the port ambient puts on the wire",
    doc: include_str!("../../../rules/AL501-flow-blocked-by-networkpolicy.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let engine = ctx.engine();
    for (flow, verdict) in ctx.flows().flows.iter().zip(ctx.flow_verdicts()) {
        if flow.forbidden {
            continue;
        }
        for pair in &verdict.pairs {
            note_unknown(ctx, flow, pair);
        }
        let denied: Vec<_> = denied_pairs(&verdict.pairs, |p| p.judgement.network()).collect();
        let Some(pair) = denied.first() else {
            // Cut in every reading of the input, but not by the same layer in each.
            if let Some(pair) = verdict.pairs.iter().find(|p| {
                p.judgement.verdict() == Verdict::Denied
                    && p.judgement.authorization() != Verdict::Denied
            }) {
                out.push(cut_every_way(engine, flow, pair));
            }
            continue;
        };
        let Some(leg) = denied_leg(pair) else {
            continue;
        };
        let dir = if leg.egress_verdict == Verdict::Denied {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let (local, remote, towards) = match dir {
            Direction::Egress => (&leg.leg.src, &leg.leg.dst, "to"),
            Direction::Ingress => (&leg.leg.dst, &leg.leg.src, "from"),
        };
        let admission = match dir {
            Direction::Egress => &leg.egress,
            Direction::Ingress => &leg.ingress,
        };
        let policies: Vec<String> = admission
            .isolating
            .iter()
            .map(|&p| {
                let m = &engine.model.network_policies[p].meta;
                qualified(Some(&m.namespace), &m.name)
            })
            .collect();
        let wire = leg.leg.wire();
        // When the input does not show whether an end is in ambient, every reading is judged
        // and all of them are cut: say so rather than claim one.
        let mut wires: Vec<String> = Vec::new();
        for plan in &pair.judgement.plans {
            if let Some(l) = plan.legs.iter().find(|l| l.verdict() == Verdict::Denied)
                && !wires.contains(&l.leg.wire())
            {
                wires.push(l.leg.wire());
            }
        }
        let wire_text = if wires.len() > 1 {
            format!(
                "{} or {}, as the input does not show whether {} is in ambient, and neither is admitted: the",
                wires[..wires.len() - 1].join(", "),
                wires[wires.len() - 1],
                unknown_end(engine, pair)
            )
        } else {
            format!("{wire}, which the")
        };
        let same = same_cause_netpol(engine, leg, dir)
            .map(|code| format!(" ({code} reports this policy)"))
            .unwrap_or_default();
        let through = if pair
            .judgement
            .plans
            .first()
            .is_some_and(|p| p.legs.len() > 1)
        {
            " through its waypoint"
        } else {
            ""
        };
        let message = format!(
            "the flow from {} to {}{through} ({}) is blocked by NetworkPolicy: on the wire it is {wire_text} {} of {} (restricted by {}) does not admit {towards} {}, so {}{same}{}",
            engine.describe(&pair.src),
            target_name(engine, flow, pair),
            flow.origin.detail,
            dir.key(),
            engine.describe(local),
            crate::rules::list(&policies),
            engine.describe(remote),
            if matches!(flow.from, crate::flows::FlowSource::Gateway(_)) {
                "requests time out and the gateway answers 504"
            } else {
                "connections time out"
            },
            more(denied.len()),
        );
        let help = format!(
            "admit {wire} {towards} {} in a NetworkPolicy that selects {}{}",
            engine.describe(remote),
            engine.describe(local),
            if leg.leg.hbone {
                "; between mesh pods the application port is never on the wire"
            } else {
                ""
            }
        );
        let mut f = finding(&RULE, flow.origin.at.clone(), message).help(help);
        f = push_related_netpol(engine, leg, f);
        if let Some(at) = engine.location(&pair.dst) {
            f = f.related(at, "the destination pods");
        }
        out.push(f);
    }
}

/// The namespace of the end whose enrolment the input does not show, for messages.
fn unknown_end(engine: &crate::engine::Engine, pair: &crate::flows::verdict::Pair) -> String {
    [&pair.src, &pair.dst]
        .into_iter()
        .find(|e| engine.role(e) == crate::engine::Role::Unknown)
        .and_then(|e| engine.namespace_of(e))
        .map_or("an end".to_string(), |ns| format!("namespace `{ns}`"))
}

/// A flow every reading of the input cuts, NetworkPolicy in some readings and authorization in
/// others: one finding that names each reading's cause.
fn cut_every_way(
    engine: &crate::engine::Engine,
    flow: &crate::flows::Flow,
    pair: &crate::flows::verdict::Pair,
) -> Finding {
    let model = engine.model;
    let mut causes = Vec::new();
    let mut f_related = Vec::new();
    for plan in &pair.judgement.plans {
        let reading = plan.reading.clone().unwrap_or_default();
        if let Some(leg) = plan.legs.iter().find(|l| l.verdict() == Verdict::Denied) {
            causes.push(format!(
                "{reading}, NetworkPolicy does not admit {} to {}",
                leg.leg.wire(),
                engine.describe(&leg.leg.dst)
            ));
            f_related.extend(
                engine
                    .leg_deciders(leg)
                    .into_iter()
                    .map(|(_, _, at, what)| (at, what)),
            );
        } else if let Some(a) = plan.authz.iter().find(|a| a.verdict() == Verdict::Denied) {
            match a.strict {
                Some(pa) => {
                    let m = &model.peer_authentications[pa].meta;
                    causes.push(format!(
                        "{reading}, PeerAuthentication `{}` (STRICT) refuses plain text",
                        qualified(Some(&m.namespace), &m.name)
                    ));
                    f_related.push((
                        crate::finding::Location::field(m.object, "spec"),
                        "requires mTLS".to_string(),
                    ));
                }
                None => {
                    for d in &a.outcome.decided_by {
                        let m = &model.authorization_policies[d.policy].meta;
                        causes.push(format!(
                            "{reading}, AuthorizationPolicy `{}` refuses it",
                            qualified(Some(&m.namespace), &m.name)
                        ));
                        f_related.push((engine.decision_location(d), d.effect.clone()));
                    }
                }
            }
        }
    }
    let mut f = finding(
        &RULE,
        flow.origin.at.clone(),
        format!(
            "the flow from {} to {} ({}) is cut whichever way the input is read: {}",
            engine.describe(&pair.src),
            target_name(engine, flow, pair),
            flow.origin.detail,
            causes.join("; ")
        ),
    )
    .help(format!(
        "declare the enrolment of {} (`--ambient-namespace`, `cluster.namespaces`) to see the one cause that applies, then admit the flow there",
        unknown_end(engine, pair)
    ));
    for (at, what) in f_related {
        f = f.related(at, what);
    }
    f
}
