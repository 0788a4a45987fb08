use crate::finding::{Finding, Location, Severity};
use crate::load::node::FieldPath;
use crate::model::{DATAPLANE_MODE, qualified};
use crate::rules::{Context, Rule, finding};

pub static RULE: Rule = Rule {
    code: "AL101",
    name: "sidecar-and-ambient-labels",
    severity: Severity::Error,
    summary: "a namespace or pod template asks for ambient and for sidecar injection: pods get a sidecar and leave ambient",
    doc: include_str!("../../../rules/AL101-sidecar-and-ambient-labels.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

const HELP: &str = "choose one data plane: remove `istio-injection`/`istio.io/rev` (and `sidecar.istio.io/inject`) to run in ambient, or remove `istio.io/dataplane-mode: ambient` to keep sidecars";

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let labels = FieldPath::new("metadata.labels");
    for ns in &ctx.model.namespaces {
        if ns.label(DATAPLANE_MODE) != Some("ambient") {
            continue;
        }
        // `istio.io/rev` injects only where `istio-injection` is absent (docs/platform.md §1).
        if !crate::model::injection_enabled(&ns.labels) {
            continue;
        }
        let injection = if ns.label("istio-injection").is_some() {
            "istio-injection"
        } else {
            "istio.io/rev"
        };
        out.push(
            finding(
                &RULE,
                Location::field(ns.object, labels.key(injection)),
                format!(
                    "namespace `{}` is labelled for ambient and for sidecar injection (`{injection}`): the injector ignores `dataplane-mode`, so its pods get a sidecar and are left out of ambient",
                    ns.name
                ),
            )
            .help(HELP)
            .related(Location::field(ns.object, labels.key(DATAPLANE_MODE)), "asks for ambient"),
        );
    }
    for w in &ctx.model.workloads {
        if w.pod_label(DATAPLANE_MODE) != Some("ambient") {
            continue;
        }
        let inject = w.pod_label("sidecar.istio.io/inject");
        let ns_injects =
            ctx.model.namespace_dataplane(&w.meta.namespace) == crate::model::Dataplane::Sidecar;
        if !(inject == Some("true") || (ns_injects && inject != Some("false"))) {
            continue;
        }
        let tlabels = w.pod_labels_path();
        let why = if inject == Some("true") {
            "its pods ask for a sidecar (`sidecar.istio.io/inject: \"true\"`)"
        } else {
            "its namespace injects sidecars"
        };
        out.push(
            finding(
                &RULE,
                Location::field(w.meta.object, tlabels.key(DATAPLANE_MODE)),
                format!(
                    "the pod template of {} `{}` asks for ambient but {why}: pods with a sidecar are left out of ambient",
                    w.kind,
                    qualified(Some(&w.meta.namespace), &w.meta.name)
                ),
            )
            .help(HELP),
        );
    }
}
