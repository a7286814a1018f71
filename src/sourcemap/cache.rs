//! Chart templates, Chart.yaml names and values files, read once per run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::outline::Outline;

/// Reads chart templates and Chart.yaml names once per run, shared across threads.
#[derive(Default)]
pub struct Templates {
    /// The scan roots (canonical): no file outside them is read. Empty: nothing is read.
    pub(super) roots: Vec<PathBuf>,
    pub(super) outlines: Mutex<HashMap<PathBuf, Option<Arc<Outline>>>>,
    pub(super) chart_names: Mutex<HashMap<PathBuf, Option<String>>>,
    /// The files under each chart's `templates/`, sorted, walked once per chart.
    pub(super) template_files: Mutex<HashMap<PathBuf, Arc<Vec<PathBuf>>>>,
    /// Values files, read and parsed once (see [`crate::valuetrace`]).
    pub(super) values: crate::valuetrace::ValuesCache,
    /// The chart archives under each chart's `charts/` (see [`super::archive`]), read once for
    /// every chart of the scan, when the first one is needed.
    pub(super) archives: Mutex<Option<HashMap<PathBuf, Arc<Vec<Archived>>>>>,
    /// The largest archive read (the run's max-file-size); 0 reads none.
    pub(super) max_archive: u64,
}

/// One `.tgz` under a chart's `charts/`: its files, or why they were not read.
pub(super) type Archived = (
    PathBuf,
    Result<Arc<super::archive::ChartArchive>, super::archive::Unreadable>,
);

/// A dependency packaged as `charts/NAME-1.0.0.tgz`, as the parent's output names it
/// (`PARENT/charts/SEG/templates/...`, SEG the dependency's alias or name).
pub(super) struct ArchivedChart {
    /// The archive file.
    pub(super) file: PathBuf,
    /// The directory its templates are known under: `ARCHIVE/SEG`, a path that is never a
    /// file (the archive is one), used only as a key of the outline caches.
    pub(super) dir: PathBuf,
    /// The chart's directory inside the archive (`dep` of `dep/templates/...`).
    pub(super) top: String,
}

impl Templates {
    /// Templates read only from inside `roots` (canonical directories, see
    /// [`crate::safepath::canonical_roots`]).
    pub fn new(roots: Vec<PathBuf>) -> Templates {
        Templates {
            values: crate::valuetrace::ValuesCache::new(roots.clone()),
            roots,
            max_archive: crate::engine::DEFAULT_MAX_FILE_SIZE,
            ..Templates::default()
        }
    }

    /// Chart archives larger than `bytes` (the run's max-file-size) are not read.
    pub fn with_max_file_size(mut self, bytes: u64) -> Templates {
        self.max_archive = bytes;
        self
    }

    /// The packaged dependency that a chart's output names `charts/SEG/` (its alias or name):
    /// the `.tgz` under `chart_dir/charts/` whose chart is the dependency's (by Chart.yaml name,
    /// the declared version first). Its templates are registered under `ARCHIVE/SEG/templates/`
    /// so that outlines, `define` lookups and `.Chart.Name` (SEG, as helm renders an alias)
    /// work as for a chart in the tree. `Ok(None)`: no archive of that chart; `Err`: the
    /// archive that would be it could not be read (the archive and why).
    pub(super) fn archived_chart(
        &self,
        chart_dir: &Path,
        seg: &str,
        charts: &[crate::discover::Dir],
    ) -> Result<Option<ArchivedChart>, (PathBuf, super::archive::Unreadable)> {
        let text = crate::safepath::read_confined(&chart_dir.join("Chart.yaml"), &self.roots);
        let (name, version) = text
            .as_deref()
            .and_then(|t| super::archive::dependency_of(t, seg))
            .unwrap_or_else(|| (seg.to_string(), None));
        let all = {
            let Ok(mut cache) = self.archives.lock() else {
                return Ok(None);
            };
            cache
                .get_or_insert_with(|| self.read_archives(charts, chart_dir))
                .get(chart_dir)
                .cloned()
                .unwrap_or_default()
        };
        let of_chart: Vec<(&PathBuf, &Arc<super::archive::ChartArchive>)> = all
            .iter()
            .filter_map(|(f, r)| r.as_ref().ok().map(|a| (f, a)))
            .filter(|(_, a)| a.name == name)
            .collect();
        // The declared version first (a range matches no archive exactly: the first one).
        let found = of_chart
            .iter()
            .find(|(_, a)| version.is_some() && a.version == version)
            .or(of_chart.first())
            .copied();
        let Some((file, archive)) = found else {
            // An archive that could not be read, named like the dependency (`NAME-*.tgz`).
            let prefix = format!("{name}-");
            return match all.iter().find_map(|(f, r)| {
                let named = f
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix));
                r.as_ref()
                    .err()
                    .filter(|_| named)
                    .map(|e| (f.clone(), e.clone()))
            }) {
                Some(e) => Err(e),
                None => Ok(None),
            };
        };
        let dir = file.join(seg);
        self.register(&dir, archive, seg);
        Ok(Some(ArchivedChart {
            file: file.clone(),
            dir,
            top: archive.top.clone(),
        }))
    }

    /// The archives of every chart of the scan (and `also`), in the order of the charts' paths,
    /// then of the archives' names, under one budget of decompressed bytes for the run
    /// ([`super::archive::MAX_UNPACKED_RUN`]): which archives are read does not depend on
    /// which render needs one first.
    fn read_archives(
        &self,
        charts: &[crate::discover::Dir],
        also: &Path,
    ) -> HashMap<PathBuf, Arc<Vec<Archived>>> {
        use super::archive::{archives_of, read, Unreadable, MAX_UNPACKED_RUN};
        let mut dirs: Vec<PathBuf> = charts.iter().map(|c| c.path.clone()).collect();
        dirs.push(also.to_path_buf());
        dirs.sort();
        dirs.dedup();
        let mut left = MAX_UNPACKED_RUN;
        let mut out = HashMap::new();
        for dir in dirs {
            let mut list: Vec<Archived> = Vec::new();
            for f in archives_of(&dir) {
                let r = if left == 0 {
                    Err(Unreadable::RunBudget)
                } else {
                    read(&f, &self.roots, self.max_archive, left)
                };
                if let Ok(a) = &r {
                    left = left.saturating_sub(a.unpacked);
                }
                list.push((f, r.map(Arc::new)));
            }
            out.insert(dir, Arc::new(list));
        }
        out
    }

    /// Puts an archive's templates and name in the caches under `dir` (once). The name goes in
    /// last, under the lock held throughout: a render mapped on another thread that finds it
    /// finds the templates too.
    fn register(&self, dir: &Path, archive: &super::archive::ChartArchive, name: &str) {
        let Ok(mut names) = self.chart_names.lock() else {
            return;
        };
        if names.contains_key(dir) {
            return;
        }
        let mut files = Vec::new();
        if let Ok(mut outlines) = self.outlines.lock() {
            for (rel, text) in archive
                .files
                .iter()
                .filter(|(r, _)| r.starts_with("templates/"))
            {
                let path = dir.join(rel);
                let mut o = Outline::parse(text);
                o.path = Some(path.clone());
                outlines.insert(path.clone(), Some(Arc::new(o)));
                files.push(path);
            }
        }
        files.sort();
        if let Ok(mut t) = self.template_files.lock() {
            t.insert(dir.to_path_buf(), Arc::new(files));
        }
        names.insert(dir.to_path_buf(), Some(name.to_string()));
    }

    /// The scan roots files are read from.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    pub(super) fn outline(&self, path: &Path) -> Option<Arc<Outline>> {
        if let Ok(mut cache) = self.outlines.lock() {
            return cache
                .entry(path.to_path_buf())
                .or_insert_with(|| {
                    crate::safepath::read_confined(path, &self.roots).map(|t| {
                        let mut o = Outline::parse(&t);
                        o.path = Some(path.to_path_buf());
                        Arc::new(o)
                    })
                })
                .clone();
        }
        None
    }

    /// The `name:` of a chart's Chart.yaml.
    pub(super) fn chart_name(&self, dir: &Path) -> Option<String> {
        let mut cache = self.chart_names.lock().ok()?;
        cache
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                let text = crate::safepath::read_confined(&dir.join("Chart.yaml"), &self.roots)?;
                let stream = crate::model::yaml::parse_stream(&text);
                let root = stream.documents.first()?.root.as_ref()?;
                root.get("name")?.text().map(str::to_string)
            })
            .clone()
    }

    /// All `define` blocks of a chart's templates (every file under `templates/`).
    pub(super) fn find_define(&self, chart_dir: &Path, name: &str) -> Option<Outline> {
        let files = {
            let mut cache = self.template_files.lock().ok()?;
            cache
                .entry(chart_dir.to_path_buf())
                .or_insert_with(|| {
                    let mut files = walk_files(&chart_dir.join("templates"));
                    files.sort();
                    Arc::new(files)
                })
                .clone()
        };
        for f in files.iter() {
            if let Some(o) = self.outline(f) {
                if let Some(d) = o.define_outline(name) {
                    return Some(d);
                }
            }
        }
        None
    }
}

pub(super) fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out
}
