//! Reading typed fields out of an object's tree. A field of the wrong shape is recorded as an
//! AL002 finding at its path and read as absent, so one bad field never hides the rest.

use crate::finding::{Finding, Location, Severity};
use crate::intern::Atom;
use crate::load::ObjectId;
use crate::load::node::Seq;
use crate::load::node::{FieldPath, Node};
use crate::model::selector::{Annotations, Labels};

/// A string read from the input, with the path it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub path: FieldPath,
}

impl Str {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

pub struct Reader<'a> {
    pub object: ObjectId,
    pub kind: &'a str,
    pub errors: Vec<Finding>,
}

impl<'a> Reader<'a> {
    pub fn new(object: ObjectId, kind: &'a str) -> Self {
        Reader {
            object,
            kind,
            errors: Vec::new(),
        }
    }

    pub fn invalid(&mut self, path: &FieldPath, message: String) {
        let help = format!(
            "fix the field so that it matches the {} schema; the API server rejects the whole object otherwise",
            self.kind
        );
        self.invalid_with_help(path, message, help);
    }

    /// Like [`Reader::invalid`], with a help that says more than "match the schema".
    pub fn invalid_with_help(
        &mut self,
        path: &FieldPath,
        message: String,
        help: impl Into<String>,
    ) {
        self.errors.push(
            Finding::new(
                "AL002",
                Severity::Error,
                Location::field(self.object, path.clone()),
                message,
            )
            .help(help),
        );
    }

    fn wrong(&mut self, node: Node<'_>, path: &FieldPath, expected: &str) {
        let found = match node.as_scalar() {
            // An unquoted `n`, `on` or `0755` is not what it looks like: say what Kubernetes reads.
            Some(sc) if sc.plain && expected == "a string" => format!(
                "`{}`, which Kubernetes reads as {} (quote it to make it a string)",
                sc.text,
                node.type_name()
            ),
            Some(sc) => format!("`{}`", sc.text),
            _ => node.type_name().to_string(),
        };
        self.invalid(
            path,
            format!("`{}` must be {expected}, found {found}", last_key(path)),
        );
    }

    /// A mapping field; null or absent is None.
    pub fn map<'n>(&mut self, node: Option<Node<'n>>, path: &FieldPath) -> Option<Node<'n>> {
        let node = node.filter(|n| !n.is_null())?;
        if node.as_map().is_some() {
            Some(node)
        } else {
            self.wrong(node, path, "a mapping");
            None
        }
    }

    /// A list field; null or absent is None.
    pub fn seq<'n>(&mut self, node: Option<Node<'n>>, path: &FieldPath) -> Option<Seq<'n>> {
        let node = node.filter(|n| !n.is_null())?;
        match node.as_seq() {
            Some(s) => Some(s),
            None => {
                self.wrong(node, path, "a list");
                None
            }
        }
    }

    /// Items of a list field with their paths.
    pub fn items<'n>(
        &mut self,
        parent: Node<'n>,
        key: &str,
        path: &FieldPath,
    ) -> Vec<(Node<'n>, FieldPath)> {
        let p = path.key(key);
        self.seq(parent.get(key), &p)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, n)| (n, p.index(i)))
            .collect()
    }

    /// A string field. Numbers and booleans are refused, as the API server refuses them.
    pub fn string(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Option<Str> {
        let node = node.filter(|n| !n.is_null())?;
        match node.as_scalar() {
            Some(s) if !s.plain || s.type_name() == "a string" => Some(Str {
                value: s.text.to_string(),
                path: path.clone(),
            }),
            _ => {
                self.wrong(node, path, "a string");
                None
            }
        }
    }

    pub fn field_string(&mut self, parent: Node<'_>, key: &str, path: &FieldPath) -> Option<Str> {
        self.string(parent.get(key), &path.key(key))
    }

    /// A list of strings.
    pub fn strings(&mut self, parent: Node<'_>, key: &str, path: &FieldPath) -> Vec<Str> {
        let items = self.items(parent, key, path);
        // Sized from the list: most lists hold one or two strings.
        let mut out = Vec::with_capacity(items.len());
        out.extend(
            items
                .into_iter()
                .filter_map(|(n, p)| self.string(Some(n), &p)),
        );
        out
    }

    pub fn int(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Option<i64> {
        let node = node.filter(|n| !n.is_null())?;
        match node.as_scalar().and_then(|s| s.as_int()) {
            Some(i) => Some(i),
            None => {
                self.wrong(node, path, "an integer");
                None
            }
        }
    }

    pub fn bool(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Option<bool> {
        let node = node.filter(|n| !n.is_null())?;
        match node.as_scalar().and_then(|s| s.as_bool()) {
            Some(b) => Some(b),
            None => {
                self.wrong(node, path, "a boolean");
                None
            }
        }
    }

    /// A port number (1-65535) or a port name (IANA service name: letters, digits, `-`, at
    /// least one letter, at most 15 characters). A quoted number is a name to Kubernetes, and
    /// not a valid one.
    pub fn port(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Option<IntOrString> {
        let node = node.filter(|n| !n.is_null())?;
        let Some(s) = node.as_scalar() else {
            self.wrong(node, path, "a port number or name");
            return None;
        };
        if let Some(i) = s.as_int() {
            if !(1..=65535).contains(&i) {
                self.invalid(path, format!("port {i} is out of range (1-65535)"));
                return None;
            }
            return Some(IntOrString::Int(i));
        }
        let name = &s.text;
        let valid = !name.is_empty()
            && name.len() <= 15
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && name.chars().any(|c| c.is_ascii_lowercase())
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !name.contains("--");
        if valid {
            Some(IntOrString::String(name.to_string()))
        } else if name.parse::<i64>().is_ok() {
            self.invalid(
                path,
                format!("port \"{name}\" is quoted, so Kubernetes reads it as a port name, and a port name needs a letter"),
            );
            None
        } else {
            self.invalid(
                path,
                format!("`{name}` is neither a port number nor a valid port name (lowercase letters, digits and `-`, at most 15 characters)"),
            );
            None
        }
    }

    /// A map of strings to strings: labels, matchLabels, a Service's selector.
    pub fn string_map(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Labels {
        self.entries_of_strings(node, path, Atom::new)
    }

    /// Annotations: free text, not interned.
    pub fn annotation_map(&mut self, node: Option<Node<'_>>, path: &FieldPath) -> Annotations {
        self.entries_of_strings(node, path, str::to_string)
    }

    fn entries_of_strings<V>(
        &mut self,
        node: Option<Node<'_>>,
        path: &FieldPath,
        value: impl Fn(&str) -> V,
    ) -> Vec<(Atom, V)> {
        let Some(map) = self.map(node, path) else {
            return Vec::new();
        };
        let entries = map.as_map().unwrap_or_default();
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let Some(k) = e.key.as_str() else { continue };
            match e.value.scalar() {
                Some(v) if v.is_null() => out.push((Atom::new(k), value(""))),
                Some(v) if !v.plain || v.type_name() == "a string" => {
                    out.push((Atom::new(k), value(v.text)))
                }
                // Not a string: the path is built only to report it.
                _ => {
                    self.string(Some(e.value), &path.key(k));
                }
            }
        }
        out
    }
}

fn last_key(path: &FieldPath) -> String {
    use crate::load::node::Segment;
    match path.segments().last() {
        Some(Segment::Key(k)) => k.clone(),
        Some(Segment::Index(i)) => {
            let segs = path.segments();
            let parent = segs.iter().rev().find_map(|s| match s {
                Segment::Key(k) => Some(k.clone()),
                _ => None,
            });
            format!("{}[{i}]", parent.unwrap_or_default())
        }
        None => String::new(),
    }
}
