//! The adversarial corpus (fixtures/adversarial/README.md): every entry has its expected
//! outcome, nothing hangs, and the summary's counts add up.

use std::path::Path;
use std::time::Duration;

use crate::support;
use assert_cmd::Command;
use serde_json::Value;

/// [`support::bin`] with a time limit.
fn bin() -> Command {
    let mut c = support::bin();
    // Far above what any of this takes; only a hang reaches it.
    c.timeout(Duration::from_secs(600));
    c
}

fn scan_json(dir: &Path, out: &Path) -> Value {
    let o = bin()
        .arg("scan")
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
        .arg(out.with_extension("txt"))
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
}

/// The summary's files are exactly the scanned, not-Kubernetes, template and not-scanned ones,
/// and each is listed once.
fn counts_add_up(v: &Value) {
    let s = &v["summary"];
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    assert_eq!(
        n("files"),
        n("scanned") + n("notKubernetes") + n("templates") + n("notScanned"),
        "{s}"
    );
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len() as u64, n("files"));
    let mut paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), files.len());
    let by_reason: u64 = s["notScannedByReason"]
        .as_object()
        .map_or(0, |m| m.values().map(|x| x.as_u64().unwrap()).sum());
    assert_eq!(by_reason, n("notScanned"), "{s}");
}

fn file<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("{name} not in the report"))
}

fn rules_in(v: &Value, name: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().ends_with(&format!("/{name}")))
        .map(|f| format!("{} {}", f["ruleId"].as_str().unwrap(), f["message"]))
        .collect()
}

#[cfg(unix)]
#[test]
fn adversarial_corpus_has_its_expected_outcomes_and_the_counts_add_up() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("adv");
    std::fs::create_dir(&root).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/adversarial");
    for e in std::fs::read_dir(&fixtures).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, root.join(p.file_name().unwrap())).unwrap();
    }
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n";
    std::fs::write(
        root.join("deep.yaml"),
        format!("{cm}  k: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(
        root.join("long-line.yaml"),
        format!("{cm}  k: {}\n", "x".repeat(1 << 20)),
    )
    .unwrap();
    std::fs::write(
        root.join("long-key.yaml"),
        format!("{cm}  {}: v\n", "k".repeat(1 << 20)),
    )
    .unwrap();
    let sparse = std::fs::File::create(root.join("sparse.yaml")).unwrap();
    sparse.set_len(3 << 30).unwrap();
    drop(sparse);
    let fifo = root.join("fifo.yaml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let dev = root.join("dev.yaml");
    let c = std::ffi::CString::new(dev.to_str().unwrap()).unwrap();
    // Character device 1:3 (/dev/null); needs privileges, so it is checked only when made.
    let made_dev =
        unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o644, libc::makedev(1, 3)) } == 0;
    symlink("loop-b.yaml", root.join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", root.join("loop-b.yaml")).unwrap();
    let outside = d.path().join("outside.yaml");
    std::fs::write(&outside, "apiVersion: v1\nkind: Pod\nmetadata: {name: o}\n").unwrap();
    symlink(&outside, root.join("out.yaml")).unwrap();
    let unreadable = root.join("unreadable.yaml");
    std::fs::write(
        &unreadable,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: u}\n",
    )
    .unwrap();
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    let can_read = std::fs::read(&unreadable).is_ok();

    let v = scan_json(&root, &d.path().join("adv.json"));
    counts_add_up(&v);
    let status = |name: &str| file(&v, name)["status"].as_str().unwrap().to_string();
    let reason = |name: &str| file(&v, name)["reason"].as_str().unwrap_or("").to_string();
    let has = |name: &str, rule: &str, words: &str| {
        let found = rules_in(&v, name);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with(rule) && f.contains(words)),
            "{name}: {found:?}"
        );
    };
    has("alias-bomb.yaml", "CLUSTERSEC_NOT_SCANNED", "node budget");
    has("invalid-utf8.yaml", "CLUSTERSEC_YAML_SYNTAX", "UTF-8");
    has(
        "utf16-bom.yaml",
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        "privileged",
    );
    assert_eq!(reason("nul-bytes.yaml"), "binary content (NUL bytes)");
    has("deep.yaml", "CLUSTERSEC_NOT_SCANNED", "nesting deeper");
    assert_eq!(status("long-line.yaml"), "scanned");
    assert!(rules_in(&v, "long-line.yaml").is_empty());
    has("long-key.yaml", "CLUSTERSEC_YAML_SYNTAX", "");
    assert!(reason("sparse.yaml").contains("size limit"));
    assert!(reason("fifo.yaml").starts_with("not a regular file"));
    if made_dev {
        assert!(reason("dev.yaml").starts_with("not a regular file"));
    }
    assert!(reason("loop-a.yaml").starts_with("broken symlink"));
    assert!(reason("loop-b.yaml").starts_with("broken symlink"));
    assert!(reason("out.yaml").starts_with("symlink to a file outside"));
    if can_read {
        assert_eq!(status("unreadable.yaml"), "scanned");
    } else {
        assert!(reason("unreadable.yaml").starts_with("cannot read"));
    }
    // Every entry made is in the report.
    let expected = std::fs::read_dir(&root)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".yaml")
        })
        .count();
    assert_eq!(v["files"].as_array().unwrap().len(), expected);
    let _ = std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o644));
}

#[test]
fn ten_thousand_tiny_files_are_each_counted_once() {
    tiny_files(10_000);
}

/// The full size of the corpus entry; a few minutes in a debug build:
/// `cargo test --test it adversarial:: -- --ignored`.
#[test]
#[ignore]
fn a_hundred_thousand_tiny_files_are_each_counted_once() {
    tiny_files(100_000);
}

fn tiny_files(count: usize) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("tiny");
    for i in 0..count {
        let dir = root.join(format!("{:03}", i % 1000));
        if i < 1000 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        std::fs::write(
            dir.join(format!("p{i}.yaml")),
            format!("kind: Pod\napiVersion: v1\nmetadata: {{name: p{i}}}\n"),
        )
        .unwrap();
    }
    let v = scan_json(&root, &d.path().join("tiny.json"));
    counts_add_up(&v);
    assert_eq!(v["summary"]["files"], count);
    assert_eq!(v["summary"]["scanned"], count);
    assert_eq!(v["summary"]["objects"], count);
}

#[test]
fn the_shared_corpus_counts_add_up() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        if std::env::var("CLUSTERSEC_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
            panic!("../shared/corpus is missing and CLUSTERSEC_REQUIRE_SHARED=1");
        }
        eprintln!("skipping: ../shared/corpus is absent");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let v = scan_json(&corpus, &d.path().join("corpus.json"));
    counts_add_up(&v);
    // Every file with a manifest's extension under the corpus is in the report.
    fn walk(dir: &Path, n: &mut u64) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let t = e.file_type().unwrap();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if t.is_dir() {
                if ![".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".pijul"]
                    .contains(&name.as_ref())
                {
                    walk(&p, n);
                }
            } else if [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x)) {
                *n += 1;
            }
        }
    }
    let mut n = 0;
    walk(&corpus, &mut n);
    assert_eq!(v["summary"]["files"].as_u64().unwrap(), n);
}

mod generated {
    use clustersec::engine::Engine;
    use proptest::prelude::*;

    /// Scalars that YAML 1.1 and Kubernetes read in surprising ways, and some that break.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("yes".to_string()),
            Just("No".to_string()),
            Just("~".to_string()),
            Just("0644".to_string()),
            Just("0x1F".to_string()),
            Just("1e3".to_string()),
            Just("!!int \"10001\"".to_string()),
            Just("!!bool \"false\"".to_string()),
            Just("&a 1".to_string()),
            Just("*a".to_string()),
            Just("*missing".to_string()),
            Just("[1, {a: b}]".to_string()),
            Just("{privileged: true}".to_string()),
            Just("\"\\u2028\"".to_string()),
            Just("|\n          block".to_string()),
            (-5i64..70000).prop_map(|n| n.to_string()),
            "[a-zA-Z:/@._-]{0,12}",
        ]
    }

    fn container() -> impl Strategy<Value = String> {
        (
            "[a-z]{1,6}",
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "privileged",
                        "runAsUser",
                        "runAsGroup",
                        "runAsNonRoot",
                        "allowPrivilegeEscalation",
                        "readOnlyRootFilesystem",
                        "procMount",
                        "capabilities",
                        "<<",
                    ]),
                    scalar(),
                ),
                0..5,
            ),
            scalar(),
        )
            .prop_map(|(name, fields, image)| {
                let mut s = format!("      - name: {name}\n        image: {image}\n");
                if !fields.is_empty() {
                    s.push_str("        securityContext:\n");
                    for (k, v) in fields {
                        s.push_str(&format!("          {k}: {v}\n"));
                    }
                }
                s
            })
    }

    fn manifest() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec![
                ("v1", "Pod", ""),
                ("apps/v1", "Deployment", "template"),
                ("apps/v1", "StatefulSet", "template"),
                ("batch/v1", "Job", "template"),
                ("batch/v1", "CronJob", "cron"),
                ("v1", "List", "list"),
            ]),
            prop::collection::vec(container(), 0..3),
            prop::collection::vec(container(), 0..2),
            scalar(),
        )
            .prop_map(|((api, kind, shape), containers, init, pod_user)| {
                let mut spec = format!("  securityContext:\n    runAsUser: {pod_user}\n");
                spec.push_str("  containers:\n");
                for c in &containers {
                    spec.push_str(c);
                }
                if !init.is_empty() {
                    spec.push_str("  initContainers:\n");
                    for c in &init {
                        spec.push_str(c);
                    }
                }
                let indent = |s: &str, n: usize| {
                    s.lines()
                        .map(|l| format!("{}{l}\n", " ".repeat(n)))
                        .collect::<String>()
                };
                let body = match shape {
                    "template" => format!("spec:\n  template:\n    spec:\n{}", indent(&spec, 4)),
                    "cron" => format!(
                        "spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{}",
                        indent(&spec, 8)
                    ),
                    "list" => format!(
                        "items:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: i}}\n    spec:\n{}",
                        indent(&spec, 4)
                    ),
                    _ => format!("spec:\n{spec}"),
                };
                format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n{body}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Kubernetes-shaped documents with tricky values: no panic, and every finding points
        /// inside the text.
        #[test]
        fn generated_manifests_never_panic(docs in prop::collection::vec(manifest(), 1..4)) {
            let text = docs.join("---\n");
            let lines = text.split('\n').count() as u32 + 1;
            let (_, findings) = Engine::default().scan_bytes("gen.yaml", text.as_bytes());
            for f in findings {
                prop_assert!(f.span.start.line >= 1 && f.span.start.line <= lines, "{f:?}");
                prop_assert!(f.span.end >= f.span.start, "{f:?}");
            }
        }
    }
}
