use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ambient_lint::cli::{
    CheckArgs, Cli, Color, Command, ConnectivityArgs, ConnectivityFormat, ConnectivityMode,
    GraphArgs, GraphFormat, ListFormat,
};
use ambient_lint::report::Report;
use ambient_lint::{Settings, config, fails, lint_timed, rules};
use clap::{CommandFactory, Parser};

const CLEAN: u8 = 0;
const FINDINGS: u8 = 1;
const CANNOT_RUN: u8 = 2;

/// Loading and modelling allocate many small strings on every core; mimalloc serves them from
/// per-thread pages (ruff does the same). Built without transparent huge pages (`no_thp`): with
/// them, the pages the loader frees stay resident in 2 MiB units, 25-40 MB more peak memory on
/// the 100k bench tree for no measurable speed (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Connectivity(args)) => connectivity(&args),
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Explain { rule }) => explain(&rule),
        Some(Command::Graph(args)) => graph(&args),
        Some(Command::Init { force }) => init(force),
        Some(Command::Server) => match ambient_lint::server::run() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("ambient-lint: error: the language server stopped: {e}");
                CANNOT_RUN
            }
        },
        Some(Command::Completions { shell }) => {
            // The generator panics when its writer fails, so it writes to memory first.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ambient-lint", &mut script);
            emit(|out| out.write_all(&script))
        }
        None => check(&cli.check),
    };
    ExitCode::from(code)
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("ambient-lint: error: {message}");
    CANNOT_RUN
}

/// Writes to standard output through one lock. A reader that stops early closes the pipe
/// (`ambient-lint rules | head -3`); that ends the output quietly instead of panicking as
/// `println!` does.
fn emit(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> u8 {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(format!("cannot write to standard output: {e}"))
        }
        _ => CLEAN,
    }
}

/// Something the user should know that does not change the exit status.
fn warn(message: impl std::fmt::Display) {
    eprintln!("ambient-lint: warning: {message}");
}

/// `graph`: every intended flow with its verdict; exit 0 whatever they are.
fn graph(args: &GraphArgs) -> u8 {
    let settings = match Settings::from_args(&args.lint) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    for w in &settings.warnings {
        warn(w);
    }
    let (inputs, mut flows) = match ambient_lint::graph::flows(&settings.lint) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for w in &inputs.warnings {
        warn(w);
    }
    if args.blocked {
        flows.retain(|f| f.verdict == "blocked");
    }
    use ambient_lint::graph::{write_dot, write_json, write_mermaid, write_table};
    emit(|out| match args.format {
        GraphFormat::Table => write_table(out, &flows),
        GraphFormat::Json => write_json(out, &flows),
        GraphFormat::Dot => write_dot(out, &flows),
        GraphFormat::Mermaid => write_mermaid(out, &flows),
    })
}

/// `3 files`, `1 file`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `--add-suppressions`, `--diff` and `--fix`: the first two are all the run does (their exit
/// status is returned); `--fix` then goes on to lint and report what is left (None).
fn edit_files(args: &CheckArgs, settings: &Settings) -> Option<u8> {
    if args.fix.add_suppressions {
        return Some(match ambient_lint::add_suppressions(&settings.lint) {
            Ok((added, skipped)) => {
                for r in &added.refused {
                    warn(format!("{}: no suppression added: {}", r.file, r.why));
                }
                let unplaced = if skipped > 0 {
                    format!(
                        "; {skipped} findings are on no resource of a file linted (a parse error, or a rendered object) and got none"
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "ambient-lint: added {} in {}{unplaced}",
                    count(
                        added.applied.len(),
                        "suppression annotation",
                        "suppression annotations"
                    ),
                    count(added.files.len(), "file", "files"),
                );
                CLEAN
            }
            Err(e) => fail(e),
        });
    }
    if !(args.fix.diff || args.fix.fix) {
        return None;
    }
    let fixed = match ambient_lint::fix(&settings.lint, args.fix.unsafe_fixes, args.fix.fix) {
        Ok(f) => f,
        Err(e) => return Some(fail(e)),
    };
    for r in &fixed.refused {
        warn(format!("{}: not fixed: {}", r.file, r.why));
    }
    let files = count(fixed.files.len(), "file", "files");
    if args.fix.diff {
        let written = emit(|out| {
            for (path, old, new) in &fixed.files {
                out.write_all(ambient_lint::fix::unified_diff(path, old, new).as_bytes())?;
            }
            Ok(())
        });
        if written != CLEAN {
            return Some(written);
        }
        eprintln!(
            "ambient-lint: {} to apply in {files}",
            count(fixed.applied.len(), "fix", "fixes")
        );
        return Some(if fixed.files.is_empty() {
            CLEAN
        } else {
            FINDINGS
        });
    }
    eprintln!(
        "ambient-lint: fixed {} in {files}",
        count(fixed.applied.len(), "finding", "findings")
    );
    if args.fix.show_fixes {
        for a in &fixed.applied {
            eprintln!("  {}:{}: {} {}", a.file, a.line, a.code, a.title);
        }
    }
    None
}

fn check(args: &CheckArgs) -> u8 {
    if args.watch {
        return watch(args);
    }
    check_once(args, &mut Vec::new())
}

/// `check --watch`: a check, then another after each change to what it reads, until Ctrl-C.
/// A run that cannot run (a broken config file) is reported and watched like the others: the
/// next save may mend it.
fn watch(args: &CheckArgs) -> u8 {
    use ambient_lint::watch::{Snapshot, wait_for_change};
    if args.lint.paths.iter().any(|p| p.as_os_str() == "-") {
        return fail("--watch cannot watch standard input: pass the files or folders to watch");
    }
    if let Some(missing) = args.lint.paths.iter().find(|p| !p.exists()) {
        return fail(format!("{}: no such file or directory", missing.display()));
    }
    let mut paths = args.lint.paths.clone();
    paths.extend(args.lint.context.iter().cloned());
    // The config file: the one given, else the one found, else where one would be found.
    let cwd = std::env::current_dir().unwrap_or_default();
    let config = args.lint.config.clone().or_else(|| {
        (!args.lint.no_config).then(|| {
            ambient_lint::config::discover_with_near_misses(&cwd)
                .0
                .unwrap_or_else(|| cwd.join(ambient_lint::config::FILE_NAME))
        })
    });
    let given: Vec<std::path::PathBuf> = config
        .into_iter()
        .chain(args.report.baseline.clone())
        .collect();
    // The report file changes with every run: watching it would start the next.
    let skip: Vec<std::path::PathBuf> = args.report.output.iter().cloned().collect();
    let mut extra = given.clone();
    let terminal = std::io::stdout().is_terminal();
    let mut snapshot = Snapshot::take(&paths, &extra, &skip);
    let mut changed: Vec<std::path::PathBuf> = Vec::new();
    loop {
        if terminal {
            // Clear the screen and the scrollback, cursor home: each run stands alone.
            print!("\x1b[2J\x1b[3J\x1b[H");
        }
        let start = std::time::Instant::now();
        let mut read = Vec::new();
        let status = check_once(args, &mut read);
        // What the lint read outside the paths given (a kustomize base beside an overlay) is
        // watched too, from now on.
        let now_extra: Vec<std::path::PathBuf> = given.iter().cloned().chain(read).collect();
        if now_extra != extra {
            extra = now_extra;
            snapshot.add_missing(Snapshot::take(&[], &extra, &skip));
        }
        let took = start.elapsed().as_secs_f64();
        let cause = match changed.as_slice() {
            [] => String::new(),
            [one] => format!(" after a change to {}", one.display()),
            many => format!(" after changes to {} files", many.len()),
        };
        let outcome = match status {
            CLEAN => "clean",
            FINDINGS => "findings at or above --fail-on",
            _ => "could not run",
        };
        let files = match snapshot.len() {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        };
        eprintln!(
            "ambient-lint: watching {files}; linted in {took:.2} s{cause}: {outcome}. Waiting for changes (Ctrl-C to stop)."
        );
        (snapshot, changed) = wait_for_change(&paths, &extra, &skip, &snapshot);
    }
}

/// One check; `read` gets the files it read from disk (for `--watch`).
fn check_once(args: &CheckArgs, read: &mut Vec<std::path::PathBuf>) -> u8 {
    let mut settings = match Settings::from_args(&args.lint) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    for w in &settings.warnings {
        warn(w);
    }
    if let Some(status) = edit_files(args, &settings) {
        return status;
    }
    // This lint is the process's last (the `--fix` loop above frees what each of its lints
    // built); `--watch` lints again and again.
    settings.lint.one_shot = !args.watch;
    // Read the baseline before linting: a file that is not one cannot run.
    let baseline = match &args.report.baseline {
        Some(path) => match ambient_lint::baseline::read(path) {
            Ok(b) => Some((path.display().to_string(), b)),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let ambient_lint::Linted {
        inputs,
        mut findings,
        unjudged,
        timings,
    } = match lint_timed(&settings.lint) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for w in &inputs.warnings {
        warn(w);
    }
    use ambient_lint::load::source::FileRole;
    read.extend(
        inputs
            .files
            .iter()
            .filter(|f| {
                matches!(
                    f.role,
                    FileRole::Lint | FileRole::Context | FileRole::Source | FileRole::Config
                ) && f.path != ambient_lint::load::STDIN_NAME
            })
            .map(|f| std::path::PathBuf::from(&f.path)),
    );
    if let Some(path) = &args.report.write_baseline {
        let recorded = ambient_lint::baseline::record(&inputs, &findings);
        if let Err(e) = ambient_lint::baseline::write(&recorded, path) {
            return fail(e);
        }
        eprintln!(
            "ambient-lint: recorded {} {} in {}",
            recorded.findings.len(),
            if recorded.findings.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            path.display()
        );
        return CLEAN;
    }
    let outcome =
        baseline.map(|(file, b)| ambient_lint::baseline::apply(&b, &file, &inputs, &mut findings));
    let report_start = std::time::Instant::now();
    let failed = fails(&findings, settings.fail_on);
    let report = Report::new(&inputs, findings, args.report.show_suppressed)
        .with_unjudged(&unjudged)
        .with_baseline(outcome);
    let to_file = args.report.output.is_some();
    let color = match args.report.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let written = match &args.report.output {
        Some(path) => std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .and_then(|mut f| {
                report.write(args.report.format, color, &mut f)?;
                f.flush()
            })
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match report
                .write(args.report.format, color, &mut out)
                .and_then(|_| out.flush())
            {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the report: {e}"))
                }
                _ => Ok(()),
            }
        }
    };
    if let Err(e) = written {
        return fail(e);
    }
    if args.report.stats {
        let bytes: usize = inputs.files.iter().map(|f| f.text.len()).sum();
        eprintln!(
            "load {:.3} s ({} files, {} bytes, {} documents, {} resources), model {:.3} s, rules {:.3} s, report {:.3} s",
            timings.load.as_secs_f64(),
            inputs.files.len(),
            bytes,
            inputs.documents,
            inputs.checked_objects(),
            timings.model.as_secs_f64(),
            timings.rules.as_secs_f64(),
            report_start.elapsed().as_secs_f64()
        );
    }
    if args.report.statistics {
        // Keep machine-readable output parseable: statistics then go to standard error.
        let result = if args.report.format.machine_readable() && !to_file {
            report.write_statistics(&mut std::io::stderr().lock())
        } else {
            report.write_statistics(&mut std::io::stdout().lock())
        };
        match result {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return fail(format!("cannot write statistics: {e}"));
            }
            _ => {}
        }
    }
    if failed { FINDINGS } else { CLEAN }
}

/// Reports, does not gate: 0 whatever it finds (files that are not manifests skipped, objects
/// the API server would refuse left out, as `check` does), 2 when it cannot run.
fn connectivity(args: &ConnectivityArgs) -> u8 {
    let mut settings = match Settings::from_args(&args.lint) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    settings.lint.load.template_documents = true;
    for w in &settings.warnings {
        warn(w);
    }
    let start = std::time::Instant::now();
    let inputs = match ambient_lint::load::load(&settings.lint.load) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let load_time = start.elapsed();
    for w in &inputs.warnings {
        warn(w);
    }
    let mode = match args.mode {
        ConnectivityMode::Ambient => ambient_lint::connectivity::Mode::Ambient,
        ConnectivityMode::Plain => ambient_lint::connectivity::Mode::Plain,
    };
    let result = ambient_lint::connectivity::run(&inputs, &settings.lint, mode);
    let write = |out: &mut dyn Write| match args.format {
        ConnectivityFormat::Table => result.write_table(out),
        ConnectivityFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&result.to_json(mode)).unwrap_or_default()
        ),
    };
    let report_start = std::time::Instant::now();
    let code = match &args.output {
        Some(path) => match std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .and_then(|mut f| {
                write(&mut f)?;
                f.flush()
            }) {
            Ok(()) => CLEAN,
            Err(e) => fail(format!("cannot write {}: {e}", path.display())),
        },
        None => emit(|out| {
            let mut buffered = std::io::BufWriter::new(out);
            write(&mut buffered)?;
            buffered.flush()
        }),
    };
    if args.stats {
        eprintln!(
            "load {:.3} s ({} files, {} workload pairs and address rows), model {:.3} s, pairs {:.3} s, report {:.3} s",
            load_time.as_secs_f64(),
            inputs.files.len(),
            result.pairs.len(),
            result.model_time.as_secs_f64(),
            result.pairs_time.as_secs_f64(),
            report_start.elapsed().as_secs_f64()
        );
    }
    code
}

fn init(force: bool) -> u8 {
    let path = std::path::Path::new(config::FILE_NAME);
    if path.exists() && !force {
        return fail(format!(
            "{} already exists (use --force to replace it)",
            config::FILE_NAME
        ));
    }
    match std::fs::write(path, config::STARTER) {
        Ok(()) => emit(|out| writeln!(out, "wrote {}", config::FILE_NAME)),
        Err(e) => fail(format!("cannot write {}: {e}", config::FILE_NAME)),
    }
}

fn list_rules(format: ListFormat) -> u8 {
    emit(|out| match format {
        ListFormat::Text => {
            for r in rules::RULES {
                let fix = match r.fix.describe() {
                    "" => String::new(),
                    d => format!(" ({d})"),
                };
                writeln!(
                    out,
                    "{}  {:<36} {:<8} {}{fix}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                )?;
            }
            Ok(())
        }
        ListFormat::Markdown => out.write_all(rules::index_markdown().as_bytes()),
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules::RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.as_str(),
                        "summary": r.summary,
                        "fix": match r.fix {
                            rules::FixAvailability::None => serde_json::Value::Null,
                            rules::FixAvailability::Sometimes(a) => serde_json::json!(a),
                        },
                    })
                })
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            )
        }
    })
}

fn explain(rule: &str) -> u8 {
    match rules::find(rule) {
        Some(r) => emit(|out| out.write_all(r.doc.as_bytes())),
        None => fail(format!("no rule `{rule}`; `ambient-lint rules` lists them")),
    }
}
