//! clustersec: a line- and column-accurate security scanner for Kubernetes manifests.

#[macro_use]
pub mod rules;

pub mod finding;
pub mod kube_version;
pub mod model;

/// Where the project lives (SARIF `informationUri`, rule help links).
pub const REPOSITORY: &str = "https://github.com/clustersec/clustersec";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod app;
pub mod cli;
pub mod config;
pub mod config_diff;
pub mod discover;
pub mod docs;
pub mod engine;
pub mod error;
pub mod init;
pub mod kpatch;
pub mod policy;
pub mod registry;
pub mod render;
pub mod report;
pub mod safepath;
pub mod scan;
pub mod shard;
pub mod sourcemap;
pub mod suppress;
pub mod termdoc;
pub mod valuetrace;
