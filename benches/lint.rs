//! `cargo bench --bench lint`: times the YAML load alone and the whole lint on synthetic trees
//! of 1k, 10k and 100k resources (medians of several runs), and prints the table that
//! docs/performance.md records. `BENCH_SIZES=1000,10000` picks the sizes; the trees stay in
//! `target/bench-trees/` for other tools to read.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ambient_lint::load::{self, LoadOptions};
use ambient_lint::{LintOptions, check};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-trees");
    println!(
        "| resources | files | bytes | load (median) | full lint (median) | lint / load | findings |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for size in sizes {
        let dir = root.join(format!("tree-{size}"));
        let resources = support::write_tree(&dir, size);
        let runs = if size >= 100_000 { 3 } else { 5 };
        let options = LintOptions {
            load: LoadOptions {
                paths: vec![dir.clone()],
                ..LintOptions::default().load
            },
            ..LintOptions::default()
        };
        let mut loads = Vec::new();
        let mut lints = Vec::new();
        let mut findings = 0;
        let mut files = 0;
        let mut bytes = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let inputs = load::load(&options.load).unwrap();
            loads.push(t.elapsed());
            files = inputs.files.len();
            bytes = inputs.files.iter().map(|f| f.text.len()).sum::<usize>();
            assert!(
                inputs.objects.len() >= resources - 2,
                "{} objects",
                inputs.objects.len()
            );
            drop(inputs);
            let t = Instant::now();
            let inputs = load::load(&options.load).unwrap();
            findings = check(&inputs, &options).len();
            lints.push(t.elapsed());
        }
        let (load, lint) = (median(loads), median(lints));
        println!(
            "| {resources} | {files} | {bytes} | {:.3} s | {:.3} s | {:.2}x | {findings} |",
            load.as_secs_f64(),
            lint.as_secs_f64(),
            lint.as_secs_f64() / load.as_secs_f64()
        );
    }
}
