use crate::finding::Severity;
use crate::rules::Rule;

/// Findings are made by the loader, when it renders kustomization roots.
pub static RULE: Rule = Rule {
    code: "AL006",
    name: "kustomization-not-rendered",
    severity: Severity::Info,
    summary: "a kustomization could not be rendered as kustomize would, so its objects are linted as written or not at all",
    doc: include_str!("../../../rules/AL006-kustomization-not-rendered.md"),
    check: None,
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};
