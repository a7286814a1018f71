//! Hostile and broken input: each file gets its exact finding (rule, line, column) or status,
//! and never a panic, a hang or a stack overflow (how long each takes is measured by the
//! benchmarks, never asserted here: `scripts/bench.sh`).

use std::path::PathBuf;

use clustersec::engine::{Engine, FileReport, FileStatus};
use clustersec::finding::Finding;

fn scan(name: &str, bytes: &[u8]) -> (FileReport, Vec<(String, u32, u32)>, Vec<Finding>) {
    let path = format!("fixtures/bad-input/{name}");
    let (report, findings) = Engine::default().scan_bytes(&path, bytes);
    let mut locs: Vec<(String, u32, u32)> = findings
        .iter()
        .map(|f| (f.rule.to_string(), f.span.start.line, f.span.start.col))
        .collect();
    locs.sort();
    (report, locs, findings)
}

fn fixture(name: &str) -> (FileReport, Vec<(String, u32, u32)>, Vec<Finding>) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bad-input")
        .join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    scan(name, &bytes)
}

fn one(rule: &str, line: u32, col: u32) -> Vec<(String, u32, u32)> {
    vec![(rule.to_string(), line, col)]
}

#[test]
fn malformed_yaml_is_a_syntax_finding_where_reading_stopped() {
    // An unclosed double quote: reported at the opening quote.
    let (report, locs, findings) = fixture("malformed.yaml");
    assert_eq!(locs, one("CLUSTERSEC_YAML_SYNTAX", 8, 14));
    assert_eq!(report.status, FileStatus::Scanned);
    assert!(report.parse_error.is_some());
    assert!(
        findings[0].message.contains("quoted scalar"),
        "{}",
        findings[0].message
    );
}

#[test]
fn invalid_utf8_is_a_syntax_finding_at_the_bad_byte() {
    // `note: caf\xE9` (Latin-1): column 12 is the byte after `caf`.
    let (report, locs, findings) = fixture("invalid-utf8.yaml");
    assert_eq!(locs, one("CLUSTERSEC_YAML_SYNTAX", 6, 12));
    assert_eq!(report.status, FileStatus::Scanned);
    assert!(
        findings[0].message.contains("0xE9"),
        "{}",
        findings[0].message
    );

    // The same, generated: a lone continuation byte after a multi-byte character.
    let mut bytes = "apiVersion: v1\nkind: ConfigMap\n# é\u{2603} "
        .as_bytes()
        .to_vec();
    bytes.extend([0x80, b'\n']);
    let (_, locs, _) = scan("generated.yaml", &bytes);
    assert_eq!(locs, one("CLUSTERSEC_YAML_SYNTAX", 3, 6));
}

#[test]
fn binary_file_named_yaml_is_not_scanned() {
    let (report, locs, findings) = fixture("binary.yaml");
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 1, 1));
    assert!(matches!(&report.status, FileStatus::NotScanned(r) if r.contains("binary")));
    assert!(findings[0].message.contains("binary"));
}

#[test]
fn empty_file_is_not_kubernetes() {
    let (report, locs, _) = fixture("empty.yaml");
    assert!(locs.is_empty(), "{locs:?}");
    assert_eq!(report.status, FileStatus::NotKubernetes);
    for text in ["", "\n\n", "# only a comment\n", "---\n---\n", "\u{feff}"] {
        let (report, locs, _) = scan("empty-ish.yaml", text.as_bytes());
        assert!(locs.is_empty(), "{text:?}: {locs:?}");
        assert_eq!(report.status, FileStatus::NotKubernetes, "{text:?}");
    }
}

#[test]
fn alias_bomb_is_bounded() {
    // Nine levels of nine aliases: 9^9 nodes if expanded. The budget runs out at the first
    // alias of `a5`.
    let (report, locs, findings) = fixture("alias-bomb.yaml");
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 11, 12));
    assert_eq!(report.status, FileStatus::Scanned);
    assert!(findings[0].message.contains("billion laughs"));
}

#[test]
fn ten_thousand_deep_nesting_is_bounded() {
    // Flow collections: saphyr stops at 255 levels; the 256th `[` is column 256.
    let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (_, locs, _) = scan("deep-flow.yaml", flow.as_bytes());
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 1, 256));

    let flow_maps = format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000));
    let (_, locs, _) = scan("deep-flow-maps.yaml", flow_maps.as_bytes());
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 1, 4 * 255 + 1));

    // Block sequences on one line (`- - - ... x`): our own bound of 256 levels; the 257th
    // sequence starts at column 2 * 256 + 1.
    let block = format!("{}x\n", "- ".repeat(10_000));
    let (_, locs, findings) = scan("deep-block.yaml", block.as_bytes());
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 1, 513));
    assert!(findings[0].message.contains("nesting deeper than 256"));

    // Block mappings, one level per line.
    let mut nested = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
    for depth in 1..=10_000usize {
        nested.push_str(&" ".repeat(depth.min(300)));
        nested.push_str("a:\n");
    }
    let (_, locs, _) = scan("deep-mappings.yaml", nested.as_bytes());
    // Line n opens the mapping at stack depth n - 2 (root, then `data`'s value on line 4);
    // the 257th is refused, at line 259, column 257.
    assert_eq!(locs, one("CLUSTERSEC_NOT_SCANNED", 259, 257));
}

#[test]
fn unknown_kinds_are_objects_without_pod_specs_unless_they_have_a_template() {
    let (report, locs, _) = fixture("unknown-kind.yaml");
    assert_eq!(report.status, FileStatus::Scanned);
    assert_eq!(report.objects, 2);
    // The Widget has no pod spec: nothing. The CRD with spec.template.spec.containers is
    // checked like a Deployment.
    assert!(locs.iter().all(|(_, line, _)| *line >= 16), "{locs:?}");
    assert!(locs.contains(&("CUSTOM_SECURITY_PRIVILEGED_CHECK".to_string(), 20, 13)));
    assert!(locs.contains(&("CUSTOM_SECURITY_USER_CHECK".to_string(), 19, 11)));
}

#[test]
fn non_string_kind_is_a_wrong_type() {
    let (report, locs, findings) = fixture("non-string-kind.yaml");
    assert_eq!(report.objects, 1);
    assert_eq!(locs, one("CLUSTERSEC_WRONG_TYPE", 2, 1));
    assert_eq!(findings[0].field.as_deref(), Some("kind"));
}

#[test]
fn non_scalar_keys_are_wrong_types() {
    let (_, locs, _) = fixture("non-scalar-keys.yaml");
    assert_eq!(
        locs,
        vec![
            ("CLUSTERSEC_WRONG_TYPE".to_string(), 6, 5),
            ("CLUSTERSEC_WRONG_TYPE".to_string(), 8, 3),
        ]
    );
}

#[test]
fn truncated_and_odd_bytes_never_panic() {
    let text = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rules/CUSTOM_SECURITY_PRIVILEGED_CHECK/utf8.yaml"),
    )
    .expect("utf8 fixture");
    // Every prefix, including ones that cut a multi-byte character in half.
    for n in 0..text.len() {
        let _ = scan("prefix.yaml", &text[..n]);
    }
    for odd in [
        "\r",
        "\r\r\n",
        "\t",
        "---\t",
        "- \u{0}",
        "\u{feff}\u{feff}a: 1",
        "!!binary x",
        "&a a: *a",
        "? ? ?",
    ] {
        let _ = scan("odd.yaml", odd.as_bytes());
    }
}
