//! The integration tests: one test crate (`cargo test --test it`), one module per subject, and
//! [`support`] for what several modules need (the binary, the package root, files written for a
//! scan, the external tools, the shared corpus).
//!
//! One crate instead of one per file: the library is linked into one test binary instead of
//! one per file, and helpers are written once.
//!
//! # Adding a test module
//!
//! 1. Write `tests/it/NAME.rs` (a module: no `fn main`, no crate-level `#![...]` attributes) and
//!    add `mod NAME;` below, in alphabetical order. A file left directly in `tests/` is a crate
//!    of its own again: move it here with `git mv tests/NAME.rs tests/it/NAME.rs`.
//! 2. Take shared helpers from `crate::support` (`use crate::support::{bin, write};`) instead of
//!    copying them; a helper a second module needs moves to `support.rs`.
//! 3. Insta snapshots of the module live in `tests/it/snapshots/`, named
//!    `it__NAME__SNAPSHOT.snap` (the module path, as insta prefixes it) unless the assertion
//!    sets `prepend_module_to_snapshot => false`. A snapshot moved here from `tests/snapshots/`
//!    is renamed with `git mv` and keeps its contents.
//! 4. Run one module with `cargo test --test it NAME::` (a test name filter), one test with
//!    `cargo test --test it NAME::TEST -- --exact`.
//!
//! `crate_layout` fails while a test file sits outside `tests/it/`, a file in it has no `mod`
//! line, or a snapshot is left in `tests/snapshots/`.
//!
//! The modules run in one process, on the harness's threads: a test must not change the
//! process's environment variables or current directory (give the child `Command` its own).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

mod adversarial;
mod api_versions;
mod bad_input;
mod baseline;
mod cli;
mod corpus;
mod crate_layout;
mod docs;
mod firstrun;
mod helm_mapping;
mod kustomize_native;
mod locations;
mod perf;
mod policy;
mod precision;
mod proptest_no_panic;
mod pss;
mod readme;
mod registry;
mod registry_layout;
mod render;
mod report;
mod report_ci;
mod rules;
mod runtime_rule;
mod scale;
mod seed;
mod ship;
mod suppress;
mod unrendered;
mod untrusted_model;
mod untrusted_paths;
mod untrusted_reader;
mod untrusted_render;
mod values;
