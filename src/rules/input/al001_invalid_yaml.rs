use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by the loader.
pub static RULE: Rule = Rule {
    code: "AL001",
    name: "invalid-yaml",
    severity: Severity::Error,
    summary: "a document is not valid YAML; the other documents and files are still linted",
    doc: include_str!("../../../rules/AL001-invalid-yaml.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};
