//! Security-relevant template lines in branches that no render took
//! (`CLUSTERSEC_UNRENDERED_BRANCH`, issue 7). The fixtures in
//! fixtures/rules/CLUSTERSEC_UNRENDERED_BRANCH are templates: each test renders them as a chart.
//!
//! Tests need a real `helm` (scripts/install-helm.sh); without it they skip with a message,
//! unless `CI` or `CLUSTERSEC_REQUIRE_SHARED=1` is set: then they fail.

use std::path::Path;

use crate::support::{have_helm, of_rule, root};
use clustersec::discover::{self, Discovery, Options};
use clustersec::engine::{Engine, DEFAULT_MAX_FILE_SIZE};
use clustersec::finding::Finding;
use clustersec::render::{self, Mode, Settings, Tools};
use clustersec::report::Report;

const RULE: &str = "CLUSTERSEC_UNRENDERED_BRANCH";
const PRIVILEGED: &str = "CUSTOM_SECURITY_PRIVILEGED_CHECK";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("fixtures/rules").join(RULE).join(name)).unwrap()
}

/// A chart named `agent` in `dir` with one template and, optionally, a values.yaml.
fn chart(dir: &Path, template: &str, values: Option<&str>) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: agent\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("templates/agent.yaml"), template).unwrap();
    if let Some(v) = values {
        std::fs::write(dir.join("values.yaml"), v).unwrap();
    }
}

fn scan(path: &Path) -> Report {
    let settings = Settings {
        kustomize: Mode::Never,
        ..Settings::default()
    };
    let engine = Engine::default();
    let tools = Tools::detect(&settings).expect("tools");
    let mut discovery: Discovery =
        discover::discover(&[path.to_path_buf()], &Options::default()).expect("discover");
    let run = render::render_all(&mut discovery, &settings, &tools);
    assert_eq!(run.counts.charts_failed, 0, "{:?}", run.problems);
    clustersec::scan::scan_rendered(&engine, discovery, DEFAULT_MAX_FILE_SIZE, &run)
}

fn describe(fs: &[&Finding]) -> String {
    fs.iter()
        .map(|f| {
            format!(
                "{}:{}:{}-{}:{} {} {}",
                f.path,
                f.span.start.line,
                f.span.start.col,
                f.span.end.line,
                f.span.end.col,
                f.rule,
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// (line, column) of each `# expect: RULE` marker: the key, or the value of a `- ` list item.
fn markers(text: &str) -> Vec<(u32, u32)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&format!("# expect: {RULE}")))
        .map(|(i, l)| {
            let body = l.trim_start().trim_start_matches("- ");
            (i as u32 + 1, (l.len() - body.len()) as u32 + 1)
        })
        .collect()
}

fn positions(fs: &[&Finding]) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = fs
        .iter()
        .map(|f| (f.span.start.line, f.span.start.col))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn lines_behind_capabilities_release_name_and_lookup_are_reported_at_the_template_line() {
    if !have_helm() {
        return;
    }
    let fail = fixture("fail.yaml");
    let expected = markers(&fail);
    assert_eq!(expected.len(), 5);
    let tmp = tempfile::tempdir().unwrap();
    chart(&tmp.path().join("fail"), &fail, None);
    let report = scan(tmp.path());
    let found = of_rule(&report, RULE);
    assert!(
        found
            .iter()
            .all(|f| f.path.ends_with("fail/templates/agent.yaml")),
        "{}",
        describe(&found)
    );
    assert_eq!(positions(&found), expected, "{}", describe(&found));
    // Key through value, on one line; low severity; the message says what and why.
    let privileged = found
        .iter()
        .find(|f| f.message.contains("`privileged: true`"))
        .expect("privileged line");
    assert_eq!(privileged.span.start.line, privileged.span.end.line);
    assert_eq!(
        privileged.span.end.col - privileged.span.start.col,
        "privileged: true".len() as u32
    );
    assert_eq!(privileged.severity, clustersec::finding::Severity::Low);
    assert!(
        privileged
            .message
            .starts_with("not rendered by any value set: "),
        "{}",
        privileged.message
    );
    // The lines that were rendered are checked by the other rules, not reported as unrendered:
    // `privileged: false` in the branch that was taken raises nothing.
    assert!(
        of_rule(&report, PRIVILEGED).is_empty(),
        "{}",
        describe(&of_rule(&report, PRIVILEGED))
    );
}

#[test]
fn the_same_literals_in_taken_branches_are_left_to_the_other_rules() {
    if !have_helm() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    chart(&tmp.path().join("pass"), &fixture("pass.yaml"), None);
    let report = scan(tmp.path());
    let found = of_rule(&report, RULE);
    assert!(found.is_empty(), "{}", describe(&found));
    // `privileged: true` in the taken branch is the privileged rule's, at its template line.
    let pass = fixture("pass.yaml");
    let line = pass
        .lines()
        .position(|l| l.trim() == "privileged: true")
        .unwrap() as u32
        + 1;
    let privileged = of_rule(&report, PRIVILEGED);
    assert!(
        privileged
            .iter()
            .any(|f| f.path.ends_with("pass/templates/agent.yaml") && f.span.start.line == line),
        "{}",
        describe(&privileged)
    );
}

#[test]
fn a_value_that_takes_the_branch_makes_the_line_rendered() {
    if !have_helm() {
        return;
    }
    let fail = fixture("fail.yaml");
    let host_path = fail.lines().position(|l| l.contains("hostPath:")).unwrap() as u32 + 1;
    let tmp = tempfile::tempdir().unwrap();
    chart(&tmp.path().join("debug"), &fail, Some("debug: true\n"));
    let report = scan(tmp.path());
    let found = of_rule(&report, RULE);
    assert_eq!(found.len(), 4, "{}", describe(&found));
    assert!(
        found.iter().all(|f| f.span.start.line != host_path),
        "{}",
        describe(&found)
    );
}

#[test]
fn an_unrendered_line_can_be_suppressed_in_the_template() {
    if !have_helm() {
        return;
    }
    let fail = fixture("fail.yaml").replace(
        "            {{- if eq .Release.Name \"prod\" }}\n",
        "            {{- if eq .Release.Name \"prod\" }}\n            {{- /* clustersec:ignore CLUSTERSEC_UNRENDERED_BRANCH prod only, reviewed */}}\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    chart(&tmp.path().join("fail"), &fail, None);
    let report = scan(tmp.path());
    let found = of_rule(&report, RULE);
    assert_eq!(found.len(), 4, "{}", describe(&found));
    assert!(
        report
            .suppressed
            .iter()
            .any(|f| f.rule == RULE && f.message.contains("`privileged: true`")),
        "{:?}",
        report.suppressed
    );
}
