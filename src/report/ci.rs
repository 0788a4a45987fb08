//! Formats for CI systems: SARIF 2.1.0 (GitHub code scanning and others), GitHub Actions
//! workflow commands, GitLab Code Quality.

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use serde_json::{Value, json};

use super::{Entry, Report, json_io};
use crate::finding::Severity;
use crate::rules;

const TOOL: &str = "ambient-lint";

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
    /// A file's path as the user gave it, without a leading `./`: for annotations and
    /// fingerprints.
    fn uri(&self, file: usize) -> String {
        self.uri_of_path(&self.inputs.files[file].path)
    }

    fn uri_of_path(&self, path: &str) -> String {
        path.strip_prefix("./").unwrap_or(path).to_string()
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
        let cwd = std::env::current_dir().ok();
        let root = cwd.as_deref().map(source_root);
        // Per file: its `artifactLocation`, or `None` for what is not a file on disk (`<stdin>`).
        let artifacts: Vec<Option<Value>> = self
            .inputs
            .files
            .iter()
            .map(|f| match (&cwd, &root) {
                (Some(cwd), Some(root)) => artifact_location(&f.path, cwd, root),
                _ => Path::new(&f.path)
                    .is_file()
                    .then(|| json!({"uri": self.uri_of_path(&f.path)})),
            })
            .collect();
        let physical = |at: &super::Resolved| {
            artifacts[at.file].as_ref().map(|artifact| {
                json!({
                    "artifactLocation": artifact,
                    "region": Self::region(at),
                })
            })
        };
        let driver_rules: Vec<Value> = rules::RULES
            .iter()
            .map(|r| {
                json!({
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": section(r.doc, "What it does")},
                    "help": {"text": section(r.doc, "Why it breaks"), "markdown": r.doc},
                    "helpUri": crate::rules::doc_url(r),
                    "defaultConfiguration": {"level": level(r.severity)},
                    "properties": {"tags": [area(r.code)]},
                })
            })
            .collect();
        let results: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut location = json!({
                    "logicalLocations": e.resource.as_ref().map(|r| vec![json!({
                        "name": r.name,
                        "fullyQualifiedName": format!("{}/{}", r.kind, crate::model::qualified(r.namespace.as_deref(), &r.name)),
                        "kind": "resource",
                    })]).unwrap_or_default(),
                });
                if let Some(p) = physical(&e.at) {
                    location["physicalLocation"] = p;
                }
                let has_location = location.get("physicalLocation").is_some()
                    || location["logicalLocations"].as_array().is_some_and(|l| !l.is_empty());
                let mut result = json!({
                    "ruleId": e.finding.code,
                    "level": level(e.finding.severity),
                    "message": {"text": message_with_help(e)},
                    "locations": if has_location { vec![location] } else { Vec::new() },
                    "relatedLocations": e.related.iter().enumerate().map(|(i, r)| {
                        let mut related = json!({"id": i, "message": {"text": r.message}});
                        if let Some(p) = physical(&r.at) {
                            related["physicalLocation"] = p;
                        }
                        related
                    }).collect::<Vec<_>>(),
                    "partialFingerprints": {"ambientLint/v1": fingerprint(self, e)},
                });
                if let Some(i) = rule_index(e.finding.code) {
                    result["ruleIndex"] = json!(i);
                }
                if let Some(reason) = &e.finding.suppressed {
                    result["suppressions"] = json!([{"kind": "inSource", "justification": reason}]);
                }
                // SARIF fixes: one artifact change per file, regions as lines and columns.
                if let Some(fix) = &e.finding.fix {
                    let mut by_file: Vec<(usize, Vec<Value>)> = Vec::new();
                    for edit in &fix.edits {
                        let file = &self.inputs.files[edit.file];
                        let (start, end) = (file.line_col(edit.start), file.line_col(edit.end));
                        let replacement = json!({
                            "deletedRegion": {
                                "startLine": start.line, "startColumn": start.column,
                                "endLine": end.line, "endColumn": end.column,
                            },
                            "insertedContent": {"text": edit.content},
                        });
                        match by_file.iter_mut().find(|(f, _)| *f == edit.file) {
                            Some((_, list)) => list.push(replacement),
                            None => by_file.push((edit.file, vec![replacement])),
                        }
                    }
                    let changes: Vec<Value> = by_file
                        .into_iter()
                        .filter_map(|(file, replacements)| {
                            artifacts[file].as_ref().map(|artifact| {
                                json!({"artifactLocation": artifact, "replacements": replacements})
                            })
                        })
                        .collect();
                    if !changes.is_empty() {
                        result["fixes"] = json!([{
                            "description": {"text": fix.title},
                            "artifactChanges": changes,
                        }]);
                    }
                }
                result
            })
            .collect();
        let mut run = json!({
            "tool": {"driver": {
                "name": TOOL,
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/ambient-lint/ambient-lint",
                "rules": driver_rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        });
        if let Some(root) = &root {
            run["originalUriBaseIds"] = json!({SRCROOT: {"uri": format!("{}/", file_uri(root))}});
        }
        // What the rules could not judge for lack of a fact: notes on the run, so a green code
        // scanning check is not read as "everything judged".
        let notes: Vec<Value> = self
            .unjudged_lines()
            .into_iter()
            .chain(self.baseline_lines())
            .map(|line| json!({"level": "note", "message": {"text": line}}))
            .collect();
        if !notes.is_empty() {
            run["invocations"] = json!([{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }]);
        }
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
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
        // Not judged for lack of a fact: notices without a file, shown on the workflow run.
        for line in self.unjudged_lines() {
            writeln!(
                out,
                "::notice title={}::{}",
                escape_property("ambient-lint: not judged"),
                escape_data(&line)
            )?;
        }
        for line in self.baseline_lines() {
            writeln!(
                out,
                "::notice title={}::{}",
                escape_property("ambient-lint: baseline"),
                escape_data(line.trim_start())
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

/// The `uriBaseId` SARIF locations are relative to: the repository's root.
const SRCROOT: &str = "SRCROOT";

/// The repository root: the nearest folder from `cwd` up that holds `.git` (a folder in a clone,
/// a file in a worktree or submodule), else `cwd` itself.
fn source_root(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// A SARIF `artifactLocation` for a file the user named by `path` (relative to `cwd`): a URI
/// relative to `root` with `uriBaseId: SRCROOT`, or an absolute `file://` URI for a file outside
/// `root`. `None` for a path that is not a file on disk (`<stdin>`): such a path is not a URI.
fn artifact_location(path: &str, cwd: &Path, root: &Path) -> Option<Value> {
    let absolute = crate::load::normalize(&cwd.join(path));
    if !absolute.is_file() {
        return None;
    }
    let relative = absolute
        .strip_prefix(root)
        .ok()
        .map(Path::to_path_buf)
        .or_else(|| {
            // Through symbolic links the lexical path may lie elsewhere than the real one.
            let real = std::fs::canonicalize(&absolute).ok()?;
            let real_root = std::fs::canonicalize(root).ok()?;
            real.strip_prefix(real_root).ok().map(Path::to_path_buf)
        });
    Some(match relative {
        Some(relative) => {
            let segments: Vec<String> = relative
                .components()
                .map(|c| percent_encode(c.as_os_str().as_encoded_bytes()))
                .collect();
            json!({"uri": segments.join("/"), "uriBaseId": SRCROOT})
        }
        None => json!({"uri": file_uri(&absolute)}),
    })
}

/// `file:///abs/path` for an absolute, normalized path, without a trailing slash.
fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for c in path.components() {
        match c {
            // `C:` on Windows: `file:///C:/...`.
            Component::Prefix(p) => {
                uri.push('/');
                uri.push_str(&p.as_os_str().to_string_lossy().replace('\\', "/"));
            }
            Component::Normal(segment) => {
                uri.push('/');
                uri.push_str(&percent_encode(segment.as_encoded_bytes()));
            }
            Component::RootDir | Component::CurDir | Component::ParentDir => {}
        }
    }
    uri
}

/// One path segment for a URI: every byte but RFC 3986's unreserved characters is
/// percent-encoded (spaces, `%`, `#`, `?`, non-ASCII, ...).
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn uris_are_percent_encoded_segments() {
        assert_eq!(percent_encode(b"a b%#?.yaml"), "a%20b%25%23%3F.yaml");
        assert_eq!(percent_encode("é-_~".as_bytes()), "%C3%A9-_~");
        assert_eq!(
            file_uri(Path::new("/work/my repo")),
            "file:///work/my%20repo"
        );
        assert_eq!(
            crate::load::normalize(Path::new("/a/./b/../c")),
            Path::new("/a/c")
        );
    }

    #[test]
    fn artifact_locations_are_relative_to_the_root_and_skip_what_is_not_a_file() {
        let root = std::env::temp_dir().join(format!("ambient-lint-sarif-{}", std::process::id()));
        let sub = root.join("k8s dir");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("a b.yaml"), "").unwrap();
        assert_eq!(
            artifact_location("a b.yaml", &sub, &root),
            Some(json!({"uri": "k8s%20dir/a%20b.yaml", "uriBaseId": SRCROOT}))
        );
        assert_eq!(
            artifact_location("./../k8s dir/a b.yaml", &sub, &root),
            Some(json!({"uri": "k8s%20dir/a%20b.yaml", "uriBaseId": SRCROOT}))
        );
        // Outside the root: an absolute URI, no base.
        let outside = artifact_location("a b.yaml", &sub, &root.join("elsewhere")).unwrap();
        assert!(outside.get("uriBaseId").is_none());
        assert!(
            outside["uri"].as_str().unwrap().starts_with("file:///")
                && outside["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("/k8s%20dir/a%20b.yaml"),
            "{outside}"
        );
        assert_eq!(artifact_location("<stdin>", &sub, &root), None);
        assert_eq!(artifact_location("missing.yaml", &sub, &root), None);
        if !root.ancestors().any(|d| d.join(".git").exists()) {
            assert_eq!(
                source_root(&sub),
                sub,
                "no `.git` above: the current directory"
            );
        }
        std::fs::create_dir_all(root.join(".git")).unwrap();
        assert_eq!(source_root(&sub), root);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn sections_come_from_the_rule_document() {
        let doc = rules::find("AL201").unwrap().doc;
        assert!(section(doc, "What it does").starts_with("Reports a rule of an ALLOW"));
    }
}
