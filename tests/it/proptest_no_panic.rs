//! Random and mutated input never makes the engine panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clustersec::engine::Engine;
use proptest::prelude::*;

/// Every fixture file under fixtures/ (the seeds of the mutations).
fn fixtures() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        fn walk(dir: &Path, out: &mut Vec<Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut paths: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                if p.is_dir() {
                    walk(&p, out);
                } else if p
                    .extension()
                    .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                {
                    if let Ok(bytes) = std::fs::read(&p) {
                        out.push(bytes);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            &mut out,
        );
        assert!(!out.is_empty(), "no fixtures found");
        out
    })
}

fn scan(bytes: &[u8]) {
    let (report, findings) = Engine::default().scan_bytes("fuzz.yaml", bytes);
    assert!(report.bytes <= bytes.len() as u64);
    for f in findings {
        assert!(f.span.start.line >= 1 && f.span.start.col >= 1, "{f:?}");
        assert!(f.span.end >= f.span.start, "{f:?}");
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
    DuplicateLine(usize),
    DeleteLine(usize),
}

/// Bytes that matter to YAML, plus anything.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(b"-:?[]{},&*!|>'\"%@`#\n\r\t <.0yn~".to_vec()),
        1 => any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), interesting_byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match *m {
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
        Mutation::Delete(i) if len > 0 => {
            bytes.remove(i % len);
        }
        Mutation::Replace(i, b) if len > 0 => bytes[i % len] = b,
        Mutation::DuplicateLine(i) | Mutation::DeleteLine(i) => {
            let mut lines: Vec<Vec<u8>> = bytes
                .split_inclusive(|&b| b == b'\n')
                .map(<[u8]>::to_vec)
                .collect();
            if lines.is_empty() {
                return;
            }
            let k = i % lines.len();
            if matches!(m, Mutation::DuplicateLine(_)) {
                let line = lines[k].clone();
                lines.insert(k, line);
            } else {
                lines.remove(k);
            }
            *bytes = lines.concat();
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(s in ".{0,300}") {
        scan(s.as_bytes());
    }

    #[test]
    fn random_yamlish_text_never_panics(s in r##"([-:?\[\]{},&*!|>'"#\n \t]|[a-z]{1,4}|[0-9]{1,3}|  |\n- |: ){0,120}"##) {
        scan(s.as_bytes());
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        scan(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let files = fixtures();
        let mut bytes = files[index.index(files.len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        scan(&bytes);
    }
}
