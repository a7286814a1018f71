use super::*;
#[allow(unused_imports)]
use super::{builder::*, node::*, recovery::*, repair::*, scalar::*, span::*};

fn root(text: &str) -> Node {
    parse_stream(text).documents.remove(0).root.unwrap()
}

#[test]
fn yaml11_scalars() {
    assert_eq!(resolve_plain("yes"), Scalar::Bool(true));
    assert_eq!(resolve_plain("Off"), Scalar::Bool(false));
    assert_eq!(resolve_plain("Y"), Scalar::Bool(true));
    assert_eq!(resolve_plain("0644"), Scalar::Int(420));
    assert_eq!(resolve_plain("0x1F"), Scalar::Int(31));
    assert_eq!(resolve_plain("1_000"), Scalar::Int(1000));
    assert_eq!(resolve_plain("-5"), Scalar::Int(-5));
    assert_eq!(resolve_plain("1.5"), Scalar::Float(1.5));
    assert_eq!(resolve_plain("~"), Scalar::Null);
    assert_eq!(resolve_plain("nginx"), Scalar::Str);
    assert_eq!(resolve_plain("1.2.3"), Scalar::Str);
    assert_eq!(resolve_plain("099"), Scalar::Float(99.0));
    assert_eq!(resolve_plain("99999999999999999999"), Scalar::Float(1e20));
    assert_eq!(resolve_plain(".5"), Scalar::Float(0.5));
    assert_eq!(resolve_plain("._5"), Scalar::Str);
    assert_eq!(resolve_plain("0o17"), Scalar::Int(15));
}

#[test]
fn spans_are_one_based_and_char_counted() {
    let r = root("a: 1\nbé: \"x\"\nc: yes\n");
    let e = r.get_entry("c").unwrap();
    assert_eq!(e.key.span.start, Pos::new(3, 1));
    assert_eq!(e.value.span.start, Pos::new(3, 4));
    assert_eq!(e.value.span.end, Pos::new(3, 7));
    assert_eq!(r.get("c").unwrap().as_bool(), Some(true));
    let e = r.get_entry("bé").unwrap();
    assert_eq!(e.value.span.start, Pos::new(2, 5));
    assert_eq!(e.value.as_str(), Some("x"));
}

#[test]
fn quoted_scalars_and_collections_end_where_they_end() {
    // saphyr's own span of a quoted scalar runs over the blanks and comment after it.
    let text = "a: \"x\\\"y\"  # c\nb: 'it''s' # c\nc: {d: \"é\" , e: 1}\nf:\n  - 1\n\n# c\ng: 1\n";
    let r = root(text);
    let span = |l1, c1, l2, c2| Span::new(Pos::new(l1, c1), Pos::new(l2, c2));
    assert_eq!(r.get("a").unwrap().span, span(1, 4, 1, 10));
    assert_eq!(r.get("b").unwrap().span, span(2, 4, 2, 11));
    let c = r.get("c").unwrap();
    assert_eq!(c.span, Span::new(Pos::new(3, 4), Pos::new(3, 19)));
    assert_eq!(c.get("d").unwrap().span.end, Pos::new(3, 11));
    // A block collection ends at its last child, not at the next token.
    assert_eq!(r.get("f").unwrap().span.end, Pos::new(5, 6));
    let r = root("a: [1, {b: 2} ]  # c\n");
    assert_eq!(r.get("a").unwrap().span, span(1, 4, 1, 16));
}

#[test]
fn duplicates_last_wins_and_reported() {
    let s = parse_stream("a: false\nb: 1\na: true\n");
    let r = s.documents[0].root.as_ref().unwrap();
    assert_eq!(r.get("a").unwrap().as_bool(), Some(true));
    assert!(matches!(
        &s.diagnostics[0],
        Diagnostic::DuplicateKey { key, .. } if key == "a"
    ));
}

#[test]
fn merge_keys() {
    let r = root("base: &b\n  x: 1\n  y: 2\nm:\n  <<: *b\n  y: 3\n");
    let m = r.get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.get("y").unwrap().as_i64(), Some(3));
    assert_eq!(m.effective_entries().len(), 2);
    let r = root("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm: {<<: [*a, *b]}\n");
    let m = r.get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.get("z").unwrap().as_i64(), Some(3));
}

#[test]
fn merge_keys_apply_in_document_order_like_go_yaml_v2() {
    // A `<<` after an explicit key overrides it.
    let r = root("m:\n  x: false\n  <<: {x: true}\n");
    assert_eq!(r.get("m").unwrap().get("x").unwrap().as_bool(), Some(true));
    // Every `<<` of a mapping applies, and none is a duplicate key.
    let s = parse_stream("m:\n  <<: {x: 1}\n  <<: {y: 2}\n");
    let m = s.documents[0].root.as_ref().unwrap().get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.get("y").unwrap().as_i64(), Some(2));
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    // A merge nested in a merge source.
    let r = root("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {z: 0, <<: *b}\n");
    let m = r.get("m").unwrap();
    assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(m.effective_entries().len(), 3);
}

#[test]
fn effective_entries_agree_with_get_entry_and_scale() {
    let r = root(
            "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nm:\n  y: 0\n  <<: [*a, *b]\n  z: 3\n  w: 4\n  w: 5\n",
        );
    let m = r.get("m").unwrap();
    let eff = m.effective_entries();
    let keys: Vec<&str> = eff.iter().map(|e| e.key_str()).collect();
    assert_eq!(keys, ["y", "x", "z", "w"]);
    for e in eff {
        assert!(std::ptr::eq(e, m.get_entry(e.key_str()).unwrap()));
    }
    // Many keys: linear, not one lookup per key (seconds, before, for 50k keys).
    let mut text = String::from("m:\n");
    for i in 0..200_000 {
        text.push_str(&format!("  k{i}: 1\n"));
    }
    let r = root(&text);
    let start = std::time::Instant::now();
    assert_eq!(r.get("m").unwrap().effective_entries().len(), 200_000);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn multi_document_lines() {
    let s = parse_stream("a: 1\n---\nb: 2\n---\n\nc: 3\n");
    assert_eq!(s.documents.len(), 3);
    let c = s.documents[2]
        .root
        .as_ref()
        .unwrap()
        .get_entry("c")
        .unwrap();
    assert_eq!(c.key.span.start, Pos::new(6, 1));
}

#[test]
fn syntax_error_resumes_at_next_document() {
    let s = parse_stream("a: 1\n---\nb: [1\nc: 2\n---\nd: 4\n");
    assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
    let last = s.documents.last().unwrap().root.as_ref().unwrap();
    let d = last.get_entry("d").unwrap();
    assert_eq!(d.key.span.start, Pos::new(6, 1));
}

#[test]
fn a_syntax_error_on_a_document_marker_line_is_reported_once() {
    let s = parse_stream("apiVersion: v1\nkind: Pod\n--- ]\n--- ]\n");
    let syntax: Vec<Pos> = s
        .diagnostics
        .iter()
        .filter_map(|d| match d {
            Diagnostic::Syntax { pos, .. } => Some(*pos),
            _ => None,
        })
        .collect();
    assert_eq!(syntax, vec![Pos::new(3, 5), Pos::new(4, 5)]);
    // Both broken documents keep their place in the stream.
    assert_eq!(s.documents.len(), 3);
    assert!(s.documents[1].root.is_none() && s.documents[2].root.is_none());
    assert_eq!(s.documents[1].start, Pos::new(3, 1));
    assert_eq!(s.documents[2].start, Pos::new(4, 1));
}

#[test]
fn a_broken_document_keeps_its_index() {
    let s = parse_stream("a: 1\n---\nb: [1\nc: 2\n---\nd: 4\n");
    assert_eq!(s.documents.len(), 3);
    assert!(s.documents[1].root.is_none());
    // At its `---`, like any other document.
    assert_eq!(s.documents[1].start, Pos::new(2, 1));
    let last = &s.documents[2];
    assert_eq!(last.index, 2);
    assert!(last.root.as_ref().unwrap().get("d").is_some());
    // An error in the last document, and one in the first.
    assert_eq!(parse_stream("a: 1\n---\nb: [1\n").documents.len(), 2);
    let s = parse_stream("b: [1\n---\nd: 4\n");
    assert_eq!(s.documents.len(), 2);
    assert_eq!(s.documents[1].index, 1);
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let s = parse_stream(&text);
    assert!(s
        .diagnostics
        .iter()
        .any(|d| matches!(d, Diagnostic::AliasBudget { .. })));
}

#[test]
fn deep_nesting_is_bounded() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let s = parse_stream(&text);
    assert!(s
        .diagnostics
        .iter()
        .any(|d| matches!(d, Diagnostic::TooDeep { .. } | Diagnostic::Syntax { .. })));
}
