//! The layout of `src/rules/` that the registry guard (`registry`) checks: a rule is declared in
//! a file of its own directly in `src/rules/`, or in a family folder `src/rules/FAMILY/` whose
//! files may each declare several rules (a family built from a table lives in
//! `src/rules/FAMILY/mod.rs`). Kept apart from `registry` so that the rules can be tested on
//! made-up layouts.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Folders of `src/rules/` that hold helpers, not rules.
const HELPER_DIRS: &[&str] = &["data"];

/// Files of `src/rules/` (or of a family folder) that declare no rule of their own.
const HELPER_FILES: &[&str] = &["mod.rs", "support.rs"];

/// `.../src/rules/pss/host.rs` -> `pss/host.rs`, whatever the separators `file!()` used; `None`
/// for a file outside `src/rules/`.
pub(crate) fn rules_relative(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    let at = path.rfind("src/rules/")?;
    let rel = &path[at + "src/rules/".len()..];
    (!rel.is_empty()).then(|| rel.to_string())
}

/// The `.rs` files under `src/rules/`, relative to it, helpers left out.
pub(crate) fn rule_files_on_disk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("src/rules") {
        let entry = entry.expect("dir entry");
        let name = entry.file_name().to_string_lossy().to_string();
        let rel = format!("{prefix}{name}");
        if entry.file_type().expect("file type").is_dir() {
            if !(prefix.is_empty() && HELPER_DIRS.contains(&name.as_str())) {
                rule_files_on_disk(&entry.path(), &format!("{rel}/"), out);
            }
        } else if name.ends_with(".rs") && !HELPER_FILES.contains(&name.as_str()) {
            out.push(rel);
        }
    }
}

/// What is wrong with the layout of the rules: `declared` holds each rule's id and source file,
/// `on_disk` the rule files (as [`rule_files_on_disk`] lists them).
///
/// A rule is declared either in a file of its own directly in `src/rules/`, or in a family
/// folder `src/rules/FAMILY/`, whose files may each declare several rules (a family's rules
/// built from a table live in `src/rules/FAMILY/mod.rs`). Every rule file on disk declares at
/// least one registered rule, so a rule file left out of `registry()` is caught.
pub(crate) fn layout_problems(declared: &[(String, String)], on_disk: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut per_file: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (id, source) in declared {
        match rules_relative(source) {
            Some(rel) => per_file.entry(rel).or_default().push(id),
            None => problems.push(format!(
                "{id}: source file {source} is not under src/rules/"
            )),
        }
    }
    for (file, ids) in &per_file {
        let in_family = file.contains('/');
        if in_family
            && HELPER_DIRS
                .iter()
                .any(|d| file.starts_with(&format!("{d}/")))
        {
            problems.push(format!(
                "{}: declared in src/rules/{file}, a folder of helpers, not a rule family",
                ids.join(", ")
            ));
        }
        if !in_family && ids.len() > 1 {
            problems.push(format!(
                "two rules in src/rules/{file} ({}): one rule a file, or a family in a folder \
                 src/rules/FAMILY/",
                ids.join(", ")
            ));
        }
    }
    for file in on_disk {
        if !per_file.contains_key(file) {
            problems.push(format!(
                "src/rules/{file} declares no rule in registry() (src/rules/mod.rs)"
            ));
        }
    }
    problems
}

#[test]
fn a_family_folder_may_declare_several_rules_a_single_file_one() {
    let rule = |id: &str, file: &str| (id.to_string(), format!("src/rules/{file}"));
    let files = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

    // One rule a file; a family folder with a table-built family in mod.rs and a file of two.
    let declared = vec![
        rule("A_ONE", "one.rs"),
        rule("FAM_X", "fam/mod.rs"),
        rule("FAM_Y", "fam/mod.rs"),
        rule("FAM_Z", "fam/mod.rs"),
        rule("FAM_HOST_A", "fam/host.rs"),
        rule("FAM_HOST_B", "fam/host.rs"),
        (
            "WIN".to_string(),
            "C:\\src\\clustersec\\src\\rules\\win.rs".to_string(),
        ),
    ];
    let problems = layout_problems(&declared, &files(&["one.rs", "fam/host.rs", "win.rs"]));
    assert!(problems.is_empty(), "{problems:?}");

    // Two rules in a top-level file, a rule file that is not registered, a rule declared
    // outside src/rules/ or among the helpers.
    let declared = vec![
        rule("A_ONE", "one.rs"),
        rule("A_TWO", "one.rs"),
        rule("HELPER", "data/pss.rs"),
        ("ELSEWHERE".to_string(), "src/engine.rs".to_string()),
    ];
    let problems = layout_problems(&declared, &files(&["one.rs", "fam/forgotten.rs"]));
    let expect = [
        "two rules in src/rules/one.rs (A_ONE, A_TWO)",
        "src/rules/fam/forgotten.rs declares no rule",
        "HELPER: declared in src/rules/data/pss.rs",
        "ELSEWHERE: source file src/engine.rs is not under src/rules/",
    ];
    for e in expect {
        assert!(problems.iter().any(|p| p.contains(e)), "{e}: {problems:?}");
    }
    assert_eq!(problems.len(), expect.len(), "{problems:?}");
}
