#!/usr/bin/env python3
# Agreement of ambient-lint's Gateway API route rules (AL404-AL409) with the route status that
# istiod's own Gateway API controller writes on its test inputs.
#
# Research notes (istio/istio, pilot/pkg/config/kube/gateway/, read at commit 86c9f01f):
#
# Where things are
#   Inputs:   testdata/<name>.yaml, one world per file (Gateways, routes, ReferenceGrants,
#             ListenerSets, ServiceEntries, ...; no Namespace objects, hardly any Services).
#   Expected: testdata/<name>.status.yaml.golden: one document per object whose status istiod
#             writes (GatewayClass, Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, ListenerSet,
#             XBackend, ...), spec null, `status.parents[].{parentRef, conditions}` for routes.
#             testdata/<name>.yaml.golden is the generated Istio config, not used here.
#   Table:    conversion_test.go `TestConvertResources` lists the cases ({name: "http"}, ...);
#             each reads testdata/<name>.yaml and compares with both goldens. Some cases carry a
#             validationIgnorer (inputs that fail CRD validation on purpose, e.g. a backendRef of
#             kind GcsBucket). testdata/benchmark-httproute.yaml has no golden (benchmark only).
# The world the test builds around an input (readConfig and the test body)
#   - every input object, plus a corev1.Service for each entry of the Go `services` list whose
#     hostname ends in `domain.suffix` (name = Attributes.Name or the hostname's first label,
#     namespace = Attributes.Namespace, ports = `svcPorts`: http/80, tcp/34000, tcp-other/34001);
#     the same list is also the service registry (including non-Kubernetes hosts such as
#     example.com and the InferencePool shadow services, whose names are computed in Go);
#   - Secrets and ConfigMaps (`objects`: certificates), irrelevant to the route rules;
#   - a Namespace for every namespace an input object is in, labelled only
#     `istio.io/test-name-part: <namespace up to its first '-'>` (route-binding.yaml selects on it);
#   - DomainSuffix "domain.suffix", EnableAlphaGatewayAPI (ListenerSet, XBackend, TCPRoute,
#     TLSRoute), ambient waypoints and multi-network on, GatewayClass controller off.
#   So an input alone is not the world istiod judged: by default (--world test) this script
#   rebuilds the Namespaces and Services above into a file given to ambient-lint with --context;
#   --world bare lints the input alone, which mostly adds AL406/AL404 claims on httpbin & co.
# Route status semantics (what the goldens show)
#   - Accepted=False reasons are about one parent: NoMatchingParent (no such parent, sectionName
#     or port), NotAllowedByListeners (namespace or kind not allowed), NoMatchingListenerHostname.
#   - ResolvedRefs=False reasons are about the backends and repeated under every parent:
#     BackendNotFound, RefNotPermitted, InvalidKind, UnsupportedValue, ... Only ONE reason per
#     condition is written, so a route with two broken backends shows only one of the problems.
#   - Routes whose parents istiod does not manage get no status at all; a parent entry of another
#     controller (controllerName example.com/...) is kept as the input wrote it (status.yaml), and
#     a parentRef to a Gateway that does not exist gets no entry from istiod.
#   - A Service backendRef's port is never checked (only an XBackend's), and ReferenceGrants are
#     not enforced on mesh routes (route_collections.go: convertHTTPRoute(..., !mesh)).
#
# Matching
#   istiod side: per route (kind, namespace, name), the reasons of its False conditions, across
#   parents, on every route kind (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute, UDPRoute) and every
#   parent kind (Gateway, Service, ServiceEntry, ListenerSet, ...): all are compared, whether or not
#   the binary under test reads them yet (one that does not shows them as misses, whose likely
#   cause then says "no finding on any <kind>"). ambient-lint side: per route, the codes of its
#   AL404-AL409 findings (`resource` of the JSON report; `file`/`line` when it is missing).
#   A stated (route, reason) is agreed when a finding of the mapped code is on that route:
#     NoMatchingParent -> AL404, NotAllowedByListeners and NoMatchingListenerHostname -> AL405,
#     BackendNotFound -> AL406, RefNotPermitted -> AL407, InvalidKind -> AL409 (a backendRef kind
#     istiod does not support); other reasons have no rule.
#   A (route, code) of ours is extra when istiod states none of the code's reasons on that route;
#   extras are counted on the code's first reason (AL405: NotAllowedByListeners).
#   AL408 (a Service backendRef port the Service does not expose) has no status reason: istiod
#   never checks a Service backendRef's port. Its findings are counted and listed apart ("other
#   findings"), never as extras. (Binaries from before AL408 report that port as AL406; those
#   show as AL406 extras with the cause "Service port check".)
#   Only parent entries written by istio.io/ controllers count. Each miss and extra gets a likely
#   cause guessed from the input and the status (a backendRef kind we do not read, a parent istiod
#   writes nothing for, another reason in the same condition, ...) to group them by.
#
# This script never copies istio's files; extract them outside this repository, e.g.
#   git --git-dir=/work/.mirror/istio+istio/repo archive HEAD \
#       pilot/pkg/config/kube/gateway/testdata pilot/pkg/config/kube/gateway/conversion_test.go \
#     | tar -x -C /work/corpus/istio-gateway-testdata
#
# Usage:
#   python3 scripts/gateway-status-agreement.py --istio-dir DIR \
#       [--ambient-lint target/release/ambient-lint] [--world test|bare] [--only NAME ...] [--verbose]
#   python3 scripts/gateway-status-agreement.py --istio-dir DIR --list
#   python3 scripts/gateway-status-agreement.py --istio-dir DIR --emit-world NAME
# Needs PyYAML (`pip install pyyaml`) to read the inputs and goldens.
"""Compare ambient-lint's AL404-AL409 with the route status istiod writes on its Gateway API tests.

Prints a Markdown table per status reason: how many (route, reason) istiod states, how many
ambient-lint reports, how many agree, how many istiod states that ambient-lint misses, and how
many ambient-lint claims istiod does not make; then what was not compared and the inputs
ambient-lint failed on. --verbose lists every miss and every extra with its file and route.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - a developer tool: say what to do
    sys.exit("gateway-status-agreement.py needs PyYAML: pip install pyyaml")

RUN_TIMEOUT_SECONDS = 300
GATEWAY_DIR = Path("pilot/pkg/config/kube/gateway")
GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute")
CODES = ("AL404", "AL405", "AL406", "AL407", "AL408", "AL409")
OTHER_CODES = ("AL408",)  # findings that are no status claim: counted apart
# istiod reason -> the ambient-lint code that claims it.
REASON_CODE = {
    "NoMatchingParent": "AL404",
    "NotAllowedByListeners": "AL405",
    "NoMatchingListenerHostname": "AL405",
    "BackendNotFound": "AL406",
    "RefNotPermitted": "AL407",
    "InvalidKind": "AL409",
}
CODE_REASONS = {c: [r for r, rc in REASON_CODE.items() if rc == c] for c in CODES if c not in OTHER_CODES}
SVC_PORT_PROTOCOLS = ("TCP", "UDP", "SCTP")
# istio.io/gateway-controller, istio.io/mesh-controller; other entries are kept from the input.
ISTIO_CONTROLLERS = "istio.io/"


class ParseError(Exception):
    """A file that does not have the expected shape."""


# ---------------------------------------------------------------------------------------------
# The istio side: cases, the test's world, golden statuses
# ---------------------------------------------------------------------------------------------


def locate(root: Path) -> tuple[Path, Path]:
    """testdata/ and conversion_test.go under an extracted istio tree (or its gateway folder)."""
    for base in (root / GATEWAY_DIR, root):
        if (base / "testdata").is_dir() and (base / "conversion_test.go").is_file():
            return base / "testdata", base / "conversion_test.go"
    raise ParseError(f"{root} holds no {GATEWAY_DIR}/testdata and conversion_test.go")


def go_block(src: str, start: int) -> str:
    """The text of the brace block opening at or after `start` (Go source, strings ignored)."""
    i = src.index("{", start)
    depth, j, in_str = 0, i, None
    while j < len(src):
        ch = src[j]
        if in_str:
            if ch == "\\" and in_str == '"':
                j += 1
            elif ch == in_str:
                in_str = None
        elif ch in "\"`":
            in_str = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return src[i + 1 : j]
        j += 1
    raise ParseError("unbalanced braces in conversion_test.go")


def top_level_items(block: str) -> list[str]:
    """The `{...}` elements of a Go composite literal's body."""
    items, pos = [], 0
    while True:
        k = block.find("{", pos)
        if k < 0:
            return items
        body = go_block(block, k)
        items.append(body)
        pos = k + len(body) + 2


def strip_nested(block: str) -> str:
    """A block's own fields: nested `{...}` bodies removed."""
    out, depth = [], 0
    for ch in block:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def go_field(block: str, name: str) -> str | None:
    m = re.search(rf'(?m)^\s*{name}:\s*"([^"]*)"', strip_nested(block))
    return m.group(1) if m else None


def read_cases(test_go: str, testdata: Path) -> list[str]:
    """TestConvertResources' case names, in its order."""
    start = test_go.find("func TestConvertResources(")
    if start < 0:
        raise ParseError("conversion_test.go has no TestConvertResources")
    end = test_go.find("for _, tt := range cases", start)
    names = re.findall(r'name:\s*"([^"]+)"', test_go[start:end])
    if not names:
        raise ParseError("TestConvertResources lists no cases")
    for n in names:
        if not (testdata / f"{n}.yaml").is_file() or not (testdata / f"{n}.status.yaml.golden").is_file():
            raise ParseError(f"case {n} has no testdata/{n}.yaml or {n}.status.yaml.golden")
    return names


@dataclass
class TestFixture:
    services: list[tuple[str, str]]  # (namespace, name) of the corev1.Services readConfig adds
    ports: list[dict]
    skipped: list[str]  # hostnames computed in Go (InferencePool shadow services)


def read_fixture(test_go: str) -> TestFixture:
    """The Services readConfig adds to every input, from the Go `services` and `svcPorts` lists."""
    m = re.search(r"(?m)^var services = \[\]\*model\.Service", test_go)
    p = re.search(r"(?m)^var svcPorts = \[\]corev1\.ServicePort", test_go)
    if not m or not p:
        raise ParseError("conversion_test.go has no `var services` or `var svcPorts`")
    services, skipped = [], []
    for item in top_level_items(go_block(test_go, m.end())):
        host = go_field(item, "Hostname")
        a = re.search(r"Attributes:\s*model\.ServiceAttributes", item)
        attrs = go_block(item, a.end()) if a else ""
        ns, name = go_field(attrs, "Namespace"), go_field(attrs, "Name")
        if host is None:
            skipped.append(re.search(r"Hostname:\s*([^\n]*)", item).group(1).rstrip(","))
            continue
        if not host.endswith("domain.suffix"):
            continue  # registry only (example.com, google.com, ...): no Service object
        services.append((ns or "", name or host.split(".")[0]))
    ports = []
    for item in top_level_items(go_block(test_go, p.end())):
        port = re.search(r"Port:\s*(\d+)", item)
        proto = go_field(item, "Protocol") or "TCP"
        ports.append({
            "name": go_field(item, "Name"),
            "port": int(port.group(1)),
            # The test writes `Protocol: "HTTP"` into a corev1.ServicePort; Kubernetes knows TCP.
            "protocol": proto if proto in SVC_PORT_PROTOCOLS else "TCP",
        })
    return TestFixture(services, ports, skipped)


def load_docs(path: Path) -> list[tuple[dict, int, int]]:
    """(object, first line, last line) of each mapping document, lines 1-based."""
    text = path.read_text()
    out = []
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is None or not isinstance(node, yaml.MappingNode):
            continue
        out.append((node.start_mark.line + 1, node.end_mark.line + 1))
    objs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    if len(objs) != len(out):
        raise ParseError(f"{path}: documents and their lines disagree")
    return [(o, a, b) for o, (a, b) in zip(objs, out)]


def meta_of(obj: dict) -> tuple[str, str, str]:
    md = obj.get("metadata") or {}
    return obj.get("kind", ""), md.get("namespace") or "", md.get("name") or ""


def world_objects(inputs: list[dict], fixture: TestFixture) -> list[dict]:
    """The Namespaces and Services the test adds around an input (not those it defines itself)."""
    have = {meta_of(o) for o in inputs}
    namespaces = sorted({meta_of(o)[1] for o in inputs} - {""})
    out: list[dict] = []
    for ns in namespaces:
        if ("Namespace", "", ns) not in have:
            out.append({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": {"istio.io/test-name-part": ns.split("-")[0]}}})
    for ns, name in fixture.services:
        if ("Service", ns, name) not in have:
            out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                        "spec": {"ports": [dict(p) for p in fixture.ports]}})
    return out


def norm_parent(ref: dict, route_ns: str) -> tuple:
    group = ref.get("group", GATEWAY_GROUP)
    kind = ref.get("kind", "Gateway")
    return (group or "core", kind, ref.get("namespace") or route_ns, ref.get("name", ""),
            ref.get("sectionName"), ref.get("port"))


def parent_read(ref: dict) -> bool:
    """Parents ambient-lint judges: Gateways and (mesh routes) core Services."""
    group, kind = ref.get("group", GATEWAY_GROUP), ref.get("kind", "Gateway")
    return (group == GATEWAY_GROUP and kind == "Gateway") or (group in ("", "core") and kind == "Service")


def show_parent(ref: dict) -> str:
    kind = ref.get("kind", "Gateway")
    ns = ref.get("namespace")
    s = f"{kind} {ns + '/' if ns else ''}{ref.get('name', '')}"
    if ref.get("sectionName"):
        s += f"#{ref['sectionName']}"
    if ref.get("port"):
        s += f":{ref['port']}"
    return s


@dataclass
class Statement:
    case: str
    route: tuple[str, str, str]  # kind, namespace, name
    parent: dict
    ctype: str
    reason: str
    message: str


def read_status(case: str, golden: Path) -> tuple[list[Statement], dict, dict]:
    """False conditions of route parents; per route with a status, the parents it has a status
    for (normalised); the routes' True condition messages."""
    out, with_status, true_msgs = [], {}, collections.defaultdict(list)
    for d in yaml.safe_load_all(golden.read_text()):
        if not isinstance(d, dict) or d.get("kind") not in ROUTE_KINDS:
            continue
        route = meta_of(d)
        with_status[route] = set()
        for p in (d.get("status") or {}).get("parents") or []:
            if not str(p.get("controllerName", "")).startswith(ISTIO_CONTROLLERS):
                continue  # another controller's entry, kept as the input had it
            ref = p.get("parentRef") or {}
            with_status[route].add(norm_parent(ref, route[1]))
            for c in p.get("conditions") or []:
                if c.get("status") == "True":
                    true_msgs[route].append(f"{c.get('type')}: {c.get('message')}")
                    continue
                if c.get("status") != "False":
                    continue
                out.append(Statement(case, route, ref, c.get("type", ""), c.get("reason", ""),
                                     c.get("message", "")))
    return out, with_status, true_msgs


# ---------------------------------------------------------------------------------------------
# The ambient-lint side
# ---------------------------------------------------------------------------------------------


@dataclass
class Claim:
    case: str
    route: tuple[str, str, str]
    code: str
    path: str
    line: int
    message: str
    parent_index: int | None


@dataclass
class LintRun:
    claims: list[Claim] = field(default_factory=list)
    others: list[Claim] = field(default_factory=list)  # AL408: no status claim
    failed: str | None = None
    unplaced: int = 0  # AL404-AL409 findings that name no route


def run_lint(binary: str, case: str, input_path: Path, context: Path | None,
             docs: list[tuple[dict, int, int]]) -> LintRun:
    cmd = [binary, "--assume-complete", "--no-config", "--format", "json", str(input_path)]
    if context is not None:
        cmd += ["--context", str(context)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return LintRun(failed=f"timed out after {RUN_TIMEOUT_SECONDS}s")
    if p.returncode not in (0, 1):
        tail = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
        return LintRun(failed=f"exit {p.returncode}: {tail[:200]}")
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        return LintRun(failed=f"unreadable JSON report: {e}")
    run = LintRun()
    for f in report.get("findings", []):
        if f.get("code") not in CODES or f.get("suppressed"):
            continue
        r = f.get("resource") or {}
        route = (r.get("kind", ""), r.get("namespace") or "", r.get("name", ""))
        if not r:  # fall back on the location: the document holding that line
            line = f.get("line") or 0
            hit = [meta_of(o) for o, a, b in docs if a <= line <= b]
            if not hit or Path(f.get("file", "")).name != input_path.name:
                run.unplaced += 1
                continue
            route = hit[0]
        if route[0] not in ROUTE_KINDS:
            run.unplaced += 1
            continue
        m = re.match(r"spec\.parentRefs\[(\d+)\]", f.get("path") or "")
        (run.others if f["code"] in OTHER_CODES else run.claims).append(Claim(case, route, f["code"], f.get("path") or "", f.get("line") or 0,
                                f.get("message", ""), int(m.group(1)) if m else None))
    return run


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------


def backend_refs(route_obj: dict) -> list[tuple[str, dict]]:
    """(where, ref) of a route's backendRefs: `rule` or `mirror` (a RequestMirror filter's)."""
    out = []
    for rule in (route_obj.get("spec") or {}).get("rules") or []:
        for b in rule.get("backendRefs") or []:
            out.append(("rule", b))
            for f in b.get("filters") or []:
                if (f.get("requestMirror") or {}).get("backendRef"):
                    out.append(("mirror", f["requestMirror"]["backendRef"]))
        for f in rule.get("filters") or []:
            if (f.get("requestMirror") or {}).get("backendRef"):
                out.append(("mirror", f["requestMirror"]["backendRef"]))
    return out


def is_service_ref(ref: dict) -> bool:
    return ref.get("group", "") in ("", "core") and ref.get("kind", "Service") == "Service"


def miss_cause(s: Statement, route_obj: dict | None, mine: list[Claim], seen_kinds: set[str],
               seen_codes: set[str]) -> str:
    """Why ambient-lint may say nothing, from the input's shape and the whole run (a guess to group by)."""
    code = REASON_CODE.get(s.reason)
    if code is None:
        return f"no rule for {s.reason}"
    if s.route[0] not in seen_kinds:
        return f"{s.route[0]}: no finding on any {s.route[0]} in the run (route kind not read yet?)"
    if code not in seen_codes:
        return f"{code}: no finding of this code in the whole run (rule not in this binary?)"
    if s.ctype == "Accepted" and not parent_read(s.parent):
        return f"{s.parent.get('kind', 'Gateway')} parent"
    if s.ctype == "ResolvedRefs" and s.reason != "InvalidKind" and route_obj is not None:
        refs = backend_refs(route_obj)
        kinds = sorted({r.get("kind", "Service") for _, r in refs if not is_service_ref(r)})
        if kinds:
            return f"backendRef of kind {', '.join(kinds)} (not read)"
        if any(w == "mirror" for w, _ in refs):
            return "backendRef in a RequestMirror filter (not read)"
    if mine:
        return f"we report {', '.join(sorted({c.code for c in mine}))} instead"
    return f"{code} silent"


def extra_cause(c: Claim, route_obj: dict | None, with_status: dict, stated: list[Statement]) -> str:
    """Why istiod may state nothing, from the status and the input (a guess to group by)."""
    if c.route not in with_status:
        return "istiod writes no status for this route"
    refs = ((route_obj or {}).get("spec") or {}).get("parentRefs") or []
    if c.parent_index is not None and c.parent_index < len(refs):
        if norm_parent(refs[c.parent_index], c.route[1]) not in with_status[c.route]:
            return "istiod writes no status for this parent (a Gateway it does not know)"
    ctype = "Accepted" if c.code in ("AL404", "AL405") else "ResolvedRefs"
    same = sorted({s.reason for s in stated if s.ctype == ctype})
    if same:
        return f"istiod states {', '.join(same)} instead ({ctype}=False carries one reason)"
    if c.code == "AL406" and c.path.endswith(".port"):
        return "Service port check: istiod does not check a Service backendRef's port"
    if c.code == "AL407" and refs and all(not parent_read(r) or r.get("kind") == "Service" for r in refs):
        return "mesh route (Service parents): istiod does not enforce ReferenceGrants on mesh routes"
    if stated:
        return f"istiod states only {', '.join(sorted({s.reason for s in stated}))}"
    return "istiod: every condition True"


@dataclass
class Tally:
    stated: int = 0
    agreed: int = 0
    missed: int = 0
    reported: int = 0
    extra: int = 0


def short(s: str, n: int = 150) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def rname(route: tuple[str, str, str]) -> str:
    return f"{route[0]} {route[1]}/{route[2]}"


def cmd_compare(testdata: Path, test_go: str, binary: str, world: str, only: list[str] | None,
                verbose: bool) -> int:
    cases = read_cases(test_go, testdata)
    if only:
        unknown = [n for n in only if n not in cases]
        if unknown:
            print(f"not a TestConvertResources case: {', '.join(unknown)}", file=sys.stderr)
            return 2
        cases = [n for n in cases if n in only]
    fixture = read_fixture(test_go)
    rows: dict[str, Tally] = collections.defaultdict(Tally)
    misses: list[tuple[Statement, list[Claim], str]] = []
    pending: list[tuple[Statement, list[Claim], dict | None]] = []  # misses, cause guessed after the run
    others: list[Claim] = []  # AL408 findings
    seen_kinds: set[str] = set()
    seen_codes: set[str] = set()
    extras: list[tuple[Claim, str, str]] = []
    cross: list[tuple[Statement, Claim]] = []  # agreed on the route, on another parentRef
    failed: list[tuple[str, str]] = []
    routes_read = unplaced = routes_all = 0
    with tempfile.TemporaryDirectory(prefix="gwstatus-") as tmp:
        for case in cases:
            input_path = testdata / f"{case}.yaml"
            docs = load_docs(input_path)
            inputs = [o for o, _, _ in docs]
            routes_read += sum(1 for o in inputs if o.get("kind") in ("HTTPRoute", "GRPCRoute"))
            routes_all += sum(1 for o in inputs if o.get("kind") in ROUTE_KINDS)
            context = None
            if world == "test":
                context = Path(tmp) / f"{case}.world.yaml"
                context.write_text(yaml.safe_dump_all(world_objects(inputs, fixture), sort_keys=False))
            statements, with_status, true_msgs = read_status(case, testdata / f"{case}.status.yaml.golden")
            run = run_lint(binary, case, input_path, context, docs)
            if run.failed:
                failed.append((case, run.failed))
                continue
            unplaced += run.unplaced
            others += run.others
            seen_kinds |= {c.route[0] for c in run.claims + run.others}
            seen_codes |= {c.code for c in run.claims + run.others}
            objs = {meta_of(o): o for o in inputs}
            specs = {k: ((o.get("spec") or {}).get("parentRefs") or []) for k, o in objs.items()}
            ours: dict[tuple, list[Claim]] = collections.defaultdict(list)
            for c in run.claims:
                ours[(c.route, c.code)].append(c)
            # istiod's statements, one per (route, reason)
            by_route: dict[tuple, list[Statement]] = collections.defaultdict(list)
            for s in statements:
                by_route[s.route].append(s)
            stated_keys: dict[tuple, list[Statement]] = collections.defaultdict(list)
            for route, ss in by_route.items():
                for s in ss:
                    stated_keys[(route, s.reason)].append(s)
            for (route, reason), ss in stated_keys.items():
                t = rows[reason]
                t.stated += 1
                code = REASON_CODE.get(reason)
                if code and ours.get((route, code)):
                    t.agreed += 1
                    if ss[0].ctype == "Accepted":
                        idx = {norm_parent(s.parent, route[1]) for s in ss}
                        refs = specs.get(route, [])
                        claimed = {norm_parent(refs[c.parent_index], route[1]) for c in ours[(route, code)]
                                   if c.parent_index is not None and c.parent_index < len(refs)}
                        if claimed and not (idx & claimed):
                            cross.append((ss[0], ours[(route, code)][0]))
                else:
                    t.missed += 1
                    mine = [c for (r, _), cs in ours.items() if r == route for c in cs]
                    pending.append((ss[0], mine, objs.get(route)))
            for (route, code), cs in ours.items():
                reasons = {r for (rt, r) in stated_keys if rt == route}
                hit = [r for r in CODE_REASONS[code] if r in reasons]
                t = rows[hit[0] if hit else CODE_REASONS[code][0]]
                t.reported += 1
                if hit:
                    continue
                t.extra += 1
                cause = extra_cause(cs[0], objs.get(route), with_status,
                                    [s for s in statements if s.route == route])
                said = ("; ".join(sorted(set(true_msgs[route]))[:2]) if not reasons
                        else ", ".join(sorted(reasons)))
                extras.append((cs[0], cause, said))

    misses = [(s, mine, miss_cause(s, obj, mine, seen_kinds, seen_codes)) for s, mine, obj in pending]
    print(f"## ambient-lint AL404-AL409 against istiod's route status ({len(cases)} TestConvertResources cases, "
          f"world: {'input + the test’s Namespaces and Services' if world == 'test' else 'input alone'})\n")
    print("| istiod reason | rule | istiod states | we report | agreed | missed | extra |")
    print("|---|---|---:|---:|---:|---:|---:|")
    order = list(REASON_CODE) + sorted(r for r in rows if r not in REASON_CODE)
    tot, tot_all = Tally(), Tally()
    for reason in order:
        t = rows.get(reason, Tally())
        code = REASON_CODE.get(reason)
        if code:
            for k in vars(tot):
                setattr(tot, k, getattr(tot, k) + getattr(t, k))
        tot_all.stated += t.stated
        rep = str(t.reported) if code else "—"
        print(f"| {reason} | {code or 'none'} | {t.stated} | {rep} | {t.agreed} | {t.missed} | "
              f"{t.extra if code else '—'} |")
    print(f"| **total (reasons with a rule)** | | **{tot.stated}** | **{tot.reported}** | **{tot.agreed}** | "
          f"**{tot.missed}** | **{tot.extra}** |")
    print(f"| total (every reason) | | {tot_all.stated} | | | {tot.missed + tot_all.stated - tot.stated} | |")
    print("\nCounted per (input, route, reason) for istiod and per (input, route, code) for ambient-lint; "
          "AL405 agrees with NotAllowedByListeners and NoMatchingListenerHostname.")
    print(f"HTTPRoutes and GRPCRoutes read: {routes_read} (routes of every kind: {routes_all}). "
          f"AL404-AL409 findings on no route: {unplaced}.")
    print(f"Other findings (AL408, a Service port the Service does not expose; no status reason): {len(others)}.")
    if cross:
        print(f"Agreed on the route but on another parentRef: {len(cross)}.")
    for title, items in (("Missed, by likely cause", [m[2] for m in misses]),
                         ("Extra, by likely cause", [f"{e[0].code}: {e[1]}" for e in extras])):
        if items:
            print(f"\n{title}:\n")
            print("| cause | count |")
            print("|---|---:|")
            for cause, n in sorted(collections.Counter(items).items(), key=lambda x: (-x[1], x[0])):
                print(f"| {cause} | {n} |")
    if others:
        print("\nAL408 findings (counted apart, not as extras):\n")
        for c in sorted(others, key=lambda c: (c.case, c.route)):
            print(f"- {c.case}.yaml:{c.line} {rname(c.route)} at {c.path}: \"{short(c.message)}\"")
    if failed:
        print("\nInputs ambient-lint failed on:\n")
        for case, why in failed:
            print(f"- {case}.yaml: {why}")
    if verbose:
        print("\n### Missed (istiod states it, ambient-lint does not)\n")
        for s, mine, cause in sorted(misses, key=lambda x: (x[0].reason, x[0].case, x[0].route)):
            we = ", ".join(sorted({c.code for c in mine})) or "nothing"
            print(f"- {s.case}.yaml {rname(s.route)} [{show_parent(s.parent)}] {s.ctype}=False {s.reason}: "
                  f"\"{short(s.message)}\"; we report {we} ({cause})")
        print("\n### Extra (ambient-lint claims it, istiod does not)\n")
        for c, cause, said in sorted(extras, key=lambda x: (x[0].code, x[0].case, x[0].route)):
            print(f"- {c.case}.yaml:{c.line} {rname(c.route)} {c.code} at {c.path}: \"{short(c.message)}\"; "
                  f"{cause} (istiod: {short(said, 90)})")
        if cross:
            print("\n### Agreed on the route, on another parentRef\n")
            for s, c in cross:
                print(f"- {s.case}.yaml {rname(s.route)} istiod {s.reason} on [{show_parent(s.parent)}], "
                      f"we {c.code} at {c.path}")
    return 0


def cmd_list(testdata: Path, test_go: str) -> int:
    cases = read_cases(test_go, testdata)
    print("| case | HTTP/GRPC routes | TCP/TLS/UDP routes | False route conditions |")
    print("|---|---:|---:|---:|")
    for case in cases:
        inputs = [o for o, _, _ in load_docs(testdata / f"{case}.yaml")]
        st, _, _ = read_status(case, testdata / f"{case}.status.yaml.golden")
        http = sum(1 for o in inputs if o.get("kind") in ("HTTPRoute", "GRPCRoute"))
        other = sum(1 for o in inputs if o.get("kind") in ROUTE_KINDS) - http
        print(f"| {case} | {http} | {other} | {len(st)} |")
    extra = sorted(p.name for p in testdata.glob("*.yaml") if p.name[:-5] not in cases)
    if extra:
        print(f"\nInputs no case reads: {', '.join(extra)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--istio-dir", type=Path, required=True,
                        help="istio files extracted outside this repo (pilot/pkg/config/kube/gateway/...)")
    parser.add_argument("--ambient-lint", default="target/release/ambient-lint", help="the binary to compare")
    parser.add_argument("--world", choices=("test", "bare"), default="test",
                        help="test: add the Namespaces and Services the Go test adds (default); bare: the input alone")
    parser.add_argument("--only", action="append", metavar="NAME", help="compare only this case (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="list every miss and every extra")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="list the cases and what they hold")
    mode.add_argument("--emit-world", metavar="NAME", help="print the objects --world test adds to a case")
    args = parser.parse_args(argv)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    try:
        testdata, test_go_path = locate(args.istio_dir)
        test_go = test_go_path.read_text()
        if args.list:
            return cmd_list(testdata, test_go)
        if args.emit_world:
            fixture = read_fixture(test_go)
            inputs = [o for o, _, _ in load_docs(testdata / f"{args.emit_world}.yaml")]
            print(f"# skipped (hostnames computed in Go): {', '.join(fixture.skipped) or 'none'}")
            print(yaml.safe_dump_all(world_objects(inputs, fixture), sort_keys=False), end="")
            return 0
        return cmd_compare(testdata, test_go, args.ambient_lint, args.world, args.only, args.verbose)
    except (ParseError, OSError, yaml.YAMLError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
