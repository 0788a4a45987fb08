//! The loaded YAML tree: a flat arena of nodes per file. Every node keeps its byte span, mapping
//! keys keep their own, scalars keep their style so the model can apply Kubernetes' reading of
//! them, and collections keep whether they were written in flow or block style. Scalar values are
//! slices of the file's text wherever the text spells them out; only values YAML rewrites
//! (escapes, folded lines, block scalars) are stored apart. Nodes copied from an alias or a `<<`
//! merge are marked, so that edits never write through them.

use std::fmt;
use std::sync::Arc;

use super::source::Span;
use crate::intern::Atom;

/// Index of a node in its [`Tree`].
pub type NodeId = u32;

/// What kind of scalar the text wrote: plain ones may be numbers, booleans or null to Kubernetes;
/// the others are always strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

const KIND_MASK: u32 = 0b11;
const KIND_SCALAR: u32 = 0;
const KIND_SEQ: u32 = 1;
const KIND_MAP: u32 = 2;
/// Scalar style (3 bits), or for a collection bit 2 alone: written in flow style.
const STYLE_SHIFT: u32 = 2;
const FLOW: u32 = 1 << STYLE_SHIFT;
/// A copy of an anchored node made by an alias (`*name`).
const FROM_ALIAS: u32 = 1 << 5;
/// An entry brought in by a `<<` merge key.
const FROM_MERGE: u32 = 1 << 6;
/// Where a scalar's value is: the span's text, the span's text less its quotes, or the pool.
const VALUE_SHIFT: u32 = 7;
const VALUE_MASK: u32 = 0b11 << VALUE_SHIFT;
const VALUE_SPAN: u32 = 0;
const VALUE_INNER: u32 = 1 << VALUE_SHIFT;
const VALUE_POOL: u32 = 2 << VALUE_SHIFT;
/// A `<<` key: its entry stays in the text's place but is not one of the mapping's entries; the
/// entries it merges follow the mapping's own.
const MERGE_KEY: u32 = 1 << 9;
/// A mapping that holds a `<<` key, whose length must be counted.
const HAS_MERGE: u32 = 1 << 10;
/// Above the flags: a collection's child count, or a pooled scalar's index in the pool.
const AUX_SHIFT: u32 = 11;
/// The most children one collection, or pooled scalars one file, may have.
pub const MAX_AUX: usize = (u32::MAX >> AUX_SHIFT) as usize;

/// One node: 16 bytes. Nodes are stored in document order (a node before its children), and
/// `next` is the id just past the node's subtree, so children are found by skipping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rec {
    pub start: u32,
    pub end: u32,
    pub next: u32,
    pub info: u32,
}

impl Rec {
    pub fn scalar(span: Span, style: ScalarStyle) -> Rec {
        let style = match style {
            ScalarStyle::Plain => 0,
            ScalarStyle::SingleQuoted => 1,
            ScalarStyle::DoubleQuoted => 2,
            ScalarStyle::Literal => 3,
            ScalarStyle::Folded => 4,
        };
        Rec {
            start: span.start as u32,
            end: span.end as u32,
            next: 0,
            info: KIND_SCALAR | (style << STYLE_SHIFT),
        }
    }

    pub fn collection(start: usize, map: bool, flow: bool) -> Rec {
        Rec {
            start: start as u32,
            end: start as u32,
            next: 0,
            info: if map { KIND_MAP } else { KIND_SEQ } | if flow { FLOW } else { 0 },
        }
    }

    fn kind(&self) -> u32 {
        self.info & KIND_MASK
    }

    fn aux(&self) -> usize {
        (self.info >> AUX_SHIFT) as usize
    }

    pub fn set_aux(&mut self, aux: usize) {
        self.info = (self.info & ((1 << AUX_SHIFT) - 1)) | ((aux as u32) << AUX_SHIFT);
    }

    pub fn set_value_inner(&mut self) {
        self.info = (self.info & !VALUE_MASK) | VALUE_INNER;
    }

    pub fn set_value_pool(&mut self, index: usize) {
        self.info = (self.info & !VALUE_MASK) | VALUE_POOL;
        self.set_aux(index);
    }

    /// A collection written in flow style (`[…]`, `{…}`).
    pub fn set_flow(&mut self) {
        self.info |= FLOW;
    }

    pub fn mark(&mut self, alias: bool) {
        self.info |= if alias { FROM_ALIAS } else { FROM_MERGE };
    }

    pub fn mark_merge_key(&mut self) {
        self.info |= MERGE_KEY;
    }

    pub fn mark_has_merge(&mut self) {
        self.info |= HAS_MERGE;
    }

    pub fn span(&self) -> Span {
        Span::new(self.start as usize, self.end as usize)
    }
}

/// The nodes of one file's documents, and the file's text their spans and values point into.
#[derive(Debug, Default)]
pub struct Tree {
    pub(super) text: Arc<str>,
    pub(super) recs: Vec<Rec>,
    /// Values that are not spelled out in the text, concatenated; `pooled` holds their ranges.
    pub(super) pool: String,
    pub(super) pooled: Vec<(u32, u32)>,
    /// Nodes copied by aliases so far, across the file's documents.
    pub(super) copied: usize,
}

impl Tree {
    pub(super) fn new(text: Arc<str>) -> Tree {
        Tree {
            text,
            ..Tree::default()
        }
    }

    /// The node `id`. Ids come from this tree; one out of range is a bug.
    pub fn node(&self, id: NodeId) -> Node<'_> {
        debug_assert!((id as usize) < self.recs.len());
        Node { tree: self, id }
    }

    /// The text of the file the tree was read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub(super) fn rec(&self, id: NodeId) -> &Rec {
        &self.recs[id as usize]
    }

    /// The value of a scalar record.
    pub(super) fn value_of(&self, r: &Rec) -> &str {
        let (s, e) = (r.start as usize, r.end as usize);
        match r.info & VALUE_MASK {
            VALUE_SPAN => self.text.get(s..e).unwrap_or(""),
            VALUE_INNER => self.text.get(s + 1..e.saturating_sub(1)).unwrap_or(""),
            _ => match self.pooled.get(r.aux()) {
                Some(&(a, b)) => &self.pool[a as usize..b as usize],
                None => "",
            },
        }
    }
}

/// A node of a [`Tree`]: a copyable handle.
#[derive(Clone, Copy)]
pub struct Node<'t> {
    tree: &'t Tree,
    id: NodeId,
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            NodeKind::Scalar(s) => write!(f, "{:?}@{:?}", s.text, self.span()),
            NodeKind::Seq(items) => f.debug_list().entries(items.iter()).finish(),
            NodeKind::Map(map) => f
                .debug_map()
                .entries(map.iter().map(|e| (e.key, e.value)))
                .finish(),
        }
    }
}

/// A scalar's value and how it was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scalar<'t> {
    pub text: &'t str,
    /// Quoted or block scalars are always strings; plain ones may be numbers, booleans or null.
    pub plain: bool,
    pub style: ScalarStyle,
}

/// What a node is, for code that matches on it.
pub enum NodeKind<'t> {
    Scalar(Scalar<'t>),
    Seq(Seq<'t>),
    Map(Map<'t>),
}

/// A mapping entry.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'t> {
    pub key: Node<'t>,
    pub value: Node<'t>,
}

/// The items of a sequence node.
#[derive(Clone, Copy)]
pub struct Seq<'t> {
    tree: &'t Tree,
    first: NodeId,
    len: usize,
}

/// The entries of a mapping node (`<<` merge keys are not among them; what they merge is).
#[derive(Clone, Copy)]
pub struct Map<'t> {
    tree: &'t Tree,
    first: NodeId,
    /// Keys and values, `<<` entries included.
    children: usize,
    /// Entries, `<<` entries excluded.
    len: usize,
}

/// Children of a collection, in order: each the node after the previous one's subtree.
#[derive(Clone)]
pub struct Children<'t> {
    tree: &'t Tree,
    at: NodeId,
    left: usize,
}

impl<'t> Iterator for Children<'t> {
    type Item = Node<'t>;
    fn next(&mut self) -> Option<Node<'t>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = Node {
            tree: self.tree,
            id: self.at,
        };
        self.at = self.tree.rec(self.at).next;
        Some(n)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Children<'_> {}

/// Entries of a mapping, in order.
#[derive(Clone)]
pub struct Entries<'t>(Children<'t>);

impl<'t> Iterator for Entries<'t> {
    type Item = Entry<'t>;
    fn next(&mut self) -> Option<Entry<'t>> {
        loop {
            let key = self.0.next()?;
            let value = self.0.next()?;
            if key.rec().info & MERGE_KEY == 0 {
                return Some(Entry { key, value });
            }
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.0.left / 2))
    }
}

/// A tree of one empty mapping, which empty collections and absent optional specs point at.
static EMPTY: std::sync::LazyLock<Tree> = std::sync::LazyLock::new(|| {
    let mut map = Rec::collection(0, true, false);
    map.next = 1;
    Tree {
        recs: vec![map],
        ..Tree::default()
    }
});

impl Node<'static> {
    /// An empty mapping, at no place in any file: what an absent optional mapping reads as.
    pub fn empty_map() -> Node<'static> {
        Node {
            tree: &EMPTY,
            id: 0,
        }
    }
}

impl Default for Seq<'_> {
    fn default() -> Self {
        Seq {
            tree: &EMPTY,
            first: 0,
            len: 0,
        }
    }
}

impl Default for Map<'_> {
    fn default() -> Self {
        Map {
            tree: &EMPTY,
            first: 0,
            children: 0,
            len: 0,
        }
    }
}

impl<'t> Seq<'t> {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn iter(&self) -> Children<'t> {
        Children {
            tree: self.tree,
            at: self.first,
            left: self.len,
        }
    }
    /// Item `i`, found by skipping the ones before it.
    pub fn get(&self, i: usize) -> Option<Node<'t>> {
        self.iter().nth(i)
    }
    pub fn first(&self) -> Option<Node<'t>> {
        self.get(0)
    }
    pub fn last(&self) -> Option<Node<'t>> {
        self.iter().last()
    }
}

impl<'t> IntoIterator for Seq<'t> {
    type Item = Node<'t>;
    type IntoIter = Children<'t>;
    fn into_iter(self) -> Children<'t> {
        self.iter()
    }
}

impl<'t> Map<'t> {
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn iter(&self) -> Entries<'t> {
        Entries(Children {
            tree: self.tree,
            at: self.first,
            left: self.children,
        })
    }
    pub fn first(&self) -> Option<Entry<'t>> {
        self.iter().next()
    }
    pub fn last(&self) -> Option<Entry<'t>> {
        self.iter().last()
    }
}

impl<'t> IntoIterator for Map<'t> {
    type Item = Entry<'t>;
    type IntoIter = Entries<'t>;
    fn into_iter(self) -> Entries<'t> {
        self.iter()
    }
}

impl Scalar<'_> {
    pub fn is_null(&self) -> bool {
        self.plain && matches!(self.text, "" | "~" | "null" | "Null" | "NULL")
    }

    /// Kubernetes reads YAML 1.1 booleans (`yes`, `on`, ...) through sigs.k8s.io/yaml.
    pub fn as_bool(&self) -> Option<bool> {
        if !self.plain {
            return None;
        }
        match self.text {
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
        if self.text.contains('_') {
            self.text.replace('_', "").parse::<i64>().ok()
        } else {
            self.text.parse::<i64>().ok()
        }
    }

    /// A plain YAML 1.1 float: `1.5`, `1e3`, `.inf`, `.nan` (not Rust's `inf` or `nan`).
    fn is_float(&self) -> bool {
        let t = self.text;
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

impl<'t> Node<'t> {
    /// Structural equality of two trees, spans aside.
    pub fn same_as(self, b: Node<'_>) -> bool {
        match (self.kind(), b.kind()) {
            (NodeKind::Scalar(x), NodeKind::Scalar(y)) => {
                x.text == y.text && (x.plain == y.plain || x.is_null() == y.is_null())
            }
            (NodeKind::Seq(x), NodeKind::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.same_as(q))
            }
            (NodeKind::Map(x), NodeKind::Map(y)) => {
                x.len() == y.len()
                    && x.iter().all(|e| {
                        y.iter()
                            .any(|f| e.key.same_as(f.key) && e.value.same_as(f.value))
                    })
            }
            _ => false,
        }
    }

    pub fn id(self) -> NodeId {
        self.id
    }

    pub fn span(self) -> Span {
        self.tree.rec(self.id).span()
    }

    fn rec(self) -> &'t Rec {
        self.tree.rec(self.id)
    }

    pub fn kind(self) -> NodeKind<'t> {
        let r = self.rec();
        match r.kind() {
            KIND_SEQ => NodeKind::Seq(self.seq_of(r)),
            KIND_MAP => NodeKind::Map(self.map_of(r)),
            _ => NodeKind::Scalar(self.scalar_of(r)),
        }
    }

    // Readers ask for one kind at a time, millions of times on a large tree: each accessor
    // below looks at the record's kind before building anything.

    fn seq_of(self, r: &Rec) -> Seq<'t> {
        Seq {
            tree: self.tree,
            first: self.id + 1,
            len: r.aux(),
        }
    }

    fn map_of(self, r: &Rec) -> Map<'t> {
        let mut map = Map {
            tree: self.tree,
            first: self.id + 1,
            children: r.aux(),
            len: r.aux() / 2,
        };
        if r.info & HAS_MERGE != 0 {
            map.len = map.iter().count();
        }
        map
    }

    fn scalar_of(self, r: &Rec) -> Scalar<'t> {
        let style = match (r.info >> STYLE_SHIFT) & 0b111 {
            0 => ScalarStyle::Plain,
            1 => ScalarStyle::SingleQuoted,
            2 => ScalarStyle::DoubleQuoted,
            3 => ScalarStyle::Literal,
            _ => ScalarStyle::Folded,
        };
        Scalar {
            text: self.tree.value_of(r),
            plain: style == ScalarStyle::Plain,
            style,
        }
    }

    /// The scalar, null included.
    pub fn scalar(self) -> Option<Scalar<'t>> {
        let r = self.rec();
        (r.kind() == KIND_SCALAR).then(|| self.scalar_of(r))
    }

    pub fn is_null(self) -> bool {
        self.scalar().is_some_and(|s| s.is_null())
    }

    pub fn as_scalar(self) -> Option<Scalar<'t>> {
        self.scalar().filter(|s| !s.is_null())
    }

    /// The scalar's text, for any non-null scalar (numbers and booleans included).
    pub fn as_str(self) -> Option<&'t str> {
        self.as_scalar().map(|s| s.text)
    }

    pub fn as_seq(self) -> Option<Seq<'t>> {
        let r = self.rec();
        (r.kind() == KIND_SEQ).then(|| self.seq_of(r))
    }

    pub fn as_map(self) -> Option<Map<'t>> {
        let r = self.rec();
        (r.kind() == KIND_MAP).then(|| self.map_of(r))
    }

    /// Written in flow style (`[a, b]`, `{a: 1}`).
    pub fn is_flow(self) -> bool {
        self.rec().kind() != KIND_SCALAR && self.rec().info & FLOW != 0
    }

    /// A copy made by an alias or a `<<` merge: its text belongs to another node, and an edit
    /// there would change every place that refers to it.
    pub fn is_copy(self) -> bool {
        self.rec().info & (FROM_ALIAS | FROM_MERGE) != 0
    }

    pub fn entry(self, key: &str) -> Option<Entry<'t>> {
        // The text first: building the scalar for every key is most of a lookup's cost.
        self.as_map()?.iter().find(|e| {
            let r = e.key.rec();
            r.kind() == KIND_SCALAR && self.tree.value_of(r) == key && !e.key.is_null()
        })
    }

    pub fn get(self, key: &str) -> Option<Node<'t>> {
        self.entry(key).map(|e| e.value)
    }

    pub fn type_name(self) -> &'static str {
        match self.kind() {
            NodeKind::Scalar(s) => s.type_name(),
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The span to show for the field `path` below this node: the key and its value when the value
    /// fits on the key's line, the key alone otherwise; the nearest existing parent when the field
    /// is absent. Returns the span and whether the field itself was found.
    pub fn span_of(self, path: &FieldPath) -> (Span, bool) {
        let text = self.tree.text();
        let mut node = self;
        let mut span = self.span();
        for seg in path.segments() {
            let next = match &seg {
                Segment::Key(k) => node.entry(k).map(|e| {
                    let (ks, vs) = (e.key.span(), e.value.span());
                    let same_line = !text.get(ks.start..vs.end).unwrap_or("\n").contains('\n');
                    let s = if same_line && !e.value.is_null() {
                        Span::new(ks.start, vs.end)
                    } else {
                        ks
                    };
                    (s, e.value)
                }),
                Segment::Index(i) => node.as_seq().and_then(|s| s.get(*i)).map(|n| (n.span(), n)),
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

/// A node kept beside the tree that holds it, for what outlives the loader's borrow: an
/// object's root, a patch's value.
#[derive(Clone, Debug)]
pub struct TreeNode {
    pub tree: Arc<Tree>,
    pub id: NodeId,
}

impl TreeNode {
    pub fn node(&self) -> Node<'_> {
        self.tree.node(self.id)
    }
}

/// A field path such as `spec.rules[0].to[0].operation.methods`; keys holding `.` or `[` are
/// quoted: `metadata.labels["istio.io/dataplane-mode"]`. Interned: the model keeps one for
/// almost every value it reads, and the same paths recur in every object of a kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Atom);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// For each parent path (by the address of its interned text, which lives as long as the
/// process), the paths of its keys.
type ChildPaths = crate::hash::HashMap<usize, crate::hash::HashMap<Box<str>, FieldPath>>;

/// Builds a path in a reused buffer, so that a path already interned costs no allocation.
fn build_path(write: impl FnOnce(&mut String)) -> FieldPath {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with(|buffer| {
        let mut buffer = buffer.borrow_mut();
        buffer.clear();
        write(&mut buffer);
        FieldPath(Atom::new(&buffer))
    })
}

impl FieldPath {
    pub fn root() -> Self {
        FieldPath::default()
    }

    /// Parses a dotted path written by a rule; keys in it must not need quoting.
    pub fn new(path: &str) -> Self {
        FieldPath(Atom::new(path))
    }

    pub fn key(&self, key: &str) -> Self {
        // The same few keys are asked of the same parents over and over (every object's
        // `metadata.name`): each thread remembers the children it made, so that most paths are
        // found by the parent's address and the key alone, without writing out the whole path.
        thread_local! {
            static CHILDREN: std::cell::RefCell<ChildPaths> = std::cell::RefCell::default();
        }
        let parent = self.0.as_str().as_ptr() as usize;
        if let Some(found) =
            CHILDREN.with(|c| c.borrow().get(&parent).and_then(|m| m.get(key)).cloned())
        {
            return found;
        }
        let child = self.new_key(key);
        CHILDREN.with(|c| {
            c.borrow_mut()
                .entry(parent)
                .or_default()
                .insert(key.into(), child.clone())
        });
        child
    }

    fn new_key(&self, key: &str) -> Self {
        if key.contains(['.', '[', ']', '"']) || key.is_empty() {
            let quoted = serde_json::to_string(key).unwrap_or_default();
            return build_path(|s| {
                s.push_str(&self.0);
                s.push('[');
                s.push_str(&quoted);
                s.push(']');
            });
        }
        build_path(|s| {
            s.push_str(&self.0);
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(key);
        })
    }

    pub fn index(&self, i: usize) -> Self {
        use std::fmt::Write;
        build_path(|s| {
            s.push_str(&self.0);
            let _ = write!(s, "[{i}]");
        })
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
            || (self.0.starts_with(&*other.0)
                && (other.0.is_empty() || matches!(self.0.as_bytes()[other.0.len()], b'.' | b'[')))
    }

    pub fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = &*self.0;
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

    /// A key asked of a parent is the path written out, the first time and from the memo, and
    /// the same key under another parent is another path.
    #[test]
    fn remembered_child_paths_are_the_paths_written_out() {
        let parents = [
            FieldPath::root(),
            FieldPath::new("spec"),
            // As long as `spec`: the memo tells parents apart by more than their length.
            FieldPath::new("kind"),
            FieldPath::new("spec.selector"),
            FieldPath::new("spec").key("a.b"),
        ];
        for key in [
            "matchLabels",
            "app.kubernetes.io/name",
            "",
            "x[0]",
            "say \"hi\"",
        ] {
            for parent in &parents {
                let first = parent.key(key);
                let again = parent.key(key);
                assert_eq!(first, parent.new_key(key), "{parent:?} {key:?}");
                assert_eq!(again, first, "{parent:?} {key:?}");
            }
            let written: std::collections::HashSet<_> = parents
                .iter()
                .map(|p| p.key(key).as_str().to_string())
                .collect();
            assert_eq!(written.len(), parents.len(), "{key:?}");
        }
        assert_eq!(
            FieldPath::new("spec").key("selector").as_str(),
            "spec.selector"
        );
    }

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
