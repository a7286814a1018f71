//! The CI formats: markdown (PR comment and job summary), GitHub workflow commands and GitLab Code
//! Quality. Snapshots of each for a small fixed set of manifests, then the properties that matter
//! in a pipeline: nothing from a manifest can inject markup into the comment, the comment stays
//! within GitHub's limit, workflow commands are escaped, fingerprints are unique and survive line
//! shifts. Also the shell completion scripts.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::scan_texts;
use clustersec::engine::{Engine, FileReport, FileStatus};
use clustersec::finding::{Finding, Severity};
use clustersec::model::{Pos, Span};
use clustersec::report::{self, markdown, Format, Options, Report};

const DEPLOYMENT: &str = "\
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
      containers:
        - name: app
          image: nginx
          imagePullPolicy: IfNotPresent
          securityContext:
            privileged: yes
            allowPrivilegeEscalation: true
            readOnlyRootFilesystem: true
            runAsGroup: 20000
";

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox
      imagePullPolicy: Always
      securityContext:
        runAsUser: 0
        runAsGroup: 20000
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
";

const CLEAN: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  securityContext:
    runAsUser: 20000
    runAsGroup: 20000
  containers:
    - name: app
      image: nginx:1.27
      imagePullPolicy: Always
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
";

/// Clean but for two findings that `clustersec:ignore` comments silence: one on the line above,
/// one on the same line (with a reason that tries to mention someone and inject HTML).
const SUPPRESSED: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  securityContext:
    # clustersec:ignore CUSTOM_SECURITY_USER_CHECK the agent reads host logs as root
    runAsUser: 0
    runAsGroup: 20000
  containers:
    - name: agent
      image: agent:1.0
      imagePullPolicy: Always
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: false # clustersec:ignore read-only-root-filesystem ok @admin <b>x</b>
";

/// The base branch's config and the pull request's, for the policy-changes section.
const BASE_CONFIG: &str = "fail-on: medium\nexclude: [vendor/**]\n";
const HEAD_CONFIG: &str = "\
fail-on: critical
exclude: [vendor/**, deploy/**]
helm: never
rules:
  CUSTOM_SECURITY_PRIVILEGED_CHECK:
    enabled: false
  CUSTOM_SECURITY_USER_CHECK:
    severity: low
    params: {min: 0}
";

fn policy_changes() -> Vec<clustersec::config_diff::PolicyChange> {
    use clustersec::config::Config;
    clustersec::config_diff::compare(
        &Config::parse(BASE_CONFIG).unwrap(),
        &Config::parse(HEAD_CONFIG).unwrap(),
    )
}

const BLOB: &str = "https://github.com/octo/repo/blob/0123456789abcdef0123456789abcdef01234567";
const RUN: &str = "https://github.com/octo/repo/actions/runs/42";

fn build(files: &[(&str, &str)]) -> Report {
    let engine = Engine::default();
    let (findings, reports, sources) = scan_texts(&engine, files);
    let (findings, suppressed) = clustersec::suppress::apply(findings, &sources);
    Report::new(findings, reports, engine.enabled_rules(), sources).with_suppressed(suppressed)
}

fn fixture() -> Report {
    build(&[
        ("deploy/web.yaml", DEPLOYMENT),
        ("pods/debug.yaml", POD),
        ("pods/fine.yaml", CLEAN),
        ("pods/agent.yaml", SUPPRESSED),
    ])
}

fn github_opts() -> Options {
    Options {
        blob_url: Some(BLOB.to_string()),
        run_url: Some(RUN.to_string()),
        ..Options::default()
    }
}

fn render(format: Format, report: &Report, opts: &Options) -> String {
    let mut out = Vec::new();
    report::write(format, &mut out, report, opts).unwrap();
    let s = String::from_utf8(out).unwrap();
    // Snapshots survive version bumps.
    s.replace(
        &format!(" {}.</sub>", clustersec::VERSION),
        " [VERSION].</sub>",
    )
}

#[test]
fn fixture_has_findings_of_several_severities() {
    let report = fixture();
    let severities: BTreeSet<Severity> = report.findings.iter().map(|f| f.severity).collect();
    assert!(severities.len() >= 2, "{:?}", report.findings);
    assert!(report.findings.iter().any(|f| f.path == "pods/debug.yaml"));
}

#[test]
fn markdown_snapshot() {
    let report = fixture().with_policy_changes(policy_changes());
    let text = render(Format::Markdown, &report, &github_opts());
    check_markdown_safe(&text, &[BLOB, clustersec::REPOSITORY]);
    insta::assert_snapshot!("markdown", text);
}

#[test]
fn markdown_without_ci_links_uses_plain_locations() {
    let text = render(Format::Markdown, &fixture(), &Options::default());
    assert!(text.contains("`deploy/web.yaml:16`"), "{text}");
    assert!(!text.contains("#L"), "{text}");
}

#[test]
fn markdown_summary_snapshot() {
    let report = fixture().with_policy_changes(policy_changes());
    let text = render(Format::MarkdownSummary, &report, &github_opts());
    assert!(text.contains("```mermaid\npie showData\n"));
    assert!(text.contains("### Files with the most findings"));
    check_markdown_safe(&text, &[BLOB, clustersec::REPOSITORY]);
    insta::assert_snapshot!("markdown_summary", text);
}

#[test]
fn markdown_all_clear_snapshot() {
    let report = build(&[("pods/fine.yaml", CLEAN)]);
    let text = render(Format::Markdown, &report, &github_opts());
    insta::assert_snapshot!("markdown_all_clear", text);
    // No charts for nothing.
    let summary = render(Format::MarkdownSummary, &report, &github_opts());
    assert!(!summary.contains("mermaid"), "{summary}");
}

#[test]
fn github_snapshot() {
    let mut report = fixture();
    let (r, mut f) = Engine::default().not_scanned("huge.yaml", 20_000_000, "over the size limit");
    report.files.push(r);
    report.findings.append(&mut f);
    let report = Report::new(report.findings, report.files, report.rules, report.sources);
    insta::assert_snapshot!(
        "github",
        render(Format::Github, &report, &Options::default())
    );
}

#[test]
fn gitlab_snapshot() {
    let text = render(Format::Gitlab, &fixture(), &Options::default());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for issue in v.as_array().unwrap() {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} in {issue}");
        }
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        let sev = issue["severity"].as_str().unwrap();
        assert!(["info", "minor", "major", "critical", "blocker"].contains(&sev));
    }
    insta::assert_snapshot!("gitlab", text);
}

// ---------------------------------------------------------------------------------------------
// markdown safety

/// Parses markdown the CommonMark/GFM way and checks that it holds no link but to `allowed`
/// prefixes, no image, no HTML but our `<details>`, `<summary>` and `<sub>` tags, no heading or
/// list item but ours, and no text that GitHub would turn into a mention, a reference or an
/// autolink.
fn check_markdown_safe(text: &str, allowed: &[&str]) {
    use pulldown_cmark::{Event, Parser, Tag};
    let opts = pulldown_cmark::Options::ENABLE_TABLES
        | pulldown_cmark::Options::ENABLE_STRIKETHROUGH
        | pulldown_cmark::Options::ENABLE_TASKLISTS
        | pulldown_cmark::Options::ENABLE_FOOTNOTES
        | pulldown_cmark::Options::ENABLE_GFM;
    let html_ok = [
        "<details><summary>How to fix</summary>",
        "</details>",
        "<sub>",
        "</sub>",
    ];
    let mut in_code_block = false;
    let mut open_details = 0i32;
    for event in Parser::new_ext(text, opts) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(
                    allowed.iter().any(|a| dest_url.starts_with(a)),
                    "unexpected link to {dest_url} in:\n{text}"
                );
                assert!(!dest_url.contains(['(', ')', ' ', '<', '>']), "{dest_url}");
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                panic!("image {dest_url} in:\n{text}")
            }
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_code_block = false,
            Event::Html(h) | Event::InlineHtml(h) => {
                for line in h.lines().filter(|l| !l.trim().is_empty()) {
                    // The suppressed findings' section: our text, with a count.
                    let suppressed_summary = line
                        .trim()
                        .strip_prefix("<details><summary>:mute: ")
                        .and_then(|l| l.strip_suffix("</summary>"))
                        .is_some_and(|inner| {
                            inner.contains(" suppressed finding")
                                && !inner.contains(['<', '>', '&'])
                        });
                    if line.trim().starts_with("<details>") {
                        open_details += 1;
                    } else if line.trim() == "</details>" {
                        open_details -= 1;
                        assert!(
                            open_details >= 0,
                            "</details> without <details> in:\n{text}"
                        );
                    }
                    assert!(
                        html_ok.contains(&line.trim()) || suppressed_summary,
                        "unexpected HTML {line:?} in:\n{text}"
                    );
                }
            }
            Event::FootnoteReference(r) => panic!("footnote {r} in:\n{text}"),
            Event::Text(t) if !in_code_block => {
                let chars: Vec<char> = t.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    let next = chars.get(i + 1).copied().unwrap_or(' ');
                    if *c == '@' || *c == '#' {
                        assert!(
                            !next.is_ascii_alphanumeric(),
                            "mention or reference {:?} in:\n{text}",
                            &t[..]
                        );
                    }
                }
                let lower = t.to_lowercase();
                if let Some(at) = lower.find("gh-") {
                    let next = lower[at + 3..].chars().next().unwrap_or(' ');
                    assert!(!next.is_ascii_digit(), "GH- reference in text {t:?}");
                }
                assert!(!lower.contains("://"), "URL in text {t:?}");
                assert!(!lower.contains("www."), "www. in text {t:?}");
            }
            _ => {}
        }
    }
    assert_eq!(open_details, 0, "unbalanced <details> in:\n{text}");
}

const HOSTILE_NAMES: &[&str] = &[
    "[click](https://evil.example/x)",
    "![img](https://evil.example/i.png)",
    "<img src=x onerror=alert(1)>",
    "</details><script>alert(1)</script>",
    "@admin @octo-org/team",
    "#1 GH-2 owner/repo#3",
    "`code` ``` ```` x",
    "a | b | c",
    "**bold** _it_ ~~del~~ ~x~",
    "&lt;&#64;&amp;",
    "line\n# heading\n- item\n> quote",
    "\\[x\\](y)",
    "www.evil.example http://evil.example mail@evil.example",
    "[^1]: footnote",
    "<!-- clustersec-report -->",
    "\u{202E}fdp.exe",
];

/// A report whose every manifest-controlled field holds hostile text.
fn hostile_report() -> Report {
    let mut findings = Vec::new();
    let mut files = Vec::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let path = format!("evil/{i} {name}.yaml");
        let mut f = Finding::new(
            "CUSTOM_SECURITY_PRIVILEGED_CHECK",
            Span::new(Pos::new(3, 5), Pos::new(3, 9)),
            format!("container {name} runs privileged: image {name}"),
        )
        .container(*name)
        .field(format!("spec.containers[{name}]"));
        f.severity = Severity::High;
        f.path = path.as_str().into();
        f.object = Some(std::sync::Arc::new(clustersec::model::object::ObjectRef {
            api_version: "v1".into(),
            kind: format!("Pod{name}"),
            namespace: Some(name.to_string()),
            name: name.to_string(),
            document: 0,
            item: None,
        }));
        findings.push(f);
        files.push(FileReport::new(&path, FileStatus::Scanned, 10));
    }
    files.push(FileReport::new(
        "evil/[big](https://evil.example) @admin.yaml",
        FileStatus::NotScanned("over the size limit".into()),
        1 << 30,
    ));
    let rules = Engine::default().enabled_rules();
    // Suppressed findings whose paths and reasons are hostile, and policy changes whose values
    // (globs and parameters from the pull request's config) are.
    let suppressed: Vec<Finding> = HOSTILE_NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut f = Finding::new(
                "CUSTOM_SECURITY_USER_CHECK",
                Span::new(Pos::new(5, 3), Pos::new(5, 9)),
                format!("container {name} runs as root"),
            )
            .container(*name);
            f.path = format!("quiet/{i} {name}.yaml").into();
            f.suppression = Some(name.to_string());
            f
        })
        .collect();
    let changes = HOSTILE_NAMES
        .iter()
        .map(|name| clustersec::config_diff::PolicyChange {
            kind: clustersec::config_diff::ChangeKind::ExcludeAdded,
            key: format!("rules.{name}.params"),
            base: Some(name.to_string()),
            head: Some(name.to_string()),
            weakens: true,
        })
        .collect();
    Report::new(findings, files, rules, BTreeMap::new())
        .with_suppressed(suppressed)
        .with_policy_changes(changes)
}

#[test]
fn hostile_names_are_escaped_in_markdown() {
    let report = hostile_report();
    for format in [Format::Markdown, Format::MarkdownSummary] {
        for opts in [github_opts(), Options::default()] {
            let text = render(format, &report, &opts);
            check_markdown_safe(&text, &[BLOB, RUN, clustersec::REPOSITORY]);
            assert!(!text.contains("\u{202E}"));
        }
    }
    let text = render(Format::Markdown, &report, &github_opts());
    // The links to lines percent-encode the path.
    assert!(
        text.contains(&format!(
            "{BLOB}/evil/0%20%5Bclick%5D%28https%3A//evil.example/x%29.yaml#L3"
        )),
        "{text}"
    );
    insta::assert_snapshot!("markdown_hostile", text);
}

#[test]
fn escape_text_round_trips_through_a_markdown_parser() {
    use pulldown_cmark::{Event, Parser};
    for name in HOSTILE_NAMES {
        let escaped = markdown::escape_text(name);
        let mut rendered = String::new();
        for event in Parser::new_ext(&escaped, pulldown_cmark::Options::all()) {
            match event {
                Event::Text(t) => rendered.push_str(&t),
                Event::SoftBreak | Event::HardBreak => rendered.push('\n'),
                Event::Start(_) | Event::End(_) => {}
                other => panic!("{other:?} from {escaped:?}"),
            }
        }
        let expected: String = name
            .chars()
            .map(|c| match c {
                '\n' => ' ',
                '\u{202E}' => '\u{FFFD}',
                c => c,
            })
            .collect();
        assert_eq!(rendered.replace('\u{200D}', ""), expected, "{escaped}");
    }
    for name in HOSTILE_NAMES {
        let span = markdown::code_span(name);
        let events: Vec<Event> = Parser::new(&span).collect();
        let codes: Vec<&Event> = events
            .iter()
            .filter(|e| matches!(e, Event::Code(_)))
            .collect();
        assert_eq!(codes.len(), 1, "{span}: {events:?}");
        let Event::Code(code) = codes[0] else {
            unreachable!()
        };
        assert_eq!(code.chars().count(), name.chars().count(), "{span}");
    }
}

// ---------------------------------------------------------------------------------------------
// markdown size

fn many_findings(n: usize) -> Report {
    let severities = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let rules = Engine::default().enabled_rules();
    let mut findings = Vec::new();
    let mut files = Vec::new();
    for i in 0..n {
        let path = format!(
            "manifests/app-{:04}/deployment-with-a-long-name.yaml",
            i / 7
        );
        if i % 7 == 0 {
            files.push(FileReport::new(&path, FileStatus::Scanned, 1000));
        }
        let rule = &rules[i % rules.len()];
        let mut f = Finding::new(
            rule.id.clone(),
            Span::new(Pos::new(10 + (i % 7) as u32, 3), Pos::new(10 + (i % 7) as u32, 9)),
            format!("container `app-{i}` <@user{i}> does something risky at spec.template.spec.containers[0]"),
        )
        .container(format!("app-{i}"));
        f.severity = severities[(i * 7919) % severities.len()];
        f.path = path.into();
        findings.push(f);
    }
    Report::new(findings, files, rules, BTreeMap::new())
}

#[test]
fn markdown_stays_within_github_comment_limit() {
    for n in [200, 3000, 10_000] {
        let report = many_findings(n);
        let text = render(Format::Markdown, &report, &github_opts());
        let units = text.encode_utf16().count();
        assert!(
            units <= markdown::COMMENT_LIMIT - markdown::COMMENT_RESERVE,
            "{n} findings: {units} UTF-16 units"
        );
        // Shown findings: one list item each.
        let shown = text.matches("\n- :").count();
        assert!(shown > 0 && shown < n, "{n}: {shown}");
        let left_out = n - shown;
        assert!(
            text.contains(&format!("**{left_out} of {n} findings not shown**")),
            "{n} findings, {shown} shown:\n{}",
            &text[text.len().saturating_sub(2000)..]
        );
        assert!(text.contains(RUN), "says where to see them all");
        assert!(text.contains("SARIF"));
        // Most severe first: no finding shown is less severe than one left out.
        let shown_min = Severity::ALL
            .iter()
            .rev()
            .find(|s| text.contains(&format!("** {s}** ")) || text.contains(&format!("**{s}**")))
            .copied()
            .unwrap();
        let omitted_note = &text[text.find("not shown**").unwrap()..];
        for s in Severity::ALL.iter().filter(|s| **s > shown_min) {
            assert!(
                !omitted_note.contains(&format!(" {s},"))
                    && !omitted_note.contains(&format!(" {s})")),
                "a {s} finding was left out while a {shown_min} one is shown: {omitted_note}"
            );
        }
        check_markdown_safe(&text, &[BLOB, RUN, clustersec::REPOSITORY]);
    }
}

#[test]
fn markdown_summary_is_within_a_mebibyte_and_keeps_more() {
    let report = many_findings(10_000);
    let summary = render(Format::MarkdownSummary, &report, &github_opts());
    assert!(summary.len() <= markdown::SUMMARY_LIMIT - markdown::SUMMARY_RESERVE);
    let comment = render(Format::Markdown, &report, &github_opts());
    assert!(summary.matches("\n- :").count() > comment.matches("\n- :").count());
}

#[test]
fn markdown_lists_suppressed_findings_and_policy_changes() {
    let report = fixture().with_policy_changes(policy_changes());
    assert_eq!(report.suppressed.len(), 2, "{:?}", report.suppressed);
    for format in [Format::Markdown, Format::MarkdownSummary] {
        let text = render(format, &report, &github_opts());
        check_markdown_safe(&text, &[BLOB, clustersec::REPOSITORY]);
        // Collapsed, with the count in its summary line.
        assert!(
            text.contains("\n<details><summary>:mute: 2 suppressed findings by "),
            "{text}"
        );
        // The finding's line and the comment's line, linked; the reason, escaped.
        assert!(
            text.contains(&format!(
                "`CUSTOM_SECURITY_USER_CHECK` at [`pods/agent.yaml:8`]({BLOB}/pods/agent.yaml#L8) \
                 in `Pod/agent`"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "suppressed by the comment at [`pods/agent.yaml:7`]({BLOB}/pods/agent.yaml#L7): \
                 the agent reads host logs as root\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "suppressed by the comment at [`pods/agent.yaml:16`]({BLOB}/pods/agent.yaml#L16): \
                 ok \\@\u{200D}admin \\<b\\>x\\<\\/b\\>\n"
            )),
            "{text}"
        );
        // Not counted as findings.
        let body = &text[..text.find("<details><summary>:mute:").expect("section")];
        assert!(!body.contains("pods/agent.yaml"), "{body}");
        // The policy changes, before the findings, weakening ones flagged.
        let policy = text
            .find("### :warning: Policy changes in this pull request")
            .expect("policy section");
        assert!(policy < text.find("### `deploy/web.yaml`").expect("findings"));
        for line in [
            "- :warning: **rule turned off**: `rules.CUSTOM_SECURITY_PRIVILEGED_CHECK.enabled` `true` → `false`\n",
            "- :warning: **severity lowered**: `rules.CUSTOM_SECURITY_USER_CHECK.severity` `medium` → `low`\n",
            "- :warning: **rule parameter changed**: `rules.CUSTOM_SECURITY_USER_CHECK.params.min` *(not set)* → `0`\n",
            "- :warning: **paths excluded**: `exclude` *(not set)* → `deploy/**`\n",
            "- :warning: **fail-on loosened**: `fail-on` `medium` → `critical`\n",
            "- :warning: **rendering turned off**: `helm` `auto` → `never`\n",
        ] {
            assert!(text.contains(line), "{line} in:\n{text}");
        }
    }
    // Without a comparison, or with no change, no section.
    let text = render(Format::Markdown, &fixture(), &github_opts());
    assert!(!text.contains("Policy changes"), "{text}");
    let text = render(
        Format::Markdown,
        &fixture().with_policy_changes(Vec::new()),
        &github_opts(),
    );
    assert!(!text.contains("Policy changes"), "{text}");
}

#[test]
fn suppressed_findings_share_the_comment_budget_by_severity() {
    let mut report = many_findings(3000);
    for f in &mut report.findings {
        f.severity = Severity::Low;
    }
    let mut suppressed = many_findings(3000).findings;
    for (i, f) in suppressed.iter_mut().enumerate() {
        f.path = format!("quiet/{:04}.yaml", i / 7).into();
        f.suppression = Some(format!("reason {i}"));
    }
    let critical_quiet = suppressed
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    let report = Report::new(report.findings, report.files, report.rules, report.sources)
        .with_suppressed(suppressed);
    for format in [Format::Markdown, Format::MarkdownSummary] {
        let text = render(format, &report, &github_opts());
        assert!(
            format.eq(&Format::MarkdownSummary)
                || text.encode_utf16().count()
                    <= markdown::COMMENT_LIMIT - markdown::COMMENT_RESERVE
        );
        assert!(text.len() <= markdown::SUMMARY_LIMIT - markdown::SUMMARY_RESERVE);
        assert!(
            text.contains("<details><summary>:mute: 3000 suppressed findings by "),
            "the count is always there"
        );
        check_markdown_safe(&text, &[BLOB, RUN, clustersec::REPOSITORY]);
        if format == Format::Markdown {
            // Suppressed critical findings come before low findings, and the rest is counted.
            let quiet_shown = text.matches("suppressed by the comment at").count();
            let low_shown = text.matches("- :large_blue_circle: **low**").count();
            assert!(quiet_shown > 0, "{quiet_shown}");
            assert!(quiet_shown >= critical_quiet || low_shown == 0);
            assert!(
                text.contains(&format!(
                    "{} of 3000 suppressed findings not shown here",
                    3000 - quiet_shown
                )),
                "{}",
                &text[text.len().saturating_sub(3000)..]
            );
        }
    }
}

#[test]
fn cli_compares_the_config_with_a_base_config() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(repo.join("web.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(repo.join(".clustersec.yaml"), HEAD_CONFIG).unwrap();
    std::fs::write(dir.path().join("base.yaml"), BASE_CONFIG).unwrap();
    std::fs::write(dir.path().join("empty.yaml"), "").unwrap();
    let run = |base: &str| {
        assert_cmd::Command::cargo_bin("clustersec")
            .unwrap()
            .current_dir(dir.path())
            .args(["scan", "repo", "--compare-config", base])
            .args(["--format", "markdown", "--output", "c.md"])
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    let out = run("base.yaml");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = json["policyChanges"].as_array().expect("policyChanges");
    let kinds: Vec<&str> = changes.iter().filter_map(|c| c["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "rule-disabled",
            "severity-lowered",
            "params-changed",
            "exclude-added",
            "fail-on-loosened",
            "rendering-turned-off"
        ]
    );
    assert_eq!(
        changes[0]["key"],
        "rules.CUSTOM_SECURITY_PRIVILEGED_CHECK.enabled"
    );
    assert_eq!(changes[0]["base"], "true");
    assert_eq!(changes[0]["head"], "false");
    assert_eq!(changes[0]["weakens"], true);
    let comment = std::fs::read_to_string(dir.path().join("c.md")).unwrap();
    assert!(
        comment.contains("Policy changes in this pull request"),
        "{comment}"
    );

    // An empty base config is the defaults.
    let out = run("empty.yaml");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &json["policyChanges"][0];
    assert_eq!(first["kind"], "rule-disabled");
    assert!(json["policyChanges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["kind"] == "fail-on-loosened" && c["base"] == "info"));

    // A base config that cannot be read or parsed stops the run.
    let out = run("missing.yaml");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    std::fs::write(dir.path().join("bad.yaml"), "rules:\n  NOPE: {}\n").unwrap();
    let out = run("bad.yaml");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml:2:3"));

    // Without the flag, no policyChanges key.
    let out = assert_cmd::Command::cargo_bin("clustersec")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", "repo", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.get("policyChanges").is_none());
}

#[test]
fn cli_config_dir_resolves_chart_paths_of_an_outside_config() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("charts/web")).unwrap();
    std::fs::write(
        repo.join("charts/web/Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(repo.join("pod.yaml"), CLEAN).unwrap();
    // The base branch's config, read into a file outside the repository (the checkout, where
    // the scan runs).
    let config = dir.path().join("base-config.yaml");
    std::fs::write(&config, "charts:\n  charts/web:\n    namespace: web\n").unwrap();
    let run = |extra: &[&str]| {
        assert_cmd::Command::cargo_bin("clustersec")
            .unwrap()
            .current_dir(&repo)
            .args([
                "scan",
                ".",
                "--helm",
                "never",
                "--kustomize",
                "never",
                "--config",
            ])
            .arg(&config)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Chart.yaml"));
    let out = run(&["--config-dir", "."]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run(&["--config-dir", "pod.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // The paths it names stay inside the scan, as those of any repository config.
    std::fs::write(dir.path().join("secret.yaml"), "marker-7f3a: 1\n").unwrap();
    std::fs::write(
        &config,
        "charts:\n  charts/web:\n    values: [[../../../secret.yaml]]\n",
    )
    .unwrap();
    let out = run(&["--config-dir", "."]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let all = format!("{out:?}");
    assert!(!all.contains("marker-7f3a"), "{all}");
}

#[test]
fn small_reports_are_not_truncated() {
    let report = many_findings(20);
    let text = render(Format::Markdown, &report, &Options::default());
    assert_eq!(text.matches("\n- :").count(), 20);
    assert!(!text.contains("not shown"));
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

#[test]
fn github_commands_escape_data_and_properties() {
    let mut f = Finding::new(
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        Span::new(Pos::new(4, 3), Pos::new(4, 8)),
        "100% bad\r\nnext: line, with comma",
    );
    f.severity = Severity::Critical;
    f.path = "dir,with:odd%chars\nnew.yaml".into();
    let report = Report::new(vec![f], vec![], vec![], BTreeMap::new());
    let text = render(Format::Github, &report, &Options::default());
    let line = text.lines().next().unwrap();
    assert_eq!(text.lines().count(), 1, "one line per finding: {text:?}");
    assert!(
        line.starts_with(
            "::error file=dir%2Cwith%3Aodd%25chars%0Anew.yaml,line=4,col=3,endLine=4,endColumn=7,\
             title=CUSTOM_SECURITY_PRIVILEGED_CHECK::100%25 bad%0D%0Anext: line, with comma%0A"
        ),
        "{line}"
    );

    // Severity to command.
    for (sev, cmd) in [
        (Severity::Critical, "::error "),
        (Severity::High, "::error "),
        (Severity::Medium, "::warning "),
        (Severity::Low, "::notice "),
        (Severity::Info, "::notice "),
    ] {
        let mut f = Finding::new("R", Span::point(Pos::new(1, 1)), "m");
        f.severity = sev;
        f.path = "a.yaml".into();
        let report = Report::new(vec![f], vec![], vec![], BTreeMap::new());
        assert!(render(Format::Github, &report, &Options::default()).starts_with(cmd));
    }

    // A span over several lines has no columns.
    let mut f = Finding::new("R", Span::new(Pos::new(2, 5), Pos::new(6, 1)), "m");
    f.path = "a.yaml".into();
    let report = Report::new(vec![f], vec![], vec![], BTreeMap::new());
    assert!(render(Format::Github, &report, &Options::default())
        .starts_with("::warning file=a.yaml,line=2,endLine=6,title=R::m"));
}

// ---------------------------------------------------------------------------------------------
// GitLab fingerprints

fn gitlab_issues(report: &Report) -> Vec<serde_json::Value> {
    let text = render(Format::Gitlab, report, &Options::default());
    serde_json::from_str::<Vec<serde_json::Value>>(&text).unwrap()
}

fn fingerprints(report: &Report) -> BTreeMap<String, (String, u64)> {
    gitlab_issues(report)
        .into_iter()
        .map(|i| {
            (
                i["fingerprint"].as_str().unwrap().to_string(),
                (
                    i["check_name"].as_str().unwrap().to_string(),
                    i["location"]["lines"]["begin"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn gitlab_fingerprints_are_unique_and_survive_line_shifts() {
    // Two identical containers: true duplicates in all but line.
    let twins = "\
apiVersion: v1
kind: Pod
metadata:
  name: twins
spec:
  containers:
    - name: app
      image: nginx
      securityContext: {privileged: true}
    - name: app
      image: nginx
      securityContext: {privileged: true}
";
    let before = build(&[("a.yaml", DEPLOYMENT), ("b.yaml", POD), ("t.yaml", twins)]);
    let issues = gitlab_issues(&before);
    let prints = fingerprints(&before);
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");

    let shifted_deploy = format!("# a new comment\n# and another\n{DEPLOYMENT}");
    let shifted_twins = format!("\n\n\n{twins}");
    let after = build(&[
        ("a.yaml", &shifted_deploy),
        ("b.yaml", POD),
        ("t.yaml", &shifted_twins),
    ]);
    let prints_after = fingerprints(&after);
    assert_eq!(
        prints.keys().collect::<Vec<_>>(),
        prints_after.keys().collect::<Vec<_>>(),
        "the same fingerprints after lines moved"
    );
    for (fp, (rule, line)) in &prints {
        let (rule_after, line_after) = &prints_after[fp];
        assert_eq!(rule, rule_after);
        assert!(line_after >= line, "{fp}");
    }
    assert!(
        prints
            .values()
            .zip(prints_after.values())
            .any(|(a, b)| a.1 != b.1),
        "some lines did move"
    );

    // The GitLab fingerprint is the SARIF one.
    let sarif: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &before, &Options::default())).unwrap();
    let sarif_prints: BTreeSet<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"][report::sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sarif_prints, prints.keys().cloned().collect());
}

// ---------------------------------------------------------------------------------------------
// shell completions

#[test]
fn completions_for_every_shell() {
    use clap_complete::Shell;
    for (shell, marker) in [
        (Shell::Bash, "complete -F"),
        (Shell::Zsh, "#compdef clustersec"),
        (Shell::Fish, "complete -c clustersec"),
        (Shell::PowerShell, "Register-ArgumentCompleter"),
        (Shell::Elvish, "edit:completion:arg-completer[clustersec]"),
    ] {
        let mut out = Vec::new();
        clustersec::app::completion_script(shell, &mut out);
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        for word in ["scan", "explain", "completions", "fail-on"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
        if matches!(shell, Shell::Bash | Shell::Zsh | Shell::Fish) {
            assert!(script.contains("markdown-summary"), "{shell} lists formats");
        }
    }
}

#[test]
fn completions_subcommand_prints_a_script() {
    let out = assert_cmd::Command::cargo_bin("clustersec")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("_clustersec()"));
    let bad = assert_cmd::Command::cargo_bin("clustersec")
        .unwrap()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn ci_links_come_from_the_github_environment() {
    use clustersec::app::CiLinks;
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    let links = CiLinks::from_env(env(&[
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "octo/repo"),
        ("GITHUB_SHA", "abc123"),
        ("GITHUB_RUN_ID", "42"),
    ]));
    assert_eq!(
        links.blob_url.as_deref(),
        Some("https://github.com/octo/repo/blob/abc123")
    );
    assert_eq!(
        links.run_url.as_deref(),
        Some("https://github.com/octo/repo/actions/runs/42")
    );
    assert_eq!(CiLinks::from_env(env(&[])), CiLinks::default());
    let odd = CiLinks::from_env(env(&[
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "octo/repo) [x](y"),
        ("GITHUB_SHA", "abc"),
    ]));
    assert_eq!(odd, CiLinks::default());
}

#[test]
fn cli_writes_the_ci_formats() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), DEPLOYMENT).unwrap();
    let out = assert_cmd::Command::cargo_bin("clustersec")
        .unwrap()
        .current_dir(dir.path())
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "octo/repo")
        .env("GITHUB_SHA", "abc123")
        .env("GITHUB_RUN_ID", "42")
        .args(["scan", "."])
        .args(["--format", "markdown", "--output", "c.md"])
        .args(["--format", "markdown-summary", "--output", "s.md"])
        .args(["--format", "gitlab", "--output", "gl.json"])
        .args(["--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("::error file=web.yaml,line="),
        "{stdout}"
    );
    let comment = std::fs::read_to_string(dir.path().join("c.md")).unwrap();
    assert!(
        comment.contains("(https://github.com/octo/repo/blob/abc123/web.yaml#L"),
        "{comment}"
    );
    let summary = std::fs::read_to_string(dir.path().join("s.md")).unwrap();
    assert!(summary.contains("```mermaid"));
    let gl: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("gl.json")).unwrap()).unwrap();
    assert!(!gl.as_array().unwrap().is_empty());
}
