//! Suppressions (issue 11, section 2): object annotations (`clustersec.io/ignore`,
//! `datree.skip/RULE`, `datree.io/skip/RULE`), read after rendering for Helm and Kustomize; the
//! config's `suppressions` list with its selectors and expiry; stale suppressions; and how every
//! report shows suppressed findings (SARIF `suppressions` kinds, text and markdown counts).
//!
//! (Module of the `it` test crate: `cargo test --test it suppress::`.) End to end through the binary, in temporary directories (fixed "today" through
//! `CLUSTERSEC_TODAY`). Tests that need `helm` or `kubectl`/`kustomize` skip when it is missing,
//! unless `CI` is set.

use std::path::Path;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::{have_helm, have_kustomize, root, write};

const STALE: &str = "CLUSTERSEC_STALE_SUPPRESSION";

/// The binary run in `dir`, on a fixed day, without the GitHub Actions variables of a CI run.
fn bin(dir: &Path) -> Command {
    let mut c = crate::support::bin();
    c.env("CLUSTERSEC_TODAY", "2026-06-15")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_SHA")
        .current_dir(dir);
    c
}

/// `clustersec scan ARGS -f json --fail-on none` in `dir`, parsed.
fn scan_json(dir: &Path, args: &[&str], today: &str) -> Value {
    let out = bin(dir)
        .env("CLUSTERSEC_TODAY", today)
        .arg("scan")
        .args(args)
        .args(["-f", "json", "--fail-on", "none", "--no-fail-on-incomplete"])
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule, path, line) of a JSON report list (`findings` or `suppressed`).
fn list<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v[key]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn rules_of(v: &Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = list(v, key)
        .iter()
        .map(|f| f["ruleId"].as_str().unwrap_or("").to_string())
        .collect();
    out.sort();
    out
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
  annotations:
@ANNOTATIONS@
spec:
  securityContext:
    runAsUser: 10001
    runAsGroup: 10001
  containers:
    - name: agent
      image: registry.example/agent:1.0
      imagePullPolicy: Always
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
";

fn pod(annotations: &str) -> String {
    POD.replace("@ANNOTATIONS@", annotations)
}

#[test]
fn annotations_suppress_with_their_reason() {
    for (annotations, reason) in [
        (
            "    clustersec.io/ignore: \"CUSTOM_SECURITY_PRIVILEGED_CHECK, PSS_PRIVILEGED\"\n    clustersec.io/ignore-reason: node agent (SEC-12)",
            "node agent (SEC-12)",
        ),
        // Short names, any case, in a list.
        (
            "    clustersec.io/ignore: \" PRIVILEGED ,\"\n    clustersec.io/ignore-reason: node agent (SEC-12)",
            "node agent (SEC-12)",
        ),
        (
            "    datree.skip/CUSTOM_SECURITY_PRIVILEGED_CHECK: migrated from Datree",
            "migrated from Datree",
        ),
        (
            "    datree.io/skip/privileged: migrated from Datree",
            "migrated from Datree",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pod.yaml", &pod(annotations));
        let v = scan_json(dir.path(), &["pod.yaml"], "2026-06-15");
        let suppressed = list(&v, "suppressed");
        assert!(
            rules_of(&v, "findings").iter().all(|r| r != "CUSTOM_SECURITY_PRIVILEGED_CHECK"),
            "{annotations}: {v:#}"
        );
        let s = suppressed
            .iter()
            .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
            .unwrap_or_else(|| panic!("{annotations}: not suppressed: {v:#}"));
        assert_eq!(s["suppressedBy"], "annotation");
        assert_eq!(s["suppression"], reason);
        assert_eq!(v["summary"]["suppressedBy"]["annotation"], 1, "{v:#}");
        assert!(!rules_of(&v, "findings").contains(&STALE.to_string()), "{v:#}");
    }
}

#[test]
fn annotations_without_a_reason_say_so_and_unknown_rules_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pod.yaml",
        &pod("    clustersec.io/ignore: CUSTOM_SECURITY_PRIVILEGED_CHECK, NO_SUCH_RULE"),
    );
    let v = scan_json(dir.path(), &["pod.yaml"], "2026-06-15");
    let s = list(&v, "suppressed")
        .into_iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .expect("suppressed");
    assert_eq!(
        s["suppression"],
        "annotation clustersec.io/ignore (no reason given)"
    );
    let stale: Vec<&Value> = list(&v, "findings")
        .into_iter()
        .filter(|f| f["ruleId"] == STALE)
        .collect();
    assert_eq!(stale.len(), 1, "{v:#}");
    assert_eq!(stale[0]["region"]["startLine"], 7);
    assert_eq!(stale[0]["region"]["startColumn"], 5);
    assert_eq!(stale[0]["severity"], "low");
    let message = stale[0]["message"].as_str().unwrap();
    assert!(message.contains("NO_SUCH_RULE"), "{message}");
}

/// The markers `# expect: RULE[@COL]` of a file: (line, column).
fn markers(text: &str) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("# expect: ") else {
            continue;
        };
        let spec = line[at + "# expect: ".len()..].trim();
        let (rule, col) = match spec.split_once('@') {
            Some((r, c)) => (r, c.parse::<u64>().unwrap()),
            None => {
                let body = line.trim_start();
                let body_col = line.len() - body.len() + 1;
                let col = if body.starts_with("- ") {
                    body_col + 2
                } else {
                    body_col
                };
                (spec, col as u64)
            }
        };
        assert_eq!(rule, STALE);
        out.push((i as u64 + 1, col));
    }
    out
}

#[test]
fn stale_comments_and_config_entries_match_their_markers() {
    let dir = root().join("fixtures/suppress/stale");
    let v = scan_json(&root(), &["fixtures/suppress/stale"], "2026-06-15");
    for file in ["app.yaml", ".clustersec.yaml"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let path = format!("fixtures/suppress/stale/{file}");
        let mut expected = markers(&text);
        expected.sort();
        let mut actual: Vec<(u64, u64)> = list(&v, "findings")
            .into_iter()
            .filter(|f| f["ruleId"] == STALE && f["path"] == path.as_str())
            .map(|f| {
                (
                    f["region"]["startLine"].as_u64().unwrap(),
                    f["region"]["startColumn"].as_u64().unwrap(),
                )
            })
            .collect();
        actual.sort();
        assert_eq!(actual, expected, "{path}: {v:#}");
    }
    // The comment that was used silenced its finding.
    let s = list(&v, "suppressed")
        .into_iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PROC_MOUNT_CHECK")
        .expect("procMount suppressed");
    assert_eq!(s["suppressedBy"], "comment");
}

const CONFIG_PODS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      securityContext:
        runAsUser: 10001
        runAsGroup: 10001
      containers:
        - name: app
          image: registry.example/app:1.0
          imagePullPolicy: Always
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
        - name: sidecar
          image: registry.example/sidecar:1.0
          imagePullPolicy: Always
          securityContext:
            privileged: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: other
spec:
  securityContext:
    runAsUser: 10001
    runAsGroup: 10001
  containers:
    - name: app
      image: registry.example/app:1.0
      imagePullPolicy: Always
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
";

/// A scan of `deploy/web.yaml` and `other/web.yaml` (both [`CONFIG_PODS`]) with one config
/// suppression: the (path, kind, container) of the privileged findings it suppresses.
fn suppressed_by_entry(entry: &str, today: &str) -> (Vec<String>, Value) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deploy/web.yaml", CONFIG_PODS);
    write(dir.path(), "other/web.yaml", CONFIG_PODS);
    write(
        dir.path(),
        ".clustersec.yaml",
        &format!("suppressions:\n  - {entry}\n    reason: accepted (SEC-9)\n"),
    );
    let v = scan_json(dir.path(), &["."], today);
    let mut out: Vec<String> = list(&v, "suppressed")
        .into_iter()
        .filter(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .map(|f| {
            assert_eq!(f["suppressedBy"], "config");
            assert_eq!(f["suppression"], "accepted (SEC-9)");
            format!(
                "{} {}/{} {}",
                f["path"].as_str().unwrap(),
                f["object"]["kind"].as_str().unwrap(),
                f["object"]["namespace"].as_str().unwrap(),
                f["container"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    (out, v)
}

#[test]
fn config_suppressions_select_by_each_key() {
    let all = [
        "deploy/web.yaml Deployment/shop app",
        "deploy/web.yaml Deployment/shop sidecar",
        "deploy/web.yaml Pod/other app",
        "other/web.yaml Deployment/shop app",
        "other/web.yaml Deployment/shop sidecar",
        "other/web.yaml Pod/other app",
    ];
    let cases: &[(&str, &[usize])] = &[
        ("rule: CUSTOM_SECURITY_PRIVILEGED_CHECK", &[0, 1, 2, 3, 4, 5]),
        ("rule: [privileged, PSS_PRIVILEGED]", &[0, 1, 2, 3, 4, 5]),
        ("rule: privileged\n    path: \"deploy/**\"", &[0, 1, 2]),
        ("rule: privileged\n    path: \"*/web.yaml\"", &[0, 1, 2, 3, 4, 5]),
        ("rule: privileged\n    path: \"other/*\"", &[3, 4, 5]),
        ("rule: privileged\n    kind: Pod", &[2, 5]),
        ("rule: privileged\n    namespace: shop", &[0, 1, 3, 4]),
        ("rule: privileged\n    name: web\n    kind: Deployment", &[0, 1, 3, 4]),
        ("rule: privileged\n    name: api", &[]),
        ("rule: privileged\n    container: sidecar", &[1, 4]),
        (
            "rule: privileged\n    path: deploy/web.yaml\n    kind: Deployment\n    namespace: shop\n    name: web\n    container: app",
            &[0],
        ),
    ];
    for (entry, want) in cases {
        let (got, v) = suppressed_by_entry(entry, "2026-06-15");
        let want: Vec<String> = want.iter().map(|&i| all[i].to_string()).collect();
        assert_eq!(got, want, "{entry}");
        // An entry that selects nothing is stale, at its line in the config.
        let stale: Vec<&Value> = list(&v, "findings")
            .into_iter()
            .filter(|f| f["ruleId"] == STALE)
            .collect();
        if want.is_empty() {
            assert_eq!(stale.len(), 1, "{entry}: {v:#}");
            assert_eq!(stale[0]["path"], ".clustersec.yaml");
            assert_eq!(stale[0]["region"]["startLine"], 2);
            assert_eq!(stale[0]["region"]["startColumn"], 5);
        } else {
            assert!(stale.is_empty(), "{entry}: {v:#}");
        }
    }
}

#[test]
fn config_suppressions_expire_after_their_date() {
    let entry = "rule: privileged\n    container: sidecar\n    expires: 2026-06-30";
    // On the day itself it still applies.
    for today in ["2026-01-01", "2026-06-30"] {
        let (got, _) = suppressed_by_entry(entry, today);
        assert_eq!(got.len(), 2, "{today}");
    }
    // The day after, the findings come back with a note, and the entry is not stale.
    let (got, v) = suppressed_by_entry(entry, "2026-07-01");
    assert!(got.is_empty());
    let back: Vec<&Value> = list(&v, "findings")
        .into_iter()
        .filter(|f| {
            f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK" && f["container"] == "sidecar"
        })
        .collect();
    assert_eq!(back.len(), 2, "{v:#}");
    for f in back {
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("suppression at line 2 expired on 2026-06-30: accepted (SEC-9)"),
            "{m}"
        );
    }
    assert!(!rules_of(&v, "findings").contains(&STALE.to_string()));
}

#[test]
fn bad_config_suppressions_exit_2_located() {
    let cases = [
        (
            "suppressions:\n  - rule: NOT_A_RULE\n    reason: x\n",
            ".clustersec.yaml:2:11",
            "unknown rule `NOT_A_RULE`",
        ),
        (
            "suppressions:\n  - rule: [privileged, privilegd]\n    reason: x\n",
            ".clustersec.yaml:2:24",
            "did you mean `privileged`?",
        ),
        (
            "suppressions:\n  - rule: privileged\n    reason: x\n    expires: 2026-02-30\n",
            ".clustersec.yaml:4:14",
            "2026-02 has no day 30",
        ),
        (
            "suppressions:\n  - rule: privileged\n    reason: x\n    expires: 30/06/2026\n",
            ".clustersec.yaml:4:14",
            "expected YYYY-MM-DD",
        ),
        (
            "suppressions:\n  - rule: privileged\n",
            ".clustersec.yaml:2:5",
            "missing field `reason`",
        ),
        (
            "suppressions:\n  - rule: privileged\n    reason: \"  \"\n",
            ".clustersec.yaml:3:13",
            "a reason is required",
        ),
        (
            "suppressions:\n  - rule: privileged\n    reason: x\n    path: \"a/[b\"\n",
            ".clustersec.yaml:4:11",
            "invalid glob",
        ),
        (
            "suppressions:\n  - rule: privileged\n    reason: x\n    image: nginx\n",
            ".clustersec.yaml:4:5",
            "unknown key `image`",
        ),
        (
            "suppressions:\n  - rule: []\n    reason: x\n",
            ".clustersec.yaml:2:11",
            "name at least one rule",
        ),
    ];
    for (config, place, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pod.yaml", &pod("    a: b"));
        write(dir.path(), ".clustersec.yaml", config);
        let out = bin(dir.path()).args(["scan", "."]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{config}: {stderr}");
        assert!(stderr.contains(place), "{config}: {stderr}");
        assert!(stderr.contains(message), "{config}: {stderr}");
    }
}

#[test]
fn a_malformed_today_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", &pod("    a: b"));
    let out = bin(dir.path())
        .env("CLUSTERSEC_TODAY", "tomorrow")
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLUSTERSEC_TODAY"));
}

/// A repository with one suppression of each kind.
fn three_kinds(dir: &Path) {
    write(
        dir,
        "pod.yaml",
        &pod("    clustersec.io/ignore: privileged\n    clustersec.io/ignore-reason: node agent")
            .replace(
                "        allowPrivilegeEscalation: false\n",
                "        # clustersec:ignore CUSTOM_SECURITY_USER_CHECK the image's user is fine\n        runAsUser: 0\n",
            ),
    );
    write(
        dir,
        ".clustersec.yaml",
        "suppressions:\n  - rule: CUSTOM_SECURITY_PRIVILEGE_CHECK\n    reason: tracked in SEC-7\n    expires: 2027-01-01\n",
    );
}

/// Validates SARIF against the OASIS schema in `../shared`, when it is there.
fn check_sarif(sarif: &Value) {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = root().join("../shared/sarif/sarif-schema-2.1.0.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            if std::env::var("CLUSTERSEC_REQUIRE_SHARED").as_deref() == Ok("1") {
                panic!("{} is missing and CLUSTERSEC_REQUIRE_SHARED=1", path.display());
            }
            eprintln!(
                "skipping SARIF schema validation: {} not found (set CLUSTERSEC_REQUIRE_SHARED=1 to fail instead)",
                path.display()
            );
            return None;
        };
        let schema: Value = serde_json::from_str(&text).unwrap();
        Some(
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("the SARIF schema compiles"),
        )
    });
    let Some(validator) = validator else { return };
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is not valid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_marks_suppressions_in_source_or_external() {
    let dir = tempfile::tempdir().unwrap();
    three_kinds(dir.path());
    let out = bin(dir.path())
        .args(["scan", ".", "-f", "sarif", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let kind = |rule: &str| -> Value {
        results
            .iter()
            .find(|r| r["ruleId"] == rule)
            .map(|r| r["suppressions"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        kind("CUSTOM_SECURITY_PRIVILEGED_CHECK"),
        serde_json::json!([{"kind": "inSource", "justification": "node agent"}])
    );
    assert_eq!(
        kind("CUSTOM_SECURITY_USER_CHECK"),
        serde_json::json!([{"kind": "inSource", "justification": "the image's user is fine"}])
    );
    assert_eq!(
        kind("CUSTOM_SECURITY_PRIVILEGE_CHECK"),
        serde_json::json!([{"kind": "external", "justification": "tracked in SEC-7"}])
    );
    // Nothing else is suppressed, and nothing is stale.
    let suppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(suppressed, 3);
    assert!(results.iter().all(|r| r["ruleId"] != STALE));
}

#[test]
fn text_and_markdown_count_suppressions_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    three_kinds(dir.path());
    let out = bin(dir.path())
        .args(["scan", ".", "--fail-on", "none"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "3 findings suppressed (not counted): 1 by comments, 1 by annotations, 1 by the config."
        ),
        "{text}"
    );
    let out = bin(dir.path())
        .args(["scan", ".", "-f", "markdown", "--fail-on", "none"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(":mute: 3 suppressed findings (1 by comments, 1 by annotations, 1 by the config; not counted; check each reason)"),
        "{md}"
    );
    assert!(
        md.contains("suppressed by an annotation of the object: node agent"),
        "{md}"
    );
    assert!(
        md.contains("suppressed by the config's `suppressions` entry at `.clustersec.yaml:2`: tracked in SEC\\-7"),
        "{md}"
    );
    assert!(
        md.contains("suppressed by the comment at `pod.yaml:"),
        "{md}"
    );
    // Comments alone keep their summary line.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "pod.yaml",
        &pod("    a: b").replace(
            "        privileged: true\n",
            "        privileged: true # clustersec:ignore privileged node agent\n",
        ),
    );
    let out = bin(dir.path())
        .args(["scan", ".", "--fail-on", "none"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 finding suppressed by `clustersec:ignore` comments (not counted)."),
        "{text}"
    );
}

const CHART: &str = "apiVersion: v2\nname: agent\nversion: 0.1.0\n";

const TEMPLATE: &str = "apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-agent
  {{- with .Values.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  securityContext:
    runAsUser: 10001
    runAsGroup: 10001
  containers:
    - name: agent
      image: registry.example/agent:1.0
      imagePullPolicy: Always
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
        # clustersec:ignore CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY stale: it is set below
        readOnlyRootFilesystem: true
";

#[test]
fn helm_annotations_are_read_after_rendering() {
    if !have_helm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "chart/Chart.yaml", CHART);
    write(dir.path(), "chart/templates/pod.yaml", TEMPLATE);
    write(
        dir.path(),
        "chart/values.yaml",
        "annotations:\n  clustersec.io/ignore: CUSTOM_SECURITY_PRIVILEGED_CHECK,CUSTOM_SECURITY_PROC_MOUNT_CHECK\n  clustersec.io/ignore-reason: node agent\n",
    );
    let v = scan_json(dir.path(), &[".", "--helm", "always"], "2026-06-15");
    let s = list(&v, "suppressed")
        .into_iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .unwrap_or_else(|| panic!("not suppressed: {v:#}"));
    assert_eq!(s["suppressedBy"], "annotation");
    assert_eq!(s["suppression"], "node agent");
    assert_eq!(s["path"], "chart/templates/pod.yaml");
    assert!(!rules_of(&v, "findings").contains(&"CUSTOM_SECURITY_PRIVILEGED_CHECK".to_string()));
    // The template's comment that silences nothing is stale, at the comment; the rendered
    // annotation naming a rule with no finding is stale where its value comes from.
    let mut stale: Vec<String> = list(&v, "findings")
        .into_iter()
        .filter(|f| f["ruleId"] == STALE)
        .map(|f| {
            format!(
                "{}:{}:{}",
                f["path"].as_str().unwrap(),
                f["region"]["startLine"],
                f["region"]["startColumn"]
            )
        })
        .collect();
    stale.sort();
    assert_eq!(
        stale,
        ["chart/templates/pod.yaml:20:9", "chart/values.yaml:1:1"],
        "{v:#}"
    );

    // Without the annotations in the values, the finding is back (read after rendering, not
    // from the template's text).
    write(dir.path(), "chart/values.yaml", "annotations: {}\n");
    let v = scan_json(dir.path(), &[".", "--helm", "always"], "2026-06-15");
    assert!(rules_of(&v, "findings").contains(&"CUSTOM_SECURITY_PRIVILEGED_CHECK".to_string()));
    // A chart that is not rendered does not have its comments judged.
    let v = scan_json(
        dir.path(),
        &[".", "--helm", "never", "--allow-empty"],
        "2026-06-15",
    );
    assert!(
        !rules_of(&v, "findings").contains(&STALE.to_string()),
        "{v:#}"
    );
}

#[test]
fn kustomize_annotations_are_read_after_building() {
    if !have_kustomize() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "base/pod.yaml",
        &pod("    team: ops").replace("  namespace: ops\n", ""),
    );
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources: [pod.yaml]\n",
    );
    write(
        dir.path(),
        "overlay/kustomization.yaml",
        "resources: [../base]\ncommonAnnotations:\n  datree.skip/CUSTOM_SECURITY_PRIVILEGED_CHECK: node agent in this overlay\n",
    );
    let v = scan_json(dir.path(), &[".", "--kustomize", "always"], "2026-06-15");
    let s = list(&v, "suppressed")
        .into_iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .unwrap_or_else(|| panic!("not suppressed: {v:#}"));
    assert_eq!(s["suppressedBy"], "annotation");
    assert_eq!(s["suppression"], "node agent in this overlay");
    assert_eq!(s["path"], "base/pod.yaml");
    assert!(
        !rules_of(&v, "findings").contains(&"CUSTOM_SECURITY_PRIVILEGED_CHECK".to_string()),
        "{v:#}"
    );
}

#[test]
fn compare_config_lists_added_suppressions_as_weakening() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", &pod("    a: b"));
    write(dir.path(), "base.yaml", "");
    write(
        dir.path(),
        ".clustersec.yaml",
        "suppressions:\n  - rule: privileged\n    kind: Pod\n    reason: node agent\n",
    );
    let v = scan_json(
        dir.path(),
        &["pod.yaml", "--compare-config", "base.yaml"],
        "2026-06-15",
    );
    let changes = v["policyChanges"].as_array().expect("policyChanges");
    let added: Vec<&Value> = changes
        .iter()
        .filter(|c| c["kind"] == "suppression-added")
        .collect();
    assert_eq!(added.len(), 1, "{v:#}");
    assert_eq!(added[0]["key"], "suppressions");
    assert_eq!(added[0]["weakens"], true);
    assert_eq!(
        added[0]["head"],
        "rule CUSTOM_SECURITY_PRIVILEGED_CHECK, kind Pod: node agent"
    );
}

#[test]
fn the_number_of_config_suppressions_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", &pod("    a: b"));
    let entries: String = (0..1001)
        .map(|i| format!("  - rule: privileged\n    name: n{i}\n    reason: r\n"))
        .collect();
    write(
        dir.path(),
        ".clustersec.yaml",
        &format!("suppressions:\n{entries}"),
    );
    let out = bin(dir.path()).args(["scan", "."]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".clustersec.yaml:3002:5: suppressions: more than 1000 entries"),
        "{stderr}"
    );
}
