use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ambient_lint::cli::{CheckArgs, Cli, Color, Command, ListFormat};
use ambient_lint::report::Report;
use ambient_lint::{LintOptions, fails, lint, rules};
use clap::Parser;

const CLEAN: u8 = 0;
const FINDINGS: u8 = 1;
const CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Rules { format }) => list_rules(format),
        Some(Command::Explain { rule }) => explain(&rule),
        None => check(&cli.check),
    };
    ExitCode::from(code)
}

fn check(args: &CheckArgs) -> u8 {
    let run = LintOptions::from_args(args).and_then(|o| lint(&o));
    let (inputs, findings) = match run {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ambient-lint: error: {e}");
            return CANNOT_RUN;
        }
    };
    let failed = fails(&findings, args.fail_on);
    let report = Report::new(&inputs, findings, args.show_suppressed);
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = report
        .write(args.format, color, &mut out)
        .and_then(|_| out.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("ambient-lint: error: cannot write the report: {e}");
            return CANNOT_RUN;
        }
    }
    if failed { FINDINGS } else { CLEAN }
}

fn list_rules(format: ListFormat) -> u8 {
    match format {
        ListFormat::Text => {
            for r in rules::RULES {
                println!(
                    "{}  {:<36} {:<8} {}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                );
            }
        }
        ListFormat::Markdown => print!("{}", rules::index_markdown()),
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = rules::RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.as_str(),
                        "summary": r.summary,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
        }
    }
    CLEAN
}

fn explain(rule: &str) -> u8 {
    match rules::find(rule) {
        Some(r) => {
            print!("{}", r.doc);
            CLEAN
        }
        None => {
            eprintln!("ambient-lint: error: no rule `{rule}`; `ambient-lint rules` lists them");
            CANNOT_RUN
        }
    }
}
