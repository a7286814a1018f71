//! What several test modules need, written once: the binary, the package root, files written
//! for a scan, the external renderers and the shared corpus. A module that needs something a
//! little different wraps these (as `adversarial` adds a timeout to [`bin`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use clustersec::engine::{Engine, FileReport};
use clustersec::finding::Finding;
use clustersec::report::Report;
use serde_json::Value;

/// The package root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `clustersec` binary, colour off.
pub(crate) fn bin() -> Command {
    let mut c = Command::cargo_bin("clustersec").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// [`bin`] run from the package root, so that display paths start with `fixtures/`.
pub(crate) fn bin_in_root() -> Command {
    let mut c = bin();
    c.current_dir(root());
    c
}

/// Whether generated files are to be rewritten instead of compared (`CLUSTERSEC_BLESS=1`).
pub(crate) fn bless() -> bool {
    std::env::var("CLUSTERSEC_BLESS").is_ok_and(|v| v == "1")
}

/// Writes `dir/name`, creating the directories on the way.
pub(crate) fn write(dir: &Path, name: &str, text: &str) {
    write_file(&dir.join(name), text);
}

/// Writes `path`, creating the directories on the way.
pub(crate) fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A Pod that no rule on by default reports.
pub(crate) const CLEAN: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsUser: 10001
    runAsGroup: 10001
  containers:
    - name: c
      image: nginx:1.27
      imagePullPolicy: Always
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
";

/// Whether what a test needs from outside the repository (a renderer, `../shared`) must be
/// there: in CI, or with `CLUSTERSEC_REQUIRE_SHARED=1`. Otherwise its absence skips the test.
pub(crate) fn required() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var("CLUSTERSEC_REQUIRE_SHARED").is_ok_and(|v| v == "1")
}

/// Whether `tool` was `found`; its absence skips the test with a message, or fails it where
/// [`required`].
pub(crate) fn have(tool: &str, found: bool) -> bool {
    if found {
        return true;
    }
    assert!(
        !required(),
        "{tool} is not on PATH, and CI or CLUSTERSEC_REQUIRE_SHARED=1 is set: install it (scripts/install-helm.sh for helm)"
    );
    eprintln!("skipped: {tool} is not on PATH (scripts/install-helm.sh installs helm)");
    false
}

/// Whether helm is on PATH (see [`have`]).
pub(crate) fn have_helm() -> bool {
    have(
        "helm",
        clustersec::render::process::find_program("helm").is_some(),
    )
}

/// Whether kubectl or kustomize is on PATH (see [`have`]).
pub(crate) fn have_kustomize() -> bool {
    have(
        "kubectl or kustomize",
        clustersec::render::kustomize::Builder::find().is_some(),
    )
}

/// The shared corpus `../shared/corpus`; `None` (with a message) when it is absent, a failure
/// when `CLUSTERSEC_REQUIRE_SHARED=1`.
pub(crate) fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("CLUSTERSEC_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!("../shared/corpus is missing and CLUSTERSEC_REQUIRE_SHARED=1");
    }
    eprintln!("skipping: ../shared/corpus is absent");
    None
}

/// Copies the directory tree `from` to `to` (file contents byte for byte).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// `clustersec scan --format json ARGS` run in `dir`: the JSON report from stdout. The scan
/// must exit 0 or 1 (no error).
pub(crate) fn scan_json_in(dir: &Path, args: &[&str]) -> Value {
    let out = bin()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The findings of `rule` in `report`.
pub(crate) fn of_rule<'a>(report: &'a Report, rule: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

/// Scans in-memory `(path, text)` files the way `scan` scans files: the findings, the file
/// reports, and the texts of the files with findings (for the reports' snippets).
pub(crate) fn scan_texts(
    engine: &Engine,
    files: &[(&str, &str)],
) -> (Vec<Finding>, Vec<FileReport>, BTreeMap<String, String>) {
    let mut findings = Vec::new();
    let mut reports = Vec::new();
    let mut sources = BTreeMap::new();
    for (path, text) in files {
        let (r, mut f) = engine.scan_text(path, text);
        if !f.is_empty() {
            sources.insert(path.to_string(), text.to_string());
        }
        reports.push(r);
        findings.append(&mut f);
    }
    (findings, reports, sources)
}

/// (path, line, rule) of every `# expect: RULE[, RULE]` marker in `files` (paths relative to
/// the package root).
pub(crate) fn expect_markers(files: &[String]) -> BTreeSet<(String, u64, String)> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find("# expect:") else {
                continue;
            };
            for rule in line[at + "# expect:".len()..].split([',', ' ']) {
                if !rule.is_empty() {
                    out.insert((f.clone(), i as u64 + 1, rule.to_string()));
                }
            }
        }
    }
    out
}

/// (path, start line, rule) of every finding of a JSON report.
pub(crate) fn json_findings(v: &Value) -> BTreeSet<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["region"]["startLine"].as_u64().unwrap(),
                f["ruleId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
