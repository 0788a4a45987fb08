//! AL1xx: mesh enrolment, identities of workloads, waypoints.

pub mod al107_workload_on_default_serviceaccount;
