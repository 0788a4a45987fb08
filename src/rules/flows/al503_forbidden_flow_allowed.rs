use super::target_name;
use crate::engine::Verdict;
use crate::finding::{Finding, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL503",
    name: "forbidden-flow-allowed",
    severity: Severity::Error,
    summary: "a flow the config forbids (`forbidden-flows:`) is admitted by NetworkPolicy and AuthorizationPolicy alike",
    doc: include_str!("../../../rules/AL503-forbidden-flow-allowed.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let engine = ctx.engine();
    for (flow, verdict) in ctx.flows().flows.iter().zip(ctx.flow_verdicts()) {
        if !flow.forbidden {
            continue;
        }
        let Some(pair) = verdict
            .pairs
            .iter()
            .find(|p| p.judgement.verdict() == Verdict::Allowed)
        else {
            continue;
        };
        let mut f = finding(
            &RULE,
            flow.origin.at.clone(),
            format!(
                "the flow from {} to {} ({}) is forbidden, but every layer admits it, on the wire {}",
                engine.describe(&pair.src),
                target_name(engine, flow, pair),
                flow.origin.detail,
                pair.judgement.wire(),
            ),
        )
        .help("deny it: a NetworkPolicy that isolates the destination (or the source's egress) without admitting this peer, or an AuthorizationPolicy that does not allow the source's identity");
        if let Some(plan) = pair.judgement.plans.first() {
            let mut isolated = false;
            for leg in &plan.legs {
                isolated |= leg.egress.isolated || leg.ingress.isolated;
                for (_, _, at, what) in engine.leg_deciders(leg) {
                    f = f.related(at, what);
                }
            }
            for a in &plan.authz {
                for d in &a.outcome.decided_by {
                    f = f.related(engine.decision_location(d), d.effect.clone());
                }
            }
            if !isolated {
                f.message.push_str("; no NetworkPolicy isolates either end");
            }
        }
        if let Some(at) = engine.location(&pair.dst) {
            f = f.related(at, "the destination pods");
        }
        out.push(f);
    }
}
