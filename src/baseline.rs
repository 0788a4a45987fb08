//! Baselines: adopting the linter on a repository that already has findings. `--write-baseline`
//! records the current findings; `--baseline` lets those recorded ones pass (they are marked
//! suppressed, "in the baseline") and tells which recorded ones no longer occur, so the file can
//! shrink.
//!
//! A finding is recorded by a key that survives the edits a repository lives with: the rule, the
//! resource (kind, namespace, name) and the field path — no line, no file — so lines added above
//! and a file moved within the repository keep it. A finding about no resource (a parse error, a
//! template marker) is keyed by its file's name and its message. Keys are counted: two findings
//! with one key need two entries.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Location};
use crate::load::Inputs;

/// What marks a finding the baseline lets pass (shown with `--show-suppressed`).
pub const BASELINED: &str = "in the baseline";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    /// What the finding is matched by (see the module documentation).
    pub key: String,
    /// Where it was when recorded, and what it said: for people reading the file.
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// The entries of a baseline that matched no finding of this run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The baseline file, as given.
    pub file: String,
    /// Findings it let pass.
    pub matched: usize,
    /// Entries that no longer occur.
    pub gone: Vec<Entry>,
}

/// The key a finding is recorded and matched by.
pub fn key(inputs: &Inputs, f: &Finding) -> String {
    match &f.location {
        Location::Field { object, path } => {
            let o = &inputs.objects[*object];
            format!(
                "{}/{}/{} {}",
                o.kind,
                o.namespace.as_deref().unwrap_or(""),
                o.name,
                path.as_str()
            )
        }
        Location::File { file, .. } => {
            let path = &inputs.files[*file].path;
            let name = Path::new(path)
                .file_name()
                .map_or(path.clone(), |n| n.to_string_lossy().into_owned());
            format!("{name}: {}", f.message)
        }
    }
}

/// The current findings that count (not suppressed), as a baseline.
pub fn record(inputs: &Inputs, findings: &[Finding]) -> Baseline {
    let mut entries: Vec<Entry> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| {
            let at = inputs.resolve(&f.location);
            Entry {
                code: f.code.to_string(),
                key: key(inputs, f),
                file: inputs.files[at.file].path.clone(),
                line: at.start.line,
                message: f.message.clone(),
            }
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.file, a.line, &a.code, &a.key).cmp(&(&b.file, b.line, &b.code, &b.key))
    });
    Baseline {
        version: 1,
        findings: entries,
    }
}

pub fn write(baseline: &Baseline, path: &Path) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(baseline).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
    let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a baseline ambient-lint wrote: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if baseline.version != 1 {
        return Err(format!(
            "{}: baseline version {} is not one this ambient-lint reads (1)",
            path.display(),
            baseline.version
        ));
    }
    Ok(baseline)
}

/// Marks the findings the baseline records as suppressed ("in the baseline"), each entry
/// letting one finding pass, and returns what matched and what no longer occurs.
pub fn apply(
    baseline: &Baseline,
    file: &str,
    inputs: &Inputs,
    findings: &mut [Finding],
) -> Outcome {
    let mut left: HashMap<(String, String), Vec<&Entry>> = HashMap::new();
    for e in &baseline.findings {
        left.entry((e.code.clone(), e.key.clone()))
            .or_default()
            .push(e);
    }
    let mut matched = 0;
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        let k = (f.code.to_string(), key(inputs, f));
        if let Some(entries) = left.get_mut(&k)
            && entries.pop().is_some()
        {
            f.suppressed = Some(BASELINED.to_string());
            matched += 1;
        }
    }
    let mut gone: Vec<Entry> = left.into_values().flatten().cloned().collect();
    gone.sort_by(|a, b| (&a.file, a.line, &a.code).cmp(&(&b.file, b.line, &b.code)));
    Outcome {
        file: file.to_string(),
        matched,
        gone,
    }
}
