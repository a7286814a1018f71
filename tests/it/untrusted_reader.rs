//! Tricks that would hide a privileged container from a reader that does not read manifests
//! the way Kubernetes does (go-yaml v2 for YAML, `encoding/json` streams for JSON, UTF-16 with a
//! byte order mark). Each one must yield `CUSTOM_SECURITY_PRIVILEGED_CHECK` at the exact line
//! and column (1-based, columns in code points) of the `privileged` key.

use clustersec::engine::{Engine, FileStatus};
use clustersec::finding::Finding;

const PRIVILEGED: &str = "CUSTOM_SECURITY_PRIVILEGED_CHECK";

/// Lines 1-9 of a Pod whose container's `securityContext:` is on line 9; line 10 is the test's.
const HEAD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx
      securityContext:
";

fn scan(bytes: &[u8]) -> Vec<Finding> {
    let (report, findings) = Engine::default().scan_bytes("untrusted.yaml", bytes);
    assert_eq!(report.status, FileStatus::Scanned, "{report:?}");
    findings
}

/// (line, column) of every finding of `rule`.
fn at(findings: &[Finding], rule: &str) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.span.start.line, f.span.start.col))
        .collect();
    v.sort_unstable();
    v
}

fn privileged(findings: &[Finding]) -> Vec<(u32, u32)> {
    at(findings, PRIVILEGED)
}

#[test]
fn a_unicode_line_break_ends_a_comment() {
    for br in ['\u{2028}', '\u{2029}', '\u{85}'] {
        // go-yaml v2 breaks the line at the separator: `privileged: true` is content, not
        // part of the comment. It is reported on the file's line 10, after `        # ok`
        // (12 characters), the separator (column 13) and 8 spaces: column 22.
        let text = format!("{HEAD}        # ok{br}        privileged: true\n");
        let f = scan(text.as_bytes());
        assert_eq!(privileged(&f), vec![(10, 22)], "{br:?}");
        let p = f.iter().find(|f| f.rule == PRIVILEGED).unwrap();
        assert_eq!(p.span.end.line, 10);
        assert_eq!(p.span.end.col, 38, "through the end of `true`");
    }
}

#[test]
fn a_unicode_line_break_ends_a_plain_value() {
    // `image: nginx<LS>      securityContext: ...`: the break ends the image.
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\u{2028}      securityContext: {privileged: true}\n";
    let f = scan(text.as_bytes());
    // `      image: nginx` is 18 characters, the separator 19, 6 spaces, `securityContext: {`
    // is 18 characters: `privileged` at column 44.
    assert_eq!(privileged(&f), vec![(8, 44)]);
}

#[test]
fn a_byte_order_mark_at_a_line_start_is_skipped() {
    let text = format!("{HEAD}\u{FEFF}       privileged: true\n");
    // The BOM takes column 1, then 7 spaces.
    assert_eq!(privileged(&scan(text.as_bytes())), vec![(10, 9)]);
}

#[test]
fn tagged_merge_keys_merge() {
    for key in [
        "!!merge \"<<\"",
        "!!merge <<",
        "! <<",
        "!<tag:yaml.org,2002:merge> '<<'",
    ] {
        let text = format!("{HEAD}        {key}: {{privileged: true}}\n");
        // `privileged` sits after 8 spaces, the key, `: {`.
        let col = 8 + key.chars().count() as u32 + 3 + 1;
        assert_eq!(privileged(&scan(text.as_bytes())), vec![(10, col)], "{key}");
    }
    // A quoted `<<` without a tag is an ordinary key for go-yaml v2: nothing is merged.
    let text = format!("{HEAD}        \"<<\": {{privileged: true}}\n");
    assert_eq!(privileged(&scan(text.as_bytes())), vec![]);
}

#[test]
fn explicit_core_tags_are_resolved() {
    let text = format!("{HEAD}        privileged: !!bool \"true\"\n");
    assert_eq!(privileged(&scan(text.as_bytes())), vec![(10, 9)]);
    let text = format!("{HEAD}        privileged: !!bool \"yes\"\n");
    let f = scan(text.as_bytes());
    assert_eq!(privileged(&f), vec![(10, 9)]);
    let p = f.iter().find(|f| f.rule == PRIVILEGED).unwrap();
    assert!(p.message.contains("yes (read as true)"), "{}", p.message);
    // A value that cannot have its tag's type: go-yaml refuses the document.
    let text = format!("{HEAD}        runAsUser: !!int \"abc\"\n");
    let f = scan(text.as_bytes());
    assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX"), vec![(10, 20)]);
    let m = &f
        .iter()
        .find(|f| f.rule == "CLUSTERSEC_YAML_SYNTAX")
        .unwrap()
        .message;
    assert!(m.contains("cannot decode !!str `abc` as a !!int"), "{m}");
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn utf32(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xFF, 0xFE, 0, 0]
    } else {
        vec![0, 0, 0xFE, 0xFF]
    };
    for c in text.chars() {
        out.extend(if le {
            u32::from(c).to_le_bytes()
        } else {
            u32::from(c).to_be_bytes()
        });
    }
    out
}

#[test]
fn utf16_with_a_bom_is_read() {
    // Non-ASCII before the key: columns count code points of the decoded text.
    let text = format!("{HEAD}        # é\u{1F600}\n        privileged: true\n");
    for le in [true, false] {
        let f = scan(&utf16(&text, le));
        assert_eq!(privileged(&f), vec![(11, 9)], "le={le}");
        assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX"), vec![], "le={le}");
        assert_eq!(at(&f, "CLUSTERSEC_NOT_SCANNED"), vec![], "le={le}");
    }
}

#[test]
fn utf32_with_a_bom_is_read_and_reported() {
    let text = format!("{HEAD}        privileged: true\n");
    for le in [true, false] {
        let f = scan(&utf32(&text, le));
        assert_eq!(privileged(&f), vec![(10, 9)], "le={le}");
        // Kubernetes does not read UTF-32: said at the top of the file.
        assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX"), vec![(1, 1)], "le={le}");
    }
}

#[test]
fn invalid_utf16_is_reported_and_the_rest_scanned() {
    let mut bytes = utf16(&format!("{HEAD}        # x"), true);
    bytes.extend([0x00, 0xDC]); // a lone low surrogate
    bytes.extend(
        utf16("\n        privileged: true\n", true)
            .get(2..)
            .unwrap(),
    );
    let f = scan(&bytes);
    assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX"), vec![(10, 12)]);
    assert_eq!(privileged(&f), vec![(11, 9)]);
}

#[test]
fn invalid_utf8_does_not_hide_the_rest_of_the_file() {
    // kubectl reads the byte as U+FFFD and applies the Pod.
    let mut bytes = format!("{HEAD}        # caf").into_bytes();
    bytes.push(0xE9);
    bytes.extend(b"\n        privileged: true\n");
    let f = scan(&bytes);
    assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX"), vec![(10, 14)]);
    assert_eq!(privileged(&f), vec![(11, 9)]);
}

const MINIFIED: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}"#;

fn col_of(line: &str, needle: &str) -> u32 {
    let byte = line.find(needle).unwrap();
    line[..byte].chars().count() as u32 + 1
}

#[test]
fn minified_json_is_read() {
    let f = scan(MINIFIED.as_bytes());
    assert_eq!(
        privileged(&f),
        vec![(1, col_of(MINIFIED, "\"privileged\""))]
    );
    // A large one-line file: many containers, the privileged one last.
    let mut big = String::from(
        r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":["#,
    );
    for i in 0..5000 {
        big.push_str(&format!(
            r#"{{"name":"c{i}","image":"nginx","securityContext":{{"privileged":false}}}},"#
        ));
    }
    big.push_str(r#"{"name":"last","image":"nginx","securityContext":{"privileged":true}}]}}"#);
    let f = scan(big.as_bytes());
    let col = big.rfind("\"privileged\"").unwrap() as u32 + 1;
    assert_eq!(privileged(&f), vec![(1, col)]);
}

#[test]
fn json_surrogate_escapes_are_decoded() {
    // A surrogate pair in the name, a lone surrogate (U+FFFD for encoding/json) in the image,
    // and an escaped key.
    let text = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p\ud83d\ude00"},"spec":{"containers":[{"name":"c\ud800","image":"nginx","securityContext":{"privil\u0065ged":true}}]}}"#;
    let f = scan(text.as_bytes());
    assert_eq!(
        privileged(&f),
        vec![(1, col_of(text, "\"privil\\u0065ged\""))]
    );
    let p = f.iter().find(|f| f.rule == PRIVILEGED).unwrap();
    let obj = p.object.as_ref().unwrap();
    assert_eq!(obj.name, "p\u{1F600}");
    assert!(p.message.contains("c\u{FFFD}"), "{}", p.message);
}

#[test]
fn a_json_stream_is_one_object_per_value() {
    let second = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}"#;
    let first = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"}}"#;
    let col = col_of(second, "\"privileged\"");
    for (text, pos) in [
        (format!("{first}{second}"), (1, first.len() as u32 + col)),
        (format!("{first}\n{second}\n"), (2, col)),
        (format!("{first}\r\n  {second}"), (2, col + 2)),
    ] {
        let (report, f) = Engine::default().scan_bytes("stream.json", text.as_bytes());
        assert_eq!(report.documents, 2, "{text}");
        assert_eq!(report.objects, 2, "{text}");
        assert_eq!(privileged(&f), vec![pos], "{text}");
        let p = f.iter().find(|f| f.rule == PRIVILEGED).unwrap();
        assert_eq!(p.object.as_ref().unwrap().document, 1);
    }
}

#[test]
fn a_broken_document_keeps_its_index() {
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: [\n---\n{}        privileged: true\n",
        HEAD
    );
    let (report, f) = Engine::default().scan_bytes("broken.yaml", text.as_bytes());
    assert_eq!(report.documents, 3);
    assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX").len(), 1);
    let p = f.iter().find(|f| f.rule == PRIVILEGED).unwrap();
    assert_eq!(p.object.as_ref().unwrap().document, 2);
    assert_eq!((p.span.start.line, p.span.start.col), (19, 9));

    // The JSON report says so too.
    let json = serde_json::to_value(p.object.as_deref().unwrap()).unwrap();
    assert_eq!(json["document"], 2);
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    /// Characters that matter to the JSON reader, the line-break rewriting and the decoders.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec![
                "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "d83d", "\\ude00", "\\ud800",
                "e", "-", "0", "1.5e3", "true", "nul", "\n", "\r", " ", "\u{2028}", "\u{85}",
                "\u{FEFF}", "#", "!!merge", "<<", "!!int", "!", "&a", "*a", "---", "privileged",
            ])
            .prop_map(str::to_string),
            1 => any::<char>().prop_map(String::from),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn reader_input_never_panics(pieces in prop::collection::vec(piece(), 0..80), json in any::<bool>()) {
            let mut text: String = pieces.concat();
            if json {
                text.insert(0, '{');
            }
            for bytes in [text.as_bytes().to_vec(), utf16(&text, true), utf32(&text, false)] {
                let (_, findings) = Engine::default().scan_bytes("fuzz.yaml", &bytes);
                for f in findings {
                    prop_assert!(f.span.start.line >= 1 && f.span.start.col >= 1, "{:?}", f);
                    prop_assert!(f.span.end >= f.span.start, "{:?}", f);
                }
            }
        }
    }
}

#[test]
fn broken_minified_json_is_still_a_manifest() {
    // One line, truncated: `apiVersion` and `kind` are not at line starts, yet the file is
    // meant as a manifest, so its error is reported rather than the file skipped.
    let text = &MINIFIED[..MINIFIED.len() - 3];
    let (report, f) = Engine::default().scan_bytes("broken.json", text.as_bytes());
    assert_eq!(report.status, FileStatus::Scanned);
    assert_eq!(at(&f, "CLUSTERSEC_YAML_SYNTAX").len(), 1, "{f:?}");
}
