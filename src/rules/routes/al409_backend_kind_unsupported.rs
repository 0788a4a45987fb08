use super::{BackendKind, backend_kind, lost_traffic, reference_granted};
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL409",
    name: "backend-kind-unsupported",
    severity: Severity::Error,
    summary: "a route istiod judges refers to a backend kind Istio does not support (or an XBackend of another type): ResolvedRefs=False, InvalidKind",
    doc: include_str!("../../../rules/AL409-backend-kind-unsupported.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for route in ctx.routes() {
        // Another implementation may support the kind: only routes istiod judges.
        let file = ctx.path_of(route.meta.object);
        if route.istio != Some(true) || route.udp_ignored_by_istio() {
            continue;
        }
        let enforced = route.enforces_grants(model, file);
        for b in &route.backend_refs {
            // istiod checks the ReferenceGrant first: without one the reason is RefNotPermitted
            // (AL407).
            if enforced && !reference_granted(model, route, b, true) {
                continue;
            }
            let lost = lost_traffic(route.kind, b);
            let group = if b.group.is_empty() {
                "\"\""
            } else {
                b.group.as_str()
            };
            match backend_kind(b) {
                BackendKind::Unsupported => out.push(
                    finding(
                        &RULE,
                        Location::field(route.meta.object, b.path.clone()),
                        format!(
                            "istiod does not support backendRefs of group {group} kind `{}`: it drops the backend and marks the {} ResolvedRefs=False (InvalidKind); {lost}",
                            b.kind, route.kind
                        ),
                    )
                    .help("refer to a Service (group \"\"), a ServiceEntry host (group networking.istio.io, kind Hostname), a ServiceImport or an InferencePool; a ServiceEntry is named by its host with kind `Hostname`, not by kind `ServiceEntry`"),
                ),
                BackendKind::XBackend => {
                    let Some(x) = model
                        .x_backends
                        .iter()
                        .find(|x| x.meta.namespace == b.namespace && x.meta.name == b.name)
                    else {
                        continue; // AL406
                    };
                    if x.backend_type == "ExternalHostname" && x.hostname.is_some() {
                        continue;
                    }
                    out.push(
                        finding(
                            &RULE,
                            Location::field(route.meta.object, b.path.clone()),
                            format!(
                                "backend XBackend `{}` is of type `{}`; istiod serves only type ExternalHostname with `externalHostname` set, so it drops the backend and marks the {} ResolvedRefs=False (InvalidKind); {lost}",
                                qualified(Some(&b.namespace), &b.name),
                                x.backend_type,
                                route.kind
                            ),
                        )
                        .help("give the XBackend `type: ExternalHostname` and `externalHostname.hostname`")
                        .related(Location::field(x.meta.object, "spec"), "the XBackend"),
                    );
                }
                _ => {}
            }
        }
    }
}
