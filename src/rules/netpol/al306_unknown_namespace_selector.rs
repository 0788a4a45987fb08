use super::namespace_selector_refs;
use crate::finding::{Finding, Location, Severity};
use crate::rules::{Context, Rule, Unjudged, finding};

pub static RULE: Rule = Rule {
    code: "AL306",
    name: "unknown-namespace-selector",
    severity: Severity::Error,
    summary: "a namespaceSelector on `kubernetes.io/metadata.name` names a namespace that does not exist: the peer matches nothing",
    doc: include_str!("../../../rules/AL306-unknown-namespace-selector.md"),
    check: Some(check),
    supersedes: &[],
    fix: crate::rules::FixAvailability::None,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let known = ctx.model.known_namespace_names();
    for r in namespace_selector_refs(ctx.model) {
        if ctx.model.namespace_known(&r.value) {
            continue;
        }
        // A known namespace one or two edits away is most likely what was meant; otherwise the
        // namespace may exist outside the input, which only --assume-complete rules out.
        let near = near_miss(&r.value, &known);
        if near.is_none() && !ctx.model.assume_complete() {
            ctx.unjudged(Unjudged::UnknownNamespace, &r.value, r.policy.meta.object);
            continue;
        }
        let (message, help) = match near {
            Some(n) => (
                format!(
                    "namespace `{}` does not exist; did you mean `{n}`? As written, no Namespace object or resource in the input lives there, so this peer selects no pods",
                    r.value
                ),
                format!(
                    "write `{n}`, or if `{}` exists outside these manifests, pass `--known-namespace {}`",
                    r.value, r.value
                ),
            ),
            None => (
                format!(
                    "namespace `{}` does not exist: the input is declared complete and no Namespace object or resource in it lives there, so this peer selects no pods",
                    r.value
                ),
                format!(
                    "correct the name (known namespaces: {}), or if `{}` exists outside these manifests, pass `--known-namespace {}`",
                    known.join(", "),
                    r.value,
                    r.value
                ),
            ),
        };
        out.push(
            finding(
                &RULE,
                Location::field(r.policy.meta.object, r.path.clone()),
                message,
            )
            .help(help),
        );
    }
}

/// The known name closest to `name` when it is a likely typo of it: one edit away, or two for
/// names of eight characters or more.
fn near_miss<'k>(name: &str, known: &'k [String]) -> Option<&'k str> {
    let limit = if name.chars().count() >= 8 { 2 } else { 1 };
    known
        .iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_near_misses_and_other_names_are_not() {
        let known = vec!["inventory".to_string(), "shop".to_string()];
        assert_eq!(near_miss("inventroy", &known), Some("inventory"));
        assert_eq!(near_miss("shpo", &known), None, "a swap is two edits");
        assert_eq!(near_miss("sho", &known), Some("shop"));
        assert_eq!(near_miss("payments", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
