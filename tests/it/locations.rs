//! Never a location that is not a file (issue 14, items 4 and 6).
//!
//! [`every_location_is_a_line_of_a_file_in_the_scanned_tree`] walks every chart and
//! kustomization under `fixtures/` (and `examples/`), scans each fixture directory that holds one
//! with rendering on (every `*clustersec*.yaml` config and `values-*.yaml` override found there
//! as a run of its own too), and checks every location of the JSON and SARIF reports: each
//! finding's path and each related location's is a regular file inside the scanned directory,
//! each line and column exists in that file, each line a message names (` at line N`, ` at
//! FILE:N`) exists in its file, and each `kustomize output line N:C` is the line of
//! `kubectl kustomize`/`kustomize build` output that holds the field.
//!
//! [`kustomize_patches_in_bases_chains_and_selectors`] checks `fixtures/kustomize-chain`: a base
//! with patches of its own, built by one overlay directly and by another through a middle
//! kustomization, with patches selected by regular expressions, labels, annotations and their
//! own names; every finding is at its `# expect:` marker.
//!
//! Both need helm and kubectl (or kustomize); without them they skip with a message, unless CI
//! or `CLUSTERSEC_REQUIRE_SHARED=1` is set.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{bin_in_root, expect_markers, have_helm, have_kustomize, json_findings, root};

/// The directories under `dir` (recursively) that hold a chart or a kustomization, skipping the
/// subcharts of a chart (`charts/NAME/`, rendered with their parent).
fn render_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    let is_render = [
        "Chart.yaml",
        "kustomization.yaml",
        "kustomization.yml",
        "Kustomization",
    ]
    .iter()
    .any(|n| dir.join(n).is_file());
    if is_render {
        out.push(dir.to_path_buf());
    }
    for e in entries {
        if e.is_dir() && !(is_render && e.file_name().is_some_and(|n| n == "charts")) {
            render_dirs(&e, out);
        }
    }
}

/// The runs: (scan root, extra arguments).
fn runs() -> Vec<(String, Vec<String>)> {
    let base = root();
    let mut tops: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for top in ["fixtures", "examples"] {
        let mut found = Vec::new();
        render_dirs(&base.join(top), &mut found);
        for d in found {
            let rel = d.strip_prefix(&base).unwrap();
            let mut parts = rel.components();
            let first = parts
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            let scan_root = if first == "fixtures" {
                format!(
                    "fixtures/{}",
                    parts.next().unwrap().as_os_str().to_string_lossy()
                )
            } else {
                first
            };
            tops.entry(scan_root).or_default().push(d);
        }
    }
    tops.entry("examples".to_string()).or_default();
    let mut out = Vec::new();
    for (scan_root, dirs) in &tops {
        out.push((scan_root.clone(), Vec::new()));
        // Configs kept next to the fixtures (a render matrix).
        let mut stack = vec![base.join(scan_root)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                if p.is_dir() {
                    stack.push(p);
                } else if name.ends_with("clustersec.yaml") && name != ".clustersec.yaml" {
                    let rel = p
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((scan_root.clone(), vec!["-c".to_string(), rel]));
                }
            }
        }
        // Value overrides next to a chart.
        for d in dirs {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("values-") && name.ends_with(".yaml") {
                    let rel = e
                        .path()
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    let chart = d
                        .strip_prefix(&base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((
                        chart,
                        vec![
                            "--helm".to_string(),
                            "always".to_string(),
                            "--helm-values".to_string(),
                            rel,
                        ],
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

/// The lines of a file (`None` when it is not a regular file).
fn lines_of(path: &Path) -> Option<Vec<String>> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.lines().map(str::to_string).collect())
}

/// Checks that `path` is a regular file inside `scan_root` and that the region exists in it.
fn check_region(
    what: &str,
    path: &str,
    region: &Value,
    scan_root: &Path,
    problems: &mut Vec<String>,
) {
    let base = root();
    let full = base.join(path);
    let Some(lines) = lines_of(&full) else {
        problems.push(format!("{what}: {path} is not a regular file"));
        return;
    };
    let inside = std::fs::canonicalize(&full)
        .ok()
        .zip(std::fs::canonicalize(scan_root).ok())
        .is_some_and(|(f, r)| f.starts_with(r));
    if !inside {
        problems.push(format!("{what}: {path} is outside {}", scan_root.display()));
    }
    let line_len = |l: u64| -> Option<u64> {
        let i = usize::try_from(l).ok()?.checked_sub(1)?;
        lines.get(i).map(|s| s.chars().count() as u64)
    };
    let start_line = region["startLine"].as_u64().unwrap_or(0);
    let Some(len) = line_len(start_line) else {
        problems.push(format!(
            "{what}: line {start_line} of {path} does not exist ({} lines)",
            lines.len()
        ));
        return;
    };
    if let Some(col) = region["startColumn"].as_u64() {
        if col == 0 || col > len + 1 {
            problems.push(format!(
                "{what}: column {col} of line {start_line} of {path} does not exist ({len} characters)"
            ));
        }
    }
    if let Some(end) = region["endLine"].as_u64() {
        match line_len(end) {
            None => problems.push(format!("{what}: end line {end} of {path} does not exist")),
            Some(end_len) => {
                if let Some(col) = region["endColumn"].as_u64() {
                    if col == 0 || col > end_len + 1 {
                        problems.push(format!(
                            "{what}: end column {col} of line {end} of {path} does not exist"
                        ));
                    }
                }
            }
        }
    }
}

/// `(file, line)` of every ` at line N` and ` at FILE:N` in a message (`file` is `None` for
/// the finding's own file).
fn named_lines(message: &str) -> Vec<(Option<String>, u64)> {
    let mut out = Vec::new();
    for (i, _) in message.match_indices(" at ") {
        let rest = &message[i + 4..];
        if let Some(n) = rest.strip_prefix("line ") {
            let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse() {
                out.push((None, n));
            }
            continue;
        }
        let word: String = rest
            .trim_start_matches('(')
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | ';'))
            .collect();
        let mut parts = word.splitn(3, ':');
        let (Some(file), Some(line)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let Ok(n) = line.parse() {
            out.push((Some(file.to_string()), n));
        }
    }
    out
}

/// The build output of a kustomization as the user sees it.
fn kustomize_output(dir: &str, cache: &mut BTreeMap<String, String>) -> String {
    cache
        .entry(dir.to_string())
        .or_insert_with(|| {
            let out = match clustersec::render::kustomize::Builder::find() {
                Some(clustersec::render::kustomize::Builder::Kustomize(p)) => {
                    std::process::Command::new(p)
                        .current_dir(root())
                        .args(["build", dir])
                        .output()
                }
                _ => std::process::Command::new("kubectl")
                    .current_dir(root())
                    .args(["kustomize", dir])
                    .output(),
            }
            .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .clone()
}

/// Checks one finding of the JSON report.
fn check_finding(
    f: &Value,
    scan_root: &Path,
    builds: &mut BTreeMap<String, String>,
    problems: &mut Vec<String>,
) {
    let path = f["path"].as_str().unwrap();
    let what = format!(
        "{} at {path}:{}",
        f["ruleId"].as_str().unwrap_or("?"),
        f["region"]["startLine"]
    );
    check_region(&what, path, &f["region"], scan_root, problems);
    for r in f["related"].as_array().into_iter().flatten() {
        let rp = r["path"].as_str().unwrap_or(path);
        check_region(
            &format!("{what}, related"),
            rp,
            &r["region"],
            scan_root,
            problems,
        );
    }
    let message = f["message"].as_str().unwrap_or("");
    for (file, line) in named_lines(message) {
        let file = file.unwrap_or_else(|| path.to_string());
        // Relative to the package root, or (helm's own messages) to a directory above the
        // finding's file (`CHART/templates/x.yaml`).
        let full = Path::new(path)
            .ancestors()
            .map(|a| root().join(a).join(&file))
            .find(|p| p.exists())
            .unwrap_or_else(|| root().join(&file));
        if full.is_dir() {
            // Output rendered in memory: the chart directory and a line of its output.
            continue;
        }
        match lines_of(&full) {
            Some(lines) if line >= 1 && line as usize <= lines.len() => {}
            Some(lines) => problems.push(format!(
                "{what}: the message names line {line} of {file} ({} lines): {message}",
                lines.len()
            )),
            None => problems.push(format!(
                "{what}: the message names {file}:{line}, not a file: {message}"
            )),
        }
    }
    // `(kustomize output line N:C`: the line of the first render's build output that holds the
    // field (its key, or its parent's for a missing key).
    let Some(at) = message.find("kustomize output line ") else {
        return;
    };
    let pos: String = message[at + 22..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ':')
        .collect();
    let mut nums = pos.split(':').filter_map(|n| n.parse::<usize>().ok());
    let (Some(line), Some(col)) = (nums.next(), nums.next()) else {
        problems.push(format!(
            "{what}: unreadable kustomize output line in {message}"
        ));
        return;
    };
    let Some(overlay) = f["renders"][0]
        .as_str()
        .and_then(|r| r.strip_suffix(" (kustomize)"))
    else {
        return;
    };
    let text = kustomize_output(overlay, builds);
    let shown = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let field = f["field"].as_str().unwrap_or("");
    let keys: Vec<&str> = field
        .split('.')
        .map(|k| k.split('[').next().unwrap_or(k))
        .collect();
    let key = keys.last().copied().unwrap_or("");
    let parent = keys
        .len()
        .checked_sub(2)
        .and_then(|i| keys.get(i))
        .copied()
        .unwrap_or("");
    let holds = |k: &str| {
        let t = shown.trim_start().trim_start_matches("- ");
        !k.is_empty() && t.starts_with(&format!("{k}:"))
    };
    if !(holds(key) || holds(parent)) || col > shown.chars().count() + 1 {
        problems.push(format!(
            "{what}: line {line}:{col} of the build of {overlay} is {shown:?}, not the field {field}"
        ));
    }
}

/// Checks the SARIF report: every location relative to %SRCROOT% (the package root here).
fn check_sarif(sarif: &Value, scan_root: &Path, problems: &mut Vec<String>) {
    for run in sarif["runs"].as_array().into_iter().flatten() {
        for r in run["results"].as_array().into_iter().flatten() {
            let locations = r["locations"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(r["relatedLocations"].as_array().into_iter().flatten());
            for l in locations {
                let phys = &l["physicalLocation"];
                let uri = phys["artifactLocation"]["uri"].as_str().unwrap_or("");
                let base = phys["artifactLocation"]["uriBaseId"].as_str();
                if base != Some("%SRCROOT%") {
                    problems.push(format!("SARIF {uri}: uriBaseId is {base:?}"));
                }
                let path = uri.replace("%20", " ");
                check_region(
                    &format!("SARIF {} at {uri}", r["ruleId"].as_str().unwrap_or("?")),
                    &path,
                    &phys["region"],
                    scan_root,
                    problems,
                );
            }
        }
    }
}

#[test]
fn every_location_is_a_line_of_a_file_in_the_scanned_tree() {
    if !have_helm() || !have_kustomize() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    let mut builds = BTreeMap::new();
    let mut scanned = 0;
    for (i, (scan_root, args)) in runs().iter().enumerate() {
        let json = tmp.path().join(format!("{i}.json"));
        let sarif = tmp.path().join(format!("{i}.sarif"));
        let out = bin_in_root()
            .args(["scan", scan_root])
            .args(args)
            .args(["--format", "json", "--output"])
            .arg(&json)
            .args(["--format", "sarif", "--output"])
            .arg(&sarif)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "scan {scan_root} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        let s: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
        let dir = root().join(scan_root);
        let before = problems.len();
        for key in ["findings", "suppressed"] {
            for f in v[key].as_array().into_iter().flatten() {
                scanned += 1;
                check_finding(f, &dir, &mut builds, &mut problems);
            }
        }
        check_sarif(&s, &dir, &mut problems);
        for p in problems.iter_mut().skip(before) {
            *p = format!("scan {scan_root} {args:?}: {p}");
        }
    }
    eprintln!("{} scans, {scanned} findings checked", runs().len());
    assert!(
        scanned > 50,
        "only {scanned} findings: the fixtures were not rendered"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_catch_locations_that_do_not_exist() {
    let dir = root().join("fixtures/kustomize-chain");
    let mut problems = Vec::new();
    let file = "fixtures/kustomize-chain/base/worker-group.yaml";
    let at = |line: u64, col: u64| serde_json::json!({"startLine": line, "startColumn": col});
    check_region("ok", file, &at(4, 3), &dir, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    check_region("past the end", file, &at(5, 1), &dir, &mut problems);
    check_region("past the line", file, &at(4, 60), &dir, &mut problems);
    check_region(
        "a directory",
        "fixtures/kustomize-chain/base",
        &at(1, 1),
        &dir,
        &mut problems,
    );
    check_region(
        "outside",
        "fixtures/kustomize/base/deployment.yaml",
        &at(1, 1),
        &dir,
        &mut problems,
    );
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert_eq!(
        named_lines(
            "inherited at line 4, from x at fixtures/a.yaml:12 (kustomize output line 3:9)"
        ),
        vec![(None, 4), (Some("fixtures/a.yaml".to_string()), 12)]
    );
}

/// (path, line, rule) of every `# expect:` marker in the files under `dir`.
fn markers(dir: &str) -> BTreeSet<(String, u64, String)> {
    let mut files = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root()).unwrap().to_string_lossy();
                files.push(rel.into_owned());
            }
        }
    }
    expect_markers(&files)
}

fn finding<'v>(v: &'v Value, rule: &str, path: &str, line: u64) -> Vec<&'v Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == rule && f["path"] == path && f["region"]["startLine"] == line)
        .collect()
}

#[test]
fn kustomize_patches_in_bases_chains_and_selectors() {
    if !have_kustomize() {
        return;
    }
    const DIR: &str = "fixtures/kustomize-chain";
    let out = bin_in_root()
        .args(["scan", "--helm", "never", "--format", "json", DIR])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json_findings(&v), markers(DIR), "{v:#}");
    let a = serde_json::json!(["fixtures/kustomize-chain/overlays/a (kustomize)"]);
    let b = serde_json::json!(["fixtures/kustomize-chain/overlays/b (kustomize)"]);
    let both = serde_json::json!([
        "fixtures/kustomize-chain/overlays/a (kustomize)",
        "fixtures/kustomize-chain/overlays/b (kustomize)"
    ]);
    let one = |rule: &str, path: &str, line: u64| -> Value {
        let all = finding(&v, rule, path, line);
        assert_eq!(all.len(), 1, "{rule} at {path}:{line}: {all:#?}");
        all[0].clone()
    };
    // A base's own strategic-merge patch, matched by its kind and name: once, from both
    // overlays (which order the containers differently), the resource as related location.
    let smp = one(
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/kustomize-chain/base/metrics-pull.yaml",
        11,
    );
    assert_eq!(smp["renders"], both, "{smp:#}");
    assert_eq!(
        smp["mapping"],
        "kustomize strategic merge patch line that sets the key"
    );
    assert_eq!(
        smp["related"][0]["path"],
        "fixtures/kustomize-chain/base/deployment.yaml"
    );
    assert_eq!(smp["related"][0]["region"]["startLine"], 34);
    // The base's inline patch selected by `name: a.i` sets runAsUser 0: overlay b replaces it
    // (its own patch, selected by `name: (api|web)`, wins), overlay a keeps it.
    for f in finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/kustomize-chain/base/kustomization.yaml",
        20,
    ) {
        assert_eq!(f["renders"], a, "{f:#}");
        assert_eq!(
            f["mapping"],
            "kustomize JSON 6902 patch line that sets the key"
        );
        assert_eq!(f["region"]["startColumn"], 9);
    }
    for f in finding(
        &v,
        "CUSTOM_SECURITY_USER_CHECK",
        "fixtures/kustomize-chain/overlays/b/run-as.yaml",
        4,
    ) {
        assert_eq!(f["renders"], b, "{f:#}");
        // The message names the patch's line, in the finding's own file.
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("inherited from spec.template.spec.securityContext at line 4"),
            "{f:#}"
        );
    }
    // `name: work` is anchored: it does not select `worker`, whose own file sets the value.
    let worker = one(
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/kustomize-chain/base/worker.yaml",
        23,
    );
    assert_eq!(worker["mapping"], "kustomize source line of the key");
    assert_eq!(worker["renders"], both);
    // patchesJson6902 applies after the base's namePrefix: `name: shop-worker`.
    let group = one(
        "CUSTOM_SECURITY_GROUPS_CHECK",
        "fixtures/kustomize-chain/base/worker-group.yaml",
        4,
    );
    assert_eq!(group["renders"], both);
    // Three levels (a -> mid -> base): mid's patch by label selector, at position 0 of the
    // containers as they were then (metrics, after the base's strategic merge).
    let privileged = one(
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        "fixtures/kustomize-chain/mid/kustomization.yaml",
        16,
    );
    assert_eq!(privileged["container"], "metrics");
    assert_eq!(privileged["renders"], a);
    // The finding on the resource's line names the patch that made the container privileged.
    let escalation = one(
        "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        "fixtures/kustomize-chain/base/deployment.yaml",
        36,
    );
    assert_eq!(
        escalation["related"][0]["path"],
        "fixtures/kustomize-chain/mid/kustomization.yaml"
    );
    assert_eq!(escalation["related"][0]["region"]["startLine"], 16);
    // The overlay's patches: a strategic merge naming the object as mid left it, and one
    // selected by kind pattern and annotation.
    let pull = one(
        "CUSTOM_SECURITY_IMAGE_PULL",
        "fixtures/kustomize-chain/overlays/a/kustomization.yaml",
        18,
    );
    assert_eq!(pull["container"], "api");
    assert_eq!(pull["region"]["startColumn"], 17);
    let fs = one(
        "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        "fixtures/kustomize-chain/overlays/a/kustomization.yaml",
        26,
    );
    assert_eq!(fs["container"], "metrics");
    assert_eq!(
        fs["related"][0]["path"],
        "fixtures/kustomize-chain/base/deployment.yaml"
    );
    assert_eq!(fs["related"][0]["region"]["startLine"], 37);
    // A container that only a patch adds: what it lacks is reported at the patch's nearest
    // key (where the key would be added), the base's `containers:` line as related location.
    let proxy = one(
        "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        "fixtures/kustomize-chain/overlays/b/proxy.yaml",
        14,
    );
    assert_eq!(proxy["container"], "proxy");
    assert_eq!(
        proxy["mapping"],
        "kustomize strategic merge patch line of the nearest key the patch has"
    );
    assert_eq!(proxy["related"][0]["region"]["startLine"], 25);
}
