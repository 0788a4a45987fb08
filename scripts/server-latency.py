#!/usr/bin/env python3
"""Times `ambient-lint server` as an editor sees it: after initialize, a NetworkPolicy file of
the tree is opened and changed five times (a port that gives a finding, then the text as it
was), and each change is timed until the server publishes that file's diagnostics.

    cargo build --release
    python3 scripts/server-latency.py target/bench-trees/tree-1000 target/release/ambient-lint

The first change waits behind the lint that initialize and didOpen start; the others show the
latency of one change. docs/performance.md records the numbers (issue 12: under 100 ms on 1k
resources, under 500 ms on 10k)."""

import glob
import json
import os
import subprocess
import sys
import time


def main():
    root = os.path.abspath(sys.argv[1])
    exe = os.path.abspath(sys.argv[2])
    server = subprocess.Popen(
        [exe, "server"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )

    def send(message):
        body = json.dumps(message).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    def receive():
        length = 0
        while True:
            line = server.stdout.readline()
            if not line:
                raise SystemExit("the server closed its output")
            line = line.strip()
            if not line:
                break
            if line.startswith(b"Content-Length:"):
                length = int(line.split(b":")[1])
        return json.loads(server.stdout.read(length))

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
          "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {}}})
    while receive().get("id") != 1:
        pass
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    path = sorted(glob.glob(root + "/**/policies.yaml", recursive=True))[0]
    uri = "file://" + path
    text = open(path).read()
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                      "text": text}}})
    times = []
    for i in range(5):
        changed = text.replace("15008", "15009", 1) if i % 2 == 0 else text
        start = time.time()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange",
              "params": {"textDocument": {"uri": uri, "version": i + 2},
                         "contentChanges": [{"text": changed}]}})
        while True:
            m = receive()
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri:
                break
        times.append(time.time() - start)
    print(root, "change to diagnostics:", ", ".join("%.0f ms" % (t * 1000) for t in times))
    send({"jsonrpc": "2.0", "id": 9, "method": "shutdown"})
    while receive().get("id") != 9:
        pass
    send({"jsonrpc": "2.0", "method": "exit"})
    server.wait()


if __name__ == "__main__":
    main()
