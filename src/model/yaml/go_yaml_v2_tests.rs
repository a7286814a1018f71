use super::*;
#[allow(unused_imports)]
use super::{builder::*, node::*, recovery::*, repair::*, scalar::*, span::*};

fn root(text: &str) -> Node {
    parse_stream(text).documents.remove(0).root.unwrap()
}

fn decode_errors(s: &Stream) -> Vec<(Pos, String)> {
    s.diagnostics
        .iter()
        .filter_map(|d| match d {
            Diagnostic::Decode { span, message } => Some((span.start, message.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn unicode_line_breaks_end_a_comment() {
    for br in ['\u{2028}', '\u{2029}', '\u{85}'] {
        let text = format!("a: 1\n# note{br}b: true\nc: 2\n");
        let r = root(&text);
        let b = r.get_entry("b").expect("b is content, not comment");
        assert_eq!(b.value.as_bool(), Some(true));
        // On the file's line 2, after `# note` and the separator.
        assert_eq!(b.key.span.start, Pos::new(2, 8), "{br:?}");
        assert_eq!(b.value.span, Span::new(Pos::new(2, 11), Pos::new(2, 15)));
        assert_eq!(r.get_entry("c").unwrap().key.span.start, Pos::new(3, 1));
    }
    // A break inside a value ends a plain scalar too.
    let r = root("a: x\u{2028}b: y\r\nc: z\n");
    assert_eq!(r.get("a").unwrap().as_str(), Some("x"));
    assert_eq!(r.get_entry("b").unwrap().key.span.start, Pos::new(1, 6));
    assert_eq!(r.get_entry("c").unwrap().key.span.start, Pos::new(2, 1));
}

#[test]
fn a_bom_at_the_start_of_a_line_is_skipped() {
    // Skipped, but it takes a column: `b` is indented by 3 here.
    let r = root("a:\n\u{FEFF}  b: true\n");
    let b = r.get("a").unwrap().get_entry("b").unwrap();
    assert_eq!(b.key.span.start, Pos::new(2, 4));
    assert_eq!(b.value.as_bool(), Some(true));
    // So a key after it is not a sibling of the one before (go-yaml: an error too).
    let s = parse_stream("a: 1\n\u{FEFF}b: true\n");
    assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
}

#[test]
fn quoted_scalar_ends_are_mapped_too() {
    let r = root("x: 1 # c\u{2028}a: \"q\" # d\n");
    assert_eq!(
        r.get("a").unwrap().span,
        Span::new(Pos::new(1, 13), Pos::new(1, 16))
    );
}

#[test]
fn explicit_core_tags_resolve_like_go_yaml_v2() {
    let r = root(concat!(
        "a: !!int \"10001\"\n",
        "b: !!bool \"false\"\n",
        "c: !!bool yes\n",
        "d: !!str 10\n",
        "e: !!float \"1\"\n",
        "f: !<tag:yaml.org,2002:int> \"0x10\"\n",
        "g: !!null \"x\"\n",
        "h: \"null\"\n",
        "i: '~'\n",
        "j: !!timestamp \"2001-12-14\"\n",
        "k: !!binary dHJ1ZQ==\n",
        "l: !foo true\n",
        "m: ! 10\n",
        "n: !!null {privileged: true}\n",
        "o: !foo {x: 1}\n",
    ));
    let v = |k: &str| r.get(k).unwrap().scalar().cloned();
    assert_eq!(v("a"), Some(Scalar::Int(10001)));
    assert_eq!(r.get("a").unwrap().describe(), "10001");
    assert_eq!(v("b"), Some(Scalar::Bool(false)));
    assert_eq!(v("c"), Some(Scalar::Bool(true)));
    assert_eq!(v("d"), Some(Scalar::Str));
    assert_eq!(v("e"), Some(Scalar::Float(1.0)));
    assert_eq!(v("f"), Some(Scalar::Int(16)));
    assert_eq!(v("g"), Some(Scalar::Null));
    assert_eq!(v("h"), Some(Scalar::Null));
    assert_eq!(v("i"), Some(Scalar::Null));
    assert_eq!(r.get("j").unwrap().as_str(), Some("2001-12-14"));
    assert_eq!(r.get("k").unwrap().as_str(), Some("true"));
    assert_eq!(r.get("l").unwrap().as_str(), Some("true"));
    assert_eq!(r.get("m").unwrap().as_str(), Some("10"));
    assert!(r.get("n").unwrap().is_null());
    assert!(r.get("o").unwrap().is_map());
}

#[test]
fn a_tagged_value_of_the_wrong_type_rejects_the_document() {
    let s = parse_stream("a: !!int \"abc\"\nb: !!bool 1\nc: !!binary '!!'\nd: !!int 1.5\n");
    let errs = decode_errors(&s);
    assert_eq!(
        errs,
        vec![
            (
                Pos::new(1, 4),
                "cannot decode !!str `abc` as a !!int".to_string()
            ),
            (
                Pos::new(2, 4),
                "cannot decode !!int `1` as a !!bool".to_string()
            ),
            (
                Pos::new(3, 4),
                "!!binary value contains invalid base64 data".to_string()
            ),
            (
                Pos::new(4, 4),
                "cannot decode !!float `1.5` as a !!int".to_string()
            ),
        ]
    );
    // The document is still read.
    assert!(s.documents[0].root.is_some());
}

#[test]
fn merge_keys_follow_go_yaml_v2_tags() {
    // `!!merge` merges, quoted or not; `!` is non-specific and merges too.
    for key in [
        "!!merge \"<<\"",
        "!!merge <<",
        "! <<",
        "<<",
        "!<tag:yaml.org,2002:merge> '<<'",
    ] {
        let r = root(&format!("m:\n  {key}: {{privileged: true}}\n"));
        let m = r.get("m").unwrap();
        assert_eq!(
            m.get("privileged").and_then(Node::as_bool),
            Some(true),
            "{key}"
        );
    }
    // A quoted `<<` without a tag, or `!!str <<`, is an ordinary key.
    for key in ["\"<<\"", "'<<'", "!!str <<"] {
        let r = root(&format!("m:\n  {key}: {{privileged: true}}\n"));
        let m = r.get("m").unwrap();
        assert!(m.get("privileged").is_none(), "{key}");
        assert!(m.get("<<").is_some(), "{key}");
    }
}

#[test]
fn merging_a_scalar_rejects_the_document() {
    let s = parse_stream("a: [1]\nm:\n  <<: 1\nn:\n  <<: [{x: 1}, 2]\no:\n  <<: *x\n");
    let errs = decode_errors(&s);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!(errs[0].0, Pos::new(3, 7));
    let s = parse_stream("a: &a [{x: 1}]\nm:\n  <<: *a\n");
    assert_eq!(decode_errors(&s).len(), 1);
    let s = parse_stream("a: &a {x: 1}\nm:\n  <<: [*a, {y: 2}]\n");
    assert!(decode_errors(&s).is_empty());
}

#[test]
fn timestamps_and_base64() {
    assert!(is_timestamp("2001-12-14"));
    assert!(is_timestamp("2001-1-2T3:04:05Z"));
    assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
    assert!(is_timestamp("2001-12-14 21:59:43.10"));
    assert!(!is_timestamp("2001-12-14 21:59:43.10 -5"));
    assert!(!is_timestamp("2001-13-14"));
    assert!(!is_timestamp("20011-12-14"));
    assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
    assert_eq!(decode_base64("aGVs\nbG8="), Some(b"hello".to_vec()));
    assert_eq!(decode_base64("aGk"), None);
    assert_eq!(decode_base64("a=Gk"), None);
}
