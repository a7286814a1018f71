//! End-to-end tests of the binary: exit codes, several outputs in one run, config, stdin.

use crate::support::{bin, write, CLEAN};
use predicates::prelude::*;

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx
      imagePullPolicy: Always
      securityContext:
        privileged: yes
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsUser: 10001
        runAsGroup: 10001
";

#[test]
fn clean_tree_exits_zero() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    bin().arg("scan").arg(d.path()).assert().code(0);
}

#[test]
fn findings_exit_one_and_fail_on_filters() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", PRIVILEGED);
    bin()
        .args(["scan", "--verbose"])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CUSTOM_SECURITY_PRIVILEGED_CHECK"))
        .stdout(predicate::str::contains("bad.yaml:11:9"));
    // privileged is critical: still failing at --fail-on critical...
    bin()
        .args(["scan", "--fail-on", "critical"])
        .arg(d.path())
        .assert()
        .code(1);
    // ...and never fails with --fail-on never.
    bin()
        .args(["scan", "--fail-on", "never"])
        .arg(d.path())
        .assert()
        .code(0);
    // A low finding does not fail at --fail-on high.
    write(
        d.path(),
        "bad.yaml",
        &CLEAN.replace("Always", "IfNotPresent"),
    );
    bin()
        .args(["scan", "--fail-on", "high"])
        .arg(d.path())
        .assert()
        .code(0);
    bin().args(["scan"]).arg(d.path()).assert().code(1);
}

#[test]
fn several_outputs_in_one_run() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m/bad.yaml", PRIVILEGED);
    let sarif = d.path().join("out/r.sarif");
    let json = d.path().join("out/r.json");
    bin()
        .current_dir(d.path())
        .args([
            "scan",
            "m",
            "--verbose",
            "--format",
            "text",
            "--format",
            "sarif",
            "--output",
        ])
        .arg(&sarif)
        .args(["--format", "json", "-o"])
        .arg(&json)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("m/bad.yaml:11:9"));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(j.is_object());
}

#[test]
fn two_formats_to_stdout_is_an_error() {
    bin()
        .args(["scan", "--format", "json", "--format", "sarif", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("stdout"));
}

#[test]
fn output_before_format_is_an_error() {
    bin()
        .args(["scan", "--output", "x.json", "--format", "json", "."])
        .assert()
        .code(2);
}

#[test]
fn bad_flag_and_missing_path_exit_two() {
    bin().args(["scan", "--no-such-flag"]).assert().code(2);
    bin()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn unwritable_output_exits_two() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", PRIVILEGED);
    let blocker = d.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    bin()
        .arg("scan")
        .arg(d.path().join("bad.yaml"))
        .args(["--format", "json", "--output"])
        .arg(blocker.join("sub/out.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot"));
}

#[test]
fn config_errors_exit_two_with_position() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(
        d.path(),
        ".clustersec.yaml",
        "rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    severity: extreme\n",
    );
    bin()
        .arg("scan")
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".clustersec.yaml:3:15"));
    bin()
        .arg("scan")
        .arg(d.path())
        .arg("--config")
        .arg(d.path().join("missing.yaml"))
        .assert()
        .code(2);
}

#[test]
fn config_disables_rules_and_sets_params() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", &CLEAN.replace("10001", "2000"));
    bin().arg("scan").arg(d.path()).assert().code(1);
    write(
        d.path(),
        ".clustersec.yaml",
        "rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    params: {min: 1000}\n  CUSTOM_SECURITY_GROUPS_CHECK:\n    enabled: false\n",
    );
    bin().arg("scan").arg(d.path()).assert().code(0);
}

#[test]
fn config_excludes_paths() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "vendor/bad.yaml", PRIVILEGED);
    write(d.path(), "ok.yaml", CLEAN);
    bin().arg("scan").arg(d.path()).assert().code(1);
    write(d.path(), ".clustersec.yaml", "exclude: [\"vendor/**\"]\n");
    bin().arg("scan").arg(d.path()).assert().code(0);
    bin()
        .arg("scan")
        .arg(d.path())
        .args(["--config", "/dev/null", "--exclude", "vendor/**"])
        .assert()
        .code(0);
}

/// Issue 7: ignore files leave out only untracked files of a git work tree; hidden directories
/// are scanned (tests/it/untrusted_paths.rs has the tracked and non-git cases).
#[test]
fn gitignore_leaves_out_untracked_files_only() {
    let d = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(d.path())
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(d.path(), ".gitignore", "ignored/\n");
    write(d.path(), "ignored/bad.yaml", PRIVILEGED);
    // Nothing left to scan: passes only with --allow-empty.
    bin().arg("scan").arg(d.path()).assert().code(1);
    bin()
        .args(["scan", "--allow-empty"])
        .arg(d.path())
        .assert()
        .code(0);
    bin()
        .args(["scan", "--no-ignore"])
        .arg(d.path())
        .assert()
        .code(1);
    write(d.path(), ".hidden/bad.yaml", PRIVILEGED);
    bin().arg("scan").arg(d.path()).assert().code(1);
}

#[test]
fn stdin_is_scanned() {
    bin()
        .args(["scan", "--verbose", "-"])
        .write_stdin(PRIVILEGED)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("stdin:11:9"));
}

#[test]
fn oversized_file_is_reported() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "big.yaml", CLEAN);
    bin()
        .args(["scan", "--max-file-size", "10"])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("CLUSTERSEC_NOT_SCANNED"));
}

#[test]
fn chart_templates_are_not_parsed() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(
        d.path(),
        "chart/templates/deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\n",
    );
    // Not rendered either (tests/it/render.rs covers rendering; this template does not render).
    bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--allow-empty",
            "--format",
            "json",
        ])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("template"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "bad.yaml", PRIVILEGED);
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    std::os::unix::fs::symlink(outside.path().join("bad.yaml"), d.path().join("link.yaml"))
        .unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("linkdir")).unwrap();
    bin()
        .args(["scan", "--format", "json"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("outside the scan root"));
}

#[test]
fn rules_and_explain() {
    bin()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("CUSTOM_SECURITY_PROC_MOUNT_CHECK"));
    bin()
        .args(["rules", "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("| Rule |"));
    bin()
        .args(["explain", "privileged"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("## Why is this bad?"));
    bin().args(["explain", "NOPE"]).assert().code(2);
}

#[test]
fn output_is_deterministic_across_thread_counts() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(d.path(), &format!("f{i:02}.yaml"), PRIVILEGED);
    }
    let run = |threads: &str| {
        bin()
            .current_dir(d.path())
            .args(["scan", ".", "--format", "json", "-j", threads])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert_eq!(one, run("4"));
    assert_eq!(one, run("2"));
}

/// A stdout that cannot be written (a full disk, a closed pipe) is an error with exit 2 and a
/// message, never a panic (exit 101), for every subcommand that prints.
#[cfg(target_os = "linux")]
#[test]
fn unwritable_stdout_exits_two_without_a_panic() {
    let bin = assert_cmd::cargo::cargo_bin("clustersec");
    for args in [
        &["rules"][..],
        &["rules", "--format", "json"],
        &["explain", "privileged"],
        &["completions", "bash"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(&bin)
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot write to stdout"),
            "{args:?}: {stderr}"
        );
    }
}

/// The error line on stderr stays one line whatever it quotes (GitHub Actions reads stderr for
/// workflow commands): a config key with a line break cannot start a `::error::` of its own.
#[test]
fn error_messages_stay_on_one_line() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(
        d.path(),
        "cfg.yaml",
        "\"bogus\\n::error title=x::injected\\r::warning::cr\": 1\n",
    );
    let out = bin()
        .arg("scan")
        .arg(d.path().join("ok.yaml"))
        .arg("--config")
        .arg(d.path().join("cfg.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("injected"), "{stderr}");
    for line in stderr.split(['\n', '\r']) {
        assert!(!line.trim_start().starts_with("::"), "{stderr:?}");
    }
}

#[test]
fn sarif_fingerprints_stay_unique_with_suppressed_twins() {
    let d = tempfile::tempdir().unwrap();
    let suppressed = PRIVILEGED.replace(
        "privileged: yes",
        "privileged: yes # clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK test twin",
    );
    write(
        d.path(),
        "twins.yaml",
        &format!("{PRIVILEGED}---\n{suppressed}"),
    );
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "twins.yaml", "--format", "sarif"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let prints: Vec<&str> = results
        .iter()
        .filter(|r| r["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .map(|r| {
            r["partialFingerprints"]["clustersecFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(prints.len(), 2, "{results:?}");
    assert_ne!(prints[0], prints[1]);
    let suppressed_results = results
        .iter()
        .filter(|r| r["suppressions"][0]["kind"] == "inSource")
        .count();
    assert_eq!(suppressed_results, 1);
}
