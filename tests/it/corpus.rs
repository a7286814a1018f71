//! Robustness on real-world manifests (`../shared/corpus`): the whole corpus scans without a
//! panic, without a parse error the YAML does not have, and without a finding that lacks a
//! location. Skips when the corpus is absent, unless CLUSTERSEC_REQUIRE_SHARED=1.

use crate::support::corpus;
use clustersec::discover::{self, Options};
use clustersec::engine::{Engine, DEFAULT_MAX_FILE_SIZE};

/// Files of the corpus that are not valid YAML for any parser (checked with PyYAML and
/// go-yaml's behaviour): a template with `{SERVICE_IP_PREFIX}` placeholders.
const GENUINELY_INVALID: &[&str] = &["cert-manager/make/config/bind/service.yaml"];

#[test]
fn whole_corpus_scans_cleanly() {
    let Some(dir) = corpus() else { return };
    let opts = Options {
        no_ignore: true,
        ..Options::default()
    };
    let found = discover::discover(std::slice::from_ref(&dir), &opts).unwrap();
    let report = clustersec::scan::scan(&Engine::default(), found, DEFAULT_MAX_FILE_SIZE);
    let summary = report.summary();
    eprintln!(
        "corpus: {} files ({} scanned, {} not Kubernetes, {} templates, {} not scanned), {} objects, {} findings",
        summary.files,
        summary.scanned,
        summary.not_kubernetes,
        summary.templates,
        summary.not_scanned,
        summary.objects,
        summary.findings
    );
    for (rule, n) in &summary.by_rule {
        eprintln!("  {rule}: {n}");
    }
    assert!(
        summary.objects > 1000,
        "the corpus should hold thousands of objects"
    );
    for f in &report.findings {
        assert!(
            f.span.start.line >= 1 && f.span.start.col >= 1,
            "finding without a location: {f:?}"
        );
        assert!(f.span.end >= f.span.start, "inverted span: {f:?}");
        assert!(!f.path.is_empty(), "finding without a path: {f:?}");
    }
    let mut syntax: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == "CLUSTERSEC_YAML_SYNTAX")
        .map(|f| {
            f.path
                .split("corpus/")
                .last()
                .unwrap_or(&f.path)
                .to_string()
        })
        .collect();
    syntax.dedup();
    assert_eq!(
        syntax, GENUINELY_INVALID,
        "parse errors the YAML does not have"
    );
}

#[test]
fn helm_rendered_charts_have_no_parse_errors_and_every_finding_has_a_location() {
    let Some(dir) = corpus() else { return };
    let dir = dir.join("helm-rendered");
    let found = discover::discover(std::slice::from_ref(&dir), &Options::default()).unwrap();
    let report = clustersec::scan::scan(&Engine::default(), found, DEFAULT_MAX_FILE_SIZE);
    let summary = report.summary();
    eprintln!(
        "helm-rendered: {} files, {} documents, {} objects, {} findings, {} parse errors",
        summary.files, summary.documents, summary.objects, summary.findings, summary.parse_errors
    );
    assert_eq!(summary.parse_errors, 0);
    assert_eq!(summary.not_scanned, 0);
    for f in &report.findings {
        assert!(f.span.start.line >= 1 && f.span.start.col >= 1, "{f:?}");
        // The templates are not in the corpus: every finding stays in the rendered file and
        // says which template it came from.
        assert!(
            f.mapping
                .as_deref()
                .is_some_and(|m| m.contains("not in the scanned tree"))
                || f.object.is_none(),
            "unmapped finding without a note: {f:?}"
        );
    }
}
