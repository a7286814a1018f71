//! Benchmarks of each stage on fixed inputs, one thread:
//!
//! - `yaml events`: saphyr-parser's events alone, the floor under everything else;
//! - `parse`: events to the spanned tree (`model::json::parse_input`, what the engine calls);
//! - `model`: objects (List items expanded) and pod views over parsed files;
//! - `rules`: every default rule on every object of parsed, modelled files;
//! - `engine`: `Engine::scan_text` per file (parse, model, rules, suppressions, together);
//! - `report`: each format written from a fixed report.
//!
//! Inputs: the synthetic repository of `scripts/gen-repo.py 1000` (1,000 manifests in 224
//! files: Deployments, CronJobs, Lists, `helm template` output, two large CRDs), generated here
//! by the same logic; `scripts/gen-many-findings.py 20000` (20,000 Pods in one file, five
//! findings each); and `../shared/corpus` when present (skipped otherwise). The reports are
//! those of `scripts/gen-many-findings.py 20000` (one file, 100,000 findings) and of the synthetic
//! repository (3,600 findings of several rules over 224 files), built as the CLI builds them.
//!
//! Run: `cargo bench --bench stages` (figures in BENCHMARKS.md "Criterion"); one group:
//! `cargo bench --bench stages -- report`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use clustersec::config::Config;
use clustersec::engine::Engine;
use clustersec::model::json::parse_input;
use clustersec::model::object::{objects_of, Object};
use clustersec::model::pod::{PodSpec, ShapeError};
use clustersec::model::yaml::Stream;
use clustersec::pipeline::{scan_texts, Settings};
use clustersec::report::{self, Format};
use clustersec::rules::Cx;

use support::File;

/// The stage benchmarks on one set of files.
fn stages_on(c: &mut Criterion, name: &str, files: &[File]) {
    let bytes: u64 = files.iter().map(|(_, t)| t.len() as u64).sum();
    let engine = Engine::default();
    let streams: Vec<Stream> = files.iter().map(|(_, t)| parse_input(t)).collect();

    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));

    g.bench_function("yaml events", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (_, t) in files {
                let mut parser = saphyr_parser::Parser::new_from_str(t);
                while let Some(ev) = parser.next_event() {
                    if ev.is_err() {
                        break;
                    }
                    n += 1;
                }
            }
            black_box(n)
        })
    });

    g.bench_function("parse", |b| {
        b.iter(|| {
            for (_, t) in files {
                black_box(parse_input(t));
            }
        })
    });

    g.bench_function("model", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for stream in &streams {
                for doc in &stream.documents {
                    for obj in objects_of(doc) {
                        let mut shape = Vec::new();
                        let pod = PodSpec::of(&obj, &mut shape);
                        n += usize::from(pod.is_some()) + shape.len();
                        black_box(&pod);
                    }
                }
            }
            black_box(n)
        })
    });

    // Objects and pod views built once; the rules run on them, as the engine runs them.
    let rules: Vec<&dyn clustersec::rules::Rule> = engine
        .registry()
        .iter()
        .filter(|e| engine.severity(&e.meta().id).is_some())
        .map(|e| e.rule())
        .collect();
    type Modelled<'a> = (Object<'a>, Option<PodSpec<'a>>, Vec<ShapeError>);
    let modelled: Vec<(Vec<_>, Vec<Modelled<'_>>)> = streams
        .iter()
        .map(|stream| {
            let roles = clustersec::rules::data::rbac::wildcard_roles(&stream.documents);
            let objects = stream
                .documents
                .iter()
                .flat_map(objects_of)
                .map(|obj| {
                    let mut shape = Vec::new();
                    let pod = PodSpec::of(&obj, &mut shape);
                    (obj, pod, shape)
                })
                .collect();
            (roles, objects)
        })
        .collect();
    g.bench_function(format!("rules ({} default rules)", rules.len()), |b| {
        b.iter(|| {
            let mut n = 0usize;
            for (roles, objects) in &modelled {
                for (obj, pod, shape) in objects {
                    let mut cx = Cx::new(obj, pod.as_ref(), shape);
                    cx.wildcard_roles = roles;
                    for rule in &rules {
                        rule.check(&mut cx);
                    }
                    n += cx.into_findings().len();
                }
            }
            black_box(n)
        })
    });

    g.bench_function("engine (parse, model, rules, per file)", |b| {
        b.iter(|| {
            for (p, t) in files {
                black_box(engine.scan_text(p, t));
            }
        })
    });
    g.finish();
}

fn stages(c: &mut Criterion) {
    if support::dump_if_asked() {
        return;
    }
    stages_on(c, "synthetic 1k", &support::synthetic_repo(1000));
    let pods = vec![(
        "pods-20000.yaml".to_string(),
        support::many_findings(20_000),
    )];
    stages_on(c, "100,000 findings in one file", &pods);
    if let Some(dir) = support::corpus_dir() {
        stages_on(c, "corpus", &support::read_scanned(&dir));
    }
}

/// Each format written from a report, with the options the CLI uses by default (grouped text,
/// SARIF capped at 5,000 results, the cap mentioned by the other formats) and SARIF uncapped.
fn reports_of(c: &mut Criterion, name: &str, files: &[File]) {
    let texts: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let settings = Settings::for_texts(&Config::default()).unwrap();
    let report = scan_texts(&texts, &settings).unwrap();
    let opts = report::Options {
        srcroot: Some(String::new()),
        grouped: true,
        sarif_max_results: Some(report::DEFAULT_SARIF_MAX_RESULTS),
        ..report::Options::default()
    };
    let uncapped = report::Options {
        sarif_max_results: None,
        ..opts.clone()
    };
    let mut g = c.benchmark_group(format!("report, {name}"));
    g.sample_size(10);
    g.throughput(Throughput::Elements(report.findings.len() as u64));
    let formats = [
        ("sarif", Format::Sarif, &opts),
        ("sarif, uncapped", Format::Sarif, &uncapped),
        ("json", Format::Json, &opts),
        ("markdown", Format::Markdown, &opts),
        ("markdown-summary", Format::MarkdownSummary, &opts),
        ("text", Format::Text, &opts),
        ("github", Format::Github, &opts),
        ("gitlab", Format::Gitlab, &opts),
    ];
    for (label, format, o) in formats {
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut out = Vec::new();
                report::write(format, &mut out, &report, o).unwrap();
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn reports(c: &mut Criterion) {
    if std::env::var_os("CLUSTERSEC_BENCH_DUMP").is_some() {
        return;
    }
    let pods = vec![(
        "pods-20000.yaml".to_string(),
        support::many_findings(20_000),
    )];
    reports_of(c, "100,000 findings in one file", &pods);
    reports_of(c, "synthetic 1k", &support::synthetic_repo(1000));
}

criterion_group!(benches, stages, reports);
criterion_main!(benches);
