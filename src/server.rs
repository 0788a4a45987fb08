//! `ambient-lint server`: a language server over standard input and output. The workspace
//! folder is the context, linted as `ambient-lint check .` would lint it there (its config file,
//! units and kustomize handling included); the editor's unsaved texts stand in for the files
//! they edit. After every change the whole workspace is linted again, so that a Namespace label
//! edited in one file moves findings in the others: diagnostics are published for every file
//! that has findings, and cleared for every file that no longer has any.
//!
//! Code actions offer each finding's fix (safe ones preferred; display-only ones shown, not
//! applied) and a suppression with a `TODO` reason, as the annotation or as a comment. Go to
//! definition leads from a principal or a `serviceAccounts` entry to its ServiceAccount (or, when
//! the input holds none, to the workloads that run as it), from a `backendRef` to its Service,
//! from a `parentRef` to its Gateway (the listener its `sectionName` names), from a `targetRef` to its target, and from
//! `istio.io/use-waypoint` to the waypoint. Hover on an object's own selector lists the
//! workloads it selects; on an identity, the workloads that present it; on a NetworkPolicy rule,
//! whom it admits on which ports, and whether it lets ambient's HBONE traffic through.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, InitializeParams, Location as LspLocation, NumberOrString, Position,
    PositionEncodingKind, PublishDiagnosticsParams, Range, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};

use crate::finding::{Applicability, Edit, Finding, Fix, Location, Severity};
use crate::load::Inputs;
use crate::load::source::{FileRole, SourceFile};

/// Runs the server until the editor says `exit`. An error is a broken protocol (the editor went
/// away, or sent what is not an LSP message), not a finding.
pub fn run() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let served = serve(&connection);
    drop(connection);
    match served {
        Ok(()) => io_threads.join().map_err(|e| e.to_string()),
        Err(Stop::Failed(why)) => Err(why),
        // The reader has stopped, so joining cannot wait on the editor: it says why it stopped.
        Err(Stop::Disconnected) => match io_threads.join() {
            Err(e) => Err(format!("reading the editor's messages: {e}")),
            Ok(()) => Err("the editor closed the connection before `exit`".to_string()),
        },
    }
}

/// Why the server stopped before `exit`.
enum Stop {
    /// The connection to the editor is gone: its reader can say why.
    Disconnected,
    Failed(String),
}

impl From<lsp_server::ProtocolError> for Stop {
    fn from(e: lsp_server::ProtocolError) -> Stop {
        if e.channel_is_disconnected() {
            Stop::Disconnected
        } else {
            Stop::Failed(e.to_string())
        }
    }
}

fn serve(connection: &Connection) -> Result<(), Stop> {
    let (id, params) = connection.initialize_start()?;
    let params: InitializeParams = serde_json::from_value(params)
        .map_err(|e| Stop::Failed(format!("the editor's `initialize` parameters: {e}")))?;
    // Columns in UTF-8 bytes when the editor can take them (no conversion), else UTF-16, the
    // protocol's default.
    let utf8 = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
    let capabilities = ServerCapabilities {
        position_encoding: Some(if utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        definition_provider: Some(lsp_types::OneOf::Left(true)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        workspace: Some(lsp_types::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp_types::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp_types::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": {"name": "ambient-lint", "version": env!("CARGO_PKG_VERSION")},
    });
    connection.initialize_finish(id, result)?;
    // Files changed outside the editor (a branch switched, the config file edited elsewhere)
    // are linted again when the editor tells: ask it to watch them, where it can be asked.
    let can_watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    if can_watch {
        send(connection, watch_request().into())?;
    }

    let mut roots = workspace_roots(&params);
    if roots.is_empty() {
        roots.extend(std::env::current_dir().ok());
    }
    if roots.is_empty() {
        return Err(Stop::Failed(
            "no workspace folder, and no current directory".to_string(),
        ));
    }
    let mut workspace = Workspace {
        folders: roots
            .into_iter()
            .map(|root| Folder::new(root, utf8))
            .collect(),
        utf8,
        open: HashMap::new(),
        published: Vec::new(),
    };
    workspace.lint_and_publish(connection)?;

    // A message read while coalescing notifications, to handle next.
    let mut held: Option<Message> = None;
    loop {
        let message = match held.take() {
            Some(m) => m,
            None => match connection.receiver.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let response = match request.method.as_str() {
                    "textDocument/codeAction" => answer(&request, |p: CodeActionParams| {
                        workspace
                            .folder_of(&p.text_document.uri)
                            .map(|f| f.code_actions(&p))
                            .unwrap_or_default()
                    }),
                    "textDocument/hover" => answer(&request, |p: lsp_types::HoverParams| {
                        let at = &p.text_document_position_params;
                        workspace
                            .folder_of(&at.text_document.uri)
                            .and_then(|f| f.hover(at))
                    }),
                    "textDocument/definition" => {
                        answer(&request, |p: lsp_types::GotoDefinitionParams| {
                            let at = &p.text_document_position_params;
                            workspace
                                .folder_of(&at.text_document.uri)
                                .and_then(|f| f.definition(at))
                        })
                    }
                    _ => unsupported(&request),
                };
                send(connection, response.into())?;
            }
            Message::Notification(notification) => {
                let mut dirty = workspace.apply(&notification);
                // Keystrokes arrive faster than a large workspace lints: take in every
                // notification already waiting, and lint once for all of them. A request
                // waits until then, so that it is answered about the newest text. The
                // connection hands messages over one at a time as its reader parses them, so
                // "waiting" is what arrives within a moment, not what sits in the channel.
                while let Ok(next) = connection.receiver.recv_timeout(COALESCE) {
                    match next {
                        Message::Notification(n) => dirty |= workspace.apply(&n),
                        other => {
                            held = Some(other);
                            break;
                        }
                    }
                }
                if dirty {
                    workspace.lint_and_publish(connection)?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// How long a notification may wait for the next before the workspace is linted: far below a
/// keystroke's interval, far above the time the connection's reader takes to parse a message
/// already written.
const COALESCE: std::time::Duration = std::time::Duration::from_millis(2);

/// The answer to a request: `handle` applied to its parameters; parameters that do not parse
/// are the JSON-RPC error InvalidParams (-32602).
fn answer<P: serde::de::DeserializeOwned, R: serde::Serialize>(
    request: &Request,
    handle: impl FnOnce(P) -> R,
) -> Response {
    match serde_json::from_value::<P>(request.params.clone()) {
        Ok(params) => Response::new_ok(request.id.clone(), handle(params)),
        Err(e) => Response::new_err(request.id.clone(), -32602, e.to_string()),
    }
}

/// The request that asks the editor to report changes to manifests, the config file and the
/// ignore files that decide what a walk reads.
fn watch_request() -> Request {
    use lsp_types::request::{RegisterCapability, Request as _};
    let watchers: Vec<lsp_types::FileSystemWatcher> = [
        "**/*.{yaml,yml,json}",
        &format!("**/{}", crate::config::FILE_NAME),
        "**/{.gitignore,.ignore}",
    ]
    .into_iter()
    .map(|glob| lsp_types::FileSystemWatcher {
        glob_pattern: lsp_types::GlobPattern::String(glob.to_string()),
        kind: None,
    })
    .collect();
    let params = lsp_types::RegistrationParams {
        registrations: vec![lsp_types::Registration {
            id: "ambient-lint-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(
                lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers },
            )
            .ok(),
        }],
    };
    Request::new(
        lsp_server::RequestId::from("ambient-lint/watch".to_string()),
        RegisterCapability::METHOD.to_string(),
        params,
    )
}

fn unsupported(request: &Request) -> Response {
    // -32601: MethodNotFound in JSON-RPC.
    Response::new_err(
        request.id.clone(),
        -32601,
        format!("ambient-lint does not answer `{}` yet", request.method),
    )
}

/// The workspace folders the editor opened, or its root for editors that send only that.
fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| uri_to_path(&f.uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    #[allow(deprecated)] // Older editors send only `rootUri`.
    params
        .root_uri
        .as_ref()
        .and_then(uri_to_path)
        .into_iter()
        .collect()
}

/// What the editor has open: its folders, each linted on its own, and its unsaved texts.
struct Workspace {
    folders: Vec<Folder>,
    utf8: bool,
    /// The editor's texts of open files, by absolute path: they stand in for the disk.
    open: HashMap<PathBuf, String>,
    /// Files that have diagnostics in the editor now.
    published: Vec<Uri>,
}

/// One workspace folder, linted as `ambient-lint check .` run in it (its config file included).
struct Folder {
    root: PathBuf,
    utf8: bool,
    /// The last lint's inputs and unsuppressed findings, which requests answer from.
    last: Option<(Inputs, Vec<Finding>)>,
    /// The model options of the last lint, for hovers that need the model.
    model_options: crate::model::ModelOptions,
}

impl Workspace {
    /// Takes in a document notification; true when the workspace must be linted again.
    fn apply(&mut self, notification: &Notification) -> bool {
        use lsp_types::notification::{
            DidChangeTextDocument, DidChangeWatchedFiles, DidChangeWorkspaceFolders,
            DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument, Notification as _,
        };
        let params = notification.params.clone();
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params)
                else {
                    return false;
                };
                self.set_text(&p.text_document.uri, Some(p.text_document.text))
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params)
                else {
                    return false;
                };
                // Full sync: the last change holds the whole text.
                let text = p.content_changes.into_iter().last().map(|c| c.text);
                text.is_some() && self.set_text(&p.text_document.uri, text)
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params)
                else {
                    return false;
                };
                self.set_text(&p.text_document.uri, None)
            }
            // The disk changed: a save, or a file written by another program.
            DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => true,
            DidChangeWorkspaceFolders::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeWorkspaceFoldersParams>(params)
                else {
                    return false;
                };
                let gone: Vec<PathBuf> = p
                    .event
                    .removed
                    .iter()
                    .filter_map(|f| uri_to_path(&f.uri))
                    .collect();
                self.folders.retain(|f| !gone.contains(&f.root));
                for root in p.event.added.iter().filter_map(|f| uri_to_path(&f.uri)) {
                    if !self.folders.iter().any(|f| f.root == root) {
                        self.folders.push(Folder::new(root, self.utf8));
                    }
                }
                true
            }
            _ => false,
        }
    }

    fn set_text(&mut self, uri: &Uri, text: Option<String>) -> bool {
        let Some(path) = uri_to_path(uri) else {
            return false;
        };
        let key = crate::fix::overlay_key(&path);
        match text {
            Some(text) => self.open.insert(key, text),
            None => self.open.remove(&key),
        };
        true
    }

    /// The folder a document belongs to: the innermost that holds it, else the first whose
    /// lint read it (a kustomize base or a `--context` file outside every folder).
    fn folder_of(&self, uri: &Uri) -> Option<&Folder> {
        let path = uri_to_path(uri)?;
        match owner(&self.folders, &path) {
            Some(i) => Some(&self.folders[i]),
            None => self.folders.iter().find(|f| f.read(&path)),
        }
    }

    fn lint_and_publish(&mut self, connection: &Connection) -> Result<(), Stop> {
        let mut by_file: BTreeMap<String, (Uri, Vec<Diagnostic>)> = BTreeMap::new();
        for i in 0..self.folders.len() {
            let diagnostics = match self.folders[i].lint(&self.open) {
                Ok(d) => d,
                Err(message) => {
                    show_error(connection, &message)?;
                    continue;
                }
            };
            // A file in a folder nested in another is the inner folder's (its config applies);
            // a file outside every folder that a lint read (a kustomize base elsewhere) is the
            // first such folder's.
            for (key, (uri, list)) in diagnostics {
                let held_by = uri_to_path(&uri).and_then(|p| owner(&self.folders, &p));
                if held_by == Some(i) || held_by.is_none() {
                    by_file.entry(key).or_insert((uri, list));
                }
            }
        }
        let gone: Vec<Uri> = std::mem::take(&mut self.published)
            .into_iter()
            .filter(|uri| !by_file.contains_key(uri.as_str()))
            .collect();
        let mut now = Vec::with_capacity(by_file.len());
        for (uri, diagnostics) in by_file.into_values() {
            now.push(uri.clone());
            publish(connection, uri, diagnostics)?;
        }
        for uri in gone {
            publish(connection, uri, Vec::new())?;
        }
        self.published = now;
        Ok(())
    }
}

/// Of `folders`, the innermost that holds `path`.
fn owner(folders: &[Folder], path: &Path) -> Option<usize> {
    folders
        .iter()
        .enumerate()
        .filter(|(_, f)| path.starts_with(&f.root))
        .max_by_key(|(_, f)| f.root.components().count())
        .map(|(i, _)| i)
}

impl Folder {
    /// Whether the last lint read the file at this absolute path.
    fn read(&self, path: &Path) -> bool {
        let path = crate::load::normalize(path);
        self.last.as_ref().is_some_and(|(inputs, _)| {
            inputs
                .files
                .iter()
                .any(|f| crate::load::normalize(&self.root.join(&f.path)) == path)
        })
    }

    fn new(root: PathBuf, utf8: bool) -> Folder {
        Folder {
            root,
            utf8,
            last: None,
            model_options: Default::default(),
        }
    }

    /// Lints the folder as `check .` there, with the open texts over the disk; the
    /// diagnostics of each file, by URI.
    fn lint(
        &mut self,
        open: &HashMap<PathBuf, String>,
    ) -> Result<BTreeMap<String, (Uri, Vec<Diagnostic>)>, String> {
        use clap::Parser;
        // `check .` there: the config file is found from the folder, and paths are relative
        // to it. The server answers one message at a time, so changing directory is safe.
        std::env::set_current_dir(&self.root)
            .map_err(|e| format!("{}: {e}", self.root.display()))?;
        let cli = crate::cli::Cli::try_parse_from(["ambient-lint", "check", "."])
            .map_err(|e| e.to_string())?;
        let Some(crate::cli::Command::Check(args)) = cli.command else {
            return Err("`check .` did not parse as a check".to_string());
        };
        let mut settings = crate::Settings::from_args(&args.lint)
            .map_err(|e| format!("{}: {e}", self.root.display()))?;
        settings.lint.load.overlay = open.clone();
        // Hovers and definitions read any file's tree next: keep them all.
        settings.lint.load.keep_trees = true;
        self.model_options = settings.lint.model.clone();
        let (inputs, mut findings) =
            crate::lint(&settings.lint).map_err(|e| format!("{}: {e}", self.root.display()))?;
        findings.retain(|f| f.suppressed.is_none());
        let mut out: BTreeMap<String, (Uri, Vec<Diagnostic>)> = BTreeMap::new();
        for f in &findings {
            let Some((uri, range)) = self.place(&inputs, &f.location) else {
                continue;
            };
            let diagnostic = self.diagnostic(&inputs, f, range);
            out.entry(uri.as_str().to_string())
                .or_insert_with(|| (uri, Vec::new()))
                .1
                .push(diagnostic);
        }
        self.last = Some((inputs, findings));
        Ok(out)
    }

    /// For each finding whose range meets the one asked about: its fix, and a suppression.
    fn code_actions(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let Some((inputs, findings)) = &self.last else {
            return Vec::new();
        };
        let mut fixes = Vec::new();
        let mut suppressions = Vec::new();
        for f in findings {
            let Some((uri, range)) = self.place(inputs, &f.location) else {
                continue;
            };
            if uri != params.text_document.uri || !overlaps(range, params.range) {
                continue;
            }
            if let Some(fix) = &f.fix {
                fixes.push(self.fix_action(inputs, f, fix));
            }
            // An annotation on the resource, edited as a fix is.
            let (with_edit, _) = crate::fix::suppressions(inputs, std::slice::from_ref(f));
            if let Some(edit) = with_edit.into_iter().find_map(|s| s.fix) {
                suppressions.push(CodeAction {
                    title: format!(
                        "suppress {} on this resource with an annotation (reason: TODO)",
                        f.code
                    ),
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(self.workspace_edit(inputs, &edit.edits)),
                    ..Default::default()
                });
            }
            // Or a comment above the line, which suppresses only what starts on that line.
            if let Some(edit) = crate::suppress::comment_edit(inputs, f) {
                suppressions.push(CodeAction {
                    title: format!(
                        "suppress {} on this line with a comment (reason: TODO)",
                        f.code
                    ),
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(self.workspace_edit(inputs, &[edit])),
                    ..Default::default()
                });
            }
        }
        // Safe fixes first, then the others, then suppressions.
        fixes.sort_by_key(|a| std::cmp::Reverse(a.is_preferred.unwrap_or(false)));
        fixes
            .into_iter()
            .chain(suppressions)
            .map(CodeActionOrCommand::CodeAction)
            .collect()
    }

    /// The object under the cursor, and the keys and nodes from its root down to the cursor.
    #[allow(clippy::type_complexity)]
    fn under_cursor<'i>(
        &self,
        inputs: &'i Inputs,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Option<(usize, Vec<(String, crate::load::node::Node<'i>)>)> {
        let path = uri_to_path(&at.text_document.uri)?;
        // Paths in the inputs are relative to the folder, whatever the current directory.
        let key = crate::load::normalize(&path);
        let file = inputs
            .files
            .iter()
            .position(|f| crate::load::normalize(&self.root.join(&f.path)) == key)?;
        let offset = self.offset(&inputs.files[file], at.position);
        inputs
            .objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.file == file && o.origin.is_none())
            .find_map(|(id, o)| {
                let root = o.node();
                root.span()
                    .contains(offset)
                    .then(|| (id, trail_to(root, offset)))
            })
    }

    /// Where the reference under the cursor leads: the `metadata.name` of the object it names;
    /// for an identity whose ServiceAccount the input does not hold, the workloads that run as
    /// it.
    fn definition(
        &self,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Option<lsp_types::GotoDefinitionResponse> {
        let (inputs, _) = self.last.as_ref()?;
        let (object, trail) = self.under_cursor(inputs, at)?;
        let source = &inputs.objects[object];
        let namespace = source.namespace_or_empty();
        let keys: Vec<&str> = trail.iter().map(|(k, _)| k.as_str()).collect();
        let value = trail.last().map(|(_, n)| *n)?;
        let name_of = |target: usize| {
            Location::field(target, crate::load::node::FieldPath::new("metadata.name"))
        };
        let targets: Vec<Location> =
            if let Some((ns, account)) = identity_at(&keys, value, namespace) {
                match find_object(inputs, "ServiceAccount", ns, account) {
                    Some(target) => vec![name_of(target)],
                    None => {
                        let model = self.model_of(inputs, object)?;
                        model
                            .workloads_running_as(ns, account)
                            .iter()
                            .map(|&w| model.workloads[w].account_location())
                            .collect()
                    }
                }
            } else if let Some(at) = keys
                .iter()
                .position(|k| *k == "backendRefs" || *k == "parentRefs")
            {
                // The reference is the mapping right below the list: its index's node.
                let reference = trail.get(at + 1).map(|(_, n)| *n)?;
                let name = reference.get("name")?.as_str()?;
                let ns = reference
                    .get("namespace")
                    .and_then(|n| n.as_str())
                    .unwrap_or(namespace);
                let kind = reference.get("kind").and_then(|k| k.as_str());
                let kind = match (keys[at], kind) {
                    (_, Some(kind)) => kind,
                    ("backendRefs", None) => "Service",
                    _ => "Gateway",
                };
                let target = find_object(inputs, kind, ns, name)?;
                // A parentRef's `sectionName` names a listener: that listener's `name`.
                let listener = reference
                    .get("sectionName")
                    .and_then(|n| n.as_str())
                    .filter(|_| keys[at] == "parentRefs")
                    .and_then(|section| {
                        let listeners = inputs.objects[target]
                            .node()
                            .get("spec")?
                            .get("listeners")?
                            .as_seq()?;
                        let i = listeners.iter().position(|l| {
                            l.get("name").and_then(|n| n.as_str()) == Some(section)
                        })?;
                        Some(Location::field(
                            target,
                            crate::load::node::FieldPath::new(&format!("spec.listeners[{i}].name")),
                        ))
                    });
                vec![listener.unwrap_or_else(|| name_of(target))]
            } else if let Some(at) = keys
                .iter()
                .position(|k| *k == "targetRef" || *k == "targetRefs")
            {
                // `targetRef` is the reference; `targetRefs` holds them, one per item.
                let step = if keys[at] == "targetRefs" { 1 } else { 0 };
                let reference = trail.get(at + step).map(|(_, n)| *n)?;
                let name = reference.get("name")?.as_str()?;
                let kind = reference.get("kind")?.as_str()?;
                vec![name_of(find_object(inputs, kind, namespace, name)?)]
            } else if keys.last() == Some(&"istio.io/use-waypoint") {
                vec![name_of(find_object(
                    inputs,
                    "Gateway",
                    namespace,
                    value.as_str()?,
                )?)]
            } else {
                Vec::new()
            };
        let mut places: Vec<LspLocation> = targets
            .iter()
            .filter_map(|t| {
                let (uri, range) = self.place(inputs, t)?;
                Some(LspLocation { uri, range })
            })
            .collect();
        match places.len() {
            0 => None,
            1 => places.pop().map(lsp_types::GotoDefinitionResponse::Scalar),
            _ => Some(lsp_types::GotoDefinitionResponse::Array(places)),
        }
    }

    /// The model of the unit that holds `object`, as the last lint built it.
    fn model_of(&self, inputs: &Inputs, object: usize) -> Option<crate::model::Model> {
        let units = crate::units_of(inputs);
        let unit = units.iter().find(|u| u.objects.contains(&object))?;
        Some(crate::model::Model::of_unit(
            inputs,
            unit,
            &self.model_options,
        ))
    }

    /// What the model says of what is under the cursor: the workloads a selector selects, the
    /// workloads that run as the account an identity names, or what a NetworkPolicy rule
    /// admits.
    fn hover(&self, at: &lsp_types::TextDocumentPositionParams) -> Option<lsp_types::Hover> {
        use crate::load::node::FieldPath;
        use crate::model::selector::LabelSelector;
        let (inputs, _) = self.last.as_ref()?;
        let (object, trail) = self.under_cursor(inputs, at)?;
        let source = &inputs.objects[object];
        let namespace = source.namespace_or_empty();
        let keys: Vec<&str> = trail.iter().map(|(k, _)| k.as_str()).collect();
        let model = self.model_of(inputs, object)?;
        let text = if let Some((ns, account)) = identity_at(&keys, trail.last()?.1, namespace) {
            let value = trail.last()?.1.as_str()?;
            let running = model.workloads_running_as(ns, account);
            format!(
                "**Pods that present `{value}`** (ServiceAccount `{ns}/{account}`):\n\n{}",
                workload_list(&model, running)
            )
        } else if source.kind == "NetworkPolicy"
            && keys.len() >= 3
            && keys[0] == "spec"
            && (keys[1] == "ingress" || keys[1] == "egress")
        {
            network_policy_rule(&model, object, keys[1], keys[2].parse().ok()?)?
        } else {
            // The object's own selector: `spec.selector` (a policy's, or a Service's map) or
            // `spec.podSelector`.
            let at = keys
                .iter()
                .position(|k| *k == "selector" || *k == "podSelector")
                .filter(|&i| i == 1 && keys[0] == "spec")?;
            let node = trail[at].1;
            let mut reader = crate::model::reader::Reader::new(object, &source.kind);
            let selector = if source.kind == "Service" {
                let labels = reader.string_map(Some(node), &FieldPath::root());
                LabelSelector::from_labels(labels, FieldPath::root())
            } else {
                LabelSelector::read(&mut reader, Some(node), &FieldPath::root())?
            };
            let selected = model.select_workloads(Some(namespace), &selector);
            format!(
                "**Workloads this selector matches** in `{namespace}`:\n\n{}",
                workload_list(&model, &selected)
            )
        };
        Some(lsp_types::Hover {
            contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                kind: lsp_types::MarkupKind::Markdown,
                value: text,
            }),
            range: None,
        })
    }

    /// A position in the agreed encoding as a byte offset of `text`.
    fn offset(&self, file: &SourceFile, position: Position) -> usize {
        let text = &*file.text;
        // Past the last line is the end of the text.
        let line_start = file.line_start(position.line as usize);
        let line = text[line_start..].split('\n').next().unwrap_or("");
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                return line_start + i;
            }
            units += if self.utf8 {
                c.len_utf8()
            } else {
                c.len_utf16()
            };
        }
        line_start + line.len()
    }

    fn fix_action(&self, inputs: &Inputs, f: &Finding, fix: &Fix) -> CodeAction {
        let (suffix, disabled) = match fix.applicability {
            Applicability::Safe => ("", None),
            Applicability::Unsafe => (" (unsafe: review what it admits or refuses)", None),
            Applicability::DisplayOnly => (
                "",
                Some(CodeActionDisabled {
                    reason:
                        "shown only: a decision the manifests cannot make for you; apply it by hand"
                            .to_string(),
                }),
            ),
        };
        CodeAction {
            title: format!("{} ({}){suffix}", fix.title, f.code),
            kind: Some(CodeActionKind::QUICKFIX),
            is_preferred: Some(fix.applicability == Applicability::Safe),
            edit: Some(self.workspace_edit(inputs, &fix.edits)),
            disabled,
            ..Default::default()
        }
    }

    // lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose lazily parsed parts clippy sees
    // as mutable; a URI never changes once built. `changes` is the form every editor applies.
    #[allow(clippy::mutable_key_type)]
    fn workspace_edit(&self, inputs: &Inputs, edits: &[Edit]) -> WorkspaceEdit {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for e in edits {
            let file = &inputs.files[e.file];
            let Some(uri) = path_to_uri(&self.root.join(&file.path)) else {
                continue;
            };
            changes.entry(uri).or_default().push(TextEdit {
                range: Range {
                    start: self.position(file, e.start),
                    end: self.position(file, e.end),
                },
                new_text: e.content.clone(),
            });
        }
        WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        }
    }

    fn diagnostic(&self, inputs: &Inputs, f: &Finding, range: Range) -> Diagnostic {
        let rule = crate::rules::find(f.code);
        let related: Vec<DiagnosticRelatedInformation> = f
            .related
            .iter()
            .filter_map(|r| {
                let (uri, range) = self.place(inputs, &r.location)?;
                Some(DiagnosticRelatedInformation {
                    location: LspLocation { uri, range },
                    message: r.message.clone(),
                })
            })
            .collect();
        let message = if f.help.is_empty() {
            f.message.clone()
        } else {
            format!("{}\nhelp: {}", f.message, f.help)
        };
        Diagnostic {
            range,
            severity: Some(match f.severity {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Info => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(f.code.to_string())),
            code_description: rule.and_then(|r| {
                crate::rules::doc_url(r)
                    .parse()
                    .ok()
                    .map(|href| CodeDescription { href })
            }),
            source: Some("ambient-lint".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    /// The file and range of a location, in the editor's terms.
    fn place(&self, inputs: &Inputs, location: &Location) -> Option<(Uri, Range)> {
        let resolved = inputs.resolve(location);
        let file = &inputs.files[resolved.file];
        // Standard input and generated files (declared facts) have no place on disk.
        if file.path == crate::load::STDIN_NAME || file.role == FileRole::Declared {
            return None;
        }
        let uri = path_to_uri(&self.root.join(&file.path))?;
        let range = Range {
            start: self.position(file, resolved.span.start),
            end: self.position(file, resolved.span.end),
        };
        Some((uri, range))
    }

    /// A byte offset as a line and a column in the encoding agreed at initialisation.
    fn position(&self, file: &SourceFile, offset: usize) -> Position {
        let text = &*file.text;
        let offset = crate::load::source::floor_char_boundary(text, offset.min(text.len()));
        // The loader's line index finds the line; the column is counted within it.
        let line = file.line_col(offset).line.saturating_sub(1);
        let line_start = file.line_start(line);
        let column = &text[line_start..offset];
        let character = if self.utf8 {
            column.len()
        } else {
            column.encode_utf16().count()
        };
        Position {
            line: line as u32,
            character: character as u32,
        }
    }
}

/// The ServiceAccount an identity under the cursor names: an item of `principals`
/// (`<trust domain>/ns/<ns>/sa/<sa>`) or of `serviceAccounts` (`<ns>/<sa>`, or `<sa>` in the
/// policy's namespace).
fn identity_at<'n>(
    keys: &[&str],
    value: crate::load::node::Node<'n>,
    namespace: &'n str,
) -> Option<(&'n str, &'n str)> {
    let text = value.as_str()?;
    if keys.contains(&"principals") {
        let p = crate::model::identity::parse_principal(text)?;
        Some((p.namespace, p.service_account))
    } else if keys.contains(&"serviceAccounts") {
        Some(text.split_once('/').unwrap_or((namespace, text)))
    } else {
        None
    }
}

/// Workloads as a Markdown list.
fn workload_list(model: &crate::model::Model, ids: &[usize]) -> String {
    if ids.is_empty() {
        return "no workload in the input".to_string();
    }
    ids.iter()
        .map(|&i| {
            let w = &model.workloads[i];
            format!("- {} `{}/{}`", w.kind, w.meta.namespace, w.meta.name)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What rule `index` of a NetworkPolicy's `ingress` or `egress` admits, as the engine reads it,
/// and whether it lets ambient's mesh traffic through: ztunnel carries every connection between
/// ambient pods over HBONE to port 15008 of the destination pod (docs/platform.md §1, §8), so a
/// rule that admits only the application's port admits no mesh traffic.
fn network_policy_rule(
    model: &crate::model::Model,
    object: usize,
    direction: &str,
    index: usize,
) -> Option<String> {
    use crate::engine::{Endpoint, Engine, netpol::Direction};
    use crate::model::Dataplane;
    use crate::model::reader::IntOrString;
    use crate::model::resources::Peer;
    let policy = model
        .network_policies
        .iter()
        .find(|p| p.meta.object == object)?;
    let dir = if direction == "ingress" {
        Direction::Ingress
    } else {
        Direction::Egress
    };
    let rule = dir.rules(policy).get(index)?;
    let engine = Engine::plain(model);
    let ns = policy.meta.namespace.as_str();
    let selected = model.select_workloads(Some(ns), &policy.pod_selector);
    let (peers_word, towards) = match dir {
        Direction::Ingress => ("from", "to"),
        Direction::Egress => ("to", "from"),
    };
    let mut out = format!(
        "**{direction}[{index}] of NetworkPolicy `{ns}/{}`**\n\n",
        policy.meta.name
    );
    out.push_str(&format!(
        "Applies {towards} the pods it selects:\n\n{}\n\n",
        workload_list(model, &selected)
    ));
    if !dir.restricts(policy) {
        out.push_str(&format!(
            "`policyTypes` does not list `{}`: this rule is ignored.\n",
            if dir == Direction::Ingress {
                "Ingress"
            } else {
                "Egress"
            }
        ));
        return Some(out);
    }
    // Ports as the engine resolves them: named ports on the pods that receive.
    let ports = match (dir, selected.first()) {
        (Direction::Ingress, Some(&w)) => {
            let (sure, maybe) = engine.rule_ports(rule, &Endpoint::Workload(w));
            if maybe.is_empty() {
                sure.to_string()
            } else {
                format!("{sure}, and named ports the input cannot resolve")
            }
        }
        _ if rule.ports.is_empty() => "all".to_string(),
        // Egress: a named port is resolved on each destination's pods.
        _ => rule
            .ports
            .iter()
            .map(|p| match (&p.port, p.end_port) {
                (None, _) => format!("{} all", p.protocol),
                (Some(IntOrString::Int(n)), Some(end)) => format!("{} {n}-{end}", p.protocol),
                (Some(IntOrString::Int(n)), None) => format!("{} {n}", p.protocol),
                (Some(IntOrString::String(name)), _) => {
                    format!("{} named port `{name}` of each destination", p.protocol)
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    out.push_str(&format!("Ports: {ports}\n\n"));
    if rule.peers.is_empty() {
        out.push_str(&format!(
            "Peers: every pod and address ({peers_word} anywhere)\n\n"
        ));
    } else {
        out.push_str(&format!("Peers ({peers_word}):\n\n"));
        for peer in &rule.peers {
            match peer {
                Peer::Pods { path, .. } => {
                    let workloads = engine.peer_workloads(ns, peer);
                    let list = workload_list(model, &workloads).replace("\n", "\n  ");
                    out.push_str(&format!("- pods of `{path}`:\n  {list}\n"));
                }
                Peer::IpBlock { cidr, except, .. } => {
                    let except = if except.is_empty() {
                        String::new()
                    } else {
                        format!(" except {}", except.join(", "))
                    };
                    out.push_str(&format!("- addresses `{cidr}`{except}\n"));
                }
            }
        }
        out.push('\n');
    }
    let ambient = selected
        .iter()
        .any(|&w| model.workload_dataplane(&model.workloads[w]) == Dataplane::Ambient);
    let hbone = rule.admits_port("TCP", 15008);
    out.push_str(&match (ambient, hbone) {
        (true, true) => "Under ambient: admits TCP 15008, the HBONE port mesh traffic uses, for these peers.".to_string(),
        (true, false) if dir == Direction::Ingress => "Under ambient: does **not** admit TCP 15008. Mesh clients reach these pods over HBONE on port 15008, so this rule admits none of them; only plaintext from clients outside the mesh, on the ports above.".to_string(),
        (true, false) => "Under ambient: does **not** admit TCP 15008. ztunnel carries these pods' connections to mesh destinations over HBONE to port 15008, so this rule admits none of them; only connections to destinations outside the mesh, on the ports above.".to_string(),
        (false, _) => "Under ambient: none of the pods it selects is known to be in ambient mode; the rule applies to the application's ports as written.".to_string(),
    });
    Some(out)
}

/// The keys from `node` down to the deepest node whose text holds `offset`, each with its node
/// (a list item's key is its index).
fn trail_to(
    node: crate::load::node::Node<'_>,
    offset: usize,
) -> Vec<(String, crate::load::node::Node<'_>)> {
    let mut trail = Vec::new();
    let mut at = node;
    loop {
        let next = if let Some(map) = at.as_map() {
            map.iter().find_map(|e| {
                (e.key.span().contains(offset) || e.value.span().contains(offset))
                    .then(|| (e.key.as_str().unwrap_or("").to_string(), e.value))
            })
        } else if let Some(seq) = at.as_seq() {
            seq.iter()
                .enumerate()
                .find(|(_, n)| n.span().contains(offset))
                .map(|(i, n)| (i.to_string(), n))
        } else {
            None
        };
        match next {
            Some((key, child)) => {
                trail.push((key, child));
                at = child;
            }
            None => return trail,
        }
    }
}

/// The object of a kind, namespace and name, as written in a manifest (a cluster-scoped kind's
/// namespace is not compared).
fn find_object(inputs: &Inputs, kind: &str, namespace: &str, name: &str) -> Option<usize> {
    inputs.objects.iter().position(|o| {
        o.kind == kind
            && o.name == name
            && (o.namespace.is_none() || o.namespace_or_empty() == namespace)
            && o.origin.is_none()
    })
}

/// Whether two ranges meet (an empty range at a finding's edge counts).
fn overlaps(a: Range, b: Range) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(a.start) <= key(b.end) && key(b.start) <= key(a.end)
}

/// A message to the editor; failing only when the connection is gone.
fn send(connection: &Connection, message: Message) -> Result<(), Stop> {
    connection
        .sender
        .send(message)
        .map_err(|_| Stop::Disconnected)
}

fn publish(connection: &Connection, uri: Uri, diagnostics: Vec<Diagnostic>) -> Result<(), Stop> {
    use lsp_types::notification::{Notification as _, PublishDiagnostics};
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    send(
        connection,
        Notification::new(PublishDiagnostics::METHOD.to_string(), params).into(),
    )
}

fn show_error(connection: &Connection, message: &str) -> Result<(), Stop> {
    use lsp_types::notification::{Notification as _, ShowMessage};
    let params = lsp_types::ShowMessageParams {
        typ: lsp_types::MessageType::ERROR,
        message: format!("ambient-lint: {message}"),
    };
    send(
        connection,
        Notification::new(ShowMessage::METHOD.to_string(), params).into(),
    )
}

/// `file:///a%20b/c.yaml` → `/a b/c.yaml`.
fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://host/path` names another machine; only the local form is a path here.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = path.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// `/a b/c.yaml` → `file:///a%20b/c.yaml`.
fn path_to_uri(path: &Path) -> Option<Uri> {
    let path = crate::load::normalize(path);
    let text = path.to_str()?;
    let mut out = String::from("file://");
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_uris_round_trip() {
        let path = Path::new("/work/a b/ü.yaml");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///work/a%20b/%C3%BC.yaml");
        assert_eq!(uri_to_path(&uri).unwrap(), path);
        let not_local: Uri = "https://example.com/x".parse().unwrap();
        assert_eq!(uri_to_path(&not_local), None);
    }

    #[test]
    fn columns_count_in_the_agreed_encoding() {
        let workspace = |utf8| Folder::new(PathBuf::from("/"), utf8);
        // `é` is two bytes and one UTF-16 unit, `𝄞` four bytes and two units.
        let text = "a: 1\nb: é𝄞x\n";
        let at_x = text.find('x').unwrap();
        let text = SourceFile::new("t.yaml".to_string(), text);
        assert_eq!(
            workspace(false).position(&text, at_x),
            Position {
                line: 1,
                character: 6
            }
        );
        assert_eq!(
            workspace(true).position(&text, at_x),
            Position {
                line: 1,
                character: 9
            }
        );
    }
}
