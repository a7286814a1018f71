//! Datree policy files (`--policy`): the seed policy and Datree's example policies on their pass
//! and fail files, clustersec's own policy fixtures with `# expect:` markers, located errors for
//! bad policies, and every verdict compared with Python's `jsonschema`.
//!
//! Tests that read `../shared` skip with a message when it is absent, unless
//! CLUSTERSEC_REQUIRE_SHARED=1; so does the Python comparison when python3 or its jsonschema
//! package is missing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{bin, have_helm, required, root};
use clustersec::engine::Engine;
use clustersec::finding::{Finding, Severity};
use clustersec::policy::{self, LoadOptions, Policy, Selected, POLICY_ID};

/// `../shared/<rel>`, or `None` (with a message) when it is absent.
fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared").join(rel);
    if p.exists() {
        return Some(p);
    }
    if required() {
        panic!("../shared/{rel} is missing and CLUSTERSEC_REQUIRE_SHARED=1");
    }
    eprintln!("skipped: ../shared/{rel} is absent");
    None
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn load(path: &Path, opts: &LoadOptions) -> Policy {
    let text = read(path);
    policy::load(&path.display().to_string(), &text, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// The ids of the custom rules a policy runs.
fn custom_ids(p: &Policy) -> BTreeSet<String> {
    p.rules
        .iter()
        .filter_map(|r| match r {
            Selected::Custom(c) => Some(c.id.clone()),
            Selected::Native(_) => None,
        })
        .collect()
}

/// Scans a manifest file with a policy: the findings of the policy's rules and the notes about
/// the policy file.
fn scan(policy: Policy, manifest: &Path) -> (Vec<Finding>, Vec<Finding>) {
    let ids = custom_ids(&policy);
    let engine = Engine::default().with_policy(policy);
    let notes = engine.policy_findings().to_vec();
    let (_, findings) = engine.scan_text("manifest.yaml", &read(manifest));
    let findings = findings
        .into_iter()
        .filter(|f| ids.contains(f.rule.as_str()))
        .collect();
    (findings, notes)
}

/// `(line, rule)` of every `# expect: RULE[, RULE]` marker.
fn markers(text: &str) -> BTreeSet<(u32, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, rest)) = line.split_once("# expect:") {
            for id in rest.split(',') {
                out.insert((i as u32 + 1, id.trim().to_string()));
            }
        }
    }
    out
}

fn found(findings: &[Finding]) -> BTreeSet<(u32, String)> {
    findings
        .iter()
        .map(|f| (f.span.start.line, f.rule.to_string()))
        .collect()
}

#[test]
fn own_policy_fixture_reports_exactly_the_marked_lines() {
    let dir = root().join("fixtures/policy/limits");
    let p = load(&dir.join("policy.yaml"), &LoadOptions::default());
    assert_eq!(p.name, "limits");
    let (fail, notes) = scan(p, &dir.join("fail.yaml"));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        found(&fail),
        markers(&read(&dir.join("fail.yaml"))),
        "{fail:#?}"
    );
    let p = load(&dir.join("policy.yaml"), &LoadOptions::default());
    let (pass, _) = scan(p, &dir.join("pass.yaml"));
    assert!(pass.is_empty(), "{pass:#?}");
}

#[test]
fn messages_severities_and_fields_come_from_the_policy() {
    let dir = root().join("fixtures/policy/limits");
    let p = load(&dir.join("policy.yaml"), &LoadOptions::default());
    let (fail, _) = scan(p, &dir.join("fail.yaml"));
    let cpu = fail
        .iter()
        .find(|f| f.rule == "CPU_LIMIT_AT_MOST_TWO")
        .expect("cpu finding");
    // messageOnFailure and the policy's severity.
    assert_eq!(cpu.message, "cpu limit must be at most 2 cores");
    assert_eq!(cpu.severity, Severity::High);
    assert_eq!(
        cpu.field.as_deref(),
        Some("spec.template.spec.containers[0].resources.limits.cpu")
    );
    // A value: from its key through its value.
    assert_eq!((cpu.span.start.line, cpu.span.start.col), (15, 15));
    assert_eq!((cpu.span.end.line, cpu.span.end.col), (15, 25));
    // An empty messageOnFailure: the rule's defaultMessageOnFailure, and medium.
    let mem = fail
        .iter()
        .find(|f| f.rule == "MEMORY_REQUEST_AT_LEAST_64MI")
        .expect("memory finding");
    assert_eq!(mem.message, "memory request below 64Mi");
    assert_eq!(mem.severity, Severity::Medium);
    // A missing required property: the object that lacks it.
    let label = fail
        .iter()
        .find(|f| f.rule == "APP_LABEL_REQUIRED")
        .expect("label finding");
    assert_eq!((label.span.start.line, label.span.start.col), (3, 1));
    assert_eq!(label.field.as_deref(), Some("metadata"));
}

#[test]
fn each_schema_runs_under_its_draft_with_formats_asserted() {
    let dir = root().join("fixtures/policy/drafts");
    let p = load(&dir.join("policy.yaml"), &LoadOptions::default());
    let (fail, _) = scan(p, &dir.join("fail.yaml"));
    assert_eq!(
        found(&fail),
        markers(&read(&dir.join("fail.yaml"))),
        "{fail:#?}"
    );
    let p = load(&dir.join("policy.yaml"), &LoadOptions::default());
    let (pass, _) = scan(p, &dir.join("pass.yaml"));
    assert!(pass.is_empty(), "{pass:#?}");
}

/// Findings of custom rules in a Helm chart map back to the template and values lines, as for
/// built-in rules. Needs helm (CI installs it); skipped without it.
#[test]
fn helm_findings_of_custom_rules_map_to_templates() {
    if !have_helm() {
        return;
    }
    let out = bin()
        .current_dir(root())
        .args([
            "scan",
            "fixtures/helm/webapp",
            "--policy",
            "fixtures/policy/limits/policy.yaml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let label = findings
        .iter()
        .find(|f| {
            f["ruleId"] == "APP_LABEL_REQUIRED"
                && f["path"] == "fixtures/helm/webapp/templates/deployment.yaml"
        })
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(label["region"]["startLine"], 5);
    assert!(label["mapping"].is_string());
    assert!(findings
        .iter()
        .any(|f| f["ruleId"] == "IMAGE_FROM_INTERNAL_REGISTRY"
            && f["path"] == "fixtures/helm/webapp/values.yaml"));
}

#[test]
fn policy_name_selects_another_policy() {
    let dir = root().join("fixtures/policy/limits");
    let opts = LoadOptions {
        name: Some("other".into()),
        ..LoadOptions::default()
    };
    let p = load(&dir.join("policy.yaml"), &opts);
    let (fail, _) = scan(p, &dir.join("fail.yaml"));
    let rules: BTreeSet<&str> = fail.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, BTreeSet::from(["APP_LABEL_REQUIRED"]));
    assert!(fail.iter().all(|f| f.message == "only the label"));
    let text = read(&dir.join("policy.yaml"));
    let e = policy::load(
        "policy.yaml",
        &text,
        &LoadOptions {
            name: Some("nope".into()),
            ..LoadOptions::default()
        },
    )
    .unwrap_err();
    assert!(e.message.contains("no policy named \"nope\""), "{e}");
}

/// `(line, col, message part)` from a fixture's first line `# error: L:C: text`.
fn expected_error(text: &str, tag: &str) -> (u32, u32, String) {
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix(&format!("# {tag}: "))
        .unwrap_or_else(|| panic!("first line must be `# {tag}: L:C: text`"));
    let mut parts = rest.splitn(3, ':');
    let line = parts.next().unwrap_or_default().trim().parse().unwrap();
    let col = parts.next().unwrap_or_default().trim().parse().unwrap();
    (
        line,
        col,
        parts.next().unwrap_or_default().trim().to_string(),
    )
}

#[test]
fn bad_policies_are_refused_at_their_line_and_column() {
    let dir = root().join("fixtures/policy/bad");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = read(&path);
        if !text.starts_with("# error:") {
            continue;
        }
        seen += 1;
        let (line, col, what) = expected_error(&text, "error");
        let e = policy::load("bad.yaml", &text, &LoadOptions::default())
            .expect_err(&path.display().to_string());
        assert_eq!(
            (e.line(), e.column()),
            (Some(line), Some(col)),
            "{}: {e}",
            path.display()
        );
        assert!(e.message.contains(&what), "{}: {e}", path.display());
        assert!(e
            .to_string()
            .starts_with(&format!("bad.yaml:{line}:{col}: ")));
    }
    assert!(seen >= 8, "only {seen} bad policies");
}

#[test]
fn keep_going_turns_a_bad_rule_into_a_finding_and_runs_the_others() {
    let path = root().join("fixtures/policy/bad/keep-going.yaml");
    let text = read(&path);
    let (line, col, what) = expected_error(&text, "keep-going");
    assert!(policy::load("p.yaml", &text, &LoadOptions::default()).is_err());
    let opts = LoadOptions {
        keep_going: true,
        ..LoadOptions::default()
    };
    let p = policy::load("p.yaml", &text, &opts).unwrap();
    assert_eq!(custom_ids(&p), BTreeSet::from(["GOOD".to_string()]));
    let engine = Engine::default().with_policy(p);
    let notes = engine.policy_findings();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let n = &notes[0];
    assert_eq!((n.rule.as_str(), n.path.as_str()), (POLICY_ID, "p.yaml"));
    assert_eq!((n.span.start.line, n.span.start.col), (line, col));
    assert!(
        n.message.contains(&what) && n.message.contains("BAD"),
        "{n:?}"
    );
    let (_, findings) = engine.scan_text(
        "m.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
    );
    assert!(findings.iter().any(|f| f.rule == "GOOD"), "{findings:?}");
}

#[test]
fn seed_policy_runs_unmodified_on_the_seed_files() {
    let (Some(policy), Some(pass), Some(fail)) = (
        shared("seed/policy.yaml"),
        shared("seed/pass.yaml"),
        shared("seed/fail.yaml"),
    ) else {
        return;
    };
    let p = load(&policy, &LoadOptions::default());
    assert_eq!(custom_ids(&p).len(), 9);
    let (findings, notes) = scan(p, &pass);
    assert!(findings.is_empty(), "{findings:#?}");
    // The nine custom rules reuse clustersec's ids: the replacement is said once, as a note
    // that does not fail the run.
    assert_eq!(notes.len(), 1, "{notes:#?}");
    let n = &notes[0];
    assert_eq!((n.rule.as_str(), n.severity), (POLICY_ID, Severity::Info));
    assert!(n.suppression.is_some());
    assert_eq!(
        n.suppressed_by,
        Some(clustersec::finding::SuppressedBy::Note)
    );
    assert!(
        n.message.contains("replace") && n.message.contains("CUSTOM_SECURITY_PROC_MOUNT_CHECK")
    );
    assert_eq!(n.span.start.line, 26);
    let p = load(&policy, &LoadOptions::default());
    let (findings, _) = scan(p, &fail);
    // Every document of fail.yaml fails, and each failure the seed's README describes is found.
    let docs: BTreeSet<usize> = findings
        .iter()
        .filter_map(|f| f.object.as_ref().map(|o| o.document))
        .collect();
    assert_eq!(docs.len(), 7, "{findings:#?}");
    let has = |name: &str, rule: &str| {
        findings
            .iter()
            .any(|f| f.rule == rule && f.object.as_ref().is_some_and(|o| o.name == name))
    };
    for (name, rule) in [
        ("fail-user-permission", "CUSTOM_SECURITY_USER_CHECK"),
        ("fail-group-permission", "CUSTOM_SECURITY_GROUPS_CHECK"),
        (
            "fail-privilege-escalation",
            "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        ),
        (
            "fail-root-filesystem",
            "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        ),
        ("fail-deprecated", "CUSTOM_SECURITY_DEPRECATED_CHECK"),
        ("fail-flex-volume", "CUSTOM_SECURITY_FLEX_VOLUME_CHECK"),
        ("fail-proc-mount", "CUSTOM_SECURITY_PROC_MOUNT_CHECK"),
    ] {
        assert!(has(name, rule), "{name}: no {rule} in {findings:#?}");
    }
}

/// The documents of a manifest file that clustersec reads as valid objects (Datree checked
/// policies only on files that passed its Kubernetes schema validation).
fn valid_documents(manifest: &Path) -> BTreeSet<usize> {
    let text = read(manifest);
    let (_, all) = Engine::default().scan_text("m.yaml", &text);
    let invalid: BTreeSet<usize> = all
        .iter()
        .filter(|f| f.rule == "CLUSTERSEC_INVALID_OBJECT")
        .filter_map(|f| f.object.as_ref().map(|o| o.document))
        .collect();
    let docs = clustersec::model::json::parse_input(&text)
        .documents
        .iter()
        .filter(|d| d.root.is_some())
        .map(|d| d.index)
        .collect::<BTreeSet<usize>>();
    docs.difference(&invalid).copied().collect()
}

fn failing_documents(findings: &[Finding], rule: Option<&str>) -> BTreeSet<usize> {
    findings
        .iter()
        .filter(|f| rule.is_none_or(|r| f.rule == r))
        .filter_map(|f| f.object.as_ref().map(|o| o.document))
        .collect()
}

#[test]
fn datree_example_policies_pass_and_fail_their_files() {
    // Policies whose pass files pass every rule (their valid objects) and whose fail files have
    // a failure in every document.
    for dir in ["security-best-practices", "security_checks"] {
        let Some(d) = shared(&format!("datree/{dir}")) else {
            return;
        };
        let p = load(&d.join("policy.yaml"), &LoadOptions::default());
        assert!(!custom_ids(&p).is_empty(), "{dir}");
        let (findings, notes) = scan(p, &d.join("pass.yaml"));
        assert!(notes.is_empty(), "{dir}: {notes:#?}");
        let valid = valid_documents(&d.join("pass.yaml"));
        assert!(!valid.is_empty());
        let failing = failing_documents(&findings, None);
        assert!(
            valid.is_disjoint(&failing),
            "{dir}: valid documents of pass.yaml fail: {findings:#?}"
        );
        let p = load(&d.join("policy.yaml"), &LoadOptions::default());
        let (findings, _) = scan(p, &d.join("fail.yaml"));
        assert_eq!(
            failing_documents(&findings, None),
            valid_documents(&d.join("fail.yaml")),
            "{dir}: every document of fail.yaml fails: {findings:#?}"
        );
    }
    // security-policy illustrates one rule per document, in the same order in both files: each
    // pass document passes its rule, each fail document fails it.
    let Some(d) = shared("datree/security-policy") else {
        return;
    };
    let order = [
        "USE_IMAGE_DIGEST_INSTEAD_OF_TAGS",
        "CONTAINERS_MISSING_ROOT_FILESYSTEM_TRUE",
        "ENSURE_CONTAINERS_RUN_AS_NON_ROOT",
        "ENSURE_NO_NEW_PRIVILEGES_ARE_SET",
        "ENSURE_SECURITY_CONTEXT_IS_SET",
        "ENSURE_ALL_CAPABILITIES_ARE_DROPED",
        "ENSURE_DEPRECATED_POD_SECURITY_POLICY_NOT_USED",
        "CONTAINERS_MISSING_SELINUX",
        "ENSURE_IMAGE_PULL_POLICY_SET_TO_ALWAYS",
        "ENSURE_DEFAULT_SERVICE_ACCOUNT_NOT_USED_IN_SERVICE_ACCOUNT",
        "ENSURE_DEFAULT_SERVICE_ACCOUNT_NOT_USED_IN_POD",
        "ENSURE_SECCOMP_PROFILE_IS_SET",
    ];
    let p = load(&d.join("policy.yaml"), &LoadOptions::default());
    assert_eq!(custom_ids(&p).len(), order.len());
    let (pass, _) = scan(p, &d.join("pass.yaml"));
    let p = load(&d.join("policy.yaml"), &LoadOptions::default());
    let (fail, _) = scan(p, &d.join("fail.yaml"));
    for (doc, rule) in order.iter().enumerate() {
        assert!(
            !failing_documents(&pass, Some(rule)).contains(&doc),
            "pass.yaml document {doc} fails {rule}"
        );
        // The example's own mistakes, where its fail document passes under JSON Schema (the
        // Python comparison agrees, and so did Datree): runAsUser (2) and seLinuxOptions (7) are
        // required only inside a securityContext these documents lack, and the
        // allowPrivilegeEscalation rule (3) defines its pattern without ever applying it.
        if [2, 3, 7].contains(&doc) {
            assert!(!failing_documents(&fail, Some(rule)).contains(&doc));
            continue;
        }
        assert!(
            failing_documents(&fail, Some(rule)).contains(&doc),
            "fail.yaml document {doc} does not fail {rule}"
        );
    }
}

#[test]
fn cel_and_rego_rules_are_reported_once_as_unsupported() {
    let Some(path) = shared("datree/CEL/policy.yaml") else {
        return;
    };
    let p = load(&path, &LoadOptions::default());
    assert!(custom_ids(&p).is_empty());
    let ids: Vec<&str> = p
        .notes
        .iter()
        .map(|n| {
            assert_eq!(n.rule, POLICY_ID);
            assert!(n.message.contains("CELDefinition"), "{n:?}");
            n.message.split_whitespace().nth(2).unwrap_or_default()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "CUSTOM_WORKLOADS_BILLING_LABEL_EXISTS",
            "CUSTOM_SECRET_ENVIRONMENT_LABEL_EXISTS"
        ]
    );
    let rego = "apiVersion: v1\npolicies:\n  - name: p\n    rules:\n      - identifier: R\n        messageOnFailure: ''\ncustomRules:\n  - identifier: R\n    name: r\n    defaultMessageOnFailure: m\n    schema:\n      regoDefinition:\n        code: 'package x'\n";
    let p = policy::load("p.yaml", rego, &LoadOptions::default()).unwrap();
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].message.contains("regoDefinition"));
    assert_eq!(p.notes[0].span.start.line, 12);
}

#[test]
fn datree_builtin_identifiers_need_the_rules_file() {
    let text = "apiVersion: v1\npolicies:\n  - name: p\n    rules:\n      - identifier: CONTAINERS_MISSING_IMAGE_VALUE_VERSION\n        messageOnFailure: ''\n";
    let p = policy::load("p.yaml", text, &LoadOptions::default()).unwrap();
    assert!(p.rules.is_empty());
    assert_eq!(p.notes.len(), 1);
    assert!(
        p.notes[0].message.contains("--datree-rules"),
        "{:?}",
        p.notes
    );
    assert_eq!(p.notes[0].span.start.line, 5);
    let Some(rules) = shared("datree/defaultRules.yaml") else {
        return;
    };
    let opts = LoadOptions {
        datree_rules: Some(("defaultRules.yaml".into(), read(&rules))),
        ..LoadOptions::default()
    };
    let p = policy::load("p.yaml", text, &opts).unwrap();
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    let (findings, _) = scan(p, &root().join("fixtures/policy/builtin.yaml"));
    let lines: Vec<u32> = findings.iter().map(|f| f.span.start.line).collect();
    assert_eq!(lines, [9], "{findings:#?}");
    assert!(findings[0].message.contains("specify an image version"));
}

#[test]
fn native_ids_listed_run_the_native_rule_and_nothing_else_runs() {
    let text = "apiVersion: v1\npolicies:\n  - name: p\n    rules:\n      - identifier: CUSTOM_SECURITY_IMAGE_PULL\n        messageOnFailure: ''\n";
    let p = policy::load("p.yaml", text, &LoadOptions::default()).unwrap();
    assert_eq!(p.native_ids(), ["CUSTOM_SECURITY_IMAGE_PULL"]);
    let engine = Engine::default().with_policy(p);
    // The registry's lookups by id stay right after the rules not listed are dropped.
    for id in [
        "CUSTOM_SECURITY_IMAGE_PULL",
        "CLUSTERSEC_YAML_SYNTAX",
        POLICY_ID,
    ] {
        assert_eq!(engine.registry().meta(id).map(|m| m.id.as_str()), Some(id));
    }
    assert!(engine
        .registry()
        .meta("CUSTOM_SECURITY_USER_CHECK")
        .is_none());
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\n      securityContext:\n        privileged: true\n";
    let (_, findings) = engine.scan_text("m.yaml", manifest);
    let rules: BTreeSet<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, BTreeSet::from(["CUSTOM_SECURITY_IMAGE_PULL"]));
}

/// Every document of every policy fixture, as clustersec reads it, with each custom rule: the
/// verdict must be Python jsonschema's (the same draft, formats asserted).
#[test]
fn verdicts_match_python_jsonschema() {
    let mut sets: Vec<(PathBuf, Vec<PathBuf>)> = vec![
        (
            root().join("fixtures/policy/drafts/policy.yaml"),
            vec![
                root().join("fixtures/policy/drafts/pass.yaml"),
                root().join("fixtures/policy/drafts/fail.yaml"),
            ],
        ),
        (
            root().join("fixtures/policy/limits/policy.yaml"),
            vec![
                root().join("fixtures/policy/limits/pass.yaml"),
                root().join("fixtures/policy/limits/fail.yaml"),
            ],
        ),
    ];
    let shared_sets = [
        ("seed/policy.yaml", ["seed/pass.yaml", "seed/fail.yaml"]),
        (
            "datree/security-best-practices/policy.yaml",
            [
                "datree/security-best-practices/pass.yaml",
                "datree/security-best-practices/fail.yaml",
            ],
        ),
        (
            "datree/security-policy/policy.yaml",
            [
                "datree/security-policy/pass.yaml",
                "datree/security-policy/fail.yaml",
            ],
        ),
        (
            "datree/security_checks/policy.yaml",
            [
                "datree/security_checks/pass.yaml",
                "datree/security_checks/fail.yaml",
            ],
        ),
    ];
    for (p, files) in shared_sets {
        let Some(p) = shared(p) else { break };
        let files: Vec<PathBuf> = files.iter().filter_map(|f| shared(f)).collect();
        sets.push((p, files));
    }
    // Every manifest against every policy's rules: more pairs than the policies' own files.
    let manifests: Vec<PathBuf> = sets.iter().flat_map(|(_, f)| f.clone()).collect();
    let mut docs: Vec<serde_json::Value> = Vec::new();
    for m in &manifests {
        let stream = clustersec::model::json::parse_input(&read(m));
        docs.extend(
            stream
                .documents
                .iter()
                .filter_map(|d| d.root.as_ref().map(|r| r.to_json())),
        );
    }
    let mut policies: Vec<Policy> = sets
        .iter()
        .map(|(p, _)| load(p, &LoadOptions::default()))
        .collect();
    // Datree's built-in rules too, each listed by a policy written here.
    if let Some(rules) = shared("datree/defaultRules.yaml") {
        let text = read(&rules);
        let mut policy = String::from("apiVersion: v1\npolicies:\n  - name: all\n    rules:\n");
        let mut listed = 0;
        for line in text.lines() {
            if let Some(id) = line.trim().strip_prefix("uniqueName:") {
                let id = id.trim().trim_matches('"');
                policy.push_str(&format!(
                    "      - identifier: {id}\n        messageOnFailure: ''\n"
                ));
                listed += 1;
            }
        }
        let opts = LoadOptions {
            datree_rules: Some(("defaultRules.yaml".into(), text)),
            ..LoadOptions::default()
        };
        let p = policy::load("all.yaml", &policy, &opts).unwrap_or_else(|e| panic!("{e}"));
        // Every built-in compiles, dotted identifiers (`K8S_REMOVED_APIVERSION_1.25`) included.
        assert!(listed > 100);
        assert_eq!(custom_ids(&p).len(), listed, "{:?}", p.notes);
        assert!(p.notes.is_empty(), "{:?}", p.notes);
        let dotted = p.rules.iter().find_map(|r| match r {
            Selected::Custom(c) if c.id == "K8S_REMOVED_APIVERSION_1.25" => Some(c),
            _ => None,
        });
        let dotted = dotted.expect("K8S_REMOVED_APIVERSION_1.25");
        let psp = serde_json::json!({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy"});
        assert!(!dotted.is_valid(&psp));
        policies.push(p);
    }
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for p in policies {
        for r in p.rules {
            if let Selected::Custom(c) = r {
                cases.push(serde_json::json!({
                    "rule": c.id, "schema": c.schema, "instances": docs,
                }));
                ours.push((
                    c.id.clone(),
                    docs.iter().map(|d| c.is_valid(d)).collect::<Vec<_>>(),
                ));
            }
        }
    }
    let input = serde_json::json!({ "cases": cases }).to_string();
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/policy_oracle.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .map(|mut s| s.write_all(input.as_bytes()))
                .transpose()?;
            child.wait_with_output()
        });
    let out = match out {
        Ok(o) if o.status.success() => o,
        other => {
            let why = match &other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
                Err(e) => e.to_string(),
            };
            if required() {
                panic!("python3 with jsonschema is needed (CLUSTERSEC_REQUIRE_SHARED=1): {why}");
            }
            eprintln!("skipped: python3 with the jsonschema package is not available: {why}");
            return;
        }
    };
    let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs = theirs["verdicts"].as_array().unwrap();
    assert_eq!(theirs.len(), ours.len());
    let mut compared = 0;
    let mut failing = 0;
    for ((id, mine), other) in ours.iter().zip(theirs) {
        for (i, v) in mine.iter().enumerate() {
            assert_eq!(
                Some(*v),
                other[i].as_bool(),
                "rule {id}, document {i}: clustersec says valid={v}"
            );
            compared += 1;
            failing += usize::from(!v);
        }
    }
    eprintln!(
        "{compared} document x rule verdicts ({failing} failing) agree with Python jsonschema"
    );
    // Enough pairs, and both verdicts, for the comparison to mean something.
    assert!(
        compared > 300 && failing > 50,
        "{compared} pairs, {failing} failing"
    );
}

#[test]
fn cli_runs_a_policy_in_sarif_and_refuses_a_bad_one() {
    let dir = root().join("fixtures/policy");
    let out = bin()
        .current_dir(&dir)
        .args([
            "scan",
            "limits/fail.yaml",
            "--policy",
            "limits/policy.yaml",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let cpu = rules
        .iter()
        .find(|r| r["id"] == "CPU_LIMIT_AT_MOST_TWO")
        .expect("SARIF rule metadata of the custom rule");
    assert_eq!(
        cpu["shortDescription"]["text"],
        "Ensure cpu limits stay at or under two cores"
    );
    assert!(cpu["help"]["text"]
        .as_str()
        .unwrap()
        .contains("cpu limit must be at most 2 cores"));
    // Only the policy's rules (and the integrity rules) ran: no clustersec security rule.
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().all(|r| {
        let id = r["ruleId"].as_str().unwrap();
        id.chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && !id.starts_with("CUSTOM_SECURITY")
            && !id.starts_with("PSS_")
    }));
    assert_eq!(results.len(), 7);

    let bad = bin()
        .current_dir(&dir)
        .args(["scan", "limits/fail.yaml", "--policy", "bad/bad-regex.yaml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("bad/bad-regex.yaml:13:"), "{err}");

    let kept = bin()
        .current_dir(&dir)
        .args([
            "scan",
            "limits/fail.yaml",
            "--policy",
            "bad/keep-going.yaml",
            "--keep-going",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(kept.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&kept.stdout).unwrap();
    let text = json.to_string();
    assert!(
        text.contains("CLUSTERSEC_POLICY") && text.contains("\"GOOD\""),
        "{text}"
    );
}

/// `policy:` in the config: resolved from the config file's directory, read only inside the
/// scan (the config belongs to the scanned repository).
#[test]
fn config_policy_key_is_confined_to_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let limits = root().join("fixtures/policy/limits");
    std::fs::copy(limits.join("policy.yaml"), dir.path().join("p.yaml")).unwrap();
    std::fs::copy(limits.join("fail.yaml"), dir.path().join("fail.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".clustersec.yaml"),
        "policy: p.yaml\npolicy-name: other\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["scan", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: BTreeSet<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert_eq!(rules, BTreeSet::from(["APP_LABEL_REQUIRED"]));

    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(limits.join("policy.yaml"), outside.path().join("p.yaml")).unwrap();
    std::fs::write(
        dir.path().join(".clustersec.yaml"),
        format!("policy: {}\n", outside.path().join("p.yaml").display()),
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["scan", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("outside the scanned directories"));
}

/// A custom rule's id works in `clustersec:ignore` comments like a built-in one's.
#[test]
fn custom_rule_findings_can_be_suppressed_by_id() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  \
         # clustersec:ignore APP_LABEL_REQUIRED labels come from kustomize\n  labels:\n    \
         tier: backend\n",
    )
    .unwrap();
    let policy = root().join("fixtures/policy/limits/policy.yaml");
    let out = bin()
        .current_dir(dir.path())
        .args(["scan", "cm.yaml", "--format", "json", "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let suppressed = json["suppressed"].as_array().unwrap();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "APP_LABEL_REQUIRED");
}
