//! Flows the config file declares (`flows:`) or forbids (`forbidden-flows:`), and how one is
//! placed in a model.
//!
//! An end is written as `--declare` writes objects: `NAMESPACE/NAME` (a workload of any kind),
//! `NAMESPACE/*` (every workload of the namespace), `Service NAMESPACE/NAME` (a destination),
//! `Gateway NAMESPACE/NAME` (a source: the pods Istio deploys for it), or `external`.

use super::{Flow, FlowOrigin, FlowSource, FlowTarget, OriginKind};
use crate::finding::Location;
use crate::model::{Model, is_waypoint};

/// One end of a declared flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    /// `NAMESPACE/NAME`: the workloads of that name, whatever their kind.
    Workload { namespace: String, name: String },
    /// `NAMESPACE/*`.
    Namespace(String),
    /// `Service NAMESPACE/NAME`, a destination only.
    Service { namespace: String, name: String },
    /// `Gateway NAMESPACE/NAME`, a source only.
    Gateway { namespace: String, name: String },
    /// `external`: outside the cluster.
    External,
}

/// The forms an end may take, for messages.
pub const FLOW_END_FORMS: &str = "`NAMESPACE/NAME` (a workload), `NAMESPACE/*`, `Service NAMESPACE/NAME`, `Gateway NAMESPACE/NAME` or `external`";

impl FlowEnd {
    pub fn parse(text: &str) -> Result<FlowEnd, String> {
        let bad = || format!("`{text}` is not a flow end: write {FLOW_END_FORMS}");
        let words: Vec<&str> = text.split_whitespace().collect();
        let (kind, target) = match words.as_slice() {
            ["external"] => return Ok(FlowEnd::External),
            [target] => (None, *target),
            [kind, target] => (Some(*kind), *target),
            _ => return Err(bad()),
        };
        let (namespace, name) = target.split_once('/').ok_or_else(bad)?;
        let valid = |s: &str| !s.is_empty() && !s.contains(['/', '*']);
        if !valid(namespace) || !(valid(name) || (name == "*" && kind.is_none())) {
            return Err(bad());
        }
        let (namespace, name) = (namespace.to_string(), name.to_string());
        Ok(match kind {
            None if name == "*" => FlowEnd::Namespace(namespace),
            None => FlowEnd::Workload { namespace, name },
            Some("Service" | "service") => FlowEnd::Service { namespace, name },
            Some("Gateway" | "gateway") => FlowEnd::Gateway { namespace, name },
            Some(_) => return Err(bad()),
        })
    }

    pub fn display(&self) -> String {
        match self {
            FlowEnd::Workload { namespace, name } => format!("{namespace}/{name}"),
            FlowEnd::Namespace(ns) => format!("{ns}/*"),
            FlowEnd::Service { namespace, name } => format!("Service {namespace}/{name}"),
            FlowEnd::Gateway { namespace, name } => format!("Gateway {namespace}/{name}"),
            FlowEnd::External => "external".to_string(),
        }
    }
}

/// A port of a declared flow; the protocol is the Service port's (or TCP) unless written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowPort {
    pub port: i64,
    pub protocol: Option<String>,
}

/// The protocols a declared port may name.
pub const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];

/// A flow the config file declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowSpec {
    pub from: FlowEnd,
    pub to: FlowEnd,
    /// Empty: any port (every port of a Service).
    pub ports: Vec<FlowPort>,
    /// From `forbidden-flows:`.
    pub forbidden: bool,
    /// "flows[2] in .ambient-lint.yaml".
    pub entry: String,
    /// The entry in the config file. Parsed, it points into the config file as file 0 of a set
    /// of its own; [`crate::load::Inputs::add_config`] renumbers it to the file's place among
    /// the inputs, as the loader does for every file it adds.
    pub at: Location,
}

/// The flows a spec means in this model, or what the model lacks to place it.
pub(super) fn resolve(model: &Model, spec: &FlowSpec) -> Result<Vec<Flow>, String> {
    let sources = sources(model, &spec.from)?;
    let targets = targets(model, &spec.to, &spec.ports)?;
    let mut out = Vec::new();
    for from in &sources {
        for (to, protocol) in &targets {
            out.push(Flow {
                from: from.clone(),
                to: to.clone(),
                protocol: protocol.clone(),
                methods: Vec::new(),
                paths: Vec::new(),
                origin: FlowOrigin {
                    kind: OriginKind::Config,
                    at: spec.at.clone(),
                    detail: spec.entry.clone(),
                },
                forbidden: spec.forbidden,
            });
        }
    }
    Ok(out)
}

fn workloads_named(model: &Model, namespace: &str, name: &str) -> Result<Vec<usize>, String> {
    let found: Vec<usize> = model
        .workloads_in(namespace)
        .filter(|(_, w)| w.meta.name == name)
        .map(|(i, _)| i)
        .collect();
    if found.is_empty() {
        Err(format!("no workload `{namespace}/{name}` is in the input"))
    } else {
        Ok(found)
    }
}

fn known_namespace(model: &Model, namespace: &str) -> Result<(), String> {
    if model.namespace_known(namespace) {
        Ok(())
    } else {
        Err(format!("namespace `{namespace}` is not in the input"))
    }
}

fn sources(model: &Model, end: &FlowEnd) -> Result<Vec<FlowSource>, String> {
    match end {
        FlowEnd::Workload { namespace, name } => Ok(workloads_named(model, namespace, name)?
            .into_iter()
            .map(FlowSource::Workload)
            .collect()),
        FlowEnd::Namespace(ns) => {
            known_namespace(model, ns)?;
            Ok(vec![FlowSource::Namespace(ns.clone())])
        }
        FlowEnd::Gateway { namespace, name } => {
            let Some(g) = model.gateway_index(namespace, name) else {
                return Err(format!("no Gateway `{namespace}/{name}` is in the input"));
            };
            let gateway = &model.gateways[g];
            let deployed = model.gateway_deployments.iter().any(|d| d.gateway == g);
            if !deployed || is_waypoint(gateway, &model.gateway_classes) {
                return Err(format!(
                    "Gateway `{namespace}/{name}` (class `{}`) is no gateway whose pods Istio deploys",
                    gateway.class_name.value
                ));
            }
            Ok(vec![FlowSource::Gateway(g)])
        }
        FlowEnd::External => Ok(vec![FlowSource::External]),
        // The config reader refuses it; a spec built by hand may still hold it.
        FlowEnd::Service { .. } => Err("a flow cannot start at a Service".to_string()),
    }
}

/// The targets and the protocol of each.
fn targets(
    model: &Model,
    end: &FlowEnd,
    ports: &[FlowPort],
) -> Result<Vec<(FlowTarget, String)>, String> {
    // A declared port, or any port when none is written.
    let each_port: Vec<(Option<i64>, String)> = if ports.is_empty() {
        vec![(None, "TCP".to_string())]
    } else {
        ports
            .iter()
            .map(|p| {
                (
                    Some(p.port),
                    p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                )
            })
            .collect()
    };
    match end {
        FlowEnd::Workload { namespace, name } => {
            let mut out = Vec::new();
            for workload in workloads_named(model, namespace, name)? {
                out.extend(each_port.iter().map(|(port, proto)| {
                    (
                        FlowTarget::Workload {
                            workload,
                            port: *port,
                        },
                        proto.clone(),
                    )
                }));
            }
            Ok(out)
        }
        FlowEnd::Namespace(ns) => {
            known_namespace(model, ns)?;
            Ok(each_port
                .iter()
                .map(|(port, proto)| {
                    (
                        FlowTarget::Namespace {
                            namespace: ns.clone(),
                            port: *port,
                        },
                        proto.clone(),
                    )
                })
                .collect())
        }
        FlowEnd::External => Ok(each_port
            .iter()
            .map(|(port, proto)| (FlowTarget::External { port: *port }, proto.clone()))
            .collect()),
        FlowEnd::Service { namespace, name } => {
            let Some(service) = model
                .services
                .iter()
                .position(|s| s.meta.namespace == *namespace && s.meta.name == *name)
            else {
                return Err(format!("no Service `{namespace}/{name}` is in the input"));
            };
            let svc = &model.services[service];
            if ports.is_empty() {
                if svc.ports.is_empty() {
                    return Err(format!(
                        "the ports of Service `{namespace}/{name}` are not known: name them in `ports`"
                    ));
                }
                return Ok((0..svc.ports.len())
                    .map(|port| {
                        (
                            FlowTarget::Service { service, port },
                            svc.ports[port].protocol.clone(),
                        )
                    })
                    .collect());
            }
            let mut out = Vec::new();
            for p in ports {
                let protocol_matches = |sp: &crate::model::resources::ServicePort| {
                    p.protocol
                        .as_deref()
                        .is_none_or(|proto| proto.eq_ignore_ascii_case(&sp.protocol))
                };
                let Some(port) = svc
                    .ports
                    .iter()
                    .position(|sp| sp.port == p.port && protocol_matches(sp))
                else {
                    return Err(format!(
                        "Service `{namespace}/{name}` has no port {}{}",
                        p.port,
                        p.protocol
                            .as_deref()
                            .map_or(String::new(), |proto| format!("/{proto}"))
                    ));
                };
                out.push((
                    FlowTarget::Service { service, port },
                    svc.ports[port].protocol.clone(),
                ));
            }
            Ok(out)
        }
        FlowEnd::Gateway { .. } => {
            Err("a flow cannot end at a Gateway: name its Service".to_string())
        }
    }
}
