//! Formats for CI systems: SARIF 2.1.0 (GitHub code scanning and others), GitHub Actions
//! workflow commands, GitLab Code Quality.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Entry, Report, json_io};
use crate::finding::Severity;
use crate::rules;

const TOOL: &str = "ambient-lint";
const HELP_BASE: &str = "https://github.com/ambient-lint/ambient-lint/blob/main/rules/";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The first paragraph of a section of a rule's document, as plain text.
fn section(doc: &str, heading: &str) -> String {
    doc.split(&format!("## {heading}\n"))
        .nth(1)
        .map(|rest| {
            rest.split("\n\n")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

impl Report<'_> {
    fn uri(&self, file: usize) -> String {
        self.inputs.files[file]
            .path
            .strip_prefix("./")
            .unwrap_or(&self.inputs.files[file].path)
            .to_string()
    }

    fn region(e: &super::Resolved) -> Value {
        json!({
            "startLine": e.start.line,
            "startColumn": e.start.column,
            "endLine": e.end.line.max(e.start.line),
            "endColumn": if e.end.line == e.start.line { e.end.column.max(e.start.column + 1) } else { e.end.column.max(1) },
        })
    }

    pub(super) fn write_sarif(&self, out: &mut dyn Write) -> io::Result<()> {
        let rule_index = |code: &str| rules::RULES.iter().position(|r| r.code == code);
        let driver_rules: Vec<Value> = rules::RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": section(r.doc, "What it does")},
                    "help": {"text": section(r.doc, "Why it breaks"), "markdown": r.doc},
                    "helpUri": format!("{HELP_BASE}{}-{}.md", r.code, r.name),
                    "defaultConfiguration": {"level": level(r.severity)},
                    "properties": {"tags": [area(r.code)]},
                })
            })
            .collect();
        let results: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut result = json!({
                    "ruleId": e.finding.code,
                    "level": level(e.finding.severity),
                    "message": {"text": message_with_help(e)},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": self.uri(e.at.file)},
                            "region": Self::region(&e.at),
                        },
                        "logicalLocations": e.resource.as_ref().map(|r| vec![json!({
                            "name": r.name,
                            "fullyQualifiedName": format!("{}/{}", r.kind, crate::model::qualified(r.namespace.as_deref(), &r.name)),
                            "kind": "resource",
                        })]).unwrap_or_default(),
                    }],
                    "relatedLocations": e.related.iter().enumerate().map(|(i, r)| json!({
                        "id": i,
                        "physicalLocation": {
                            "artifactLocation": {"uri": self.uri(r.at.file)},
                            "region": Self::region(&r.at),
                        },
                        "message": {"text": r.message},
                    })).collect::<Vec<_>>(),
                    "partialFingerprints": {"ambientLint/v1": fingerprint(self, e)},
                });
                if let Some(i) = rule_index(e.finding.code) {
                    result["ruleIndex"] = json!(i);
                }
                if let Some(reason) = &e.finding.suppressed {
                    result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
                }
                result
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": TOOL,
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/ambient-lint/ambient-lint",
                    "rules": driver_rules,
                }},
                "results": results,
                "columnKind": "unicodeCodePoints",
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(json_io)?;
        writeln!(out)
    }

    /// GitHub Actions workflow commands: annotations on the pull request's diff.
    pub(super) fn write_github(&self, out: &mut dyn Write) -> io::Result<()> {
        for e in &self.entries {
            let command = match e.finding.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let name = rules::find(e.finding.code).map_or("", |r| r.name);
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&self.uri(e.at.file)),
                e.at.start.line,
                e.at.start.column,
                e.at.end.line,
                e.at.end.column,
                escape_property(&format!("{} {name}", e.finding.code)),
                escape_data(&message_with_help(e))
            )?;
        }
        Ok(())
    }

    /// GitLab Code Quality (a JSON array of Code Climate issues).
    pub(super) fn write_gitlab(&self, out: &mut dyn Write) -> io::Result<()> {
        let issues: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "description": format!("{}: {}", e.finding.code, e.finding.message),
                    "check_name": e.finding.code,
                    "fingerprint": fingerprint(self, e),
                    "severity": match e.finding.severity {
                        Severity::Error => "critical",
                        Severity::Warning => "major",
                        Severity::Info => "info",
                    },
                    "location": {
                        "path": self.uri(e.at.file),
                        "lines": {"begin": e.at.start.line, "end": e.at.end.line.max(e.at.start.line)},
                    },
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &issues).map_err(json_io)?;
        writeln!(out)
    }
}

fn area(code: &str) -> &'static str {
    match &code[..3] {
        "AL0" => "input",
        "AL1" => "mesh",
        "AL2" => "authorization",
        "AL3" => "networkpolicy",
        _ => "gateway-api",
    }
}

fn message_with_help(e: &Entry) -> String {
    if e.finding.help.is_empty() {
        e.finding.message.clone()
    } else {
        format!("{}\nhelp: {}", e.finding.message, e.finding.help)
    }
}

/// A fingerprint that survives unrelated edits: the rule, the file, the resource and the field
/// path, not the line number. FNV-1a, so that it is the same on every machine and version.
fn fingerprint(report: &Report, e: &Entry) -> String {
    let resource = e
        .resource
        .as_ref()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r.kind,
                r.namespace.as_deref().unwrap_or(""),
                r.name
            )
        })
        .unwrap_or_default();
    let key = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        e.finding.code,
        report.uri(e.at.file),
        resource,
        e.at.path.as_deref().unwrap_or(""),
        if e.at.path.is_some() {
            String::new()
        } else {
            format!("{}:{}", e.at.start.line, e.at.start.column)
        }
    );
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}")
}

/// Workflow command data: `%`, CR and LF escaped.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("AL201 x:y,z"), "AL201 x%3Ay%2Cz");
    }

    #[test]
    fn sections_come_from_the_rule_document() {
        let doc = rules::find("AL201").unwrap().doc;
        assert!(section(doc, "What it does").starts_with("Reports a rule of an ALLOW"));
    }
}
