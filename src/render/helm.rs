//! `helm template` for each chart directory, once per value set.
//!
//! Offline and inert by construction: no `helm dependency update/build` (dependencies come only
//! from the chart's own `charts/` directory), no `--repo`, no `--post-renderer`, plugins off
//! (`HELM_PLUGINS` is an empty directory), helm's cache/config/data homes in a temporary
//! directory, and HTTP(S) proxied to a closed local port (see [`super::Sandbox`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::discover::Dir;
use crate::model::yaml::parse_stream;
use crate::model::{Pos, Span};

use super::{inside_roots, join_display, Job, Limits, Problem, Render, Sandbox, Settings, Tool};

/// The label of a render with the chart's own values only.
pub const DEFAULT_LABEL: &str = "default values";

/// Whether `dir` lies inside another chart's `charts/` directory: a subchart, rendered as part of
/// its parent only (its values come from the parent).
pub fn is_subchart(dir: &Path) -> bool {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut child = abs.as_path();
    while let Some(parent) = child.parent() {
        if parent.file_name().and_then(|n| n.to_str()) == Some("charts") {
            if let Some(owner) = parent.parent() {
                if owner.join("Chart.yaml").is_file() {
                    return true;
                }
            }
        }
        child = parent;
    }
    false
}

/// One job per chart (subcharts excluded) and value set, in chart order then set order.
pub fn jobs(charts: &[Dir], settings: &Settings) -> Vec<Job> {
    let mut out = Vec::new();
    for chart in charts.iter().filter(|c| !is_subchart(&c.path)) {
        let canonical = std::fs::canonicalize(&chart.path).unwrap_or_else(|_| chart.path.clone());
        let own = settings.charts.iter().find(|c| c.dir == canonical);
        let release = own
            .and_then(|c| c.release_name.clone())
            .unwrap_or_else(|| settings.release_name.clone());
        let namespace = own
            .and_then(|c| c.namespace.clone())
            .or_else(|| settings.namespace.clone());
        let sets: Vec<(String, Vec<PathBuf>)> = match own.filter(|c| !c.value_sets.is_empty()) {
            Some(c) => c
                .value_sets
                .iter()
                .map(|s| (s.label.clone(), s.files.clone()))
                .collect(),
            None => vec![(String::new(), Vec::new())],
        };
        for (label, mut files) in sets {
            // `--helm-values` comes last, so that it wins over the chart's own sets.
            files.extend(settings.helm_values.iter().cloned());
            let label = if !label.is_empty() {
                label
            } else if files.is_empty() {
                DEFAULT_LABEL.to_string()
            } else {
                files_label(&files)
            };
            out.push(Job {
                tool: Tool::Helm,
                dir: chart.clone(),
                label,
                values: files,
                release_name: release.clone(),
                namespace: namespace.clone(),
            });
        }
    }
    out
}

/// `values.yaml + values-prod.yaml`.
pub fn files_label(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| {
            f.file_name().map_or_else(
                || f.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Renders one job with `helm template`, from a copy of the chart's own files (see
/// [`super::view`]) and values files inside the scan root only.
pub fn render(
    job: &Job,
    helm: &Path,
    sandbox: &Sandbox,
    settings: &Settings,
    limits: &Limits,
    index: usize,
) -> Render {
    let mut render = Render::new(Tool::Helm, job);
    let roots = settings.scan_roots();
    let mut values = Vec::with_capacity(job.values.len());
    let chart = std::fs::canonicalize(&job.dir.path).unwrap_or_else(|_| job.dir.path.clone());
    for f in &job.values {
        match inside_roots(f, &roots) {
            Ok(real) => values.push(real),
            Err(e) => {
                // Named relative to the chart, as the config file names it.
                let rel = super::relative_path(&chart, &super::lexical_normalize(f));
                let rel = rel.to_string_lossy().replace('\\', "/");
                render.output = Err(format!(
                    "values file {} {e}",
                    crate::report::escape::clean(&rel)
                ));
                return render;
            }
        }
    }
    let parent = match sandbox.dir(&format!("chart-{index}")) {
        Ok(p) => p,
        Err(e) => {
            render.output = Err(format!("cannot create a temporary directory: {e}"));
            return render;
        }
    };
    let result = render_view(
        job,
        helm,
        sandbox,
        settings,
        limits,
        &values,
        &parent,
        &mut render,
    );
    let _ = std::fs::remove_dir_all(&parent);
    if let Err(e) = result {
        render.output = Err(e);
    }
    render
}

#[allow(clippy::too_many_arguments)]
fn render_view(
    job: &Job,
    helm: &Path,
    sandbox: &Sandbox,
    settings: &Settings,
    limits: &Limits,
    values: &[PathBuf],
    parent: &Path,
    render: &mut Render,
) -> Result<(), String> {
    let view = super::view::build(&job.dir.path, parent)?;
    let real = std::fs::canonicalize(&job.dir.path).unwrap_or_else(|_| job.dir.path.clone());
    for (path, why) in &view.left_out {
        let rel = path
            .strip_prefix(&job.dir.path)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let shown = join_display(&job.dir.display, &rel);
        render.notes.push(Problem {
            // At Chart.yaml: a report shows the line a finding points at, and must not show
            // what the symlink leads to.
            path: super::safe_finding_path(&job.dir.path, &job.dir.display, "Chart.yaml"),
            span: Span::point(Pos::START),
            message: format!(
                "{} is {why}: left out of the copy of chart {} that helm renders, so templates \
                 cannot read it (clustersec renders a chart from its own files only)",
                crate::report::escape::clean(&shown),
                job.dir.display
            ),
        });
    }
    let skip_schema = schema_needs_fetching(&view.dir);
    if let Some(schema) = &skip_schema {
        let rel = schema
            .strip_prefix(&view.dir)
            .unwrap_or(schema)
            .to_string_lossy()
            .replace('\\', "/");
        render.notes.push(Problem {
            path: super::safe_finding_path(&job.dir.path, &job.dir.display, &rel),
            span: Span::point(Pos::START),
            message: format!(
                "chart {} rendered without values schema validation: a values schema refers to \
                 another document (a `$ref`, `$schema` or subchart archive clustersec cannot \
                 check), which helm would load, and clustersec loads nothing from outside the chart",
                job.dir.display
            ),
        });
    }
    let mut cmd = Command::new(helm);
    cmd.arg("template");
    if let Some(ns) = &job.namespace {
        cmd.arg("--namespace").arg(ns);
    }
    if let Some(v) = &settings.kube_version {
        cmd.arg("--kube-version").arg(v);
    }
    if skip_schema.is_some() {
        cmd.arg("--skip-schema-validation");
    }
    if settings.skip_tests {
        cmd.arg("--skip-tests");
    }
    for f in values {
        cmd.arg("--values").arg(f);
    }
    // After `--`, a release name or chart path that starts with `-` (from a config file, or a
    // directory name) is never read as a flag such as `--post-renderer` or `--repo`.
    cmd.arg("--").arg(&job.release_name).arg(&view.dir);
    // The chart's directory as the sandbox sees it; the working directory is the copy's parent,
    // so that nothing relative reaches the scanned tree.
    cmd.current_dir(parent);
    sandbox.apply(&mut cmd);
    let portable = limits
        .portable
        .with(&view.dir, &job.dir.display)
        .with(&real, &job.dir.display);
    let out = super::process::run_bounded(cmd, limits.timeout, settings.max_output)
        .map_err(|e| format!("cannot run {}: {e}", helm.display()))?;
    render.duration = out.duration;
    render.output = if out.overflow {
        Err(limits.too_large(settings.max_output))
    } else {
        match out.success {
            None => Err(limits.stopped("helm template")),
            Some(true) => {
                render.warnings = warnings(&out.stderr)
                    .iter()
                    .map(|w| portable.apply(w))
                    .collect();
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
            Some(false) => Err(portable.apply(&error_message(&out.stderr))),
        }
    };
    Ok(())
}

/// The first `values.schema.json` in the view that would make helm load another document: a
/// `$ref`, `$dynamicRef` or `$recursiveRef` that is not a fragment of the same document, a
/// `$schema` that is not one of json-schema.org's drafts (which validators carry built in), or
/// a schema that does not parse; or, when renderers are not in a network namespace, a subchart
/// archive (whose schemas are not inspected). Helm then renders with `--skip-schema-validation`.
pub fn schema_needs_fetching(view: &Path) -> Option<PathBuf> {
    let no_netns = matches!(
        super::process::isolation(),
        super::process::Isolation::None(_)
    );
    let mut stack = vec![view.to_path_buf()];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "values.schema.json") {
                let external = std::fs::read(&p)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                    .is_none_or(|v| refers_outside(&v, 0));
                if external {
                    found.push(p);
                }
            } else if no_netns
                && p.extension().is_some_and(|x| x == "tgz")
                && d.file_name().is_some_and(|n| n == "charts")
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found.into_iter().next()
}

fn refers_outside(v: &serde_json::Value, depth: usize) -> bool {
    use serde_json::Value;
    if depth > 256 {
        return true;
    }
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| {
            let bad = match (k.as_str(), v) {
                ("$ref" | "$dynamicRef" | "$recursiveRef", Value::String(r)) => !r.starts_with('#'),
                ("$schema", Value::String(s)) => {
                    let s = s.trim_end_matches('#');
                    !(s.starts_with("http://json-schema.org/")
                        || s.starts_with("https://json-schema.org/"))
                        || s.contains("..")
                        || s.contains('@')
                }
                _ => false,
            };
            bad || refers_outside(v, depth + 1)
        }),
        Value::Array(a) => a.iter().any(|x| refers_outside(x, depth + 1)),
        _ => false,
    }
}

/// The lines of helm's stderr worth reporting after a successful render: Helm 4's `level=WARN`
/// and `level=ERROR` log records (their `msg` and attributes), and Helm 3's plain warning lines.
/// Informational and debug records are left out.
pub fn warnings(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("level=") {
            let fields = logfmt(line);
            let level = fields
                .iter()
                .find(|(k, _)| k == "level")
                .map_or("", |(_, v)| v.as_str());
            if !matches!(level, "WARN" | "ERROR") {
                continue;
            }
            let msg = fields
                .iter()
                .find(|(k, _)| k == "msg")
                .map_or(line, |(_, v)| v.as_str());
            let attrs: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "level" | "msg" | "time" | "source"))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let mut text = msg.to_string();
            if !attrs.is_empty() {
                text.push_str(&format!(" ({})", attrs.join(", ")));
            }
            out.push(text);
        } else {
            let text = line.strip_prefix("WARNING: ").unwrap_or(line);
            out.push(text.to_string());
        }
    }
    out.dedup();
    out
}

/// `key=value key="quoted \"value\""` pairs (Go slog's text format).
fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ' ' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(match n {
                                    'n' => '\n',
                                    't' => '\t',
                                    other => other,
                                });
                            }
                        }
                        other => value.push(other),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        if !key.is_empty() {
            out.push((key, value));
        }
    }
    out
}

/// Helm's error, without the `Error: ` prefix and the `--debug` hint.
fn error_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Use --debug flag"))
        .collect();
    if let Some(e) = lines.iter().find_map(|l| l.strip_prefix("Error: ")) {
        return e.to_string();
    }
    if lines.is_empty() {
        return "helm template failed without a message".to_string();
    }
    lines.iter().take(5).copied().collect::<Vec<_>>().join("; ")
}

/// The dependencies helm says are missing from `charts/`.
fn missing_dependencies(error: &str) -> Vec<String> {
    const MARK: &str = "missing in charts/ directory:";
    let Some(at) = error.find(MARK) else {
        return Vec::new();
    };
    error[at + MARK.len()..]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The `- name: DEP` entry of a dependency in Chart.yaml (its `alias: DEP` when it has one).
/// Helm renders an aliased dependency under its alias: an entry named DEP that has another
/// alias is another render, taken only when no entry fits better.
pub fn dependency_entry(chart_yaml: &str, name: &str) -> Option<Span> {
    let stream = parse_stream(chart_yaml);
    let root = stream.documents.first()?.root.as_ref()?;
    let deps = root.get("dependencies")?.as_seq()?;
    let named = |unaliased: bool| {
        deps.iter().find_map(|dep| {
            let entry = dep.get_entry("name")?;
            let aliased = dep
                .get("alias")
                .and_then(|a| a.text())
                .is_some_and(|a| !a.is_empty());
            (entry.value.text() == Some(name) && !(unaliased && aliased)).then(|| entry.span())
        })
    };
    named(true)
        .or_else(|| {
            deps.iter().find_map(|dep| {
                let entry = dep.get_entry("alias")?;
                (entry.value.text() == Some(name)).then(|| entry.span())
            })
        })
        .or_else(|| named(false))
}

/// The `repository: file://PATH` of the dependency named (or aliased) `name` in Chart.yaml,
/// with the dependency's chart name.
pub fn file_dependency(chart_yaml: &str, name: &str) -> Option<(String, String)> {
    let stream = parse_stream(chart_yaml);
    let root = stream.documents.first()?.root.as_ref()?;
    root.get("dependencies")?.as_seq()?.iter().find_map(|dep| {
        let named = dep
            .get("alias")
            .and_then(|a| a.text())
            .or_else(|| dep.get("name")?.text());
        if named != Some(name) {
            return None;
        }
        let path = dep.get("repository")?.text()?.strip_prefix("file://")?;
        Some((path.to_string(), dep.get("name")?.text()?.to_string()))
    })
}

/// A file and position inside the chart named in helm's error, e.g.
/// `execution error at (web/templates/deployment.yaml:16:21)` or
/// `template: web/charts/db/templates/sts.yaml:5:3: executing ...`.
fn error_location(error: &str, chart: &Path) -> Option<(String, Pos)> {
    for token in error.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"')) {
        let mut parts = token.trim_end_matches(':').split(':');
        let Some(path) = parts.next() else { continue };
        let Some((_, rel)) = path.split_once('/') else {
            continue;
        };
        // Only a plain relative path to a file of the chart, outside version-control
        // directories: the message is helm's, but its text may come from the template.
        if crate::safepath::check_relative(rel).is_err()
            || super::view::in_vcs_dir(Path::new(rel))
            || !chart.join(rel).is_file()
        {
            continue;
        }
        let line = parts.next().and_then(|n| n.parse::<u32>().ok());
        let col = parts.next().and_then(|n| n.parse::<u32>().ok());
        let pos = match (line, col) {
            (Some(l), Some(c)) => Pos::new(l, c),
            (Some(l), None) => Pos::new(l, 1),
            _ => Pos::START,
        };
        return Some((rel.to_string(), pos));
    }
    None
}

/// What went wrong with a helm render, as findings: at the dependency entries of Chart.yaml for
/// missing dependencies, at the template position helm names, else at Chart.yaml.
pub fn problems(render: &Render) -> Vec<Problem> {
    let chart_yaml = super::safe_finding_path(&render.dir, &render.display, "Chart.yaml");
    let with = if render.label == DEFAULT_LABEL {
        String::new()
    } else {
        format!(" with {}", render.label)
    };
    let mut out = Vec::new();
    match &render.output {
        Ok(_) => {
            for w in &render.warnings {
                out.push(Problem {
                    path: chart_yaml.clone(),
                    span: Span::point(Pos::START),
                    message: format!(
                        "helm warned while rendering chart {}{with}: {w}",
                        render.display
                    ),
                });
            }
        }
        Err(e) => {
            let missing = missing_dependencies(e);
            if !missing.is_empty() {
                let text =
                    std::fs::read_to_string(render.dir.join("Chart.yaml")).unwrap_or_default();
                for name in missing {
                    let span = dependency_entry(&text, &name).unwrap_or(Span::point(Pos::START));
                    out.push(Problem {
                        path: chart_yaml.clone(),
                        span,
                        message: format!(
                            "chart {} not rendered: dependency `{name}` is declared in Chart.yaml but missing \
                             from its charts/ directory (clustersec never downloads dependencies: run \
                             `helm dependency build` first)",
                            render.display
                        ),
                    });
                }
                return out;
            }
            let (path, pos) = match error_location(e, &render.dir) {
                Some((rel, pos)) => {
                    let path = super::safe_finding_path(&render.dir, &render.display, &rel);
                    let pos = if path == render.display {
                        Pos::START
                    } else {
                        pos
                    };
                    (path, pos)
                }
                None => (chart_yaml, Pos::START),
            };
            out.push(Problem {
                path,
                span: Span::point(pos),
                message: format!(
                    "chart {} not rendered{with}, its templates were not scanned: {e}",
                    render.display
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm4_and_helm3_warnings() {
        let w = warnings(
            "level=WARN msg=\"this chart is deprecated\"\n\
             level=INFO msg=\"found symbolic link in path\" path=/x\n\
             level=WARN msg=\"odd \\\"thing\\\"\" chart=web\n\
             WARNING: This chart is deprecated\n\
             walk.go:74: found symbolic link in path: /x\n\n",
        );
        assert_eq!(
            w,
            [
                "this chart is deprecated",
                "odd \"thing\" (chart=web)",
                "This chart is deprecated",
                "walk.go:74: found symbolic link in path: /x",
            ]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            error_message("Error: execution error at (b/templates/d.yaml:16:21): x\n\nUse --debug flag to render out invalid YAML\n"),
            "execution error at (b/templates/d.yaml:16:21): x"
        );
        assert_eq!(
            missing_dependencies("an error occurred ...: found in Chart.yaml, but missing in charts/ directory: redis, postgresql"),
            ["redis", "postgresql"]
        );
        let text = "apiVersion: v2\nname: x\ndependencies:\n  - name: other\n  - version: 1\n    name: redis\n";
        assert_eq!(
            dependency_entry(text, "redis").map(|s| s.start),
            Some(Pos::new(6, 5))
        );
        assert_eq!(dependency_entry(text, "nope"), None);
        // An entry aliased to another name is another render of the chart.
        let text = "dependencies:\n  - name: dep\n    alias: edge\n  - name: dep\n";
        assert_eq!(
            dependency_entry(text, "dep").map(|s| s.start),
            Some(Pos::new(4, 5))
        );
        assert_eq!(
            dependency_entry(text, "edge").map(|s| s.start),
            Some(Pos::new(3, 5))
        );
    }

    #[test]
    fn error_locations_inside_the_chart() {
        let chart = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/helm/broken"));
        assert_eq!(
            error_location(
                "execution error at (broken/templates/deployment.yaml:16:21): x",
                chart
            ),
            Some(("templates/deployment.yaml".to_string(), Pos::new(16, 21)))
        );
        assert_eq!(
            error_location(
                "parse error at (broken/templates/deployment.yaml:3): y",
                chart
            ),
            Some(("templates/deployment.yaml".to_string(), Pos::new(3, 1)))
        );
        assert_eq!(
            error_location("no such file (broken/templates/nope.yaml:3)", chart),
            None
        );
        assert_eq!(error_location("x (../etc/passwd:1)", chart), None);
        assert_eq!(error_location("x (broken//etc/passwd:1)", chart), None);
        assert_eq!(error_location("x (broken/.git/config:7:1)", chart), None);
    }

    #[test]
    fn subcharts_are_not_rendered_alone() {
        let base = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/helm"));
        assert!(is_subchart(&base.join("webapp/charts/metrics")));
        assert!(!is_subchart(&base.join("webapp")));
    }
}
