//! `ambient-lint server` driven over stdio as an editor drives it: initialize, the workspace's
//! diagnostics, an unsaved change that moves them, shutdown and exit.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{copy_tree, scratch};
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
    let dir = scratch("server_bookstore");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookstore"),
        &dir,
    );
    let dir = dir.canonicalize().unwrap();
    // What the command line reports, to compare the editor's view with.
    let cli = common::run_in(&dir, &["check", ".", "--format", "json"]);
    let report: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let first = &report["findings"][0];
    let file = dir.join(first["file"].as_str().unwrap());
    let uri = uri_of(&file);

    let mut editor = Editor::start(&dir);
    editor.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": null,
            "rootUri": uri_of(&dir),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        }}),
    );
    let initialized = editor.expect("initialize result", |m| m["id"] == 1);
    let capabilities = &initialized["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 1);
    editor.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

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

    // A request the server does not answer yet gets an error, not silence.
    editor.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0},
        }}),
    );
    let refused = editor.expect("hover answer", |m| m["id"] == 2);
    assert_eq!(refused["error"]["code"], -32601);

    editor.send(json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}));
    editor.expect("shutdown answer", |m| m["id"] == 3);
    editor.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = editor.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
