//! AL2xx: AuthorizationPolicy under ztunnel, and the identities policies name.

pub mod al201_l7_rule_in_ztunnel_allow;
pub mod al202_l7_deny_rule_never_fires;
pub mod al203_l7_deny_rule_broadened;
pub mod al204_action_unsupported_by_ztunnel;
pub mod al205_client_identity_behind_waypoint;
pub mod al206_principal_unknown_serviceaccount;
pub mod al207_principal_serviceaccount_unused;
pub mod al208_principal_spiffe_prefix;
pub mod al209_principal_trust_domain_mismatch;
pub mod al210_unknown_namespace;
pub mod al211_gateway_namespace_mismatch;
pub mod al212_selector_matches_no_workload;
pub mod al213_selector_on_gateway_pods;
pub mod al214_targetref_not_found;
pub mod al215_requestauthentication_without_waypoint;
pub mod al216_peerauthentication_disable_in_ambient;
pub mod al217_deny_all_by_empty_policy;
pub mod al218_trust_domains_ignored_by_ztunnel;
pub mod al219_database_open_to_mesh;

use std::collections::{BTreeMap, HashMap};

use crate::finding::{Finding, Location};
use crate::load::node::FieldPath;
use crate::model::envoy::EnvoyKind;
use crate::model::resources::{AuthorizationPolicy, Meta};
use crate::model::selector::{LabelSelector, names_gateway_pods};
use crate::model::{Dataplane, Model, qualified};

pub use crate::engine::authz::{L7Attribute, RuleParts, Stripped};

/// The attribute names, deduplicated, for a message.
pub fn attribute_names(attrs: &[&L7Attribute]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for a in attrs {
        if !names.contains(&a.name) {
            names.push(a.name.clone());
        }
    }
    names
}

/// [`reach`] of a policy ztunnel enforces on workloads in ambient (docs/platform.md §3.1): no
/// targetRefs, and ambient workloads in scope; None otherwise. A scope whose enrolment the input
/// does not show counts as not enrolled: the rule stays quiet rather than guess. Pods that run
/// Envoy (gateways, sidecars) enforce the policy themselves and do not count.
pub fn ztunnel_reach(model: &Model, policy: &AuthorizationPolicy) -> Option<Reach> {
    if !policy.ztunnel_enforced() {
        return None;
    }
    Some(reach(model, &policy.meta, policy.selector.as_ref())).filter(|r| r.ambient)
}

/// Who applies a selector, namespace-wide or root-namespace Istio policy.
pub struct Reach {
    /// Ambient workloads (ztunnel, no Envoy) are in scope, as far as the input shows.
    pub ambient: bool,
    /// An Envoy proxy in scope, which applies the policy as written: what it is ("the gateway
    /// Deployment `a/b`"), and where the input says so, with why.
    pub envoy: Option<(String, Option<(Location, String)>)>,
    /// The policy is in the root namespace and has no selector: mesh-wide.
    pub mesh_wide: bool,
}

impl Reach {
    /// A clause for messages about ztunnel's handling: who enforces the policy in full, or "".
    pub fn envoy_note(&self) -> String {
        match &self.envoy {
            Some((what, _)) => {
                format!(" (for ambient workloads; Envoy in {what} enforces it as written)")
            }
            None => String::new(),
        }
    }

    /// Adds the Envoy proxy's location as a related location, when there is one.
    pub fn relate(&self, f: Finding) -> Finding {
        match &self.envoy {
            Some((_, Some((at, why)))) => f.related(
                at.clone(),
                format!("Envoy applies the policy here as written: {why}"),
            ),
            _ => f,
        }
    }
}

/// Who applies a policy with this namespace and selector (and no targetRefs): ambient workloads
/// through ztunnel, Envoy proxies (gateways, sidecars) themselves. Waypoints apply neither
/// (docs/platform.md §3.2; istio `pilot/pkg/model/policyattachment.go`).
pub fn reach(model: &Model, meta: &Meta, selector: Option<&LabelSelector>) -> Reach {
    let root = meta.namespace == model.options.root_namespace;
    let ns = (!root).then_some(meta.namespace.as_str());
    let covered = covered_workloads(model, meta, selector);
    let mut envoy: Option<(String, Option<(Location, String)>)> = None;
    let mut ambient_covered = false;
    for &i in &covered {
        let w = &model.workloads[i];
        match model.envoy_workload(w) {
            Some(e) => {
                if envoy.is_none() {
                    let what = match e.kind {
                        EnvoyKind::Gateway => "the gateway",
                        EnvoyKind::Sidecar => "the sidecars of",
                    };
                    envoy = Some((
                        format!(
                            "{what} {} `{}`",
                            w.kind,
                            qualified(Some(&w.meta.namespace), &w.meta.name),
                        ),
                        Some((e.at, e.why)),
                    ));
                }
            }
            None => ambient_covered |= model.workload_dataplane(w) == Dataplane::Ambient,
        }
    }
    // Pods Istio deploys for Gateways of class `istio` (not waypoints) apply selector and
    // namespace-wide policies unless ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is off.
    let gateway = match selector {
        Some(sel) => model
            .gateway_selected_by(ns, sel)
            .filter(|g| !g.is_waypoint()),
        None => model
            .gateway_deployments
            .iter()
            .map(|d| &model.gateways[d.gateway])
            .find(|g| !g.is_waypoint() && ns.is_none_or(|ns| g.meta.namespace == ns)),
    };
    if envoy.is_none()
        && let Some(g) = gateway
    {
        envoy = Some((
            format!(
                "the pods of gateway `{}`",
                qualified(Some(&g.meta.namespace), &g.meta.name)
            ),
            Some((
                Location::field(g.meta.object, "metadata.name"),
                "Istio deploys this Gateway's pods".to_string(),
            )),
        ));
    }
    let mesh_wide = root && selector.is_none();
    if envoy.is_none() && mesh_wide {
        envoy = Some(("the mesh's sidecars and Istio gateways".to_string(), None));
    }
    let names_gateway = selector.is_some_and(names_gateway_pods);
    if envoy.is_none() && names_gateway && covered.is_empty() {
        envoy = Some(("the gateway pods it selects".to_string(), None));
    }
    let ambient = if mesh_wide {
        ambient_covered
            || model
                .namespaces
                .iter()
                .any(|n| model.namespace_dataplane(&n.name) == Dataplane::Ambient)
    } else if !covered.is_empty() {
        ambient_covered
    } else if names_gateway || gateway.is_some() {
        false
    } else if selector.is_some() {
        // A selector that matches nothing in the input: in the root namespace it could be any
        // pod of the mesh, so the input cannot tell; elsewhere the namespace's enrolment decides.
        !root && model.namespace_dataplane(&meta.namespace) == Dataplane::Ambient
    } else {
        model.namespace_dataplane(&meta.namespace) == Dataplane::Ambient
    };
    Reach {
        ambient,
        envoy,
        mesh_wide,
    }
}

/// Whether a policy's scope has an unknown dataplane: the workloads it covers are not known to
/// be in ambient, and some (or, with none in the input, its namespace) have no known enrolment.
pub fn dataplane_unknown(
    model: &Model,
    meta: &crate::model::resources::Meta,
    selector: Option<&crate::model::selector::LabelSelector>,
) -> bool {
    if meta.namespace == model.options.root_namespace {
        return false;
    }
    let covered = covered_workloads(model, meta, selector);
    if covered.is_empty() {
        return model.namespace_dataplane(&meta.namespace) == Dataplane::Unknown;
    }
    let modes: Vec<Dataplane> = covered
        .iter()
        .map(|&i| model.workload_dataplane(&model.workloads[i]))
        .collect();
    !modes.contains(&Dataplane::Ambient) && modes.contains(&Dataplane::Unknown)
}

/// Notes an AuthorizationPolicy ztunnel would enforce but whose enrolment is unknown, for the
/// rules that judge only what ztunnel enforces.
pub fn unjudged_if_unenrolled(ctx: &crate::rules::Context, policy: &AuthorizationPolicy) {
    if policy.ztunnel_enforced() {
        ctx.unjudged_scope(&policy.meta, policy.selector.as_ref());
    }
}

/// A namespace reference in a policy: `namespaces`, `notNamespaces`, `when source.namespace`,
/// or the namespace inside a principal.
pub struct NamespaceRef<'a> {
    pub value: &'a str,
    pub path: FieldPath,
    pub policy: &'a AuthorizationPolicy,
    /// From a principal (`cluster.local/ns/<here>/sa/x`) rather than a namespace field.
    pub in_principal: bool,
    /// The whole principal, when the reference is inside one.
    pub principal: Option<&'a str>,
}

/// A principal-like reference: `principals`, `notPrincipals`, `when source.principal`, or
/// `serviceAccounts` (normalised to `<td>/ns/<ns>/sa/<sa>` form by the caller).
pub struct PrincipalRef<'a> {
    pub value: String,
    pub path: FieldPath,
    pub policy: &'a AuthorizationPolicy,
}

pub fn principal_refs(model: &Model) -> Vec<PrincipalRef<'_>> {
    let mut out = Vec::new();
    for policy in &model.authorization_policies {
        for rule in &policy.rules {
            for clause in rule.from.as_deref().unwrap_or_default() {
                for field in &clause.fields {
                    match field.name.as_str() {
                        "principals" | "notPrincipals" => {
                            out.extend(field.values.iter().map(|v| PrincipalRef {
                                value: v.value.clone(),
                                path: v.path.clone(),
                                policy,
                            }))
                        }
                        "serviceAccounts" | "notServiceAccounts" => {
                            out.extend(field.values.iter().map(|v| {
                                let (ns, sa) = v
                                    .value
                                    .split_once('/')
                                    .unwrap_or((policy.meta.namespace.as_str(), v.value.as_str()));
                                PrincipalRef {
                                    value: format!(
                                        "{}/ns/{ns}/sa/{sa}",
                                        model.options.trust_domain
                                    ),
                                    path: v.path.clone(),
                                    policy,
                                }
                            }))
                        }
                        _ => {}
                    }
                }
            }
            for cond in &rule.when {
                if cond.key.value == "source.principal" {
                    out.extend(
                        cond.values
                            .iter()
                            .chain(&cond.not_values)
                            .map(|v| PrincipalRef {
                                value: v.value.clone(),
                                path: v.path.clone(),
                                policy,
                            }),
                    );
                }
            }
        }
    }
    out
}

pub fn namespace_refs(model: &Model) -> Vec<NamespaceRef<'_>> {
    let mut out = Vec::new();
    for policy in &model.authorization_policies {
        for rule in &policy.rules {
            for clause in rule.from.as_deref().unwrap_or_default() {
                for field in &clause.fields {
                    let in_principal = match field.name.as_str() {
                        "namespaces" | "notNamespaces" => false,
                        "principals" | "notPrincipals" => true,
                        _ => continue,
                    };
                    for v in &field.values {
                        let value = if in_principal {
                            match crate::model::identity::principal_namespace(&v.value) {
                                Some(ns) if !v.value.starts_with("spiffe://") => ns,
                                _ => continue,
                            }
                        } else {
                            v.value.as_str()
                        };
                        out.push(NamespaceRef {
                            value,
                            path: v.path.clone(),
                            policy,
                            in_principal,
                            principal: in_principal.then_some(v.value.as_str()),
                        });
                    }
                }
            }
            for cond in &rule.when {
                if cond.key.value == "source.namespace" {
                    out.extend(
                        cond.values
                            .iter()
                            .chain(&cond.not_values)
                            .map(|v| NamespaceRef {
                                value: v.value.as_str(),
                                path: v.path.clone(),
                                policy,
                                in_principal: false,
                                principal: None,
                            }),
                    );
                }
            }
        }
    }
    out
}

/// Whether a namespace pattern (exact or wildcard) matches a known namespace.
pub fn namespace_pattern_known(model: &Model, pattern: &str) -> bool {
    if crate::model::identity::is_wildcard(pattern) {
        return model
            .known_namespace_names()
            .iter()
            .any(|n| crate::model::identity::wildcard_match(pattern, n));
    }
    model.namespace_known(pattern)
}

/// Why a ztunnel DENY rule never fires after its HTTP attributes are stripped (docs/platform.md
/// §3.5): its `from` or `to` list has no L4 condition left in any entry, or one `when` condition is
/// HTTP-only. Returns the attribute to point at and which part is emptied.
pub fn deny_rule_emptied(parts: &RuleParts) -> Option<(&L7Attribute, &'static str)> {
    let emptied = |list: &[Stripped]| !list.is_empty() && list.iter().all(|s| !s.keeps_l4);
    if emptied(&parts.from) {
        return parts
            .from
            .iter()
            .flat_map(|s| &s.l7)
            .next()
            .map(|a| (a, "from"));
    }
    if emptied(&parts.to) {
        return parts
            .to
            .iter()
            .flat_map(|s| &s.l7)
            .next()
            .map(|a| (a, "to"));
    }
    parts
        .when
        .iter()
        .find(|s| !s.keeps_l4)
        .and_then(|s| s.l7.first())
        .map(|a| (a, "when"))
}

/// `from`/`to` entries left with no condition after stripping, while their siblings keep some:
/// ztunnel skips them, so what they name is never matched. Returns the attribute to point at and
/// the list the entry belongs to.
pub fn deny_entries_skipped(parts: &RuleParts) -> Vec<(&L7Attribute, &'static str)> {
    let lists = [(&parts.from, "from"), (&parts.to, "to")];
    lists
        .into_iter()
        .filter(|(list, _)| list.iter().any(|s| s.keeps_l4))
        .flat_map(|(list, name)| {
            list.iter()
                .filter(|s| !s.keeps_l4)
                .filter_map(move |s| s.l7.first().map(|a| (a, name)))
        })
        .collect()
}

/// Whether stripping leaves some entry with fewer conditions than written: it then matches more.
pub fn deny_rule_broadened(parts: &RuleParts) -> bool {
    parts
        .from
        .iter()
        .chain(&parts.to)
        .any(|s| s.keeps_l4 && !s.l7.is_empty())
}

/// Workloads a selector or namespace-wide policy applies to (all namespaces from the root).
pub fn covered_workloads(
    model: &Model,
    meta: &Meta,
    selector: Option<&LabelSelector>,
) -> Vec<usize> {
    let root = meta.namespace == model.options.root_namespace;
    let ns = (!root).then_some(meta.namespace.as_str());
    match (selector, ns) {
        (Some(sel), _) => model.select_workloads(ns, sel),
        (None, Some(ns)) => model.workloads_in(ns).map(|(i, _)| i).collect(),
        (None, None) => (0..model.workloads.len()).collect(),
    }
}

/// Whether a reference sits in a negated field (`notPrincipals`, `notNamespaces`,
/// `notServiceAccounts`, a `when` entry's `notValues`). A negated value that matches no caller
/// excludes nobody: the condition then matches every caller, the opposite of a positive one.
pub fn is_negated(path: &FieldPath) -> bool {
    path.segments().iter().any(|s| {
        matches!(s, crate::load::node::Segment::Key(k)
            if matches!(k.as_str(), "notPrincipals" | "notNamespaces" | "notServiceAccounts" | "notValues"))
    })
}

/// What a condition naming something that matches no caller does, for messages.
pub fn never_matches_effect(path: &FieldPath) -> &'static str {
    if is_negated(path) {
        "this exclusion excludes nobody and the condition matches every caller (a DENY denies everyone, an ALLOW admits everyone)"
    } else {
        "the rule never matches"
    }
}

/// Where an account of this name exists, by namespace: a ServiceAccount object, a workload
/// running as it, or a gateway's generated account; one location each (the first seen).
pub fn accounts_by_name(model: &Model) -> HashMap<&str, BTreeMap<&str, (Location, String)>> {
    let mut out: HashMap<&str, BTreeMap<&str, (Location, String)>> = HashMap::new();
    for sa in &model.service_accounts {
        out.entry(sa.name.as_str()).or_default().insert(
            sa.namespace.as_str(),
            (
                Location::field(sa.object, "metadata.name"),
                format!(
                    "ServiceAccount `{}` exists here",
                    qualified(Some(&sa.namespace), &sa.name)
                ),
            ),
        );
    }
    for w in &model.workloads {
        if w.service_account.is_none() {
            continue; // `default`, which every namespace has
        }
        out.entry(w.service_account_name())
            .or_default()
            .entry(w.meta.namespace.as_str())
            .or_insert_with(|| {
                (
                    w.account_location(),
                    format!(
                        "{} `{}` runs as `{}`",
                        w.kind,
                        qualified(Some(&w.meta.namespace), &w.meta.name),
                        w.service_account_name()
                    ),
                )
            });
    }
    for d in &model.gateway_deployments {
        let g = &model.gateways[d.gateway];
        out.entry(d.service_account.as_str())
            .or_default()
            .entry(d.namespace.as_str())
            .or_insert_with(|| {
                (
                    Location::field(g.meta.object, "metadata.name"),
                    format!(
                        "Istio runs Gateway `{}` as `{}`",
                        qualified(Some(&g.meta.namespace), &g.meta.name),
                        d.service_account
                    ),
                )
            });
    }
    out
}

/// `a`, `a` or `b`, `a`, `b` or `c`.
pub fn or_list(items: &[String]) -> String {
    crate::rules::list(items).replacen(" and ", " or ", 1)
}
