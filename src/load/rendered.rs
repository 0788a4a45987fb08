//! Rendered input mapped back to its sources: kustomize roots rendered here, and standard input
//! holding `helm template` or `kustomize build` output. Each rendered object gets an [`Origin`]:
//! the manifest object or helm template that wrote it, and the patches that changed it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::kustomize::{self, Forest, Renderer};
use super::node::{FieldPath, Segment};
use super::source::{FileId, FileRole, Span};
use super::{Inputs, LoadOptions, ObjectId, Origin, display, normalize, read_file};
use crate::finding::{Finding, Location, Severity};

/// One kustomization root after rendering: its unit's objects, or why it could not be rendered.
pub struct RootOutcome {
    pub root: PathBuf,
    pub objects: Vec<ObjectId>,
    /// Some part of it could not be rendered.
    pub incomplete: bool,
}

/// What finding a rendered object's sources needs, built once: every file read by absolute path,
/// the objects of each file, and the operations of each JSON 6902 patch file.
struct Index {
    by_path: HashMap<PathBuf, FileId>,
    objects_of: HashMap<FileId, Vec<ObjectId>>,
    ops: HashMap<FileId, Vec<(FieldPath, super::node::TreeNode)>>,
}

impl Index {
    fn new(inputs: &Inputs, cwd: &Path) -> Index {
        let by_path = inputs
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| !matches!(f.role, FileRole::Rendered { .. }))
            .map(|(id, f)| (normalize(&cwd.join(&f.path)), id))
            .collect();
        let mut objects_of: HashMap<FileId, Vec<ObjectId>> = HashMap::new();
        for (id, o) in inputs.objects.iter().enumerate() {
            objects_of.entry(o.file).or_default().push(id);
        }
        Index {
            by_path,
            objects_of,
            ops: HashMap::new(),
        }
    }

    fn objects(&self, file: FileId) -> &[ObjectId] {
        self.objects_of.get(&file).map_or(&[], Vec::as_slice)
    }
}

/// Reads a file the loader had not read (a base outside the paths given) as a source.
fn read_source(
    inputs: &mut Inputs,
    index: &mut Index,
    abs: &Path,
    cwd: &Path,
    opts: &LoadOptions,
) -> Option<FileId> {
    if let Some(&id) = index.by_path.get(abs) {
        return Some(id);
    }
    if !abs.is_file() {
        return None;
    }
    let shown = display(abs.strip_prefix(cwd).unwrap_or(abs));
    let (content, encoding) = super::decode_noting_encoding(read_file(abs, opts.max_file_size));
    let first = inputs.objects.len();
    // Its own parse errors are reported (kustomize refuses the file too).
    inputs.add_source_limited(shown, content, &opts.default_namespace, opts.max_documents);
    let id = inputs.files.len() - 1;
    inputs.files[id].role = FileRole::Source;
    inputs.files[id].encoding = encoding;
    index.by_path.insert(abs.to_path_buf(), id);
    index
        .objects_of
        .insert(id, (first..inputs.objects.len()).collect());
    Some(id)
}

/// The object in `file` that a rendered object came from: same kind, and the name the renderer
/// kept inside its prefix and suffix (the longest such), or the only object of that kind.
fn source_object(
    inputs: &Inputs,
    index: &Index,
    file: FileId,
    rendered: ObjectId,
) -> Option<ObjectId> {
    let r = &inputs.objects[rendered];
    let candidates: Vec<ObjectId> = index
        .objects(file)
        .iter()
        .copied()
        .filter(|&id| {
            let o = &inputs.objects[id];
            o.kind == r.kind && o.group() == r.group()
        })
        .collect();
    if let Some(&exact) = candidates
        .iter()
        .find(|&&id| inputs.objects[id].name == r.name)
    {
        return Some(exact);
    }
    let named = candidates
        .iter()
        .copied()
        .filter(|&id| {
            !inputs.objects[id].name.is_empty() && r.name.contains(inputs.objects[id].name.as_str())
        })
        .max_by_key(|&id| inputs.objects[id].name.len());
    named.or(if candidates.len() == 1 {
        Some(candidates[0])
    } else {
        None
    })
}

/// Renders every root of the forest and adds the rendered objects, mapped to their sources.
/// A root that cannot be rendered gets AL006 and falls back to its resource files as written,
/// with the root's `namespace:` applied.
pub fn render_roots(
    inputs: &mut Inputs,
    forest: &Forest,
    given: &std::collections::HashSet<PathBuf>,
    opts: &LoadOptions,
    cwd: &Path,
) -> Vec<RootOutcome> {
    use rayon::prelude::*;

    // The index of every object read is what a rendering's objects are matched against:
    // a tree without kustomizations needs neither.
    if forest.roots.is_empty() {
        return Vec::new();
    }
    let renderer = Renderer::find();
    let setting = Setting {
        forest,
        renderer: &renderer,
        opts,
        cwd,
    };
    let mut index = Index::new(inputs, cwd);
    let mut out: Vec<RootOutcome> = Vec::new();
    // Roots first; a root that fails (a remote base offline) has its local bases rendered one
    // by one in the next round, each with the namespace the root would have given it.
    let mut jobs: Vec<Job> = forest
        .roots
        .iter()
        .map(|r| Job {
            dir: r.clone(),
            namespace: None,
            linted: given.contains(r),
            unit: None,
        })
        .collect();
    // What each (folder, namespace) rendered to, so that a base shared by several failed roots
    // is rendered once and joins each of their units.
    let mut done: HashMap<(PathBuf, Option<String>), Outcome> = HashMap::new();
    let mut in_unit: std::collections::HashSet<(PathBuf, usize)> = std::collections::HashSet::new();
    while !jobs.is_empty() {
        let mut fresh: Vec<Job> = Vec::new();
        let mut later: Vec<Job> = Vec::new();
        let mut keys = std::collections::HashSet::new();
        for job in std::mem::take(&mut jobs) {
            let key = (job.dir.clone(), job.namespace.clone());
            if done.contains_key(&key) || !keys.insert(key) {
                later.push(job);
            } else {
                fresh.push(job);
            }
        }
        let outputs: Vec<(Job, Result<kustomize::Rendered, String>)> = fresh
            .into_par_iter()
            .map(|job| {
                let result = match &renderer {
                    Some(r) => r.render(&job.dir, job.namespace.as_deref()),
                    None => Err(String::new()),
                };
                (job, result)
            })
            .collect();
        let rendered: Vec<Job> = outputs
            .into_iter()
            .map(|(job, result)| {
                let outcome = render_outcome(inputs, &mut index, &setting, &job, result);
                done.insert((job.dir.clone(), job.namespace.clone()), outcome);
                job
            })
            .collect();
        for job in rendered.into_iter().chain(later) {
            let outcome = &done[&(job.dir.clone(), job.namespace.clone())];
            // The bases of a root rendered apart join the root's unit: it is one cluster.
            let unit = match job.unit {
                Some(u) => {
                    out[u].objects.extend(outcome.objects.iter().copied());
                    out[u].incomplete |= outcome.failed;
                    u
                }
                None => {
                    out.push(RootOutcome {
                        root: job.dir.clone(),
                        objects: outcome.objects.clone(),
                        incomplete: outcome.failed,
                    });
                    out.len() - 1
                }
            };
            for child in &outcome.children {
                if in_unit.insert((child.clone(), unit)) {
                    jobs.push(Job {
                        dir: child.clone(),
                        namespace: outcome.children_namespace.clone(),
                        linted: job.linted,
                        unit: Some(unit),
                    });
                }
            }
        }
    }
    out
}

/// What rendering a folder gave: its objects, and when it failed, the local bases to render
/// apart (with the namespace it would have given them).
struct Outcome {
    objects: Vec<ObjectId>,
    failed: bool,
    children: Vec<PathBuf>,
    children_namespace: Option<String>,
}

/// A kustomization to render: a root, or a local base of a root that could not be rendered.
struct Job {
    dir: PathBuf,
    /// The namespace the failed root would have set.
    namespace: Option<String>,
    /// Found through a path given to lint (not only through `--context`).
    linted: bool,
    /// For a base rendered apart: the unit of the root it belongs to, which is one cluster.
    unit: Option<usize>,
}

/// What every rendering of a run shares.
struct Setting<'a> {
    forest: &'a Forest,
    renderer: &'a Option<Renderer>,
    opts: &'a LoadOptions,
    cwd: &'a Path,
}

/// Reads one rendering's objects, mapped to their sources (or, when it failed, what can be
/// linted instead, and the local bases to render apart).
fn render_outcome(
    inputs: &mut Inputs,
    index: &mut Index,
    setting: &Setting,
    job: &Job,
    result: Result<kustomize::Rendered, String>,
) -> Outcome {
    let Setting {
        forest,
        renderer,
        opts,
        cwd,
    } = *setting;
    let root = job.dir.clone();
    let mut children: Vec<PathBuf> = Vec::new();
    let mut children_namespace = None;
    {
        let tree = forest.tree(&root);
        // The kustomization files are sources: findings about what they set point into them.
        let mut namespace_at = None;
        let mut root_file = None;
        for k in tree.iter().rev() {
            let Some(id) = read_source(inputs, index, &k.file, cwd, opts) else {
                continue;
            };
            // A kustomization is configuration, never an object of the cluster; the root's own
            // is part of what the user gave (AL006 is reported there).
            inputs.through_render.insert(id);
            if k.dir == root && job.linted {
                inputs.files[id].role = FileRole::Lint;
            }
            if k.namespace.is_some()
                && let Some(span) = k.namespace_span
            {
                namespace_at = Some((id, span));
            }
            if k.dir == root {
                root_file = Some(id);
            }
        }
        // Where the root itself names what stops it rendering (a child's cause is in the
        // child's file, which is not this finding's).
        let cause_at = forest.by_dir.get(&root).and_then(|k| k.cause_span);
        let Some(root_file) = root_file else {
            return Outcome {
                objects: Vec::new(),
                failed: true,
                children,
                children_namespace,
            };
        };
        let patches: Vec<PathBuf> = tree
            .iter()
            .flat_map(|k| k.patch_files.iter().cloned())
            .collect();
        let json_patches: Vec<(FileId, String, Option<String>)> = tree
            .iter()
            .flat_map(|k| k.json_patches.iter())
            .filter_map(|(p, kind, name)| {
                read_source(inputs, index, p, cwd, opts).map(|f| (f, kind.clone(), name.clone()))
            })
            .collect();
        let needs: Vec<&str> = tree.iter().flat_map(|k| k.needs.iter().copied()).collect();
        let remote: Vec<&str> = tree
            .iter()
            .flat_map(|k| k.remote.iter().map(String::as_str))
            .collect();
        let shown_root = display(root.strip_prefix(cwd).unwrap_or(&root));
        let failed = result.is_err() || !needs.is_empty();
        let objects = match result {
            Ok(rendered) => {
                let first = inputs.objects.len();
                inputs.add_source_limited(
                    format!("{shown_root} (kustomize build)"),
                    Ok(rendered.text),
                    &opts.default_namespace,
                    opts.max_documents,
                );
                let file = inputs.files.len() - 1;
                inputs.files[file].role = FileRole::Rendered { linted: job.linted };
                // The rendered text is not a file anyone can open: its parse problems (none is
                // expected from kustomize) are the root's.
                for f in &mut inputs.findings {
                    if matches!(f.location, Location::File { file: x, .. } if x == file) {
                        f.location = Location::File {
                            file: root_file,
                            span: Span::default(),
                        };
                    }
                }
                let ids: Vec<ObjectId> = (first..inputs.objects.len()).collect();
                for &id in &ids {
                    let origin_file = kustomize::origin_path(inputs.objects[id].node())
                        .map(|p| normalize(&rendered.base.join(p)))
                        .and_then(|abs| read_source(inputs, index, &abs, cwd, opts));
                    let origin_file = origin_file.unwrap_or(root_file);
                    let object = source_object(inputs, index, origin_file, id);
                    let patch_ids = object
                        .map(|src| patch_objects(inputs, index, &patches, src))
                        .unwrap_or_default();
                    let json_ops = object
                        .map(|src| json_ops_for(inputs, index, &json_patches, src))
                        .unwrap_or_default();
                    inputs.objects[id].origin = Some(Box::new(Origin {
                        file: origin_file,
                        object,
                        patches: patch_ids,
                        namespace_at,
                        json_ops,
                        kustomize: true,
                    }));
                }
                if !needs.is_empty() {
                    inputs.findings.push(not_rendered(
                        root_file,
                        &inputs.files[root_file].text,
                        cause_at,
                        &format!(
                            "this kustomization uses {} and was rendered without it: the objects it makes are not linted",
                            needs.join(", ")
                        ),
                        "render it with `kustomize build --enable-helm` and pipe the output: `kustomize build --enable-helm DIR | ambient-lint --stdin-filename DIR/kustomization.yaml -`",
                    ));
                }
                ids
            }
            Err(why) => {
                // With a renderer at hand, the root's local bases can still be rendered alone.
                let own = forest.by_dir.get(&root);
                children = match (renderer, own) {
                    (Some(_), Some(k)) => k
                        .folders
                        .iter()
                        .filter(|f| forest.by_dir.get(*f).is_some_and(|c| !c.component))
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                children_namespace = job
                    .namespace
                    .clone()
                    .or_else(|| own.and_then(|k| k.namespace.clone()));
                let apart = if children.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; its {} local base{} {} rendered one by one",
                        children.len(),
                        if children.len() == 1 { "" } else { "s" },
                        if children.len() == 1 { "is" } else { "are" },
                    )
                };
                let (message, help) = match (renderer, remote.is_empty()) {
                    (Some(r), _) if !needs.is_empty() => (
                        format!(
                            "this kustomization uses {}, which cannot be rendered here ({}: {why}); its own files are linted as written{apart}",
                            needs.join(", "),
                            r.name()
                        ),
                        "render it where helm is available and pipe the output: `kustomize build --enable-helm DIR | ambient-lint --stdin-filename DIR/kustomization.yaml -`".to_string(),
                    ),
                    (None, _) => (
                        "this kustomization was not rendered: neither `kustomize` nor `kubectl` is on PATH, so its files are linted as written (namespace applied; name prefixes, labels and patches not)".to_string(),
                        "install kubectl (or kustomize), or render it yourself and pipe the output: `kubectl kustomize DIR | ambient-lint -`".to_string(),
                    ),
                    (Some(r), false) => (
                        format!(
                            "this kustomization could not be rendered ({}: {why}); it names remote resources ({}), which cannot be fetched here; its own files are linted as written{apart}",
                            r.name(),
                            remote.join(", ")
                        ),
                        "render it where the remote bases can be fetched and pipe the output: `kubectl kustomize DIR | ambient-lint -`".to_string(),
                    ),
                    (Some(r), true) => (
                        format!(
                            "this kustomization could not be rendered ({}: {why}); its own files are linted as written{apart}",
                            r.name()
                        ),
                        "fix what the renderer reports, or render it yourself and pipe the output: `kubectl kustomize DIR | ambient-lint -`".to_string(),
                    ),
                };
                inputs.findings.push(not_rendered(
                    root_file,
                    &inputs.files[root_file].text,
                    renderer.as_ref().and(cause_at),
                    &message,
                    &help,
                ));
                // Without a renderer the whole tree is linted as written; otherwise only the
                // root's own files, its bases being rendered apart.
                let written: Vec<&kustomize::Kustomization> = if renderer.is_some() {
                    own.into_iter().collect()
                } else {
                    tree.clone()
                };
                as_written(inputs, index, &written, namespace_at)
            }
        };
        Outcome {
            objects,
            failed,
            children,
            children_namespace,
        }
    }
}

/// AL006 at what stops the rendering (`cause`: a remote resource, `helmCharts`), else at the
/// kustomization's first line.
fn not_rendered(
    file: FileId,
    text: &str,
    cause: Option<Span>,
    message: &str,
    help: &str,
) -> Finding {
    let span = cause.unwrap_or_else(|| {
        text.lines()
            .next()
            .map_or(Span::default(), |l| Span::new(0, l.len()))
    });
    Finding::new(
        "AL006",
        Severity::Info,
        Location::File { file, span },
        message,
    )
    .help(help)
}

/// A root's objects without rendering: copies of its resource files' objects with the
/// outermost `namespace:` applied, each mapped to what it copies.
fn as_written(
    inputs: &mut Inputs,
    index: &Index,
    tree: &[&kustomize::Kustomization],
    namespace_at: Option<(FileId, Span)>,
) -> Vec<ObjectId> {
    let namespace = tree.iter().find_map(|k| k.namespace.clone());
    let sources: Vec<ObjectId> = tree
        .iter()
        .flat_map(|k| k.resources.iter())
        .filter_map(|p| index.by_path.get(p).copied())
        .flat_map(|file| index.objects(file).iter().copied())
        .collect();
    let mut out = Vec::new();
    for src in sources {
        let o = &inputs.objects[src];
        let copy = super::Object {
            file: o.file,
            prefix: o.prefix.clone(),
            api_version: o.api_version,
            kind: o.kind,
            name: o.name,
            namespace: match (&o.namespace, &namespace) {
                (Some(_), Some(ns)) => Some(crate::intern::Atom::new(ns)),
                (ns, _) => *ns,
            },
            tree: o.tree.clone(),
            source: o.source.clone(),
            root: o.root,
            origin: Some(Box::new(Origin {
                file: o.file,
                object: Some(src),
                patches: Vec::new(),
                namespace_at: if namespace.is_some() {
                    namespace_at
                } else {
                    None
                },
                json_ops: Vec::new(),
                kustomize: true,
            })),
        };
        inputs.objects.push(copy);
        out.push(inputs.objects.len() - 1);
    }
    out
}

/// The `add` and `replace` operations of JSON 6902 patches that target `src`.
fn json_ops_for(
    inputs: &Inputs,
    index: &mut Index,
    patches: &[(FileId, String, Option<String>)],
    src: ObjectId,
) -> Vec<super::JsonOp> {
    let s = &inputs.objects[src];
    let mut out = Vec::new();
    for (file, kind, name) in patches {
        if *kind != s.kind || name.as_ref().is_some_and(|n| *n != s.name) {
            continue;
        }
        let ops = index.ops.entry(*file).or_insert_with(|| {
            let mut ops = Vec::new();
            let stream = super::yaml::parse_text(inputs.files[*file].text.clone(), usize::MAX);
            for root in stream.roots() {
                for op in root.as_seq().unwrap_or_default() {
                    let kind = op.get("op").and_then(|o| o.as_str());
                    if let (Some("add" | "replace"), Some(pointer), Some(value)) = (
                        kind,
                        op.get("path").and_then(|p| p.as_str()),
                        op.get("value"),
                    ) {
                        ops.push((
                            pointer_to_path(pointer),
                            super::node::TreeNode {
                                tree: stream.tree.clone(),
                                id: value.id(),
                            },
                        ));
                    }
                }
            }
            ops
        });
        out.extend(ops.iter().map(|(path, value)| super::JsonOp {
            file: *file,
            path: path.clone(),
            value: value.clone(),
        }));
    }
    out
}

/// `/spec/rules/0/to` → `spec.rules[0].to`; an append (`-`) stops the path at its list.
fn pointer_to_path(pointer: &str) -> FieldPath {
    let mut path = FieldPath::root();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token == "-" {
            break;
        }
        path = match token.parse::<usize>() {
            Ok(i) => path.index(i),
            Err(_) => path.key(&token),
        };
    }
    path
}

/// Strategic-merge patch objects (read from the tree's patch files) that target `src`.
fn patch_objects(
    inputs: &Inputs,
    index: &Index,
    patches: &[PathBuf],
    src: ObjectId,
) -> Vec<ObjectId> {
    let s = &inputs.objects[src];
    let mut out = Vec::new();
    for p in patches {
        let Some(&file) = index.by_path.get(p) else {
            continue;
        };
        out.extend(index.objects(file).iter().copied().filter(|&id| {
            let o = &inputs.objects[id];
            o.kind == s.kind && o.name == s.name
        }));
    }
    out
}

/// Standard input holding rendered output: documents after helm's `# Source: chart/templates/x`
/// comment are attributed to that template; objects with kustomize's origin annotation to the
/// file it names. Paths are looked up relative to `--stdin-filename`'s folder, then the current
/// folder.
pub fn attribute_stdin(inputs: &mut Inputs, stdin: FileId, opts: &LoadOptions, cwd: &Path) {
    let base = opts
        .stdin_filename
        .as_ref()
        .map(|p| {
            let abs = normalize(&cwd.join(p));
            if abs.is_dir() {
                abs
            } else {
                abs.parent().map(Path::to_path_buf).unwrap_or(abs)
            }
        })
        .unwrap_or_else(|| cwd.to_path_buf());
    let mut index = Index::new(inputs, cwd);
    let sources = helm_sources(&inputs.files[stdin].text);
    // Each template is looked for once, however many objects it rendered.
    let mut template_of: HashMap<String, FileId> = HashMap::new();
    let ids: Vec<ObjectId> = inputs
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.file == stdin && o.origin.is_none())
        .map(|(id, _)| id)
        .collect();
    for id in ids {
        let start = inputs.objects[id].node().span().start;
        if let Some(rel) = kustomize::origin_path(inputs.objects[id].node()) {
            // Origins are relative to the kustomization built, which only --stdin-filename
            // tells; from the current folder, `../../base/x.yaml` is most often `base/x.yaml`.
            let climbed = rel.trim_start_matches("../").to_string();
            let file = [base.join(&rel), cwd.join(&rel), cwd.join(&climbed)]
                .into_iter()
                .map(|p| normalize(&p))
                .find(|p| p.is_file())
                .and_then(|abs| read_source(inputs, &mut index, &abs, cwd, opts));
            if let Some(file) = file {
                let object = source_object(inputs, &index, file, id);
                inputs.objects[id].origin = Some(Box::new(Origin {
                    file,
                    object,
                    ..Origin::default()
                }));
            }
            continue;
        }
        // The last `# Source:` comment before the object (they are in text order).
        let before = sources.partition_point(|(at, _)| *at <= start);
        let Some((_, rel)) = before.checked_sub(1).map(|i| &sources[i]) else {
            continue;
        };
        let file = match template_of.get(rel) {
            Some(&file) => file,
            None => {
                let found = [base.join(rel), cwd.join(rel)]
                    .into_iter()
                    .map(|p| normalize(&p))
                    .find(|p| p.is_file())
                    .or_else(|| find_chart_file(cwd, rel));
                let file = match found {
                    Some(abs) => template_source(inputs, &mut index, &abs, cwd, opts),
                    // Not on disk here: still name the template, which is where the user fixes it.
                    None => {
                        inputs
                            .files
                            .push(super::SourceFile::new(rel.clone(), String::new()));
                        let id = inputs.files.len() - 1;
                        inputs.files[id].role = FileRole::Source;
                        id
                    }
                };
                template_of.insert(rel.clone(), file);
                file
            }
        };
        inputs.objects[id].origin = Some(Box::new(Origin {
            file,
            ..Origin::default()
        }));
    }
}

/// A helm template as a source: its text only (it does not parse as YAML).
fn template_source(
    inputs: &mut Inputs,
    index: &mut Index,
    abs: &Path,
    cwd: &Path,
    opts: &LoadOptions,
) -> FileId {
    if let Some(&id) = index.by_path.get(abs) {
        return id;
    }
    let shown = display(abs.strip_prefix(cwd).unwrap_or(abs));
    let (text, encoding) = super::decode_noting_encoding(read_file(abs, opts.max_file_size));
    inputs
        .files
        .push(super::SourceFile::new(shown, text.unwrap_or_default()));
    let id = inputs.files.len() - 1;
    inputs.files[id].role = FileRole::Source;
    inputs.files[id].encoding = encoding;
    index.by_path.insert(abs.to_path_buf(), id);
    id
}

/// `(offset, path)` of every `# Source: path` comment line helm writes before a document.
fn helm_sources(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.trim_end().strip_prefix("# Source: ") {
            out.push((offset, rest.trim().to_string()));
        }
        offset += line.len();
    }
    out
}

/// helm names templates `<chart name>/templates/...`; the chart's folder may be named otherwise
/// or lie deeper. Looks below the current folder for a `templates/...` file whose chart has that
/// name.
fn find_chart_file(cwd: &Path, rel: &str) -> Option<PathBuf> {
    let (chart, inner) = rel.split_once('/')?;
    let walker = ignore::WalkBuilder::new(cwd)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .max_depth(Some(6))
        .build();
    for entry in walker.filter_map(Result::ok) {
        let p = entry.path();
        if p.file_name().is_some_and(|n| n == "Chart.yaml") {
            let dir = p.parent()?;
            let named = std::fs::read_to_string(p).ok().is_some_and(|t| {
                t.lines().any(|l| {
                    l.trim() == format!("name: {chart}") || l.trim() == format!("name: \"{chart}\"")
                })
            });
            let candidate = dir.join(inner);
            if named && candidate.is_file() {
                return Some(normalize(&candidate));
            }
        }
    }
    None
}

/// Where a field most likely is in a template that rendered an object of `kind`: the document
/// holding `kind: <kind>`, then each key found by indentation below its parent. Lines of
/// template control (`{{- if }}`) are skipped. Falls back to the deepest key found, then to the
/// `kind:` line, then to the start of the file.
pub fn locate_in_template(text: &str, kind: &str, path: &FieldPath) -> Span {
    let lines: Vec<(usize, &str)> = {
        let mut offset = 0;
        text.split_inclusive('\n')
            .map(|l| {
                let at = offset;
                offset += l.len();
                (at, l.trim_end_matches(['\n', '\r']))
            })
            .collect()
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let is_noise = |l: &str| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || (t.starts_with("{{") && t.ends_with("}}"))
    };
    // The document of that kind.
    let kind_line = lines
        .iter()
        .position(|(_, l)| l.trim() == format!("kind: {kind}"));
    let (mut from, mut to) = match kind_line {
        Some(k) => {
            let start = lines[..k]
                .iter()
                .rposition(|(_, l)| l.starts_with("---"))
                .map_or(0, |i| i + 1);
            let end = lines[k..]
                .iter()
                .position(|(_, l)| l.starts_with("---"))
                .map_or(lines.len(), |i| k + i);
            (start, end)
        }
        None => (0, lines.len()),
    };
    let mut best = kind_line.map(|k| {
        let (at, l) = lines[k];
        Span::new(at + indent(l), at + l.len())
    });
    let is_item = |l: &str| l.trim_start().starts_with("- ");
    // Where a line's key starts: after the dash of a list item.
    let key_at = |l: &str| if is_item(l) { indent(l) + 2 } else { indent(l) };
    // After a list index, the item's keys sit two columns right of its dash.
    let mut child: Option<usize> = None;
    for seg in path.segments() {
        let range = &lines[from..to];
        let child_indent = match child {
            Some(c) => c,
            None => match range
                .iter()
                .filter(|(_, l)| !is_noise(l))
                .map(|(_, l)| indent(l))
                .min()
            {
                Some(c) => c,
                None => break,
            },
        };
        let found = match &seg {
            Segment::Key(k) => range.iter().position(|(_, l)| {
                let t = l.trim_start();
                let t = t.strip_prefix("- ").unwrap_or(t);
                key_at(l) == child_indent
                    && (t.starts_with(&format!("{k}:")) || t.starts_with(&format!("\"{k}\":")))
            }),
            Segment::Index(i) => range
                .iter()
                .enumerate()
                .filter(|(_, (_, l))| indent(l) == child_indent && is_item(l))
                .nth(*i)
                .map(|(j, _)| j),
        };
        let Some(j) = found else { break };
        let line_no = from + j;
        let (at, l) = lines[line_no];
        best = Some(Span::new(at + indent(l), at + l.len()));
        let rest = &lines[line_no + 1..to];
        match &seg {
            Segment::Key(_) => {
                let own = key_at(l);
                // A block value ends at a line left of the key, or at its level unless that line
                // is an item of a list written at the key's indentation.
                let end = rest
                    .iter()
                    .position(|(_, m)| {
                        !is_noise(m) && (indent(m) < own || (indent(m) == own && !is_item(m)))
                    })
                    .map_or(to, |k| line_no + 1 + k);
                from = line_no + 1;
                to = end;
                child = None;
            }
            Segment::Index(_) => {
                let own = indent(l);
                let end = rest
                    .iter()
                    .position(|(_, m)| !is_noise(m) && indent(m) <= own)
                    .map_or(to, |k| line_no + 1 + k);
                from = line_no;
                to = end;
                child = Some(own + 2);
            }
        }
    }
    best.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "\
{{- if .Values.enabled }}
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: {{ .Release.Name }}
spec:
  rules:
  - from:
    - source:
        principals: [\"a\"]
    to:
    - operation:
        methods: [\"GET\"]
{{- end }}
";

    fn line_of(text: &str, span: Span) -> &str {
        let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let end = text[span.start..]
            .find('\n')
            .map_or(text.len(), |i| span.start + i);
        &text[start..end]
    }

    #[test]
    fn fields_are_found_in_templates_by_indentation() {
        let span = locate_in_template(
            TEMPLATE,
            "AuthorizationPolicy",
            &FieldPath::new("spec.rules[0].to[0].operation.methods"),
        );
        assert_eq!(line_of(TEMPLATE, span).trim(), "methods: [\"GET\"]");
        let span = locate_in_template(
            TEMPLATE,
            "AuthorizationPolicy",
            &FieldPath::new("metadata.name"),
        );
        assert_eq!(line_of(TEMPLATE, span).trim(), "name: {{ .Release.Name }}");
        // A field the template does not hold: its nearest parent.
        let span = locate_in_template(
            TEMPLATE,
            "AuthorizationPolicy",
            &FieldPath::new("spec.action"),
        );
        assert_eq!(line_of(TEMPLATE, span).trim(), "spec:");
    }

    #[test]
    fn helm_source_comments_are_found() {
        let s = helm_sources("---\n# Source: web/templates/ap.yaml\napiVersion: v1\n");
        assert_eq!(s, vec![(4, "web/templates/ap.yaml".to_string())]);
    }
}
