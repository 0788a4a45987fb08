use super::namespace_selector_refs;
use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL306",
    name: "unknown-namespace-selector",
    severity: Severity::Error,
    summary: "a namespaceSelector on `kubernetes.io/metadata.name` names a namespace that does not exist: the peer matches nothing",
    doc: include_str!("../../../rules/AL306-unknown-namespace-selector.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for r in namespace_selector_refs(ctx.model) {
        if ctx.model.namespace_known(&r.value) {
            continue;
        }
        out.push(
            finding(
                &RULE,
                Location::field(r.policy.meta.object, r.path.clone()),
                format!(
                    "namespace `{}` does not exist: no Namespace object or resource in the input lives there, so this peer selects no pods",
                    r.value
                ),
            )
            .help(format!(
                "correct the name (known namespaces: {}), or if `{}` exists outside these manifests, pass `--known-namespace {}`",
                ctx.model.known_namespace_names().join(", "),
                r.value,
                r.value
            )),
        );
    }
}
