//! Discovery: from the paths on the command line to the files to scan.
//!
//! Directories are walked with the `ignore` crate (`.gitignore`, `.ignore` and hidden paths are
//! skipped unless `--no-ignore`); files named on the command line are scanned whatever their
//! extension. Symlinks are never followed out of the scan root, and files under a Helm chart's
//! `templates/` are counted as templates, not parsed as YAML.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::engine::{FileReport, FileStatus};

/// Extensions scanned when walking a directory.
pub const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Walk hidden and ignored paths too.
    pub no_ignore: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
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
}

/// A directory found while walking.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dir {
    pub path: PathBuf,
    /// Relative to the working directory, `/`-separated.
    pub display: String,
}

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

/// Whether a path lies under a Helm chart's `templates/` directory (within `root`).
fn in_chart_templates(path: &Path, root: &Path, cache: &mut HashMap<PathBuf, bool>) -> bool {
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

/// Finds the files to scan under `paths`.
pub fn discover(paths: &[PathBuf], opts: &Options) -> Result<Discovery, String> {
    let include = globset(&opts.include, "include")?;
    let exclude = globset(&opts.exclude, "exclude")?;
    let cwd = std::env::current_dir().ok();
    let mut out = Discovery::default();
    let mut chart_cache = HashMap::new();
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
            out.candidates.push(Candidate {
                input: Input::Path(root.clone()),
                display: display_path(root, cwd.as_deref()),
                size: meta.len(),
            });
            continue;
        }
        let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
        let walker = ignore::WalkBuilder::new(root)
            .hidden(!opts.no_ignore)
            .git_ignore(!opts.no_ignore)
            .git_global(!opts.no_ignore)
            .git_exclude(!opts.no_ignore)
            .ignore(!opts.no_ignore)
            .parents(!opts.no_ignore)
            .require_git(false)
            .follow_links(false)
            .sort_by_file_path(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // An unreadable directory or a broken ignore file: say so, go on.
                    let (path, msg) = match &e {
                        ignore::Error::WithPath { path, err } => {
                            (display_path(path, cwd.as_deref()), err.to_string())
                        }
                        other => (display_path(root, cwd.as_deref()), other.to_string()),
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
            let file_type = entry.file_type();
            // A chart or kustomization whose marker file is excluded is not rendered either.
            let marker_excluded = || {
                let rel = path.strip_prefix(root).unwrap_or(path);
                let display = display_path(path, cwd.as_deref());
                exclude
                    .as_ref()
                    .is_some_and(|set| set.is_match(rel) || set.is_match(&display))
            };
            if !is_symlink && file_type.is_some_and(|t| t.is_file()) && !marker_excluded() {
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let dir = path.parent().unwrap_or(root);
                let found = Dir {
                    path: dir.to_path_buf(),
                    display: display_path(dir, cwd.as_deref()),
                };
                if name == "Chart.yaml" {
                    out.charts.push(found);
                } else if KUSTOMIZATION_NAMES.contains(&name) {
                    out.kustomizations.push(found);
                }
            }
            if !is_symlink && !file_type.is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap_or(path);
            let display = display_path(path, cwd.as_deref());
            let included = match &include {
                Some(set) => set.is_match(rel) || set.is_match(&display),
                None => has_extension(path),
            };
            if !included {
                continue;
            }
            if exclude
                .as_ref()
                .is_some_and(|set| set.is_match(rel) || set.is_match(&display))
            {
                continue;
            }
            if is_symlink {
                match std::fs::canonicalize(path) {
                    Ok(target) if target.starts_with(&canonical_root) && target.is_file() => {}
                    Ok(target) if target.is_dir() => continue,
                    Ok(_) => {
                        out.skipped.push(FileReport::new(
                            &display,
                            FileStatus::NotScanned(
                                "symlink to a file outside the scan root (not followed)".into(),
                            ),
                            0,
                        ));
                        continue;
                    }
                    Err(e) => {
                        out.skipped.push(FileReport::new(
                            &display,
                            FileStatus::NotScanned(format!("broken symlink: {e}")),
                            0,
                        ));
                        continue;
                    }
                }
            }
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if in_chart_templates(path, root, &mut chart_cache) {
                out.skipped
                    .push(FileReport::new(&display, FileStatus::Template, size));
                continue;
            }
            out.candidates.push(Candidate {
                input: Input::Path(path.to_path_buf()),
                display,
                size,
            });
        }
    }
    // The same file named twice (e.g. `. ./k8s`) is scanned once.
    let mut seen = std::collections::HashSet::new();
    out.candidates.retain(|c| seen.insert(c.display.clone()));
    for dirs in [&mut out.charts, &mut out.kustomizations] {
        dirs.sort();
        dirs.dedup();
    }
    Ok(out)
}
