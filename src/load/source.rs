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

#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (relative stays relative), or `stdin` (see
    /// [`crate::load::STDIN_NAME`]); for a declared file, where the facts were declared.
    pub path: String,
    /// Shared with the file's parsed tree, whose scalars are slices of it.
    pub text: std::sync::Arc<str>,
    pub role: FileRole,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: String, text: impl Into<std::sync::Arc<str>>) -> Self {
        let text: std::sync::Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            path,
            text,
            role: FileRole::Lint,
            line_starts,
        }
    }

    /// Byte offset of the start of 0-based line `line` (clamped to the end of the text).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Line and column of a byte offset (clamped into the text and onto a char boundary).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
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
}
