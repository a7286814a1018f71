//! Issue 14 item 3, on the patterns the precision measurement on upstream charts found wrong
//! (docs/mapping.md, "Precision"): a container from a values list rendered by `toYaml` at the
//! container list's own column, one from a values list inside a pod spec `define` of
//! `_helpers.tpl`, and a list item (a volume) picked by its rendered name rather than being the
//! first item with the key. `fixtures/helm-precision` marks each offending line with
//! `# expect: RULE[, RULE...]`; the findings in its files must be exactly those.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{expect_markers, have_helm, json_findings, root, scan_json_in};

const CHART: &str = "fixtures/helm-precision";

fn files() -> Vec<String> {
    [
        "values.yaml",
        "templates/deployment.yaml",
        "templates/statefulset.yaml",
        "templates/_helpers.tpl",
        "Chart.yaml",
    ]
    .iter()
    .map(|f| format!("{CHART}/{f}"))
    .collect()
}

fn finding<'v>(v: &'v Value, rule: &str, line: u64) -> &'v Value {
    let path = format!("{CHART}/values.yaml");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["ruleId"] == rule && f["path"] == path.as_str() && f["region"]["startLine"] == line
        })
        .unwrap_or_else(|| panic!("no {rule} at {path}:{line} in {v:#}"))
}

#[test]
fn containers_from_values_lists_and_named_list_items() {
    if !have_helm() {
        return;
    }
    let v = scan_json_in(&root(), &["--helm", "always", CHART]);
    let files = files();
    assert_eq!(json_findings(&v), expect_markers(&files), "{v:#}");
    // `{{- toYaml . | nindent 6 }}` at the column of `containers:`: the values item, with the
    // template's container list as a related location.
    let watcher = finding(&v, "CUSTOM_SECURITY_PRIVILEGED_CHECK", 22);
    assert_eq!(watcher["container"], "watcher", "{watcher}");
    assert!(
        watcher["mapping"].as_str().unwrap().starts_with(
            "values line of `extraContainers[name=watcher].securityContext.privileged`"
        ),
        "{watcher}"
    );
    assert_eq!(
        watcher["related"][0]["path"],
        format!("{CHART}/templates/deployment.yaml").as_str(),
        "{watcher}"
    );
    // A values list rendered inside the pod spec define of _helpers.tpl.
    let shipper = finding(&v, "CUSTOM_SECURITY_PRIVILEGE_CHECK", 29);
    assert_eq!(shipper["container"], "shipper", "{shipper}");
    assert_eq!(
        shipper["related"][0]["path"],
        format!("{CHART}/templates/_helpers.tpl").as_str(),
        "{shipper}"
    );
}

/// The measurement script itself, on the fixture: every finding is classified, none as wrong.
#[test]
fn the_precision_script_finds_nothing_wrong_on_the_fixture() {
    if !have_helm() {
        return;
    }
    let has_yaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_yaml {
        eprintln!("python3 with PyYAML is not installed: skipped");
        return;
    }
    let out = Command::new("python3")
        .arg(root().join("scripts/mapping-precision.py"))
        .arg("--clustersec")
        .arg(env!("CARGO_BIN_EXE_clustersec"))
        .arg(Path::new(CHART))
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // | chart | values | findings | exact | ancestor | values | Chart.yaml | wrong | unsure |
    let row = text
        .lines()
        .find(|l| l.starts_with("| helm-precision |"))
        .unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let n: u64 = cells[3].parse().unwrap();
    assert!(n >= 3, "{text}");
    assert_eq!(cells[8], "0", "wrong locations: {text}");
    assert_eq!(cells[9], "0", "undecided locations: {text}");
}
