//! Findings in Helm output point at the template line the user edits (issue: Helm and
//! Kustomize). The rendered output in `fixtures/helm-rendered/webapp.yaml` is what
//! `helm template demo fixtures/helm/webapp` prints; the chart is in the tree, so every finding
//! moves to its template. The same charts rendered by clustersec itself (when helm is on PATH)
//! must map the same way.

use crate::support::{have_helm as helm_available, root, scan_json_in};
use assert_cmd::Command;
use serde_json::Value;

/// `clustersec scan --format json ARGS` from the package root.
fn scan(args: &[&str]) -> Value {
    scan_json_in(&root(), args)
}

/// (rule, path, line, column, container) of every finding.
fn locations(v: &Value) -> Vec<(String, String, u64, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["region"]["startLine"].as_u64().unwrap(),
                f["region"]["startColumn"].as_u64().unwrap(),
                f["container"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(
    v: &[(String, String, u64, u64, String)],
    rule: &str,
    path: &str,
    line: u64,
    col: u64,
    container: &str,
) -> bool {
    v.iter()
        .any(|(r, p, l, c, k)| r == rule && p == path && *l == line && *c == col && k == container)
}

const DEPLOY: &str = "fixtures/helm/webapp/templates/deployment.yaml";
const DAEMONSET: &str = "fixtures/helm/webapp/charts/metrics/templates/daemonset.yaml";

#[test]
fn prerendered_output_maps_to_template_lines() {
    let v = scan(&[
        "--helm",
        "never",
        "fixtures/helm-rendered/webapp.yaml",
        "fixtures/helm/webapp",
    ]);
    let l = locations(&v);
    // `imagePullPolicy: {{ .pullPolicy | default "Always" }}` in `range .Values.containers`:
    // the `pullPolicy:` line of the values item named like the container.
    const VALUES: &str = "fixtures/helm/webapp/values.yaml";
    assert!(
        has(&l, "CUSTOM_SECURITY_IMAGE_PULL", VALUES, 15, 5, "web"),
        "{l:#?}"
    );
    // A value from `toYaml .securityContext` in the range: the item's `privileged:` line.
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_PRIVILEGED_CHECK",
            VALUES,
            25,
            7,
            "log-shipper"
        ),
        "{l:#?}"
    );
    // A pod-level value from `toYaml .` under `with .Values.podSecurityContext`: the values
    // line that sets it, which the message names too (not the rendered line).
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_USER_CHECK",
            "fixtures/helm/webapp/values.yaml",
            9,
            3,
            "web"
        ),
        "{l:#?}"
    );
    let inherited = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "CUSTOM_SECURITY_USER_CHECK" && f["container"] == "web")
        .unwrap();
    let msg = inherited["message"].as_str().unwrap();
    assert!(msg.contains("securityContext at line 9:"), "{msg}");
    assert_eq!(inherited["related"][0]["path"], DEPLOY, "{inherited}");
    assert_eq!(
        inherited["related"][0]["region"]["startLine"], 18,
        "{inherited}"
    );
    // A subchart's template, with a literal container item lacking the field.
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_IMAGE_PULL",
            DAEMONSET,
            19,
            11,
            "node-exporter"
        ),
        "{l:#?}"
    );
    // `toYaml .Values.securityContext` in a subchart whose parent's values do not set it: the
    // subchart's own `securityContext:` values line (the key the value is missing from).
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_PRIVILEGE_CHECK",
            "fixtures/helm/webapp/charts/metrics/values.yaml",
            3,
            1,
            "node-exporter"
        ),
        "{l:#?}"
    );
    // Nothing is left in the rendered file, and every finding says how it was mapped and keeps
    // the rendered location as a related location.
    for f in v["findings"].as_array().unwrap() {
        assert!(
            f["path"]
                .as_str()
                .unwrap()
                .starts_with("fixtures/helm/webapp/"),
            "{f}"
        );
        assert!(
            f["mapping"]
                .as_str()
                .is_some_and(|m| m.starts_with("template line") || m.starts_with("values line")),
            "{f}"
        );
        assert!(
            f["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["path"] == "fixtures/helm-rendered/webapp.yaml"),
            "{f}"
        );
    }
}

#[test]
fn rendered_output_without_its_chart_stays_put_and_names_the_template() {
    let v = scan(&["--helm", "never", "fixtures/helm-rendered/webapp.yaml"]);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["path"], "fixtures/helm-rendered/webapp.yaml");
        let m = f["mapping"].as_str().unwrap();
        assert!(
            m.contains("webapp/") && m.contains("not in the scanned tree"),
            "{m}"
        );
    }
}

#[test]
fn self_rendered_chart_maps_into_helpers_and_subcharts() {
    if !helm_available() {
        return;
    }
    let v = scan(&[
        "--helm",
        "always",
        "--helm-values",
        "fixtures/helm/webapp/values-prod.yaml",
        "fixtures/helm/webapp",
    ]);
    let l = locations(&v);
    // The debug container comes from `include "webapp.debugContainer"`: its define's line.
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_PRIVILEGED_CHECK",
            "fixtures/helm/webapp/templates/_helpers.tpl",
            50,
            5,
            "debug"
        ),
        "{l:#?}"
    );
    // runAsUser 0 from values-prod.yaml through `toYaml`: the line of values-prod.yaml that
    // sets it, the last values file of the render that does.
    assert!(
        has(
            &l,
            "CUSTOM_SECURITY_USER_CHECK",
            "fixtures/helm/webapp/values-prod.yaml",
            5,
            3,
            "web"
        ),
        "{l:#?}"
    );
    for f in v["findings"].as_array().unwrap() {
        let p = f["path"].as_str().unwrap();
        if f["ruleId"] != "CLUSTERSEC_RENDER" {
            assert!(p.starts_with("fixtures/helm/webapp/"), "{f}");
            assert!(f["mapping"].as_str().is_some(), "{f}");
        }
    }
}

#[test]
fn suppression_comments_work_in_templates_and_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: sup\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n    - name: app\n      image: nginx\n      imagePullPolicy: Always\n      securityContext:\n        {{- /* clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK node agent needs the host */}}\n        privileged: true\n",
    )
    .unwrap();
    // The same text as helm renders it (template comment gone), kept as a plain file too.
    std::fs::write(
        dir.path().join("rendered.yaml"),
        "---\n# Source: sup/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: r\nspec:\n  containers:\n    - name: app\n      image: nginx\n      imagePullPolicy: Always\n      securityContext:\n        privileged: true\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plain.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx\n      imagePullPolicy: Always\n      securityContext:\n        privileged: true # clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK debugging only\n",
    )
    .unwrap();
    let out = Command::cargo_bin("clustersec")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", ".", "--helm", "never", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired = |list: &str| -> Vec<String> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
            .map(|f| {
                format!(
                    "{}:{}",
                    f["path"].as_str().unwrap(),
                    f["suppression"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    assert_eq!(fired("findings"), Vec::<String>::new());
    let mut s = fired("suppressed");
    s.sort();
    assert_eq!(
        s,
        vec![
            "chart/templates/pod.yaml:node agent needs the host".to_string(),
            "plain.yaml:debugging only".to_string()
        ]
    );
    assert_eq!(v["summary"]["suppressed"], 2);
}
