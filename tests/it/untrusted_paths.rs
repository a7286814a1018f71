//! Issue 7, "Safe on untrusted pull requests": paths a repository controls never make clustersec
//! read, quote or borrow suppressions from a file outside the scan, and nothing a repository
//! commits hides from the scan.
//!
//! Each attack aims at a marker secret written OUTSIDE the scanned repository; the marker must
//! be absent from every output format, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{copy_dir, write_file as write};
use assert_cmd::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/untrusted/paths");

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: evil
spec:
  containers:
    - name: c
      image: nginx
      securityContext:
        privileged: true
";

/// A scan layout: `base/repo` (scanned), `base/outside/secret.txt` and `base/outside/x.yaml`
/// (the targets, holding the marker), `base/out` (report files).
struct Setup {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    repo: PathBuf,
    outside: PathBuf,
    marker: String,
}

fn marker() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("SECRET{}x{nanos}", std::process::id())
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let repo = base.join("repo");
        let outside = base.join("outside");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(base.join("out")).unwrap();
        let marker = marker();
        // The secret is also a valid config key and YAML value, so that a config parser that
        // read it would quote it in its "unknown field" error.
        write(
            &outside.join("secret.txt"),
            &format!("{marker}: {marker}\n"),
        );
        let x = std::fs::read_to_string(Path::new(FIXTURES).join("outside-x.yaml.in")).unwrap();
        write(&outside.join("x.yaml"), &x.replace("@MARKER@", &marker));
        write(
            &outside.join("chart/Chart.yaml"),
            &format!("apiVersion: v2\nname: {marker}\nversion: 0.1.0\n"),
        );
        Setup {
            _tmp: tmp,
            base,
            repo,
            outside,
            marker,
        }
    }

    /// Runs `clustersec scan .` in the repository with every format, and returns the exit code
    /// and everything it wrote (stdout, stderr, every report file).
    fn scan(&self, extra: &[&str]) -> (i32, String) {
        let out = self.base.join("out");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let mut cmd = Command::cargo_bin("clustersec").unwrap();
        cmd.env("NO_COLOR", "1")
            .current_dir(&self.repo)
            .args(["scan", ".", "--helm", "never", "--kustomize", "never"])
            .args(extra)
            .args(["--format", "text"]);
        for (format, file) in [
            ("json", "r.json"),
            ("sarif", "r.sarif"),
            ("markdown", "r.md"),
            ("markdown-summary", "r.summary.md"),
            ("github", "r.github"),
            ("gitlab", "r.gitlab.json"),
        ] {
            cmd.args(["--format", format, "--output"])
                .arg(out.join(file));
        }
        let output: Output = cmd.output().unwrap();
        let mut all = String::new();
        all.push_str(&String::from_utf8_lossy(&output.stdout));
        all.push_str("\n--- stderr\n");
        all.push_str(&String::from_utf8_lossy(&output.stderr));
        for e in std::fs::read_dir(&out).unwrap() {
            let e = e.unwrap();
            all.push_str(&format!("\n--- {}\n", e.file_name().to_string_lossy()));
            all.push_str(&std::fs::read_to_string(e.path()).unwrap());
        }
        (output.status.code().unwrap_or(-1), all)
    }

    fn json(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.base.join("out/r.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn assert_no_secret(&self, all: &str) {
        assert!(
            !all.contains(&self.marker),
            "the outside file's content reached an output:\n{all}"
        );
        let outside = self.outside.to_string_lossy();
        assert!(
            !all.contains("outside/x.yaml:") && !all.contains(&format!("{outside}/x.yaml:")),
            "a finding points into the outside file:\n{all}"
        );
    }
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn findings<'a>(json: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .collect()
}

// --- 1. The config file --------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_symlinked_config_file_is_not_read() {
    for name in [".clustersec.yaml", ".clustersec.yml"] {
        let s = Setup::new();
        write(&s.repo.join("pod.yaml"), PRIVILEGED);
        symlink(Path::new("../outside/secret.txt"), &s.repo.join(name));
        let (code, all) = s.scan(&[]);
        assert_eq!(code, 2, "{all}");
        assert!(all.contains(name), "the error names the path: {all}");
        assert!(all.contains("outside the scanned directory"), "{all}");
        s.assert_no_secret(&all);

        // Named with --config, a file of the repository is still the repository's.
        let (code, all) = s.scan(&["--config", name]);
        assert_eq!(code, 2, "{all}");
        s.assert_no_secret(&all);
    }
}

#[cfg(unix)]
#[test]
fn a_broken_or_absolute_config_symlink_stops_the_run() {
    let s = Setup::new();
    write(&s.repo.join("pod.yaml"), PRIVILEGED);
    symlink(
        &s.outside.join("secret.txt"),
        &s.repo.join(".clustersec.yaml"),
    );
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 2, "{all}");
    s.assert_no_secret(&all);

    let s = Setup::new();
    symlink(Path::new("nowhere.yaml"), &s.repo.join(".clustersec.yaml"));
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 2, "{all}");
    assert!(all.contains(".clustersec.yaml"), "{all}");
}

#[cfg(unix)]
#[test]
fn a_config_symlink_inside_the_repository_is_read() {
    let s = Setup::new();
    write(&s.repo.join("pod.yaml"), PRIVILEGED);
    write(
        &s.repo.join("ci/clustersec.yaml"),
        "rules:\n  CUSTOM_SECURITY_PRIVILEGED_CHECK:\n    enabled: false\n",
    );
    symlink(
        Path::new("ci/clustersec.yaml"),
        &s.repo.join(".clustersec.yaml"),
    );
    let (code, all) = s.scan(&[]);
    assert_ne!(code, 2, "{all}");
    assert!(findings(&s.json(), "CUSTOM_SECURITY_PRIVILEGED_CHECK").is_empty());
}

#[test]
fn a_config_outside_the_repository_given_with_config_is_trusted() {
    let s = Setup::new();
    write(&s.repo.join("pod.yaml"), PRIVILEGED);
    let ci = s.base.join("ci/clustersec.yaml");
    write(
        &ci,
        "rules:\n  CUSTOM_SECURITY_PRIVILEGED_CHECK:\n    enabled: false\n",
    );
    let (code, all) = s.scan(&["--config", ci.to_str().unwrap()]);
    assert_ne!(code, 2, "{all}");
    assert!(findings(&s.json(), "CUSTOM_SECURITY_PRIVILEGED_CHECK").is_empty());
}

fn with_chart(s: &Setup) {
    copy_dir(&Path::new(FIXTURES).join("repo"), &s.repo);
}

#[test]
fn config_values_paths_outside_the_repository_are_refused() {
    let s = Setup::new();
    with_chart(&s);
    let absolute = s.outside.join("secret.txt");
    for values in [
        "../../outside/secret.txt".to_string(),
        "../../outside/missing.yaml".to_string(),
        absolute.to_string_lossy().into_owned(),
        "templates/../../../outside/secret.txt".to_string(),
    ] {
        write(
            &s.repo.join(".clustersec.yaml"),
            &format!("charts:\n  chart:\n    values:\n      - [\"{values}\"]\n"),
        );
        let (code, all) = s.scan(&[]);
        assert_eq!(code, 2, "{values}: {all}");
        assert!(
            all.contains(".clustersec.yaml:4:"),
            "located at the value: {all}"
        );
        assert!(all.contains("outside the scanned directory"), "{all}");
        s.assert_no_secret(&all);
    }
    // Named sets are checked the same way.
    write(
        &s.repo.join(".clustersec.yaml"),
        &format!(
            "charts:\n  chart:\n    values:\n      prod: [\"{}\"]\n",
            absolute.display()
        ),
    );
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 2, "{all}");
    s.assert_no_secret(&all);
}

#[test]
fn config_chart_directories_outside_the_repository_are_refused() {
    let s = Setup::new();
    with_chart(&s);
    let absolute = s.outside.join("chart");
    for key in [
        "../outside/chart".to_string(),
        absolute.to_string_lossy().into_owned(),
    ] {
        write(
            &s.repo.join(".clustersec.yaml"),
            &format!("charts:\n  \"{key}\": {{}}\n"),
        );
        let (code, all) = s.scan(&[]);
        assert_eq!(code, 2, "{key}: {all}");
        assert!(all.contains("outside the scanned directory"), "{all}");
        s.assert_no_secret(&all);
    }
}

#[cfg(unix)]
#[test]
fn a_values_file_symlinked_out_of_the_repository_is_refused() {
    let s = Setup::new();
    with_chart(&s);
    symlink(
        Path::new("../../outside/secret.txt"),
        &s.repo.join("chart/values-evil.yaml"),
    );
    write(
        &s.repo.join(".clustersec.yaml"),
        "charts:\n  chart:\n    values:\n      - [values-evil.yaml]\n",
    );
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("values-evil.yaml"), "{all}");
    s.assert_no_secret(&all);

    // The same file inside the repository is fine.
    write(&s.repo.join("chart/values-ok.yaml"), "privileged: true\n");
    write(
        &s.repo.join(".clustersec.yaml"),
        "charts:\n  chart:\n    values:\n      - [values-ok.yaml]\n",
    );
    let (code, all) = s.scan(&[]);
    assert_ne!(code, 2, "{all}");
}

// --- 2. Limits the repository cannot lift ---------------------------------------------------

#[test]
fn a_config_cannot_lift_the_file_size_limit_past_the_ceiling() {
    let s = Setup::new();
    write(&s.repo.join(".clustersec.yaml"), "max-file-size: 100GiB\n");
    // A sparse file of 65 MiB: over the 64 MiB ceiling, nothing to read.
    let big = std::fs::File::create(s.repo.join("big.yaml")).unwrap();
    big.set_len(65 * 1024 * 1024).unwrap();
    drop(big);
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    assert!(all.contains("notice: max-file-size"), "{all}");
    let json = s.json();
    let not_scanned = findings(&json, "CLUSTERSEC_NOT_SCANNED");
    assert_eq!(not_scanned.len(), 1, "{all}");
    assert_eq!(json["summary"]["notScannedByReason"]["too large"], 1);

    // The command line may go past it.
    let (code, all) = s.scan(&["--max-file-size", "100MiB"]);
    assert!(!all.contains("notice: max-file-size"), "{all}");
    let json = s.json();
    assert!(
        findings(&json, "CLUSTERSEC_NOT_SCANNED")
            .iter()
            .all(|f| !f["message"].as_str().unwrap().contains("size limit")),
        "{all}"
    );
    assert_ne!(code, 2);
}

#[test]
fn a_huge_config_file_is_not_read() {
    let s = Setup::new();
    let mut text = String::from("exclude:\n");
    while text.len() <= 1024 * 1024 {
        text.push_str("  - \"vendor/some/long/path/**\"\n");
    }
    write(&s.repo.join(".clustersec.yaml"), &text);
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("larger than"), "{all}");
}

// --- 3. `# Source:` paths and kustomize origins ----------------------------------------------

#[cfg(unix)]
#[test]
fn source_paths_that_leave_the_chart_are_not_followed() {
    let s = Setup::new();
    with_chart(&s);
    let rendered = std::fs::read_to_string(Path::new(FIXTURES).join("rendered.yaml.in")).unwrap();
    write(
        &s.repo.join("rendered.yaml"),
        &rendered.replace("@OUTSIDE@", &s.outside.to_string_lossy()),
    );
    symlink(
        Path::new("../../../outside/x.yaml"),
        &s.repo.join("chart/templates/link.yaml"),
    );
    // Inside the repository but outside the chart: a file with a reviewed ignore.
    symlink(
        Path::new("../../other.yaml"),
        &s.repo.join("chart/templates/reviewed-link.yaml"),
    );
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    s.assert_no_secret(&all);
    let json = s.json();
    // Every privileged container of the rendered file is reported there, none suppressed.
    let in_rendered: Vec<_> = findings(&json, "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .into_iter()
        .filter(|f| f["path"] == "rendered.yaml")
        .collect();
    assert_eq!(in_rendered.len(), 6, "{all}");
    let suppressed = json["suppressed"].as_array().unwrap();
    assert!(
        suppressed.iter().all(|f| f["path"] == "other.yaml"),
        "a suppression was borrowed: {all}"
    );
    // One CLUSTERSEC_RENDER note per rejected `# Source:` line, at that line.
    let notes = findings(&json, "CLUSTERSEC_RENDER");
    let lines: Vec<u64> = notes
        .iter()
        .filter(|f| f["path"] == "rendered.yaml")
        .map(|f| f["region"]["startLine"].as_u64().unwrap_or(0))
        .collect();
    let source_lines: Vec<u64> = rendered
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("# Source: "))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(lines, source_lines, "{all}");
    assert!(
        notes
            .iter()
            .all(|f| f["message"].as_str().unwrap().contains("was not used")),
        "{all}"
    );
}

#[test]
fn a_source_path_inside_the_chart_still_maps() {
    let s = Setup::new();
    with_chart(&s);
    write(
        &s.repo.join("rendered.yaml"),
        "---\n# Source: web/templates/deploy.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n    - name: app\n      image: nginx\n      securityContext:\n        privileged: true\n",
    );
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    let json = s.json();
    let mapped = findings(&json, "CUSTOM_SECURITY_PRIVILEGED_CHECK");
    assert!(
        mapped
            .iter()
            .any(|f| f["path"] == "chart/templates/deploy.yaml"),
        "{all}"
    );
    assert!(findings(&json, "CLUSTERSEC_RENDER").is_empty(), "{all}");
}

#[test]
fn kustomize_origins_outside_the_scan_are_not_read() {
    use clustersec::engine::Engine;
    use clustersec::sourcemap::{map_kustomize, Templates};

    let s = Setup::new();
    write(&s.repo.join("base/deployment.yaml"), PRIVILEGED);
    let dir = s.repo.join("overlay");
    std::fs::create_dir_all(&dir).unwrap();
    let roots = vec![s.repo.clone()];
    let engine = Engine::default();
    let output = |origin: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/origin: |\n      {origin}\nspec:\n  containers:\n    - name: c\n      image: nginx\n      securityContext:\n        privileged: true\n"
        )
    };
    let absolute = format!("path: {}", s.outside.join("x.yaml").display());
    for origin in [
        "path: ../../outside/x.yaml",
        absolute.as_str(),
        "path: ../base/../../outside/x.yaml",
        "path: \"../../outside/x.yaml\\u0000\"",
    ] {
        let text = output(origin);
        let (_, mut found) = engine.scan_text("overlay", &text);
        let before: Vec<String> = found.iter().map(|f| f.path.to_string()).collect();
        let notes = map_kustomize(&text, &mut found, &dir, &Templates::new(roots.clone()));
        let after: Vec<String> = found.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(before, after, "{origin}: a finding moved out");
        let dump = format!("{found:?} {notes:?}");
        assert!(!dump.contains(&s.marker), "{origin}: {dump}");
        assert!(!dump.contains("clustersec:ignore"), "{origin}: {dump}");
        assert!(
            found
                .iter()
                .all(|f| f.mapping.as_deref().is_some_and(|m| m.contains("rejected"))),
            "{origin}: {found:?}"
        );
        assert!(!notes.is_empty(), "{origin}");
    }
    // A symlink inside the repository that leads out.
    #[cfg(unix)]
    {
        symlink(&s.outside.join("x.yaml"), &s.repo.join("base/link.yaml"));
        let text = output("path: ../base/link.yaml");
        let (_, mut found) = engine.scan_text("overlay", &text);
        let notes = map_kustomize(&text, &mut found, &dir, &Templates::new(roots.clone()));
        assert!(!notes.is_empty(), "{found:?}");
        assert!(found.iter().all(|f| f.path == "overlay"));
        assert!(!format!("{found:?} {notes:?}").contains(&s.marker));
    }
    // The origin inside the repository still maps.
    let text = output("path: ../base/deployment.yaml");
    let (_, mut found) = engine.scan_text("overlay", &text);
    let notes = map_kustomize(&text, &mut found, &dir, &Templates::new(roots));
    assert!(notes.is_empty(), "{notes:?}");
    assert!(
        found
            .iter()
            .any(|f| f.path.ends_with("base/deployment.yaml")),
        "{found:?}"
    );
}

// --- 4. Nothing hides from the scan ---------------------------------------------------------

fn git(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn privileged_paths(s: &Setup) -> Vec<String> {
    let json = s.json();
    findings(&json, "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_committed_file_listed_in_gitignore_is_scanned() {
    let s = Setup::new();
    if !git(&s.repo, &["init", "-q"]) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(&s.repo.join("evil.yaml"), PRIVILEGED);
    write(&s.repo.join("deep/evil.yaml"), PRIVILEGED);
    assert!(git(&s.repo, &["add", "evil.yaml", "deep/evil.yaml"]));
    assert!(git(&s.repo, &["commit", "-qm", "x"]));
    write(&s.repo.join(".gitignore"), "evil.yaml\ndeep/\n");
    write(&s.repo.join(".ignore"), "evil.yaml\n");
    // Untracked and ignored: not part of the pull request, left out.
    write(&s.repo.join("build/untracked.yaml"), PRIVILEGED);
    write(&s.repo.join(".gitignore"), "evil.yaml\ndeep/\nbuild/\n");
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    let paths = privileged_paths(&s);
    assert!(paths.contains(&"evil.yaml".to_string()), "{all}");
    assert!(paths.contains(&"deep/evil.yaml".to_string()), "{all}");
    assert!(
        !paths.contains(&"build/untracked.yaml".to_string()),
        "{all}"
    );
}

#[test]
fn the_repository_git_config_runs_nothing() {
    let s = Setup::new();
    if !git(&s.repo, &["init", "-q"]) {
        eprintln!("skipped: git is not available");
        return;
    }
    write(&s.repo.join("evil.yaml"), PRIVILEGED);
    assert!(git(&s.repo, &["add", "evil.yaml"]));
    assert!(git(&s.repo, &["commit", "-qm", "x"]));
    let pwned = s.base.join("pwned");
    let hook = s.repo.join("hook.sh");
    write(&hook, &format!("#!/bin/sh\ntouch {}\n", pwned.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let config = s.repo.join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[core]\n\tfsmonitor = {}\n\thooksPath = {}\n",
        hook.display(),
        s.repo.display()
    ));
    std::fs::write(&config, text).unwrap();
    write(&s.repo.join(".gitignore"), "evil.yaml\n");
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    assert!(privileged_paths(&s).contains(&"evil.yaml".to_string()));
    assert!(!pwned.exists(), "git ran the repository's fsmonitor");
}

#[test]
fn outside_git_ignore_files_hide_nothing() {
    let s = Setup::new();
    write(&s.repo.join("evil.yaml"), PRIVILEGED);
    write(&s.repo.join("ignored/evil.yaml"), PRIVILEGED);
    write(&s.repo.join(".gitignore"), "evil.yaml\nignored/\n");
    write(&s.repo.join(".ignore"), "evil.yaml\n");
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    let paths = privileged_paths(&s);
    assert!(paths.contains(&"evil.yaml".to_string()), "{all}");
    assert!(paths.contains(&"ignored/evil.yaml".to_string()), "{all}");
}

#[test]
fn manifests_in_hidden_directories_are_scanned() {
    let s = Setup::new();
    write(&s.repo.join(".hidden/evil.yaml"), PRIVILEGED);
    write(&s.repo.join("a/.deeper/.evil.yaml"), PRIVILEGED);
    // Version-control directories are not walked.
    write(&s.repo.join(".git/evil.yaml"), PRIVILEGED);
    write(&s.repo.join(".hg/evil.yaml"), PRIVILEGED);
    let (code, all) = s.scan(&[]);
    assert_eq!(code, 1, "{all}");
    let mut paths = privileged_paths(&s);
    paths.sort();
    assert_eq!(
        paths,
        [".hidden/evil.yaml", "a/.deeper/.evil.yaml"],
        "{all}"
    );
}

#[test]
fn excluded_files_are_counted_by_reason() {
    let s = Setup::new();
    write(&s.repo.join("vendor/a.yaml"), PRIVILEGED);
    write(&s.repo.join("vendor/b.yaml"), PRIVILEGED);
    write(&s.repo.join("pod.yaml"), PRIVILEGED);
    write(&s.repo.join("values.yaml"), "replicas: 1\n");
    let (code, all) = s.scan(&["--exclude", "vendor/**"]);
    assert_eq!(code, 1, "{all}");
    assert!(
        all.contains("Skipped 3 files (1 not Kubernetes, 2 excluded by --exclude or the config):"),
        "{all}"
    );
    assert_eq!(s.json()["summary"]["excluded"], 2);
    assert!(
        all.contains("Not scanned: 2 excluded by --exclude or the config."),
        "{all}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_listed() {
    let s = Setup::new();
    symlink(&s.outside.join("x.yaml"), &s.repo.join("link.yaml"));
    // Nothing else to scan: --allow-empty, else the empty scan fails.
    let (code, all) = s.scan(&["--allow-empty"]);
    assert_eq!(code, 0, "{all}");
    s.assert_no_secret(&all);
    assert!(all.contains("symlink out of the scan root"), "{all}");
}
