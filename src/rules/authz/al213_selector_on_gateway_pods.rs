use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule};

pub static RULE: Rule = Rule {
    code: "AL213",
    name: "selector-on-gateway-pods",
    severity: Severity::Warning,
    summary: "a policy selects the pods of a Gateway API gateway or waypoint with `selector`: attach it with `targetRefs`",
    doc: include_str!("../../../rules/AL213-selector-on-gateway-pods.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    let policies = model
        .istio_policies()
        .filter(|p| matches!(p.kind, "AuthorizationPolicy" | "RequestAuthentication"))
        .map(|p| (p.kind, p.meta, p.selector));
    for (kind, meta, selector) in policies {
        let Some(sel) = selector.filter(|s| !s.is_empty()) else {
            continue;
        };
        let root = meta.namespace == model.options.root_namespace;
        let gateway = model.gateway_selected_by((!root).then_some(meta.namespace.as_str()), sel);
        let by_label = sel.match_labels.iter().find(|(k, _)| {
            k == "gateway.networking.k8s.io/gateway-name" || k == "istio.io/gateway-name"
        });
        let name = qualified(Some(&meta.namespace), &meta.name);
        // Waypoints never apply selector policies; `istio`-class gateways do, unless
        // ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY is off ([istio] policyattachment.go
        // `ShouldAttachPolicy`, pilot/pkg/features): there the selector works but is fragile.
        const APPLIED: &str = "Istio applies it today (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY defaults to true), but its analyzer reports the selector as ineffective (IST0166) and the policy stops applying where that flag is off";
        let (severity, message) = match (gateway, by_label) {
            (Some(g), _) if g.is_waypoint() => (
                RULE.severity,
                format!(
                    "the selector of {kind} `{name}` matches the pods of waypoint `{}`: waypoints apply only policies attached with `targetRefs`, so this one is ignored",
                    qualified(Some(&g.meta.namespace), &g.meta.name)
                ),
            ),
            (Some(g), _) => (
                Severity::Info,
                format!(
                    "the selector of {kind} `{name}` matches the pods of gateway `{}`: {APPLIED}",
                    qualified(Some(&g.meta.namespace), &g.meta.name)
                ),
            ),
            (None, Some((_, gw))) => (
                Severity::Info,
                format!(
                    "the selector of {kind} `{name}` matches the pods of Gateway `{gw}`: if it is a waypoint, the policy is ignored; if a gateway, {APPLIED}"
                ),
            ),
            (None, None) => continue,
        };
        let mut f = Finding::new(
            RULE.code,
            severity,
            Location::field(meta.object, sel.path.clone()),
            message,
        )
        .help("replace `selector` with `targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: <gateway>}]`");
        if let Some(g) = gateway {
            f = f.related(
                Location::field(g.meta.object, "metadata.name"),
                "the Gateway whose pods it selects",
            );
        }
        out.push(f);
    }
}
