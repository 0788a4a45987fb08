//! `check --watch`: a lint, then another after each change, until stopped.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::scratch;

const ACCOUNT: &str =
    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n";
const POLICY: &str = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  rules: [{from: [{source: {principals: [\"spiffe://cluster.local/ns/shop/sa/web\"]}}]}]\n";

#[test]
fn watch_lints_again_after_a_change_and_says_what_changed() {
    let dir = scratch("watch");
    std::fs::write(dir.join("account.yaml"), ACCOUNT).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args(["--watch", ".", "--format", "concise", "--color", "never"])
        .current_dir(&dir)
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
    let waiting = || loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("--watch said nothing for 30 s");
        if line.contains("Waiting for changes") {
            return line;
        }
    };
    let first = waiting();
    assert!(first.contains("watching 1 file;"), "{first}");
    assert!(first.contains(": clean."), "{first}");

    std::fs::write(dir.join("policy.yaml"), POLICY).unwrap();
    let second = waiting();
    assert!(second.contains("watching 2 files;"), "{second}");
    assert!(
        second.contains("after a change to ./policy.yaml: findings"),
        "{second}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let printed = out.recv_timeout(Duration::from_secs(10)).unwrap();
    // Two reports: the clean one, then the one with the new file's finding.
    assert_eq!(printed.matches("error[AL208]").count(), 1, "{printed}");
    assert!(printed.contains("policy.yaml:5:"), "{printed}");
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
