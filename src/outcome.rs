//! Outcome types: what became of each file, and the run's counts. Discovery, rendering, the
//! engine and every report format use these; this module depends on nothing else of the crate,
//! so none of those layers has to import another to name an outcome.

use serde::Serialize;

/// What became of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum FileStatus {
    /// Read and checked (possibly with syntax errors, which are findings).
    Scanned,
    /// Valid input with no Kubernetes object in it (a workflow file, a values.yaml).
    NotKubernetes,
    /// A Helm chart template (under a chart's `templates/`), not plain YAML.
    Template,
    /// Not scanned, with the reason (too large, binary, unreadable, symlink out of the root).
    NotScanned(String),
}

/// One file's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub path: String,
    #[serde(flatten)]
    pub status: FileStatus,
    pub documents: usize,
    pub objects: usize,
    /// Size in bytes.
    pub bytes: u64,
    /// Set when the file could not be parsed in full (syntax error, invalid UTF-8...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<String>,
    /// Workload objects by the strictest Pod Security Standards level they are admitted at
    /// (`[privileged, baseline, restricted]`), at the engine's PSS version.
    #[serde(skip)]
    pub pss_levels: [usize; 3],
}

impl FileReport {
    pub fn new(path: &str, status: FileStatus, bytes: u64) -> FileReport {
        FileReport {
            path: path.to_string(),
            status,
            documents: 0,
            objects: 0,
            bytes,
            parse_error: None,
            pss_levels: [0; 3],
        }
    }
}

/// What rendering did, counted for the report's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RenderCounts {
    /// Chart directories whose every render succeeded (subcharts are part of their parent).
    pub charts_rendered: usize,
    /// Chart directories with a failed render, or not rendered because helm is missing.
    pub charts_failed: usize,
    pub kustomizations_built: usize,
    pub kustomizations_failed: usize,
}
