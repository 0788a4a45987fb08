//! The rules: one static registry sorted by code, one file per rule, each a pure function of the
//! model that reports field paths.

pub mod authz;
pub mod edits;
pub mod flows;
pub mod input;
pub mod mesh;
pub mod netpol;
pub mod routes;

use crate::finding::{Finding, Severity};
use crate::load::{Inputs, ObjectId};
use crate::model::Model;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Why a rule could not judge something: a fact the input does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unjudged {
    /// A policy (or workload) in a namespace whose dataplane the input does not show.
    UnknownDataplane,
    /// A reference to a namespace the input does not know.
    UnknownNamespace,
    /// A reference to a ServiceAccount, Service or Gateway in a namespace whose contents the
    /// input does not show.
    UndescribedNamespace,
    /// A route backend named by hostname, which a ServiceEntry anywhere in the cluster may
    /// declare (the namespace is the route's).
    UndeclaredHost,
}

impl Unjudged {
    /// The key in JSON (`summary.unjudged`).
    pub fn key(self) -> &'static str {
        match self {
            Unjudged::UnknownDataplane => "unknown-dataplane",
            Unjudged::UnknownNamespace => "unknown-namespace",
            Unjudged::UndescribedNamespace => "undescribed-namespace",
            Unjudged::UndeclaredHost => "undeclared-host",
        }
    }

    /// How to give the missing fact.
    pub fn declare(self) -> &'static str {
        match self {
            Unjudged::UnknownDataplane => {
                "declare it with `--default-dataplane ambient`, `--ambient-namespace NS` or `cluster.namespaces` in .ambient-lint.yaml"
            }
            Unjudged::UnknownNamespace => {
                "declare them with `--ambient-namespace NS`, `--known-namespace NS` or `cluster.namespaces` in .ambient-lint.yaml, or pass `--assume-complete` if the input is the whole cluster"
            }
            Unjudged::UndescribedNamespace => {
                "declare the objects with `--declare 'KIND NAMESPACE/NAME'` or `cluster.objects` in .ambient-lint.yaml, or pass `--assume-complete` if the input is the whole cluster"
            }
            Unjudged::UndeclaredHost => {
                "pass `--assume-complete` if the input holds every ServiceEntry of the cluster"
            }
        }
    }
}

/// Something a rule could not judge: why, in which namespace (the one whose facts are
/// missing), and the object it is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnjudgedItem {
    pub reason: Unjudged,
    pub namespace: String,
    pub object: ObjectId,
}

/// What a rule sees: the model, and facts several rules derive from it, each computed once per
/// run on first use.
pub struct Context<'a> {
    pub model: &'a Model,
    pub inputs: &'a Inputs,
    pub options: &'a RuleOptions,
    // Shared inputs, built by the first rule that asks. Rules run on rayon's threads, so these
    // initialisers must not use rayon themselves: a thread waiting inside one could steal
    // another rule that asks for the same cell, and wait on itself.
    engine: OnceLock<crate::engine::Engine<'a>>,
    flow_verdicts: OnceLock<Vec<crate::flows::verdict::FlowVerdict>>,
    principals: OnceLock<Vec<authz::PrincipalRef<'a>>>,
    namespaces: OnceLock<Vec<authz::NamespaceRef<'a>>>,
    flows: OnceLock<crate::flows::Inferred>,
    routes: OnceLock<Vec<routes::RouteView<'a>>>,
    /// What rules could not judge; rules run on every core (see [`run`]), and the set keeps
    /// its order whichever rule notes first.
    unjudged: std::sync::Mutex<BTreeSet<UnjudgedItem>>,
}

impl<'a> Context<'a> {
    pub fn new(model: &'a Model, inputs: &'a Inputs, options: &'a RuleOptions) -> Self {
        Context {
            model,
            inputs,
            options,
            engine: OnceLock::new(),
            flow_verdicts: OnceLock::new(),
            principals: OnceLock::new(),
            namespaces: OnceLock::new(),
            flows: OnceLock::new(),
            routes: OnceLock::new(),
            unjudged: std::sync::Mutex::new(BTreeSet::new()),
        }
    }

    /// Notes that a rule stayed quiet about `object` because a fact about `namespace` is
    /// missing, so that the run says what it did not judge instead of passing silently.
    pub fn unjudged(&self, reason: Unjudged, namespace: &str, object: ObjectId) {
        self.unjudged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(UnjudgedItem {
                reason,
                namespace: namespace.to_string(),
                object,
            });
    }

    /// [`Context::unjudged`] about the object a location is in.
    pub fn unjudged_at(&self, reason: Unjudged, namespace: &str, at: &crate::finding::Location) {
        if let crate::finding::Location::Field { object, .. } = at {
            self.unjudged(reason, namespace, *object);
        }
    }

    /// Notes the policies in the scope of a policy (or the policy itself) whose enrolment is
    /// unknown: what rules about ztunnel's enforcement could not judge.
    pub fn unjudged_scope(
        &self,
        meta: &crate::model::resources::Meta,
        selector: Option<&crate::model::selector::LabelSelector>,
    ) {
        if authz::dataplane_unknown(self.model, meta, selector) {
            self.unjudged(Unjudged::UnknownDataplane, &meta.namespace, meta.object);
        }
    }

    /// Notes the NetworkPolicies selecting a workload whose dataplane is unknown.
    pub fn unjudged_workload(&self, workload: usize) {
        let w = &self.model.workloads[workload];
        if self.model.workload_dataplane(w) != crate::model::Dataplane::Unknown {
            return;
        }
        for &p in &self.selecting_policies()[workload] {
            let meta = &self.model.network_policies[p].meta;
            self.unjudged(Unjudged::UnknownDataplane, &meta.namespace, meta.object);
        }
    }

    /// What the rules could not judge, in order.
    pub fn take_unjudged(&self) -> Vec<UnjudgedItem> {
        std::mem::take(
            &mut *self
                .unjudged
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_iter()
        .collect()
    }

    /// The file an object's fields are written in, for resolving its references to the nearest
    /// of several copies.
    pub fn path_of(&self, object: crate::load::ObjectId) -> &str {
        let file = self
            .inputs
            .file_of(&crate::finding::Location::field(object, ""));
        &self.inputs.files[file].path
    }

    /// The policy engine over this model; flow verdicts treat an `ipBlock` as covering pod
    /// addresses or not depending on the CNI, so unknown.
    pub fn engine(&self) -> &crate::engine::Engine<'a> {
        self.engine.get_or_init(|| {
            crate::engine::Engine::new(self.model, crate::engine::IpBlocksAndPods::Unknown)
        })
    }

    /// Judges every flow on every core before the flow rules run (and beside the others), when
    /// a rule will read the verdicts: they are the longest of the shared inputs, and built
    /// inside a rule they would take one core. Outside any cell's initialiser, so rayon may be
    /// used here.
    ///
    /// The rules report a pair of pods that every layer admits only for a forbidden flow
    /// (AL503); for the others such a pair keeps its verdict and lets go of how it was reached
    /// (which rule of which policy admitted it, on which ports), most of the verdicts' memory
    /// on a large input. `graph` reads whole verdicts through [`Context::flow_verdicts`].
    fn judge_flows_in_parallel(&self) {
        use rayon::prelude::*;
        if self.flow_verdicts.get().is_some() {
            return;
        }
        let engine = self.engine();
        let verdicts: Vec<_> = self
            .flows()
            .flows
            .par_iter()
            .map(|f| {
                let mut verdict = crate::flows::verdict::judge(engine, f);
                if !f.forbidden {
                    for pair in &mut verdict.pairs {
                        if pair.judgement.verdict() == crate::engine::Verdict::Allowed {
                            pair.judgement = crate::engine::wire::Judgement::admitted();
                        }
                    }
                }
                verdict
            })
            .collect();
        // Only the flow rules read the cell, and they run after this: it is not set already.
        let _ = self.flow_verdicts.set(verdicts);
    }

    /// The engine's verdict on each of [`Context::flows`], in the same order.
    pub fn flow_verdicts(&self) -> &[crate::flows::verdict::FlowVerdict] {
        self.flow_verdicts.get_or_init(|| {
            self.flows()
                .flows
                .iter()
                .map(|f| crate::flows::verdict::judge(self.engine(), f))
                .collect()
        })
    }

    /// For each workload, the NetworkPolicies selecting it.
    pub fn selecting_policies(&self) -> &[Vec<usize>] {
        self.engine().selecting_all()
    }

    /// Routes of every kind, each with whether istiod judges it: what AL404–AL411 read.
    pub fn routes(&self) -> &[routes::RouteView<'a>] {
        self.routes.get_or_init(|| {
            let mut all = routes::all_routes(self.model);
            for r in &mut all {
                r.istio = r.istio_judges(self.model, self.path_of(r.meta.object));
            }
            all
        })
    }

    /// Every principal-like reference of every AuthorizationPolicy.
    pub fn principal_refs(&self) -> &[authz::PrincipalRef<'a>] {
        self.principals
            .get_or_init(|| authz::principal_refs(self.model))
    }

    /// The flows the manifests intend and the config file declares, and the declared ones this
    /// unit cannot place.
    pub fn flows(&self) -> &crate::flows::Inferred {
        self.flows.get_or_init(|| {
            crate::flows::infer(self.model, self.inputs, &self.inputs.declared_flows)
        })
    }

    /// Every namespace reference of every AuthorizationPolicy.
    pub fn namespace_refs(&self) -> &[authz::NamespaceRef<'a>] {
        self.namespaces
            .get_or_init(|| authz::namespace_refs(self.model))
    }
}

#[derive(Clone, Debug, Default)]
pub struct RuleOptions {
    /// Routes that must never be reachable through a north-south gateway (`POST /inven/stock/reserve`).
    pub internal_paths: Vec<routes::RequestPattern>,
    /// Mutating requests that are meant to be public (`POST /ecom/checkout`).
    pub public_mutations: Vec<routes::RequestPattern>,
    /// Which rules run and at which severity.
    pub selection: crate::config::Selection,
}

pub type Check = fn(&Context, &mut Vec<Finding>);

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's document (`rules/<CODE>-<name>.md`), printed by `explain`.
    pub doc: &'static str,
    /// None for the input rules, whose findings the loader and model make.
    pub check: Option<Check>,
    /// More general rules whose finding on the same field this one replaces (one mistake, one
    /// finding).
    pub supersedes: &'static [&'static str],
    /// Whether its findings can carry a fix, and of what applicability.
    pub fix: FixAvailability,
}

/// What a rule's findings offer to `--fix` (ruff's `FixAvailability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    /// Some findings carry a fix of this applicability; others cannot be fixed mechanically.
    Sometimes(crate::finding::Applicability),
}

impl FixAvailability {
    pub fn describe(self) -> &'static str {
        use crate::finding::Applicability::*;
        match self {
            FixAvailability::None => "",
            FixAvailability::Sometimes(Safe) => "safe fix",
            FixAvailability::Sometimes(Unsafe) => "unsafe fix",
            FixAvailability::Sometimes(DisplayOnly) => "fix shown",
        }
    }
}

/// Every rule, sorted by code.
pub static RULES: &[&Rule] = &[
    &input::al001_invalid_yaml::RULE,
    &input::al002_invalid_resource::RULE,
    &input::al003_templated_file::RULE,
    &input::al004_duplicate_resource::RULE,
    &input::al005_unused_suppression::RULE,
    &input::al006_kustomization_not_rendered::RULE,
    &mesh::al101_sidecar_and_ambient_labels::RULE,
    &mesh::al102_policy_outside_mesh::RULE,
    &mesh::al103_waypoint_not_found::RULE,
    &mesh::al104_waypoint_traffic_type_mismatch::RULE,
    &mesh::al105_waypoint_cross_namespace_denied::RULE,
    &mesh::al106_waypoint_without_hbone_listener::RULE,
    &mesh::al107_workload_on_default_serviceaccount::RULE,
    &authz::al201_l7_rule_in_ztunnel_allow::RULE,
    &authz::al202_l7_deny_rule_never_fires::RULE,
    &authz::al203_l7_deny_rule_broadened::RULE,
    &authz::al204_action_unsupported_by_ztunnel::RULE,
    &authz::al205_client_identity_behind_waypoint::RULE,
    &authz::al206_principal_unknown_serviceaccount::RULE,
    &authz::al207_principal_serviceaccount_unused::RULE,
    &authz::al208_principal_spiffe_prefix::RULE,
    &authz::al209_principal_trust_domain_mismatch::RULE,
    &authz::al210_unknown_namespace::RULE,
    &authz::al211_gateway_namespace_mismatch::RULE,
    &authz::al212_selector_matches_no_workload::RULE,
    &authz::al213_selector_on_gateway_pods::RULE,
    &authz::al214_targetref_not_found::RULE,
    &authz::al215_requestauthentication_without_waypoint::RULE,
    &authz::al216_peerauthentication_disable_in_ambient::RULE,
    &authz::al217_deny_all_by_empty_policy::RULE,
    &authz::al218_trust_domains_ignored_by_ztunnel::RULE,
    &authz::al219_database_open_to_mesh::RULE,
    &netpol::al301_missing_hbone_egress::RULE,
    &netpol::al302_missing_hbone_ingress::RULE,
    &netpol::al303_missing_dns_egress::RULE,
    &netpol::al304_probe_snat_blocked::RULE,
    &netpol::al305_app_port_to_mesh_destination::RULE,
    &netpol::al306_unknown_namespace_selector::RULE,
    &netpol::al307_policy_selects_no_pods::RULE,
    &netpol::al308_rules_ignored_by_policytypes::RULE,
    &netpol::al309_named_port_not_found::RULE,
    &routes::al401_route_matches_any_method::RULE,
    &routes::al402_mutating_method_exposed::RULE,
    &routes::al403_internal_path_exposed::RULE,
    &routes::al404_route_parent_not_found::RULE,
    &routes::al405_route_not_allowed_by_listener::RULE,
    &routes::al406_backend_not_found::RULE,
    &routes::al407_backend_reference_not_granted::RULE,
    &routes::al408_backend_port_not_found::RULE,
    &routes::al409_backend_kind_unsupported::RULE,
    &routes::al410_listener_from_none_takes_every_namespace::RULE,
    &routes::al411_route_rejected_by_istiod::RULE,
    &flows::al501_flow_blocked_by_networkpolicy::RULE,
    &flows::al502_flow_blocked_by_authorization::RULE,
    &flows::al503_forbidden_flow_allowed::RULE,
];

pub fn find(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// The rules that read [`Context::flow_verdicts`]. They run once every verdict is in; a rule
/// that reads them and is missing here would run beside the judgement and judge every flow
/// again on one core.
const FLOW_RULES: [&str; 3] = ["AL501", "AL502", "AL503"];

/// Runs every rule and applies `supersedes`: a finding of a general rule is dropped when a more
/// specific rule reported the same field.
pub fn run(ctx: &Context) -> Vec<Finding> {
    use rayon::prelude::*;
    // Rules are pure functions of the context: they run on every core, and their findings are
    // joined in the registry's order, so the output is the same whatever ran first.
    let enabled = |rule: &Rule| {
        rule.check
            .filter(|_| ctx.options.selection.enabled(rule.code))
    };
    let is_flow_rule = |rule: &Rule| FLOW_RULES.contains(&rule.code);
    let run_rules = |flow: bool| -> Vec<Vec<Finding>> {
        RULES
            .par_iter()
            .map(|rule| {
                let mut out = Vec::new();
                if is_flow_rule(rule) == flow
                    && let Some(check) = enabled(rule)
                {
                    check(ctx, &mut out);
                }
                out
            })
            .collect()
    };
    // The flow rules read every flow's verdict, the longest of the shared inputs, which starts
    // with a pass on one core (the flows themselves): the other rules run beside it.
    let judging = RULES
        .iter()
        .any(|r| is_flow_rule(r) && enabled(r).is_some());
    let (mut per_rule, ()) = rayon::join(
        || run_rules(false),
        || {
            if judging {
                ctx.judge_flows_in_parallel();
            }
        },
    );
    if judging {
        for (all, flow) in per_rule.iter_mut().zip(run_rules(true)) {
            all.extend(flow);
        }
    }
    let mut findings: Vec<Finding> = per_rule.into_iter().flatten().collect();
    let superseded: std::collections::HashSet<(&'static str, crate::finding::Location)> = findings
        .iter()
        .flat_map(|f| {
            let loc = f.location.clone();
            find(f.code)
                .map(|r| r.supersedes)
                .unwrap_or_default()
                .iter()
                .map(move |c| (*c, loc.clone()))
        })
        .collect();
    findings.retain(|f| !superseded.contains(&(f.code, f.location.clone())));
    findings
}

/// Where a rule's document is read online: SARIF's `helpUri`, the editor's link on a code.
pub fn doc_url(rule: &Rule) -> String {
    format!(
        "https://github.com/ambient-lint/ambient-lint/blob/main/rules/{}-{}.md",
        rule.code, rule.name
    )
}

/// Shorthand for a rule file: the finding constructor bound to the rule's code and severity.
pub fn finding(
    rule: &Rule,
    location: crate::finding::Location,
    message: impl Into<String>,
) -> Finding {
    Finding::new(rule.code, rule.severity, location, message)
}

/// The rules index (`docs/rules.md`), generated from the registry so that it cannot drift.
pub fn index_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- Generated by `ambient-lint rules --format markdown`; a test checks it is current. -->\n\n\
         Each rule's document is printed by `ambient-lint explain <CODE>` and lives in `rules/`.\n\n\
         | code | name | severity | what it reports | fix |\n| --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        out.push_str(&format!(
            "| [{code}](../rules/{code}-{name}.md) | {name} | {sev} | {summary} | {fix} |\n",
            code = r.code,
            name = r.name,
            sev = r.severity.as_str(),
            summary = r.summary.replace('|', "\\|"),
            fix = r.fix.describe()
        ));
    }
    out
}

/// Formats a list of names for a message: `a`, `a` and `b`, `a`, `b` and `c`.
pub fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
