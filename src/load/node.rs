//! The loaded YAML tree: every node keeps its byte span, mapping keys keep their own, and scalars
//! keep their raw text and quoting so the model can apply Kubernetes' reading of them.

use std::fmt;

use super::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// Collections are boxed slices, sized exactly: a manifest tree is built once and only read.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Box<[Node]>),
    Map(Box<[Entry]>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// Most scalars are short: kept inline, without an allocation of their own.
    pub text: compact_str::CompactString,
    /// Quoted or block scalars are always strings; plain ones may be numbers, booleans or null.
    pub plain: bool,
}

impl Scalar {
    pub fn is_null(&self) -> bool {
        self.plain && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// Kubernetes reads YAML 1.1 booleans (`yes`, `on`, ...) through sigs.k8s.io/yaml.
    pub fn as_bool(&self) -> Option<bool> {
        if !self.plain {
            return None;
        }
        match self.text.as_str() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
                Some(true)
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n"
            | "N" => Some(false),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        if !self.plain {
            return None;
        }
        let t = self.text.replace('_', "");
        t.parse::<i64>().ok()
    }

    /// A plain YAML 1.1 float: `1.5`, `1e3`, `.inf`, `.nan` (not Rust's `inf` or `nan`).
    fn is_float(&self) -> bool {
        let t = self.text.as_str();
        self.plain
            && (matches!(
                t,
                ".inf" | "-.inf" | "+.inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
            ) || (t.bytes().any(|b| b.is_ascii_digit())
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b"._eE+-".contains(&b))
                && t.replace('_', "").parse::<f64>().is_ok()))
    }

    /// What YAML type a user would call this value, for messages.
    pub fn type_name(&self) -> &'static str {
        if self.is_null() {
            "null"
        } else if self.as_bool().is_some() {
            "a boolean"
        } else if self.as_int().is_some() || self.is_float() {
            "a number"
        } else {
            "a string"
        }
    }
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.is_null())
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) if !s.is_null() => Some(s),
            _ => None,
        }
    }

    /// The scalar's text, for any non-null scalar (numbers and booleans included).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.text.as_str())
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .find(|e| e.key.as_str().is_some_and(|k| k == key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(s) => s.type_name(),
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The span to show for the field `path` below this node: the key and its value when the value
    /// fits on the key's line, the key alone otherwise; the nearest existing parent when the field
    /// is absent. Returns the span and whether the field itself was found.
    pub fn span_of(&self, path: &FieldPath, text: &str) -> (Span, bool) {
        let mut node = self;
        let mut span = self.span;
        for seg in path.segments() {
            let next = match &seg {
                Segment::Key(k) => node.entry(k).map(|e| {
                    let same_line = !text
                        .get(e.key.span.start..e.value.span.end)
                        .unwrap_or("\n")
                        .contains('\n');
                    let s = if same_line && !e.value.is_null() {
                        Span::new(e.key.span.start, e.value.span.end)
                    } else {
                        e.key.span
                    };
                    (s, &e.value)
                }),
                Segment::Index(i) => node.as_seq().and_then(|s| s.get(*i)).map(|n| (n.span, n)),
            };
            match next {
                Some((s, n)) => {
                    span = s;
                    node = n;
                }
                None => return (span, false),
            }
        }
        (span, true)
    }
}

/// A field path such as `spec.rules[0].to[0].operation.methods`; keys holding `.` or `[` are
/// quoted: `metadata.labels["istio.io/dataplane-mode"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(String::new())
    }

    /// Parses a dotted path written by a rule; keys in it must not need quoting.
    pub fn new(path: &str) -> Self {
        FieldPath(path.to_string())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut s = self.0.clone();
        if key.contains(['.', '[', ']', '"']) || key.is_empty() {
            s.push_str(&format!(
                "[{}]",
                serde_json::to_string(key).unwrap_or_default()
            ));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(key);
        }
        FieldPath(s)
    }

    pub fn index(&self, i: usize) -> Self {
        FieldPath(format!("{}[{i}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.0 == other.0
            || (self.0.starts_with(&other.0)
                && (other.0.is_empty() || matches!(self.0.as_bytes()[other.0.len()], b'.' | b'[')))
    }

    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = self.0.as_str();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                rest = r;
            } else if let Some(r) = rest.strip_prefix('[') {
                if r.starts_with('"') {
                    // A quoted key: find the closing `"]` honouring escapes via serde_json.
                    let mut de = serde_json::Deserializer::from_str(r).into_iter::<String>();
                    match de.next() {
                        Some(Ok(k)) => {
                            let used = de.byte_offset();
                            out.push(Segment::Key(k));
                            rest = r[used..].strip_prefix(']').unwrap_or(&r[used..]);
                        }
                        _ => break,
                    }
                } else {
                    let end = r.find(']').unwrap_or(r.len());
                    match r[..end].parse() {
                        Ok(i) => out.push(Segment::Index(i)),
                        Err(_) => break,
                    }
                    rest = r.get(end + 1..).unwrap_or("");
                }
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                out.push(Segment::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
        }
        out
    }
}

impl From<&str> for FieldPath {
    fn from(s: &str) -> Self {
        FieldPath::new(s)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_segments() {
        let p = FieldPath::root()
            .key("metadata")
            .key("labels")
            .key("istio.io/dataplane-mode");
        assert_eq!(p.as_str(), r#"metadata.labels["istio.io/dataplane-mode"]"#);
        assert_eq!(
            p.segments(),
            vec![
                Segment::Key("metadata".into()),
                Segment::Key("labels".into()),
                Segment::Key("istio.io/dataplane-mode".into())
            ]
        );
        let q = FieldPath::new("spec.rules").index(2).key("to");
        assert_eq!(q.as_str(), "spec.rules[2].to");
        assert_eq!(
            q.segments(),
            vec![
                Segment::Key("spec".into()),
                Segment::Key("rules".into()),
                Segment::Index(2),
                Segment::Key("to".into())
            ]
        );
        assert!(q.starts_with(&FieldPath::new("spec.rules")));
        assert!(!FieldPath::new("spec.rulesx").starts_with(&FieldPath::new("spec.rules")));
    }
}
