//! Issue 13, "the first ten minutes": a scan that checked nothing never passes, the config is
//! found where users put it and named in the reports, the verdict ends the summary.

use std::path::Path;

use crate::support::{bin, write, CLEAN};
use predicates::prelude::*;

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx:1.27
      imagePullPolicy: Always
      securityContext:
        privileged: yes
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsUser: 10001
        runAsGroup: 10001
";

fn git_init(dir: &Path) -> bool {
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The last line of stdout.
fn last_line(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_file_not_scanned_fails_whatever_the_threshold() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(d.path(), "big.yaml", &CLEAN.repeat(20));
    let out = bin()
        .args(["scan", "--fail-on", "critical", "--max-file-size", "1KiB"])
        .arg(d.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        last_line(&out),
        "FAIL (exit 1): 0 findings count toward --fail-on critical; not checked: 1 file not \
         scanned (fails: --fail-on-incomplete)"
    );
    // The switch, on the command line and in the config.
    bin()
        .args(["scan", "--fail-on", "critical", "--max-file-size", "1KiB"])
        .arg("--no-fail-on-incomplete")
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "not checked: 1 file not scanned (does not fail: --no-fail-on-incomplete)",
        ));
    write(d.path(), ".clustersec.yaml", "fail-on-incomplete: false\n");
    bin()
        .args(["scan", "--fail-on", "critical", "--max-file-size", "1KiB"])
        .arg(d.path())
        .assert()
        .code(0);
    // The flag wins over the config.
    bin()
        .args(["scan", "--fail-on", "critical", "--max-file-size", "1KiB"])
        .arg("--fail-on-incomplete")
        .arg(d.path())
        .assert()
        .code(1);
}

#[test]
fn a_yaml_error_fails_whatever_the_threshold() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(
        d.path(),
        "broken.yaml",
        "apiVersion: v1\nkind: Pod\n  bad: [\n",
    );
    bin()
        .args(["scan", "--fail-on", "critical"])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "not checked: 1 file with a YAML error",
        ));
}

#[test]
fn a_chart_not_rendered_fails_at_the_action_default_threshold() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(d.path(), "chart/templates/pod.yaml", PRIVILEGED);
    // helm is not on PATH: in `auto` the chart is not rendered, a medium finding only.
    let empty = tempfile::tempdir().unwrap();
    bin()
        .env("PATH", empty.path())
        .args(["scan", "--fail-on", "high", "--kustomize", "never"])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0 findings count toward --fail-on high; not checked: 1 Helm chart not rendered",
        ));
    // `--helm never` is the user's choice: the templates are counted, not a failure.
    bin()
        .env("PATH", empty.path())
        .args(["scan", "--fail-on", "high", "--helm", "never"])
        .arg(d.path())
        .assert()
        .code(0);
}

#[test]
fn a_scan_without_objects_fails_unless_allowed() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "values.yaml", "replicas: 2\n");
    bin()
        .args(["scan", "--fail-on", "none"])
        .arg(d.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no Kubernetes object found in"))
        .stdout(predicate::str::contains(
            "no Kubernetes object found (--allow-empty passes this)",
        ));
    bin()
        .args(["scan", "--allow-empty"])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::ends_with(
            "pass (exit 0): 0 findings count toward --fail-on info\n",
        ));
}

#[test]
fn none_and_never_are_thresholds_everywhere() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", PRIVILEGED);
    for v in ["none", "never"] {
        bin()
            .args(["scan", "--fail-on", v])
            .arg(d.path())
            .assert()
            .code(0);
        write(d.path(), ".clustersec.yaml", &format!("fail-on: {v}\n"));
        bin().arg("scan").arg(d.path()).assert().code(0);
    }
}

#[test]
fn config_in_the_repository_root_applies_to_a_subdirectory_scan() {
    let d = tempfile::tempdir().unwrap();
    if !git_init(d.path()) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(d.path(), "k8s/apps/bad.yaml", PRIVILEGED);
    write(d.path(), ".clustersec.yaml", "fail-on: none\n");
    // From the repository root, scanning k8s.
    bin()
        .current_dir(d.path())
        .args(["scan", "k8s"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("config: .clustersec.yaml\n"));
    // From the subdirectory.
    let out = bin()
        .current_dir(d.path().join("k8s"))
        .args(["scan", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["config"], "../.clustersec.yaml");
    assert_eq!(v["verdict"]["exitCode"], 0);
    assert_eq!(v["verdict"]["failOn"], "none");
    // The nearest one wins.
    write(d.path(), "k8s/.clustersec.yaml", "fail-on: info\n");
    bin()
        .current_dir(d.path())
        .args(["scan", "k8s"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("config: k8s/.clustersec.yaml\n"));
}

#[test]
fn config_is_not_looked_for_above_the_repository() {
    let outer = tempfile::tempdir().unwrap();
    write(outer.path(), ".clustersec.yaml", "fail-on: none\n");
    write(outer.path(), "repo/k8s/bad.yaml", PRIVILEGED);
    let repo = outer.path().join("repo");
    if !git_init(&repo) {
        eprintln!("skipped: git is not available");
        return;
    }
    bin()
        .current_dir(&repo)
        .args(["scan", "k8s"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("config: none\n"));
    // Outside a git work tree, only the scan root is looked at.
    let plain = tempfile::tempdir().unwrap();
    write(plain.path(), ".clustersec.yaml", "fail-on: none\n");
    write(plain.path(), "k8s/bad.yaml", PRIVILEGED);
    bin()
        .current_dir(plain.path())
        .args(["scan", "k8s"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("config: none\n"));
}

#[cfg(unix)]
#[test]
fn a_parent_config_must_be_a_file_of_the_repository() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.yaml", "fail-on: none\n");
    let d = tempfile::tempdir().unwrap();
    if !git_init(d.path()) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(d.path(), "k8s/bad.yaml", PRIVILEGED);
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        d.path().join(".clustersec.yaml"),
    )
    .unwrap();
    bin()
        .current_dir(d.path())
        .args(["scan", "k8s"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("outside the scanned directory"))
        .stderr(predicate::str::contains("fail-on").not());
}

#[test]
fn sarif_names_the_config_and_the_verdict() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", PRIVILEGED);
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--format", "sarif", "--fail-on", "critical"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let props = &v["runs"][0]["properties"];
    assert_eq!(props["config"], serde_json::Value::Null);
    assert_eq!(
        props["verdict"],
        "FAIL (exit 1): 1 finding counts toward --fail-on critical"
    );
}

#[test]
fn report_paths_are_relative_to_the_repository_root_from_a_subdirectory() {
    let d = tempfile::tempdir().unwrap();
    if !git_init(d.path()) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(d.path(), "k8s/apps/worker.yaml", PRIVILEGED);
    let k8s = d.path().join("k8s");
    let run = |args: &[&str]| {
        let out = bin()
            .current_dir(&k8s)
            .arg("scan")
            .args(args)
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let sarif: serde_json::Value = serde_json::from_str(&run(&["--format", "sarif"])).unwrap();
    let run0 = &sarif["runs"][0];
    assert_eq!(
        run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/apps/worker.yaml"
    );
    let srcroot = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let canonical = std::fs::canonicalize(d.path()).unwrap();
    assert!(
        srcroot.trim_end_matches('/').ends_with(
            canonical
                .to_str()
                .unwrap()
                .trim_start_matches('/')
                .trim_end_matches('/')
        ),
        "{srcroot}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(json["findings"][0]["path"], "k8s/apps/worker.yaml");
    assert_eq!(json["files"][0]["path"], "k8s/apps/worker.yaml");
    assert!(run(&["--format", "markdown"]).contains("k8s/apps/worker.yaml"));
    assert!(run(&["--format", "github"]).contains("file=k8s/apps/worker.yaml,"));
    // Text keeps the path as the user sees it from where they are.
    assert!(run(&[]).starts_with("apps/worker.yaml:11:9 "));
    // --root overrides.
    let json: serde_json::Value =
        serde_json::from_str(&run(&["--root", ".", "--format", "json"])).unwrap();
    assert_eq!(json["findings"][0]["path"], "apps/worker.yaml");
    // Several formats in one run: each gets its own paths.
    let text = run(&["--format", "json", "-o", "out.json", "--format", "text"]);
    assert!(text.starts_with("apps/worker.yaml:11:9 "), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(k8s.join("out.json")).unwrap()).unwrap();
    assert_eq!(json["findings"][0]["path"], "k8s/apps/worker.yaml");
}

#[test]
fn exclude_of_a_directory_excludes_its_files() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(d.path(), "vendor/bad.yaml", PRIVILEGED);
    write(d.path(), "deploy/test/bad.yaml", PRIVILEGED);
    for args in [
        &["--exclude", "vendor", "--exclude", "deploy/test"][..],
        &["--exclude", "vendor/", "--exclude", "deploy/test/"][..],
    ] {
        bin()
            .current_dir(d.path())
            .arg("scan")
            .args(args)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("2 excluded by --exclude"));
    }
}

#[test]
fn config_mistakes_get_a_hint_in_yaml_words() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    for (config, says) in [
        (
            "fail_on: high\n",
            ".clustersec.yaml:1:1: fail_on: unknown key `fail_on`; did you mean `fail-on`?",
        ),
        (
            "rules:\n  CUSTOM_SECURITY_PRIVILEGED_CHEK: {enabled: false}\n",
            "did you mean `CUSTOM_SECURITY_PRIVILEGED_CHECK`?",
        ),
        (
            "rules:\n  run-as-user:\n    params: {min: 2000, max: 1000}\n",
            "min 2000 is greater than max 1000",
        ),
        (
            "rules:\n  run-as-user:\n    params: {max: lots}\n",
            "expected an integer, got the string \"lots\"",
        ),
        ("kube-version: 1.30\n", "kube-version: \"1.30\""),
    ] {
        write(d.path(), ".clustersec.yaml", config);
        bin()
            .current_dir(d.path())
            .arg("scan")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says));
    }
    // Short names are rule keys.
    write(d.path(), "bad.yaml", PRIVILEGED);
    write(
        d.path(),
        ".clustersec.yaml",
        "rules:\n  privileged: {enabled: false}\n",
    );
    bin()
        .current_dir(d.path())
        .arg("scan")
        .assert()
        .stdout(predicate::str::contains("CUSTOM_SECURITY_PRIVILEGED_CHECK").not());
}

/// The default text output: one header per file, object and container, one line per finding;
/// `--verbose` keeps every snippet and note.
#[test]
fn grouped_text_output() {
    let out = bin()
        .args(["scan", "examples/"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    insta::assert_snapshot!("grouped_text", text);
    let verbose = bin()
        .args(["scan", "examples/", "--verbose"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let verbose = String::from_utf8(verbose).unwrap();
    assert!(verbose.lines().count() > 2 * text.lines().count());
    assert!(verbose.contains(
        "examples/manifests/web-deployment.yaml:40:13 critical CUSTOM_SECURITY_PRIVILEGED_CHECK"
    ));
}

#[test]
fn rendered_templates_are_counted_as_rendered() {
    let helm = std::process::Command::new("helm")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !helm {
        eprintln!("skipped: helm is not available");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(d.path(), "chart/templates/pod.yaml", CLEAN);
    bin()
        .current_dir(d.path())
        .args(["scan", "--kustomize", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "1 rendered of 1 Helm chart (1 template rendered).",
        ))
        .stdout(predicate::str::contains("Helm template").not());
}

#[test]
fn init_writes_a_config_that_changes_nothing_and_the_ci_files() {
    let d = tempfile::tempdir().unwrap();
    let git = git_init(d.path());
    write(d.path(), "k8s/bad.yaml", PRIVILEGED);
    let json = |d: &Path| -> serde_json::Value {
        let out = bin()
            .current_dir(d)
            .args(["scan", "k8s", "--format", "json"])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let before = json(d.path());
    bin()
        .current_dir(d.path())
        .args(["init", "--github", "--gitlab"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("wrote ./.clustersec.yaml"));
    let after = json(d.path());
    assert_eq!(before["findings"], after["findings"]);
    if git {
        // Found in the repository root, above the scan root.
        assert_eq!(after["config"], ".clustersec.yaml");
    }
    let workflow =
        std::fs::read_to_string(d.path().join(".github/workflows/clustersec.yml")).unwrap();
    assert!(workflow.contains(&format!(
        "uses: clustersec/clustersec@v{}",
        env!("CARGO_PKG_VERSION")
    )));
    let gitlab = std::fs::read_to_string(d.path().join(".gitlab-ci.yml")).unwrap();
    assert!(gitlab.contains(&format!(
        "clustersec/v{}/ci/gitlab",
        env!("CARGO_PKG_VERSION")
    )));
    // Never overwrites without --force.
    bin()
        .current_dir(d.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exists; not overwritten"));
    bin()
        .current_dir(d.path())
        .args(["init", "--force"])
        .assert()
        .code(0);
}

#[test]
fn explain_prints_raw_markdown_when_piped() {
    bin()
        .args(["explain", "privileged"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "# CUSTOM_SECURITY_PRIVILEGED_CHECK (privileged)\n",
        ))
        .stdout(predicate::str::contains("```yaml"));
}

#[test]
fn completions_know_rule_ids_and_short_names() {
    // (clap_complete's fish, elvish and powershell scripts do not complete positional values.)
    for shell in ["bash", "zsh"] {
        let out = bin()
            .args(["completions", shell])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let script = String::from_utf8(out).unwrap();
        for word in [
            "CUSTOM_SECURITY_PRIVILEGED_CHECK",
            "run-as-user",
            "CLUSTERSEC_RENDER",
        ] {
            assert!(script.contains(word), "{shell}: {word}");
        }
    }
}

#[test]
fn markdown_says_what_was_not_checked() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    write(d.path(), "big.yaml", &CLEAN.repeat(20));
    let out = bin()
        .args(["scan", "--max-file-size", "1KiB", "--format", "markdown"])
        .arg(d.path())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert!(
        md.contains(":warning: **Not checked**: 1 file not scanned."),
        "{md}"
    );
}

#[test]
fn an_exclude_that_matches_nothing_says_why() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "ok.yaml", CLEAN);
    bin()
        .current_dir(d.path())
        .args(["scan", "--exclude", "vendr"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "notice: --exclude (or the config's exclude) `vendr` matched no file to scan",
        ));
    write(d.path(), "vendor/x.yaml", CLEAN);
    bin()
        .current_dir(d.path())
        .args(["scan", "--exclude", "vendor"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("notice").not());
}

#[test]
fn a_value_kustomize_rewrote_says_so() {
    let have = |tool: &str, arg: &str| {
        std::process::Command::new(tool)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("kustomize", "version") && !have("kubectl", "version") {
        eprintln!("skipped: neither kustomize nor kubectl is available");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pod.yaml", PRIVILEGED);
    write(d.path(), "kustomization.yaml", "resources:\n  - pod.yaml\n");
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .expect("the privileged finding");
    assert_eq!(f["path"], "pod.yaml");
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("kustomize changed the value: the source has yes, the output \"yes\""),
        "{msg}"
    );
}

#[test]
fn cli_json_with_config_and_verdict_matches_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-format.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "bad.yaml", PRIVILEGED);
    write(d.path(), "big.yaml", &CLEAN.repeat(20));
    for args in [&["--fail-on", "high"][..], &["--fail-on", "none"][..]] {
        let out = bin()
            .current_dir(d.path())
            .args(["scan", "--format", "json", "--max-file-size", "1KiB"])
            .args(args)
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v["verdict"]["notChecked"][0], "1 file not scanned");
    }
}
