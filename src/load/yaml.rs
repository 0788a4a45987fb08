//! YAML text → one [`Tree`] per file, holding a root node per document. Each document is read
//! by the direct reader ([`super::direct`]) when it is written in the YAML most manifests are,
//! and otherwise built from saphyr-parser's event stream; both build the same nodes.
//!
//! The stream is cut into documents at `---` lines before parsing, so a syntax error in one
//! document leaves the others readable (YAML forbids `---` at column 0 inside any scalar, so the cut
//! is exact). Nesting is bounded (the direct reader recurses, saphyr's events are built
//! iteratively; both stop at [`MAX_DEPTH`]), and aliases are expanded against a node budget,
//! so no input can overflow the stack or expand into unbounded memory.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, Span as YSpan};

use super::node::{Entry, MAX_AUX, Node, NodeId, NodeKind, Rec, ScalarStyle, Tree};
use super::source::Span;

/// Deeper nesting than this is no Kubernetes manifest and is refused.
pub const MAX_DEPTH: usize = 256;
/// Nodes that alias expansion may add to one document. Nodes written out in the text are bounded
/// by the file size limit; copies made by aliases are not, and an alias bomb multiplies them.
pub const MAX_ALIAS_NODES: usize = 250_000;
/// The same for all documents of one file together: one tree holds them all.
pub const MAX_FILE_ALIAS_NODES: usize = 4 * MAX_ALIAS_NODES;
/// Node ids are 32-bit.
const MAX_NODES: usize = u32::MAX as usize - 1;

/// One document of a stream: its byte range in the file and the root it parsed to.
#[derive(Debug)]
pub struct RawDocument {
    pub span: Span,
    pub result: Result<Option<NodeId>, YamlError>,
}

/// A file's documents, and the tree that holds their nodes.
#[derive(Debug)]
pub struct Stream {
    pub tree: Arc<Tree>,
    pub documents: Vec<RawDocument>,
}

impl Stream {
    /// The roots of the documents that parsed and hold something.
    pub fn roots(&self) -> impl Iterator<Item = Node<'_>> {
        self.documents
            .iter()
            .filter_map(|d| d.result.as_ref().ok().copied().flatten())
            .map(|id| self.tree.node(id))
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// Byte offset in the file.
    pub offset: usize,
    pub message: String,
    /// What to do about it.
    pub help: &'static str,
}

/// The help for a document that does not parse.
pub const SYNTAX_HELP: &str = "fix the YAML at this position: `kubectl apply` refuses the whole file while one document does not parse (the other documents were still linted)";

/// Splits `text` into documents and parses each one.
pub fn parse_stream(text: &str) -> Stream {
    parse_text(Arc::from(text), usize::MAX)
}

/// Like [`parse_stream`], on a file's shared text, reading at most `limit` documents; past
/// that, one more entry carries the error that says so, at the first document left unread.
pub fn parse_text(text: Arc<str>, limit: usize) -> Stream {
    parse_text_with(text, limit, true)
}

/// [`parse_text`], with or without the direct reader ([`super::direct`]) tried first: without,
/// every document goes through saphyr's events, which the direct reader must equal.
pub(super) fn parse_text_with(text: Arc<str>, limit: usize, direct: bool) -> Stream {
    let mut tree = Tree::new(text.clone());
    let mut documents = Vec::new();
    if text.len() >= u32::MAX as usize {
        documents.push(RawDocument {
            span: Span::new(0, text.len()),
            result: Err(YamlError {
                help: "split the file: one file is read up to 4 GiB",
                offset: 0,
                message: "the file is too large to read (4 GiB or more)".to_string(),
            }),
        });
        return Stream {
            tree: Arc::new(tree),
            documents,
        };
    }
    // About one node for every 7 bytes of a manifest: reserve that, and trim at the end.
    tree.recs.reserve(text.len() / 7 + 4);
    for (start, end) in split_documents(&text) {
        let chunk = &text[start..end];
        if is_blank_document(chunk) {
            continue;
        }
        if documents.len() == limit {
            documents.push(RawDocument {
                span: Span::new(start, text.len()),
                result: Err(YamlError {
                    help: "raise --max-documents, or split the stream into several files",
                    offset: start,
                    message: format!(
                        "the file holds more than {limit} documents; the rest was not read (raise --max-documents)"
                    ),
                }),
            });
            break;
        }
        documents.push(RawDocument {
            span: Span::new(start, end),
            result: parse_document(&mut tree, chunk, start, direct),
        });
    }
    // Copied to a block of its own size rather than shrunk: mimalloc shrinks a block in place,
    // keeping all of it, when the new size is at least half the old (20 MB over the 100k bench).
    if tree.recs.capacity() > tree.recs.len() {
        tree.recs = tree.recs.as_slice().to_vec();
    }
    tree.pool.shrink_to_fit();
    tree.pooled.shrink_to_fit();
    Stream {
        tree: Arc::new(tree),
        documents,
    }
}

/// Byte ranges of the documents: cut before every line that starts with `---` followed by
/// whitespace or the end of the line.
pub(super) fn split_documents(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = vec![0];
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line_start > 0 && is_document_marker(line) {
            cuts.push(line_start);
        }
        line_start += line.len();
    }
    cuts.push(text.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

fn is_document_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// A document of only comments, blank lines and markers holds nothing.
fn is_blank_document(chunk: &str) -> bool {
    chunk.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..." || t.starts_with("--- #")
    })
}

/// Converts the parser's character positions to byte offsets in the file. The parser may have
/// read a rewritten copy of the chunk (see [`parse_document`]): tabs read as spaces (same length)
/// and spaces inserted before some lines' content; positions in that copy are mapped back onto the
/// original text.
struct Offsets<'a> {
    /// The chunk as written.
    chunk: &'a str,
    base: usize,
    /// Byte offset of each character of the text the parser read, only when it is not ASCII.
    char_bytes: Option<Vec<usize>>,
    /// Length of the text the parser read.
    parsed_len: usize,
    /// Sorted (chunk offset, count): spaces the parsed text has before that offset of the chunk.
    pads: &'a [(usize, usize)],
    /// For each pad, where its spaces start in the parsed text.
    pad_starts: Vec<usize>,
}

impl<'a> Offsets<'a> {
    fn new(chunk: &'a str, parsed: &str, base: usize, pads: &'a [(usize, usize)]) -> Self {
        let char_bytes =
            (!parsed.is_ascii()).then(|| parsed.char_indices().map(|(i, _)| i).collect());
        let mut before = 0;
        let pad_starts = pads
            .iter()
            .map(|&(at, n)| {
                let start = at + before;
                before += n;
                start
            })
            .collect();
        Offsets {
            chunk,
            base,
            char_bytes,
            parsed_len: parsed.len(),
            pads,
            pad_starts,
        }
    }

    /// For text the direct reader reads, which is ASCII (it declines anything else) and read
    /// as written: no scan, no table.
    fn ascii(chunk: &'a str, base: usize) -> Self {
        Offsets {
            chunk,
            base,
            char_bytes: None,
            parsed_len: chunk.len(),
            pads: &[],
            pad_starts: Vec::new(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let within = match &self.char_bytes {
            None => char_index.min(self.parsed_len),
            Some(v) => v.get(char_index).copied().unwrap_or(self.parsed_len),
        };
        // Pads that start at or before `within`; inside the last of them, the position is the
        // content it was inserted before.
        let k = self.pad_starts.partition_point(|&s| s <= within);
        let original = match k.checked_sub(1) {
            None => within,
            Some(last) => {
                let (at, n) = self.pads[last];
                let end = self.pad_starts[last] + n;
                if within < end {
                    at
                } else {
                    at + (within - end)
                }
            }
        };
        self.base + original.min(self.chunk.len())
    }

    fn span(&self, s: &YSpan) -> Span {
        Span::new(self.byte(s.start.index()), self.byte(s.end.index()))
    }
}

/// Mappings of up to this many keys have each key checked against the earlier ones as it is read.
const EAGER_KEYS: usize = 64;

fn is_merge_key(k: Node<'_>) -> bool {
    k.scalar().is_some_and(|s| s.plain && s.text == "<<")
}

/// A key's text for duplicate checks: none for `<<`, null and non-scalar keys.
fn key_name(k: Node<'_>) -> Option<&str> {
    if is_merge_key(k) { None } else { k.as_str() }
}

/// A collection being built: its node is already in the tree, its children follow it.
struct Frame {
    id: NodeId,
    anchor: usize,
    map: bool,
    /// Children so far (keys and values for a mapping).
    count: usize,
    /// Where the last child ends.
    last_end: Option<usize>,
}

pub(super) struct Builder<'a> {
    offsets: Offsets<'a>,
    tree: &'a mut Tree,
    stack: Vec<Frame>,
    anchors: HashMap<usize, NodeId>,
    alias_nodes: usize,
    root: Option<NodeId>,
}

impl<'a> Builder<'a> {
    fn new(tree: &'a mut Tree, offsets: Offsets<'a>) -> Self {
        Builder {
            offsets,
            tree,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            root: None,
        }
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> YamlError {
        YamlError {
            help: SYNTAX_HELP,
            offset,
            message: message.into(),
        }
    }

    fn next_id(&self) -> NodeId {
        self.tree.recs.len() as NodeId
    }

    /// Counts `copied` nodes (made by an alias or a merge, not written in the text) against
    /// the budget.
    fn spend(&mut self, copied: usize, at: usize) -> Result<(), YamlError> {
        self.alias_nodes += copied;
        self.tree.copied += copied;
        if self.tree.copied > MAX_FILE_ALIAS_NODES {
            return Err(self.err(
                at,
                format!(
                    "aliases expand this file by more than {MAX_FILE_ALIAS_NODES} nodes (an alias bomb?)"
                ),
            ));
        }
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(self.err(
                at,
                format!(
                    "aliases expand this document by more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a node past what 32-bit ids can name.
    fn check_room(&self, at: usize) -> Result<(), YamlError> {
        if self.tree.recs.len() >= MAX_NODES {
            return Err(self.err(at, "more nodes in one file than can be read"));
        }
        Ok(())
    }

    /// A finished node joins its parent. A key is checked against the mapping's earlier keys
    /// at once, so that the first duplicate in the text is the one reported (large mappings
    /// are checked when they close, see [`Builder::check_keys`]).
    fn finish(&mut self, id: NodeId, anchor: usize) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        let r = self.tree.recs[id as usize];
        self.check_room(r.start as usize)?;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(id);
            return Ok(());
        };
        frame.count += 1;
        frame.last_end = Some(r.end as usize);
        if frame.count > MAX_AUX {
            let at = r.start as usize;
            return Err(self.err(at, format!("a collection of more than {MAX_AUX} items")));
        }
        let (map, count, first) = (frame.map, frame.count, frame.id + 1);
        if map && count % 2 == 1 && count <= 2 * EAGER_KEYS {
            self.check_key(first, id)?;
        }
        Ok(())
    }

    /// The key `key` against the keys before it in the mapping whose first child is `first`.
    fn check_key(&self, first: NodeId, key: NodeId) -> Result<(), YamlError> {
        let Some(name) = key_name(self.tree.node(key)) else {
            return Ok(());
        };
        let mut at = first;
        while at != key {
            if key_name(self.tree.node(at)) == Some(name) {
                return Err(YamlError {
                    help: SYNTAX_HELP,
                    offset: self.tree.recs[key as usize].start as usize,
                    message: format!("duplicate key `{name}` in a mapping"),
                });
            }
            // Past the key and its value.
            at = self.tree.recs[self.tree.recs[at as usize].next as usize].next;
        }
        Ok(())
    }

    /// Copies the subtree at `from` to the end of the tree, marked as a copy.
    fn copy_subtree(&mut self, from: NodeId, alias: bool) -> NodeId {
        let to = self.next_id();
        let end = self.tree.recs[from as usize].next;
        for i in from..end {
            let mut r = self.tree.recs[i as usize];
            r.next = r.next - from + to;
            r.mark(alias);
            self.tree.recs.push(r);
        }
        to
    }

    pub(super) fn end_frame(&mut self, end_span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.err(end_span.start, "unbalanced collection end"));
        };
        let start = self.tree.recs[frame.id as usize].start as usize;
        // A flow collection's end is its closing bracket; a block collection's end has no text.
        // Its start says nothing: saphyr starts a block sequence at its key's indentation at
        // its first entry (`ports:\n- {port: 80}`, a bracket), and an anchored block
        // collection's start covers the anchor.
        let flow = end_span.end > end_span.start
            && matches!(
                self.tree.text.as_bytes().get(end_span.start),
                Some(b']' | b'}')
            );
        if flow {
            self.tree.recs[frame.id as usize].set_flow();
        }
        let end = collection_end(start, flow, end_span, frame.last_end);
        self.close(frame.id, end, frame.count);
        if frame.map && frame.count > 0 {
            let added = if self.check_keys(frame.id)? {
                self.apply_merge_keys(frame.id)?
            } else {
                0
            };
            if frame.count + added > MAX_AUX {
                return Err(self.err(start, format!("a collection of more than {MAX_AUX} items")));
            }
            self.close(frame.id, end, frame.count + added);
        }
        self.finish(frame.id, frame.anchor)
    }

    /// Records a collection's end, the id past its subtree and its child count.
    fn close(&mut self, id: NodeId, end: usize, count: usize) {
        let next = self.next_id();
        let r = &mut self.tree.recs[id as usize];
        r.end = end as u32;
        r.next = next;
        r.set_aux(count);
    }

    /// Refuses a key written twice in a large mapping (small ones are checked key by key as they
    /// are read), and says whether the mapping holds a `<<` merge key.
    fn check_keys(&self, map: NodeId) -> Result<bool, YamlError> {
        let Some(entries) = self.tree.node(map).as_map() else {
            return Ok(false);
        };
        let has_merge = entries.iter().any(|e| is_merge_key(e.key));
        if entries.len() > EAGER_KEYS {
            let mut seen = HashSet::with_capacity(entries.len());
            for e in entries.iter() {
                if let Some(name) = key_name(e.key) {
                    if !seen.insert(name) {
                        return Err(YamlError {
                            help: SYNTAX_HELP,
                            offset: e.key.span().start,
                            message: format!("duplicate key `{name}` in a mapping"),
                        });
                    }
                }
            }
        }
        Ok(has_merge)
    }

    /// YAML 1.1 merge keys (`<<: *base`), which Kubernetes' YAML reader honours: entries
    /// already in the mapping win over merged ones, and earlier sources over later ones. The
    /// `<<` entry stays where it was written and is skipped when reading; the entries it
    /// merges are copied after the mapping's own. Returns how many children were added.
    fn apply_merge_keys(&mut self, map: NodeId) -> Result<usize, YamlError> {
        // The record already counts its children, and no `<<` is marked yet: every pair shows.
        let Some(entries) = self.tree.node(map).as_map() else {
            return Ok(0);
        };
        let (merges, own): (Vec<Entry>, Vec<Entry>) =
            entries.iter().partition(|e| is_merge_key(e.key));
        let merges: Vec<(NodeId, NodeId)> =
            merges.iter().map(|e| (e.key.id(), e.value.id())).collect();
        let own_keys: Vec<NodeId> = own.iter().map(|e| e.key.id()).collect();
        if merges.is_empty() {
            return Ok(0);
        }
        self.tree.recs[map as usize].mark_has_merge();
        // Keys by their text (None: null or not a scalar, which match one another, as before).
        let mut taken: HashSet<Option<String>> = own_keys
            .iter()
            .map(|&k| self.tree.node(k).as_str().map(str::to_string))
            .collect();
        let mut added = 0;
        for (key, value) in merges {
            self.tree.recs[key as usize].mark_merge_key();
            let sources: Vec<NodeId> = match self.tree.node(value).kind() {
                NodeKind::Map(_) => vec![value],
                NodeKind::Seq(items) => items.iter().map(|n| n.id()).collect(),
                NodeKind::Scalar(_) => vec![],
            };
            for src in sources {
                let Some(entries) = self.tree.node(src).as_map() else {
                    continue;
                };
                let pairs: Vec<(NodeId, NodeId, Option<String>)> = entries
                    .iter()
                    .map(|e| (e.key.id(), e.value.id(), e.key.as_str().map(str::to_string)))
                    .collect();
                for (k, v, name) in pairs {
                    if !taken.insert(name) {
                        continue;
                    }
                    // Not charged to the alias budget: an alias bringing the source was charged
                    // already, and a mapping written inline is bounded by the text.
                    self.check_room(self.tree.recs[k as usize].start as usize)?;
                    self.copy_subtree(k, false);
                    self.copy_subtree(v, false);
                    added += 2;
                }
            }
        }
        Ok(added)
    }

    pub(super) fn scalar(
        &mut self,
        value: &str,
        span: Span,
        style: ScalarStyle,
        anchor: usize,
    ) -> Result<(), YamlError> {
        let mut rec = Rec::scalar(span, style);
        let text = &self.tree.text;
        let written = text.get(span.start..span.end).unwrap_or("");
        // The direct reader hands over slices of the text itself: equal by address, not
        // compared byte by byte.
        let same = |a: &str, b: &str| std::ptr::eq(a, b) || a == b;
        if same(written, value) {
            // The common case: the value is the text.
        } else if style != ScalarStyle::Plain
            && written.len() >= 2
            && written
                .get(1..written.len() - 1)
                .is_some_and(|inner| same(inner, value))
        {
            rec.set_value_inner();
        } else {
            let index = self.tree.pooled.len();
            if index >= MAX_AUX || self.tree.pool.len() + value.len() >= u32::MAX as usize {
                return Err(self.err(span.start, "too many escaped or folded scalars in one file"));
            }
            let a = self.tree.pool.len() as u32;
            self.tree.pool.push_str(value);
            self.tree.pooled.push((a, self.tree.pool.len() as u32));
            rec.set_value_pool(index);
        }
        let id = self.next_id();
        rec.next = id + 1;
        self.tree.recs.push(rec);
        self.finish(id, anchor)
    }

    fn on_event(&mut self, ev: Event<'_>, yspan: YSpan) -> Result<(), YamlError> {
        let span = self.offsets.span(&yspan);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let style = match style {
                    SaphyrStyle::Plain => ScalarStyle::Plain,
                    SaphyrStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    SaphyrStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    SaphyrStyle::Literal => ScalarStyle::Literal,
                    SaphyrStyle::Folded => ScalarStyle::Folded,
                };
                self.scalar(&text, span, style, anchor)
            }
            Event::Alias(id) => {
                let Some(&target) = self.anchors.get(&id) else {
                    return Err(self.err(span.start, "alias to an unknown anchor"));
                };
                let weight = (self.tree.recs[target as usize].next - target) as usize;
                self.spend(weight, span.start)?;
                let copy = self.copy_subtree(target, true);
                let r = &mut self.tree.recs[copy as usize];
                r.start = span.start as u32;
                r.end = span.end as u32;
                self.finish(copy, 0)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open(span.start, matches!(ev, Event::MappingStart(..)), anchor)
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_frame(span),
            _ => Ok(()),
        }
    }

    /// A collection starts at byte `start` of the file; its children follow until
    /// [`Builder::end_frame`], which says whether it was written in flow style.
    pub(super) fn open(&mut self, start: usize, map: bool, anchor: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(start, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let id = self.next_id();
        self.tree.recs.push(Rec::collection(start, map, false));
        self.stack.push(Frame {
            id,
            anchor,
            map,
            count: 0,
            last_end: None,
        });
        Ok(())
    }
}

fn collection_end(start: usize, flow: bool, end_event: Span, last_child: Option<usize>) -> usize {
    if flow {
        end_event.end.max(start)
    } else {
        last_child.unwrap_or(start).max(start)
    }
}

/// Parses one document chunk that starts at byte `base` of its file.
///
/// kubectl reads YAML with go-yaml, which accepts some text YAML 1.2 refuses: lines of a flow
/// collection or quoted scalar at the key's indentation or less, tabs after `:` (see
/// [`super::lenient`]). When the strict parse fails, the chunk is rewritten the way go-yaml reads
/// it and parsed again, and every position is mapped back onto the text as written. If that fails
/// too, the error reported is the one further into the document: the rewrite got past the first.
fn parse_document(
    tree: &mut Tree,
    chunk: &str,
    base: usize,
    direct: bool,
) -> Result<Option<NodeId>, YamlError> {
    if direct {
        if let Some(root) = read_directly(tree, chunk, base) {
            return Ok(root);
        }
    }
    let strict = parse_once(tree, chunk, chunk, base, &[]);
    let Err(first) = strict else {
        return strict;
    };
    let edits = super::lenient::rewrite(chunk);
    if edits.is_empty() {
        return Err(first);
    }
    let parsed = edits.apply(chunk);
    match parse_once(tree, chunk, &parsed, base, &edits.pads) {
        Err(second) if second.offset <= first.offset => Err(first),
        other => other,
    }
}

/// The document `chunk` (at byte `base` of the file) read by [`super::direct`]: its root, or
/// `None`, the tree left as it was, when the direct reader declines it.
pub(super) fn read_directly(tree: &mut Tree, chunk: &str, base: usize) -> Option<Option<NodeId>> {
    rolled_back_on_error(tree, |tree| {
        let mut b = Builder::new(tree, Offsets::ascii(chunk, base));
        super::direct::read(&mut b, chunk, base)?;
        Ok::<_, super::direct::Declined>(b.root)
    })
    .ok()
}

/// Parses `parsed` (the chunk, or a rewrite of it) into `tree`. On an error, the tree is left
/// as it was before.
fn parse_once(
    tree: &mut Tree,
    chunk: &str,
    parsed: &str,
    base: usize,
    pads: &[(usize, usize)],
) -> Result<Option<NodeId>, YamlError> {
    rolled_back_on_error(tree, |tree| build(tree, chunk, parsed, base, pads))
}

/// Runs `read` on the tree, and leaves the tree as it was if it fails.
fn rolled_back_on_error<E>(
    tree: &mut Tree,
    read: impl FnOnce(&mut Tree) -> Result<Option<NodeId>, E>,
) -> Result<Option<NodeId>, E> {
    let marks = (
        tree.recs.len(),
        tree.pool.len(),
        tree.pooled.len(),
        tree.copied,
    );
    let result = read(tree);
    if result.is_err() {
        tree.recs.truncate(marks.0);
        tree.pool.truncate(marks.1);
        tree.pooled.truncate(marks.2);
        tree.copied = marks.3;
    }
    result
}

fn build(
    tree: &mut Tree,
    chunk: &str,
    parsed: &str,
    base: usize,
    pads: &[(usize, usize)],
) -> Result<Option<NodeId>, YamlError> {
    let mut b = Builder::new(tree, Offsets::new(chunk, parsed, base, pads));
    let parser = Parser::new_from_str(parsed);
    let mut documents = 0;
    for item in parser {
        match item {
            Ok((ev, span)) => {
                if matches!(ev, Event::DocumentStart(_)) {
                    documents += 1;
                    if documents > 1 {
                        // A `...` end marker followed by more content: not something we cut on.
                        let at = b.offsets.byte(span.start.index());
                        return Err(b.err(at, "a second document after `...` without `---`"));
                    }
                }
                b.on_event(ev, span)?;
            }
            Err(e) => {
                let at = b.offsets.byte(e.marker().index());
                return Err(b.err(at, e.info().to_string()));
            }
        }
    }
    Ok(b.root)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stream of a one-document text.
    fn one(text: &str) -> Stream {
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs
    }

    fn root(stream: &Stream) -> Node<'_> {
        stream.roots().next().unwrap()
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "a:\n  b: [\"x\", y]\n";
        let stream = one(text);
        let root = root(&stream);
        let b = root.get("a").unwrap().entry("b").unwrap();
        assert_eq!(&text[b.key.span().start..b.key.span().end], "b");
        let v = &b.value;
        assert_eq!(&text[v.span().start..v.span().end], "[\"x\", y]");
        let x = &v.as_seq().unwrap().get(0).unwrap();
        assert!(!x.as_scalar().unwrap().plain);
        assert_eq!(x.as_str(), Some("x"));
    }

    #[test]
    fn an_error_in_one_document_leaves_the_others() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 3);
        assert!(docs.documents[0].result.is_ok());
        let err = docs.documents[1].result.as_ref().unwrap_err();
        assert!(err.offset >= 9 && err.offset <= 15, "{err:?}");
        let third = docs.documents[2].result.clone().unwrap().unwrap();
        assert_eq!(docs.tree.node(third).get("c").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn a_block_sequence_at_its_keys_indentation_of_flow_mappings_is_block() {
        let text = "ports:\n- {port: 80}\n- {port: 81}\n";
        for direct in [false, true] {
            let stream = parse_text_with(Arc::from(text), usize::MAX, direct);
            let ports = root(&stream).get("ports").unwrap();
            assert!(!ports.is_flow(), "direct: {direct}");
            assert_eq!(
                &text[ports.span().start..ports.span().end],
                "{port: 80}\n- {port: 81}"
            );
        }
    }

    #[test]
    fn flow_style_is_what_the_closing_bracket_says() {
        let text = "a: &a\n  b: 1\nc: !!seq [80]\nd: [[e]: f]\ng: &g {h: 1}\n";
        let stream = one(text);
        let root = root(&stream);
        assert!(!root.get("a").unwrap().is_flow());
        assert!(root.get("c").unwrap().is_flow());
        let d = root.get("d").unwrap();
        assert!(d.is_flow());
        // The one-pair mapping without braces inside a flow sequence has no brackets of its own.
        assert!(!d.as_seq().unwrap().get(0).unwrap().is_flow());
        assert!(root.get("g").unwrap().is_flow());
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let docs = parse_stream("a: 1\na: 2\n");
        let err = docs.documents[0].result.as_ref().unwrap_err();
        assert_eq!(err.offset, 5);
        assert!(err.message.contains("duplicate key `a`"));
    }

    #[test]
    fn alias_bombs_hit_the_node_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse_stream(&text);
        let err = docs.documents[0].result.as_ref().unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(100_000);
        let docs = parse_stream(&text);
        let err = docs.documents[0].result.as_ref().unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err:?}"
        );
    }

    #[test]
    fn merge_keys_fill_in_missing_entries() {
        let stream = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let root = root(&stream);
        let m = root.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(m.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn closing_brackets_at_the_key_indentation_are_accepted_as_kubectl_does() {
        let text = "data:\n  k: [\n      \"a\",\n  ]\n  m: {\n    x: 1,\n  }\nnext: é\n";
        let stream = one(text);
        let root = root(&stream);
        let k = root.get("data").unwrap().entry("k").unwrap();
        assert_eq!(&text[k.key.span().start..k.key.span().end], "k");
        let item = &k.value.as_seq().unwrap().get(0).unwrap();
        assert_eq!(&text[item.span().start..item.span().end], "\"a\"");
        assert_eq!(
            &text[k.value.span().start..k.value.span().end],
            "[\n      \"a\",\n  ]"
        );
        let x = root
            .get("data")
            .unwrap()
            .get("m")
            .unwrap()
            .entry("x")
            .unwrap();
        assert_eq!(&text[x.key.span().start..x.key.span().end], "x");
        let next = root.entry("next").unwrap();
        assert_eq!(&text[next.value.span().start..next.value.span().end], "é");
    }

    fn text_of<'t>(text: &'t str, n: Node<'_>) -> &'t str {
        &text[n.span().start..n.span().end]
    }

    #[test]
    fn quoted_lines_at_the_key_indentation_are_read_as_kubectl_does() {
        let text = "metadata:\n  annotations:\n    note: 'first line\n    second line'\n    quoted: \"a\n  b\"\n    é: ü\n  name: x\n";
        let stream = one(text);
        let root = root(&stream);
        let ann = root.get("metadata").unwrap().get("annotations").unwrap();
        let note = ann.entry("note").unwrap();
        assert_eq!(note.value.as_str(), Some("first line second line"));
        assert_eq!(text_of(text, note.value), "'first line\n    second line'");
        let quoted = ann.entry("quoted").unwrap();
        assert_eq!(quoted.value.as_str(), Some("a b"));
        assert_eq!(text_of(text, quoted.key), "quoted");
        let e = ann.entry("é").unwrap();
        assert_eq!(text_of(text, e.key), "é");
        assert_eq!(text_of(text, e.value), "ü");
        let name = root.get("metadata").unwrap().entry("name").unwrap();
        assert_eq!(text_of(text, name.key), "name");
        assert_eq!(text_of(text, name.value), "x");
    }

    #[test]
    fn tabs_go_yaml_skips_are_whitespace() {
        let text = "ports: {a:\t80, b: [443,\n\t8443]}\nkey:\tvalue\n";
        let stream = one(text);
        let root = root(&stream);
        let ports = root.get("ports").unwrap();
        let a = ports.get("a").unwrap();
        assert_eq!((a.as_str(), text_of(text, a)), (Some("80"), "80"));
        let b = ports.get("b").unwrap().as_seq().unwrap();
        assert_eq!(text_of(text, b.get(1).unwrap()), "8443");
        let key = root.entry("key").unwrap();
        assert_eq!(text_of(text, key.value), "value");
        // A tab inside a plain scalar is part of it.
        assert_eq!(
            one("a: [x\ty]\n")
                .roots()
                .next()
                .unwrap()
                .get("a")
                .unwrap()
                .as_seq()
                .unwrap()
                .get(0)
                .unwrap()
                .as_str(),
            Some("x\ty")
        );
    }

    #[test]
    fn what_go_yaml_refuses_stays_an_error_at_its_position() {
        // A plain scalar cannot go on at its key's indentation (go-yaml: "could not find
        // expected ':'").
        let text = "a:\n  b: x\n  y\n";
        let err = parse_stream(text).documents[0].result.clone().unwrap_err();
        assert!(err.offset > text.find("  y").unwrap(), "{err:?}");
        // A document end marker inside a quoted scalar.
        let err = parse_stream("a: 'x\n...\n'\n").documents[0]
            .result
            .clone()
            .unwrap_err();
        assert_eq!(err.offset, 3, "{err:?}");
        // Unclosed after the rewrite: the error is still reported, on the bracket's document.
        let text = "a:\n  b: [1,\n  2\n";
        assert!(parse_stream(text).documents[0].result.is_err());
    }

    #[test]
    fn past_what_kubectl_accepts_the_real_error_is_reported() {
        let text = "a: {x:\t1}\nb: 'wrapped\nline'\na: 2\n";
        let err = parse_stream(text).documents[0].result.clone().unwrap_err();
        assert_eq!(err.offset, text.rfind("a: 2").unwrap(), "{err:?}");
        assert!(err.message.contains("duplicate key `a`"), "{err:?}");
    }

    #[test]
    fn positions_inside_inserted_spaces_map_to_the_content() {
        let chunk = "ab\ncd\n";
        let pads = [(3, 2), (4, 1)];
        let parsed = "ab\n  c d\n";
        let o = Offsets::new(chunk, parsed, 10, &pads);
        let map: Vec<usize> = (0..parsed.len()).map(|i| o.byte(i) - 10).collect();
        assert_eq!(map, [0, 1, 2, 3, 3, 3, 4, 4, 5]);
    }

    #[test]
    fn blank_and_comment_only_documents_are_dropped() {
        assert!(parse_stream("# only a comment\n---\n---\n").is_empty());
    }

    #[test]
    fn non_ascii_spans_are_byte_offsets() {
        let text = "é: ü\nk: v\n";
        let stream = one(text);
        let root = root(&stream);
        let e = root.entry("k").unwrap();
        assert_eq!(&text[e.key.span().start..e.key.span().end], "k");
    }

    #[test]
    fn the_tree_keeps_styles_and_marks_copies() {
        let text = "plain: a\nsingle: 'b'\ndouble: \"c\\td\"\nlit: |\n  x\nfold: >\n  y\nflow: &f [1, {k: v}]\nblock:\n  - 1\ncopy: *f\n";
        let stream = one(text);
        let root = root(&stream);
        let style = |k: &str| root.get(k).unwrap().scalar().unwrap().style;
        assert_eq!(style("plain"), ScalarStyle::Plain);
        assert_eq!(style("single"), ScalarStyle::SingleQuoted);
        assert_eq!(style("double"), ScalarStyle::DoubleQuoted);
        assert_eq!(style("lit"), ScalarStyle::Literal);
        assert_eq!(style("fold"), ScalarStyle::Folded);
        // Values YAML rewrites come from the pool; the others are the text.
        assert_eq!(root.get("double").unwrap().as_str(), Some("c\td"));
        assert_eq!(root.get("lit").unwrap().as_str(), Some("x\n"));
        assert_eq!(root.get("single").unwrap().as_str(), Some("b"));
        let flow = root.get("flow").unwrap();
        assert!(flow.is_flow() && !flow.is_copy());
        assert_eq!(text_of(text, flow), "&f [1, {k: v}]");
        assert!(flow.as_seq().unwrap().get(1).unwrap().is_flow());
        assert!(!root.get("block").unwrap().is_flow());
        let copy = root.get("copy").unwrap();
        assert!(copy.is_copy());
        assert_eq!(text_of(text, copy), "*f");
        let inner = copy.as_seq().unwrap().get(1).unwrap();
        assert!(inner.is_copy());
        assert_eq!(inner.get("k").unwrap().as_str(), Some("v"));
    }

    #[test]
    fn documents_of_one_file_share_one_tree() {
        let stream = parse_stream("a: 1\n---\nb: [2, 3]\n");
        let roots: Vec<Node> = stream.roots().collect();
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[1].get("b").unwrap().as_seq().unwrap().len(), 2);
        // Two maps, two keys, four scalar values: eight nodes, 16 bytes each.
        assert_eq!(stream.tree.len(), 8);
    }

    #[test]
    fn the_first_duplicate_key_in_the_text_is_the_one_reported() {
        let docs = parse_stream("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n");
        let err = docs.documents[0].result.clone().unwrap_err();
        assert_eq!(err.offset, 5, "{err:?}");
        // In a large mapping too (checked when it closes).
        let mut big: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        big.push_str("k7: again\n");
        let err = parse_stream(&big).documents[0].result.clone().unwrap_err();
        assert!(err.message.contains("duplicate key `k7`"), "{err:?}");
    }

    #[test]
    fn a_merge_from_an_alias_is_charged_once() {
        // Four merges of a 40,001-item anchor: 160k copies, under the 250k budget (a merge
        // charged again for what its alias brought would pass it).
        let items: String = (0..40_001).map(|i| format!("{i},")).collect();
        let mut text = format!("b: &b {{k: [{items}]}}\n");
        for m in 0..4 {
            text.push_str(&format!("m{m}:\n  <<: *b\n  own: 1\n"));
        }
        let stream = parse_stream(&text);
        let root = stream.roots().next().expect("parses");
        let k = root.get("m3").unwrap().get("k").unwrap();
        assert_eq!(k.as_seq().unwrap().len(), 40_001);
        assert!(k.is_copy());
    }

    #[test]
    fn aliases_are_budgeted_per_file_too() {
        // Each document stays under its own budget; together they pass the file's.
        let items: String = (0..1_000).map(|i| format!("{i},")).collect();
        let doc = format!("a: &a [{items}]\nb: [{}]\n", vec!["*a"; 200].join(","));
        let text = vec![doc; 8].join("---\n");
        let stream = parse_stream(&text);
        let failed = stream
            .documents
            .iter()
            .filter(|d| d.result.is_err())
            .count();
        assert!(stream.documents[0].result.is_ok());
        assert!(failed >= 3, "{failed} of {} failed", stream.documents.len());
        let err = stream.documents.last().unwrap().result.clone().unwrap_err();
        assert!(err.message.contains("this file"), "{err:?}");
    }

    #[test]
    fn null_keys_merge_as_before() {
        // A null key of the mapping's own wins over a merged null key.
        let stream = one("m: {<<: {~: 1, x: 2}, ~: 3}\n");
        let m = root(&stream).get("m").unwrap();
        assert_eq!(m.as_map().unwrap().len(), 2);
    }
}
