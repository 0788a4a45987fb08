use super::namespace_pattern_known;
use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL210",
    name: "unknown-namespace",
    severity: Severity::Error,
    summary: "a policy names a namespace that does not exist (under `--assume-complete`; otherwise a note that it was not judged): the rule matches no traffic from it",
    doc: include_str!("../../../rules/AL210-unknown-namespace.md"),
    check: Some(check),
    supersedes: &[],
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for r in ctx.namespace_refs() {
        if namespace_pattern_known(ctx.model, r.value) {
            continue;
        }
        // Unless the input is the whole cluster, the namespace may exist elsewhere: a note, not
        // a finding.
        if !ctx.model.options.assume_complete {
            ctx.unjudged(Unjudged::UnknownNamespace, r.value, r.policy.meta.object);
            continue;
        }
        let what = if r.in_principal {
            "the principal's namespace"
        } else {
            "namespace"
        };
        out.push(
            finding(
                &RULE,
                Location::field(r.policy.meta.object, r.path.clone()),
                format!(
                    "{what} `{}` does not exist: the input is declared complete and no Namespace object or resource in it lives there, so {}",
                    r.value,
                    super::never_matches_effect(&r.path)
                ),
            )
            .help(format!(
                "correct the name (known namespaces: {}), or if `{}` exists outside these manifests, declare it: `--ambient-namespace {}` (or `cluster.namespaces` in .ambient-lint.yaml) if it runs in ambient, `--known-namespace {}` otherwise",
                ctx.model.known_namespace_names().join(", "),
                r.value,
                r.value,
                r.value
            )),
        );
    }
}
