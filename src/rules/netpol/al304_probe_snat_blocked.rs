use super::{Coverage, Direction};
use crate::engine::ip::IpRange;
use crate::engine::{Endpoint, Verdict};
use crate::finding::{Finding, Location, Severity};
use crate::model::reader::IntOrString;
use crate::model::resources::Workload;
use crate::model::{Dataplane, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL304",
    name: "probe-snat-blocked",
    severity: Severity::Warning,
    summary: "an ambient pod with network probes has restricted ingress that does not admit 169.254.7.127, the address kubelet probes arrive from",
    doc: include_str!("../../../rules/AL304-probe-snat-blocked.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// The address istio-cni SNATs kubelet probes of ambient pods to (`HOST_PROBE_SNAT_IP`).
pub const PROBE_SNAT_IP: &str = "169.254.7.127";

fn probe_port(w: &Workload, port: &IntOrString) -> Option<i64> {
    match port {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(name) => w
            .container_ports()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.port),
    }
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let selecting = ctx.selecting_policies();
    for (i, w) in model.workloads.iter().enumerate() {
        if model.workload_dataplane(w) != Dataplane::Ambient {
            ctx.unjudged_workload(i);
            continue;
        }
        let cov = Coverage::of(model, &selecting[i], Direction::Ingress);
        if !cov.is_restricted() {
            continue;
        }
        // What ingress admits from the probe address, judged as any other peer.
        let from_probe = ctx.engine().admission(
            Direction::Ingress,
            &Endpoint::Workload(i),
            &Endpoint::Ip(IpRange::parse(PROBE_SNAT_IP).expect("a valid address")),
        );
        for probe in w.containers.iter().flat_map(|c| &c.network_probes) {
            let port = probe.port.as_ref().and_then(|p| probe_port(w, p));
            let admitted = match port {
                Some(n) => {
                    from_probe.verdict("TCP", u16::try_from(n).unwrap_or(0)) != Verdict::Denied
                }
                None => from_probe.possible.has_protocol("TCP"),
            };
            if admitted {
                continue;
            }
            let mut f = finding(
                &RULE,
                Location::field(w.meta.object, probe.path.clone()),
                format!(
                    "kubelet probes of `{}` ({}, ambient) arrive from {PROBE_SNAT_IP}, which its restricted ingress does not admit: where the CNI enforces it, the probe fails and the pod is restarted or never ready",
                    qualified(Some(&w.meta.namespace), &w.meta.name),
                    w.kind
                ),
            )
            .help(format!(
                "allow ingress from `ipBlock: {{cidr: {PROBE_SNAT_IP}/32}}`{} in a policy selecting these pods",
                port.map_or(String::new(), |n| format!(" on port {n}"))
            ));
            if let Some(p) = cov.primary(Direction::Ingress) {
                f = f.related(
                    Location::field(p.meta.object, super::direction_path(p, Direction::Ingress)),
                    "restricts this pod's ingress",
                );
            }
            out.push(f);
            break; // one finding per workload
        }
    }
}
