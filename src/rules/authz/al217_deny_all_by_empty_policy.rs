use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::model::resources::Action;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL217",
    name: "deny-all-by-empty-policy",
    severity: Severity::Info,
    summary: "an ALLOW policy without rules denies all traffic; a DENY policy without rules does nothing",
    doc: include_str!("../../../rules/AL217-deny-all-by-empty-policy.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for p in &ctx.model.authorization_policies {
        if !p.rules.is_empty() {
            continue;
        }
        let name = qualified(Some(&p.meta.namespace), &p.meta.name);
        let (message, help) = match p.action {
            Action::Allow => (
                format!(
                    "the ALLOW policy `{name}` has no rules, so it matches nothing and denies all traffic to the workloads it applies to"
                ),
                "if deny-all is the intent, keep it (it is the documented pattern); otherwise add the rules that allow the expected callers",
            ),
            Action::Deny => (
                format!("the DENY policy `{name}` has no rules, so it denies nothing"),
                "add the rules that say what to deny, or delete the policy",
            ),
            _ => continue,
        };
        let at = if ctx.inputs.objects[p.meta.object]
            .node()
            .get("spec")
            .and_then(|s| s.get("rules"))
            .is_some()
        {
            "spec.rules"
        } else {
            "metadata.name"
        };
        out.push(finding(&RULE, Location::field(p.meta.object, at), message).help(help));
    }
}
