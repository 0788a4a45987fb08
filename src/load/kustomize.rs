//! Kustomize trees: which kustomizations are roots (the units a user applies), which files they
//! consume, and their rendering by the user's own `kustomize`/`kubectl kustomize`, with origin
//! annotations so that every rendered object maps back to the file that wrote it.
//!
//! Rendering is delegated rather than re-implemented: kustomize's transformers (namespace, name
//! prefixes with the references they update, labels into selectors, strategic-merge and JSON 6902
//! patches, replacements, generators) have many corner cases, and the binary users apply with is
//! the one that is right about them. What cannot be rendered (no binary, a remote base offline, a
//! helm chart) is reported as AL006, never silently skipped.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::node::Node;
use super::normalize;
use super::source::Span;
use super::yaml;

/// File names kustomize reads as a kustomization.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub fn is_kustomization(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| FILE_NAMES.contains(&n))
}

/// What one kustomization file says about other files.
#[derive(Debug, Clone, Default)]
pub struct Kustomization {
    /// The kustomization file, as found (absolute, normalised).
    pub file: PathBuf,
    pub dir: PathBuf,
    /// `kind: Component`: only built through another kustomization's `components`.
    pub component: bool,
    /// Folders it builds on: `resources`/`bases` folders and `components`.
    pub folders: Vec<PathBuf>,
    /// Files it reads as resources (objects of the unit).
    pub resources: Vec<PathBuf>,
    /// Files it reads as patches, replacements, transformer or generator configs: partial objects
    /// or configuration, never objects of their own.
    pub consumed: Vec<PathBuf>,
    /// Strategic-merge patch files, in the order applied.
    pub patch_files: Vec<PathBuf>,
    /// JSON 6902 patch files with the kind and name (if any) they target.
    pub json_patches: Vec<(PathBuf, String, Option<String>)>,
    /// Remote resources (URLs, git references): rendered only when they can be fetched.
    pub remote: Vec<String>,
    /// Features whose output this linter cannot see without them (`helmCharts`).
    pub needs: Vec<&'static str>,
    /// Where this kustomization names what may stop it rendering here: the `helmCharts` key, or
    /// its first remote resource.
    pub cause_span: Option<Span>,
    /// `namespace:` as written, and where (key and value).
    pub namespace: Option<String>,
    pub namespace_span: Option<Span>,
}

fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("github.com/")
        || s.starts_with("git@")
        || s.contains("?ref=")
}

/// Reads a kustomization file; None when it does not parse as a mapping.
pub fn read(file: &Path) -> Option<Kustomization> {
    // Decoded as the loader decodes (BOM, CRLF), so spans match the source file it reads.
    let text = super::read_file(file, super::DEFAULT_MAX_FILE_SIZE)
        .and_then(super::decode)
        .ok()?;
    let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
    let docs = yaml::parse_stream(&text);
    let root = docs.roots().next()?;
    root.as_map()?;
    let mut k = Kustomization {
        file: file.to_path_buf(),
        dir: dir.clone(),
        component: root.get("kind").and_then(Node::as_str) == Some("Component"),
        namespace: root
            .get("namespace")
            .and_then(Node::as_str)
            .map(str::to_string),
        namespace_span: root
            .entry("namespace")
            .map(|e| Span::new(e.key.span().start, e.value.span().end)),
        ..Kustomization::default()
    };
    let strings = |key: &str| -> Vec<String> {
        root.get(key)
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect()
    };
    for entry in strings("resources").into_iter().chain(strings("bases")) {
        if is_remote(&entry) {
            k.remote.push(entry);
            continue;
        }
        let path = normalize(&dir.join(&entry));
        if path.is_dir() {
            k.folders.push(path);
        } else {
            k.resources.push(path);
        }
    }
    for entry in strings("components") {
        if is_remote(&entry) {
            k.remote.push(entry);
        } else {
            k.folders.push(normalize(&dir.join(entry)));
        }
    }
    // Inline patches are strings holding YAML; only entries that are file paths name files.
    let is_path = |s: &str| !s.contains('\n') && !s.trim_start().starts_with(['{', '[']);
    for entry in strings("patchesStrategicMerge") {
        if is_path(&entry) {
            let p = normalize(&dir.join(entry));
            k.patch_files.push(p.clone());
            k.consumed.push(p);
        }
    }
    for key in ["patches", "patchesJson6902", "replacements"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
            let rel = item
                .as_str()
                .or_else(|| item.get("path").and_then(Node::as_str));
            if let Some(rel) = rel.filter(|r| is_path(r)) {
                let p = normalize(&dir.join(rel));
                let target = item.get("target");
                let target_kind = target
                    .and_then(|t| t.get("kind"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                let target_name = target
                    .and_then(|t| t.get("name"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                // A patch file holding a list of operations is a JSON 6902 patch.
                let is_json = key == "patchesJson6902"
                    || std::fs::read_to_string(&p)
                        .is_ok_and(|t| t.trim_start().starts_with(['-', '[']));
                match (is_json, target_kind) {
                    (true, Some(kind)) => k.json_patches.push((p.clone(), kind, target_name)),
                    (false, _) if key == "patches" => k.patch_files.push(p.clone()),
                    _ => {}
                }
                k.consumed.push(p);
            }
        }
    }
    for key in [
        "transformers",
        "generators",
        "validators",
        "configurations",
        "crds",
    ] {
        for entry in strings(key) {
            if !is_remote(&entry) {
                let path = normalize(&dir.join(entry));
                if path.is_dir() {
                    k.folders.push(path);
                } else {
                    k.consumed.push(path);
                }
            }
        }
    }
    // Generators read files as data (`files: [key=path]`, `envs: [path]`, `env: path`): the
    // kustomization reads them, and they are never objects of their own.
    for key in ["configMapGenerator", "secretGenerator"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
            let list = |k: &str| -> Vec<String> {
                item.get(k)
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            };
            let files = list("files").into_iter().map(|f| match f.split_once('=') {
                Some((_, path)) => path.to_string(),
                None => f,
            });
            let env = item.get("env").and_then(Node::as_str).map(str::to_string);
            for rel in files.chain(list("envs")).chain(env) {
                if !is_remote(&rel) {
                    k.consumed.push(normalize(&dir.join(rel)));
                }
            }
        }
    }
    if root.get("openapi").is_some() {
        if let Some(p) = root
            .get("openapi")
            .and_then(|o| o.get("path"))
            .and_then(Node::as_str)
        {
            k.consumed.push(normalize(&dir.join(p)));
        }
    }
    if root.get("helmCharts").is_some() || root.get("helmChartInflationGenerator").is_some() {
        k.needs.push("helmCharts");
    }
    let helm_at = root
        .entry("helmCharts")
        .or_else(|| root.entry("helmChartInflationGenerator"))
        .map(|e| e.key.span());
    let remote_at = ["resources", "bases", "components"]
        .iter()
        .flat_map(|key| root.get(key).and_then(Node::as_seq).unwrap_or_default())
        .find(|n| n.as_str().is_some_and(is_remote))
        .map(|n| n.span());
    k.cause_span = helm_at.or(remote_at);
    Some(k)
}

/// The kustomizations of an input, by folder, and the roots among them.
#[derive(Debug, Default)]
pub struct Forest {
    pub by_dir: HashMap<PathBuf, Kustomization>,
    /// Folders of kustomizations no other kustomization of the input builds on, sorted.
    pub roots: Vec<PathBuf>,
    /// Every file a kustomization of the input reads (resources, patches, configs).
    pub used: HashSet<PathBuf>,
    /// Components (`kind: Component`) no kustomization of the input uses: kustomize cannot build
    /// them alone, so what they add is not linted.
    pub idle_components: Vec<PathBuf>,
    /// Kustomization files that do not parse as a mapping: kustomize refuses them.
    pub unreadable: Vec<PathBuf>,
}

impl Forest {
    /// Reads the kustomization files found (absolute paths) and any folder they build on that
    /// lies outside them, so a root's whole tree is known.
    pub fn build(found: &[PathBuf]) -> Forest {
        let mut forest = Forest::default();
        let mut todo: Vec<PathBuf> = found.to_vec();
        let mut referenced: HashSet<PathBuf> = HashSet::new();
        let given: HashSet<PathBuf> = found
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        while let Some(file) = todo.pop() {
            let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
            if forest.by_dir.contains_key(&dir) {
                continue;
            }
            let Some(mut k) = read(&file) else {
                forest.unreadable.push(file);
                continue;
            };
            for folder in k.folders.clone() {
                referenced.insert(folder.clone());
                if forest.by_dir.contains_key(&folder) {
                    continue;
                }
                match kustomization_in(&folder) {
                    Some(f) => todo.push(f),
                    // kustomize refuses a folder without a kustomization; its manifests are
                    // still what the author meant to apply, so they are read as resources.
                    None => k.resources.extend(manifests_in(&folder)),
                }
            }
            forest.used.extend(k.resources.iter().cloned());
            forest.used.extend(k.consumed.iter().cloned());
            forest.by_dir.insert(dir, k);
        }
        let mut idle: Vec<PathBuf> = forest
            .by_dir
            .iter()
            .filter(|(dir, k)| given.contains(*dir) && !referenced.contains(*dir) && k.component)
            .map(|(dir, _)| dir.clone())
            .collect();
        idle.sort();
        forest.idle_components = idle;
        let mut roots: Vec<PathBuf> = forest
            .by_dir
            .iter()
            .filter(|(dir, k)| given.contains(*dir) && !referenced.contains(*dir) && !k.component)
            .map(|(dir, _)| dir.clone())
            .collect();
        roots.sort();
        forest.roots = roots;
        forest
    }

    /// The kustomizations a root builds on, itself included (each once).
    pub fn tree(&self, root: &Path) -> Vec<&Kustomization> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut todo = vec![root.to_path_buf()];
        while let Some(dir) = todo.pop() {
            if !seen.insert(dir.clone()) {
                continue;
            }
            if let Some(k) = self.by_dir.get(&dir) {
                out.push(k);
                todo.extend(k.folders.iter().cloned());
            }
        }
        out
    }

    /// Whether a file lies in a folder that holds a kustomization, or below one.
    pub fn in_tree(&self, file: &Path) -> bool {
        file.ancestors()
            .skip(1)
            .any(|dir| self.by_dir.contains_key(dir))
    }
}

/// The manifest files directly in a folder, sorted.
fn manifests_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        })
        .map(|p| normalize(&p))
        .collect();
    out.sort();
    out
}

/// The kustomization file of a folder, if it has one.
pub fn kustomization_in(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// The program that renders kustomizations here: `kustomize build`, else `kubectl kustomize`.
#[derive(Debug, Clone)]
pub struct Renderer {
    program: PathBuf,
    args: Vec<&'static str>,
}

impl Renderer {
    /// Looks for the user's binary on PATH (`AMBIENT_LINT_KUSTOMIZE` names another one).
    pub fn find() -> Option<Renderer> {
        if let Some(p) = std::env::var_os("AMBIENT_LINT_KUSTOMIZE") {
            let p = PathBuf::from(p);
            if p.as_os_str().is_empty() {
                return None;
            }
            let kubectl = p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("kubectl"));
            return Some(Renderer {
                program: p,
                args: if kubectl {
                    vec!["kustomize"]
                } else {
                    vec!["build"]
                },
            });
        }
        if let Some(p) = on_path("kustomize") {
            return Some(Renderer {
                program: p,
                args: vec!["build"],
            });
        }
        on_path("kubectl").map(|p| Renderer {
            program: p,
            args: vec!["kustomize"],
        })
    }

    pub fn name(&self) -> String {
        let program = self
            .program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{program} {}", self.args.join(" "))
    }

    /// Renders the kustomization in `root` (absolute) with origin annotations. The user's tree is
    /// never written to: a wrapper kustomization in a temporary folder builds `root` and asks
    /// for `buildMetadata: [originAnnotations]`; origins then read relative to that folder.
    pub fn render(&self, root: &Path, namespace: Option<&str>) -> Result<Rendered, String> {
        let wrapper = temp_dir()?;
        let mut body = format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {}\nbuildMetadata: [originAnnotations]\n",
            serde_json::to_string(&relative_to(&wrapper, root).to_string_lossy())
                .unwrap_or_default()
        );
        if let Some(ns) = namespace {
            body.push_str(&format!(
                "namespace: {}\n",
                serde_json::to_string(ns).unwrap_or_default()
            ));
        }
        let result = std::fs::write(wrapper.join("kustomization.yaml"), body)
            .map_err(|e| format!("cannot write a temporary kustomization: {e}"))
            .and_then(|()| {
                std::process::Command::new(&self.program)
                    .args(&self.args)
                    .arg(&wrapper)
                    .arg("--load-restrictor")
                    .arg("LoadRestrictionsNone")
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", self.name()))
            });
        let _ = std::fs::remove_dir_all(&wrapper);
        let output = result?;
        if !output.status.success() {
            return Err(error_line(&String::from_utf8_lossy(&output.stderr)));
        }
        let text = String::from_utf8(output.stdout)
            .map_err(|_| format!("{} printed text that is not UTF-8", self.name()))?;
        Ok(Rendered {
            text,
            base: wrapper,
        })
    }
}

/// A root's rendered output, and the folder its origin paths are relative to.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    pub base: PathBuf,
}

/// The gist of a renderer's error: kustomize nests causes as `context: cause`, so the last two
/// links say what failed; kubectl's log prefix and quoted configuration are dropped.
fn error_line(stderr: &str) -> String {
    let text = match stderr.find("err=") {
        Some(i) => &stderr[i + 4..],
        None => stderr,
    };
    let text = text
        .trim()
        .trim_start_matches(['<', '"'])
        .trim_end_matches(['>', '"'])
        .trim_start_matches("Error: ");
    // Drop `...` quoted configuration, then flatten whitespace.
    let mut plain = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 0 {
            plain.push_str(part);
        }
    }
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let links: Vec<&str> = plain
        .split(": ")
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != ":")
        .collect();
    let gist = links[links.len().saturating_sub(2)..].join(": ");
    let gist = gist.trim_end_matches(':').trim().replace("\\\"", "\"");
    match gist.char_indices().nth(240) {
        Some((cut, _)) => format!("{}…", &gist[..cut]),
        None if gist.is_empty() => "failed".to_string(),
        None => gist,
    }
}

/// `to` as a path relative to the folder `from` (both absolute).
fn relative_to(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn temp_dir() -> Result<PathBuf, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ambient-lint-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    Ok(dir)
}

/// The source path an object's `config.kubernetes.io/origin` annotation names, if any.
pub fn origin_path(object: Node<'_>) -> Option<String> {
    let value = object
        .get("metadata")?
        .get("annotations")?
        .get(ORIGIN_ANNOTATION)?
        .as_str()?;
    value.lines().find_map(|l| {
        l.trim()
            .strip_prefix("path:")
            .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
    })
}

pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_resources_are_told_apart() {
        assert!(is_remote("https://github.com/x/y//base?ref=v1"));
        assert!(is_remote("github.com/kubeflow/manifests/common"));
        assert!(!is_remote("../base"));
    }

    #[test]
    fn generator_files_are_read_by_the_kustomization() {
        // kubeflow's jupyter-web-app base: `configs/spawner_ui_config.yaml` is ConfigMap data,
        // read by the kustomization, not a file nobody reads.
        let dir = std::env::temp_dir().join(format!("ambient-lint-gen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("kustomization.yaml");
        std::fs::write(
            &file,
            "configMapGenerator:\n- envs: [params.env]\n  name: parameters\n- files:\n  - configs/spawner_ui_config.yaml\n  - key.yaml=configs/other.yaml\n  name: config\nsecretGenerator:\n- name: s\n  env: secret.env\n",
        )
        .unwrap();
        let k = read(&file).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        for rel in [
            "params.env",
            "configs/spawner_ui_config.yaml",
            "configs/other.yaml",
            "secret.env",
        ] {
            assert!(
                k.consumed.contains(&dir.join(rel)),
                "{rel}: {:?}",
                k.consumed
            );
        }
        assert!(k.resources.is_empty());
    }

    #[test]
    fn renderer_errors_are_cut_to_their_gist() {
        let kubectl = "E1201 22:01:04.445801    3787 run.go:72] \"command failed\" err=<\n\taccumulating resources: accumulation err='x': trouble configuring builtin HelmChartInflationGenerator with config: `\n\tname: web\n\t`: must specify --enable-helm\n >\n";
        assert_eq!(
            error_line(kubectl),
            "trouble configuring builtin HelmChartInflationGenerator with config: must specify --enable-helm"
        );
        assert_eq!(
            error_line("Error: accumulating resources: lstat /x/base: no such file or directory\n"),
            "lstat /x/base: no such file or directory"
        );
    }

    #[test]
    fn origin_paths_are_read_from_the_annotation() {
        let docs = yaml::parse_stream(
            "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../base/sa.yaml\n",
        );
        let root = docs.roots().next().unwrap();
        assert_eq!(origin_path(root).as_deref(), Some("../base/sa.yaml"));
    }
}
