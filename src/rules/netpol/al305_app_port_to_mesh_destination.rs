use std::collections::BTreeSet;

use super::{Coverage, Direction, HBONE_PORT};
use crate::engine::{Endpoint, Verdict};
use crate::finding::{Finding, Location, Severity};
use crate::model::{Dataplane, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL305",
    name: "app-port-to-mesh-destination",
    severity: Severity::Warning,
    summary: "an egress rule allows an ambient destination's app port but nothing allows TCP 15008 to it: on the wire that traffic is HBONE to 15008",
    doc: include_str!("../../../rules/AL305-app-port-to-mesh-destination.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    let mut reported = BTreeSet::new();
    for (i, w) in model.workloads.iter().enumerate() {
        if model.workload_dataplane(w) != Dataplane::Ambient {
            ctx.unjudged_workload(i);
            continue;
        }
        let cov = Coverage::of(model, &selecting[i], Direction::Egress);
        // With no 15008 at all, AL301 already reports the pod.
        let engine = ctx.engine();
        let source = Endpoint::Workload(i);
        if !engine.may_admit_pods(&source, Direction::Egress, "TCP", HBONE_PORT as u16) {
            continue;
        }
        for policy in &cov.restricting {
            for rule in &policy.egress {
                if rule.peers.is_empty()
                    || rule.ports.is_empty()
                    || rule.admits_port("TCP", HBONE_PORT)
                {
                    continue;
                }
                let destinations: BTreeSet<usize> = rule
                    .peers
                    .iter()
                    .flat_map(|p| engine.peer_workloads(&policy.meta.namespace, p))
                    .filter(|&d| {
                        model.workload_dataplane(&model.workloads[d]) == Dataplane::Ambient
                    })
                    .collect();
                for d in destinations {
                    let dw = &model.workloads[d];
                    // Through a waypoint, the tunnel goes to the waypoint's pods, not to these.
                    if model.workload_waypoint(dw).is_some()
                        || model
                            .services_selecting(dw)
                            .any(|s| model.service_waypoint(s).is_some())
                    {
                        continue;
                    }
                    // Judged as the engine judges any connection: this pod's egress to that one.
                    let hbone_to_d = engine
                        .admission(Direction::Egress, &source, &Endpoint::Workload(d))
                        .verdict("TCP", HBONE_PORT as u16)
                        != Verdict::Denied;
                    if hbone_to_d || !reported.insert((policy.meta.object, rule.path.clone())) {
                        continue;
                    }
                    out.push(
                        finding(
                            &RULE,
                            Location::field(policy.meta.object, rule.path.key("ports")),
                            format!(
                                "this egress rule allows the application port of `{}` ({}, ambient), but no egress rule of `{}` allows TCP {HBONE_PORT} to it: ztunnel sends that traffic as HBONE to port {HBONE_PORT} of the destination pod, so it is blocked",
                                qualified(Some(&dw.meta.namespace), &dw.meta.name),
                                dw.kind,
                                qualified(Some(&w.meta.namespace), &w.meta.name)
                            ),
                        )
                        .help(format!("add `{{port: {HBONE_PORT}, protocol: TCP}}` to this rule's ports"))
                        .related(Location::field(dw.meta.object, "metadata.name"), "the in-mesh destination"),
                    );
                }
            }
        }
    }
}
