//! Command line: `ambient-lint [PATH]...` lints (the default command), `rules` lists the rules,
//! `explain <CODE>` prints a rule's document.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "ambient-lint",
    version = env!("AMBIENT_LINT_VERSION"),
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
    Check(Box<CheckArgs>),
    /// Report the effective connectivity between every pair of workloads and address blocks
    /// (reports, never fails on what it finds: exit 0, or 2 when it cannot run).
    Connectivity(Box<ConnectivityArgs>),
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
    /// List every flow the manifests intend (routes, env values, the config's `flows:`) with
    /// the engine's verdict and the policy that decided it. Reports only: exit 0.
    Graph(Box<GraphArgs>),
    /// Write a commented starter `.ambient-lint.yaml` in the current directory.
    Init {
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Run the language server over standard input and output, for editors: diagnostics as
    /// you type, for the workspace folder linted as `check .` there.
    Server,
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `1048576`, `512K`, `64M`, `1G`.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, factor) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&t[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| format!("`{s}` is not a size (a number of bytes, or with K, M or G)"))
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

/// `--default-dataplane`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataplaneArg {
    Ambient,
    Sidecar,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

/// `connectivity --mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConnectivityMode {
    /// What the application sees: ambient's wire (HBONE, waypoints) and AuthorizationPolicy,
    /// on the destination's container ports.
    Ambient,
    /// Kubernetes NetworkPolicy alone, as any CNI enforces it without a mesh.
    Plain,
}

/// `connectivity --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConnectivityFormat {
    Table,
    Json,
}

/// `connectivity`: what is read, and how the pairs are shown.
#[derive(Debug, Clone, Args)]
pub struct ConnectivityArgs {
    #[command(flatten)]
    pub lint: LintArgs,

    /// Which enforcement to report.
    #[arg(long, value_enum, default_value_t = ConnectivityMode::Ambient)]
    pub mode: ConnectivityMode,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ConnectivityFormat::Table)]
    pub format: ConnectivityFormat,

    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print where the time went (load, model, pairs, report) to standard error.
    #[arg(long)]
    pub stats: bool,
}

/// `graph`: the flows and how they are shown.
#[derive(Debug, Clone, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub lint: LintArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Table)]
    pub format: GraphFormat,
    /// Show only the flows that are cut.
    #[arg(long)]
    pub blocked: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Table,
    Json,
    Dot,
    Mermaid,
}

/// `check`: what is linted and how, and how the report is written.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub lint: LintArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub fix: FixArgs,
    /// Lint, then lint again each time a manifest, kustomization, ignore file or the config
    /// file changes, clearing the terminal first; stop with Ctrl-C.
    #[arg(long, conflicts_with_all = ["diff", "add_suppressions", "write_baseline"])]
    pub watch: bool,
}

/// What `check` may change in the files it lints.
#[derive(Debug, Clone, Args)]
pub struct FixArgs {
    /// Apply the safe fixes the findings carry, then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// With `--fix` or `--diff`, apply the unsafe fixes too: those that change what traffic is
    /// admitted beyond what the finding names. Review them.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff instead of writing them; exit 1 when there is one.
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,

    /// With `--fix`, list each fix applied.
    #[arg(long)]
    pub show_fixes: bool,

    /// Write an `ambient-lint.io/ignore` annotation with a `TODO` reason for every finding, on
    /// its resource, and exit 0: to adopt the linter, then work the TODOs down.
    #[arg(long, conflicts_with_all = ["fix", "diff"])]
    pub add_suppressions: bool,
}

/// How `check` writes its report.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to this file instead of standard output (the exit status still follows
    /// `--fail-on`).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// When to colour the human format (NO_COLOR is honoured under `auto`).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Print how many findings each rule made, after the report (to standard error when the
    /// report is machine-readable).
    #[arg(long)]
    pub statistics: bool,

    /// List suppressed findings too (marked); they never change the exit status.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Print where the time went (load, model, rules, report) to standard error.
    #[arg(long)]
    pub stats: bool,

    /// Let the findings recorded in this baseline pass (they count as suppressed: "in the
    /// baseline"), and list the recorded ones that no longer occur.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the findings of this run in a baseline file, print nothing else, and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// What is linted, with which facts and rules: shared by `check`, `graph` and `connectivity`.
#[derive(Debug, Clone, Args)]
pub struct LintArgs {
    /// Files or directories to lint (`.yaml`, `.yml`, `.json`, recursively); `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Lowest severity that makes the exit status 1 [default: warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Load this file or folder too, for cross-references (a tree, or a `kubectl get ... -o
    /// yaml` dump), but report only findings that involve the PATHs given (what a pre-commit
    /// hook needs: the changed files, judged against the whole tree); repeatable.
    #[arg(long, value_name = "PATH")]
    pub context: Vec<PathBuf>,

    /// The path standard input stands for: findings in it are shown there, and helm's
    /// `# Source:` comments and kustomize's origin annotations are looked up from its folder.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Lint kustomization folders' files as written instead of rendering each root with
    /// `kustomize build` (or `kubectl kustomize`).
    #[arg(long)]
    pub no_render: bool,

    /// Use this config file instead of looking for `.ambient-lint.yaml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore any `.ambient-lint.yaml`.
    #[arg(long)]
    pub no_config: bool,

    /// Run only these rules: codes, prefixes (`AL3`) or names, comma-separated.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules: codes, prefixes or names, comma-separated.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Namespace for resources that do not name one, as `kubectl -n` [default: default].
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Skip paths matching this glob (.gitignore syntax); repeatable, added to the config's.
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

    /// The dataplane of namespaces the input does not describe (no Namespace object, none
    /// declared): what an app repository whose namespaces live elsewhere says once.
    #[arg(long, value_enum, value_name = "MODE")]
    pub default_dataplane: Option<DataplaneArg>,

    /// A namespace that exists and is enrolled in ambient (shorthand for `--namespace-label
    /// NS:istio.io/dataplane-mode=ambient`); repeatable.
    #[arg(long, value_name = "NS")]
    pub ambient_namespace: Vec<String>,

    /// A label of a namespace that exists outside these manifests, e.g.
    /// `shop:istio.io/use-waypoint=waypoint`; its labels decide enrolment as a Namespace
    /// object's would; repeatable.
    #[arg(long, value_name = "NS:KEY=VALUE")]
    pub namespace_label: Vec<String>,

    /// An object that exists outside these manifests: 'ServiceAccount shop/web',
    /// 'Service shop/api', 'Gateway shop/waypoint' (class istio-waypoint unless a third word
    /// names it); repeatable.
    #[arg(long, value_name = "KIND NAMESPACE/NAME")]
    pub declare: Vec<String>,

    /// The input is the whole cluster: objects it does not hold do not exist. Rules that
    /// otherwise stay quiet about references they cannot check (ServiceAccounts, routes' parents
    /// and backends, targetRefs in namespaces the input does not describe) then report them.
    #[arg(long)]
    pub assume_complete: bool,

    /// Files larger than this many bytes are reported (AL001) and not read; `K`, `M`, `G`
    /// suffixes allowed [default: 64M].
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Documents read from one file at most; the rest is reported (AL001) [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_documents: Option<usize>,

    /// Istio's root namespace, where mesh-wide policies live [default: istio-system].
    #[arg(long, value_name = "NAMESPACE")]
    pub root_namespace: Option<String>,

    /// The mesh's trust domain [default: cluster.local].
    #[arg(long, value_name = "DOMAIN")]
    pub trust_domain: Option<String>,
}
