//! `cargo bench --bench parse_floor`: the floor under any lint of a tree — every file read into
//! memory, then every YAML event pulled through saphyr-parser, building nothing — on the one-
//! cluster bench tree (`BENCH_SIZE`, default 100000 resources; written by `cargo bench --bench
//! lint` or here when missing). docs/performance.md puts the whole lint beside it (issue 11: the
//! lint should stay within 2× this floor). Medians of five runs, on one core and on all of them
//! (rayon, as the lint reads). Beside the floor, the same texts built into the loader's arena
//! trees (`parse_text`), so that the cost of the tree itself shows. The allocator is the
//! binary's.

#[allow(dead_code)] // the lint bench uses the rest of it
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_below(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let size: usize = std::env::var("BENCH_SIZE")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100_000);
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-trees/tree-{size}"));
    if !dir.exists() {
        support::write_tree(&dir, size);
    }
    let mut paths = Vec::new();
    files_below(&dir, &mut paths);
    paths.sort();
    let (mut reads, mut parses, mut parallel) = (Vec::new(), Vec::new(), Vec::new());
    let (mut trees, mut trees_parallel) = (Vec::new(), Vec::new());
    let (mut bytes, mut events) = (0usize, 0usize);
    for _ in 0..5 {
        let start = Instant::now();
        let texts: Vec<String> = paths
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        reads.push(start.elapsed());
        bytes = texts.iter().map(String::len).sum();
        let start = Instant::now();
        events = 0;
        for t in &texts {
            for item in saphyr_parser::Parser::new_from_str(t) {
                std::hint::black_box(item.unwrap());
                events += 1;
            }
        }
        parses.push(start.elapsed());
        // As the lint parses: files spread over the cores.
        let start = Instant::now();
        use rayon::prelude::*;
        let n: usize = texts
            .par_iter()
            .map(|t| {
                let mut n = 0;
                for item in saphyr_parser::Parser::new_from_str(t) {
                    std::hint::black_box(item.unwrap());
                    n += 1;
                }
                n
            })
            .sum();
        assert_eq!(n, events);
        parallel.push(start.elapsed());
        // The loader's trees, from the same texts (shared as the loader shares them).
        let shared: Vec<Arc<str>> = texts.iter().map(|t| Arc::from(t.as_str())).collect();
        let start = Instant::now();
        for t in &shared {
            std::hint::black_box(ambient_lint::load::yaml::parse_text(t.clone(), usize::MAX));
        }
        trees.push(start.elapsed());
        let start = Instant::now();
        shared.par_iter().for_each(|t| {
            std::hint::black_box(ambient_lint::load::yaml::parse_text(t.clone(), usize::MAX));
        });
        trees_parallel.push(start.elapsed());
    }
    println!(
        "{}: {} files, {:.1} MB, {events} events; read {:.3} s, parse floor {:.3} s on one core, {:.3} s on {} (medians of 5)",
        dir.display(),
        paths.len(),
        bytes as f64 / 1e6,
        median(reads).as_secs_f64(),
        median(parses).as_secs_f64(),
        median(parallel).as_secs_f64(),
        rayon::current_num_threads()
    );
    println!(
        "arena trees (parse_text): {:.3} s on one core, {:.3} s on {} (medians of 5)",
        median(trees).as_secs_f64(),
        median(trees_parallel).as_secs_f64(),
        rayon::current_num_threads()
    );
}
