use super::{denied_authz, denied_pairs, more, same_cause_authz, target_name};
use crate::engine::authz::Enforcer;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL502",
    name: "flow-blocked-by-authorization",
    severity: Severity::Error,
    summary: "a flow the manifests intend is refused by AuthorizationPolicy (no ALLOW rule matches the identity that arrives, or a DENY rule does) or by a STRICT PeerAuthentication",
    doc: include_str!("../../../rules/AL502-flow-blocked-by-authorization.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let engine = ctx.engine();
    let model = ctx.model;
    for (flow, verdict) in ctx.flows().flows.iter().zip(ctx.flow_verdicts()) {
        if flow.forbidden {
            continue;
        }
        let denied: Vec<_> =
            denied_pairs(&verdict.pairs, |p| p.judgement.authorization()).collect();
        let Some(pair) = denied.first() else {
            continue;
        };
        let Some(a) = denied_authz(pair) else {
            continue;
        };
        let enforcer = match &a.enforcer {
            Enforcer::Ztunnel => format!("the ztunnel of {}", engine.describe(&a.at)),
            Enforcer::Envoy => format!("the Envoy proxy of {}", engine.describe(&a.at)),
            Enforcer::Waypoint { .. } => engine.describe(&a.at),
        };
        let identity = match &a.identity {
            Some(id) => format!(
                "as `{}/ns/{}/sa/{}`",
                model.options.trust_domain, id.namespace, id.account
            ),
            None => "in plain text, with no identity".to_string(),
        };
        let head = format!(
            "the flow from {} to {} ({}) is refused",
            engine.describe(&pair.src),
            target_name(engine, flow, pair),
            flow.origin.detail,
        );
        let mut f = if let Some(pa) = a.strict {
            let m = &model.peer_authentications[pa].meta;
            finding(
                &RULE,
                flow.origin.at.clone(),
                format!(
                    "{head} by PeerAuthentication `{}` (STRICT) at {enforcer}: it arrives {identity} from outside the mesh{}",
                    qualified(Some(&m.namespace), &m.name),
                    more(denied.len())
                ),
            )
            .help("enrol the source in the mesh, or set the destination's mTLS mode to PERMISSIVE for this port")
            .related(Location::field(m.object, "spec"), "requires mTLS")
        } else {
            let decision = a.outcome.decided_by.first();
            let (policy, effect) = match decision {
                Some(d) => {
                    let m = &model.authorization_policies[d.policy].meta;
                    (
                        format!("`{}`", qualified(Some(&m.namespace), &m.name)),
                        d.effect.clone(),
                    )
                }
                None => ("an AuthorizationPolicy".to_string(), String::new()),
            };
            let behind_waypoint = matches!(a.enforcer, Enforcer::Ztunnel)
                && pair.judgement.plans.iter().any(|p| {
                    p.authz
                        .iter()
                        .any(|x| matches!(x.enforcer, Enforcer::Waypoint { .. }))
                });
            let same = match same_cause_authz(engine, a) {
                Some(code) => format!(" ({code}: its rules that use HTTP attributes are dropped)"),
                None if behind_waypoint => {
                    " (behind a waypoint the destination sees the waypoint's identity, not the client's)".to_string()
                }
                None => String::new(),
            };
            let mut f = finding(
                &RULE,
                flow.origin.at.clone(),
                format!(
                    "{head} by AuthorizationPolicy {policy} at {enforcer}: it arrives {identity}, and {effect}{same}{}",
                    more(denied.len())
                ),
            )
            .help(match &a.identity {
                Some(id) => format!(
                    "allow `{}/ns/{}/sa/{}` in a rule ztunnel can enforce (principals, namespaces, ports), or attach HTTP rules to a waypoint",
                    model.options.trust_domain, id.namespace, id.account
                ),
                None => "sources outside the mesh have no identity: allow them by `ipBlocks`, or enrol them in the mesh".to_string(),
            });
            for d in &a.outcome.decided_by {
                f = f.related(engine.decision_location(d), d.effect.clone());
            }
            f
        };
        if let Some(at) = engine.location(&pair.src) {
            f = f.related(at, "the source, whose identity arrives");
        }
        out.push(f);
    }
}
