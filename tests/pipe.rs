//! Output into a pipe whose reader goes away early (`ambient-lint rules | head -3`): the binary
//! stops writing and exits cleanly; `println!` would panic on the closed pipe instead.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const COMMANDS: &[&[&str]] = &[
    &["rules"],
    &["rules", "--format", "markdown"],
    &["rules", "--format", "json"],
    &["explain", "AL201"],
    &["completions", "bash"],
    &["examples/bookstore"],
    &["examples/bookstore", "--format", "sarif"],
];

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the child and checks it neither panicked nor reported an error.
fn assert_quiet_exit(child: Child, args: &[&str]) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "`ambient-lint {}` panicked on a closed pipe:\n{stderr}",
        args.join(" ")
    );
    assert!(
        !stderr.contains("error"),
        "`ambient-lint {}` reported a closed pipe as an error:\n{stderr}",
        args.join(" ")
    );
    // Linting the bookstore has findings (1); everything else succeeds (0).
    let expected = if args[0] == "examples/bookstore" {
        1
    } else {
        0
    };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "`ambient-lint {}`: {stderr}",
        args.join(" ")
    );
}

#[test]
fn reading_one_line_then_closing_the_pipe_is_a_clean_exit() {
    for args in COMMANDS {
        let mut child = spawn(args);
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(
            !line.is_empty(),
            "`ambient-lint {}` printed nothing",
            args.join(" ")
        );
        drop(reader);
        assert_quiet_exit(child, args);
    }
}

#[test]
fn a_pipe_closed_before_any_output_is_a_clean_exit() {
    // The reader is gone before the binary has started up, so its first write fails: the case
    // the test above can miss when the whole output fits in the pipe's buffer.
    for args in COMMANDS {
        let mut child = spawn(args);
        drop(child.stdout.take());
        assert_quiet_exit(child, args);
    }
}
