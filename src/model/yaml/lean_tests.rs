//! The lean parse (no tree for CRD schemas) against the full parse.

use super::{parse_stream, parse_stream_with, Kind, Node, Stream};

const CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  versions:
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer, description: 'the size'}
    - name: v2
      schema:
        openAPIV3Schema:
          type: object
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx
";

fn debug(stream: &Stream) -> String {
    format!("{:?}|{:?}", stream.documents, stream.diagnostics)
}

fn schema(stream: &Stream, version: usize) -> &Node {
    stream.documents[0]
        .root
        .as_ref()
        .and_then(|r| r.get("spec"))
        .and_then(|s| s.get("versions"))
        .and_then(Node::as_seq)
        .and_then(|v| v.get(version))
        .and_then(|v| v.get("schema"))
        .expect("schema")
}

/// The lean parse gives the full parse's stream, with each left-out schema an empty mapping
/// over the same span.
fn assert_lean_matches_full_outside_schemas(text: &str) -> (Stream, Stream) {
    let full = parse_stream(text);
    let lean = parse_stream_with(text, true);
    assert_eq!(
        format!("{:?}", full.diagnostics),
        format!("{:?}", lean.diagnostics)
    );
    assert_eq!(full.documents.len(), lean.documents.len());
    for (f, l) in full.documents.iter().zip(&lean.documents) {
        assert_eq!(f.start, l.start);
        assert_eq!(
            f.root.as_ref().map(|n| n.span),
            l.root.as_ref().map(|n| n.span)
        );
    }
    (full, lean)
}

#[test]
fn lean_parse_leaves_out_crd_schemas_with_their_spans() {
    let (full, lean) = assert_lean_matches_full_outside_schemas(CRD);
    for v in 0..2 {
        let (f, l) = (schema(&full, v), schema(&lean, v));
        assert!(f.entries().is_some_and(|e| !e.is_empty()));
        assert!(matches!(&l.kind, Kind::Map(e) if e.is_empty()));
        assert_eq!(f.span, l.span);
    }
    // Everything else is the same tree.
    assert_eq!(
        format!("{:?}", full.documents[1]),
        format!("{:?}", lean.documents[1])
    );
    let spec = |s: &Stream| {
        let root = s.documents[0].root.as_ref().expect("root");
        format!(
            "{:?}",
            root.get("spec")
                .and_then(|s| s.get("versions"))
                .and_then(Node::as_seq)
                .map(|v| v.iter().map(|v| v.get("name").cloned()).collect::<Vec<_>>())
        )
    };
    assert_eq!(spec(&full), spec(&lean));
}

#[test]
fn lean_parse_reports_duplicate_keys_and_syntax_errors_inside_schemas() {
    let dup = CRD.replace(
        "          type: object\n          properties:",
        "          type: object\n          \"type\": array\n          properties:",
    );
    let (full, _) = assert_lean_matches_full_outside_schemas(&dup);
    assert_eq!(full.diagnostics.len(), 1, "{:?}", full.diagnostics);
    let broken = CRD.replace("{type: integer,", "{type: [integer,");
    let (full, _) = assert_lean_matches_full_outside_schemas(&broken);
    assert!(!full.diagnostics.is_empty());
    // v1beta1 CRDs keep their schema in `spec.validation`.
    let v1beta1 = "\
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
spec:
  validation:
    openAPIV3Schema:
      a: 1
      a: 2
";
    let (full, lean) = assert_lean_matches_full_outside_schemas(v1beta1);
    assert_eq!(full.diagnostics.len(), 1);
    let validation = |s: &Stream| {
        s.documents[0]
            .root
            .as_ref()
            .and_then(|r| r.get("spec"))
            .and_then(|s| s.get("validation"))
            .and_then(Node::entries)
            .map(<[_]>::len)
    };
    assert_eq!(validation(&full), Some(1));
    assert_eq!(validation(&lean), Some(0));
}

#[test]
fn lean_parse_builds_the_full_tree_when_the_schema_needs_it() {
    // Anchors, aliases, tags, merge keys, non-scalar keys inside a schema, and documents that
    // are not plainly a CRD: the lean parse gives exactly the full parse's stream.
    let cases = [
        CRD.replace("type: integer,", "type: &t integer,"),
        CRD.replace(
            "          type: object\n          properties:",
            "          type: !!str object\n          properties:",
        ),
        CRD.replace(
            "          type: object\n          properties:",
            "          <<: {a: 1}\n          properties:",
        ),
        CRD.replace(
            "          type: object\n          properties:",
            "          ? [a]\n          : 1\n          properties:",
        ),
        format!(
            "x: &a {{k: v}}\n{}",
            CRD.replace("type: integer,", "type: *a,")
        ),
        CRD.replace(
            "metadata:\n  name: widgets",
            "kind: Deployment\nmetadata:\n  name: widgets",
        ),
        CRD.replace(
            "kind: CustomResourceDefinition\n",
            "<<: {kind: Pod}\nkind: CustomResourceDefinition\n",
        ),
        // `kind` after `spec`: not known when the schema starts.
        CRD.replace("kind: CustomResourceDefinition\n", "")
            .replace("---\n", "kind: CustomResourceDefinition\n---\n"),
        CRD.replace(
            "          type: object\n          properties:",
            &format!(
                "          deep: {}{}\n          properties:",
                "[".repeat(300),
                "]".repeat(300)
            ),
        ),
    ];
    for text in &cases {
        let full = parse_stream(text);
        let lean = parse_stream_with(text, true);
        assert_eq!(debug(&full), debug(&lean), "{text}");
    }
}

#[test]
fn lean_parse_of_a_deeply_nested_schema_reports_what_the_full_parse_reports() {
    let mut text =
        String::from("kind: CustomResourceDefinition\nspec:\n  versions:\n    - schema:\n");
    for i in 0..300 {
        text.push_str(&" ".repeat(6 + 2 * i));
        text.push_str("a:\n");
    }
    let full = parse_stream(&text);
    let lean = parse_stream_with(&text, true);
    assert!(!full.diagnostics.is_empty());
    assert_eq!(debug(&full), debug(&lean));
}

#[test]
fn lean_parse_keeps_the_spans_of_quoted_and_flow_schemas() {
    let text = "kind: CustomResourceDefinition\nspec:\n  versions:\n  - schema: {\"a\": 'b' }  # c\n  - schema:\n      - 'x'   # y\n";
    let (full, lean) = assert_lean_matches_full_outside_schemas(text);
    for v in 0..2 {
        assert_eq!(schema(&full, v).span, schema(&lean, v).span);
    }
}

#[test]
fn duplicate_keys_are_reported_alike_in_small_and_large_mappings() {
    use super::Diagnostic;
    for n in 2..30usize {
        // Keys k0..k(n-1), where every third key repeats the key two before it.
        let keys: Vec<String> = (0..n)
            .map(|i| {
                if i % 3 == 2 {
                    format!("k{}", i - 2)
                } else {
                    format!("k{i}")
                }
            })
            .collect();
        let text: String = keys.iter().map(|k| format!("{k}: 1\n")).collect();
        let doc = format!(
            "kind: CustomResourceDefinition\nspec:\n  validation:\n{}",
            text.lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        );
        for stream in [
            parse_stream(&text),
            parse_stream_with(&doc, true),
            parse_stream(&doc),
        ] {
            let dups: Vec<(String, u32, u32)> = stream
                .diagnostics
                .iter()
                .filter_map(|d| match d {
                    Diagnostic::DuplicateKey { key, first, second } => {
                        Some((key.clone(), first.start.line, second.start.line))
                    }
                    _ => None,
                })
                .collect();
            let offset = if stream.documents[0]
                .root
                .as_ref()
                .and_then(|r| r.get("kind"))
                .is_some()
            {
                3
            } else {
                0
            };
            let want: Vec<(String, u32, u32)> = (0..n)
                .filter(|i| i % 3 == 2)
                .map(|i| {
                    (
                        format!("k{}", i - 2),
                        (i - 2) as u32 + 1 + offset,
                        i as u32 + 1 + offset,
                    )
                })
                .collect();
            assert_eq!(dups, want, "{n}");
        }
    }
}

#[test]
fn lean_parse_leaves_out_the_schemas_of_a_real_crd_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/helm-rendered/prometheus-community/prometheus-operator-crds.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CLUSTERSEC_REQUIRE_SHARED").is_none(),
            "{} is missing",
            path.display()
        );
        println!("skipped: {} is absent", path.display());
        return;
    };
    let (full, lean) = assert_lean_matches_full_outside_schemas(&text);
    let mut left_out = 0;
    for (f, l) in full.documents.iter().zip(&lean.documents) {
        let versions = |d: &super::Document| {
            d.root
                .as_ref()
                .and_then(|r| r.get("spec"))
                .and_then(|s| s.get("versions"))
                .and_then(Node::as_seq)
                .map(|v| {
                    v.iter()
                        .filter_map(|v| {
                            v.get("schema")
                                .map(|s| (s.span, s.entries().map(<[_]>::len)))
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        for ((fs, fe), (ls, le)) in versions(f).into_iter().zip(versions(l)) {
            assert_eq!(fs, ls);
            assert!(fe.is_some_and(|n| n > 0));
            assert_eq!(le, Some(0));
            left_out += 1;
        }
    }
    assert!(left_out > 5, "{left_out}");
}
