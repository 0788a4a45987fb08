//! `check --watch`: a lint, then another after each change, until stopped.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::scratch;

const ACCOUNT: &str =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n";
/// A policy with an AL208 finding on line 5.
fn policy() -> String {
    common::principal_policy(&["spiffe://cluster.local/ns/shop/sa/web"])
}

/// `ambient-lint ARGS` started in `dir`: its standard error line by line, and its standard
/// output in full once it is stopped.
struct Watching {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    out: mpsc::Receiver<String>,
}

impl Watching {
    fn start(dir: &std::path::Path, args: &[&str]) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let (send_out, out) = mpsc::channel();
        std::thread::spawn(move || {
            let mut all = String::new();
            let _ = stdout.read_to_string(&mut all);
            let _ = send_out.send(all);
        });
        Watching { child, lines, out }
    }

    /// The next "Waiting for changes" line, within `wait`.
    fn waiting(&self, wait: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            if line.contains("Waiting for changes") {
                return Some(line);
            }
        }
    }

    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.out.recv_timeout(Duration::from_secs(10)).unwrap()
    }
}

#[test]
fn watch_lints_again_after_a_change_and_says_what_changed() {
    let dir = scratch("watch");
    std::fs::write(dir.join("account.yaml"), ACCOUNT).unwrap();
    let watching = Watching::start(
        &dir,
        &["--watch", ".", "--format", "concise", "--color", "never"],
    );
    let first = watching
        .waiting(Duration::from_secs(30))
        .expect("a first run");
    assert!(first.contains("watching 1 file;"), "{first}");
    assert!(first.contains(": clean."), "{first}");

    std::fs::write(dir.join("policy.yaml"), policy()).unwrap();
    let second = watching
        .waiting(Duration::from_secs(30))
        .expect("a second run");
    assert!(second.contains("watching 2 files;"), "{second}");
    assert!(
        second.contains("after a change to policy.yaml: findings"),
        "{second}"
    );
    let printed = watching.stop();
    // Two reports: the clean one, then the one with the new file's finding.
    assert_eq!(printed.matches("error[AL208]").count(), 1, "{printed}");
    assert!(printed.contains("policy.yaml:5:"), "{printed}");
}

#[test]
fn the_report_file_does_not_start_the_next_run() {
    let dir = scratch("watch_output");
    std::fs::write(dir.join("policy.yaml"), policy()).unwrap();
    let watching = Watching::start(
        &dir,
        &[
            "--watch",
            ".",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
    );
    watching
        .waiting(Duration::from_secs(30))
        .expect("a first run");
    assert!(dir.join("report.json").exists());
    // Polls run every 300 ms at least: a run started by its own report would show by now.
    assert_eq!(watching.waiting(Duration::from_millis(1500)), None);
    watching.stop();
}

#[test]
fn a_kustomize_base_outside_the_paths_is_watched_once_read() {
    let dir = scratch("watch_base");
    common::write(&dir, "base/account.yaml", ACCOUNT);
    common::write(
        &dir,
        "base/kustomization.yaml",
        "resources: [account.yaml]\n",
    );
    common::write(&dir, "overlay/kustomization.yaml", "resources: [../base]\n");
    let watching = Watching::start(
        &dir,
        &[
            "--watch", "overlay", "--format", "concise", "--color", "never",
        ],
    );
    let first = watching
        .waiting(Duration::from_secs(60))
        .expect("a first run");
    assert!(first.contains(": clean."), "{first}");
    // The base gains the faulty policy: only the lint knew the base was read.
    std::fs::write(dir.join("base/policy.yaml"), policy()).unwrap();
    std::fs::write(
        dir.join("base/kustomization.yaml"),
        "resources: [account.yaml, policy.yaml]\n",
    )
    .unwrap();
    let second = watching
        .waiting(Duration::from_secs(60))
        .expect("a second run");
    assert!(second.contains("findings"), "{second}");
    let printed = watching.stop();
    assert!(printed.contains("error[AL208]"), "{printed}");
}

#[test]
fn watch_refuses_standard_input() {
    let dir = scratch("watch_stdin");
    let out = common::run_in(&dir, &["--watch", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot watch standard input"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
