use super::{
    Coverage, Direction, Grouped, HBONE_PORT, NearMisses, add_hbone_port_fix, note_near_miss,
    relate_ambient_labels, with_near_miss,
};
use crate::engine::Endpoint;
use crate::finding::{Finding, Severity};
use crate::model::Dataplane;
use crate::model::qualified;
use crate::rules::{Context, Rule};

pub static RULE: Rule = Rule {
    code: "AL301",
    name: "missing-hbone-egress",
    severity: Severity::Error,
    summary: "an ambient pod's egress is restricted and no policy allows TCP 15008: every mesh connection it opens times out",
    doc: include_str!("../../../rules/AL301-missing-hbone-egress.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Unsafe),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    let mut grouped = Grouped::new();
    let mut misses = NearMisses::new();
    for (i, w) in model.workloads.iter().enumerate() {
        if model.workload_dataplane(w) != Dataplane::Ambient {
            ctx.unjudged_workload(i);
            continue;
        }
        let cov = Coverage::of(model, &selecting[i], Direction::Egress);
        // A pod with no egress allowed at all is isolated on purpose; it opens no connections.
        if cov.rules(Direction::Egress).next().is_none()
            || ctx.engine().may_admit_pods(
                &Endpoint::Workload(i),
                Direction::Egress,
                "TCP",
                HBONE_PORT as u16,
            )
        {
            continue;
        }
        if let Some(p) = cov.primary(Direction::Egress) {
            note_near_miss(&mut misses, p, &cov, Direction::Egress, "TCP", HBONE_PORT);
            grouped.add(p, w);
        }
    }
    grouped.emit_with(
        &RULE,
        Direction::Egress,
        out,
        |policy, names| {
            (
                format!(
                    "egress of {names} (ambient) is restricted by NetworkPolicy `{}` and no policy selecting it allows TCP {HBONE_PORT}: ztunnel carries every outbound mesh connection over HBONE to port {HBONE_PORT}, so they all time out",
                    qualified(Some(&policy.meta.namespace), &policy.meta.name)
                ),
                format!("add an egress rule allowing TCP {HBONE_PORT} (`- ports: [{{port: {HBONE_PORT}, protocol: TCP}}]`); the application ports in the other rules are not what goes on the wire for mesh destinations"),
            )
        },
        "runs in ambient and is selected by this policy",
        |policy, workloads, f| {
            let f = with_near_miss(&misses, policy, HBONE_PORT, "TCP", "HBONE is TCP", f)
                .fix(add_hbone_port_fix(ctx, policy, Direction::Egress));
            relate_ambient_labels(model, workloads, f)
        },
    );
}
