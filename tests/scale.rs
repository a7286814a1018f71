//! Scale features: `scan --parse-only`, the SARIF result cap, shards and their merge.

use std::path::Path;

use assert_cmd::Command;

fn bin() -> Command {
    let mut c = Command::cargo_bin("clustersec").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx
      securityContext:
        privileged: true
";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn parse_only_runs_no_rule_but_counts_like_a_scan() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.yaml", PRIVILEGED);
    write(
        d.path(),
        "b.yaml",
        &format!("{PRIVILEGED}---\n{PRIVILEGED}"),
    );
    write(d.path(), "values.yaml", "replicas: 3\n");
    let parse = bin()
        .args([
            "scan",
            "--parse-only",
            "--helm",
            "never",
            "--kustomize",
            "never",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(parse.status.code(), Some(0), "{}", stdout(&parse));
    let text = stdout(&parse);
    assert!(text.contains("3 objects checked by 0 rules"), "{text}");
    assert!(!text.contains("PRIVILEGED"), "{text}");
    let full = bin()
        .args(["scan", "--helm", "never", "--kustomize", "never"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1));
    // The same files, documents and objects as the scan.
    let counts = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("Scanned "))
            .map(str::to_string)
    };
    assert_eq!(counts(&text), counts(&stdout(&full)));
    assert!(
        counts(&text).is_some_and(|l| l.contains("3 objects")),
        "{text}"
    );
}

#[test]
fn parse_only_reports_syntax_errors_and_fails() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n",
    );
    let out = bin()
        .args(["scan", "--parse-only"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("CLUSTERSEC_YAML_SYNTAX"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn parse_only_writes_no_report() {
    bin()
        .args(["scan", "--parse-only", "--format", "sarif", "examples"])
        .assert()
        .code(2);
}
