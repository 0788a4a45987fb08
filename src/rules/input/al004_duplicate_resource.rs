use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by the model builder.
pub static RULE: Rule = Rule {
    code: "AL004",
    name: "duplicate-resource",
    severity: Severity::Error,
    summary: "the same kind, namespace and name is defined twice; the last one applied wins",
    doc: include_str!("../../../rules/AL004-duplicate-resource.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};
