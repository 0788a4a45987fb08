//! YAML text → [`Node`] trees, one per document, built from saphyr-parser's event stream.
//!
//! The stream is cut into documents at `---` lines before parsing, so a syntax error in one
//! document leaves the others readable (YAML forbids `---` at column 0 inside any scalar, so the cut
//! is exact). The tree is built iteratively with bounded depth, and aliases are expanded against a
//! node budget, so no input can overflow the stack or expand into unbounded memory.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use super::node::{Entry, Node, Scalar, Value};
use super::source::Span;

/// Deeper nesting than this is no Kubernetes manifest and is refused.
pub const MAX_DEPTH: usize = 256;
/// Nodes that alias expansion may add to one document. Nodes written out in the text are bounded
/// by the file size limit; copies made by aliases are not, and an alias bomb multiplies them.
pub const MAX_ALIAS_NODES: usize = 250_000;

/// One document of a stream: its byte range in the file and what it parsed to.
#[derive(Debug)]
pub struct RawDocument {
    pub span: Span,
    pub result: Result<Option<Node>, YamlError>,
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
pub fn parse_stream(text: &str) -> Vec<RawDocument> {
    parse_stream_limited(text, usize::MAX)
}

/// Like [`parse_stream`], reading at most `limit` documents; past that, one more entry carries
/// the error that says so, at the first document left unread.
pub fn parse_stream_limited(text: &str, limit: usize) -> Vec<RawDocument> {
    let mut out = Vec::new();
    for (start, end) in split_documents(text) {
        let chunk = &text[start..end];
        if is_blank_document(chunk) {
            continue;
        }
        if out.len() == limit {
            out.push(RawDocument {
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
        out.push(RawDocument {
            span: Span::new(start, end),
            result: parse_document(chunk, start),
        });
    }
    out
}

/// Byte ranges of the documents: cut before every line that starts with `---` followed by
/// whitespace or the end of the line.
fn split_documents(text: &str) -> Vec<(usize, usize)> {
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

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        flow: bool,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        flow: bool,
        entries: Vec<Entry>,
        keys: HashSet<String>,
        pending_key: Option<Node>,
    },
}

struct Builder<'a> {
    offsets: Offsets<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    root: Option<Node>,
}

fn node_count(n: &Node) -> usize {
    // Iterative, so that counting never recurses deeply.
    let mut count = 0;
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => todo.extend(entries.iter().flat_map(|e| [&e.key, &e.value])),
        }
    }
    count
}

impl Builder<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> YamlError {
        YamlError {
            help: SYNTAX_HELP,
            offset,
            message: message.into(),
        }
    }

    /// Adds a finished node to its parent. `copied` is how many nodes an alias brings again
    /// (0 for nodes written in the text).
    fn push_node(&mut self, node: Node, anchor: usize, copied: usize) -> Result<(), YamlError> {
        self.alias_nodes += copied;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(self.err(
                node.span.start,
                format!(
                    "aliases expand this document by more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                ),
            ));
        }
        if anchor != 0 {
            let weight = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), weight));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if let Some(k) = key.as_scalar().filter(|s| !(s.plain && s.text == "<<")) {
                        if !keys.insert(k.text.to_string()) {
                            return Err(YamlError {
                                help: SYNTAX_HELP,
                                offset: key.span.start,
                                message: format!("duplicate key `{}` in a mapping", k.text),
                            });
                        }
                    }
                    entries.push(Entry { key, value: node });
                }
            },
        }
        Ok(())
    }

    fn end_frame(&mut self, end_span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.err(end_span.start, "unbalanced collection end"));
        };
        let (node, anchor) = match frame {
            Frame::Seq {
                start,
                anchor,
                flow,
                items,
            } => {
                let end = collection_end(start, flow, end_span, items.last().map(|n| n.span.end));
                let value = Value::Seq(items.into_boxed_slice());
                (
                    Node {
                        span: Span::new(start, end),
                        value,
                    },
                    anchor,
                )
            }
            Frame::Map {
                start,
                anchor,
                flow,
                entries,
                ..
            } => {
                let last = entries.last().map(|e| e.value.span.end);
                let end = collection_end(start, flow, end_span, last);
                let value = Value::Map(apply_merge_keys(entries).into_boxed_slice());
                (
                    Node {
                        span: Span::new(start, end),
                        value,
                    },
                    anchor,
                )
            }
        };
        self.push_node(node, anchor, 0)
    }

    fn on_event(&mut self, ev: Event<'_>, yspan: YSpan) -> Result<(), YamlError> {
        let span = self.offsets.span(&yspan);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node {
                    span,
                    value: Value::Scalar(Scalar {
                        text: compact_str::CompactString::from(text.as_ref()),
                        plain: style == ScalarStyle::Plain,
                    }),
                };
                self.push_node(node, anchor, 0)
            }
            Event::Alias(id) => {
                let Some((target, weight)) = self.anchors.get(&id).cloned() else {
                    return Err(self.err(span.start, "alias to an unknown anchor"));
                };
                let mut node = target;
                node.span = span;
                self.push_node(node, 0, weight)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.err(
                        span.start,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let flow =
                    self.offsets.chunk[span.start - self.offsets.base..].starts_with(['[', '{']);
                self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        start: span.start,
                        anchor,
                        flow,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        start: span.start,
                        anchor,
                        flow,
                        entries: Vec::new(),
                        keys: HashSet::new(),
                        pending_key: None,
                    }
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_frame(span),
            _ => Ok(()),
        }
    }
}

fn collection_end(start: usize, flow: bool, end_event: Span, last_child: Option<usize>) -> usize {
    if flow {
        end_event.end.max(start)
    } else {
        last_child.unwrap_or(start).max(start)
    }
}

/// YAML 1.1 merge keys (`<<: *base`), which Kubernetes' YAML reader honours: entries already in
/// the mapping win over merged ones.
fn apply_merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let is_merge = |e: &Entry| e.key.as_scalar().is_some_and(|s| s.plain && s.text == "<<");
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for m in merges {
        let sources: Vec<Node> = match m.value.value {
            Value::Map(_) => vec![m.value],
            Value::Seq(items) => items.into_vec(),
            _ => vec![],
        };
        for src in sources {
            if let Value::Map(src_entries) = src.value {
                for e in src_entries {
                    let k = e.key.as_str().map(str::to_string);
                    if !own.iter().any(|o| o.key.as_str() == k.as_deref()) {
                        own.push(e);
                    }
                }
            }
        }
    }
    own
}

/// Parses one document chunk that starts at byte `base` of its file.
///
/// kubectl reads YAML with go-yaml, which accepts some text YAML 1.2 refuses: lines of a flow
/// collection or quoted scalar at the key's indentation or less, tabs after `:` (see
/// [`super::lenient`]). When the strict parse fails, the chunk is rewritten the way go-yaml reads
/// it and parsed again, and every position is mapped back onto the text as written. If that fails
/// too, the error reported is the one further into the document: the rewrite got past the first.
fn parse_document(chunk: &str, base: usize) -> Result<Option<Node>, YamlError> {
    let strict = parse_once(chunk, chunk, base, &[]);
    let Err(first) = strict else {
        return strict;
    };
    let edits = super::lenient::rewrite(chunk);
    if edits.is_empty() {
        return Err(first);
    }
    let parsed = edits.apply(chunk);
    match parse_once(chunk, &parsed, base, &edits.pads) {
        Err(second) if second.offset <= first.offset => Err(first),
        other => other,
    }
}

fn parse_once(
    chunk: &str,
    parsed: &str,
    base: usize,
    pads: &[(usize, usize)],
) -> Result<Option<Node>, YamlError> {
    let mut b = Builder {
        offsets: Offsets::new(chunk, parsed, base, pads),
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        root: None,
    };
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

    fn one(text: &str) -> Node {
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.into_iter().next().unwrap().result.unwrap().unwrap()
    }

    #[test]
    fn keys_and_values_keep_their_spans() {
        let text = "a:\n  b: [\"x\", y]\n";
        let root = one(text);
        let b = root.get("a").unwrap().entry("b").unwrap();
        assert_eq!(&text[b.key.span.start..b.key.span.end], "b");
        let v = &b.value;
        assert_eq!(&text[v.span.start..v.span.end], "[\"x\", y]");
        let x = &v.as_seq().unwrap()[0];
        assert!(!x.as_scalar().unwrap().plain);
        assert_eq!(x.as_str(), Some("x"));
    }

    #[test]
    fn an_error_in_one_document_leaves_the_others() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n";
        let docs = parse_stream(text);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].result.is_ok());
        let err = docs[1].result.as_ref().unwrap_err();
        assert!(err.offset >= 9 && err.offset <= 15, "{err:?}");
        assert_eq!(
            docs[2]
                .result
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .get("c")
                .unwrap()
                .as_str(),
            Some("3")
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let docs = parse_stream("a: 1\na: 2\n");
        let err = docs[0].result.as_ref().unwrap_err();
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
        let err = docs[0].result.as_ref().unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(100_000);
        let docs = parse_stream(&text);
        let err = docs[0].result.as_ref().unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err:?}"
        );
    }

    #[test]
    fn merge_keys_fill_in_missing_entries() {
        let root = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = root.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(m.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn closing_brackets_at_the_key_indentation_are_accepted_as_kubectl_does() {
        let text = "data:\n  k: [\n      \"a\",\n  ]\n  m: {\n    x: 1,\n  }\nnext: é\n";
        let root = one(text);
        let k = root.get("data").unwrap().entry("k").unwrap();
        assert_eq!(&text[k.key.span.start..k.key.span.end], "k");
        let item = &k.value.as_seq().unwrap()[0];
        assert_eq!(&text[item.span.start..item.span.end], "\"a\"");
        assert_eq!(
            &text[k.value.span.start..k.value.span.end],
            "[\n      \"a\",\n  ]"
        );
        let x = root
            .get("data")
            .unwrap()
            .get("m")
            .unwrap()
            .entry("x")
            .unwrap();
        assert_eq!(&text[x.key.span.start..x.key.span.end], "x");
        let next = root.entry("next").unwrap();
        assert_eq!(&text[next.value.span.start..next.value.span.end], "é");
    }

    fn text_of<'t>(text: &'t str, n: &Node) -> &'t str {
        &text[n.span.start..n.span.end]
    }

    #[test]
    fn quoted_lines_at_the_key_indentation_are_read_as_kubectl_does() {
        let text = "metadata:\n  annotations:\n    note: 'first line\n    second line'\n    quoted: \"a\n  b\"\n    é: ü\n  name: x\n";
        let root = one(text);
        let ann = root.get("metadata").unwrap().get("annotations").unwrap();
        let note = ann.entry("note").unwrap();
        assert_eq!(note.value.as_str(), Some("first line second line"));
        assert_eq!(text_of(text, &note.value), "'first line\n    second line'");
        let quoted = ann.entry("quoted").unwrap();
        assert_eq!(quoted.value.as_str(), Some("a b"));
        assert_eq!(text_of(text, &quoted.key), "quoted");
        let e = ann.entry("é").unwrap();
        assert_eq!(text_of(text, &e.key), "é");
        assert_eq!(text_of(text, &e.value), "ü");
        let name = root.get("metadata").unwrap().entry("name").unwrap();
        assert_eq!(text_of(text, &name.key), "name");
        assert_eq!(text_of(text, &name.value), "x");
    }

    #[test]
    fn tabs_go_yaml_skips_are_whitespace() {
        let text = "ports: {a:\t80, b: [443,\n\t8443]}\nkey:\tvalue\n";
        let root = one(text);
        let ports = root.get("ports").unwrap();
        let a = ports.get("a").unwrap();
        assert_eq!((a.as_str(), text_of(text, a)), (Some("80"), "80"));
        let b = ports.get("b").unwrap().as_seq().unwrap();
        assert_eq!(text_of(text, &b[1]), "8443");
        let key = root.entry("key").unwrap();
        assert_eq!(text_of(text, &key.value), "value");
        // A tab inside a plain scalar is part of it.
        assert_eq!(
            one("a: [x\ty]\n").get("a").unwrap().as_seq().unwrap()[0].as_str(),
            Some("x\ty")
        );
    }

    #[test]
    fn what_go_yaml_refuses_stays_an_error_at_its_position() {
        // A plain scalar cannot go on at its key's indentation (go-yaml: "could not find
        // expected ':'").
        let text = "a:\n  b: x\n  y\n";
        let err = parse_stream(text)[0].result.clone().unwrap_err();
        assert!(err.offset > text.find("  y").unwrap(), "{err:?}");
        // A document end marker inside a quoted scalar.
        let err = parse_stream("a: 'x\n...\n'\n")[0]
            .result
            .clone()
            .unwrap_err();
        assert_eq!(err.offset, 3, "{err:?}");
        // Unclosed after the rewrite: the error is still reported, on the bracket's document.
        let text = "a:\n  b: [1,\n  2\n";
        assert!(parse_stream(text)[0].result.is_err());
    }

    #[test]
    fn past_what_kubectl_accepts_the_real_error_is_reported() {
        let text = "a: {x:\t1}\nb: 'wrapped\nline'\na: 2\n";
        let err = parse_stream(text)[0].result.clone().unwrap_err();
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
        let root = one(text);
        let e = root.entry("k").unwrap();
        assert_eq!(&text[e.key.span.start..e.key.span.end], "k");
    }
}
