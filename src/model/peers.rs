//! Which pods a NetworkPolicy peer selects (docs/platform.md §8): `namespaceSelector` and
//! `podSelector` in one peer are ANDed, a lone `podSelector` means the policy's namespace, an
//! `ipBlock` says nothing about pods.

use super::Model;
use super::resources::{Peer, Workload};

impl Model {
    /// Whether `peer`, written in a policy of `policy_namespace`, selects the pods of `w`. None
    /// when the input cannot tell: an `ipBlock`, or a namespace selector on labels of a namespace
    /// that has no Namespace object in the input.
    pub fn peer_selects(&self, policy_namespace: &str, peer: &Peer, w: &Workload) -> Option<bool> {
        let Peer::Pods {
            namespace_selector,
            pod_selector,
            ..
        } = peer
        else {
            return None;
        };
        let namespace_ok = match namespace_selector {
            None => w.meta.namespace == policy_namespace,
            Some(sel) => {
                let (labels, complete) = self.namespace_labels(&w.meta.namespace);
                let only_name = sel
                    .match_labels
                    .iter()
                    .map(|(k, _)| k)
                    .chain(sel.expressions.iter().map(|r| &r.key))
                    .all(|k| k == super::METADATA_NAME);
                if !complete && !only_name {
                    return None;
                }
                sel.matches(&labels)
            }
        };
        Some(
            namespace_ok
                && pod_selector
                    .as_ref()
                    .is_none_or(|s| s.matches(&w.pod_labels)),
        )
    }
}
