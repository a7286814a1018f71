//! Guard rails on the rule registry: every rule file is registered, a rule has a file of its
//! own unless it belongs to a family folder, ids are unique, every rule has its docs sections and
//! its fixtures.

use std::collections::BTreeSet;

use crate::registry_layout::{layout_problems, rule_files_on_disk};
use crate::support::root;
use clustersec::rules::Registry;

fn registry() -> Registry {
    Registry::builtin()
}

#[test]
fn every_rule_file_is_registered() {
    let mut declared = Vec::new();
    for r in &registry() {
        declared.push((r.meta().id.to_string(), r.meta().source_file.to_string()));
    }
    let mut on_disk = Vec::new();
    rule_files_on_disk(&root().join("src/rules"), "", &mut on_disk);
    assert!(!on_disk.is_empty(), "no rule files under src/rules/");
    let problems = layout_problems(&declared, &on_disk);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn ids_and_names_are_unique() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
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
