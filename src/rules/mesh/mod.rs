//! AL1xx: mesh enrolment, identities of workloads, waypoints.

pub mod al101_sidecar_and_ambient_labels;
pub mod al102_policy_outside_mesh;
pub mod al103_waypoint_not_found;
pub mod al104_waypoint_traffic_type_mismatch;
pub mod al105_waypoint_cross_namespace_denied;
pub mod al106_waypoint_without_hbone_listener;
pub mod al107_workload_on_default_serviceaccount;

use crate::model::Model;
use crate::model::waypoints::WaypointUse;

/// Every `use-waypoint` label written in the input, with the object's namespace and kind:
/// Namespaces', Services' and pod templates' own labels (inherited ones are reported once, at the
/// Namespace).
pub fn waypoint_uses(model: &Model) -> Vec<(WaypointUse, String, &'static str)> {
    let mut out = Vec::new();
    for ns in &model.namespaces {
        if let Some(u) = model
            .namespace_waypoint_use(&ns.name)
            .filter(|u| u.inherited)
        {
            out.push((u, ns.name.to_string(), "namespace"));
        }
    }
    for s in &model.services {
        if let Some(u) = model.service_waypoint(s).filter(|u| !u.inherited) {
            out.push((u, s.meta.namespace.to_string(), "service"));
        }
    }
    for w in &model.workloads {
        if let Some(u) = model.workload_waypoint(w).filter(|u| !u.inherited) {
            out.push((u, w.meta.namespace.to_string(), "workload"));
        }
    }
    out
}
