//! Property test: structural mutations of valid manifests (fields dropped, duplicated, retyped,
//! reordered; documents spliced) never make the linter panic, every span lies inside its file,
//! a finding on a field points at that field, and the fixes findings carry keep the YAML parsing
//! and every byte outside their edits.

use ambient_lint::finding::Location;
use ambient_lint::load::Inputs;
use ambient_lint::load::node::Segment;
use ambient_lint::{LintOptions, check};
use proptest::prelude::*;
use serde_json::Value;

mod common;

/// The corrected bookstore's documents as JSON values (JSON is YAML, and easy to mutate).
fn corpus() -> Vec<Value> {
    common::files_below("examples/bookstore-fixed")
        .iter()
        .flat_map(|text| {
            let stream = ambient_lint::load::yaml::parse_stream(text);
            stream.roots().map(common::to_json).collect::<Vec<_>>()
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Drop(usize),
    Duplicate(usize),
    Retype(usize, u8),
    Reorder(usize),
    Splice(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Drop),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), 0u8..6).prop_map(|(a, b)| Mutation::Retype(a, b)),
        any::<usize>().prop_map(Mutation::Reorder),
        any::<usize>().prop_map(Mutation::Splice),
    ]
}

/// Visits containers in a fixed order and applies `f` to the `target`-th one.
fn nth_container(v: &mut Value, target: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if v.is_object() || v.is_array() {
        if *target == 0 {
            f(v);
            return true;
        }
        *target -= 1;
    }
    match v {
        Value::Object(m) => m.values_mut().any(|c| nth_container(c, target, f)),
        Value::Array(a) => a.iter_mut().any(|c| nth_container(c, target, f)),
        _ => false,
    }
}

fn count_containers(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(count_containers).sum::<usize>(),
        Value::Array(a) => 1 + a.iter().map(count_containers).sum::<usize>(),
        _ => 0,
    }
}

fn apply(docs: &mut Vec<Value>, corpus: &[Value], m: &Mutation) {
    let Some(doc) = docs.last_mut() else { return };
    let n = count_containers(doc).max(1);
    let mut at = match m {
        Mutation::Drop(i)
        | Mutation::Duplicate(i)
        | Mutation::Retype(i, _)
        | Mutation::Reorder(i) => i % n,
        Mutation::Splice(i) => {
            docs.push(corpus[i % corpus.len()].clone());
            return;
        }
    };
    let m = m.clone();
    nth_container(doc, &mut at, &mut |c: &mut Value| match (&m, c) {
        (Mutation::Drop(i), Value::Object(map)) if !map.is_empty() => {
            let k = map.keys().nth(i % map.len()).unwrap().clone();
            map.remove(&k);
        }
        (Mutation::Drop(i), Value::Array(a)) if !a.is_empty() => {
            let len = a.len();
            a.remove(i % len);
        }
        (Mutation::Duplicate(i), Value::Array(a)) if !a.is_empty() => {
            let item = a[i % a.len()].clone();
            a.push(item);
        }
        (Mutation::Duplicate(i), Value::Object(map)) if !map.is_empty() => {
            let k = map.keys().nth(i % map.len()).unwrap().clone();
            let v = map[&k].clone();
            map.insert(format!("{k}-copy"), v);
        }
        (Mutation::Retype(i, t), Value::Object(map)) if !map.is_empty() => {
            let k = map.keys().nth(i % map.len()).unwrap().clone();
            map[&k] = match t {
                0 => Value::from(8080),
                1 => Value::from("8080"),
                2 => Value::Null,
                3 => Value::Array(vec![Value::from(1), Value::from("x")]),
                4 => serde_json::json!({"a": {"b": []}}),
                _ => Value::Bool(true),
            };
        }
        (Mutation::Reorder(_), Value::Object(map)) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
            entries.reverse();
            map.extend(entries);
        }
        (Mutation::Reorder(_), Value::Array(a)) => a.reverse(),
        _ => {}
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_lint_without_panicking_and_spans_point_at_their_fields(
        seed in 0usize..1000,
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let corpus = corpus();
        let mut docs = vec![corpus[seed % corpus.len()].clone()];
        for m in &mutations {
            apply(&mut docs, &corpus, m);
        }
        let text: String = docs
            .iter()
            .map(|d| format!("---\n{}\n", serde_json::to_string_pretty(d).unwrap()))
            .collect();
        let inputs = Inputs::from_texts([("m.yaml", text.as_str())]);
        let findings = check(&inputs, &LintOptions::default());
        let file = &inputs.files[0].text;
        // Every fix, safe or not, applied to the mutated text leaves YAML that parses, and keeps
        // the bytes between its edits.
        let fixes: Vec<&[ambient_lint::finding::Edit]> =
            findings.iter().filter_map(|f| f.fix.as_ref()).map(|f| &f.edits[..]).collect();
        if !fixes.is_empty() {
            let (fixed, chosen) = ambient_lint::fix::apply_edits(file, &fixes);
            let mut edits: Vec<&ambient_lint::finding::Edit> =
                chosen.iter().flat_map(|&i| fixes[i].iter()).collect();
            edits.sort_by_key(|e| (e.start, e.end));
            let (mut old_at, mut new_at) = (0, 0);
            for e in edits {
                let kept = &file[old_at..e.start];
                prop_assert_eq!(&fixed[new_at..new_at + kept.len()], kept);
                new_at += kept.len();
                prop_assert_eq!(&fixed[new_at..new_at + e.content.len()], e.content.as_str());
                new_at += e.content.len();
                old_at = e.end;
            }
            prop_assert_eq!(&fixed[new_at..], &file[old_at..]);
            let again = Inputs::from_texts([("m.yaml", fixed.as_str())]);
            prop_assert!(!again.findings.iter().any(|f| f.code == "AL001"), "{fixed}");
        }
        for f in &findings {
            let at = inputs.resolve(&f.location);
            prop_assert!(at.span.start <= at.span.end && at.span.end <= file.len(), "{} {:?}", f.code, at.span);
            prop_assert!(file.is_char_boundary(at.span.start) && file.is_char_boundary(at.span.end));
            if let Location::Field { object, path } = &f.location {
                let obj = &inputs.objects[*object];
                let (span, found) = obj.node().span_of(path);
                if let (true, Some(Segment::Key(key))) = (found, path.segments().last()) {
                    let shown = file[span.start..span.end].trim_start_matches('"');
                    prop_assert!(shown.starts_with(key.as_str()), "{}: {path} shows {shown:?}", f.code);
                }
            }
        }
    }
}

/// An AuthorizationPolicy with `spiffe://` principals written in one of YAML's styles (plain,
/// single- or double-quoted; flow or block list; odd spacing), with unused suppressions as an
/// annotation and as comments on their own line or after a value.
fn policy_text(
    quote: u8,
    block: bool,
    n: usize,
    own_line_comment: bool,
    trailing_comment: bool,
    annotation: bool,
    pad: usize,
) -> String {
    let principal = |i: usize| {
        let p = format!("spiffe://cluster.local/ns/ns{i}/sa/sa{i}");
        match quote % 3 {
            0 => p,
            1 => format!("'{p}'"),
            _ => format!("\"{p}\""),
        }
    };
    let sp = " ".repeat(pad);
    let mut t = String::from(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: p\n  namespace: shop\n",
    );
    if annotation {
        t.push_str("  annotations:\n    ambient-lint.io/ignore: \"AL401: stale\"\n");
    }
    t.push_str("spec:\n  rules:\n    - from:\n        - source:\n");
    if own_line_comment {
        t.push_str("            # ambient-lint: ignore[AL402] stale\n");
    }
    if block {
        t.push_str("            principals:\n");
        for i in 0..n {
            t.push_str(&format!("              -{sp} {}", principal(i)));
            if trailing_comment && i == 0 {
                t.push_str("   # ambient-lint: ignore[AL403] stale");
            }
            t.push('\n');
        }
    } else {
        let items: Vec<String> = (0..n).map(principal).collect();
        t.push_str(&format!(
            "            principals: [{sp}{}{sp}]",
            items.join(&format!(",{sp} "))
        ));
        if trailing_comment {
            t.push_str(" # ambient-lint: ignore[AL403] stale");
        }
        t.push('\n');
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn fixes_keep_every_byte_outside_their_edits_and_leave_valid_yaml(
        quote in 0u8..3,
        block in any::<bool>(),
        n in 1usize..4,
        own_line in any::<bool>(),
        trailing in any::<bool>(),
        annotation in any::<bool>(),
        pad in 0usize..3,
    ) {
        let text = policy_text(quote, block, n, own_line, trailing, annotation, pad);
        let inputs = Inputs::from_texts([("p.yaml", text.as_str())]);
        let findings = check(&inputs, &LintOptions::default());
        prop_assert!(findings.iter().filter(|f| f.code == "AL208").count() == n, "{text}");
        let stale = usize::from(annotation) + usize::from(own_line) + usize::from(trailing);
        prop_assert_eq!(findings.iter().filter(|f| f.code == "AL005").count(), stale, "{}", text);
        let fixes: Vec<&[ambient_lint::finding::Edit]> = findings
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .filter(|f| f.applicability == ambient_lint::finding::Applicability::Safe)
            .map(|f| &f.edits[..])
            .collect();
        let (fixed, chosen) = ambient_lint::fix::apply_edits(&text, &fixes);
        prop_assert_eq!(chosen.len(), fixes.len());
        // Every byte outside the edits is kept, in order: the fixes here only delete.
        let mut ranges: Vec<(usize, usize)> = fixes.iter().flat_map(|f| f.iter().map(|e| (e.start, e.end))).collect();
        prop_assert!(fixes.iter().flat_map(|f| f.iter()).all(|e| e.content.is_empty()));
        ranges.sort();
        let mut kept = String::new();
        let mut at = 0;
        for (s, e) in ranges {
            kept.push_str(&text[at..s]);
            at = e;
        }
        kept.push_str(&text[at..]);
        prop_assert_eq!(&fixed, &kept);
        // The fixed text parses, holds no refused object, and has nothing left to fix.
        let again = Inputs::from_texts([("p.yaml", fixed.as_str())]);
        let after = check(&again, &LintOptions::default());
        prop_assert!(again.findings.is_empty(), "{fixed}\n{:?}", again.findings);
        prop_assert!(!after.iter().any(|f| f.code == "AL001" || f.code == "AL002"), "{fixed}");
        prop_assert!(!after.iter().any(|f| f.fix.is_some()), "{fixed}\n{:?}", after.iter().map(|f| f.code).collect::<Vec<_>>());
    }
}
