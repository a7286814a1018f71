use super::*;
#[allow(unused_imports)]
use super::{builder::*, node::*, recovery::*, repair::*, scalar::*, span::*};

#[test]
fn flow_sequence_closed_under_its_key_is_accepted() {
    let text = "spec:\n  args: [\n    \"--a\", \"1\",\n  ]\n  image: x\n";
    let s = parse_stream(text);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    let spec = s.documents[0].root.as_ref().unwrap().get("spec").unwrap();
    assert_eq!(spec.get("args").unwrap().as_seq().unwrap().len(), 2);
    assert_eq!(
        spec.get_entry("image").unwrap().key.span.start,
        Pos::new(5, 3)
    );
}

#[test]
fn quoted_scalar_continuation_at_key_column_is_accepted() {
    let text = "items:\n  - message: 'first line\n    second line\n    third'\n    reason: ok\n";
    let s = parse_stream(text);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    let item = &s.documents[0]
        .root
        .as_ref()
        .unwrap()
        .get("items")
        .unwrap()
        .as_seq()
        .unwrap()[0];
    assert_eq!(
        item.get("message").unwrap().as_str(),
        Some("first line second line third")
    );
    assert_eq!(
        item.get_entry("reason").unwrap().key.span.start,
        Pos::new(5, 5)
    );
}

#[test]
fn real_errors_stay_errors() {
    let s = parse_stream("a:\n  clusterIP: {X}.16\n  ports: []\n");
    assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
}
