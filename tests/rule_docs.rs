//! The rule documents are tests: each `yaml bad` block fires its rule and nothing else at error
//! severity; each `yaml good` block is clean under every rule. Also checks the registry itself.

use std::collections::BTreeSet;

mod common;
use common::fenced_blocks as blocks;

use ambient_lint::finding::{Finding, Severity};
use ambient_lint::load::Inputs;
use ambient_lint::{check, rules};

fn lint(code: &str, text: &str) -> Vec<Finding> {
    let inputs = Inputs::from_texts([(format!("{code}.yaml").as_str(), text)]);
    let mut findings = check(&inputs, &common::options_for(text));
    // A suppressed finding is one the example means to show suppressed.
    findings.retain(|f| f.suppressed.is_none());
    findings
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every example of a kind: single files, and trees of files (kustomizations) linted as a folder.
fn examples(code: &str, doc: &str, kind: &str) -> Vec<Vec<Finding>> {
    let mut out: Vec<Vec<Finding>> = blocks(doc, kind)
        .into_iter()
        .map(|text| lint(code, &text))
        .collect();
    for (i, tree) in common::fenced_trees(doc, kind).into_iter().enumerate() {
        let mut findings = common::lint_tree(&format!("doc-{code}-{kind}-{i}"), &tree);
        findings.retain(|f| f.suppressed.is_none());
        out.push(findings);
    }
    out
}

#[test]
fn bad_examples_fire_their_rule_and_nothing_else_at_error() {
    for rule in rules::RULES {
        let bad = examples(rule.code, rule.doc, "bad");
        assert!(!bad.is_empty(), "{} has no `yaml bad` example", rule.code);
        for findings in bad {
            assert!(
                findings.iter().any(|f| f.code == rule.code),
                "{}'s bad example does not fire it; found:\n{}",
                rule.code,
                describe(&findings)
            );
            let others: Vec<Finding> = findings
                .into_iter()
                .filter(|f| f.code != rule.code && f.severity == Severity::Error)
                .collect();
            assert!(
                others.is_empty(),
                "{}'s bad example also fires errors:\n{}",
                rule.code,
                describe(&others)
            );
        }
    }
}

#[test]
fn good_examples_are_clean() {
    for rule in rules::RULES {
        for findings in examples(rule.code, rule.doc, "good") {
            assert!(
                findings.is_empty(),
                "{}'s good example is not clean:\n{}",
                rule.code,
                describe(&findings)
            );
        }
    }
}

#[test]
fn documents_have_every_section() {
    for rule in rules::RULES {
        let title = format!("# {} {}", rule.code, rule.name);
        assert!(
            rule.doc.starts_with(&title),
            "{}'s document must start with `{title}`",
            rule.code
        );
        for section in [
            "## What it does",
            "## Why it breaks",
            "## Example",
            "## Use instead",
            "## How to suppress",
            "## References",
        ] {
            assert!(
                rule.doc.contains(section),
                "{} lacks `{section}`",
                rule.code
            );
        }
        assert!(
            !blocks(rule.doc, "good").is_empty()
                || !common::fenced_trees(rule.doc, "good").is_empty()
                || rule.code == "AL001",
            "{} has no `yaml good` example",
            rule.code
        );
    }
}

#[test]
fn codes_are_unique_sorted_and_named_in_kebab_case() {
    let codes: Vec<&str> = rules::RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted, "codes must be unique and in order");
    for r in rules::RULES {
        assert!(
            r.code.len() == 5
                && r.code.starts_with("AL")
                && r.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "bad code {}",
            r.code
        );
        assert!(
            r.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} name `{}` is not kebab-case",
            r.code,
            r.name
        );
        assert!(
            !r.summary.ends_with('.'),
            "{} summary ends with a period",
            r.code
        );
        for s in r.supersedes {
            assert!(
                rules::find(s).is_some(),
                "{} supersedes unknown {s}",
                r.code
            );
        }
    }
}

#[test]
fn every_document_file_belongs_to_a_rule_and_every_rule_has_one() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let files: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let expected: BTreeSet<String> = rules::RULES
        .iter()
        .map(|r| format!("{}-{}.md", r.code, r.name))
        .collect();
    assert_eq!(
        files, expected,
        "rules/ must hold exactly one document per rule"
    );
}

#[test]
fn messages_follow_the_house_style() {
    // Every finding any document example produces.
    for rule in rules::RULES {
        for kind in ["bad", "good"] {
            for text in blocks(rule.doc, kind) {
                for f in lint(rule.code, &text) {
                    common::assert_house_style(&f, rule.code);
                }
            }
        }
    }
}

#[test]
fn docs_rules_index_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let expected = rules::index_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date: run `UPDATE_DOCS=1 cargo test --test rule_docs` (or `ambient-lint rules --format markdown > docs/rules.md`)"
    );
}

#[test]
fn rules_that_fix_say_how_in_their_document_and_others_do_not() {
    for r in rules::RULES {
        let has = r.doc.contains("\n## Fix\n");
        let fixes = r.fix != rules::FixAvailability::None;
        assert_eq!(
            has, fixes,
            "{}: a `## Fix` section iff the rule can fix",
            r.code
        );
    }
}
