//! Baselines (`clustersec baseline`, `scan --baseline FILE`) and diff bases (`scan --diff-base
//! REF`): which findings are new and which existed before.
//!
//! A baseline file holds the fingerprints of a run's findings: the SARIF `partialFingerprints`
//! ([`crate::report::sarif::fingerprints`]), computed on paths relative to the report root (the
//! git top level by default), so they do not change when lines move. The format is versioned
//! and documented in docs/baseline.md.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::{BaselineState, Finding};
use crate::report::{Comparison, Report};

/// The version of the baseline file format.
pub const FORMAT_VERSION: u32 = 1;
/// The largest baseline file read.
pub const MAX_BASELINE_SIZE: u64 = 64 * 1024 * 1024;

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BaselineFile {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The SARIF `partialFingerprints` key the fingerprints are of
    /// ([`crate::report::sarif::FINGERPRINT_KEY`]).
    pub fingerprint_key: String,
    /// The clustersec version that wrote it (informative).
    #[serde(default)]
    pub tool_version: String,
    /// The findings, sorted by path, rule and fingerprint.
    pub findings: Vec<Entry>,
}

/// One finding of a baseline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub rule: String,
    pub fingerprint: String,
}

/// The fingerprint and report path of each of `report.findings` (in order), with paths made
/// relative to the report root by `rebase`: the ones the SARIF report of the run shows.
pub fn fingerprints(report: &Report, rebase: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    // As in the SARIF report: findings, then suppressed findings, each list sorted after its
    // paths were rebased; one occurrence counter over both.
    let sorted = |list: &[Finding], quiet: bool| {
        let mut v: Vec<(Option<usize>, Finding)> = list
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut f = f.clone();
                f.path = rebase(&f.path).into();
                (if quiet { None } else { Some(i) }, f)
            })
            .collect();
        v.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
        v
    };
    let all: Vec<(Option<usize>, Finding)> = sorted(&report.findings, false)
        .into_iter()
        .chain(sorted(&report.suppressed, true))
        .collect();
    let prints = crate::report::sarif::fingerprints(all.iter().map(|(_, f)| f));
    let mut out = vec![(String::new(), String::new()); report.findings.len()];
    for ((index, f), print) in all.into_iter().zip(prints) {
        if let Some(slot) = index.and_then(|i| out.get_mut(i)) {
            *slot = (print, f.path.into());
        }
    }
    out
}

/// The baseline of a report.
pub fn build(report: &Report, rebase: &dyn Fn(&str) -> String) -> BaselineFile {
    let mut findings: Vec<Entry> = report
        .findings
        .iter()
        .zip(fingerprints(report, rebase))
        .map(|(f, (fingerprint, path))| Entry {
            path,
            rule: f.rule.to_string(),
            fingerprint,
        })
        .collect();
    findings.sort();
    findings.dedup();
    BaselineFile {
        version: FORMAT_VERSION,
        fingerprint_key: crate::report::sarif::FINGERPRINT_KEY.to_string(),
        tool_version: crate::VERSION.to_string(),
        findings,
    }
}

/// Writes a baseline file (pretty JSON, a line end).
pub fn write(path: &Path, baseline: &BaselineFile) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(baseline).map_err(|e| e.to_string())?;
    text.push('\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads a baseline file. Every failure is a message for exit 2: missing, unreadable, too
/// large, not JSON, another format version or fingerprint kind.
pub fn read(path: &Path) -> Result<BaselineFile, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "--baseline {shown}: no such file (write one with `clustersec baseline -o {shown}`)"
            )
        } else {
            format!("--baseline {shown}: cannot read: {e}")
        }
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_BASELINE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("--baseline {shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_BASELINE_SIZE {
        return Err(format!(
            "--baseline {shown}: larger than {MAX_BASELINE_SIZE} bytes; not read"
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "--baseline {shown}: not a clustersec baseline (invalid JSON at line {}, column {}: {e})",
            e.line(),
            e.column()
        )
    })?;
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(format!(
            "--baseline {shown}: not a clustersec baseline of format version {FORMAT_VERSION} \
             (found version {}); write it again with `clustersec baseline`",
            version.map_or_else(|| "none".to_string(), |v| v.to_string())
        ));
    }
    let parsed: BaselineFile = serde_path_to_error::deserialize(value).map_err(|e| {
        format!(
            "--baseline {shown}: corrupt baseline: at {}: {}",
            e.path(),
            e.inner()
        )
    })?;
    if parsed.fingerprint_key != crate::report::sarif::FINGERPRINT_KEY {
        return Err(format!(
            "--baseline {shown}: its fingerprints are `{}`, this clustersec computes `{}`; write \
             the baseline again with `clustersec baseline`",
            crate::report::text::clean(&parsed.fingerprint_key),
            crate::report::sarif::FINGERPRINT_KEY
        ));
    }
    Ok(parsed)
}

/// What a scan compares with: a baseline file, a diff base, or both.
#[derive(Debug, Default)]
pub struct Against {
    pub baseline: Option<(String, BaselineFile)>,
    pub diff: Option<(String, crate::gitdiff::Changes)>,
}

impl Against {
    /// Reads the baseline file and runs git for the diff base (before the scan, so bad input
    /// fails fast). `dir` is the scan root.
    pub fn load(
        baseline: Option<&Path>,
        diff_base: Option<&str>,
        dir: &Path,
    ) -> Result<Against, String> {
        let baseline = baseline
            .map(|p| read(p).map(|b| (p.display().to_string(), b)))
            .transpose()?;
        let diff = diff_base
            .map(|r| crate::gitdiff::changes(dir, r).map(|c| (r.to_string(), c)))
            .transpose()?;
        Ok(Against { baseline, diff })
    }

    pub fn is_empty(&self) -> bool {
        self.baseline.is_none() && self.diff.is_none()
    }

    /// Marks each finding of the report new or existing. A finding is new when it is not in
    /// the baseline and (with a diff base) lies on a line the working tree added or changed
    /// since the merge base; mapped Helm and Kustomize findings decide by their template or
    /// origin line (the finding's own path and line). `report_rebase` makes a path relative to
    /// the report root (for fingerprints); `cwd` is the working directory paths are relative to.
    pub fn classify(
        &self,
        report: &mut Report,
        report_rebase: &dyn Fn(&str) -> String,
        cwd: &Path,
    ) {
        if self.is_empty() {
            return;
        }
        let known: Option<BTreeSet<&str>> = self
            .baseline
            .as_ref()
            .map(|(_, b)| b.findings.iter().map(|e| e.fingerprint.as_str()).collect());
        let prints = known.as_ref().map(|_| fingerprints(report, report_rebase));
        let dirs = std::cell::RefCell::new(std::collections::HashMap::new());
        for (i, f) in report.findings.iter_mut().enumerate() {
            let in_baseline = match (&known, &prints) {
                (Some(k), Some(p)) => p
                    .get(i)
                    .is_some_and(|(print, _)| k.contains(print.as_str())),
                _ => false,
            };
            let untouched = self.diff.as_ref().is_some_and(|(_, c)| {
                let rel = crate::app::repo_relative(&c.top, cwd, &f.path, &dirs);
                !c.is_changed(&rel, f.span.start.line)
            });
            f.baseline = Some(if in_baseline || untouched {
                BaselineState::Existing
            } else {
                BaselineState::New
            });
        }
        report.comparison = Some(match (&self.baseline, &self.diff) {
            (Some((b, _)), Some((r, c))) => Comparison::Both {
                baseline: b.clone(),
                reference: r.clone(),
                merge_base: c.merge_base.clone(),
            },
            (Some((b, _)), None) => Comparison::Baseline(b.clone()),
            (None, Some((r, c))) => Comparison::DiffBase {
                reference: r.clone(),
                merge_base: c.merge_base.clone(),
            },
            (None, None) => return,
        });
    }
}

/// The file `clustersec baseline` writes: its one `-o FILE` (no `--format`).
pub fn output_file(
    formats: &[(usize, crate::report::Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<PathBuf, String> {
    if !formats.is_empty() {
        return Err(
            "clustersec baseline writes a baseline file only: give -o FILE and no --format"
                .to_string(),
        );
    }
    match outputs {
        [(_, file)] => Ok(file.clone()),
        [] => Err("clustersec baseline needs -o FILE (where to write the baseline)".to_string()),
        _ => Err("clustersec baseline takes one -o FILE".to_string()),
    }
}
