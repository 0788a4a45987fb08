//! What ambient puts on the wire for a connection the application opens (docs/platform.md §4,
//! docs/flows.md): between two ambient pods HBONE to the destination pod's TCP 15008; through a
//! waypoint two such legs; to or from a pod outside the mesh the application port. Each leg is
//! judged by NetworkPolicy at both ends, and the destination's enforcer judges authorization.

use crate::finding::Location;
use crate::model::resources::Service;

use super::authz::{Enforcer, Identity, Outcome, Request};
use super::netpol::{Admission, Direction};
use super::ports::PortSet;
use super::{Endpoint, Engine, Role, Verdict};

pub const HBONE_PORT: u16 = 15008;
const INGRESS_USE_WAYPOINT: &str = "istio.io/ingress-use-waypoint";

/// A connection as the application sees it.
#[derive(Clone, Debug)]
pub struct AppFlow {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub protocol: String,
    /// The port the destination pods listen on; None: any port.
    pub port: Option<u16>,
    /// The Service addressed (index into `model.services`), when the flow goes through one.
    pub service: Option<usize>,
    /// The Service port addressed: what a waypoint sees, where the pods see the target port.
    pub service_port: Option<u16>,
    pub methods: Vec<String>,
    pub paths: Vec<String>,
}

/// One hop on the wire.
#[derive(Clone, Debug)]
pub struct Leg {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub protocol: String,
    /// None: any port (a flow that names none).
    pub port: Option<u16>,
    pub hbone: bool,
}

impl Leg {
    /// `HBONE (TCP 15008)` or `TCP 8080`.
    pub fn wire(&self) -> String {
        match (self.hbone, self.port) {
            (true, _) => format!("HBONE (TCP {HBONE_PORT})"),
            (false, Some(p)) => format!("{} {p}", self.protocol),
            (false, None) => format!("{} (any port)", self.protocol),
        }
    }
}

/// NetworkPolicy's answer for one leg.
#[derive(Clone, Debug)]
pub struct LegJudgement {
    pub leg: Leg,
    pub egress: Admission,
    pub ingress: Admission,
    pub egress_verdict: Verdict,
    pub ingress_verdict: Verdict,
}

impl LegJudgement {
    pub fn verdict(&self) -> Verdict {
        self.egress_verdict.and(self.ingress_verdict)
    }
}

/// Authorization at one enforcer.
#[derive(Clone, Debug)]
pub struct AuthzJudgement {
    pub at: Endpoint,
    pub enforcer: Enforcer,
    pub identity: Option<Identity>,
    pub outcome: Outcome,
    /// A STRICT PeerAuthentication that refuses the plain-text connection (index).
    pub strict: Option<usize>,
}

impl AuthzJudgement {
    pub fn verdict(&self) -> Verdict {
        if self.strict.is_some() {
            Verdict::Denied
        } else {
            self.outcome.verdict
        }
    }
}

/// One way the connection may be carried. Several when the input cannot tell (a pod whose
/// dataplane it does not show, a sidecar talking to an ambient pod).
#[derive(Clone, Debug)]
pub struct Plan {
    pub legs: Vec<LegJudgement>,
    pub authz: Vec<AuthzJudgement>,
    pub note: Option<String>,
    /// Which reading of the input this plan is, when there are several: "if namespace `a` is
    /// in ambient".
    pub reading: Option<String>,
}

impl Plan {
    pub fn network(&self) -> Verdict {
        self.legs
            .iter()
            .fold(Verdict::Allowed, |v, l| v.and(l.verdict()))
    }

    pub fn authorization(&self) -> Verdict {
        self.authz
            .iter()
            .fold(Verdict::Allowed, |v, a| v.and(a.verdict()))
    }
}

/// The engine's answer for a flow.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub plans: Vec<Plan>,
}

impl Judgement {
    /// Admitted by every layer, without saying how: one plan with no leg and no enforcer to
    /// refuse it.
    pub fn admitted() -> Judgement {
        Judgement {
            plans: vec![Plan {
                legs: Vec::new(),
                authz: Vec::new(),
                note: None,
                reading: None,
            }],
        }
    }

    pub fn network(&self) -> Verdict {
        fold_either(self.plans.iter().map(Plan::network))
    }

    pub fn authorization(&self) -> Verdict {
        fold_either(self.plans.iter().map(Plan::authorization))
    }

    /// Both layers must admit.
    pub fn verdict(&self) -> Verdict {
        fold_either(
            self.plans
                .iter()
                .map(|p| p.network().and(p.authorization())),
        )
    }

    /// What goes on the wire, for messages: the first plan's legs.
    pub fn wire(&self) -> String {
        self.plans
            .first()
            .map(|p| {
                p.legs
                    .iter()
                    .map(|l| l.leg.wire())
                    .collect::<Vec<_>>()
                    .join(" then ")
            })
            .unwrap_or_default()
    }

    /// Why the verdict is unknown, deduplicated.
    pub fn unknown(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in &self.plans {
            if let Some(n) = &p.note {
                out.push(n.clone());
            }
            for l in &p.legs {
                out.extend(l.egress.unknown.iter().cloned());
                out.extend(l.ingress.unknown.iter().cloned());
            }
            for a in &p.authz {
                out.extend(a.outcome.unknown.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

fn fold_either(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut out: Option<Verdict> = None;
    for v in verdicts {
        out = Some(match out {
            None => v,
            Some(o) => o.either(v),
        });
    }
    out.unwrap_or(Verdict::Unknown)
}

/// The three-valued answer of one direction for a port (or any port).
fn direction_verdict(a: &Admission, protocol: &str, port: Option<u16>) -> Verdict {
    match port {
        Some(p) => a.verdict(protocol, p),
        None if a.certain.has_protocol(protocol) => Verdict::Allowed,
        None if a.possible.has_protocol(protocol) => Verdict::Unknown,
        None => Verdict::Denied,
    }
}

impl Engine<'_> {
    /// NetworkPolicy at both ends of a leg.
    pub fn judge_leg(&self, leg: Leg) -> LegJudgement {
        let egress = self.admission(Direction::Egress, &leg.src, &leg.dst);
        let ingress = self.admission(Direction::Ingress, &leg.dst, &leg.src);
        let (protocol, port) = if leg.hbone {
            ("TCP", Some(HBONE_PORT))
        } else {
            (leg.protocol.as_str(), leg.port)
        };
        // A port neither end names: the two ends must admit a common one.
        let (egress_verdict, ingress_verdict) = if port.is_none() {
            let both = egress.certain.intersect(&ingress.certain);
            let maybe = egress.possible.intersect(&ingress.possible);
            let v = if both.has_protocol(protocol) {
                Verdict::Allowed
            } else if maybe.has_protocol(protocol) {
                Verdict::Unknown
            } else {
                Verdict::Denied
            };
            let e = direction_verdict(&egress, protocol, None);
            let i = direction_verdict(&ingress, protocol, None);
            if v == Verdict::Denied && e != Verdict::Denied && i != Verdict::Denied {
                (Verdict::Denied, i)
            } else {
                (e.and(v), i.and(v))
            }
        } else {
            (
                direction_verdict(&egress, protocol, port),
                direction_verdict(&ingress, protocol, port),
            )
        };
        LegJudgement {
            leg,
            egress,
            ingress,
            egress_verdict,
            ingress_verdict,
        }
    }

    /// The identity the endpoint's pods present (docs/platform.md §5, §9).
    pub fn identity(&self, e: &Endpoint) -> Option<Identity> {
        match e {
            Endpoint::Workload(i) => {
                let w = &self.model.workloads[*i];
                Some(Identity {
                    namespace: w.meta.namespace.to_string(),
                    account: w.service_account_name().to_string(),
                })
            }
            Endpoint::IstioGateway {
                namespace,
                name,
                gateway,
            } => {
                let account = gateway
                    .and_then(|g| {
                        self.model
                            .gateway_deployments
                            .iter()
                            .find(|d| d.gateway == g)
                            .map(|d| d.service_account.clone())
                    })
                    .unwrap_or_else(|| name.clone());
                Some(Identity {
                    namespace: namespace.clone(),
                    account,
                })
            }
            Endpoint::Ip(_) => None,
        }
    }

    /// The waypoint a flow from `src` passes, if any (docs/platform.md §2, §3.3).
    fn waypoint(&self, flow: &AppFlow, src_role: Role) -> Option<Endpoint> {
        let model = self.model;
        if !matches!(src_role, Role::Ambient | Role::IstioProxy | Role::Sidecar) {
            return None;
        }
        let service: Option<&Service> = flow.service.map(|s| &model.services[s]);
        // A gateway sends to the pods directly unless the Service (else its Namespace) asks for
        // the waypoint (istio `ambient/services.go`, `ingressUseWaypointFromLabels`).
        if src_role == Role::IstioProxy {
            let asks = service.and_then(|s| {
                s.meta.label(INGRESS_USE_WAYPOINT).or_else(|| {
                    model
                        .namespace(&s.meta.namespace)
                        .and_then(|n| n.label(INGRESS_USE_WAYPOINT))
                })
            });
            if !asks.is_some_and(parse_bool) {
                return None;
            }
        }
        let (used, wanted) = match service {
            Some(s) => (model.service_waypoint(s)?, ["service", "all"]),
            None => (
                model.workload_waypoint(self.workload(&flow.dst)?)?,
                ["workload", "all"],
            ),
        };
        let gateway = model.gateway_index(&used.namespace, &used.name);
        if let Some(g) = gateway {
            let wp = &model.gateways[g];
            if !wanted.contains(&model.waypoint_for(wp)) {
                return None;
            }
            // A waypoint that does not accept the namespace refuses the binding: traffic skips it.
            let user_namespace = match service {
                Some(s) => s.meta.namespace.as_str(),
                None => self.namespace_of(&flow.dst)?,
            };
            if model.waypoint_accepts(wp, user_namespace) == Some(false) {
                return None;
            }
        }
        Some(Endpoint::IstioGateway {
            namespace: used.namespace,
            name: used.name,
            gateway,
        })
    }

    fn request(&self, flow: &AppFlow, identity: Option<Identity>, port: Option<u16>) -> Request {
        Request {
            identity,
            source_ip: match &flow.src {
                Endpoint::Ip(r) => Some(*r),
                _ => None,
            },
            port,
            methods: flow.methods.clone(),
            paths: flow.paths.clone(),
        }
    }

    fn authz_at(
        &self,
        flow: &AppFlow,
        at: &Endpoint,
        enforcer: Enforcer,
        identity: Option<Identity>,
    ) -> AuthzJudgement {
        // A waypoint sees the Service port the client addressed; the pods, the target port.
        let port = match enforcer {
            Enforcer::Waypoint { .. } => flow.service_port.or(flow.port),
            _ => flow.port,
        };
        let req = self.request(flow, identity.clone(), port);
        let outcome = self.authorize(at, &enforcer, &req);
        // PeerAuthentication sets the mTLS of sidecar and ztunnel inbound traffic; a gateway's
        // listeners take theirs from the Gateway (istio `listener_inbound.go`).
        let strict = if identity.is_none() && self.role(at) != Role::IstioProxy {
            self.strict_mtls(at, flow.port)
        } else {
            None
        };
        AuthzJudgement {
            at: at.clone(),
            enforcer,
            identity,
            outcome,
            strict,
        }
    }

    /// Judges a flow under ambient: every plan the input leaves possible. Ambient's redirection
    /// (like a sidecar's) captures TCP only: UDP and SCTP go on the wire as the application sent
    /// them, judged by NetworkPolicy alone.
    pub fn judge(&self, flow: &AppFlow) -> Judgement {
        if !flow.protocol.eq_ignore_ascii_case("TCP") {
            return Judgement {
                plans: vec![Plan {
                    legs: vec![self.judge_leg(self.plain_leg(flow))],
                    authz: Vec::new(),
                    note: None,
                    reading: None,
                }],
            };
        }
        let src_role = self.role(&flow.src);
        let dst_role = self.role(&flow.dst);
        let src_roles: Vec<Role> = match src_role {
            Role::Unknown => vec![Role::Ambient, Role::Outside],
            r => vec![r],
        };
        let dst_roles: Vec<Role> = match dst_role {
            Role::Unknown => vec![Role::Ambient, Role::Outside],
            r => vec![r],
        };
        let mut plans = Vec::new();
        let reading = |e: &Endpoint, known: Role, r: Role| -> Option<String> {
            (known == Role::Unknown).then(|| {
                let ns = self.namespace_of(e).unwrap_or_default();
                if r == Role::Ambient {
                    format!("namespace `{ns}` in ambient")
                } else {
                    format!("namespace `{ns}` outside the mesh")
                }
            })
        };
        for &s in &src_roles {
            for &d in &dst_roles {
                let parts: Vec<String> = [
                    reading(&flow.src, src_role, s),
                    reading(&flow.dst, dst_role, d),
                ]
                .into_iter()
                .flatten()
                .collect();
                for mut p in self.plans(flow, s, d) {
                    if !parts.is_empty() {
                        p.reading = Some(format!("with {}", parts.join(" and ")));
                    }
                    plans.push(p);
                }
            }
        }
        let unknown_side = [(&flow.src, src_role), (&flow.dst, dst_role)]
            .into_iter()
            .find(|(_, r)| *r == Role::Unknown)
            .and_then(|(e, _)| self.namespace_of(e).map(str::to_string));
        if let Some(ns) = unknown_side {
            for p in &mut plans {
                p.note = Some(format!(
                    "whether namespace `{ns}` is in ambient is not in the input"
                ));
            }
        }
        Judgement { plans }
    }

    fn plain_leg(&self, flow: &AppFlow) -> Leg {
        Leg {
            src: flow.src.clone(),
            dst: flow.dst.clone(),
            protocol: flow.protocol.clone(),
            port: flow.port,
            hbone: false,
        }
    }

    fn plans(&self, flow: &AppFlow, src: Role, dst: Role) -> Vec<Plan> {
        let plain = || Plan {
            legs: vec![self.judge_leg(self.plain_leg(flow))],
            authz: Vec::new(),
            note: None,
            reading: None,
        };
        let src_identity = self.identity(&flow.src);
        match dst {
            // Addresses outside the cluster and pods outside the mesh get the application port.
            Role::Outside => vec![plain()],
            Role::Ambient => match src {
                Role::Ambient | Role::IstioProxy | Role::Sidecar => {
                    let hbone = |from: &Endpoint, to: &Endpoint| Leg {
                        src: from.clone(),
                        dst: to.clone(),
                        protocol: "TCP".to_string(),
                        port: Some(HBONE_PORT),
                        hbone: true,
                    };
                    let mut plan = match self.waypoint(flow, src) {
                        Some(wp) => {
                            let service = flow.service.map(|s| {
                                let svc = &self.model.services[s];
                                (svc.meta.namespace.to_string(), svc.meta.name.to_string())
                            });
                            let (namespace, name) = match &wp {
                                Endpoint::IstioGateway {
                                    namespace, name, ..
                                } => (namespace.clone(), name.clone()),
                                _ => unreachable!("a waypoint is an Istio gateway"),
                            };
                            let wp_identity = self.identity(&wp);
                            Plan {
                                legs: vec![
                                    self.judge_leg(hbone(&flow.src, &wp)),
                                    self.judge_leg(hbone(&wp, &flow.dst)),
                                ],
                                authz: vec![
                                    self.authz_at(
                                        flow,
                                        &wp,
                                        Enforcer::Waypoint {
                                            namespace,
                                            name,
                                            service,
                                        },
                                        src_identity.clone(),
                                    ),
                                    self.authz_at(flow, &flow.dst, Enforcer::Ztunnel, wp_identity),
                                ],
                                note: None,
                                reading: None,
                            }
                        }
                        None => Plan {
                            legs: vec![self.judge_leg(hbone(&flow.src, &flow.dst))],
                            authz: vec![self.authz_at(
                                flow,
                                &flow.dst,
                                Enforcer::Ztunnel,
                                src_identity.clone(),
                            )],
                            note: None,
                            reading: None,
                        },
                    };
                    if src == Role::Sidecar {
                        // Whether a sidecar tunnels to an ambient pod or sends mTLS to its port
                        // depends on the Istio version; both must admit for a sure answer.
                        plan.note = Some("a sidecar may send HBONE or mTLS to the port".into());
                        let mut mtls = plain();
                        mtls.authz =
                            vec![self.authz_at(flow, &flow.dst, Enforcer::Ztunnel, src_identity)];
                        return vec![plan, mtls];
                    }
                    vec![plan]
                }
                // From outside the mesh: plain text to the port, checked by the destination's
                // ztunnel without an identity.
                _ => {
                    let mut p = plain();
                    p.authz = vec![self.authz_at(flow, &flow.dst, Enforcer::Ztunnel, None)];
                    vec![p]
                }
            },
            Role::Sidecar | Role::IstioProxy => {
                let identity = match src {
                    Role::Ambient | Role::IstioProxy | Role::Sidecar => src_identity,
                    _ => None,
                };
                let authz = vec![self.authz_at(flow, &flow.dst, Enforcer::Envoy, identity)];
                if src == Role::Ambient {
                    let tunnel = Plan {
                        legs: vec![self.judge_leg(Leg {
                            src: flow.src.clone(),
                            dst: flow.dst.clone(),
                            protocol: "TCP".into(),
                            port: Some(HBONE_PORT),
                            hbone: true,
                        })],
                        authz: authz.clone(),
                        note: Some(
                            "an ambient pod may tunnel to a sidecar or send mTLS to the port"
                                .into(),
                        ),
                        reading: None,
                    };
                    let mut p = plain();
                    p.authz = authz;
                    return vec![tunnel, p];
                }
                let mut p = plain();
                p.authz = authz;
                vec![p]
            }
            Role::Unknown => vec![plain()],
        }
    }

    /// Where a leg's deciding NetworkPolicies are, with what each did, for related locations.
    pub fn leg_deciders(&self, l: &LegJudgement) -> Vec<(Direction, usize, Location, String)> {
        let mut out = Vec::new();
        let (protocol, port) = if l.leg.hbone {
            ("TCP".to_string(), Some(HBONE_PORT))
        } else {
            (l.leg.protocol.clone(), l.leg.port)
        };
        let port_text = port.map_or(format!("{protocol} (any port)"), |p| {
            format!("{protocol} {p}")
        });
        for (dir, a, v, local, remote) in [
            (
                Direction::Egress,
                &l.egress,
                l.egress_verdict,
                &l.leg.src,
                &l.leg.dst,
            ),
            (
                Direction::Ingress,
                &l.ingress,
                l.ingress_verdict,
                &l.leg.dst,
                &l.leg.src,
            ),
        ] {
            match v {
                Verdict::Denied => {
                    for &p in &a.isolating {
                        out.push((
                            dir,
                            p,
                            self.direction_location(p, dir),
                            format!(
                                "restricts {} of {} and admits no {port_text} {} {}",
                                dir.key(),
                                self.describe(local),
                                if dir == Direction::Egress {
                                    "to"
                                } else {
                                    "from"
                                },
                                self.describe(remote)
                            ),
                        ));
                    }
                }
                Verdict::Allowed => {
                    let wanted = port.map_or_else(
                        || PortSet::all_of(&protocol),
                        |p| PortSet::single(&protocol, p),
                    );
                    for r in a
                        .admitting
                        .iter()
                        .filter(|r| r.certain && !r.ports.intersect(&wanted).is_empty())
                    {
                        out.push((
                            dir,
                            r.policy,
                            self.rule_location(r, dir),
                            format!("admits {port_text}"),
                        ));
                    }
                }
                Verdict::Unknown => {}
            }
        }
        out
    }
}

/// Go's `strconv.ParseBool`, which istiod applies to boolean labels.
fn parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}
