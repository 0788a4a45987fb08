//! `tests/fixtures/<CODE>/fires-*.yaml` must produce the rule, `quiet-*.yaml` must not; every rule
//! has both; what a user sees for each firing fixture is kept as a snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;

use ambient_lint::load::Inputs;
use ambient_lint::report::{Format, Report};
use ambient_lint::{check, rules};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// (code, file name, display path, text) for every fixture.
fn fixtures() -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = dir.unwrap().path();
        let code = dir.file_name().unwrap().to_string_lossy().to_string();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let display = format!("tests/fixtures/{code}/{name}");
            // A folder is a tree (a kustomization and its files), linted as a folder.
            let text = if f.is_dir() {
                String::new()
            } else {
                std::fs::read_to_string(&f).unwrap()
            };
            out.push((code.clone(), name, display, text));
        }
    }
    out.sort();
    out
}

fn render(display: &str, text: &str) -> (String, Vec<&'static str>) {
    let (inputs, findings) = if Path::new(display).is_dir() {
        let mut options = ambient_lint::LintOptions::default();
        // A tree's config file declares flows, as the CLI reads it.
        let config_path = Path::new(display).join(".ambient-lint.yaml");
        if let Ok(text) = std::fs::read_to_string(&config_path) {
            let config = ambient_lint::config::parse(&config_path, &text).unwrap();
            options.load.config = Some(ambient_lint::load::ConfigInput {
                path: config_path.to_string_lossy().into_owned(),
                text,
                flows: config.flows,
            });
        }
        options.load.paths = vec![PathBuf::from(display)];
        ambient_lint::lint(&options).unwrap()
    } else {
        let inputs = Inputs::from_texts([(display, text)]);
        let findings = check(&inputs, &common::options_for(text));
        (inputs, findings)
    };
    for f in &findings {
        common::assert_house_style(f, display);
    }
    let codes = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.code)
        .collect();
    let report = Report::new(&inputs, findings, true);
    let mut out = Vec::new();
    report.write(Format::Human, false, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), codes)
}

#[test]
fn firing_fixtures_fire_and_quiet_ones_stay_quiet() {
    for (code, name, display, text) in fixtures() {
        let (rendered, codes) = render(&display, &text);
        if name.starts_with("fires-") {
            assert!(
                codes.contains(&code.as_str()),
                "{display} should fire {code}; got {codes:?}\n{rendered}"
            );
            insta::assert_snapshot!(
                format!("{code}__{}", name.trim_end_matches(".yaml")),
                rendered
            );
        } else if name.starts_with("quiet-") {
            assert!(
                !codes.contains(&code.as_str()),
                "{display} should not fire {code}\n{rendered}"
            );
        } else {
            panic!("{display}: fixture names start with `fires-` or `quiet-`");
        }
    }
}

#[test]
fn every_rule_has_fixtures_and_every_fixture_folder_a_rule() {
    let all = fixtures();
    let folders: BTreeSet<&str> = all.iter().map(|f| f.0.as_str()).collect();
    for folder in &folders {
        assert!(
            rules::find(folder).is_some_and(|r| r.code == *folder),
            "tests/fixtures/{folder} names no rule"
        );
    }
    for rule in rules::RULES {
        for kind in ["fires-", "quiet-"] {
            assert!(
                all.iter()
                    .any(|(c, n, _, _)| c == rule.code && n.starts_with(kind)),
                "{} has no `{kind}*.yaml` fixture",
                rule.code
            );
        }
    }
}
