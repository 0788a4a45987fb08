//! The YAML most manifests are written in, read straight into the tree without saphyr's token
//! and event streams: block mappings and sequences, flow collections on one line, plain and
//! quoted scalars on one line, comments. It builds exactly the nodes and spans that saphyr's
//! events build (`tests` below hold it to that, document by document) and declines everything
//! else: anchors, aliases, tags, block scalars, scalars or flow collections over several lines,
//! escapes, empty sequence items, `?` keys, directives, `...`, tabs, CR, text that is not
//! ASCII, and every error. A declined document is read by saphyr as before, so the direct
//! reader only ever makes reading faster: saphyr's scanner and parser took about half of a
//! lint's CPU (docs/performance.md).

use super::node::ScalarStyle;
use super::source::Span;
use super::yaml::Builder;

/// The document is not one the direct reader reads; saphyr reads it.
#[derive(Debug)]
pub(super) struct Declined;

type Read<T> = Result<T, Declined>;

/// What the builder refuses (a duplicate key, nesting too deep) saphyr reads again, to report
/// it as before.
impl From<super::yaml::YamlError> for Declined {
    fn from(_: super::yaml::YamlError) -> Self {
        Declined
    }
}

/// Keys longer than this are left to saphyr, which refuses those over 1024 characters.
const MAX_KEY: usize = 1000;

/// The next line that holds content: where its content starts and its indentation. `None` at
/// the end of the document.
type Next = Option<(usize, usize)>;

/// Reads the document `chunk`, which starts at byte `base` of its file, into `b`.
pub(super) fn read(b: &mut Builder<'_>, chunk: &str, base: usize) -> Read<()> {
    let s = chunk.as_bytes();
    // Control characters other than the line feed (saphyr stops at a NUL), and text that is not
    // ASCII (where saphyr counts characters, not bytes) are left to saphyr.
    if s.iter().any(|&c| c >= 0x7f || (c < 0x20 && c != b'\n')) {
        return Err(Declined);
    }
    let mut r = Reader { chunk, s, base, b };
    // The split leaves a `---` line only at the start; a comment may follow it.
    let first = if s.starts_with(b"---") {
        let end = r.rest_of_line(3)?;
        r.next_content(end)?
    } else {
        r.first_line(0)?
    };
    let Some((at, indent)) = first else {
        return Err(Declined);
    };
    match r.block_node(at, indent)? {
        Some(_) => Err(Declined),
        None => Ok(()),
    }
}

struct Reader<'s, 'b, 'a> {
    /// The document, all ASCII.
    chunk: &'s str,
    s: &'s [u8],
    base: usize,
    b: &'b mut Builder<'a>,
}

impl Reader<'_, '_, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(b'\n')
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.s.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    }

    fn line_end(&self, i: usize) -> usize {
        self.s[i.min(self.s.len())..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.s.len(), |n| i + n)
    }

    /// A dash that opens a block sequence entry.
    fn is_dash(&self, i: usize) -> bool {
        self.at(i) == b'-' && matches!(self.at(i + 1), b' ' | b'\n')
    }

    /// The content line that starts at or after byte `line_start` (a line's first byte).
    fn first_line(&self, mut line_start: usize) -> Read<Next> {
        let s = self.s;
        while line_start < s.len() {
            let content = self.skip_spaces(line_start);
            match self.at(content) {
                b'\n' | b'#' => {}
                _ => {
                    let indent = content - line_start;
                    if indent == 0
                        && (s[content..].starts_with(b"---") || s[content..].starts_with(b"..."))
                    {
                        return Err(Declined);
                    }
                    return Ok(Some((content, indent)));
                }
            }
            line_start = self.line_end(content) + 1;
        }
        Ok(None)
    }

    /// The content line after the line that ends at `line_end` (its `\n`, or the text's end).
    fn next_content(&self, line_end: usize) -> Read<Next> {
        self.first_line(line_end + 1)
    }

    /// After a node that ends at `i`: nothing but spaces and a comment to the line's end, which
    /// is returned.
    fn rest_of_line(&self, i: usize) -> Read<usize> {
        let j = self.skip_spaces(i);
        match self.at(j) {
            b'\n' => Ok(j.min(self.s.len())),
            b'#' if j > i => Ok(self.line_end(j)),
            _ => Err(Declined),
        }
    }

    /// A block node whose content starts at `at`, in column `indent`.
    fn block_node(&mut self, at: usize, indent: usize) -> Read<Next> {
        if self.is_dash(at) {
            self.block_sequence(at, indent, false)
        } else if let Some(colon) = self.key_colon(at)? {
            self.block_mapping(at, colon, indent)
        } else {
            Err(Declined)
        }
    }

    /// Where the `:` of a block mapping key that starts at `at` is, if the line holds one.
    fn key_colon(&self, at: usize) -> Read<Option<usize>> {
        let colon = self.colon_after_key(at)?;
        // saphyr forgets a key whose `:` comes more than 1024 characters after its start, and
        // refuses the mapping.
        if colon.is_some_and(|colon| colon - at >= MAX_KEY) {
            return Err(Declined);
        }
        Ok(colon)
    }

    fn colon_after_key(&self, at: usize) -> Read<Option<usize>> {
        let c = self.at(at);
        if c == b'"' || c == b'\'' {
            let close = self.closing_quote(at)?;
            let j = self.skip_spaces(close + 1);
            return Ok((self.at(j) == b':' && matches!(self.at(j + 1), b' ' | b'\n')).then_some(j));
        }
        if !plain_may_start(c, self.at(at + 1)) {
            return Ok(None);
        }
        let mut i = at;
        loop {
            match self.at(i) {
                b'\n' => return Ok(None),
                b':' if matches!(self.at(i + 1), b' ' | b'\n') => return Ok(Some(i)),
                b'#' if self.at(i - 1) == b' ' => return Ok(None),
                _ => i += 1,
            }
        }
    }

    /// The closing quote of the one-line quoted scalar that opens at `at`.
    fn closing_quote(&self, at: usize) -> Read<usize> {
        let quote = self.s[at];
        let mut i = at + 1;
        loop {
            match self.at(i) {
                b'\n' => return Err(Declined),
                b'\\' if quote == b'"' => return Err(Declined),
                c if c == quote => {
                    // `''` is a single-quoted scalar's escaped quote.
                    if quote == b'\'' && self.at(i + 1) == b'\'' {
                        return Err(Declined);
                    }
                    return Ok(i);
                }
                _ => i += 1,
            }
        }
    }

    /// A block mapping whose first key starts at `at`, in column `indent`, its `:` at `colon`.
    fn block_mapping(&mut self, mut at: usize, mut colon: usize, indent: usize) -> Read<Next> {
        self.b.open(self.base + at, true, 0)?;
        loop {
            self.key(at, colon)?;
            let v = self.skip_spaces(colon + 1);
            let next = if matches!(self.at(v), b'\n' | b'#') {
                let after = self.next_content(self.line_end(v))?;
                match after {
                    Some((q, m)) if m > indent => self.block_node(q, m)?,
                    Some((q, m)) if m == indent && self.is_dash(q) => {
                        self.block_sequence(q, indent, true)?
                    }
                    _ => {
                        // No value: saphyr's empty scalar sits at the colon.
                        self.b
                            .scalar("", self.span(colon, colon), ScalarStyle::Plain, 0)?;
                        after
                    }
                }
            } else {
                let end = self.inline_value(v, false)?;
                let line_end = self.rest_of_line(end)?;
                self.next_content(line_end)?
            };
            match next {
                Some((q, m)) if m == indent && !self.is_dash(q) => {
                    at = q;
                    colon = self.key_colon(at)?.ok_or(Declined)?;
                }
                Some((_, m)) if m >= indent => return Err(Declined),
                _ => {
                    self.close_block()?;
                    return Ok(next);
                }
            }
        }
    }

    /// A block mapping's key, from `at` to its colon.
    fn key(&mut self, at: usize, colon: usize) -> Read<()> {
        if matches!(self.s[at], b'"' | b'\'') {
            // Its span ends at the colon, as saphyr's span of a quoted scalar runs on over the
            // spaces after it.
            self.quoted(at, false)?;
            return Ok(());
        }
        let end = self.trim_end(at, colon);
        self.plain(at, end)
    }

    /// A one-line quoted scalar that opens at `at`; returns where saphyr ends its span (see
    /// [`Reader::token_end`]).
    fn quoted(&mut self, at: usize, flow: bool) -> Read<usize> {
        let close = self.closing_quote(at)?;
        let end = self.token_end(close + 1, flow)?;
        let style = if self.s[at] == b'"' {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        let chunk = self.chunk;
        self.b
            .scalar(&chunk[at + 1..close], self.span(at, end), style, 0)?;
        Ok(end)
    }

    fn trim_end(&self, start: usize, mut end: usize) -> usize {
        while end > start && self.s[end - 1] == b' ' {
            end -= 1;
        }
        end
    }

    fn plain(&mut self, start: usize, end: usize) -> Read<()> {
        let chunk = self.chunk;
        self.b.scalar(
            &chunk[start..end],
            self.span(start, end),
            ScalarStyle::Plain,
            0,
        )?;
        Ok(())
    }

    /// A block collection's end, which saphyr gives no text.
    fn close_block(&mut self) -> Read<()> {
        self.b.end_frame(Span::new(0, 0))?;
        Ok(())
    }

    /// A block sequence whose first dash is at `at`, in column `indent`. An indentless one (a
    /// mapping value written at its key's column) ends at the first line there without a
    /// dash; saphyr starts it at its first entry's content.
    fn block_sequence(&mut self, mut at: usize, indent: usize, indentless: bool) -> Read<Next> {
        let start = if indentless {
            let content = self.skip_spaces(at + 1);
            if matches!(self.at(content), b'\n' | b'#') {
                return Err(Declined);
            }
            content
        } else {
            at
        };
        self.b.open(self.base + start, false, 0)?;
        loop {
            let v = self.skip_spaces(at + 1);
            let column = indent + (v - at);
            let next = if matches!(self.at(v), b'\n' | b'#') {
                match self.next_content(self.line_end(v))? {
                    Some((q, m)) if m > indent => self.block_node(q, m)?,
                    // An empty entry: saphyr places its null differently; left to saphyr.
                    _ => return Err(Declined),
                }
            } else if self.is_dash(v) {
                self.block_sequence(v, column, false)?
            } else if let Some(colon) = self.key_colon(v)? {
                self.block_mapping(v, colon, column)?
            } else {
                let end = self.inline_value(v, false)?;
                let line_end = self.rest_of_line(end)?;
                self.next_content(line_end)?
            };
            match next {
                Some((q, m)) if m == indent && self.is_dash(q) => at = q,
                Some((_, m)) if m > indent || (m == indent && !indentless) => {
                    return Err(Declined);
                }
                _ => {
                    self.close_block()?;
                    return Ok(next);
                }
            }
        }
    }

    /// A scalar or flow collection that starts at `at` and ends on its line; returns where it
    /// ends (for a quoted scalar, past the spaces and comment saphyr's span takes in).
    fn inline_value(&mut self, at: usize, flow: bool) -> Read<usize> {
        match self.at(at) {
            b'[' => self.flow_collection(at, false, flow),
            b'{' => self.flow_collection(at, true, flow),
            b'"' | b'\'' => self.quoted(at, flow),
            c if plain_may_start(c, self.at(at + 1)) => {
                let mut i = at;
                loop {
                    match self.at(i) {
                        b'\n' if flow => return Err(Declined),
                        b'\n' => break,
                        b':' if matches!(self.at(i + 1), b' ' | b'\n') => {
                            if flow {
                                break;
                            }
                            // `a: b: c` is an error.
                            return Err(Declined);
                        }
                        b':' if flow
                            && matches!(self.at(i + 1), b',' | b'[' | b']' | b'{' | b'}') =>
                        {
                            return Err(Declined);
                        }
                        b',' | b'[' | b']' | b'{' | b'}' if flow => break,
                        // In a flow, saphyr refuses a word of a plain scalar that starts with
                        // `-` and a flow indicator (`[x -]`), as it does the scalar's first.
                        b'-' if flow
                            && self.at(i - 1) == b' '
                            && matches!(self.at(i + 1), b',' | b'[' | b']' | b'{' | b'}') =>
                        {
                            return Err(Declined);
                        }
                        b'#' if self.at(i - 1) == b' ' => {
                            if flow {
                                return Err(Declined);
                            }
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let end = self.trim_end(at, i.min(self.s.len()));
                self.plain(at, end)?;
                Ok(end)
            }
            _ => Err(Declined),
        }
    }

    /// Where saphyr ends the span of a quoted scalar or a flow collection's closing bracket
    /// that ends before `i`: past the spaces after it and, outside a flow, past a comment to
    /// the line's end.
    fn token_end(&self, i: usize, flow: bool) -> Read<usize> {
        let j = self.skip_spaces(i);
        match self.at(j) {
            b'#' | b'\n' if flow => Err(Declined),
            // A comment needs a space before it.
            b'#' if j > i => Ok(self.line_end(j)),
            b'#' => Err(Declined),
            _ => Ok(j.min(self.s.len())),
        }
    }

    /// A flow sequence or mapping that opens at `at` and closes on the same line; returns where
    /// it ends (see [`Reader::token_end`]). `inside` is whether it is itself in a flow.
    fn flow_collection(&mut self, at: usize, map: bool, inside: bool) -> Read<usize> {
        let close = if map { b'}' } else { b']' };
        self.b.open(self.base + at, map, 0)?;
        let mut i = self.skip_spaces(at + 1);
        if self.at(i) != close {
            loop {
                if map {
                    if matches!(self.at(i), b'[' | b'{') {
                        return Err(Declined);
                    }
                    let end = self.inline_value(i, true)?;
                    let colon = self.skip_spaces(end);
                    if self.at(colon) != b':' || self.at(colon + 1) != b' ' {
                        return Err(Declined);
                    }
                    i = self.skip_spaces(colon + 1);
                    if matches!(self.at(i), b',' | b'}') {
                        return Err(Declined);
                    }
                }
                let end = self.inline_value(i, true)?;
                i = self.skip_spaces(end);
                match self.at(i) {
                    b',' => {
                        i = self.skip_spaces(i + 1);
                        if matches!(self.at(i), b']' | b'}') {
                            return Err(Declined);
                        }
                    }
                    c if c == close => break,
                    _ => return Err(Declined),
                }
            }
        }
        let end = self.token_end(i + 1, inside)?;
        self.b.end_frame(self.span(i, end))?;
        Ok(end)
    }
}

/// Whether a plain scalar may start with `c` followed by `next`: not with an indicator, and
/// with `-` only when no space follows. (YAML allows a few more, such as `?x` and `:x`; those
/// are left to saphyr.)
fn plain_may_start(c: u8, next: u8) -> bool {
    match c {
        b'-' => !matches!(next, b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'),
        b'[' | b']' | b'{' | b'}' | b',' | b'?' | b':' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::super::node::Tree;
    use super::super::yaml::{Stream, parse_text_with, read_directly, split_documents};

    /// Both readings of `text` are the same, node for node, span for span, error for error;
    /// returns how many of its documents the direct reader read, and how many there are.
    fn agree(text: &str) -> (usize, usize) {
        let saphyr = parse_text_with(Arc::from(text), usize::MAX, false);
        let direct = parse_text_with(Arc::from(text), usize::MAX, true);
        assert_same(&saphyr, &direct, text);
        let mut read = 0;
        let chunks = split_documents(text);
        for &(start, end) in &chunks {
            let mut tree = Tree::new(Arc::from(text));
            if read_directly(&mut tree, &text[start..end], start).is_some() {
                read += 1;
            }
        }
        (read, chunks.len())
    }

    fn assert_same(saphyr: &Stream, direct: &Stream, text: &str) {
        let docs = |s: &Stream| {
            s.documents
                .iter()
                .map(|d| (d.span, d.result.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(docs(saphyr), docs(direct), "documents of {text:?}");
        let (a, b) = (&saphyr.tree, &direct.tree);
        if let Some(i) =
            (0..a.recs.len().max(b.recs.len())).find(|&i| a.recs.get(i) != b.recs.get(i))
        {
            let show = |r: Option<&super::super::node::Rec>| {
                r.map(|r| format!("{r:?} {:?}", text.get(r.start as usize..r.end as usize)))
            };
            panic!(
                "node {i} differs: saphyr {:?}, direct {:?}, in {text:?}",
                show(a.recs.get(i)),
                show(b.recs.get(i))
            );
        }
        assert_eq!(
            (&a.pool, &a.pooled, a.copied),
            (&b.pool, &b.pooled, b.copied),
            "pooled values of {text:?}"
        );
    }

    fn reads(text: &str) {
        let (read, all) = agree(text);
        assert_eq!(read, all, "the direct reader declined part of {text:?}");
    }

    fn declines(text: &str) {
        let (read, _) = agree(text);
        assert_eq!(read, 0, "the direct reader read {text:?}");
    }

    #[test]
    fn reads_what_manifests_are_written_in_as_saphyr_does() {
        reads(
            "apiVersion: v1\nkind: X   # c\nmetadata:\n  name: \"a b\"\n  labels: {app: x, \"k\": 'v'}\n",
        );
        reads("list: [a, b c,  d ]\nspec:\n  - a\n  - b: 1\n    c: 2\n  -   x: [ ]\n  - {}\n");
        // An indentless sequence starts at its first entry's content, in saphyr's events.
        reads("z:\n- q\n- r\nd:\n- a: 1\n  b: 2\n");
        // A missing value is an empty scalar at the colon.
        reads("--- # c\n# top\na:\nb:   \n# mid\n\nc :  x\nd:\n  e:\n");
        // A quoted scalar's span runs on over spaces and a comment after it.
        reads(
            "g: \"x\"   \nh: \"x\"  # y  \ni: 'x' # z\n\"k\"  : 1\nl: [a, \"b\" ]\nm: {\"k\" : v}\n",
        );
        reads("url: http://x:8080/a\nm: {u: http://x, a:b: c}\nn: [a:b, -1, x ]\n");
        // So does a flow collection's.
        reads("a: {b: c}  # d\ne: [f]  \ng: [{h: i} , [j] ]\n");
        reads("  a: 1\n  b:\n    - x\n");
        reads("- - x\n  - y\n-\n  - z\n-\n  k: v\n");
        reads("a: 1\nb: 2");
        // A document saphyr refuses is refused alike, and the others read.
        assert_eq!(agree("a: 1\n---\nb: [\n---\nc: 3\n"), (2, 3));
    }

    #[test]
    fn declines_what_it_does_not_read() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  x\n",
            "a: >\n  x\n",
            "a: x\n  y\n",
            "a: [x,\n  y]\n",
            "a: \"x\\ty\"\n",
            "a: 'it''s'\n",
            "- a\n-\n- b\n",
            "? a\n: b\n",
            "a: 1\n...\n",
            "a:\tb\n",
            "a: b\r\n",
            "a: é\n",
            "a: b: c\n",
            "a: 1\na: 2\n",
            "[a, b]\n",
            "just a scalar\n",
            "a: [x, ]\n",
            "a: {x}\n",
            "a: {x: }\n",
            "a: [k: v]\n",
            "a: - b\n",
            // Found by an adversarial run against saphyr: what saphyr refuses.
            "a: [x -]\n",
            "a: {b: c -}\n",
            "a: \0\n",
            "---#c\na: 1\n",
            "#\0\na: 1\n",
        ] {
            declines(text);
        }
        declines(&format!("{}: v\n", "k".repeat(1025)));
        declines(&format!("- a: 1\n  {}: v\n", "k".repeat(1025)));
        declines(&format!("'{}': v\n", "k".repeat(1023)));
        reads(&format!("{}: v\n", "k".repeat(999)));
    }

    fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files_below(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                out.push(p);
            }
        }
    }

    /// Every manifest the repository holds: examples, fixtures, the rules' documents' trees.
    fn our_manifests() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in ["examples", "tests", "rules"] {
            files_below(&root.join(dir), &mut paths);
        }
        paths.sort();
        paths
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    #[test]
    fn agrees_with_saphyr_on_every_manifest_here_and_reads_most_of_them() {
        let (mut read, mut all) = (0, 0);
        for text in our_manifests() {
            let (r, a) = agree(&text);
            read += r;
            all += a;
        }
        assert!(all > 500, "{all} documents");
        assert!(
            read * 10 > all * 7,
            "read {read} of {all} documents directly"
        );
    }

    /// `AMBIENT_LINT_DIRECT_CORPUS=dir:dir… cargo test --release direct -- --ignored
    /// --nocapture`: the same on public repositories (docs/performance.md).
    #[test]
    #[ignore]
    fn agrees_with_saphyr_on_a_corpus() {
        let dirs = std::env::var("AMBIENT_LINT_DIRECT_CORPUS").unwrap_or_default();
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            let mut paths = Vec::new();
            files_below(Path::new(dir), &mut paths);
            let (mut read, mut all) = (0, 0);
            for p in &paths {
                let Ok(text) = std::fs::read_to_string(p) else {
                    continue;
                };
                let (r, a) = agree(&text);
                read += r;
                all += a;
            }
            println!(
                "{dir}: {} files, read {read} of {all} documents directly",
                paths.len()
            );
        }
    }

    /// `AMBIENT_LINT_DIRECT_CASES=cases.jsonl cargo test --release --lib direct -- --ignored
    /// --nocapture`: every line of the file a JSON string, a YAML text to read both ways (as
    /// `scripts/yaml-cases.py` writes them); every disagreement is printed, then counted.
    #[test]
    #[ignore]
    fn agrees_with_saphyr_on_generated_cases() {
        let Ok(path) = std::env::var("AMBIENT_LINT_DIRECT_CASES") else {
            return;
        };
        let cases = std::fs::read_to_string(path).unwrap();
        let (mut read, mut all, mut failed) = (0, 0, 0);
        for line in cases.lines().filter(|l| !l.is_empty()) {
            let text: String = serde_json::from_str(line).unwrap();
            match std::panic::catch_unwind(|| agree(&text)) {
                Ok((r, a)) => {
                    read += r;
                    all += a;
                }
                Err(_) => {
                    failed += 1;
                    println!("FAIL {line}");
                }
            }
        }
        println!("read {read} of {all} documents directly; {failed} cases disagree");
        assert_eq!(failed, 0);
    }

    /// Text edits that make YAML's structure go wrong in the ways it does.
    fn edit() -> impl Strategy<Value = (usize, usize)> {
        (0usize..100_000, 0usize..17)
    }

    const INSERTS: [&str; 15] = [
        " ", "\n", ":", "- ", "#", "'", "\"", "[", "]", "{", "}", ",", "  ", "\n  ", " -",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_saphyr_on_mutated_manifests(
            seed in 0usize..10_000,
            edits in prop::collection::vec(edit(), 1..6),
        ) {
            let texts = our_manifests();
            let mut text = texts[seed % texts.len()].clone();
            for (at, op) in edits {
                if text.is_empty() {
                    break;
                }
                let mut at = at % text.len();
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match op {
                    0 => {
                        let n = text[at..].chars().next().map_or(0, char::len_utf8);
                        text.replace_range(at..at + n, "");
                    }
                    1 => {
                        // Indent or dedent a line by two.
                        let line = text[..at].rfind('\n').map_or(0, |i| i + 1);
                        if text[line..].starts_with("  ") {
                            text.replace_range(line..line + 2, "");
                        } else {
                            text.insert_str(line, "  ");
                        }
                    }
                    k => text.insert_str(at, INSERTS[k - 2]),
                }
            }
            agree(&text);
        }
    }
}
