//! Scale features: `scan --parse-only`, the SARIF result cap, shards and their merge.

use std::path::Path;

use crate::support::{bin, corpus, write};

const PRIVILEGED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: nginx
      securityContext:
        privileged: true
";

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn parse_only_runs_no_rule_but_counts_like_a_scan() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.yaml", PRIVILEGED);
    write(
        d.path(),
        "b.yaml",
        &format!("{PRIVILEGED}---\n{PRIVILEGED}"),
    );
    write(d.path(), "values.yaml", "replicas: 3\n");
    let parse = bin()
        .args([
            "scan",
            "--parse-only",
            "--helm",
            "never",
            "--kustomize",
            "never",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(parse.status.code(), Some(0), "{}", stdout(&parse));
    let text = stdout(&parse);
    assert!(text.contains("3 objects checked by 0 rules"), "{text}");
    assert!(!text.contains("PRIVILEGED"), "{text}");
    let full = bin()
        .args(["scan", "--helm", "never", "--kustomize", "never"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1));
    // The same files, documents and objects as the scan.
    let counts = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("Scanned "))
            .map(str::to_string)
    };
    assert_eq!(counts(&text), counts(&stdout(&full)));
    assert!(
        counts(&text).is_some_and(|l| l.contains("3 objects")),
        "{text}"
    );
}

#[test]
fn parse_only_reports_syntax_errors_and_fails() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n",
    );
    let out = bin()
        .args(["scan", "--parse-only"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("CLUSTERSEC_YAML_SYNTAX"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn parse_only_writes_no_report() {
    bin()
        .args(["scan", "--parse-only", "--format", "sarif", "examples"])
        .assert()
        .code(2);
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn sarif_keeps_the_most_severe_results_past_the_cap_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..3 {
        write(d.path(), &format!("m{i}.yaml"), PRIVILEGED);
    }
    let sarif = d.path().join("out.sarif");
    let all = d.path().join("out.json");
    let md = d.path().join("out.md");
    let out = bin()
        .args(["scan", "--helm", "never", "--kustomize", "never"])
        .arg(d.path().join("m0.yaml"))
        .arg(d.path().join("m1.yaml"))
        .arg(d.path().join("m2.yaml"))
        .args([
            "--sarif-max-results",
            "4",
            "--format",
            "text",
            "--format",
            "sarif",
            "-o",
        ])
        .arg(&sarif)
        .args(["--format", "json", "-o"])
        .arg(&all)
        .args(["--format", "markdown", "-o"])
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = json(&all);
    let findings = json["findings"].as_array().unwrap();
    let total = findings.len();
    assert!(total > 4, "{total}");
    let log = json_sarif(&sarif);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    // The most severe: the kept results' severities are the top four of all findings.
    let rank = |s: &str| {
        ["info", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
    };
    let mut sev: Vec<_> = findings
        .iter()
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .collect();
    sev.sort();
    sev.reverse();
    let mut kept: Vec<_> = results
        .iter()
        .map(|r| rank(r["properties"]["severity"].as_str().unwrap()))
        .collect();
    kept.sort();
    kept.reverse();
    assert_eq!(kept, sev[..4].to_vec());
    // In report order (path, line), as without a cap.
    let places: Vec<(String, u64)> = results
        .iter()
        .map(|r| {
            let l = &r["locations"][0]["physicalLocation"];
            (
                l["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                l["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = places.clone();
    sorted.sort();
    assert_eq!(places, sorted);
    let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let left = total - 4;
    assert!(
        notes.iter().any(|n| n["message"]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("leaves {left} out"))),
        "{notes:?}"
    );
    let text = stdout(&out);
    assert!(
        text.contains(&format!("leaves {left} out (--sarif-max-results)")),
        "{text}"
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("**SARIF capped**"), "{md}");
    assert!(md.contains("the JSON report has them all"), "{md}");
}

fn json_sarif(path: &Path) -> serde_json::Value {
    json(path)
}

#[test]
fn sarif_under_the_cap_is_unchanged_and_zero_means_no_cap() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "m.yaml", PRIVILEGED);
    let run = |cap: &str| {
        let sarif = d.path().join(format!("cap{cap}.sarif"));
        let out = bin()
            .args([
                "scan",
                "--sarif-max-results",
                cap,
                "--format",
                "sarif",
                "-o",
            ])
            .arg(&sarif)
            .arg(d.path().join("m.yaml"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(!stdout(&out).contains("--sarif-max-results"));
        json(&sarif)
    };
    let none = run("0");
    let high = run("1000");
    assert_eq!(none["runs"][0]["results"], high["runs"][0]["results"]);
    assert!(none["runs"][0]["invocations"][0]["toolExecutionNotifications"].is_null());
}

/// Scans `dir` (whole, or one shard) into a JSON report and returns its path.
fn scan_json(dir: &Path, out: &Path, shard: Option<&str>) -> i32 {
    let mut c = bin();
    c.arg("scan")
        .arg(dir)
        .args([
            "--helm",
            "never",
            "--kustomize",
            "never",
            "-f",
            "json",
            "-o",
        ])
        .arg(out)
        .args(["-f", "text", "-o"])
        .arg(out.with_extension("txt"));
    if let Some(s) = shard {
        c.args(["--shard", s]);
    }
    c.output().unwrap().status.code().unwrap()
}

#[test]
fn corpus_sharded_four_ways_merges_into_the_single_scan() {
    let Some(corpus) = corpus() else { return };
    let d = tempfile::tempdir().unwrap();
    let whole = d.path().join("all.json");
    let code = scan_json(&corpus, &whole, None);
    let mut shards = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=4 {
        let p = d.path().join(format!("s{k}.json"));
        scan_json(&corpus, &p, Some(&format!("{k}/4")));
        let files = json(&p)["files"].as_array().unwrap().clone();
        assert!(!files.is_empty(), "shard {k} is empty");
        sizes.push(
            files
                .iter()
                .map(|f| f["bytes"].as_u64().unwrap())
                .sum::<u64>(),
        );
        shards.push(p);
    }
    // Balanced by bytes: no shard more than twice another.
    let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(*max <= 2 * *min, "{sizes:?}");
    let merged = d.path().join("merged.json");
    let out = bin()
        .arg("merge")
        .args(&shards)
        .args(["-f", "json", "-o"])
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&merged), json(&whole));
    // Shards are stable: the same share again.
    let again = d.path().join("again.json");
    scan_json(&corpus, &again, Some("2/4"));
    assert_eq!(json(&again)["files"], json(&shards[1])["files"]);
}

#[test]
fn shards_keep_charts_whole_and_merge_in_any_format() {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(&repo, "chart/templates/a.yaml", "kind: {{ .Values.k }}\n");
    write(&repo, "chart/templates/b.yaml", "kind: {{ .Values.k }}\n");
    for i in 0..6 {
        write(&repo, &format!("m{i}.yaml"), PRIVILEGED);
    }
    let mut shards = Vec::new();
    for k in 1..=3 {
        let p = d.path().join(format!("s{k}.json"));
        scan_json(&repo, &p, Some(&format!("{k}/3")));
        let v = json(&p);
        let paths: Vec<&str> = v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        let chart = paths.iter().filter(|p| p.contains("chart/")).count();
        assert!(chart == 0 || chart == 3, "{paths:?}");
        shards.push(p);
    }
    let whole = d.path().join("all.json");
    scan_json(&repo, &whole, None);
    let merged = d.path().join("merged.json");
    bin()
        .arg("merge")
        .args(&shards)
        .args(["-f", "json", "-o"])
        .arg(&merged)
        .assert()
        .code(1);
    assert_eq!(json(&merged), json(&whole));
    // The markdown comment from the merged JSON.
    let md = bin()
        .args(["report", "--format", "markdown"])
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(md.status.code(), Some(1));
    assert!(
        stdout(&md).starts_with("## clustersec: "),
        "{}",
        stdout(&md)
    );
    // A SARIF log of one run, each result once.
    let sarif = d.path().join("merged.sarif");
    bin()
        .arg("merge")
        .args(&shards)
        .args(["-f", "sarif", "-o"])
        .arg(&sarif)
        .assert()
        .code(1);
    let log = json(&sarif);
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    assert_eq!(
        log["runs"][0]["results"].as_array().unwrap().len(),
        json(&whole)["findings"].as_array().unwrap().len()
    );
}

#[test]
fn merge_refuses_what_is_not_a_json_report() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "x.json", "{\"runs\": []}");
    bin()
        .arg("merge")
        .arg(d.path().join("x.json"))
        .assert()
        .code(2);
}

/// With rendering on (auto: what is installed), an overlay and its base stay in one shard, and
/// a chart stays whole: the merge equals the single scan.
#[test]
fn rendered_fixtures_sharded_merge_into_the_single_scan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for dir in ["kustomize", "helm"] {
        let d = tempfile::tempdir().unwrap();
        let scan = |out: &Path, shard: Option<String>| {
            let mut c = bin();
            c.arg("scan")
                .arg(root.join(dir))
                .args(["-f", "json", "-o"])
                .arg(out);
            if let Some(s) = shard {
                c.args(["--shard", &s]);
            }
            c.output().unwrap();
        };
        let whole = d.path().join("all.json");
        scan(&whole, None);
        let mut shards = Vec::new();
        for k in 1..=3 {
            let p = d.path().join(format!("s{k}.json"));
            scan(&p, Some(format!("{k}/3")));
            shards.push(p);
        }
        let merged = d.path().join("merged.json");
        bin()
            .arg("merge")
            .args(&shards)
            .args(["-f", "json", "-o"])
            .arg(&merged)
            .output()
            .unwrap();
        assert_eq!(json(&merged), json(&whole), "{dir}");
    }
}
