//! What kubectl reads and YAML 1.2 refuses, rewritten so that the strict parser reads the same
//! values.
//!
//! kubectl reads YAML with go-yaml v2 (through `sigs.k8s.io/yaml`), whose scanner is a port of
//! libyaml. Two of its leniencies occur in real manifests (go-yaml v2.4 `scannerc.go`):
//!
//! - It checks no indentation inside a flow collection (`[...]`, `{...}`) or a quoted scalar:
//!   `yaml_parser_scan_flow_scalar` only refuses `---` and `...` at column 0, and the plain-scalar
//!   and unroll checks only apply when `flow_level == 0`. YAML 1.2 wants every line of such a node
//!   indented deeper than the block that holds it, so a closing bracket, a flow item or a quoted
//!   line written at the key's indentation (or less) is an error to it.
//! - `yaml_parser_scan_to_next_token` skips tabs as whitespace in flow context, and in block
//!   context after a simple key's `:` (there `simple_key_allowed` is false). YAML 1.2 allows the
//!   same tabs, but saphyr refuses a tab right after `:` before a plain value (`key:\tvalue`,
//!   `{x:\t1}`) and a tab that starts a line inside a flow collection.
//!
//! [`rewrite`] finds those places with a small lexer and returns the edits: tabs to read as spaces
//! (same length, so no offset moves) and spaces to insert at the start of under-indented lines
//! inside a flow collection or quoted scalar (positions are mapped back by the caller). Leading
//! whitespace of such lines and separating tabs carry no content, so values are unchanged.
//! go-yaml refuses a tab after `- ` or after a complex key's `:`, and a `---` or `...` line inside
//! a node; those are left alone, so they stay errors.
//!
//! The lexer is only run on a document the strict parser refused, and its edits are only kept if
//! the rewritten text then parses.

/// Edits that make a document readable by the strict parser.
#[derive(Debug, Default, PartialEq)]
pub struct Rewrite {
    /// Byte offsets of tabs to read as spaces.
    pub tabs: Vec<usize>,
    /// Sorted (byte offset, count): spaces to insert before that byte.
    pub pads: Vec<(usize, usize)>,
}

impl Rewrite {
    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty() && self.pads.is_empty()
    }

    /// The text with the edits applied.
    pub fn apply(&self, text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &t in &self.tabs {
            bytes[t] = b' ';
        }
        let extra: usize = self.pads.iter().map(|p| p.1).sum();
        let mut out = Vec::with_capacity(bytes.len() + extra);
        let mut from = 0;
        for &(at, n) in &self.pads {
            out.extend_from_slice(&bytes[from..at]);
            out.extend(std::iter::repeat_n(b' ', n));
            from = at;
        }
        out.extend_from_slice(&bytes[from..]);
        // Only ASCII tabs became ASCII spaces, and spaces went in before line content.
        String::from_utf8(out).expect("edits keep UTF-8")
    }
}

/// A block scalar (`|`, `>`) whose content lines the lexer skips.
struct BlockScalar {
    /// Column of the node that holds it: content lines are indented deeper.
    parent: usize,
    /// Indentation of the first content line, once seen.
    indent: Option<usize>,
}

#[derive(Default)]
struct Lexer {
    /// Open flow collections, innermost last.
    flows: Vec<u8>,
    /// The open quoted scalar's quote.
    quote: Option<u8>,
    /// Column (in characters) of the outermost open flow collection or quoted scalar.
    opener: usize,
    block: Option<BlockScalar>,
    /// Inside a plain scalar (it may go on across lines in flow context).
    plain: bool,
    edits: Rewrite,
}

impl Lexer {
    fn nested(&self) -> bool {
        self.quote.is_some() || !self.flows.is_empty()
    }

    fn line(&mut self, line: &str, start: usize) {
        let bytes = line.as_bytes();
        let ws = bytes
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let content = &line[ws..];
        let blank = content.trim_end_matches(['\r', '\n']).is_empty();
        if let Some(block) = &mut self.block {
            let spaces = bytes.iter().take_while(|&&b| b == b' ').count();
            if blank {
                return;
            }
            match block.indent {
                None if spaces > block.parent => {
                    block.indent = Some(spaces);
                    return;
                }
                Some(i) if spaces >= i => return,
                _ => self.block = None,
            }
        }
        let mut i = 0;
        if self.nested() {
            if blank {
                return;
            }
            if is_document_marker(line) {
                // go-yaml refuses it inside a node too: leave the error in place.
                return;
            }
            // Leading whitespace here only separates; tabs in it are spaces to go-yaml.
            self.edits.tabs.extend(
                bytes[..ws]
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\t')
                    .map(|(k, _)| start + k),
            );
            if ws < self.opener {
                self.edits.pads.push((start + ws, self.opener - ws));
            }
            i = ws;
        } else {
            self.plain = false;
            if line.starts_with('%') || blank {
                return;
            }
            if is_document_marker(line) {
                i = 3;
            }
        }
        self.scan(line, start, i);
    }

    /// Scans `line` from byte `i` on, tracking quotes, flow brackets and plain scalars.
    fn scan(&mut self, line: &str, start: usize, mut i: usize) {
        let bytes = line.as_bytes();
        let at = |k: usize| bytes.get(k).copied().unwrap_or(b'\n');
        let blank_or_end = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let flow_indicator = |b: u8| matches!(b, b',' | b'[' | b']' | b'{' | b'}');
        // Whether the line holds a token before `i` (a `:` there follows a simple key).
        let mut had_token = false;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = self.quote {
                if q == b'\'' && b == b'\'' && at(i + 1) == b'\'' {
                    i += 2;
                    continue;
                }
                if q == b'"' && b == b'\\' {
                    i += 2;
                    continue;
                }
                if b == q {
                    self.quote = None;
                    had_token = true;
                }
                i += 1;
                continue;
            }
            let in_flow = !self.flows.is_empty();
            match b {
                b' ' | b'\t' => {
                    let run_end = i + bytes[i..]
                        .iter()
                        .take_while(|&&c| c == b' ' || c == b'\t')
                        .count();
                    let next = at(run_end);
                    if next == b'#' {
                        return;
                    }
                    // In flow context a tab separates unless it sits between two words of one
                    // plain scalar (`[a\tb]` is the string "a\tb" to both parsers).
                    let plain_ends = blank_or_end(next)
                        || flow_indicator(next)
                        || next == b':' && blank_or_end(at(run_end + 1));
                    if in_flow && (plain_ends || !self.plain) {
                        self.tabs_in(start, i, run_end, bytes);
                    }
                    i = run_end;
                    continue;
                }
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return,
                b'\r' | b'\n' => return,
                _ => {}
            }
            if self.plain {
                let ends = (b == b':'
                    && (blank_or_end(at(i + 1)) || in_flow && flow_indicator(at(i + 1))))
                    || in_flow && flow_indicator(b);
                if !ends {
                    i += 1;
                    continue;
                }
                self.plain = false;
            }
            match b {
                b'\'' | b'"' => {
                    if !self.nested() {
                        self.opener = line[..i].chars().count();
                    }
                    self.quote = Some(b);
                    i += 1;
                }
                b'[' | b'{' => {
                    if !self.nested() {
                        self.opener = line[..i].chars().count();
                    }
                    self.flows.push(b);
                    i += 1;
                }
                b']' | b'}' => {
                    self.flows.pop();
                    had_token = true;
                    i += 1;
                }
                b',' => i += 1,
                b':' if blank_or_end(at(i + 1)) || in_flow => {
                    let run_end = i
                        + 1
                        + bytes[i + 1..]
                            .iter()
                            .take_while(|&&c| c == b' ' || c == b'\t')
                            .count();
                    // After a simple key's `:` go-yaml skips tabs; after `:` that starts a line
                    // (a complex key's value) it refuses them, as saphyr does.
                    if in_flow || had_token {
                        self.tabs_in(start, i + 1, run_end, bytes);
                    }
                    i = run_end;
                }
                b'-' | b'?' if !in_flow && blank_or_end(at(i + 1)) => i += 1,
                b'|' | b'>' if !in_flow && is_block_header(&line[i + 1..]) => {
                    self.block = Some(BlockScalar {
                        parent: block_parent(line, i),
                        indent: None,
                    });
                    return;
                }
                b'&' | b'!' | b'*' => {
                    // Anchors, tags and aliases run to the next blank.
                    i += bytes[i..]
                        .iter()
                        .take_while(|&&c| !(blank_or_end(c) || in_flow && flow_indicator(c)))
                        .count();
                    had_token = true;
                }
                _ => {
                    self.plain = true;
                    had_token = true;
                    i += 1;
                }
            }
        }
    }

    fn tabs_in(&mut self, start: usize, from: usize, to: usize, bytes: &[u8]) {
        self.edits
            .tabs
            .extend((from..to).filter(|&k| bytes[k] == b'\t').map(|k| start + k));
    }
}

fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..]
            .bytes()
            .next()
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Whether what follows `|` or `>` is a block scalar header: indicators, then a comment or
/// nothing.
fn is_block_header(rest: &str) -> bool {
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with(['#', '\r', '\n'])
}

/// Column of the node that holds a block scalar whose indicator is at byte `at` of its line:
/// the key before it (`  key: |`), or the last `- ` before it (`- |`).
fn block_parent(line: &str, at: usize) -> usize {
    let mut col = 0;
    let mut last_dash = 0;
    let bytes = line.as_bytes();
    loop {
        while bytes.get(col) == Some(&b' ') {
            col += 1;
        }
        if bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ' | b'\t')) {
            last_dash = col;
            col += 1;
            continue;
        }
        break;
    }
    if col >= at { last_dash } else { col }
}

/// The edits that let the strict parser read `chunk` as go-yaml does; empty when there is
/// nothing to rewrite.
pub fn rewrite(chunk: &str) -> Rewrite {
    let mut lexer = Lexer::default();
    let mut start = 0;
    for line in chunk.split_inclusive('\n') {
        lexer.line(line, start);
        start += line.len();
    }
    let mut edits = lexer.edits;
    edits.tabs.sort_unstable();
    edits.tabs.dedup();
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str) -> String {
        rewrite(text).apply(text)
    }

    #[test]
    fn valid_text_needs_no_edits() {
        let text = "a:\n  b: [x, y]\n  c: 'q'\n  d: |\n    [not flow\n    'not quoted\n  e: it's\n";
        assert!(rewrite(text).is_empty(), "{:?}", rewrite(text));
    }

    #[test]
    fn quoted_continuation_lines_are_indented_to_the_quote() {
        assert_eq!(
            fixed("m:\n  note: 'first\n  second'\n  x: y\n"),
            "m:\n  note: 'first\n        second'\n  x: y\n"
        );
        assert_eq!(fixed("a: \"x\ny\"\n"), "a: \"x\n   y\"\n");
    }

    #[test]
    fn flow_lines_are_indented_to_the_bracket() {
        assert_eq!(
            fixed("k:\n  p: [1,\n  2,\n  ]\n"),
            "k:\n  p: [1,\n     2,\n     ]\n"
        );
    }

    #[test]
    fn separating_tabs_become_spaces_and_tabs_inside_values_stay() {
        assert_eq!(fixed("a: {x:\t1}\n"), "a: {x: 1}\n");
        assert_eq!(fixed("a:\tb\n"), "a: b\n");
        assert_eq!(fixed("a: [x\ty,\tz]\n"), "a: [x\ty, z]\n");
        assert_eq!(fixed("a: [1,\n\t2]\n"), "a: [1,\n   2]\n");
        assert_eq!(fixed("a: 'x\ty'\n"), "a: 'x\ty'\n");
    }

    #[test]
    fn what_go_yaml_refuses_is_left_alone() {
        // A tab after `- ` or after a complex key's `:`.
        assert!(rewrite("-\tx\n").is_empty());
        assert!(rewrite("? a\n:\tb\n").is_empty());
        // A document marker inside a quoted scalar.
        assert_eq!(fixed("a: 'x\n...\n'\n"), "a: 'x\n...\n   '\n");
    }

    #[test]
    fn block_scalar_content_is_not_lexed() {
        let text = "- |\n  {x:\t1\n- b: >-\n    'open\n  c:\td\n";
        assert_eq!(fixed(text), "- |\n  {x:\t1\n- b: >-\n    'open\n  c: d\n");
    }

    #[test]
    fn edits_only_touch_whitespace_whatever_the_text() {
        let alphabet: Vec<char> = "ab: -?'\"[]{},#|>&*!\t\n\\é%.".chars().collect();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for _ in 0..(seed % 90) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let edits = rewrite(&text);
            for &t in &edits.tabs {
                assert_eq!(text.as_bytes()[t], b'\t', "{text:?}");
            }
            for &(at, n) in &edits.pads {
                assert!(n > 0, "{text:?}");
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                assert!(
                    text[line_start..at]
                        .bytes()
                        .all(|b| b == b' ' || b == b'\t'),
                    "{text:?}"
                );
            }
            let fixed = edits.apply(&text);
            let strip = |s: &str| s.replace([' ', '\t'], "");
            assert_eq!(strip(&fixed), strip(&text));
            let _ = crate::load::yaml::parse_stream(&text);
        }
    }

    #[test]
    fn quotes_and_comments_in_plain_scalars_are_text() {
        assert!(rewrite("a: it's [x\nb: c#d 'e\n").is_empty());
        assert_eq!(
            fixed("a: x # it's\nb: [1,\n2]\n"),
            "a: x # it's\nb: [1,\n   2]\n"
        );
    }
}
