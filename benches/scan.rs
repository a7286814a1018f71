//! Benchmarks: parsing, checking one file at a time, and the whole parallel scan; then one file
//! with 100,000 findings, scanned and written in every format.
//!
//! Input: the real-world manifests in `../shared/corpus` when present, else a generated set; for
//! the findings, 20,000 pods without securityContext (as `scripts/gen-many-findings.py` writes).
//! Run: `cargo bench --bench scan` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

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
            discover::Input::Memory(t) => Some((c.display.clone(), t.clone())),
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

/// 20,000 pods, 5 findings each, in one file (the input of scripts/gen-many-findings.py).
fn many_findings_file() -> PathBuf {
    let path = std::env::temp_dir().join("clustersec-bench-many-findings.yaml");
    if !path.is_file() {
        let mut s = String::new();
        for i in 0..20_000 {
            s.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: bench\nspec:\n  containers:\n    - name: app-{i}\n      image: registry.example/app:{i}\n"
            ));
        }
        std::fs::write(&path, s).unwrap();
    }
    path
}

fn many_findings(c: &mut Criterion) {
    use clustersec::report::{self, Format};
    let path = many_findings_file();
    let engine = Engine::default();
    let scan = || {
        let found = discover::discover(std::slice::from_ref(&path), &Options::default()).unwrap();
        clustersec::scan::scan(&engine, found, DEFAULT_MAX_FILE_SIZE)
    };
    let mut g = c.benchmark_group("100,000 findings in one file");
    g.sample_size(10);
    g.bench_function("scan", |b| b.iter(|| black_box(scan())));
    let report = scan();
    let opts = report::Options {
        srcroot: Some(String::new()),
        ..report::Options::default()
    };
    for format in [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Markdown,
        Format::Github,
        Format::Gitlab,
    ] {
        g.bench_function(format!("write {format:?}"), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                report::write(format, &mut out, &report, &opts).unwrap();
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(scan, benches, many_findings);
criterion_main!(scan);
