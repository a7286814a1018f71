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
}

impl Templates {
    /// Templates read only from inside `roots` (canonical directories, see
    /// [`crate::safepath::canonical_roots`]).
    pub fn new(roots: Vec<PathBuf>) -> Templates {
        Templates {
            values: crate::valuetrace::ValuesCache::new(roots.clone()),
            roots,
            ..Templates::default()
        }
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
