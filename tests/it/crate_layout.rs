//! The test suite stays one crate: no test file outside `tests/it/`, every module file in it
//! declared in `main.rs` (an undeclared file is silently not compiled), snapshots next to it.

use std::collections::BTreeSet;
use std::fs;

use crate::support::root;

/// The `.rs` files directly in `dir`, by name.
fn rust_files(dir: &std::path::Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().is_file())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".rs"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_test_file_is_a_module_of_this_crate() {
    let outside = rust_files(&root().join("tests"));
    assert!(
        outside.is_empty(),
        "test files outside tests/it/ are crates of their own: move them with \
         `git mv tests/NAME.rs tests/it/NAME.rs` and add `mod NAME;` to tests/it/main.rs: {outside:?}"
    );
    let main = fs::read_to_string(root().join("tests/it/main.rs")).unwrap();
    let declared: BTreeSet<String> = main
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(|m| format!("{}.rs", m.trim()))
        .collect();
    let files: BTreeSet<String> = rust_files(&root().join("tests/it"))
        .into_iter()
        .filter(|n| n != "main.rs")
        .collect();
    let undeclared: Vec<&String> = files.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "files in tests/it/ without a `mod` line in tests/it/main.rs are not compiled: {undeclared:?}"
    );
}

#[test]
fn snapshots_live_next_to_the_crate() {
    let old = root().join("tests/snapshots");
    let left: Vec<String> = fs::read_dir(&old)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "snapshots in tests/snapshots/ are not read: move them to tests/it/snapshots/, a \
         module-prefixed one renamed NAME__X.snap -> it__NAME__X.snap: {left:?}"
    );
}
