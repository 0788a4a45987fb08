use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by the model's field reader.
pub static RULE: Rule = Rule {
    code: "AL002",
    name: "invalid-resource",
    severity: Severity::Error,
    summary: "a field of a modelled kind has the wrong shape, so the API server would refuse the object",
    doc: include_str!("../../../rules/AL002-invalid-resource.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};
