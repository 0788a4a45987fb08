use std::collections::BTreeSet;

use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::reader::IntOrString;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL309",
    name: "named-port-not-found",
    severity: Severity::Warning,
    summary: "a NetworkPolicy names a port that no container of the destination pods declares: the rule admits nothing on it",
    doc: include_str!("../../../rules/AL309-named-port-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for p in &model.network_policies {
        let ns = &p.meta.namespace;
        let selected: BTreeSet<usize> = model
            .select_workloads(Some(ns), &p.pod_selector)
            .into_iter()
            .collect();
        for (rules, ingress) in [(&p.ingress, true), (&p.egress, false)] {
            for rule in rules.iter() {
                let named = |p: &&crate::model::resources::NetPolPort| {
                    matches!(p.port, Some(IntOrString::String(_)))
                };
                if !rule.ports.iter().any(|p| named(&p)) {
                    continue;
                }
                // Named ports are resolved on the destination: the selected pods for ingress,
                // the peers for egress.
                let destinations: BTreeSet<usize> = if ingress {
                    selected.clone()
                } else if rule
                    .peers
                    .iter()
                    .all(|peer| matches!(peer, crate::model::resources::Peer::Pods { .. }))
                {
                    rule.peers
                        .iter()
                        .flat_map(|peer| ctx.engine().peer_workloads(ns, peer))
                        .collect()
                } else {
                    BTreeSet::new()
                };
                if destinations.is_empty() {
                    continue;
                }
                for port in &rule.ports {
                    let Some(IntOrString::String(name)) = &port.port else {
                        continue;
                    };
                    let declared = destinations.iter().any(|&d| {
                        model.workloads[d].container_ports().any(|cp| {
                            cp.name.as_deref() == Some(name.as_str())
                                && cp.protocol.eq_ignore_ascii_case(&port.protocol)
                        })
                    });
                    if declared {
                        continue;
                    }
                    let names: Vec<String> = destinations
                        .iter()
                        .take(3)
                        .map(|&d| {
                            qualified(
                                Some(&model.workloads[d].meta.namespace),
                                &model.workloads[d].meta.name,
                            )
                        })
                        .collect();
                    out.push(
                        finding(
                            &RULE,
                            Location::field(p.meta.object, port.path.key("port")),
                            format!(
                                "no container of the destination pods ({}) declares a {} port named `{name}`: this entry admits nothing",
                                crate::rules::list(&names),
                                port.protocol
                            ),
                        )
                        .help("use the `name` of a `containerPort` of the destination pods, or the port number"),
                    );
                }
            }
        }
    }
}
