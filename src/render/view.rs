//! The view of a chart that helm renders: a copy of the chart's own files in a temporary
//! directory, so that `.Files.Get`, `.Files.Glob` and `.Files.AsSecrets` can reach nothing else.
//!
//! - Version-control directories (`.git`, `.hg`, `.svn`...) are left out at every depth: a chart
//!   at the repository root would otherwise hand `.git/config` (where `actions/checkout` keeps
//!   its token) to its templates.
//! - A symlink whose target is inside the chart (and not in a version-control directory) becomes
//!   a copy of its target; any other symlink is left out, with a finding. Nothing above the chart
//!   is copied, so `.Files.Get "../x"` finds nothing.
//! - Only regular files and directories are copied (a FIFO would hang the copy or helm).
//! - The copy is bounded ([`MAX_FILES`], [`MAX_BYTES`]): a chart past either is not rendered.
//!
//! `.helmignore` is copied like any file: helm applies it itself when it loads the view.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use crate::safepath::{in_vcs_dir, VCS_DIRS};

/// At most this many files and directories in one view.
pub const MAX_FILES: usize = 20_000;
/// At most this many bytes in one view.
pub const MAX_BYTES: u64 = 256 << 20;
/// Directories nested deeper than this are not copied (symlinked directory loops).
const MAX_DEPTH: usize = 64;

/// A chart's view, ready to render.
#[derive(Debug)]
pub struct View {
    /// The copy of the chart, canonical.
    pub dir: PathBuf,
    /// Entries left out and why: (path in the real chart, reason).
    pub left_out: Vec<(PathBuf, String)>,
}

/// Copies `chart` into `dest` (created; its name is the chart directory's name, which helm does
/// not use: the chart's name comes from Chart.yaml).
pub fn build(chart: &Path, dest_parent: &Path) -> Result<View, String> {
    let real = std::fs::canonicalize(chart).map_err(|e| format!("cannot read the chart: {e}"))?;
    let name = real
        .file_name()
        .map_or_else(|| "chart".into(), |n| n.to_os_string());
    let dest = dest_parent.join(name);
    std::fs::create_dir_all(&dest).map_err(|e| format!("cannot create the chart's copy: {e}"))?;
    let mut copy = Copy {
        chart: real.clone(),
        files: 0,
        bytes: 0,
        left_out: Vec::new(),
    };
    let mut stack = BTreeSet::new();
    copy.dir(chart, &real, &dest, 0, &mut stack)?;
    let dir = std::fs::canonicalize(&dest).map_err(|e| format!("cannot read the copy: {e}"))?;
    Ok(View {
        dir,
        left_out: copy.left_out,
    })
}

struct Copy {
    chart: PathBuf,
    files: usize,
    bytes: u64,
    left_out: Vec<(PathBuf, String)>,
}

impl Copy {
    fn count(&mut self) -> Result<(), String> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(format!(
                "the chart has more than {MAX_FILES} files and directories (clustersec copies a \
                 chart before rendering it, and bounds the copy)"
            ));
        }
        Ok(())
    }

    /// Copies the directory `shown` (its path as the chart shows it) whose real location is
    /// `real` (canonical) into `dest`.
    fn dir(
        &mut self,
        shown: &Path,
        real: &Path,
        dest: &Path,
        depth: usize,
        stack: &mut BTreeSet<PathBuf>,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH || !stack.insert(real.to_path_buf()) {
            self.left_out.push((
                shown.to_path_buf(),
                "a directory that contains itself through symlinks".to_string(),
            ));
            return Ok(());
        }
        let entries =
            std::fs::read_dir(real).map_err(|e| format!("cannot read {}: {e}", shown.display()))?;
        let mut names: Vec<std::ffi::OsString> = entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for name in names {
            if name.to_str().is_some_and(|n| VCS_DIRS.contains(&n)) {
                continue;
            }
            let shown_path = shown.join(&name);
            let real_path = real.join(&name);
            let to = dest.join(&name);
            let Ok(meta) = std::fs::symlink_metadata(&real_path) else {
                continue;
            };
            let (target, meta) = if meta.file_type().is_symlink() {
                match self.link_target(&real_path) {
                    Ok(t) => match std::fs::metadata(&t) {
                        Ok(m) => (t, m),
                        Err(_) => continue,
                    },
                    Err(why) => {
                        self.left_out.push((shown_path, why));
                        continue;
                    }
                }
            } else {
                (real_path, meta)
            };
            self.count()?;
            if meta.is_dir() {
                std::fs::create_dir_all(&to)
                    .map_err(|e| format!("cannot create the chart's copy: {e}"))?;
                self.dir(&shown_path, &target, &to, depth + 1, stack)?;
            } else if meta.is_file() {
                self.file(&shown_path, &target, &to)?;
            } else {
                self.left_out.push((
                    shown_path,
                    "neither a regular file nor a directory".to_string(),
                ));
            }
        }
        stack.remove(real);
        Ok(())
    }

    /// Where a symlink leads, if it may be followed: inside the chart, outside any
    /// version-control directory.
    fn link_target(&self, link: &Path) -> Result<PathBuf, String> {
        let target = std::fs::canonicalize(link)
            .map_err(|_| "a symlink whose target does not exist".to_string())?;
        match target.strip_prefix(&self.chart) {
            Ok(rel) if !in_vcs_dir(rel) => Ok(target),
            Ok(_) => Err("a symlink into a version-control directory".to_string()),
            Err(_) => Err("a symlink that leads outside the chart".to_string()),
        }
    }

    fn file(&mut self, shown: &Path, real: &Path, to: &Path) -> Result<(), String> {
        let left = MAX_BYTES.saturating_sub(self.bytes);
        let src = std::fs::File::open(real)
            .map_err(|e| format!("cannot read {}: {e}", shown.display()))?;
        let mut out = std::fs::File::create(to)
            .map_err(|e| format!("cannot create the chart's copy: {e}"))?;
        let n = std::io::copy(&mut src.take(left.saturating_add(1)), &mut out)
            .map_err(|e| format!("cannot copy {}: {e}", shown.display()))?;
        self.bytes = self.bytes.saturating_add(n);
        if n > left {
            return Err(format!(
                "the chart's files exceed {} MiB (clustersec copies a chart before rendering it, \
                 and bounds the copy)",
                MAX_BYTES >> 20
            ));
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_view_holds_the_chart_only() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside.txt");
        std::fs::write(&outside, "secret").unwrap();
        let chart = d.path().join("repo");
        std::fs::create_dir_all(chart.join(".git")).unwrap();
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::create_dir_all(chart.join("charts/sub/.hg")).unwrap();
        std::fs::write(chart.join(".git/config"), "token").unwrap();
        std::fs::write(chart.join("charts/sub/.hg/hgrc"), "x").unwrap();
        std::fs::write(chart.join("charts/sub/Chart.yaml"), "name: sub").unwrap();
        std::fs::write(chart.join("Chart.yaml"), "name: web").unwrap();
        std::fs::write(chart.join("templates/a.yaml"), "a").unwrap();
        std::os::unix::fs::symlink(&outside, chart.join("out")).unwrap();
        std::os::unix::fs::symlink(chart.join(".git/config"), chart.join("git")).unwrap();
        std::os::unix::fs::symlink("templates/a.yaml", chart.join("inside")).unwrap();
        std::os::unix::fs::symlink("templates", chart.join("tpl")).unwrap();
        std::os::unix::fs::symlink(".", chart.join("templates/loop")).unwrap();
        let dest = tempfile::tempdir().unwrap();
        let view = build(&chart, dest.path()).unwrap();
        let mut files = Vec::new();
        for e in ignore::WalkBuilder::new(&view.dir)
            .hidden(false)
            .ignore(false)
            .git_ignore(false)
            .build()
            .flatten()
        {
            let rel = e.path().strip_prefix(&view.dir).unwrap();
            assert!(!e.path_is_symlink(), "{rel:?}");
            if e.path().is_file() {
                files.push(rel.to_string_lossy().into_owned());
            }
        }
        files.sort();
        assert_eq!(
            files,
            [
                "Chart.yaml",
                "charts/sub/Chart.yaml",
                "inside",
                "templates/a.yaml",
                "tpl/a.yaml"
            ]
        );
        let left: Vec<String> = view
            .left_out
            .iter()
            .map(|(p, why)| format!("{}: {why}", p.strip_prefix(&chart).unwrap().display()))
            .collect();
        assert!(
            left.contains(&"git: a symlink into a version-control directory".to_string()),
            "{left:?}"
        );
        assert!(
            left.contains(&"out: a symlink that leads outside the chart".to_string()),
            "{left:?}"
        );
    }
}
