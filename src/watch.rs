//! `check --watch`: lint, then wait for a file the lint depends on to change, and lint again.
//!
//! Changes are found by polling each file's modification time and size. This needs no
//! platform notification API, so it also works where those miss events: network and container
//! file systems, editors that save by renaming. A tree of 20k files takes tens of milliseconds
//! to poll, so the pause between polls grows with that cost (see [`pause_after`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Each watched file's modification time and size; a file that does not exist (yet) has none.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Snapshot(BTreeMap<PathBuf, Option<(SystemTime, u64)>>);

impl Snapshot {
    /// The files a lint of `paths` reads or depends on: below each folder, every manifest,
    /// kustomization, config and ignore file (`.git` left out); each file given; and `extra`
    /// (the config file, or where one would be found; the files the last lint read), whether
    /// they exist or not. Files in `skip` (the report `--output` writes) are not watched:
    /// writing the report would start the next run.
    pub fn take(paths: &[PathBuf], extra: &[PathBuf], skip: &[PathBuf]) -> Snapshot {
        let mut files = BTreeMap::new();
        for path in paths {
            if path.is_dir() {
                let walk = ignore::WalkBuilder::new(path)
                    .hidden(false)
                    .git_ignore(true)
                    .require_git(false)
                    .follow_links(false)
                    .filter_entry(|e| e.file_name() != ".git")
                    .build();
                for entry in walk.flatten() {
                    let p = entry.path();
                    if entry.file_type().is_some_and(|t| t.is_file()) && watched_name(p) {
                        files.insert(p.to_path_buf(), stamp(p));
                    }
                }
            } else {
                files.insert(path.clone(), stamp(path));
            }
        }
        for path in extra {
            files.insert(path.clone(), stamp(path));
        }
        // One key per file however it was named (`./a.yaml` by the walk, `a.yaml` by the lint),
        // and the skipped files named the same way: compared without asking the disk.
        let skip: Vec<PathBuf> = skip.iter().map(|p| crate::load::normalize(p)).collect();
        Snapshot(
            files
                .into_iter()
                .map(|(p, s)| (crate::load::normalize(&p), s))
                .filter(|(p, _)| !skip.contains(p))
                .collect(),
        )
    }

    /// Takes in the files of `other` this snapshot does not hold yet, as they are now.
    pub fn add_missing(&mut self, other: Snapshot) {
        for (path, stamp) in other.0 {
            self.0.entry(path).or_insert(stamp);
        }
    }

    pub fn len(&self) -> usize {
        self.0.values().filter(|s| s.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The files that differ between two snapshots: changed, added or removed.
    pub fn changed_since(&self, before: &Snapshot) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = self
            .0
            .iter()
            .filter(|(p, s)| before.0.get(*p) != Some(s))
            .map(|(p, _)| p.clone())
            .collect();
        out.extend(
            before
                .0
                .keys()
                .filter(|p| !self.0.contains_key(*p))
                .cloned(),
        );
        out.sort();
        out
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn watched_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    matches!(name, ".gitignore" | ".ignore") || name == crate::config::FILE_NAME || {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        matches!(ext.to_ascii_lowercase().as_str(), "yaml" | "yml" | "json")
    }
}

/// The pause between two polls: at least 300 ms, and ten times what one poll took, so that
/// watching a large tree costs a tenth of a core at most.
pub fn pause_after(poll: Duration) -> Duration {
    (poll * 10).max(Duration::from_millis(300))
}

/// Waits until a file of the snapshot `before` changes; returns the new snapshot and what
/// changed.
pub fn wait_for_change(
    paths: &[PathBuf],
    extra: &[PathBuf],
    skip: &[PathBuf],
    before: &Snapshot,
) -> (Snapshot, Vec<PathBuf>) {
    loop {
        let start = std::time::Instant::now();
        let now = Snapshot::take(paths, extra, skip);
        let changed = now.changed_since(before);
        if !changed.is_empty() {
            return (now, changed);
        }
        std::thread::sleep(pause_after(start.elapsed()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_sees_files_change_appear_and_go() {
        let dir = std::env::temp_dir().join(format!("ambient-lint-watch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not watched\n").unwrap();
        std::fs::write(dir.join(".git/HEAD"), "ref\n").unwrap();
        let config = dir.join(crate::config::FILE_NAME);
        let paths = [dir.clone()];
        let extra = [config.clone()];
        let first = Snapshot::take(&paths, &extra, &[]);
        // a.yaml; the config file is watched though absent; .git and notes.txt are not.
        assert_eq!(first.len(), 1);
        assert_eq!(first.0.len(), 2);

        std::fs::write(dir.join("notes.txt"), "still not watched\n").unwrap();
        assert!(
            Snapshot::take(&paths, &extra, &[])
                .changed_since(&first)
                .is_empty()
        );

        std::fs::write(dir.join("a.yaml"), "a: 12\n").unwrap();
        std::fs::write(&config, "ignore: []\n").unwrap();
        let second = Snapshot::take(&paths, &extra, &[]);
        assert_eq!(
            second.changed_since(&first),
            vec![config.clone(), dir.join("a.yaml")]
        );

        std::fs::remove_file(dir.join("a.yaml")).unwrap();
        std::fs::write(dir.join("b.yml"), "b: 1\n").unwrap();
        assert_eq!(
            Snapshot::take(&paths, &extra, &[]).changed_since(&second),
            vec![dir.join("a.yaml"), dir.join("b.yml")]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn polls_pause_longer_as_they_cost_more() {
        assert_eq!(
            pause_after(Duration::from_millis(1)),
            Duration::from_millis(300)
        );
        assert_eq!(
            pause_after(Duration::from_millis(80)),
            Duration::from_millis(800)
        );
    }
}
