//! Baselines and diff bases: `clustersec baseline`, `scan --baseline`, `scan --diff-base`, in
//! temporary git repositories made by the tests; and `clustersec config schema` / `check`.

use std::path::Path;
use std::process::Command;

use crate::support::{bless, have_helm, write};

/// The binary, without the GitHub Actions variables (links in markdown) of a CI run.
fn bin() -> assert_cmd::Command {
    let mut c = crate::support::bin();
    for v in [
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
    ] {
        c.env_remove(v);
    }
    c
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27.3
      imagePullPolicy: Always
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsUser: 10001
        runAsGroup: 10001
";

const CLEAN_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  containers:
    - name: app
      image: nginx:1.27.3
      imagePullPolicy: Always
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsUser: 10001
        runAsGroup: 10001
";

/// git in `dir`, isolated from the user's config, with fixed dates (stable commit ids).
fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

/// A repository on `main` with `k8s/web.yaml` (a privileged pod) committed.
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    write(d.path(), "k8s/web.yaml", POD);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "init"]);
    d
}

fn json_scan(dir: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = bin()
        .current_dir(dir)
        .args(["scan", "k8s", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// (rule, line, baselineState) of each finding of a JSON report.
fn states(v: &serde_json::Value) -> Vec<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["region"]["startLine"].as_u64().unwrap(),
                f["baselineState"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

fn write_baseline(dir: &Path, file: &str) -> serde_json::Value {
    bin()
        .current_dir(dir)
        .args(["baseline", "k8s", "-o", file])
        .assert()
        .code(0);
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

#[test]
fn baseline_round_trip_marks_everything_existing_and_passes() {
    let d = repo();
    let b = write_baseline(d.path(), "clustersec-baseline.json");
    assert_eq!(b["version"], 1);
    assert_eq!(b["fingerprintKey"], "clustersecFingerprint/v1");
    let entries = b["findings"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e["path"] == "k8s/web.yaml"));
    assert!(entries
        .iter()
        .any(|e| e["rule"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK"));

    // The fingerprints are those of the SARIF report.
    let sarif = bin()
        .current_dir(d.path())
        .args(["scan", "k8s", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let mut from_sarif: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["clustersecFingerprint/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut from_baseline: Vec<String> = entries
        .iter()
        .map(|e| e["fingerprint"].as_str().unwrap().to_string())
        .collect();
    from_sarif.sort();
    from_baseline.sort();
    assert_eq!(from_sarif, from_baseline);

    let (code, v) = json_scan(d.path(), &["--baseline", "clustersec-baseline.json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["comparison"]["against"],
        "baseline clustersec-baseline.json"
    );
    assert_eq!(v["comparison"]["new"], 0);
    assert_eq!(v["comparison"]["existing"], entries.len());
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("docs/json-format.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let s = states(&v);
    assert!(!s.is_empty());
    assert!(s.iter().all(|(_, _, st)| st == "existing"), "{s:?}");

    // Without the baseline the same scan fails.
    let (code, v) = json_scan(d.path(), &[]);
    assert_eq!(code, 1);
    assert!(states(&v).iter().all(|(_, _, st)| st == "-"));
}

#[test]
fn a_line_shift_keeps_fingerprints_and_a_new_finding_is_new() {
    let d = repo();
    write_baseline(d.path(), "base.json");
    // Lines move: a comment at the top and a second, clean document before the pod.
    write(
        d.path(),
        "k8s/web.yaml",
        &format!("# moved\n# down\n{CLEAN_POD}---\n{POD}"),
    );
    let (code, v) = json_scan(d.path(), &["--baseline", "base.json"]);
    assert_eq!(code, 0, "{v}");
    let s = states(&v);
    assert!(
        s.iter().all(|(_, line, st)| st == "existing" && *line > 20),
        "{s:?}"
    );

    // A new problem: the new one is new, the rest stay existing; --fail-on counts the new only.
    write(
        d.path(),
        "k8s/web.yaml",
        &POD.replace("        runAsGroup: 10001\n", ""),
    );
    let (code, v) = json_scan(
        d.path(),
        &["--baseline", "base.json", "--fail-on", "medium"],
    );
    let s = states(&v);
    let new: Vec<&(String, u64, String)> = s.iter().filter(|x| x.2 == "new").collect();
    assert!(
        new.iter().any(|x| x.0 == "CUSTOM_SECURITY_GROUPS_CHECK"),
        "{s:?}"
    );
    assert!(s
        .iter()
        .any(|x| x.0 == "CUSTOM_SECURITY_PRIVILEGED_CHECK" && x.2 == "existing"));
    assert_eq!(code, 1);
    assert_eq!(
        v["verdict"]["counted"].as_u64(),
        Some(new.len() as u64),
        "{v}"
    );
}

#[test]
fn diff_base_splits_new_from_existing_by_changed_lines() {
    let d = repo();
    git(d.path(), &["checkout", "-q", "-b", "feature"]);
    // A changed line in the old file, and a new file.
    write(
        d.path(),
        "k8s/web.yaml",
        &POD.replace("image: nginx:1.27.3", "image: nginx:latest"),
    );
    write(
        d.path(),
        "k8s/new.yaml",
        &POD.replace("name: web", "name: new"),
    );
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "feature"]);
    // main moves on: the merge base, not main's tip, is the base.
    git(d.path(), &["checkout", "-q", "main"]);
    write(d.path(), "k8s/other.yaml", CLEAN_POD);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "main moves"]);
    git(d.path(), &["checkout", "-q", "feature"]);

    let (code, v) = json_scan(d.path(), &["--diff-base", "main", "--fail-on", "critical"]);
    let findings = v["findings"].as_array().unwrap();
    for f in findings {
        let path = f["path"].as_str().unwrap();
        let line = f["region"]["startLine"].as_u64().unwrap();
        let state = f["baselineState"].as_str().unwrap();
        let expected = if path.ends_with("new.yaml") || (path.ends_with("web.yaml") && line == 8) {
            "new"
        } else {
            "existing"
        };
        assert_eq!(state, expected, "{f}");
    }
    assert!(findings
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("web.yaml")
            && f["ruleId"] == "CLUSTERSEC_IMAGE_TAG"
            && f["baselineState"] == "new"));
    // The privileged container of new.yaml is new and critical; web.yaml's is existing.
    assert_eq!(code, 1);
    assert_eq!(v["verdict"]["counted"], 1, "{}", v["verdict"]);

    // SARIF says the same with baselineState new / unchanged.
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "k8s", "--diff-base", "main", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["baselineState"] == "new"));
    assert!(results.iter().any(|r| r["baselineState"] == "unchanged"));
    assert!(results
        .iter()
        .all(|r| r["baselineState"] == "new" || r["baselineState"] == "unchanged"));
}

#[test]
fn markdown_and_sarif_shapes() {
    let d = repo();
    write_baseline(d.path(), "base.json");
    write(
        d.path(),
        "k8s/new.yaml",
        &POD.replace("name: web", "name: new"),
    );
    let md = bin()
        .current_dir(d.path())
        .args([
            "scan",
            "k8s",
            "--baseline",
            "base.json",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    let md = md
        .lines()
        .filter(|l| !l.contains("Reported by"))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("baseline_markdown", md);

    let out = bin()
        .current_dir(d.path())
        .args([
            "scan",
            "k8s",
            "--baseline",
            "base.json",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shape: Vec<serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!({
                "ruleId": r["ruleId"],
                "uri": r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                "line": r["locations"][0]["physicalLocation"]["region"]["startLine"],
                "baselineState": r["baselineState"],
            })
        })
        .collect();
    insta::assert_json_snapshot!("baseline_sarif_results", shape);
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let d = repo();
    let err = |args: &[&str], dir: &Path| {
        let out = bin()
            .current_dir(dir)
            .args(["scan", "k8s"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        String::from_utf8(out.stderr).unwrap()
    };
    let e = err(&["--baseline", "missing.json"], d.path());
    assert!(e.contains("missing.json: no such file"), "{e}");
    write(d.path(), "corrupt.json", "{\"version\": 1, \"findings\": [");
    let e = err(&["--baseline", "corrupt.json"], d.path());
    assert!(e.contains("not a clustersec baseline"), "{e}");
    write(d.path(), "old.json", "{\"version\": 9, \"findings\": []}");
    let e = err(&["--baseline", "old.json"], d.path());
    assert!(e.contains("format version 1"), "{e}");
    write(
        d.path(),
        "wrong.json",
        "{\"version\": 1, \"fingerprintKey\": \"clustersecFingerprint/v1\", \"findings\": [{\"path\": 1}]}",
    );
    let e = err(&["--baseline", "wrong.json"], d.path());
    assert!(e.contains("corrupt baseline: at findings[0].path"), "{e}");
    let e = err(&["--diff-base", "no-such-branch"], d.path());
    assert!(
        e.contains("--diff-base no-such-branch: unknown git reference"),
        "{e}"
    );
    let e = err(&["--diff-base=-x"], d.path());
    assert!(e.contains("not a git reference"), "{e}");

    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "k8s/web.yaml", POD);
    let e = err(&["--diff-base", "main"], outside.path());
    assert!(e.contains("--diff-base needs a git repository"), "{e}");

    // `baseline` needs its -o FILE.
    let out = bin()
        .current_dir(d.path())
        .args(["baseline", "k8s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o FILE"));
}

// ---- clustersec config schema / check ----

#[test]
fn the_committed_config_schema_is_the_commands_output() {
    let out = bin().args(["config", "schema"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(printed, clustersec::config_schema::schema_text());
    let path = crate::support::root().join("docs/config.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != printed {
        if bless() {
            std::fs::write(&path, &printed).unwrap();
        } else {
            panic!(
                "docs/config.schema.json is stale (run `CLUSTERSEC_BLESS=1 cargo test --test it baseline::`)"
            );
        }
    }
}

fn yaml_to_json(text: &str) -> serde_json::Value {
    let stream = clustersec::model::yaml::parse_stream(text);
    stream
        .documents
        .into_iter()
        .next()
        .and_then(|d| d.root)
        .map_or(serde_json::Value::Null, |r| r.to_json())
}

#[test]
fn every_example_config_validates_against_the_schema() {
    let schema = clustersec::config_schema::schema();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let mut examples: Vec<(String, String)> = vec![(
        "clustersec init".to_string(),
        clustersec::init::config_text(),
    )];
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).unwrap();
    // The README's yaml blocks that are config files (a config the config parser accepts,
    // without the chart paths, which name directories of the reader's repository).
    for (i, block) in readme.split("```yaml\n").skip(1).enumerate() {
        let text = block.split("```").next().unwrap_or_default();
        if clustersec::config::Config::parse(text).is_ok() {
            examples.push((format!("README yaml block {}", i + 1), text.to_string()));
        }
    }
    assert!(examples.len() >= 3, "{examples:?}");
    for (name, text) in &examples {
        let v = yaml_to_json(text);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // And the schema refuses what the parser refuses.
    for bad in [
        "fail-on: severe\n",
        "helm: sometimes\n",
        "unknown-key: 1\n",
        "rules: {X: {enabled: maybe}}\n",
    ] {
        assert!(
            !validator.is_valid(&yaml_to_json(bad)),
            "the schema accepts {bad:?}"
        );
    }
}

#[test]
fn config_check_prints_effective_settings_or_a_located_error() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        ".clustersec.yaml",
        "fail-on: high\nexclude: [vendor/**]\n",
    );
    let out = bin()
        .current_dir(d.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fail-on"], "high");
    assert_eq!(v["exclude"][0], "vendor/**");
    assert_eq!(v["helm"], "auto");
    assert_eq!(
        v["rules"]["CUSTOM_SECURITY_PRIVILEGED_CHECK"]["enabled"],
        true
    );

    write(d.path(), "bad.yaml", "fail-on: high\nhelm: sometimes\n");
    let out = bin()
        .current_dir(d.path())
        .args(["config", "check", "bad.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("bad.yaml:2:7"), "{e}");
}

#[test]
fn diff_base_judges_helm_findings_by_their_template_line() {
    if !have_helm() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(d.path(), "chart/values.yaml", "tag: \"1.27.3\"\n");
    let template = "\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-web
spec:
  containers:
    - name: app
      image: \"nginx:{{ .Values.tag }}\"
      imagePullPolicy: Always
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsUser: 10001
        runAsGroup: 10001
";
    write(d.path(), "chart/templates/pod.yaml", template);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "init"]);
    git(d.path(), &["checkout", "-q", "-b", "feature"]);
    // The pull request changes the image line of the template only.
    write(
        d.path(),
        "chart/templates/pod.yaml",
        &template.replace("nginx:{{ .Values.tag }}", "nginx:latest"),
    );
    git(d.path(), &["commit", "-q", "-am", "latest"]);
    let out = bin()
        .current_dir(d.path())
        .args(["scan", "chart", "--diff-base", "main", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let get = |rule: &str| {
        findings
            .iter()
            .find(|f| f["ruleId"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {v}"))
    };
    let tag = get("CLUSTERSEC_IMAGE_TAG");
    assert_eq!(tag["path"], "chart/templates/pod.yaml", "{tag}");
    assert_eq!(tag["region"]["startLine"], 8);
    assert_eq!(tag["baselineState"], "new");
    let privileged = get("CUSTOM_SECURITY_PRIVILEGED_CHECK");
    assert_eq!(privileged["path"], "chart/templates/pod.yaml");
    assert_eq!(privileged["baselineState"], "existing", "{privileged}");
}

#[test]
fn merged_shards_keep_new_and_existing() {
    let d = repo();
    write_baseline(d.path(), "base.json");
    write(
        d.path(),
        "k8s/new.yaml",
        &POD.replace("name: web", "name: new"),
    );
    for k in 1..=2 {
        bin()
            .current_dir(d.path())
            .args([
                "scan",
                "k8s",
                "--baseline",
                "base.json",
                "--fail-on",
                "high",
            ])
            .args(["--shard", &format!("{k}/2"), "--format", "json", "-o"])
            .arg(format!("shard-{k}.json"))
            .output()
            .unwrap();
    }
    let out = bin()
        .current_dir(d.path())
        .args(["merge", "shard-1.json", "shard-2.json", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = states(&v);
    let new = s.iter().filter(|x| x.2 == "new").count();
    assert!(new > 0 && s.iter().any(|x| x.2 == "existing"), "{s:?}");
    assert_eq!(v["comparison"]["against"], "baseline base.json");
    assert_eq!(v["comparison"]["new"], new);
    // new.yaml's critical and high findings count; web.yaml's existing ones do not.
    assert_eq!(v["verdict"]["counted"], 3, "{}", v["verdict"]);
    assert_eq!(out.status.code(), Some(1));
}
