use super::reach;
use crate::finding::{Finding, Location, Severity};
use crate::model::qualified;
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL216",
    name: "peerauthentication-disable-in-ambient",
    severity: Severity::Warning,
    summary: "`mtls.mode: DISABLE` is not supported in ambient and behaves as PERMISSIVE",
    doc: include_str!("../../../rules/AL216-peerauthentication-disable-in-ambient.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let model = ctx.model;
    for pa in &model.peer_authentications {
        let r = reach(model, &pa.meta, pa.selector.as_ref());
        if !r.ambient {
            ctx.unjudged_scope(&pa.meta, pa.selector.as_ref());
            continue;
        }
        // Sidecars and gateways in scope do disable mTLS: the finding is about ambient pods.
        let envoy = r.envoy.as_ref().map_or(String::new(), |(what, _)| {
            format!(" (Envoy in {what} does disable it)")
        });
        let modes = pa
            .mode
            .iter()
            .map(|m| (None, m))
            .chain(pa.port_modes.iter().map(|(p, m)| (Some(p), m)));
        for (port, mode) in modes {
            if mode.value != "DISABLE" {
                continue;
            }
            let scope = port.map_or(String::new(), |p| format!(" on port {p}"));
            out.push(r.relate(
                finding(
                    &RULE,
                    Location::field(pa.meta.object, mode.path.clone()),
                    format!(
                        "mTLS is disabled{scope} by PeerAuthentication `{}`, which ambient does not support: for ambient workloads ztunnel treats it as PERMISSIVE, so mesh traffic stays mTLS and plaintext is accepted too{envoy}",
                        qualified(Some(&pa.meta.namespace), &pa.meta.name)
                    ),
                )
                .help("use PERMISSIVE to accept plaintext from outside the mesh (what DISABLE does here anyway), or opt the pods out of ambient with `istio.io/dataplane-mode: none`"),
            ));
        }
    }
}
