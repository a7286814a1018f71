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
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::discover::{display_path, Dir, Discovery, Input};
use crate::engine::Engine;
use crate::finding::Finding;
use crate::model::Span;
use crate::outcome::{FileReport, FileStatus};

pub mod helm;
pub mod kustomize;
pub mod native;
pub mod once;
pub mod process;
pub mod progress;
pub mod refs;
pub mod unrendered;
pub mod view;

/// Default of `--render-budget`: all renders of a run together.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(600);
/// Default of `--max-render-timeout`: the most a config file's `render-timeout` can ask for.
pub const DEFAULT_MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// Default of `--max-render-output`: output of one render past this is not scanned.
pub const DEFAULT_MAX_OUTPUT: u64 = 64 << 20;

pub use crate::mode::RenderMode as Mode;

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
    /// All renders of the run together (`--render-budget`): renders past it are not run.
    pub budget: Duration,
    /// Bytes of output of one render (`--max-render-output`); more is not scanned.
    pub max_output: u64,
    /// Leave helm test hooks out (`helm template --skip-tests`).
    pub skip_tests: bool,
    /// Which kustomize builder (`--kustomize-builder`).
    pub kustomize_builder: native::Choice,
}

impl Settings {
    /// The canonical scan roots: `roots`, or the working directory.
    pub fn scan_roots(&self) -> Vec<PathBuf> {
        if self.roots.is_empty() {
            std::env::current_dir()
                .and_then(std::fs::canonicalize)
                .into_iter()
                .collect()
        } else {
            self.roots.clone()
        }
    }
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
            budget: DEFAULT_BUDGET,
            max_output: DEFAULT_MAX_OUTPUT,
            skip_tests: false,
            kustomize_builder: native::Choice::Auto,
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
    /// Findings made while preparing the render (a symlink left out of a chart's copy, schema
    /// validation turned off, a kustomization reference refused...), reported as they are.
    pub notes: Vec<Problem>,
    /// The values files of the render (helm), in order, as the job names them: findings are
    /// traced to the one that sets a value (see [`crate::valuetrace`]).
    pub values: Vec<PathBuf>,
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
            notes: Vec::new(),
            values: job.values.clone(),
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

pub use crate::outcome::RenderCounts as Counts;

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

/// Renders the charts and kustomizations of `discovery`, in parallel, with progress on stderr.
///
/// Also takes the kustomizations' patch files out of the candidates (whatever the modes: a
/// strategic-merge patch is a partial object, never a manifest of its own).
pub fn render_all(discovery: &mut Discovery, settings: &Settings, tools: &Tools) -> Run {
    let mut run = Run::default();
    let plan = kustomize::plan(&discovery.kustomizations);
    skip_patches(discovery, &plan);
    let jobs = plan_jobs(discovery, &plan, settings, tools, &mut run);
    if jobs.is_empty() {
        return run;
    }
    let Some(renders) = run_jobs(&jobs, settings, tools, &mut run) else {
        return run;
    };
    count_renders(&renders, &mut run.counts);
    run.covered = covered_files(discovery, &plan, &renders);
    for r in &renders {
        run.problems.extend(r.notes.iter().cloned());
        run.problems.extend(match r.tool {
            Tool::Helm => helm::problems(r),
            Tool::Kustomize => kustomize::problems(r),
        });
    }
    run.renders = renders;
    run
}

/// The render jobs of a run, in order: each chart's value sets, then the kustomizations. A
/// chart that cannot render because helm is missing is counted as failed, with a problem.
fn plan_jobs(
    discovery: &Discovery,
    plan: &kustomize::Plan,
    settings: &Settings,
    tools: &Tools,
    run: &mut Run,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    if settings.helm != Mode::Never {
        let helm_jobs = helm::jobs(&discovery.charts, settings);
        if tools.helm.is_some() {
            // Each chart renders from a copy of its own files (see `view`).
            jobs.extend(helm_jobs);
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
        jobs.extend(kustomize::jobs(plan));
    }
    jobs
}

/// Runs the jobs in parallel in one sandbox, within the run's budget, with progress on stderr.
/// `None` (with a problem per job) when the sandbox cannot be made.
fn run_jobs(
    jobs: &[Job],
    settings: &Settings,
    tools: &Tools,
    run: &mut Run,
) -> Option<Vec<Render>> {
    let sandbox = match Sandbox::new() {
        Ok(s) => s,
        Err(e) => {
            for j in jobs {
                run.problems.push(Problem {
                    path: j.dir.display.clone(),
                    span: Span::point(crate::model::Pos::START),
                    message: format!(
                        "{} not rendered: cannot create a temporary directory: {e}",
                        j.dir.display
                    ),
                });
            }
            return None;
        }
    };
    let progress = progress::Progress::new(jobs.len());
    progress.note(&process::isolation().describe());
    let portable = Portable::new(&settings.scan_roots(), &sandbox);
    let deadline = Instant::now() + settings.budget;
    // Resource files the native kustomize builds share, parsed once; dropped with this run.
    let cache = native::Cache::default();
    let renders: Vec<Render> = jobs
        .par_iter()
        .enumerate()
        .map(|(i, job)| {
            progress.start(job);
            let left = deadline.saturating_duration_since(Instant::now());
            let limits = Limits {
                timeout: settings.timeout.min(left),
                by_budget: left < settings.timeout,
                budget: settings.budget,
                portable: &portable,
            };
            let r = if left.is_zero() {
                let mut r = Render::new(job.tool, job);
                r.output = Err(limits.exhausted());
                r
            } else {
                match (job.tool, &tools.helm, &tools.kustomize) {
                    (Tool::Helm, Some(h), _) => {
                        helm::render(job, h, &sandbox, settings, &limits, i)
                    }
                    (Tool::Kustomize, _, Some(k)) => {
                        kustomize::render(job, k, &sandbox, settings, &limits, i, &cache)
                    }
                    _ => unreachable!("jobs are made only for tools that were found"),
                }
            };
            progress.finish(&r);
            r
        })
        .collect();
    progress.done();
    Some(renders)
}

/// Per-directory outcome: a chart counts as rendered when all its renders succeeded.
fn count_renders(renders: &[Render], counts: &mut Counts) {
    let mut dirs: Vec<(Tool, &str, bool)> = Vec::new();
    for r in renders {
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
        match (tool, ok) {
            (Tool::Helm, true) => counts.charts_rendered += 1,
            (Tool::Helm, false) => counts.charts_failed += 1,
            (Tool::Kustomize, true) => counts.kustomizations_built += 1,
            (Tool::Kustomize, false) => counts.kustomizations_failed += 1,
        }
    }
}

/// Display paths of the candidates that successful kustomize builds read.
fn covered_files(
    discovery: &Discovery,
    plan: &kustomize::Plan,
    renders: &[Render],
) -> BTreeSet<String> {
    let mut covered = BTreeSet::new();
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
                    covered.insert(c.display.clone());
                }
            }
        }
    }
    covered
}

/// `path` after following symlinks, when that is inside one of `roots` (canonical) and outside
/// any version-control directory there; otherwise why not. The one check for files the repository
/// names that a renderer reads (values files).
pub fn inside_roots(path: &Path, roots: &[PathBuf]) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(path).map_err(|e| format!("cannot be read: {e}"))?;
    let inside = roots
        .iter()
        .any(|r| real.strip_prefix(r).is_ok_and(|rel| !view::in_vcs_dir(rel)));
    if inside {
        Ok(real)
    } else {
        Err(
            "resolves outside the scan root (or into a version-control directory), and \
             renderers read only files inside it"
                .to_string(),
        )
    }
}

/// Where a finding about `rel` in directory `dir` may point: `dir/rel` (its display path) when
/// that is a regular file or a symlink that stays inside `dir`, else `dir` itself. Reports show
/// the line a finding points at, and must never show a file the symlink leads to outside.
pub fn safe_finding_path(dir: &Path, display_dir: &str, rel: &str) -> String {
    let p = dir.join(rel);
    let ok = match std::fs::symlink_metadata(&p) {
        Ok(m) if m.file_type().is_symlink() => {
            match (std::fs::canonicalize(&p), std::fs::canonicalize(dir)) {
                (Ok(t), Ok(d)) => t.strip_prefix(&d).is_ok_and(|r| !view::in_vcs_dir(r)),
                _ => false,
            }
        }
        Ok(m) => m.is_file(),
        Err(_) => true,
    };
    if ok && !view::in_vcs_dir(Path::new(rel)) {
        join_display(display_dir, rel)
    } else {
        display_dir.to_string()
    }
}

/// The time a render may take, and how to word its messages.
pub struct Limits<'a> {
    /// The render's time limit: `--render-timeout`, or what is left of the budget.
    pub timeout: Duration,
    /// Whether `timeout` is what is left of the budget.
    pub by_budget: bool,
    pub budget: Duration,
    pub portable: &'a Portable,
}

impl Limits<'_> {
    /// Why a render that did not finish in time was stopped.
    pub fn stopped(&self, what: &str) -> String {
        if self.by_budget {
            format!(
                "{what} stopped: render budget exhausted (--render-budget {}, shared by all renders \
                 of the run)",
                process::human(self.budget)
            )
        } else {
            format!(
                "{what} did not finish within {} (--render-timeout); stopped",
                process::human(self.timeout)
            )
        }
    }

    /// Why a render was not run at all.
    pub fn exhausted(&self) -> String {
        format!(
            "render budget exhausted (--render-budget {}, shared by all renders of the run): not run",
            process::human(self.budget)
        )
    }

    /// Why output was not scanned.
    pub fn too_large(&self, max: u64) -> String {
        format!(
            "the rendered output exceeds {} (--max-render-output); not scanned",
            human_size(max)
        )
    }
}

/// `64 MiB`, `512 KiB`, `100 bytes`.
pub fn human_size(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Rewrites absolute paths in a renderer's messages: under a scan root or the working directory
/// they become relative display paths, temporary directories are named as such, a chart's copy is
/// named by the chart's display path. Messages then read the same on every machine, and never
/// show where clustersec keeps its temporary files.
#[derive(Clone, Debug, Default)]
pub struct Portable {
    /// (absolute path, replacement), longest first.
    pairs: Vec<(String, String)>,
}

impl Portable {
    pub fn new(roots: &[PathBuf], sandbox: &Sandbox) -> Portable {
        let mut p = Portable::default();
        for r in roots {
            // Under the working directory: its display path, as findings name files; anywhere
            // else: relative to the root itself.
            let shown = display(r);
            if Path::new(&shown).is_absolute() {
                p.add(r, ".");
            } else {
                p.add(r, &shown);
            }
        }
        if let Ok(cwd) = std::env::current_dir() {
            if let Ok(c) = std::fs::canonicalize(&cwd) {
                p.add(&c, ".");
            }
            p.add(&cwd, ".");
        }
        let tmp = sandbox.root.path();
        p.add(tmp, "<temporary directory>");
        if let Ok(c) = std::fs::canonicalize(tmp) {
            p.add(&c, "<temporary directory>");
        }
        p
    }

    /// Also replaces `from` (and its canonical form) with `to`.
    pub fn with(&self, from: &Path, to: &str) -> Portable {
        let mut p = self.clone();
        p.add(from, to);
        if let Ok(c) = std::fs::canonicalize(from) {
            p.add(&c, to);
        }
        p
    }

    fn add(&mut self, from: &Path, to: &str) {
        let from = from.to_string_lossy().trim_end_matches('/').to_string();
        if from.is_empty() || self.pairs.iter().any(|(f, _)| *f == from) {
            return;
        }
        self.pairs.push((from, to.to_string()));
        self.pairs
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    }

    pub fn apply(&self, msg: &str) -> String {
        let mut out = msg.to_string();
        for (from, to) in &self.pairs {
            if !out.contains(from.as_str()) {
                continue;
            }
            let prefix = if to == "." || to.is_empty() {
                String::new()
            } else {
                format!("{to}/")
            };
            out = out
                .replace(&format!("{from}/"), &prefix)
                .replace(from.as_str(), to);
        }
        out
    }
}

/// Takes kustomization patch files out of the candidates, as skipped with the reason.
fn skip_patches(discovery: &mut Discovery, plan: &kustomize::Plan) {
    if plan.patches.is_empty() {
        return;
    }
    // A file resolves to a patch only if it has the patch's name, or is a symlink (of another
    // name): only those are resolved, not every candidate (a path resolved component by
    // component costs a system call per directory).
    let names: BTreeSet<String> = plan
        .patches
        .keys()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .collect();
    let named = |p: &Path| {
        p.file_name()
            .is_some_and(|n| names.contains(&n.to_string_lossy().to_ascii_lowercase()))
    };
    // Candidates of another name: only a symlink (or a path that cannot be looked at) may lead
    // to a patch; looked at in parallel.
    let owners: Vec<Option<&String>> = discovery
        .candidates
        .par_iter()
        .map(|c| match &c.input {
            Input::Path(p)
                if !named(p)
                    && std::fs::symlink_metadata(p)
                        .map_or(true, |m| m.file_type().is_symlink()) =>
            {
                std::fs::canonicalize(p)
                    .ok()
                    .and_then(|p| plan.patches.get(&p))
            }
            Input::Path(_) | Input::Stdin | Input::Memory(_) => None,
        })
        .collect();
    // Candidates with a patch's name: resolved with their directories resolved once each.
    let dirs = crate::safepath::DirCache::default();
    let mut kept = Vec::with_capacity(discovery.candidates.len());
    for (c, owner) in std::mem::take(&mut discovery.candidates)
        .into_iter()
        .zip(owners)
    {
        let owner = match &c.input {
            Input::Path(p) if named(p) => {
                crate::safepath::canonical_file(p, &dirs).and_then(|p| plan.patches.get(&p))
            }
            _ => owner,
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

/// Notes as chart inputs (see [`Discovery::chart_inputs`]) the candidates that a chart's renders
/// take as values files (the config's value sets, `--helm-values`), whatever the helm mode: a
/// values file is never a manifest. Call before sharding, with every chart.
pub fn mark_values_files(discovery: &mut Discovery, settings: &Settings) {
    let files: BTreeSet<PathBuf> = helm::jobs(&discovery.charts, settings)
        .iter()
        .flat_map(|j| j.values.iter())
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .collect();
    if files.is_empty() {
        return;
    }
    for c in &discovery.candidates {
        let Input::Path(p) = &c.input else {
            continue;
        };
        if std::fs::canonicalize(p).is_ok_and(|p| files.contains(&p)) {
            discovery.chart_inputs.insert(c.display.clone());
        }
    }
}

/// The CLUSTERSEC_RENDER findings of a run (none when the rule is disabled).
pub fn findings(engine: &Engine, run: &Run) -> Vec<Finding> {
    let id = crate::rules::render::Render::ID;
    run.problems
        .iter()
        .filter_map(|p| engine.emit(&p.path, Finding::new(id, p.span, p.message.clone())))
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
                let Some(kept) = out.get_mut(i) else {
                    continue;
                };
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
    rule: crate::rules::RuleId,
    path: String,
    span: Span,
    message: String,
    container: Option<String>,
    /// The field's keys without list positions: overlays that order a base's containers
    /// differently still report the same line of the same container.
    field: Option<String>,
}

impl MergeKey {
    fn of(f: &Finding) -> MergeKey {
        MergeKey {
            rule: f.rule.clone(),
            path: f.path.to_string(),
            span: f.span,
            // The rule's words: where each render had it (`f.rendered`) differs between renders.
            message: f.words().into_owned(),
            container: f.container.clone(),
            field: f
                .field
                .as_ref()
                .map(|p| p.keys().collect::<Vec<_>>().join(".")),
        }
    }
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
            // No system git config (credential helpers, `insteadOf` rewrites); the global one
            // is under the temporary HOME.
            .env("GIT_CONFIG_NOSYSTEM", "1")
            // Kustomize's exec/Go plugins would be looked up here (they also need flags that
            // clustersec never passes).
            .env("KUSTOMIZE_PLUGIN_HOME", r.join("plugins"))
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
    for c in to_c.iter().skip(common) {
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
    fn messages_name_no_absolute_or_temporary_path() {
        let sandbox = Sandbox::new().unwrap();
        let tmp = sandbox.root.path().to_path_buf();
        let p = Portable::new(&[PathBuf::from("/work/ci/repo")], &sandbox)
            .with(&tmp.join("chart-0/web"), "deploy/web");
        let msg = format!(
            "open /work/ci/repo/values/prod.yaml: bad; in {}/templates/x.yaml; in {}/k0/kustomization.yaml; at /work/ci/repo",
            tmp.join("chart-0/web").display(),
            tmp.display()
        );
        let out = p.apply(&msg);
        assert!(!out.contains("/work/ci"), "{out}");
        assert!(!out.contains(&tmp.to_string_lossy().into_owned()), "{out}");
        assert!(out.contains("deploy/web/templates/x.yaml"), "{out}");
        assert!(
            out.contains("<temporary directory>/k0/kustomization.yaml"),
            "{out}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn values_files_and_finding_paths_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(d.path()).unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("c")).unwrap();
        std::fs::write(root.join(".git/config"), "t").unwrap();
        std::fs::write(root.join("c/values.yaml"), "a: 1").unwrap();
        std::fs::write(base.join("out.yaml"), "a: 1").unwrap();
        std::os::unix::fs::symlink(base.join("out.yaml"), root.join("c/Chart.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("c/values.yaml"), root.join("c/in.yaml")).unwrap();
        let roots = vec![root.clone()];
        assert!(inside_roots(&root.join("c/values.yaml"), &roots).is_ok());
        assert!(inside_roots(&root.join("c/in.yaml"), &roots).is_ok());
        assert!(inside_roots(&root.join("c/../../out.yaml"), &roots).is_err());
        assert!(inside_roots(&root.join("c/Chart.yaml"), &roots).is_err());
        assert!(inside_roots(&root.join(".git/config"), &roots).is_err());
        let c = root.join("c");
        assert_eq!(safe_finding_path(&c, "c", "Chart.yaml"), "c");
        assert_eq!(safe_finding_path(&c, "c", "in.yaml"), "c/in.yaml");
        assert_eq!(safe_finding_path(&c, "c", "values.yaml"), "c/values.yaml");
    }

    #[test]
    fn merge_keeps_one_finding_per_place_with_every_render() {
        use crate::model::Pos;
        // `msg (rendered with LABEL at web:L:3)`: the place in the output is a typed fact.
        let f = |msg: &str, rendered: Option<(&str, u32)>, render: &str, line: u32| {
            let mut f = Finding::new("R", Span::point(Pos::new(line, 1)), msg);
            f.path = "web/templates/d.yaml".into();
            f.renders = vec![render.to_string()].into();
            f.rendered = rendered
                .map(|(label, line)| crate::finding::RenderedAt::Helm {
                    label: Some(label.to_string()),
                    path: "web".to_string(),
                    line,
                    col: 3,
                })
                .into_iter()
                .collect();
            f
        };
        let merged = merge_renders(vec![
            f(
                "bad",
                Some(("default values", 10)),
                "web (default values)",
                5,
            ),
            f("bad", Some(("prod", 14)), "web (prod)", 5),
            f("bad", Some(("prod", 20)), "web (prod)", 9),
            f("other", None, "web (prod)", 5),
        ]);
        assert_eq!(
            merged[0].text(),
            "bad (rendered with default values at web:10:3)"
        );
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].renders, ["web (default values)", "web (prod)"]);
        assert_eq!(merged[1].renders, ["web (prod)"]);
    }
}
