//! Report formats: snapshots of text, JSON and SARIF for a small fixed set of manifests, the JSON
//! output against `docs/json-format.schema.json`, every SARIF produced here against the OASIS
//! schema (`../shared/sarif/sarif-schema-2.1.0.json`), and inputs that must not panic.
//!
//! The OASIS schema lives outside the repository: without it the SARIF schema check prints a
//! message and is skipped, unless `CLUSTERSEC_REQUIRE_SHARED=1` (as in CI).
//! `CLUSTERSEC_SARIF_OUT=DIR` writes the SARIF of the snapshot and of the odd-spans report to
//! `DIR/report.sarif` and `DIR/odd-spans.sarif` (for the SARIF multitool).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use crate::support::scan_texts;
use clustersec::engine::{Engine, FileReport, FileStatus};
use clustersec::finding::Finding;
use clustersec::model::{Pos, Span};
use clustersec::report::{self, Format, Options, Report};

const DEPLOYMENT: &str = "\
# a comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      securityContext:
        runAsUser: 1000
      initContainers:
        - name: init
          image: busybox
          imagePullPolicy: Always
          securityContext:
            runAsUser: 20000
            runAsGroup: 20000
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
      containers:
        - name: app
          image: nginx
          imagePullPolicy: IfNotPresent
          securityContext:
            privileged: yes
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsGroup: 20000
";

/// CRLF line ends, a tab inside a value, UTF-8 before the offending key, a duplicate key.
const POD_CRLF: &str = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: \"pod-é\"\r\n  annotations:\r\n    note: \"a\tb\"\r\nspec:\r\n  containers:\r\n    - {name: \"日本\", image: x, imagePullPolicy: Always, securityContext: {runAsUser: 10000, runAsGroup: 10000, privileged: false, privileged: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}}\r\n";

const PSP: &str = "\
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: legacy
spec:
  allowedProcMountTypes: [Default, Unmasked]
";

const BROKEN: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n";

const VALUES: &str = "replicas: 3\nimage:\n  tag: latest\n";

fn shared_schema() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/sarif/sarif-schema-2.1.0.json")
}

/// Builds a report the way `scan` does, from texts, plus a template and a file not scanned.
fn build(files: &[(&str, &str)]) -> Report {
    let engine = Engine::default();
    let (findings, reports, sources) = scan_texts(&engine, files);
    Report::new(findings, reports, engine.enabled_rules(), sources)
}

/// The fixture with its rules cut down to those that fire on it, so that adding a rule elsewhere
/// does not change these snapshots (`sarif_lists_every_enabled_rule_with_docs` covers them all).
fn fixture() -> Report {
    let mut report = fixture_all_rules();
    let used: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    report.rules.retain(|r| used.contains(r.id.as_str()));
    report
}

fn fixture_all_rules() -> Report {
    let engine = Engine::default();
    let mut report = build(&[
        ("deploy/web.yaml", DEPLOYMENT),
        ("my pods/pod.yaml", POD_CRLF),
        ("psp.yaml", PSP),
        ("broken.yaml", BROKEN),
        ("values.yaml", VALUES),
    ]);
    let (r, mut f) = engine.not_scanned("huge.yaml", 20_000_000, "over the size limit");
    report.files.push(r);
    report.findings.append(&mut f);
    report.files.push(FileReport::new(
        "chart/templates/deploy.yaml",
        FileStatus::Template,
        120,
    ));
    Report::new(report.findings, report.files, report.rules, report.sources)
}

fn opts(color: bool) -> Options {
    Options {
        color,
        srcroot: Some("file:///src/repo/".to_string()),
        ..Options::default()
    }
}

fn render(format: Format, report: &Report, opts: &Options) -> String {
    let mut out = Vec::new();
    report::write(format, &mut out, report, opts).unwrap();
    let s = String::from_utf8(out).unwrap();
    if format == Format::Sarif {
        check_sarif(&s);
    }
    // Snapshots survive version bumps.
    s.replace(&format!("\"{}\"", clustersec::VERSION), "\"[VERSION]\"")
}

/// Validates SARIF against the OASIS schema (draft-04), formats included.
fn check_sarif(sarif: &str) {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let path = shared_schema();
        let Ok(text) = std::fs::read_to_string(&path) else {
            if std::env::var("CLUSTERSEC_REQUIRE_SHARED").as_deref() == Ok("1") {
                panic!("{} is missing and CLUSTERSEC_REQUIRE_SHARED=1", path.display());
            }
            eprintln!(
                "skipping SARIF schema validation: {} not found (set CLUSTERSEC_REQUIRE_SHARED=1 to fail instead)",
                path.display()
            );
            return None;
        };
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        Some(
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .expect("the SARIF schema compiles"),
        )
    });
    let Some(validator) = validator else { return };
    let value: serde_json::Value = serde_json::from_str(sarif).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF is not valid:\n{}",
        errors.join("\n")
    );
}

/// With `CLUSTERSEC_SARIF_OUT=DIR`, writes a report's SARIF to `DIR/NAME` (for the multitool).
fn dump(name: &str, report: &Report) {
    if let Ok(dir) = std::env::var("CLUSTERSEC_SARIF_OUT") {
        let mut out = Vec::new();
        report::write(Format::Sarif, &mut out, report, &opts(false)).unwrap();
        std::fs::write(PathBuf::from(dir).join(name), out).unwrap();
    }
}

fn check_json(json: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/json-format.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the JSON schema compiles");
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "JSON output does not fit its schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn text_snapshot() {
    let text = render(Format::Text, &fixture(), &opts(false));
    assert!(!text.contains('\u{1b}'), "escape codes with colour off");
    insta::assert_snapshot!("text", text);
}

#[test]
fn text_colour_only_when_asked() {
    let report = fixture();
    assert!(render(Format::Text, &report, &opts(true)).contains("\u{1b}["));
    // Colour or not, the words are the same.
    let plain = render(Format::Text, &report, &opts(false));
    let coloured = render(Format::Text, &report, &opts(true));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn text_all_clear() {
    let clean = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    let mut report = build(&[("cm.yaml", clean), ("values.yaml", VALUES)]);
    report
        .rules
        .retain(|r| r.id.starts_with("CUSTOM_SECURITY_"));
    let text = render(Format::Text, &report, &opts(false));
    insta::assert_snapshot!("text_all_clear", text);
    let sarif = render(Format::Sarif, &report, &opts(false));
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn json_snapshot_and_schema() {
    let json = render(Format::Json, &fixture(), &opts(false));
    check_json(&json);
    insta::assert_snapshot!("json", json);
}

#[test]
fn json_policy_changes_fit_the_schema() {
    use clustersec::config::Config;
    let changes = clustersec::config_diff::compare(
        &Config::default(),
        &Config::parse("fail-on: never\nexclude: [a/**]\nhelm: never\n").unwrap(),
    );
    let json = render(
        Format::Json,
        &fixture().with_policy_changes(changes),
        &opts(false),
    );
    check_json(&json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["policyChanges"][0]["kind"], "exclude-added");
    assert_eq!(v["policyChanges"][0]["base"], serde_json::Value::Null);
    // Compared, nothing changed: an empty array.
    let json = render(
        Format::Json,
        &fixture().with_policy_changes(Vec::new()),
        &opts(false),
    );
    check_json(&json);
    assert!(json.contains("\"policyChanges\": []"), "{json}");
}

#[test]
fn sarif_snapshot_and_schema() {
    let report = fixture();
    let sarif = render(Format::Sarif, &report, &opts(false));
    dump("report.sarif", &report);
    // The rules' docs are checked against their source here and left out of the snapshot, so
    // that editing a rule's docs does not churn it.
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let mut redacted = sarif.clone();
    for (r, meta) in rules.iter().zip(&report.rules) {
        let what = meta.section("What it does").unwrap();
        assert_eq!(r["fullDescription"]["text"], what.as_str());
        assert_eq!(r["help"]["markdown"], meta.docs().as_str());
        assert_eq!(r["help"]["text"], meta.docs().as_str());
        let quoted = |s: &str| serde_json::to_string(s).unwrap();
        redacted = redacted
            .replace(&quoted(&meta.docs()), "\"[docs]\"")
            .replace(&quoted(&what), "\"[## What it does]\"");
    }
    insta::assert_snapshot!("sarif", redacted);
}

#[test]
fn sarif_lists_every_enabled_rule_with_docs() {
    let report = fixture_all_rules();
    let v: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &report, &opts(false))).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), report.rules.len());
    for (r, meta) in rules.iter().zip(&report.rules) {
        assert_eq!(r["id"], meta.id);
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(r["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?"));
        let tags: Vec<&str> = r["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        if meta.id.starts_with("CUSTOM_SECURITY_") {
            assert!(tags.contains(&"security"), "{}", meta.id);
        }
    }
    for res in v["runs"][0]["results"].as_array().unwrap() {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        let region = &res["locations"][0]["physicalLocation"]["region"];
        let (sl, sc) = (
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        );
        let (el, ec) = (
            region["endLine"].as_u64().unwrap(),
            region["endColumn"].as_u64().unwrap(),
        );
        assert!(sl >= 1 && sc >= 1 && ec >= 1);
        assert!((el, ec) > (sl, sc), "empty or reversed region {region}");
    }
}

/// Shifting lines changes regions but not fingerprints.
#[test]
fn sarif_fingerprints_survive_line_shifts() {
    let fingerprints = |text: &str| {
        let sarif = render(Format::Sarif, &build(&[("d.yaml", text)]), &opts(false));
        let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["clustersecFingerprint/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = fingerprints(DEPLOYMENT);
    let after = fingerprints(&format!("# one\n# two\n# three\n{DEPLOYMENT}"));
    assert!(!before.is_empty());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0);
        assert_ne!(b.1, a.1);
    }
    let unique: std::collections::BTreeSet<_> = before.iter().map(|f| &f.0).collect();
    assert_eq!(
        unique.len(),
        before.len(),
        "fingerprints collide within a run"
    );
}

#[test]
fn sarif_without_srcroot_uses_the_current_directory() {
    let report = fixture();
    let sarif = render(Format::Sarif, &report, &Options::default());
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let uri = v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("file:///") && uri.ends_with('/'), "{uri}");
    let none = Options {
        srcroot: Some(String::new()),
        ..Options::default()
    };
    let v: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &report, &none)).unwrap();
    assert!(v["runs"][0].get("originalUriBaseIds").is_none());
}

/// Findings whose span is past the end of its line, in an empty source, or with no source.
#[test]
fn odd_spans_and_sources_do_not_panic() {
    let engine = Engine::default();
    let rules = engine.enabled_rules();
    let rule = rules[0].id.clone();
    let at = |path: &str, start: (u32, u32), end: (u32, u32)| {
        let mut f = Finding::new(
            rule.clone(),
            Span {
                start: Pos {
                    line: start.0,
                    col: start.1,
                },
                end: Pos {
                    line: end.0,
                    col: end.1,
                },
            },
            "odd span",
        );
        f.path = path.into();
        f
    };
    let findings = vec![
        at("short.yaml", (1, 40), (1, 80)),
        at("short.yaml", (2, 3), (9, 9)),
        at("short.yaml", (7, 1), (7, 2)),
        at("short.yaml", (1, 5), (1, 2)),
        at("empty.yaml", (1, 1), (1, 1)),
        at("empty.yaml", (3, 4), (2, 1)),
        at("missing.yaml", (5, 5), (6, 6)),
        at("crlf.yaml", (1, 1), (2, 1)),
    ];
    let files = ["short.yaml", "empty.yaml", "missing.yaml", "crlf.yaml"]
        .iter()
        .map(|p| FileReport::new(p, FileStatus::Scanned, 0))
        .collect();
    let sources = BTreeMap::from([
        ("short.yaml".to_string(), "ab\ncd".to_string()),
        ("empty.yaml".to_string(), String::new()),
        ("crlf.yaml".to_string(), "a: 1\r\nb: 2\r\n".to_string()),
    ]);
    let report = Report::new(findings, files, rules, sources);
    for format in [Format::Text, Format::Json, Format::Sarif] {
        let out = render(format, &report, &opts(false));
        assert!(!out.is_empty());
    }
    dump("odd-spans.sarif", &report);
    let text = render(Format::Text, &report, &opts(false));
    insta::assert_snapshot!("text_odd_spans", text);
}

/// Text read from a manifest cannot reach the terminal as an escape sequence.
#[test]
fn escape_sequences_from_manifests_are_neutralised() {
    let evil = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: \"\u{1b}[2Jc\"\n      image: x\n      imagePullPolicy: \"\u{1b}]0;pwned\u{7}\"\n";
    let report = build(&[("evil.yaml", evil)]);
    assert!(!report.findings.is_empty());
    let text = render(Format::Text, &report, &opts(false));
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
}

/// The SARIF schema check is not vacuous: a region at line 0 and a bad level fail it.
#[test]
fn sarif_schema_check_rejects_invalid_sarif() {
    if !shared_schema().exists() && std::env::var("CLUSTERSEC_REQUIRE_SHARED").as_deref() != Ok("1")
    {
        eprintln!("skipping: {} not found", shared_schema().display());
        return;
    }
    let sarif = render(Format::Sarif, &fixture(), &opts(false));
    let mut v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    v["runs"][0]["results"][1]["level"] = "fatal".into();
    let bad = serde_json::to_string(&v).unwrap();
    let caught = std::panic::catch_unwind(|| check_sarif(&bad));
    assert!(caught.is_err(), "an invalid SARIF passed the schema check");
}

/// The example in docs/json-format.md fits the schema.
#[test]
fn json_doc_example_fits_the_schema() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/json-format.md"),
    )
    .unwrap();
    let example = doc
        .split("## Example")
        .nth(1)
        .and_then(|s| s.split("```json").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("an example in docs/json-format.md");
    check_json(example);
}
