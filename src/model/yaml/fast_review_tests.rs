//! A second, adversarial read of the fast scanner (`fast.rs`): inputs chosen from the YAML 1.2
//! specification and go-yaml's behaviour where a line-by-line scanner could read a document
//! differently from saphyr, accept an error, or give a different position. Every case must give
//! the same documents, trees, spans and diagnostics with the fast path on and off.

use super::fast_tests::{assert_same, both};

/// Compares every case and reports all that differ at once.
fn all_same(cases: &[&str]) {
    let mut bad = Vec::new();
    for text in cases {
        let (fast, slow) = both(text);
        if fast != slow {
            bad.push(format!(
                "--- input {text:?}\n--- fast\n{fast}\n--- saphyr\n{slow}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

const PLAIN: &[&str] = &[
    // `: `, ` #`, `#` without a space, indicators at the start, `key:value`.
    "a: b: c\n",
    "a: b #c: d\n",
    "a: b#c\n",
    "a: b #c\n",
    "a: b # c # d\n",
    "a: b:c\n",
    "a:b\n",
    "a:b: c\n",
    "a: b:\n",
    "a: -b\n",
    "a: --b\n",
    "a: --- b\n",
    "a: ... b\n",
    "a: ...\n",
    "a: -\tb\n",
    "a: ?b\n",
    "a: ? b\n",
    "a: :b\n",
    "a: : b\n",
    "a: ,b\n",
    "a: ]b\n",
    "a: }b\n",
    "a: b]\n",
    "a: b, c]\n",
    "a: b {c}\n",
    "a: b [c]\n",
    "a: <<\n",
    "a: =\n",
    "a: ~x\n",
    "a: \\x\n",
    "a: b\"c\n",
    "a: b'c\n",
    "a: b *c &d !e |f >g %h @i `j\n",
    "a: 'b' c\n",
    "a: \"b\"c\n",
    "a: 'b'#c\n",
    "a: 'b' #c\n",
    "a: \"b\" # c\n",
    // Trailing spaces and tabs.
    "a: b   \n",
    "a: b \t\n",
    "a: b\t#c\n",
    "a:   \n",
    "a:\t\n",
    "a: \t b\n",
    "a  : b\n",
    "a\t: b\n",
    // Values that are not strings in YAML 1.1.
    "a: null\nb: Null\nc: NULL\nd: ~\ne: true\nf: True\ng: off\nh: 0x1F\ni: 0o17\nj: .inf\nk: -.Inf\nl: .nan\nm: 1_000\nn: 0b101\no: 1:20\np: 2001-12-14\n",
    "- -1\n- +1\n- .5\n- 1.\n- -.5e3\n- 0.\n- -0\n- 00\n- 08\n- 0777\n",
];

const KEYS: &[&str] = &[
    "\"a\": 1\n'b': 2\n\"\": 3\n'': 4\n",
    "null: 1\n~: 2\n1: 3\n1.0: 4\ntrue: 5\n",
    "1: a\n01: b\n",
    "a b: 1\na  b: 2\n",
    "a[1]: x\nb{c}: y\nd,e: z\n",
    "a#b: c\n",
    "a #b: c\n",
    "a\"b: c\n",
    "a'b: c\n",
    "\"a\" : 1\n'b'   : 2\n",
    "\"a\":1\n",
    "\"a\":\n",
    "\"a\" :\n- x\n",
    "\"a\" b: 1\n",
    "'a' b: 1\n",
    "\"a\\\"b\": 1\n",
    "\"a\\\\\": 1\n",
    "'a''b': 1\n",
    "'a'''': 1\n",
    ": a\n",
    "? a\n: b\n",
    "-a: b\n",
    "-: b\n",
    ".a: b\n",
    "...a: b\n",
    "...: b\n",
    "---a: b\n",
    "---: b\n",
    "<<: {a: 1}\n",
    "=: 1\n",
    ";a: b\n",
    "a: 1\nb: 2\na: 3\n",
    "a:\n  x: 1\n  x: 2\nb:\n  x: 3\n",
    "- a: 1\n  a: 2\n- a: 3\n",
    "\"a\": 1\na: 2\n'a': 3\n",
    "a: {\"x\": 1, \"x\": 2}\n",
    "1: a\n\"1\": b\n",
    "null: a\n~: b\n",
];

const SEQUENCES: &[&str] = &[
    "- - x\n",
    "- - - x\n",
    "-  - x\n",
    "- a: 1\n  b: 2\n",
    "- a: 1\n    b: 2\n",
    "- a: 1\n b: 2\n",
    "- a: 1\nb: 2\n",
    "- a: 1\n  b:\n    c: 1\n   d: 2\n",
    "- a:\n  - x\n- b\n",
    "- a:\n- x\n",
    "- a:\n  b: 1\n",
    "- a:\n   b: 1\n",
    "a:\n- x\n- y\nb:\n  - z\n",
    "a:\n- x\n  - y\n",
    "a:\n- x\n y\n",
    "a:\n  - x\n - y\n",
    "a:\n  - x\n   - y\n",
    "a:\n- x\nb: 1\n- y\n",
    "a:\n-\n- \n-  # c\n- x\n",
    "- \n",
    "-\n",
    "- # c\n",
    "-\n  x\n",
    "-\n  - x\n",
    "-\n  a: 1\n-\n",
    "- x\n-\n",
    "- x\n- y\n---\n- z\n",
    "- 'x'\n- \"y\"\n- [a]\n- {}\n- |\n  b\n",
    "-\ta\n",
    "- \ta\n",
    "-a\n",
    "- a\n -b\n",
    "  - a\n  - b\n",
    "  - a\n- b\n",
    "- a\n  # c\n- b\n",
    "- a\n# c\n  - b\n",
    "- a\n\n\n- b\n",
    "key:\n  - a\n  -\n    b: 1\n  - c\n",
    "a:\n  b:\n  - c\n  d: 1\n",
    "a:\n  b:\n  - c\n d: 1\n",
    "a:\n  b:\n  - c\n - d\n",
    "a:\n-\n  b\n",
    "- [a, b]: c\n",
    "- {a: b}: c\n",
    "- \"a\": b\n  'c': d\n",
    "- \"a\"\n  : b\n",
    "- a #: b\n",
    "- a: b: c\n",
];

const BLOCK_SCALARS: &[&str] = &[
    "a: |\n  x\n",
    "a: |-\n  x\n",
    "a: |+\n  x\n",
    "a: >\n  x\n",
    "a: >-\n  x\n",
    "a: >+\n  x\n",
    "a: |2\n  x\n",
    "a: >2\n   x\n",
    "a: |-2\n  x\n",
    "a: |2-\n  x\n",
    "a: |+-\n  x\n",
    "a: |x\n  x\n",
    "a: | x\n  x\n",
    "a: |#c\n  x\n",
    "a: | #c\n  x\n",
    "a: |  # c\n  x\n",
    "a: |\t\n  x\n",
    "a: |\n",
    "a: |\nb: 1\n",
    "a: |-\nb: 1\n",
    "a: >\n\nb: 1\n",
    "a: |\n\n  x\n",
    "a: |\n  \n  x\n",
    "a: |\n   \n  x\n",
    "a: |\n  x\n\n",
    "a: |\n  x\n\n\n",
    "a: |+\n  x\n\n\n",
    "a: |-\n  x\n\n\n",
    "a: |+\n  x\n  \n   \n",
    "a: |+\n  x\n\nb: 1\n",
    "a: |\n  x\n y\n",
    "a: |\n  x\n y: 1\n",
    "a: |\n  x\n  y\n   z\n w\n",
    "a: |\n  x\n# c\nb: 1\n",
    "a: |\n  x\n # c\nb: 1\n",
    "a: |\n  # x\n  y\n",
    "a: |\n  x\n  # y\n",
    "a: |\n  x\n    # y\n",
    "a: |\n  x\n  ---\n  ...\n",
    "a: |\n  x\n---\nb: 1\n",
    "a: |\n  x\n--- |\n  y\n",
    "a: |\n  x\n...\nb: 1\n",
    "a: |\n  x\n---x\n",
    "a: |\n  x\n...x: 1\n",
    "a: |\n  x\n\n---\nb: 1\n",
    "a: |+\n  x\n\n---\nb: 1\n",
    "a: >\n  x\n  y\n\n  z\n\n\n  w\n",
    "a: >\n  x\n   y\n  z\n",
    "a: >\n   x\n  y\n",
    "a: >\n  x\n\n   y\n\n  z\n",
    "a: >\n  x\n  \ty\n",
    "a: >\n  \tx\n",
    "a: |\n  \tx\n",
    "a: |\n  x\t\n",
    "a: |\n \tx\n",
    "a: |\n  x\n \t\n  y\n",
    "a: |\n  x\n  \t\n  y\n",
    "a: >-\n  trailing   \n  spaces  \n",
    "a: >\n  a\n\n\n",
    "a: >+\n  a\n\n\n",
    "- |\n x\n- >\n  y\n  z\n-\n  |\n  w\n",
    "- |\n  x\n  - y\n",
    "- |\n x\n -y\n",
    "- a: |\n    x\n  b: 1\n",
    "- a: |\n   x\n  b: 1\n",
    "- a: |\n  x\n",
    "a:\n- |\n  x\n- |\n x\n",
    "a:\n- |\n x\nb: |\n y\n",
    "a:\n  b: |\n  x\n",
    "a:\n  b: |\n   x\n  c: >\n   y\n d: 1\n",
    "key: |\n  x\n  y\nnext: |\n    deep\n  shallow\n",
    "a: |\n  x\n\n  \n\n  y\n",
    "a: |\n  x\n     \n  y\n",
    "--- |\n  x\n",
    "--- >\n  x\n",
    "a: | # c\n  x\n# d\n",
    "a: |\n  x\nb: >\n  y\nc: |-\n  z\n",
    "a:\n  b: |\n    x\n# c\n    y\n",
    "a:\n  b: |\n    x\n# c\n  c: 1\n",
    "a: |\n  x\n\n# c\n\n  y\n",
    "a: |\n  x\n\n# c\n\nb: 1\n",
    "a: >\n  x\n#c\n",
    "a: |-\n  x\n  # y\n# z\nb: 1\n",
    "- |\n  x\n# c\n- y\n",
    "- |\n  x\n  # c\n- y\n",
];

const QUOTED: &[&str] = &[
    "a: \"\\\"\"\n",
    "a: \"\\\\\"\n",
    "a: \"\\x41\\x7e\\x00\"\n",
    "a: \"\\xZZ\"\n",
    "a: \"\\x4\"\n",
    "a: \"\\u004\"\n",
    "a: \"\\ud800\"\n",
    "a: \"\\U0001F600\"\n",
    "a: \"\\U00110000\"\n",
    "a: \"\\q\"\n",
    "a: \"\\'\"\n",
    "a: \"\\ \"\n",
    "a: \"\\\t\"\n",
    "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\N\\_\\L\\P\"\n",
    "a: \"x\\\n  y\"\n",
    "a: \"x\n  y\"\n",
    "a: 'x\n  y'\n",
    "a: \"x\ty\"\n",
    "a: 'x\ty'\n",
    "a: ''\n",
    "a: \"\"\n",
    "a: ''''\n",
    "a: 'x''\n",
    "a: \"x\n",
    "a: 'x\n",
    "a: \"x\"\"\n",
    "a: \"a#b\"\n",
    "a: \"a: b\"\n",
    "a: 'a: b'\n",
    "a: \"x\" \"y\"\n",
    "a: \"x\"\n  b\n",
    "a: \"x\"\n  # c\n",
    "- \"x\"\n  - y\n",
    "- \"a\":b\n",
    "\"a\nb\": c\n",
    "a: \"#\"\nb: '#'\nc: \"'\"\nd: '\"'\n",
    "a: \"\\/\"\n",
    "a: \"\\uD83D\\uDE00\"\n",
];

const FLOW: &[&str] = &[
    "a: []\nb: {}\nc: [ ]\nd: { }\n",
    "a: [a, b]\n",
    "a: [a,b]\n",
    "a: [ a ,b , c ]\n",
    "a: [a, b,]\n",
    "a: [a,,b]\n",
    "a: [,]\n",
    "a: [,a]\n",
    "a: [a: b]\n",
    "a: [a:b]\n",
    "a: [a :b]\n",
    "a: [a ]x\n",
    "a: [a]x\n",
    "a: [a] x\n",
    "a: [a]#x\n",
    "a: [a] #x\n",
    "a: [a #x]\n",
    "a: [a#x]\n",
    "a: [a b, c d]\n",
    "a: [a?, b!, c*, d&, e|, f>, g%, h@, i`]\n",
    "a: [-1, -a]\n",
    "a: [- a]\n",
    "a: [?a]\n",
    "a: [? a]\n",
    "a: [\"a\", 'b', \"c\\\"d\", 'e''f']\n",
    "a: [\"a\"b]\n",
    "a: [\"a\" ,'b' ]\n",
    "a: [\"a\",]\n",
    "a: [[a]]\n",
    "a: [{}]\n",
    "a: [a\n",
    "a: [a,\n  b]\n",
    "a: [a]\n  b\n",
    "a: [a] ]\n",
    "a: [a]]\n",
    "a: {a}\n",
    "a: {a: 1}\n",
    "a: {a:1}\n",
    "a: {\"a\": 1}\n",
    "a: {\"a\":1}\n",
    "a: {\"a\" : 1}\n",
    "a: {\"a\": 1,}\n",
    "a: {\"a\": 1, \"b\": \"c\"}\n",
    "a: {\"a\": }\n",
    "a: {\"a\"}\n",
    "a: {'a': b c}\n",
    "a: {'a': [b]}\n",
    "a: {\"a\": 1 }x\n",
    "a: [a]: b\n",
    "[a, b]: c\n",
    "{a: b}: c\n",
    "[a]\n",
    "{}\n",
    "- []\n- {}\n- [a]\n",
    "[]\n",
    "a: [a, b] # c\n",
    "a: [\ta]\n",
    "a: [a\t]\n",
    "a: [a,\tb]\n",
    "a: [ ]\n",
    "a: [\"a\"\t]\n",
];

/// Plain scalars in one-line flow collections: keys of flow mappings (ending at `: `), scalars
/// starting with `-`, `:` and quotes inside a scalar, and where each of them ends.
const FLOW_PLAIN: &[&str] = &[
    "a: {path: /healthz, port: http}\n",
    "a: {x: 1, y: [a, b], z: {w: v}}\n",
    "a: {a b: c d}\n",
    "a: {a : b}\n",
    "a: {a  :  b ,c: d }\n",
    "a: {a: b: c}\n",
    "a: {a:b: c}\n",
    "a: {a: b:c}\n",
    "a: {a:, b}\n",
    "a: {a:}\n",
    "a: {a: }\n",
    "a: {a:[b]}\n",
    "a: {a:{b: c}}\n",
    "a: {a: [b]}\n",
    "a: {http://x: y}\n",
    "a: {a: http://x:80/p}\n",
    "a: {a\"b: c'd}\n",
    "a: {a: \"b\"c}\n",
    "a: {-a: -b}\n",
    "a: {- a: b}\n",
    "a: {a: - b}\n",
    "a: {a: -}\n",
    "a: {a: -, b: c}\n",
    "a: {?a: b}\n",
    "a: {a: b #c}\n",
    "a: {a: b#c}\n",
    "a: {a: b\t}\n",
    "a: {a:\tb}\n",
    "a: {a: yes, b: 0644, c: ~, d: null}\n",
    "a: [sh, -c, date]\n",
    "a: [-c, --x=y, -1, -.5, -]\n",
    "a: [-, a]\n",
    "a: [a, -]\n",
    "a: [-[a]]\n",
    "a: [-{a}]\n",
    "a: [--, ---, -- a]\n",
    "a: [a:b, a:, :a]\n",
    "a: [a:]\n",
    "a: [a:,b]\n",
    "a: [a:[b]]\n",
    "a: [x: y]\n",
    "a: [a\"b, c'd, e\"]\n",
    "a: [http://x/#y, a#b]\n",
    "a: [a ,b]: c\n",
    "- [sh, -c, \"echo hi\"]\n- {key: app, operator: In, values: [a, b]}\n",
    "{a: b}\n",
    "a: {a: b}\n  c\n",
    "a: {a: b, c}\n",
    "a: {a, b: c}\n",
];

/// Plain scalars over more lines in block context: folding (a line break is a space, an empty
/// line a line break), blanks around breaks, continuation lines indented more than the
/// collection (in mappings, sequences, indentless sequences, values on a line of their own),
/// what ends them (a less indented line, a comment, a comment at the end of a line, a document
/// marker), what gives up (`: `, tabs) and where the spans end.
const MULTILINE_PLAIN: &[&str] = &[
    "a: one\n  two\nb: 1\n",
    "a: one\n  two\n  three\n",
    "a: one   \n   two   \n",
    "a: one\n\n  two\n",
    "a: one\n\n\n  two\n\n",
    "a: one\n  \n  two\n",
    "a: one\n      \n  two\n",
    "a: one\n  two\n\nb: 1\n",
    "a: one\n  two\n  \nb: 1\n",
    "a: one\n two\n",
    "a:\n  b: one\n    two\n  c: 1\n",
    "a:\n  b: one\n   two\n",
    "a:\n  b: one\n  two\n",
    "a:\n  b: one\n  two: 1\n",
    "a:\n  one\n  two\nb: 1\n",
    "a:\n    one\n  two\n",
    "a:\n  one\n two\n",
    "- one\n  two\n- three\n",
    "- one\n two\n",
    "- - one\n    two\n  - three\n",
    "a:\n- one\n  two\n- three\nb: 1\n",
    "a:\n- one\n two\n",
    "- a: one\n    two\n  b: 1\n",
    "- a: one\n   two\n",
    "a: one\n  # c\n  two\n",
    "a: one\n  # c\nb: 1\n",
    "a: one\n  two # c\nb: 1\n",
    "a: one\n  two # c\n  three\n",
    "a: one # c\n  two\n",
    "a: one\n  two\n# c\nb: 1\n",
    "a: one\n  two: three\n",
    "a: one\n  two:\n",
    "a: one\n  :two\n",
    "a: one\n  two:three\n",
    "a: one\n  two #three\n",
    "a: one\n  two#three\n",
    "a: one\n  - two\n",
    "a: one\n  -two\n",
    "a: one\n  [two]\n",
    "a: one\n  {two}\n",
    "a: one\n  &two\n",
    "a: one\n  *two\n",
    "a: one\n  !two\n",
    "a: one\n  |two\n",
    "a: one\n  >two\n",
    "a: one\n  'two'\n",
    "a: one\n  \"two\"\n",
    "a: one\n  %two\n",
    "a: one\n  @two\n",
    "a: one\n  ? two\n",
    "a: one\n  ---\n",
    "a: one\n  ...\n",
    "a: one\n---\nb: 1\n",
    "a: one\n...\n",
    "- one\n---\n",
    "a: one\n\ttwo\n",
    "a: one\n  \ttwo\n",
    "a: one\n  two\tthree\n",
    "a: one\n\t\n  two\n",
    "a: one\n  two",
    "a: one\n  two\n  ",
    "a: one\n  ",
    "a: one\n\n",
    "a: é\n  ü ö\n  ß\nb: ñ\n",
    "a: one\n  two\n  three\n---\nb: four\n  five\n",
    "k: one\n  two\nk: one two\n",
    "a: yes\n  no\n",
    "a: 1\n  2\n",
    "a: one\n   two\n  three\n",
    "a: -one\n  two\n",
    "a: http://x\n  /y\n",
];

/// Quoted scalars over more lines: folding as in plain scalars, escapes on every line, an
/// escaped line break (`\` at the end of a line), `''` in single quotes, blanks before and after
/// breaks (escaped blanks kept), what gives up (lines indented no more than the collection,
/// tabs, the end of the text, a document marker, a key over lines) and where the spans end.
const MULTILINE_QUOTED: &[&str] = &[
    "a: \"one\n  two\"\nb: 1\n",
    "a: 'one\n  two'\nb: 1\n",
    "a: \"one   \n   two  \"\n",
    "a: 'one   \n   two  '\n",
    "a: \"one\n\n  two\"\n",
    "a: 'one\n\n\n  two'\n",
    "a: \"one\n  \n  two\"\n",
    "a: \"one\n  two\n  \"\n",
    "a: \"one\n  \"\n",
    "a: \"\n  one\"\n",
    "a: \"one\\\n  two\"\n",
    "a: \"one \\\n  two\"\n",
    "a: \"one\\\n\n  two\"\n",
    "a: \"one\\\n  \\ two\"\n",
    "a: \"one\\t\n  two\"\n",
    "a: \"one\\ \n  two\"\n",
    "a: \"one\\n\n  two\\u00e9\\\"\n  three\"\n",
    "a: \"one\\q\n  two\"\n",
    "a: 'it''s\n  it''s'\n",
    "a: 'one\\\n  two'\n",
    "a: 'one'\n  'two'\n",
    "a: 'one\n  two' # c\nb: 1\n",
    "a: 'one\n  two' x\n",
    "a: 'one\n  two': x\n",
    "a: \"one\n  two\": x\n",
    "\"one\n  two\": x\n",
    "'one\n two': x\n",
    "a: \"one\ntwo\"\n",
    "a: 'one\n two'\n",
    "a:\n  b: 'one\n   two'\n",
    "a:\n  b: 'one\n  two'\n",
    "a:\n  b: 'one\n two'\n",
    "a:\n  'one\n   two'\nb: 1\n",
    "a:\n  'one\n  two'\n",
    "- 'one\n  two'\n- \"three\n  four\"\n",
    "- 'one\n two'\n",
    "a:\n- 'one\n  two'\n",
    "a: 'one\n---\n  two'\n",
    "a: 'one\n  ---\n  two'\n",
    "a: 'one\n...\n'\n",
    "a: 'one\n  # not a comment\n  two'\n",
    "a: 'one\n  two\n",
    "a: 'one\n  two",
    "a: \"one\n\ttwo\"\n",
    "a: \"one\n  \ttwo\"\n",
    "a: \"one\t\n  two\"\n",
    "a: \"one\n  two\"\n  three\n",
    "a: 'é\n  ü'\nb: 'ß'\n",
    "a: \"one\n  two\"\n---\nb: 'three\n  four'\n",
    "a: [\"one\n  two\"]\n",
    "a: {b: 'one\n  two'}\n",
];

/// Block scalars with an indentation indicator (`|2-`, `>-1`, as generated CRDs write
/// descriptions that start with spaces): the indentation is the collection's column plus the
/// indicator, more spaces are text; a first line indented less, `0`, two digits, two chomping
/// indicators, lines of blanks before the text.
const INDENT_INDICATOR: &[&str] = &[
    "a: |2\n   x\n  y\n",
    "a: |2-\n    x\n  y\n\nb: 1\n",
    "a: |-2\n    x\n  y\n",
    "a: >2\n    x\n  y\n  z\n\n   w\n",
    "a: >+1\n  x\n y\n\n",
    "a: |1\n  x\n",
    "a: |4\n  x\n",
    "a: |3\n  x\n",
    "a: |2\n  x\n",
    "a: |2\n\n    x\n",
    "a: |2\n   \n    x\n",
    "a: |2\n  x\n      \n  y\n",
    "a: |2\n  x\n   \n  y\n",
    "a: |0\n  x\n",
    "a: |10\n  x\n",
    "a: |22\n  x\n",
    "a: |2+-\n  x\n",
    "a: |--\n  x\n",
    "a: |2 # c\n   x\n",
    "a: |2#c\n   x\n",
    "a: |2x\n   x\n",
    "a:\n  b: |2-\n      x\n    y\n  c: 1\n",
    "a:\n  b: |2\n   x\n",
    "- |1\n  x\n-  >2\n    y\n",
    "a:\n- |2\n   x\n- y\n",
    "- a: |2\n      x\n    b: 1\n",
    "a: |9\n          x\n",
    "a: |2\n   x",
    "a: |2\n",
    "a: |2\n---\n",
    "a: |2\n\tx\n",
    "a: |2\n  \tx\n",
];

const MARKERS: &[&str] = &[
    "--- a\n",
    "--- a: b\n",
    "--- - a\n",
    "--- |\n  x\n",
    "--- # c\na: b\n",
    "---# c\na: b\n",
    "---\ta: b\n",
    "---\t\na: b\n",
    "--- \na: b\n",
    "---x\n",
    "---x: 1\n",
    "... a\n",
    "...\n",
    "...\n...\n",
    "a: 1\n...\n...\n",
    "a: 1\n...\n...\nb: 2\n",
    "a: 1\n... # c\nb: 2\n",
    "a: 1\n... x\nb: 2\n",
    "a: 1\n...\t\nb: 2\n",
    "a: 1\n---\n...\n",
    "a: 1\n---\n",
    "a: 1\n--- \n",
    "a: 1\n---\n# c\n",
    "a: 1\n---\n\n\n",
    "---\n",
    "---\n---\n",
    "---\n...\n",
    "--- \n... \n",
    "# c\n---\n# c\n",
    "# c\n# d\n",
    "# c\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "%YAML 1.1\n---\na: 1\n---\nb: 2\n",
    "%TAG ! tag:x,2000:\n---\na: !b c\n---\nd: 1\n",
    "a: 1\n%YAML 1.2\n---\nb: 2\n",
    "a: 1\n...\n%YAML 1.2\n---\nb: 2\n",
    "a: 1\n...\n%YAML 1.2\n",
    "%YAML 1.2\n",
    "a: 1\n  ---\n",
    "a:\n  ---\n",
    "- a\n---\n- b\n",
    "  a: 1\n---\n  b: 2\n",
    "a: 1\n---\n  b: 2\n c: 3\n---\nd: 4\n",
    "a: 1\n --- \n",
    "a: 1\n---a\n",
    "a: 1\n----\n",
    "a: |\n  x\n--- # c\nb: |\n  y\n...\n",
    "\n\n---\n\n\na: 1\n\n\n...\n\n\n",
    "a:\n---\n",
    "a:\n...\n",
    "- \n---\n",
    "a: \"\n---\nb\"\nc: 1\n",
    "a: '\n---\nb'\nc: 1\n",
    "a: [\n---\n]\n",
    "a: !t x\n---\nb: 1\n---\nc: |\n  ---\n  x\n---\nd: 2\n",
    "---\n# c\n---\na: 1\n",
    "---\n\n...\na: 1\n",
    "a: 1\n...\n---\n...\n",
    "a: 1\n...\n# c\n",
    "a: 1\n...\n\n",
    "a: 1\n...\nb\n",
    "a: 1\n...\n- b\n",
    "a: 1\n...\n  b: 2\n",
    "- a\n...\n- b\n---\n- c\n",
    "&x a: 1\n---\nb: 1\n",
    "a: 1\n--- !t\nb: 1\n---\nc: 1\n",
    "%YAML 1.2\n%YAML 1.2\n---\na: 1\n---\nb: 1\n",
    "%FOO bar\n---\na: 1\n---\nb: 1\n",
    "a: [1, 2]\n---\nb: {x: y}\n---\nc: [\"d\"]\n",
    "a: 1\n---\n? x\n---\nb: 2\n---\n- : y\n---\nc: 3\n",
    "a: 1\n---\nb: 'x\n  y'\n---\nc: 3\n",
    "a: x\n---\nb: \"\\x\"\n---\nc: 3\n",
    "a: 1\nb: 2\na: 3\n---\nc: 1\nc: 2\n---\nd: &x 1\nd: 2\n---\ne: 1\ne: 2\n",
    "a: 1\n---\nb: [\n---\nc: 1\nc: 2\n---\nd: 1\nd: 2\n",
    "%TAG !e! tag:x,2000:\n---\na: !e!b c\n---\nd: !e!f g\n---\nh: 1\n",
    "%TAG !e! tag:x,2000:\n---\na: !e!b c\n---\nd: 1\n---\ne: !e!f g\n",
    "a: 1\n---\nb: !!str 2\n...\n%YAML 1.1\n---\nc: 3\n",
    "a: 1\n---\n  - b\n  - c\n---\n- d\n",
    "a:\n  b: 1\n c: 2\n---\nd: 1\nd: 2\n",
];

const INDENTATION: &[&str] = &[
    "a:\n  b: 1\n c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a:\n  b: 1\n   c: 2\n",
    "a: 1\n b: 2\n",
    "a: 1\n  b: 2\n",
    " a: 1\nb: 2\n",
    "  a: 1\n b: 2\n",
    "a:\n\tb: 1\n",
    "\ta: 1\n",
    "a: 1\n\t\nb: 2\n",
    "a: 1\n  \t\nb: 2\n",
    "a: 1\n\t# c\nb: 2\n",
    "a: 1\n  # c\nb: 2\n",
    "a: 1\n   # c\n",
    "a:\n  # c\n  b: 1\n",
    "a:\n# c\n  b: 1\n",
    "a:\n\n  b: 1\n",
    "a:\n  b:\n    c:\n      d: 1\n    e: 2\n  f: 3\ng: 4\n",
    "a:\n  b:\n    c:\n      d: 1\n     e: 2\n",
    "a: b\nc\n",
    "a: b\nc: d\ne\n",
    "a\n",
    "a: 1\nb\n",
    "a: 1\n- b\n",
    "- a\nb\n",
    "- a\n  b\n",
    "a:\n  b\n  c: 1\n",
];

const WHOLE_FILE: &[&str] = &[
    "",
    "\n",
    " \n",
    "#\n",
    "a: 1",
    "a: 1\nb: 2",
    "a: |\n  x",
    "a: |\n  x\n  y",
    "\u{feff}a: 1\n",
    "a: 1\r\nb: 2\r\n",
    "a: |\r\n  x\r\n\r\nb: 1\r\n",
    "a: 1\rb: 2\r",
    "a: 1\r\nb: |\r\n  x\r\n---\r\nc: 1\r\n",
    "a: \"\u{e9}\"\n",
    "a: 1\n\u{0}\n",
    "a: 1\n\u{7f}\n",
    "a: b\u{b}c\n",
    "a: b\u{c}c\n",
];

#[test]
fn plain_scalars_match_saphyr() {
    all_same(PLAIN);
}

#[test]
fn keys_match_saphyr() {
    all_same(KEYS);
}

#[test]
fn sequences_match_saphyr() {
    all_same(SEQUENCES);
}

#[test]
fn block_scalars_match_saphyr() {
    all_same(BLOCK_SCALARS);
}

#[test]
fn quoted_scalars_match_saphyr() {
    all_same(QUOTED);
}

#[test]
fn flow_collections_match_saphyr() {
    all_same(FLOW);
}

#[test]
fn flow_plain_scalars_match_saphyr() {
    all_same(FLOW_PLAIN);
}

#[test]
fn multi_line_plain_scalars_match_saphyr() {
    all_same(MULTILINE_PLAIN);
}

#[test]
fn multi_line_quoted_scalars_match_saphyr() {
    all_same(MULTILINE_QUOTED);
}

#[test]
fn indentation_indicators_match_saphyr() {
    all_same(INDENT_INDICATOR);
}

#[test]
fn document_markers_and_hand_over_match_saphyr() {
    all_same(MARKERS);
}

#[test]
fn indentation_mistakes_match_saphyr() {
    all_same(INDENTATION);
}

#[test]
fn whole_file_decisions_match_saphyr() {
    all_same(WHOLE_FILE);
}

#[test]
fn limits_match_saphyr() {
    // Keys near the fast path's limit (1000) and saphyr's simple key limit (1024).
    for n in [
        990, 998, 999, 1000, 1001, 1020, 1022, 1023, 1024, 1025, 1030, 1100,
    ] {
        let k = "k".repeat(n);
        assert_same(&format!("{k}: v\nb: 1\n"));
        assert_same(&format!("\"{k}\": v\n"));
        assert_same(&format!("'{k}': v\n"));
        assert_same(&format!("- {k}: v\n"));
        assert_same(&format!("{k} : v\n"));
    }
    // A short key, then many spaces before its `:`.
    // (Further: see `divergences_match_saphyr`.)
    for n in [1000, 1010, 1020] {
        let sp = " ".repeat(n);
        assert_same(&format!("a{sp}: v\n"));
        assert_same(&format!("\"a\"{sp}: v\n"));
        assert_same(&format!("- a{sp}: v\n"));
        assert_same(&format!("{}{}: v\n", "k".repeat(990), &sp[990..]));
    }
    // Long values and lines.
    let long = "x".repeat(100_000);
    assert_same(&format!(
        "a: {long}\nb: \"{long}\"\nc: [{long}]\nd: |\n  {long}\n"
    ));
    // Nesting near the fast path's bound (128) and the builder's (256).
    for depth in [126, 127, 128, 129, 130, 255, 256, 257] {
        let mut s = String::new();
        for i in 0..depth {
            s.push_str(&" ".repeat(i));
            s.push_str("k:\n");
        }
        s.push_str(&" ".repeat(depth));
        s.push_str("v: 1\n");
        assert_same(&s);
        let mut s = String::new();
        for i in 0..depth {
            s.push_str(&" ".repeat(2 * i));
            s.push_str("-\n");
        }
        s.push_str(&" ".repeat(2 * depth));
        s.push_str("x\n");
        assert_same(&s);
        let mut s = String::new();
        for i in 0..depth {
            s.push_str(&" ".repeat(2 * i));
            s.push_str("- k:\n");
        }
        assert_same(&s);
        assert_same(&"- ".repeat(depth));
    }
}

/// A small deterministic generator (xorshift), so that the random texts are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        let n = from.len().max(1);
        let i = usize::try_from(self.next() % n as u64).unwrap_or(0);
        from.get(i).copied().unwrap_or("")
    }
}

/// Pieces of manifest lines: indentation, keys, values, indicators, markers.
const PIECES: &[&str] = &[
    "\n",
    "\n",
    "\n",
    "\n",
    " ",
    " ",
    "  ",
    "    ",
    "a",
    "b",
    "key",
    "- ",
    "- ",
    "-",
    ": ",
    ": ",
    ":",
    "#",
    " # c",
    "'",
    "\"",
    "'q'",
    "\"q\"",
    "|",
    "|-",
    "|+",
    ">",
    ">-",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ",",
    "---\n",
    "...\n",
    "\t",
    "?",
    "\\",
    "\\n",
    "1",
    "~",
    "x y",
    "&a ",
    "*a",
    "!t ",
    "[a, b]",
    "{\"k\": v}",
    "{k: v, l: -m}",
    "[-c, a:b]",
    "[]",
    "{}",
    "%YAML 1.2\n",
    "\n\n",
    "''",
    "\"\"",
    "\\\"",
];

/// A random text of `n` pieces, lines starting at random indentation.
fn random_text(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick(PIECES));
    }
    if rng.next() % 4 != 0 && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn random_cases(seed: u64, count: usize) {
    let mut rng = Rng(seed);
    let mut bad = Vec::new();
    for _ in 0..count {
        let n = usize::try_from(rng.next() % 24).unwrap_or(0) + 1;
        let text = random_text(&mut rng, n);
        let (fast, slow) = both(&text);
        if fast != slow {
            bad.push(text);
        }
    }
    bad.sort_by_key(String::len);
    assert!(
        bad.is_empty(),
        "{} texts differ, shortest first: {bad:#?}",
        bad.len()
    );
}

#[test]
fn random_texts_match_saphyr() {
    random_cases(0x9e37_79b9_7f4a_7c15, 3000);
}

/// The same, many more texts (for exploration: `cargo test --lib fast_review -- --ignored`).
#[test]
#[ignore = "slow exploration"]
fn many_random_texts_match_saphyr() {
    for seed in 1..=20u64 {
        random_cases(seed.wrapping_mul(0x2545_f491_4f6c_dd1d), 10_000);
    }
}

/// Where the fast path and saphyr differ on the branch this review started from (7b8458f);
/// each case passes with /tmp/parsereview/fix.patch applied.
const DIVERGENCES: &[&str] = &[
    // An alias to an anchor of an earlier document: saphyr's parser still knows the anchor (the
    // tree builder reports `UnknownAnchor` and keeps the document); after the hand-over to the
    // fast path and back, a new saphyr parser stopped at a syntax error (document dropped).
    "a: &x 1\n---\nc: *x\n",
    "a: 1\n--- &x\nb: 1\n---\nc: *x\n",
    "- &x a\n---\n- b\n---\n- *x\n",
    "a: &x 1\n---\nb: |\n  x\n---\nc: *x\n",
];

#[test]
fn divergences_match_saphyr() {
    all_same(DIVERGENCES);
    // A key, then more than 1024 characters from its start to its `:`: saphyr no longer takes
    // it for a simple key ("mapping values are not allowed in this context"), the fast path
    // read a map (its key length bound, 1000, left out the blanks before the `:`).
    for n in [1021, 1022, 1023, 1024, 1025, 1100, 2000] {
        let sp = " ".repeat(n);
        all_same(&[
            &format!("a{sp}: v\n"),
            &format!("\"a\"{sp}: v\n"),
            &format!("'a'{sp}: v\n"),
            &format!("- a{sp}: v\n"),
            &format!("- \"a\"{sp}: v\n"),
            &format!("{}{}: v\n", "k".repeat(990), &sp[990..]),
        ]);
    }
}

/// Line starts and line contents for [`random_lines`]: mostly what the fast path reads.
const LINE_HEADS: &[&str] = &[
    "- ", "- ", "- ", "- - ", "-", "? ", ": ", "---", "...", "--- ", "\t",
];
const LINE_BODIES: &[&str] = &[
    "a: 1",
    "b: x y",
    "c:",
    "c: ",
    "d: |",
    "d: |-",
    "d: |+",
    "d: >",
    "d: >-",
    "d: >+",
    "d: |2-",
    "d: >1",
    "e: [a, 'b', \"c\"]",
    "f: {\"k\": v}",
    "f: {path: /x, port: -1}",
    "e: [sh, -c, a:b]",
    "g: \"q\\\"x\"",
    "h: 'it''s'",
    "text",
    "more text",
    "",
    "# comment",
    "x: y # c",
    "t:  # c",
    "u: []",
    "v: {}",
    "a: 1",
    "a: 2",
    "-",
    "- x",
    "- y: 1",
    "x#y",
    ". . .",
    "-x",
    "a:b",
    "---",
    "\"n\": 1",
    "'o' : 2",
    "p: ~",
    "k: b:c",
    "|",
    ">",
    "[a]",
    "{}",
    "...",
];
const ODD_BODIES: &[&str] = &[
    "i: |2",
    "j: a: b",
    "l: -",
    "m: - x",
    "q: &a x",
    "r: *a",
    "s: !t x",
    "w: [a,",
    "x: \"open",
    "y: 'open",
    "z: b #",
    "\\x",
    "a:\tb",
    "a: b\t",
    "  ",
    "\t",
    "%YAML 1.2",
    "a: \"\\q\"",
    "b: [a,]",
];

/// A random text of lines, at random indentations, from [`LINE_HEADS`] and [`LINE_BODIES`].
fn random_lines(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for _ in 0..n {
        let ind = match rng.next() % 8 {
            0 => 1,
            1 => 3,
            k => usize::try_from(2 * (k % 4)).unwrap_or(0),
        };
        s.push_str(&" ".repeat(ind));
        if rng.next() % 4 == 0 {
            s.push_str(rng.pick(LINE_HEADS));
        }
        if rng.next() % 10 == 0 {
            s.push_str(rng.pick(ODD_BODIES));
        } else {
            s.push_str(rng.pick(LINE_BODIES));
        }
        s.push('\n');
    }
    s
}

fn random_line_cases(seed: u64, count: usize) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut bad = Vec::new();
    let mut docs = (0, 0);
    for _ in 0..count {
        let n = usize::try_from(rng.next() % 12).unwrap_or(0) + 1;
        let text = random_lines(&mut rng, n);
        super::fast::COUNTS.with(|c| c.set((0, 0)));
        drop(super::parse_stream(&text));
        let (f, s) = super::fast::COUNTS.with(std::cell::Cell::get);
        docs = (docs.0 + f, docs.1 + s);
        let (fast, slow) = both(&text);
        if fast != slow {
            bad.push(text);
        }
    }
    bad.sort_by_key(String::len);
    assert!(
        bad.is_empty(),
        "{} texts differ, shortest first: {bad:#?}",
        bad.len()
    );
    docs
}

#[test]
fn random_lines_match_saphyr() {
    let (fast, slow) = random_line_cases(0x0123_4567_89ab_cdef, 3000);
    println!("documents: {fast} fast path, {slow} saphyr");
}

#[test]
#[ignore = "slow exploration"]
fn many_random_lines_match_saphyr() {
    for seed in 1..=20u64 {
        let (fast, slow) = random_line_cases(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 10_000);
        println!("seed {seed}: documents: {fast} fast path, {slow} saphyr");
    }
}

/// Scalar values, one line each (block scalars are written by [`tree`]).
const VALUES: &[&str] = &[
    "x",
    "x y",
    "1",
    "0644",
    "yes",
    "~",
    "null",
    "\"q\"",
    "\"a\\\"b\\n\"",
    "'s'",
    "'it''s'",
    "[]",
    "{}",
    "[a, b]",
    "[\"a\", 'b', 1]",
    "{\"k\": v}",
    "{'k': \"v\", \"j\": w}",
    "x # c",
    "http://x/#y",
    "a:b",
    "-1",
    ".5",
    "a-b",
    "<<",
    "=",
    "x#y",
    "\"\"",
    "''",
    "\"# x\"",
    "'a: b'",
    "--- x",
    "... x",
    "x,y",
    "a[0]",
    "\"\\x41\\u00e9\"",
];
const KEYS_: &[&str] = &[
    "a", "b", "key", "a b", "\"q\"", "'s'", "1", "null", "~", "\"\"", "x.y/z", "a",
];
const BLOCKS: &[&str] = &["|", "|-", "|+", ">", ">-", ">+", "| # c", ">  # c"];
const BLOCK_LINES: &[&str] = &[
    "line",
    "two words",
    "",
    " more",
    "# not a comment",
    "  deeper",
    "x: y",
    "- z",
];

/// A block node at indentation `ind` (the caller wrote what precedes it), as lines.
fn tree(rng: &mut Rng, s: &mut String, ind: usize, depth: usize) {
    let pad = " ".repeat(ind);
    let seq = rng.next() % 3 == 0;
    let n = usize::try_from(rng.next() % 4).unwrap_or(0) + 1;
    for _ in 0..n {
        if rng.next() % 8 == 0 {
            s.push_str(&pad);
            s.push_str("# c\n");
        }
        if rng.next() % 12 == 0 {
            s.push('\n');
        }
        s.push_str(&pad);
        if seq {
            s.push('-');
        } else {
            s.push_str(rng.pick(KEYS_));
            s.push(':');
        }
        let inner = ind + 2;
        match rng.next() % 10 {
            0..=4 => {
                s.push(' ');
                s.push_str(rng.pick(VALUES));
                s.push('\n');
            }
            5 => {
                s.push(' ');
                s.push_str(rng.pick(BLOCKS));
                s.push('\n');
                let bi = inner + usize::try_from(rng.next() % 2).unwrap_or(0);
                let m = usize::try_from(rng.next() % 4).unwrap_or(0) + 1;
                for j in 0..m {
                    let line = rng.pick(BLOCK_LINES);
                    if j == 0 && (line.is_empty() || line.starts_with(' ')) {
                        s.push_str(&" ".repeat(bi));
                        s.push_str("first\n");
                        continue;
                    }
                    if !line.is_empty() {
                        s.push_str(&" ".repeat(bi));
                    }
                    s.push_str(line);
                    s.push('\n');
                }
            }
            6 => s.push('\n'),
            7 if seq && depth < 6 => {
                // `- key: value` on the dash's line.
                s.push(' ');
                s.push_str(rng.pick(KEYS_));
                s.push_str(": ");
                s.push_str(rng.pick(VALUES));
                s.push('\n');
                if rng.next() % 2 == 0 {
                    s.push_str(&" ".repeat(inner));
                    s.push_str("z: 1\n");
                }
            }
            _ if depth < 6 => {
                if rng.next() % 6 == 0 {
                    s.push_str(" # c");
                }
                s.push('\n');
                // An indentless sequence under a key now and then.
                let at = if !seq && rng.next() % 3 == 0 {
                    ind
                } else {
                    inner
                };
                if at == ind {
                    let pad2 = " ".repeat(ind);
                    for _ in 0..usize::try_from(rng.next() % 3).unwrap_or(0) + 1 {
                        s.push_str(&pad2);
                        s.push_str("- ");
                        s.push_str(rng.pick(VALUES));
                        s.push('\n');
                    }
                } else {
                    tree(rng, s, at, depth + 1);
                }
            }
            _ => s.push('\n'),
        }
    }
}

/// Small edits that break or bend the structure.
const EDITS: &[&str] = &[
    "\n", " ", "  ", "-", "- ", ": ", ":", "#", " #", "'", "\"", "|", ">", "---\n", "...\n", "\t",
    "[", "]", "{", "}", ",", "?", "&a ", "*a", "!", "%", "\\", "\n---\n", "\n...\n", "\n# c\n",
];

fn random_tree_cases(seed: u64, count: usize) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut bad = Vec::new();
    let mut docs = (0, 0);
    for _ in 0..count {
        let mut text = String::new();
        for d in 0..usize::try_from(rng.next() % 3).unwrap_or(0) + 1 {
            if d > 0 || rng.next() % 3 == 0 {
                text.push_str(match rng.next() % 4 {
                    0 => "--- # c\n",
                    1 => "...\n---\n",
                    _ => "---\n",
                });
            }
            let ind = if rng.next() % 8 == 0 { 2 } else { 0 };
            tree(&mut rng, &mut text, ind, 0);
        }
        for _ in 0..rng.next() % 3 {
            let len = text.len() + 1;
            let at = usize::try_from(rng.next() % len as u64).unwrap_or(0);
            let edit = rng.pick(EDITS);
            if text.is_char_boundary(at) {
                text.insert_str(at, edit);
            }
        }
        super::fast::COUNTS.with(|c| c.set((0, 0)));
        drop(super::parse_stream(&text));
        let (f, s) = super::fast::COUNTS.with(std::cell::Cell::get);
        docs = (docs.0 + f, docs.1 + s);
        let (fast, slow) = both(&text);
        if fast != slow {
            bad.push(text);
        }
    }
    bad.sort_by_key(String::len);
    let shown: Vec<&String> = bad.iter().take(5).collect();
    assert!(
        bad.is_empty(),
        "{} texts differ, shortest first: {shown:#?}",
        bad.len()
    );
    docs
}

#[test]
fn random_trees_match_saphyr() {
    let (fast, slow) = random_tree_cases(0x5151_dead_beef_0001, 2000);
    println!("documents: {fast} fast path, {slow} saphyr");
}

#[test]
#[ignore = "slow exploration"]
fn many_random_trees_match_saphyr() {
    for seed in 1..=20u64 {
        let (fast, slow) = random_tree_cases(seed.wrapping_mul(0x2545_f491_4f6c_dd1d), 10_000);
        println!("seed {seed}: documents: {fast} fast path, {slow} saphyr");
    }
}

/// A review of the multi-line support (plain and quoted values over more lines, flow plain
/// scalars, indentation indicators): the rules it implements, at their edges.
const MULTILINE_REVIEW: &[&str] = &[
    // Folding with blank lines, lines of spaces, trailing spaces and tabs before breaks.
    "a: one\n\n\n\n  two\n",
    "a: one\n \n  \n   \n  two\n",
    "a: one  \n\n  two  \n",
    "a: one\t\n  two\n",
    "a: one\n  two\t\n",
    "a: one\n  two \t\n",
    "a: \"one\t\n  two\"\n",
    "a: 'one \t\n  two'\n",
    "a: \"one\n \t\n  two\"\n",
    "a: 'one\n\n\n  two'\n",
    "a: 'one\n   \n  two'\n",
    "a: 'one   \n\n   two'\n",
    "a:\n  b: \"one\n \n    two\"\n",
    "a:\n  b: \"one\n\n    two\"\n",
    "a:\n  b: 'one\n  \n    two'\n",
    "a:\n  b: one\n \n    two\n",
    "a:\n  b: one\n\n  two\n",
    // Continuation lines at the collection's indentation, one more, one less.
    "a:\n  b: one\n   two\n  c: x\n",
    "a:\n  b: one\n    two\n   three\n",
    "a:\n  b: one\n  two\n",
    "a:\n  b: one\n two\n",
    "- a: one\n  two\n",
    "- a: one\n   two\n",
    "- a: one\n  b: two\n    three\n",
    "- - one\n   two\n",
    "- - one\n  two\n",
    "- - a: one\n     two\n",
    "- - a: one\n    two\n",
    "a:\n- one\n two\n",
    "a:\n- one\n  two\n- three\n   four\n",
    "a:\n  - one\n   two\n",
    "a:\n  - one\n  two\n",
    "a:\n  - 'one\n   two'\n",
    "a:\n  - 'one\n  two'\n",
    "a:\n  -   one\n    two\n",
    "-   one\n two\n",
    "-   'one\n two'\n",
    // `#` after a blank vs inside, `: ` and ` #` in continuation lines.
    "a: one\n  two#three\n  four\n",
    "a: one\n  two #three\n  four\n",
    "a: one\n  #two\n",
    "a: one\n\n  #two\n",
    "a: one\n\n  # c\nb: 1\n",
    "a: one\n  two: three\n",
    "a: one\n  two :three\n",
    "a: one\n  two:\tthree\n",
    "a: one\n  two : three\n",
    "a: one\n  two:: three\n",
    "a: one\n  two :\n",
    "a: one\n  two ##\n",
    "a: 'one\n  two # x'\n",
    "a: \"one\n  two: x\"\n",
    // Document markers at column 0 inside a multi-line scalar.
    "a: one\n---\n",
    "a: one\n---x\n",
    "a: one\n...x\n",
    "a: one\n--- x\n",
    "a: one\n---\ttwo\n",
    "a: one\n  two\n---\n  three\n",
    "a:\n  b: one\n---\n",
    "a:\n  b: one\n---x\n",
    "a:\n  b: one\n   two\n...\n",
    "a: \"one\n---\ntwo\"\n",
    "a: \"one\n---x\"\n",
    "a: \"one\n...\"\n",
    "- one\n---x\n",
    "- one\n  ---x\n",
    "- one\n  ---\n",
    "- 'one\n  ---\n  ...'\n",
    // Multi-line keys.
    "one\n  two: x\n",
    "a: 1\none\n  two: x\n",
    "\"one\n  two\": x\n",
    "'one\n\n  two': x\n",
    "- \"one\n  two\": x\n",
    "- 'one\n  two': x\n",
    "a:\n  \"one\n   two\": x\n",
    "? one\n  two\n: x\n",
    "? 'one\n  two'\n: x\n",
    "? a\n: one\n  two\n",
    // Multi-line values of sequence items, nested mappings, after `? `.
    "- a\n  b\n",
    "- a\n  b\n  c\n- d\n",
    "- a\n\n  b\n",
    "-\n  a\n  b\n",
    "-\n  a\n b\n",
    "- \n  a\n   b\n",
    "a:\n  b:\n    c: one\n      two\n    d: x\n",
    "a:\n  b:\n    c: one\n     two\n",
    "a:\n  b:\n    c:\n      one\n     two\n",
    "a:\n  b:\n    c:\n      one\n    two\n",
    "? a\n  b\n",
    // Escapes.
    "a: \"one\\x41\n  two\\x4\"\n",
    "a: \"one\\x\n  two\"\n",
    "a: \"one\\xZZ\n  two\"\n",
    "a: \"one\\u00e9\n  \\u00E9\"\n",
    "a: \"one\\u00e\n  two\"\n",
    "a: \"one\\U0001F600\n  two\"\n",
    "a: \"one\\U0011FFFF\n  two\"\n",
    "a: \"one\\uD800\n  two\"\n",
    "a: \"one\\uDFFF\n  two\"\n",
    "a: \"one\\U0000D800\n  two\"\n",
    "a: \"one\n  \\x00\"\n",
    "a: \"one\n  \\q\"\n",
    "a: \"one\n  \\'\"\n",
    "a: \"one\n  \\\t\"\n",
    "a: \"one\n  \\N\\_\\L\\P\\e\\0\\a\\b\\v\\f\\r\"\n",
    "a: \"one\n  \\/\\\\\\\"\"\n",
    "a: \"one\\\n\"\n",
    "a: \"one\\ \n  two\"\n",
    "a: \"one\\  \n  two\"\n",
    "a: \"one\\   \n  two\"\n",
    "a: \"one  \\\n  two\"\n",
    "a: \"one\\\n   \n  two\"\n",
    "a: \"one\\\n\n\n  two\"\n",
    "a: \"one\\\n  \\\n  two\"\n",
    "a: \"one\\\\\n  two\"\n",
    "a: \"one\\\\\\\n  two\"\n",
    "a: \"one\\\n  \"\n",
    "a: \"\\\n  one\"\n",
    "a: \"one\n\\\n  two\"\n",
    "a: \"one\\\n---\n  two\"\n",
    // Non-ASCII: columns count characters.
    "é: \"ü\n  ö\"\nß: 1\n",
    "a: 'éé\n  üü'\nb: [é, ü]\n",
    "a: éé\n  üü\n  日本\nb: x\n",
    "- 日本\n  語\n- 'é\n  ü'\n",
    "a: \"é\\u00e9\n  \\x41é\" # é\nb: é\n",
    "a: {é: ü, ö: [ß]}\n",
    "a: 日本: x\n",
    "a: |2\n   日本\n  語\nb: ü\n",
    "a: >1\n  é\n ü\n\n öö\n",
    // Tabs in continuation lines.
    "a: one\n  two\tthree\n",
    "a: one\n \ttwo\n",
    "a: 'one\n  two\tthree'\n",
    "a: 'one\n\t  two'\n",
    "a: \"one\n  \t\"\n",
    // Flow plain scalars: `:` at the end, before `,`/`]`/`}`, `-` alone, `?`, quotes.
    "a: [b:]\n",
    "a: [b:, c]\n",
    "a: [b:c, d]\n",
    "a: [b:c:]\n",
    "a: {b: c:}\n",
    "a: {b:}\n",
    "a: {b:, c: d}\n",
    "a: {b: c:d}\n",
    "a: {b:c: d}\n",
    "a: {b: c}: d\n",
    "a: [b, :]\n",
    "a: [b, :c]\n",
    "a: [:c]\n",
    "a: {:c: d}\n",
    "a: [-]\n",
    "a: [-, b]\n",
    "a: [b, -]\n",
    "a: {b: -}\n",
    "a: {-: b}\n",
    "a: [- b]\n",
    "a: [--]\n",
    "a: [-- b]\n",
    "a: [---]\n",
    "a: [...]\n",
    "a: [b-]\n",
    "a: [-:]\n",
    "a: [-#]\n",
    "a: [?]\n",
    "a: [? b]\n",
    "a: [?b]\n",
    "a: [b?]\n",
    "a: {? b: c}\n",
    "a: {?b: c}\n",
    "a: [b\"c\"]\n",
    "a: [b'c']\n",
    "a: [b 'c']\n",
    "a: [b \"c\" d]\n",
    "a: {b\"c: d}\n",
    "a: {b: c\"d\"}\n",
    "a: [\"b\"c]\n",
    "a: ['b' c]\n",
    "a: [\"b\" , c]\n",
    "a: [b #c]\n",
    "a: [b#c]\n",
    "a: [b ,c]\n",
    "a: [b  , c  ]\n",
    "a: [ b\t]\n",
    "a: {b : c}\n",
    "a: {b  :  c}\n",
    "a: {b c: d e}\n",
    "a: [b: c]\n",
    "a: [b:  c]\n",
    "a: [http://x, https://y:8080/z]\n",
    "a: {url: http://x:80}\n",
    "a: [a, b]]\n",
    "a: [a, b}\n",
    "a: {a: b]\n",
    "a: [a, [b, c], {d: e}]\n",
    "a: [a,,b]\n",
    "a: [,]\n",
    "a: [ , a]\n",
    "a: [b] # c\n",
    "a: [b]#c\n",
    "a: [b]x\n",
    "a: [b] x\n",
    "a: [b,\n  c]\n",
    "- [b, c]\n  d\n",
    "a: [b, c]\n  d\n",
    "a: [*b]\n",
    "a: [&b c]\n",
    "a: [!b c]\n",
    "a: [b, |c]\n",
    "a: [b, >c]\n",
    "a: [b, %c]\n",
    "a: [b, @c]\n",
    "a: [b, `c]\n",
    "a: [b%c, d@e, f`g]\n",
    "a: [b&c, d*e, f!g, h|i, j>k]\n",
    // Indentation indicators.
    "a: |2\n\n\n   x\n",
    "a: |2\n\n\n x\n",
    "a: |2-\n\n  x\n\n",
    "a: |1\n\n x\n",
    "a: |0\n x\n",
    "a: |10\n          x\n",
    "a: |+2\n   x\n\n\n",
    "a: |2+\n   x\n\n\n",
    "a: >-1\n  x\n y\n",
    "a: >1-\n  x\n y\n",
    "a: >-1\n x\n\n y\n  z\n",
    "a: |4\n   x\n",
    "a: |3\n   x\n  y\n",
    "a:\n  b: |1\n   x\n  c: 1\n",
    "a:\n  b: |1\n  x\n",
    "a:\n  b: |2\n     x\n    y\n",
    "- |2\n   x\n  y\n",
    "- - |1\n    x\n   y\n",
    "a:\n- |1\n  x\n",
    "a: |2\n   x\n  # c\n",
    "a: |2\n   x\n # c\n",
    "a: >2\n   x\n  y\n",
    "a: >2\n  x\n\n   y\n  z\n",
    "a: |2 \n   x\n",
    "a: |2\t\n   x\n",
    "a: | 2\n   x\n",
    "a: |2  # c\n   x\n",
    // Block scalars at the end of the text without a line break.
    "a: |\n  x",
    "a: |-\n  x",
    "a: |+\n  x",
    "a: >\n  x\n  y",
    "a: |\n  x\n  ",
    "a: |\n  x\n\n  ",
    "a: |",
    "a: |\n",
    "a: |-\n\n",
    "a: |+\n\n",
    "a: |2\n   x",
    "- |\n  x",
    "a:\n  b: |\n    x",
    // What follows a value over more lines.
    "- one\n  two: x\n",
    "a: one\n  two\n b: x\n",
    "a: 'one\n  two'\n b: x\n",
    "- 'one\n  two'   # c\n",
    "a: \"one\\\n  two\"#c\n",
    "a: 'one\n'\n",
    "a: >2\n\n\n  x\n",
    "a: |1-\n\n x\n\n\n",
    "a: [\"b\\x41\", 'c''d']\n",
    "a: {\"b\": 'c', 'd': \"e\"}\n",
    "- {a: b}\n  c\n",
    "- [a]\n- 'one\n  two'\n- {b: c}\n",
];

#[test]
fn multi_line_review_matches_saphyr() {
    all_same(MULTILINE_REVIEW);
    // Very long lines: a plain, quoted and flow value of 100 000 characters over lines.
    let long = "x".repeat(100_000);
    all_same(&[
        &format!("a: {long}\n  {long}\n"),
        &format!("a: \"{long}\n  {long}\"\n"),
        &format!("a: '{long}\n\n  {long}'\n"),
        &format!("a: [{long}, {long}]\n"),
        &format!("a: {{{long}: {long}}}\n"),
        &format!("a: |2\n   {long}\n  {long}\n"),
        &format!("{long}\n  {long}: x\n"),
    ]);
}

/// Pieces of values over more lines for [`random_multi_line`]: first lines and continuation
/// lines of plain, quoted, flow and block values.
const ML_FIRST: &[&str] = &[
    "one",
    "one ",
    "one\t",
    "'one",
    "\"one",
    "'o''ne",
    "\"o\\\"ne",
    "\"one\\",
    "\"one\\ ",
    "one # c",
    "\"one\\x41",
    "[a, b:]",
    "{k: v}",
    "[-c, a:b]",
    "|",
    "|2",
    ">1-",
    "|+1",
    ">",
    "é",
    "\"é",
    "'é ",
    "one: x",
    "",
];
const ML_NEXT: &[&str] = &[
    "two",
    "two ",
    "two\t",
    "two'",
    "two\"",
    "t''wo'",
    "t\\\"wo\"",
    "two\\",
    "\\ two\"",
    "# c",
    "two # c",
    "two: x",
    "two:x",
    "- two",
    "---",
    "...",
    "---x",
    "\ttwo",
    "é'",
    "ü\"",
    "",
    " ",
    "  ",
    "'",
    "\"",
    "\\x4",
    "\\u00e9\"",
    "x: 1",
    "- y",
];

/// Pieces the fast path reads (in clean texts).
const ML_CLEAN_FIRST: &[&str] = &[
    "one",
    "one ",
    "'one",
    "\"one",
    "'o''ne",
    "\"o\\\"ne",
    "\"one\\",
    "\"one\\ ",
    "é",
    "\"é",
    "'é ",
    "[a, b]",
    "|",
    "|2",
    ">1-",
];
const ML_CLEAN_NEXT: &[&str] = &[
    "two", "two ", "t w o", "", " ", "   ", "ü", "two:x", "- two", "---",
];

/// A random text of keys and sequence entries whose values go on over lines indented around
/// their collection's column (one less, the same, one or two more), with empty lines, lines of
/// blanks, tabs, comments, document markers and quote ends among them.
fn random_multi_line(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    // Mostly one well-formed collection (so that the fast path reads much of it), sometimes
    // entries at changing columns.
    let shape = rng.next() % 4;
    let mut col = match shape {
        0 => {
            s.push_str("p:\n");
            2
        }
        1 => {
            s.push_str("- q: 1\n");
            2
        }
        _ => 0,
    };
    let clean = rng.next() % 3 != 0;
    let head = match rng.next() % 3 {
        0 => "- ",
        1 => "- k: ",
        _ => "",
    };
    for i in 0..n {
        s.push_str(&" ".repeat(col));
        if head.is_empty() {
            s.push_str(&format!("k{i}: "));
        } else {
            s.push_str(head);
        }
        let first = rng.pick(if clean { ML_CLEAN_FIRST } else { ML_FIRST });
        s.push_str(first);
        for _ in 0..rng.next() % 4 {
            s.push('\n');
            let ind = match rng.next() % 6 {
                0 => col.saturating_sub(1),
                1 => col,
                2 => col + 1,
                3 if !clean => 0,
                _ => col + 2,
            };
            s.push_str(&" ".repeat(ind));
            let next = rng.pick(if clean { ML_CLEAN_NEXT } else { ML_NEXT });
            if clean && matches!(first.as_bytes().first(), Some(b'\'' | b'"')) {
                // Inside quotes: text, then the closing quote.
                s.push_str(if rng.next() % 2 == 0 { "two" } else { next });
            } else {
                s.push_str(next);
            }
        }
        if clean {
            match first.as_bytes().first() {
                Some(b'\'') => s.push('\''),
                Some(b'"') => s.push('"'),
                _ => {}
            }
        }
        if rng.next() % 8 != 0 {
            s.push('\n');
        }
        if !clean {
            col = match rng.next() % 5 {
                0 => col + 2,
                1 => col.saturating_sub(2),
                _ => col,
            }
            .min(8);
        }
    }
    s
}

fn random_multi_line_cases(seed: u64, count: usize) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut bad = Vec::new();
    let mut docs = (0, 0);
    for _ in 0..count {
        let n = usize::try_from(rng.next() % 5).unwrap_or(0) + 1;
        let text = random_multi_line(&mut rng, n);
        super::fast::COUNTS.with(|c| c.set((0, 0)));
        drop(super::parse_stream(&text));
        let (f, s) = super::fast::COUNTS.with(std::cell::Cell::get);
        docs = (docs.0 + f, docs.1 + s);
        let (fast, slow) = both(&text);
        if fast != slow {
            bad.push(text);
        }
    }
    bad.sort_by_key(String::len);
    bad.truncate(20);
    assert!(bad.is_empty(), "texts differ, shortest first: {bad:#?}");
    docs
}

#[test]
fn random_multi_line_values_match_saphyr() {
    let (fast, slow) = random_multi_line_cases(0x005e_ed0f_1a7e_5ca1, 2000);
    println!("documents: {fast} fast path, {slow} saphyr");
    assert!(fast > 0, "the generator reaches the fast path");
}

/// The same, many more texts (for exploration: `cargo test --lib fast_review -- --ignored`).
#[test]
#[ignore = "slow exploration"]
fn many_random_multi_line_values_match_saphyr() {
    for seed in 1..=20u64 {
        let (fast, slow) =
            random_multi_line_cases(seed.wrapping_mul(0xd1b5_4a32_d192_ed03), 10_000);
        println!("seed {seed}: documents: {fast} fast path, {slow} saphyr");
    }
}
