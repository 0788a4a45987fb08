//! Suppressions, as kube-linter and ruff users know them:
//! - on a resource, the annotation `ambient-lint.io/ignore: "AL401, AL304: reason"`;
//! - in YAML, a comment `# ambient-lint: ignore[AL401] reason` on the offending line or the line
//!   above it.
//!
//! A suppressed finding is kept, marked, so that it is counted and can be shown; one that
//! suppresses nothing is reported as AL005.

use crate::finding::{Applicability, Edit, Finding, Fix, Location, Severity};
use crate::load::node::FieldPath;
use crate::load::source::{FileId, Span};
use crate::load::{Inputs, ObjectId};
use crate::rules;

pub const ANNOTATION: &str = "ambient-lint.io/ignore";
const COMMENT_MARK: &str = "ambient-lint: ignore[";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Scope {
    /// Every finding located in this object.
    Object(ObjectId),
    /// Findings starting on these 1-based lines of a file.
    Lines {
        file: FileId,
        first: usize,
        last: usize,
    },
}

#[derive(Clone, Debug)]
struct Suppression {
    code: String,
    reason: String,
    scope: Scope,
    at: Location,
    used: bool,
    /// How many codes the annotation or comment names: it is removed only when all are unused.
    codes: usize,
    /// For a comment: the bytes that removing it deletes (the whole line for a comment on a
    /// line of its own, else the comment and the blanks before it).
    removal: Option<(usize, usize)>,
}

/// Splits `AL401, AL304: reason` into (code, reason) pairs.
fn parse_annotation(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter(|e| !e.trim().is_empty())
        .map(|e| match e.split_once(':') {
            Some((code, reason)) => (code.trim().to_string(), reason.trim().to_string()),
            None => (e.trim().to_string(), String::new()),
        })
        .collect()
}

fn collect(inputs: &Inputs) -> Vec<Suppression> {
    let mut out = Vec::new();
    // Objects only read as the source of rendered ones are not checked themselves: their
    // annotation is judged on the rendered copies that carry it.
    let checked = inputs.checked_mask();
    // Most files hold no suppression: one search of each file's text spares building trees
    // that have been let go. The domain alone is searched for: JSON may write the key's slash
    // as `\/`. (An object's tree is parsed from its file's text.)
    let marked: Vec<bool> = inputs
        .files
        .iter()
        .map(|f| f.text.contains("ambient-lint.io"))
        .collect();
    for (id, obj) in inputs.objects.iter().enumerate() {
        if !checked[id] || !marked[obj.file] {
            continue;
        }
        let value = obj
            .node()
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(ANNOTATION))
            .and_then(|v| v.as_str());
        if let Some(value) = value {
            let at = Location::field(id, FieldPath::new("metadata.annotations").key(ANNOTATION));
            let entries = parse_annotation(value);
            let codes = entries.len();
            for (code, reason) in entries {
                out.push(Suppression {
                    code,
                    reason,
                    scope: Scope::Object(id),
                    at: at.clone(),
                    used: false,
                    codes,
                    removal: None,
                });
            }
        }
    }
    for (file, source) in inputs.files.iter().enumerate() {
        // Most files have no suppression comment: one search spares the scan line by line.
        if !source.text.contains(COMMENT_MARK) {
            continue;
        }
        let mut offset = 0;
        for (index, line) in source.text.split_inclusive('\n').enumerate() {
            let line_no = index + 1;
            if let Some(hash) = comment_start(line)
                && let Some(rest) = line[hash + 1..].trim_start().strip_prefix(COMMENT_MARK)
                && let Some((codes, reason)) = rest.split_once(']')
            {
                let whole_line = line[..hash].trim().is_empty();
                let start = offset + hash;
                let span = Span::new(start, offset + line.trim_end().len());
                let removal = if whole_line {
                    (offset, offset + line.len())
                } else {
                    (offset + line[..hash].trim_end().len(), span.end)
                };
                let named: Vec<&str> = codes
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                let count = named.len();
                for code in named {
                    out.push(Suppression {
                        codes: count,
                        removal: Some(removal),
                        code: code.to_string(),
                        reason: reason.trim().to_string(),
                        // A comment on its own line covers the next line too.
                        scope: Scope::Lines {
                            file,
                            first: line_no,
                            last: if whole_line { line_no + 1 } else { line_no },
                        },
                        at: Location::File { file, span },
                        used: false,
                    });
                }
            }
            offset += line.len();
        }
    }
    out
}

/// The edit removing a suppression: the comment, or the annotation's line when the annotation is
/// written alone on it (block style).
fn removal(inputs: &Inputs, s: &Suppression) -> Option<Edit> {
    match (&s.at, s.removal) {
        (Location::File { file, .. }, Some((start, end))) => Some(Edit {
            file: *file,
            start,
            end,
            content: String::new(),
        }),
        (Location::Field { .. }, _) => {
            let at = inputs.resolve(&s.at);
            let text = &inputs.files[at.file].text;
            let line_start = text[..at.span.start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[at.span.end..]
                .find('\n')
                .map_or(text.len(), |i| at.span.end + i + 1);
            // Only the entry on its line, whole: `  ambient-lint.io/ignore: "AL401: ..."`.
            let entry = text.get(at.span.start..at.span.end)?;
            let line = &text[line_start..line_end];
            (line.trim() == entry.trim() && entry.starts_with(ANNOTATION)).then(|| Edit {
                file: at.file,
                start: line_start,
                end: line_end,
                content: String::new(),
            })
        }
        _ => None,
    }
}

/// Byte index of a `#` that starts a YAML comment: at the line start or after whitespace, and
/// not inside quotes (a cheap reading that is right for the lines this mark appears on).
fn comment_start(line: &str) -> Option<usize> {
    let mut in_single = false;
    let mut in_double = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !in_double => in_single = !in_single,
            '"' if !in_single && prev != '\\' => in_double = !in_double,
            '#' if !in_single && !in_double && prev.is_whitespace() => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

fn matches_code(written: &str, code: &str) -> bool {
    written.eq_ignore_ascii_case(code) || rules::find(written).is_some_and(|r| r.code == code)
}

/// Marks suppressed findings and adds AL005 for suppressions that matched nothing.
pub fn apply(inputs: &Inputs, findings: &mut Vec<Finding>, selection: &crate::config::Selection) {
    let mut suppressions = collect(inputs);
    if suppressions.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        let object = match &f.location {
            Location::Field { object, .. } => Some(*object),
            Location::File { .. } => None,
        };
        let at = inputs.resolve(&f.location);
        for s in suppressions.iter_mut() {
            if !matches_code(&s.code, f.code) {
                continue;
            }
            let hit = match &s.scope {
                Scope::Object(id) => object == Some(*id),
                Scope::Lines { file, first, last } => {
                    *file == at.file && (*first..=*last).contains(&at.start.line)
                }
            };
            if hit {
                s.used = true;
                f.suppressed = Some(s.reason.clone());
            }
        }
    }
    let rule = &rules::input::al005_unused_suppression::RULE;
    if !selection.enabled(rule.code) {
        return;
    }
    // A suppression of a rule that is not running cannot be judged, so it is left alone.
    let judged = |s: &Suppression| rules::find(&s.code).is_none_or(|r| selection.enabled(r.code));
    // An annotation or comment is removed when every code it names is unused: the fix goes with
    // the first of its findings.
    let mut unused_at: std::collections::HashMap<Location, usize> =
        std::collections::HashMap::new();
    for s in suppressions.iter().filter(|s| !s.used && judged(s)) {
        *unused_at.entry(s.at.clone()).or_default() += 1;
    }
    let mut fixed_at: std::collections::HashSet<Location> = std::collections::HashSet::new();
    for s in suppressions.into_iter().filter(|s| !s.used && judged(s)) {
        let known = rules::find(&s.code).is_some();
        let message = if known {
            format!(
                "this suppression of {} suppresses nothing: no such finding here",
                s.code
            )
        } else {
            format!(
                "`{}` is not a rule code, so this suppression suppresses nothing",
                s.code
            )
        };
        let whole = unused_at.get(&s.at) == Some(&s.codes) && fixed_at.insert(s.at.clone());
        let fix = whole
            .then(|| removal(inputs, &s))
            .flatten()
            .map(|edit| Fix {
                title: "remove the unused suppression".to_string(),
                // Removing a suppression of nothing changes no traffic and hides no finding.
                applicability: Applicability::Safe,
                edits: vec![edit],
            });
        findings.push(
            Finding::new(rule.code, Severity::Warning, s.at, message)
                .help(if known {
                    "remove it, or move it onto the resource or line the finding points at"
                } else {
                    "use a code from `ambient-lint rules` (e.g. AL401)"
                })
                .fix(fix),
        );
    }
}

/// A comment on a line of its own above the finding's line, indented as that line, suppressing
/// the finding's code with a `TODO` reason. None where no comment can be written: a file nobody
/// edits (rendered text, declared facts, standard input), a JSON manifest (kubectl reads a file
/// that starts with `{` as JSON, where a comment is an error), a line right below a suppression
/// comment (which would then cover the new comment instead of its line), or a place where the
/// comment would change what the YAML says (inside a multi-line scalar): the text with the
/// comment must parse to the same documents.
pub fn comment_edit(inputs: &Inputs, finding: &Finding) -> Option<Edit> {
    use crate::load::source::FileRole;
    let at = inputs.resolve(&finding.location);
    let file = &inputs.files[at.file];
    if !matches!(file.role, FileRole::Lint | FileRole::Source)
        || file.path == crate::load::STDIN_NAME
    {
        return None;
    }
    let text = &*file.text;
    if text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    let start = file.line_start(at.start.line - 1);
    let above = text[..start]
        .strip_suffix('\n')
        .map(|t| &t[t.rfind('\n').map_or(0, |i| i + 1)..]);
    if above.is_some_and(|line| line.trim_start().starts_with('#') && line.contains(COMMENT_MARK)) {
        return None;
    }
    let indent =
        &text[start..start + text[start..].len() - text[start..].trim_start_matches(' ').len()];
    let content = format!("{indent}# {COMMENT_MARK}{}] TODO\n", finding.code);
    let commented = format!("{}{content}{}", &text[..start], &text[start..]);
    let (before, after) = (
        crate::load::yaml::parse_stream(text),
        crate::load::yaml::parse_stream(&commented),
    );
    let same = before.documents.len() == after.documents.len()
        && before.documents.iter().zip(&after.documents).all(|(b, a)| {
            match (&b.result, &a.result) {
                (Ok(Some(x)), Ok(Some(y))) => before.tree.node(*x).same_as(after.tree.node(*y)),
                (Ok(None), Ok(None)) | (Err(_), Err(_)) => true,
                _ => false,
            }
        });
    same.then_some(Edit {
        file: at.file,
        start,
        end: start,
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_values_split_into_codes_and_reasons() {
        assert_eq!(
            parse_annotation("AL401: public API, AL304"),
            vec![
                ("AL401".to_string(), "public API".to_string()),
                ("AL304".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn a_comment_suppression_goes_above_the_line_unless_it_would_change_a_value() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: \"multi\n    line\", b: c}\ndata:\n  key: v\n";
        let inputs = Inputs::from_texts([("x.yaml", text)]);
        let at = |path: &str| {
            Finding::new(
                "AL401",
                Severity::Warning,
                Location::field(0, FieldPath::new(path)),
                "m".to_string(),
            )
        };
        let edit = comment_edit(&inputs, &at("data.key")).unwrap();
        let mut edited = text.to_string();
        edited.replace_range(edit.start..edit.end, &edit.content);
        assert!(
            edited.contains("data:\n  # ambient-lint: ignore[AL401] TODO\n  key: v\n"),
            "{edited}"
        );
        // `b` starts on the second line of a quoted scalar: a line above it is inside the
        // string.
        assert_eq!(comment_edit(&inputs, &at("metadata.labels.b")), None);
        // Right below a suppression comment, a new one would take that comment's line.
        let below = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  # ambient-lint: ignore[AL402] ok\n  key: v\n";
        let inputs = Inputs::from_texts([("x.yaml", below)]);
        assert_eq!(comment_edit(&inputs, &at("data.key")), None);
        // JSON takes no comments.
        let json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n \"metadata\": {\"name\": \"x\"},\n \"data\": {\"key\": \"v\"}}\n";
        let inputs = Inputs::from_texts([("x.json", json)]);
        assert_eq!(comment_edit(&inputs, &at("data.key")), None);
    }

    #[test]
    fn comments_are_found_outside_quotes_only() {
        assert_eq!(comment_start("  # ambient-lint: ignore[AL1]"), Some(2));
        assert_eq!(comment_start("a: b # c"), Some(5));
        assert_eq!(comment_start("a: \"x # y\""), None);
        assert_eq!(comment_start("url: http://x#frag"), None);
    }
}
