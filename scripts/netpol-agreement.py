#!/usr/bin/env python3
# Agreement of `ambient-lint connectivity --mode plain` with np-guard/netpol-analyzer.
#
# Research notes (netpol-analyzer at github.com/np-guard/netpol-analyzer, read at commit e54a3343):
#
# Where things are
#   Inputs:   tests/<name>/ (recursive; .yaml/.yml/.json; Lists and *List kinds; some dirs also hold
#             old outputs such as tests/onlineboutique/connlist_output.json and .md/.txt/.svg files,
#             which the analyzer skips with a warning).
#   Expected: test_outputs/connlist/<name>_connlist_output.{txt,json,csv,md,dot}; .txt always exists.
#             Names with flags: <name>_focus_workload_<wl>[_<dir>][_with_<peer>][_<proto-port>]_...,
#             exposure runs write <..>_exposure_output.*, explain runs <..>_explain_output.txt.
#   Table:    pkg/netpol/connlist/connlist_test.go `goodPathTests` (249 entries at e54a3343) lists every
#             run and its flags (focusWorkloads, focusWorkloadPeers, focusDirection, focusConn,
#             exposureAnalysis, multipleNetworksEnabled). An entry with only testDirName/outputFormats/
#             supportedOnLiveCluster is a plain connlist: 104 of them, 54 with (Baseline)AdminNetworkPolicy
#             objects (skipped here, counted apart) and 50 NetworkPolicy-only. pkg/cli/command_test.go
#             adds one plain `list` run on tests/document_with_syntax_error (test_outputs/cli/...).
#             The 32 UDN/CUDN/NAD/VM runs need --multiple-networks and are not plain.
#             pkg/netpol/internal/examples holds ANP/BANP tests built in Go, with no input dir.
# Text format (one line per ordered pair with something allowed, sorted, no "No Connections" lines)
#   <src> => <dst> : <conns>
#   workload: <ns>/<name>[<Kind>]; a Pod is named by its ownerReferences entry with controller: true
#     (kind and name, e.g. default/frontend-99684f7f8[ReplicaSet]) unless that owner is a Node (static
#     pods: kube-system/etcd-minikube[Pod]) or absent; a workload object by itself ([Deployment] ...).
#   IP:  <a.b.c.d>-<e.f.g.h>[External]; one contiguous range per line in every stored output, the
#        parser also takes several comma-separated ranges, single addresses and the label-less form
#        of older outputs (one stale file, test_pod_exposed_only_..._connlist_output.txt). IPv4 only.
#   special: {ingress-controller}, a pseudo-peer for Route/Ingress -> Service -> pods (lines excluded).
#   conns: "All Connections" (= TCP, UDP and SCTP, ports 1-65535) or "<PROTO> <ports>" groups joined
#     by "," in sorted protocol order, ports "80" or "8080-8081" joined by "," too, e.g.
#     "SCTP 1-9002,9004-65535,TCP 1-65535,UDP 1-65535". Full ranges on all three protocols always
#     print as "All Connections"; full ranges on fewer print explicitly.
#   JSON: [{"src": ..., "dst": ..., "conn": ...}] with the same strings (exposure runs wrap it in
#     {"connlist_results": [...]}).
# Semantics they implement (places to watch against what Kubernetes documents)
#   - ipBlock never selects a pod: pod-to-pod traffic is decided by pod/namespace selectors only,
#     even for real Pod objects with status.podIPs inside the CIDR. Kubernetes says ipBlock should
#     name cluster-external IPs but does not forbid pod IPs; many plugins match them.
#   - IP peers are the disjoint cut of ipBlocks (with excepts) over 0.0.0.0/0: sources are cut by
#     ingress ipBlocks only, destinations by egress ipBlocks only. Nothing for IPv6.
#   - Named ports resolve against the destination's container ports; name and protocol must both
#     match, otherwise the port contributes nothing. A named port in a rule that reaches an ipBlock is
#     a fatal error (Kubernetes accepts it; it just never matches an IP), as are named port + endPort
#     and port > endPort (both rejected by API validation too).
#   - endPort ranges and SCTP are supported; SCTP is part of "All Connections".
#   - hostNetwork is ignored: host-network pods are ordinary pods for podSelectors (Kubernetes leaves
#     policies on hostNetwork pods undefined; e.g. OVN/OpenShift leave them unaffected). Plain tests with
#     hostNetwork pods: ipblockstest*, minikube_resources, multiple_topology_resources_*,
#     semanticDiff-same-topologies-*.
#   - Pods lacking status.hostIP/podIPs get 127.0.0.1 placeholders (core_pods_without_host_ip).
#   - A workload becomes at most two pods from its template; pairs of a workload with itself are
#     never listed. Pods of one owner whose labels differ where a policy looks are a fatal error.
#   - A namespace with no Namespace object gets only kubernetes.io/metadata.name=<ns>; that label is
#     added to Namespace objects lacking it; objects without metadata.namespace are in "default".
#   - policyTypes defaulting, isolation and egress(src) AND ingress(dst) follow Kubernetes.
#     Services matter only for the ingress-controller lines. No Calico/Cilium policies in the inputs.
#
# This script compares the plain connlist runs only, never copies their files, and reads them from a
# directory extracted outside this repository, e.g.
#   git --git-dir=/work/.mirror/np-guard+netpol-analyzer/repo archive HEAD tests test_outputs \
#       pkg/netpol/connlist/connlist_test.go pkg/cli/command_test.go | tar -x -C /work/corpus/netpol-analyzer
#
# Usage:
#   python3 scripts/netpol-agreement.py --analyzer-dir DIR --ambient-lint target/release/ambient-lint
#       [--only NAME ...] [--verbose]
#   python3 scripts/netpol-agreement.py --analyzer-dir DIR --list
#   python3 scripts/netpol-agreement.py --analyzer-dir DIR --self-test [--verbose]
#   python3 scripts/netpol-agreement.py --analyzer-dir DIR --emit-ours-from-theirs NAME
"""Compare ambient-lint's plain connectivity with netpol-analyzer's published connlist outputs.

Both sides are normalised to one model: workload pairs map to connection sets
({protocol: merged port ranges}); IP<->workload connectivity is compared per elementary
address interval (the common refinement of both sides' boundaries), so the two tools may cut
the address space differently. Pairs absent on one side mean "nothing allowed". Pairs of a
workload with itself, IP<->IP pairs and {ingress-controller} lines are left out on both sides;
IPv6 addresses from ambient-lint are counted apart because netpol-analyzer models IPv4 only.
An `ip` of ambient-lint is read literally (0.0.0.0/0 is every IPv4 address); entries of one
pair that overlap are united, and flagged when they disagree.
"""

from __future__ import annotations

import argparse
import collections
import ipaddress
import json
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Union

PROTOCOLS = ("SCTP", "TCP", "UDP")
MIN_PORT, MAX_PORT = 1, 65535
ALL_CONNECTIONS_TEXT = "All Connections"
NO_CONNECTIONS_TEXT = "No Connections"
RUN_TIMEOUT_SECONDS = 300
MAX_NAMES_IN_SUMMARY = 25

# Connection set: sorted tuple of (protocol, ((lo, hi), ...)) with non-empty, merged ranges.
PortRanges = tuple[tuple[int, int], ...]
Conns = tuple[tuple[str, PortRanges], ...]
EMPTY: Conns = ()
ALL: Conns = tuple((p, ((MIN_PORT, MAX_PORT),)) for p in PROTOCOLS)


class ParseError(Exception):
    """A file or value that does not have the expected shape."""


# ---------------------------------------------------------------------------------------------
# Connection sets
# ---------------------------------------------------------------------------------------------


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> PortRanges:
    """Sort and merge overlapping or adjacent ranges."""
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if lo > hi:
            raise ParseError(f"empty port range {lo}-{hi}")
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def make_conns(by_protocol: dict[str, list[tuple[int, int]]]) -> Conns:
    items = []
    for proto, ranges in by_protocol.items():
        merged = merge_ranges(ranges)
        if merged:
            items.append((proto, merged))
    return tuple(sorted(items))


def conns_union(sets: Iterable[Conns]) -> Conns:
    acc: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    for conns in sets:
        for proto, ranges in conns:
            acc[proto].extend(ranges)
    return make_conns(acc)


def parse_port_token(token: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", token.strip())
    if not m:
        raise ParseError(f"bad port {token!r}")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if not (MIN_PORT <= lo <= hi <= MAX_PORT):
        raise ParseError(f"port out of range {token!r}")
    return lo, hi


def parse_theirs_conns(text: str) -> Conns:
    """Parse 'All Connections', 'No Connections' or 'TCP 80,8080-8081,UDP 53' (';' also taken)."""
    text = text.strip()
    if text == ALL_CONNECTIONS_TEXT:
        return ALL
    if text == NO_CONNECTIONS_TEXT:
        return EMPTY
    acc: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    current: str | None = None
    for token in re.split(r"[,;]", text):
        token = token.strip()
        m = re.fullmatch(r"([A-Za-z]+)\s+(.+)", token)
        if m:
            current = m.group(1).upper()
            if current not in PROTOCOLS:
                raise ParseError(f"unknown protocol in {text!r}")
            token = m.group(2)
        if current is None:
            raise ParseError(f"ports before any protocol in {text!r}")
        acc[current].append(parse_port_token(token))
    return make_conns(acc)


def parse_ours_conns(value: object) -> Conns:
    """Parse ambient-lint's "all" or {"TCP": [80, [8080, 8090]], ...}."""
    if value == "all":
        return ALL
    if not isinstance(value, dict):
        raise ParseError(f"conns must be \"all\" or an object, got {value!r}")
    acc: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    for proto, ports in value.items():
        proto_u = str(proto).upper()
        if proto_u not in PROTOCOLS:
            raise ParseError(f"unknown protocol {proto!r}")
        if ports == "all":
            acc[proto_u].append((MIN_PORT, MAX_PORT))
            continue
        if not isinstance(ports, list):
            raise ParseError(f"ports of {proto} must be a list, got {ports!r}")
        for item in ports:
            if isinstance(item, int):
                acc[proto_u].append(parse_port_token(str(item)))
            elif isinstance(item, list) and len(item) == 2 and all(isinstance(x, int) for x in item):
                acc[proto_u].append(parse_port_token(f"{item[0]}-{item[1]}"))
            elif isinstance(item, str):
                acc[proto_u].append(parse_port_token(item))
            else:
                raise ParseError(f"bad port item {item!r}")
    return make_conns(acc)


def conns_text(conns: Conns) -> str:
    """Render in netpol-analyzer's style, for messages."""
    if conns == ALL:
        return ALL_CONNECTIONS_TEXT
    if not conns:
        return NO_CONNECTIONS_TEXT
    parts = []
    for proto, ranges in conns:
        ports = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)
        parts.append(f"{proto} {ports}")
    return ",".join(parts)


def conns_to_ours(conns: Conns) -> object:
    if conns == ALL:
        return "all"
    return {proto: [lo if lo == hi else [lo, hi] for lo, hi in ranges] for proto, ranges in conns}


# ---------------------------------------------------------------------------------------------
# Endpoints and records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Workload:
    namespace: str
    name: str
    kind: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass(frozen=True)
class IpSet:
    """Address ranges as (version, lo, hi) integers, with the text they came from."""

    ranges: tuple[tuple[int, int, int], ...]
    label: str

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Special:
    """A pseudo-peer such as {ingress-controller}."""

    name: str

    def __str__(self) -> str:
        return "{" + self.name + "}"


Endpoint = Union[Workload, IpSet, Special]


@dataclass(frozen=True)
class Record:
    src: Endpoint
    dst: Endpoint
    conns: Conns


def parse_ip_range_text(text: str) -> IpSet:
    """'a.b.c.d-e.f.g.h[,...]' or single addresses, as netpol-analyzer prints them."""
    ranges = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                lo_ip, hi_ip = ipaddress.ip_address(a.strip()), ipaddress.ip_address(b.strip())
            elif "/" in part:
                net = ipaddress.ip_network(part, strict=False)
                lo_ip, hi_ip = net.network_address, net.broadcast_address
            else:
                lo_ip = hi_ip = ipaddress.ip_address(part)
        except ValueError as err:
            raise ParseError(f"bad address range {part!r}: {err}") from None
        if lo_ip.version != hi_ip.version or int(lo_ip) > int(hi_ip):
            raise ParseError(f"bad address range {part!r}")
        ranges.append((lo_ip.version, int(lo_ip), int(hi_ip)))
    return IpSet(tuple(ranges), text)


def parse_ip_value_ours(value: object) -> IpSet:
    """ambient-lint's "ip": a CIDR, a list of CIDRs, or (tolerated) ranges."""
    parts = value if isinstance(value, list) else [value]
    if not parts or not all(isinstance(p, str) for p in parts):
        raise ParseError(f"bad ip value {value!r}")
    joined = ",".join(p.strip() for p in parts)
    return parse_ip_range_text(joined)


WORKLOAD_RE = re.compile(r"(?P<ns>[^/\s\[\]]+)/(?P<name>[^\s\[\]]+)\[(?P<kind>[A-Za-z]+)\]")


def parse_theirs_endpoint(text: str) -> Endpoint:
    text = text.strip()
    m = re.fullmatch(r"\{(.+)\}", text)
    if m:
        return Special(m.group(1))
    m = re.fullmatch(r"(.+)\[External\]", text)
    if m:
        return parse_ip_range_text(m.group(1))
    m = WORKLOAD_RE.fullmatch(text)
    if m:
        return Workload(m.group("ns"), m.group("name"), m.group("kind"))
    if re.fullmatch(r"[0-9a-fA-F.:,/-]+", text):
        return parse_ip_range_text(text)  # outputs written before the [External] label
    raise ParseError(f"unknown peer {text!r}")


LINE_RE = re.compile(r"(?P<src>\S+) => (?P<dst>\S+) : (?P<conn>.+)")


def parse_theirs_text(text: str) -> list[Record]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = LINE_RE.fullmatch(line.strip())
        if not m:
            raise ParseError(f"line {number}: not '<src> => <dst> : <conns>': {line!r}")
        try:
            records.append(Record(parse_theirs_endpoint(m.group("src")),
                                  parse_theirs_endpoint(m.group("dst")),
                                  parse_theirs_conns(m.group("conn"))))
        except ParseError as err:
            raise ParseError(f"line {number}: {err}") from None
    return records


def parse_theirs_json(text: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"not JSON: {err}") from None
    if isinstance(data, dict) and "connlist_results" in data:
        data = data["connlist_results"]
    if not isinstance(data, list):
        raise ParseError("expected a JSON list of {src, dst, conn}")
    records = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not {"src", "dst", "conn"} <= item.keys():
            raise ParseError(f"item {index}: expected src, dst and conn")
        try:
            records.append(Record(parse_theirs_endpoint(item["src"]), parse_theirs_endpoint(item["dst"]),
                                  parse_theirs_conns(item["conn"])))
        except ParseError as err:
            raise ParseError(f"item {index}: {err}") from None
    return records


def parse_theirs_file(path: Path) -> list[Record]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return parse_theirs_json(text)
    return parse_theirs_text(text)


def parse_ours_endpoint(value: object) -> Endpoint:
    if not isinstance(value, dict):
        raise ParseError(f"endpoint must be an object, got {value!r}")
    if "ip" in value:
        return parse_ip_value_ours(value["ip"])
    try:
        return Workload(str(value["namespace"]), str(value["name"]), str(value["kind"]))
    except KeyError as err:
        raise ParseError(f"endpoint {value!r} lacks {err}") from None


def parse_ours_json(text: str) -> list[Record]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ParseError(f"not JSON: {err}") from None
    if not isinstance(data, dict):
        raise ParseError("expected a JSON object")
    if data.get("version") != 1 or data.get("mode") != "plain":
        raise ParseError(f"expected version 1 and mode plain, got {data.get('version')!r}/{data.get('mode')!r}")
    connections = data.get("connections")
    if not isinstance(connections, list):
        raise ParseError("expected a 'connections' list")
    records = []
    for index, item in enumerate(connections):
        try:
            records.append(Record(parse_ours_endpoint(item.get("src")), parse_ours_endpoint(item.get("dst")),
                                  parse_ours_conns(item.get("conns"))))
        except (ParseError, AttributeError) as err:
            raise ParseError(f"connection {index}: {err}") from None
    return records


# ---------------------------------------------------------------------------------------------
# Normalised connectivity
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpEntry:
    ranges: tuple[tuple[int, int], ...]  # IPv4 only
    conns: Conns
    label: str


@dataclass
class Connectivity:
    pairs: dict[tuple[Workload, Workload], Conns] = field(default_factory=dict)
    # (direction, workload) -> entries; "from-ip" means the IP is the source.
    ip: dict[tuple[str, Workload], list[IpEntry]] = field(default_factory=lambda: collections.defaultdict(list))
    excluded: collections.Counter = field(default_factory=collections.Counter)


def build_connectivity(records: Iterable[Record]) -> Connectivity:
    """Apply the same exclusions to either side and index what remains."""
    result = Connectivity()
    for rec in records:
        if not rec.conns:
            continue
        if isinstance(rec.src, Special) or isinstance(rec.dst, Special):
            result.excluded["pseudo-peer lines ({ingress-controller})"] += 1
            continue
        if isinstance(rec.src, IpSet) and isinstance(rec.dst, IpSet):
            result.excluded["IP-to-IP pairs"] += 1
            continue
        if isinstance(rec.src, Workload) and isinstance(rec.dst, Workload):
            if rec.src == rec.dst:
                result.excluded["workload-to-itself pairs"] += 1
                continue
            key = (rec.src, rec.dst)
            if key in result.pairs:
                result.excluded["duplicate pairs (united)"] += 1
                result.pairs[key] = conns_union([result.pairs[key], rec.conns])
            else:
                result.pairs[key] = rec.conns
            continue
        if isinstance(rec.src, IpSet):
            direction, ipset, workload = "from-ip", rec.src, rec.dst
        else:
            direction, ipset, workload = "to-ip", rec.dst, rec.src
        assert isinstance(workload, Workload) and isinstance(ipset, IpSet)
        v4 = tuple((lo, hi) for version, lo, hi in ipset.ranges if version == 4)
        if len(v4) != len(ipset.ranges):
            result.excluded["IPv6 ranges (netpol-analyzer models IPv4 only)"] += len(ipset.ranges) - len(v4)
        if v4:
            result.ip[(direction, workload)].append(IpEntry(v4, rec.conns, ipset.label))
    return result


@dataclass
class PairDiff:
    src: str
    dst: str
    theirs: Conns
    ours: Conns

    def __str__(self) -> str:
        return f"{self.src} => {self.dst}: theirs {conns_text(self.theirs)} | ours {conns_text(self.ours)}"


@dataclass
class Comparison:
    pairs: int = 0
    agreeing: int = 0
    diffs: list[PairDiff] = field(default_factory=list)
    notes: collections.Counter = field(default_factory=collections.Counter)

    @property
    def differing(self) -> int:
        return self.pairs - self.agreeing


def ipv4_text(lo: int, hi: int) -> str:
    return f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv4Address(hi)}"


def elementary_intervals(theirs: list[IpEntry], ours: list[IpEntry]) -> Iterator[
        tuple[int, int, frozenset[int], Conns, Conns, bool]]:
    """Sweep the common refinement of both sides' boundaries.

    Yields (lo, hi, ids of their entries covering it, their conns, our conns, ours overlapped with
    different conns) for each elementary interval covered by at least one side.
    """
    starts: dict[int, list[tuple[int, int]]] = collections.defaultdict(list)
    ends: dict[int, list[tuple[int, int]]] = collections.defaultdict(list)
    for side, entries in ((0, theirs), (1, ours)):
        for index, entry in enumerate(entries):
            for lo, hi in entry.ranges:
                starts[lo].append((side, index))
                ends[hi + 1].append((side, index))
    points = sorted(set(starts) | set(ends))
    active: tuple[collections.Counter, collections.Counter] = (collections.Counter(), collections.Counter())
    for i, point in enumerate(points[:-1]):
        for side, index in ends.get(point, ()):
            active[side][index] -= 1
            if active[side][index] == 0:
                del active[side][index]
        for side, index in starts.get(point, ()):
            active[side][index] += 1
        if not active[0] and not active[1]:
            continue
        their_conns = conns_union(theirs[k].conns for k in active[0])
        our_conns = conns_union(ours[k].conns for k in active[1])
        overlap = len({ours[k].conns for k in active[1]}) > 1
        yield point, points[i + 1] - 1, frozenset(active[0]), their_conns, our_conns, overlap


def compare(theirs: Connectivity, ours: Connectivity) -> Comparison:
    """Count pairs and collect differences.

    A workload pair is one (src, dst). An IP pair is one of their IP lines for a workload and a
    direction, or a maximal run of addresses they allow nothing for but ambient-lint does.
    """
    result = Comparison()
    for key in sorted(set(theirs.pairs) | set(ours.pairs)):
        t, o = theirs.pairs.get(key, EMPTY), ours.pairs.get(key, EMPTY)
        result.pairs += 1
        if t == o:
            result.agreeing += 1
        else:
            result.diffs.append(PairDiff(str(key[0]), str(key[1]), t, o))
    for direction, workload in sorted(set(theirs.ip) | set(ours.ip), key=lambda k: (k[1], k[0])):
        their_entries = theirs.ip.get((direction, workload), [])
        our_entries = ours.ip.get((direction, workload), [])
        groups: dict[object, list[tuple[int, int, Conns, Conns]]] = {}
        labels: dict[object, str] = {}
        gap_key: object = None
        gap_end = -2
        for lo, hi, their_ids, t, o, overlap in elementary_intervals(their_entries, our_entries):
            if overlap:
                result.notes["ambient-lint ip entries of one pair overlap with different conns"] += 1
            if their_ids:
                key: object = ("theirs", their_ids)
                labels[key] = ",".join(their_entries[k].label for k in sorted(their_ids))
            else:
                if gap_key is None or lo != gap_end + 1:
                    gap_key = ("gap", lo)
                key = gap_key
                gap_end = hi
            groups.setdefault(key, []).append((lo, hi, t, o))
        for key, pieces in groups.items():
            if key not in labels:
                labels[key] = ipv4_text(pieces[0][0], pieces[-1][1])
            result.pairs += 1
            bad = [p for p in pieces if p[2] != p[3]]
            if not bad:
                result.agreeing += 1
                continue
            for lo, hi, t, o in bad:
                ip_text = ipv4_text(lo, hi)
                if ip_text != labels[key]:
                    ip_text = f"{ip_text} (in {labels[key]})"
                src, dst = (ip_text, str(workload)) if direction == "from-ip" else (str(workload), ip_text)
                result.diffs.append(PairDiff(src, dst, t, o))
    return result


# ---------------------------------------------------------------------------------------------
# Conversion of their records to ambient-lint's JSON (for --emit-ours-from-theirs and self-test)
# ---------------------------------------------------------------------------------------------


def endpoint_to_ours(endpoint: Endpoint) -> list[dict[str, str]]:
    """One or more ambient-lint endpoints; IP ranges become their CIDR covers, one per entry."""
    if isinstance(endpoint, Workload):
        return [{"kind": endpoint.kind, "namespace": endpoint.namespace, "name": endpoint.name}]
    if isinstance(endpoint, IpSet):
        out = []
        for version, lo, hi in endpoint.ranges:
            cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
            for net in ipaddress.summarize_address_range(cls(lo), cls(hi)):
                out.append({"ip": str(net)})
        return out
    return []  # pseudo-peers have no counterpart in ambient-lint


def records_to_ours(records: Iterable[Record]) -> dict[str, object]:
    connections = []
    for rec in records:
        for src in endpoint_to_ours(rec.src):
            for dst in endpoint_to_ours(rec.dst):
                connections.append({"src": src, "dst": dst, "conns": conns_to_ours(rec.conns)})
    return {"version": 1, "mode": "plain", "connections": connections}


# ---------------------------------------------------------------------------------------------
# Finding their plain connlist tests
# ---------------------------------------------------------------------------------------------

CONNLIST_TEST_GO = Path("pkg/netpol/connlist/connlist_test.go")
COMMAND_TEST_GO = Path("pkg/cli/command_test.go")
PLAIN_FIELDS = {"testDirName", "dirName", "outputFormats", "supportedOnLiveCluster", "outputFile"}
ANP_KIND_RE = re.compile(r"""["']?kind["']?\s*:\s*["']?(?:Baseline)?AdminNetworkPolicy(?:List)?\b""")
MULTI_NETWORK_KIND_RE = re.compile(
    r"""["']?kind["']?\s*:\s*["']?(?:Cluster)?UserDefinedNetwork|NetworkAttachmentDefinition|"""
    r"""MultiNetworkPolicy|VirtualMachine\b""")
MANIFEST_SUFFIXES = {".yaml", ".yml", ".json"}


@dataclass
class PlainTest:
    name: str
    input_dir: Path
    expected: Path | None
    source: str  # where the run is declared


def go_struct_literals(source: str, anchor: str) -> list[str]:
    """Bodies of the top-level {...} elements of the slice literal after `anchor`."""
    start = source.find(anchor)
    if start < 0:
        return []
    body_start = source.find("}{", start)
    if body_start < 0:
        return []
    entries, depth, current = [], 0, []
    for ch in source[body_start + 2:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                current = []
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                entries.append("".join(current))
                continue
            if depth < 0:
                break
        if depth >= 1:
            current.append(ch)
    return entries


def go_fields(entry: str) -> dict[str, str]:
    """Field: value pairs of one struct literal (values as written, comments dropped)."""
    fields = {}
    for line in entry.splitlines():
        line = re.sub(r"//.*", "", line).strip()
        m = re.fullmatch(r"(\w+):\s*(.+?),?", line)
        if m:
            fields[m.group(1)] = m.group(2).strip()
    return fields


def is_plain_entry(fields: dict[str, str]) -> bool:
    for name, value in fields.items():
        if name in PLAIN_FIELDS:
            continue
        if value in ("false", '""', "nil", "[]string{}"):
            continue
        return False
    return True


def plain_tests_from_go(root: Path) -> list[PlainTest]:
    tests: list[PlainTest] = []
    seen: set[str] = set()
    connlist_go = root / CONNLIST_TEST_GO
    for entry in go_struct_literals(connlist_go.read_text(encoding="utf-8"), "var goodPathTests = []struct"):
        fields = go_fields(entry)
        name = fields.get("testDirName", "")
        if not (name.startswith('"') and name.endswith('"')) or not is_plain_entry(fields):
            continue
        name = name.strip('"')
        if name not in seen:
            seen.add(name)
            tests.append(PlainTest(name, root / "tests" / name, expected_output(root, "connlist", name),
                                   "connlist_test.go goodPathTests"))
    command_go = root / COMMAND_TEST_GO
    if command_go.is_file():
        for entry in go_struct_literals(command_go.read_text(encoding="utf-8"), "func TestListCommandOutput"):
            fields = go_fields(entry)
            name = fields.get("dirName", "")
            if not (name.startswith('"') and name.endswith('"')) or not is_plain_entry(fields):
                continue
            name = name.strip('"')
            if name not in seen:
                seen.add(name)
                tests.append(PlainTest(name, root / "tests" / name, expected_output(root, "cli", name),
                                       "command_test.go TestListCommandOutput"))
    return tests


def plain_tests_from_files(root: Path) -> list[PlainTest]:
    """Without their Go tests: every tests/<name> with a <name>_connlist_output file."""
    tests = []
    for directory in sorted((root / "tests").iterdir()):
        expected = expected_output(root, "connlist", directory.name)
        if directory.is_dir() and expected is not None:
            tests.append(PlainTest(directory.name, directory, expected, "file names"))
    return tests


def expected_output(root: Path, package: str, name: str) -> Path | None:
    for suffix in (".txt", ".json"):
        path = root / "test_outputs" / package / f"{name}_connlist_output{suffix}"
        if path.is_file():
            return path
    return None


def discover_tests(root: Path) -> tuple[list[PlainTest], str]:
    if (root / CONNLIST_TEST_GO).is_file():
        return plain_tests_from_go(root), "their Go test tables"
    return plain_tests_from_files(root), "file names (their Go test tables are not in --analyzer-dir)"


def manifests_match(directory: Path, pattern: re.Pattern[str]) -> bool:
    for path in directory.rglob("*"):
        if path.suffix in MANIFEST_SUFFIXES and path.is_file():
            if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
    return False


def skip_reason(test: PlainTest, method: str) -> str | None:
    if not test.input_dir.is_dir():
        return "no input directory"
    if test.expected is None:
        return "no expected connlist output"
    if manifests_match(test.input_dir, ANP_KIND_RE):
        return "AdminNetworkPolicy/BaselineAdminNetworkPolicy"
    if method.startswith("file names") and manifests_match(test.input_dir, MULTI_NETWORK_KIND_RE):
        return "multiple networks (UDN/NAD/VM)"
    return None


# ---------------------------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    test: PlainTest
    status: str  # agree | differ | skipped | error
    detail: str = ""
    comparison: Comparison | None = None
    notes: collections.Counter = field(default_factory=collections.Counter)


def run_ambient_lint(binary: str, input_dir: Path) -> list[Record]:
    cmd = [binary, "connectivity", "--mode", "plain", "--format", "json", str(input_dir)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ParseError(f"could not run {binary}: {err}") from None
    try:
        return parse_ours_json(proc.stdout)
    except ParseError as err:
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        raise ParseError(f"exit {proc.returncode}, {err}; stderr: {tail[0][:200]}") from None


def run_test(test: PlainTest, method: str, binary: str) -> Outcome:
    reason = skip_reason(test, method)
    if reason:
        return Outcome(test, "skipped", reason)
    assert test.expected is not None
    try:
        theirs = build_connectivity(parse_theirs_file(test.expected))
    except ParseError as err:
        return Outcome(test, "error", f"their {test.expected.name}: {err}")
    try:
        ours = build_connectivity(run_ambient_lint(binary, test.input_dir))
    except ParseError as err:
        return Outcome(test, "error", f"ambient-lint: {err}")
    comparison = compare(theirs, ours)
    notes = collections.Counter({f"theirs left out: {k}": v for k, v in theirs.excluded.items()})
    notes.update({f"ours left out: {k}": v for k, v in ours.excluded.items()})
    notes.update({f"note: {k}": v for k, v in comparison.notes.items()})
    status = "agree" if not comparison.diffs else "differ"
    return Outcome(test, status, comparison=comparison, notes=notes)


def describe(outcome: Outcome) -> str:
    c = outcome.comparison
    if outcome.status == "agree" and c:
        text = f"agree ({c.pairs} pairs)"
    elif outcome.status == "differ" and c:
        text = f"differ ({c.differing} pairs) of {c.pairs}"
    elif outcome.status == "skipped":
        text = f"skipped ({outcome.detail})"
    else:
        text = f"error ({outcome.detail})"
    if outcome.notes:
        text += "; " + "; ".join(f"{k}: {v}" for k, v in sorted(outcome.notes.items()))
    return text


def analyzer_revision(root: Path) -> str:
    marker = root / "COMMIT"
    if marker.is_file():
        return marker.read_text(encoding="utf-8").strip()[:12]
    return "unknown revision"


def markdown_summary(outcomes: list[Outcome], root: Path, method: str) -> str:
    by_status = collections.Counter(o.status for o in outcomes)
    skipped = collections.Counter(o.detail for o in outcomes if o.status == "skipped")
    compared = [o for o in outcomes if o.comparison is not None]
    pairs = sum(o.comparison.pairs for o in compared if o.comparison)
    agreeing = sum(o.comparison.agreeing for o in compared if o.comparison)
    lines = [
        f"Plain connlist tests of np-guard/netpol-analyzer ({analyzer_revision(root)}), found from {method}:",
        "",
        "| tests | count |",
        "|---|---:|",
        f"| agree | {by_status['agree']} |",
        f"| differ | {by_status['differ']} |",
        f"| error | {by_status['error']} |",
    ]
    lines += [f"| skipped: {reason} | {count} |" for reason, count in sorted(skipped.items())]
    lines += [
        f"| **total** | **{len(outcomes)}** |",
        "",
        "| pairs in compared tests | count |",
        "|---|---:|",
        f"| agree | {agreeing} |",
        f"| total | {pairs} |",
    ]
    notes: collections.Counter = collections.Counter()
    for outcome in outcomes:
        notes.update(outcome.notes)
    if notes:
        lines += ["", "Left out of the comparison on both sides alike, or noted:", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(notes.items())]
    differing = [f"`{o.test.name}` ({o.comparison.differing} pairs)" for o in outcomes
                 if o.status == "differ" and o.comparison]
    if differing:
        shown = differing[:MAX_NAMES_IN_SUMMARY]
        more = f" and {len(differing) - len(shown)} more" if len(differing) > len(shown) else ""
        lines += ["", "Differing: " + ", ".join(shown) + more + "."]
    return "\n".join(lines)


def select(tests: list[PlainTest], only: list[str] | None) -> list[PlainTest]:
    if not only:
        return tests
    chosen = [t for t in tests if t.name in only]
    missing = sorted(set(only) - {t.name for t in chosen})
    if missing:
        raise SystemExit(f"not a plain connlist test: {', '.join(missing)}")
    return chosen


def cmd_compare(root: Path, binary: str, only: list[str] | None, verbose: bool) -> int:
    tests, method = discover_tests(root)
    outcomes = []
    for test in select(tests, only):
        outcome = run_test(test, method, binary)
        outcomes.append(outcome)
        print(f"{test.name}: {describe(outcome)}", flush=True)
        if verbose and outcome.comparison:
            for diff in outcome.comparison.diffs:
                print(f"    {diff}")
    print()
    print(markdown_summary(outcomes, root, method))
    return 0 if all(o.status in ("agree", "skipped") for o in outcomes) else 1


def cmd_list(root: Path) -> int:
    tests, method = discover_tests(root)
    print(f"# {len(tests)} plain connlist tests, from {method}")
    for test in tests:
        expected = test.expected.relative_to(root) if test.expected else "-"
        print(f"{test.name}\t{skip_reason(test, method) or 'compare'}\t{expected}\t{test.source}")
    return 0


def cmd_emit(root: Path, name: str) -> int:
    tests, _ = discover_tests(root)
    test = select(tests, [name])[0]
    if test.expected is None:
        raise SystemExit(f"{name} has no expected output")
    json.dump(records_to_ours(parse_theirs_file(test.expected)), sys.stdout, indent=1)
    print()
    return 0


# ---------------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------------


def check(condition: bool, message: str, failures: list[str]) -> None:
    if not condition:
        failures.append(message)


def self_test_units(failures: list[str]) -> None:
    check(parse_theirs_conns("SCTP 1-65535,TCP 1-65535,UDP 1-65535") == ALL, "explicit full ranges != All", failures)
    check(parse_theirs_conns("TCP 8080,9090-9092;UDP 53") == parse_theirs_conns("UDP 53,TCP 9090-9092,8080"),
          "';' separator or order matters", failures)
    check(parse_theirs_conns("TCP 80,81,82-90") == (("TCP", ((80, 90),)),), "adjacent ports not merged", failures)
    check(parse_ours_conns({"TCP": [[1, 65535]], "udp": "all", "SCTP": [[1, 100], [101, 65535]]}) == ALL,
          "ours full ranges != all", failures)
    check(parse_ours_conns({"TCP": [80, [8080, 8090]]}) == parse_theirs_conns("TCP 80,8080-8090"),
          "ours/theirs port sets differ", failures)
    check(parse_theirs_conns("No Connections") == EMPTY, "No Connections not empty", failures)
    wl = Workload("ns", "a", "Deployment")
    other = Workload("ns", "b", "Deployment")
    # Their one range against our two CIDRs for it plus an overlapping duplicate: agree.
    theirs = build_connectivity([Record(parse_theirs_endpoint("0.0.0.0-9.255.255.255[External]"), wl, ALL)])
    ours = build_connectivity([Record(parse_ip_value_ours("0.0.0.0/5"), wl, ALL),
                               Record(parse_ip_value_ours(["8.0.0.0/7"]), wl, ALL),
                               Record(parse_ip_value_ours("8.0.0.0/8"), wl, ALL),
                               Record(wl, wl, ALL),
                               Record(parse_ip_value_ours("::/0"), wl, ALL)])
    result = compare(theirs, ours)
    check(result.pairs == 1 and not result.diffs, f"split CIDRs should agree: {result.diffs}", failures)
    check(ours.excluded["workload-to-itself pairs"] == 1, "self pair not left out", failures)
    # A missing piece and an extra address run are both differences.
    ours = build_connectivity([Record(parse_ip_value_ours("0.0.0.0/5"), wl, ALL),
                               Record(parse_ip_value_ours("10.0.0.0/8"), wl, ALL),
                               Record(wl, other, parse_theirs_conns("TCP 80"))])
    result = compare(theirs, ours)
    check(result.pairs == 3 and result.agreeing == 0 and len(result.diffs) == 3,
          f"expected 3 differing pairs, got {result.pairs}/{result.agreeing}: {[str(d) for d in result.diffs]}",
          failures)


def self_test_files(root: Path, verbose: bool, failures: list[str]) -> None:
    tests, method = discover_tests(root)
    plain_files = {t.expected for t in tests if t.expected}
    parsed: dict[Path, list[Record]] = {}
    other_failures = 0
    files = sorted((root / "test_outputs").glob("*/*_connlist_output.txt")) + \
        sorted((root / "test_outputs").glob("*/*_connlist_output.json"))
    for path in files:
        try:
            parsed[path] = parse_theirs_file(path)
        except ParseError as err:
            if path in plain_files:
                failures.append(f"plain expected output {path.relative_to(root)}: {err}")
            else:
                other_failures += 1
                if verbose:
                    print(f"  (not plain, not parsed) {path.relative_to(root)}: {err}")
    print(f"parsed {len(parsed)} of {len(files)} *_connlist_output.txt/.json files; "
          f"{len(plain_files)} are plain runs' outputs; {other_failures} others use flag-specific layouts "
          f"(focus-conn, networks sections)")
    # The text and JSON outputs of one run must normalise alike.
    pairs_checked = 0
    for path, records in parsed.items():
        twin = path.with_suffix(".json")
        if path.suffix == ".txt" and twin in parsed:
            pairs_checked += 1
            result = compare(build_connectivity(records), build_connectivity(parsed[twin]))
            check(not result.diffs, f"{path.name} and {twin.name} disagree: {result.diffs[:3]}", failures)
    print(f"checked {pairs_checked} .txt/.json output pairs normalise alike")
    # Round trip: their output converted to ambient-lint's JSON (IP ranges split into CIDRs).
    for test in tests:
        if test.expected is None or test.expected not in parsed:
            continue
        theirs = build_connectivity(parsed[test.expected])
        ours = build_connectivity(parse_ours_json(json.dumps(records_to_ours(parsed[test.expected]))))
        result = compare(theirs, ours)
        check(not result.diffs and result.pairs == len(theirs.pairs) + sum(
            len(v) for v in theirs.ip.values()), f"round trip of {test.name} does not agree", failures)
    print(f"round-tripped {len(tests)} plain tests through ambient-lint's JSON format ({method})")


def cmd_self_test(root: Path, verbose: bool) -> int:
    failures: list[str] = []
    self_test_units(failures)
    self_test_files(root, verbose, failures)
    for failure in failures:
        print(f"FAIL: {failure}")
    print("self-test: " + ("ok" if not failures else f"{len(failures)} failures"))
    return 0 if not failures else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analyzer-dir", type=Path, required=True,
                        help="netpol-analyzer files extracted outside this repo (tests/, test_outputs/, Go tests)")
    parser.add_argument("--ambient-lint", help="the ambient-lint binary to compare")
    parser.add_argument("--only", action="append", metavar="NAME", help="compare only this test (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print the differing pairs")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--self-test", action="store_true", help="check the parsers on every expected output")
    mode.add_argument("--emit-ours-from-theirs", metavar="NAME",
                      help="print a test's expected output converted to ambient-lint's JSON")
    mode.add_argument("--list", action="store_true", help="list the plain connlist tests and how each is treated")
    args = parser.parse_args(argv)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    root: Path = args.analyzer_dir
    if not (root / "tests").is_dir() or not (root / "test_outputs").is_dir():
        parser.error(f"{root} has no tests/ and test_outputs/")
    if args.self_test:
        return cmd_self_test(root, args.verbose)
    if args.emit_ours_from_theirs:
        return cmd_emit(root, args.emit_ours_from_theirs)
    if args.list:
        return cmd_list(root)
    if not args.ambient_lint:
        parser.error("--ambient-lint is required to compare")
    return cmd_compare(root, args.ambient_lint, args.only, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
