//! Which waypoint a Service or a workload uses (docs/platform.md §2): `istio.io/use-waypoint` on
//! the object wins over its namespace's; `none` opts out; `istio.io/use-waypoint-namespace` points
//! elsewhere.

use std::borrow::Cow;

use crate::finding::Location;
use crate::intern::Atom;
use crate::load::node::FieldPath;

use super::resources::{Gateway, Meta, Service, Workload};
use super::selector::{Labels, label};
use super::{Model, WAYPOINT_CLASS};

pub const USE_WAYPOINT: &str = "istio.io/use-waypoint";
pub const USE_WAYPOINT_NAMESPACE: &str = "istio.io/use-waypoint-namespace";
pub const WAYPOINT_FOR: &str = "istio.io/waypoint-for";

/// A `use-waypoint` label in force for an object.
#[derive(Clone, Debug)]
pub struct WaypointUse {
    pub name: String,
    pub namespace: String,
    /// Where the label is written (the object's own label, or its namespace's).
    pub at: Location,
    /// The label comes from the Namespace, not the object itself.
    pub inherited: bool,
    /// Where `istio.io/use-waypoint-namespace` is written, when it is.
    pub namespace_at: Option<Location>,
}

fn from_labels(
    labels: &Labels,
    own_namespace: &str,
    object: usize,
    labels_path: FieldPath,
    inherited: bool,
) -> Option<Option<WaypointUse>> {
    let name = label(labels, USE_WAYPOINT)?;
    if name == "none" || name.is_empty() {
        return Some(None);
    }
    let other = label(labels, USE_WAYPOINT_NAMESPACE);
    Some(Some(WaypointUse {
        name: name.to_string(),
        namespace: other.unwrap_or(own_namespace).to_string(),
        at: Location::field(object, labels_path.key(USE_WAYPOINT)),
        inherited,
        namespace_at: other
            .map(|_| Location::field(object, labels_path.key(USE_WAYPOINT_NAMESPACE))),
    }))
}

impl Model {
    /// The waypoint a Namespace's label names, if any.
    pub fn namespace_waypoint_use(&self, namespace: &str) -> Option<WaypointUse> {
        self.namespace_waypoint(namespace)
    }

    fn namespace_waypoint(&self, namespace: &str) -> Option<WaypointUse> {
        let ns: &Meta = self.namespace(namespace)?;
        from_labels(
            &ns.labels,
            namespace,
            ns.object,
            FieldPath::new("metadata.labels"),
            true,
        )
        .flatten()
    }

    /// The waypoint a Service's traffic goes through, if any.
    pub fn service_waypoint(&self, svc: &Service) -> Option<WaypointUse> {
        match from_labels(
            &svc.meta.labels,
            &svc.meta.namespace,
            svc.meta.object,
            FieldPath::new("metadata.labels"),
            false,
        ) {
            Some(own) => own,
            None => self.namespace_waypoint(&svc.meta.namespace),
        }
    }

    /// The waypoint a workload's pods use for traffic addressed to them directly, if any.
    pub fn workload_waypoint(&self, w: &Workload) -> Option<WaypointUse> {
        let labels_path = w.pod_labels_path();
        match from_labels(
            &w.pod_labels,
            &w.meta.namespace,
            w.meta.object,
            labels_path,
            false,
        ) {
            Some(own) => own,
            None => self.namespace_waypoint(&w.meta.namespace),
        }
    }

    /// The `istio-waypoint` Gateway a use names, if the input has it.
    pub fn waypoint_gateway(&self, u: &WaypointUse) -> Option<&Gateway> {
        self.gateway(&u.namespace, &u.name)
            .filter(|g| g.class_name.value == WAYPOINT_CLASS)
    }

    /// `istio.io/waypoint-for` of a waypoint: the Gateway's label, else its class's, else `service`.
    pub fn waypoint_for<'m>(&'m self, g: &'m Gateway) -> &'m str {
        g.meta
            .label(WAYPOINT_FOR)
            .or_else(|| {
                self.gateway_classes
                    .iter()
                    .find(|c| c.meta.name == g.class_name.value)
                    .and_then(|c| c.meta.label(WAYPOINT_FOR))
            })
            .unwrap_or("service")
    }

    /// Whether a waypoint accepts workloads and Services of `user_namespace` (its HBONE
    /// listener's `allowedRoutes`; istio `ambient/waypoints.go`): None when the namespace's labels
    /// are not in the input, or the waypoint has no HBONE listener (AL106's finding).
    pub fn waypoint_accepts(&self, g: &Gateway, user_namespace: &str) -> Option<bool> {
        if g.meta.namespace == user_namespace {
            return Some(true);
        }
        let listener = g
            .listeners
            .iter()
            .find(|l| l.port == Some(15008) && l.protocol == "HBONE")?;
        match &listener.routes_from {
            super::resources::RoutesFrom::All => Some(true),
            super::resources::RoutesFrom::Same | super::resources::RoutesFrom::None => Some(false),
            super::resources::RoutesFrom::Selector(sel) => {
                let (labels, complete) = self.namespace_labels(user_namespace);
                let matched = sel.matches(&labels);
                (matched || complete).then_some(matched)
            }
        }
    }

    /// Labels of a namespace as the cluster has them: its Namespace object's, plus
    /// `kubernetes.io/metadata.name`, which every namespace carries. Without a Namespace object
    /// only that label is known, and `complete` is false.
    pub fn namespace_labels(&self, namespace: &str) -> (Cow<'_, Labels>, bool) {
        match self.namespace_index(namespace) {
            Some(i) => (Cow::Borrowed(&self.namespace_labels[i]), true),
            None => (
                Cow::Owned(vec![(
                    Atom::new(super::METADATA_NAME),
                    Atom::new(namespace),
                )]),
                false,
            ),
        }
    }

    /// What [`Model::namespace_labels`] says of a Namespace object, worked out once: the engine
    /// asks for every pair of pods it judges.
    pub(super) fn cluster_labels(ns: &Meta) -> Labels {
        let mut labels = vec![(Atom::new(super::METADATA_NAME), Atom::new(&ns.name))];
        labels.extend(
            ns.labels
                .iter()
                .filter(|(k, _)| k != super::METADATA_NAME)
                .cloned(),
        );
        labels
    }
}
