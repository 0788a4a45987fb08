//! Bad input gets a clear finding, never a panic, and the other files are still linted.

use std::path::Path;

mod common;
use std::process::Command;

use ambient_lint::load::Inputs;
use ambient_lint::report::Report;
use ambient_lint::{LintOptions, check};

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn hostile_files_get_findings_and_the_rest_is_still_linted() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Lcg(7);
    let random: Vec<u8> = (0..100_000).map(|_| rng.next() as u8).collect();
    std::fs::write(dir.join("random.yaml"), random).unwrap();
    let head = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    std::fs::write(
        dir.join("deep.yaml"),
        format!("{head}data: {}", "[".repeat(100_000)),
    )
    .unwrap();
    let mut bomb = format!("{head}a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    std::fs::write(dir.join("bomb.yaml"), bomb).unwrap();
    std::fs::write(dir.join("utf16.yaml"), [0xFF, 0xFE, b'a', 0, b':', 0]).unwrap();
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    // A data file that is not YAML either: no apiVersion, so not a manifest at all.
    std::fs::write(dir.join("data.json"), "{rating: 5}\n{rating: 4}\n").unwrap();
    std::fs::write(dir.join("dashes.yaml"), "---\n---\n").unwrap();
    std::fs::write(dir.join("scalar.yaml"), "just text\n---\n- a list\n").unwrap();
    std::fs::create_dir_all(dir.join("dir.yaml")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("loop", dir.join("loop")).ok();
    std::fs::write(
        dir.join("wrong-types.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: 5, namespace: [x]}\nspec: {ports: [{port: 70000}, {port: {a: 1}}], selector: [1]}\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec: {rules: [3, null, {from: 3}, {when: [{key: 3}]}], selector: 5}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("z-good.yaml"),
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ok}\nspec:\n  rules:\n    - from:\n        - source: {principals: [\"spiffe://cluster.local/ns/default/sa/x\"]}\n",
    )
    .unwrap();

    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "concise", "--fail-on", "never"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    for expected in [
        "random.yaml:1:1: error[AL001] file is not valid UTF-8",
        "deep.yaml:4:",
        "bomb.yaml:",
        "utf16.yaml:1:1: error[AL001] file is UTF-16 encoded",
        "wrong-types.yaml:3:12: error[AL002] `name` must be a string, found `5`",
        "wrong-types.yaml:4:17: error[AL002] port 70000 is out of range",
        "z-good.yaml:7:33: error[AL208]",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    assert!(out.contains("alias bomb"), "{out}");
    // Every finding on hostile input also says what to do.
    let json = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "json", "--fail-on", "never"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert!(!f["help"].as_str().unwrap().is_empty(), "no help: {f}");
    }
    for quiet in [
        "data.json",
        "empty.yaml",
        "dashes.yaml",
        "scalar.yaml",
        "dir.yaml",
        "loop",
    ] {
        assert!(
            !out.contains(quiet),
            "{quiet} should be skipped quietly:\n{out}"
        );
    }
}

const MUTATIONS: &[&str] = &[
    "", "[", "]", "{", "}", ":", "- ", " ", "\n", "\"", "'", "&a ", "*a", "!!int ", "null", "\t",
    "---\n", "#", "0x", "-1", "99999", "? ", "|", ">", "é", "日本", "\u{feff}", "{{ x }}",
];

#[test]
fn mutated_manifests_never_panic_and_spans_stay_inside_their_file() {
    let sources = common::files_below("examples/bookstore-fixed");
    let mut rng = Lcg(42);
    for round in 0..1000 {
        let base = &sources[rng.below(sources.len())];
        let mut text = base.clone();
        for _ in 0..1 + rng.below(6) {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let end = (at + rng.below(4)).min(text.len());
            let end = (end..=text.len())
                .find(|&e| text.is_char_boundary(e))
                .unwrap();
            text.replace_range(at..end, MUTATIONS[rng.below(MUTATIONS.len())]);
        }
        // Also splice a document from another file in.
        if round % 5 == 0 {
            text.push_str("\n---\n");
            text.push_str(&sources[rng.below(sources.len())]);
        }
        let inputs = Inputs::from_texts([("m.yaml", text.as_str())]);
        let findings = check(&inputs, &LintOptions::default());
        let len = inputs.files[0].text.len();
        for f in &findings {
            let at = inputs.resolve(&f.location);
            assert!(
                at.span.start <= at.span.end && at.span.end <= len,
                "round {round}: {} span {:?} outside a {len}-byte file",
                f.code,
                at.span
            );
            assert!(!f.message.is_empty());
        }
        let report = Report::new(&inputs, findings, true);
        let mut sink = Vec::new();
        for format in [
            ambient_lint::report::Format::Human,
            ambient_lint::report::Format::Concise,
            ambient_lint::report::Format::Json,
        ] {
            report.write(format, false, &mut sink).unwrap();
        }
    }
}

fn lint_dir(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "concise", "--fail-on", "never"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string(),
    )
}

fn fresh(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const GOOD: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok, namespace: shop}\n";

#[test]
fn oversized_files_and_special_files_are_reported_not_read() {
    let dir = fresh("hostile_sizes");
    // 100 MB, sparse: its size is checked before anything is read.
    let big = std::fs::File::create(dir.join("big.yaml")).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();
    std::fs::write(
        dir.join("medium.yaml"),
        format!(
            "{}{}",
            GOOD.replace("name: ok", "name: medium"),
            "# padding\n".repeat(200_000)
        ),
    )
    .unwrap();
    std::fs::write(dir.join("good.yaml"), GOOD).unwrap();
    let (code, out) = lint_dir(&dir, &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("big.yaml:1:1: error[AL001] file is larger than the limit of 67108864 bytes"),
        "{out}"
    );
    assert!(!out.contains("medium.yaml"), "{out}");
    let (_, out) = lint_dir(&dir, &["--max-file-size", "1M"]);
    assert!(
        out.contains(
            "medium.yaml:1:1: error[AL001] file is larger than the limit of 1048576 bytes"
        ),
        "{out}"
    );
    let (code, _) = lint_dir(&dir, &["--max-file-size", "lots"]);
    assert_eq!(code, Some(2));

    // A FIFO named like a manifest: skipped when walking, refused when named, never read.
    #[cfg(unix)]
    {
        let fifo = dir.join("pipe.yaml");
        let made = Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if made {
            let (code, out) = lint_dir(&dir, &[]);
            assert_eq!(code, Some(0));
            assert!(!out.contains("pipe.yaml"), "{out}");
            let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
                .args(["pipe.yaml", "good.yaml", "--format", "concise"])
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&o.stdout)
                    .contains("pipe.yaml:1:1: error[AL001] is not a regular file")
            );
        }
    }
}

#[test]
fn many_files_and_many_documents() {
    let dir = fresh("hostile_many");
    for i in 0..10_000 {
        std::fs::write(
            dir.join(format!("sa-{i:05}.yaml")),
            GOOD.replace("name: ok", &format!("name: sa-{i}")),
        )
        .unwrap();
    }
    let o = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
        .args([".", "--format", "json"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 10_000);
    assert_eq!(v["summary"]["resources"], 10_000);
    assert_eq!(o.status.code(), Some(0));

    let dir = fresh("hostile_documents");
    let stream: String = (0..50)
        .map(|i| {
            format!(
                "---\n{}",
                GOOD.replace("name: ok", &format!("name: sa-{i}"))
            )
        })
        .collect();
    std::fs::write(dir.join("stream.yaml"), stream).unwrap();
    let (_, out) = lint_dir(&dir, &["--max-documents", "20"]);
    assert!(out.contains("stream.yaml:81:1: error[AL001] invalid YAML: the file holds more than 20 documents; the rest was not read"), "{out}");
}

#[test]
fn malformed_yaml_of_many_kinds_is_located() {
    let dir = fresh("hostile_malformed");
    for (name, text, at) in [
        (
            "quote.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: \"unclosed\n",
            "quote.yaml:4:",
        ),
        (
            "indent.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n namespace: b\n",
            "indent.yaml:5:",
        ),
        (
            "tabs.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n\tname: a\n",
            "tabs.yaml:4:",
        ),
        (
            "flow.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a\n",
            "flow.yaml:",
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        std::fs::write(
            dir.join(format!("z-{name}")),
            GOOD.replace("name: ok", &format!("name: {}", name.replace('.', "-"))),
        )
        .unwrap();
        let (code, out) = lint_dir(&dir, &[]);
        assert_eq!(code, Some(0), "{name}: {out}");
        assert!(
            out.lines()
                .any(|l| l.starts_with(at) && l.contains("error[AL001] invalid YAML")),
            "{name}: {out}"
        );
        std::fs::remove_file(dir.join(name)).unwrap();
    }
}
