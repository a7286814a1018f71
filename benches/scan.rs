//! Benchmarks: parsing, checking one file at a time, and the whole parallel scan (discovery and
//! reading from disk included); then one file with 100,000 findings, scanned.
//!
//! Input: the real-world manifests in `../shared/corpus` when present, else the synthetic
//! repository of `scripts/gen-repo.py 1000` written to a temporary directory; for the findings,
//! 20,000 pods without securityContext (as `scripts/gen-many-findings.py` writes). Each stage on
//! its own and each report format: `benches/stages.rs`.
//! Run: `cargo bench --bench scan` (figures in BENCHMARKS.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use clustersec::discover::{self, Options};
use clustersec::engine::{Engine, DEFAULT_MAX_FILE_SIZE};
use clustersec::model::yaml::parse_stream;

mod support;

/// The synthetic repository, written once to a fresh temporary directory (removed on drop).
fn generated_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::write_files(dir.path(), &support::synthetic_repo(1000));
    dir
}

/// The directory to scan (the corpus, else the synthetic repository in a temporary directory
/// kept alive by the second value) and the texts of the files a scan reads there.
fn inputs() -> (PathBuf, Option<tempfile::TempDir>, Vec<(String, String)>) {
    let (dir, keep) = match support::corpus_dir() {
        Some(dir) => (dir, None),
        None => {
            let tmp = generated_dir();
            (tmp.path().to_path_buf(), Some(tmp))
        }
    };
    let texts = support::read_scanned(&dir);
    (dir, keep, texts)
}

fn benches(c: &mut Criterion) {
    let (dir, keep, texts) = inputs();
    let bytes: u64 = texts.iter().map(|(_, t)| t.len() as u64).sum();
    let engine = Engine::default();

    let name = if keep.is_some() {
        "synthetic 1k"
    } else {
        "corpus"
    };
    let mut g = c.benchmark_group(name);
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

/// 20,000 pods, 5 findings each, in one file: the whole scan (the formats: `benches/stages.rs`).
fn many_findings(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pods-20000.yaml");
    std::fs::write(&path, support::many_findings(20_000)).unwrap();
    let engine = Engine::default();
    let mut g = c.benchmark_group("100,000 findings in one file");
    g.sample_size(10);
    g.bench_function("scan", |b| {
        b.iter(|| {
            let found =
                discover::discover(std::slice::from_ref(&path), &Options::default()).unwrap();
            black_box(clustersec::scan::scan(
                &engine,
                found,
                DEFAULT_MAX_FILE_SIZE,
            ))
        })
    });
    g.finish();
}

criterion_group!(scan, benches, many_findings);
criterion_main!(scan);
