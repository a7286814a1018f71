//! clustersec: a line- and column-accurate security scanner for Kubernetes manifests.
//!
//! The library entry point is [`pipeline`]: [`pipeline::Settings::resolve`] turns flags and the
//! config into settings, [`pipeline::run`] scans what they name into a complete
//! [`report::Report`], and [`pipeline::scan_texts`] scans texts held in memory.
//!
//! The layers, what each owns and what may import what are described in `ARCHITECTURE.md` at
//! the root of the repository: leaves (`model`, `outcome`, `mode`, `report::escape`), findings
//! and rules, the engine, inputs (`discover`, `render`), mapping (`sourcemap`), the scan, the
//! reports, the pipeline, and the application (`app`, `cli`, `config`). A module imports only
//! its own layer and the layers below it.

// House rules (Cargo.toml `[lints]`): no unwrap/expect/indexing outside tests.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

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
pub mod mode;
pub mod outcome;
pub mod pipeline;
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

// Baselines and diff bases (new and existing findings), and the config file's schema.
pub mod baseline;
pub mod config_schema;
pub mod gitdiff;

#[cfg(test)]
mod test_files;
