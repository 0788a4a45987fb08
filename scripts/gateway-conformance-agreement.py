#!/usr/bin/env python3
# Agreement of ambient-lint's Gateway API route rules (AL404-AL409) with the route conditions the
# Gateway API conformance suite states (kubernetes-sigs/gateway-api, conformance/).
#
# Research notes (kubernetes-sigs/gateway-api read at commit 4564255ac2c35d582249b3cdf261bdf51c8bca32):
#
# Where things are
#   Tests:    conformance/tests/<name>.go, one ConformanceTest each; its `Manifests: []string{...}`
#             names the YAML it applies (usually tests/<name>.yaml; a few tests share or add files,
#             e.g. gateway-with-attached-routes-with-port-8080.yaml). This script reads that list.
#   World:    conformance/base/manifests.yaml is applied before every test: Namespaces
#             gateway-conformance-{infra,app-backend,web-backend} (labels gateway-conformance: infra
#             / backend), Gateways same-namespace, same-namespace-with-https-listener, all-namespaces,
#             backend-namespaces, Services infra-backend-v1..v3, app-backend-v1/v2, web-backend, ...
#             Templates: "{GATEWAY_CLASS_NAME}" (here: istio) and "{GATEWAY_CONTROLLER_NAME}"
#             (here: istio.io/gateway-controller), substituted by the suite's Applier
#             (utils/kubernetes/apply.go). Kubernetes labels every Namespace with
#             kubernetes.io/metadata.name=<name>; several tests select on it, so this script adds it.
#             The suite also creates Secrets in Go (certificates); they do not matter to AL404-AL409.
#   Helpers:  conformance/utils/kubernetes/helpers.go.
#             - HTTPRouteMustHaveCondition / TLSRoute- / TCPRoute- / UDPRoute-MustHaveCondition
#               (route, gateway, metav1.Condition{Type, Status, Reason}): a condition on the parent
#               entry of that gateway. Reason "" means any reason.
#             - HTTPRouteMustHaveParents / TCPRoute- / UDPRoute- / TLSRouteMustHaveParents and
#               RouteMustHaveParents: a list of RouteParentStatus with conditions (parentsForRouteMatch).
#             - GatewayAndHTTPRoutesMustBeAccepted, GatewayAndRoutesMustBeAccepted,
#               GatewayAndTLS/TCP/UDPRoutesMustBeAccepted, RoutesAndParentMustBeAccepted: via
#               RouteMustHaveParents, each route has Accepted=True on each named listener of the
#               parent (Gateway or ListenerSet). They do NOT check ResolvedRefs; the tests that use
#               them then send traffic that must reach the backends, except where they also state
#               ResolvedRefs=False (e.g. httproute-invalid-nonexistent-backendref).
#             - HTTPRouteMustHaveResolvedRefsConditionsTrue / TLSRouteMustHaveResolvedRefsConditionsTrue:
#               ResolvedRefs=True.
#             - HTTPRouteMustHaveNoAcceptedParents / TLSRoute-...: no parent entry with Accepted=True
#               (always next to an Accepted=False statement here, so not a separate statement).
#   Several tests change the world in Go after the first statements: tcproute-reference-grant and
#   udproute-reference-grant delete their ReferenceGrant, then state RefNotPermitted. This script
#   lints that second world as a variant of the test ("<test>#without-referencegrant").
#   Routes created or patched in Go (tcproute-/udproute-multiple-routes-attachment's newer route,
#   httproute-observed-generation-bump's update, ...) are not modelled: only the YAML's first state.
#
# The table below is our own data, derived by reading each .go file at the commit above:
#   STATED: the tests that state a False route condition (every one that does, on HTTPRoute,
#           GRPCRoute, TLSRoute, TCPRoute, UDPRoute), written by hand with all their other route
#           statements (Accepted=True on other routes or parents, ResolvedRefs=True).
#   ACCEPTED: the tests that only accept routes. It was drafted by a regex pass (route names of
#           the test's YAML quoted in the .go file that calls an accepting helper; parents from
#           the route's parentRefs; rr=True when the file states ResolvedRefs=True) and then
#           checked by hand against the .go files. Routes named through suite constants
#           (gateway-conformance-infra-test) were added by hand.
#   SKIPPED: tests whose manifests hold routes but which state nothing on them (or only on
#           objects created in Go), and the mesh tests (conformance/tests/mesh: Service parents,
#           conformance/mesh/manifests.yaml world, no route condition stated at all).
#   The script lists tests whose manifests hold routes but that none of the three names, so a newer
#   suite shows what the table lacks.
#
# Matching (as scripts/gateway-status-agreement.py does for istiod's goldens)
#   suite side: per (test, route), the reasons of its False conditions. ambient-lint side: per
#   (test, route), the codes of its AL404-AL409 findings (`resource` of the JSON report).
#   A stated (route, reason) is agreed when a finding of the mapped code is on that route:
#     NoMatchingParent -> AL404, NotAllowedByListeners and NoMatchingListenerHostname -> AL405,
#     BackendNotFound -> AL406, RefNotPermitted -> AL407, InvalidKind -> AL409; a ResolvedRefs=False
#     with any reason ("") agrees with any of AL406, AL407, AL409; other reasons have no rule.
#   A (route, code) of ours is extra when the suite states none of the code's reasons on a route it
#   states something about; findings on routes the suite states nothing about are listed apart.
#   AL408 (a Service backendRef port the Service does not expose) is no status claim: istiod and
#   the suite do not check a Service backendRef's port, so AL408 findings are counted and listed
#   apart ("other findings"), never as extras.
#   Codes missing from the binary under test (rules added later) simply show as misses.
#
# This script never copies the suite's files; extract them outside this repository, e.g.
#   mkdir -p /work/corpus/gateway-api-conformance
#   git --git-dir=/work/.mirror/kubernetes-sigs+gateway-api/repo archive HEAD conformance \
#     | tar -x -C /work/corpus/gateway-api-conformance
#
# Usage:
#   python3 scripts/gateway-conformance-agreement.py --suite-dir DIR \
#       [--ambient-lint target/release/ambient-lint] [--only TEST ...] [--verbose]
#   python3 scripts/gateway-conformance-agreement.py --suite-dir DIR --emit-world TEST OUTDIR
# Python 3 standard library only (the YAML is handled as text; ambient-lint parses it).
"""Compare ambient-lint's AL404-AL409 with the route conditions the Gateway API conformance suite states.

Prints a Markdown table per status reason: how many (route, reason) the suite states, how many
ambient-lint reports, how many agree, how many ambient-lint misses, how many it claims that the
suite does not; then AL408 findings, findings on routes the suite does not judge, skipped tests and
runs that failed. --verbose lists every miss and every extra with its test and route.
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

SUITE_COMMIT = "4564255ac2c35d582249b3cdf261bdf51c8bca32"
RUN_TIMEOUT_SECONDS = 300
TEMPLATES = {
    "{GATEWAY_CLASS_NAME}": "istio",
    "{GATEWAY_CONTROLLER_NAME}": "istio.io/gateway-controller",
}
INFRA = "gateway-conformance-infra"
APP = "gateway-conformance-app-backend"
WEB = "gateway-conformance-web-backend"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
CODES = ("AL404", "AL405", "AL406", "AL407", "AL408", "AL409")
OTHER_CODES = ("AL408",)  # findings that are no status claim: counted apart
ANY = ""  # a condition stated with any reason
# suite reason -> the ambient-lint codes that claim it
REASON_CODES = {
    "NoMatchingParent": ("AL404",),
    "NotAllowedByListeners": ("AL405",),
    "NoMatchingListenerHostname": ("AL405",),
    "BackendNotFound": ("AL406",),
    "RefNotPermitted": ("AL407",),
    "InvalidKind": ("AL409",),
}
ANY_RESOLVED_CODES = ("AL406", "AL407", "AL409")
CODE_REASONS = {c: [r for r, cs in REASON_CODES.items() if c in cs] for c in CODES if c not in OTHER_CODES}
ACCEPTED_CODES = ("AL404", "AL405")  # codes about Accepted; the others about ResolvedRefs


# ---------------------------------------------------------------------------------------------
# The table (suite commit above)
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class St:
    kind: str
    ns: str
    name: str
    parent: str  # "Gateway ns/name[#section]" or "ListenerSet ns/name"
    ctype: str  # Accepted | ResolvedRefs
    status: str  # True | False
    reason: str  # "" = any


KIND = {"HTTP": "HTTPRoute", "GRPC": "GRPCRoute", "TLS": "TLSRoute", "TCP": "TCPRoute", "UDP": "UDPRoute"}


def _parent(p: str, ns: str) -> str:
    kind, _, name = p.rpartition(" ")
    return f"{kind or 'Gateway'} {name if '/' in name else ns + '/' + name}"


def F(k: str, name: str, parent: str, ctype: str, reason: str, ns: str = INFRA, pns: str = INFRA) -> St:
    """A False condition."""
    return St(KIND[k], ns, name, _parent(parent, pns), ctype, "False", reason)


def A(k: str, name: str, parents: str, ns: str = INFRA, pns: str | None = None, rr: bool = False) -> list[St]:
    """Accepted=True on each parent (comma-separated), plus ResolvedRefs=True if rr."""
    out = []
    for p in parents.split(","):
        parent = _parent(p, pns or ns)
        out.append(St(KIND[k], ns, name, parent, "Accepted", "True", "Accepted"))
        if rr:
            out.append(St(KIND[k], ns, name, parent, "ResolvedRefs", "True", "ResolvedRefs"))
    return out


def RR(k: str, name: str, parent: str, ns: str = INFRA, pns: str = INFRA) -> St:
    return St(KIND[k], ns, name, _parent(parent, pns), "ResolvedRefs", "True", "ResolvedRefs")


def flat(*items) -> list[St]:
    out: list[St] = []
    for i in items:
        out.extend(i if isinstance(i, list) else [i])
    return out


# Tests that state a False route condition, by hand; "<test>#<variant>" is a world changed in Go.
STATED: dict[str, list[St]] = {
    # routeNN disallowed-kind, gwNN tlsroutes-only: ResolvedRefs True, Accepted False NotAllowedByListeners
    "httproute-disallowed-kind": flat(
        RR("HTTP", "disallowed-kind", "tlsroutes-only"),
        F("HTTP", "disallowed-kind", "tlsroutes-only", "Accepted", "NotAllowedByListeners")),
    # 4 intersecting routes + httproute-hostname-intersection-all accepted with ResolvedRefs True;
    # no-intersecting-hosts: HTTPRouteMustHaveParents Accepted False NoMatchingListenerHostname
    "httproute-hostname-intersection": flat(
        A("HTTP", "specific-host-matches-listener-specific-host", "httproute-hostname-intersection", rr=True),
        A("HTTP", "specific-host-matches-listener-wildcard-host", "httproute-hostname-intersection", rr=True),
        A("HTTP", "wildcard-host-matches-listener-specific-host", "httproute-hostname-intersection", rr=True),
        A("HTTP", "wildcard-host-matches-listener-wildcard-host", "httproute-hostname-intersection", rr=True),
        F("HTTP", "no-intersecting-hosts", "httproute-hostname-intersection", "Accepted",
          "NoMatchingListenerHostname"),
        A("HTTP", "httproute-hostname-intersection-all", "httproute-hostname-intersection-all", rr=True)),
    "httproute-invalid-backendref-unknown-kind": flat(
        A("HTTP", "invalid-backend-ref-unknown-kind", "same-namespace"),
        F("HTTP", "invalid-backend-ref-unknown-kind", "same-namespace", "ResolvedRefs", "InvalidKind")),
    "httproute-invalid-cross-namespace-backend-ref": flat(
        A("HTTP", "invalid-cross-namespace-backend-ref", "same-namespace"),
        F("HTTP", "invalid-cross-namespace-backend-ref", "same-namespace", "ResolvedRefs", "RefNotPermitted")),
    # route in web-backend, parent same-namespace (allowedRoutes Same)
    "httproute-invalid-cross-namespace-parent-ref": flat(
        RR("HTTP", "invalid-cross-namespace-parent-ref", "same-namespace", ns=WEB),
        F("HTTP", "invalid-cross-namespace-parent-ref", "same-namespace", "Accepted", "NotAllowedByListeners",
          ns=WEB)),
    "httproute-invalid-nonexistent-backendref": flat(
        A("HTTP", "invalid-nonexistent-backend-ref", "same-namespace"),
        F("HTTP", "invalid-nonexistent-backend-ref", "same-namespace", "ResolvedRefs", "BackendNotFound")),
    # parentRef port 81
    "httproute-invalid-parentref-not-matching-listener-port": flat(
        RR("HTTP", "httproute-listener-not-matching-route-port", "same-namespace"),
        F("HTTP", "httproute-listener-not-matching-route-port", "same-namespace", "Accepted", "NoMatchingParent")),
    # parentRef port 80, sectionName http1
    "httproute-invalid-parentref-not-matching-section-name": [
        F("HTTP", "httproute-listener-not-matching-section-name", "same-namespace", "Accepted",
          "NoMatchingParent")],
    # parentRef sectionName http, port 81
    "httproute-invalid-parentref-section-name-not-matching-port": [
        F("HTTP", "httproute-listener-section-name-not-matching-port",
          "gateway-with-one-not-matching-port-and-section-name-route", "Accepted", "NoMatchingParent")],
    "httproute-invalid-reference-grant": flat(
        A("HTTP", "reference-grant", "same-namespace"),
        F("HTTP", "reference-grant", "same-namespace", "ResolvedRefs", "RefNotPermitted")),
    "httproute-partially-invalid-via-invalid-reference-grant": flat(
        A("HTTP", "invalid-reference-grant", "same-namespace"),
        F("HTTP", "invalid-reference-grant", "same-namespace", "ResolvedRefs", "RefNotPermitted")),
    # http-route-not-accepted (hostname not-accepted.test.com) on gateway-with-two-attached-routes;
    # http-route-4: ResolvedRefs False, any reason (backend does-not-exist). http-route-1..3 only
    # counted through listener AttachedRoutes: not stated.
    "gateway-with-attached-routes": [
        F("HTTP", "http-route-not-accepted", "gateway-with-two-attached-routes", "Accepted",
          "NoMatchingListenerHostname"),
        F("HTTP", "http-route-4", "unresolved-gateway-with-one-attached-unresolved-route", "ResolvedRefs", ANY)],
    # Same-namespace ListenerSet: three routes accepted by the ListenerSet; cross-namespace
    # ListenerSet (ns gateway-api-ls-cross-ns): route-in-listenerset-namespace accepted,
    # route-in-gateway-namespace NotAllowedByListeners on that ListenerSet.
    "listenerset-allowed-routes-namespaces": flat(
        A("HTTP", "route-in-same-namespace", "ListenerSet listenerset-test-allowed-routes-namespaces"),
        A("HTTP", "route-in-selected-namespace", "ListenerSet listenerset-test-allowed-routes-namespaces",
          ns="gateway-api-routes-allowed-ns", pns=INFRA),
        A("HTTP", "route-not-in-selected-namespace", "ListenerSet listenerset-test-allowed-routes-namespaces",
          ns="gateway-api-routes-not-allowed-ns", pns=INFRA),
        A("HTTP", "route-in-listenerset-namespace", "ListenerSet listenerset-test-allowed-routes-cross-ns",
          ns="gateway-api-ls-cross-ns"),
        F("HTTP", "route-in-gateway-namespace", "ListenerSet listenerset-test-allowed-routes-cross-ns",
          "Accepted", "NotAllowedByListeners", pns="gateway-api-ls-cross-ns")),
    # route-dual-parentref-both: Accepted True on the Gateway and the ListenerSet;
    # route-dual-parentref-one: NoMatchingParent on the Gateway, Accepted True on the ListenerSet.
    "listenerset-dual-parentref-independence": flat(
        A("HTTP", "route-dual-parentref-both", "gateway-dual-parentref,ListenerSet ls-dual-parentref"),
        F("HTTP", "route-dual-parentref-one", "gateway-dual-parentref", "Accepted", "NoMatchingParent"),
        A("HTTP", "route-dual-parentref-one", "ListenerSet ls-dual-parentref")),
    "listenerset-gateway-parent-section-name-not-found": flat(
        A("HTTP", "route-via-listenerset", "ListenerSet listenerset-section-name"),
        F("HTTP", "route-via-gateway", "gateway-section-name", "Accepted", "NoMatchingParent")),
    "tcproute-invalid-backendref-nonexistent": [
        F("TCP", "tcp-route-invalid-backend-ref-nonexistent", "tcp-gateway-invalid-backend", "ResolvedRefs",
          "BackendNotFound")],
    "tcproute-invalid-cross-namespace-backend-ref": flat(
        A("TCP", "tcp-invalid-cross-namespace-backend-ref", "tcp-invalid-cross-namespace-backend-ref-gateway"),
        F("TCP", "tcp-invalid-cross-namespace-backend-ref", "tcp-invalid-cross-namespace-backend-ref-gateway",
          "ResolvedRefs", "RefNotPermitted")),
    "tcproute-invalid-non-tcp-listener": [
        F("TCP", "tcp-route", "tcp-mixed-protocol-gateway", "Accepted", "NotAllowedByListeners")],
    # first accepted with its ReferenceGrant; then the Go deletes ReferenceGrant
    # gateway-conformance-web-backend/tcp-reference-grant and states RefNotPermitted.
    "tcproute-reference-grant": A("TCP", "tcp-reference-grant", "tcp-reference-grant-gateway"),
    "tcproute-reference-grant#without-referencegrant": [
        F("TCP", "tcp-reference-grant", "tcp-reference-grant-gateway", "ResolvedRefs", "RefNotPermitted")],
    "tlsroute-invalid-backendref-nonexistent": flat(
        A("TLS", "invalid-backend-ref-nonexistent", "gateway-tlsroute-invalid-backend-ref-nonexistent"),
        F("TLS", "invalid-backend-ref-nonexistent", "gateway-tlsroute-invalid-backend-ref-nonexistent",
          "ResolvedRefs", "BackendNotFound")),
    "tlsroute-invalid-backendref-unknown-kind": flat(
        A("TLS", "invalid-backend-ref-unknown-kind", "gateway-tlsroute-invalid-backend-ref-unknown-kind"),
        F("TLS", "invalid-backend-ref-unknown-kind", "gateway-tlsroute-invalid-backend-ref-unknown-kind",
          "ResolvedRefs", "InvalidKind")),
    "tlsroute-invalid-no-matching-listener-hostname": [
        F("TLS", "tlsroute-hostname-mismatch-1", "gateway-tls-exact-hostname", "Accepted",
          "NoMatchingListenerHostname"),
        F("TLS", "tlsroute-hostname-mismatch-2", "gateway-tls-wildcard-hostname", "Accepted",
          "NoMatchingListenerHostname")],
    "tlsroute-invalid-no-matching-listener": [
        F("TLS", "tlsroute-not-allowed-protocol-http", "gateway-tlsroute-http-only", "Accepted",
          "NotAllowedByListeners"),
        F("TLS", "tlsroute-not-allowed-protocol-https", "gateway-tlsroute-https-only", "Accepted",
          "NotAllowedByListeners"),
        F("TLS", "tlsroute-no-matching-section-name", "gateway-tlsroute-tls-passthrough-only", "Accepted",
          "NoMatchingParent")],
    # the route is named confsuite.InfrastructureGatewayName = gateway-conformance-infra-test
    "tlsroute-invalid-reference-grant": flat(
        A("TLS", "gateway-conformance-infra-test", "gateway-tlsroute-referencegrant"),
        F("TLS", "gateway-conformance-infra-test", "gateway-tlsroute-referencegrant", "ResolvedRefs",
          "RefNotPermitted")),
    "udproute-invalid-backendref-nonexistent": [
        F("UDP", "udp-route-invalid-backend-ref-nonexistent", "udp-gateway-invalid-backend", "ResolvedRefs",
          "BackendNotFound")],
    "udproute-invalid-cross-namespace-backend-ref": flat(
        A("UDP", "udp-route-invalid-cross-namespace-backend-ref", "udp-gateway-invalid-cross-namespace-backend-ref"),
        F("UDP", "udp-route-invalid-cross-namespace-backend-ref", "udp-gateway-invalid-cross-namespace-backend-ref",
          "ResolvedRefs", "RefNotPermitted")),
    "udproute-not-allowed-by-listeners": [
        F("UDP", "udproute-not-allowed-by-listeners", "udproute-tls-only-gateway", "Accepted",
          "NotAllowedByListeners")],
    # first accepted with ResolvedRefs True; then the Go deletes ReferenceGrant
    # gateway-conformance-app-backend/udp-reference-grant and states RefNotPermitted.
    "udproute-reference-grant": A("UDP", "udp-route-reference-grant", "udp-gateway-reference-grant", rr=True),
    "udproute-reference-grant#without-referencegrant": [
        F("UDP", "udp-route-reference-grant", "udp-gateway-reference-grant", "ResolvedRefs", "RefNotPermitted")],
}

# Objects a variant removes from the test's world: (kind, namespace, name).
VARIANT_DROP = {
    "tcproute-reference-grant#without-referencegrant": [("ReferenceGrant", WEB, "tcp-reference-grant")],
    "udproute-reference-grant#without-referencegrant": [("ReferenceGrant", APP, "udp-reference-grant")],
}

# Tests that only accept routes (drafted by regex, checked by hand; see the notes above).
ACCEPTED: dict[str, list[St]] = {k: flat(*v) for k, v in {
    "backendtlspolicy-conflict-resolution": [
        A("HTTP", "backendtlspolicy-conflict-resolution", "same-namespace", rr=True)],
    "backendtlspolicy-grpcroute": [
        A("GRPC", "backendtlspolicy-grpcroute", "same-namespace"),
        A("GRPC", "backendtlspolicy-grpcroute-cert-mismatch", "same-namespace")],
    "backendtlspolicy-invalid-ca-certificate-ref": [
        A("HTTP", "backendtlspolicy-invalid-ca-certificate-ref", "same-namespace")],
    "backendtlspolicy-invalid-kind": [
        A("HTTP", "backendtlspolicy-invalid-kind-test", "same-namespace")],
    "backendtlspolicy-san": [
        A("HTTP", "backendtlspolicy-san-test", "same-namespace", rr=True)],
    "backendtlspolicy-tlsroute-terminate": [
        A("TLS", "backendtlspolicy-tlsroute-terminate", "gateway-btls-tlsroute-terminate")],
    "backendtlspolicy": [
        A("HTTP", "backendtlspolicy", "same-namespace", rr=True),
        A("HTTP", "backendtlspolicy-reencrypt", "same-namespace-with-https-listener", rr=True)],
    "gateway-http-listener-isolation": [
        A("HTTP", "attaches-to-empty-hostname", "http-listener-isolation", rr=True),
        A("HTTP", "attaches-to-wildcard-example-com", "http-listener-isolation", rr=True),
        A("HTTP", "attaches-to-wildcard-foo-example-com", "http-listener-isolation", rr=True),
        A("HTTP", "attaches-to-abc-foo-example-com", "http-listener-isolation", rr=True),
        A("HTTP", "attaches-to-empty-hostname-with-hostname-intersection",
          "http-listener-isolation-with-hostname-intersection", rr=True),
        A("HTTP", "attaches-to-wildcard-example-com-with-hostname-intersection",
          "http-listener-isolation-with-hostname-intersection", rr=True),
        A("HTTP", "attaches-to-wildcard-foo-example-com-with-hostname-intersection",
          "http-listener-isolation-with-hostname-intersection", rr=True),
        A("HTTP", "attaches-to-abc-foo-example-com-with-hostname-intersection",
          "http-listener-isolation-with-hostname-intersection", rr=True)],
    "gateway-tls-backend-client-certificate": [
        A("HTTP", "gateway-tls-backend-client-certificate", "gateway-tls-backend-client-certificate", rr=True)],
    "gateway-with-clientcertificate-validation-insecure-fallback": [
        A("HTTP", "client-cert-validation-insecure-fallback-test",
          "client-validation-insecure-fallback", rr=True),
        A("HTTP", "client-cert-validation-insecure-fallback-test-no-hostname",
          "client-validation-insecure-fallback", rr=True)],
    "gateway-with-clientcertificate-validation": [
        A("HTTP", "client-certificate-validation-https-test", "client-validation-default", rr=True),
        A("HTTP", "client-certificate-validation-https-test-no-hostname",
          "client-validation-default", rr=True)],
    "grpcroute-exact-method-matching": [A("GRPC", "exact-matching", "same-namespace")],
    "grpcroute-header-matching": [A("GRPC", "grpc-header-matching", "same-namespace")],
    "grpcroute-listener-hostname-matching": [
        A("GRPC", "backend-v1", "grpcroute-listener-hostname-matching"),
        A("GRPC", "backend-v2", "grpcroute-listener-hostname-matching"),
        A("GRPC", "backend-v3", "grpcroute-listener-hostname-matching")],
    "grpcroute-named-rule": [A("GRPC", "grpc-named-rules", "same-namespace")],
    "grpcroute-request-header-modifier": [A("GRPC", "grpc-request-header-modifier", "same-namespace")],
    "grpcroute-weight": [A("GRPC", "weighted-backends", "same-namespace")],
    "httproute-303-redirect": [A("HTTP", "303-redirect", "same-namespace", rr=True)],
    "httproute-307-redirect": [A("HTTP", "307-redirect", "same-namespace", rr=True)],
    "httproute-308-redirect": [A("HTTP", "308-redirect", "same-namespace", rr=True)],
    "httproute-backend-protocol-h2c": [A("HTTP", "backend-protocol-h2c", "same-namespace")],
    "httproute-backend-protocol-websocket": [A("HTTP", "backend-protocol-ws", "same-namespace")],
    "httproute-backend-request-redirect": [A("HTTP", "backend-request-redirect", "same-namespace", rr=True)],
    "httproute-backend-url-rewrite": [A("HTTP", "backend-url-rewrite", "same-namespace", rr=True)],
    "httproute-cors": [
        A("HTTP", "cors-multiple-origins-methods-headers", "same-namespace", rr=True),
        A("HTTP", "cors-wildcard-methods", "same-namespace", rr=True),
        A("HTTP", "cors-wildcard-origin", "same-namespace", rr=True),
        A("HTTP", "cors-wildcard-methods-headers", "same-namespace", rr=True)],
    "httproute-cross-namespace": [
        A("HTTP", "cross-namespace", "backend-namespaces", ns=WEB, pns=INFRA, rr=True)],
    "httproute-exact-path-matching": [A("HTTP", "exact-matching", "same-namespace", rr=True)],
    "httproute-header-matching": [A("HTTP", "header-matching", "same-namespace", rr=True)],
    "httproute-https-listener-detect-misdirected-requests": [
        A("HTTP", "https-listener-detect-misdirected-requests-test-1",
          "same-namespace-with-https-listener", rr=True),
        A("HTTP", "https-listener-detect-misdirected-requests-test-2",
          "same-namespace-with-https-listener", rr=True),
        A("HTTP", "https-listener-detect-misdirected-requests-test-3",
          "same-namespace-with-https-listener", rr=True),
        A("HTTP", "https-listener-detect-misdirected-requests-test-4",
          "same-namespace-with-https-listener", rr=True)],
    "httproute-https-listener": [
        A("HTTP", "httproute-https-test", "same-namespace-with-https-listener", rr=True),
        A("HTTP", "httproute-https-test-no-hostname", "same-namespace-with-https-listener", rr=True)],
    "httproute-listener-hostname-matching": [
        A("HTTP", "backend-v1", "httproute-listener-hostname-matching", rr=True),
        A("HTTP", "backend-v2", "httproute-listener-hostname-matching", rr=True),
        A("HTTP", "backend-v3", "httproute-listener-hostname-matching", rr=True)],
    "httproute-listener-port-matching": [
        A("HTTP", "backend-v1", "httproute-listener-port-matching", rr=True),
        A("HTTP", "backend-v2", "httproute-listener-port-matching", rr=True),
        A("HTTP", "backend-v3", "httproute-listener-port-matching", rr=True)],
    "httproute-matching-across-routes": [
        A("HTTP", "matching-part1", "same-namespace", rr=True),
        A("HTTP", "matching-part2", "same-namespace", rr=True)],
    "httproute-matching": [A("HTTP", "matching", "same-namespace", rr=True)],
    "httproute-method-matching": [A("HTTP", "method-matching", "same-namespace", rr=True)],
    "httproute-multiple-gateways": [
        A("HTTP", "multiple-gateways-shared-route", "all-namespaces,same-namespace", rr=True),
        A("HTTP", "same-namespace-dedicated-route", "same-namespace", rr=True),
        A("HTTP", "all-namespaces-dedicated-route", "all-namespaces", rr=True)],
    "httproute-named-rule": [A("HTTP", "http-named-rules", "same-namespace", rr=True)],
    "httproute-observed-generation-bump": [A("HTTP", "observed-generation-bump", "same-namespace")],
    "httproute-omitted-backendrefs": [A("HTTP", "omitted-backendrefs", "same-namespace")],
    "httproute-path-match-order": [A("HTTP", "path-matching-order", "same-namespace", rr=True)],
    "httproute-query-param-matching": [A("HTTP", "query-param-matching", "same-namespace", rr=True)],
    "httproute-redirect-host-and-status": [A("HTTP", "redirect-host-and-status", "same-namespace", rr=True)],
    "httproute-redirect-path": [A("HTTP", "redirect-path", "same-namespace", rr=True)],
    "httproute-redirect-port-and-scheme": [
        A("HTTP", "http-route-for-listener-on-port-80", "same-namespace", rr=True),
        A("HTTP", "http-route-for-listener-on-port-8080", "same-namespace-with-http-listener-on-8080", rr=True),
        A("HTTP", "http-route-for-listener-on-port-443", "same-namespace-with-https-listener", rr=True)],
    "httproute-redirect-port": [A("HTTP", "redirect-port", "same-namespace", rr=True)],
    "httproute-redirect-scheme": [A("HTTP", "redirect-scheme", "same-namespace", rr=True)],
    "httproute-reference-grant": [A("HTTP", "reference-grant", "same-namespace", rr=True)],
    "httproute-request-header-modifier-backend-weights": [
        A("HTTP", "request-header-modifier-backend-weights", "same-namespace", rr=True)],
    "httproute-request-header-modifier": [A("HTTP", "request-header-modifier", "same-namespace", rr=True)],
    "httproute-request-mirror": [A("HTTP", "request-mirror", "same-namespace", rr=True)],
    "httproute-request-multiple-mirrors": [A("HTTP", "request-multiple-mirrors", "same-namespace", rr=True)],
    "httproute-request-percentage-mirror": [A("HTTP", "request-percentage-mirror", "same-namespace", rr=True)],
    "httproute-response-header-modifier": [A("HTTP", "response-header-modifier", "same-namespace", rr=True)],
    "httproute-retry-connection-error": [A("HTTP", "retries-connection-error", "same-namespace", rr=True)],
    "httproute-retry-with-timeouts": [A("HTTP", "retries-with-timeouts", "same-namespace", rr=True)],
    "httproute-retry": [A("HTTP", "retries", "same-namespace", rr=True)],
    "httproute-rewrite-host": [A("HTTP", "rewrite-host", "same-namespace", rr=True)],
    "httproute-rewrite-path": [A("HTTP", "rewrite-path", "same-namespace", rr=True)],
    "httproute-service-types": [A("HTTP", "service-types", "same-namespace", rr=True)],
    "httproute-simple-same-namespace": [A("HTTP", "gateway-conformance-infra-test", "same-namespace", rr=True)],
    "httproute-timeout-backend-request": [A("HTTP", "backend-request-timeout", "same-namespace", rr=True)],
    "httproute-timeout-request": [A("HTTP", "request-timeout", "same-namespace", rr=True)],
    "httproute-weight": [A("HTTP", "weighted-backends", "same-namespace", rr=True)],
    "listenerset-http-routing": [
        A("HTTP", "attaches-to-all-listeners", "gateway-with-listener-sets-http-routing,"
          "ListenerSet listener-set-http-routing-1,ListenerSet listener-set-http-routing-2"),
        A("HTTP", "gateway-route", "gateway-with-listener-sets-http-routing"),
        A("HTTP", "gateway-section-route", "gateway-with-listener-sets-http-routing"),
        A("HTTP", "listener-set-http-routing-1-route", "ListenerSet listener-set-http-routing-1"),
        A("HTTP", "listener-set-http-routing-1-section-route", "ListenerSet listener-set-http-routing-1"),
        A("HTTP", "listener-set-http-routing-2-route", "ListenerSet listener-set-http-routing-2")],
    "listenerset-route-status-scoped-to-parentref": [
        A("HTTP", "route-parentref-gwonly", "gateway-parentref"),
        A("HTTP", "route-parentref-lsonly", "ListenerSet listenerset-parentref")],
    "tcproute-multiple-routes-attachment": [A("TCP", "tcproute-attach-older", "tcp-multi-route-attach-gateway")],
    "tcproute-parentref-attach-all": [A("TCP", "tcp-route-attach-all", "tcp-attach-all-gateway")],
    "tcproute-parentref-port-and-section-name": [
        A("TCP", "tcp-route-by-port", "tcp-multi-listener-gateway"),
        A("TCP", "tcp-route-by-section", "tcp-multi-listener-gateway"),
        A("TCP", "tcp-route-by-section-and-port", "tcp-multi-listener-gateway")],
    "tcproute-weighted-routing": [A("TCP", "tcp-weighted-route", "tcp-weighted-gateway")],
    "tlsroute-hostname-intersection": [
        A("TLS", "tlsroute-more-specific-wc-hostname-x-1", "gw-tlsroute-exact-hostname-x-1"),
        A("TLS", "tlsroute-exact-hostname-x-2", "gw-tlsroute-more-specific-wc-hostname-x-2"),
        A("TLS", "tlsroute-less-specific-wc-hostname-x-2", "gw-tlsroute-more-specific-wc-hostname-x-2"),
        A("TLS", "tlsroute-exact-hostname-x-3", "gw-tlsroute-less-specific-wc-hostname-x-3"),
        A("TLS", "tlsroute-more-specific-wc-hostname-x-3", "gw-tlsroute-less-specific-wc-hostname-x-3"),
        A("TLS", "tlsroute-exact-hostname-x-4", "gw-tlsroute-empty-hostname-x-4"),
        A("TLS", "tlsroute-less-specific-wc-hostname-x-4", "gw-tlsroute-empty-hostname-x-4")],
    "tlsroute-mixed-termination-same-namespace": [
        A("TLS", "gateway-conformance-mixed-passthroughroute", "gateway-tlsroute-mixed-termination"),
        A("TLS", "gateway-conformance-mixed-terminateroute", "gateway-tlsroute-mixed-termination")],
    "tlsroute-simple-same-namespace": [A("TLS", "gateway-conformance-infra-test", "gateway-tlsroute")],
    "tlsroute-terminate-simple-same-namespace": [A("TLS", "tlsroute-terminated-test", "gateway-tlsroute-terminate")],
    "udproute-multiple-routes-attachment": [A("UDP", "udproute-attach-older", "udp-multi-route-attach-gateway")],
    "udproute-parentref-attach-all-listeners": [A("UDP", "udp-route-attach-all", "udp-attach-all-listeners-gateway")],
    "udproute-parentref-port-and-section-name": [
        A("UDP", "udp-route-by-port", "udp-multi-listener-gateway"),
        A("UDP", "udp-route-by-section", "udp-multi-listener-gateway"),
        A("UDP", "udp-route-by-section-and-port", "udp-multi-listener-gateway")],
    "udproute-simple": [A("UDP", "udp-coredns", "udp-gateway")],
    "udproute-weighted-routing": [A("UDP", "udp-weighted-route", "udp-weighted-gateway")],
}.items()}

# Tests whose manifests hold routes that this script does not judge, and why.
SKIPPED = {
    "backendtlspolicy-observed-generation-bump": "states only BackendTLSPolicy conditions",
    "gateway-modify-listeners": "states only Gateway listener conditions (routes counted as AttachedRoutes)",
    "gateway-with-invalid-clientcertificate-validation": "states only Gateway listener conditions",
    "gateway-invalid-default-frontend-client-certificate-validation": "states only Gateway listener conditions",
    "tlsroute-listener-mixed-termination-not-supported": "states only Gateway listener conditions",
    "tlsroute-listener-passthrough-supported-kinds": "states only Gateway listener conditions (InvalidRouteKinds)",
    "tlsroute-listener-terminate-not-supported": "states only Gateway listener conditions (UnsupportedValue)",
    "tlsroute-listener-terminate-supported-kinds": "states only Gateway listener conditions",
    "listenerset-allowed-routes-supported-kinds": "states only ListenerSet listener conditions",
    "listenerset-hostname-conflict": "states only ListenerSet and listener conditions",
    "listenerset-protocol-conflict": "states only ListenerSet and listener conditions",
    "listenerset-reference-grant": "states only ListenerSet and listener conditions",
    "mesh/*": "mesh tests (Service parents, conformance/mesh/manifests.yaml) state no route condition",
}


def table() -> dict[str, list[St]]:
    out = dict(ACCEPTED)
    out.update(STATED)
    return out


# ---------------------------------------------------------------------------------------------
# The suite side: manifests as text
# ---------------------------------------------------------------------------------------------


class SuiteError(Exception):
    pass


def locate(root: Path) -> Path:
    for base in (root / "conformance", root):
        if (base / "tests").is_dir() and (base / "base" / "manifests.yaml").is_file():
            return base
    raise SuiteError(f"{root} holds no conformance/tests and conformance/base/manifests.yaml")


def manifests_of(conf: Path, test: str) -> list[Path]:
    go = conf / "tests" / f"{test}.go"
    src = go.read_text()
    m = re.search(r"Manifests:\s*\[\]string\{(.*?)\}", src, re.S)
    if not m:
        raise SuiteError(f"{go} has no Manifests list")
    files = re.findall(r'"([^"]+\.yaml)"', m.group(1))
    if not files:
        raise SuiteError(f"{go}: Manifests names no YAML")
    return [conf / f for f in files]


DOC_SPLIT = re.compile(r"(?m)^---[^\n]*\n")


def split_docs(text: str) -> list[str]:
    return [d for d in DOC_SPLIT.split(text) if re.search(r"(?m)^kind:", d)]


def doc_meta(doc: str) -> tuple[str, str, str]:
    kind = re.search(r"(?m)^kind:\s*[\"']?([\w.-]+)", doc)
    md = re.search(r"(?ms)^metadata:\s*\n((?:[ \t]+[^\n]*\n?|\s*#[^\n]*\n|\s*\n)*)", doc)
    name = ns = ""
    if md:
        ind = re.match(r"[ \t]*", md.group(1)).group(0)
        n = re.search(rf"(?m)^{ind}name:\s*[\"']?([^\"'\s#]+)", md.group(1))
        s = re.search(rf"(?m)^{ind}namespace:\s*[\"']?([^\"'\s#]+)", md.group(1))
        name, ns = (n.group(1) if n else ""), (s.group(1) if s else "")
    return (kind.group(1) if kind else ""), ns, name


def substitute(text: str) -> str:
    for k, v in TEMPLATES.items():
        text = text.replace(k, v)
    return text


def label_namespace(doc: str) -> str:
    """Add kubernetes.io/metadata.name to a Namespace, as the API server does."""
    kind, _, name = doc_meta(doc)
    if kind != "Namespace" or not name or "kubernetes.io/metadata.name" in doc:
        return doc
    m = re.search(r"(?m)^  labels:[ \t]*\n", doc)
    if m:
        return doc[: m.end()] + f"    kubernetes.io/metadata.name: {name}\n" + doc[m.end():]
    m = re.search(r"(?m)^metadata:[ \t]*\n", doc)
    if not m:
        return doc
    return doc[: m.end()] + f"  labels:\n    kubernetes.io/metadata.name: {name}\n" + doc[m.end():]


@dataclass
class World:
    files: dict[str, str]  # file name -> text
    docs: dict[tuple[str, str, str], str]  # (kind, namespace, name) -> document text
    routes: list[tuple[str, str, str]]


def build_world(conf: Path, test: str, drop: list[tuple[str, str, str]]) -> World:
    files, docs, routes = {}, {}, []
    sources = [conf / "base" / "manifests.yaml"] + manifests_of(conf, test)
    for i, src in enumerate(sources):
        kept = []
        for d in split_docs(substitute(src.read_text())):
            kind, ns, name = doc_meta(d)
            if (kind, ns, name) in drop:
                continue
            d = label_namespace(d)
            kept.append(d if d.endswith("\n") else d + "\n")
            docs[(kind, ns, name)] = d
            if kind in ROUTE_KINDS:
                routes.append((kind, ns, name))
        files[f"{i:02d}-{src.name}"] = "---\n".join(kept)
    return World(files, docs, routes)


def routes_in_manifests(conf: Path, test: str) -> list[tuple[str, str, str]]:
    out = []
    for src in manifests_of(conf, test):
        for d in split_docs(src.read_text()):
            meta = doc_meta(d)
            if meta[0] in ROUTE_KINDS:
                out.append(meta)
    return out


# ---------------------------------------------------------------------------------------------
# The ambient-lint side
# ---------------------------------------------------------------------------------------------


@dataclass
class Claim:
    test: str
    route: tuple[str, str, str]
    code: str
    path: str
    line: int
    file: str
    message: str


@dataclass
class LintRun:
    claims: list[Claim] = field(default_factory=list)
    failed: str | None = None
    unplaced: int = 0


def run_lint(binary: str, test: str, world_dir: Path) -> LintRun:
    cmd = [binary, "check", "--no-config", "--assume-complete", "--format", "json", str(world_dir)]
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
        if route[0] not in ROUTE_KINDS:
            run.unplaced += 1
            continue
        run.claims.append(Claim(test, route, f["code"], f.get("path") or "", f.get("line") or 0,
                                Path(f.get("file") or "").name, f.get("message", "")))
    return run


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------


def codes_for(reason: str, ctype: str) -> tuple[str, ...]:
    if reason == ANY:
        return ANY_RESOLVED_CODES if ctype == "ResolvedRefs" else ACCEPTED_CODES
    return REASON_CODES.get(reason, ())


def row_name(reason: str, ctype: str) -> str:
    return f"(any {ctype} reason)" if reason == ANY else reason


def backend_kinds(doc: str) -> list[str]:
    """Kinds named under backendRefs in a route document (text heuristics, for causes only)."""
    out = set()
    for block in re.findall(r"(?ms)^(\s*)backendRefs:\s*\n(.*?)(?=^\1\S|\Z)", doc):
        for k in re.findall(r"(?m)^\s*-?\s*kind:\s*[\"']?([\w.-]+)", block[1]):
            if k != "Service":
                out.add(k)
    return sorted(out)


def named_reasons(message: str) -> list[str]:
    """The status reasons a finding's message names (AL405 and AL406 say which one istiod writes)."""
    return [r for r in REASON_CODES if re.search(rf"\b{r}\b", message)]


def miss_cause(s: St, doc: str, mine: list[Claim], seen_kinds: set[str], seen_codes: set[str]) -> str:
    codes = codes_for(s.reason, s.ctype)
    if not codes:
        return f"no rule for {s.reason}"
    if s.kind not in seen_kinds:
        return f"{s.kind}: no finding on any {s.kind} in the run (route kind not read yet?)"
    if not any(c in seen_codes for c in codes):
        return f"{'/'.join(codes)}: no finding of this code in the whole run (rule not in this binary?)"
    if s.ctype == "Accepted" and s.parent.startswith("ListenerSet "):
        return "ListenerSet parent"
    if s.ctype == "ResolvedRefs":
        kinds = backend_kinds(doc)
        if kinds:
            return f"backendRef of kind {', '.join(kinds)}"
    if mine:
        return f"we report {', '.join(sorted({c.code for c in mine}))} instead"
    return f"{'/'.join(codes)} silent"


def extra_cause(c: Claim, stated: list[St]) -> str:
    falses = [s for s in stated if s.status == "False"]
    if c.code in ACCEPTED_CODES:
        same = sorted({row_name(s.reason, s.ctype) for s in falses if s.ctype == "Accepted"})
        if same:
            return f"suite states {', '.join(same)} instead"
        if any(s.ctype == "Accepted" and s.status == "True" for s in stated):
            return "suite states Accepted=True"
        return "suite states only ResolvedRefs"
    same = sorted({row_name(s.reason, s.ctype) for s in falses if s.ctype == "ResolvedRefs"})
    if same:
        return f"suite states {', '.join(same)} instead"
    if any(s.ctype == "ResolvedRefs" and s.status == "True" for s in stated):
        return "suite states ResolvedRefs=True"
    if falses:
        return (f"suite states only {', '.join(sorted({s.reason for s in falses}))} "
                f"(it asserts no ResolvedRefs condition on this route)")
    return "suite states Accepted=True only (traffic must reach the backends)"


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


def cmd_compare(conf: Path, binary: str, only: list[str] | None, verbose: bool) -> int:
    tab = table()
    names = sorted(tab)
    if only:
        unknown = [n for n in only if n not in tab and not any(k.split("#")[0] == n for k in tab)]
        if unknown:
            print(f"not in the table: {', '.join(unknown)}", file=sys.stderr)
            return 2
        names = [n for n in names if n in only or n.split("#")[0] in only]
    # Istio skips the UDPRoute feature in its own conformance runs (istio
    # pilot/pkg/config/kube/gateway/supported_features.go: "Istio does not support UDPRoute"), so
    # under the Istio class what holds for these tests is that no UDPRoute is accepted. They are
    # linted, and counted apart from the table.
    def needs_udp(test: str) -> bool:
        go = conf / "tests" / f"{test.split('#')[0]}.go"
        return go.exists() and "features.SupportUDPRoute" in go.read_text()
    udp_names = [n for n in names if needs_udp(n)]
    runs: dict[str, tuple[LintRun, World]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gwconf-") as tmp:
        for name in names:
            test = name.split("#")[0]
            drop = VARIANT_DROP.get(name, [])
            world = build_world(conf, test, drop)
            if drop:
                present = build_world(conf, test, []).docs
                problems += [f"{name}: {d} to drop is not in the manifests" for d in drop if d not in present]
            routes = set(world.routes)
            for s in tab[name]:
                if (s.kind, s.ns, s.name) not in routes:
                    problems.append(f"{name}: the table names {s.kind} {s.ns}/{s.name}, not in its manifests")
            wdir = Path(tmp) / name.replace("#", "_")
            wdir.mkdir()
            for fname, text in world.files.items():
                (wdir / fname).write_text(text)
            runs[name] = (run_lint(binary, name, wdir), world)

    seen_kinds = {c.route[0] for r, _ in runs.values() for c in r.claims}
    seen_codes = {c.code for r, _ in runs.values() for c in r.claims}
    rows: dict[str, Tally] = collections.defaultdict(Tally)
    misses: list[tuple[str, St, str, list[Claim]]] = []
    extras: list[tuple[Claim, str]] = []
    others: list[Claim] = []  # AL408
    unjudged: list[Claim] = []  # findings on routes the suite states nothing about
    failed: list[tuple[str, str]] = []
    renamed: list[tuple[str, tuple, str, list[str], Claim]] = []  # agreed code, other reason named
    accepted_routes = accepted_clean = 0
    accepted_noisy: list[tuple[str, tuple, list[str]]] = []
    unplaced = 0
    udp_routes = udp_refused = 0
    udp_other: list[Claim] = []
    for name in udp_names:
        run, world = runs[name]
        for route in world.routes:
            if route[0] != "UDPRoute":
                continue
            udp_routes += 1
            if any(c.route == route and c.code == "AL405" for c in run.claims):
                udp_refused += 1
        udp_other += [c for c in run.claims if c.code != "AL405"]
    names = [n for n in names if n not in udp_names]
    for name in names:
        run, world = runs[name]
        if run.failed:
            failed.append((name, run.failed))
            continue
        unplaced += run.unplaced
        stated = tab[name]
        by_route: dict[tuple, list[St]] = collections.defaultdict(list)
        for s in stated:
            by_route[(s.kind, s.ns, s.name)].append(s)
        ours: dict[tuple, list[Claim]] = collections.defaultdict(list)
        for c in run.claims:
            if c.code in OTHER_CODES:
                others.append(c)
            elif c.route not in by_route:
                unjudged.append(c)
            else:
                ours[(c.route, c.code)].append(c)
        # the suite's statements, one per (route, condition type, reason)
        for route, ss in by_route.items():
            keys = {(s.ctype, s.reason) for s in ss if s.status == "False"}
            for ctype, reason in sorted(keys):
                t = rows[row_name(reason, ctype)]
                t.stated += 1
                if any(ours.get((route, c)) for c in codes_for(reason, ctype)):
                    t.agreed += 1
                    if reason != ANY:
                        named = {r for c in codes_for(reason, ctype) for cl in ours.get((route, c), [])
                                 for r in named_reasons(cl.message)}
                        if named and reason not in named:
                            cl = next(cl for c in codes_for(reason, ctype) for cl in ours.get((route, c), []))
                            renamed.append((name, route, reason, sorted(named), cl))
                else:
                    t.missed += 1
                    mine = [c for (r, _), cs in ours.items() if r == route for c in cs]
                    s = next(x for x in ss if x.ctype == ctype and x.reason == reason and x.status == "False")
                    misses.append((name, s, miss_cause(s, world.docs.get(route, ""), mine, seen_kinds, seen_codes),
                                   mine))
            if any(s.ctype == "Accepted" and s.status == "True" for s in ss) and not keys:
                accepted_routes += 1
                codes = sorted({c for (r, c) in ours if r == route})
                if codes:
                    accepted_noisy.append((name, route, codes))
                else:
                    accepted_clean += 1
            # ours
            for code in sorted({c for (r, c) in ours if r == route}):
                hit = [(ct, rs) for ct, rs in keys if code in codes_for(rs, ct)]
                row = row_name(hit[0][1], hit[0][0]) if hit else CODE_REASONS[code][0]
                t = rows[row]
                t.reported += 1
                if not hit:
                    t.extra += 1
                    extras.append((ours[(route, code)][0], extra_cause(ours[(route, code)][0], ss)))

    tests = sorted({n.split("#")[0] for n in names})
    print(f"## ambient-lint AL404-AL409 against the Gateway API conformance suite ({len(tests)} tests, "
          f"{len(names)} worlds, suite {SUITE_COMMIT[:12]})\n")
    udp_tests = sorted({n.split("#")[0] for n in udp_names})
    print(f"UDPRoute tests set apart: {len(udp_tests)} tests ({len(udp_names)} worlds). Istio does not "
          f"support UDPRoute and skips them in its own conformance runs (istio supported_features.go); "
          f"under the Istio class no UDPRoute is accepted. AL405 says so on {udp_refused} of their "
          f"{udp_routes} UDPRoutes; other findings there: {len(udp_other)}"
          + (f" ({', '.join(sorted({c.code for c in udp_other}))})" if udp_other else "") + ".\n")
    print("| suite reason | rule | suite states | we report | agreed | missed | extra |")
    print("|---|---|---:|---:|---:|---:|---:|")
    order = list(REASON_CODES) + sorted(r for r in rows if r not in REASON_CODES)
    tot, tot_all = Tally(), Tally()
    for reason in order:
        t = rows.get(reason, Tally())
        rule = ", ".join(REASON_CODES.get(reason, ()))
        if reason.startswith("(any ResolvedRefs"):
            rule = "any of " + ", ".join(ANY_RESOLVED_CODES)
        elif reason.startswith("(any Accepted"):
            rule = "any of " + ", ".join(ACCEPTED_CODES)
        if rule:
            for k in vars(tot):
                setattr(tot, k, getattr(tot, k) + getattr(t, k))
        tot_all.stated += t.stated
        print(f"| {reason} | {rule or 'no rule'} | {t.stated} | {t.reported if rule else '—'} | {t.agreed} | "
              f"{t.missed} | {t.extra if rule else '—'} |")
    print(f"| **total (reasons with a rule)** | | **{tot.stated}** | **{tot.reported}** | **{tot.agreed}** | "
          f"**{tot.missed}** | **{tot.extra}** |")
    print(f"| total (every reason) | | {tot_all.stated} | | | {tot.missed + tot_all.stated - tot.stated} | |")
    print("\nCounted per (test world, route, reason) for the suite and per (test world, route, code) for "
          "ambient-lint; AL405 agrees with NotAllowedByListeners and NoMatchingListenerHostname.")
    print(f"Routes the suite only accepts: {accepted_routes}; with no AL404-AL409 finding: {accepted_clean}.")
    print(f"Agreed on the code, but our message names another reason: {len(renamed)}.")
    print(f"Other findings on routes the suite judges (AL408, no status reason): {len(others)}.")
    print(f"AL404-AL409 findings on routes the suite states nothing about: {len(unjudged)}; "
          f"on no route: {unplaced}.")
    for title, items in (("Missed, by likely cause", [m[2] for m in misses]),
                         ("Extra, by likely cause", [f"{e[0].code}: {e[1]}" for e in extras])):
        if items:
            print(f"\n{title}:\n")
            print("| cause | count |")
            print("|---|---:|")
            for cause, n in sorted(collections.Counter(items).items(), key=lambda x: (-x[1], x[0])):
                print(f"| {cause} | {n} |")
    if renamed:
        print("\nAgreed on the code, but the message names another reason:\n")
        for name, route, reason, named, c in renamed:
            print(f"- {name} {rname(route)}: suite {reason}, our {c.code} names {', '.join(named)}")
    if others:
        print("\nAL408 findings (a Service port the Service does not expose; counted apart):\n")
        for c in sorted(others, key=lambda c: (c.test, c.route)):
            print(f"- {c.test} {rname(c.route)} at {c.path}: \"{short(c.message)}\"")
    if unjudged:
        print("\nFindings on routes the suite states nothing about:\n")
        for c in sorted(unjudged, key=lambda c: (c.test, c.route, c.code)):
            print(f"- {c.test} {rname(c.route)} {c.code} at {c.path}: \"{short(c.message)}\"")
    # tests with routes that the table does not cover
    uncovered = []
    for go in sorted((conf / "tests").glob("*.go")):
        t = go.stem
        if t == "main" or t in tests or t in SKIPPED or only:
            continue
        try:
            if routes_in_manifests(conf, t):
                uncovered.append(t)
        except SuiteError:
            continue
    print("\nSkipped tests (their manifests hold routes, but they state no route condition):\n")
    for t, why in sorted(SKIPPED.items()):
        print(f"- {t}: {why}")
    if uncovered:
        print(f"\nTests with routes that the table does not cover (a newer suite?): {', '.join(uncovered)}")
    if problems:
        print("\nTable problems:\n")
        for p in problems:
            print(f"- {p}")
    if failed:
        print("\nWorlds ambient-lint failed on:\n")
        for name, why in failed:
            print(f"- {name}: {why}")
    if verbose:
        print("\n### Missed (the suite states it, ambient-lint does not)\n")
        for name, s, cause, mine in sorted(misses, key=lambda x: (x[1].reason, x[0], x[1].name)):
            we = ", ".join(sorted({c.code for c in mine})) or "nothing"
            print(f"- {name} {s.kind} {s.ns}/{s.name} [{s.parent}] {s.ctype}=False "
                  f"{s.reason or '(any reason)'}; we report {we} ({cause})")
        print("\n### Extra (ambient-lint claims it, the suite does not)\n")
        for c, cause in sorted(extras, key=lambda x: (x[0].code, x[0].test, x[0].route)):
            print(f"- {c.test} {rname(c.route)} {c.code} at {c.path}: \"{short(c.message)}\"; {cause}")
        if accepted_noisy:
            print("\n### Routes the suite only accepts, with findings\n")
            for name, route, codes in accepted_noisy:
                print(f"- {name} {rname(route)}: {', '.join(codes)}")
    return 0


def cmd_emit(conf: Path, name: str, outdir: Path) -> int:
    world = build_world(conf, name.split("#")[0], VARIANT_DROP.get(name, []))
    outdir.mkdir(parents=True, exist_ok=True)
    for fname, text in world.files.items():
        (outdir / fname).write_text(text)
        print(outdir / fname)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite-dir", type=Path, required=True,
                        help="the suite extracted outside this repo (holding conformance/tests, conformance/base)")
    parser.add_argument("--ambient-lint", default="target/release/ambient-lint", help="the binary to compare")
    parser.add_argument("--only", action="append", metavar="TEST", help="compare only this test (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="list every miss and every extra")
    parser.add_argument("--emit-world", nargs=2, metavar=("TEST", "OUTDIR"),
                        help="write the world linted for TEST (or TEST#variant) into OUTDIR")
    args = parser.parse_args(argv)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        conf = locate(args.suite_dir)
        if args.emit_world:
            return cmd_emit(conf, args.emit_world[0], Path(args.emit_world[1]))
        return cmd_compare(conf, args.ambient_lint, args.only, args.verbose)
    except (SuiteError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
