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
/// the workloads it selects, which a waypoint then enforces in full. It needs that waypoint and
/// the Service's `istio.io/use-waypoint` label too, which an edit here cannot judge.
fn target_refs_fix(
    ctx: &Context,
    policy: &crate::model::resources::AuthorizationPolicy,
) -> Option<crate::finding::Fix> {
    let model = ctx.model;
    let selector = policy.selector.as_ref()?;
    let selected = model.select_workloads(Some(&policy.meta.namespace), selector);
    let mut services: Option<Vec<&str>> = None;
    for &w in &selected {
        let names: Vec<&str> = model
            .services_selecting(&model.workloads[w])
            .map(|s| s.meta.name.as_str())
            .collect();
        services = Some(match services {
            None => names,
            Some(prev) => prev.into_iter().filter(|n| names.contains(n)).collect(),
        });
    }
    let services = services?;
    let [service] = services.as_slice() else {
        return None;
    };
    let (root, file, text) = crate::rules::edits::editable(ctx, policy.meta.object)?;
    let entry = root.get("spec")?.entry("selector")?;
    let written = text.get(entry.key.span().start..entry.value.span().end)?;
    if written.contains('#') {
        return None; // a comment inside would be lost
    }
    Some(crate::finding::Fix {
        title: format!(
            "attach the policy to Service `{service}` with `targetRefs` (it also needs a waypoint and `istio.io/use-waypoint` on the Service)"
        ),
        applicability: crate::finding::Applicability::DisplayOnly,
        edits: vec![crate::finding::Edit {
            file,
            start: entry.key.span().start,
            end: entry.value.span().end,
            content: format!("targetRefs: [{{kind: Service, group: \"\", name: {service}}}]"),
        }],
    })
}
