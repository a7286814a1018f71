//! Rendering Helm charts and Kustomize overlays into manifests to scan.
//!
//! Discovery finds chart directories (Chart.yaml) and kustomizations; this module renders them
//! with the `helm` / `kubectl kustomize` (or `kustomize`) binaries when present, and reports
//! every failure as a finding with the directory's path (never a silent skip). The rendered
//! text is scanned by the engine and its findings are mapped back to the template or source
//! file the user edits (see `crate::sourcemap`).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

use crate::discover::{display_path, Dir, Discovery, Input};
use crate::engine::{Engine, FileReport, FileStatus};
use crate::finding::Finding;
use crate::model::Span;

pub mod helm;
pub mod kustomize;
pub mod process;
pub mod progress;
pub mod unrendered;

/// When to render: `auto` renders when the tool is on PATH, `always` fails clearly without it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Auto,
    Always,
    Never,
}

/// Which tool rendered a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    Helm,
    Kustomize,
}

/// How to render.
#[derive(Clone, Debug)]
pub struct Settings {
    pub helm: Mode,
    pub kustomize: Mode,
    /// `--helm-values FILE` (repeatable): one value set applied to every chart.
    pub helm_values: Vec<PathBuf>,
    pub release_name: String,
    pub namespace: Option<String>,
    pub kube_version: Option<String>,
    /// Time limit of one render.
    pub timeout: Duration,
    /// Per-chart settings from the config file (value sets: the render matrix).
    pub charts: Vec<ChartSettings>,
    /// The scanned directories, canonical. Helm follows symlinks in a chart, so a chart with a
    /// symlink that leads out of these is not rendered. Empty: the working directory.
    pub roots: Vec<PathBuf>,
}

/// The config file's settings for one chart.
#[derive(Clone, Debug, Default)]
pub struct ChartSettings {
    /// The chart directory, canonical.
    pub dir: PathBuf,
    pub release_name: Option<String>,
    pub namespace: Option<String>,
    /// One render per set; empty: one render with the chart's own values.
    pub value_sets: Vec<ValueSet>,
}

/// The values files of one render, applied in order after the chart's own values.yaml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueSet {
    /// For messages and the `renders` of findings: the set's name, or its files' names.
    pub label: String,
    pub files: Vec<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            helm: Mode::Auto,
            kustomize: Mode::Auto,
            helm_values: Vec::new(),
            release_name: "release-name".to_string(),
            namespace: None,
            kube_version: None,
            timeout: Duration::from_secs(60),
            charts: Vec::new(),
            roots: Vec::new(),
        }
    }
}

/// One render of one directory with one value set.
#[derive(Clone, Debug)]
pub struct Render {
    pub tool: Tool,
    /// The chart or kustomization directory.
    pub dir: PathBuf,
    /// Its display path (relative to the working directory, `/`-separated).
    pub display: String,
    /// Which render this is, for messages: `default values`, `values-prod.yaml`, `kustomize`.
    pub label: String,
    /// The rendered manifests, or why there are none.
    pub output: Result<String, String>,
    /// What the tool printed on stderr that is worth reporting (deprecation warnings...).
    pub warnings: Vec<String>,
    pub duration: Duration,
}

impl Render {
    /// How findings name this render in their `renders`: `fixtures/helm/web (values-prod.yaml)`.
    pub fn name(&self) -> String {
        format!("{} ({})", self.display, self.label)
    }
}

/// One render to do.
#[derive(Clone, Debug)]
pub struct Job {
    pub tool: Tool,
    pub dir: Dir,
    pub label: String,
    /// Values files (helm), in order.
    pub values: Vec<PathBuf>,
    pub release_name: String,
    pub namespace: Option<String>,
}

impl Render {
    /// A render of a job that has not produced output yet.
    pub fn new(tool: Tool, job: &Job) -> Render {
        Render {
            tool,
            dir: job.dir.path.clone(),
            display: job.dir.display.clone(),
            label: job.label.clone(),
            output: Err(String::new()),
            warnings: Vec::new(),
            duration: Duration::default(),
        }
    }
}

/// A render that failed or warned, as a finding's location and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub span: Span,
    pub message: String,
}

/// The renderers found on PATH.
#[derive(Clone, Debug, Default)]
pub struct Tools {
    pub helm: Option<PathBuf>,
    pub kustomize: Option<kustomize::Builder>,
}

impl Tools {
    /// Looks the renderers up on PATH, as far as the modes need them; `always` without its tool
    /// is an error (exit 2), whether or not there is anything to render.
    pub fn detect(settings: &Settings) -> Result<Tools, String> {
        let helm = match settings.helm {
            Mode::Never => None,
            mode => {
                let found = process::find_program("helm");
                if found.is_none() && mode == Mode::Always {
                    return Err(
                        "--helm always: `helm` is not on PATH (install it, e.g. with \
                                scripts/install-helm.sh, or use --helm auto|never)"
                            .to_string(),
                    );
                }
                found
            }
        };
        let kustomize = match settings.kustomize {
            Mode::Never => None,
            mode => {
                let found = kustomize::Builder::find();
                if found.is_none() && mode == Mode::Always {
                    return Err(
                        "--kustomize always: neither `kustomize` nor `kubectl` is on PATH \
                                (install one, or use --kustomize auto|never)"
                            .to_string(),
                    );
                }
                found
            }
        };
        Ok(Tools { helm, kustomize })
    }
}

/// Counts for the report's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Chart directories whose every render succeeded (subcharts are part of their parent).
    pub charts_rendered: usize,
    /// Chart directories with a failed render, or not rendered because helm is missing.
    pub charts_failed: usize,
    pub kustomizations_built: usize,
    pub kustomizations_failed: usize,
}

/// The renders of a run and what they change in the scan.
#[derive(Debug, Default)]
pub struct Run {
    /// In a deterministic order: charts then kustomizations, each in discovery order, each
    /// chart's value sets in their order.
    pub renders: Vec<Render>,
    /// Failures and warnings, reported as CLUSTERSEC_RENDER findings.
    pub problems: Vec<Problem>,
    /// Display paths of plain files whose objects reached the report through a successful
    /// kustomize build: their own findings about objects are left out (an overlay may change
    /// what the file says), those about the file's text (syntax, duplicate keys) are kept.
    pub covered: BTreeSet<String>,
    pub counts: Counts,
}

/// Rules whose findings are about a file's text, not its objects: kept for files covered by a
/// kustomize build.
pub const TEXT_RULES: &[&str] = &[
    crate::rules::yaml_syntax::YamlSyntax::ID,
    crate::rules::duplicate_key::DuplicateKey::ID,
    crate::rules::not_scanned::NotScanned::ID,
];

/// Renders the charts and kustomizations of `discovery`, in parallel, with progress on stderr.
///
/// Also takes the kustomizations' patch files out of the candidates (whatever the modes: a
/// strategic-merge patch is a partial object, never a manifest of its own).
pub fn render_all(discovery: &mut Discovery, settings: &Settings, tools: &Tools) -> Run {
    let mut run = Run::default();
    let plan = kustomize::plan(&discovery.kustomizations);
    skip_patches(discovery, &plan);

    let mut jobs = Vec::new();
    if settings.helm != Mode::Never {
        let helm_jobs = helm::jobs(&discovery.charts, settings);
        if tools.helm.is_some() {
            // Helm follows symlinks: a chart that links out of the scan root is not rendered.
            let roots: Vec<PathBuf> = if settings.roots.is_empty() {
                std::env::current_dir()
                    .and_then(std::fs::canonicalize)
                    .into_iter()
                    .collect()
            } else {
                settings.roots.clone()
            };
            let mut refused: Vec<(String, Option<String>)> = Vec::new();
            for j in helm_jobs {
                let verdict = match refused.iter().find(|(d, _)| *d == j.dir.display) {
                    Some((_, v)) => v.clone(),
                    None => {
                        let v = symlink_out_of(&j.dir.path, &roots)
                            .map(|p| display(&lexical_normalize(&p)));
                        refused.push((j.dir.display.clone(), v.clone()));
                        if let Some(link) = &v {
                            run.counts.charts_failed += 1;
                            run.problems.push(Problem {
                                path: link.clone(),
                                span: Span::point(crate::model::Pos::START),
                                message: format!(
                                    "chart {} not rendered: {link} is a symlink that leads outside the scan \
                                     root, and helm follows symlinks (a template could read the file into \
                                     the report); point it inside the scanned tree",
                                    j.dir.display
                                ),
                            });
                        }
                        v
                    }
                };
                if verdict.is_none() {
                    jobs.push(j);
                }
            }
        } else {
            // `auto` without helm: say so for each chart, never a silent skip.
            let mut seen = BTreeSet::new();
            for j in helm_jobs {
                if seen.insert(j.dir.display.clone()) {
                    run.counts.charts_failed += 1;
                    run.problems.push(Problem {
                        path: join_display(&j.dir.display, "Chart.yaml"),
                        span: Span::point(crate::model::Pos::START),
                        message: format!(
                            "chart {} not rendered: `helm` is not on PATH, so its templates were counted, \
                             not scanned (install helm, or pass --helm never to skip charts knowingly)",
                            j.dir.display
                        ),
                    });
                }
            }
        }
    }
    if settings.kustomize != Mode::Never && tools.kustomize.is_some() {
        jobs.extend(kustomize::jobs(&plan));
    }
    if jobs.is_empty() {
        return run;
    }

    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => {
            for j in &jobs {
                run.problems.push(Problem {
                    path: j.dir.display.clone(),
                    span: Span::point(crate::model::Pos::START),
                    message: format!(
                        "{} not rendered: cannot create a temporary directory: {e}",
                        j.dir.display
                    ),
                });
            }
            return run;
        }
    };
    let progress = progress::Progress::new(jobs.len());
    let renders: Vec<Render> = jobs
        .par_iter()
        .enumerate()
        .map(|(i, job)| {
            progress.start(job);
            let r = match (job.tool, &tools.helm, &tools.kustomize) {
                (Tool::Helm, Some(h), _) => helm::render(job, h, &sandbox, settings),
                (Tool::Kustomize, _, Some(k)) => kustomize::render(job, k, &sandbox, settings, i),
                _ => unreachable!("jobs are made only for tools that were found"),
            };
            progress.finish(&r);
            r
        })
        .collect();
    progress.done();

    // Per-directory outcome: a chart counts as rendered when all its renders succeeded.
    let mut dirs: Vec<(Tool, &str, bool)> = Vec::new();
    for r in &renders {
        let ok = r.output.is_ok();
        match dirs
            .iter_mut()
            .find(|(t, d, _)| *t == r.tool && *d == r.display)
        {
            Some(entry) => entry.2 &= ok,
            None => dirs.push((r.tool, &r.display, ok)),
        }
    }
    for (tool, _, ok) in dirs {
        let c = &mut run.counts;
        match (tool, ok) {
            (Tool::Helm, true) => c.charts_rendered += 1,
            (Tool::Helm, false) => c.charts_failed += 1,
            (Tool::Kustomize, true) => c.kustomizations_built += 1,
            (Tool::Kustomize, false) => c.kustomizations_failed += 1,
        }
    }

    // Files of successful kustomize builds.
    let built: BTreeSet<PathBuf> = renders
        .iter()
        .filter(|r| r.tool == Tool::Kustomize && r.output.is_ok())
        .filter_map(|r| plan.files.get(&r.display))
        .flatten()
        .cloned()
        .collect();
    if !built.is_empty() {
        for c in &discovery.candidates {
            if let Input::Path(p) = &c.input {
                if std::fs::canonicalize(p).is_ok_and(|p| built.contains(&p)) {
                    run.covered.insert(c.display.clone());
                }
            }
        }
    }
    for r in &renders {
        run.problems.extend(match r.tool {
            Tool::Helm => helm::problems(r),
            Tool::Kustomize => kustomize::problems(r),
        });
    }
    run.renders = renders;
    run
}

/// The first symlink under `dir` (followed into linked directories that stay inside, as helm
/// does) whose target is outside every one of `roots` (canonical), or that cannot be resolved.
pub fn symlink_out_of(dir: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    let inside = |p: &Path| roots.iter().any(|r| p.starts_with(r));
    let mut seen = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(c) = std::fs::canonicalize(&d) {
            if !seen.insert(c) {
                continue;
            }
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for path in entries {
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                match std::fs::canonicalize(&path) {
                    Ok(target) if inside(&target) => {
                        if target.is_dir() {
                            stack.push(path);
                        }
                    }
                    // A broken link: helm reports it.
                    Err(_) => {}
                    Ok(_) => return Some(path),
                }
            } else if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    None
}

/// Takes kustomization patch files out of the candidates, as skipped with the reason.
fn skip_patches(discovery: &mut Discovery, plan: &kustomize::Plan) {
    if plan.patches.is_empty() {
        return;
    }
    let mut kept = Vec::with_capacity(discovery.candidates.len());
    for c in std::mem::take(&mut discovery.candidates) {
        let owner = match &c.input {
            Input::Path(p) => std::fs::canonicalize(p)
                .ok()
                .and_then(|p| plan.patches.get(&p)),
            Input::Stdin => None,
        };
        match owner {
            Some(k) => discovery.skipped.push(FileReport::new(
                &c.display,
                FileStatus::NotScanned(format!(
                    "a patch listed in {k}: a partial object that kustomize applies, not a manifest of its own"
                )),
                c.size,
            )),
            None => kept.push(c),
        }
    }
    discovery.candidates = kept;
}

/// The CLUSTERSEC_RENDER findings of a run (none when the rule is disabled).
pub fn findings(engine: &Engine, run: &Run) -> Vec<Finding> {
    let id = crate::rules::render::Render::ID;
    let Some(severity) = engine.severity(id) else {
        return Vec::new();
    };
    run.problems
        .iter()
        .map(|p| {
            let mut f = Finding::new(id, p.span, p.message.clone());
            f.severity = severity;
            f.path = p.path.clone();
            f
        })
        .collect()
}

/// Findings identical but for the render they came from (same rule, path, span, message,
/// container and field) become one, listing every render in `renders`. Findings without renders
/// (plain files) merge with nothing. The order of first appearance is kept.
pub fn merge_renders(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut index: std::collections::HashMap<MergeKey, usize> = std::collections::HashMap::new();
    for f in findings {
        if f.renders.is_empty() {
            out.push(f);
            continue;
        }
        let key = MergeKey::of(&f);
        match index.get(&key) {
            Some(&i) => {
                let kept = &mut out[i];
                for r in f.renders {
                    if !kept.renders.contains(&r) {
                        kept.renders.push(r);
                    }
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

#[derive(Hash, PartialEq, Eq)]
struct MergeKey {
    rule: &'static str,
    path: String,
    span: Span,
    message: String,
    container: Option<String>,
    field: Option<String>,
}

impl MergeKey {
    fn of(f: &Finding) -> MergeKey {
        MergeKey {
            rule: f.rule,
            path: f.path.clone(),
            span: f.span,
            message: message_key(&f.message),
            container: f.container.clone(),
            field: f.field.clone(),
        }
    }
}

/// The message without what differs between renders: the source mapping appends where the
/// finding was in the rendered output (`... (rendered with values-prod.yaml at web:12:5)`), which
/// names the render.
fn message_key(message: &str) -> String {
    for marker in [" (rendered", " (kustomize output"] {
        if let Some(at) = message.rfind(marker) {
            if message.ends_with(')') {
                return message[..at].to_string();
            }
        }
    }
    message.to_string()
}

/// An isolated environment for renderers: helm's homes and an empty plugin directory in a
/// temporary directory, and no way out to the network.
pub struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> std::io::Result<Sandbox> {
        let root = tempfile::Builder::new()
            .prefix("clustersec-render-")
            .tempdir()?;
        for d in ["plugins", "cache", "config", "data", "home"] {
            std::fs::create_dir_all(root.path().join(d))?;
        }
        Ok(Sandbox { root })
    }

    /// A fresh directory inside the sandbox (canonical, for relative paths to work).
    pub fn dir(&self, name: &str) -> std::io::Result<PathBuf> {
        let d = self.root.path().join(name);
        std::fs::create_dir_all(&d)?;
        std::fs::canonicalize(&d)
    }

    /// Sets the environment of a renderer: every inherited `HELM_*` variable is dropped; plugins
    /// live in an empty directory (so none run, and `HELM_NO_PLUGINS` says so to Helm 3); helm's
    /// cache, config and data homes and `HOME` are temporary; `KUBECONFIG` names a missing file
    /// (rendering never talks to a cluster); HTTP(S) goes to a proxy on a closed local port and
    /// git may use local transports only, so that nothing (a chart's remote schema, a kustomize
    /// remote base over https, ssh or git://) is fetched.
    pub fn apply(&self, cmd: &mut Command) {
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("HELM_") {
                cmd.env_remove(&k);
            }
        }
        let r = self.root.path();
        cmd.env("HELM_PLUGINS", r.join("plugins"))
            .env("HELM_NO_PLUGINS", "1")
            .env("HELM_CACHE_HOME", r.join("cache"))
            .env("HELM_CONFIG_HOME", r.join("config"))
            .env("HELM_DATA_HOME", r.join("data"))
            .env("HOME", r.join("home"))
            .env("XDG_CACHE_HOME", r.join("cache"))
            .env("XDG_CONFIG_HOME", r.join("config"))
            .env("XDG_DATA_HOME", r.join("data"))
            .env("KUBECONFIG", r.join("no-kubeconfig"))
            .env("GIT_TERMINAL_PROMPT", "0")
            // Kustomize fetches remote bases with git, and ssh:// or git:// do not go through
            // the proxy below: git may use local transports only.
            .env("GIT_ALLOW_PROTOCOL", "file")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env(proxy, "http://127.0.0.1:9");
        }
    }
}

/// `dir/file` for display paths, without a leading `./`.
pub fn join_display(dir: &str, file: &str) -> String {
    if dir.is_empty() || dir == "." {
        file.to_string()
    } else {
        format!("{}/{file}", dir.trim_end_matches('/'))
    }
}

/// `a/b/../c` -> `a/c`, without touching the file system.
pub fn lexical_normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The relative path from directory `from` to `to` (both absolute and normalized).
pub fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to_c: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to_c).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to_c[common..] {
        out.push(c);
    }
    out
}

/// The display path of a file under the working directory.
pub fn display(path: &Path) -> String {
    display_path(path, std::env::current_dir().ok().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            lexical_normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            relative_path(Path::new("/tmp/x/k0"), Path::new("/work/repo/base")),
            PathBuf::from("../../../work/repo/base")
        );
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/c.yaml")),
            PathBuf::from("c.yaml")
        );
        assert_eq!(join_display(".", "Chart.yaml"), "Chart.yaml");
        assert_eq!(
            join_display("charts/web", "Chart.yaml"),
            "charts/web/Chart.yaml"
        );
    }

    #[test]
    fn merge_keeps_one_finding_per_place_with_every_render() {
        use crate::model::Pos;
        let f = |msg: &str, render: &str, line: u32| {
            let mut f = Finding::new("R", Span::point(Pos::new(line, 1)), msg);
            f.path = "web/templates/d.yaml".into();
            f.renders = vec![render.to_string()];
            f
        };
        let merged = merge_renders(vec![
            f(
                "bad (rendered with default values at web:10:3)",
                "web (default values)",
                5,
            ),
            f("bad (rendered with prod at web:14:3)", "web (prod)", 5),
            f("bad (rendered with prod at web:20:3)", "web (prod)", 9),
            f("other", "web (prod)", 5),
        ]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].renders, ["web (default values)", "web (prod)"]);
        assert_eq!(merged[1].renders, ["web (prod)"]);
    }
}
