//! `ambient-lint graph`: every intended flow with the engine's verdict and what decided it, as a
//! table, JSON, Graphviz dot or Mermaid. It reports; gating is `check`'s AL5xx.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::engine::wire::Judgement;
use crate::engine::{Direction, Engine, Verdict};
use crate::finding::Location;
use crate::flows::verdict::{FlowVerdict, Pair};
use crate::flows::{Flow, FlowSource, FlowTarget, OriginKind};
use crate::load::Inputs;
use crate::model::Model;
use crate::rules::Context;
use crate::{LintOptions, load};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Named {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Target {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub port: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Origin {
    pub kind: &'static str,
    pub file: String,
    pub line: usize,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DecidedBy {
    pub layer: &'static str,
    /// `ingress` or `egress` for NetworkPolicy; null for authorization.
    pub direction: Option<&'static str>,
    pub policy: Named,
    pub file: String,
    pub line: usize,
    pub effect: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GraphFlow {
    pub from: Named,
    pub to: Target,
    pub origin: Origin,
    pub verdict: &'static str,
    /// What is on the wire: `HBONE (TCP 15008)`, `TCP 5432`.
    pub wire: String,
    pub decided_by: Vec<DecidedBy>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub why_unknown: Vec<String>,
    /// The units (overlays, environments) the flow was judged in, when the input has several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// A flow the config forbids: `allowed` is then what `check` reports (AL503).
    #[serde(skip_serializing_if = "is_false")]
    pub forbidden: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    flows: &'a [GraphFlow],
}

/// Loads the input and judges every intended flow of every unit.
pub fn flows(options: &LintOptions) -> Result<(Inputs, Vec<GraphFlow>), crate::RunError> {
    let inputs = load::load(&options.load).map_err(crate::RunError::Load)?;
    let units = crate::units_of(&inputs);
    // The same flow judged alike in several units (a base that several overlays render) is one
    // row naming them; judged differently, one row per verdict.
    let mut rows: BTreeMap<GraphFlow, Vec<String>> = BTreeMap::new();
    for unit in units.iter() {
        let model = Model::of_unit(&inputs, unit, &options.model);
        let ctx = Context::new(&model, &inputs, &options.rules);
        for (flow, verdict) in ctx.flows().flows.iter().zip(ctx.flow_verdicts()) {
            // Flows written in a `--context` file are not the user's to see.
            if !inputs.is_reported(inputs.file_of(&flow.origin.at)) {
                continue;
            }
            let names = rows
                .entry(row(&inputs, ctx.engine(), flow, verdict))
                .or_default();
            if !unit.name.is_empty() && !names.contains(&unit.name) {
                names.push(unit.name.clone());
            }
        }
    }
    let flows = rows
        .into_iter()
        .map(|(mut f, units)| {
            f.units = units;
            f
        })
        .collect();
    Ok((inputs, flows))
}

fn at(inputs: &Inputs, location: &Location) -> (String, usize) {
    let r = inputs.resolve(location);
    (inputs.files[r.file].path.clone(), r.start.line)
}

fn source_name(engine: &Engine, from: &FlowSource) -> Named {
    let model = engine.model;
    match from {
        FlowSource::Workload(i) => {
            let w = &model.workloads[*i];
            Named {
                kind: w.kind.to_string(),
                namespace: Some(w.meta.namespace.to_string()),
                name: w.meta.name.to_string(),
            }
        }
        FlowSource::Gateway(g) => {
            let g = &model.gateways[*g];
            Named {
                kind: "Gateway".into(),
                namespace: Some(g.meta.namespace.to_string()),
                name: g.meta.name.to_string(),
            }
        }
        FlowSource::Namespace(ns) => Named {
            kind: "Namespace".into(),
            namespace: None,
            name: ns.clone(),
        },
        FlowSource::External => Named {
            kind: "External".into(),
            namespace: None,
            name: "external".into(),
        },
    }
}

fn target_name(engine: &Engine, to: &FlowTarget) -> Target {
    let model = engine.model;
    match to {
        FlowTarget::Service { service, port } => {
            let s = &model.services[*service];
            Target {
                kind: "Service".into(),
                namespace: Some(s.meta.namespace.to_string()),
                name: s.meta.name.to_string(),
                port: Some(s.ports[*port].port),
            }
        }
        FlowTarget::Workload { workload, port } => {
            let w = &model.workloads[*workload];
            Target {
                kind: w.kind.to_string(),
                namespace: Some(w.meta.namespace.to_string()),
                name: w.meta.name.to_string(),
                port: *port,
            }
        }
        FlowTarget::Namespace { namespace, port } => Target {
            kind: "Namespace".into(),
            namespace: None,
            name: namespace.clone(),
            port: *port,
        },
        FlowTarget::External { port } => Target {
            kind: "External".into(),
            namespace: None,
            name: "external".into(),
            port: *port,
        },
    }
}

/// The pair that decides the flow's verdict: a blocked one, else an unknown one, else the first.
fn deciding_pair(verdict: &FlowVerdict) -> Option<&Pair> {
    let find = |v: Verdict| verdict.pairs.iter().find(|p| p.judgement.verdict() == v);
    find(Verdict::Denied)
        .or_else(|| find(Verdict::Unknown))
        .or_else(|| verdict.pairs.first())
}

fn deciders(inputs: &Inputs, engine: &Engine, j: &Judgement) -> Vec<DecidedBy> {
    let model = engine.model;
    let verdict = j.verdict();
    let mut out = Vec::new();
    let Some(plan) = j
        .plans
        .iter()
        .find(|p| p.network().and(p.authorization()) == verdict)
    else {
        return out;
    };
    let network = plan.network();
    for leg in &plan.legs {
        if verdict == Verdict::Denied && leg.verdict() != Verdict::Denied {
            continue;
        }
        for (dir, policy, location, effect) in engine.leg_deciders(leg) {
            if network == Verdict::Allowed && verdict == Verdict::Denied {
                break;
            }
            let m = &model.network_policies[policy].meta;
            let (file, line) = at(inputs, &location);
            out.push(DecidedBy {
                layer: "networkpolicy",
                direction: Some(match dir {
                    Direction::Ingress => "ingress",
                    Direction::Egress => "egress",
                }),
                policy: Named {
                    kind: "NetworkPolicy".into(),
                    namespace: Some(m.namespace.to_string()),
                    name: m.name.to_string(),
                },
                file,
                line,
                effect,
            });
        }
    }
    for a in &plan.authz {
        if verdict == Verdict::Denied && a.verdict() != Verdict::Denied {
            continue;
        }
        if let Some(pa) = a.strict {
            let m = &model.peer_authentications[pa].meta;
            let (file, line) = at(inputs, &Location::field(m.object, "spec"));
            out.push(DecidedBy {
                layer: "authorization",
                direction: None,
                policy: Named {
                    kind: "PeerAuthentication".into(),
                    namespace: Some(m.namespace.to_string()),
                    name: m.name.to_string(),
                },
                file,
                line,
                effect: "STRICT mTLS refuses plain text".into(),
            });
        }
        for d in &a.outcome.decided_by {
            let m = &model.authorization_policies[d.policy].meta;
            let (file, line) = at(inputs, &engine.decision_location(d));
            out.push(DecidedBy {
                layer: "authorization",
                direction: None,
                policy: Named {
                    kind: "AuthorizationPolicy".into(),
                    namespace: Some(m.namespace.to_string()),
                    name: m.name.to_string(),
                },
                file,
                line,
                effect: d.effect.clone(),
            });
        }
    }
    out
}

fn row(inputs: &Inputs, engine: &Engine, flow: &Flow, verdict: &FlowVerdict) -> GraphFlow {
    let (file, line) = at(inputs, &flow.origin.at);
    let pair = deciding_pair(verdict);
    let v = if verdict.not_judged.is_some() {
        Verdict::Unknown
    } else {
        verdict.verdict()
    };
    let mut why_unknown: Vec<String> = pair.map(|p| p.judgement.unknown()).unwrap_or_default();
    if let Some(why) = &verdict.not_judged {
        why_unknown.push(why.clone());
    }
    if v != Verdict::Unknown {
        why_unknown.clear();
    }
    GraphFlow {
        from: source_name(engine, &flow.from),
        to: target_name(engine, &flow.to),
        origin: Origin {
            kind: match flow.origin.kind {
                OriginKind::Route => "route",
                OriginKind::Env => "env",
                OriginKind::Config => "config",
            },
            file,
            line,
            detail: flow.origin.detail.clone(),
        },
        verdict: v.as_str(),
        wire: pair.map(|p| p.judgement.wire()).unwrap_or_default(),
        decided_by: pair
            .map(|p| deciders(inputs, engine, &p.judgement))
            .unwrap_or_default(),
        why_unknown,
        units: Vec::new(),
        forbidden: flow.forbidden,
    }
}

fn name_of(n: &Named) -> String {
    match &n.namespace {
        Some(ns) => format!("{ns}/{}", n.name),
        None => n.name.clone(),
    }
}

fn target_of(t: &Target) -> String {
    match &t.namespace {
        Some(ns) => format!("{ns}/{}", t.name),
        None => t.name.clone(),
    }
}

pub fn write_json(out: &mut dyn Write, flows: &[GraphFlow]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document { version: 1, flows })?;
    writeln!(out)
}

pub fn write_table(out: &mut dyn Write, flows: &[GraphFlow]) -> io::Result<()> {
    let rows: Vec<[String; 6]> = flows
        .iter()
        .map(|f| {
            let decided = f
                .decided_by
                .iter()
                .map(|d| {
                    format!(
                        "{} {}{}",
                        d.policy.kind,
                        name_of(&d.policy),
                        d.direction.map_or(String::new(), |d| format!(" ({d})"))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            [
                format!("{} {}", f.from.kind, name_of(&f.from)),
                format!("{} {}", f.to.kind, target_of(&f.to)),
                f.to.port.map_or("-".to_string(), |p| p.to_string()),
                format!(
                    "{}:{}{}",
                    f.origin.file,
                    f.origin.line,
                    units_note(&f.units)
                ),
                if f.forbidden {
                    format!("{} (forbidden)", f.verdict)
                } else {
                    f.verdict.to_string()
                },
                if decided.is_empty() && !f.why_unknown.is_empty() {
                    f.why_unknown.join("; ")
                } else if decided.is_empty() {
                    "no policy restricts it".to_string()
                } else {
                    decided
                },
            ]
        })
        .collect();
    let header = ["FROM", "TO", "PORT", "ORIGIN", "VERDICT", "DECIDED BY"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 5 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s.trim_end().to_string()
    };
    writeln!(out, "{}", line(header))?;
    for r in &rows {
        writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]))?;
    }
    let blocked = flows.iter().filter(|f| f.verdict == "blocked").count();
    let unknown = flows.iter().filter(|f| f.verdict == "unknown").count();
    writeln!(
        out,
        "\n{} flows: {} allowed, {blocked} blocked, {unknown} unknown",
        flows.len(),
        flows.len() - blocked - unknown
    )
}

/// ` (in overlays a, b and 3 more)` for the table, when the input has several units.
fn units_note(units: &[String]) -> String {
    match units.len() {
        0 => String::new(),
        1..=2 => format!(" (in {})", units.join(", ")),
        n => format!(" (in {}, {} and {} more)", units[0], units[1], n - 2),
    }
}

/// `80`, `80 blocked`, `unknown`: the port, and the verdict unless allowed.
fn edge_label(f: &GraphFlow) -> String {
    let port = f.to.port.map_or(String::new(), |p| p.to_string());
    let label = if f.verdict == "allowed" {
        port
    } else {
        format!("{port} {}", f.verdict)
    };
    label.trim().to_string()
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn write_dot(out: &mut dyn Write, flows: &[GraphFlow]) -> io::Result<()> {
    writeln!(out, "digraph flows {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [shape=box, fontname=\"Helvetica\"];")?;
    for f in flows {
        let color = match f.verdict {
            "allowed" => "darkgreen",
            "blocked" => "red",
            _ => "gray50",
        };
        let label = edge_label(f);
        writeln!(
            out,
            "  {} -> {} [label={}, color={color}, fontcolor={color}{}];",
            quote(&name_of(&f.from)),
            quote(&target_of(&f.to)),
            quote(&label),
            if f.forbidden { ", style=dashed" } else { "" }
        )?;
    }
    writeln!(out, "}}")
}

pub fn write_mermaid(out: &mut dyn Write, flows: &[GraphFlow]) -> io::Result<()> {
    writeln!(out, "flowchart LR")?;
    let mut ids: Vec<String> = Vec::new();
    let id = |name: String, ids: &mut Vec<String>| -> String {
        match ids.iter().position(|n| *n == name) {
            Some(i) => format!("n{i}"),
            None => {
                ids.push(name);
                format!("n{}", ids.len() - 1)
            }
        }
    };
    let mut styles = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        let from = name_of(&f.from);
        let to = target_of(&f.to);
        let a = id(from.clone(), &mut ids);
        let b = id(to.clone(), &mut ids);
        let label = edge_label(f);
        let arrow = if f.forbidden { "-.->" } else { "-->" };
        writeln!(
            out,
            "  {a}[\"{from}\"] {arrow}|\"{}\"| {b}[\"{to}\"]",
            label
        )?;
        let color = match f.verdict {
            "allowed" => "green",
            "blocked" => "red",
            _ => "gray",
        };
        styles.push(format!("  linkStyle {i} stroke:{color}"));
    }
    for s in styles {
        writeln!(out, "{s}")?;
    }
    Ok(())
}
