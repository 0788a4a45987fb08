//! Source files as read: their display path, their text, and a line index that turns byte
//! offsets into 1-based line and column numbers.

/// Index of a file in [`crate::load::Inputs::files`].
pub type FileId = usize;

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// Whether `offset` is in the span, its end included (a cursor just after a word is on it).
    pub fn contains(&self, offset: usize) -> bool {
        (self.start..=self.end).contains(&offset)
    }
}

/// A 1-based line and column; columns count characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Why a file is part of the input, which decides whether its findings are reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FileRole {
    /// A path given to lint: its objects are checked and reported on.
    #[default]
    Lint,
    /// Read with `--context` for cross-references: reported only through a linted file.
    Context,
    /// Generated from facts declared in the config file or on the command line; its `path` says
    /// where (`declared in .ambient-lint.yaml`), and it is never shown as a file.
    Declared,
    /// Read because rendered objects come from it: a kustomize resource or patch, a helm
    /// template, a kustomization. Findings point into it; its objects are checked only through
    /// the rendered view.
    Source,
    /// The config file, when it declares flows: not linted, but findings about a declared flow
    /// point into it and are always reported.
    Config,
    /// Text printed by a renderer (kustomize). Nobody can open it, so no finding is shown there:
    /// locations in it are mapped to the source files. `linted` when its root was found through
    /// a path given to lint rather than through `--context`.
    Rendered { linted: bool },
}

/// How a file's bytes encode the text the loader read (see `decode`): a BOM before it, and CRLF
/// for every LF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Encoding {
    pub bom: bool,
    pub crlf: bool,
}

const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

impl Encoding {
    /// The encoding under which `bytes` are exactly `text`, if there is one (there is none when
    /// the file's line ends are mixed, or its bytes are another text).
    pub fn of(bytes: &[u8], text: &str) -> Option<Encoding> {
        let (bom, rest) = match bytes.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        if rest == text.as_bytes() {
            return Some(Encoding { bom, crlf: false });
        }
        let crlf = Encoding { bom, crlf: true };
        let lines = text.matches('\n').count();
        (rest.len() == text.len() + lines
            && crlf.encode(text).as_bytes()[bom as usize * 3..] == *rest)
            .then_some(crlf)
    }

    /// How the loader will decode `bytes`: None when line ends mix CRLF and LF.
    pub fn detect(bytes: &[u8]) -> Option<Encoding> {
        let lf = count_byte(bytes, b'\n');
        let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
        (crlf == 0 || crlf == lf).then_some(Encoding {
            bom: bytes.starts_with(BOM),
            crlf: crlf > 0,
        })
    }

    /// The text as the file's bytes: with its BOM, and CRLF line ends.
    pub fn encode(&self, text: &str) -> String {
        let bom = if self.bom { "\u{feff}" } else { "" };
        format!("{bom}{}", self.line_ends(text))
    }

    /// A piece of the text (an edit's content) with the file's line ends.
    pub fn line_ends<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.crlf {
            text.replace('\n', "\r\n").into()
        } else {
            text.into()
        }
    }
}

/// Offsets of the newlines in `bytes`.
fn newline_offsets(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i)
}

fn count_byte(bytes: &[u8], b: u8) -> usize {
    bytes.iter().filter(|&&x| x == b).count()
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (relative stays relative), or `stdin` (see
    /// [`crate::load::STDIN_NAME`]); for a declared file, where the facts were declared.
    pub path: String,
    /// Shared with the file's parsed tree, whose scalars are slices of it.
    pub text: std::sync::Arc<str>,
    pub role: FileRole,
    /// How the bytes on disk encode `text`, when they do under one encoding.
    pub encoding: Option<Encoding>,
    /// Byte offsets of line starts (files are under 4 GiB: the loader refuses larger ones),
    /// worked out when first asked: only files with something to report need them.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: String, text: impl Into<std::sync::Arc<str>>) -> Self {
        SourceFile {
            path,
            text: text.into(),
            role: FileRole::Lint,
            encoding: Some(Encoding::default()),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(
                newline_offsets(self.text.as_bytes())
                    .map(|i| (i + 1).min(u32::MAX as usize) as u32),
            );
            starts
        })
    }

    /// Byte offset of the start of 0-based line `line` (clamped to the end of the text).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts()
            .get(line)
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// The byte offset in the file on disk of offset `offset` of the text: past the BOM and one
    /// byte further for each CRLF before it. None when the file's line ends are mixed.
    pub fn disk_offset(&self, offset: usize) -> Option<usize> {
        let e = self.encoding?;
        let lines_before = if e.crlf {
            self.line_starts()
                .partition_point(|&s| s as usize <= offset)
                - 1
        } else {
            0
        };
        Some(offset + 3 * e.bom as usize + lines_before)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// Line and column of a byte offset (clamped into the text and onto a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s as usize <= offset) - 1;
        let start = starts[line] as usize;
        let column = self.text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }
}

pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_and_lines_from_one() {
        let f = SourceFile::new("x".into(), "ab\nçd: e\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'ç' is two bytes: the 'd' after it is byte 5, column 2.
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(999), LineCol { line: 3, column: 1 });
    }

    #[test]
    fn encodings_round_trip_and_offsets_map_to_the_bytes() {
        let text = "a: 1\nb: 2\n";
        let bytes = "\u{feff}a: 1\r\nb: 2\r\n";
        let e = Encoding::detect(bytes.as_bytes()).unwrap();
        assert_eq!(
            e,
            Encoding {
                bom: true,
                crlf: true
            }
        );
        assert_eq!(Encoding::of(bytes.as_bytes(), text), Some(e));
        assert_eq!(e.encode(text), bytes);
        assert_eq!(Encoding::detect(b"a\r\nb\n"), None);
        assert_eq!(Encoding::of(b"a\r\nb\n", "a\nb\n"), None);
        let mut f = SourceFile::new("x".into(), text);
        f.encoding = Some(e);
        // `b` is offset 5 of the text; on disk, past the BOM (3) and one CR (1).
        assert_eq!(f.disk_offset(5), Some(9));
        assert_eq!(&bytes.as_bytes()[9..10], b"b");
    }
}
