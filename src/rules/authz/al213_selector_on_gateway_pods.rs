use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL213",
    name: "selector-on-gateway-pods",
    severity: Severity::Warning,
    summary: "a policy selects the pods of a Gateway API gateway or waypoint with `selector`: attach it with `targetRefs`",
    doc: include_str!("../../../rules/AL213-selector-on-gateway-pods.md"),
    check: Some(check),
    supersedes: &[],
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
        let target = match (gateway, by_label) {
            (Some(g), _) => {
                let what = if g.is_waypoint() {
                    "waypoint"
                } else {
                    "gateway"
                };
                format!(
                    "the pods of {what} `{}`",
                    qualified(Some(&g.meta.namespace), &g.meta.name)
                )
            }
            (None, Some((_, name))) => format!("the pods of Gateway `{name}`"),
            (None, None) => continue,
        };
        let mut f = finding(
            &RULE,
            Location::field(meta.object, sel.path.clone()),
            format!(
                "the selector of {kind} `{}` matches {target}: waypoints ignore selector policies and Istio reports selectors on Gateway API gateway pods as ineffective (IST0166)",
                qualified(Some(&meta.namespace), &meta.name)
            ),
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
