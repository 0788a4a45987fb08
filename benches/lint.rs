//! `cargo bench --bench lint`: times the YAML load alone and the whole lint on synthetic trees
//! of 1k, 10k and 100k resources (medians of several runs), and prints the tables that
//! docs/performance.md records: one cluster; the same sizes as ten alternative copies declared as
//! units; and kustomize overlays rendered by the kubectl or kustomize on PATH.
//! `BENCH_SIZES=1000,10000` picks the sizes, `BENCH_ROOTS=20` the overlays; the trees stay in
//! `target/bench-trees/` for other tools to read. `BENCH_TREES_ONLY=1` writes the one-cluster
//! trees and stops, for timing commands on them (`connectivity` on 65000 resources: 10k
//! workloads, docs/performance.md).

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
    let roots: usize = std::env::var("BENCH_ROOTS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-trees");
    if std::env::var_os("BENCH_TREES_ONLY").is_some() {
        for &size in &sizes {
            let dir = root.join(format!("tree-{size}"));
            let resources = support::write_tree(&dir, size);
            println!("{}: {resources} resources", dir.display());
        }
        return;
    }
    println!("One cluster:\n");
    table(sizes.iter().map(|&size| {
        let dir = root.join(format!("tree-{size}"));
        let resources = support::write_tree(&dir, size);
        (dir, resources, vec![])
    }));
    println!("\nTen alternative copies, declared as units (`units: [\"env-*\"]`):\n");
    table(sizes.iter().map(|&size| {
        let dir = root.join(format!("units-{size}"));
        let resources = support::write_unit_tree(&dir, size, 10);
        let units = vec![load::ExcludeGlob {
            glob: "env-*".to_string(),
            base: dir.clone(),
        }];
        (dir, resources, units)
    }));
    println!("\n{roots} kustomize overlays of one base, each rendered:\n");
    let dir = root.join(format!("kustomize-{roots}"));
    let resources = support::write_kustomize_tree(&dir, roots);
    table(std::iter::once((dir, resources, vec![])));
}

/// Times each tree and prints a table row for it.
fn table(trees: impl Iterator<Item = (PathBuf, usize, Vec<load::ExcludeGlob>)>) {
    println!(
        "| resources | files | bytes | units | load (median) | full lint (median) | lint / load | findings |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (dir, resources, units) in trees {
        let size = resources;
        let runs = if size >= 100_000 { 3 } else { 5 };
        let options = LintOptions {
            load: LoadOptions {
                paths: vec![dir.clone()],
                units,
                ..LintOptions::default().load
            },
            ..LintOptions::default()
        };
        let mut loads = Vec::new();
        let mut lints = Vec::new();
        let mut findings = 0;
        let mut files = 0;
        let mut bytes = 0;
        let mut unit_count = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let inputs = load::load(&options.load).unwrap();
            loads.push(t.elapsed());
            files = inputs.files.len();
            bytes = inputs.files.iter().map(|f| f.text.len()).sum::<usize>();
            unit_count = inputs.units.len();
            assert!(
                inputs.checked_objects() + 2 >= resources,
                "{} objects",
                inputs.checked_objects()
            );
            drop(inputs);
            let t = Instant::now();
            let inputs = load::load(&options.load).unwrap();
            findings = check(&inputs, &options).len();
            lints.push(t.elapsed());
        }
        let (load, lint) = (median(loads), median(lints));
        println!(
            "| {resources} | {files} | {bytes} | {unit_count} | {:.3} s | {:.3} s | {:.2}x | {findings} |",
            load.as_secs_f64(),
            lint.as_secs_f64(),
            lint.as_secs_f64() / load.as_secs_f64()
        );
    }
}
