//! Safe on untrusted pull requests: the tricks that would hide a privileged container from the
//! scan, each asserted end to end (the binary, JSON output) at the exact line and column.

use std::path::Path;

use assert_cmd::Command;

const RULE: &str = "CUSTOM_SECURITY_PRIVILEGED_CHECK";

/// Scans `name` (written with `text` in a fresh directory) and returns the JSON report.
fn scan(name: &str, text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    scan_dir(dir.path(), name)
}

fn scan_dir(dir: &Path, name: &str) -> serde_json::Value {
    let out = Command::cargo_bin("clustersec")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["scan", name, "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (line, column) of the reported (not suppressed) findings of `rule`.
fn reported(v: &serde_json::Value, rule: &str) -> Vec<(u64, u64)> {
    locations(&v["findings"], rule)
}

fn suppressed(v: &serde_json::Value, rule: &str) -> Vec<(u64, u64)> {
    locations(&v["suppressed"], rule)
}

fn locations(list: &serde_json::Value, rule: &str) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = list
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter(|f| f["ruleId"] == rule)
        .map(|f| {
            (
                f["region"]["startLine"].as_u64().unwrap(),
                f["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort_unstable();
    out
}

#[test]
fn items_on_a_configmap_are_scanned() {
    let v = scan(
        "cm.yaml",
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: innocent
data:
  a: b
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: hidden
    spec:
      containers:
        - name: web
          image: nginx
          securityContext:
            privileged: true
",
    );
    assert_eq!(reported(&v, RULE), vec![(17, 13)], "{v:#}");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == RULE)
        .unwrap();
    assert_eq!(f["object"]["kind"], "Pod");
    assert_eq!(f["object"]["name"], "hidden");
    assert_eq!(f["object"]["item"], 0);
    assert_eq!(
        f["field"],
        "items[0].spec.containers[0].securityContext.privileged"
    );
}

#[test]
fn items_of_a_custom_kind_nested_lists_and_inherited_kinds_are_scanned() {
    let v = scan(
        "lists.yaml",
        "apiVersion: example.com/v1
kind: Anything
items:
  - apiVersion: v1
    kind: List
    items:
      - apiVersion: v1
        kind: Pod
        metadata: {name: nested}
        spec:
          containers:
            - {name: web, image: nginx, securityContext: {privileged: true}}
---
apiVersion: v1
kind: PodList
items:
  - metadata: {name: kind-from-the-list}
    spec:
      containers:
        - {name: web, image: nginx, securityContext: {privileged: true}}
",
    );
    assert_eq!(reported(&v, RULE), vec![(12, 59), (20, 55)], "{v:#}");
}

/// The first lines of the Pods of the suppression tests.
const POD_HEAD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

#[test]
fn marker_in_a_literal_block_scalar_does_not_suppress() {
    let text = format!(
        "{POD_HEAD}spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        seLinuxOptions:
          type: |
            # clustersec:ignore {RULE} looks like a comment, is text
        privileged: true
"
    );
    // The same marker directly above the finding, inside a block scalar that ends there.
    let text2 = format!(
        "{POD_HEAD}spec:
  containers:
    - name: web
      image: nginx
      env:
        - name: X
          value: |
            # clustersec:ignore {RULE} hidden in an env value
      securityContext: {{privileged: true}}
"
    );
    let v = scan("block.yaml", &text);
    assert_eq!(reported(&v, RULE), vec![(13, 9)], "{v:#}");
    assert!(suppressed(&v, RULE).is_empty(), "{v:#}");
    let v = scan("block2.yaml", &text2);
    assert_eq!(reported(&v, RULE), vec![(13, 25)], "{v:#}");
    assert!(suppressed(&v, RULE).is_empty(), "{v:#}");
}

#[test]
fn marker_in_a_quoted_multi_line_string_does_not_suppress() {
    for quote in ['"', '\''] {
        let text = format!(
            "{POD_HEAD}spec:
  containers:
    - name: web
      image: nginx
      args: [{quote}first line
        # clustersec:ignore {RULE} inside a quoted string{quote}]
      securityContext: {{privileged: true, allowPrivilegeEscalation: true}} # clustersec:ignore CUSTOM_SECURITY_PRIVILEGE_CHECK ok
"
        );
        let v = scan("quoted.yaml", &text);
        assert_eq!(reported(&v, RULE), vec![(11, 25)], "{quote}: {v:#}");
        assert!(suppressed(&v, RULE).is_empty(), "{v:#}");
        // The real comment on the same line still suppresses its own rule.
        assert_eq!(
            suppressed(&v, "CUSTOM_SECURITY_PRIVILEGE_CHECK"),
            vec![(11, 43)],
            "{v:#}"
        );
    }
}

#[test]
fn marker_in_a_configmap_value_or_plain_scalar_does_not_suppress() {
    let text = format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data:
  script: \"# clustersec:ignore {RULE} in a value\"
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: p
    spec:
      containers:
        - name: web
          image: nginx#clustersec:ignore {RULE}
          securityContext:
            privileged: true # clustersec:ignore CUSTOM_SECURITY_PRIVILEGE_CHECK real comment
"
    );
    let v = scan("cm.yaml", &text);
    assert_eq!(reported(&v, RULE), vec![(17, 13)], "{v:#}");
    assert!(suppressed(&v, RULE).is_empty(), "{v:#}");
}

#[test]
fn marker_in_a_json_string_does_not_suppress() {
    let text = format!(
        r##"{{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {{"name": "p", "annotations": {{"a": "x # clustersec:ignore {RULE} because"}}}},
  "spec": {{
    "containers": [
      {{
        "name": "web",
        "image": "nginx",
        "securityContext": {{"privileged": true, "x": "# clustersec:ignore {RULE} because"}}
      }}
    ]
  }}
}}
"##
    );
    let v = scan("pod.json", &text);
    assert_eq!(reported(&v, RULE), vec![(10, 29)], "{v:#}");
    assert!(suppressed(&v, RULE).is_empty(), "{v:#}");
    // The same text in a .yaml file (JSON is YAML): the markers are still inside strings.
    let v = scan("pod.yaml", &text);
    assert_eq!(reported(&v, RULE), vec![(10, 29)], "{v:#}");
}

#[test]
fn real_comments_still_suppress() {
    let text = format!(
        "{POD_HEAD}spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        # clustersec:ignore {RULE} node agent
        privileged: true
    - name: sidecar
      image: envoy
      securityContext: {{privileged: true}} # clustersec:ignore {RULE} debug
"
    );
    let v = scan("pod.yaml", &text);
    assert!(reported(&v, RULE).is_empty(), "{v:#}");
    assert_eq!(suppressed(&v, RULE), vec![(11, 9), (14, 25)], "{v:#}");
}

#[test]
fn privileged_with_escalation_off_is_reported_three_ways() {
    let v = scan(
        "pod.yaml",
        "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: web
      image: nginx
      securityContext:
        privileged: true
        allowPrivilegeEscalation: false
",
    );
    assert_eq!(reported(&v, RULE), vec![(10, 9)]);
    assert_eq!(
        reported(&v, "CUSTOM_SECURITY_PRIVILEGE_CHECK"),
        vec![(11, 9)]
    );
    assert_eq!(reported(&v, "CLUSTERSEC_INVALID_OBJECT"), vec![(11, 9)]);
}

#[test]
fn misplaced_containers_are_reported() {
    let v = scan(
        "deploy.yaml",
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  containers:
    - name: web
      image: nginx
      securityContext: {privileged: true}
",
    );
    assert_eq!(
        reported(&v, "CLUSTERSEC_INVALID_OBJECT"),
        vec![(5, 1), (6, 3)],
        "{v:#}"
    );
}
