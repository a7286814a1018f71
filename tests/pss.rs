//! Pod Security Standards profiles: each level at every policy version the data knows judges the
//! fixtures in `fixtures/pss/` as Pod Security Admission would (admitted: zero findings;
//! rejected: at least one finding on every object).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use clustersec::engine::Engine;
use clustersec::finding::Finding;
use clustersec::rules::data::pss::{Level, PssVersion, NEWEST};

fn fixture(name: &str) -> (String, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/pss")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    (format!("fixtures/pss/{name}"), text)
}

fn versions() -> Vec<PssVersion> {
    let mut v: Vec<PssVersion> = (0..=NEWEST).map(PssVersion::Minor).collect();
    v.push(PssVersion::Latest);
    v.push(PssVersion::Minor(NEWEST + 5));
    v
}

fn scan(name: &str, level: Option<Level>, version: PssVersion) -> (usize, Vec<Finding>) {
    let (path, text) = fixture(name);
    let engine = Engine::with_profile(&BTreeMap::new(), level)
        .expect("engine")
        .with_pss_version(version);
    let (report, findings) = engine.scan_text(&path, &text);
    (report.objects, findings)
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f.span.start.line, f.span.start.col, f.rule, f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every object of the file has at least one finding.
fn every_object_rejected(name: &str, level: Level, version: PssVersion) {
    let (objects, findings) = scan(name, Some(level), version);
    let hit: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.object.as_ref().map(|o| o.display()))
        .collect();
    assert_eq!(
        hit.len(),
        objects,
        "{name} at {} {version}: some objects got no finding:\n{}",
        level.as_str(),
        describe(&findings)
    );
}

#[test]
fn admitted_fixtures_get_no_findings_at_every_version() {
    for version in versions() {
        for (name, levels) in [
            (
                "restricted-pass.yaml",
                &[Level::Baseline, Level::Restricted][..],
            ),
            ("baseline-pass.yaml", &[Level::Baseline][..]),
        ] {
            for level in levels {
                let (_, findings) = scan(name, Some(*level), version);
                assert!(
                    findings.is_empty(),
                    "{name} at {} {version}:\n{}",
                    level.as_str(),
                    describe(&findings)
                );
            }
        }
    }
}

#[test]
fn rejected_fixtures_get_a_finding_on_every_object_at_every_version() {
    for version in versions() {
        every_object_rejected("baseline-pass.yaml", Level::Restricted, version);
        every_object_rejected("baseline-fail.yaml", Level::Baseline, version);
        every_object_rejected("baseline-fail.yaml", Level::Restricted, version);
    }
}

#[test]
fn profile_findings_are_pss_or_integrity_only() {
    let (_, findings) = scan(
        "baseline-fail.yaml",
        Some(Level::Restricted),
        PssVersion::Latest,
    );
    assert!(!findings.is_empty());
    for f in &findings {
        assert!(f.rule.starts_with("PSS_"), "{}", describe(&[f.clone()]));
        assert!(
            f.message.contains("(Pod Security Standards "),
            "{}",
            f.message
        );
    }
}

#[test]
fn the_default_rule_set_never_passes_a_baseline_violation() {
    let (objects, findings) = scan("baseline-fail.yaml", None, PssVersion::Latest);
    let hit: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.object.as_ref().map(|o| o.display()))
        .collect();
    assert_eq!(hit.len(), objects, "{}", describe(&findings));
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    for id in [
        "PSS_HOST_NAMESPACES",
        "PSS_HOST_PATH_VOLUMES",
        "PSS_CAPABILITIES_BASELINE",
    ] {
        assert!(rules.contains(id), "{id} missing: {rules:?}");
    }
}

#[test]
fn a_field_is_never_reported_twice_at_one_place() {
    for level in [None, Some(Level::Baseline), Some(Level::Restricted)] {
        for name in ["baseline-fail.yaml", "baseline-pass.yaml"] {
            let (_, findings) = scan(name, level, PssVersion::Latest);
            let mut seen = BTreeSet::new();
            for f in &findings {
                if let Some(field) = &f.field {
                    assert!(
                        seen.insert((f.span.start, f.span.end, field.clone())),
                        "{name}: {field} reported twice:\n{}",
                        describe(&findings)
                    );
                }
            }
        }
    }
}

#[test]
fn the_control_set_changes_with_the_version() {
    // Restricted at v1.21 has no capabilities control (capabilities_restricted starts at 1.22,
    // and the baseline one is replaced at restricted): PSA admits SYS_ADMIN there.
    let (_, at_21) = scan(
        "baseline-fail.yaml",
        Some(Level::Restricted),
        PssVersion::Minor(21),
    );
    assert!(!at_21.iter().any(|f| f.rule.starts_with("PSS_CAPABILITIES")));
    let (_, at_22) = scan(
        "baseline-fail.yaml",
        Some(Level::Restricted),
        PssVersion::Minor(22),
    );
    assert!(at_22
        .iter()
        .any(|f| f.rule == "PSS_CAPABILITIES_RESTRICTED"));
}
