//! Reporting: findings resolved to files, lines and columns, then written in the chosen format.
//! This is the only layer that knows about miette.

mod ci;
mod human;

use std::io::{self, Write};

use serde::Serialize;

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::{Finding, Resolved, ResourceRef, Severity};
use crate::load::Inputs;
use crate::load::source::FileRole;
use crate::rules::{self, Unjudged, UnjudgedItem};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code frames at each finding, related locations, help, and a summary.
    Human,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Concise,
    /// Machine-readable, versioned.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// GitLab Code Quality report.
    Gitlab,
}

impl Format {
    /// Whether the format is read by machines (statistics then go to standard error).
    pub fn machine_readable(self) -> bool {
        !matches!(self, Format::Human | Format::Concise)
    }
}

/// A related location, resolved.
#[derive(Clone)]
pub struct RelatedOut {
    pub at: Resolved,
    pub message: String,
}

/// A finding, resolved.
#[derive(Clone)]
pub struct Entry {
    pub finding: Finding,
    pub at: Resolved,
    pub resource: Option<ResourceRef>,
    /// Related locations in files; those in declared facts are in `declared`.
    pub related: Vec<RelatedOut>,
    /// Related locations in declared facts: (message, where declared), shown by the human
    /// format only, as they are no place in a file.
    pub declared: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FixJson {
    pub title: String,
    pub applicability: crate::finding::Applicability,
    pub edits: Vec<EditJson>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EditJson {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte offsets in the file on disk; null when its line ends mix CRLF and LF, where only
    /// lines and columns are exact.
    pub start_offset: Option<usize>,
    pub end_offset: Option<usize>,
    pub content: String,
}

/// What the rules could not judge for one reason.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct UnjudgedSummary {
    /// Items not judged (a policy, or a reference from one).
    pub count: usize,
    /// The namespaces whose facts are missing.
    pub namespaces: Vec<String>,
    /// How to give the missing facts.
    pub declare: &'static str,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub resources: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings a suppression covers; not in the counts above.
    pub suppressed: usize,
    /// Clusters checked separately: kustomization roots, declared `units:`, the rest.
    pub units: usize,
    /// What the rules could not judge for lack of a fact, by reason; absent when nothing.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unjudged: BTreeMap<&'static str, UnjudgedSummary>,
    /// With `--baseline`: how many findings it let pass, and its entries that no longer occur.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::Outcome>,
}

pub struct Report<'a> {
    pub inputs: &'a Inputs,
    pub entries: Vec<Entry>,
    pub summary: Summary,
}

impl<'a> Report<'a> {
    /// Resolves and sorts the findings; suppressed ones are counted, and listed only when
    /// `show_suppressed` is set.
    pub fn new(inputs: &'a Inputs, findings: Vec<Finding>, show_suppressed: bool) -> Report<'a> {
        let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
        let mut entries: Vec<Entry> = findings
            .into_iter()
            .filter(|f| show_suppressed || f.suppressed.is_none())
            .map(|f| {
                let (declared, related): (Vec<_>, Vec<_>) = f
                    .related
                    .iter()
                    .map(|r| RelatedOut {
                        at: inputs.resolve(&r.location),
                        message: r.message.clone(),
                    })
                    .partition(|r| inputs.files[r.at.file].role == FileRole::Declared);
                Entry {
                    at: inputs.resolve(&f.location),
                    resource: inputs.resource_of(&f.location),
                    related,
                    declared: declared
                        .into_iter()
                        .map(|r| (r.message, inputs.files[r.at.file].path.clone()))
                        .collect(),
                    finding: f,
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            (a.at.file, a.at.start, a.finding.code, &a.finding.message).cmp(&(
                b.at.file,
                b.at.start,
                b.finding.code,
                &b.finding.message,
            ))
        });
        entries.dedup_by(|a, b| {
            a.at == b.at
                && a.finding.code == b.finding.code
                && a.finding.message == b.finding.message
        });
        let count = |s| {
            entries
                .iter()
                .filter(|e| e.finding.severity == s && e.finding.suppressed.is_none())
                .count()
        };
        // Declared facts are no files, and their objects no resources of the input; the config
        // file is no input either.
        let summary = Summary {
            files: inputs
                .files
                .iter()
                .filter(|f| {
                    !matches!(
                        f.role,
                        FileRole::Rendered { .. } | FileRole::Declared | FileRole::Config
                    )
                })
                .count(),
            documents: inputs.documents,
            resources: inputs.checked_objects(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            suppressed,
            units: inputs.units.len().max(1),
            unjudged: BTreeMap::new(),
            baseline: None,
        };
        Report {
            inputs,
            entries,
            summary,
        }
    }

    /// Adds what the rules could not judge to the summary.
    pub fn with_unjudged(mut self, items: &[UnjudgedItem]) -> Self {
        let mut by_reason: BTreeMap<Unjudged, (usize, BTreeSet<&str>)> = BTreeMap::new();
        for u in items {
            let entry = by_reason.entry(u.reason).or_default();
            entry.0 += 1;
            entry.1.insert(&u.namespace);
        }
        self.summary.unjudged = by_reason
            .into_iter()
            .map(|(reason, (count, namespaces))| {
                (
                    reason.key(),
                    UnjudgedSummary {
                        count,
                        namespaces: namespaces.into_iter().map(str::to_string).collect(),
                        declare: reason.declare(),
                    },
                )
            })
            .collect();
        self
    }

    /// How many of the findings shown a fix would resolve, for the text formats (ruff's
    /// "N fixable with the `--fix` option").
    pub fn fix_lines(&self) -> Vec<String> {
        use crate::finding::Applicability;
        let count = |a: Applicability| {
            self.entries
                .iter()
                .filter(|e| e.finding.suppressed.is_none())
                .filter(|e| e.finding.fix.as_ref().is_some_and(|f| f.applicability == a))
                .count()
        };
        let (safe, unsafe_) = (count(Applicability::Safe), count(Applicability::Unsafe));
        match (safe, unsafe_) {
            (0, 0) => Vec::new(),
            (s, 0) => vec![format!("{s} fixable with `--fix` (`--diff` shows how)")],
            (0, u) => vec![format!(
                "{u} fixable with `--fix --unsafe-fixes`, which can change what traffic is admitted (`--diff --unsafe-fixes` shows how)"
            )],
            (s, u) => vec![format!(
                "{s} fixable with `--fix`, {u} more with `--unsafe-fixes`, which can change what traffic is admitted (`--diff` shows how)"
            )],
        }
    }

    /// Adds what `--baseline` let pass and what of it no longer occurs.
    pub fn with_baseline(mut self, outcome: Option<crate::baseline::Outcome>) -> Self {
        self.summary.baseline = outcome;
        self
    }

    /// Lines about the baseline, for the text formats: what it let pass, and each recorded
    /// finding that no longer occurs, so the file can shrink.
    pub fn baseline_lines(&self) -> Vec<String> {
        let Some(b) = &self.summary.baseline else {
            return Vec::new();
        };
        let mut lines = vec![format!(
            "baseline: {} recorded {} in {} let pass",
            b.matched,
            if b.matched == 1 {
                "finding"
            } else {
                "findings"
            },
            b.file
        )];
        if !b.gone.is_empty() {
            lines.push(format!(
                "baseline: {} recorded {} no longer {} — run with `--write-baseline {}` to drop {}",
                b.gone.len(),
                if b.gone.len() == 1 {
                    "finding"
                } else {
                    "findings"
                },
                if b.gone.len() == 1 { "occurs" } else { "occur" },
                b.file,
                if b.gone.len() == 1 { "it" } else { "them" }
            ));
            for e in &b.gone {
                lines.push(format!(
                    "  gone: {}:{}: {} {}",
                    e.file, e.line, e.code, e.message
                ));
            }
        }
        lines
    }

    /// One line per reason something was not judged, for the text formats.
    pub fn unjudged_lines(&self) -> Vec<String> {
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                one.to_string()
            } else {
                many.to_string()
            }
        };
        self.summary
            .unjudged
            .iter()
            .map(|(key, u)| {
                let n = u.count;
                let ns = format!(
                    "{} {}",
                    plural(u.namespaces.len(), "namespace", "namespaces"),
                    u.namespaces.join(", ")
                );
                let what = match *key {
                    "unknown-dataplane" => format!(
                        "{n} {} in {ns} whose dataplane is unknown",
                        plural(n, "policy", "policies")
                    ),
                    "unknown-namespace" => format!(
                        "{n} {} to {ns} the input does not show",
                        plural(n, "reference", "references")
                    ),
                    "undeclared-host" => format!(
                        "{n} route {} in {ns} naming a host no ServiceEntry in the input declares",
                        plural(n, "backend", "backends")
                    ),
                    _ => format!(
                        "{n} {} to ServiceAccounts, Services or Gateways in {ns} whose contents the input does not show",
                        plural(n, "reference", "references")
                    ),
                };
                format!("not judged: {what} — {}", u.declare)
            })
            .collect()
    }

    pub fn write(&self, format: Format, color: bool, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Human => human::write(self, color, out),
            Format::Concise => self.write_concise(out),
            Format::Json => self.for_machines().write_json(out),
            Format::Sarif => self.for_machines().write_sarif(out),
            Format::Github => self.for_machines().write_github(out),
            Format::Gitlab => self.for_machines().write_gitlab(out),
        }
    }

    /// The report with no location in declared facts, which are no place in a file: a finding
    /// located there is shown at its first related location in a file (one that involves a
    /// linted file is why it is reported at all), so that what fails the run is annotated.
    fn for_machines(&self) -> Report<'a> {
        Report {
            inputs: self.inputs,
            entries: self
                .entries
                .iter()
                .filter_map(|e| {
                    if !self.is_declared(&e.at) {
                        return Some(e.clone());
                    }
                    let r = e.related.iter().find(|r| !self.is_declared(&r.at))?;
                    let mut moved = e.clone();
                    moved.at = r.at.clone();
                    Some(moved)
                })
                .collect(),
            summary: self.summary.clone(),
        }
    }

    /// Whether a location is in a generated file of declared facts.
    pub fn is_declared(&self, at: &Resolved) -> bool {
        self.inputs.files[at.file].role == FileRole::Declared
    }

    fn path(&self, at: &Resolved) -> &str {
        &self.inputs.files[at.file].path
    }

    fn write_concise(&self, out: &mut dyn Write) -> io::Result<()> {
        for e in &self.entries {
            // A finding in declared facts has no line: its place is where they were declared.
            let place = if self.is_declared(&e.at) {
                self.path(&e.at).to_string()
            } else {
                format!(
                    "{}:{}:{}",
                    self.path(&e.at),
                    e.at.start.line,
                    e.at.start.column
                )
            };
            writeln!(
                out,
                "{place}: {}[{}] {}{}",
                e.finding.severity.as_str(),
                e.finding.code,
                e.finding.message,
                suppressed_note(&e.finding)
            )?;
        }
        for line in self
            .fix_lines()
            .into_iter()
            .chain(self.unjudged_lines())
            .chain(self.baseline_lines())
        {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// A fix as machines read it: each edit's file, its range as lines and columns (and bytes),
    /// and the new text.
    pub(crate) fn fix_json(&self, fix: &crate::finding::Fix) -> FixJson {
        FixJson {
            title: fix.title.clone(),
            applicability: fix.applicability,
            edits: fix
                .edits
                .iter()
                .map(|e| {
                    let file = &self.inputs.files[e.file];
                    let (start, end) = (file.line_col(e.start), file.line_col(e.end));
                    EditJson {
                        file: file
                            .path
                            .strip_prefix("./")
                            .unwrap_or(&file.path)
                            .to_string(),
                        line: start.line,
                        column: start.column,
                        end_line: end.line,
                        end_column: end.column,
                        // Offsets and text as the file's bytes are (BOM, CRLF), for tools
                        // that apply the edit to the file.
                        start_offset: file.disk_offset(e.start),
                        end_offset: file.disk_offset(e.end),
                        content: file.encoding.map_or(e.content.clone(), |enc| {
                            enc.line_ends(&e.content).into_owned()
                        }),
                    }
                })
                .collect(),
        }
    }

    fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        #[derive(Serialize)]
        struct RelatedJson<'r> {
            file: &'r str,
            line: usize,
            column: usize,
            message: &'r str,
        }
        #[derive(Serialize)]
        struct FindingJson<'r> {
            code: &'r str,
            name: &'r str,
            severity: Severity,
            message: &'r str,
            help: &'r str,
            file: &'r str,
            line: usize,
            column: usize,
            end_line: usize,
            end_column: usize,
            path: Option<&'r str>,
            resource: Option<&'r ResourceRef>,
            related: Vec<RelatedJson<'r>>,
            /// The suppression's reason, when a suppression covers the finding.
            suppressed: Option<&'r str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            fix: Option<FixJson>,
        }
        #[derive(Serialize)]
        struct Doc<'r> {
            version: u32,
            findings: Vec<FindingJson<'r>>,
            summary: &'r Summary,
        }
        let doc = Doc {
            version: 1,
            findings: self
                .entries
                .iter()
                .map(|e| FindingJson {
                    code: e.finding.code,
                    name: rules::find(e.finding.code).map_or("", |r| r.name),
                    severity: e.finding.severity,
                    message: &e.finding.message,
                    help: &e.finding.help,
                    file: self.path(&e.at),
                    line: e.at.start.line,
                    column: e.at.start.column,
                    end_line: e.at.end.line,
                    end_column: e.at.end.column,
                    path: e.at.path.as_deref(),
                    resource: e.resource.as_ref(),
                    suppressed: e.finding.suppressed.as_deref(),
                    fix: e.finding.fix.as_ref().map(|f| self.fix_json(f)),
                    related: e
                        .related
                        .iter()
                        .map(|r| RelatedJson {
                            file: self.path(&r.at),
                            line: r.at.start.line,
                            column: r.at.start.column,
                            message: &r.message,
                        })
                        .collect(),
                })
                .collect(),
            summary: &self.summary,
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(json_io)?;
        writeln!(out)
    }

    /// `3 errors, 2 warnings in 14 files (57 resources)`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let mut parts = vec![plural(s.errors, "error"), plural(s.warnings, "warning")];
        if s.infos > 0 {
            parts.push(plural(s.infos, "info"));
        }
        let suppressed = if s.suppressed > 0 {
            format!("; {} suppressed", s.suppressed)
        } else {
            String::new()
        };
        let units = if s.units > 1 {
            format!(", {}", plural(s.units, "unit"))
        } else {
            String::new()
        };
        format!(
            "{} in {} ({}{units}){suppressed}",
            parts.join(", "),
            plural(s.files, "file"),
            plural(s.resources, "resource")
        )
    }
}

/// ` (suppressed: reason)` for a suppressed finding shown with `--show-suppressed`.
pub fn suppressed_note(f: &Finding) -> String {
    match f.suppressed.as_deref() {
        None => String::new(),
        Some("") => " (suppressed)".to_string(),
        Some(reason) => format!(" (suppressed: {reason})"),
    }
}

impl Report<'_> {
    /// Findings per rule, most frequent first, as ruff's `--statistics` prints them.
    pub fn write_statistics(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut counts: Vec<(&'static str, Severity, usize)> = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| e.finding.suppressed.is_none())
        {
            match counts.iter_mut().find(|(c, _, _)| *c == e.finding.code) {
                Some(entry) => entry.2 += 1,
                None => counts.push((e.finding.code, e.finding.severity, 1)),
            }
        }
        counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        for (code, severity, n) in counts {
            let name = rules::find(code).map_or("", |r| r.name);
            writeln!(out, "{n:>5}  {code}  {:<8} {name}", severity.as_str())?;
        }
        Ok(())
    }
}

/// A JSON writer's error as the I/O error it wraps, so that a closed pipe stays a closed pipe.
pub(crate) fn json_io(e: serde_json::Error) -> io::Error {
    match e.io_error_kind() {
        Some(kind) => io::Error::new(kind, e),
        None => io::Error::other(e),
    }
}
