//! `ambient-lint server` driven over stdio as an editor drives it: initialize, the workspace's
//! diagnostics, an unsaved change that moves them, shutdown and exit.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{bookstore, scratch};
use serde_json::{Value, json};

struct Editor {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    messages: mpsc::Receiver<Value>,
}

impl Editor {
    fn start(dir: &Path) -> Editor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ambient-lint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if send.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Editor {
            child,
            stdin,
            messages,
        }
    }

    /// Starts the server on `dir` and shakes hands, offering `capabilities`: the editor and
    /// the server's capabilities.
    fn initialized(dir: &Path, capabilities: Value) -> (Editor, Value) {
        let mut editor = Editor::start(dir);
        editor.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "processId": null, "rootUri": uri_of(dir), "capabilities": capabilities,
            }}),
        );
        let answer = editor.expect("initialize result", |m| m["id"] == 1);
        editor.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        (editor, answer["result"]["capabilities"].clone())
    }

    /// Shuts the server down as an editor does; it must exit with status 0.
    fn shut_down(mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}));
        self.expect("shutdown answer", |m| m["id"] == 999);
        self.send(json!({"jsonrpc": "2.0", "method": "exit"}));
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message that `wanted` accepts, skipping the others; a server that goes quiet
    /// fails the test instead of hanging it.
    fn expect(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no {what} from the server"));
            if wanted(&message) {
                return message;
            }
        }
    }

    /// Asks `method` (definition, hover) at a place in `file`; the answer.
    fn ask_at(
        &mut self,
        id: usize,
        method: &str,
        file: &Path,
        line: usize,
        character: usize,
    ) -> Value {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {
                "textDocument": {"uri": uri_of(file)},
                "position": {"line": line, "character": character},
            }}),
        );
        self.expect(method, |m| m["id"] == id)
    }

    /// The diagnostics published for `uri` next.
    fn diagnostics_of(&self, uri: &str) -> Vec<Value> {
        let message = self.expect(&format!("diagnostics of {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn an_editor_gets_diagnostics_and_sees_them_move_with_unsaved_text() {
    let dir = bookstore("server_bookstore");
    let dir = dir.canonicalize().unwrap();
    // What the command line reports, to compare the editor's view with.
    let cli = common::run_in(&dir, &["check", ".", "--format", "json"]);
    let report: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let first = &report["findings"][0];
    let file = dir.join(first["file"].as_str().unwrap());
    let uri = uri_of(&file);

    let (mut editor, capabilities) = Editor::initialized(
        &dir,
        json!({
            "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
        }),
    );
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 1);
    // The editor is asked to watch the manifests and the config file, and says yes.
    let register = editor.expect("file watchers", |m| {
        m["method"] == "client/registerCapability"
    });
    let watchers = &register["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert!(
        watchers
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["globPattern"] == "**/.ambient-lint.yaml"),
        "{register}"
    );
    editor.send(json!({"jsonrpc": "2.0", "id": register["id"], "result": null}));

    // The workspace is linted at once: the file of the first finding has its diagnostics,
    // placed where the command line places them (lines and columns from 0 there).
    let diagnostics = editor.diagnostics_of(&uri);
    let same = diagnostics
        .iter()
        .find(|d| d["code"] == first["code"])
        .unwrap_or_else(|| panic!("{} not among {diagnostics:#?}", first["code"]));
    assert_eq!(
        same["range"]["start"]["line"].as_u64().unwrap() + 1,
        first["line"].as_u64().unwrap()
    );
    assert_eq!(
        same["range"]["start"]["character"].as_u64().unwrap() + 1,
        first["column"].as_u64().unwrap()
    );
    assert_eq!(same["source"], "ambient-lint");
    assert!(
        same["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with(".md"),
        "{same}"
    );

    // Unsaved text stands in for the file: emptied in the editor, its findings go, though the
    // disk still holds them.
    let text = std::fs::read_to_string(&file).unwrap();
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text},
        }}),
    );
    assert!(!editor.diagnostics_of(&uri).is_empty());
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": ""}],
        }}),
    );
    assert_eq!(editor.diagnostics_of(&uri), Vec::<Value>::new());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // Closed without saving, the disk's text counts again.
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {
            "textDocument": {"uri": uri},
        }}),
    );
    assert!(!editor.diagnostics_of(&uri).is_empty());

    // A new file the editor holds and the disk does not yet: linted as if saved, and gone with
    // its diagnostics when closed unsaved.
    let new_file = dir.join("ecom-service/k8s/new-policy.yaml");
    let new_uri = uri_of(&new_file);
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": new_uri, "languageId": "yaml", "version": 1,
                "text": "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: new, namespace: ecom}\nspec:\n  rules: [{from: [{source: {principals: [\"spiffe://cluster.local/ns/ecom/sa/ui\"]}}]}]\n"},
        }}),
    );
    let unsaved = editor.diagnostics_of(&new_uri);
    assert!(unsaved.iter().any(|d| d["code"] == "AL208"), "{unsaved:#?}");
    assert!(!new_file.exists());
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {
            "textDocument": {"uri": new_uri},
        }}),
    );
    assert_eq!(editor.diagnostics_of(&new_uri), Vec::<Value>::new());

    // The config file changed on disk: picked up at the editor's word, without a restart.
    let code = first["code"].as_str().unwrap();
    std::fs::write(
        dir.join(".ambient-lint.yaml"),
        format!("ignore: [{code}]\n"),
    )
    .unwrap();
    editor.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {
            "changes": [{"uri": uri_of(&dir.join(".ambient-lint.yaml")), "type": 1}],
        }}),
    );
    let ignored = editor.diagnostics_of(&uri);
    assert!(!ignored.iter().any(|d| d["code"] == code), "{ignored:#?}");

    // A request the server does not answer yet gets an error, not silence.
    editor.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/references", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0},
            "context": {"includeDeclaration": true},
        }}),
    );
    let refused = editor.expect("references answer", |m| m["id"] == 2);
    assert_eq!(refused["error"]["code"], -32601);

    editor.shut_down();
}

/// Replaces each edit's range (lines and UTF-16 columns; ASCII here) with its text.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + p["character"].as_u64().unwrap() as usize
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, content) in spans {
        out.replace_range(start..end, content);
    }
    out
}

#[test]
fn code_actions_offer_the_fix_and_a_suppression_and_the_fix_clears_the_finding() {
    let dir = bookstore("server_code_actions");
    let dir = dir.canonicalize().unwrap();
    let cli = common::run_in(&dir, &["check", ".", "--format", "json"]);
    let report: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let finding = common::fixable_finding(&report);
    let file = dir.join(finding["file"].as_str().unwrap());
    let uri = uri_of(&file);
    let line = finding["line"].as_u64().unwrap() - 1;
    let column = finding["column"].as_u64().unwrap() - 1;

    let (mut editor, capabilities) = Editor::initialized(&dir, json!({}));
    assert_eq!(capabilities["codeActionProvider"], true);
    let before = editor.diagnostics_of(&uri);
    let at_finding = |diagnostics: &[Value]| {
        diagnostics.iter().any(|d| {
            d["code"] == finding["code"] && d["range"]["start"]["line"].as_u64() == Some(line)
        })
    };
    assert!(at_finding(&before), "{before:#?}");

    let position = json!({"line": line, "character": column});
    editor.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri},
            "range": {"start": position, "end": position},
            "context": {"diagnostics": []},
        }}),
    );
    let answer = editor.expect("code actions", |m| m["id"] == 2);
    let actions = answer["result"].as_array().unwrap();
    let title = finding["fix"]["title"].as_str().unwrap();
    let fix = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with(title))
        .unwrap_or_else(|| panic!("no `{title}` among {actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    let code = finding["code"].as_str().unwrap();
    assert!(
        actions.iter().any(|a| a["title"]
            .as_str()
            .unwrap()
            .starts_with(&format!("suppress {code}"))),
        "{actions:#?}"
    );

    // The comment suppression, applied, suppresses the finding and only it.
    let comment = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with(&format!("suppress {code} on this line with a comment"))
        })
        .unwrap_or_else(|| panic!("no comment suppression among {actions:#?}"));
    let text = std::fs::read_to_string(&file).unwrap();
    let commented = apply(&text, comment["edit"]["changes"][&uri].as_array().unwrap());
    let comment_line = commented.lines().nth(line as usize).unwrap();
    assert!(
        comment_line
            .trim_start()
            .starts_with(&format!("# ambient-lint: ignore[{code}] TODO")),
        "{commented}"
    );
    std::fs::write(&file, &commented).unwrap();
    let cli_after = common::json(&common::run_in(&dir, &["check", ".", "--format", "json"]));
    let findings_of = |report: &Value| -> usize { report["findings"].as_array().unwrap().len() };
    assert_eq!(findings_of(&cli_after), findings_of(&report) - 1);
    std::fs::write(&file, &text).unwrap();

    // Applied as an editor applies it, the finding is gone from the next diagnostics.
    let text = std::fs::read_to_string(&file).unwrap();
    let edits = fix["edit"]["changes"][&uri].as_array().unwrap();
    let fixed = apply(&text, edits);
    assert_ne!(fixed, text);
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": fixed},
        }}),
    );
    // The lint after opening is of the fixed text (an empty list if nothing is left).
    let after = editor.diagnostics_of(&uri);
    assert!(!at_finding(&after), "{after:#?}");

    editor.shut_down();
}

#[test]
fn definition_and_hover_follow_references_across_files() {
    let dir = scratch("server_definition");
    let files = [
        (
            "accounts.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\n",
        ),
        (
            "service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    istio.io/use-waypoint: waypoint\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
        ),
        (
            "waypoint.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: waypoint\n  namespace: shop\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n",
        ),
        (
            "gateway.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: edge\n  namespace: infra\nspec:\n  gatewayClassName: istio\n  listeners:\n    - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n    - {name: https, port: 443, protocol: HTTPS, allowedRoutes: {namespaces: {from: All}}}\n",
        ),
        (
            "deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      serviceAccountName: web\n      containers: [{name: web, image: web}]\n",
        ),
        (
            "policy.yaml",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  rules:\n    - from:\n        - source:\n            principals: [\"cluster.local/ns/shop/sa/web\"]\n",
        ),
        (
            "l7-policy.yaml",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: web-l7, namespace: shop}\nspec:\n  targetRefs:\n    - {kind: Service, group: \"\", name: web}\n  rules: [{to: [{operation: {methods: [GET]}}]}]\n",
        ),
        (
            "route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\nspec:\n  parentRefs:\n    - name: edge\n      namespace: infra\n    - {name: edge, namespace: infra, sectionName: https}\n  rules:\n    - backendRefs:\n        - name: web\n          port: 80\n",
        ),
        (
            "sa-policy.yaml",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: web-sa, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  rules:\n    - from:\n        - source:\n            serviceAccounts: [\"web\", \"shop/default\"]\n",
        ),
        (
            "worker.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: shop}\nspec:\n  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n    spec:\n      containers: [{name: worker, image: worker}]\n",
        ),
        (
            "namespace.yaml",
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio.io/dataplane-mode: ambient}\n",
        ),
        (
            "netpol.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-ingress, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n    - from:\n        - podSelector: {matchLabels: {app: worker}}\n      ports: [{port: 8080}]\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let dir = dir.canonicalize().unwrap();
    let (mut editor, capabilities) = Editor::initialized(&dir, json!({}));
    assert_eq!(capabilities["definitionProvider"], true);

    // (file, line, character of the cursor) → (file, line) of the `name:` it leads to.
    let cases = [
        (("policy.yaml", 8, 30), ("accounts.yaml", 3)),
        (("route.yaml", 10, 18), ("service.yaml", 3)),
        (("route.yaml", 5, 14), ("gateway.yaml", 3)),
        // With a sectionName: the listener it names.
        (("route.yaml", 7, 14), ("gateway.yaml", 9)),
        (("service.yaml", 6, 30), ("waypoint.yaml", 3)),
        (("l7-policy.yaml", 5, 40), ("service.yaml", 3)),
        (("sa-policy.yaml", 8, 31), ("accounts.yaml", 3)),
        // No ServiceAccount `default` in the input: the workloads that run as it.
        (("sa-policy.yaml", 8, 40), ("worker.yaml", 7)),
    ];
    for (id, ((from, line, character), (to, to_line))) in cases.into_iter().enumerate() {
        let id = 10 + id;
        let answer = editor.ask_at(
            id,
            "textDocument/definition",
            &dir.join(from),
            line,
            character,
        );
        assert_eq!(
            answer["result"]["uri"],
            uri_of(&dir.join(to)),
            "{from}:{line}:{character}: {answer}"
        );
        assert_eq!(
            answer["result"]["range"]["start"]["line"], to_line,
            "{answer}"
        );
    }
    // Hover: what a selector selects, and who presents a principal.
    for (id, (line, character)) in [(4, 30), (8, 30)].into_iter().enumerate() {
        let id = 30 + id;
        let answer = editor.ask_at(
            id,
            "textDocument/hover",
            &dir.join("policy.yaml"),
            line,
            character,
        );
        let text = answer["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains("Deployment `shop/web`"), "{answer}");
    }
    // A NetworkPolicy rule: whom it admits, and that it lets no mesh traffic through.
    let hovers = [
        (
            ("netpol.yaml", 8, 30),
            vec![
                "Deployment `shop/worker`",
                "Applies to the pods it selects:\n\n- Deployment `shop/web`",
                "TCP 8080",
                "does **not** admit TCP 15008",
            ],
        ),
        (
            ("sa-policy.yaml", 8, 40),
            vec![
                "Pods that present `shop/default`",
                "Deployment `shop/worker`",
            ],
        ),
    ];
    for (id, ((file, line, character), wanted)) in hovers.into_iter().enumerate() {
        let id = 40 + id;
        let answer = editor.ask_at(id, "textDocument/hover", &dir.join(file), line, character);
        let text = answer["result"]["contents"]["value"]
            .as_str()
            .unwrap_or_default();
        for part in wanted {
            assert!(text.contains(part), "{part:?} not in {text}");
        }
    }
    // Nothing to follow: a null answer, not an error.
    let nothing = editor.ask_at(
        20,
        "textDocument/definition",
        &dir.join("policy.yaml"),
        0,
        3,
    );
    assert!(nothing["result"].is_null(), "{nothing}");

    editor.shut_down();
}

#[test]
fn each_workspace_folder_is_linted_with_its_own_config_and_folders_come_and_go() {
    let top = scratch("server_folders");
    let policy = common::principal_policy(&[
        "spiffe://cluster.local/ns/shop/sa/web",
        "cluster.local/ns/shop/sa/web",
    ]);
    // The cursor on the second principal, the one written without the scheme.
    let character = policy
        .lines()
        .nth(4)
        .unwrap()
        .rfind("cluster.local")
        .unwrap()
        + 3;
    let account = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n";
    for name in ["a", "b"] {
        common::write(&top, &format!("{name}/policy.yaml"), &policy);
        common::write(&top, &format!("{name}/account.yaml"), account);
    }
    // Folder b's own config turns AL208 off there, and only there.
    common::write(&top, "b/.ambient-lint.yaml", "ignore: [AL208]\n");
    let top = top.canonicalize().unwrap();
    let (a, b) = (top.join("a"), top.join("b"));

    let mut editor = Editor::start(&top);
    editor.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null, "capabilities": {},
            "workspaceFolders": [
                {"uri": uri_of(&a), "name": "a"}, {"uri": uri_of(&b), "name": "b"},
            ],
        }}),
    );
    let answer = editor.expect("initialize result", |m| m["id"] == 1);
    assert_eq!(
        answer["result"]["capabilities"]["workspace"]["workspaceFolders"]["changeNotifications"],
        true
    );
    editor.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let in_a = editor.diagnostics_of(&uri_of(&a.join("policy.yaml")));
    assert!(in_a.iter().any(|d| d["code"] == "AL208"), "{in_a:#?}");

    // A definition in the second folder leads to its own account, not the first folder's.
    let answer = editor.ask_at(
        2,
        "textDocument/definition",
        &b.join("policy.yaml"),
        4,
        character,
    );
    assert_eq!(
        answer["result"]["uri"],
        uri_of(&b.join("account.yaml")),
        "{answer}"
    );

    editor.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWorkspaceFolders", "params": {
            "event": {"added": [], "removed": [{"uri": uri_of(&a), "name": "a"}]},
        }}),
    );
    // Folder a leaves the workspace: its diagnostics are cleared, after b's publications of
    // this lint, none of which holds AL208, as b's config says.
    let seen = std::cell::RefCell::new(Vec::new());
    let a_policy = uri_of(&a.join("policy.yaml"));
    let cleared = editor.expect("a's diagnostics cleared", |m| {
        seen.borrow_mut().push(m.clone());
        m["params"]["uri"] == a_policy
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
    let b_policy = uri_of(&b.join("policy.yaml"));
    for m in seen.borrow().iter() {
        let al208 = m["params"]["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "AL208"));
        assert!(!(m["params"]["uri"] == b_policy && al208), "{m}");
    }
    // Back in the workspace, a is linted again.
    editor.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWorkspaceFolders", "params": {
            "event": {"added": [{"uri": uri_of(&a), "name": "a"}], "removed": []},
        }}),
    );
    let again = editor.diagnostics_of(&uri_of(&a.join("policy.yaml")));
    assert!(again.iter().any(|d| d["code"] == "AL208"), "{again:#?}");
    editor.shut_down();
}

#[test]
fn a_burst_of_changes_is_linted_once_and_requests_see_the_newest_text() {
    let dir = bookstore("server_burst").canonicalize().unwrap();
    let report = common::json(&common::run_in(&dir, &["check", ".", "--format", "json"]));
    let finding = common::fixable_finding(&report);
    let file = dir.join(finding["file"].as_str().unwrap());
    let uri = uri_of(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    let (mut editor, _) = Editor::initialized(&dir, json!({}));
    editor.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text},
        }}),
    );
    // Twenty keystrokes, the last of which empties the file, then at once a question about
    // the finding's place.
    const CHANGES: usize = 20;
    for version in 2..=CHANGES + 1 {
        let now = if version == CHANGES + 1 {
            ""
        } else {
            text.as_str()
        };
        editor.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": now}],
            }}),
        );
    }
    let at = json!({"line": finding["line"].as_u64().unwrap() - 1, "character": finding["column"].as_u64().unwrap() - 1});
    editor.send(
        json!({"jsonrpc": "2.0", "id": 7, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri}, "range": {"start": at, "end": at},
            "context": {"diagnostics": []},
        }}),
    );
    let published = std::cell::Cell::new(0);
    let answer = editor.expect("code actions", |m| {
        if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
            published.set(published.get() + 1);
        }
        m["id"] == 7
    });
    // The file is empty in the editor: nothing to fix there.
    assert_eq!(answer["result"], json!([]), "{answer}");
    // Far fewer lints than changes (each lint publishes the file once).
    assert!(
        published.get() < CHANGES,
        "{} publications",
        published.get()
    );
    editor.shut_down();
}

#[test]
fn findings_in_a_base_outside_the_folder_are_published_and_answered() {
    let top = scratch("server_outside");
    common::write(
        &top,
        "base/policy.yaml",
        &common::principal_policy(&["spiffe://cluster.local/ns/shop/sa/web"]),
    );
    common::write(
        &top,
        "base/kustomization.yaml",
        "resources: [policy.yaml]\n",
    );
    common::write(&top, "overlay/kustomization.yaml", "resources: [../base]\n");
    let top = top.canonicalize().unwrap();
    // The editor opened the overlay; the policy lives in a base beside it.
    let (mut editor, _) = Editor::initialized(&top.join("overlay"), json!({}));
    let uri = uri_of(&top.join("base/policy.yaml"));
    let diagnostics = editor.diagnostics_of(&uri);
    assert!(
        diagnostics.iter().any(|d| d["code"] == "AL208"),
        "{diagnostics:#?}"
    );
    // And a code action there is answered by the folder whose lint read the file.
    let at = &diagnostics[0]["range"]["start"];
    editor.send(
        json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/codeAction", "params": {
            "textDocument": {"uri": uri}, "range": {"start": at, "end": at},
            "context": {"diagnostics": []},
        }}),
    );
    let answer = editor.expect("code actions", |m| m["id"] == 5);
    assert!(!answer["result"].as_array().unwrap().is_empty(), "{answer}");
    editor.shut_down();
}
