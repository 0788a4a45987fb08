//! The human format: each finding as a miette diagnostic with a code frame at the field, related
//! locations as extra labels (same file) or nested diagnostics (other files), and the help.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{Entry, Report};
use crate::finding::{Resolved, Severity};
use crate::rules;

/// A file's text under its display name, borrowed rather than copied per finding.
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for Source<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let c = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            c.data(),
            *c.span(),
            c.line(),
            c.column(),
            c.line_count(),
        )))
    }
}

struct Diag<'a> {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Source<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag<'a>>,
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn span(at: &Resolved) -> SourceSpan {
    SourceSpan::new(at.span.start.into(), at.span.len())
}

fn build<'a>(report: &'a Report, e: &Entry) -> Diag<'a> {
    let file = &report.inputs.files[e.at.file];
    // Declared facts are no file to show: their place is said, without a code frame.
    let has_text = !file.text.is_empty() && !report.is_declared(&e.at);
    let name = rules::find(e.finding.code).map_or("", |r| r.name);
    let mut labels = vec![LabeledSpan::new_primary_with_span(None, span(&e.at))];
    let mut related = Vec::new();
    for r in &e.related {
        // Near the primary span: a second label in the same frame. Elsewhere: a frame of its own
        // after the primary one (miette orders labels of one frame by position).
        let near = r.at.file == e.at.file && r.at.start.line.abs_diff(e.at.start.line) <= 3;
        if near {
            labels.push(LabeledSpan::new_with_span(
                Some(r.message.clone()),
                span(&r.at),
            ));
        } else {
            let rf = &report.inputs.files[r.at.file];
            related.push(Diag {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                source: Some(Source {
                    name: &rf.path,
                    text: &rf.text,
                }),
                labels: vec![LabeledSpan::new_primary_with_span(None, span(&r.at))],
                related: vec![],
            });
        }
    }
    for (message, origin) in &e.declared {
        related.push(Diag {
            message: format!("{message} ({origin})"),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: None,
            labels: vec![],
            related: vec![],
        });
    }
    let note = super::suppressed_note(&e.finding);
    let message = if has_text {
        format!("{}{note}", e.finding.message)
    } else {
        format!("{}: {}{note}", file.path, e.finding.message)
    };
    Diag {
        message,
        code: Some(format!(
            "{}[{}] {name}",
            e.finding.severity.as_str(),
            e.finding.code
        )),
        severity: severity(e.finding.severity),
        help: (!e.finding.help.is_empty()).then(|| e.finding.help.clone()),
        source: has_text.then_some(Source {
            name: &file.path,
            text: &file.text,
        }),
        labels,
        related,
    }
}

pub fn write(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
        .with_context_lines(1);
    for e in &report.entries {
        let diag = build(report, e);
        let mut s = String::new();
        handler
            .render_report(&mut s, &diag)
            .map_err(io::Error::other)?;
        writeln!(out, "{s}")?;
    }
    let line = report.summary_line();
    let s = &report.summary;
    if color {
        let code = if s.errors > 0 {
            "1;31"
        } else if s.warnings > 0 {
            "1;33"
        } else {
            "1;32"
        };
        writeln!(out, "\x1b[{code}m{line}\x1b[0m")?;
    } else {
        writeln!(out, "{line}")?;
    }
    for line in report
        .fix_lines()
        .into_iter()
        .chain(report.unjudged_lines())
        .chain(report.baseline_lines())
    {
        if color {
            writeln!(out, "\x1b[33m{line}\x1b[0m")?;
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
