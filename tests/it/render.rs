//! Rendering Helm charts and Kustomize overlays (issue 4, sections 2 and 3).
//!
//! Tests that need a real `helm` (scripts/install-helm.sh) or `kubectl`/`kustomize` skip with a
//! message when it is not on PATH, except when `CI` is set: then they fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{bin_in_root as bin, have_helm, have_kustomize, of_rule, root};
use clustersec::discover::{self, Discovery, Options};
use clustersec::engine::{Engine, FileStatus, DEFAULT_MAX_FILE_SIZE};
use clustersec::finding::Finding;
use clustersec::render::{self, ChartSettings, Mode, Settings, Tools, ValueSet};
use clustersec::report::Report;

const RENDER: &str = "CLUSTERSEC_RENDER";

/// The scan `clustersec scan PATH` runs, through the library (tests run in the package root, so
/// display paths start with `fixtures/`).
fn scan(path: &str, settings: &Settings) -> (Report, render::Run) {
    let engine = Engine::default();
    let tools = Tools::detect(settings).expect("tools");
    let mut discovery: Discovery =
        discover::discover(&[PathBuf::from(path)], &Options::default()).expect("discover");
    // What the command line does: the scanned directory is the scan root.
    let mut settings = settings.clone();
    if settings.roots.is_empty() {
        settings.roots = std::fs::canonicalize(path)
            .ok()
            .filter(|p| p.is_dir())
            .into_iter()
            .collect();
    }
    let run = render::render_all(&mut discovery, &settings, &tools);
    let report = clustersec::scan::scan_rendered(&engine, discovery, DEFAULT_MAX_FILE_SIZE, &run);
    (report, run)
}

fn describe(fs: &[&Finding]) -> String {
    fs.iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {} {:?}",
                f.path, f.span.start.line, f.span.start.col, f.rule, f.message, f.renders
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn empty_path_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn render_errors_missing_dependencies_and_warnings_are_findings_in_the_chart() {
    if !have_helm() {
        return;
    }
    let settings = Settings {
        kustomize: Mode::Never,
        ..Settings::default()
    };
    let (report, run) = scan("fixtures/helm", &settings);
    let found = of_rule(&report, RENDER);
    let at: Vec<(String, u32, u32)> = found
        .iter()
        .map(|f| (f.path.to_string(), f.span.start.line, f.span.start.col))
        .collect();
    assert_eq!(
        at,
        [
            (
                "fixtures/helm/broken/templates/deployment.yaml".to_string(),
                16,
                21
            ),
            ("fixtures/helm/deprecated/Chart.yaml".to_string(), 1, 1),
            ("fixtures/helm/missing-dep/Chart.yaml".to_string(), 7, 5),
        ],
        "{}",
        describe(&found)
    );
    assert!(
        found[0].message.contains("image.repository is required"),
        "{}",
        found[0].message
    );
    assert!(found[0]
        .message
        .contains("chart fixtures/helm/broken not rendered"));
    assert!(
        found[1].message.contains("this chart is deprecated"),
        "{}",
        found[1].message
    );
    assert!(
        found[2].message.contains("dependency `redis`"),
        "{}",
        found[2].message
    );
    assert_eq!(run.counts.charts_rendered, 2, "{:?}", run.counts);
    assert_eq!(run.counts.charts_failed, 2, "{:?}", run.counts);
    // The subchart is rendered through its parent only.
    let dirs: Vec<&str> = run.renders.iter().map(|r| r.display.as_str()).collect();
    assert_eq!(
        dirs,
        [
            "fixtures/helm/broken",
            "fixtures/helm/deprecated",
            "fixtures/helm/missing-dep",
            "fixtures/helm/webapp"
        ]
    );
    assert!(report
        .findings
        .iter()
        .any(|f| f.path == "fixtures/helm/webapp/charts/metrics/templates/daemonset.yaml"));
    // Templates stay templates.
    let templates = report
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Template)
        .count();
    assert_eq!(templates, 6);
}

/// Writes a chart whose Chart.yaml is `chart_yaml`, with one template and `vendored` subcharts.
fn chart_with(dir: &Path, chart_yaml: &str, vendored: &[&str]) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), chart_yaml).unwrap();
    std::fs::write(
        dir.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  a: b\n",
    )
    .unwrap();
    for name in vendored {
        let sub = dir.join("charts").join(name);
        std::fs::create_dir_all(sub.join("templates")).unwrap();
        std::fs::write(
            sub.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 2.13.0\ntype: library\n"),
        )
        .unwrap();
    }
}

/// The `# expect: CLUSTERSEC_RENDER` markers of fixtures/rules/CLUSTERSEC_RENDER/fail.yaml hold
/// when it is a chart's Chart.yaml; pass.yaml, with its dependency vendored, renders.
#[test]
fn render_rule_fixtures() {
    if !have_helm() {
        return;
    }
    let dir = root().join("fixtures/rules/CLUSTERSEC_RENDER");
    let fail = std::fs::read_to_string(dir.join("fail.yaml")).unwrap();
    let expected: Vec<(u32, u32)> = fail
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("# expect: CLUSTERSEC_RENDER"))
        .map(|(i, l)| {
            let body = l.trim_start().trim_start_matches("- ");
            (i as u32 + 1, (l.len() - body.len()) as u32 + 1)
        })
        .collect();
    assert_eq!(expected.len(), 2);

    let tmp = tempfile::tempdir().unwrap();
    chart_with(&tmp.path().join("fail"), &fail, &[]);
    let pass = std::fs::read_to_string(dir.join("pass.yaml")).unwrap();
    chart_with(&tmp.path().join("pass"), &pass, &["common"]);
    let settings = Settings {
        kustomize: Mode::Never,
        ..Settings::default()
    };
    let (report, run) = scan(tmp.path().to_str().unwrap(), &settings);
    let found = of_rule(&report, RENDER);
    let actual: Vec<(u32, u32)> = found
        .iter()
        .filter(|f| f.path.ends_with("fail/Chart.yaml"))
        .map(|f| (f.span.start.line, f.span.start.col))
        .collect();
    assert_eq!(actual, expected, "{}", describe(&found));
    assert!(
        found.iter().all(|f| !f.path.contains("/pass/")),
        "{}",
        describe(&found)
    );
    assert_eq!(
        (run.counts.charts_rendered, run.counts.charts_failed),
        (1, 1)
    );
}

#[test]
fn helm_always_without_helm_exits_2() {
    let empty = empty_path_dir();
    bin()
        .env("PATH", empty.path())
        .args(["scan", "fixtures/helm", "--helm", "always"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--helm always: `helm` is not on PATH",
        ));
    bin()
        .env("PATH", empty.path())
        .args([
            "scan",
            "fixtures/kustomize",
            "--kustomize",
            "always",
            "--helm",
            "never",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--kustomize always"));
}

#[test]
fn helm_never_scans_nothing_from_charts_but_counts_the_templates() {
    let out = bin()
        .args([
            "scan",
            "fixtures/helm",
            "--helm",
            "never",
            "--allow-empty",
            "--format",
            "json",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["summary"]["templates"], 6, "{}", json["summary"]);
    assert_eq!(json["summary"]["findings"], 0, "{}", json["findings"]);
}

#[test]
fn auto_without_helm_reports_each_chart_not_rendered() {
    let empty = empty_path_dir();
    let out = bin()
        .env("PATH", empty.path())
        .args(["scan", "fixtures/helm", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == RENDER)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // Four charts; the subchart is part of webapp.
    assert_eq!(
        paths,
        [
            "fixtures/helm/broken/Chart.yaml",
            "fixtures/helm/deprecated/Chart.yaml",
            "fixtures/helm/missing-dep/Chart.yaml",
            "fixtures/helm/webapp/Chart.yaml"
        ],
        "{json}"
    );
}

#[test]
fn a_render_matrix_reports_a_shared_finding_once_with_both_renders() {
    if !have_helm() {
        return;
    }
    let chart = std::fs::canonicalize(root().join("fixtures/helm/webapp")).unwrap();
    let settings = Settings {
        kustomize: Mode::Never,
        charts: vec![ChartSettings {
            dir: chart.clone(),
            value_sets: vec![
                ValueSet {
                    label: "default".into(),
                    files: vec![],
                },
                ValueSet {
                    label: "prod".into(),
                    files: vec![chart.join("values-prod.yaml")],
                },
            ],
            ..ChartSettings::default()
        }],
        ..Settings::default()
    };
    let (report, run) = scan("fixtures/helm/webapp", &settings);
    assert_eq!(run.renders.len(), 2);
    assert_eq!(
        (run.counts.charts_rendered, run.counts.charts_failed),
        (1, 0)
    );
    let privileged = of_rule(&report, "CUSTOM_SECURITY_PRIVILEGED_CHECK");
    let shared: Vec<&&Finding> = privileged
        .iter()
        .filter(|f| f.container.as_deref() == Some("log-shipper"))
        .collect();
    assert_eq!(shared.len(), 1, "{}", describe(&privileged));
    assert_eq!(
        shared[0].renders,
        [
            "fixtures/helm/webapp (default)",
            "fixtures/helm/webapp (prod)"
        ]
    );
    // Only prod adds the debug container, only the default values enable the metrics subchart.
    let debug: Vec<&&Finding> = privileged
        .iter()
        .filter(|f| f.container.as_deref() == Some("debug"))
        .collect();
    assert_eq!(debug.len(), 1, "{}", describe(&privileged));
    assert_eq!(debug[0].renders, ["fixtures/helm/webapp (prod)"]);
    let metrics: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.path.contains("charts/metrics"))
        .collect();
    assert!(!metrics.is_empty());
    assert!(
        metrics
            .iter()
            .all(|f| f.renders == ["fixtures/helm/webapp (default)"]),
        "{}",
        describe(&metrics)
    );
    // No finding was reported twice.
    let mut keys: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let message = f.message.split(" (rendered").next().unwrap_or("");
            format!(
                "{} {}:{}:{} {:?} {:?} {message}",
                f.rule, f.path, f.span.start.line, f.span.start.col, f.container, f.field
            )
        })
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        n,
        "{}",
        describe(&report.findings.iter().collect::<Vec<_>>())
    );
}

#[test]
fn the_render_matrix_comes_from_the_config_file() {
    if !have_helm() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chart = std::fs::canonicalize(root().join("fixtures/helm/webapp")).unwrap();
    let config = tmp.path().join("clustersec.yaml");
    std::fs::write(
        &config,
        format!(
            "charts:\n  {}:\n    values:\n      - []\n      - [values.yaml, values-prod.yaml]\n",
            serde_json::Value::String(chart.display().to_string())
        ),
    )
    .unwrap();
    let assert = bin()
        .env("CI", "1")
        .args([
            "scan",
            "fixtures/helm/webapp",
            "--format",
            "json",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("helm template fixtures/helm/webapp (default values): ok in")
            && stderr.contains(
                "helm template fixtures/helm/webapp (values.yaml + values-prod.yaml): ok in"
            ),
        "one line per render in CI logs: {stderr}"
    );

    // A values file that does not exist is an error at its place in the config.
    std::fs::write(
        &config,
        format!(
            "charts:\n  {}:\n    values:\n      prod: [values-nope.yaml]\n",
            serde_json::Value::String(chart.display().to_string())
        ),
    )
    .unwrap();
    bin()
        .args(["scan", "fixtures/helm/webapp", "--config"])
        .arg(&config)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(":4:14: charts."))
        .stderr(predicates::str::contains(
            "no values file `values-nope.yaml`",
        ));
}

#[cfg(unix)]
#[test]
fn a_render_past_its_time_limit_is_stopped_and_reported() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let helm = bin_dir.path().join("helm");
    // A helm that hangs, with a child of its own that keeps the pipes open.
    std::fs::write(&helm, "#!/bin/sh\nsleep 60 &\nsleep 60\n").unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let start = Instant::now();
    let out = bin()
        .env("PATH", path)
        .args([
            "scan",
            "fixtures/helm/deprecated",
            "--kustomize",
            "never",
            "--render-timeout",
            "300ms",
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = &json["findings"][0];
    assert_eq!(f["ruleId"], RENDER, "{json}");
    assert_eq!(f["path"], "fixtures/helm/deprecated/Chart.yaml");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("did not finish within 0.30s"), "{msg}");
}

#[test]
fn kustomize_builds_the_overlay_with_origin_annotations() {
    if !have_kustomize() {
        return;
    }
    let settings = Settings {
        helm: Mode::Never,
        ..Settings::default()
    };
    let (report, run) = scan("fixtures/kustomize", &settings);
    // Only the overlay is built: the base is one of its resources.
    assert_eq!(run.renders.len(), 1);
    let r = &run.renders[0];
    assert_eq!(r.display, "fixtures/kustomize/overlays/prod");
    let text = r.output.as_ref().expect("built");
    // Origins are relative to the overlay, as kustomize writes them for the user's own build.
    for origin in [
        "config.kubernetes.io/origin: |\n      path: ../../base/deployment.yaml\n",
        "config.kubernetes.io/origin: |\n      path: ../../base/service.yaml\n",
        "config.kubernetes.io/origin: |\n      path: networkpolicy.yaml\n",
        "config.kubernetes.io/origin: |\n      configuredIn: kustomization.yaml\n",
    ] {
        assert!(text.contains(origin), "no `{origin}` in\n{text}");
    }
    assert_eq!(
        (
            run.counts.kustomizations_built,
            run.counts.kustomizations_failed
        ),
        (1, 0)
    );
    assert!(run
        .covered
        .contains("fixtures/kustomize/base/deployment.yaml"));
    // The patch sets allowPrivilegeEscalation: false and runAsUser 10001: what the base says
    // is not reported, and what remains points at the base file.
    for rule in [
        "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        "CUSTOM_SECURITY_USER_CHECK",
        "CUSTOM_SECURITY_IMAGE_PULL",
    ] {
        assert!(
            of_rule(&report, rule).is_empty(),
            "{rule}: {}",
            describe(&of_rule(&report, rule))
        );
    }
    let fs = of_rule(&report, "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY");
    assert_eq!(fs.len(), 1, "{}", describe(&fs));
    assert!(
        fs[0].path.ends_with("base/deployment.yaml"),
        "{}",
        describe(&fs)
    );
    assert_eq!(
        fs[0].renders,
        ["fixtures/kustomize/overlays/prod (kustomize)"]
    );
    patch_is_skipped(&report);
}

fn patch_is_skipped(report: &Report) {
    let patch = report
        .files
        .iter()
        .find(|f| f.path == "fixtures/kustomize/overlays/prod/deployment-security.yaml")
        .expect("the patch file is listed");
    match &patch.status {
        FileStatus::NotScanned(reason) => assert!(reason.contains("a patch listed in"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn patches_are_never_scanned_as_manifests_even_without_kustomize() {
    let settings = Settings {
        helm: Mode::Never,
        kustomize: Mode::Never,
        ..Settings::default()
    };
    let (report, run) = scan("fixtures/kustomize", &settings);
    assert!(run.renders.is_empty());
    patch_is_skipped(&report);
    // Without a build the base is scanned as it is.
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "CUSTOM_SECURITY_USER_CHECK"
            && f.path == "fixtures/kustomize/base/deployment.yaml"));
}

#[test]
fn a_failed_kustomize_build_is_a_finding_and_the_files_are_scanned_plain() {
    if !have_kustomize() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("kustomization.yaml"),
        "resources:\n  - pod.yaml\n  - missing.yaml\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\n      securityContext:\n        privileged: true\n",
    )
    .unwrap();
    let settings = Settings {
        helm: Mode::Never,
        ..Settings::default()
    };
    let (report, run) = scan(tmp.path().to_str().unwrap(), &settings);
    assert_eq!(
        (
            run.counts.kustomizations_built,
            run.counts.kustomizations_failed
        ),
        (0, 1)
    );
    let found = of_rule(&report, RENDER);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].path.ends_with("kustomization.yaml"),
        "{}",
        describe(&found)
    );
    assert!(
        found[0].message.contains("missing.yaml"),
        "{}",
        found[0].message
    );
    assert!(
        !found[0].message.contains("clustersec-render-"),
        "{}",
        found[0].message
    );
    assert!(report
        .findings
        .iter()
        .any(|f| f.rule == "CUSTOM_SECURITY_PRIVILEGED_CHECK" && f.path.ends_with("pod.yaml")));
}

#[test]
fn excluded_charts_are_not_rendered() {
    let empty = empty_path_dir();
    let out = bin()
        .env("PATH", empty.path())
        .args(["scan", "fixtures/helm", "--format", "json"])
        .args([
            "--exclude",
            "fixtures/helm/broken/**",
            "--exclude",
            "**/missing-dep/**",
        ])
        .args(["--exclude", "fixtures/helm/deprecated/**"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == RENDER)
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["fixtures/helm/webapp/Chart.yaml"], "{json}");
}

/// The release name and the chart path come after `--`, so that neither can be read as a helm
/// flag (a config file's `release-name: --post-renderer=...` must not run a post-renderer).
#[cfg(unix)]
#[test]
fn helm_positionals_can_never_be_flags() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let log = bin_dir.path().join("args");
    let helm = bin_dir.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = bin_dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "release-name: \"--post-renderer=evil\"\nnamespace: apps\n",
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    bin()
        .env("PATH", path)
        .args(["scan", "fixtures/helm/deprecated", "--kustomize", "never"])
        .arg("--allow-empty")
        .arg("--config")
        .arg(&config)
        .args(["--format", "json"])
        .assert()
        .code(0);
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let dash = args.iter().position(|a| *a == "--").expect("no `--`");
    // The chart is rendered from its copy in a temporary directory (see render::view).
    assert_eq!(args.len(), dash + 3, "{args:?}");
    assert_eq!(args[dash + 1], "--post-renderer=evil", "{args:?}");
    let chart = Path::new(args[dash + 2]);
    assert!(
        chart.is_absolute() && chart.ends_with("deprecated"),
        "{args:?}"
    );
    assert!(!chart.starts_with(root()), "{args:?}");
    assert_eq!(args[0], "template", "{args:?}");
    assert!(args[..dash].contains(&"--namespace"), "{args:?}");
}

/// A remote base over ssh or git:// is not fetched: the HTTP(S) proxy does not cover those
/// transports, so git itself is told to use none but local ones. The build fails, and says so.
#[test]
fn kustomize_remote_bases_over_ssh_reach_no_network() {
    if !have_kustomize() {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("kustomization.yaml"),
        format!("resources:\n  - ssh://git@127.0.0.1:{port}/org/repo//base?ref=main\n"),
    )
    .unwrap();
    let out = bin()
        .arg("scan")
        .arg(d.path())
        .args([
            "--helm",
            "never",
            "--render-timeout",
            "20s",
            "--format",
            "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let connection = listener.accept();
    assert!(
        matches!(&connection, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the build connected to 127.0.0.1:{port}: {connection:?}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["findings"][0]["ruleId"], RENDER, "{json}");
}

/// Nothing from the scanned tree starts a line of its own on stderr, which GitHub Actions reads
/// for workflow commands as it does stdout: a chart directory whose name holds a line break and
/// `::error::` (git allows both) is printed on one line.
#[cfg(unix)]
#[test]
fn progress_lines_cannot_inject_workflow_commands() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let helm = bin_dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = tempfile::tempdir().unwrap();
    let chart = d
        .path()
        .join("web\n::error title=x::injected\r::warning::cr");
    std::fs::create_dir_all(&chart).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let out = bin()
        .env("PATH", path)
        .arg("scan")
        .arg(d.path())
        .args(["--kustomize", "never", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("injected"), "{stderr}");
    for line in stderr.split(['\n', '\r']) {
        assert!(!line.trim_start().starts_with("::"), "{stderr:?}");
    }
}

/// Helm renders a copy of the chart's own files (render::view): a symlink whose target is inside
/// the chart becomes a copy of the target; a symlink to anything else (outside the scan root, or
/// inside it but outside the chart, such as the repository's `.git/config`) is left out of the
/// copy with a finding at the symlink, and the chart still renders without it.
#[cfg(unix)]
#[test]
fn chart_symlinks_out_of_the_chart_are_left_out_of_the_render() {
    if !have_helm() {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "TOPSECRET=hunter2\n").unwrap();
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("repo");
    for (name, target) in [
        ("leaky", outside.path().join("secret.txt")),
        ("sibling", root.join("shared.txt")),
        ("fine", root.join("fine/files/shared.txt")),
    ] {
        let chart = root.join(name);
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::create_dir_all(chart.join("files")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
        )
        .unwrap();
        std::os::unix::fs::symlink(&target, chart.join("data")).unwrap();
        std::fs::write(
            chart.join("templates/pod.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    \
             - name: {{ .Files.Get \"data\" | default \"nothing\" | trim | lower | replace \"=\" \"-\" | quote }}\n      \
             image: nginx\n",
        )
        .unwrap();
    }
    std::fs::write(root.join("shared.txt"), "sibling-secret\n").unwrap();
    std::fs::write(root.join("fine/files/shared.txt"), "shared\n").unwrap();
    let out = bin()
        .arg("scan")
        .arg(&root)
        .args(["--kustomize", "never", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("sibling-secret"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let render: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["ruleId"] == RENDER).collect();
    let paths: Vec<&str> = render.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths.len(), 2, "{json}");
    // At the chart's Chart.yaml, naming the symlink (a report shows the line a finding points
    // at: never from the file a symlink leads to).
    assert!(paths[0].ends_with("leaky/Chart.yaml"), "{paths:?}");
    assert!(paths[1].ends_with("sibling/Chart.yaml"), "{paths:?}");
    for (f, chart) in render.iter().zip(["leaky", "sibling"]) {
        let msg = f["message"].as_str().unwrap();
        assert!(
            msg.contains(&format!(
                "{chart}/data is a symlink that leads outside the chart"
            )),
            "{msg}"
        );
    }
    // Every chart rendered; the one whose symlink stays inside it reads the target, the others
    // see no file.
    let containers: BTreeSet<(&str, &str)> = findings
        .iter()
        .filter_map(|f| Some((f["path"].as_str()?, f["container"].as_str()?)))
        .map(|(p, c)| (p.rsplit('/').nth(2).unwrap_or(p), c))
        .collect();
    assert_eq!(
        containers,
        BTreeSet::from([
            ("fine", "shared"),
            ("leaky", "nothing"),
            ("sibling", "nothing")
        ]),
        "{json}"
    );
    assert_eq!(json["summary"]["findings"], findings.len());
}
