//! Reports: one file per format, each `fn write(out, &Report, &Options)`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::outcome::{FileReport, FileStatus};
use crate::rules::RuleMeta;

pub mod escape;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
pub(crate) mod pretty;
pub mod sarif;
pub mod snippets;
pub mod text;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable terminal output with snippets (the default).
    Text,
    /// clustersec's versioned JSON shape (docs/json-format.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// Markdown for a pull-request comment (escaped, within GitHub's 65,536-character limit).
    Markdown,
    /// The markdown report with charts, for a CI job summary.
    MarkdownSummary,
    /// GitHub Actions workflow commands: annotations on the lines of the diff.
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// Options that change how a report is written (not what it holds).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Use colour (text format). The caller decides (NO_COLOR, TTY, `--color`).
    pub color: bool,
    /// The URI of `%SRCROOT%` in SARIF `originalUriBaseIds` (an absolute `file:` URI ending in
    /// `/`). `None` uses the current directory; `Some("")` leaves the URI out. Tests set it so that
    /// their output does not depend on where they run.
    pub srcroot: Option<String>,
    /// Where lines of scanned files can be linked to in markdown, without a trailing `/`:
    /// `{GITHUB_SERVER_URL}/{GITHUB_REPOSITORY}/blob/{GITHUB_SHA}` in GitHub Actions (set by the
    /// caller; formats never read the environment). `None`: plain `path:line`.
    pub blob_url: Option<String>,
    /// The CI run's page, where the full results are (markdown's truncation note).
    pub run_url: Option<String>,
    /// Text: one header per file, object and container, then one line per finding, without
    /// snippets or notes (the CLI's default; `--verbose` turns it off).
    pub grouped: bool,
    /// The most results a SARIF log holds (`--sarif-max-results`); the most severe are kept and
    /// the rest counted in a notification. Set on every format's options when the run writes
    /// SARIF, so text and markdown can say what SARIF left out. `None`: no cap.
    pub sarif_max_results: Option<usize>,
}

/// The default of `--sarif-max-results`: GitHub code scanning keeps only the 5,000 most severe
/// results of a run (and rejects a run of more than 25,000).
pub const DEFAULT_SARIF_MAX_RESULTS: usize = 5000;

/// How many results the SARIF log leaves out under `opts.sarif_max_results` (findings and
/// suppressed findings are results alike).
pub fn sarif_omitted(report: &Report, opts: &Options) -> usize {
    let total = report.findings.len() + report.suppressed.len();
    opts.sarif_max_results
        .map_or(0, |max| total.saturating_sub(max))
}

/// The sentence text, markdown and the job summary carry when the SARIF log was capped.
pub fn sarif_cap_note(report: &Report, opts: &Options) -> Option<String> {
    let left = sarif_omitted(report, opts);
    let max = opts.sarif_max_results?;
    (left > 0).then(|| {
        format!(
            "the SARIF report holds the {max} most severe of {} results and leaves {left} out \
             (--sarif-max-results); the JSON report has them all",
            report.findings.len() + report.suppressed.len()
        )
    })
}

/// Everything a run found, sorted once so that every format is deterministic.
#[derive(Debug)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Every file met, sorted by path.
    pub files: Vec<FileReport>,
    /// The rules that ran, in registry order.
    pub rules: Vec<RuleMeta>,
    /// Every rule the run knows (its registry), to look up the rule of any finding (see
    /// [`Report::rule_meta`]); the built-ins unless [`Report::with_registry`] sets the run's.
    pub registry: std::sync::Arc<crate::rules::Registry>,
    /// File contents by path, for snippets (only files with findings).
    pub sources: BTreeMap<String, String>,
    /// Effective severities of the rules when the config overrides them (see
    /// [`Report::with_rule_severities`]); a rule missing here has its default severity.
    pub rule_severities: BTreeMap<crate::rules::RuleId, Severity>,
    /// Findings silenced by `clustersec:ignore` comments (not counted for the exit code).
    pub suppressed: Vec<Finding>,
    /// Charts rendered and kustomizations built (see [`Report::with_render_counts`]).
    pub render_counts: crate::outcome::RenderCounts,
    /// Files left out by `--exclude` or the config's `exclude` (counted, not listed).
    pub excluded: usize,
    /// The Kubernetes version the scan targeted (see [`Report::with_kube_version`]).
    pub kube_version: Option<crate::kube_version::KubeVersion>,
    /// What the scanned repository's config changes compared with a base config
    /// (`--compare-config`; see [`Report::with_policy_changes`]); `None` when not compared.
    pub policy_changes: Option<Vec<crate::config_diff::PolicyChange>>,
    /// The run's outcome, set by the caller once the threshold is known (see [`Verdict`]).
    pub verdict: Option<Verdict>,
    /// The config file the run used, as found (`None`: no config file).
    pub config_path: Option<String>,
    /// Whether the caller looked for a config file at all (reports then say `config: none`).
    pub config_known: bool,
    /// The Pod Security Standards verdicts of the run (see [`Report::with_pss`]).
    pub pss: Option<PssSummary>,
    /// What the findings were compared with (`scan --baseline`, `--diff-base`): each finding
    /// then has a [`crate::finding::BaselineState`]. `None`: no comparison.
    pub comparison: Option<Comparison>,
}

/// What a scan compared its findings with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    /// A baseline file (`--baseline FILE`), as named.
    Baseline(String),
    /// A git diff base (`--diff-base REF`) and the merge base it resolved to.
    DiffBase {
        reference: String,
        merge_base: String,
    },
    /// As a report read back says it (`clustersec merge` of JSON reports).
    Described(String),
    /// Both.
    Both {
        baseline: String,
        reference: String,
        merge_base: String,
    },
}

impl Comparison {
    /// `baseline FILE`, `diff base REF (merge base abc1234)`: fixed phrases and what the user
    /// named on the command line.
    pub fn describe(&self) -> String {
        let short = |s: &str| s.chars().take(12).collect::<String>();
        match self {
            Comparison::Baseline(file) => format!("baseline {file}"),
            Comparison::Described(what) => what.clone(),
            Comparison::DiffBase {
                reference,
                merge_base,
            } => format!("diff base {reference} (merge base {})", short(merge_base)),
            Comparison::Both {
                baseline,
                reference,
                merge_base,
            } => format!(
                "baseline {baseline} and diff base {reference} (merge base {})",
                short(merge_base)
            ),
        }
    }
}

/// The outcome of a run: what the exit code is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The `--fail-on` threshold; `None` is `never`.
    pub threshold: Option<Severity>,
    /// Findings at or above the threshold.
    pub counted: usize,
    /// What was not checked (see [`Report::not_checked`]).
    pub not_checked: Vec<String>,
    /// Whether `not_checked` fails the run (`--fail-on-incomplete`).
    pub fail_on_incomplete: bool,
    /// No Kubernetes object was found, and `--allow-empty` was not given.
    pub empty: bool,
    pub exit_code: i32,
}

impl Verdict {
    /// One line: the exit code, the threshold and how many findings count toward it, what was
    /// not checked. Ends without a period.
    pub fn line(&self) -> String {
        let mut parts = vec![match self.threshold {
            Some(t) => format!(
                "{} {} toward --fail-on {t}",
                self.counted,
                if self.counted == 1 {
                    "finding counts"
                } else {
                    "findings count"
                }
            ),
            None => "findings do not fail the run (--fail-on none)".to_string(),
        }];
        if self.empty {
            parts.push("no Kubernetes object found (--allow-empty passes this)".to_string());
        }
        if !self.not_checked.is_empty() {
            parts.push(format!(
                "not checked: {}{}",
                self.not_checked.join(", "),
                if self.fail_on_incomplete {
                    " (fails: --fail-on-incomplete)"
                } else {
                    " (does not fail: --no-fail-on-incomplete)"
                }
            ));
        }
        let word = if self.exit_code == 0 { "pass" } else { "FAIL" };
        format!("{word} (exit {}): {}", self.exit_code, parts.join("; "))
    }
}

/// Workloads by the strictest Pod Security Standards level they are admitted at.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PssSummary {
    /// The policy version judged at (`v1.N`, `latest` resolved).
    pub version: String,
    /// `--profile`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<&'static str>,
    pub privileged: usize,
    pub baseline: usize,
    pub restricted: usize,
}

impl PssSummary {
    /// `Pod Security Standards v1.37: 3 workloads admitted at restricted, 1 at baseline, 2 only
    /// at privileged.`
    pub fn line(&self) -> String {
        let total = self.privileged + self.baseline + self.restricted;
        format!(
            "Pod Security Standards {}: {} admitted at restricted, {} at baseline, {} only at \
             privileged{}.",
            self.version,
            if total == 1 {
                format!("{} of 1 workload", self.restricted)
            } else {
                format!("{} of {total} workloads", self.restricted)
            },
            self.baseline,
            self.privileged,
            match self.profile {
                Some(p) => format!(" (judged with --profile {p})"),
                None => String::new(),
            }
        )
    }
}

/// How a summary says what silenced the suppressed findings: `None` when comments silenced them
/// all (the summaries then say so in their own words), else `2 by comments, 1 by the config`.
pub fn suppressed_breakdown(by: &BTreeMap<&'static str, usize>) -> Option<String> {
    if by.keys().all(|k| *k == "comment") {
        return None;
    }
    let words = [
        ("comment", "by comments"),
        ("annotation", "by annotations"),
        ("config", "by the config"),
        ("namespace", "by namespace labels (audit/warn)"),
        ("note", "as notes about the run"),
    ];
    let parts: Vec<String> = words
        .iter()
        .filter_map(|(k, w)| by.get(k).map(|n| format!("{n} {w}")))
        .collect();
    Some(parts.join(", "))
}

/// Counts for the summary line of every format.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub scanned: usize,
    #[serde(rename = "notKubernetes")]
    pub not_kubernetes: usize,
    pub templates: usize,
    #[serde(rename = "notScanned")]
    pub not_scanned: usize,
    #[serde(rename = "parseErrors")]
    pub parse_errors: usize,
    pub documents: usize,
    pub objects: usize,
    pub findings: usize,
    /// Findings silenced by `clustersec:ignore` comments.
    pub suppressed: usize,
    /// Of `suppressed`, how many each kind of suppression silenced (`comment`, `annotation`,
    /// `config`, `namespace`).
    #[serde(rename = "suppressedBy", skip_serializing_if = "BTreeMap::is_empty")]
    pub suppressed_by: BTreeMap<&'static str, usize>,
    #[serde(rename = "chartsRendered")]
    pub charts_rendered: usize,
    #[serde(rename = "chartsFailed")]
    pub charts_failed: usize,
    #[serde(rename = "kustomizationsBuilt")]
    pub kustomizations_built: usize,
    #[serde(rename = "kustomizationsFailed")]
    pub kustomizations_failed: usize,
    #[serde(rename = "bySeverity")]
    pub by_severity: BTreeMap<Severity, usize>,
    #[serde(rename = "byRule")]
    pub by_rule: BTreeMap<crate::rules::RuleId, usize>,
    /// Files left out by `--exclude` or the config's `exclude`.
    pub excluded: usize,
    /// Of `templates`, those of a chart that was rendered (their output was scanned).
    #[serde(rename = "templatesRendered")]
    pub templates_rendered: usize,
    /// The files not scanned, by the kind of reason (see [`reason_category`]).
    #[serde(rename = "notScannedByReason")]
    pub not_scanned_by_reason: BTreeMap<&'static str, usize>,
}

/// The kind of reason a file was not scanned, for the counts of the summary.
pub fn reason_category(reason: &str) -> &'static str {
    if reason.contains("size limit") {
        "too large"
    } else if reason.starts_with("binary") {
        "binary"
    } else if reason.starts_with("cannot read") {
        "unreadable"
    } else if reason.starts_with("symlink to a file outside") {
        "symlink out of the scan root"
    } else if reason.starts_with("broken symlink") {
        "broken symlink"
    } else if reason.starts_with("not a regular file") {
        "not a regular file"
    } else if reason.starts_with("a patch listed in") {
        "kustomize patch"
    } else {
        "other"
    }
}

impl Summary {
    /// Why files were not scanned, counted: `1 too large, 2 excluded by --exclude or the
    /// config`; `None` when every file met was read.
    pub fn not_scanned_phrase(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .not_scanned_by_reason
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        if self.excluded > 0 {
            parts.push(format!(
                "{} excluded by --exclude or the config",
                self.excluded
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl Report {
    pub fn new(
        mut findings: Vec<Finding>,
        mut files: Vec<FileReport>,
        rules: Vec<RuleMeta>,
        sources: BTreeMap<String, String>,
    ) -> Report {
        sort_findings(&mut findings);
        findings.dedup();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Report {
            findings,
            files,
            rules,
            registry: std::sync::Arc::new(crate::rules::Registry::builtin()),
            sources,
            rule_severities: BTreeMap::new(),
            suppressed: Vec::new(),
            render_counts: crate::outcome::RenderCounts::default(),
            excluded: 0,
            kube_version: None,
            policy_changes: None,
            verdict: None,
            config_path: None,
            config_known: false,
            pss: None,
            comparison: None,
        }
    }

    /// Records the Kubernetes version the API version rules judged against; reports name it.
    pub fn with_kube_version(mut self, version: crate::kube_version::KubeVersion) -> Report {
        self.kube_version = Some(version);
        self
    }

    /// Rewrites every path the report holds (findings, their related locations, suppressed
    /// findings, files, sources) with `f`, and sorts again.
    pub fn rebase_paths(&mut self, f: impl Fn(&str) -> String) {
        // The findings of a file share its path: rewritten once per file (the last one is
        // remembered; the findings are sorted by path), and the result shared again.
        let last: std::cell::RefCell<Option<(crate::finding::FilePath, crate::finding::FilePath)>> =
            std::cell::RefCell::new(None);
        let finding = |x: &mut Finding| {
            let mut last = last.borrow_mut();
            let rebased = match last.as_ref() {
                Some((from, to)) if *from == x.path => to.clone(),
                _ => {
                    let to = crate::finding::FilePath::from(f(&x.path));
                    *last = Some((x.path.clone(), to.clone()));
                    to
                }
            };
            x.path = rebased;
            for r in &mut x.related {
                if let Some(p) = &mut r.path {
                    *p = f(p);
                }
            }
        };
        self.findings.iter_mut().for_each(finding);
        self.suppressed.iter_mut().for_each(finding);
        sort_findings(&mut self.findings);
        sort_findings(&mut self.suppressed);
        for file in &mut self.files {
            file.path = f(&file.path);
        }
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.sources = std::mem::take(&mut self.sources)
            .into_iter()
            .map(|(k, v)| (f(&k), v))
            .collect();
    }

    /// Records the run's outcome (printed at the end of the text summary).
    pub fn with_verdict(mut self, verdict: Verdict) -> Report {
        self.verdict = Some(verdict);
        self
    }

    /// Records the config file used (`None`: none was found).
    pub fn with_config(mut self, path: Option<String>) -> Report {
        self.config_path = path;
        self.config_known = true;
        self
    }

    /// What the run did not check, counted by kind: charts not rendered, kustomizations not
    /// built, files not scanned (too large, binary, unreadable) and files with a YAML error
    /// (the broken document and what it hides). Kustomize patches and symlinks that lead
    /// nowhere or out of the scan are left out on purpose and are not counted. Empty when
    /// everything met was checked.
    pub fn not_checked(&self) -> Vec<String> {
        let s = self.summary();
        let mut out = Vec::new();
        let mut push = |n: usize, one: &str, many: &str| {
            if n > 0 {
                out.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        push(
            s.charts_failed,
            "Helm chart not rendered",
            "Helm charts not rendered",
        );
        push(
            s.kustomizations_failed,
            "kustomization not built",
            "kustomizations not built",
        );
        let not_scanned: usize = s
            .not_scanned_by_reason
            .iter()
            .filter(|(why, _)| {
                !matches!(
                    **why,
                    "kustomize patch" | "symlink out of the scan root" | "broken symlink"
                )
            })
            .map(|(_, n)| n)
            .sum();
        push(not_scanned, "file not scanned", "files not scanned");
        push(
            s.parse_errors,
            "file with a YAML error",
            "files with a YAML error",
        );
        out
    }

    /// Records the Pod Security Standards version and profile of the run, and counts the
    /// workloads of the scanned files by the level they are admitted at.
    pub fn with_pss(mut self, version: u32, profile: Option<&'static str>) -> Report {
        let mut s = PssSummary {
            version: format!("v1.{version}"),
            profile,
            ..PssSummary::default()
        };
        for f in &self.files {
            s.privileged += f.pss_levels[0];
            s.baseline += f.pss_levels[1];
            s.restricted += f.pss_levels[2];
        }
        self.pss = Some(s);
        self
    }

    /// Records how many files `--exclude` or the config's `exclude` left out.
    pub fn with_excluded(mut self, excluded: usize) -> Report {
        self.excluded = excluded;
        self
    }

    /// Records how many charts and kustomizations were rendered, and how many failed.
    pub fn with_render_counts(mut self, counts: crate::outcome::RenderCounts) -> Report {
        self.render_counts = counts;
        self
    }

    /// Records the policy changes of the scanned repository's config (`--compare-config`).
    pub fn with_policy_changes(mut self, changes: Vec<crate::config_diff::PolicyChange>) -> Report {
        self.policy_changes = Some(changes);
        self
    }

    /// Records the findings silenced by `clustersec:ignore` comments.
    pub fn with_suppressed(mut self, mut suppressed: Vec<Finding>) -> Report {
        sort_findings(&mut suppressed);
        suppressed.dedup();
        self.suppressed = suppressed;
        self
    }

    /// Records the effective severity of each rule (from the engine's configuration), so that
    /// reports show configured severities as the rules' defaults (SARIF `defaultConfiguration`).
    pub fn with_rule_severities(
        mut self,
        severities: impl IntoIterator<Item = (crate::rules::RuleId, Severity)>,
    ) -> Report {
        self.rule_severities.extend(severities);
        self
    }

    /// Sets the run's registry: the rules reports look findings' rules up in (rules added at
    /// run time included).
    pub fn with_registry(mut self, registry: std::sync::Arc<crate::rules::Registry>) -> Report {
        self.registry = registry;
        self
    }

    /// The metadata of a finding's rule: one of the rules that ran, else the registry's.
    pub fn rule_meta(&self, id: &str) -> Option<&RuleMeta> {
        self.rules
            .iter()
            .find(|r| r.id == id)
            .or_else(|| self.registry.meta(id))
    }

    /// The severity a rule runs with: the configured one, else its default.
    pub fn rule_severity(&self, rule: &RuleMeta) -> Severity {
        self.rule_severities
            .get(&rule.id)
            .copied()
            .unwrap_or(rule.severity)
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files: self.files.len(),
            findings: self.findings.len(),
            charts_rendered: self.render_counts.charts_rendered,
            charts_failed: self.render_counts.charts_failed,
            kustomizations_built: self.render_counts.kustomizations_built,
            kustomizations_failed: self.render_counts.kustomizations_failed,
            excluded: self.excluded,
            ..Summary::default()
        };
        for f in &self.files {
            match &f.status {
                FileStatus::Scanned => s.scanned += 1,
                FileStatus::NotKubernetes => s.not_kubernetes += 1,
                FileStatus::Template => s.templates += 1,
                FileStatus::NotScanned(reason) => {
                    s.not_scanned += 1;
                    *s.not_scanned_by_reason
                        .entry(reason_category(reason))
                        .or_default() += 1;
                }
            }
            if f.parse_error.is_some() {
                s.parse_errors += 1;
            }
            s.documents += f.documents;
            s.objects += f.objects;
        }
        // A rendered chart has a file entry of its own (its directory; a file's path is never
        // the prefix of another's); its templates were checked through the render.
        // (Made only when there are templates: the check runs on each `summary`.)
        let rendered: Vec<String> = if s.templates == 0 {
            Vec::new()
        } else {
            self.files
                .iter()
                .filter(|f| f.status == FileStatus::Scanned)
                .map(|f| format!("{}/", f.path))
                .collect()
        };
        s.templates_rendered = self
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Template)
            .filter(|f| rendered.iter().any(|dir| f.path.starts_with(dir.as_str())))
            .count();
        s.suppressed = self.suppressed.len();
        for f in &self.suppressed {
            let by = f.suppressed_by.map_or("comment", |b| b.as_str());
            *s.suppressed_by.entry(by).or_default() += 1;
        }
        for f in &self.findings {
            *s.by_severity.entry(f.severity).or_default() += 1;
            *s.by_rule.entry(f.rule.clone()).or_default() += 1;
        }
        s
    }

    /// Findings at or above a severity that are not existing ones (every finding when the run
    /// compared with nothing): what `--fail-on` counts.
    pub fn count_new_at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity && !f.is_existing())
            .count()
    }

    /// New and existing findings, when the run compared with a baseline or a diff base.
    pub fn new_and_existing(&self) -> Option<(usize, usize)> {
        self.comparison.as_ref()?;
        let existing = self.findings.iter().filter(|f| f.is_existing()).count();
        Some((self.findings.len() - existing, existing))
    }

    /// Findings at or above a severity.
    pub fn count_at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}

/// Sorts findings by [`Finding::sort_key`], stably: the order `sort_by` gives, without its
/// buffer of half the findings (a finding is several hundred bytes; the positions sorted here
/// are a word each), then moves each finding once into place.
pub fn sort_findings(findings: &mut [Finding]) {
    use rayon::slice::ParallelSliceMut;
    let mut order: Vec<usize> = (0..findings.len()).collect();
    // Stable, as `sort_by`: the same order on any number of threads.
    order.par_sort_by(|&a, &b| match (findings.get(a), findings.get(b)) {
        (Some(a), Some(b)) => a.sort_key().cmp(&b.sort_key()),
        _ => a.cmp(&b),
    });
    apply_order(findings, &mut order);
}

/// Rearranges `items` so that position `i` holds what was at `order[i]` (a permutation of the
/// positions), following each cycle with swaps; `order` ends as the identity.
fn apply_order<T>(items: &mut [T], order: &mut [usize]) {
    for i in 0..order.len() {
        let mut cur = i;
        while let Some(next) = order.get(cur).copied() {
            if let Some(o) = order.get_mut(cur) {
                *o = cur;
            }
            if next == i || next == cur || next >= items.len() {
                break;
            }
            items.swap(cur, next);
            cur = next;
        }
    }
}

/// Writes a value as pretty JSON and a line end through a buffer: serde_json makes many small
/// writes (a bracket, an indent), each a dynamic call on `out` without one.
pub(crate) fn write_json_pretty<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let mut buf = io::BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut buf, value).map_err(io::Error::other)?;
    writeln!(buf)?;
    buf.flush()
}

/// Writes a report in a format.
pub fn write(
    format: Format,
    out: &mut dyn Write,
    report: &Report,
    opts: &Options,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(out, report, opts),
        Format::Json => json::write(out, report, opts),
        Format::Sarif => sarif::write(out, report, opts),
        Format::Markdown => markdown::write(out, report, opts),
        Format::MarkdownSummary => markdown::write_summary(out, report, opts),
        Format::Github => github::write(out, report, opts),
        Format::Gitlab => gitlab::write(out, report, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Pos, Span};

    #[test]
    fn applying_an_order_moves_each_item_to_its_place() {
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        let mut order = vec![3, 0, 4, 1, 2, 5];
        apply_order(&mut items, &mut order);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c', 'f']);
        assert_eq!(order, [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn findings_sort_as_a_stable_sort_by_their_key_would() {
        // Ties on the sort key (same place, rule and message, another severity) keep their order.
        let mut all = Vec::new();
        for (i, (path, line, rule)) in [
            ("b.yaml", 3, "R2"),
            ("a.yaml", 9, "R1"),
            ("b.yaml", 3, "R1"),
            ("a.yaml", 9, "R1"),
            ("a.yaml", 2, "R3"),
            ("b.yaml", 3, "R2"),
            ("a.yaml", 9, "R1"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut f = Finding::new(rule, Span::point(Pos::new(line, 1)), "m");
            f.path = path.into();
            f.severity = Severity::ALL[i % Severity::ALL.len()];
            all.push(f);
        }
        let mut want = all.clone();
        want.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        sort_findings(&mut all);
        assert_eq!(all, want);
    }
}
