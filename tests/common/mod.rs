//! Helpers the integration tests share.
#![allow(dead_code)] // each test target uses its own subset

use std::path::{Path, PathBuf};

use ambient_lint::load::node::{Node, Value as V};
use serde_json::Value;

/// A fresh directory for one test, under cargo's per-target temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/rel`, creating folders on the way.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A loaded YAML tree as JSON, reading scalars as Kubernetes does (quoted ones stay strings).
pub fn to_json(n: &Node) -> Value {
    match &n.value {
        V::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        V::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|e| (e.key.as_str().unwrap_or("").to_string(), to_json(&e.value)))
                .collect(),
        ),
        V::Scalar(s) if s.is_null() => Value::Null,
        V::Scalar(s) => match (s.plain, s.as_int(), s.as_bool()) {
            (true, Some(i), _) => Value::from(i),
            (true, _, Some(b)) => Value::Bool(b),
            _ => Value::String(s.text.to_string()),
        },
    }
}

/// The first document of a YAML text as JSON (an empty object when there is none).
pub fn yaml_to_json(text: &str) -> Value {
    ambient_lint::load::yaml::parse_stream(text)
        .into_iter()
        .next()
        .and_then(|d| d.result.ok().flatten())
        .map(|n| to_json(&n))
        .unwrap_or(Value::Object(Default::default()))
}
