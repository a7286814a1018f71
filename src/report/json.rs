//! The JSON format: a stable, versioned shape documented in `docs/json-format.md` and
//! `docs/json-format.schema.json`. Keys are camelCase; optional values are `null` in findings
//! (every key is always there) and left out in files (`reason`, `parseError`).
//!
//! Bump [`VERSION`] on any change that removes or renames a key or changes a value's meaning;
//! adding a key is not a breaking change.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Options, Report};
use crate::finding::Severity;
use crate::model::Span;
use crate::outcome::FileStatus;

/// The version of the JSON shape (`version` at the top).
pub const VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    version: u32,
    tool: Tool,
    /// The Kubernetes version the API version rules judged against (`--kube-version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    kube_version: Option<String>,
    summary: Summary<'a>,
    findings: super::Streamed<'a, Finding<'a>>,
    /// Findings silenced by `clustersec:ignore` comments, with their `suppression` reason.
    suppressed: super::Streamed<'a, Finding<'a>>,
    files: Vec<File<'a>>,
    rules: Vec<Rule<'a>>,
    /// What the scanned config changes compared with `--compare-config` (only with that flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_changes: Option<&'a [crate::config_diff::PolicyChange]>,
    /// Pod Security Standards: the version judged at and the workloads by admitted level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pod_security: Option<&'a crate::report::PssSummary>,
    /// The config file used (`null`: none); present when the run looked for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<Option<&'a str>>,
    /// The run's outcome; present when the run computed it (the CLI always does).
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict<'a>>,
    /// What the findings were compared with (`--baseline`, `--diff-base`), and the counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<ComparisonOut>,
}

#[derive(Serialize)]
struct ComparisonOut {
    against: String,
    new: usize,
    existing: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Verdict<'a> {
    exit_code: i32,
    /// The `--fail-on` threshold, or `none`.
    fail_on: String,
    /// Findings at or above it.
    counted: usize,
    /// What was not checked, counted by kind (empty when everything was).
    not_checked: &'a [String],
    fail_on_incomplete: bool,
    /// No Kubernetes object was found (and `--allow-empty` was not given).
    empty: bool,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    files: usize,
    scanned: usize,
    not_kubernetes: usize,
    templates: usize,
    not_scanned: usize,
    parse_errors: usize,
    documents: usize,
    objects: usize,
    findings: usize,
    suppressed: usize,
    /// `suppressed` by what silenced them (when some are).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    suppressed_by: BTreeMap<&'static str, usize>,
    by_severity: BySeverity,
    by_rule: Vec<RuleCount<'a>>,
    /// Files left out by `--exclude` or the config's `exclude` (when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    excluded: usize,
    /// `notScanned` by the kind of reason (when some files were not scanned).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    not_scanned_by_reason: BTreeMap<&'static str, usize>,
    /// Charts rendered and failed, kustomizations built and failed (each when not 0), so that
    /// `clustersec merge` can add up the shards of a scan.
    #[serde(skip_serializing_if = "is_zero")]
    charts_rendered: usize,
    #[serde(skip_serializing_if = "is_zero")]
    charts_failed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    kustomizations_built: usize,
    #[serde(skip_serializing_if = "is_zero")]
    kustomizations_failed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleCount<'a> {
    rule_id: &'a str,
    count: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Finding<'a> {
    rule_id: &'a str,
    severity: Severity,
    message: std::borrow::Cow<'a, str>,
    path: &'a str,
    region: Region,
    object: Option<Object<'a>>,
    container: Option<&'a str>,
    field: Option<&'a str>,
    related: Vec<Related<'a>>,
    /// How a finding in rendered output was mapped to the file the user edits.
    mapping: Option<&'a str>,
    /// The renders (Helm value sets, kustomize builds) the finding came from.
    renders: Vec<&'a str>,
    /// The reason given in the `clustersec:ignore` comment (suppressed findings only).
    suppression: Option<&'a str>,
    /// What suppressed it: `comment`, `annotation`, `config` or `namespace` (suppressed
    /// findings only).
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed_by: Option<&'static str>,
    /// The Pod Security Standards level a PSS finding violates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pss_level: Option<&'static str>,
    /// `new` or `existing`, when the run compared with a baseline or a diff base.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

/// 1-based lines and columns (Unicode code points); `endColumn` is exclusive.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

impl From<Span> for Region {
    fn from(s: Span) -> Region {
        let end = s.end.max(s.start);
        Region {
            start_line: s.start.line.max(1),
            start_column: s.start.col.max(1),
            end_line: end.line.max(1),
            end_column: end.col.max(1),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    document: usize,
    item: Option<usize>,
}

#[derive(Serialize)]
struct Related<'a> {
    /// The file, when it is not the finding's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    message: &'a str,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct File<'a> {
    path: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    documents: usize,
    objects: usize,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    parse_error: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    severity: Severity,
    default_severity: Severity,
    summary: &'a str,
    tags: &'static [&'static str],
    help_uri: String,
}

pub fn write(out: &mut dyn Write, report: &Report, _opts: &Options) -> io::Result<()> {
    let s = report.summary();
    let output = Output {
        comparison: report
            .comparison
            .as_ref()
            .zip(report.new_and_existing())
            .map(|(c, (new, existing))| ComparisonOut {
                against: c.describe(),
                new,
                existing,
            }),
        config: report.config_known.then_some(report.config_path.as_deref()),
        verdict: report.verdict.as_ref().map(|v| Verdict {
            exit_code: v.exit_code,
            fail_on: v
                .threshold
                .map_or_else(|| "none".to_string(), |t| t.to_string()),
            counted: v.counted,
            not_checked: &v.not_checked,
            fail_on_incomplete: v.fail_on_incomplete,
            empty: v.empty,
        }),
        version: VERSION,
        tool: Tool {
            name: "clustersec",
            version: crate::VERSION,
        },
        kube_version: report.kube_version.map(|v| v.to_string()),
        summary: summary(&s),
        findings: super::Streamed::new(report.findings.iter().map(finding)),
        suppressed: super::Streamed::new(report.suppressed.iter().map(finding)),
        files: report.files.iter().map(file).collect(),
        rules: report
            .rules
            .iter()
            .map(|r| Rule {
                id: &r.id,
                name: &r.name,
                severity: report.rule_severity(r),
                default_severity: r.severity,
                summary: &r.summary,
                tags: r.tags,
                help_uri: r.help_uri(),
            })
            .collect(),
        policy_changes: report.policy_changes.as_deref(),
        pod_security: report.pss.as_ref(),
    };
    super::write_json_pretty(out, &output)
}

/// The summary's counts.
fn summary(s: &super::Summary) -> Summary<'_> {
    let count = |sev| s.by_severity.get(&sev).copied().unwrap_or(0);
    let mut by_rule: Vec<RuleCount> = s
        .by_rule
        .iter()
        .map(|(rule_id, count)| RuleCount {
            rule_id: rule_id.as_str(),
            count: *count,
        })
        .collect();
    by_rule.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(b.rule_id)));
    Summary {
        files: s.files,
        scanned: s.scanned,
        not_kubernetes: s.not_kubernetes,
        templates: s.templates,
        not_scanned: s.not_scanned,
        parse_errors: s.parse_errors,
        documents: s.documents,
        objects: s.objects,
        findings: s.findings,
        suppressed: s.suppressed,
        suppressed_by: s.suppressed_by.clone(),
        by_severity: BySeverity {
            critical: count(Severity::Critical),
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            info: count(Severity::Info),
        },
        by_rule,
        excluded: s.excluded,
        not_scanned_by_reason: s.not_scanned_by_reason.clone(),
        charts_rendered: s.charts_rendered,
        charts_failed: s.charts_failed,
        kustomizations_built: s.kustomizations_built,
        kustomizations_failed: s.kustomizations_failed,
    }
}

/// One file's entry.
fn file(f: &crate::outcome::FileReport) -> File<'_> {
    let (status, reason) = match &f.status {
        FileStatus::Scanned => ("scanned", None),
        FileStatus::NotKubernetes => ("not-kubernetes", None),
        FileStatus::Template => ("template", None),
        FileStatus::NotScanned(r) => ("not-scanned", Some(r.as_str())),
    };
    File {
        path: &f.path,
        status,
        reason,
        documents: f.documents,
        objects: f.objects,
        bytes: f.bytes,
        parse_error: f.parse_error.as_deref(),
    }
}

fn finding(f: &crate::finding::Finding) -> Finding<'_> {
    Finding {
        rule_id: &f.rule,
        severity: f.severity,
        message: f.text(),
        path: &f.path,
        region: f.span.into(),
        object: f.object.as_ref().map(|o| Object {
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: &o.name,
            document: o.document,
            item: o.item,
        }),
        container: f.container.as_deref(),
        baseline_state: f.baseline.map(|b| b.as_str()),
        field: f.field.as_deref(),
        related: f
            .related
            .iter()
            .map(|r| Related {
                path: r.path.as_deref(),
                message: &r.message,
                region: r.span.into(),
            })
            .collect(),
        mapping: f.mapping.as_deref(),
        renders: f.renders.iter().map(String::as_str).collect(),
        suppression: f.suppression.as_deref(),
        suppressed_by: f
            .suppression
            .as_ref()
            .map(|_| f.suppressed_by.map_or("comment", |b| b.as_str())),
        pss_level: crate::rules::data::pss::control(&f.rule).map(|c| c.level.as_str()),
    }
}
