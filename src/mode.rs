//! The render mode (`--helm`, `--kustomize`, the config's `helm:` and `kustomize:`): a leaf type
//! that the CLI, the config and the renderer share, so that neither the CLI nor the config has
//! to depend on `render/`.

/// When to render: `auto` renders when the tool is on PATH, `always` fails clearly without it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenderMode {
    #[default]
    Auto,
    Always,
    Never,
}
