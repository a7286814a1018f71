//! The API version rules against every row of the table, at every Kubernetes version from
//! before the first deprecation to after the last removal; and `--kube-version` end to end.

use std::path::Path;

use crate::support::{bin, have_helm, write};
use clustersec::engine::Engine;
use clustersec::kube_version::KubeVersion;
use clustersec::rules::data::api_versions::{lookup, API_TABLE, NEWEST_KNOWN};
use predicates::prelude::*;

const REMOVED: &str = "CLUSTERSEC_REMOVED_API";
const DEPRECATED: &str = "CLUSTERSEC_DEPRECATED_API";

fn manifest(api: &str, kind: &str) -> String {
    format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n")
}

/// The API rules' findings on one object at a target version: (rule, line, col, message).
fn api_findings(engine: &Engine, api: &str, kind: &str) -> Vec<(String, u32, u32, String)> {
    let (_, findings) = engine.scan_text("m.yaml", &manifest(api, kind));
    findings
        .into_iter()
        .filter(|f| f.rule == REMOVED || f.rule == DEPRECATED)
        .map(|f| {
            (
                f.rule.to_string(),
                f.span.start.line,
                f.span.start.col,
                f.message,
            )
        })
        .collect()
}

#[test]
fn every_row_at_every_version() {
    for minor in 0..=NEWEST_KNOWN.minor + 1 {
        let target = KubeVersion::new(1, minor);
        let engine = Engine::default().with_kube_version(target);
        for row in API_TABLE {
            let got = api_findings(&engine, row.api_version, row.kind);
            let want = if row.removed <= target {
                Some(REMOVED)
            } else if row.deprecated <= target {
                Some(DEPRECATED)
            } else {
                None
            };
            match (want, got.as_slice()) {
                (None, []) => {}
                (Some(rule), [(r, 1, 1, msg)]) if r == rule => {
                    // The message names the versions and what to use.
                    assert!(
                        msg.contains(&format!("deprecated in {}", row.deprecated))
                            || msg.contains(&format!(
                                "deprecated since Kubernetes {}",
                                row.deprecated
                            )),
                        "{msg}"
                    );
                    assert!(
                        msg.contains(&format!("removed in {}", row.removed)),
                        "{msg}"
                    );
                    assert!(msg.contains(&target.to_string()), "{msg}");
                    match row.replacements.first() {
                        Some(_) => assert!(
                            row.replacements.iter().any(|(api, _)| msg.contains(api))
                                || msg.contains("no replacement"),
                            "{msg}"
                        ),
                        None => assert!(msg.contains("no replacement"), "{msg}"),
                    }
                }
                _ => panic!(
                    "{} {} at {target}: expected {want:?}, got {got:?}",
                    row.api_version, row.kind
                ),
            }
            // A replacement is never flagged unless it is a row of its own (and then by its own
            // row's versions).
            for (api, _) in row.replacements {
                let got = api_findings(&engine, api, row.kind);
                match lookup(api, row.kind) {
                    None => assert!(got.is_empty(), "replacement {api} flagged: {got:?}"),
                    Some(r) => assert_eq!(
                        got.is_empty(),
                        r.deprecated > target,
                        "{api} {} at {target}: {got:?}",
                        row.kind
                    ),
                }
            }
        }
    }
}

#[test]
fn message_names_versions_and_replacement() {
    let engine = Engine::default().with_kube_version(KubeVersion::new(1, 25));
    let got = api_findings(&engine, "policy/v1beta1", "PodDisruptionBudget");
    assert_eq!(
        got,
        vec![(
            REMOVED.to_string(),
            1,
            1,
            "PodDisruptionBudget policy/v1beta1 is not served by Kubernetes 1.25 (the target \
             version): deprecated in 1.21, removed in 1.25; use policy/v1 (available since \
             Kubernetes 1.21)"
                .to_string()
        )]
    );
    let engine = Engine::default().with_kube_version(KubeVersion::new(1, 24));
    let got = api_findings(&engine, "batch/v1beta1", "CronJob");
    assert_eq!(
        got[0].3,
        "CronJob batch/v1beta1 is deprecated since Kubernetes 1.21 and removed in 1.25 (the \
         target is 1.24); use batch/v1 (available since Kubernetes 1.21)"
    );
}

const PDB: &str = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n";

#[test]
fn kube_version_flag_sets_the_target_and_reports_name_it() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pdb.yaml", PDB);
    // Before 1.21 the PDB is fine: nothing to report.
    bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--kustomize",
            "never",
            "--kube-version",
            "1.20.3",
        ])
        .arg(d.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Target Kubernetes version: 1.20"));
    // Deprecated at 1.23: a low finding.
    bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--kustomize",
            "never",
            "--kube-version",
            "v1.23",
        ])
        .args(["--format", "json"])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"kubeVersion\": \"1.23\""))
        .stdout(predicate::str::contains(DEPRECATED));
    // The default target is the newest the table knows: removed, and SARIF names the target.
    let out = bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--kustomize",
            "never",
            "--format",
            "sarif",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["kubeVersion"],
        NEWEST_KNOWN.to_string()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(REMOVED));
}

#[test]
fn kube_version_from_the_config() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pdb.yaml", PDB);
    write(d.path(), ".clustersec.yaml", "kube-version: \"1.22\"\n");
    bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--kustomize",
            "never",
            "--format",
            "json",
        ])
        .arg(d.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\"kubeVersion\": \"1.22\""))
        .stdout(predicate::str::contains(DEPRECATED));
    // The flag wins over the config.
    bin()
        .args([
            "scan",
            "--helm",
            "never",
            "--kustomize",
            "never",
            "--kube-version",
            "1.20",
        ])
        .arg(d.path())
        .assert()
        .code(0);
}

#[test]
fn a_kube_version_that_is_not_a_version_exits_2() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "pdb.yaml", PDB);
    bin()
        .args(["scan", "--kube-version", "latest"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--kube-version"))
        .stderr(predicate::str::contains("not a Kubernetes version"));
    write(d.path(), ".clustersec.yaml", "kube-version: one.two\n");
    bin()
        .args(["scan", "--helm", "never"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kube-version"))
        .stderr(predicate::str::contains("not a Kubernetes version"));
    // Unquoted, 1.30 is the number 1.3: refused, with the fix.
    write(d.path(), ".clustersec.yaml", "kube-version: 1.30\n");
    bin()
        .args(["scan", "--helm", "never"])
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".clustersec.yaml:1:15"))
        .stderr(predicate::str::contains("in quotes"));
}

#[test]
fn an_api_version_that_is_not_a_string_is_wrong_type() {
    let engine = Engine::default();
    let (_, findings) = engine.scan_text(
        "m.yaml",
        "apiVersion: {group: extensions}\nkind: Deployment\nmetadata:\n  name: x\n",
    );
    assert!(findings.iter().any(|f| f.rule == "CLUSTERSEC_WRONG_TYPE"));
    assert!(!findings
        .iter()
        .any(|f| f.rule == REMOVED || f.rule == DEPRECATED));
}

/// A chart whose PodDisruptionBudget picks its apiVersion by `.Capabilities.KubeVersion`, and
/// whose Ingress does not.
fn guarded_chart(dir: &Path) {
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: guarded\nversion: 0.1.0\n",
    );
    write(
        &chart.join("templates"),
        "pdb.yaml",
        "apiVersion: {{ if semverCompare \">=1.25-0\" .Capabilities.KubeVersion.Version }}\
         policy/v1{{ else }}policy/v1beta1{{ end }}\n\
         kind: PodDisruptionBudget\n\
         metadata:\n  name: web\nspec:\n  minAvailable: 1\n",
    );
    write(
        &chart.join("templates"),
        "ingress.yaml",
        "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n",
    );
}

#[test]
fn helm_renders_for_the_target_and_findings_map_to_the_template() {
    if !have_helm() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    guarded_chart(d.path());
    let run = |version: Option<&str>| -> serde_json::Value {
        let mut c = bin();
        c.current_dir(d.path())
            .args(["scan", "--helm", "always", "--format", "json"]);
        if let Some(v) = version {
            c.args(["--kube-version", v]);
        }
        let out = c.arg(".").output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let api_findings = |json: &serde_json::Value| -> Vec<(String, String, u64)> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"] == REMOVED || f["ruleId"] == DEPRECATED)
            .map(|f| {
                (
                    f["ruleId"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                    f["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // 1.24: the guard renders policy/v1beta1, deprecated and still served: the finding is on
    // the template's line. The Ingress is removed since 1.22.
    let json = run(Some("1.24.0"));
    assert_eq!(json["kubeVersion"], "1.24");
    assert_eq!(
        api_findings(&json),
        vec![
            (
                REMOVED.to_string(),
                "chart/templates/ingress.yaml".to_string(),
                1
            ),
            (
                DEPRECATED.to_string(),
                "chart/templates/pdb.yaml".to_string(),
                1
            )
        ]
    );
    // 1.25 and the default target (helm renders for it too): the guard picks policy/v1.
    for v in [Some("1.25"), None] {
        let json = run(v);
        assert_eq!(
            api_findings(&json),
            vec![(
                REMOVED.to_string(),
                "chart/templates/ingress.yaml".to_string(),
                1
            )],
            "{v:?}"
        );
    }
}

#[test]
fn kustomize_output_is_judged_and_mapped_to_the_resource_file() {
    if clustersec::render::kustomize::Builder::find().is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("kubectl or kustomize is not on PATH, and CI is set");
        }
        eprintln!("skipped: kubectl or kustomize is not on PATH");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "kustomization.yaml",
        "resources:\n  - cronjob.yaml\n",
    );
    write(
        d.path(),
        "cronjob.yaml",
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: \"0 1 * * *\"\n",
    );
    let out = bin()
        .current_dir(d.path())
        .args([
            "scan",
            "--kustomize",
            "always",
            "--kube-version",
            "1.23",
            "--format",
            "json",
            ".",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == DEPRECATED || f["ruleId"] == REMOVED)
        .map(|f| {
            (
                format!(
                    "{} {}",
                    f["ruleId"].as_str().unwrap(),
                    f["path"].as_str().unwrap()
                ),
                f["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(format!("{DEPRECATED} cronjob.yaml"), 1)],
        "{json}"
    );
}
