//! Benchmarks: parsing, checking one file at a time, and the whole parallel scan.
//!
//! Input: the real-world manifests in `../shared/corpus` when present, else a generated set.
//! Run: `cargo bench --bench scan` (figures in BENCHMARKS.md).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use clustersec::discover::{self, Options};
use clustersec::engine::{Engine, DEFAULT_MAX_FILE_SIZE};
use clustersec::model::yaml::parse_stream;

fn corpus_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

fn generated_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("clustersec-bench-generated");
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).unwrap();
        let doc = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/manifests/web-deployment.yaml"),
        )
        .unwrap();
        for i in 0..2000 {
            std::fs::write(dir.join(format!("m{i:04}.yaml")), &doc).unwrap();
        }
    }
    dir
}

fn inputs() -> (PathBuf, Vec<(String, String)>) {
    let dir = corpus_dir().unwrap_or_else(generated_dir);
    let found = discover::discover(std::slice::from_ref(&dir), &Options::default()).unwrap();
    let texts = found
        .candidates
        .iter()
        .filter_map(|c| match &c.input {
            discover::Input::Path(p) => std::fs::read_to_string(p)
                .ok()
                .map(|t| (c.display.clone(), t)),
            discover::Input::Stdin => None,
        })
        .collect();
    (dir, texts)
}

fn benches(c: &mut Criterion) {
    let (dir, texts) = inputs();
    let bytes: u64 = texts.iter().map(|(_, t)| t.len() as u64).sum();
    let engine = Engine::default();

    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for (_, t) in &texts {
                black_box(parse_stream(t));
            }
        })
    });
    g.bench_function("parse+check, one thread", |b| {
        b.iter(|| {
            for (p, t) in &texts {
                black_box(engine.scan_text(p, t));
            }
        })
    });
    g.bench_function(
        "full scan (discover, read, parse, check, sort), all cores",
        |b| {
            b.iter(|| {
                let found =
                    discover::discover(std::slice::from_ref(&dir), &Options::default()).unwrap();
                black_box(clustersec::scan::scan(
                    &engine,
                    found,
                    DEFAULT_MAX_FILE_SIZE,
                ))
            })
        },
    );
    g.finish();
}

criterion_group!(scan, benches);
criterion_main!(scan);
