use super::reach;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL215",
    name: "requestauthentication-without-waypoint",
    severity: Severity::Error,
    summary: "a RequestAuthentication without `targetRefs` on ambient workloads: ztunnel validates no JWTs and waypoints ignore selectors",
    doc: include_str!("../../../rules/AL215-requestauthentication-without-waypoint.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

const HELP: &str = "deploy a waypoint, bind the Service to it, and attach the RequestAuthentication with `targetRefs` (kind Service or Gateway)";

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for ra in &model.request_authentications {
        if !ra.target_refs.is_empty() {
            continue;
        }
        if let Some(sel) = &ra.selector
            && model
                .gateway_selected_by(Some(&ra.meta.namespace), sel)
                .is_some()
        {
            continue; // AL213: it selects gateway pods
        }
        let r = reach(model, &ra.meta, ra.selector.as_ref());
        if !r.ambient {
            ctx.unjudged_scope(&ra.meta, ra.selector.as_ref());
            continue;
        }
        let name = qualified(Some(&ra.meta.namespace), &ra.meta.name);
        let at = ra
            .selector
            .as_ref()
            .map_or_else(|| "metadata.name".into(), |s| s.path.clone());
        let f = if r.mesh_wide {
            // Sidecars and gateways validate its tokens: it does something, just not for the
            // ambient workloads.
            Finding::new(
                RULE.code,
                Severity::Info,
                Location::field(ra.meta.object, at),
                format!(
                    "the mesh-wide RequestAuthentication `{name}` validates JWTs only in Envoy (sidecars and Istio gateways): ambient workloads get no validation from it, since ztunnel has no JWT support and waypoints apply only policies attached with `targetRefs`"
                ),
            )
            .help("if the ambient services need these JWTs checked, attach a RequestAuthentication to their waypoint with `targetRefs`; if it is meant for the gateways, select them (`selector` or `targetRefs`) to say so")
        } else {
            finding(
                &RULE,
                Location::field(ra.meta.object, at),
                format!(
                    "no JWT is validated for RequestAuthentication `{name}` on the ambient workloads it applies to: it has no `targetRefs`, ztunnel has no JWT support and waypoints ignore selector policies{}",
                    r.envoy.as_ref().map_or(String::new(), |(what, _)| format!(" (Envoy in {what} does validate them)"))
                ),
            )
            .help(HELP)
        };
        out.push(r.relate(f));
    }
}
