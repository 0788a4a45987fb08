//! Edits that follow how a list or mapping is written: a flow `[...]` or `{...}` gets one more
//! entry, block items and keys one more line at their indentation. Each returns None when the
//! text is not laid out as it can follow (a comment where the entry would go, tabs), and the
//! finding then carries no fix. Nothing is edited through a copy made by an alias or a `<<`
//! merge: its text is the anchor's, and an edit there would change every place that uses it.

use crate::finding::Edit;
use crate::load::node::{FieldPath, Node, Segment};
use crate::load::source::FileId;
use crate::rules::Context;

/// What an appended item is, in either style: `flow` inside `[...]`, `block` as the lines of a
/// block item (the first follows the dash; the others are indented like its first key).
pub struct Item<'a> {
    pub flow: &'a str,
    pub block: &'a [&'a str],
}

/// The node a field path names inside an object's tree, when it and every node on the way are
/// written where they are (not copies made by an alias or a merge).
pub fn node_at<'n>(root: Node<'n>, path: &FieldPath) -> Option<Node<'n>> {
    let mut node = root;
    for seg in path.segments() {
        if node.is_copy() {
            return None;
        }
        node = match seg {
            Segment::Key(k) => node.get(&k)?,
            Segment::Index(i) => node.as_seq()?.get(i)?,
        };
    }
    (!node.is_copy()).then_some(node)
}

/// The object's tree and file when the object is written in a YAML file as it is linted (not
/// rendered by kustomize or helm): where edits that write YAML can be made. A JSON file (kubectl
/// reads a text that opens with `{` or `[` as JSON) gets none: these edits would not be JSON.
pub fn editable<'c>(ctx: &'c Context, object: usize) -> Option<(Node<'c>, FileId, &'c str)> {
    let obj = &ctx.inputs.objects[object];
    let text = &ctx.inputs.files[obj.file].text;
    if obj.origin.is_some() || text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    Some((obj.node(), obj.file, text))
}

/// An edit replacing `old` with `new` inside the text a location spans, when `old` occurs there
/// exactly once: a change of one scalar that keeps its quoting and everything around it.
pub fn edit_in_place(
    ctx: &Context,
    at: &crate::finding::Location,
    old: &str,
    new: &str,
) -> Option<Edit> {
    if let crate::finding::Location::Field { object, path } = at {
        node_at(ctx.inputs.objects[*object].node(), path)?;
    }
    let resolved = ctx.inputs.resolve(at);
    let text = ctx.inputs.files[resolved.file]
        .text
        .get(resolved.span.start..resolved.span.end)?;
    let mut found = text.match_indices(old);
    let (i, _) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(Edit {
        file: resolved.file,
        start: resolved.span.start + i,
        end: resolved.span.start + i + old.len(),
        content: new.to_string(),
    })
}

/// Appends `item` to the non-empty sequence `seq`.
pub fn append_to_seq(text: &str, file: FileId, seq: Node<'_>, item: &Item) -> Option<Edit> {
    if seq.is_copy() {
        return None;
    }
    let last = seq.as_seq()?.last()?;
    if seq.is_flow() {
        let end = text[..last.span().end].trim_end().len();
        return Some(insert(file, end, format!(", {}", item.flow)));
    }
    // Block: the last item's dash starts its line, after indentation only.
    let line_start = text[..last.span().start].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..last.span().start];
    let dash = before.rfind('-')?;
    if !before[..dash].chars().all(|c| c == ' ') || !before[dash + 1..].chars().all(|c| c == ' ') {
        return None;
    }
    let indent = &before[..dash];
    let gap = " ".repeat(before.len() - dash - 1);
    let at = line_end(text, last.span().end);
    let content = if text[last.span().start..].starts_with('{') {
        format!("\n{indent}-{gap}{}", item.flow)
    } else {
        let pad = format!("{indent} {gap}");
        let mut lines = item.block.iter();
        let first = lines.next()?;
        let rest: String = lines.map(|l| format!("\n{pad}{l}")).collect();
        format!("\n{indent}-{gap}{first}{rest}")
    };
    Some(insert(file, at, content))
}

/// Adds `key: value` to the non-empty mapping `map`, after its last entry. A key written with
/// an explicit null (`method: null`, `method: ~`), which the API server reads as absent, gets
/// the value in place instead: a second `method` would be a duplicate key. A key written with
/// a value, or an empty one, is left alone.
pub fn add_to_map(text: &str, file: FileId, map: Node<'_>, key: &str, value: &str) -> Option<Edit> {
    let entries = map.as_map()?;
    // Entries a `<<` merge brought are written at their anchor: the new key goes after the
    // mapping's own.
    if map.is_copy() {
        return None;
    }
    if let Some(written) = map.entry(key) {
        let at = written.value.span();
        return (written.value.is_null() && !at.is_empty() && !written.value.is_copy()).then(
            || Edit {
                file,
                start: at.start,
                end: at.end,
                content: value.to_string(),
            },
        );
    }
    let last = entries.iter().filter(|e| !e.key.is_copy()).last()?;
    if map.is_flow() {
        return Some(insert(
            file,
            last.value.span().end,
            format!(", {key}: {value}"),
        ));
    }
    // Block: the first key's column is the mapping's indentation; the first key may follow a
    // dash (`- name: edge`), so it is measured from its line's start.
    let first = &entries.first()?.key;
    let line_start = text[..first.span().start].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..first.span().start].chars().count();
    if !text[line_start..first.span().start]
        .chars()
        .all(|c| c == ' ' || c == '-')
    {
        return None;
    }
    let at = line_end(text, last.value.span().end.max(last.key.span().end));
    Some(insert(
        file,
        at,
        format!("\n{}{key}: {value}", " ".repeat(column)),
    ))
}

fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i)
}

fn insert(file: FileId, at: usize, content: String) -> Edit {
    Edit {
        file,
        start: at,
        end: at,
        content,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> crate::load::yaml::Stream {
        crate::load::yaml::parse_stream(text)
    }

    fn apply(text: &str, e: Edit) -> String {
        format!("{}{}{}", &text[..e.start], e.content, &text[e.end..])
    }

    #[test]
    fn a_key_written_null_gets_the_value_in_place() {
        for (text, fixed) in [
            (
                "- path: /a\n  method: null\n",
                "- path: /a\n  method: GET\n",
            ),
            ("- {path: /a, method: ~}\n", "- {path: /a, method: GET}\n"),
        ] {
            let stream = doc(text);
            let item = stream
                .roots()
                .next()
                .unwrap()
                .as_seq()
                .unwrap()
                .get(0)
                .unwrap();
            let edit = add_to_map(text, 0, item, "method", "GET").unwrap();
            assert_eq!(apply(text, edit), fixed);
        }
        // A value already there is not added twice.
        let text = "{path: /a, method: POST}\n";
        let stream = doc(text);
        assert!(add_to_map(text, 0, stream.roots().next().unwrap(), "method", "GET").is_none());
    }

    #[test]
    fn a_block_mapping_after_a_dash_gets_a_key_at_its_indentation() {
        let text = "spec:\n  parentRefs:\n    - name: edge\n      sectionName: http # the listener\n  rules: []\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let parent = node_at(root, &"spec.parentRefs[0]".into()).unwrap();
        let e = add_to_map(text, 0, parent, "namespace", "infra").unwrap();
        assert_eq!(
            apply(text, e),
            "spec:\n  parentRefs:\n    - name: edge\n      sectionName: http # the listener\n      namespace: infra\n  rules: []\n"
        );
    }

    #[test]
    fn block_and_flow_sequences_get_an_item_in_their_style() {
        let item = Item {
            flow: "{port: 15008, protocol: TCP}",
            block: &["port: 15008", "protocol: TCP"],
        };
        let text = "ports:\n  -   port: 8080\n      protocol: TCP\nnext: 1\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let e = append_to_seq(text, 0, node_at(root, &"ports".into()).unwrap(), &item).unwrap();
        assert_eq!(
            apply(text, e),
            "ports:\n  -   port: 8080\n      protocol: TCP\n  -   port: 15008\n      protocol: TCP\nnext: 1\n"
        );
        let text = "ports: [ {port: 8080} ]\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let e = append_to_seq(text, 0, node_at(root, &"ports".into()).unwrap(), &item).unwrap();
        assert_eq!(
            apply(text, e),
            "ports: [ {port: 8080}, {port: 15008, protocol: TCP} ]\n"
        );
        let text = "types:\n- Ingress\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let one = Item {
            flow: "Egress",
            block: &["Egress"],
        };
        let e = append_to_seq(text, 0, node_at(root, &"types".into()).unwrap(), &one).unwrap();
        assert_eq!(apply(text, e), "types:\n- Ingress\n- Egress\n");
    }

    #[test]
    fn an_alias_is_not_followed() {
        let text = "base: &p [8080]\nports: *p\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let item = Item {
            flow: "15008",
            block: &["15008"],
        };
        // The alias's items point into the anchor, where an edit would change both uses: the
        // copy is marked, and no path through it leads to an editable node.
        let ports = root.get("ports").unwrap();
        assert!(ports.is_copy());
        assert!(node_at(root, &"ports".into()).is_none());
        assert!(append_to_seq(text, 0, ports, &item).is_none());
        // The anchor itself is written where it is.
        let base = node_at(root, &"base".into()).unwrap();
        let e = append_to_seq(text, 0, base, &item).unwrap();
        assert_eq!(apply(text, e), "base: &p [8080, 15008]\nports: *p\n");
    }

    #[test]
    fn a_key_goes_after_the_entries_a_mapping_writes_not_the_merged_ones() {
        let text = "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n";
        let stream = doc(text);
        let root = stream.roots().next().unwrap();
        let m = node_at(root, &"m".into()).unwrap();
        // `x` is merged (a copy, written in `base`); `<<` is not an entry.
        let keys: Vec<_> = m.as_map().unwrap().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, [Some("y"), Some("x")]);
        assert!(m.get("x").unwrap().is_copy());
        assert!(node_at(root, &"m.x".into()).is_none());
        let e = add_to_map(text, 0, m, "z", "3").unwrap();
        assert_eq!(
            apply(text, e),
            "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n  z: 3\n"
        );
    }
}
