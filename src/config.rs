//! `.ambient-lint.yaml`: found by walking up from the current directory to the repository root,
//! or given with `--config`. Every mistake in it is an error at its line and column (exit 2),
//! never silently ignored.

use std::path::{Path, PathBuf};

use crate::finding::{Location, Severity};
use crate::flows::{FlowEnd, FlowPort, FlowSpec, declared::PROTOCOLS};
use crate::load::declared::{DECLARABLE_KINDS, DeclaredPort, Fact};
use crate::load::node::{Map, Node};
use crate::load::normalize;
use crate::load::source::{SourceFile, Span};
use crate::rules;

pub const FILE_NAME: &str = ".ambient-lint.yaml";

/// The keys a config file may hold, for messages and the JSON Schema test.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "severity",
    "fail-on",
    "exclude",
    "per-path-ignores",
    "namespace",
    "root-namespace",
    "trust-domain",
    "known-namespaces",
    "assume-complete",
    "cluster",
    "routes",
    "units",
    "flows",
    "forbidden-flows",
];
pub const ROUTE_KEYS: &[&str] = &["internal", "public-mutations"];
pub const CLUSTER_KEYS: &[&str] = &["default-dataplane", "namespaces", "objects"];
const CLUSTER_NAMESPACE_KEYS: &[&str] = &["labels"];
const CLUSTER_OBJECT_KEYS: &[&str] = &["kind", "namespace", "name", "gatewayClassName", "ports"];
const PORT_KEYS: &[&str] = &["port", "name", "protocol"];
const FLOW_KEYS: &[&str] = &["from", "to", "ports"];
const FLOW_PORT_KEYS: &[&str] = &["port", "protocol"];
/// Values of `cluster.default-dataplane` and `--default-dataplane`.
pub const DATAPLANES: &[&str] = &["ambient", "sidecar", "none"];

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, Severity)>,
    pub fail_on: Option<String>,
    pub exclude: Vec<String>,
    pub per_path_ignores: Vec<(String, Vec<String>)>,
    pub namespace: Option<String>,
    pub root_namespace: Option<String>,
    pub trust_domain: Option<String>,
    pub known_namespaces: Vec<String>,
    pub assume_complete: Option<bool>,
    pub routes_internal: Vec<String>,
    pub routes_public_mutations: Vec<String>,
    /// Folders (globs) whose contents are independent clusters.
    pub units: Vec<String>,
    /// `cluster.default-dataplane`: `ambient`, `sidecar` or `none`.
    pub default_dataplane: Option<String>,
    /// `cluster.namespaces` and `cluster.objects`: what exists outside the manifests.
    pub cluster_facts: Vec<Fact>,
    /// `flows:` then `forbidden-flows:`, located in this file as file 0 of a set of its own
    /// (see [`FlowSpec::at`]).
    pub flows: Vec<FlowSpec>,
    /// The file's text, for reports that point into it.
    pub text: String,
}

impl Config {
    /// The folder the file's relative globs start from.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )
        }
    }
}

/// Names a config file is sometimes given by mistake; they are not read.
pub const NEAR_MISSES: &[&str] = &[
    ".ambient-lint.yml",
    "ambient-lint.yaml",
    "ambient-lint.yml",
    ".ambient-lint.yaml.yaml",
    ".ambient-lint",
];

/// The nearest `.ambient-lint.yaml` from `start` upwards, stopping at the repository root (the
/// first folder holding `.git`), and the files under a near-miss name (`.ambient-lint.yml`)
/// found in the folders searched on the way.
pub fn discover_with_near_misses(start: &Path) -> (Option<PathBuf>, Vec<PathBuf>) {
    let mut dir = start.to_path_buf();
    let mut misses = Vec::new();
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return (Some(candidate), misses);
        }
        misses.extend(
            NEAR_MISSES
                .iter()
                .map(|n| dir.join(n))
                .filter(|p| p.is_file()),
        );
        if dir.join(".git").exists() || !dir.pop() {
            return (None, misses);
        }
    }
}

/// Whether a written code selects `code`: the code itself, a prefix of codes (`AL3`, `AL`), or
/// the rule's name.
pub fn selector_matches(written: &str, code: &str) -> bool {
    let w = written.trim();
    code.starts_with(&w.to_ascii_uppercase()) || rules::find(w).is_some_and(|r| r.code == code)
}

/// Whether a written selector names at least one rule.
pub fn selector_known(written: &str) -> bool {
    rules::RULES
        .iter()
        .any(|r| selector_matches(written, r.code))
        && !written.trim().is_empty()
}

struct Reader<'a> {
    file: &'a SourceFile,
}

impl Reader<'_> {
    fn err(&self, node: Node<'_>, message: impl Into<String>) -> ConfigError {
        let at = self.file.line_col(node.span().start);
        ConfigError {
            path: self.file.path.clone(),
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    fn string(&self, node: Node<'_>, what: &str) -> Result<String, ConfigError> {
        match node.as_scalar() {
            Some(s) if !s.plain || s.type_name() == "a string" => Ok(s.text.to_string()),
            _ => Err(self.err(
                node,
                format!("`{what}` must be a string, found {}", node.type_name()),
            )),
        }
    }

    fn strings(&self, node: Node<'_>, what: &str) -> Result<Vec<String>, ConfigError> {
        match node.as_seq() {
            Some(items) => items.iter().map(|n| self.string(n, what)).collect(),
            _ => Err(self.err(
                node,
                format!(
                    "`{what}` must be a list of strings, found {}",
                    node.type_name()
                ),
            )),
        }
    }

    fn codes(&self, node: Node<'_>, what: &str) -> Result<Vec<String>, ConfigError> {
        let list = match node.as_seq() {
            Some(items) => items.iter().collect::<Vec<_>>(),
            _ => {
                return Err(self.err(
                    node,
                    format!(
                        "`{what}` must be a list of rule codes, found {}",
                        node.type_name()
                    ),
                ));
            }
        };
        let mut out = Vec::new();
        for item in list {
            let code = self.string(item, what)?;
            if !selector_known(&code) {
                return Err(self.err(
                    item,
                    format!(
                        "`{code}` is not a rule code, prefix or name (see `ambient-lint rules`)"
                    ),
                ));
            }
            out.push(code);
        }
        Ok(out)
    }

    fn unknown_key(&self, key: Node<'_>, what: &str, name: &str, expected: &[&str]) -> ConfigError {
        self.err(
            key,
            format!(
                "unknown key `{what}.{name}` (expected one of: {})",
                expected.join(", ")
            ),
        )
    }

    /// `cluster.namespaces`: NAME → {labels: {KEY: VALUE}}.
    fn cluster_namespaces(&self, node: Node<'_>, out: &mut Vec<Fact>) -> Result<(), ConfigError> {
        for e in self.map(node, "cluster.namespaces")? {
            let name = self.string(e.key, "cluster.namespaces")?;
            let what = format!("cluster.namespaces.{name}");
            let mut labels = Vec::new();
            for f in self.map(e.value, &what)? {
                match self.string(f.key, &what)?.as_str() {
                    "labels" => {
                        let what = format!("{what}.labels");
                        for l in self.map(f.value, &what)? {
                            labels.push((self.string(l.key, &what)?, self.string(l.value, &what)?));
                        }
                    }
                    other => {
                        return Err(self.unknown_key(f.key, &what, other, CLUSTER_NAMESPACE_KEYS));
                    }
                }
            }
            crate::load::declared::merge(out, Fact::Namespace { name, labels });
        }
        Ok(())
    }

    /// `cluster.objects`: a list of {kind, namespace, name, gatewayClassName, ports}.
    fn cluster_objects(&self, node: Node<'_>, out: &mut Vec<Fact>) -> Result<(), ConfigError> {
        let Some(items) = node.as_seq() else {
            return Err(self.err(
                node,
                format!(
                    "`cluster.objects` must be a list, found {}",
                    node.type_name()
                ),
            ));
        };
        for item in items {
            let what = "cluster.objects";
            let (mut kind, mut namespace, mut name, mut class, mut ports) =
                (None, None, None, None, Vec::new());
            for f in self.map(item, what)? {
                match self.string(f.key, what)?.as_str() {
                    "kind" => kind = Some((self.string(f.value, "kind")?, f.value)),
                    "namespace" => namespace = Some(self.string(f.value, "namespace")?),
                    "name" => name = Some(self.string(f.value, "name")?),
                    "gatewayClassName" => class = Some(self.string(f.value, "gatewayClassName")?),
                    "ports" => ports = self.ports(f.value)?,
                    other => {
                        return Err(self.unknown_key(f.key, what, other, CLUSTER_OBJECT_KEYS));
                    }
                }
            }
            let missing = |field: &str| {
                self.err(
                    item,
                    format!("an entry of `cluster.objects` needs `{field}`"),
                )
            };
            let (kind, kind_node) = kind.ok_or_else(|| missing("kind"))?;
            let namespace = namespace.ok_or_else(|| missing("namespace"))?;
            let name = name.ok_or_else(|| missing("name"))?;
            let fact = match kind.as_str() {
                "ServiceAccount" => Fact::ServiceAccount { namespace, name },
                "Service" => Fact::Service {
                    namespace,
                    name,
                    ports: std::mem::take(&mut ports),
                },
                "Gateway" => Fact::Gateway {
                    namespace,
                    name,
                    class_name: class.clone().ok_or_else(|| missing("gatewayClassName"))?,
                },
                other => {
                    return Err(self.err(
                        kind_node,
                        format!(
                            "`{other}` cannot be declared (kinds: {}; namespaces go under `cluster.namespaces`)",
                            DECLARABLE_KINDS.join(", ")
                        ),
                    ));
                }
            };
            if !matches!(fact, Fact::Gateway { .. }) && class.is_some() {
                return Err(self.err(item, "`gatewayClassName` is for a Gateway"));
            }
            if !matches!(fact, Fact::Service { .. }) && !ports.is_empty() {
                return Err(self.err(item, "`ports` is for a Service"));
            }
            crate::load::declared::merge(out, fact);
        }
        Ok(())
    }

    /// A declared Service's ports: numbers, or {port, name, protocol}.
    fn ports(&self, node: Node<'_>) -> Result<Vec<DeclaredPort>, ConfigError> {
        let Some(items) = node.as_seq() else {
            return Err(self.err(
                node,
                format!("`ports` must be a list, found {}", node.type_name()),
            ));
        };
        let number = |n: Node<'_>| self.port_number(n);
        let mut out = Vec::new();
        for item in items {
            if item.as_map().is_none() {
                out.push(DeclaredPort {
                    port: number(item)?,
                    name: None,
                    protocol: None,
                });
                continue;
            }
            let mut port = DeclaredPort {
                port: 0,
                name: None,
                protocol: None,
            };
            for f in self.map(item, "ports")? {
                match self.string(f.key, "ports")?.as_str() {
                    "port" => port.port = number(f.value)?,
                    "name" => port.name = Some(self.string(f.value, "name")?),
                    "protocol" => port.protocol = Some(self.string(f.value, "protocol")?),
                    other => return Err(self.unknown_key(f.key, "ports", other, PORT_KEYS)),
                }
            }
            if port.port == 0 {
                return Err(self.err(item, "a port needs `port`"));
            }
            out.push(port);
        }
        Ok(out)
    }

    /// `flows` or `forbidden-flows`: a list of {from, to, ports}.
    fn flows(&self, node: Node<'_>, key: &str, out: &mut Vec<FlowSpec>) -> Result<(), ConfigError> {
        let Some(items) = node.as_seq() else {
            return Err(self.err(
                node,
                format!("`{key}` must be a list, found {}", node.type_name()),
            ));
        };
        let file_name = Path::new(&self.file.path)
            .file_name()
            .map_or(self.file.path.clone(), |n| n.to_string_lossy().into_owned());
        for (i, item) in items.iter().enumerate() {
            let what = format!("{key}[{i}]");
            let (mut from, mut to, mut ports) = (None, None, Vec::new());
            for f in self.map(item, &what)? {
                let field = self.string(f.key, &what)?;
                match field.as_str() {
                    "from" | "to" => {
                        let text = self.string(f.value, &format!("{what}.{field}"))?;
                        let end = FlowEnd::parse(&text).map_err(|m| self.err(f.value, m))?;
                        match (field.as_str(), &end) {
                            ("from", FlowEnd::Service { .. }) => {
                                return Err(self.err(
                                    f.value,
                                    "a flow starts at a workload, a namespace, a Gateway or `external`, not at a Service: name the workload behind it",
                                ));
                            }
                            ("to", FlowEnd::Gateway { .. }) => {
                                return Err(self.err(
                                    f.value,
                                    "a flow ends at a workload, a namespace, a Service or `external`, not at a Gateway: name the Gateway's Service",
                                ));
                            }
                            ("from", _) => from = Some(end),
                            _ => to = Some(end),
                        }
                    }
                    "ports" => ports = self.flow_ports(f.value, &format!("{what}.ports"))?,
                    other => return Err(self.unknown_key(f.key, &what, other, FLOW_KEYS)),
                }
            }
            let missing = |field: &str| self.err(item, format!("`{what}` needs `{field}`"));
            let from = from.ok_or_else(|| missing("from"))?;
            let to = to.ok_or_else(|| missing("to"))?;
            if from == FlowEnd::External && to == FlowEnd::External {
                return Err(self.err(
                    item,
                    format!(
                        "`{what}` goes from `external` to `external`: it never enters the cluster"
                    ),
                ));
            }
            out.push(FlowSpec {
                from,
                to,
                ports,
                forbidden: key == "forbidden-flows",
                entry: format!("{what} in {file_name}"),
                at: Location::File {
                    file: 0,
                    span: Span::new(item.span().start, item.span().end),
                },
            });
        }
        Ok(())
    }

    /// A flow's ports: numbers, or {port, protocol}.
    fn flow_ports(&self, node: Node<'_>, what: &str) -> Result<Vec<FlowPort>, ConfigError> {
        let Some(items) = node.as_seq() else {
            return Err(self.err(
                node,
                format!("`{what}` must be a list, found {}", node.type_name()),
            ));
        };
        let mut out = Vec::new();
        for item in items {
            if item.as_map().is_none() {
                out.push(FlowPort {
                    port: self.port_number(item)?,
                    protocol: None,
                });
                continue;
            }
            let (mut port, mut protocol) = (None, None);
            for f in self.map(item, what)? {
                match self.string(f.key, what)?.as_str() {
                    "port" => port = Some(self.port_number(f.value)?),
                    "protocol" => {
                        let p = self.string(f.value, "protocol")?;
                        if !PROTOCOLS.contains(&p.as_str()) {
                            return Err(self.err(
                                f.value,
                                format!("`{p}` is not a protocol ({})", PROTOCOLS.join(", ")),
                            ));
                        }
                        protocol = Some(p);
                    }
                    other => return Err(self.unknown_key(f.key, what, other, FLOW_PORT_KEYS)),
                }
            }
            let port = port.ok_or_else(|| self.err(item, "a port needs `port`"))?;
            out.push(FlowPort { port, protocol });
        }
        Ok(out)
    }

    /// A port number, 1-65535.
    fn port_number(&self, n: Node<'_>) -> Result<i64, ConfigError> {
        let number = n.as_scalar().filter(|s| s.plain).and_then(|s| s.as_int());
        number.filter(|p| (1..=65535).contains(p)).ok_or_else(|| {
            self.err(
                n,
                format!(
                    "a port must be a number from 1 to 65535, found {}",
                    match number {
                        Some(p) => p.to_string(),
                        None => n.type_name().to_string(),
                    }
                ),
            )
        })
    }

    fn map<'n>(&self, node: Node<'n>, what: &str) -> Result<Map<'n>, ConfigError> {
        node.as_map().ok_or_else(|| {
            self.err(
                node,
                format!("`{what}` must be a mapping, found {}", node.type_name()),
            )
        })
    }
}

/// Reads a config file's text.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let file = SourceFile::new(path.display().to_string(), text.to_string());
    let r = Reader { file: &file };
    let mut config = Config {
        path: path.to_path_buf(),
        text: text.to_string(),
        ..Config::default()
    };
    let docs = crate::load::yaml::parse_stream(text);
    let root = match docs.documents.first().map(|d| d.result.clone()) {
        None | Some(Ok(None)) => return Ok(config),
        Some(Err(e)) => {
            let at = file.line_col(e.offset);
            return Err(ConfigError {
                path: file.path.clone(),
                line: at.line,
                column: at.column,
                message: format!("invalid YAML: {}", e.message),
            });
        }
        Some(Ok(Some(root))) => docs.tree.node(root),
    };
    for e in r.map(root, "the config file")? {
        let key = r.string(e.key, "key")?;
        let v = &e.value;
        match key.as_str() {
            "select" => config.select = Some(r.codes(*v, "select")?),
            "ignore" => config.ignore = r.codes(*v, "ignore")?,
            "severity" => {
                for s in r.map(*v, "severity")? {
                    let code = r.string(s.key, "severity")?;
                    if !selector_known(&code) {
                        return Err(r.err(s.key, format!("`{code}` is not a rule code, prefix or name (see `ambient-lint rules`)")));
                    }
                    let level = match r.string(s.value, "severity")?.as_str() {
                        "error" => Severity::Error,
                        "warning" => Severity::Warning,
                        "info" => Severity::Info,
                        other => {
                            return Err(r.err(
                                s.value,
                                format!("`{other}` is not a severity (error, warning, info)"),
                            ));
                        }
                    };
                    config.severity.push((code, level));
                }
            }
            "fail-on" => {
                let level = r.string(*v, "fail-on")?;
                if !matches!(level.as_str(), "error" | "warning" | "info" | "never") {
                    return Err(r.err(
                        *v,
                        format!("`{level}` is not a fail-on level (error, warning, info, never)"),
                    ));
                }
                config.fail_on = Some(level);
            }
            "exclude" => config.exclude = r.strings(*v, "exclude")?,
            "per-path-ignores" => {
                for p in r.map(*v, "per-path-ignores")? {
                    let glob = r.string(p.key, "per-path-ignores")?;
                    config
                        .per_path_ignores
                        .push((glob, r.codes(p.value, "per-path-ignores")?));
                }
            }
            "namespace" => config.namespace = Some(r.string(*v, "namespace")?),
            "root-namespace" => config.root_namespace = Some(r.string(*v, "root-namespace")?),
            "trust-domain" => config.trust_domain = Some(r.string(*v, "trust-domain")?),
            "known-namespaces" => config.known_namespaces = r.strings(*v, "known-namespaces")?,
            "units" => config.units = r.strings(*v, "units")?,
            "flows" | "forbidden-flows" => r.flows(*v, &key, &mut config.flows)?,
            "assume-complete" => {
                config.assume_complete =
                    Some(v.as_scalar().and_then(|s| s.as_bool()).ok_or_else(|| {
                        r.err(
                            *v,
                            format!(
                                "`assume-complete` must be true or false, found {}",
                                v.type_name()
                            ),
                        )
                    })?)
            }
            "cluster" => {
                for c in r.map(*v, "cluster")? {
                    match r.string(c.key, "cluster")?.as_str() {
                        "default-dataplane" => {
                            let mode = r.string(c.value, "cluster.default-dataplane")?;
                            if !DATAPLANES.contains(&mode.as_str()) {
                                return Err(r.err(
                                    c.value,
                                    format!(
                                        "`{mode}` is not a dataplane ({})",
                                        DATAPLANES.join(", ")
                                    ),
                                ));
                            }
                            config.default_dataplane = Some(mode);
                        }
                        "namespaces" => r.cluster_namespaces(c.value, &mut config.cluster_facts)?,
                        "objects" => r.cluster_objects(c.value, &mut config.cluster_facts)?,
                        other => return Err(r.unknown_key(c.key, "cluster", other, CLUSTER_KEYS)),
                    }
                }
            }
            "routes" => {
                for rt in r.map(*v, "routes")? {
                    let k = r.string(rt.key, "routes")?;
                    let list = r.strings(rt.value, &format!("routes.{k}"))?;
                    for spec in &list {
                        if let Err(m) = rules::routes::RequestPattern::parse(spec) {
                            return Err(r.err(rt.value, m));
                        }
                    }
                    match k.as_str() {
                        "internal" => config.routes_internal = list,
                        "public-mutations" => config.routes_public_mutations = list,
                        other => {
                            return Err(r.err(
                                rt.key,
                                format!(
                                    "unknown key `routes.{other}` (expected one of: {})",
                                    ROUTE_KEYS.join(", ")
                                ),
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(r.err(
                    e.key,
                    format!(
                        "unknown key `{other}` (expected one of: {})",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(config)
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read the config file: {e}"),
    })?;
    parse(path, &text)
}

/// Which rules run, at which severity, and where findings are ignored.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: Vec<(String, Severity)>,
    /// (glob, codes), with globs relative to `base`.
    pub per_path_ignores: Vec<(String, Vec<String>)>,
    pub base: PathBuf,
    /// The current directory, `base` made absolute, and the globs compiled: once per run.
    pub(crate) compiled: std::sync::OnceLock<CompiledIgnores>,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledIgnores {
    cwd: PathBuf,
    base: PathBuf,
    globs: Vec<(ignore::gitignore::Gitignore, Vec<String>)>,
}

impl Selection {
    pub fn enabled(&self, code: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|w| selector_matches(w, code)))
            && !self.ignore.iter().any(|w| selector_matches(w, code))
    }

    /// The severity configured for a code, the most specific selector winning.
    pub fn severity(&self, code: &str) -> Option<Severity> {
        self.severity
            .iter()
            .filter(|(w, _)| selector_matches(w, code))
            .max_by_key(|(w, _)| {
                if rules::find(w).is_some() {
                    usize::MAX
                } else {
                    w.len()
                }
            })
            .map(|(_, s)| *s)
    }

    /// Whether `code` is ignored for a file (its path as displayed, relative to the current
    /// directory).
    pub fn ignored_at(&self, code: &str, file: &str) -> bool {
        if self.per_path_ignores.is_empty() || file == crate::load::STDIN_NAME {
            return false;
        }
        let c = self.compiled.get_or_init(|| {
            let cwd = std::env::current_dir().unwrap_or_default();
            let base = normalize(&cwd.join(&self.base));
            let globs = self
                .per_path_ignores
                .iter()
                .filter_map(|(glob, codes)| {
                    let mut b = ignore::gitignore::GitignoreBuilder::new("");
                    b.add_line(None, glob).ok()?;
                    Some((b.build().ok()?, codes.clone()))
                })
                .collect();
            CompiledIgnores { cwd, base, globs }
        });
        let absolute = normalize(&c.cwd.join(file));
        let Ok(relative) = absolute.strip_prefix(&c.base) else {
            return false;
        };
        c.globs.iter().any(|(glob, codes)| {
            codes.iter().any(|w| selector_matches(w, code))
                && glob
                    .matched_path_or_any_parents(relative, false)
                    .is_ignore()
        })
    }
}

/// The starter config `ambient-lint init` writes.
pub const STARTER: &str = include_str!("../docs/starter.ambient-lint.yaml");

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("c.yaml"), text).unwrap_err().to_string()
    }

    #[test]
    fn mistakes_are_errors_at_their_position() {
        assert_eq!(
            err("selct: [AL2]\n"),
            format!(
                "c.yaml:1:1: unknown key `selct` (expected one of: {})",
                KEYS.join(", ")
            )
        );
        assert_eq!(
            err("ignore: [AL999]\n"),
            "c.yaml:1:10: `AL999` is not a rule code, prefix or name (see `ambient-lint rules`)"
        );
        assert_eq!(
            err("fail-on: sometimes\n"),
            "c.yaml:1:10: `sometimes` is not a fail-on level (error, warning, info, never)"
        );
        assert_eq!(
            err("exclude: vendor/\n"),
            "c.yaml:1:10: `exclude` must be a list of strings, found a string"
        );
        assert_eq!(
            err("routes:\n  internal: [\"FETCH /x\"]\n"),
            "c.yaml:2:13: `FETCH` is not an HTTP method in internal path `FETCH /x`"
        );
        assert!(err("select: [\n").starts_with("c.yaml:2:1: invalid YAML"));
    }

    #[test]
    fn selection_by_code_prefix_and_name() {
        let s = Selection {
            select: Some(vec!["AL2".into(), "route-matches-any-method".into()]),
            ignore: vec!["AL217".into()],
            severity: vec![
                ("AL2".into(), Severity::Warning),
                ("AL201".into(), Severity::Info),
            ],
            ..Selection::default()
        };
        assert!(s.enabled("AL201") && s.enabled("AL401"));
        assert!(!s.enabled("AL301") && !s.enabled("AL217"));
        assert_eq!(s.severity("AL201"), Some(Severity::Info));
        assert_eq!(s.severity("AL206"), Some(Severity::Warning));
        assert_eq!(s.severity("AL301"), None);
    }

    #[test]
    fn cluster_facts_parse_and_their_mistakes_are_located() {
        let c = parse(
            Path::new("c.yaml"),
            "cluster:\n  default-dataplane: ambient\n  namespaces:\n    shop: {labels: {istio.io/use-waypoint: w}}\n  objects:\n    - {kind: Gateway, namespace: shop, name: w, gatewayClassName: istio-waypoint}\n    - {kind: Service, namespace: pay, name: api, ports: [8080, {port: 9090, name: grpc}]}\n",
        )
        .unwrap();
        assert_eq!(c.default_dataplane.as_deref(), Some("ambient"));
        assert_eq!(c.cluster_facts.len(), 3);
        assert!(matches!(&c.cluster_facts[2], Fact::Service { ports, .. } if ports.len() == 2));
        assert_eq!(
            err("cluster: {default-dataplane: ambiant}\n"),
            "c.yaml:1:30: `ambiant` is not a dataplane (ambient, sidecar, none)"
        );
        assert!(
            err("cluster: {objects: [{kind: Gateway, namespace: a, name: b}]}\n")
                .contains("needs `gatewayClassName`")
        );
        assert!(
            err(
                "cluster: {objects: [{kind: ServiceAccount, namespace: a, name: b, ports: [80]}]}\n"
            )
            .contains("`ports` is for a Service")
        );
        assert!(
            err("cluster: {namespaces: {shop: {label: {}}}}\n")
                .contains("unknown key `cluster.namespaces.shop.label`")
        );
        assert!(
            err("cluster: {objects: [{kind: Service, namespace: a, name: b, ports: [70000]}]}\n")
                .ends_with("a port must be a number from 1 to 65535, found 70000"),
        );
        assert!(
            err("cluster: {objects: [{kind: Service, namespace: a, name: b, ports: [http]}]}\n")
                .ends_with("found a string"),
        );
    }

    #[test]
    fn flows_parse_and_their_mistakes_are_located() {
        let c = parse(
            Path::new("conf/.ambient-lint.yaml"),
            "flows:\n  - from: ecom/ecom-service\n    to: Service inventory/inventory-service\n    ports: [8000]\n  - {from: Gateway infra/edge, to: shop/*, ports: [{port: 53, protocol: UDP}]}\nforbidden-flows:\n  - {from: external, to: ecom/ecom-db}\n",
        )
        .unwrap();
        let summary: Vec<(String, String, usize, bool, &str)> = c
            .flows
            .iter()
            .map(|f| {
                (
                    f.from.display(),
                    f.to.display(),
                    f.ports.len(),
                    f.forbidden,
                    f.entry.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "ecom/ecom-service".into(),
                    "Service inventory/inventory-service".into(),
                    1,
                    false,
                    "flows[0] in .ambient-lint.yaml"
                ),
                (
                    "Gateway infra/edge".into(),
                    "shop/*".into(),
                    1,
                    false,
                    "flows[1] in .ambient-lint.yaml"
                ),
                (
                    "external".into(),
                    "ecom/ecom-db".into(),
                    0,
                    true,
                    "forbidden-flows[0] in .ambient-lint.yaml"
                ),
            ]
        );
        assert_eq!(c.flows[1].ports[0].protocol.as_deref(), Some("UDP"));
        // The entry's span: where a finding about the flow points.
        let Location::File { file: 0, span } = c.flows[0].at else {
            panic!("{:?}", c.flows[0].at)
        };
        assert!(c.text[span.start..span.end].starts_with("from: ecom/ecom-service"));

        assert_eq!(
            err("flows:\n  - {from: ecom, to: external}\n"),
            "c.yaml:2:12: `ecom` is not a flow end: write `NAMESPACE/NAME` (a workload), `NAMESPACE/*`, `Service NAMESPACE/NAME`, `Gateway NAMESPACE/NAME` or `external`"
        );
        assert_eq!(
            err("flows:\n  - {from: a/b}\n"),
            "c.yaml:2:5: `flows[0]` needs `to`"
        );
        assert_eq!(
            err("forbidden-flows:\n  - {from: a/b, to: c/d, port: [80]}\n"),
            "c.yaml:2:26: unknown key `forbidden-flows[0].port` (expected one of: from, to, ports)"
        );
        assert_eq!(
            err("flows:\n  - from: Service a/b\n    to: c/d\n"),
            "c.yaml:2:11: a flow starts at a workload, a namespace, a Gateway or `external`, not at a Service: name the workload behind it"
        );
        assert_eq!(
            err("flows:\n  - {from: a/b, to: Gateway c/d}\n"),
            "c.yaml:2:21: a flow ends at a workload, a namespace, a Service or `external`, not at a Gateway: name the Gateway's Service"
        );
        assert_eq!(
            err("flows:\n  - {from: a/b, to: c/d, ports: [{port: 53, protocol: udp}]}\n"),
            "c.yaml:2:55: `udp` is not a protocol (TCP, UDP, SCTP)"
        );
        assert_eq!(
            err("flows:\n  - {from: a/b, to: c/d, ports: [0]}\n"),
            "c.yaml:2:34: a port must be a number from 1 to 65535, found 0"
        );
        assert_eq!(
            err("flows:\n  - {from: external, to: external}\n"),
            "c.yaml:2:5: `flows[0]` goes from `external` to `external`: it never enters the cluster"
        );
        assert_eq!(
            err("flows: {from: a/b}\n"),
            "c.yaml:1:8: `flows` must be a list, found a mapping"
        );
    }

    #[test]
    fn the_starter_config_parses() {
        parse(Path::new(FILE_NAME), STARTER).unwrap();
    }
}
