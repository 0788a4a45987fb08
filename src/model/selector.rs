//! Kubernetes label selectors: `matchLabels` plus `matchExpressions`.

use crate::intern::Atom;
use crate::load::node::{FieldPath, Node};

use super::reader::Reader;

/// Labels are short (63 characters at most) and recur across objects: interned.
pub type Labels = Vec<(Atom, Atom)>;

/// Annotation values are free text, some of it long (a JSON document): kept as read.
pub type Annotations = Vec<(Atom, String)>;

pub fn label<'a, V: AsRef<str>>(labels: &'a [(Atom, V)], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_ref())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
    pub path: FieldPath,
}

#[derive(Clone, Debug)]
pub struct LabelSelector {
    pub match_labels: Labels,
    pub expressions: Vec<Requirement>,
    pub path: FieldPath,
}

impl LabelSelector {
    /// An empty selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| label(labels, k) == Some(v.as_str()))
            && self.expressions.iter().all(|r| {
                let v = label(labels, &r.key);
                match r.operator {
                    Operator::In => v.is_some_and(|v| r.values.iter().any(|x| x == v)),
                    Operator::NotIn => v.is_none_or(|v| !r.values.iter().any(|x| x == v)),
                    Operator::Exists => v.is_some(),
                    Operator::DoesNotExist => v.is_none(),
                }
            })
    }

    /// Values the selector requires for `key`: from matchLabels, or a single-key `In`.
    pub fn required_values(&self, key: &str) -> Vec<(String, FieldPath)> {
        let mut out: Vec<(String, FieldPath)> = self
            .match_labels
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| (v.to_string(), self.path.key("matchLabels").key(key)))
            .collect();
        for r in &self.expressions {
            if r.key == key && r.operator == Operator::In {
                out.extend(
                    r.values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.clone(), r.path.key("values").index(i))),
                );
            }
        }
        out
    }

    /// Reads a `metav1.LabelSelector` (matchLabels / matchExpressions).
    pub fn read(r: &mut Reader, node: Option<Node<'_>>, path: &FieldPath) -> Option<LabelSelector> {
        let node = r.map(node, path)?;
        let match_labels = r.string_map(node.get("matchLabels"), &path.key("matchLabels"));
        let mut expressions = Vec::new();
        for (n, p) in r.items(node, "matchExpressions", path) {
            if r.map(Some(n), &p).is_none() {
                continue;
            }
            let key = r.field_string(n, "key", &p);
            let op = r.field_string(n, "operator", &p);
            let values: Vec<String> = r
                .strings(n, "values", &p)
                .into_iter()
                .map(|s| s.value)
                .collect();
            let operator = match op.as_ref().map(|s| s.as_str()) {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                Some(other) => {
                    let other = other.to_string();
                    r.invalid(
                        &p.key("operator"),
                        format!(
                            "`{other}` is not a selector operator (In, NotIn, Exists, DoesNotExist)"
                        ),
                    );
                    continue;
                }
                None => {
                    r.invalid(&p, "a match expression needs `operator`".to_string());
                    continue;
                }
            };
            let Some(key) = key else {
                r.invalid(&p, "a match expression needs `key`".to_string());
                continue;
            };
            expressions.push(Requirement {
                key: key.value,
                operator,
                values,
                path: p,
            });
        }
        Some(LabelSelector {
            match_labels,
            expressions,
            path: path.clone(),
        })
    }

    /// Reads a plain label map used as a selector (Istio `selector.matchLabels`, Service
    /// `selector`).
    pub fn from_labels(labels: Labels, path: FieldPath) -> LabelSelector {
        LabelSelector {
            match_labels: labels,
            expressions: Vec::new(),
            path,
        }
    }
}

/// Labels Istio puts on the pods it deploys for a Gateway.
pub const GATEWAY_POD_LABELS: [&str; 2] = [
    "gateway.networking.k8s.io/gateway-name",
    "istio.io/gateway-name",
];

/// Whether a selector asks for gateway pods by name (of a Gateway the input may not hold), or
/// for the pods of an Istio gateway Deployment by its `istio` label (`istio: ingressgateway`,
/// the `istio/gateway` chart's selector label) or its `app` label as installed by default
/// (`app: istio-ingressgateway`, the chart's `app: <release name>`; istio
/// `manifests/charts/gateway/templates/_helpers.tpl`).
pub fn names_gateway_pods(sel: &LabelSelector) -> bool {
    sel.match_labels
        .iter()
        .any(|(k, v)| is_gateway_pod_label(k, v))
}

/// Whether a pod label marks Istio gateway pods: a gateway-name label, `istio: *gateway*`, or
/// `app: istio-*gateway*` (see [`names_gateway_pods`]).
pub fn is_gateway_pod_label(key: &str, value: &str) -> bool {
    GATEWAY_POD_LABELS.contains(&key)
        || (key == "istio" && value.contains("gateway"))
        || (key == "app" && value.starts_with("istio-") && value.contains("gateway"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (Atom::new(k), Atom::new(v)))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let sel = LabelSelector {
            match_labels: labels(&[("app", "a")]),
            expressions: vec![Requirement {
                key: "tier".into(),
                operator: Operator::NotIn,
                values: vec!["db".into()],
                path: FieldPath::root(),
            }],
            path: FieldPath::root(),
        };
        assert!(sel.matches(&labels(&[("app", "a")])));
        assert!(sel.matches(&labels(&[("app", "a"), ("tier", "web")])));
        assert!(!sel.matches(&labels(&[("app", "a"), ("tier", "db")])));
        assert!(!sel.matches(&labels(&[("app", "b")])));
    }
}
