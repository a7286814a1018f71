//! Rendering Helm charts and Kustomize overlays into manifests to scan.
//!
//! Discovery finds chart directories (Chart.yaml) and kustomizations; this module renders them
//! with the `helm` / `kubectl kustomize` (or `kustomize`) binaries when present, and reports
//! every failure as a finding with the directory's path (never a silent skip). The rendered
//! text is scanned by the engine and its findings are mapped back to the template or source
//! file the user edits (see `crate::sourcemap`).

use std::path::PathBuf;
use std::time::Duration;

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
