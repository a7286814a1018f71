//! Many findings in one file (issue 7, "time stays linear in findings"): the shape of the output
//! for a file of 2,000 pods that each miss their securityContext (10,000 findings), in every
//! format. Timings are in BENCHMARKS.md (`scripts/gen-many-findings.py`, 20,000 pods); no test
//! asserts a time.

use std::collections::{BTreeMap, BTreeSet};

use clustersec::discover::{self, Options as DiscoverOptions};
use clustersec::engine::{Engine, DEFAULT_MAX_FILE_SIZE};
use clustersec::report::{self, markdown, Format, Options, Report};

const PODS: usize = 2_000;
/// What a pod with one container and no securityContext yields: runAsUser, runAsGroup,
/// allowPrivilegeEscalation, readOnlyRootFilesystem and imagePullPolicy.
const PER_POD: usize = 5;

/// `n` pods in one multi-document text, as scripts/gen-many-findings.py writes them; with
/// `duplicate`, each pod's metadata repeats its `namespace:` key.
fn pods(n: usize, duplicate: bool) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: bench\n{}spec:\n  containers:\n    - name: app-{i}\n      image: registry.example/app:{i}\n",
            if duplicate { "  namespace: bench\n" } else { "" }
        ));
    }
    s
}

fn scan_text(text: &str) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.yaml");
    std::fs::write(&path, text).unwrap();
    let discovery = discover::discover(&[path], &DiscoverOptions::default()).unwrap();
    let report = clustersec::scan::scan(&Engine::default(), discovery, DEFAULT_MAX_FILE_SIZE);
    (dir, report)
}

fn write(format: Format, report: &Report) -> String {
    let mut out = Vec::new();
    let opts = Options {
        srcroot: Some(String::new()),
        ..Options::default()
    };
    report::write(format, &mut out, report, &opts).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn ten_thousand_findings_in_one_file_have_the_right_shape_in_every_format() {
    let (_dir, report) = scan_text(&pods(PODS, false));
    let summary = report.summary();
    assert_eq!(
        (summary.files, summary.documents, summary.objects),
        (1, PODS, PODS)
    );
    assert_eq!(report.findings.len(), PODS * PER_POD);
    // Every rule once per pod, and every finding on its own pod's container.
    assert_eq!(summary.by_rule.len(), PER_POD);
    assert!(summary.by_rule.values().all(|n| *n == PODS));
    for f in &report.findings {
        let object = f.object.as_ref().expect("object");
        let i = object.name.strip_prefix("pod-").expect("pod name");
        assert_eq!(f.container.as_deref(), Some(format!("app-{i}").as_str()));
        assert_eq!(object.document.to_string(), i);
    }
    // Sorted by line, each pod's findings after the previous pod's.
    assert!(report
        .findings
        .windows(2)
        .all(|w| w[0].span.start <= w[1].span.start));

    let json: serde_json::Value = serde_json::from_str(&write(Format::Json, &report)).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), PODS * PER_POD);
    assert_eq!(json["summary"]["findings"], PODS * PER_POD);

    let sarif: serde_json::Value = serde_json::from_str(&write(Format::Sarif, &report)).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), PODS * PER_POD);
    let prints: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["clustersecFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(prints.len(), PODS * PER_POD, "fingerprints are unique");

    let gitlab: serde_json::Value = serde_json::from_str(&write(Format::Gitlab, &report)).unwrap();
    let issues = gitlab.as_array().unwrap();
    assert_eq!(issues.len(), PODS * PER_POD);
    let gitlab_prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    let sarif_prints: Vec<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["clustersecFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(gitlab_prints, sarif_prints);

    let github = write(Format::Github, &report);
    assert_eq!(github.lines().count(), PODS * PER_POD);
    // Most severe first: the high findings (allowPrivilegeEscalation) lead.
    assert!(github
        .lines()
        .take(PODS)
        .all(|l| l.starts_with("::error ") && l.contains("CUSTOM_SECURITY_PRIVILEGE_CHECK")));

    let text = write(Format::Text, &report);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(" CUSTOM_SECURITY_") && l.contains("many.yaml:"))
            .count(),
        PODS * PER_POD
    );

    // The comment stays within GitHub's limit, shows the most severe first and says how many it
    // left out.
    let md = write(Format::Markdown, &report);
    assert!(md.encode_utf16().count() <= markdown::COMMENT_LIMIT - markdown::COMMENT_RESERVE);
    assert!(md.starts_with(&format!(
        "## clustersec: {} findings in 1 file",
        PODS * PER_POD
    )));
    let shown = md.matches("\n- :").count();
    assert!(shown > 0 && shown < PODS * PER_POD);
    assert!(md.contains(&format!(
        "**{} of {} findings not shown**",
        PODS * PER_POD - shown,
        PODS * PER_POD
    )));
    assert!(md.contains("**high** `CUSTOM_SECURITY_PRIVILEGE_CHECK`"));
    assert!(!md.contains("**low** `CUSTOM_SECURITY_IMAGE_PULL`"));
}

#[test]
fn diagnostics_of_many_documents_are_attached_to_their_own_objects() {
    let (_dir, report) = scan_text(&pods(PODS, true));
    let duplicates: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "CLUSTERSEC_DUPLICATE_KEY")
        .collect();
    assert_eq!(duplicates.len(), PODS);
    let mut by_object: BTreeMap<String, u32> = BTreeMap::new();
    for f in &duplicates {
        let object = f.object.as_ref().expect("object");
        // Each pod is 11 lines; its duplicate `namespace:` is its 7th.
        let i: u32 = object.name.strip_prefix("pod-").unwrap().parse().unwrap();
        assert_eq!(f.span.start.line, i * 11 + 7, "{}", object.name);
        *by_object.entry(object.name.clone()).or_default() += 1;
    }
    assert_eq!(by_object.len(), PODS);
}

#[test]
fn a_diagnostic_inside_a_list_item_is_attached_to_that_item() {
    let text = "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: first}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: second
      name: second
---
apiVersion: v1
kind: Pod
metadata:
  name: third
  name: third
";
    let (_report, findings) = Engine::default().scan_text("list.yaml", text);
    let owners: Vec<(u32, Option<String>, Option<usize>)> = findings
        .iter()
        .filter(|f| f.rule == "CLUSTERSEC_DUPLICATE_KEY")
        .map(|f| {
            (
                f.span.start.line,
                f.object.as_ref().map(|o| o.name.clone()),
                f.object.as_ref().and_then(|o| o.item),
            )
        })
        .collect();
    assert_eq!(
        owners,
        vec![
            (11, Some("second".to_string()), Some(1)),
            (17, Some("third".to_string()), None)
        ]
    );
}
