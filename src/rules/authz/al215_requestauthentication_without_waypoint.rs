use super::covers_ambient;
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
};

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
        let ambient = covers_ambient(model, &ra.meta, ra.selector.as_ref());
        if !ambient {
            ctx.unjudged_scope(&ra.meta, ra.selector.as_ref());
            continue;
        }
        let at = ra
            .selector
            .as_ref()
            .map_or_else(|| "metadata.name".into(), |s| s.path.clone());
        out.push(
            finding(
                &RULE,
                Location::field(ra.meta.object, at),
                format!(
                    "no JWT is validated for RequestAuthentication `{}`: it applies to ambient workloads without `targetRefs`: ztunnel has no JWT support and waypoints ignore selector policies",
                    qualified(Some(&ra.meta.namespace), &ra.meta.name)
                ),
            )
            .help("deploy a waypoint, bind the Service to it, and attach the RequestAuthentication with `targetRefs` (kind Service or Gateway)"),
        );
    }
}
