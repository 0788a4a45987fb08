//! Facts about the cluster declared outside the manifests (`cluster:` in the config file,
//! `--ambient-namespace`, `--namespace-label`, `--declare`), turned into ordinary objects in a
//! generated source file so that the model and every rule see them as they see manifests.

use serde_json::{Map, Value, json};

/// One object that exists in the cluster but not in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// A namespace and its labels (`istio.io/dataplane-mode`, `istio.io/use-waypoint`,
    /// `istio-injection`, `istio.io/rev`, ...).
    Namespace {
        name: String,
        labels: Vec<(String, String)>,
    },
    ServiceAccount {
        namespace: String,
        name: String,
    },
    Service {
        namespace: String,
        name: String,
        ports: Vec<DeclaredPort>,
    },
    Gateway {
        namespace: String,
        name: String,
        /// `istio-waypoint` for a waypoint made by `istioctl waypoint apply`.
        class_name: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredPort {
    pub port: i64,
    pub name: Option<String>,
    pub protocol: Option<String>,
}

/// The kinds `--declare` and `cluster.objects` accept.
pub const DECLARABLE_KINDS: &[&str] = &["ServiceAccount", "Service", "Gateway"];

impl Fact {
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Namespace { .. } => "Namespace",
            Fact::ServiceAccount { .. } => "ServiceAccount",
            Fact::Service { .. } => "Service",
            Fact::Gateway { .. } => "Gateway",
        }
    }

    /// None for a Namespace (cluster-scoped).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Fact::Namespace { .. } => None,
            Fact::ServiceAccount { namespace, .. }
            | Fact::Service { namespace, .. }
            | Fact::Gateway { namespace, .. } => Some(namespace),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Fact::Namespace { name, .. }
            | Fact::ServiceAccount { name, .. }
            | Fact::Service { name, .. }
            | Fact::Gateway { name, .. } => name,
        }
    }

    /// A declared object from `KIND NAMESPACE/NAME` (`--declare`), with no ports and, for a
    /// Gateway, the `istio-waypoint` class unless written `Gateway NAMESPACE/NAME CLASS`.
    pub fn parse(spec: &str) -> Result<Fact, String> {
        let bad = || {
            format!(
                "`{spec}` is not `KIND NAMESPACE/NAME` (KIND one of {}; a Gateway may add its class: `Gateway NS/NAME istio`)",
                DECLARABLE_KINDS.join(", ")
            )
        };
        let words: Vec<&str> = spec.split_whitespace().collect();
        let (kind, target, class) = match words.as_slice() {
            [k, t] => (*k, *t, None),
            [k, t, c] => (*k, *t, Some(*c)),
            _ => return Err(bad()),
        };
        let (namespace, name) = target.split_once('/').ok_or_else(bad)?;
        if namespace.is_empty() || name.is_empty() || name.contains('/') {
            return Err(bad());
        }
        let (namespace, name) = (namespace.to_string(), name.to_string());
        let kind = DECLARABLE_KINDS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(kind))
            .ok_or_else(bad)?;
        match (*kind, class) {
            ("Gateway", c) => Ok(Fact::Gateway {
                namespace,
                name,
                class_name: c
                    .unwrap_or(crate::model::resources::WAYPOINT_CLASS)
                    .to_string(),
            }),
            (_, Some(_)) => Err(bad()),
            ("Service", None) => Ok(Fact::Service {
                namespace,
                name,
                ports: vec![],
            }),
            _ => Ok(Fact::ServiceAccount { namespace, name }),
        }
    }

    /// The object as Kubernetes would show it (a waypoint Gateway gets the listener
    /// `istioctl waypoint apply` writes).
    fn to_json(&self) -> Value {
        let mut meta = Map::new();
        meta.insert("name".into(), json!(self.name()));
        if let Some(ns) = self.namespace() {
            meta.insert("namespace".into(), json!(ns));
        }
        let (api_version, spec) = match self {
            Fact::Namespace { labels, .. } => {
                if !labels.is_empty() {
                    let l: Map<String, Value> =
                        labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    meta.insert("labels".into(), Value::Object(l));
                }
                ("v1", None)
            }
            Fact::ServiceAccount { .. } => ("v1", None),
            Fact::Service { ports, .. } => {
                let ports: Vec<Value> = ports
                    .iter()
                    .map(|p| {
                        let mut m = Map::new();
                        m.insert("port".into(), json!(p.port));
                        if let Some(n) = &p.name {
                            m.insert("name".into(), json!(n));
                        }
                        if let Some(pr) = &p.protocol {
                            m.insert("protocol".into(), json!(pr));
                        }
                        Value::Object(m)
                    })
                    .collect();
                ("v1", (!ports.is_empty()).then(|| json!({"ports": ports})))
            }
            Fact::Gateway { class_name, .. } => {
                let mut spec = json!({"gatewayClassName": class_name});
                if class_name == crate::model::resources::WAYPOINT_CLASS {
                    spec["listeners"] =
                        json!([{"name": "mesh", "port": 15008, "protocol": "HBONE"}]);
                }
                ("gateway.networking.k8s.io/v1", Some(spec))
            }
        };
        let mut obj = json!({"apiVersion": api_version, "kind": self.kind(), "metadata": meta});
        if let Some(spec) = spec {
            obj["spec"] = spec;
        }
        obj
    }
}

/// Facts declared in one place: the config file, or the command line.
#[derive(Clone, Debug, Default)]
pub struct Declared {
    /// Where, as the report shows it: `declared in .ambient-lint.yaml`, `declared on the
    /// command line`.
    pub origin: String,
    pub facts: Vec<Fact>,
}

/// Adds a fact; a namespace declared twice gets the labels of both, the later winning per key.
pub fn merge(facts: &mut Vec<Fact>, fact: Fact) {
    if let Fact::Namespace { name, labels } = &fact
        && let Some(Fact::Namespace { labels: have, .. }) = facts
            .iter_mut()
            .find(|f| matches!(f, Fact::Namespace { name: n, .. } if n == name))
    {
        for (k, v) in labels {
            match have.iter_mut().find(|(hk, _)| hk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => have.push((k.clone(), v.clone())),
            }
        }
        return;
    }
    if !facts.iter().any(|f| {
        f.kind() == fact.kind() && f.namespace() == fact.namespace() && f.name() == fact.name()
    }) {
        facts.push(fact);
    }
}

/// The source text of a declared file: one JSON document per object.
pub fn render<'f>(facts: impl IntoIterator<Item = &'f Fact>) -> String {
    let mut out = String::new();
    for f in facts {
        out.push_str("---\n");
        out.push_str(&f.to_json().to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declare_specs() {
        assert_eq!(
            Fact::parse("ServiceAccount shop/web").unwrap(),
            Fact::ServiceAccount {
                namespace: "shop".into(),
                name: "web".into()
            }
        );
        assert_eq!(
            Fact::parse("gateway infra/edge istio").unwrap(),
            Fact::Gateway {
                namespace: "infra".into(),
                name: "edge".into(),
                class_name: "istio".into()
            }
        );
        assert!(matches!(
            Fact::parse("Gateway shop/waypoint").unwrap(),
            Fact::Gateway { class_name, .. } if class_name == "istio-waypoint"
        ));
        for bad in [
            "Pod shop/x",
            "Service shop",
            "Service /x",
            "Service a/b c",
            "",
        ] {
            assert!(Fact::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn namespaces_declared_twice_merge_their_labels() {
        let mut facts = Vec::new();
        let ns = |labels: &[(&str, &str)]| Fact::Namespace {
            name: "shop".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        merge(&mut facts, ns(&[("a", "1"), ("b", "1")]));
        merge(&mut facts, ns(&[("b", "2")]));
        assert_eq!(facts, vec![ns(&[("a", "1"), ("b", "2")])]);
    }
}
