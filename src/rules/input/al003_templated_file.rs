use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by the loader.
pub static RULE: Rule = Rule {
    code: "AL003",
    name: "templated-file",
    severity: Severity::Info,
    summary: "a file holds template syntax ({{ }}) and must be rendered before it can be linted",
    doc: include_str!("../../../rules/AL003-templated-file.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};
