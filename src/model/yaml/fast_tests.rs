//! The fast scanner against saphyr: every text must give the same documents, trees, spans and
//! diagnostics both ways (whole stream, lean, one document at a time).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::fast::{COUNTS, DISABLED};
use super::*;

/// Everything the parse gives, as text: the stream, the lean stream, and the documents of
/// [`each_document`] (lean) with whether it finished.
pub(super) fn outcome(text: &str) -> String {
    let full = parse_stream(text);
    let lean = parse_stream_with(text, true);
    let mut docs = Vec::new();
    let done = each_document(text, true, &mut |doc, diags| docs.push((doc, diags)));
    format!("{full:?}\n{lean:?}\n{done} {docs:?}")
}

/// The outcome with the fast path and with saphyr only.
pub(super) fn both(text: &str) -> (String, String) {
    let fast = outcome(text);
    DISABLED.with(|d| d.set(true));
    let slow = outcome(text);
    DISABLED.with(|d| d.set(false));
    (fast, slow)
}

pub(super) fn assert_same(text: &str) {
    let (fast, slow) = both(text);
    assert!(
        fast == slow,
        "fast path differs on:\n{text}\n--- fast\n{fast}\n--- saphyr\n{slow}"
    );
}

/// Documents read by the fast path and by saphyr while `f` runs (with the fast path on).
pub(super) fn counted(f: impl FnOnce()) -> (usize, usize) {
    COUNTS.with(|c| c.set((0, 0)));
    f();
    COUNTS.with(std::cell::Cell::get)
}

const SAMPLES: &[&str] = &[
    "a: 1\nb:\n  - x\n  - y: \"q\"   # c\n    z: |\n      hi\n      there\n\n---\n# c\nc: d\n...\n",
    "# lead\n\n---\n# c2\napiVersion: v1\nk:\nl: \nm:\n- a\n-   b\n- c: 1\n  d: 2\n- \n  e: f\nn: []\no: {}\np: [a, \"b\"]\nq: {x: 1}\n",
    "---\n---\na: b\n---\n# only\n...\n---\n- x\n- y\n",
    "a: x   \nb: x # c\nc: |-\n  l1\n\n  l2\n\n\nd: >\n  f1\n  f2\n\n  f3\n   more\ne: \"a\\\"b\\n\"\nf: 'it''s'\ng: end\n",
    "m:\n-   b\n-\n- \n  x: 1\n-\n  - q\nn:\n-\n  x: 1\no:\n- # c\n  - y\np:\n- - z\n",
    "a:\n  b: |\n    x\n  c: 1\nd: |\n\n  x\n e: >-\n  y\n # c\nk  :\n",
    "a:\n  - \n  -   # c\n  -\nk  :   # c\nl: # x\nm: |\n  x\n\n",
    "a: b\n---\n",
    "a: b\n--- # c\nb: |\n  x\n--- \n",
    "# c\n\na: b\n...\n# x\nc: d\n...\n",
    "a: [ a , \"b\" ,c ]  # k\nb: { x: 1 , y : \"z\" }\nc: [ ]\n",
    // Block scalars: chomping, trailing lines, more indented lines, terminators.
    "a: |+\n  x\n\n\nb: >+\n  y\n   z\n\n  w\n",
    "a: >\n  one\n  two\n\n\n  three\n    four\n  five\n# c\nb: 1\n",
    "a:\n  b: |\n    x\n  # less\n  c: 1\n",
    "a:\n  b: >-\n    x\n\n   \n    y\n  c: 2\n",
    "- |\n  x\n- >\n  y\n- z\n",
    "a: |\n  x\n   \n",
    "a: |\n  x\n      \n  y\n",
    "a: |\n\tx\n",
    "a: |\n  x\tz\n  \ty\n",
    "a: |2\n   x\n",
    // Quoted scalars: escapes, quotes, keys.
    "\"a b\": 'c''d'\n'e': \"\\x41\\u00e9\\t\\\\\\/\\N\"\nf: \"unterminated\n",
    "a: \"x\"#c\n",
    "a: \"x\" y\n",
    "a: 'multi\n  line'\n",
    // Plain scalars that are errors or continue on the next line.
    "a: b: c\n",
    "a: b\n  c\n",
    "a: b\n  # c\nd: e\n",
    "a:\n  plain\n  words\n",
    "- a\nb: c\n",
    "a: b\n- c\n",
    "a:\n  b: 1\n c: 2\n",
    "  a: 1\n  b: 2\n",
    "  a: 1\nb: 2\n",
    // Duplicate keys, merge keys, resolution.
    "a: 1\na: 2\nb: yes\nc: 0644\nd: ~\ne: 1e3\n'<<': {x: 1}\n<<: {y: 2}\n",
    // What the fast path leaves to saphyr, with fast documents around it.
    "a: &x 1\nb: *x\n---\nc: !!str 1\n---\nd: 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 1\n---\n? complex\n: key\n---\nb: [1, [2]]\n---\nc: 2\n",
    "a:\tb\n",
    "a: 1\n---\nb: [\n---\nc: 1\n",
    "a: 1\n---\nb: : c\n---\nd: 1\n",
    "a: b\n...\nc: d\n",
    "a: b\n... # c\n---\nc: d\n",
    "--- # x\n...\n",
    "---\n...\n---\n",
    "# only a comment\n",
    "",
    "\n\n",
    "[a, b]\n",
    "plain\n",
    "a: 1",
    // Nested flow collections.
    "a: {drop: [ALL], b: {c: 1} }\nd: [[a], {b: c},[]]\ne: [{}, [[]]]\n",
    "a: {[x]: 1}\nb: [[a]: b]\nc: [a, [b, ]]\nd: {a: {b: [1, 2], c: 'd'}, e: \"f\"}  # c\n",
    // Values on a line of their own; empty block scalars; leading empty lines.
    "a:\n  {}\nb:\n    null\nc:\n  \"x\"  # q\nd:\n  [a]\ne:\n  x\n  y\nf:\n  - 1\n",
    "- \n  {}\n-\n  'q'\n-\n  |\n   x\n",
    "a:\n  |\n    x\nb:\n  >-\n    y\n",
    "a: |-\n---\nb: |\nc: 1\nd: >\n\ne: 1\n",
    "a: |\n# c\nb: 1\n",
    "a: |\n\n# c\nb: 1\n",
    "a: |+\n\nb: 1\n",
    "a:\n  b: |\n  c: 1\n",
    "- |\n- x\n",
    "a: |\n\n  x\n\n\n  y\nb: >\n\n\n  z\n  w\n",
    "a: |\n  \n  x\n",
    "a: |\n",
    "a: |\n\n",
    // No line break at the end.
    "a: |\n  x\n  y",
    "a: |\n\n  x",
    "a: >+\n  x",
    "a: b\nc: |\n  x",
    "a: b\n---",
    "- x\n-",
    "a:",
    "a: |\n  x\n  ",
    "a: 'x'  # c",
    "a: [1, 2]",
    // Not ASCII: columns and indexes count characters.
    "a: é\nb: \"ü\\tx\" # ö\nc: 'ß''s'\nd: [é, \"ä\"]\ne: |\n  ñ\n  x\nf: >\n  ü\n  ö\n",
    "é: 1\né: 2\n\"ké\": v\n- x\n",
    "a: é\n---\nb: &x \"é\"\nc: *x\n---\nd: \"ü\" # c\ne: 'ö'\n",
    "a: x\u{a0}y\nb: \u{a0}\n\u{a0}: c\nd: \"\u{2028}\"\n",
    "a: \"\u{FEFF}\"\n",
    "a: {x: , y}\n",
    "a: [x, ]\n",
    "a: {x:1}\n",
    "a: [x:1]\n",
    "a: [-1, -x, 'q', \"r\"]\n",
    "a: -\n",
    "a: - b\n",
    "a: @x\n",
    "a: `x\n",
    "-a: 1\n",
    "a: x:y\nb: http://example.com/#frag\nc: x #y\n",
    "a: {\"k\": v}\n",
    "a:\n- b\n- c:\n  - d\n  e: f\ng: h\n",
    "- - a\n",
    "-\n-\n",
    "- a: 1\n  b:\n  - c\n- d\n",
    "kind: CustomResourceDefinition\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          a: {type: string}\n          a: {type: string}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.2\n    securityContext:\n      privileged: yes\n      runAsUser: 0\n    args: [\"--x\", '--y']\n",
];

#[test]
fn samples_match_saphyr() {
    for text in SAMPLES {
        assert_same(text);
    }
}

#[test]
fn the_fast_path_reads_common_manifests_and_leaves_the_rest() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n";
    assert_eq!(counted(|| drop(parse_stream(pod))), (1, 0));
    // An anchor: that document goes to saphyr, the next one to the fast path again.
    let mixed = "a: &x 1\nb: *x\n---\nc: 1\n---\nd: 2\n";
    assert_eq!(counted(|| drop(parse_stream(mixed))), (2, 1));
    // Not ASCII: columns and indexes count characters.
    assert_eq!(counted(|| drop(parse_stream("a: é\n---\nb: 1\n"))), (2, 0));
    // Flow mappings with plain keys, flow scalars starting with `-` (helm charts' probes and
    // commands).
    let flow = "a: {path: /healthz, port: http}\nb: [sh, -c, \"date\"]\nc: [a:b, http://x]\n";
    assert_eq!(counted(|| drop(parse_stream(flow))), (1, 0));
    // Plain and quoted scalars over more lines (CRDs' descriptions, long arguments).
    let lines = "description: A long\n  description\n\n  in two paragraphs.\nb: 'x\n  y'\nc: \"x\\\n  y\\n\n  z\"\nd:\n- one\n  two\n";
    assert_eq!(counted(|| drop(parse_stream(lines))), (1, 0));
    // Indentation indicators.
    let ind = "a:\n  description: |2-\n      indented\n    text\n  b: >1\n    x\n";
    assert_eq!(counted(|| drop(parse_stream(ind))), (1, 0));
    // CRLF line breaks: the whole file goes to saphyr.
    assert_eq!(
        counted(|| drop(parse_stream("a: 1\r\n---\r\nb: 1\r\n"))),
        (0, 2)
    );
}

/// Compares both paths on every YAML file under `dir`; returns (files, fast docs, saphyr docs).
fn compare_dir(dir: &Path) -> (usize, usize, usize) {
    let files = crate::test_files::yaml_files(dir, u64::MAX);
    let (mut fast_docs, mut slow_docs) = (0, 0);
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let (f, s) = counted(|| drop(parse_stream(&text)));
        fast_docs += f;
        slow_docs += s;
        let (fast, slow) = both(&text);
        assert!(fast == slow, "fast path differs on {}", path.display());
    }
    (files.len(), fast_docs, slow_docs)
}

#[test]
fn fixtures_match_saphyr() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (files, fast, slow) = compare_dir(&dir);
    println!("fixtures: {files} files, documents: {fast} fast path, {slow} saphyr");
    assert!(files > 100);
}

#[test]
fn corpus_matches_saphyr() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CLUSTERSEC_REQUIRE_SHARED").is_none(),
            "../shared/corpus is required"
        );
        println!("skipped: ../shared/corpus is absent");
        return;
    }
    let (files, fast, slow) = compare_dir(&dir);
    println!("corpus: {files} files, documents: {fast} fast path, {slow} saphyr");
}

/// A Kubernetes-shaped document, in the styles manifests use.
fn manifest() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        "[a-z][a-z0-9-]{0,8}",
        "[0-9]{1,5}",
        Just("yes".to_string()),
        Just("~".to_string()),
        Just("0644".to_string()),
        Just("\"quoted: #x\"".to_string()),
        Just("'it''s'".to_string()),
        Just("\"esc\\t\\\"q\\u00e9\"".to_string()),
        Just("[a, \"b\", 1]".to_string()),
        Just("{}".to_string()),
        Just("{x: 1, 'y': z}".to_string()),
        Just("{drop: [ALL], add: []}".to_string()),
        Just("[[a, b], {c: d}]".to_string()),
        Just("{path: /healthz, port: http}".to_string()),
        // Over more lines (continued in every context below, or only under `metadata`).
        Just("one\n            two\n\n            three".to_string()),
        Just("one   \n   two # c".to_string()),
        Just("'it''s\n            a  \n\n             b'".to_string()),
        Just("\"x\\\n            \\ y\\t\n   z\"".to_string()),
        Just("[sh, -c, a:b, http://x/#y]".to_string()),
        Just("nginx:1.2 # comment".to_string()),
        Just("http://x/#y".to_string()),
    ];
    let block = prop_oneof![
        Just("|\n  line one\n  line two\n".to_string()),
        Just("|-\n  a\n\n  b\n\n".to_string()),
        Just(">\n  folded\n  text\n\n  para\n    more\n".to_string()),
        Just(">+\n  keep\n\n".to_string()),
        Just("|2-\n    spaced\n  text\n".to_string()),
    ];
    let names = prop::collection::vec("[a-z]{1,6}", 1..4);
    (
        names,
        prop::collection::vec(scalar, 1..6),
        block,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(names, values, block, indentless, lead)| {
            let mut s = String::new();
            if lead {
                s.push_str("# Source: chart/templates/x.yaml\n");
            }
            s.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n");
            for (i, n) in names.iter().enumerate() {
                s.push_str(&format!("  {n}: {}\n", values[i % values.len()]));
            }
            s.push_str("spec:\n  template:\n    spec:\n      containers:\n");
            let dash = if indentless { "      - " } else { "        - " };
            let inner = if indentless { "        " } else { "          " };
            for (i, v) in values.iter().enumerate() {
                s.push_str(&format!("{dash}name: c{i}\n{inner}image: {v}\n"));
                s.push_str(&format!("{inner}args:\n{inner}- {v}\n{inner}-\n"));
                s.push_str(&format!("{inner}script: "));
                for line in block.lines() {
                    if line.starts_with(['|', '>']) {
                        s.push_str(line);
                    } else if line.is_empty() {
                    } else {
                        s.push_str(inner);
                        s.push_str(line);
                    }
                    s.push('\n');
                }
            }
            s
        })
}

/// A stream of manifests, then cut, spliced and changed at random places.
fn mutated() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(manifest(), 1..4),
        prop::collection::vec((any::<prop::sample::Index>(), 0usize..12), 0..4),
    )
        .prop_map(|(docs, edits)| {
            let mut s = docs.join("---\n");
            for (at, what) in edits {
                let i = at.index(s.len() + 1);
                let i = (0..=i).rev().find(|&j| s.is_char_boundary(j)).unwrap_or(0);
                let insert = [
                    "\n", " ", "  ", "-", "- ", ": ", "#", "'", "\"", "|", "---\n", "\t",
                ];
                match what {
                    0 => s.truncate(i),
                    1 => {
                        let j = s[i..].find('\n').map_or(s.len(), |n| i + n);
                        s.replace_range(i..j, "");
                    }
                    k => s.insert_str(i, insert[k % insert.len()]),
                }
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_match_saphyr(text in manifest()) {
        let (fast, slow) = both(&text);
        prop_assert!(fast == slow, "differs on:\n{}", text);
    }

    #[test]
    fn mutated_manifests_match_saphyr(text in mutated()) {
        let (fast, slow) = both(&text);
        prop_assert!(fast == slow, "differs on:\n{}", text);
    }
}

/// Where the fast path gives up on the corpus (or the file or directory in `WHY_DIR`): per line
/// of `fast.rs` that gave up, the documents and their bytes, with an example (run by hand:
/// `cargo test --lib fast_tests::why -- --ignored --nocapture`).
#[test]
#[ignore]
fn why_the_corpus_goes_to_saphyr() {
    let dir = match std::env::var_os("WHY_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    let files = if dir.is_file() {
        vec![dir]
    } else {
        crate::test_files::yaml_files(&dir, u64::MAX)
    };
    let (mut not_eligible, mut docs, mut bytes) = (0usize, 0usize, 0usize);
    // Reason line -> (documents, bytes, an example).
    let mut seen = std::collections::BTreeMap::<u32, (usize, usize, String)>::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "json") {
            continue;
        }
        if !super::fast::eligible(&text) {
            not_eligible += 1;
            continue;
        }
        let mut f = super::fast::Fast::new(&text);
        loop {
            let (start, _, _) = f.position();
            match f.document() {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => {
                    let reason = super::fast::REASON.with(std::cell::Cell::get);
                    let (ls, line, ls_char) = f.position();
                    // On to the next `---` line (where saphyr hands back).
                    let next = text[ls..].find("\n---").map(|n| ls + n + 1);
                    let size = next.unwrap_or(text.len()) - start;
                    docs += 1;
                    bytes += size;
                    let e = seen.entry(reason).or_default();
                    e.0 += 1;
                    e.1 += size;
                    if e.2.is_empty() {
                        let first: String = text[ls..]
                            .lines()
                            .next()
                            .unwrap_or("")
                            .chars()
                            .take(50)
                            .collect();
                        e.2 = format!("{}:{line} {first:?}", path.display());
                    }
                    let Some(next) = next else { break };
                    let skipped = &text[ls..next];
                    let lines = skipped.bytes().filter(|&b| b == b'\n').count();
                    f.seek((next, line + lines, ls_char + skipped.chars().count()));
                }
            }
        }
    }
    let mut v: Vec<_> = seen.into_iter().collect();
    v.sort_by_key(|(_, (_, b, _))| std::cmp::Reverse(*b));
    println!("not eligible files: {not_eligible}; to saphyr: {docs} documents, {bytes} bytes");
    for (line, (n, b, example)) in v.iter().take(40) {
        println!("fast.rs:{line:<5} {n:6} docs {b:10} bytes  {example}");
    }
}
