//! Findings in Helm output point at the values line that supplies the value (issue 14): a
//! chart made by `helm create`, with a packaged dependency (`charts/dep-0.1.0.tgz`) and a
//! render matrix (`values.yaml`, then `values-prod.yaml`). Values files and Chart.yaml mark each
//! offending line with `# expect: RULE[, RULE...]`; the findings in those files must be exactly
//! the marked ones, at the marked lines.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::{copy_dir, scan_json_in as scan_in};
use serde_json::Value;

const APP: &str = "fixtures/helm-create/app";

fn helm_available() -> bool {
    std::process::Command::new("helm")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn scan(args: &[&str]) -> Value {
    scan_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// (path, line, rule) of every `# expect:` marker in `files`.
fn markers(files: &[&str]) -> BTreeSet<(String, u64, String)> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let Some(at) = line.find("# expect:") else {
                continue;
            };
            for rule in line[at + "# expect:".len()..].split([',', ' ']) {
                if !rule.is_empty() {
                    out.insert((f.to_string(), i as u64 + 1, rule.to_string()));
                }
            }
        }
    }
    out
}

/// (path, line, rule) of the findings in `files`.
fn found(v: &Value, files: &[&str]) -> BTreeSet<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| files.contains(&f["path"].as_str().unwrap()))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["region"]["startLine"].as_u64().unwrap(),
                f["ruleId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn finding<'v>(v: &'v Value, rule: &str, path: &str, line: u64) -> &'v Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == rule && f["path"] == path && f["region"]["startLine"] == line)
        .unwrap_or_else(|| panic!("no {rule} at {path}:{line} in {v:#}"))
}

#[test]
fn helm_create_chart_maps_to_values_lines_in_a_matrix() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let v = scan(&[
        "-c",
        "fixtures/helm-create/matrix.clustersec.yaml",
        "fixtures/helm-create",
    ]);
    let files = [
        "fixtures/helm-create/app/values.yaml",
        "fixtures/helm-create/app/values-prod.yaml",
        "fixtures/helm-create/app/Chart.yaml",
        "fixtures/helm-create/lib/values.yaml",
    ];
    assert_eq!(found(&v, &files), markers(&files), "{v:#}");
    // The file:// dependency `lib`, rendered inside app: its source's values, or the parent's
    // values under `lib.` where they set the path.
    let lib = finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/helm-create/lib/values.yaml",
        44,
    );
    assert!(
        lib["renders"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(
                "fixtures/helm-create/app (default values)"
            )),
        "{lib}"
    );
    let parent = finding(
        &v,
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/helm-create/app/values.yaml",
        166,
    );
    assert_eq!(parent["container"], "lib", "{parent}");
    // `imagePullPolicy: {{ .Values.image.pullPolicy }}`: the `pullPolicy:` line, from the key to
    // the end of the line, with the template line as a related location.
    let pull = finding(
        &v,
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/helm-create/app/values.yaml",
        12,
    );
    assert_eq!(pull["region"]["startColumn"], 3);
    assert_eq!(
        pull["mapping"],
        "values line of `image.pullPolicy` in values.yaml"
    );
    assert_eq!(
        pull["related"][0]["path"],
        "fixtures/helm-create/app/templates/deployment.yaml"
    );
    assert_eq!(pull["related"][0]["region"]["startLine"], 42);
    // Renders that trace to different values files stay apart, each with its render; renders
    // that trace to the same line merge.
    let prod = finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/helm-create/app/values-prod.yaml",
        5,
    );
    assert_eq!(
        prod["renders"],
        serde_json::json!(["fixtures/helm-create/app (values-prod.yaml)"])
    );
    let default = finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/helm-create/app/values.yaml",
        44,
    );
    assert_eq!(
        default["renders"],
        serde_json::json!(["fixtures/helm-create/app (default values)"])
    );
    let both = finding(
        &v,
        "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        "fixtures/helm-create/app/values.yaml",
        44,
    );
    assert_eq!(both["renders"].as_array().unwrap().len(), 2, "{both}");
    // A sidecar from `toYaml .Values.sidecars` (values-prod.yaml), next to a container whose
    // name is an expression: its own values item, never the other container's template lines.
    let sidecar = finding(
        &v,
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        "fixtures/helm-create/app/values-prod.yaml",
        12,
    );
    assert_eq!(sidecar["container"], "proxy");
    assert_eq!(
        sidecar["related"][0]["region"]["startLine"], 35,
        "the template's `containers:` line: {sidecar}"
    );
    for f in v["findings"].as_array().unwrap() {
        if f["container"] == "proxy" {
            assert!(
                f["path"].as_str().unwrap().ends_with("values-prod.yaml"),
                "{f}"
            );
        }
    }
    // The packaged dependency, where the parent's values do not set the path: its entry in
    // Chart.yaml, the rendered location in the message.
    let dep = finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/helm-create/app/Chart.yaml",
        28,
    );
    assert!(
        dep["mapping"]
            .as_str()
            .unwrap()
            .starts_with("Chart.yaml entry of the dependency"),
        "{dep}"
    );
    assert!(
        dep["message"].as_str().unwrap().contains("(rendered with "),
        "{dep}"
    );
    assert!(
        dep["mapping"].as_str().unwrap().contains(
            "dep/templates/deployment.yaml:38 of fixtures/helm-create/app/charts/dep-0.1.0.tgz"
        ),
        "{dep}"
    );
}

/// A dependency packaged as `charts/dep-0.1.0.tgz` (rendered twice: as `dep` and under the alias
/// `edge`): its templates are read from the archive in memory, and its findings point at the
/// parent's values under the alias (`edge.securityContext`) or under `global.`, the last values
/// file of the render that sets the path winning; never at a path inside the archive.
#[test]
fn packaged_dependency_maps_to_the_parents_values() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let v = scan(&[
        "-c",
        "fixtures/helm-create/matrix.clustersec.yaml",
        "fixtures/helm-create",
    ]);
    let values = "fixtures/helm-create/app/values.yaml";
    let prod = "fixtures/helm-create/app/values-prod.yaml";
    // The alias is the prefix, for both renders, with the archive's template line in the mapping.
    let edge = finding(&v, "CUSTOM_SECURITY_USER_CHECK", values, 175);
    assert_eq!(edge["container"], "edge", "{edge}");
    assert_eq!(edge["region"]["startColumn"], 3);
    assert_eq!(
        edge["mapping"],
        "values line of `edge.securityContext`, the nearest key of `edge.securityContext.runAsUser` \
         that values.yaml has; rendered from `.Values.securityContext.runAsUser` by template line \
         dep/templates/deployment.yaml:38 of fixtures/helm-create/app/charts/dep-0.1.0.tgz"
    );
    assert_eq!(edge["renders"].as_array().unwrap().len(), 2, "{edge}");
    // `global.imagePullPolicy`, read by the packaged chart: the parent's value wins over the
    // archive's own (`Always`, which would raise nothing); the prod render's file wins there.
    for (file, line, render) in [
        (values, 171, "fixtures/helm-create/app (default values)"),
        (prod, 15, "fixtures/helm-create/app (values-prod.yaml)"),
    ] {
        let pulls: Vec<&Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["ruleId"] == "CUSTOM_SECURITY_IMAGE_PULL"
                    && f["path"] == file
                    && f["region"]["startLine"] == line
            })
            .collect();
        let containers: BTreeSet<&str> = pulls
            .iter()
            .map(|f| f["container"].as_str().unwrap())
            .collect();
        assert_eq!(containers, BTreeSet::from(["dep", "edge"]), "{v:#}");
        for f in pulls {
            assert_eq!(f["renders"], serde_json::json!([render]), "{f}");
            assert!(
                f["mapping"]
                    .as_str()
                    .unwrap()
                    .starts_with("values line of `global.imagePullPolicy` in "),
                "{f}"
            );
        }
    }
    // Nothing points into the archive, not even a related location.
    for f in v["findings"].as_array().unwrap() {
        assert!(!f["path"].as_str().unwrap().contains(".tgz"), "{f}");
        for r in f["related"].as_array().into_iter().flatten() {
            assert!(!r["path"].as_str().unwrap_or("").contains(".tgz"), "{f}");
        }
    }
}

/// Rendered output kept in the tree, whose `# Source:` comments name a packaged dependency's
/// templates: the archive is read the same way; a corrupt archive leaves the findings in the
/// rendered output with a note, and nothing fails.
#[test]
fn prerendered_packaged_dependency_and_a_corrupt_archive() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(Path::new(APP), &tmp.path().join("app"));
    std::fs::copy(
        "fixtures/helm-rendered/helm-create-app.yaml",
        tmp.path().join("out.yaml"),
    )
    .unwrap();
    let v = scan_in(tmp.path(), &["--helm", "never", "out.yaml", "app"]);
    let edge = finding(&v, "CUSTOM_SECURITY_USER_CHECK", "app/values.yaml", 175);
    assert_eq!(edge["related"][0]["path"], "out.yaml", "{edge}");
    let global = finding(&v, "CUSTOM_SECURITY_IMAGE_PULL", "app/values.yaml", 171);
    assert!(
        global["mapping"].as_str().unwrap().contains(".tgz"),
        "{global}"
    );
    // The same chart with its archive cut in half.
    let tgz = tmp.path().join("app/charts/dep-0.1.0.tgz");
    let bytes = std::fs::read(&tgz).unwrap();
    std::fs::write(&tgz, &bytes[..bytes.len() / 2]).unwrap();
    let v = scan_in(tmp.path(), &["--helm", "never", "out.yaml", "app"]);
    let kept: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "CUSTOM_SECURITY_USER_CHECK" && f["container"] == "edge")
        .collect();
    assert_eq!(kept.len(), 1, "{v:#}");
    assert_eq!(kept[0]["path"], "out.yaml");
    assert!(
        kept[0]["mapping"].as_str().unwrap().contains(
            "app/charts/dep-0.1.0.tgz, which was not read: it is not a readable .tgz archive"
        ),
        "{}",
        kept[0]
    );
}

/// `# clustersec:ignore` on the parent's values key suppresses the packaged dependency's
/// finding; a marker there that suppresses nothing is reported stale.
#[test]
fn suppression_in_the_parents_values_for_a_packaged_dependency() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    copy_dir(Path::new(APP), &app);
    let values = std::fs::read_to_string(app.join("values.yaml")).unwrap();
    let values = values
        .replace(
            "edge:\n  securityContext: {}",
            "edge:\n  # clustersec:ignore CUSTOM_SECURITY_USER_CHECK the edge proxy binds port 80 as root\n  securityContext: {}",
        )
        .replace(
            "  imagePullPolicy: IfNotPresent  # expect: CUSTOM_SECURITY_IMAGE_PULL",
            "  imagePullPolicy: IfNotPresent  # clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK nothing is privileged",
        );
    std::fs::write(app.join("values.yaml"), values).unwrap();
    let v = scan_in(tmp.path(), &["--helm", "always", "app"]);
    let suppressed: Vec<&Value> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "CUSTOM_SECURITY_USER_CHECK" && f["container"] == "edge")
        .collect();
    assert_eq!(suppressed.len(), 1, "{v:#}");
    assert_eq!(suppressed[0]["path"], "app/values.yaml");
    assert_eq!(suppressed[0]["region"]["startLine"], 176);
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings
        .iter()
        .any(|f| f["ruleId"] == "CUSTOM_SECURITY_USER_CHECK" && f["container"] == "edge"));
    // The other rules of that line are still reported.
    finding(&v, "CUSTOM_SECURITY_GROUPS_CHECK", "app/values.yaml", 176);
    let stale = finding(&v, "CLUSTERSEC_STALE_SUPPRESSION", "app/values.yaml", 171);
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("CUSTOM_SECURITY_PRIVILEGED_CHECK"),
        "{stale}"
    );
}

#[test]
fn prerendered_helm_create_output_maps_to_the_charts_values_yaml() {
    let v = scan(&[
        "--helm",
        "never",
        "fixtures/helm-rendered/helm-create-app.yaml",
        "fixtures/helm-create",
    ]);
    let values = ["fixtures/helm-create/app/values.yaml"];
    assert_eq!(found(&v, &values), markers(&values), "{v:#}");
}

/// Every finding's path is a regular file of the scanned tree, whatever the chart and render.
#[test]
fn every_finding_points_at_a_file() {
    let mut runs: Vec<Vec<&str>> = vec![
        vec!["--helm", "never", "fixtures/helm-rendered", "fixtures/helm"],
        vec![
            "--helm",
            "never",
            "fixtures/helm-rendered/helm-create-app.yaml",
            APP,
        ],
    ];
    if helm_available() {
        runs.push(vec!["--helm", "always", "fixtures/helm"]);
        runs.push(vec![
            "--helm",
            "always",
            "--helm-values",
            "fixtures/helm/webapp/values-prod.yaml",
            "fixtures/helm/webapp",
        ]);
        runs.push(vec![
            "-c",
            "fixtures/helm-create/matrix.clustersec.yaml",
            "fixtures/helm-create",
        ]);
        runs.push(vec!["--helm", "always", "fixtures/helm-containers"]);
    }
    if kustomize_available() {
        runs.push(vec!["--helm", "never", "fixtures/kustomize"]);
        runs.push(vec!["--helm", "never", "fixtures/kustomize-shared"]);
    }
    for args in runs {
        let v = scan(&args);
        for key in ["findings", "suppressed"] {
            for f in v[key].as_array().into_iter().flatten() {
                let p = f["path"].as_str().unwrap();
                assert!(Path::new(p).is_file(), "{args:?}: {f}");
                for r in f["related"].as_array().into_iter().flatten() {
                    if let Some(rp) = r["path"].as_str() {
                        assert!(Path::new(rp).is_file(), "{args:?}: {f}");
                    }
                }
            }
        }
    }
}

#[test]
fn suppression_comments_work_on_values_lines() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    copy_dir(Path::new(APP), &app);
    let values = std::fs::read_to_string(app.join("values.yaml")).unwrap();
    let values = values.replace(
        "  # This sets the pull policy for images.\n",
        "  # clustersec:ignore CUSTOM_SECURITY_IMAGE_PULL the registry is a local mirror\n",
    );
    std::fs::write(app.join("values.yaml"), values).unwrap();
    let v = scan_in(tmp.path(), &["--helm", "always", "app"]);
    let suppressed: Vec<&Value> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "CUSTOM_SECURITY_IMAGE_PULL")
        .collect();
    assert_eq!(suppressed.len(), 1, "{v:#}");
    assert_eq!(suppressed[0]["path"], "app/values.yaml");
    assert_eq!(suppressed[0]["region"]["startLine"], 12);
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["ruleId"] == "CUSTOM_SECURITY_IMAGE_PULL"
            && f["path"] == "app/values.yaml"
            && f["region"]["startLine"] == 12));
}

#[test]
fn helm_test_hooks_are_scanned_unless_switched_off() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let hook = "fixtures/helm-create/app/templates/tests/test-connection.yaml";
    let in_hook = |v: &Value| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == hook)
            .count()
    };
    assert!(in_hook(&scan(&["--helm", "always", APP])) > 0);
    assert_eq!(
        in_hook(&scan(&["--helm", "always", "--helm-skip-tests", APP])),
        0
    );
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.yaml");
    std::fs::write(&config, "helm-tests: false\n").unwrap();
    let v = scan(&["--helm", "always", "-c", config.to_str().unwrap(), APP]);
    assert_eq!(in_hook(&v), 0);
    // The chart's own findings are still there.
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "fixtures/helm-create/app/values.yaml"));
}

fn kustomize_available() -> bool {
    clustersec::render::kustomize::Builder::find().is_some()
}

/// A base built by two overlays, one patching it by strategic merge, one by JSON 6902.
#[test]
fn kustomize_patches_and_a_shared_base() {
    if !kustomize_available() {
        eprintln!("kustomize/kubectl is not installed: skipped");
        return;
    }
    let v = scan(&["--helm", "never", "fixtures/kustomize-shared"]);
    let files = [
        "fixtures/kustomize-shared/base/deployment.yaml",
        "fixtures/kustomize-shared/overlays/dev/pull-policy.yaml",
        "fixtures/kustomize-shared/overlays/prod/run-as.yaml",
    ];
    assert_eq!(found(&v, &files), markers(&files), "{v:#}");
    // The base's own problem: once, with both overlays.
    let base = finding(
        &v,
        "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        "fixtures/kustomize-shared/base/deployment.yaml",
        23,
    );
    assert_eq!(
        base["renders"],
        serde_json::json!([
            "fixtures/kustomize-shared/overlays/dev (kustomize)",
            "fixtures/kustomize-shared/overlays/prod (kustomize)"
        ])
    );
    // A patched value: the patch's line, the base as a related location.
    let smp = finding(
        &v,
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/kustomize-shared/overlays/dev/pull-policy.yaml",
        11,
    );
    assert_eq!(
        smp["mapping"],
        "kustomize strategic merge patch line that sets the key"
    );
    assert_eq!(
        smp["related"][0]["path"],
        "fixtures/kustomize-shared/base/deployment.yaml"
    );
    assert_eq!(smp["related"][0]["region"]["startLine"], 22);
    let json = finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/kustomize-shared/overlays/prod/run-as.yaml",
        4,
    );
    assert_eq!(
        json["mapping"],
        "kustomize JSON 6902 patch line that sets the key"
    );
    // Every related line exists in its file; "kustomize output line N" is the line of
    // `kubectl kustomize` output (without origin annotations) that holds the key.
    for f in v["findings"].as_array().unwrap() {
        for r in f["related"].as_array().into_iter().flatten() {
            let p = r["path"].as_str().unwrap_or(f["path"].as_str().unwrap());
            let n = std::fs::read_to_string(p).unwrap().lines().count() as u64;
            assert!(r["region"]["startLine"].as_u64().unwrap() <= n, "{f}");
        }
        let msg = f["message"].as_str().unwrap();
        let Some(at) = msg.find("(kustomize output line ") else {
            continue;
        };
        let line: usize = msg[at + 23..].split(':').next().unwrap().parse().unwrap();
        let overlay = f["renders"][0]
            .as_str()
            .unwrap()
            .trim_end_matches(" (kustomize)");
        let out = std::process::Command::new("kubectl")
            .args(["kustomize", overlay])
            .output();
        let Ok(out) = out else { continue };
        let text = String::from_utf8_lossy(&out.stdout);
        let key = f["field"]
            .as_str()
            .unwrap()
            .rsplit('.')
            .next()
            .unwrap()
            .split('[')
            .next()
            .unwrap()
            .to_string();
        let shown = text.lines().nth(line - 1).unwrap_or("");
        let parent = f["field"]
            .as_str()
            .unwrap()
            .rsplit('.')
            .nth(1)
            .unwrap_or("");
        assert!(
            shown.contains(&format!("{key}:")) || shown.contains(&format!("{parent}:")),
            "line {line} of kubectl kustomize {overlay} is {shown:?}: {f}"
        );
    }
}

/// Containers named `{{ .Chart.Name }}`, the first one switched off by an `if`, and others from
/// a `range` over values: each finding is on its own container's line, never another's.
#[test]
fn containers_named_by_expressions_or_from_values() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let v = scan(&["--helm", "always", "fixtures/helm-containers"]);
    let files = [
        "fixtures/helm-containers/templates/deployment.yaml",
        "fixtures/helm-containers/values.yaml",
    ];
    assert_eq!(found(&v, &files), markers(&files), "{v:#}");
    let main = finding(
        &v,
        "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        "fixtures/helm-containers/templates/deployment.yaml",
        31,
    );
    assert_eq!(main["container"], "shop");
}

/// A subchart unpacked in `charts/`, rendered twice (by name and under an alias), reading a
/// `global.` value: the parent's `global.` wins over the subchart's own, and the aliased render's
/// values are the parent's under the alias.
#[test]
fn subchart_in_the_tree_under_an_alias_and_global_values() {
    if !helm_available() {
        eprintln!("helm is not installed: skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "p/Chart.yaml",
        "apiVersion: v2\nname: p\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n  - name: sub\n    alias: other\n    version: 0.1.0\n",
    );
    write(
        "p/values.yaml",
        "global:\n  pullPolicy: IfNotPresent\nother:\n  securityContext:\n    privileged: true\n",
    );
    write(
        "p/charts/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    write(
        "p/charts/sub/values.yaml",
        "global:\n  pullPolicy: Always\nsecurityContext:\n  runAsNonRoot: true\n",
    );
    write(
        "p/charts/sub/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\nspec:\n  containers:\n    - name: {{ .Chart.Name }}\n      image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000\n      imagePullPolicy: {{ .Values.global.pullPolicy }}\n      securityContext:\n        {{- toYaml .Values.securityContext | nindent 8 }}\n",
    );
    let v = scan_in(tmp.path(), &["--helm", "always", "p"]);
    let at = |rule: &str, container: &str| -> (String, u64) {
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["ruleId"] == rule && f["container"] == container)
            .unwrap_or_else(|| panic!("no {rule} for {container}: {v:#}"));
        (
            f["path"].as_str().unwrap().to_string(),
            f["region"]["startLine"].as_u64().unwrap(),
        )
    };
    // The parent's global, for both renders (not the subchart's own `Always`).
    assert_eq!(
        at("CUSTOM_SECURITY_IMAGE_PULL", "sub"),
        ("p/values.yaml".into(), 2)
    );
    assert_eq!(
        at("CUSTOM_SECURITY_IMAGE_PULL", "other"),
        ("p/values.yaml".into(), 2)
    );
    // `other.securityContext.privileged`: the alias is the prefix.
    assert_eq!(
        at("CUSTOM_SECURITY_PRIVILEGED_CHECK", "other"),
        ("p/values.yaml".into(), 5)
    );
    assert!(!v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["ruleId"] == "CUSTOM_SECURITY_PRIVILEGED_CHECK" && f["container"] == "sub"));
}

/// A chart's own values files, `Chart.yaml` and the files `--helm-values` passes are Helm inputs,
/// never manifests, even when they look like one (`apiVersion` and `kind` at the top): no
/// finding of an object check, reported as `not-kubernetes`, whatever the helm mode. A file of
/// the same name outside a chart's root is a manifest as before.
#[test]
fn values_files_are_not_scanned_as_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    );
    write(
        "chart/values.yaml",
        "kind: Deployment\nreplicas: 1\nimage: nginx\n",
    );
    write(
        "chart/values-prod.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nreplicas: 2\n",
    );
    write(
        "chart/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"{{ .Values.image }}\"\n",
    );
    write("ci/prod.yaml", "apiVersion: apps/v1\nkind: Deployment\n");
    // Not at a chart's root: a manifest.
    write(
        "deploy/values.yaml",
        "apiVersion: apps/v1\nkind: Deployment\n",
    );
    let inputs = [
        "chart/Chart.yaml",
        "chart/values.yaml",
        "chart/values-prod.yaml",
        "ci/prod.yaml",
    ];
    let mut modes = vec!["never", "auto"];
    if helm_available() {
        modes.push("always");
    }
    for mode in modes {
        let v = scan_in(
            tmp.path(),
            &["--helm", mode, "--helm-values", "ci/prod.yaml", "."],
        );
        let files = v["files"].as_array().unwrap();
        let status = |path: &str| -> (String, u64) {
            let f = files
                .iter()
                .find(|f| f["path"] == path)
                .unwrap_or_else(|| panic!("{path} not in files ({mode}): {v:#}"));
            (
                f["status"].as_str().unwrap().to_string(),
                f["objects"].as_u64().unwrap(),
            )
        };
        for path in inputs {
            assert_eq!(
                status(path),
                ("not-kubernetes".to_string(), 0),
                "{path} ({mode})"
            );
        }
        assert_eq!(status("deploy/values.yaml"), ("scanned".to_string(), 1));
        let paths: BTreeSet<(&str, &str)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["ruleId"].as_str().unwrap()))
            .collect();
        assert_eq!(
            paths,
            BTreeSet::from([("deploy/values.yaml", "CLUSTERSEC_INVALID_OBJECT")]),
            "--helm {mode}: {v:#}"
        );
    }
}
