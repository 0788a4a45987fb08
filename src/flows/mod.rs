//! The flows the manifests intend, each with the field it was inferred from: a gateway to the
//! backends of its routes, a workload to the Services its environment names, and the flows the
//! config file declares (or forbids). Whether a flow is admitted is the engine's question; this
//! module only says which flows there are.

pub mod declared;
pub mod dns;
mod env;
mod routes;
pub mod verdict;

pub use declared::{FlowEnd, FlowPort, FlowSpec};

use crate::finding::Location;
use crate::load::Inputs;
use crate::model::Model;

/// Where a flow starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowSource {
    /// The pods of `model.workloads[i]`.
    Workload(usize),
    /// The pods Istio deploys for `model.gateways[i]` (a Gateway API Gateway of an Istio class
    /// that is not a waypoint; see `model.gateway_deployments`).
    Gateway(usize),
    /// Every workload of a namespace (`ns/*` in the config).
    Namespace(String),
    /// Outside the cluster (`external` in the config).
    External,
}

/// Where a flow goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowTarget {
    /// A Service and one of its ports: index into `model.services` and into that Service's
    /// `ports`. The engine expands it to the selected workloads and resolves the target port.
    Service { service: usize, port: usize },
    /// A workload's pods on a port (None: any port).
    Workload { workload: usize, port: Option<i64> },
    /// Every workload of a namespace, on a port (None: any).
    Namespace {
        namespace: String,
        port: Option<i64>,
    },
    /// Outside the cluster, on a port (None: any).
    External { port: Option<i64> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OriginKind {
    Route,
    Env,
    Config,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowOrigin {
    pub kind: OriginKind,
    /// The field the flow comes from: the route's backendRef, the env value (or the ConfigMap
    /// data value), the config entry.
    pub at: Location,
    /// For messages and `graph`: "HTTPRoute ecom/ui-route rule 0", "env INVENTORY_SERVICE_URL of
    /// container ecom-service", "flows[2] in .ambient-lint.yaml".
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub from: FlowSource,
    pub to: FlowTarget,
    /// "TCP" unless the Service port or the config says otherwise.
    pub protocol: String,
    /// HTTP methods the flow carries, when known (route matches); empty = any.
    pub methods: Vec<String>,
    /// Paths the flow carries, when known (route matches), written as AuthorizationPolicy
    /// `paths` are: `/a` exactly, `/a/*` everything below `/a/`; empty = any.
    pub paths: Vec<String>,
    pub origin: FlowOrigin,
    /// A flow the config forbids (`forbidden-flows:`), judged the other way round.
    pub forbidden: bool,
}

/// A declared flow this model cannot place: its workload, Gateway, Service or port is not here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    /// Index into the declared specs given to [`infer`].
    pub spec: usize,
    /// What is missing, for a message: "no workload `ecom/ecom-servce` is in the input".
    pub why: String,
}

/// What [`infer`] finds: the flows, and the declared ones it could not place.
#[derive(Clone, Debug, Default)]
pub struct Inferred {
    pub flows: Vec<Flow>,
    pub unresolved: Vec<Unresolved>,
}

/// The flows of one unit: from its routes, from its workloads' environment, and from `declared`
/// (the config file's, [`Inputs::declared_flows`]). `inputs` gives the file of each route and
/// workload, so that a name resolves to the nearest of several copies, as the route rules do.
pub fn infer(model: &Model, inputs: &Inputs, declared: &[FlowSpec]) -> Inferred {
    let path_of = |object| {
        let file = inputs.file_of(&Location::field(object, ""));
        inputs.files[file].path.as_str()
    };
    let mut flows = routes::flows(model, &path_of);
    flows.extend(env::flows(model, &path_of));
    let mut unresolved = Vec::new();
    for (i, spec) in declared.iter().enumerate() {
        match declared::resolve(model, spec) {
            Ok(found) => flows.extend(found),
            Err(why) => unresolved.push(Unresolved { spec: i, why }),
        }
    }
    Inferred { flows, unresolved }
}

/// The index of the Service a reference written in the file `from` means (see
/// [`Model::service_near`]); None when it is not in the model, or when the nearest is a copy the
/// one applied last replaces, which has no index.
fn service_index_near(model: &Model, namespace: &str, name: &str, from: &str) -> Option<usize> {
    model.service_index_of(model.service_near(namespace, name, from)?)
}

#[cfg(test)]
mod tests;
