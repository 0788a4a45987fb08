//! Each intended flow judged by the engine: its ends expanded to the pods they mean (a
//! Service's selected workloads on its target port), every pair judged under ambient.

use crate::engine::ip::IpRange;
use crate::engine::wire::{AppFlow, Judgement};
use crate::engine::{Endpoint, Engine, Verdict};
use crate::model::reader::IntOrString;

use super::{Flow, FlowSource, FlowTarget};

/// One source pod group to one destination pod group, on the destination's port.
#[derive(Clone, Debug)]
pub struct Pair {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub port: Option<u16>,
    pub judgement: Judgement,
}

/// A flow and what the engine says of it.
#[derive(Clone, Debug)]
pub struct FlowVerdict {
    pub pairs: Vec<Pair>,
    /// Why the flow could not be judged (a Service that selects no workload in the input).
    pub not_judged: Option<String>,
}

/// Denied if any pair is, allowed if all are; unknown otherwise (or with nothing to judge).
fn combine(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut any = false;
    let mut out = Verdict::Allowed;
    for v in verdicts {
        any = true;
        out = match (out, v) {
            (Verdict::Denied, _) | (_, Verdict::Denied) => Verdict::Denied,
            (Verdict::Allowed, Verdict::Allowed) => Verdict::Allowed,
            _ => Verdict::Unknown,
        };
    }
    if any { out } else { Verdict::Unknown }
}

impl FlowVerdict {
    pub fn verdict(&self) -> Verdict {
        combine(self.pairs.iter().map(|p| p.judgement.verdict()))
    }

    pub fn network(&self) -> Verdict {
        combine(self.pairs.iter().map(|p| p.judgement.network()))
    }

    pub fn authorization(&self) -> Verdict {
        combine(self.pairs.iter().map(|p| p.judgement.authorization()))
    }

    /// Whether some pair is admitted by every layer (a forbidden flow that gets through).
    pub fn some_pair_allowed(&self) -> bool {
        self.pairs
            .iter()
            .any(|p| p.judgement.verdict() == Verdict::Allowed)
    }
}

fn everywhere() -> Endpoint {
    Endpoint::Ip(IpRange::everything(false))
}

/// The pods a flow's source means.
pub fn sources(engine: &Engine, from: &FlowSource) -> Vec<Endpoint> {
    match from {
        FlowSource::Workload(i) => vec![Endpoint::Workload(*i)],
        FlowSource::Gateway(g) => vec![engine.gateway_endpoint(*g)],
        FlowSource::Namespace(ns) => engine
            .model
            .workloads_in(ns)
            .map(|(i, _)| Endpoint::Workload(i))
            .collect(),
        FlowSource::External => vec![everywhere()],
    }
}

fn port_u16(n: i64) -> Option<u16> {
    u16::try_from(n).ok().filter(|p| *p > 0)
}

/// Destination pods, the port they listen on, and the Service addressed (index and port), if any.
pub type Destination = (Endpoint, Option<u16>, Option<(usize, u16)>);

/// The pods a flow's target means, each with the port they listen on and the Service
/// addressed; or why there are none.
pub fn destinations(engine: &Engine, to: &FlowTarget) -> Result<Vec<Destination>, String> {
    let model = engine.model;
    match to {
        FlowTarget::Service { service, port } => {
            let svc = &model.services[*service];
            let Some(selector) = &svc.selector else {
                return Err(format!(
                    "Service `{}/{}` has no selector: its endpoints are not in the input",
                    svc.meta.namespace, svc.meta.name
                ));
            };
            let sp = &svc.ports[*port];
            let workloads = model.select_workloads(Some(&svc.meta.namespace), selector);
            if workloads.is_empty() {
                return Err(format!(
                    "Service `{}/{}` selects no workload in the input",
                    svc.meta.namespace, svc.meta.name
                ));
            }
            let mut out = Vec::new();
            for w in workloads {
                let target = match &sp.target_port {
                    None => port_u16(sp.port),
                    Some(IntOrString::Int(n)) => port_u16(*n),
                    Some(IntOrString::String(name)) => {
                        match model.workloads[w]
                            .container_ports()
                            .find(|p| p.name.as_deref() == Some(name.as_str()))
                        {
                            Some(p) => port_u16(p.port),
                            // A target port the pods do not name: no endpoint (AL309's ground).
                            None => continue,
                        }
                    }
                };
                out.push((
                    Endpoint::Workload(w),
                    target,
                    port_u16(sp.port).map(|p| (*service, p)),
                ));
            }
            if out.is_empty() {
                return Err(format!(
                    "no workload of Service `{}/{}` names its target port",
                    svc.meta.namespace, svc.meta.name
                ));
            }
            Ok(out)
        }
        FlowTarget::Workload { workload, port } => Ok(vec![(
            Endpoint::Workload(*workload),
            port.and_then(port_u16),
            None,
        )]),
        FlowTarget::Namespace { namespace, port } => {
            let out: Vec<_> = model
                .workloads_in(namespace)
                .map(|(i, _)| (Endpoint::Workload(i), port.and_then(port_u16), None))
                .collect();
            if out.is_empty() {
                return Err(format!(
                    "namespace `{namespace}` has no workload in the input"
                ));
            }
            Ok(out)
        }
        FlowTarget::External { port } => Ok(vec![(everywhere(), port.and_then(port_u16), None)]),
    }
}

/// Judges a flow: every source pod group to every destination pod group.
pub fn judge(engine: &Engine, flow: &Flow) -> FlowVerdict {
    let srcs = sources(engine, &flow.from);
    let dsts = match destinations(engine, &flow.to) {
        Ok(d) => d,
        Err(why) => {
            return FlowVerdict {
                pairs: Vec::new(),
                not_judged: Some(why),
            };
        }
    };
    let mut pairs = Vec::with_capacity(srcs.len() * dsts.len());
    for src in &srcs {
        for (dst, port, service) in &dsts {
            if src == dst {
                continue;
            }
            let app = AppFlow {
                src: src.clone(),
                dst: dst.clone(),
                protocol: flow.protocol.clone(),
                port: *port,
                service: service.map(|(s, _)| s),
                service_port: service.map(|(_, p)| p),
                methods: flow.methods.clone(),
                paths: flow.paths.clone(),
            };
            pairs.push(Pair {
                src: src.clone(),
                dst: dst.clone(),
                port: *port,
                judgement: engine.judge(&app),
            });
        }
    }
    let not_judged = pairs
        .is_empty()
        .then(|| "the source and the destination are the same pods".to_string());
    FlowVerdict { pairs, not_judged }
}
