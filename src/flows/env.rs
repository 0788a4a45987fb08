//! Flows from the environment: a workload to each Service an env value names by DNS, whether the
//! value is written in the container (`env[].value`) or taken from a ConfigMap
//! (`valueFrom.configMapKeyRef`, `envFrom[].configMapRef`).
//!
//! The port is the one written, else the scheme's default, else the Service's only port; it must
//! be a port of the Service (a port it lacks gives no flow: the value is then wrong, or names
//! something else). A value naming a Service that selects the workload itself is how the
//! workload says where it is (a callback or public URL), not where it connects, and gives none.

use super::dns::{ServiceAddress, service_addresses};
use super::{Flow, FlowOrigin, FlowSource, FlowTarget, OriginKind, service_index_near};
use crate::finding::Location;
use crate::load::ObjectId;
use crate::model::Model;
use crate::model::reader::Str;
use crate::model::resources::{Container, Workload};

/// A value a container's environment holds, and where it is written.
struct EnvValue<'m> {
    variable: String,
    value: &'m Str,
    /// The object the value is written in: the workload, or the ConfigMap.
    object: ObjectId,
    /// Where it came from besides the variable, for the detail: `, from ConfigMap `shop/settings``.
    via: String,
}

pub(super) fn flows<'i>(model: &Model, path_of: &dyn Fn(ObjectId) -> &'i str) -> Vec<Flow> {
    let mut domains = vec!["cluster.local"];
    if model.options.trust_domain != "cluster.local" {
        domains.push(model.options.trust_domain.as_str());
    }
    let mut out: Vec<Flow> = Vec::new();
    for (wi, w) in model.workloads.iter().enumerate() {
        let file = path_of(w.meta.object);
        // Flows from this workload start here: only these can repeat one it adds.
        let own = out.len();
        for c in &w.containers {
            for v in env_values(model, w, c) {
                for address in service_addresses(&v.value.value, &domains) {
                    let Some((service, port)) = service_port(model, w, &address, file) else {
                        continue;
                    };
                    let flow = Flow {
                        from: FlowSource::Workload(wi),
                        to: FlowTarget::Service { service, port },
                        protocol: model.services[service].ports[port].protocol.clone(),
                        methods: Vec::new(),
                        paths: Vec::new(),
                        origin: FlowOrigin {
                            kind: OriginKind::Env,
                            at: Location::field(v.object, v.value.path.clone()),
                            detail: format!(
                                "env `{}` of container `{}`{}",
                                v.variable, c.name, v.via
                            ),
                        },
                        forbidden: false,
                    };
                    // One value may name a Service twice (`a.ns:80,a.ns.svc:80`), and two
                    // variables may read one ConfigMap value.
                    if !out[own..].iter().any(|f| {
                        f.from == flow.from && f.to == flow.to && f.origin.at == flow.origin.at
                    }) {
                        out.push(flow);
                    }
                }
            }
        }
    }
    out
}

/// Every value a container's environment holds that the input shows: its own, and those of the
/// ConfigMaps of its namespace that it reads.
fn env_values<'m>(model: &'m Model, w: &'m Workload, c: &'m Container) -> Vec<EnvValue<'m>> {
    let ns = &w.meta.namespace;
    let mut out: Vec<EnvValue> = c
        .env
        .iter()
        .map(|e| EnvValue {
            variable: e.name.clone(),
            value: &e.value,
            object: w.meta.object,
            via: String::new(),
        })
        .collect();
    for r in &c.env_from_config_map_keys {
        if let Some(cm) = model.config_map(ns, &r.config_map)
            && let Some(value) = cm.value(&r.key)
        {
            out.push(EnvValue {
                variable: r.name.clone(),
                value,
                object: cm.meta.object,
                via: format!(
                    ", from key `{}` of ConfigMap `{ns}/{}`",
                    r.key, cm.meta.name
                ),
            });
        }
    }
    for r in &c.env_from_config_maps {
        if let Some(cm) = model.config_map(ns, &r.config_map) {
            out.extend(cm.data.iter().map(|(key, value)| EnvValue {
                variable: format!("{}{key}", r.prefix),
                value,
                object: cm.meta.object,
                via: format!(", from ConfigMap `{ns}/{}`", cm.meta.name),
            }));
        }
    }
    out
}

/// The Service and the index of its port an address names, from a pod of `w`: None when the
/// Service is not in the model, lacks the port, has several and the address names none, or
/// selects `w` itself.
fn service_port(
    model: &Model,
    w: &Workload,
    a: &ServiceAddress,
    file: &str,
) -> Option<(usize, usize)> {
    let namespace = a.namespace.as_deref().unwrap_or(&w.meta.namespace);
    let service = service_index_near(model, namespace, &a.name, file)?;
    let svc = &model.services[service];
    if svc.meta.namespace == w.meta.namespace
        && svc
            .selector
            .as_ref()
            .is_some_and(|s| s.matches(&w.pod_labels))
    {
        return None;
    }
    let port = match a.port {
        Some(p) => svc.ports.iter().position(|sp| sp.port == p)?,
        None if svc.ports.len() == 1 => 0,
        None => return None,
    };
    Some((service, port))
}
