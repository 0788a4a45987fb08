//! AuthorizationPolicy as it is enforced (docs/platform.md §3, §10): at the destination's
//! ztunnel with only the L4 part istiod hands it, at a sidecar or waypoint (Envoy) as written.
//! Order: CUSTOM, then DENY, then ALLOW; no ALLOW policy means allowed (ztunnel `src/rbac.rs`,
//! `src/state.rs` `assert_rbac`).

use crate::finding::Location;
use crate::load::node::FieldPath;
use crate::model::identity::wildcard_match;
use crate::model::resources::WAYPOINT_CLASS;
use crate::model::resources::{Action, AuthorizationPolicy, AuthzRule, Clause, Condition};

use super::ip::IpRange;
use super::{Endpoint, Engine, Verdict, all3, any3};

/// `from.source` fields ztunnel enforces (docs/platform.md §3.4; istio `ambient/authorization.go`).
pub const L4_SOURCE_FIELDS: &[&str] = &[
    "principals",
    "notPrincipals",
    "namespaces",
    "notNamespaces",
    "serviceAccounts",
    "notServiceAccounts",
    "ipBlocks",
    "notIpBlocks",
];
/// `to.operation` fields ztunnel enforces.
pub const L4_OPERATION_FIELDS: &[&str] = &["ports", "notPorts"];
/// `when` keys ztunnel enforces; every other key is an HTTP attribute to istiod.
pub const L4_WHEN_KEYS: &[&str] = &[
    "source.ip",
    "source.namespace",
    "source.principal",
    "destination.ip",
    "destination.port",
];
/// Fields that are neither: dropped silently (AL218 territory), not HTTP attributes.
pub const SILENTLY_DROPPED: &[&str] = &["trustDomains", "notTrustDomains"];

/// Who enforces the policies of a destination.
#[derive(Clone, Debug)]
pub enum Enforcer {
    /// The destination's ztunnel: selector, namespace-wide and root policies, L4 only.
    Ztunnel,
    /// Envoy in the destination pods (a sidecar or an Istio gateway): the same policies, as
    /// written.
    Envoy,
    /// A waypoint: only policies whose `targetRefs` name it, the Service the traffic is for, or
    /// its class from the root namespace (docs/platform.md §3.2).
    Waypoint {
        namespace: String,
        name: String,
        /// The Service addressed (namespace, name), when the flow goes through one.
        service: Option<(String, String)>,
    },
}

/// The identity a connection arrives with: the source pods' ServiceAccount, or none when it
/// arrives in plain text from outside the mesh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub namespace: String,
    pub account: String,
}

/// What the enforcer knows of the request.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub identity: Option<Identity>,
    /// The source address, when the source is an address block.
    pub source_ip: Option<IpRange>,
    /// The destination port the enforcer sees (the pod's port); None: any.
    pub port: Option<u16>,
    /// HTTP methods and paths the flow is known to carry; empty: unknown.
    pub methods: Vec<String>,
    pub paths: Vec<String>,
}

/// A policy, and the rule of it, that decided.
#[derive(Clone, Debug)]
pub struct Decision {
    pub policy: usize,
    /// The rule that matched; None for "no ALLOW rule matches" (the policy's action is the place).
    pub rule: Option<usize>,
    pub effect: String,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub decided_by: Vec<Decision>,
    pub unknown: Vec<String>,
}

/// An HTTP (L7) attribute found in a rule, as istiod names it in its status message.
#[derive(Clone, Debug)]
pub struct L7Attribute {
    pub name: String,
    pub path: FieldPath,
}

/// How one part of a rule (`from`, `to` or a `when` entry) fares when istiod strips L7 fields.
#[derive(Clone, Debug, Default)]
pub struct Stripped {
    pub l7: Vec<L7Attribute>,
    /// Whether some L4 condition survives in this part.
    pub keeps_l4: bool,
}

fn strip_clauses(clauses: &[Clause], l4_fields: &[&str]) -> Vec<Stripped> {
    clauses
        .iter()
        .map(|c| {
            let mut s = Stripped::default();
            for f in &c.fields {
                if l4_fields.contains(&f.name.as_str()) {
                    s.keeps_l4 = true;
                } else if !SILENTLY_DROPPED.contains(&f.name.as_str()) {
                    s.l7.push(L7Attribute {
                        name: f.name.clone(),
                        path: f.path.clone(),
                    });
                }
            }
            s
        })
        .collect()
}

/// A rule's parts after istiod strips what ztunnel does not understand: one entry per `from`
/// source, per `to` operation, per `when` condition.
pub struct RuleParts {
    pub from: Vec<Stripped>,
    pub to: Vec<Stripped>,
    pub when: Vec<Stripped>,
}

impl RuleParts {
    pub fn of(rule: &AuthzRule) -> RuleParts {
        RuleParts {
            from: strip_clauses(rule.from.as_deref().unwrap_or_default(), L4_SOURCE_FIELDS),
            to: strip_clauses(rule.to.as_deref().unwrap_or_default(), L4_OPERATION_FIELDS),
            when: rule
                .when
                .iter()
                .map(|c| {
                    if L4_WHEN_KEYS.contains(&c.key.value.as_str()) {
                        Stripped {
                            l7: vec![],
                            keeps_l4: true,
                        }
                    } else {
                        Stripped {
                            l7: vec![L7Attribute {
                                name: c.key.value.clone(),
                                path: c.key.path.clone(),
                            }],
                            keeps_l4: false,
                        }
                    }
                })
                .collect(),
        }
    }

    pub fn l7(&self) -> Vec<&L7Attribute> {
        self.from
            .iter()
            .chain(&self.to)
            .chain(&self.when)
            .flat_map(|s| &s.l7)
            .collect()
    }

    /// Whether ztunnel can never fire this rule as a DENY: a `from` or `to` list with no L4
    /// condition left in any entry, or a `when` entry that was HTTP-only (docs/platform.md §3.5).
    pub fn deny_emptied(&self) -> bool {
        let emptied = |list: &[Stripped]| !list.is_empty() && list.iter().all(|s| !s.keeps_l4);
        emptied(&self.from) || emptied(&self.to) || self.when.iter().any(|s| !s.keeps_l4)
    }
}

/// A port value as every consumer parses it (docs/platform.md §3.6); None when dropped.
fn port_value(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Engine<'_> {
    /// The policies an enforcer applies to the pods of `dst`.
    pub fn authorization_policies(&self, dst: &Endpoint, enforcer: &Enforcer) -> Vec<usize> {
        let model = self.model;
        let root = model.options.root_namespace.as_str();
        match enforcer {
            Enforcer::Ztunnel | Enforcer::Envoy => {
                let Some(ns) = self.namespace_of(dst) else {
                    return Vec::new();
                };
                let labels = self.pod_labels(dst);
                self.in_namespaces(&self.authz_by_namespace, ns)
                    .into_iter()
                    .filter(|&i| {
                        let p = &model.authorization_policies[i];
                        p.target_refs.is_empty()
                            && p.selector.as_ref().is_none_or(|s| s.matches(&labels))
                    })
                    .collect()
            }
            Enforcer::Waypoint {
                namespace,
                name,
                service,
            } => self
                .authz_targeted
                .iter()
                .map(|&i| (i, &model.authorization_policies[i]))
                .filter(|(_, p)| {
                    p.target_refs.iter().any(|t| {
                        if t.namespace
                            .as_deref()
                            .is_some_and(|n| n != p.meta.namespace)
                        {
                            return false;
                        }
                        match t.kind.as_str() {
                            "Gateway" => &p.meta.namespace == namespace && &t.name == name,
                            "Service" => service
                                .as_ref()
                                .is_some_and(|(sn, s)| &p.meta.namespace == sn && &t.name == s),
                            "GatewayClass" => p.meta.namespace == root && t.name == WAYPOINT_CLASS,
                            _ => false,
                        }
                    })
                })
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// Whether the enforcer admits the request to `dst`.
    pub fn authorize(&self, dst: &Endpoint, enforcer: &Enforcer, req: &Request) -> Outcome {
        let model = self.model;
        let ztunnel = matches!(enforcer, Enforcer::Ztunnel);
        let policies = self.authorization_policies(dst, enforcer);
        let mut unknown = Vec::new();
        let mut custom = false;
        let mut deny_unknown = false;
        let mut allow_policies = Vec::new();
        for &pi in &policies {
            let p = &model.authorization_policies[pi];
            match p.action {
                // ztunnel refuses these actions; Envoy's ext-authz decides what CUSTOM does.
                Action::Audit => {}
                Action::Custom if ztunnel => {}
                Action::Custom => custom = true,
                Action::Deny => {
                    for (ri, rule) in p.rules.iter().enumerate() {
                        match self.rule_matches(p, rule, req, ztunnel, true, &mut unknown) {
                            Some(true) => {
                                return Outcome {
                                    verdict: Verdict::Denied,
                                    decided_by: vec![Decision {
                                        policy: pi,
                                        rule: Some(ri),
                                        effect: "this DENY rule matches".to_string(),
                                    }],
                                    unknown,
                                };
                            }
                            None => deny_unknown = true,
                            Some(false) => {}
                        }
                    }
                }
                Action::Allow => allow_policies.push(pi),
            }
        }
        if custom {
            unknown.push("a CUSTOM policy's external authorizer decides".to_string());
        }
        let undecided = |unknown: Vec<String>| Outcome {
            verdict: Verdict::Unknown,
            decided_by: Vec::new(),
            unknown,
        };
        if allow_policies.is_empty() {
            if deny_unknown || custom {
                return undecided(unknown);
            }
            return Outcome {
                verdict: Verdict::Allowed,
                decided_by: Vec::new(),
                unknown,
            };
        }
        let mut allow_unknown = false;
        for &pi in &allow_policies {
            let p = &model.authorization_policies[pi];
            for (ri, rule) in p.rules.iter().enumerate() {
                match self.rule_matches(p, rule, req, ztunnel, false, &mut unknown) {
                    Some(true) if !deny_unknown && !custom => {
                        return Outcome {
                            verdict: Verdict::Allowed,
                            decided_by: vec![Decision {
                                policy: pi,
                                rule: Some(ri),
                                effect: "this ALLOW rule matches".to_string(),
                            }],
                            unknown,
                        };
                    }
                    Some(true) => return undecided(unknown),
                    None => allow_unknown = true,
                    Some(false) => {}
                }
            }
        }
        if allow_unknown {
            return undecided(unknown);
        }
        Outcome {
            verdict: Verdict::Denied,
            decided_by: allow_policies
                .iter()
                .map(|&pi| Decision {
                    policy: pi,
                    rule: None,
                    effect: "no rule of this ALLOW policy matches".to_string(),
                })
                .collect(),
            unknown,
        }
    }

    /// Where a decision points: the rule, or the policy's action.
    pub fn decision_location(&self, d: &Decision) -> Location {
        let p: &AuthorizationPolicy = &self.model.authorization_policies[d.policy];
        match d.rule {
            Some(r) => Location::field(p.meta.object, p.rules[r].path.clone()),
            None if p.rules.is_empty() => Location::field(p.meta.object, "spec"),
            None => Location::field(p.meta.object, "spec.rules"),
        }
    }

    fn rule_matches(
        &self,
        policy: &AuthorizationPolicy,
        rule: &AuthzRule,
        req: &Request,
        ztunnel: bool,
        deny: bool,
        why: &mut Vec<String>,
    ) -> Option<bool> {
        if ztunnel {
            let parts = RuleParts::of(rule);
            // ALLOW rules with HTTP attributes are dropped; DENY rules lose them, and never
            // fire when a part is left empty (docs/platform.md §3.5).
            if (!deny && !parts.l7().is_empty()) || (deny && parts.deny_emptied()) {
                return Some(false);
            }
        }
        let ns = policy.meta.namespace.as_str();
        let from =
            match &rule.from {
                None => Some(true),
                Some(list) => any3(
                    list.iter()
                        .filter(|c| !ztunnel || clause_keeps(c, L4_SOURCE_FIELDS))
                        .map(|c| {
                            all3(c.fields.iter().map(|f| {
                                self.source_field(ns, &f.name, &f.values, req, ztunnel, why)
                            }))
                        }),
                ),
            };
        let to = match &rule.to {
            None => Some(true),
            Some(list) => any3(
                list.iter()
                    .filter(|c| !ztunnel || clause_keeps(c, L4_OPERATION_FIELDS))
                    .map(|c| {
                        all3(
                            c.fields
                                .iter()
                                .map(|f| operation_field(&f.name, &f.values, req, ztunnel, why)),
                        )
                    }),
            ),
        };
        let when = all3(
            rule.when
                .iter()
                .map(|c| self.condition(c, req, ztunnel, why)),
        );
        all3([from, to, when].into_iter())
    }

    fn identity_string(&self, id: &Identity) -> String {
        format!(
            "{}/ns/{}/sa/{}",
            self.model.options.trust_domain, id.namespace, id.account
        )
    }

    fn source_field(
        &self,
        policy_ns: &str,
        name: &str,
        values: &[crate::model::reader::Str],
        req: &Request,
        ztunnel: bool,
        why: &mut Vec<String>,
    ) -> Option<bool> {
        let id = req.identity.as_ref();
        let any = |pred: &dyn Fn(&str) -> bool| values.iter().any(|v| pred(&v.value));
        let negative = |m: Option<bool>| m.map(|b| !b);
        // Plain text carries no identity: a positive condition fails (below), a negative one
        // cannot be judged.
        // Plain text carries no identity: ztunnel and Envoy compare the empty one, so a positive
        // condition fails (below) and a negative one holds (ztunnel `src/rbac.rs`).
        let principal = |m: &dyn Fn(&Identity) -> bool| -> Option<bool> { Some(id.is_some_and(m)) };
        let principal_matches = |id: &Identity| {
            let s = self.identity_string(id);
            any(&|p| wildcard_match(p, &s))
        };
        let namespace_matches = |id: &Identity| any(&|p| wildcard_match(p, &id.namespace));
        let account_matches = |id: &Identity| {
            any(&|v| {
                let (n, a) = v.split_once('/').unwrap_or((policy_ns, v));
                n == id.namespace && a == id.account
            })
        };
        let ip_matches = || -> Option<bool> {
            let src = req.source_ip?;
            any3(values.iter().map(|v| block_holds(&v.value, &src)))
        };
        match name {
            "principals" => match id {
                Some(id) => Some(principal_matches(id)),
                None => Some(false),
            },
            "namespaces" => match id {
                Some(id) => Some(namespace_matches(id)),
                None => Some(false),
            },
            "serviceAccounts" => match id {
                Some(id) => Some(account_matches(id)),
                None => Some(false),
            },
            "notPrincipals" => negative(principal(&principal_matches)),
            "notNamespaces" => negative(principal(&namespace_matches)),
            "notServiceAccounts" => negative(principal(&account_matches)),
            "ipBlocks" => {
                let m = ip_matches();
                if m.is_none() {
                    why.push("the source address of pods is not in the input".to_string());
                }
                m
            }
            "notIpBlocks" => {
                let m = ip_matches();
                if m.is_none() {
                    why.push("the source address of pods is not in the input".to_string());
                }
                m.map(|b| !b)
            }
            // Dropped for ztunnel; a source entry holding only these is skipped above.
            _ if ztunnel => Some(true),
            "trustDomains" => {
                principal(&|_| any(&|p| wildcard_match(p, &self.model.options.trust_domain)))
            }
            _ => {
                why.push(format!("`{name}` depends on the request"));
                None
            }
        }
    }

    fn condition(
        &self,
        c: &Condition,
        req: &Request,
        ztunnel: bool,
        why: &mut Vec<String>,
    ) -> Option<bool> {
        let key = c.key.value.as_str();
        let id = req.identity.as_ref();
        let test = |value: &str| -> Option<bool> {
            match key {
                "source.principal" => id.map(|id| wildcard_match(value, &self.identity_string(id))),
                "source.namespace" => id.map(|id| wildcard_match(value, &id.namespace)),
                "destination.port" => req.port.map(|p| port_value(value).is_some_and(|v| v == p)),
                "source.ip" => req.source_ip.and_then(|src| block_holds(value, &src)),
                _ => None,
            }
        };
        if ztunnel && !L4_WHEN_KEYS.contains(&key) {
            return Some(false);
        }
        let values = if c.values.is_empty() {
            Some(true)
        } else {
            any3(c.values.iter().map(|v| test(&v.value)))
        };
        let not_values = if c.not_values.is_empty() {
            Some(true)
        } else {
            any3(c.not_values.iter().map(|v| test(&v.value))).map(|b| !b)
        };
        let m = all3([values, not_values].into_iter());
        if m.is_none() {
            why.push(format!(
                "the `when` condition on `{key}` depends on the request"
            ));
        }
        m
    }

    /// The strictest mTLS mode in force for plain-text connections to `dst` on `port`: whether a
    /// PeerAuthentication makes it STRICT (docs/platform.md §6): a selector policy's port or
    /// workload mode, else the namespace's, else the root namespace's.
    pub fn strict_mtls(&self, dst: &Endpoint, port: Option<u16>) -> Option<usize> {
        let model = self.model;
        let ns = self.namespace_of(dst)?;
        let labels = self.pod_labels(dst);
        let root = model.options.root_namespace.as_str();
        let mut best: Option<(u8, usize, bool)> = None;
        for i in self.in_namespaces(&self.peer_auth_by_namespace, ns) {
            let pa = &model.peer_authentications[i];
            // A selector with no labels is namespace-wide, as istiod reads it; selector
            // policies in the root namespace are dropped (docs/platform.md §6).
            let selector = pa.selector.as_ref().filter(|s| !s.is_empty());
            let level = match (selector, pa.meta.namespace.as_str()) {
                (Some(sel), n) if n == ns && n != root && sel.matches(&labels) => 3,
                (None, n) if n == ns && n != root => 2,
                (None, n) if n == root => 1,
                _ => continue,
            };
            let set = |m: &str| m != "UNSET";
            // A port's UNSET falls back to the policy's own mode, then to the level above.
            let port_mode = port.and_then(|p| {
                pa.port_modes
                    .iter()
                    .find(|(k, _)| k.parse::<u16>().ok() == Some(p))
                    .map(|(_, m)| m.value.as_str())
                    .filter(|m| set(m))
            });
            let own = pa
                .mode
                .as_ref()
                .map(|m| m.value.as_str())
                .filter(|m| set(m));
            let Some(mode) = port_mode.or(own) else {
                continue;
            };
            if best.is_none_or(|(l, _, _)| level > l) {
                best = Some((level, i, mode == "STRICT"));
            }
        }
        best.filter(|(_, _, strict)| *strict).map(|(_, i, _)| i)
    }
}

/// Whether an address block written in a policy holds the source: unknown when the source is a
/// range only partly inside it (`external`, every address).
fn block_holds(block: &str, src: &IpRange) -> Option<bool> {
    let block = IpRange::parse(block)?;
    if block.contains(src) {
        Some(true)
    } else if !block.overlaps(src) {
        Some(false)
    } else {
        None
    }
}

fn clause_keeps(c: &Clause, l4: &[&str]) -> bool {
    c.fields.iter().any(|f| l4.contains(&f.name.as_str()))
}

fn operation_field(
    name: &str,
    values: &[crate::model::reader::Str],
    req: &Request,
    ztunnel: bool,
    why: &mut Vec<String>,
) -> Option<bool> {
    let ports = || -> Option<bool> {
        let p = req.port?;
        Some(values.iter().any(|v| port_value(&v.value) == Some(p)))
    };
    let methods = || -> Option<bool> {
        if req.methods.is_empty() {
            return None;
        }
        let in_list = |m: &String| values.iter().any(|v| v.value.eq_ignore_ascii_case(m));
        if req.methods.iter().all(in_list) {
            Some(true)
        } else if !req.methods.iter().any(in_list) {
            Some(false)
        } else {
            None
        }
    };
    let paths = || -> Option<bool> {
        if req.paths.is_empty() {
            return None;
        }
        req.paths
            .iter()
            .all(|path| values.iter().any(|v| wildcard_match(&v.value, path)))
            .then_some(true)
    };
    let m = match name {
        "ports" => ports(),
        "notPorts" => ports().map(|b| !b),
        _ if ztunnel => Some(true),
        "methods" => methods(),
        "notMethods" => methods().map(|b| !b),
        "paths" => paths(),
        "notPaths" => paths().map(|b| !b),
        _ => None,
    };
    if m.is_none() {
        why.push(format!("`{name}` depends on the request"));
    }
    m
}
