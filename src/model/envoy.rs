//! Envoy proxies among the workloads. Istio gateways (Gateway API `istio`-class pods, Deployments
//! of the `istio/gateway` chart, classic `istio: ingressgateway` pods) and pods with a sidecar
//! apply selector, namespace-wide and root-namespace policies themselves, L7 fields and JWTs
//! included: ztunnel's limits do not apply to them. Waypoints are Envoy too, but apply only
//! `targetRefs` policies (istio `pilot/pkg/model/policyattachment.go` `ShouldAttachPolicy`).

use crate::finding::Location;

use super::resources::Workload;
use super::selector::{GATEWAY_POD_LABELS, is_gateway_pod_label};
use super::{Dataplane, Model, injection_enabled};

pub const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvoyKind {
    /// The pod is the proxy: an ingress, egress or east-west gateway.
    Gateway,
    /// An application pod with an injected sidecar.
    Sidecar,
}

/// Why a workload's pods run Envoy, and where the input says so.
#[derive(Clone, Debug)]
pub struct EnvoyWorkload {
    pub kind: EnvoyKind,
    /// For a message: "its pods are labelled `istio: ingressgateway`".
    pub why: String,
    pub at: Location,
}

/// Whether a container image is Istio's proxy (`…/proxyv2:<tag>`), or `auto`, which the
/// injector replaces with it.
fn proxy_image(image: &str) -> bool {
    let base = image.rsplit('/').next().unwrap_or(image);
    let name = base.split([':', '@']).next().unwrap_or(base);
    name == "proxyv2" || image == "auto"
}

impl Model {
    /// Whether this workload's pods run Envoy (a gateway or a sidecar), and why. Such pods
    /// enforce the Istio policies that select them, whatever their `dataplane-mode` says.
    pub fn envoy_workload(&self, w: &Workload) -> Option<EnvoyWorkload> {
        let labels = w.pod_labels_path();
        let at_label = |key: &str| Location::field(w.meta.object, labels.key(key));
        for key in GATEWAY_POD_LABELS {
            if let Some(v) = w.pod_label(key) {
                return Some(EnvoyWorkload {
                    kind: EnvoyKind::Gateway,
                    why: format!("its pods are the gateway `{v}` (`{key}`)"),
                    at: at_label(key),
                });
            }
        }
        for key in ["istio", "app"] {
            if let Some(v) = w.pod_label(key).filter(|v| is_gateway_pod_label(key, v)) {
                return Some(EnvoyWorkload {
                    kind: EnvoyKind::Gateway,
                    why: format!("its pods are labelled `{key}: {v}`, an Istio gateway"),
                    at: at_label(key),
                });
            }
        }
        let proxy = w.containers.iter().find_map(|c| {
            c.image
                .as_ref()
                .filter(|i| proxy_image(&i.value) && (i.value != "auto" || c.name == "istio-proxy"))
        });
        if let Some(image) = proxy {
            let only_proxy = w.containers.iter().all(|c| {
                c.image.as_ref().is_some_and(|i| proxy_image(&i.value)) || c.name == "istio-proxy"
            });
            return Some(EnvoyWorkload {
                kind: if only_proxy {
                    EnvoyKind::Gateway
                } else {
                    EnvoyKind::Sidecar
                },
                why: format!("its pods run the Istio proxy (`image: {}`)", image.value),
                at: Location::field(w.meta.object, image.path.clone()),
            });
        }
        if self.workload_dataplane(w) != Dataplane::Sidecar {
            return None;
        }
        if w.pod_label(SIDECAR_INJECT) == Some("true") {
            return Some(EnvoyWorkload {
                kind: EnvoyKind::Sidecar,
                why: format!("its pods get a sidecar (`{SIDECAR_INJECT}: \"true\"`)"),
                at: at_label(SIDECAR_INJECT),
            });
        }
        let ns = self
            .namespace(&w.meta.namespace)
            .filter(|ns| injection_enabled(&ns.labels))?;
        Some(EnvoyWorkload {
            kind: EnvoyKind::Sidecar,
            why: format!(
                "its pods get a sidecar (namespace `{}` has sidecar injection)",
                ns.name
            ),
            at: Location::field(ns.object, "metadata.labels"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Inputs;
    use crate::model::ModelOptions;

    #[test]
    fn gateways_and_sidecars_are_envoy() {
        let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-ingress}
spec:
  template:
    metadata: {labels: {istio: ingressgateway, istio.io/dataplane-mode: none}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: egress, namespace: istio-egress}
spec:
  template:
    metadata: {labels: {app: egress}}
    spec: {containers: [{name: proxy, image: docker.io/istio/proxyv2:1.24.0}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  template:
    metadata: {labels: {app: app, sidecar.istio.io/inject: \"true\"}}
    spec: {containers: [{name: app, image: app}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain, namespace: shop}
spec:
  template:
    metadata: {labels: {app: plain}}
    spec: {containers: [{name: app, image: proxyv2-lookalike/app}]}
";
        let inputs = Inputs::from_texts([("m.yaml", text)]);
        let m = Model::build(&inputs, ModelOptions::default());
        let kinds: Vec<Option<EnvoyKind>> = m
            .workloads
            .iter()
            .map(|w| m.envoy_workload(w).map(|e| e.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                Some(EnvoyKind::Gateway),
                Some(EnvoyKind::Gateway),
                Some(EnvoyKind::Sidecar),
                None
            ]
        );
    }
}
