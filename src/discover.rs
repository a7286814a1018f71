//! Discovery: from the paths on the command line to the files to scan.
//!
//! Directories are walked with the `ignore` crate. Nothing a repository commits can hide from
//! the scan: hidden directories are walked (only version-control directories such as `.git`
//! are not), and in a git work tree every tracked file is scanned even when a `.gitignore` or
//! `.ignore` lists it (`git ls-files`, run so that nothing of the repository's own git
//! config can run a program); ignore files only leave out untracked files there. Outside a git
//! work tree (a downloaded archive), ignore files are not honoured at all. Files named on the
//! command line are scanned whatever their extension. Symlinks are never followed out of the
//! scan root, and files under a Helm chart's `templates/` are counted as templates, not parsed
//! as YAML.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::outcome::{FileReport, FileStatus};

/// Extensions scanned when walking a directory.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Also walk the untracked files that `.gitignore`/`.ignore` list (hidden directories and
    /// tracked files are always walked).
    pub no_ignore: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
    /// A text held in memory (see [`crate::pipeline::scan_texts`]).
    Memory(String),
}

/// A file to scan.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub input: Input,
    /// The path shown in reports: relative to the working directory, `/`-separated.
    pub display: String,
    pub size: u64,
}

/// The files found, and those met but not to be parsed (templates, symlinks out of the root).
#[derive(Debug, Default)]
pub struct Discovery {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<FileReport>,
    /// Helm chart directories (with a Chart.yaml), outermost first, sorted.
    pub charts: Vec<Dir>,
    /// Kustomize directories (with a kustomization.yaml, .yml or Kustomization), sorted.
    pub kustomizations: Vec<Dir>,
    /// The scan roots, canonical: the directories named on the command line and the directories
    /// of the files named there. Paths taken from scanned content are read only inside them.
    pub roots: Vec<PathBuf>,
    /// Files left out by `--exclude` (or the config's `exclude`), counted.
    pub excluded: usize,
    /// Display paths of the candidates that are a chart's own Helm inputs (its values files,
    /// `Chart.yaml`...; see [`is_chart_input_name`]) or values files a render is given: read
    /// for suppression comments and value tracing, never checked as manifests.
    pub chart_inputs: std::collections::BTreeSet<String>,
}

/// A directory found while walking.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dir {
    pub path: PathBuf,
    /// Relative to the working directory, `/`-separated.
    pub display: String,
}

/// The reason a FIFO, socket or device file is not scanned.
pub const NOT_REGULAR: &str = "not a regular file (a FIFO, socket or device): not opened";

/// File names that make a directory a kustomization.
pub const KUSTOMIZATION_NAMES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn globset(globs: &[String], what: &str) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| format!("invalid {what} glob `{g}`: {e}"))?;
        b.add(glob);
        // `vendor/**` should also match `./vendor/...` paths and `dir` the directory's files.
        if !g.contains('/') && !g.starts_with("**") {
            if let Ok(glob) = Glob::new(&format!("**/{g}")) {
                b.add(glob);
            }
        }
        // An exclude that names a directory (`vendor`, `deploy/test/`) excludes what is in it.
        let dir = g.trim_end_matches('/');
        if what == "exclude" && !dir.is_empty() && !dir.ends_with("**") {
            let mut extras = vec![format!("{dir}/**")];
            if !dir.contains('/') {
                extras.push(format!("**/{dir}/**"));
            }
            for extra in extras {
                if let Ok(glob) = Glob::new(&extra) {
                    b.add(glob);
                }
            }
        }
    }
    b.build()
        .map(Some)
        .map_err(|e| format!("invalid {what} globs: {e}"))
}

/// The path shown for a file: relative to the working directory when under it, `/`-separated.
pub fn display_path(path: &Path, cwd: Option<&Path>) -> String {
    let rel = cwd.and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => parts.push(String::new()),
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::ParentDir => parts.push("..".to_string()),
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    let s = parts.join("/");
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

fn has_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Whether `name` is that of a Helm input at a chart's root, never sent to the API server: the
/// chart's values files (`values.yaml`, `values-*.yaml`, `values.*.yaml`, `.yml` alike),
/// `Chart.yaml`, `Chart.lock` and `values.schema.json`.
pub fn is_chart_input_name(name: &str) -> bool {
    if matches!(name, "Chart.yaml" | "Chart.lock" | "values.schema.json") {
        return true;
    }
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"));
    match stem {
        Some("values") => true,
        Some(stem) => stem
            .strip_prefix("values-")
            .or_else(|| stem.strip_prefix("values."))
            .is_some_and(|rest| !rest.is_empty()),
        None => false,
    }
}

/// Whether `path` is a Helm input at the root of a chart (a directory with a `Chart.yaml`):
/// see [`is_chart_input_name`].
fn is_chart_input(path: &Path, cache: &mut HashMap<PathBuf, bool>) -> bool {
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_chart_input_name);
    if !named {
        return false;
    }
    let Some(chart) = path.parent() else {
        return false;
    };
    let chart = if chart.as_os_str().is_empty() {
        Path::new(".")
    } else {
        chart
    };
    *cache
        .entry(chart.to_path_buf())
        .or_insert_with(|| chart.join("Chart.yaml").is_file())
}

/// Whether a path lies under a Helm chart's `templates/` directory (within `root`).
fn in_chart_templates(path: &Path, root: &Path, cache: &mut HashMap<PathBuf, bool>) -> bool {
    // Only a directory named `templates`, at or below the root, can make it one: most paths
    // have none, and are not looked at further.
    let templates = std::ffi::OsStr::new("templates");
    let named = root.file_name() == Some(templates)
        || path.strip_prefix(root).is_ok_and(|rel| {
            rel.parent()
                .is_some_and(|dir| dir.components().any(|c| c.as_os_str() == templates))
        });
    if !named {
        return false;
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if !d.starts_with(root) && d != root {
            break;
        }
        if d.file_name().and_then(|n| n.to_str()) == Some("templates") {
            if let Some(chart) = d.parent() {
                let is_chart = *cache
                    .entry(chart.to_path_buf())
                    .or_insert_with(|| chart.join("Chart.yaml").is_file());
                if is_chart {
                    return true;
                }
            }
        }
        if d == root {
            break;
        }
        dir = d.parent();
    }
    false
}

/// Directories of version-control systems: never walked.
pub const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".pijul"];

fn in_vcs_dir(rel: &Path) -> bool {
    rel.components().any(|c| match c {
        Component::Normal(n) => n.to_str().is_some_and(|n| VCS_DIRS.contains(&n)),
        _ => false,
    })
}

/// The files git tracks under `dir`, relative to it; `None` when `dir` is not in a git work
/// tree or git is not available. git runs with an empty environment (no `GIT_DIR` from the
/// caller), no system or global config, and `core.fsmonitor` off: the repository's own
/// `.git/config` could otherwise name a program for git to run.
pub fn git_tracked(dir: &Path) -> Option<Vec<PathBuf>> {
    // git finds its work tree from a `.git` entry in the directory or one above it (the
    // environment is cleared: no `GIT_DIR`); without one it would only fail, after a process
    // start the scan waits for.
    let canonical = std::fs::canonicalize(dir).ok()?;
    if !canonical
        .ancestors()
        .any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
    {
        return None;
    }
    let mut cmd = git(dir);
    cmd.args(["ls-files", "-z", "--cached"])
        .stderr(std::process::Stdio::null());
    // Paths come relative to `dir`, limited to the files under it.
    let output = cmd.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let mut files = Vec::new();
    for raw in output.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let Some(rel) = bytes_to_path(raw) else {
            continue;
        };
        // Only plain relative paths below `dir`.
        if rel.components().all(|c| matches!(c, Component::Normal(_))) {
            files.push(rel);
        }
    }
    Some(files)
}

/// git in `dir`, sanitized for a repository that is scanned content: an empty environment
/// (PATH only: no `GIT_DIR` from the caller), no system or global config, no prompts, hooks,
/// fsmonitor or optional locks, C locale, quoted paths and plain diff prefixes, no pager, no
/// standard input. The one way this crate runs git (tracked files, `--diff-base`).
pub(crate) fn git(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.untrackedCache=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.quotePath=true",
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "--no-pager",
        ])
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    cmd
}

#[cfg(unix)]
fn bytes_to_path(b: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(b)))
}

#[cfg(not(unix))]
fn bytes_to_path(b: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(b).ok().map(PathBuf::from)
}

/// What the walk of one root shares with the handling of each file.
struct Walk<'a> {
    root: &'a Path,
    canonical_root: PathBuf,
    include: &'a Option<GlobSet>,
    exclude: &'a Option<GlobSet>,
    cwd: Option<&'a Path>,
    /// Told of each candidate as it is found (see [`discover_with`]).
    found: Found<'a>,
}

impl Walk<'_> {
    fn excluded(&self, path: &Path) -> bool {
        self.exclude.is_some() && self.excluded_as(path, &display_path(path, self.cwd))
    }

    /// [`Walk::excluded`], with the path's display form already made.
    fn excluded_as(&self, path: &Path, display: &str) -> bool {
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        self.exclude
            .as_ref()
            .is_some_and(|set| set.is_match(rel) || set.is_match(display))
    }

    /// Records a chart or kustomization marker file (not a symlink, not excluded).
    fn marker(&self, out: &mut Discovery, path: &Path) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name != "Chart.yaml" && !KUSTOMIZATION_NAMES.contains(&name) {
            return;
        }
        if self.excluded(path) {
            return;
        }
        let dir = path.parent().unwrap_or(self.root);
        let found = Dir {
            path: dir.to_path_buf(),
            display: display_path(dir, self.cwd),
        };
        if name == "Chart.yaml" {
            out.charts.push(found);
        } else if KUSTOMIZATION_NAMES.contains(&name) {
            out.kustomizations.push(found);
        }
    }

    /// Takes one file (or symlink) met while walking: a candidate, a skipped file, or nothing
    /// (not a manifest by its name).
    fn file(
        &self,
        out: &mut Discovery,
        path: &Path,
        is_symlink: bool,
        chart_cache: &mut HashMap<PathBuf, bool>,
        excluded: &mut std::collections::BTreeSet<String>,
    ) {
        let rel = path.strip_prefix(self.root).unwrap_or(path);
        let display = display_path(path, self.cwd);
        let included = match self.include {
            Some(set) => set.is_match(rel) || set.is_match(&display),
            None => has_extension(path),
        };
        if !included {
            return;
        }
        if self.excluded_as(path, &display) {
            excluded.insert(display);
            return;
        }
        if is_symlink {
            match std::fs::canonicalize(path) {
                Ok(target) if target.starts_with(&self.canonical_root) && target.is_file() => {}
                Ok(target) if target.is_dir() => return,
                Ok(_) => {
                    out.skipped.push(FileReport::new(
                        &display,
                        FileStatus::NotScanned(
                            "symlink to a file outside the scan root (not followed)".into(),
                        ),
                        0,
                    ));
                    return;
                }
                Err(e) => {
                    out.skipped.push(FileReport::new(
                        &display,
                        FileStatus::NotScanned(format!("broken symlink: {e}")),
                        0,
                    ));
                    return;
                }
            }
        }
        // One `lstat` for a file: its type and its size (a symlink's size is its target's).
        let size = if is_symlink {
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        } else {
            match std::fs::symlink_metadata(path) {
                Ok(m) if !m.is_file() => {
                    out.skipped.push(FileReport::new(
                        &display,
                        FileStatus::NotScanned(NOT_REGULAR.into()),
                        0,
                    ));
                    return;
                }
                Ok(m) => m.len(),
                Err(_) => 0,
            }
        };
        if in_chart_templates(path, self.root, chart_cache) {
            out.skipped
                .push(FileReport::new(&display, FileStatus::Template, size));
            return;
        }
        if is_chart_input(path, chart_cache) {
            out.chart_inputs.insert(display.clone());
        }
        let c = Candidate {
            input: Input::Path(path.to_path_buf()),
            display,
            size,
        };
        (self.found)(&c);
        out.candidates.push(c);
    }
}

/// What [`discover_with`] calls with each candidate as soon as it is found.
pub type Found<'a> = &'a (dyn Fn(&Candidate) + Sync);

/// Finds the files to scan under `paths`.
pub fn discover(paths: &[PathBuf], opts: &Options) -> Result<Discovery, String> {
    discover_with(paths, opts, &|_| {})
}

/// [`discover`], calling `found` with each candidate as soon as it is found, in discovery order,
/// so that work on the files can start while the walk goes on (a candidate found twice, under
/// two of `paths`, is passed twice; the discovery keeps it once).
pub fn discover_with(
    paths: &[PathBuf],
    opts: &Options,
    found: Found<'_>,
) -> Result<Discovery, String> {
    let include = globset(&opts.include, "include")?;
    let exclude = globset(&opts.exclude, "exclude")?;
    let cwd = std::env::current_dir().ok();
    let mut out = Discovery::default();
    let mut chart_cache = HashMap::new();
    // By display path: a file under two of `paths` counts once.
    let mut excluded = std::collections::BTreeSet::new();
    for root in paths {
        if root.as_os_str() == "-" {
            out.candidates.push(Candidate {
                input: Input::Stdin,
                display: "stdin".to_string(),
                size: 0,
            });
            continue;
        }
        let meta = std::fs::metadata(root)
            .map_err(|e| format!("cannot read `{}`: {e}", root.display()))?;
        if meta.is_file() {
            if let Some(dir) = std::fs::canonicalize(root)
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
            {
                out.roots.push(dir);
            }
            let display = display_path(root, cwd.as_deref());
            if is_chart_input(root, &mut chart_cache) {
                out.chart_inputs.insert(display.clone());
            }
            let c = Candidate {
                input: Input::Path(root.clone()),
                display,
                size: meta.len(),
            };
            found(&c);
            out.candidates.push(c);
            continue;
        }
        walk_root(
            root,
            opts,
            (&include, &exclude),
            cwd.as_deref(),
            &mut out,
            &mut chart_cache,
            &mut excluded,
            found,
        );
    }
    out.roots.sort();
    out.roots.dedup();
    out.excluded = excluded.len();
    // The same file named twice (e.g. `. ./k8s`) is scanned once.
    let mut seen = std::collections::HashSet::new();
    out.candidates.retain(|c| seen.insert(c.display.clone()));
    for dirs in [&mut out.charts, &mut out.kustomizations] {
        dirs.sort();
        dirs.dedup();
    }
    Ok(out)
}

/// Walks one directory named on the command line into `out`: its files, then the tracked files
/// an ignore file kept from the walk.
#[allow(clippy::too_many_arguments)]
fn walk_root(
    root: &Path,
    opts: &Options,
    globs: (&Option<GlobSet>, &Option<GlobSet>),
    cwd: Option<&Path>,
    out: &mut Discovery,
    chart_cache: &mut HashMap<PathBuf, bool>,
    excluded: &mut std::collections::BTreeSet<String>,
    found: Found<'_>,
) {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    out.roots.push(canonical_root.clone());
    // In a git work tree, ignore files leave out untracked files only (tracked ones are
    // added back below); elsewhere nothing says what is part of the repository, and a
    // committed ignore file could hide a manifest: they are not honoured.
    let tracked = if opts.no_ignore {
        None
    } else {
        git_tracked(root)
    };
    let honour_ignores = tracked.is_some();
    let walker = walker(root, honour_ignores);
    let walk = Walk {
        root,
        canonical_root: canonical_root.clone(),
        include: globs.0,
        exclude: globs.1,
        cwd,
        found,
    };
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // An unreadable directory or a broken ignore file: say so, go on.
                let (path, msg) = match &e {
                    ignore::Error::WithPath { path, err } => {
                        (display_path(path, cwd), err.to_string())
                    }
                    other => (display_path(root, cwd), other.to_string()),
                };
                out.skipped.push(FileReport::new(
                    &path,
                    FileStatus::NotScanned(format!("cannot read: {msg}")),
                    0,
                ));
                continue;
            }
        };
        let path = entry.path();
        let is_symlink = entry.path_is_symlink();
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        if !is_symlink && is_file {
            walk.marker(out, path);
        }
        // A FIFO, socket or device goes on to be reported (never opened); directories not.
        let is_dir = entry.file_type().is_none_or(|t| t.is_dir());
        if !is_symlink && !is_file && is_dir {
            continue;
        }
        if tracked.is_some() {
            seen.insert(path.to_path_buf());
        }
        walk.file(out, path, is_symlink, chart_cache, excluded);
    }
    // Tracked files that an ignore file kept from the walk.
    for rel in tracked.iter().flatten() {
        if in_vcs_dir(rel) {
            continue;
        }
        let path = root.join(rel);
        if seen.contains(&path) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let is_symlink = meta.file_type().is_symlink();
        if !is_symlink && !meta.is_file() {
            continue;
        }
        // Its directory must not lead out of the root through a symlink.
        if !std::fs::canonicalize(path.parent().unwrap_or(root))
            .is_ok_and(|d| d.starts_with(&canonical_root))
        {
            continue;
        }
        if !is_symlink {
            walk.marker(out, &path);
        }
        walk.file(out, &path, is_symlink, chart_cache, excluded);
    }
}

/// The walker of one scanned directory: hidden files included, VCS directories and symlinks
/// not followed, ignore files honoured only in a git work tree, in path order.
fn walker(root: &Path, honour_ignores: bool) -> ignore::Walk {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(honour_ignores)
        .git_global(honour_ignores)
        .git_exclude(honour_ignores)
        .ignore(honour_ignores)
        .parents(honour_ignores)
        .require_git(true)
        .follow_links(false)
        .filter_entry(|e| {
            !(e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| VCS_DIRS.contains(&n)))
        })
        .sort_by_file_path(|a, b| a.cmp(b))
        .build()
}
