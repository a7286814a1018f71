//! The JSON format: a stable, versioned shape documented in `docs/json-format.md` and
//! `docs/json-format.schema.json`. Keys are camelCase; optional values are `null` in findings
//! (every key is always there) and left out in files (`reason`, `parseError`).
//!
//! Bump [`VERSION`] on any change that removes or renames a key or changes a value's meaning;
//! adding a key is not a breaking change.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::pretty::Pretty;
use super::{Options, Report};
use crate::finding::Severity;
use crate::model::Span;
use crate::outcome::FileStatus;

/// The version of the JSON shape (`version` at the top).
pub const VERSION: u32 = 1;

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
    let mut w = Pretty::new(io::BufWriter::with_capacity(64 * 1024, out));
    // The keys in the order of the documented shape; optional ones left out when unset.
    w.begin_object()?;
    w.key_u64("version", u64::from(VERSION))?;
    w.key("tool")?;
    w.value(&Tool {
        name: "clustersec",
        version: crate::VERSION,
    })?;
    if let Some(v) = report.kube_version {
        w.key_str("kubeVersion", &v.to_string())?;
    }
    w.key("summary")?;
    w.value(&summary(&s))?;
    // Findings are written straight from the report, one at a time.
    for (key, list) in [
        ("findings", &report.findings),
        ("suppressed", &report.suppressed),
    ] {
        w.key(key)?;
        w.begin_array()?;
        for f in list {
            w.element()?;
            finding(&mut w, f)?;
        }
        w.end_array()?;
    }
    w.key("files")?;
    w.begin_array()?;
    for f in &report.files {
        w.element()?;
        write_file(&mut w, &file(f))?;
    }
    w.end_array()?;
    let rules: Vec<Rule> = report
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
        .collect();
    w.key("rules")?;
    w.value(&rules)?;
    if let Some(changes) = report.policy_changes.as_deref() {
        w.key("policyChanges")?;
        w.value(changes)?;
    }
    if let Some(pss) = report.pss.as_ref() {
        w.key("podSecurity")?;
        w.value(pss)?;
    }
    if report.config_known {
        w.key("config")?;
        w.opt_str(report.config_path.as_deref())?;
    }
    if let Some(v) = report.verdict.as_ref() {
        w.key("verdict")?;
        w.value(&Verdict {
            exit_code: v.exit_code,
            fail_on: v
                .threshold
                .map_or_else(|| "none".to_string(), |t| t.to_string()),
            counted: v.counted,
            not_checked: &v.not_checked,
            fail_on_incomplete: v.fail_on_incomplete,
            empty: v.empty,
        })?;
    }
    if let Some((c, (new, existing))) = report.comparison.as_ref().zip(report.new_and_existing()) {
        w.key("comparison")?;
        w.value(&ComparisonOut {
            against: c.describe(),
            new,
            existing,
        })?;
    }
    w.end_object()?;
    let mut buf = w.into_inner();
    writeln!(buf)?;
    buf.flush()
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

/// One file entry, written as serde writes [`File`] (its optional keys left out when unset),
/// without the serializer's detour through a buffer (a run lists thousands of files).
fn write_file<W: Write>(w: &mut Pretty<W>, f: &File<'_>) -> io::Result<()> {
    w.begin_object()?;
    w.key_str("path", f.path)?;
    w.key_str("status", f.status)?;
    if let Some(reason) = f.reason {
        w.key_str("reason", reason)?;
    }
    w.key_u64("documents", f.documents as u64)?;
    w.key_u64("objects", f.objects as u64)?;
    w.key_u64("bytes", f.bytes)?;
    if let Some(error) = f.parse_error {
        w.key_str("parseError", error)?;
    }
    w.end_object()
}

/// One finding, every key always there (`null` when unset) but the last three.
fn finding<W: Write>(w: &mut Pretty<W>, f: &crate::finding::Finding) -> io::Result<()> {
    w.begin_object()?;
    w.key_str("ruleId", &f.rule)?;
    w.key_str("severity", f.severity.as_str())?;
    w.key_str("message", &f.text())?;
    w.key_str("path", &f.path)?;
    w.key("region")?;
    region(w, f.span)?;
    w.key("object")?;
    match &f.object {
        Some(o) => {
            w.begin_object()?;
            w.key_str("apiVersion", &o.api_version)?;
            w.key_str("kind", &o.kind)?;
            w.key("namespace")?;
            w.opt_str(o.namespace.as_deref())?;
            w.key_str("name", &o.name)?;
            w.key_u64("document", o.document as u64)?;
            w.key("item")?;
            match o.item {
                Some(i) => w.u64(i as u64)?,
                None => w.null()?,
            }
            w.end_object()?;
        }
        None => w.null()?,
    }
    w.key("container")?;
    w.opt_str(f.container.as_deref())?;
    w.key("field")?;
    w.opt_str(f.field.as_deref())?;
    w.key("related")?;
    w.begin_array()?;
    for r in f.related.iter() {
        w.element()?;
        w.begin_object()?;
        if let Some(path) = r.path.as_deref() {
            w.key_str("path", path)?;
        }
        w.key_str("message", &r.message)?;
        w.key("region")?;
        region(w, r.span)?;
        w.end_object()?;
    }
    w.end_array()?;
    w.key("mapping")?;
    w.opt_str(f.mapping.as_deref())?;
    w.key("renders")?;
    w.str_array(f.renders.iter().map(String::as_str))?;
    w.key("suppression")?;
    w.opt_str(f.suppression.as_deref())?;
    if f.suppression.is_some() {
        w.key_str(
            "suppressedBy",
            f.suppressed_by.map_or("comment", |b| b.as_str()),
        )?;
    }
    if let Some(c) = crate::rules::data::pss::control(&f.rule) {
        w.key_str("pssLevel", c.level.as_str())?;
    }
    if let Some(b) = f.baseline {
        w.key_str("baselineState", b.as_str())?;
    }
    w.end_object()
}

/// 1-based lines and columns (Unicode code points); `endColumn` is exclusive.
fn region<W: Write>(w: &mut Pretty<W>, s: Span) -> io::Result<()> {
    let end = s.end.max(s.start);
    w.begin_object()?;
    w.key_u64("startLine", u64::from(s.start.line.max(1)))?;
    w.key_u64("startColumn", u64::from(s.start.col.max(1)))?;
    w.key_u64("endLine", u64::from(end.line.max(1)))?;
    w.key_u64("endColumn", u64::from(end.col.max(1)))?;
    w.end_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_are_written_as_serde_writes_them() {
        let files = [
            File {
                path: "a/b.yaml",
                status: "scanned",
                reason: None,
                documents: 3,
                objects: 2,
                bytes: 12_345,
                parse_error: None,
            },
            File {
                path: "dir/\"odd\"\\\u{1}\n\té.yaml",
                status: "not-scanned",
                reason: Some("over the size limit \"x\"\n"),
                documents: 0,
                objects: 0,
                bytes: u64::MAX,
                parse_error: Some("line 3: bad \u{7f} \u{1f}"),
            },
            File {
                path: "",
                status: "template",
                reason: None,
                documents: usize::MAX,
                objects: 1,
                bytes: 0,
                parse_error: Some(""),
            },
        ];
        let write = |direct: bool| {
            let mut w = Pretty::new(Vec::new());
            w.begin_object().unwrap();
            w.key("files").unwrap();
            w.begin_array().unwrap();
            for f in &files {
                w.element().unwrap();
                if direct {
                    write_file(&mut w, f).unwrap();
                } else {
                    w.value(f).unwrap();
                }
            }
            w.end_array().unwrap();
            w.end_object().unwrap();
            String::from_utf8(w.into_inner()).unwrap()
        };
        assert_eq!(write(true), write(false));
    }
}
