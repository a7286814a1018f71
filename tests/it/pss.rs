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
        assert!(
            f.rule.starts_with("PSS_"),
            "{}",
            describe(std::slice::from_ref(f))
        );
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
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
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

fn cli(args: &[&str]) -> std::process::Output {
    assert_cmd::Command::cargo_bin("clustersec")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run")
}

#[test]
fn json_and_sarif_carry_the_level_and_version() {
    let out = cli(&[
        "scan",
        "fixtures/pss/restricted-pass.yaml",
        "fixtures/pss/baseline-pass.yaml",
        "fixtures/pss/baseline-fail.yaml",
        "--pss-version",
        "v1.30",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let pss = &json["podSecurity"];
    assert_eq!(pss["version"], "v1.30");
    // restricted-pass: 3 restricted; baseline-pass: 3 baseline; baseline-fail: 6 privileged.
    assert_eq!(
        (&pss["restricted"], &pss["baseline"], &pss["privileged"]),
        (&3.into(), &3.into(), &6.into()),
        "{pss}"
    );
    let levels: BTreeSet<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["ruleId"].as_str().is_some_and(|r| r.starts_with("PSS_")))
        .filter_map(|f| f["pssLevel"].as_str())
        .collect();
    assert_eq!(levels, BTreeSet::from(["baseline"]));

    let out = cli(&[
        "scan",
        "fixtures/pss/baseline-pass.yaml",
        "--profile",
        "restricted",
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["podSecurity"]["profile"], "restricted");
    assert_eq!(
        run["properties"]["podSecurity"]["version"],
        format!("v1.{NEWEST}")
    );
    for r in run["results"].as_array().expect("results") {
        assert_eq!(r["properties"]["pssLevel"], "restricted", "{r}");
        assert_eq!(r["properties"]["pssVersion"], format!("v1.{NEWEST}"));
    }
}

#[test]
fn the_text_summary_counts_workloads_by_level() {
    let out = cli(&["scan", "fixtures/pss/restricted-pass.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "Pod Security Standards v1.{NEWEST}: 3 of 3 workloads admitted at restricted, 0 at \
             baseline, 0 only at privileged."
        )),
        "{text}"
    );
}

#[test]
fn bad_levels_and_versions_exit_2() {
    for args in [
        &["--profile", "strict"][..],
        &["--profile", "privileged"][..],
        &["--pss-version", "1.30"][..],
        &["--pss-version", "v1.030"][..],
    ] {
        let mut all = vec!["scan", "fixtures/pss"];
        all.extend_from_slice(args);
        let out = cli(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("Pod Security Standards"));
    }
    // A version newer than the data knows is judged as the newest, with a notice.
    let out = cli(&[
        "scan",
        "fixtures/pss/restricted-pass.yaml",
        "--profile",
        "restricted",
        "--pss-version",
        "v1.99",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer than the newest"));
}

#[test]
fn the_config_sets_profile_and_version_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, text) = fixture("baseline-pass.yaml");
    std::fs::write(dir.path().join("app.yaml"), text).expect("write");
    let run = |config: &str| {
        std::fs::write(dir.path().join(".clustersec.yaml"), config).expect("write");
        assert_cmd::Command::cargo_bin("clustersec")
            .expect("binary")
            .current_dir(dir.path())
            .args(["scan", ".", "--format", "json"])
            .output()
            .expect("run")
    };
    let out = run("profile: restricted\npss-version: v1.24\n");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["podSecurity"]["profile"], "restricted");
    assert_eq!(json["podSecurity"]["version"], "v1.24");
    assert!(json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["ruleId"].as_str().is_some_and(|r| r.starts_with("PSS_"))));
    for bad in [
        "profile: strict\n",
        "pss-version: 1.3\n",
        "pss-version: v2.0\n",
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(".clustersec.yaml:1:"), "{bad}: {err}");
    }
}

#[test]
fn labelled_namespaces_set_the_level_of_their_workloads_unless_a_profile_is_given() {
    let out = cli(&["scan", "fixtures/pss/namespaces", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules_in = |key: &str, ns: &str| -> BTreeSet<String> {
        json[key]
            .as_array()
            .expect("list")
            .iter()
            .filter(|f| f["object"]["namespace"] == ns)
            .filter_map(|f| f["ruleId"].as_str())
            .filter(|r| r.starts_with("PSS_"))
            .map(str::to_string)
            .collect()
    };
    let restricted: BTreeSet<String> = [
        "PSS_CAPABILITIES_RESTRICTED",
        "PSS_RUN_AS_NON_ROOT",
        "PSS_SECCOMP_RESTRICTED",
    ]
    .map(String::from)
    .into();
    // `locked` enforces restricted v1.24: failing findings, at that version.
    assert_eq!(rules_in("findings", "locked"), restricted);
    assert!(json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["object"]["namespace"] == "locked" && f["ruleId"] == "PSS_RUN_AS_NON_ROOT")
        .all(|f| f["message"].as_str().is_some_and(|m| m.contains("v1.24"))));
    // `watched` enforces baseline (passes) and warns at restricted: shown, suppressed.
    assert!(rules_in("findings", "watched").is_empty());
    assert_eq!(rules_in("suppressed", "watched"), restricted);
    // The typo namespace: label findings at their lines.
    let labels: Vec<u64> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["ruleId"] == "PSS_NAMESPACE_LABELS")
        .filter_map(|f| f["region"]["startLine"].as_u64())
        .collect();
    assert_eq!(labels, [22, 23]);

    // --profile wins over the labels.
    let out = cli(&[
        "scan",
        "fixtures/pss/namespaces",
        "--profile",
        "baseline",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["ruleId"] == "PSS_NAMESPACE_LABELS"));
    assert!(json["suppressed"]
        .as_array()
        .expect("suppressed")
        .is_empty());
}

#[test]
fn explain_prints_a_controls_history() {
    let out = cli(&["explain", "PSS_SYSCTLS"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "## Pod Security Standards history",
        "check: `sysctls`",
        "- v1.27: net.ipv4.ip_local_reserved_ports is safe",
        "- v1.32: net.ipv4.tcp_rmem and net.ipv4.tcp_wmem are safe",
    ] {
        assert!(text.contains(needle), "{needle}\n{text}");
    }
    let text = String::from_utf8_lossy(&cli(&["explain", "PSS_HOST_PROBES"]).stdout).to_string();
    assert!(
        text.contains("before v1.34: the control does not exist"),
        "{text}"
    );
}
