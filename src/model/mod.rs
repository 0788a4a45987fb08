//! The model: typed resources built from the loaded objects, and the indexes rules use to
//! cross-reference them in time linear in the input.

pub mod envoy;
pub mod identity;
pub mod ip;
pub mod reader;
pub mod resources;
pub mod selector;
pub mod waypoints;

use std::collections::BTreeSet;

use crate::hash::{HashMap, HashSet};

use crate::finding::{Finding, Location, Severity};
use crate::intern::Atom;
use crate::load::{Inputs, ObjectId};
use reader::Reader;
use resources::*;
use selector::{LabelSelector, label};

pub const DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
pub const METADATA_NAME: &str = "kubernetes.io/metadata.name";

/// Namespaces every cluster has.
pub const BUILTIN_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(Clone, Debug)]
pub struct ModelOptions {
    pub root_namespace: String,
    pub trust_domain: String,
    /// Namespaces that exist in the cluster but not in these manifests.
    pub known_namespaces: Vec<String>,
    /// The input is the whole cluster: what it does not hold does not exist, so rules that
    /// otherwise stay quiet about missing objects may speak.
    pub assume_complete: bool,
    /// Part of this unit could not be rendered (AL006): objects may be missing from it, so no
    /// rule may conclude that something is absent, whatever `assume_complete` says.
    pub incomplete: bool,
    /// The dataplane of namespaces the input does not describe (`--default-dataplane`); None
    /// leaves it [`Dataplane::Unknown`].
    pub default_dataplane: Option<Dataplane>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            root_namespace: "istio-system".to_string(),
            trust_domain: "cluster.local".to_string(),
            known_namespaces: Vec::new(),
            assume_complete: false,
            incomplete: false,
            default_dataplane: None,
        }
    }
}

/// Whether traffic of a pod is handled by ztunnel (docs/platform.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataplane {
    Ambient,
    Sidecar,
    /// Not in the mesh: `dataplane-mode: none`, no labels, hostNetwork, or an excluded namespace.
    Outside,
    /// The input does not say (no Namespace object for the pod's namespace).
    Unknown,
}

/// The pods Istio deploys for a Gateway of class `istio` or `istio-waypoint` (docs/platform.md §5).
#[derive(Clone, Debug)]
pub struct GatewayDeployment {
    pub gateway: usize,
    pub namespace: String,
    pub service_account: String,
}

#[derive(Debug, Default)]
pub struct Model {
    pub options: ModelOptions,
    pub namespaces: Vec<Meta>,
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<Meta>,
    pub services: Vec<Service>,
    pub network_policies: Vec<NetworkPolicy>,
    pub authorization_policies: Vec<AuthorizationPolicy>,
    pub peer_authentications: Vec<PeerAuthentication>,
    pub request_authentications: Vec<RequestAuthentication>,
    pub gateways: Vec<Gateway>,
    pub gateway_classes: Vec<GatewayClass>,
    pub http_routes: Vec<HttpRoute>,
    pub grpc_routes: Vec<GrpcRoute>,
    /// TLSRoutes, TCPRoutes and UDPRoutes.
    pub l4_routes: Vec<L4Route>,
    pub listener_sets: Vec<ListenerSet>,
    pub service_entries: Vec<ServiceEntry>,
    pub x_backends: Vec<XBackend>,
    pub inference_pools: Vec<Meta>,
    pub reference_grants: Vec<ReferenceGrant>,
    pub gateway_deployments: Vec<GatewayDeployment>,
    /// Read only for the values workloads take from them into their environment.
    pub config_maps: Vec<ConfigMap>,
    /// AL002 and AL004 findings made while building.
    pub findings: Vec<Finding>,

    namespace_by_name: HashMap<Atom, usize>,
    /// For each of `namespaces`, its labels as the cluster has them (see `namespace_labels`).
    namespace_labels: Vec<selector::Labels>,
    /// Namespaces any input object lives in, plus Namespace objects.
    namespaces_in_input: BTreeSet<String>,
    /// Namespaces whose contents the input shows: a Namespace object, workloads, Services,
    /// ServiceAccounts or Gateways (policies alone do not describe a namespace). Declared
    /// objects do not: declaring one object says nothing of its neighbours.
    described: HashSet<String>,
    /// Namespaces with a Service, a Gateway, in the manifests (declared ones aside).
    namespaces_with_services: HashSet<String>,
    namespaces_with_gateways: HashSet<String>,
    /// Objects generated from declared facts (config file, command line).
    declared: HashSet<ObjectId>,
    workloads_by_namespace: HashMap<Atom, Vec<usize>>,
    workloads_by_label: HashMap<(Atom, Atom, Atom), Vec<usize>>,
    /// (key, value) → workloads in every namespace.
    workloads_by_any_label: HashMap<(Atom, Atom), Vec<usize>>,
    workloads_by_account: HashMap<(Atom, Atom), Vec<usize>>,
    accounts: HashMap<(Atom, Atom), usize>,
    accounts_by_namespace: HashMap<Atom, Vec<usize>>,
    services_by_key: HashMap<(Atom, Atom), usize>,
    services_by_namespace: HashMap<Atom, Vec<usize>>,
    gateways_by_key: HashMap<(Atom, Atom), usize>,
    config_maps_by_key: HashMap<(Atom, Atom), usize>,
    /// Copies of a Service or Gateway defined more than once in the unit, other than the one
    /// applied last, with the file each is in: a reference resolves to the nearest copy.
    shadowed_services: Vec<(String, Service)>,
    shadowed_gateways: Vec<(String, Gateway)>,
    /// The file of each applied copy of a key defined more than once.
    copy_paths: HashMap<ObjectId, String>,
}

/// An Istio security policy seen through what selector rules need of it.
#[derive(Clone, Copy)]
pub struct IstioPolicy<'m> {
    pub kind: &'static str,
    pub meta: &'m Meta,
    pub selector: Option<&'m LabelSelector>,
    pub has_target_refs: bool,
}

/// The model's resource vectors, one per kind an object is read into: the enum of what reading
/// gives, and the code that sizes, fills and trims the vectors, all from this one list.
macro_rules! resource_vectors {
    ($($variant:ident($ty:ty) => $field:ident),* $(,)?) => {
        /// One object read into its typed form, before it joins the model; boxed at its own
        /// kind's size (a ServiceAccount's 88 bytes, not a Workload's 288), since all objects
        /// are read before the first joins, and a box is freed as its contents move in.
        enum Typed {
            $($variant(Box<$ty>),)*
        }

        impl Model {
            fn push(&mut self, typed: Typed) {
                match typed {
                    $(Typed::$variant(v) => self.$field.push(*v),)*
                }
            }

            /// Sizes each resource vector for the objects read: grown one push at a time, a
            /// vector of 20k policies holds its old and new buffers at once while it doubles,
            /// and up to half its room unused afterwards.
            fn reserve(&mut self, reads: &[Option<ReadObject>]) {
                $(let mut $field = 0usize;)*
                for read in reads.iter().flatten() {
                    if let ReadObject::Typed(t) = read {
                        match t {
                            $(Typed::$variant(_) => $field += 1,)*
                        }
                    }
                }
                $(self.$field.reserve($field);)*
            }

            /// Gives back what the resource vectors grew beyond their length while objects
            /// were added (a unit read without the read-ahead), held until the rules have run
            /// otherwise.
            fn trim(&mut self) {
                $(self.$field.shrink_to_fit();)*
            }
        }
    };
}

resource_vectors! {
    Namespace(Meta) => namespaces,
    ServiceAccount(Meta) => service_accounts,
    Service(Service) => services,
    NetworkPolicy(NetworkPolicy) => network_policies,
    AuthorizationPolicy(AuthorizationPolicy) => authorization_policies,
    PeerAuthentication(PeerAuthentication) => peer_authentications,
    RequestAuthentication(RequestAuthentication) => request_authentications,
    Gateway(Gateway) => gateways,
    GatewayClass(GatewayClass) => gateway_classes,
    HttpRoute(HttpRoute) => http_routes,
    GrpcRoute(GrpcRoute) => grpc_routes,
    L4Route(L4Route) => l4_routes,
    ListenerSet(ListenerSet) => listener_sets,
    ServiceEntry(ServiceEntry) => service_entries,
    XBackend(XBackend) => x_backends,
    InferencePool(Meta) => inference_pools,
    ReferenceGrant(ReferenceGrant) => reference_grants,
    Workload(Workload) => workloads,
    ConfigMap(ConfigMap) => config_maps,
}

/// What reading one object gave: its typed form, the AL002 findings that keep it out of the
/// model, or nothing (a kind the model does not hold).
enum ReadObject {
    Typed(Typed),
    Refused(Vec<Finding>),
    Skipped,
}

/// Objects read before modelling, by object id (see [`Model::read_ahead`]): the model of the
/// unit that holds an object first takes its read; another unit that holds it too reads it
/// again.
#[derive(Default)]
pub struct ReadAhead(Vec<std::sync::Mutex<Option<ReadObject>>>);

impl ReadAhead {
    fn take(&self, id: ObjectId) -> Option<ReadObject> {
        self.0
            .get(id)?
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// AL004 on a later definition of an object already defined at `original`. Copies identical
/// to the original change nothing in the cluster, so they are only noted. Differing copies in one
/// file or folder are an error; in folders nothing ties together they are most often
/// alternatives (environments, samples) linted as one cluster, so they are a warning that says
/// how to declare them.
fn duplicate_finding(inputs: &Inputs, original: ObjectId, id: ObjectId) -> Finding {
    let obj = &inputs.objects[id];
    let first = &inputs.objects[original];
    let name = qualified(obj.namespace.as_deref(), &obj.name);
    let first_file = inputs.file_of(&Location::field(original, ""));
    let this_file = inputs.file_of(&Location::field(id, ""));
    let where_ = &inputs.files[first_file].path;
    let here = &inputs.files[this_file].path;
    let folder = |p: &str| {
        std::path::Path::new(p)
            .parent()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let same_folder = folder(where_) == folder(here);
    let (severity, message, help) = if first.node().same_as(obj.node()) {
        (
            Severity::Info,
            format!(
                "identical duplicate {} `{name}`: applying both changes nothing, but the copies can drift apart",
                obj.kind
            ),
            if same_folder {
                format!("keep one definition (the other is in {where_})")
            } else {
                format!(
                    "keep one definition (the other is in {where_}), or declare the folders as separate `units:` in .ambient-lint.yaml if they are alternatives"
                )
            },
        )
    } else if same_folder {
        (
            Severity::Error,
            format!(
                "duplicate {} `{name}`: the definitions differ and the one applied last silently replaces the other (this later one is the copy linted)",
                obj.kind
            ),
            format!(
                "keep one definition (the other is in {where_}), rename one, or lint the variants separately (`--exclude`)"
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "two different definitions of {} `{name}`, in `{}/` and `{}/`: if both are applied, the one applied last replaces the other; if they are alternatives (environments, samples), they are not one cluster (a reference resolves to the copy nearest to it)",
                obj.kind,
                folder(where_),
                folder(here),
            ),
            format!(
                "declare each folder a unit so it is linted as its own cluster (`units: [\"{}\", \"{}\"]` in .ambient-lint.yaml), or keep one definition",
                folder(where_),
                folder(here),
            ),
        )
    };
    Finding::new(
        "AL004",
        severity,
        Location::field(id, "metadata.name"),
        message,
    )
    .help(help)
    .related(
        Location::field(original, "metadata.name"),
        "first defined here",
    )
}

/// A namespace and name as a key of the model's indexes: None when no atom spells one of them,
/// so no index holds it.
fn key(namespace: &str, name: &str) -> Option<(Atom, Atom)> {
    Some((Atom::existing(namespace)?, Atom::existing(name)?))
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

impl Model {
    /// The model of every object loaded, as one cluster.
    pub fn build(inputs: &Inputs, options: ModelOptions) -> Model {
        let all: Vec<ObjectId> = (0..inputs.objects.len()).collect();
        Model::build_unit(inputs, &all, options, &ReadAhead::default())
    }

    /// The model of a unit of the input, with what it lacks if part of it was not rendered.
    pub fn of_unit(
        inputs: &Inputs,
        unit: &crate::load::units::Unit,
        options: &ModelOptions,
    ) -> Model {
        Model::of_unit_read_ahead(inputs, unit, options, &ReadAhead::default())
    }

    /// [`Model::of_unit`], taking the objects [`Model::read_ahead`] read.
    pub fn of_unit_read_ahead(
        inputs: &Inputs,
        unit: &crate::load::units::Unit,
        options: &ModelOptions,
        ahead: &ReadAhead,
    ) -> Model {
        let mut options = options.clone();
        options.incomplete = unit.incomplete;
        Model::build_unit(inputs, &unit.objects, options, ahead)
    }

    /// Reads every object into its typed form, on every core, file by file, and (with
    /// `release`) lets each file's tree go once its objects are read: the trees of a large
    /// input never all stay in memory beside the model (issue 11). What is asked of a tree
    /// later (a finding's place, a fix's edit, a duplicate compared) builds it again from the
    /// file's text.
    pub fn read_ahead(inputs: &mut Inputs, release: bool) -> ReadAhead {
        use rayon::prelude::*;
        // The objects of each file, as disjoint slices in input order.
        let mut chunks: Vec<(ObjectId, &mut [crate::load::Object])> = Vec::new();
        let mut rest: &mut [crate::load::Object] = &mut inputs.objects;
        let mut start = 0;
        while let Some(first) = rest.first() {
            let file = first.file;
            let len = rest.iter().take_while(|o| o.file == file).count();
            let (chunk, tail) = rest.split_at_mut(len);
            chunks.push((start, chunk));
            start += len;
            rest = tail;
        }
        let reads: Vec<Vec<ReadObject>> = chunks
            .into_par_iter()
            .map(|(first, chunk)| {
                let reads = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, obj)| Self::read_one(obj, first + i))
                    .collect();
                if release {
                    for obj in chunk.iter_mut() {
                        obj.release_tree();
                    }
                }
                reads
            })
            .collect();
        ReadAhead(
            reads
                .into_iter()
                .flatten()
                .map(|r| std::sync::Mutex::new(Some(r)))
                .collect(),
        )
    }

    /// The model of one unit: these objects, as one cluster.
    pub fn build_unit<'i>(
        inputs: &'i Inputs,
        ids: &[ObjectId],
        options: ModelOptions,
        ahead: &ReadAhead,
    ) -> Model {
        let mut m = Model {
            options,
            ..Model::default()
        };
        // Same group, kind, namespace and name: the definition applied last wins in the
        // cluster, so that is the one the rules see; earlier ones are reported (AL004).
        let key = |obj: &'i crate::load::Object| {
            (
                group_of(&obj.api_version),
                obj.kind,
                obj.namespace.unwrap_or_default(),
                obj.name,
            )
        };
        // For each key, the first definition and the last.
        let mut defined: HashMap<_, (ObjectId, ObjectId)> =
            HashMap::with_capacity_and_hasher(ids.len(), Default::default());
        let objects = || ids.iter().map(|&id| (id, &inputs.objects[id]));
        for (id, obj) in objects() {
            if !obj.name.is_empty() {
                defined
                    .entry(key(obj))
                    .and_modify(|(_, last)| *last = id)
                    .or_insert((id, id));
            }
        }
        // The objects that join the model are read on every core, then added in input order.
        let joins = |id: ObjectId, obj: &'i crate::load::Object| {
            obj.name.is_empty() || defined.get(&key(obj)).map(|d| d.1) == Some(id)
        };
        let read: Vec<Option<ReadObject>> = {
            use rayon::prelude::*;
            ids.par_iter()
                .map(|&id| {
                    joins(id, &inputs.objects[id]).then(|| {
                        ahead
                            .take(id)
                            .unwrap_or_else(|| Self::read_one(&inputs.objects[id], id))
                    })
                })
                .collect()
        };
        m.reserve(&read);
        // Namespaces already noted, by atom: a lookup in the ordered set of strings costs a
        // dozen string comparisons, and every object names one.
        let mut noted: HashSet<Atom> = HashSet::default();
        // `read` is Some exactly for the objects that join; the others are shadowed copies.
        for ((id, obj), read) in objects().zip(read) {
            if inputs.files[obj.file].role == crate::load::source::FileRole::Declared {
                m.declared.insert(id);
            }
            if let Some(ns) = obj.namespace
                && noted.insert(ns)
            {
                m.namespaces_in_input.insert(ns.to_string());
            }
            if obj.name.is_empty() {
                m.insert(read.unwrap_or(ReadObject::Skipped));
                continue;
            }
            let k = key(obj);
            let (original, last) = defined[&k];
            if original != id {
                // Both through kustomize: one rendering never holds two (kustomize refuses
                // them), so these are parts of a root rendered apart because it could not be
                // rendered whole; the real build would have merged or refused them.
                let by_kustomize = |o: ObjectId| {
                    inputs.objects[o]
                        .origin
                        .as_ref()
                        .is_some_and(|g| g.kustomize)
                };
                let apart = by_kustomize(original) && by_kustomize(id);
                if !apart {
                    m.findings.push(duplicate_finding(inputs, original, id));
                }
            }
            match read {
                Some(read) => m.insert(read),
                None => m.add_shadowed(inputs, id, last),
            }
        }
        drop(defined);
        m.trim();
        m.index();
        m
    }

    /// Keeps a copy that the one applied last replaces, for the Services and Gateways references
    /// resolve to by nearness.
    fn add_shadowed(&mut self, inputs: &Inputs, id: ObjectId, winner: ObjectId) {
        let obj = &inputs.objects[id];
        let path = |o: ObjectId| {
            inputs.files[inputs.file_of(&Location::field(o, ""))]
                .path
                .clone()
        };
        let mut r = Reader::new(id, &obj.kind);
        match (obj.group(), obj.kind.as_str()) {
            ("", "Service") => {
                let meta = Meta::read(&mut r, obj);
                let s = Service::read(&mut r, obj, meta);
                if r.errors.is_empty() {
                    self.shadowed_services.push((path(id), s));
                }
            }
            ("gateway.networking.k8s.io", "Gateway") => {
                let meta = Meta::read(&mut r, obj);
                if let Some(g) = Gateway::read(&mut r, obj, meta)
                    && r.errors.is_empty()
                {
                    self.shadowed_gateways.push((path(id), g));
                }
            }
            _ => return,
        }
        self.copy_paths.insert(winner, path(winner));
    }

    /// Reads one object into its typed form. Pure, so objects are read on every core.
    fn read_one(obj: &crate::load::Object, id: ObjectId) -> ReadObject {
        let group = obj.group();
        if (group, obj.kind.as_str()) == ("", "ConfigMap") && !obj.name.is_empty() {
            // Its mistakes are not reported: the meta's are kubectl's to report, the data's its
            // users'.
            let meta = Meta::read(&mut Reader::new(id, &obj.kind), obj);
            return ReadObject::Typed(Typed::ConfigMap(Box::new(ConfigMap::read(obj, meta))));
        }
        let modeled = matches!(
            (group, obj.kind.as_str()),
            ("", "Namespace" | "ServiceAccount" | "Service" | "Pod")
                | (
                    "apps",
                    "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
                )
                | ("batch", "Job" | "CronJob")
                | ("networking.k8s.io", "NetworkPolicy")
                | (
                    "security.istio.io",
                    "AuthorizationPolicy" | "PeerAuthentication" | "RequestAuthentication"
                )
                | (
                    "gateway.networking.k8s.io",
                    "Gateway"
                        | "GatewayClass"
                        | "HTTPRoute"
                        | "GRPCRoute"
                        | "ReferenceGrant"
                        | "TLSRoute"
                        | "TCPRoute"
                        | "UDPRoute"
                        | "ListenerSet"
                )
                | ("gateway.networking.x-k8s.io", "XListenerSet" | "XBackend")
                | ("networking.istio.io", "ServiceEntry")
                | ("inference.networking.k8s.io", "InferencePool")
        );
        if !modeled {
            return ReadObject::Skipped;
        }
        let mut r = Reader::new(id, &obj.kind);
        let meta = Meta::read(&mut r, obj);
        let typed =
            match obj.kind.as_str() {
                "Namespace" => Some(Typed::Namespace(Box::new(meta))),
                "ServiceAccount" => Some(Typed::ServiceAccount(Box::new(meta))),
                "Service" => Some(Typed::Service(Box::new(Service::read(&mut r, obj, meta)))),
                "NetworkPolicy" => NetworkPolicy::read(&mut r, obj, meta)
                    .map(|v| Typed::NetworkPolicy(Box::new(v))),
                "AuthorizationPolicy" => AuthorizationPolicy::read(&mut r, obj, meta)
                    .map(|v| Typed::AuthorizationPolicy(Box::new(v))),
                "PeerAuthentication" => Some(Typed::PeerAuthentication(Box::new(
                    PeerAuthentication::read(&mut r, obj, meta),
                ))),
                "RequestAuthentication" => Some(Typed::RequestAuthentication(Box::new(
                    RequestAuthentication::read(&mut r, obj, meta),
                ))),
                "Gateway" => Gateway::read(&mut r, obj, meta).map(|v| Typed::Gateway(Box::new(v))),
                "GatewayClass" => {
                    let controller = obj
                        .node()
                        .get("spec")
                        .and_then(|s| s.get("controllerName"))
                        .and_then(|n| n.as_str())
                        .map(str::to_string);
                    Some(Typed::GatewayClass(Box::new(GatewayClass {
                        meta,
                        controller,
                    })))
                }
                "HTTPRoute" => {
                    HttpRoute::read(&mut r, obj, meta).map(|v| Typed::HttpRoute(Box::new(v)))
                }
                "GRPCRoute" => {
                    GrpcRoute::read(&mut r, obj, meta).map(|v| Typed::GrpcRoute(Box::new(v)))
                }
                "ReferenceGrant" => ReferenceGrant::read(&mut r, obj, meta)
                    .map(|v| Typed::ReferenceGrant(Box::new(v))),
                "TLSRoute" | "TCPRoute" | "UDPRoute" => {
                    L4Route::read(&mut r, obj, meta).map(|v| Typed::L4Route(Box::new(v)))
                }
                "ListenerSet" => {
                    ListenerSet::read(&mut r, obj, meta).map(|v| Typed::ListenerSet(Box::new(v)))
                }
                "ServiceEntry" => Some(Typed::ServiceEntry(Box::new(ServiceEntry::read(
                    &mut r, obj, meta,
                )))),
                "XBackend" => Some(Typed::XBackend(Box::new(XBackend::read(&mut r, obj, meta)))),
                "InferencePool" => Some(Typed::InferencePool(Box::new(meta))),
                _ => Workload::read(&mut r, obj, meta).map(|v| Typed::Workload(Box::new(v))),
            };
        if !r.errors.is_empty() {
            // The API server would refuse the object: it is not part of the cluster rules see.
            return ReadObject::Refused(r.errors);
        }
        typed.map_or(ReadObject::Skipped, ReadObject::Typed)
    }

    fn insert(&mut self, read: ReadObject) {
        match read {
            ReadObject::Typed(t) => self.push(t),
            ReadObject::Refused(mut errors) => self.findings.append(&mut errors),
            ReadObject::Skipped => {}
        }
    }

    fn index(&mut self) {
        let manifest = |m: &&Meta| !self.declared.contains(&m.object);
        self.namespaces_with_services = self
            .services
            .iter()
            .map(|s| &s.meta)
            .filter(manifest)
            .map(|m| m.namespace.to_string())
            .collect();
        self.namespaces_with_gateways = self
            .gateways
            .iter()
            .map(|g| &g.meta)
            .filter(manifest)
            .map(|m| m.namespace.to_string())
            .collect();
        let described = self
            .namespaces
            .iter()
            .filter(manifest)
            .map(|n| n.name.to_string())
            .chain(self.workloads.iter().map(|w| w.meta.namespace.to_string()))
            .chain(self.namespaces_with_services.iter().cloned())
            .chain(
                self.service_accounts
                    .iter()
                    .filter(manifest)
                    .map(|s| s.namespace.to_string()),
            )
            .chain(self.namespaces_with_gateways.iter().cloned());
        self.described = described.collect();
        self.namespace_labels = self.namespaces.iter().map(Self::cluster_labels).collect();
        for (i, ns) in self.namespaces.iter().enumerate() {
            self.namespace_by_name.insert(ns.name, i);
            self.namespaces_in_input.insert(ns.name.to_string());
        }
        for (i, w) in self.workloads.iter().enumerate() {
            let ns = w.meta.namespace;
            self.workloads_by_namespace.entry(ns).or_default().push(i);
            for (k, v) in &w.pod_labels {
                self.workloads_by_label
                    .entry((ns, *k, *v))
                    .or_default()
                    .push(i);
                self.workloads_by_any_label
                    .entry((*k, *v))
                    .or_default()
                    .push(i);
            }
            self.workloads_by_account
                .entry((ns, Atom::new(w.service_account_name())))
                .or_default()
                .push(i);
        }
        for (i, sa) in self.service_accounts.iter().enumerate() {
            self.accounts.insert((sa.namespace, sa.name), i);
            self.accounts_by_namespace
                .entry(sa.namespace)
                .or_default()
                .push(i);
        }
        for (i, s) in self.services.iter().enumerate() {
            self.services_by_key
                .insert((s.meta.namespace, s.meta.name), i);
            self.services_by_namespace
                .entry(s.meta.namespace)
                .or_default()
                .push(i);
        }
        for (i, c) in self.config_maps.iter().enumerate() {
            self.config_maps_by_key
                .insert((c.meta.namespace, c.meta.name), i);
        }
        for (i, g) in self.gateways.iter().enumerate() {
            self.gateways_by_key
                .insert((g.meta.namespace, g.meta.name), i);
            if let Some(sa) = generated_service_account(g, &self.gateway_classes) {
                self.gateway_deployments.push(GatewayDeployment {
                    gateway: i,
                    namespace: g.meta.namespace.to_string(),
                    service_account: sa,
                });
            }
        }
    }

    // ------------------------------------------------------------ lookups

    pub fn namespace(&self, name: &str) -> Option<&Meta> {
        self.namespace_index(name).map(|i| &self.namespaces[i])
    }

    fn namespace_index(&self, name: &str) -> Option<usize> {
        self.namespace_by_name.get(name).copied()
    }

    /// Whether a namespace is known to exist: a Namespace object, any input object in it, a
    /// built-in, the root namespace, or one the user declared.
    pub fn namespace_known(&self, name: &str) -> bool {
        self.namespaces_in_input.contains(name)
            || BUILTIN_NAMESPACES.contains(&name)
            || name == self.options.root_namespace
            || self.options.known_namespaces.iter().any(|n| n == name)
    }

    /// Whether the input shows what a namespace holds, so that an object missing from it can be
    /// called missing: it has a Namespace object, workloads, Services, ServiceAccounts or
    /// Gateways there, or `--assume-complete` says the input is the whole cluster.
    pub fn describes(&self, namespace: &str) -> bool {
        self.assume_complete() || (self.complete_unit() && self.described.contains(namespace))
    }

    /// Whether the input shows everything in this unit: no part of it failed to render.
    pub fn complete_unit(&self) -> bool {
        !self.options.incomplete
    }

    /// Whether what the input does not hold does not exist: the user says the input is the whole
    /// cluster, and nothing of this unit failed to render.
    pub fn assume_complete(&self) -> bool {
        self.options.assume_complete && !self.options.incomplete
    }

    /// Whether the input holds the Services of a namespace (some Service there), so that a
    /// Service missing from it can be called missing.
    pub fn holds_services(&self, namespace: &str) -> bool {
        self.assume_complete()
            || (self.complete_unit() && self.namespaces_with_services.contains(namespace))
    }

    /// Whether the input holds the Gateways of a namespace (some Gateway there).
    pub fn holds_gateways(&self, namespace: &str) -> bool {
        self.assume_complete()
            || (self.complete_unit() && self.namespaces_with_gateways.contains(namespace))
    }

    /// Whether an object was declared (config file, command line) rather than read from a
    /// manifest.
    pub fn is_declared(&self, object: ObjectId) -> bool {
        self.declared.contains(&object)
    }

    pub fn known_namespace_names(&self) -> Vec<String> {
        let mut all: BTreeSet<String> = self.namespaces_in_input.clone();
        all.extend(BUILTIN_NAMESPACES.iter().map(|s| s.to_string()));
        all.insert(self.options.root_namespace.clone());
        all.extend(self.options.known_namespaces.iter().cloned());
        all.into_iter().collect()
    }

    pub fn workloads_in(&self, namespace: &str) -> impl Iterator<Item = (usize, &Workload)> {
        self.workloads_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| (i, &self.workloads[i]))
    }

    /// Workloads of `namespace` (every namespace when None) whose pod labels match `selector`.
    /// Uses the label index: cost follows the smallest candidate set, not the whole input.
    pub fn select_workloads(
        &self,
        namespace: Option<&str>,
        selector: &LabelSelector,
    ) -> Vec<usize> {
        let candidates: Vec<usize> = match (namespace, selector.match_labels.first()) {
            (Some(ns), Some(_)) => selector
                .match_labels
                .iter()
                .map(|(k, v)| {
                    self.workloads_by_label
                        .get(&(Atom::new(ns), *k, *v))
                        .map_or(&[][..], |v| v.as_slice())
                })
                .min_by_key(|c| c.len())
                .unwrap_or(&[])
                .to_vec(),
            (Some(ns), None) => self
                .workloads_by_namespace
                .get(ns)
                .cloned()
                .unwrap_or_default(),
            (None, Some(_)) => selector
                .match_labels
                .iter()
                .map(|(k, v)| {
                    self.workloads_by_any_label
                        .get(&(*k, *v))
                        .map_or(&[][..], |v| v.as_slice())
                })
                .min_by_key(|c| c.len())
                .unwrap_or(&[])
                .to_vec(),
            (None, None) => (0..self.workloads.len()).collect(),
        };
        candidates
            .into_iter()
            .filter(|&i| selector.matches(&self.workloads[i].pod_labels))
            .collect()
    }

    pub fn workloads_running_as(&self, namespace: &str, account: &str) -> &[usize] {
        key(namespace, account)
            .and_then(|k| self.workloads_by_account.get(&k))
            .map_or(&[], |v| v.as_slice())
    }

    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&Meta> {
        key(namespace, name)
            .and_then(|k| self.accounts.get(&k))
            .map(|&i| &self.service_accounts[i])
    }

    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service> {
        key(namespace, name)
            .and_then(|k| self.services_by_key.get(&k))
            .map(|&i| &self.services[i])
    }

    pub fn listener_set(&self, namespace: &str, name: &str) -> Option<&ListenerSet> {
        self.listener_sets
            .iter()
            .find(|s| s.meta.namespace == namespace && s.meta.name == name)
    }

    pub fn gateway(&self, namespace: &str, name: &str) -> Option<&Gateway> {
        key(namespace, name)
            .and_then(|k| self.gateways_by_key.get(&k))
            .map(|&i| &self.gateways[i])
    }

    /// The index of a Service in `services`, through the key index; None for a shadowed copy
    /// (one that another copy of the unit replaces), which has none.
    pub fn service_index_of(&self, s: &Service) -> Option<usize> {
        self.services_by_key
            .get(&(s.meta.namespace, s.meta.name))
            .copied()
            .filter(|&i| std::ptr::eq(&self.services[i], s))
    }

    /// The index in `gateways` of the Gateway applied under this key.
    pub fn gateway_index(&self, namespace: &str, name: &str) -> Option<usize> {
        key(namespace, name)
            .and_then(|k| self.gateways_by_key.get(&k))
            .copied()
    }

    /// The index of a Gateway in `gateways` (see [`Model::service_index_of`]).
    pub fn gateway_index_of(&self, g: &Gateway) -> Option<usize> {
        self.gateways_by_key
            .get(&(g.meta.namespace, g.meta.name))
            .copied()
            .filter(|&i| std::ptr::eq(&self.gateways[i], g))
    }

    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMap> {
        key(namespace, name)
            .and_then(|k| self.config_maps_by_key.get(&k))
            .map(|&i| &self.config_maps[i])
    }

    /// The Service a reference written in the file `from` means: where the unit defines it more
    /// than once (alternatives side by side), the nearest copy — same file, then same folder,
    /// then the nearest common ancestor — else the one applied last.
    pub fn service_near(&self, namespace: &str, name: &str, from: &str) -> Option<&Service> {
        let copies = self
            .shadowed_services
            .iter()
            .filter(|(_, s)| s.meta.namespace == namespace && s.meta.name == name)
            .map(|(p, s)| (p.as_str(), s));
        nearest(
            self.service(namespace, name),
            |s| s.meta.object,
            copies,
            &self.copy_paths,
            from,
        )
    }

    /// The Gateway a reference written in the file `from` means (see [`Model::service_near`]).
    pub fn gateway_near(&self, namespace: &str, name: &str, from: &str) -> Option<&Gateway> {
        let copies = self
            .shadowed_gateways
            .iter()
            .filter(|(_, g)| g.meta.namespace == namespace && g.meta.name == name)
            .map(|(p, g)| (p.as_str(), g));
        nearest(
            self.gateway(namespace, name),
            |g| g.meta.object,
            copies,
            &self.copy_paths,
            from,
        )
    }

    /// Generated accounts of Istio-deployed gateways and waypoints in `namespace`.
    pub fn gateway_accounts_in(&self, namespace: &str) -> impl Iterator<Item = &GatewayDeployment> {
        self.gateway_deployments
            .iter()
            .filter(move |d| d.namespace == namespace)
    }

    /// The Gateway (in `namespace`, or any when None) whose Istio-deployed pods `sel` matches:
    /// they carry the Gateway's labels and its name under the gateway-name labels.
    pub fn gateway_selected_by(
        &self,
        namespace: Option<&str>,
        sel: &LabelSelector,
    ) -> Option<&Gateway> {
        self.gateway_deployments
            .iter()
            .map(|d| &self.gateways[d.gateway])
            .find(|g| {
                namespace.is_none_or(|ns| ns == g.meta.namespace) && {
                    let mut labels = g.meta.labels.clone();
                    for key in selector::GATEWAY_POD_LABELS {
                        labels.push((Atom::new(key), Atom::new(&g.meta.name)));
                    }
                    sel.matches(&labels)
                }
            })
    }

    /// AuthorizationPolicies, PeerAuthentications and RequestAuthentications, with their kind and
    /// selector, for the rules that treat them alike.
    pub fn istio_policies(&self) -> impl Iterator<Item = IstioPolicy<'_>> {
        let ap = self.authorization_policies.iter().map(|p| IstioPolicy {
            kind: "AuthorizationPolicy",
            meta: &p.meta,
            selector: p.selector.as_ref(),
            has_target_refs: !p.target_refs.is_empty(),
        });
        let pa = self.peer_authentications.iter().map(|p| IstioPolicy {
            kind: "PeerAuthentication",
            meta: &p.meta,
            selector: p.selector.as_ref(),
            has_target_refs: false,
        });
        let ra = self.request_authentications.iter().map(|p| IstioPolicy {
            kind: "RequestAuthentication",
            meta: &p.meta,
            selector: p.selector.as_ref(),
            has_target_refs: !p.target_refs.is_empty(),
        });
        ap.chain(pa).chain(ra)
    }

    /// Services whose selector picks this workload.
    pub fn services_selecting(&self, w: &Workload) -> impl Iterator<Item = &Service> {
        self.services_by_namespace
            .get(w.meta.namespace.as_str())
            .into_iter()
            .flatten()
            .map(|&i| &self.services[i])
            .filter(|s| {
                s.selector
                    .as_ref()
                    .is_some_and(|sel| sel.matches(&w.pod_labels))
            })
    }

    /// ServiceAccount objects declared in a namespace.
    pub fn service_accounts_in(&self, namespace: &str) -> impl Iterator<Item = &Meta> {
        self.accounts_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &self.service_accounts[i])
    }

    // ------------------------------------------------------------ enrolment (docs/platform.md §1)

    pub fn namespace_dataplane(&self, namespace: &str) -> Dataplane {
        if namespace == "kube-system" {
            return Dataplane::Outside;
        }
        let Some(ns) = self.namespace(namespace) else {
            // Istio's own and Kubernetes' system namespaces are not the app namespaces a
            // default speaks for.
            let system = namespace == self.options.root_namespace
                || (namespace != "default" && BUILTIN_NAMESPACES.contains(&namespace));
            return match self.options.default_dataplane {
                Some(d) if !system => d,
                _ => Dataplane::Unknown,
            };
        };
        if injection_enabled(&ns.labels) {
            // The injector ignores dataplane-mode: pods get a sidecar and leave ambient.
            Dataplane::Sidecar
        } else if ns.label(DATAPLANE_MODE) == Some("ambient") {
            Dataplane::Ambient
        } else {
            Dataplane::Outside
        }
    }

    pub fn workload_dataplane(&self, w: &Workload) -> Dataplane {
        if w.host_network {
            return Dataplane::Outside;
        }
        let inject = w.pod_label("sidecar.istio.io/inject");
        let ns_mode = self.namespace_dataplane(&w.meta.namespace);
        if inject == Some("true") || (ns_mode == Dataplane::Sidecar && inject != Some("false")) {
            return Dataplane::Sidecar;
        }
        match w.pod_label(DATAPLANE_MODE) {
            // kube-system is in istio-cni's excludeNamespaces by default.
            Some("ambient") if w.meta.namespace != "kube-system" => Dataplane::Ambient,
            Some("none") => Dataplane::Outside,
            // A sidecar namespace whose pod opted out of injection: outside the mesh.
            _ if ns_mode == Dataplane::Sidecar => Dataplane::Outside,
            _ => ns_mode,
        }
    }
}

/// Whether a namespace's labels make the injector add sidecars (docs/platform.md §1).
pub fn injection_enabled(labels: &selector::Labels) -> bool {
    label(labels, "istio-injection") == Some("enabled")
        || (label(labels, "istio.io/rev").is_some() && label(labels, "istio-injection").is_none())
}

/// Whether a Gateway is a waypoint: of class `istio-waypoint`, or of a class Istio's mesh
/// controller runs.
pub fn is_waypoint(g: &Gateway, classes: &[GatewayClass]) -> bool {
    g.is_waypoint()
        || classes.iter().any(|c| {
            c.meta.name == g.class_name.value
                && c.controller.as_deref() == Some(ISTIO_MESH_CONTROLLER)
        })
}

/// Whether istiod's Gateway API controller judges this Gateway by the rules docs/platform.md §7
/// describes: a class Istio installs (`istio`, `istio-waypoint`, `istio-remote`,
/// `istio-east-west`) or a GatewayClass run by one of their controllers. Some(false) for another
/// implementation's class (or a controller istiod does not know); None when the input does not
/// say, and for Istio's agentgateway classes, which other code judges by other rules.
pub fn istio_manages(g: &Gateway, classes: &[GatewayClass]) -> Option<bool> {
    let class = g.class_name.value.as_str();
    let controller = match classes.iter().find(|c| c.meta.name == class) {
        Some(c) => c.controller.as_deref().unwrap_or(""),
        None => match class {
            "istio" => ISTIO_GATEWAY_CONTROLLER,
            WAYPOINT_CLASS => ISTIO_MESH_CONTROLLER,
            "istio-remote" => UNMANAGED_GATEWAY_CONTROLLER,
            "istio-east-west" => "istio.io/eastwest-controller",
            _ => return None,
        },
    };
    match controller {
        ISTIO_GATEWAY_CONTROLLER
        | ISTIO_MESH_CONTROLLER
        | UNMANAGED_GATEWAY_CONTROLLER
        | "istio.io/eastwest-controller" => Some(true),
        "istio.io/agentgateway-controller" | "istio.io/agentgateway-waypoint-controller" => None,
        _ => Some(false),
    }
}

/// Whether istiod generates no routes for a Gateway: class `istio-remote` (controller
/// `istio.io/unmanaged-gateway`), a gateway of another network that it only points traffic at
/// (istio `gatewaycommon/classinfo.go`, `DisableRouteGeneration`). Routes on it are ignored and
/// get no status.
pub fn routes_ignored(g: &Gateway, classes: &[GatewayClass]) -> bool {
    let class = g.class_name.value.as_str();
    match classes.iter().find(|c| c.meta.name == class) {
        Some(c) => c.controller.as_deref() == Some(UNMANAGED_GATEWAY_CONTROLLER),
        None => class == "istio-remote",
    }
}

const UNMANAGED_GATEWAY_CONTROLLER: &str = "istio.io/unmanaged-gateway";

/// Controllers of Istio's GatewayClasses: Istio deploys the pods of their Gateways.
const ISTIO_GATEWAY_CONTROLLER: &str = "istio.io/gateway-controller";
const ISTIO_MESH_CONTROLLER: &str = "istio.io/mesh-controller";

/// The ServiceAccount Istio creates for a Gateway's pods (docs/platform.md §5): `<name>-<class>`
/// for `istio` and any class Istio's gateway controller runs (or the
/// `gateway.istio.io/service-account` annotation), `<name>` for waypoints.
pub fn generated_service_account(g: &Gateway, classes: &[GatewayClass]) -> Option<String> {
    let class = g.class_name.value.as_str();
    let controller = classes
        .iter()
        .find(|c| c.meta.name == class)
        .and_then(|c| c.controller.as_deref());
    let generated = match (class, controller) {
        (WAYPOINT_CLASS, _) | (_, Some(ISTIO_MESH_CONTROLLER)) => g.meta.name.to_string(),
        ("istio", _) | (_, Some(ISTIO_GATEWAY_CONTROLLER)) => format!("{}-{class}", g.meta.name),
        _ => return None,
    };
    Some(
        g.meta
            .annotation("gateway.istio.io/service-account")
            .map_or(generated, str::to_string),
    )
}

/// Of the copy applied last and the others, the one nearest to the file `from`; the one applied
/// last on a tie.
fn nearest<'m, T>(
    winner: Option<&'m T>,
    object: impl Fn(&T) -> ObjectId,
    copies: impl Iterator<Item = (&'m str, &'m T)>,
    paths: &HashMap<ObjectId, String>,
    from: &str,
) -> Option<&'m T> {
    let closeness = |path: &str| -> usize {
        if path == from {
            return usize::MAX;
        }
        let (a, b) = (
            std::path::Path::new(path).parent(),
            std::path::Path::new(from).parent(),
        );
        match (a, b) {
            (Some(a), Some(b)) => a
                .components()
                .zip(b.components())
                .take_while(|(x, y)| x == y)
                .count(),
            _ => 0,
        }
    };
    let mut best = winner;
    let mut best_score = winner
        .and_then(|w| paths.get(&object(w)))
        .map_or(0, |p| closeness(p));
    for (path, copy) in copies {
        let score = closeness(path);
        if score > best_score || best.is_none() {
            best = Some(copy);
            best_score = score;
        }
    }
    best
}

pub fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: other}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web, tier: front}}
    spec: {serviceAccountName: web, containers: [{name: w, image: w}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop}
spec:
  template:
    metadata: {labels: {app: legacy, istio.io/dataplane-mode: none}}
    spec: {containers: [{name: w, image: w}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra, annotations: {gateway.istio.io/service-account: edge-sa}}
spec: {gatewayClassName: istio}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop}
spec: {gatewayClassName: istio-waypoint}
";

    fn model() -> Model {
        let inputs = Inputs::from_texts([("m.yaml", INPUT)]);
        assert!(inputs.findings.is_empty(), "{:?}", inputs.findings);
        Model::build(&inputs, ModelOptions::default())
    }

    #[test]
    fn indexes_answer_by_namespace() {
        let m = model();
        assert!(m.findings.is_empty(), "{:?}", m.findings);
        let names = |it: Vec<&str>| it.into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            names(
                m.service_accounts_in("shop")
                    .map(|s| s.name.as_str())
                    .collect()
            ),
            vec!["web"]
        );
        let web = &m.workloads[0];
        let svcs: Vec<&str> = m
            .services_selecting(web)
            .map(|s| s.meta.namespace.as_str())
            .collect();
        assert_eq!(
            svcs,
            vec!["shop"],
            "only Services of the workload's namespace select it"
        );
        assert_eq!(m.workloads_running_as("shop", "web"), &[0]);
        assert_eq!(m.workloads_running_as("shop", "default"), &[1]);
        let sel = LabelSelector::from_labels(
            vec![("tier".into(), "front".into())],
            crate::load::node::FieldPath::root(),
        );
        assert_eq!(m.select_workloads(Some("shop"), &sel), vec![0]);
        assert!(m.select_workloads(Some("other"), &sel).is_empty());
    }

    #[test]
    fn enrolment_and_generated_identities() {
        let m = model();
        assert_eq!(m.workload_dataplane(&m.workloads[0]), Dataplane::Ambient);
        assert_eq!(m.workload_dataplane(&m.workloads[1]), Dataplane::Outside);
        assert_eq!(m.namespace_dataplane("nowhere"), Dataplane::Unknown);
        let accounts: Vec<(&str, &str)> = m
            .gateway_deployments
            .iter()
            .map(|d| (d.namespace.as_str(), d.service_account.as_str()))
            .collect();
        assert_eq!(accounts, vec![("infra", "edge-sa"), ("shop", "waypoint")]);
        assert!(m.namespace_known("infra") && m.namespace_known("kube-system"));
        assert!(!m.namespace_known("payments"));
    }
}
