use super::{RuleParts, attribute_names, ztunnel_reach};
use crate::finding::{Finding, Location, Severity};
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding, list};

pub static RULE: Rule = Rule {
    code: "AL201",
    name: "l7-rule-in-ztunnel-allow",
    severity: Severity::Error,
    summary: "an ALLOW rule enforced by ztunnel uses HTTP attributes: ztunnel drops the rule, and with no rule left the policy denies everything",
    doc: include_str!("../../../rules/AL201-l7-rule-in-ztunnel-allow.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::DisplayOnly),
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for policy in &ctx.model.authorization_policies {
        if policy.action != Action::Allow {
            continue;
        }
        let Some(reach) = ztunnel_reach(ctx.model, policy) else {
            super::unjudged_if_unenrolled(ctx, policy);
            continue;
        };
        let parts: Vec<RuleParts> = policy.rules.iter().map(RuleParts::of).collect();
        let dropped = parts.iter().filter(|p| !p.l7().is_empty()).count();
        let all_dropped = dropped == policy.rules.len();
        for part in &parts {
            let attrs = part.l7();
            let Some(first) = attrs.first() else { continue };
            let consequence = if all_dropped {
                "; no rule is left, so the policy denies all traffic to the workloads it selects (503s / connection resets)"
            } else {
                "; the traffic it was meant to allow is denied"
            };
            let mut f = finding(
                &RULE,
                Location::field(policy.meta.object, first.path.clone()),
                format!(
                    "ztunnel does not support HTTP attributes (found: {}): this ALLOW rule is dropped{consequence}{}",
                    list(&attribute_names(&attrs)),
                    reach.envoy_note()
                ),
            )
            .help("keep only L4 fields in ztunnel policies (source principals, namespaces, serviceAccounts, ipBlocks; operation ports) and enforce the HTTP part in an HTTPRoute or a waypoint: deploy one, label the Service `istio.io/use-waypoint`, and attach the policy with `targetRefs`");
            for other in attrs.iter().skip(1) {
                f = f.related(
                    Location::field(policy.meta.object, other.path.clone()),
                    format!("`{}` is an HTTP attribute too", other.name),
                );
            }
            out.push(reach.relate(f).fix(target_refs_fix(ctx, policy)));
        }
    }
}

/// Shown, never applied: the policy attached with `targetRefs` to the one Service in front of
/// the workloads it selects, which a waypoint then enforces in full; and, when the input shows no
/// waypoint serving that Service, the Service's `istio.io/use-waypoint` label and the waypoint
/// itself (as `istioctl waypoint generate` writes it) appended to the policy's file. Applying it
/// changes which proxy enforces the policy and adds a Deployment to the namespace: a user's call.
fn target_refs_fix(
    ctx: &Context,
    policy: &crate::model::resources::AuthorizationPolicy,
) -> Option<crate::finding::Fix> {
    use crate::finding::{Edit, Fix};
    use crate::model::waypoints::USE_WAYPOINT;
    let model = ctx.model;
    let selector = policy.selector.as_ref()?;
    let selected = model.select_workloads(Some(&policy.meta.namespace), selector);
    let mut services: Option<Vec<&crate::model::resources::Service>> = None;
    for &w in &selected {
        let found: Vec<_> = model.services_selecting(&model.workloads[w]).collect();
        services = Some(match services {
            None => found,
            Some(prev) => prev
                .into_iter()
                .filter(|s| found.iter().any(|f| std::ptr::eq(*f, *s)))
                .collect(),
        });
    }
    let services = services?;
    let [service] = services.as_slice() else {
        return None;
    };
    let name = &service.meta.name;
    let (root, file, text) = crate::rules::edits::editable(ctx, policy.meta.object)?;
    let entry = crate::rules::edits::node_at(root, &"spec".into())?.entry("selector")?;
    if entry.key.is_copy() {
        return None;
    }
    let written = text.get(entry.key.span().start..entry.value.span().end)?;
    if written.contains('#') {
        return None; // a comment inside would be lost
    }
    let mut edits = vec![Edit {
        file,
        start: entry.key.span().start,
        end: entry.value.span().end,
        content: format!("targetRefs: [{{kind: Service, group: \"\", name: {name}}}]"),
    }];
    let mut title = format!("attach the policy to Service `{name}` with `targetRefs`");
    let used = model.service_waypoint(service);
    if used
        .as_ref()
        .is_some_and(|u| model.waypoint_gateway(u).is_some())
    {
        title.push_str(" (its waypoint enforces it)");
    } else {
        let (waypoint, namespace) = match &used {
            Some(u) => (u.name.clone(), u.namespace.clone()),
            None => ("waypoint".to_string(), service.meta.namespace.to_string()),
        };
        if used.is_none() {
            // The waypoint the label will name: `waypoint`, unless a Gateway of that name that
            // is not a waypoint is in the way.
            let existing = model.gateway(&namespace, &waypoint);
            if existing
                .is_some_and(|g| g.class_name.value != crate::model::resources::WAYPOINT_CLASS)
            {
                return None;
            }
            let Some(label) = use_waypoint_label(ctx, service, &waypoint) else {
                // The Service is not written where it can be edited (rendered, JSON).
                title.push_str(&format!(
                    " (it also needs `{USE_WAYPOINT}` on the Service and a waypoint)"
                ));
                return Some(Fix {
                    title,
                    applicability: crate::finding::Applicability::DisplayOnly,
                    edits,
                });
            };
            edits.push(label);
            title.push_str(&format!(", label the Service `{USE_WAYPOINT}: {waypoint}`"));
            if existing.is_some() {
                title.push_str(&format!(" (waypoint `{namespace}/{waypoint}` is there)"));
                return Some(Fix {
                    title,
                    applicability: crate::finding::Applicability::DisplayOnly,
                    edits,
                });
            }
        }
        let separator = if text.ends_with('\n') || text.is_empty() {
            ""
        } else {
            "\n"
        };
        edits.push(Edit {
            file,
            start: text.len(),
            end: text.len(),
            content: format!(
                "{separator}---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: {waypoint}\n  namespace: {namespace}\n  labels:\n    istio.io/waypoint-for: service\nspec:\n  gatewayClassName: istio-waypoint\n  listeners:\n    - name: mesh\n      port: 15008\n      protocol: HBONE\n"
            ),
        });
        title.push_str(&format!(
            " and deploy the waypoint `{namespace}/{waypoint}`"
        ));
    }
    Some(Fix {
        title,
        applicability: crate::finding::Applicability::DisplayOnly,
        edits,
    })
}

/// `istio.io/use-waypoint: <waypoint>` among the Service's labels, when its file can be edited.
fn use_waypoint_label(
    ctx: &Context,
    service: &crate::model::resources::Service,
    waypoint: &str,
) -> Option<crate::finding::Edit> {
    use crate::rules::edits::{add_to_map, editable, node_at};
    let (root, file, text) = editable(ctx, service.meta.object)?;
    let key = crate::model::waypoints::USE_WAYPOINT;
    match root.get("metadata")?.get("labels") {
        Some(labels) if labels.as_map().is_some_and(|m| !m.is_empty()) => add_to_map(
            text,
            file,
            node_at(root, &"metadata.labels".into())?,
            key,
            waypoint,
        ),
        // `labels: {}` or null: left to the user rather than written twice.
        Some(_) => None,
        None => add_to_map(
            text,
            file,
            node_at(root, &"metadata".into())?,
            "labels",
            &format!("{{{key}: {waypoint}}}"),
        ),
    }
}
