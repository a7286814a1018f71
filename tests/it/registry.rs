//! Guard rails on the rule registry: every rule file is registered, ids are unique, every rule
//! has its docs sections and its fixtures.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use clustersec::rules::Registry;

fn registry() -> Registry {
    Registry::builtin()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `src/rules/foo.rs` -> `foo.rs`, whatever the separators `file!()` used.
fn file_name(path: &str) -> String {
    Path::new(&path.replace('\\', "/"))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string()
}

#[test]
fn every_rule_file_is_registered() {
    let registered: BTreeSet<String> = registry()
        .iter()
        .map(|r| file_name(r.meta().source_file))
        .collect();
    let mut missing = Vec::new();
    for entry in fs::read_dir(root().join("src/rules")).expect("src/rules") {
        let name = entry
            .expect("dir entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if !name.ends_with(".rs") || name == "mod.rs" || name == "support.rs" {
            continue;
        }
        if !registered.contains(&name) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "rule files not in registry() (src/rules/mod.rs): {missing:?}"
    );
    for r in &registry() {
        let f = r.meta().source_file.replace('\\', "/");
        assert!(
            f.ends_with(&format!("src/rules/{}", file_name(&f))),
            "{}: source_file {f} is not under src/rules/",
            r.meta().id
        );
    }
}

#[test]
fn ids_and_names_are_unique() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut files = BTreeSet::new();
    for r in &registry() {
        let m = r.meta();
        assert!(ids.insert(m.id.clone()), "duplicate rule id {}", m.id);
        assert!(
            names.insert(m.name.clone()),
            "duplicate short name {} ({})",
            m.name,
            m.id
        );
        assert!(
            files.insert(file_name(m.source_file)),
            "two rules in {}",
            m.source_file
        );
        assert!(
            m.id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "rule id {} is not UPPER_SNAKE_CASE",
            m.id
        );
        assert!(!m.summary.trim().is_empty(), "{} has no summary", m.id);
    }
    // Rule ids never change once released: the original policy's nine and the input rules of
    // the first release must stay.
    for id in [
        "CUSTOM_SECURITY_USER_CHECK",
        "CUSTOM_SECURITY_GROUPS_CHECK",
        "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        "CUSTOM_SECURITY_IMAGE_PULL",
        "CUSTOM_SECURITY_DEPRECATED_CHECK",
        "CUSTOM_SECURITY_FLEX_VOLUME_CHECK",
        "CUSTOM_SECURITY_PROC_MOUNT_CHECK",
        "CLUSTERSEC_MISPLACED_FIELD",
        "CLUSTERSEC_YAML_SYNTAX",
        "CLUSTERSEC_DUPLICATE_KEY",
        "CLUSTERSEC_WRONG_TYPE",
        "CLUSTERSEC_NOT_SCANNED",
    ] {
        assert!(
            ids.contains(id),
            "released rule id {id} is gone from registry()"
        );
    }
}

#[test]
fn every_rule_has_its_docs_sections() {
    let sections = ["What it does", "Why is this bad?", "Example", "Fix"];
    let mut problems = Vec::new();
    for r in &registry() {
        let m = r.meta();
        let docs = m.docs();
        let mut last = 0;
        for s in sections {
            let heading = format!("## {s}\n");
            match docs.find(&heading) {
                None => problems.push(format!("{}: no `## {s}` section", m.id)),
                Some(i) if i < last => problems.push(format!("{}: `## {s}` is out of order", m.id)),
                Some(i) => {
                    last = i;
                    if m.section(s).is_none_or(|t| t.trim().is_empty()) {
                        problems.push(format!("{}: `## {s}` is empty", m.id));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    let mut problems = Vec::new();
    for r in &registry() {
        let id = r.meta().id.as_str();
        let dir = root().join("fixtures/rules").join(id);
        if !dir.is_dir() {
            problems.push(format!("{id}: no directory fixtures/rules/{id}/"));
            continue;
        }
        for kind in ["fail", "pass"] {
            if !dir.join(format!("{kind}.yaml")).is_file() {
                problems.push(format!("{id}: no fixtures/rules/{id}/{kind}.yaml"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
