use crate::engine::Endpoint;
use crate::engine::authz::Enforcer;
use crate::finding::{Finding, Location, Severity};
use crate::model::{Dataplane, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL219",
    name: "database-open-to-mesh",
    severity: Severity::Warning,
    summary: "an ambient workload serving a datastore port has no AuthorizationPolicy: every workload in the mesh can connect",
    doc: include_str!("../../../rules/AL219-database-open-to-mesh.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

/// Well-known datastore ports.
const DATASTORES: &[(i64, &str)] = &[
    (1433, "SQL Server"),
    (1521, "Oracle"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (7687, "Neo4j"),
    (9042, "Cassandra"),
    (9092, "Kafka"),
    (9200, "Elasticsearch"),
    (11211, "Memcached"),
    (26257, "CockroachDB"),
    (27017, "MongoDB"),
];

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let engine = ctx.engine();
    for (i, w) in model.workloads.iter().enumerate() {
        if model.workload_dataplane(w) != Dataplane::Ambient {
            continue;
        }
        let Some((port, store)) = w.container_ports().find_map(|p| {
            DATASTORES
                .iter()
                .find(|(n, _)| *n == p.port)
                .map(|(_, s)| (p, *s))
        }) else {
            continue;
        };
        // The policies ztunnel applies to these pods, as the engine selects them.
        if !engine
            .authorization_policies(&Endpoint::Workload(i), &Enforcer::Ztunnel)
            .is_empty()
        {
            continue;
        }
        out.push(
            finding(
                &RULE,
                Location::field(w.meta.object, port.path.clone()),
                format!(
                    "`{}` ({}) serves {store} (port {}) in ambient and no AuthorizationPolicy applies to it: any workload in the mesh can connect",
                    qualified(Some(&w.meta.namespace), &w.meta.name),
                    w.kind,
                    port.port
                ),
            )
            .help("add an ALLOW AuthorizationPolicy selecting these pods that names the ServiceAccounts (principals) of the services that own the data"),
        );
    }
}
