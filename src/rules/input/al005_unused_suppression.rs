use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by `suppress::apply`, after every other rule has run.
pub static RULE: Rule = Rule {
    code: "AL005",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "an ignore annotation or comment suppresses nothing (or names no rule)",
    doc: include_str!("../../../rules/AL005-unused-suppression.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::Sometimes(crate::finding::Applicability::Safe),
};
