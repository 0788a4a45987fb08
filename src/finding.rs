//! What rules report: a code, a severity, a location given as an object and a field path (turned
//! into a file span only when reporting), the message, the help, and related locations.

use serde::Serialize;

use crate::load::node::FieldPath;
use crate::load::source::{FileId, LineCol, Span};
use crate::load::{Inputs, ObjectId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Location {
    /// A field of a loaded object; the span is looked up when reporting.
    Field { object: ObjectId, path: FieldPath },
    /// A place in a file that is not (or not yet) an object: a parse error, a template marker.
    File { file: FileId, span: Span },
}

impl Location {
    pub fn field(object: ObjectId, path: impl Into<FieldPath>) -> Self {
        Location::Field {
            object,
            path: path.into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// Whether a fix may be applied: `--fix` applies safe ones, `--unsafe-fixes` adds the unsafe ones,
/// and a display-only fix is shown, never applied. A fix that can let more traffic through is
/// never safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    DisplayOnly,
    Unsafe,
    Safe,
}

/// Replace the bytes `start..end` of a file's text with `content`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edit {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, imperative: "drop `spiffe://`".
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub location: Location,
    pub message: String,
    pub help: String,
    pub related: Vec<Related>,
    /// Set when a suppression covers this finding: the reason given (possibly empty).
    pub suppressed: Option<String>,
    /// The edits that would resolve it, when the rule can make them.
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(
        code: &'static str,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity,
            location,
            message: message.into(),
            help: String::new(),
            related: Vec::new(),
            suppressed: None,
            fix: None,
        }
    }

    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }
}

/// A location made concrete: which file, which bytes, which lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub file: FileId,
    pub span: Span,
    pub start: LineCol,
    pub end: LineCol,
    /// The field path, when the location is a field of an object.
    pub path: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Inputs {
    /// The file a location is in, without looking up its span. A rendered object's fields are
    /// in its source file (or in a patch, which [`Inputs::resolve`] finds).
    pub fn file_of(&self, location: &Location) -> FileId {
        match location {
            Location::File { file, .. } => *file,
            Location::Field { object, .. } => {
                let obj = &self.objects[*object];
                match &obj.origin {
                    Some(origin) => origin.file,
                    None => obj.file,
                }
            }
        }
    }

    /// Every file a location may resolve to: the object's own, or its source's and patches'.
    pub fn files_of(&self, location: &Location) -> Vec<FileId> {
        match location {
            Location::Field { object, .. } => {
                let obj = &self.objects[*object];
                match &obj.origin {
                    Some(origin) => std::iter::once(origin.file)
                        .chain(origin.patches.iter().map(|&p| self.objects[p].file))
                        .chain(origin.namespace_at.map(|(f, _)| f))
                        .collect(),
                    None => vec![obj.file],
                }
            }
            Location::File { file, .. } => vec![*file],
        }
    }

    pub fn resolve(&self, location: &Location) -> Resolved {
        let (file, span, path) = match location {
            Location::File { file, span } => (*file, *span, None),
            Location::Field { object, path } => {
                let obj = &self.objects[*object];
                let full = if obj.prefix.is_root() {
                    path.as_str().to_string()
                } else if path.is_root() {
                    obj.prefix.as_str().to_string()
                } else {
                    format!("{}.{}", obj.prefix, path)
                };
                let (file, span) = match &obj.origin {
                    Some(origin) => self.resolve_in_source(obj, origin, path),
                    None => (obj.file, obj.node().span_of(path).0),
                };
                (file, span, Some(full))
            }
        };
        let f = &self.files[file];
        Resolved {
            file,
            span,
            start: f.line_col(span.start),
            end: f.line_col(span.end),
            path,
        }
    }

    /// Where the source wrote a rendered object's field: the last patch that sets it, the
    /// kustomization `namespace:` for the namespace, the source object (or its nearest parent of
    /// the field), or, for a helm template, the line found by indentation.
    fn resolve_in_source(
        &self,
        obj: &crate::load::Object,
        origin: &crate::load::Origin,
        path: &FieldPath,
    ) -> (FileId, Span) {
        for &p in origin.patches.iter().rev() {
            let patch = &self.objects[p];
            let (span, found) = patch.node().span_of(path);
            if found {
                return (patch.file, span);
            }
        }
        for op in origin.json_ops.iter().rev() {
            if path.starts_with(&op.path) {
                let rest = path.as_str()[op.path.as_str().len()..].trim_start_matches('.');
                let (span, _) = op.value.node().span_of(&FieldPath::new(rest));
                return (op.file, span);
            }
        }
        let source = origin.object.map(|o| &self.objects[o]);
        if let Some((file, span)) = origin.namespace_at
            && path.as_str() == "metadata.namespace"
        {
            let written = source.is_some_and(|s| s.node().span_of(path).1);
            if !written || source.and_then(|s| s.namespace.as_deref()) != obj.namespace.as_deref() {
                return (file, span);
            }
        }
        match source {
            Some(s) => (s.file, s.node().span_of(path).0),
            None => (
                origin.file,
                crate::load::rendered::locate_in_template(
                    &self.files[origin.file].text,
                    &obj.kind,
                    path,
                ),
            ),
        }
    }

    pub fn resource_of(&self, location: &Location) -> Option<ResourceRef> {
        match location {
            Location::Field { object, .. } => {
                let o = &self.objects[*object];
                Some(ResourceRef {
                    kind: o.kind.to_string(),
                    namespace: o.namespace.map(|n| n.to_string()),
                    name: o.name.to_string(),
                })
            }
            Location::File { .. } => None,
        }
    }
}
