//! Applying fixes: `--fix` writes them, `--diff` prints them. Edits are gathered from the
//! findings a run reports, sorted, and applied per file where they do not overlap; a file whose
//! fixed text would not parse (AL001) or would hold an object the API server refuses (AL002) is
//! left as it was and reported. `--fix` lints again after writing and repeats until nothing more
//! is fixed (ruff's loop), at most [`MAX_PASSES`] times.
//!
//! Only files given to lint, and the sources kustomize renders from, are edited, and only when
//! their bytes on disk are the text the spans were taken from, as the loader decoded it (a BOM
//! dropped, CRLF line ends read as LF): edits are made on that text and written back in the
//! file's own encoding, so every byte outside their ranges stays as it was, the BOM and every
//! CRLF included. A file changed since, or whose line ends are mixed, is left alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::{Applicability, Edit, Finding};
use crate::load::Inputs;
use crate::load::source::{Encoding, FileRole};

pub const MAX_PASSES: usize = 10;

/// One fix applied (or that would be).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub file: String,
    pub line: usize,
    pub code: &'static str,
    pub title: String,
}

/// A file whose fixes were not applied, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub file: String,
    pub why: String,
}

/// The fixes of one pass, per file: the new text, and what was fixed.
#[derive(Debug, Default)]
pub struct Pass {
    /// (path on disk, old text, new text) for every file that changes.
    pub files: Vec<(PathBuf, String, String)>,
    pub applied: Vec<Applied>,
    pub refused: Vec<Refused>,
    /// A file kustomize renders from changed: linting it again means rendering it again, from
    /// the disk.
    pub through_render: bool,
}

/// How [`crate::load::LoadOptions::overlay`] names a file.
pub fn overlay_key(path: &Path) -> PathBuf {
    crate::load::normalize(&std::env::current_dir().unwrap_or_default().join(path))
}

/// The fixes the findings carry that may be applied: not suppressed, and safe (or unsafe too
/// with `unsafe_fixes`).
fn applicable(findings: &[Finding], unsafe_fixes: bool) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(move |f| {
        f.suppressed.is_none()
            && f.fix.as_ref().is_some_and(|fix| {
                fix.applicability == Applicability::Safe
                    || (unsafe_fixes && fix.applicability == Applicability::Unsafe)
            })
    })
}

/// Applies non-overlapping edits to `text`, in order; an edit overlapping one already taken is
/// left for the next pass, and so is an insertion at the very place another is inserted (which
/// text goes first would decide what it means). Returns the new text and which fixes (by index)
/// were taken whole.
pub fn apply_edits(text: &str, fixes: &[&[Edit]]) -> (String, Vec<usize>) {
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    let mut edits: Vec<&Edit> = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        let free = fix.iter().all(|e| {
            e.start <= e.end
                && e.end <= text.len()
                && text.is_char_boundary(e.start)
                && text.is_char_boundary(e.end)
                && taken.iter().all(|&(s, t)| {
                    if e.start == e.end && s == t {
                        e.start != s
                    } else {
                        e.end <= s || e.start >= t
                    }
                })
        });
        if free {
            taken.extend(fix.iter().map(|e| (e.start, e.end)));
            edits.extend(fix.iter());
            chosen.push(i);
        }
    }
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.content);
        at = e.end;
    }
    out.push_str(&text[at..]);
    (out, chosen)
}

/// How many objects of a text the loader or the model refuse (AL001, AL002).
fn refused(options: &crate::LintOptions, path: &str, text: &str) -> usize {
    let inputs = Inputs::from_texts([(path, text)]);
    inputs
        .findings
        .iter()
        .chain(crate::check(&inputs, options).iter())
        .filter(|f| matches!(f.code, "AL001" | "AL002"))
        .count()
}

/// The fixes of one lint run, applied in memory. A file whose fixed text the loader or the model
/// would refuse more of than its text now is left out, and reported.
pub fn plan(
    inputs: &Inputs,
    findings: &[Finding],
    unsafe_fixes: bool,
    options: &crate::LintOptions,
) -> Pass {
    let mut by_file: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for f in applicable(findings, unsafe_fixes) {
        let fix = f.fix.as_ref().expect("applicable findings carry a fix");
        // A fix edits one file (the ones here do; one spanning files is not applied).
        let Some(first) = fix.edits.first() else {
            continue;
        };
        if fix.edits.iter().all(|e| e.file == first.file) {
            by_file.entry(first.file).or_default().push(f);
        }
    }
    let mut pass = Pass::default();
    for (file, mut fs) in by_file {
        let source = &inputs.files[file];
        if !matches!(source.role, FileRole::Lint | FileRole::Source)
            || source.path == crate::load::STDIN_NAME
        {
            continue;
        }
        let path = PathBuf::from(&source.path);
        let on_disk = match options.load.overlay.get(&overlay_key(&path)) {
            Some(text) => Ok(text.clone().into_bytes()),
            None => std::fs::read(&path),
        };
        match on_disk {
            Ok(bytes) if Encoding::of(&bytes, &source.text).is_some() => {}
            Ok(_) => {
                pass.refused.push(Refused {
                    file: source.path.clone(),
                    why: "its bytes are not the text linted (changed since, or line ends mixed CRLF and LF): fix it by hand".to_string(),
                });
                continue;
            }
            Err(e) => {
                pass.refused.push(Refused {
                    file: source.path.clone(),
                    why: format!("cannot read it again: {e}"),
                });
                continue;
            }
        }
        // Fixes in the order of their place in the file, so that overlaps resolve the same way
        // on every run.
        fs.sort_by_key(|f| {
            f.fix
                .as_ref()
                .map(|x| x.edits.iter().map(|e| e.start).min().unwrap_or(0))
        });
        // One fix offered by several findings (two references to one missing account) is
        // applied once.
        let mut seen = std::collections::HashSet::new();
        fs.retain(|f| seen.insert(f.fix.as_ref().map(|x| &x.edits)));
        let edits: Vec<&[Edit]> = fs
            .iter()
            .map(|f| f.fix.as_ref().map_or(&[][..], |x| &x.edits[..]))
            .collect();
        let (new_text, chosen) = apply_edits(&source.text, &edits);
        if *new_text == *source.text {
            continue;
        }
        if refused(options, &source.path, &new_text) > refused(options, &source.path, &source.text)
        {
            pass.refused.push(Refused {
                file: source.path.clone(),
                why: "the fixed text would not parse, or would hold an object the API server refuses; left as it was".to_string(),
            });
            continue;
        }
        for i in chosen {
            let f = fs[i];
            let fix = f.fix.as_ref().expect("chosen fixes exist");
            let line = source.text[..fix.edits[0].start].matches('\n').count() + 1;
            pass.applied.push(Applied {
                file: source.path.clone(),
                line,
                code: f.code,
                title: fix.title.clone(),
            });
        }
        pass.through_render |= source.role == FileRole::Source;
        pass.files.push((path, source.text.to_string(), new_text));
    }
    pass
}

/// `--add-suppressions`: for every finding that counts, the suppression annotation on its
/// resource, with a `TODO` reason per code (ruff's `--add-noqa`), as findings carrying that edit
/// as a safe fix, one per resource. A resource rendered by kustomize or helm, and a finding about
/// no resource (a parse error), get none; they are counted in the second value.
pub fn suppressions(inputs: &Inputs, findings: &[Finding]) -> (Vec<Finding>, usize) {
    use crate::finding::{Fix, Location};
    use crate::rules::edits;
    let mut by_object: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
    let mut skipped = 0;
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        match &f.location {
            Location::Field { object, .. } if inputs.objects[*object].origin.is_none() => {
                let codes = by_object.entry(*object).or_default();
                if !codes.contains(&f.code) {
                    codes.push(f.code);
                }
            }
            _ => skipped += 1,
        }
    }
    let mut out = Vec::new();
    for (object, mut codes) in by_object {
        codes.sort_unstable();
        let obj = &inputs.objects[object];
        let text = &inputs.files[obj.file].text;
        let todo: Vec<String> = codes.iter().map(|c| format!("{c}: TODO")).collect();
        let value = todo.join(", ");
        let meta = obj.node().get("metadata");
        let annotations = meta.and_then(|m| m.get("annotations"));
        let edit = match (meta, annotations) {
            (Some(_), Some(a)) if a.get(crate::suppress::ANNOTATION).is_some() => {
                // Codes added to the ones written: the value is written again, double-quoted.
                a.get(crate::suppress::ANNOTATION).and_then(|at| {
                    let old = at.as_str()?;
                    Some(crate::finding::Edit {
                        file: obj.file,
                        start: at.span().start,
                        end: at.span().end,
                        content: serde_json::Value::String(format!("{old}, {value}")).to_string(),
                    })
                })
            }
            (Some(_), Some(a)) if a.as_map().is_some_and(|m| !m.is_empty()) => edits::add_to_map(
                text,
                obj.file,
                a,
                crate::suppress::ANNOTATION,
                &serde_json::Value::String(value.clone()).to_string(),
            ),
            (Some(m), None) => edits::add_to_map(
                text,
                obj.file,
                m,
                "annotations",
                &format!(
                    "{{{}: {}}}",
                    crate::suppress::ANNOTATION,
                    serde_json::Value::String(value.clone())
                ),
            ),
            _ => None,
        };
        let Some(edit) = edit else {
            skipped += codes.len();
            continue;
        };
        let mut f = Finding::new(
            codes[0],
            crate::finding::Severity::Info,
            Location::field(object, "metadata"),
            format!("suppress {value}"),
        );
        f.fix = Some(Fix {
            title: format!("suppress {}", codes.join(", ")),
            applicability: Applicability::Safe,
            edits: vec![edit],
        });
        out.push(f);
    }
    (out, skipped)
}

/// Writes a pass's files, each in the encoding it has on disk (BOM, CRLF).
pub fn write(pass: &Pass) -> Result<(), String> {
    for (path, old, new) in &pass.files {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let encoding = Encoding::of(&bytes, old)
            .ok_or_else(|| format!("{} changed while it was being fixed", path.display()))?;
        std::fs::write(path, encoding.encode(new).as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// A unified diff of one file, as `diff -u` and `ruff --diff` print it.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let shown = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, content: &str) -> Edit {
        Edit {
            file: 0,
            start,
            end,
            content: content.to_string(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_overlaps_wait() {
        let text = "principals: [\"spiffe://a\", \"spiffe://b\"]\n";
        let a = [edit(14, 23, "")];
        let b = [edit(28, 37, "")];
        let overlapping = [edit(20, 30, "x")];
        let (out, chosen) = apply_edits(text, &[&a, &overlapping, &b]);
        assert_eq!(out, "principals: [\"a\", \"b\"]\n");
        assert_eq!(chosen, vec![0, 2]);
        // Two insertions at one place: the second waits for the next pass.
        let first = [edit(0, 0, "a")];
        let second = [edit(0, 0, "b")];
        let (out, chosen) = apply_edits(text, &[&first, &second]);
        assert!(out.starts_with("aprincipals"));
        assert_eq!(chosen, vec![0]);
    }

    #[test]
    fn an_edit_out_of_bounds_or_inside_a_character_is_not_applied() {
        let text = "é: 1\n";
        let (out, chosen) = apply_edits(text, &[&[edit(1, 2, "")], &[edit(3, 99, "")]]);
        assert_eq!(out, text);
        assert!(chosen.is_empty());
    }
}
