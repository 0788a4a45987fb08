//! `ambient-lint connectivity`: what each workload and address block may open to each other one
//! (issue 9 §4). Two readings of one model:
//!
//! - `plain`: Kubernetes NetworkPolicy alone, as any CNI enforces it without a mesh, read as
//!   NetworkPolicy analyzers read manifests ([`Engine::plain`]): `ipBlock`s name addresses
//!   outside the pod network, a namespace without a Namespace object carries only its
//!   `kubernetes.io/metadata.name` label. Egress at the source and ingress at the destination
//!   must both admit.
//! - `ambient`: what the application sees: each port the destination's containers declare, judged
//!   by the engine with ambient's wire (HBONE to 15008 between ambient pods, waypoints) and
//!   AuthorizationPolicy; what the input cannot settle is listed apart as unknown.
//!
//! Address blocks are the pieces every `ipBlock` and `except` of the policies cut the address
//! space into (`0.0.0.0/0` when none does); IPv6 only when a policy names it.
//!
//! Cost follows the answer: NetworkPolicy is gathered per rule and per group of workloads the
//! same policies isolate ([`crate::engine::reach`]); only pairs some rule may admit are looked
//! at, and the ambient verdicts are computed once per pair of workload classes (workloads that
//! look alike to every policy).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{Value, json};

use crate::engine::ip::{self, IpRange};
use crate::engine::netpol::Direction;
use crate::engine::ports::{PROTOCOLS, PortSet};
use crate::engine::reach::Reach;
use crate::engine::wire::{AppFlow, Judgement};
use crate::engine::{Endpoint, Engine, IpBlocksAndPods, Verdict};
use crate::model::Model;
use crate::model::resources::Peer as PolicyPeer;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ambient,
    Plain,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Ambient => "ambient",
            Mode::Plain => "plain",
        }
    }
}

/// One end of a connection as reports name it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// A workload: its controlling owner for a Pod that has one.
    Workload {
        namespace: String,
        name: String,
        kind: String,
    },
    /// One CIDR.
    Ip(IpRange),
}

impl fmt::Display for Peer {
    /// `ns/name[Kind]` or `10.0.0.0/8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Workload {
                namespace,
                name,
                kind,
            } => write!(f, "{namespace}/{name}[{kind}]"),
            Peer::Ip(r) => r.fmt(f),
        }
    }
}

impl Peer {
    fn json(&self) -> Value {
        match self {
            Peer::Workload {
                namespace,
                name,
                kind,
            } => json!({"kind": kind, "namespace": namespace, "name": name}),
            Peer::Ip(r) => json!({"ip": r.to_string()}),
        }
    }
}

/// What may pass from `src` to `dst`: surely, and what the input cannot settle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conns {
    pub allowed: PortSet,
    pub unknown: PortSet,
}

impl Conns {
    fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.unknown.is_empty()
    }

    fn union_with(&mut self, other: &Conns) {
        self.allowed.union_with(&other.allowed);
        self.unknown.union_with(&other.unknown);
    }

    /// Unknown only where not surely allowed.
    fn settle(&mut self) {
        self.unknown = self.unknown.minus(&self.allowed);
    }
}

/// The connectivity of loaded inputs: each unit modelled as its own cluster, the pairs of all
/// united (a pair two units both hold gets what either allows).
pub fn run(inputs: &crate::load::Inputs, options: &crate::LintOptions, mode: Mode) -> Connectivity {
    use rayon::prelude::*;
    let units = crate::units_of(inputs);
    let found: Vec<(PairMap, std::time::Duration, std::time::Duration)> = units
        .par_iter()
        .map(|unit| {
            let start = std::time::Instant::now();
            let model = Model::of_unit(inputs, unit, &options.model);
            let model_time = start.elapsed();
            let start = std::time::Instant::now();
            let map = match mode {
                Mode::Plain => plain(&model),
                Mode::Ambient => ambient(&model),
            };
            (map, model_time, start.elapsed())
        })
        .collect();
    let mut out = Connectivity::default();
    for (map, model_time, pairs_time) in found {
        out.model_time += model_time;
        out.pairs_time += pairs_time;
        for (key, c) in map {
            out.pairs.entry(key).or_default().union_with(&c);
        }
    }
    out
}

/// Every ordered pair with something allowed (or unknown), sorted.
#[derive(Debug, Default)]
pub struct Connectivity {
    pub pairs: BTreeMap<(Peer, Peer), Conns>,
    /// Time spent modelling the units, and finding their pairs (summed over units).
    pub model_time: std::time::Duration,
    pub pairs_time: std::time::Duration,
}

impl Connectivity {
    pub fn write_table(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let rows: Vec<(String, String, String)> = self
            .pairs
            .iter()
            .map(|((s, d), c)| (s.to_string(), d.to_string(), conns_text(c)))
            .collect();
        let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(3);
        let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(3);
        writeln!(out, "{:<w0$}  {:<w1$}  CONNECTIONS", "SRC", "DST")?;
        for (s, d, c) in rows {
            writeln!(out, "{s:<w0$}  {d:<w1$}  {c}")?;
        }
        Ok(())
    }

    pub fn to_json(&self, mode: Mode) -> Value {
        let connections: Vec<Value> = self
            .pairs
            .iter()
            .map(|((s, d), c)| {
                let mut entry = serde_json::Map::new();
                entry.insert("src".into(), s.json());
                entry.insert("dst".into(), d.json());
                entry.insert("conns".into(), ports_json(&c.allowed));
                if !c.unknown.is_empty() {
                    entry.insert("unknown".into(), ports_json(&c.unknown));
                }
                Value::Object(entry)
            })
            .collect();
        json!({"version": 1, "mode": mode.as_str(), "connections": connections})
    }
}

fn conns_text(c: &Conns) -> String {
    match (c.allowed.is_empty(), c.unknown.is_empty()) {
        (_, true) => c.allowed.to_string(),
        (true, false) => format!("unknown: {}", c.unknown),
        (false, false) => format!("{} (unknown: {})", c.allowed, c.unknown),
    }
}

/// `"all"` or `{"TCP": [80, [8080, 8090]], "UDP": [53]}`.
fn ports_json(p: &PortSet) -> Value {
    if p.is_all() {
        return json!("all");
    }
    let mut m = serde_json::Map::new();
    for (proto, ranges) in p.ranges() {
        let list: Vec<Value> = ranges
            .iter()
            .map(|&(s, e)| if s == e { json!(s) } else { json!([s, e]) })
            .collect();
        m.insert(proto.to_string(), Value::Array(list));
    }
    Value::Object(m)
}

fn workload_peer(model: &Model, w: usize) -> Peer {
    let wl = &model.workloads[w];
    let (kind, name) = wl.display_name();
    Peer::Workload {
        namespace: wl.meta.namespace.to_string(),
        name: name.to_string(),
        kind: kind.to_string(),
    }
}

/// The address pieces every `ipBlock` and `except` cut the space into.
fn address_pieces(model: &Model) -> Vec<IpRange> {
    let mut blocks = Vec::new();
    for p in &model.network_policies {
        for rule in p.ingress.iter().chain(&p.egress) {
            for peer in &rule.peers {
                if let PolicyPeer::IpBlock { cidr, except, .. } = peer {
                    blocks.extend(IpRange::parse(cidr));
                    blocks.extend(except.iter().filter_map(|e| IpRange::parse(e)));
                }
            }
        }
    }
    ip::elementary(&blocks)
}

type PairMap = HashMap<(Peer, Peer), Conns>;

/// Container ports as (name, number, protocol), sorted: what named ports resolve on.
type PortsSignature = Vec<(Option<String>, i64, String)>;

/// Answers for each address piece, by direction, NetworkPolicy group and container ports.
type IpCache = HashMap<(Direction, usize, PortsSignature), Vec<Conns>>;

fn add(out: &mut PairMap, src: Peer, dst: Peer, c: Conns) {
    if c.is_empty() || src == dst {
        return;
    }
    out.entry((src, dst)).or_default().union_with(&c);
}

/// Adjacent pieces with the same answer for one workload become one block, written as CIDRs.
fn add_ip_rows(
    out: &mut PairMap,
    model: &Model,
    w: usize,
    pieces: &[IpRange],
    answers: impl Iterator<Item = Conns>,
    towards_ip: bool,
) {
    let me = workload_peer(model, w);
    let mut run: Option<(IpRange, Conns)> = None;
    let flush = |run: Option<(IpRange, Conns)>, out: &mut PairMap| {
        let Some((range, c)) = run else {
            return;
        };
        for cidr in range.cidrs() {
            let ip = Peer::Ip(IpRange::parse(&cidr).expect("a CIDR of a range"));
            if towards_ip {
                add(out, me.clone(), ip, c.clone());
            } else {
                add(out, ip, me.clone(), c.clone());
            }
        }
    };
    for (piece, c) in pieces.iter().zip(answers) {
        run = match run {
            Some((r, rc))
                if rc == c && r.v6 == piece.v6 && r.end.checked_add(1) == Some(piece.start) =>
            {
                Some((
                    IpRange {
                        end: piece.end,
                        ..r
                    },
                    rc,
                ))
            }
            previous => {
                flush(previous, out);
                Some((*piece, c))
            }
        };
    }
    flush(run, out);
}

/// A key for answers that depend on a workload only through its NetworkPolicy group and its
/// container ports (named ports resolve on them).
fn ports_signature(model: &Model, w: usize) -> PortsSignature {
    let mut v: Vec<_> = model.workloads[w]
        .container_ports()
        .map(|p| (p.name.clone(), p.port, p.protocol.to_ascii_uppercase()))
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------ plain

fn plain(model: &Model) -> PairMap {
    let engine = Engine::plain(model);
    let egress = engine.reach(Direction::Egress);
    let ingress = engine.reach(Direction::Ingress);
    let n = model.workloads.len();
    let names: Vec<Peer> = (0..n).map(|w| workload_peer(model, w)).collect();
    let mut out = PairMap::new();
    for s in 0..n {
        let candidates = egress.remotes(s).and(ingress.locals_admitting(s), n);
        for d in candidates {
            if d == s || names[d] == names[s] {
                continue;
            }
            let (out_ports, _) = egress.ports(&engine, s, d);
            if out_ports.is_empty() {
                continue;
            }
            let (in_ports, _) = ingress.ports(&engine, d, s);
            let allowed = out_ports.intersect(&in_ports);
            add(
                &mut out,
                names[s].clone(),
                names[d].clone(),
                Conns {
                    allowed,
                    unknown: PortSet::empty(),
                },
            );
        }
    }
    let pieces = address_pieces(model);
    let mut cache = IpCache::new();
    for w in 0..n {
        for (dir, reach) in [(Direction::Ingress, &ingress), (Direction::Egress, &egress)] {
            let answers = ip_answers(&engine, reach, dir, w, &pieces, &mut cache, |e, piece| {
                Conns {
                    allowed: e
                        .admission(dir, &Endpoint::Workload(w), &Endpoint::Ip(*piece))
                        .certain,
                    unknown: PortSet::empty(),
                }
            });
            add_ip_rows(
                &mut out,
                model,
                w,
                &pieces,
                answers.into_iter(),
                dir == Direction::Egress,
            );
        }
    }
    out
}

/// What `dir` admits between workload `w` and each address piece, computed once per
/// NetworkPolicy group and container ports; every address for a workload no policy isolates.
fn ip_answers(
    engine: &Engine,
    reach: &Reach,
    dir: Direction,
    w: usize,
    pieces: &[IpRange],
    cache: &mut IpCache,
    answer: impl Fn(&Engine, &IpRange) -> Conns,
) -> Vec<Conns> {
    let Some(g) = reach.group_of(w) else {
        let all = Conns {
            allowed: PortSet::all(),
            unknown: PortSet::empty(),
        };
        return vec![all; pieces.len()];
    };
    let key = (dir, g, ports_signature(engine.model, w));
    cache
        .entry(key)
        .or_insert_with(|| pieces.iter().map(|p| answer(engine, p)).collect())
        .clone()
}

// ------------------------------------------------------------------ ambient

/// Workloads alike to every policy, role and identity: the same answers.
fn class_key(engine: &Engine, w: usize) -> String {
    let wl = &engine.model.workloads[w];
    let mut labels = wl.pod_labels.clone();
    labels.sort();
    format!(
        "{}\u{0}{:?}\u{0}{}\u{0}{:?}\u{0}{:?}\u{0}{}",
        wl.meta.namespace,
        labels,
        wl.service_account_name(),
        ports_signature(engine.model, w),
        engine.role(&Endpoint::Workload(w)),
        wl.host_network
    )
}

/// The application ports of a destination workload: (protocol, port), or None for "any port"
/// when its containers declare none.
fn app_ports(model: &Model, w: usize) -> Option<Vec<(String, u16)>> {
    let mut ports: Vec<(String, u16)> = model.workloads[w]
        .container_ports()
        .filter_map(|p| {
            u16::try_from(p.port)
                .ok()
                .map(|n| (p.protocol.to_ascii_uppercase(), n))
        })
        .filter(|(proto, _)| PROTOCOLS.contains(&proto.as_str()))
        .collect();
    ports.sort();
    ports.dedup();
    (!ports.is_empty()).then_some(ports)
}

fn flow(src: Endpoint, dst: Endpoint, protocol: &str, port: Option<u16>) -> AppFlow {
    AppFlow {
        src,
        dst,
        protocol: protocol.to_string(),
        port,
        service: None,
        service_port: None,
        methods: Vec::new(),
        paths: Vec::new(),
    }
}

/// A flow to any port of `protocol`: the ports every plan carries, from the NetworkPolicy
/// answers of the legs that carry the application port (an HBONE leg carries any).
fn any_port(engine: &Engine, src: &Endpoint, dst: &Endpoint, protocol: &str) -> Conns {
    let j: Judgement = engine.judge(&flow(src.clone(), dst.clone(), protocol, None));
    let verdict = j.verdict();
    if verdict == Verdict::Denied {
        return Conns::default();
    }
    let mut certain: Option<PortSet> = None;
    let mut possible = PortSet::empty();
    for plan in &j.plans {
        let mut sure = PortSet::all_of(protocol);
        let mut maybe = PortSet::all_of(protocol);
        for leg in plan.legs.iter().filter(|l| !l.leg.hbone) {
            sure = sure.intersect(&leg.egress.certain.intersect(&leg.ingress.certain));
            maybe = maybe.intersect(&leg.egress.possible.intersect(&leg.ingress.possible));
        }
        certain = Some(match certain {
            None => sure,
            Some(c) => c.intersect(&sure),
        });
        possible.union_with(&maybe);
    }
    let allowed = if verdict == Verdict::Allowed {
        certain.unwrap_or_default()
    } else {
        PortSet::empty()
    };
    let mut c = Conns {
        allowed,
        unknown: possible,
    };
    c.settle();
    c
}

/// A flow judged on each application port of workload `dst` (or any port).
fn app_conns(engine: &Engine, src: &Endpoint, dst: usize) -> Conns {
    let dst_e = Endpoint::Workload(dst);
    match app_ports(engine.model, dst) {
        None => {
            let mut c = Conns::default();
            for proto in PROTOCOLS {
                c.union_with(&any_port(engine, src, &dst_e, proto));
            }
            c
        }
        Some(ports) => {
            let mut c = Conns::default();
            for (proto, port) in ports {
                let j = engine.judge(&flow(src.clone(), dst_e.clone(), &proto, Some(port)));
                match j.verdict() {
                    Verdict::Allowed => c.allowed.add_range(&proto, port, port),
                    Verdict::Unknown => c.unknown.add_range(&proto, port, port),
                    Verdict::Denied => {}
                }
            }
            c
        }
    }
}

fn ambient(model: &Model) -> PairMap {
    let engine = Engine::new(model, IpBlocksAndPods::Unknown);
    let egress = engine.reach(Direction::Egress);
    let ingress = engine.reach(Direction::Ingress);
    let n = model.workloads.len();
    let names: Vec<Peer> = (0..n).map(|w| workload_peer(model, w)).collect();
    let mut class_ids: HashMap<String, usize> = HashMap::new();
    let class: Vec<usize> = (0..n)
        .map(|w| {
            let next = class_ids.len();
            *class_ids.entry(class_key(&engine, w)).or_insert(next)
        })
        .collect();
    // Destinations behind a waypoint: any source whose leg to the waypoint may pass.
    let mut waypoint_of: Vec<Option<Endpoint>> = vec![None; n];
    let mut via: HashMap<Endpoint, Vec<usize>> = HashMap::new();
    for (d, slot) in waypoint_of.iter_mut().enumerate() {
        let wl = &model.workloads[d];
        if let Some(used) = model.workload_waypoint(wl) {
            let gateway = model
                .gateways
                .iter()
                .position(|g| g.meta.namespace == used.namespace && g.meta.name == used.name);
            *slot = Some(Endpoint::IstioGateway {
                namespace: used.namespace,
                name: used.name,
                gateway,
            });
        }
    }
    for wp in waypoint_of.iter().flatten() {
        if via.contains_key(wp) {
            continue;
        }
        let reaches = |s: usize| {
            let se = Endpoint::Workload(s);
            let out = engine.admission(Direction::Egress, &se, wp).possible;
            let inn = engine.admission(Direction::Ingress, wp, &se).possible;
            !out.intersect(&inn).is_empty()
        };
        let sources: Vec<usize> = (0..n).filter(|&s| reaches(s)).collect();
        via.insert(wp.clone(), sources);
    }
    let mut judged: HashMap<(usize, usize), Conns> = HashMap::new();
    let mut out = PairMap::new();
    let mut consider = |s: usize, d: usize, out: &mut PairMap| {
        if d == s || names[d] == names[s] {
            return;
        }
        let c = judged
            .entry((class[s], class[d]))
            .or_insert_with(|| app_conns(&engine, &Endpoint::Workload(s), d))
            .clone();
        add(out, names[s].clone(), names[d].clone(), c);
    };
    let mut seen: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for s in 0..n {
        let candidates = egress.remotes(s).and(ingress.locals_admitting(s), n);
        for d in candidates {
            if d == s {
                continue;
            }
            let (_, out_ports) = egress.ports(&engine, s, d);
            if out_ports.is_empty() {
                continue;
            }
            let (_, in_ports) = ingress.ports(&engine, d, s);
            if out_ports.intersect(&in_ports).is_empty() {
                continue;
            }
            if seen.insert((s, d)) {
                consider(s, d, &mut out);
            }
        }
    }
    for (d, wp) in waypoint_of.iter().enumerate() {
        let Some(wp) = wp else { continue };
        for &s in &via[wp] {
            if seen.insert((s, d)) {
                consider(s, d, &mut out);
            }
        }
    }
    // Address pieces: each application port from each piece, any port towards it. A piece
    // matters to a verdict through NetworkPolicy's answer for it, and through authorization
    // only when a policy reads the source address: pieces alike there share one verdict.
    let pieces = address_pieces(model);
    let authz_reads_ip = model.authorization_policies.iter().any(|p| {
        p.rules.iter().any(|r| {
            r.from.iter().flatten().any(|c| {
                c.fields
                    .iter()
                    .any(|f| f.name.to_ascii_lowercase().contains("ipblocks"))
            }) || r.when.iter().any(|c| c.key.value.ends_with(".ip"))
        })
    });
    let mut from_ip: HashMap<usize, Vec<Conns>> = HashMap::new();
    let mut to_ip: HashMap<usize, Vec<Conns>> = HashMap::new();
    for (w, &cw) in class.iter().enumerate() {
        let we = Endpoint::Workload(w);
        let inbound = from_ip
            .entry(cw)
            .or_insert_with(|| {
                let mut alike: HashMap<(PortSet, PortSet, Option<IpRange>), Conns> = HashMap::new();
                pieces
                    .iter()
                    .map(|p| {
                        let ip = Endpoint::Ip(*p);
                        let a = engine.admission(Direction::Ingress, &we, &ip);
                        let key = (a.certain, a.possible, authz_reads_ip.then_some(*p));
                        alike
                            .entry(key)
                            .or_insert_with(|| app_conns(&engine, &ip, w))
                            .clone()
                    })
                    .collect()
            })
            .clone();
        add_ip_rows(&mut out, model, w, &pieces, inbound.into_iter(), false);
        let outbound = to_ip
            .entry(cw)
            .or_insert_with(|| {
                let mut alike: HashMap<(PortSet, PortSet), Conns> = HashMap::new();
                pieces
                    .iter()
                    .map(|p| {
                        let ip = Endpoint::Ip(*p);
                        let a = engine.admission(Direction::Egress, &we, &ip);
                        alike
                            .entry((a.certain, a.possible))
                            .or_insert_with(|| {
                                let mut c = Conns::default();
                                for proto in PROTOCOLS {
                                    c.union_with(&any_port(&engine, &we, &ip, proto));
                                }
                                c
                            })
                            .clone()
                    })
                    .collect()
            })
            .clone();
        add_ip_rows(&mut out, model, w, &pieces, outbound.into_iter(), true);
    }
    for c in out.values_mut() {
        c.settle();
    }
    out
}
