//! Puts the commit the binary is built from into `--version`: `0.1.0 (abc1234)`.
//!
//! Sets `AMBIENT_LINT_VERSION` (always) and `AMBIENT_LINT_COMMIT` (only when known). The commit is
//! known only when the crate's own folder is a git checkout and `git` runs; a packaged crate (no
//! `.git`), a machine without git, or any git error gives the bare package version. No
//! dependencies: this runs `git` as a subprocess.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // `.git` is a folder in a clone and a file in a worktree. Only the crate's own folder counts:
    // a packaged crate unpacked inside some other repository must not take that repository's
    // commit.
    let commit = if dir.join(".git").exists() {
        watch_head(&dir);
        git(&dir, &["rev-parse", "--short", "HEAD"])
            .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_hexdigit()))
    } else {
        // `cargo package` verifies the packaged crate in this same target folder, where its run of
        // this script can stand in for the checkout's (the script and its inputs look unchanged).
        // The packaged crate has `Cargo.toml.orig` and the checkout has not: watching it makes a
        // build back in the checkout run the script again instead of reusing "no commit".
        if dir.join("Cargo.toml.orig").exists() {
            println!("cargo:rerun-if-changed=Cargo.toml.orig");
        }
        None
    };
    match commit {
        Some(c) => {
            println!("cargo:rustc-env=AMBIENT_LINT_COMMIT={c}");
            println!("cargo:rustc-env=AMBIENT_LINT_VERSION={version} ({c})");
        }
        None => println!("cargo:rustc-env=AMBIENT_LINT_VERSION={version}"),
    }
}

/// Output of a git command in `dir`, trimmed; `None` if git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

/// Reruns this script when HEAD moves: HEAD itself (switching branches, detaching) and the ref it
/// points to (a commit on the branch). Paths come from git, which knows where a worktree keeps
/// them. A loose ref that does not exist yet (the branch lives in `packed-refs`) is watched
/// through `packed-refs` and the ref's folder. Only existing paths are named: cargo reruns the
/// script on every build for a path that does not exist.
fn watch_head(dir: &Path) {
    let mut paths = Vec::new();
    match git_path(dir, "HEAD") {
        Some(head) => paths.push(head),
        // No usable git: at least watch the usual HEAD of a clone.
        None => paths.push(dir.join(".git/HEAD")),
    }
    let reference = git(dir, &["symbolic-ref", "-q", "HEAD"]).and_then(|r| git_path(dir, &r));
    match reference {
        Some(file) if file.exists() => paths.push(file),
        Some(file) => {
            paths.extend(git_path(dir, "packed-refs"));
            paths.extend(file.parent().map(Path::to_path_buf));
        }
        None => {}
    }
    for p in paths.into_iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

/// The file git uses for `name` (`HEAD`, `refs/heads/x`, `packed-refs`), as an absolute path.
fn git_path(dir: &Path, name: &str) -> Option<PathBuf> {
    let p = PathBuf::from(git(dir, &["rev-parse", "--git-path", name])?);
    Some(if p.is_absolute() { p } else { dir.join(p) })
}
