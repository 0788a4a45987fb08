//! Command line: `ambient-lint [PATH]...` lints (the default command), `rules` lists the rules,
//! `explain <CODE>` prints a rule's document.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "ambient-lint",
    version,
    about = "Finds Istio Ambient Mesh misconfigurations in Kubernetes manifests before they reach a cluster",
    args_conflicts_with_subcommands = true,
    after_help = "Exit status: 0 no finding at or above --fail-on, 1 findings, 2 the tool could not run.\nA path named like a subcommand can be linted as `ambient-lint check rules` or `./rules`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests (the default command).
    Check(CheckArgs),
    /// List every rule: code, name, default severity, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print a rule's document.
    Explain {
        /// A rule code (AL201) or name (l7-rule-in-ztunnel-allow).
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    /// The rules index of `docs/rules.md`.
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or directories to lint (`.yaml`, `.yml`, `.json`, recursively); `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to colour the human format (NO_COLOR is honoured under `auto`).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// List suppressed findings too (marked); they never change the exit status.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Namespace for resources that do not name one, as `kubectl -n`.
    #[arg(short = 'n', long, value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,

    /// Skip paths matching this glob (.gitignore syntax); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// A request that must not be reachable through a north-south gateway, e.g.
    /// 'POST /inven/stock/reserve' or '/admin/*'; repeatable.
    #[arg(long, value_name = "[METHOD] PATH")]
    pub internal_path: Vec<String>,

    /// A mutating request that is meant to be public, e.g. 'POST /ecom/checkout' or
    /// 'POST /api/cart/*': AL402 stays quiet about routes within it; repeatable.
    #[arg(long, value_name = "METHOD PATH")]
    pub public_mutation: Vec<String>,

    /// A namespace that exists in the cluster but not in these manifests; repeatable.
    #[arg(long, value_name = "NAMESPACE")]
    pub known_namespace: Vec<String>,

    /// The input is the whole cluster: objects it does not hold do not exist. Rules that
    /// otherwise stay quiet about references they cannot check (ServiceAccounts, routes' parents
    /// and backends, targetRefs in namespaces the input does not describe) then report them.
    #[arg(long)]
    pub assume_complete: bool,

    /// Istio's root namespace (mesh-wide policies live there).
    #[arg(long, value_name = "NAMESPACE", default_value = "istio-system")]
    pub root_namespace: String,

    /// The mesh's trust domain.
    #[arg(long, value_name = "DOMAIN", default_value = "cluster.local")]
    pub trust_domain: String,
}
