//! ambient-lint: finds Istio Ambient Mesh misconfigurations in Kubernetes manifests before they
//! reach a cluster.
//!
//! Data flow: [`load`] (files → spanned YAML trees → objects) → [`model`] (typed resources and
//! indexes) → [`rules`] (pure functions of the model reporting field paths) → [`report`].

pub mod cli;
pub mod finding;
pub mod load;
pub mod model;
pub mod report;
pub mod rules;
pub mod suppress;

use finding::{Finding, Severity};
use load::{Inputs, LoadOptions};
use model::{Model, ModelOptions};
use rules::{Context, RuleOptions, routes::RequestPattern};

/// Everything a lint run is told.
#[derive(Debug, Clone)]
pub struct LintOptions {
    pub load: LoadOptions,
    pub model: ModelOptions,
    pub rules: RuleOptions,
}

/// What stops a run before any finding: exit status 2.
#[derive(Debug)]
pub enum RunError {
    Load(load::LoadError),
    Usage(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Load(e) => e.fmt(f),
            RunError::Usage(s) => f.write_str(s),
        }
    }
}

impl LintOptions {
    pub fn from_args(args: &cli::CheckArgs) -> Result<LintOptions, RunError> {
        let patterns = |specs: &[String]| {
            specs
                .iter()
                .map(|s| RequestPattern::parse(s).map_err(RunError::Usage))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(LintOptions {
            load: LoadOptions {
                paths: args.paths.clone(),
                exclude: args.exclude.clone(),
                default_namespace: args.namespace.clone(),
                max_file_size: load::DEFAULT_MAX_FILE_SIZE,
            },
            model: ModelOptions {
                root_namespace: args.root_namespace.clone(),
                trust_domain: args.trust_domain.clone(),
                known_namespaces: args.known_namespace.clone(),
                assume_complete: args.assume_complete,
            },
            rules: RuleOptions {
                internal_paths: patterns(&args.internal_path)?,
                public_mutations: patterns(&args.public_mutation)?,
            },
        })
    }
}

/// Loads, models and checks: the inputs and every finding, unsorted.
pub fn lint(options: &LintOptions) -> Result<(Inputs, Vec<Finding>), RunError> {
    let inputs = load::load(&options.load).map_err(RunError::Load)?;
    let findings = check(&inputs, options);
    Ok((inputs, findings))
}

/// Runs the model and the rules over loaded inputs.
pub fn check(inputs: &Inputs, options: &LintOptions) -> Vec<Finding> {
    let model = Model::build(inputs, options.model.clone());
    let ctx = Context {
        model: &model,
        inputs,
        options: &options.rules,
    };
    let mut findings = inputs.findings.clone();
    findings.extend(model.findings.iter().cloned());
    findings.extend(rules::run(&ctx));
    suppress::apply(inputs, &mut findings);
    findings
}

/// Whether findings at these severities fail the run under `--fail-on`.
pub fn fails(findings: &[Finding], fail_on: cli::FailOn) -> bool {
    let threshold = match fail_on {
        cli::FailOn::Error => Severity::Error,
        cli::FailOn::Warning => Severity::Warning,
        cli::FailOn::Info => Severity::Info,
        cli::FailOn::Never => return false,
    };
    findings
        .iter()
        .any(|f| f.suppressed.is_none() && f.severity >= threshold)
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            load: LoadOptions {
                paths: vec![],
                exclude: vec![],
                default_namespace: "default".to_string(),
                max_file_size: load::DEFAULT_MAX_FILE_SIZE,
            },
            model: ModelOptions::default(),
            rules: RuleOptions::default(),
        }
    }
}
