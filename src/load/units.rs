//! Units: what is modelled and checked as one cluster. A repository often holds several things
//! that are never applied together — one kustomization root per environment, a folder per
//! sample — and linting them as one cluster reports their copies as duplicates and resolves
//! references against the wrong copy.
//!
//! - every kustomization root (one no other kustomization of the input builds on) is a unit: its
//!   rendered objects;
//! - config `units:` globs name folders whose contents are independent of each other;
//! - everything else forms the default unit.
//!
//! Objects read for cross-references only (`--context`) belong to every unit.

use std::path::{Path, PathBuf};

use super::rendered::RootOutcome;
use super::source::FileRole;
use super::{ExcludeGlob, Inputs, LoadError, ObjectId, display, normalize};

#[derive(Debug, Clone, Default)]
pub struct Unit {
    /// The folder it stands for, as shown to the user; empty for the default unit.
    pub name: String,
    /// Whether it is a kustomization root (named "overlay" in messages).
    pub kustomization: bool,
    /// Part of it could not be rendered (AL006): what it lacks may exist.
    pub incomplete: bool,
    pub objects: Vec<ObjectId>,
}

/// Compiled `units:` globs, each relative to its base folder, and whether each names files.
struct UnitGlobs(Vec<(PathBuf, ignore::gitignore::Gitignore)>, Vec<bool>);

impl UnitGlobs {
    fn build(globs: &[ExcludeGlob], cwd: &Path) -> Result<UnitGlobs, LoadError> {
        let mut out = Vec::new();
        let mut files = Vec::new();
        for g in globs {
            let base = normalize(&cwd.join(&g.base));
            let mut b = ignore::gitignore::GitignoreBuilder::new("");
            b.add_line(None, &g.glob)
                .map_err(|e| LoadError::BadUnit(g.glob.clone(), e.to_string()))?;
            let gi = b
                .build()
                .map_err(|e| LoadError::BadUnit(g.glob.clone(), e.to_string()))?;
            out.push((base, gi));
            files.push(
                [".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| g.glob.trim_end_matches('/').ends_with(e)),
            );
        }
        Ok(UnitGlobs(out, files))
    }

    /// The unit of `file`: the file itself when a glob written for files (ending in `.yaml`,
    /// `.yml` or `.json`) names it — alternatives kept side by side in one folder — else the
    /// outermost folder above it that a folder glob names; with that glob's index.
    fn unit_of(&self, file: &Path) -> Option<(PathBuf, usize)> {
        let matches = |i: usize, path: &Path, is_dir: bool| {
            let (base, gi) = &self.0[i];
            path.strip_prefix(base)
                .is_ok_and(|rel| !rel.as_os_str().is_empty() && gi.matched(rel, is_dir).is_ignore())
        };
        if let Some(i) = (0..self.0.len()).find(|&i| self.1[i] && matches(i, file, false)) {
            return Some((file.to_path_buf(), i));
        }
        let mut dirs: Vec<&Path> = file.ancestors().skip(1).collect();
        dirs.reverse();
        for dir in dirs {
            if let Some(i) = (0..self.0.len()).find(|&i| !self.1[i] && matches(i, dir, true)) {
                return Some((dir.to_path_buf(), i));
            }
        }
        None
    }
}

/// Splits the loaded objects into units, and warns about `units:` globs that name nothing:
/// globs are relative to the config file, so one written for another tree (a `--config` kept
/// elsewhere) would otherwise leave everything in one unit without a word.
pub fn assign(
    inputs: &Inputs,
    roots: Vec<RootOutcome>,
    globs: &[ExcludeGlob],
    cwd: &Path,
) -> Result<(Vec<Unit>, Vec<String>), LoadError> {
    let compiled = UnitGlobs::build(globs, cwd)?;
    let mut matched = vec![false; globs.len()];
    // Each file's declared unit, looked up once per file (not per object).
    let mut declared: Vec<Unit> = Vec::new();
    let mut by_folder: std::collections::HashMap<PathBuf, usize> = Default::default();
    let file_unit: Vec<Option<usize>> = inputs
        .files
        .iter()
        .map(|f| {
            if globs.is_empty() || !matches!(f.role, FileRole::Lint | FileRole::Source) {
                return None;
            }
            let (dir, glob) = compiled.unit_of(&normalize(&cwd.join(&f.path)))?;
            matched[glob] = true;
            let next = declared.len();
            let u = *by_folder.entry(dir.clone()).or_insert(next);
            if u == next {
                declared.push(Unit {
                    name: display(dir.strip_prefix(cwd).unwrap_or(&dir)),
                    ..Unit::default()
                });
            }
            Some(u)
        })
        .collect();
    let mut shared: Vec<ObjectId> = Vec::new();
    let mut default = Unit::default();
    let in_root: std::collections::HashSet<ObjectId> = roots
        .iter()
        .flat_map(|r| r.objects.iter().copied())
        .collect();
    for (id, obj) in inputs.objects.iter().enumerate() {
        if in_root.contains(&id) || inputs.through_render.contains(&obj.file) {
            continue;
        }
        match inputs.files[obj.file].role {
            FileRole::Context | FileRole::Declared => shared.push(id),
            FileRole::Source | FileRole::Rendered { .. } | FileRole::Config => {}
            FileRole::Lint => match file_unit[obj.file] {
                Some(u) => declared[u].objects.push(id),
                None => default.objects.push(id),
            },
        }
    }
    let mut units: Vec<Unit> = Vec::new();
    if !default.objects.is_empty() || (roots.is_empty() && declared.is_empty()) {
        units.push(default);
    }
    // Folders sorted by path: a stable order whatever the walk's.
    let mut folders: Vec<(PathBuf, usize)> = by_folder.into_iter().collect();
    folders.sort();
    let mut slots: Vec<Option<Unit>> = declared.into_iter().map(Some).collect();
    units.extend(
        folders
            .into_iter()
            .filter_map(|(_, u)| slots[u].take())
            .filter(|u| !u.objects.is_empty()),
    );
    units.extend(roots.into_iter().map(|r| Unit {
        name: display(r.root.strip_prefix(cwd).unwrap_or(&r.root)),
        kustomization: true,
        incomplete: r.incomplete,
        objects: r.objects,
    }));
    for u in &mut units {
        u.objects.extend(shared.iter().copied());
    }
    let warnings = globs
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(g, _)| {
            format!(
                "`units:` glob `{}` names no folder of the input (globs are relative to the config file's folder, {}); its files were linted as one unit with the rest",
                g.glob,
                display(&normalize(&cwd.join(&g.base)))
            )
        })
        .collect();
    Ok((units, warnings))
}
