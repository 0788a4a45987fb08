//! ambient-lint: finds Istio Ambient Mesh misconfigurations in Kubernetes manifests before they
//! reach a cluster.
//!
//! Data flow: [`load`] (files → spanned YAML trees → objects) → [`model`] (typed resources and
//! indexes) → [`rules`] (pure functions of the model reporting field paths) → [`report`].

pub mod baseline;
pub mod cli;
pub mod config;
pub mod connectivity;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod flows;
pub mod graph;
pub mod hash;
pub mod intern;
pub mod load;
pub mod model;
pub mod report;
pub mod rules;
pub mod server;
pub mod suppress;
pub mod watch;

use finding::{Finding, Location, Severity};
use load::{Inputs, LoadOptions};
use model::{Model, ModelOptions};
use rules::{Context, RuleOptions, routes::RequestPattern};

/// Everything a lint run is told.
#[derive(Debug, Clone)]
pub struct LintOptions {
    pub load: LoadOptions,
    pub model: ModelOptions,
    pub rules: RuleOptions,
    /// The process ends after this run: a single unit's model and the rules' shared inputs are
    /// not freed, the system takes them back at exit (clang's `-disable-free`). Freeing a
    /// 100k-object model takes about 35 ms on one core.
    pub one_shot: bool,
}

/// What stops a run before any finding: exit status 2.
#[derive(Debug)]
pub enum RunError {
    Load(load::LoadError),
    Config(config::ConfigError),
    Usage(String),
    /// A fixed file could not be written.
    Fix(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Load(e) => e.fmt(f),
            RunError::Config(e) => e.fmt(f),
            RunError::Usage(s) | RunError::Fix(s) => f.write_str(s),
        }
    }
}

/// A run's settings: the config file's, with the command line's on top.
#[derive(Debug, Clone)]
pub struct Settings {
    pub lint: LintOptions,
    pub fail_on: cli::FailOn,
    /// The config file used, if any.
    pub config: Option<std::path::PathBuf>,
    /// What to tell the user on standard error before the run (a config file under a near-miss
    /// name that is not read).
    pub warnings: Vec<String>,
}

impl Settings {
    pub fn from_args(args: &cli::LintArgs) -> Result<Settings, RunError> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut warnings = Vec::new();
        let path = match (&args.config, args.no_config) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => {
                let (found, misses) = config::discover_with_near_misses(&cwd);
                if found.is_none() {
                    for m in misses {
                        let shown = m.strip_prefix(&cwd).unwrap_or(&m).display().to_string();
                        warnings.push(format!(
                            "{shown} is not read: the config file must be named `{}` (or pass `--config {shown}`)",
                            config::FILE_NAME
                        ));
                    }
                }
                found
            }
        };
        let file = match &path {
            Some(p) => config::load(p).map_err(RunError::Config)?,
            None => config::Config::default(),
        };
        let base = file.dir();
        let base = if base.as_os_str().is_empty() {
            cwd.clone()
        } else {
            base
        };
        let patterns = |specs: &[String]| {
            specs
                .iter()
                .map(|s| RequestPattern::parse(s).map_err(RunError::Usage))
                .collect::<Result<Vec<_>, _>>()
        };
        // Lists from the command line replace the file's, like single values do.
        let pick = |cli: &[String], file: &[String]| {
            if cli.is_empty() {
                file.to_vec()
            } else {
                cli.to_vec()
            }
        };
        for code in args.select.iter().chain(&args.ignore) {
            if !config::selector_known(code) {
                return Err(RunError::Usage(format!(
                    "`{code}` is not a rule code, prefix or name (see `ambient-lint rules`)"
                )));
            }
        }
        let fail_on = match (args.fail_on, file.fail_on.as_deref()) {
            (Some(f), _) => f,
            (None, Some("error")) => cli::FailOn::Error,
            (None, Some("info")) => cli::FailOn::Info,
            (None, Some("never")) => cli::FailOn::Never,
            (None, _) => cli::FailOn::Warning,
        };
        let mut exclude: Vec<load::ExcludeGlob> = file
            .exclude
            .iter()
            .map(|g| load::ExcludeGlob {
                glob: g.clone(),
                base: base.clone(),
            })
            .collect();
        exclude.extend(args.exclude.iter().map(|g| load::ExcludeGlob {
            glob: g.clone(),
            base: cwd.clone(),
        }));
        let declared = declared_facts(args, &file, path.as_deref())?;
        let default_dataplane = match (args.default_dataplane, file.default_dataplane.as_deref()) {
            (Some(cli::DataplaneArg::Ambient), _) | (None, Some("ambient")) => {
                Some(model::Dataplane::Ambient)
            }
            (Some(cli::DataplaneArg::Sidecar), _) | (None, Some("sidecar")) => {
                Some(model::Dataplane::Sidecar)
            }
            (Some(cli::DataplaneArg::None), _) | (None, Some(_)) => Some(model::Dataplane::Outside),
            (None, None) => None,
        };
        let lint = LintOptions {
            load: LoadOptions {
                paths: args.paths.clone(),
                context: args.context.clone(),
                declared,
                exclude,
                default_namespace: args
                    .namespace
                    .clone()
                    .or(file.namespace.clone())
                    .unwrap_or_else(|| "default".to_string()),
                max_file_size: args.max_file_size.unwrap_or(load::DEFAULT_MAX_FILE_SIZE),
                max_documents: args.max_documents.unwrap_or(load::DEFAULT_MAX_DOCUMENTS),
                units: file
                    .units
                    .iter()
                    .map(|g| load::ExcludeGlob {
                        glob: g.clone(),
                        base: base.clone(),
                    })
                    .collect(),
                render: !args.no_render,
                stdin_filename: args.stdin_filename.clone(),
                template_documents: false,
                config: path.as_deref().map(|p| load::ConfigInput {
                    path: load::display_path(p.strip_prefix(&cwd).unwrap_or(p)),
                    text: file.text.clone(),
                    flows: file.flows.clone(),
                }),
                overlay: Default::default(),
                stdin_bytes: None,
                keep_trees: false,
            },
            model: ModelOptions {
                incomplete: false,
                root_namespace: args
                    .root_namespace
                    .clone()
                    .or(file.root_namespace.clone())
                    .unwrap_or_else(|| "istio-system".to_string()),
                trust_domain: args
                    .trust_domain
                    .clone()
                    .or(file.trust_domain.clone())
                    .unwrap_or_else(|| "cluster.local".to_string()),
                known_namespaces: pick(&args.known_namespace, &file.known_namespaces),
                assume_complete: args.assume_complete || file.assume_complete.unwrap_or(false),
                default_dataplane,
            },
            rules: RuleOptions {
                internal_paths: patterns(&pick(&args.internal_path, &file.routes_internal))?,
                public_mutations: patterns(&pick(
                    &args.public_mutation,
                    &file.routes_public_mutations,
                ))?,
                selection: config::Selection {
                    select: if args.select.is_empty() {
                        file.select.clone()
                    } else {
                        Some(args.select.clone())
                    },
                    ignore: pick(&args.ignore, &file.ignore),
                    severity: file.severity.clone(),
                    per_path_ignores: file.per_path_ignores.clone(),
                    base,
                    ..config::Selection::default()
                },
            },
            one_shot: false,
        };
        Ok(Settings {
            lint,
            fail_on,
            config: path,
            warnings,
        })
    }
}

/// Where declared facts come from, as reports name them.
pub const DECLARED_ON_COMMAND_LINE: &str = "declared on the command line";

/// The facts declared on the command line and in the config file. One declared twice is kept
/// once, on the command line (a namespace's labels from both, the command line's winning).
fn declared_facts(
    args: &cli::LintArgs,
    file: &config::Config,
    path: Option<&std::path::Path>,
) -> Result<Vec<load::declared::Declared>, RunError> {
    use load::declared::{Declared, Fact, merge};
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut cli_facts = Vec::new();
    for ns in &args.ambient_namespace {
        merge(
            &mut cli_facts,
            Fact::Namespace {
                name: ns.clone(),
                labels: vec![(model::DATAPLANE_MODE.to_string(), "ambient".to_string())],
            },
        );
    }
    for spec in &args.namespace_label {
        let parsed = spec
            .split_once(':')
            .and_then(|(ns, kv)| kv.split_once('=').map(|(k, v)| (ns, k, v)))
            .filter(|(ns, k, _)| !ns.is_empty() && !k.is_empty());
        let Some((ns, k, v)) = parsed else {
            return Err(RunError::Usage(format!(
                "`--namespace-label {spec}` is not `NAMESPACE:KEY=VALUE` (e.g. `shop:istio.io/dataplane-mode=ambient`)"
            )));
        };
        merge(
            &mut cli_facts,
            Fact::Namespace {
                name: ns.to_string(),
                labels: vec![(k.to_string(), v.to_string())],
            },
        );
    }
    for spec in &args.declare {
        merge(
            &mut cli_facts,
            Fact::parse(spec).map_err(|e| RunError::Usage(format!("--declare: {e}")))?,
        );
    }
    let mut file_facts = Vec::new();
    for fact in &file.cluster_facts {
        let same = |f: &Fact| {
            f.kind() == fact.kind() && f.namespace() == fact.namespace() && f.name() == fact.name()
        };
        match cli_facts.iter().position(same) {
            Some(i) => {
                // The file's labels first, the command line's on top.
                let mine = std::mem::replace(&mut cli_facts[i], fact.clone());
                merge(&mut cli_facts, mine);
            }
            None => file_facts.push(fact.clone()),
        }
    }
    let mut out = Vec::new();
    if let (Some(p), false) = (path, file_facts.is_empty()) {
        out.push(Declared {
            origin: format!(
                "declared in {}",
                load::display_path(p.strip_prefix(&cwd).unwrap_or(p))
            ),
            facts: file_facts,
        });
    }
    if !cli_facts.is_empty() {
        out.push(Declared {
            origin: DECLARED_ON_COMMAND_LINE.to_string(),
            facts: cli_facts,
        });
    }
    Ok(out)
}

/// Where a run's time went, for `--stats`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    pub load: std::time::Duration,
    pub model: std::time::Duration,
    pub rules: std::time::Duration,
}

/// A run's result: the inputs, every finding (unsorted), what the rules could not judge on the
/// files given, and where the time went.
pub struct Linted {
    pub inputs: Inputs,
    pub findings: Vec<Finding>,
    pub unjudged: Vec<rules::UnjudgedItem>,
    pub timings: Timings,
}

/// Loads, models and checks: the inputs and every finding, unsorted.
pub fn lint(options: &LintOptions) -> Result<(Inputs, Vec<Finding>), RunError> {
    lint_timed(options).map(|l| (l.inputs, l.findings))
}

/// [`lint`], timing each phase, with what was not judged.
pub fn lint_timed(options: &LintOptions) -> Result<Linted, RunError> {
    let start = std::time::Instant::now();
    let mut inputs = load::load(&options.load).map_err(RunError::Load)?;
    let load = start.elapsed();
    let start = std::time::Instant::now();
    let ahead = Model::read_ahead(&mut inputs, !options.load.keep_trees);
    let read = start.elapsed();
    let mut checked = check_timed(&inputs, options, ahead);
    checked.timings.load = load;
    checked.timings.model += read;
    inputs.warnings.append(&mut checked.warnings);
    Ok(Linted {
        inputs,
        findings: checked.findings,
        unjudged: checked.unjudged,
        timings: checked.timings,
    })
}

/// What `--fix` and `--diff` did: the fixes applied, the files left alone, and for each file
/// changed its text before and after.
#[derive(Debug, Default)]
pub struct Fixed {
    pub applied: Vec<fix::Applied>,
    pub refused: Vec<fix::Refused>,
    pub files: Vec<(std::path::PathBuf, String, String)>,
}

/// Applies the findings' fixes, lints again after each pass and goes on until nothing more is
/// fixed. Writing (`write`), each pass is written; otherwise the fixed texts stay in memory and
/// stand in for the files (a pass that changed a file kustomize renders from is the last, as
/// rendering reads the disk). A file whose fixed text would be an AL001 or AL002 is left as it
/// was.
pub fn fix(options: &LintOptions, unsafe_fixes: bool, write: bool) -> Result<Fixed, RunError> {
    let mut fixed = Fixed::default();
    // Without writing, the fixed texts stand in for the files when linting again.
    let mut options = options.clone();
    // Each pass lints again, and standard input can be read only once: every pass gets the
    // text read here (fixes never edit it, so it stays what the user piped in).
    if options.load.stdin_bytes.is_none() && options.load.paths.iter().any(|p| p.as_os_str() == "-")
    {
        options.load.stdin_bytes =
            Some(load::read_stdin(options.load.max_file_size).map_err(RunError::Load)?);
    }
    for _ in 0..fix::MAX_PASSES {
        let (inputs, findings) = lint(&options)?;
        let pass = fix::plan(&inputs, &findings, unsafe_fixes, &options);
        fixed.refused.extend(pass.refused.iter().cloned());
        if pass.files.is_empty() {
            break;
        }
        if write {
            fix::write(&pass).map_err(RunError::Fix)?;
        }
        fixed.applied.extend(pass.applied.iter().cloned());
        for (path, old, new) in pass.files {
            if !write {
                options
                    .load
                    .overlay
                    .insert(fix::overlay_key(&path), new.clone());
            }
            match fixed.files.iter_mut().find(|(p, _, _)| *p == path) {
                Some(entry) => entry.2 = new,
                None => fixed.files.push((path, old, new)),
            }
        }
        // kustomize renders from the disk: without writing, a second pass would judge the old
        // text.
        if !write && pass.through_render {
            break;
        }
    }
    fixed
        .refused
        .sort_by(|a, b| (&a.file, &a.why).cmp(&(&b.file, &b.why)));
    fixed.refused.dedup();
    Ok(fixed)
}

/// `--add-suppressions`: writes an ignore annotation with a `TODO` reason on each resource that
/// has findings, edited like a fix (a file whose edited text would be refused is left alone).
/// Returns what was written, and how many findings could get no annotation.
pub fn add_suppressions(options: &LintOptions) -> Result<(Fixed, usize), RunError> {
    let (inputs, findings) = lint(options)?;
    let (with_edits, skipped) = fix::suppressions(&inputs, &findings);
    let pass = fix::plan(&inputs, &with_edits, false, options);
    fix::write(&pass).map_err(RunError::Fix)?;
    Ok((
        Fixed {
            applied: pass.applied,
            refused: pass.refused,
            files: pass.files,
        },
        skipped,
    ))
}

/// Runs the model and the rules over loaded inputs.
pub fn check(inputs: &Inputs, options: &LintOptions) -> Vec<Finding> {
    check_timed(inputs, options, model::ReadAhead::default()).findings
}

/// [`check`], with what the rules could not judge about the files given.
pub fn check_noting(
    inputs: &Inputs,
    options: &LintOptions,
) -> (Vec<Finding>, Vec<rules::UnjudgedItem>) {
    let checked = check_timed(inputs, options, model::ReadAhead::default());
    (checked.findings, checked.unjudged)
}

/// What checking the inputs gives.
struct Checked {
    findings: Vec<Finding>,
    unjudged: Vec<rules::UnjudgedItem>,
    /// For standard error: declared flows no unit can place.
    warnings: Vec<String>,
    timings: Timings,
}

/// What checking one unit gives.
struct UnitResult {
    findings: Vec<Finding>,
    model_time: std::time::Duration,
    unjudged: Vec<rules::UnjudgedItem>,
    /// Declared flows this unit cannot place, and why.
    unplaced: Vec<flows::Unresolved>,
}

fn check_timed(inputs: &Inputs, options: &LintOptions, ahead: model::ReadAhead) -> Checked {
    use rayon::prelude::*;

    let start = std::time::Instant::now();
    let units = units_of(inputs);
    let units: &[load::units::Unit] = &units;
    // Each unit is its own cluster: modelled and checked alone.
    let models: Vec<(Model, std::time::Duration)> = units
        .par_iter()
        .map(|unit| {
            let start = std::time::Instant::now();
            let model = Model::of_unit_read_ahead(inputs, unit, &options.model, &ahead);
            (model, start.elapsed())
        })
        .collect();
    // Every unit has taken the reads of its objects: the rest is let go before the rules run.
    drop(ahead);
    let mut per_unit: Vec<UnitResult> = models
        .into_par_iter()
        .map(|(model, model_time)| {
            let ctx = Context::new(&model, inputs, &options.rules);
            let mut findings: Vec<Finding> = model.findings.clone();
            findings.extend(rules::run(&ctx));
            let unplaced = if inputs.declared_flows.is_empty() {
                Vec::new()
            } else {
                ctx.flows().unresolved.clone()
            };
            let result = UnitResult {
                findings,
                model_time,
                unjudged: ctx.take_unjudged(),
                unplaced,
            };
            // With several units, what one unit's rules let go serves the next ones.
            if options.one_shot && units.len() == 1 {
                std::mem::forget(ctx);
                std::mem::forget(model);
            }
            result
        })
        .collect();
    let model_time = per_unit.iter().map(|u| u.model_time).sum();
    let rules_time = start.elapsed().saturating_sub(model_time);
    let start = std::time::Instant::now();
    let warnings = unplaced_flows(inputs, &per_unit);
    let mut findings = inputs.findings.clone();
    findings.extend(merge_units(
        inputs,
        units,
        per_unit
            .iter_mut()
            .map(|u| std::mem::take(&mut u.findings))
            .collect(),
    ));
    let mut unjudged: Vec<rules::UnjudgedItem> =
        per_unit.into_iter().flat_map(|u| u.unjudged).collect();
    unjudged.retain(|u| inputs.is_linted(inputs.objects[u.object].file));
    let selection = &options.rules.selection;
    // Selection applies to every finding, the loader's and the model's included.
    findings.retain(|f| {
        selection.enabled(f.code)
            && !selection.ignored_at(f.code, &inputs.files[inputs.file_of(&f.location)].path)
    });
    for f in &mut findings {
        if let Some(s) = selection.severity(f.code) {
            f.severity = s;
        }
    }
    // Without `--assume-complete` AL210 notes rather than reports, so a suppression of it can
    // not be judged unused.
    if options.model.assume_complete {
        suppress::apply(inputs, &mut findings, selection);
    } else {
        let mut judged = selection.clone();
        judged.ignore.push("AL210".to_string());
        suppress::apply(inputs, &mut findings, &judged);
    }
    findings.retain(|f| reported(inputs, f));
    let timings = Timings {
        model: model_time,
        rules: rules_time + start.elapsed(),
        ..Timings::default()
    };
    Checked {
        findings,
        unjudged,
        warnings,
        timings,
    }
}

/// Whether a finding is reported on the files given: located there, or located in a
/// `--context` or declared file and involving one (a related location there), so that a
/// pre-commit run on the changed files also reports what they break elsewhere. A rendered
/// object's findings are reported when its root was given, or when they land in a file given (a
/// base or patch a pre-commit run changed). A finding in the config file is about a flow it
/// declares: reported whatever is given.
fn reported(inputs: &Inputs, f: &Finding) -> bool {
    matches!(f.location, Location::Field { object, .. } if inputs.is_linted(inputs.objects[object].file))
        || matches!(f.location, Location::File { file, .. } if inputs.is_reported(file))
        || std::iter::once(&f.location)
            .chain(f.related.iter().map(|r| &r.location))
            .flat_map(|l| inputs.files_of(l))
            .any(|file| inputs.is_linted(file))
}

/// A warning for each declared flow that no unit can place (units are alternatives: a flow
/// need only exist in one), with why the first unit could not.
fn unplaced_flows(inputs: &Inputs, per_unit: &[UnitResult]) -> Vec<String> {
    (0..inputs.declared_flows.len())
        .filter_map(|i| {
            let mut whys = per_unit
                .iter()
                .map(|u| u.unplaced.iter().find(|x| x.spec == i).map(|x| &x.why));
            let first = whys.next()??;
            if !whys.all(|w| w.is_some()) {
                return None;
            }
            let spec = &inputs.declared_flows[i];
            let line = inputs.resolve(&spec.at).start.line;
            Some(format!(
                "declared flow {} (line {line}) is not checked: {first}",
                spec.entry
            ))
        })
        .collect()
}

/// What is modelled as one cluster each: the loader's units, or one unit of every object.
pub fn units_of(inputs: &Inputs) -> std::borrow::Cow<'_, [load::units::Unit]> {
    if inputs.units.is_empty() {
        std::borrow::Cow::Owned(vec![load::units::Unit {
            objects: (0..inputs.objects.len()).collect(),
            ..Default::default()
        }])
    } else {
        std::borrow::Cow::Borrowed(&inputs.units)
    }
}

/// One finding per mistake: a base that several overlays render reports its finding once, naming
/// the units it appears in.
fn merge_units(
    inputs: &Inputs,
    units: &[load::units::Unit],
    per_unit: Vec<Vec<Finding>>,
) -> Vec<Finding> {
    if per_unit.len() <= 1 {
        return per_unit.into_iter().flatten().collect();
    }
    let mut out: Vec<Finding> = Vec::new();
    let mut seen: std::collections::HashMap<(&'static str, usize, usize, usize), usize> =
        std::collections::HashMap::new();
    let mut found_in: Vec<Vec<usize>> = Vec::new();
    for (u, findings) in per_unit.into_iter().enumerate() {
        for f in findings {
            let at = inputs.resolve(&f.location);
            let key = (f.code, at.file, at.span.start, at.span.end);
            match seen.get(&key) {
                Some(&i) => {
                    if !found_in[i].contains(&u) {
                        found_in[i].push(u);
                    }
                }
                None => {
                    seen.insert(key, out.len());
                    found_in.push(vec![u]);
                    out.push(f);
                }
            }
        }
    }
    for (f, in_units) in out.iter_mut().zip(found_in) {
        let named: Vec<&load::units::Unit> = in_units
            .iter()
            .map(|&u| &units[u])
            .filter(|u| !u.name.is_empty())
            .collect();
        if named.len() > 1 {
            let what = if named.iter().all(|u| u.kustomization) {
                "overlays"
            } else {
                "units"
            };
            let mut list: Vec<String> = named
                .iter()
                .take(3)
                .map(|u| format!("`{}`", u.name))
                .collect();
            if named.len() > 3 {
                list.push(format!("and {} more", named.len() - 3));
            }
            f.message = format!("{} (in {what} {})", f.message, list.join(", "));
        }
    }
    out
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
                context: vec![],
                declared: vec![],
                exclude: vec![],
                default_namespace: "default".to_string(),
                max_file_size: load::DEFAULT_MAX_FILE_SIZE,
                max_documents: load::DEFAULT_MAX_DOCUMENTS,
                units: vec![],
                render: true,
                stdin_filename: None,
                template_documents: false,
                config: None,
                overlay: Default::default(),
                stdin_bytes: None,
                keep_trees: false,
            },
            model: ModelOptions::default(),
            rules: RuleOptions::default(),
            one_shot: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-shot run leaves its models unfreed and reports exactly what a freeing run does.
    #[test]
    fn a_one_shot_run_finds_what_any_run_finds() {
        let bookstore = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookstore");
        let run = |one_shot| {
            let options = LintOptions {
                load: LoadOptions {
                    paths: vec![bookstore.clone()],
                    ..LintOptions::default().load
                },
                one_shot,
                ..LintOptions::default()
            };
            let (_, mut findings) = lint(&options).unwrap();
            findings.sort_by(|a, b| (a.code, &a.message).cmp(&(b.code, &b.message)));
            findings
                .iter()
                .map(|f| format!("{} {:?} {}", f.code, f.location, f.message))
                .collect::<Vec<_>>()
        };
        let freed = run(false);
        assert!(freed.len() > 5, "{freed:?}");
        assert_eq!(freed, run(true));
    }

    /// A finding about a declared flow points into the config file: it is reported whatever
    /// files are given, and shown at its line.
    #[test]
    fn a_finding_on_a_declared_flow_is_reported_in_the_config_file() {
        let text = "select: [AL]\nflows:\n  - {from: shop/web, to: external}\n";
        let config = config::parse(std::path::Path::new("/repo/.ambient-lint.yaml"), text).unwrap();
        let mut inputs = Inputs::from_texts([(
            "m.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: shop}\n",
        )]);
        inputs.add_config(&load::ConfigInput {
            path: ".ambient-lint.yaml".to_string(),
            text: config.text.clone(),
            flows: config.flows.clone(),
        });
        let at = inputs.declared_flows[0].at.clone();
        assert!(matches!(at, Location::File { file: 1, .. }), "{at:?}");
        let f = Finding::new("AL501", Severity::Error, at, "the flow is denied");
        assert!(reported(&inputs, &f));
        let report = report::Report::new(&inputs, vec![f], false);
        let mut out = Vec::new();
        report
            .write(report::Format::Concise, false, &mut out)
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(".ambient-lint.yaml:3:5: "), "{out}");
        let mut human = Vec::new();
        report
            .write(report::Format::Human, false, &mut human)
            .unwrap();
        assert!(
            String::from_utf8(human)
                .unwrap()
                .contains("{from: shop/web, to: external}"),
            "the code frame shows the entry"
        );
    }
}
