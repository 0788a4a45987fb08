use super::waypoint_uses;
use crate::finding::{Finding, Severity};
use crate::model::resources::WAYPOINT_CLASS;
use crate::model::waypoints::USE_WAYPOINT_NAMESPACE;
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL103",
    name: "waypoint-not-found",
    severity: Severity::Error,
    summary: "`istio.io/use-waypoint` names no `istio-waypoint` Gateway: traffic skips the waypoint and its L7 policies",
    doc: include_str!("../../../rules/AL103-waypoint-not-found.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for (u, _, _) in waypoint_uses(model) {
        if model.waypoint_gateway(&u).is_some() {
            continue;
        }
        // A namespace the input says nothing about may hold the waypoint.
        if !model.describes(&u.namespace) {
            ctx.unjudged_at(Unjudged::UndescribedNamespace, &u.namespace, &u.at);
            continue;
        }
        let other = model.gateway(&u.namespace, &u.name);
        let why = match other {
            Some(g) => format!(
                "Gateway `{}/{}` has class `{}`, not `{WAYPOINT_CLASS}`",
                u.namespace, u.name, g.class_name.value
            ),
            None => format!(
                "namespace `{}` has no Gateway `{}` of class `{WAYPOINT_CLASS}`",
                u.namespace, u.name
            ),
        };
        let mut f = finding(
            &RULE,
            u.at.clone(),
            format!(
                "`istio.io/use-waypoint: {}` names no waypoint: {why}, so traffic goes direct and the waypoint's L7 policies are not enforced",
                u.name
            ),
        )
        .help(format!(
            "deploy it (`istioctl waypoint apply -n {} --name {}`, or a Gateway with `gatewayClassName: {WAYPOINT_CLASS}` and an HBONE listener on 15008), or correct the label{}",
            u.namespace,
            u.name,
            if other.is_none() {
                "; if the waypoint is made outside these manifests (`istioctl waypoint apply`), declare it under `cluster.objects` in .ambient-lint.yaml or pass the cluster's objects with `--context`"
            } else {
                ""
            }
        ));
        if let Some(at) = &u.namespace_at {
            f = f.related(
                at.clone(),
                format!(
                    "`{USE_WAYPOINT_NAMESPACE}` sends it to namespace `{}`",
                    u.namespace
                ),
            );
        }
        if let Some(g) = other {
            f = f.related(
                crate::finding::Location::field(g.meta.object, g.class_name.path.clone()),
                "a Gateway of this name, but not a waypoint",
            );
        }
        out.push(f);
    }
}
