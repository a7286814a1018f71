//! A rule registered at run time, defined by data (not by a type), goes through every layer
//! that knows rules: config validation, selection, the engine, suppression comments, every
//! report format and `explain`; and rule selection by group (`select`/`ignore`, `--select`/
//! `--ignore`) through the binary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clustersec::config::Config;
use clustersec::engine::Engine;
use clustersec::finding::{Finding, Severity};
use clustersec::registry::data_meta;
use clustersec::report::{self, Format, Options, Report};
use clustersec::rules::{Cx, DataRule, Origin, Registry, Selection};

const ID: &str = "TEST_DATA_RULE";

/// The rule: an object labelled `danger: "yes"` is reported at the label's value.
fn registry() -> Registry {
    let mut registry = Registry::builtin();
    let meta = data_meta(
        ID,
        "test-data-rule",
        Severity::High,
        "Objects must not be labelled danger=yes",
        "## What it does\n\nReports the `danger: \"yes\"` label.\n\n## Why is this bad?\n\n\
         Danger.\n\n## Example\n\n```yaml\nmetadata:\n  labels:\n    danger: \"yes\"\n```\n\n\
         ## Fix\n\nRemove the label.\n",
        Origin::Policy {
            path: PathBuf::from("policy.yaml"),
            line: 3,
            column: 5,
        },
    );
    let rule = DataRule::new(meta, |cx: &mut Cx<'_>| {
        let label = cx
            .object
            .node
            .get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(|l| l.get("danger"));
        if let Some(v) = label.filter(|v| v.as_str() == Some("yes")) {
            let f = Finding::new(
                clustersec::rules::RuleId::new(ID),
                v.span,
                "labelled danger=yes",
            )
            .field("metadata.labels.danger");
            cx.report(f);
        }
    });
    registry.add(rule).expect("a new id and name");
    registry
}

const MANIFEST: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: loud
  labels:
    danger: \"yes\"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: quiet
  labels:
    # clustersec:ignore TEST_DATA_RULE accepted for the demo
    danger: \"yes\"
";

const PATH: &str = "cm.yaml";

/// A report the way `scan` builds one, with the run's registry.
fn report_with(engine: &Engine) -> Report {
    let (file, findings) = engine.scan_text(PATH, MANIFEST);
    let sources = BTreeMap::from([(PATH.to_string(), MANIFEST.to_string())]);
    let (findings, suppressed) =
        clustersec::suppress::apply_with(findings, &sources, engine.registry());
    Report::new(findings, vec![file], engine.enabled_rules(), sources)
        .with_registry(engine.registry_arc())
        .with_suppressed(suppressed)
}

fn engine(config: &str) -> Engine {
    let mut config =
        Config::parse_with(config, None, None, registry()).expect("the config is valid");
    let registry = config
        .registry
        .take()
        .expect("validated against the registry");
    let selection = Selection::resolve(&registry, config.select.as_deref(), &config.ignore)
        .expect("known selectors");
    Engine::from_registry(registry, &config.rule_settings(), None, &selection)
}

fn render(format: Format, report: &Report) -> String {
    let opts = Options {
        srcroot: Some(String::new()),
        ..Options::default()
    };
    let mut out = Vec::new();
    report::write(format, &mut out, report, &opts).expect("written");
    String::from_utf8(out).expect("UTF-8")
}

#[test]
fn config_validation_knows_the_rule() {
    // By id, by short name, with a severity; selected by id and by its group.
    for ok in [
        "rules:\n  TEST_DATA_RULE:\n    severity: critical\n",
        "rules:\n  test-data-rule:\n    enabled: false\n",
        "select: [TEST_DATA_RULE]\n",
        "select: [policy, seed]\nignore: [test-data-rule]\n",
    ] {
        assert!(
            Config::parse_with(ok, None, None, registry()).is_ok(),
            "{ok}"
        );
    }
    // A typo is refused, located, with a hint naming the rule.
    let (pos, message) = Config::parse_with(
        "rules:\n  TEST_DATA_RUL:\n    enabled: true\n",
        None,
        None,
        registry(),
    )
    .expect_err("a typo");
    let pos = pos.expect("located");
    assert_eq!((pos.line, pos.col), (2, 3));
    assert!(
        message.contains("unknown rule `TEST_DATA_RUL`"),
        "{message}"
    );
    assert!(
        message.contains("did you mean `TEST_DATA_RULE`"),
        "{message}"
    );
    let (pos, message) =
        Config::parse_with("select:\n  - seed\n  - polciy\n", None, None, registry())
            .expect_err("an unknown group");
    let pos = pos.expect("located");
    assert_eq!((pos.line, pos.col), (3, 5));
    assert!(message.contains("did you mean `policy`"), "{message}");
    // Params: a data rule takes none.
    let (pos, _) = Config::parse_with(
        "rules:\n  TEST_DATA_RULE:\n    params: {x: 1}\n",
        None,
        None,
        registry(),
    )
    .expect_err("no params");
    assert!(pos.is_some());
    // Without the rule registered, the same config is an unknown rule.
    assert!(Config::parse("rules:\n  TEST_DATA_RULE: {}\n").is_err());
}

#[test]
fn the_engine_runs_it_and_selection_and_config_apply() {
    let report = report_with(&engine(""));
    let ours: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == ID).collect();
    assert_eq!(ours.len(), 1, "{:?}", report.findings);
    assert_eq!((ours[0].span.start.line, ours[0].span.start.col), (6, 13));
    assert_eq!(ours[0].severity, Severity::High);
    assert!(report.rules.iter().any(|m| m.id == ID));

    let report = report_with(&engine("rules:\n  TEST_DATA_RULE:\n    severity: low\n"));
    let f = report
        .findings
        .iter()
        .find(|f| f.rule == ID)
        .expect("found");
    assert_eq!(f.severity, Severity::Low);

    // Selected alone: only it (and the scan-integrity rules) run.
    let report = report_with(&engine("select: [policy]\n"));
    assert!(report.findings.iter().all(|f| f.rule == ID));
    assert!(report.rules.iter().any(|m| m.id == ID));
    assert!(!report
        .rules
        .iter()
        .any(|m| m.id.starts_with("CUSTOM_SECURITY_")));
    // Ignored, off or deselected: it does not run.
    for config in [
        "ignore: [TEST_DATA_RULE]\n",
        "rules:\n  TEST_DATA_RULE:\n    enabled: false\n",
        "select: [seed]\n",
    ] {
        let report = report_with(&engine(config));
        assert!(!report.findings.iter().any(|f| f.rule == ID), "{config}");
        assert!(!report.rules.iter().any(|m| m.id == ID), "{config}");
    }
}

#[test]
fn an_ignore_comment_suppresses_it() {
    let report = report_with(&engine(""));
    let s: Vec<&Finding> = report.suppressed.iter().filter(|f| f.rule == ID).collect();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].span.start.line, 14);
    assert_eq!(s[0].suppression.as_deref(), Some("accepted for the demo"));
    // By short name too.
    let text = MANIFEST.replace("ignore TEST_DATA_RULE", "ignore test-data-rule");
    let registry = registry();
    let s =
        clustersec::suppress::parse_in(text.lines().nth(12).expect("the comment line"), &registry)
            .expect("a suppression");
    assert_eq!(s.rules, vec!["test-data-rule"]);
    assert_eq!(s.reason, "accepted for the demo");
}

#[test]
fn every_report_format_shows_it() {
    let report = report_with(&engine(""));

    let sarif: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &report)).expect("SARIF is JSON");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let index = rules
        .iter()
        .position(|r| r["id"] == ID)
        .expect("the rule table lists it");
    let rule = &rules[index];
    assert_eq!(rule["name"], "TestDataRule");
    assert_eq!(
        rule["shortDescription"]["text"],
        "Objects must not be labelled danger=yes"
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    let results: Vec<&serde_json::Value> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["ruleId"] == ID)
        .collect();
    assert_eq!(results.len(), 2, "one result, one suppressed");
    assert!(results.iter().all(|r| r["ruleIndex"] == index));
    assert!(results.iter().any(|r| r.get("suppressions").is_some()));

    let json: serde_json::Value =
        serde_json::from_str(&render(Format::Json, &report)).expect("JSON");
    assert!(json["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .any(|r| r["id"] == ID && r["name"] == "test-data-rule" && r["severity"] == "high"));
    assert!(json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["ruleId"] == ID && f["message"] == "labelled danger=yes"));
    assert!(json["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .any(|f| f["ruleId"] == ID));

    let markdown = render(Format::Markdown, &report);
    assert!(markdown.contains("TEST_DATA_RULE"), "{markdown}");
    assert!(markdown.contains("labelled danger\\=yes"), "{markdown}");
    assert!(markdown.contains("Remove the label."), "{markdown}");
    assert!(
        markdown.contains("suppressed by the comment at `cm.yaml:13`: accepted for the demo"),
        "{markdown}"
    );

    let text = render(Format::Text, &report);
    assert!(text.contains("TEST_DATA_RULE"), "{text}");
    assert!(text.contains("labelled danger=yes"), "{text}");

    let github = render(Format::Github, &report);
    let line = github
        .lines()
        .find(|l| l.contains("title=TEST_DATA_RULE"))
        .expect("an annotation");
    assert!(line.starts_with("::error "), "{line}");
    assert!(line.contains("line=6"), "{line}");
    assert!(line.contains("labelled danger=yes"), "{line}");
    assert!(line.contains("How to fix: "), "{line}");

    let gitlab: serde_json::Value =
        serde_json::from_str(&render(Format::Gitlab, &report)).expect("GitLab JSON");
    assert!(gitlab
        .as_array()
        .expect("issues")
        .iter()
        .any(|i| i["check_name"] == ID && i["location"]["lines"]["begin"] == 6));
}

#[test]
fn explain_shows_it() {
    let registry = registry();
    for name in [ID, "test-data-rule", "test_data_rule"] {
        let page = clustersec::app::explain_page(&registry, name).expect("known");
        assert!(
            page.starts_with("# TEST_DATA_RULE (test-data-rule)"),
            "{page}"
        );
        assert!(page.contains("Objects must not be labelled danger=yes"));
        assert!(page.contains("## Fix\n\nRemove the label."), "{page}");
    }
    assert!(clustersec::app::explain_page(&Registry::builtin(), ID).is_none());
    let listed = clustersec::docs::rules_text(&registry);
    let line = listed
        .lines()
        .find(|l| l.starts_with(ID))
        .expect("`clustersec rules` lists it");
    assert!(line.contains("policy"), "{line}");
}

#[test]
fn a_clashing_rule_is_refused() {
    let mut registry = registry();
    let clash = |id: &str, name: &str| {
        DataRule::new(
            data_meta(id, name, Severity::Low, "s", "d", Origin::BuiltIn),
            |_: &mut Cx<'_>| {},
        )
    };
    assert!(registry.add(clash(ID, "other-name")).is_err());
    assert!(registry.add(clash("OTHER_ID", "test-data-rule")).is_err());
    assert!(registry
        .add(clash("CUSTOM_SECURITY_USER_CHECK", "x"))
        .is_err());
    assert!(registry.add(clash("lower_case", "y")).is_err());
    assert!(registry.add(clash("FINE_ID", "fine")).is_ok());
}

/// `--select`/`--ignore` and the config's `select`/`ignore`, through the binary.
mod flags {
    use assert_cmd::Command;
    use clustersec::rules::data::pss::INTEGRITY;

    fn bin() -> Command {
        let mut c = crate::support::bin();
        c.env_remove("GITHUB_ACTIONS");
        c
    }

    fn rule_ids(json: &[u8]) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(json).expect("a JSON report");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["ruleId"].as_str().map(String::from))
            .collect()
    }

    #[test]
    fn select_and_ignore_by_group_and_id() {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::copy(
            crate::support::root().join("examples/manifests/web-deployment.yaml"),
            dir.path().join("web.yaml"),
        )
        .expect("copied");
        let run = |args: &[&str]| {
            let out = bin()
                .current_dir(dir.path())
                .args(["scan", ".", "--format", "json", "--fail-on", "none"])
                .args(args)
                .output()
                .expect("ran");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            rule_ids(&out.stdout)
        };
        // The scan-integrity rules run whatever `select` says.
        let integrity = |r: &String| INTEGRITY.contains(&r.as_str());
        let seed_rule = |r: &String| r.starts_with("CUSTOM_SECURITY_");
        let all = run(&[]);
        assert!(all.iter().any(seed_rule));
        assert!(
            all.iter().any(integrity),
            "the example has an invalid object"
        );
        let seed = run(&["--select", "seed"]);
        assert!(seed.iter().any(seed_rule));
        assert!(
            seed.iter().all(|r| seed_rule(r) || integrity(r)),
            "{seed:?}"
        );
        let pss = run(&["--select", "pss,CUSTOM_SECURITY_PRIVILEGED_CHECK"]);
        assert!(pss.iter().all(|r| r.starts_with("PSS_")
            || r == "CUSTOM_SECURITY_PRIVILEGED_CHECK"
            || integrity(r)));
        let ignored = run(&["--ignore", "seed"]);
        assert!(!ignored.iter().any(seed_rule));
        // Everything else still runs (a PSS finding the seed rule's finding hid may show now).
        for r in all.iter().filter(|r| !seed_rule(r)) {
            assert!(ignored.contains(r), "{r} is gone with --ignore seed");
        }
        // The config's select, replaced by the flag's.
        std::fs::write(dir.path().join(".clustersec.yaml"), "select: [seed]\n").expect("config");
        assert_eq!(run(&[]), seed);
        assert!(run(&["--select", "rbac"]).iter().all(integrity));
        // Ignored by group, integrity rules stop too.
        assert!(!run(&["--ignore", "integrity"]).iter().any(integrity));
    }

    #[test]
    fn unknown_names_are_errors() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let out = bin()
            .current_dir(dir.path())
            .args(["scan", ".", "--select", "seed,psss"])
            .output()
            .expect("ran");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--select: unknown rule or group `psss`; did you mean `pss`?"),
            "{err}"
        );
        std::fs::write(
            dir.path().join(".clustersec.yaml"),
            "ignore:\n  - seed\n  - CUSTOM_SECURITY_USER_CHEK\n",
        )
        .expect("config");
        let out = bin()
            .current_dir(dir.path())
            .args(["scan", "."])
            .output()
            .expect("ran");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(".clustersec.yaml:3:5: ignore: unknown rule or group `CUSTOM_SECURITY_USER_CHEK`; did you mean `CUSTOM_SECURITY_USER_CHECK`?"),
            "{err}"
        );
    }
}
