//! Loading: paths and stdin → source files → YAML documents → Kubernetes objects.
//!
//! What cannot be read becomes a finding here (AL001 invalid YAML, AL003 templated file); files
//! and documents that are not manifests are skipped quietly.

pub mod declared;
mod direct;
pub mod kustomize;
mod lenient;
pub mod node;
pub mod rendered;
pub mod source;
pub mod units;
pub mod yaml;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Location, Severity};
use crate::intern::Atom;
use node::{FieldPath, Node, NodeId, NodeKind, Tree, TreeNode};
use source::{FileId, FileRole, SourceFile, Span};

/// Index of an object in [`Inputs::objects`].
pub type ObjectId = usize;

/// Files larger than this are reported and not read.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;
/// Documents read from one file at most.
pub const DEFAULT_MAX_DOCUMENTS: usize = 100_000;

/// A Kubernetes object as loaded: where it is, what it is, and its tree.
#[derive(Debug)]
pub struct Object {
    pub file: FileId,
    /// Path of this object inside its document: empty, or `items[3]` inside a `kind: List`.
    pub prefix: FieldPath,
    pub api_version: Atom,
    pub kind: Atom,
    pub name: Atom,
    /// None for cluster-scoped kinds.
    pub namespace: Option<Atom>,
    /// The tree of the file it was read from: let go once the object is modelled (see
    /// [`Object::release_tree`]), and built again from the file's text when asked.
    tree: std::sync::OnceLock<std::sync::Arc<Tree>>,
    source: std::sync::Arc<TreeSource>,
    /// The object's root in that tree.
    pub root: NodeId,
    /// For an object rendered by kustomize or helm: where its fields were written (boxed: most
    /// objects have none).
    pub origin: Option<Box<Origin>>,
}

/// Where a rendered object's fields come from, so that findings point at the source file and
/// line that wrote them rather than at rendered text no user can open.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The file the object came from: a manifest, or a helm template.
    pub file: FileId,
    /// The object in that file, when the file is a manifest the loader read.
    pub object: Option<ObjectId>,
    /// Strategic-merge patches that target it, in the order applied: a field a patch sets is
    /// shown in the patch.
    pub patches: Vec<ObjectId>,
    /// The kustomization `namespace:` that set `metadata.namespace`, if one did.
    pub namespace_at: Option<(FileId, Span)>,
    /// JSON 6902 operations that target it, in the order applied.
    pub json_ops: Vec<JsonOp>,
    /// Rendered here from a kustomization root (or a base of one), not read from standard input.
    pub kustomize: bool,
}

/// One `add`/`replace` operation of a JSON 6902 patch: the field it writes and the value it
/// writes there, in the patch file.
#[derive(Debug, Clone)]
pub struct JsonOp {
    pub file: FileId,
    pub path: FieldPath,
    pub value: TreeNode,
}

/// How a file's tree is built: from the file's text, read up to a number of documents. Parsing
/// is deterministic, so a tree built again has the same node ids, and every span, path and
/// edit taken from the first one holds.
#[derive(Debug)]
pub struct TreeSource {
    text: std::sync::Arc<str>,
    limit: usize,
    /// The tree while some object still holds it, so that objects of one file share one.
    live: std::sync::Mutex<std::sync::Weak<Tree>>,
}

impl TreeSource {
    pub fn new(tree: &std::sync::Arc<Tree>, limit: usize) -> std::sync::Arc<TreeSource> {
        std::sync::Arc::new(TreeSource {
            text: tree.text.clone(),
            limit,
            live: std::sync::Mutex::new(std::sync::Arc::downgrade(tree)),
        })
    }

    fn tree(&self) -> std::sync::Arc<Tree> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tree) = live.upgrade() {
            return tree;
        }
        let tree = yaml::parse_text(self.text.clone(), self.limit).tree;
        *live = std::sync::Arc::downgrade(&tree);
        tree
    }
}

impl Object {
    /// An object at `root` of `tree`, which `source` can build again.
    pub fn new(
        file: FileId,
        prefix: FieldPath,
        (api_version, kind): (&str, &str),
        (name, namespace): (&str, Option<&str>),
        tree: std::sync::Arc<Tree>,
        source: std::sync::Arc<TreeSource>,
        root: NodeId,
    ) -> Object {
        Object {
            file,
            prefix,
            api_version: Atom::new(api_version),
            kind: Atom::new(kind),
            name: Atom::new(name),
            namespace: namespace.map(Atom::new),
            tree: std::sync::OnceLock::from(tree),
            source,
            root,
            origin: None,
        }
    }

    /// The object's tree, built again from the file's text if it was let go.
    pub fn node(&self) -> Node<'_> {
        self.tree.get_or_init(|| self.source.tree()).node(self.root)
    }

    /// Lets the tree go: once every object of a file has, its memory is freed. Asked again, the
    /// tree is built again (only files with findings to place, or fixes to edit, are).
    pub fn release_tree(&mut self) {
        self.tree.take();
    }

    /// The API group, without version (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }

    pub fn namespace_or_empty(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<SourceFile>,
    pub objects: Vec<Object>,
    /// YAML documents read, manifests or not.
    pub documents: usize,
    pub findings: Vec<Finding>,
    /// What is modelled and checked as one cluster; empty means one unit holding every object
    /// of a linted file.
    pub units: Vec<units::Unit>,
    /// Files a kustomization reads: their objects are checked through the rendered view only.
    pub through_render: std::collections::HashSet<FileId>,
    /// What the user should hear about that is not a finding (a path with no manifest, a
    /// skipped symbolic link), printed to standard error.
    pub warnings: Vec<String>,
    /// The flows the config file declares or forbids, located in it (see [`Inputs::add_config`]).
    pub declared_flows: Vec<crate::flows::FlowSpec>,
    /// Read the documents of a templated file that hold no template syntax (see
    /// [`LoadOptions::template_documents`]).
    template_documents: bool,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub paths: Vec<PathBuf>,
    /// Files and folders read for cross-references only; findings are reported on `paths`.
    pub context: Vec<PathBuf>,
    /// Objects that exist in the cluster but not in the input, from the config file and the
    /// command line; a manifest object of the same kind, namespace and name wins.
    pub declared: Vec<declared::Declared>,
    pub exclude: Vec<ExcludeGlob>,
    /// Namespace for objects that do not name one (kubectl's `-n`).
    pub default_namespace: String,
    pub max_file_size: u64,
    /// Documents read from one file at most.
    pub max_documents: usize,
    /// Folders (globs, .gitignore syntax) whose contents are independent clusters: environments,
    /// samples, scenarios.
    pub units: Vec<ExcludeGlob>,
    /// Render kustomization roots (with the user's kustomize or kubectl).
    pub render: bool,
    /// The path standard input stands for (`--stdin-filename`).
    pub stdin_filename: Option<PathBuf>,
    /// The config file, carried into the inputs for the flows it declares.
    pub config: Option<ConfigInput>,
    /// A file that holds template syntax (AL003) still yields its documents that parse and
    /// hold none: what a report that skips bad documents wants (`connectivity`), not a lint
    /// run, which judges a template only once rendered.
    pub template_documents: bool,
    /// Texts that stand for files on disk (absolute, normalised paths): the fixed texts
    /// `--diff` lints again without writing them. Renderers still read the disk.
    pub overlay: std::collections::HashMap<PathBuf, String>,
    /// Standard input, when it was read before loading: the fix loop lints several times, and
    /// standard input can be read only once.
    pub stdin_bytes: Option<Vec<u8>>,
    /// Keep every file's tree once the objects are modelled: an editor asks next about any
    /// place in any file (hover, definition), where a run that reports and exits needs the
    /// trees only of files with findings, and lets the others go.
    pub keep_trees: bool,
}

/// Reads standard input, stopping one byte past `max_file_size` so that the loader can refuse it
/// as too large.
pub fn read_stdin(max_file_size: u64) -> Result<Vec<u8>, LoadError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(max_file_size + 1)
        .read_to_end(&mut buf)
        .map_err(LoadError::Stdin)?;
    Ok(buf)
}

/// The config file as the inputs need it: where findings about its declared flows point.
#[derive(Debug, Clone)]
pub struct ConfigInput {
    /// As reports show it.
    pub path: String,
    pub text: String,
    /// Located in `text` as file 0 of a set of its own.
    pub flows: Vec<crate::flows::FlowSpec>,
}

/// A path to leave out, in .gitignore syntax, relative to `base` (the config file's folder, or
/// the current directory for `--exclude`).
#[derive(Debug, Clone)]
pub struct ExcludeGlob {
    pub glob: String,
    pub base: PathBuf,
}

/// Errors that stop the run (exit code 2), as opposed to findings about the input.
#[derive(Debug)]
pub enum LoadError {
    PathNotFound(PathBuf),
    BadExclude(String, String),
    BadUnit(String, String),
    Stdin(std::io::Error),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::PathNotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            LoadError::BadExclude(g, e) => write!(f, "invalid --exclude glob `{g}`: {e}"),
            LoadError::BadUnit(g, e) => write!(f, "invalid `units` glob `{g}`: {e}"),
            LoadError::Stdin(e) => write!(f, "cannot read standard input: {e}"),
        }
    }
}

const STDIN: &str = "-";
/// How standard input is named without `--stdin-filename`: not a path any report may use as one.
pub const STDIN_NAME: &str = "stdin";

/// Where a file's bytes come from: standard input is read up front, files when they are parsed.
enum Content {
    Read(Result<Vec<u8>, Unreadable>),
    File(PathBuf),
}

pub fn load(opts: &LoadOptions) -> Result<Inputs, LoadError> {
    use rayon::prelude::*;

    let cwd = std::env::current_dir().unwrap_or_default();
    let excludes = build_excludes(&opts.exclude)?;
    let mut sources: Vec<(String, Content)> = Vec::new();
    let mut kustomizations: Vec<PathBuf> = Vec::new();
    let mut warnings = Vec::new();
    // Files already listed, so that a `--context` tree does not read a given file twice. One
    // path walked yields each file once: resolving every file's real path (a system call per
    // folder level) is only needed when paths may overlap.
    let overlapping = opts.paths.len() + opts.context.len() > 1;
    let mut seen = std::collections::HashSet::new();
    let mut seen_file = |p: &Path| {
        !overlapping || seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
    };
    // Files a walk found, as opposed to files named on the command line.
    let mut walked = std::collections::HashSet::new();
    let mut stdin_at = None;
    // For each path given: its display, the range of `sources` it yielded, and whether it held
    // files an earlier path already listed.
    let mut given: Vec<(String, std::ops::Range<usize>, bool)> = Vec::new();
    for path in &opts.paths {
        let first = sources.len();
        let mut read_already = false;
        if path.as_os_str() == STDIN {
            let buf = match &opts.stdin_bytes {
                Some(bytes) => bytes.clone(),
                None => read_stdin(opts.max_file_size)?,
            };
            let content = if buf.len() as u64 > opts.max_file_size {
                Err(too_large(opts.max_file_size))
            } else {
                Ok(buf)
            };
            stdin_at = Some(sources.len());
            let name = opts
                .stdin_filename
                .as_deref()
                .map_or_else(|| STDIN_NAME.to_string(), display);
            sources.push((name, Content::Read(content)));
            given.push(("standard input".to_string(), first..sources.len(), false));
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|_| LoadError::PathNotFound(path.clone()))?;
        if meta.is_dir() {
            let (mut files, found) = walk(path, &excludes, &mut warnings);
            kustomizations.extend(found.iter().map(|k| normalize(&cwd.join(k))));
            if !opts.overlay.is_empty() {
                files.extend(unsaved_below(path, &cwd, &opts.overlay, &excludes));
            }
            for file in files {
                if seen_file(&file) {
                    walked.insert(sources.len());
                    sources.push((display(&file), Content::File(file)));
                } else {
                    read_already = true;
                }
            }
        } else if kustomize::is_kustomization(path) {
            kustomizations.push(normalize(&cwd.join(path)));
        } else if !excludes.is_excluded(path) {
            if seen_file(path) {
                sources.push((display(path), Content::File(path.clone())));
            } else {
                read_already = true;
            }
        }
        given.push((display(path), first..sources.len(), read_already));
    }
    let reported_count = sources.len();
    // Kustomization roots found through the paths given are linted; those found only through
    // `--context` are read to judge the files given.
    let given_kustomizations = kustomizations.len();
    for path in &opts.context {
        let first = sources.len();
        let mut read_already = false;
        let meta = std::fs::metadata(path).map_err(|_| LoadError::PathNotFound(path.clone()))?;
        if meta.is_dir() {
            let (files, found) = walk(path, &excludes, &mut warnings);
            kustomizations.extend(found.iter().map(|k| normalize(&cwd.join(k))));
            for file in files {
                if seen_file(&file) {
                    walked.insert(sources.len());
                    sources.push((display(&file), Content::File(file)));
                } else {
                    read_already = true;
                }
            }
        } else if !excludes.is_excluded(path) {
            if seen_file(path) {
                sources.push((display(path), Content::File(path.clone())));
            } else {
                read_already = true;
            }
        }
        given.push((
            format!("{} (--context)", display(path)),
            first..sources.len(),
            read_already,
        ));
    }

    // Kustomize trees: files a kustomization reads are sources of its rendered objects; files
    // in a kustomize tree that no kustomization reads (scaffolds, alternatives) are not applied
    // by anyone, so they are not read as objects.
    let forest = if opts.render {
        kustomize::Forest::build(&kustomizations)
    } else {
        kustomize::Forest::default()
    };
    let given_roots: std::collections::HashSet<PathBuf> = kustomizations[..given_kustomizations]
        .iter()
        .filter_map(|k| k.parent().map(Path::to_path_buf))
        .collect();
    let mut unread = Vec::new();
    let mut through_render = Vec::new();
    for (i, (_, content)) in sources.iter().enumerate() {
        if let Content::File(p) = content {
            let abs = normalize(&cwd.join(p));
            if forest.used.contains(&abs) {
                through_render.push(i);
            } else if walked.contains(&i) && forest.in_tree(&abs) {
                unread.push(i);
            }
        }
    }
    let unread_names: Vec<String> = unread.iter().map(|&i| sources[i].0.clone()).collect();
    // File ids once the unread files are left out.
    let mut new_id = Vec::with_capacity(sources.len());
    let mut next = 0;
    for i in 0..sources.len() {
        if unread.binary_search(&i).is_ok() {
            new_id.push(None);
        } else {
            new_id.push(Some(next));
            next += 1;
        }
    }
    let roles: Vec<FileRole> = (0..sources.len())
        .map(|i| {
            if i < reported_count {
                FileRole::Lint
            } else {
                FileRole::Context
            }
        })
        .collect();
    let sources: Vec<(String, Content, FileRole)> = sources
        .into_iter()
        .zip(roles)
        .enumerate()
        .filter(|(i, _)| new_id[*i].is_some())
        .map(|(_, ((name, content), role))| (name, content, role))
        .collect();
    let stdin_at = stdin_at.and_then(|at| new_id[at]);

    // Files are read and parsed on every core; merged in order, so output stays deterministic.
    let parts: Vec<Inputs> = sources
        .into_par_iter()
        .map(|(display, content, role)| {
            let content = match content {
                Content::Read(c) => c,
                // Only `--diff` and an editor hold texts in place of files.
                Content::File(p) if opts.overlay.is_empty() => read_file(&p, opts.max_file_size),
                Content::File(p) => match opts.overlay.get(&normalize(&cwd.join(&p))) {
                    Some(text) => Ok(text.clone().into_bytes()),
                    None => read_file(&p, opts.max_file_size),
                },
            };
            let mut part = Inputs {
                template_documents: opts.template_documents,
                ..Inputs::default()
            };
            let (content, encoding) = decode_noting_encoding(content);
            part.add_source_limited(
                display,
                content,
                &opts.default_namespace,
                opts.max_documents,
            );
            part.files[0].role = role;
            part.files[0].encoding = encoding;
            part
        })
        .collect();
    let mut inputs = Inputs::default();
    // Sized once: grown by doubling, the objects of a large tree would hold a third more.
    inputs
        .files
        .reserve_exact(parts.iter().map(|p| p.files.len()).sum());
    inputs
        .objects
        .reserve_exact(parts.iter().map(|p| p.objects.len()).sum());
    for part in parts {
        inputs.absorb(part);
    }
    inputs.through_render = through_render.iter().filter_map(|&i| new_id[i]).collect();
    inputs.add_declared(&opts.declared, &opts.default_namespace);
    for file in &forest.unreadable {
        let given = kustomizations[..given_kustomizations].contains(file);
        inputs.add_broken_kustomization(file, given, &cwd, opts);
    }
    let roots = rendered::render_roots(&mut inputs, &forest, &given_roots, opts, &cwd);
    if let Some(stdin) = stdin_at {
        rendered::attribute_stdin(&mut inputs, stdin, opts, &cwd);
    }
    let mut yielding = vec![false; inputs.files.len()];
    for o in &inputs.objects {
        yielding[o.file] = true;
    }
    for f in &inputs.findings {
        if let Location::File { file, .. } = f.location {
            yielding[file] = true;
        }
    }
    for (path, range, read_already) in given {
        let files: Vec<FileId> = range.filter_map(|i| new_id[i]).collect();
        let yielded = |id: FileId| yielding[id];
        let abs = normalize(&cwd.join(path.trim_end_matches(" (--context)")));
        let renders = roots.iter().any(|r| r.root.starts_with(&abs));
        if !read_already && !renders && !files.into_iter().any(yielded) {
            warnings.push(format!(
                "{path}: no Kubernetes manifest found there (no YAML or JSON object with `apiVersion` and `kind`); nothing was read from it"
            ));
        }
    }
    if !forest.idle_components.is_empty() {
        let shown: Vec<String> = forest
            .idle_components
            .iter()
            .take(3)
            .map(|d| display(d.strip_prefix(&cwd).unwrap_or(d)))
            .collect();
        let n = forest.idle_components.len();
        warnings.push(format!(
            "{n} kustomize component{} no kustomization here uses {} not linted ({}{}): kustomize builds a component only through an overlay's `components:`; lint an overlay that uses it",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" },
            shown.join(", "),
            if n > 3 { ", …" } else { "" },
        ));
    }
    if !unread_names.is_empty() {
        let n = unread_names.len();
        let shown: Vec<&str> = unread_names.iter().take(3).map(String::as_str).collect();
        let (s, is, was, them) = if n == 1 {
            ("", "is", "was", "it")
        } else {
            ("s", "are", "were", "them")
        };
        warnings.push(format!(
            "{n} file{s} inside kustomize trees {is} read by no kustomization and {was} not linted ({}{}); lint {them} by path, or list {them} in a kustomization",
            shown.join(", "),
            if n > 3 { ", …" } else { "" },
        ));
    }
    inputs.warnings.extend(warnings);
    let (units, unmatched) = units::assign(&inputs, roots, &opts.units, &cwd)?;
    inputs.units = units;
    inputs.warnings.extend(unmatched);
    if let Some(config) = &opts.config {
        inputs.add_config(config);
    }
    Ok(inputs)
}

impl Inputs {
    /// Appends another loaded set of files, renumbering its file ids after ours.
    fn absorb(&mut self, other: Inputs) {
        let offset = self.files.len();
        self.files.extend(other.files);
        self.warnings.extend(other.warnings);
        self.documents += other.documents;
        self.objects.extend(other.objects.into_iter().map(|mut o| {
            o.file += offset;
            o
        }));
        self.findings
            .extend(other.findings.into_iter().map(|mut f| {
                if let Location::File { file, .. } = &mut f.location {
                    *file += offset;
                }
                f
            }));
    }

    /// Adds the declared facts no manifest object already defines, one generated file per
    /// origin (config file, command line).
    pub fn add_declared(&mut self, declared: &[declared::Declared], default_namespace: &str) {
        let defined: std::collections::HashSet<(&str, &str, &str)> = self
            .objects
            .iter()
            .map(|o| (o.kind.as_str(), o.namespace_or_empty(), o.name.as_str()))
            .collect();
        let texts: Vec<(String, String)> = declared
            .iter()
            .map(|d| {
                let facts = d.facts.iter().filter(|f| {
                    !defined.contains(&(f.kind(), f.namespace().unwrap_or(""), f.name()))
                });
                (d.origin.clone(), declared::render(facts))
            })
            .filter(|(_, text)| !text.is_empty())
            .collect();
        for (origin, text) in texts {
            let id = self.files.len();
            self.add_source(origin, Ok(text), default_namespace);
            self.files[id].role = FileRole::Declared;
        }
    }

    /// Adds the config file when it declares flows, so that findings about them can point into
    /// it, and its flows renumbered to its place (as [`Inputs::absorb`] renumbers a file).
    pub fn add_config(&mut self, config: &ConfigInput) {
        if config.flows.is_empty() {
            return;
        }
        let id = self.files.len();
        let mut file = SourceFile::new(config.path.clone(), config.text.clone());
        file.role = FileRole::Config;
        self.files.push(file);
        self.declared_flows = config
            .flows
            .iter()
            .cloned()
            .map(|mut f| {
                if let Location::File { file, .. } = &mut f.at {
                    *file += id;
                }
                f
            })
            .collect();
    }

    /// Whether findings located in this file are reported on their own.
    pub fn is_linted(&self, file: FileId) -> bool {
        matches!(
            self.files[file].role,
            FileRole::Lint | FileRole::Rendered { linted: true }
        )
    }

    /// Whether what is located in this file is shown to the user: a linted file's, and the
    /// config file's (its findings and flows are about the flows it declares), whatever is given.
    pub fn is_reported(&self, file: FileId) -> bool {
        self.is_linted(file) || self.files[file].role == FileRole::Config
    }

    /// Adds one file's text (or the reason it could not be read, reported as AL001) and the
    /// objects it holds.
    pub fn add_source(
        &mut self,
        path: String,
        text: Result<String, Unreadable>,
        default_namespace: &str,
    ) {
        self.add_source_limited(path, text, default_namespace, DEFAULT_MAX_DOCUMENTS);
    }

    fn add_source_limited(
        &mut self,
        path: String,
        text: Result<String, Unreadable>,
        default_namespace: &str,
        max_documents: usize,
    ) {
        let file_id = self.files.len();
        match text {
            Ok(text) => {
                self.files.push(SourceFile::new(path, text));
                load_file(self, file_id, default_namespace, max_documents);
            }
            Err(why) => {
                self.files.push(SourceFile::new(path, String::new()));
                self.findings.push(
                    Finding::new(
                        "AL001",
                        Severity::Error,
                        Location::File {
                            file: file_id,
                            span: Span::default(),
                        },
                        why.message,
                    )
                    .help(why.help),
                );
            }
        }
    }

    /// How many objects are checked: those of the units (a rendered object, not its source, and
    /// an object shared by every unit once).
    pub fn checked_objects(&self) -> usize {
        // Declared facts are no resources of the input.
        self.checked_mask()
            .iter()
            .zip(&self.objects)
            .filter(|(s, o)| **s && self.files[o.file].role != FileRole::Declared)
            .count()
    }

    /// AL001 for a kustomization that does not parse (kustomize refuses it, so nothing it
    /// lists is applied), at the parse error; the loader skips YAML that names no `apiVersion`,
    /// which a kustomization need not.
    fn add_broken_kustomization(
        &mut self,
        file: &Path,
        given: bool,
        cwd: &Path,
        opts: &LoadOptions,
    ) {
        let shown = display(file.strip_prefix(cwd).unwrap_or(file));
        let Ok(text) = read_file(file, opts.max_file_size).and_then(decode) else {
            return;
        };
        let (at, message, help) = match yaml::parse_stream(&text)
            .documents
            .into_iter()
            .find_map(|d| d.result.err())
        {
            Some(e) => (e.offset, format!("invalid YAML: {}", e.message), e.help),
            None => (
                0,
                "a kustomization must be a mapping (`resources:`, `namespace:`, …)".to_string(),
                "write the kustomization as a YAML mapping, as `kustomize create` does",
            ),
        };
        let id = self.files.len();
        self.files.push(SourceFile::new(shown, text));
        if !given {
            self.files[id].role = FileRole::Context;
        }
        let text = &self.files[id].text;
        let start = source::floor_char_boundary(text, at.min(text.len()));
        let width = text[start..].chars().next().map_or(0, char::len_utf8);
        self.findings.push(
            Finding::new(
                "AL001",
                Severity::Error,
                Location::File {
                    file: id,
                    span: Span::new(start, start + width),
                },
                format!("{message}; kustomize refuses this kustomization, so nothing it lists is applied"),
            )
            .help(help),
        );
    }

    /// For each object, whether a unit checks it (every object, before units are assigned).
    pub fn checked_mask(&self) -> Vec<bool> {
        let mut checked = vec![self.units.is_empty(); self.objects.len()];
        for u in &self.units {
            for &o in &u.objects {
                checked[o] = true;
            }
        }
        checked
    }

    /// Inputs from in-memory files, as if read from disk (BOM and CRLF handled alike).
    pub fn from_texts<'t>(files: impl IntoIterator<Item = (&'t str, &'t str)>) -> Inputs {
        let mut inputs = Inputs::default();
        for (path, text) in files {
            inputs.add_source(
                path.to_string(),
                decode(text.as_bytes().to_vec()),
                "default",
            );
        }
        inputs
    }
}

/// Why a file could not be read as text, and what to do about it.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub message: String,
    pub help: &'static str,
}

impl Unreadable {
    fn new(message: impl Into<String>, help: &'static str) -> Self {
        Unreadable {
            message: message.into(),
            help,
        }
    }
}

const NOT_TEXT_HELP: &str =
    "save it as UTF-8 text, or leave it out with --exclude if it is not a manifest";

fn too_large(max: u64) -> Unreadable {
    Unreadable::new(
        format!("file is larger than the limit of {max} bytes and was not read"),
        "raise --max-file-size if it is a manifest, or leave it out with --exclude",
    )
}

fn cannot_read(e: std::io::Error) -> Unreadable {
    Unreadable::new(
        format!("cannot read file: {e}"),
        "check that the file exists and is readable",
    )
}

/// A path as reports show it: as given, without a leading `./`.
pub fn display_path(p: &Path) -> String {
    display(p)
}

fn display(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, Unreadable> {
    let meta = std::fs::metadata(path).map_err(cannot_read)?;
    if !meta.is_file() {
        // A directory, FIFO, socket or device: reading a FIFO could block forever.
        return Err(Unreadable::new(
            "is not a regular file",
            "pass manifest files, or the folders that hold them",
        ));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize + 1);
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut buf))
        .map_err(cannot_read)?;
    if buf.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(buf)
}

/// [`decode`], and how the bytes encode the decoded text (see [`source::Encoding`]).
fn decode_noting_encoding(
    bytes: Result<Vec<u8>, Unreadable>,
) -> (Result<String, Unreadable>, Option<source::Encoding>) {
    let encoding = bytes
        .as_ref()
        .map_or(Some(Default::default()), |b| source::Encoding::detect(b));
    (bytes.and_then(decode), encoding)
}

/// UTF-8 only (as kubectl); a BOM is dropped and CRLF line ends become LF, which keeps every
/// line and column where the user sees it.
fn decode(bytes: Vec<u8>) -> Result<String, Unreadable> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Unreadable::new(
            "file is UTF-16 encoded; Kubernetes manifests must be UTF-8",
            "save it as UTF-8: kubectl reads only UTF-8",
        ));
    }
    let bytes = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = &e.as_bytes()[..at];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        Unreadable::new(
            format!(
                "file is not valid UTF-8 (first invalid byte at line {line}, byte offset {at})"
            ),
            NOT_TEXT_HELP,
        )
    })?;
    if let Some(at) = text.find('\0') {
        let line = text[..at].matches('\n').count() + 1;
        return Err(Unreadable::new(
            format!("file holds a NUL byte at line {line}: binary data, not YAML"),
            NOT_TEXT_HELP,
        ));
    }
    Ok(if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    })
}

/// `--exclude` globs, read with .gitignore syntax (`vendor/`, `*.generated.yaml`, `/tmp`).
/// Exclude globs grouped by the folder they are relative to.
struct Excludes(Vec<(PathBuf, ignore::gitignore::Gitignore)>);

impl Excludes {
    fn is_excluded(&self, path: &Path) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let absolute = normalize(&cwd.join(path));
        self.0.iter().any(|(base, gi)| {
            absolute
                .strip_prefix(base)
                .is_ok_and(|rel| gi.matched_path_or_any_parents(rel, false).is_ignore())
        })
    }
}

fn build_excludes(globs: &[ExcludeGlob]) -> Result<Excludes, LoadError> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut by_base: Vec<(PathBuf, ignore::gitignore::GitignoreBuilder)> = Vec::new();
    for g in globs {
        let base = normalize(&cwd.join(&g.base));
        let i = match by_base.iter().position(|(b, _)| *b == base) {
            Some(i) => i,
            None => {
                by_base.push((base, ignore::gitignore::GitignoreBuilder::new("")));
                by_base.len() - 1
            }
        };
        by_base[i]
            .1
            .add_line(None, &g.glob)
            .map_err(|e| LoadError::BadExclude(g.glob.clone(), e.to_string()))?;
    }
    by_base
        .into_iter()
        .map(|(base, b)| {
            b.build()
                .map(|gi| (base, gi))
                .map_err(|e| LoadError::BadExclude(String::new(), e.to_string()))
        })
        .collect::<Result<_, _>>()
        .map(Excludes)
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Files below `dir` with a manifest extension, skipping hidden entries and what .gitignore
/// (or .ignore) excludes, in a stable order; and the kustomization files among them.
fn walk(
    dir: &Path,
    excludes: &Excludes,
    warnings: &mut Vec<String>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let has_extension = has_manifest_name;
    // Walked on every core (a large tree has thousands of folders, each with its ignore files
    // to look for); what is found is sorted below, so the order of the walk does not show.
    let found: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::default();
    let skipped_links: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::default();
    ignore::WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .follow_links(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                let Ok(e) = entry else {
                    return ignore::WalkState::Continue;
                };
                let Some(t) = e.file_type() else {
                    return ignore::WalkState::Continue;
                };
                let keep = |list: &std::sync::Mutex<Vec<PathBuf>>, path: PathBuf| {
                    list.lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(path)
                };
                if t.is_symlink() {
                    // Links are not followed (a link can leave the tree, or loop): say so when
                    // it points at what would have been read.
                    let p = e.path();
                    if (has_extension(p) || p.is_dir()) && !excludes.is_excluded(p) {
                        keep(&skipped_links, e.into_path());
                    }
                } else if t.is_file() && has_extension(e.path()) && !excludes.is_excluded(e.path())
                {
                    keep(&found, e.into_path());
                }
                ignore::WalkState::Continue
            })
        });
    let found = found
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut skipped_links = skipped_links
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    skipped_links.sort();
    for p in skipped_links {
        warnings.push(format!(
            "{}: symbolic link skipped (links are not followed); pass its target as a path to lint it",
            display(&p)
        ));
    }
    let mut kustomizations: Vec<PathBuf> = found
        .iter()
        .filter(|p| kustomize::is_kustomization(p))
        .cloned()
        .collect();
    kustomizations.sort();
    let mut files: Vec<PathBuf> = found
        .into_iter()
        .filter(|p| !is_known_non_manifest(p))
        .collect();
    files.sort();
    (files, kustomizations)
}

/// Whether a walk reads a file of this name: a manifest extension, or a kustomization.
fn has_manifest_name(p: &Path) -> bool {
    kustomize::is_kustomization(p)
        || p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Texts an editor holds for files below `dir` that are not on disk yet (a new file not saved):
/// read as a walk of `dir` would read them once saved, hidden entries and excluded paths aside.
fn unsaved_below(
    dir: &Path,
    cwd: &Path,
    overlay: &std::collections::HashMap<PathBuf, String>,
    excludes: &Excludes,
) -> Vec<PathBuf> {
    let base = normalize(&cwd.join(dir));
    let mut out: Vec<PathBuf> = overlay
        .keys()
        .filter_map(|key| {
            let below = key.strip_prefix(&base).ok()?;
            let hidden = below
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
            let path = dir.join(below);
            (!hidden
                && has_manifest_name(key)
                && !is_known_non_manifest(key)
                && !excludes.is_excluded(&path)
                && !key.exists())
            .then_some(path)
        })
        .collect();
    out.sort();
    out
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Files that sit beside manifests but are not manifests.
fn is_known_non_manifest(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    matches!(
        stem,
        "kustomization" | "chart" | "values" | "package" | "package-lock" | "tsconfig"
    ) || stem.starts_with("values-")
        || stem.starts_with("values.")
        || name == "chart.lock"
}

fn load_file(inputs: &mut Inputs, file_id: FileId, default_namespace: &str, max_documents: usize) {
    let text = inputs.files[file_id].text.clone();
    let stream = yaml::parse_text(text.clone(), max_documents);
    inputs.documents += stream.len();
    let has_template = template_marker(&text);
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for doc in stream.documents {
        match doc.result {
            Ok(Some(root)) => parsed.push(root),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    let tree = stream.tree;
    let templated = has_template.filter(|_| {
        !errors.is_empty() || parsed.iter().any(|&r| holds_template_syntax(tree.node(r)))
    });
    if let Some(at) = templated {
        inputs.findings.push(
            Finding::new(
                "AL003",
                Severity::Info,
                Location::File {
                    file: file_id,
                    span: Span::new(at, at + 2),
                },
                "file holds template syntax and cannot be read as Kubernetes manifests",
            )
            .help("render it first and lint the output: `helm template . | ambient-lint -` or `kustomize build . | ambient-lint -`"),
        );
        if !inputs.template_documents {
            return;
        }
        parsed.retain(|&r| !holds_template_syntax(tree.node(r)));
        errors.clear();
    }
    if !errors.is_empty() && !text.contains("apiVersion") {
        // Not a manifest that failed to parse but some other YAML or JSON (a data file, a
        // config): nothing Kubernetes would read, so nothing to report.
        return;
    }
    let len = text.len();
    for e in errors {
        // One character at the error, clamped: parsers report end-of-input one past the end.
        let start = source::floor_char_boundary(&text, e.offset.min(len));
        let width = text[start..].chars().next().map_or(0, char::len_utf8);
        inputs.findings.push(
            Finding::new(
                "AL001",
                Severity::Error,
                Location::File {
                    file: file_id,
                    span: Span::new(start, start + width),
                },
                format!("invalid YAML: {}", e.message),
            )
            .help(e.help),
        );
    }
    let source = TreeSource::new(&tree, max_documents);
    for root in parsed {
        add_objects(
            inputs,
            file_id,
            (&tree, &source),
            root,
            FieldPath::root(),
            default_namespace,
            None,
        );
    }
}

/// Offset of the first `{{` outside a comment, if any.
fn template_marker(text: &str) -> Option<usize> {
    // Most files hold no `{{` at all: one fast search answers for them.
    text.find("{{")?;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let code = match line.find('#') {
            Some(i) if line[..i].trim().is_empty() => "",
            _ => line,
        };
        if let Some(i) = code.find("{{") {
            return Some(offset + i);
        }
        offset += line.len();
    }
    None
}

/// A parsed document still shows template syntax when `{{ }}` landed somewhere only template
/// output could put it: in a plain scalar, or as a mapping used as a key.
fn holds_template_syntax(root: Node<'_>) -> bool {
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        match n.kind() {
            NodeKind::Scalar(s) => {
                if s.plain && s.text.contains("{{") {
                    return true;
                }
            }
            NodeKind::Seq(items) => todo.extend(items),
            NodeKind::Map(entries) => {
                for e in entries {
                    if e.key.scalar().is_none() {
                        return true;
                    }
                    todo.push(e.key);
                    todo.push(e.value);
                }
            }
        }
    }
    false
}

/// Kinds without a namespace. Anything else is namespaced.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "GatewayClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "Node",
    "PriorityClass",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
];

/// `implied`: the apiVersion and kind the items of a typed list (`PodList`) have when they do
/// not write them, as API servers used to return them.
fn add_objects(
    inputs: &mut Inputs,
    file: FileId,
    (tree, source): (&std::sync::Arc<Tree>, &std::sync::Arc<TreeSource>),
    root_id: NodeId,
    prefix: FieldPath,
    default_namespace: &str,
    implied: Option<(&str, &str)>,
) {
    let root = tree.node(root_id);
    let written = |key: &str| root.get(key).and_then(Node::as_str);
    let (Some(api_version), Some(kind)) = (
        written("apiVersion").or_else(|| implied.map(|i| i.0)),
        written("kind").or_else(|| implied.map(|i| i.1)),
    ) else {
        // Not a Kubernetes object (a values file, a config): skipped quietly.
        return;
    };
    if root.get("$patch").is_some() {
        // A strategic-merge patch (kustomize), not an object of its own.
        return;
    }
    if kind == "List" || (kind.ends_with("List") && root.get("items").is_some()) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        let implied = item_kind.map(|k| (api_version, k));
        if let Some(items) = root.get("items").and_then(Node::as_seq) {
            for (i, item) in items.iter().enumerate() {
                add_objects(
                    inputs,
                    file,
                    (tree, source),
                    item.id(),
                    prefix.key("items").index(i),
                    default_namespace,
                    implied,
                );
            }
        }
        return;
    }
    let meta = root.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("");
    let namespace = if CLUSTER_SCOPED.contains(&kind) {
        None
    } else {
        Some(
            meta.and_then(|m| m.get("namespace"))
                .and_then(Node::as_str)
                .unwrap_or(default_namespace),
        )
    };
    inputs.objects.push(Object::new(
        file,
        prefix,
        (api_version, kind),
        (name, namespace),
        tree.clone(),
        source.clone(),
        root_id,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Inputs {
        let mut inputs = Inputs::default();
        inputs.files.push(SourceFile::new(
            "t.yaml".into(),
            decode(text.as_bytes().to_vec()).unwrap(),
        ));
        load_file(&mut inputs, 0, "default", DEFAULT_MAX_DOCUMENTS);
        inputs
    }

    #[test]
    fn a_tree_let_go_is_built_again_with_the_same_nodes() {
        let mut inputs = load_text(
            "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 80}]}\n",
        );
        let before: Vec<(Span, NodeId)> = inputs
            .objects
            .iter()
            .map(|o| (o.node().span(), o.node().get("metadata").unwrap().id()))
            .collect();
        for o in &mut inputs.objects {
            o.release_tree();
        }
        for (o, (span, metadata)) in inputs.objects.iter().zip(before) {
            assert_eq!(o.node().span(), span);
            assert_eq!(o.node().get("metadata").unwrap().id(), metadata);
        }
        // Both objects of the file share the tree built again.
        let (a, b) = (&inputs.objects[0], &inputs.objects[1]);
        assert!(std::sync::Arc::ptr_eq(
            a.tree.get().unwrap(),
            b.tree.get().unwrap()
        ));
    }

    #[test]
    fn lists_and_multi_documents_become_objects() {
        let i = load_text(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ServiceAccount, metadata: {name: a, namespace: x}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\nfoo: bar\n",
        );
        assert_eq!(i.objects.len(), 2);
        assert_eq!(i.objects[0].prefix.as_str(), "items[0]");
        assert_eq!(i.objects[0].namespace.as_deref(), Some("x"));
        assert_eq!(i.objects[1].namespace, None);
        assert!(i.findings.is_empty());
    }

    #[test]
    fn templates_get_al003_not_al001() {
        let i = load_text(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ .Values.name }}\n{{- if .Values.x }}\n",
        );
        assert_eq!(i.findings.len(), 1);
        assert_eq!(i.findings[0].code, "AL003");
        assert!(i.objects.is_empty());
    }

    #[test]
    fn template_text_inside_strings_is_fine() {
        let i = load_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\ndata:\n  a: \"{{ x }}\"\n  b: |\n    {{ y }}\n",
        );
        assert!(i.findings.is_empty(), "{:?}", i.findings);
        assert_eq!(i.objects.len(), 1);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = decode(
            b"\xEF\xBB\xBFapiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: x\r\n".to_vec(),
        )
        .unwrap();
        assert!(text.starts_with("apiVersion"));
        assert!(!text.contains('\r'));
    }

    #[test]
    fn binary_and_utf16_are_refused_with_a_message() {
        assert!(
            decode(vec![0xFF, 0xFE, b'a', 0])
                .unwrap_err()
                .message
                .contains("UTF-16")
        );
        assert!(
            decode(vec![b'a', 0xC3])
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
        assert!(
            decode(b"a\n\0".to_vec())
                .unwrap_err()
                .message
                .contains("NUL")
        );
    }
}
