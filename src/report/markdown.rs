//! Markdown for a pull-request comment (`--format markdown`) and for a CI job summary
//! (`--format markdown-summary`).
//!
//! Layout: a headline with the counts by severity, the findings grouped by file (severity, rule,
//! object, a link to the exact line, the message, the rule's fix in a `<details>` section), a
//! legend of the rules that fired with links to their docs. The summary variant adds mermaid
//! charts of the findings by severity and by rule, and the files with the most findings.
//!
//! **Nothing from a manifest is trusted.** Paths, object and container names and messages (which
//! quote values) go through [`code_span`] or [`escape_text`], so that a manifest in a pull request
//! cannot inject markdown, HTML, links, images, `@mentions` or `#references` into the comment.
//!
//! **Size.** GitHub rejects comments over 65,536 characters (UTF-16 code units) and job summaries
//! over 1 MiB. When the report does not fit, whole findings are left out, least severe first, and
//! a note says how many and where to see them all. The comment variant stays [`COMMENT_RESERVE`]
//! units under the limit so a caller can add a marker line (the GitHub Action adds one).

use std::collections::BTreeMap;
use std::io::{self, Write};

pub use super::escape::{code_span, escape_text};
use super::{Options, Report};
use crate::config_diff::PolicyChange;
use crate::finding::{Finding, Severity, SuppressedBy};
use crate::model::LineIndex;
use crate::rules::RuleMeta;

/// GitHub's limit for an issue or pull-request comment, in UTF-16 code units.
pub const COMMENT_LIMIT: usize = 65_536;
/// Left free under [`COMMENT_LIMIT`] for a marker line added by the caller.
pub const COMMENT_RESERVE: usize = 128;
/// GitHub's limit for the job summary of one step, in bytes.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;
/// Left free under [`SUMMARY_LIMIT`].
pub const SUMMARY_RESERVE: usize = 4096;
/// Files listed in the summary's "most findings" table.
const TOP_FILES: usize = 10;
/// Rules shown by name in the summary's chart; the rest are one slice.
const TOP_RULES: usize = 12;
/// Policy changes listed in the markdown (the rest are counted; JSON has them all).
const POLICY_ITEMS: usize = 50;
/// Characters of a config key or value shown in a policy change.
const POLICY_VALUE_CHARS: usize = 120;

/// Which markdown: the comment, or the job summary with charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Comment,
    Summary,
}

impl Variant {
    /// The size of `text` as the limit counts it.
    fn size(self, text: &str) -> usize {
        match self {
            Variant::Comment => text.encode_utf16().count(),
            Variant::Summary => text.len(),
        }
    }

    /// The most the report may take.
    pub fn budget(self) -> usize {
        match self {
            Variant::Comment => COMMENT_LIMIT - COMMENT_RESERVE,
            Variant::Summary => SUMMARY_LIMIT - SUMMARY_RESERVE,
        }
    }

    fn limit_name(self) -> &'static str {
        match self {
            Variant::Comment => "GitHub's 65,536-character comment limit",
            Variant::Summary => "GitHub's 1 MiB job-summary limit",
        }
    }
}

/// `--format markdown`: the pull-request comment.
pub fn write(out: &mut dyn Write, report: &Report, opts: &Options) -> io::Result<()> {
    out.write_all(render(report, opts, Variant::Comment).as_bytes())
}

/// `--format markdown-summary`: the job summary, with charts.
pub fn write_summary(out: &mut dyn Write, report: &Report, opts: &Options) -> io::Result<()> {
    out.write_all(render(report, opts, Variant::Summary).as_bytes())
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":red_circle:",
        Severity::High => ":orange_circle:",
        Severity::Medium => ":yellow_circle:",
        Severity::Low => ":large_blue_circle:",
        Severity::Info => ":white_circle:",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Renders the whole report in a variant, within the variant's budget.
pub fn render(report: &Report, opts: &Options, variant: Variant) -> String {
    let head = head(report, opts, variant);
    let legend = legend(report);
    let footer = footer();

    // A finding's block is rendered when it is first needed, then kept: only the findings that
    // are measured or shown cost anything, however many the report holds.
    let mut blocks: Vec<Option<String>> = vec![None; report.findings.len()];
    let mut block = |i: usize| -> String {
        match blocks.get_mut(i) {
            Some(Some(b)) => b.clone(),
            Some(slot) => {
                let b = report
                    .findings
                    .get(i)
                    .map(|f| finding_block(report, opts, f))
                    .unwrap_or_default();
                *slot = Some(b.clone());
                b
            }
            None => String::new(),
        }
    };
    // Suppressed findings: one block each, in a collapsed section whose summary line (with the
    // count) is always there when there are any.
    let mut indexes: BTreeMap<&str, LineIndex> = BTreeMap::new();
    let quiet_blocks: Vec<String> = report
        .suppressed
        .iter()
        .map(|f| suppressed_block(report, opts, f, &mut indexes))
        .collect();
    let quiet_total = report.suppressed.len();
    let (quiet_open, quiet_close) = suppressed_frame(quiet_total, &report.summary().suppressed_by);

    // Choose what to show: most severe first, findings before suppressed findings of the same
    // severity, as long as they fit.
    let total = report.findings.len();
    let (existing_open, existing_close) = existing_frame(report);
    let fixed = variant.size(&existing_open)
        + variant.size(&existing_close)
        + variant.size(&head)
        + variant.size(&legend)
        + variant.size(&footer)
        + variant.size(&quiet_open)
        + variant.size(&quiet_close);
    let note_room = variant.size(&omitted_note(&[], total, opts, variant))
        + variant.size(&quiet_note(quiet_total, quiet_total))
        + 64;
    let (shown, quiet_shown) =
        choose_shown(report, variant, &mut block, &quiet_blocks, fixed, note_room);
    let body = findings_body(report, &shown, &existing_open, &existing_close, &mut block);
    let left_out: Vec<&Finding> = report
        .findings
        .iter()
        .zip(&shown)
        .filter(|(_, s)| !**s)
        .map(|(f, _)| f)
        .collect();

    let mut text = head;
    text.push_str(&body);
    if !left_out.is_empty() {
        text.push_str(&omitted_note(&left_out, total, opts, variant));
    }
    text.push_str(&suppressed_section(
        &quiet_blocks,
        &quiet_shown,
        &quiet_open,
        &quiet_close,
    ));
    text.push_str(&legend);
    text.push_str(&footer);
    text
}

/// The headline, the counts, what was not scanned or checked, the notes and (in the summary
/// variant) the charts.
fn head(report: &Report, opts: &Options, variant: Variant) -> String {
    let summary = report.summary();
    let files_with_findings = {
        let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        paths.len()
    };

    let mut head = String::new();
    if let Some((new, existing)) = report.new_and_existing() {
        head.push_str(&comparison_head(report, &summary, new, existing));
    } else if report.findings.is_empty() {
        head.push_str("## clustersec: no findings\n\n");
        head.push_str(&format!(
            ":white_check_mark: No security findings in {} ({}).\n",
            plural(summary.scanned, "scanned file", "scanned files"),
            plural(summary.objects, "Kubernetes object", "Kubernetes objects"),
        ));
    } else {
        head.push_str(&format!(
            "## clustersec: {} in {}\n\n",
            plural(summary.findings, "finding", "findings"),
            plural(files_with_findings, "file", "files"),
        ));
        let counts: Vec<String> = Severity::ALL
            .iter()
            .map(|s| {
                let n = summary.by_severity.get(s).copied().unwrap_or(0);
                if n > 0 {
                    format!("{} **{n} {s}**", icon(*s))
                } else {
                    format!("{} {n} {s}", icon(*s))
                }
            })
            .collect();
        head.push_str(&counts.join(" · "));
        head.push_str("\n\n");
        head.push_str(&format!(
            "Scanned {} ({}).\n",
            plural(summary.scanned, "file", "files"),
            plural(summary.objects, "Kubernetes object", "Kubernetes objects"),
        ));
    }

    if let Some(pss) = &report.pss {
        head.push_str(&pss.line());
        head.push('\n');
    }

    // Nothing is skipped silently: files not read, counted by reason (fixed phrases only).
    if let Some(why) = summary.not_scanned_phrase() {
        head.push_str(&format!("Not scanned: {why}.\n"));
    }
    // A scan that checked nothing is never all clear (the verdict holds fixed phrases only).
    if let Some(v) = report.verdict.as_ref() {
        if v.empty {
            head.push_str("\n:warning: **No Kubernetes object was found**: check the path.\n");
        }
        if !v.not_checked.is_empty() {
            head.push_str(&format!(
                "\n:warning: **Not checked**: {}.\n",
                v.not_checked.join(", ")
            ));
        }
    }

    if let Some(note) = super::sarif_cap_note(report, opts) {
        head.push_str(&format!("\n:warning: **SARIF capped**: {note}.\n"));
    }

    if let Some(changes) = report.policy_changes.as_deref() {
        head.push_str(&policy_section(changes));
    }

    if variant == Variant::Summary && !report.findings.is_empty() {
        head.push_str(&charts(report));
    }
    head
}

/// The footer: the tool and its version.
fn footer() -> String {
    format!(
        "\n<sub>Reported by [clustersec]({}) {}.</sub>\n",
        crate::REPOSITORY,
        crate::VERSION
    )
}

/// The heading of a file's findings.
fn heading(path: &str) -> String {
    format!("\n### {}\n\n", code_span(path))
}

/// The order in which findings and suppressed findings are given room: new findings before
/// existing ones, then most severe first, findings before suppressed findings of the same severity.
fn display_order(report: &Report) -> Vec<(bool, usize)> {
    let total = report.findings.len();
    let quiet_total = report.suppressed.len();
    // (is suppressed, index)
    let mut order: Vec<(bool, usize)> = (0..total)
        .map(|i| (false, i))
        .chain((0..quiet_total).map(|i| (true, i)))
        .collect();
    let severity = |&(quiet, i): &(bool, usize)| {
        let list = if quiet {
            &report.suppressed
        } else {
            &report.findings
        };
        list.get(i).map(|f| f.severity)
    };
    // New findings before existing ones (a baseline or diff base), then by severity.
    let existing = |&(quiet, i): &(bool, usize)| {
        !quiet && report.findings.get(i).is_some_and(Finding::is_existing)
    };
    order.sort_by_key(|k| (existing(k), std::cmp::Reverse(severity(k)), k.0));
    order
}

/// Whether every finding and suppressed finding fits the budget (then no note is needed).
fn everything_fits(
    report: &Report,
    variant: Variant,
    block: &mut impl FnMut(usize) -> String,
    quiet_blocks: &[String],
    fixed: usize,
    budget: usize,
) -> bool {
    let mut size = fixed;
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        if seen.insert(f.path.as_str(), ()).is_none() {
            size += variant.size(&heading(&f.path));
        }
        size += variant.size(&block(i));
        if size > budget {
            break;
        }
    }
    size += quiet_blocks.iter().map(|b| variant.size(b)).sum::<usize>();
    size <= budget
}

/// Which findings and which suppressed findings are shown, in display order, as long as they
/// fit the budget.
fn choose_shown(
    report: &Report,
    variant: Variant,
    block: &mut impl FnMut(usize) -> String,
    quiet_blocks: &[String],
    fixed: usize,
    note_room: usize,
) -> (Vec<bool>, Vec<bool>) {
    let total = report.findings.len();
    let quiet_total = quiet_blocks.len();
    let budget = variant.budget();
    let order = display_order(report);
    let mut shown = vec![false; total];
    let mut quiet_shown = vec![false; quiet_total];
    let mut headed: BTreeMap<&str, ()> = BTreeMap::new();
    let mut used = fixed;
    let all_fit = everything_fits(report, variant, block, quiet_blocks, fixed, budget);
    let room = if all_fit {
        budget
    } else {
        budget.saturating_sub(note_room)
    };
    for &(quiet, i) in &order {
        if quiet {
            let (Some(quiet_block), Some(quiet_show)) =
                (quiet_blocks.get(i), quiet_shown.get_mut(i))
            else {
                continue;
            };
            let cost = variant.size(quiet_block);
            if used + cost > room {
                break;
            }
            used += cost;
            *quiet_show = true;
            continue;
        }
        let (Some(f), Some(show)) = (report.findings.get(i), shown.get_mut(i)) else {
            continue;
        };
        let mut cost = variant.size(&block(i));
        if !headed.contains_key(f.path.as_str()) {
            cost += variant.size(&heading(&f.path));
        }
        if used + cost > room {
            break;
        }
        used += cost;
        headed.insert(f.path.as_str(), ());
        *show = true;
    }
    (shown, quiet_shown)
}

/// The shown findings under a heading per file: new findings first, existing ones (against a
/// baseline or a diff base) folded below.
fn findings_body(
    report: &Report,
    shown: &[bool],
    existing_open: &str,
    existing_close: &str,
    block: &mut impl FnMut(usize) -> String,
) -> String {
    let mut body = String::new();
    // New findings first; existing ones (against a baseline or a diff base) folded below.
    for folded in [false, true] {
        if folded && existing_open.is_empty() {
            break;
        }
        if folded {
            body.push_str(existing_open);
        }
        let mut current: Option<&str> = None;
        for ((i, f), &show) in report.findings.iter().enumerate().zip(shown) {
            if !show || f.is_existing() != folded {
                continue;
            }
            if current != Some(f.path.as_str()) {
                body.push_str(&heading(&f.path));
                current = Some(f.path.as_str());
            }
            body.push_str(&block(i));
        }
        if folded {
            body.push_str(existing_close);
        }
    }
    body
}

/// The collapsed section of suppressed findings: the shown blocks and a note for the rest.
fn suppressed_section(
    quiet_blocks: &[String],
    quiet_shown: &[bool],
    quiet_open: &str,
    quiet_close: &str,
) -> String {
    let mut text = String::new();
    let quiet_total = quiet_blocks.len();
    if quiet_total > 0 {
        text.push_str(quiet_open);
        for (block, _) in quiet_blocks.iter().zip(quiet_shown).filter(|(_, s)| **s) {
            text.push_str(block);
        }
        let quiet_left = quiet_shown.iter().filter(|s| !**s).count();
        if quiet_left > 0 {
            text.push_str(&quiet_note(quiet_left, quiet_total));
        }
        text.push_str(quiet_close);
    }
    text
}

/// The headline of a run compared with a baseline or a diff base: the new findings lead
/// ("N new findings in this pull request"), the existing ones are counted.
fn comparison_head(
    report: &Report,
    summary: &super::Summary,
    new: usize,
    existing: usize,
) -> String {
    let mut head = format!(
        "## clustersec: {} in this pull request\n\n",
        plural(new, "new finding", "new findings")
    );
    if new == 0 {
        head.push_str(":white_check_mark: This pull request adds no security finding.\n");
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .map(|s| {
                let n = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == *s && !f.is_existing())
                    .count();
                if n > 0 {
                    format!("{} **{n} {s}**", icon(*s))
                } else {
                    format!("{} {n} {s}", icon(*s))
                }
            })
            .collect();
        head.push_str(&counts.join(" · "));
        head.push('\n');
    }
    let what = report
        .comparison
        .as_ref()
        .map(|c| escape_text(&c.describe()))
        .unwrap_or_default();
    head.push_str(&format!(
        "\n{} already there (compared with {what}); only new findings count toward `fail-on`.\n",
        plural(existing, "existing finding is", "existing findings are"),
    ));
    head.push_str(&format!(
        "Scanned {} ({}).\n",
        plural(summary.scanned, "file", "files"),
        plural(summary.objects, "Kubernetes object", "Kubernetes objects"),
    ));
    head
}

/// The collapsed section of existing findings: its opening and its end; empty without any.
fn existing_frame(report: &Report) -> (String, String) {
    match report.new_and_existing() {
        Some((_, n)) if n > 0 => (
            format!(
                "\n<details><summary>{} (not added by this pull request)</summary>\n",
                plural(n, "existing finding", "existing findings")
            ),
            "\n</details>\n".to_string(),
        ),
        _ => (String::new(), String::new()),
    }
}

/// The collapsed section of suppressed findings: its opening (with the count in the summary
/// line) and its end. Empty when nothing is suppressed.
fn suppressed_frame(n: usize, by: &BTreeMap<&'static str, usize>) -> (String, String) {
    if n == 0 {
        return (String::new(), String::new());
    }
    let by = super::suppressed_breakdown(by).map_or_else(
        || " by clustersec:ignore comments (not counted;".to_string(),
        |b| format!(" ({b}; not counted;"),
    );
    (
        format!(
            "\n<details><summary>:mute: {}{by} check each reason)</summary>\n\n",
            plural(n, "suppressed finding", "suppressed findings")
        ),
        "\n</details>\n".to_string(),
    )
}

/// Said inside the suppressed section when some of its findings did not fit.
fn quiet_note(left: usize, total: usize) -> String {
    format!(
        "\n:warning: {left} of {} not shown here to stay within the size limit; the JSON and \
         SARIF results list them all.\n",
        plural(total, "suppressed finding", "suppressed findings")
    )
}

/// One suppressed finding: where it is, and the comment that silences it with its reason.
fn suppressed_block<'r>(
    report: &'r Report,
    opts: &Options,
    f: &'r Finding,
    indexes: &mut BTreeMap<&'r str, LineIndex>,
) -> String {
    let line = f.span.start.line.max(1);
    let mut block = format!(
        "- {} **{}** {} at {}",
        icon(f.severity),
        f.severity,
        code_span(&f.rule),
        linked_place(opts, &f.path, line)
    );
    if let Some(object) = &f.object {
        block.push_str(&format!(" in {}", code_span(&object.display())));
    }
    if let Some(container) = &f.container {
        block.push_str(&format!(", container {}", code_span(container)));
    }
    match f.suppressed_by {
        Some(SuppressedBy::Annotation) => {
            block.push_str("\\\n  suppressed by an annotation of the object");
        }
        Some(SuppressedBy::Config { line }) => {
            block.push_str("\\\n  suppressed by the config's `suppressions` entry at ");
            match report.config_path.as_deref() {
                Some(path) if line > 0 => block.push_str(&linked_place(opts, path, line)),
                _ => block.push_str("*(the config)*"),
            }
        }
        Some(SuppressedBy::Namespace) => {
            block.push_str("\\\n  reported, not enforced");
        }
        Some(SuppressedBy::Note) => {
            block.push_str("\\\n  a note about the run, not counted");
        }
        Some(SuppressedBy::Comment) | None => {
            block.push_str("\\\n  suppressed by the comment at ");
            match suppression_line(report, f, indexes) {
                Some(l) => block.push_str(&linked_place(opts, &f.path, l)),
                None => block.push_str("*(not found)*"),
            }
        }
    }
    let reason = f.suppression.as_deref().map(str::trim).unwrap_or("");
    if reason.is_empty() {
        block.push_str(", *no reason given*\n");
    } else {
        block.push_str(": ");
        block.push_str(&escape_text(reason));
        block.push('\n');
    }
    block
}

/// `path:line` as a code span, linked to the line when the caller knows where files are.
fn linked_place(opts: &Options, path: &str, line: u32) -> String {
    let place = code_span(&format!("{path}:{line}"));
    match line_url(opts, path, line) {
        Some(url) => format!("[{place}]({url})"),
        None => place,
    }
}

/// The line of the `clustersec:ignore` comment that covers a suppressed finding: its own line,
/// else the comment lines right above it (the places [`crate::suppress`] looks at).
fn suppression_line<'r>(
    report: &'r Report,
    f: &Finding,
    indexes: &mut BTreeMap<&'r str, LineIndex>,
) -> Option<u32> {
    let (path, text) = report.sources.get_key_value(f.path.as_str())?;
    let index = indexes
        .entry(path.as_str())
        .or_insert_with(|| LineIndex::new(text));
    let name = rule_meta(report, &f.rule).map_or("", |m| &*m.name);
    let covers = |l: &str| {
        crate::suppress::parse_in(l, &report.registry)
            .is_some_and(|s| s.rules.iter().any(|r| *r == f.rule || r == name))
    };
    let mut line = f.span.start.line;
    if index.line(text, line).is_some_and(covers) {
        return Some(line);
    }
    loop {
        line = line.checked_sub(1).filter(|l| *l >= 1)?;
        let t = index.line(text, line)?;
        let trimmed = t.trim_start();
        if !(trimmed.starts_with('#')
            || trimmed.starts_with("{{/*")
            || trimmed.starts_with("{{- /*"))
        {
            return None;
        }
        if covers(t) {
            return Some(line);
        }
    }
}

/// The "Policy changes in this pull request" section: what the scanned config changes compared
/// with the base config. Everything but the kind of change comes from the pull request's config
/// (rule ids, globs, parameter values) and is shown in code spans, cut to a bounded length.
fn policy_section(changes: &[PolicyChange]) -> String {
    if changes.is_empty() {
        return String::new();
    }
    let weakening = changes.iter().filter(|c| c.weakens).count();
    let mut text = String::from("\n### :warning: Policy changes in this pull request\n\n");
    text.push_str(&format!(
        "This pull request changes the configuration it is checked with, compared with the base \
         branch ({}, {} of them can lower the gate). Review them before trusting this report.\n\n",
        plural(changes.len(), "change", "changes"),
        weakening
    ));
    let value = |v: &Option<String>| match v {
        Some(v) => code_span(&truncate(v, POLICY_VALUE_CHARS)),
        None => "*(not set)*".to_string(),
    };
    for c in changes.iter().take(POLICY_ITEMS) {
        let mark = if c.weakens { ":warning: " } else { "" };
        text.push_str(&format!(
            "- {mark}**{}**: {} {} → {}\n",
            c.kind.describe(),
            code_span(&truncate(&c.key, POLICY_VALUE_CHARS)),
            value(&c.base),
            value(&c.head),
        ));
    }
    if changes.len() > POLICY_ITEMS {
        text.push_str(&format!(
            "- … and {} more (see the JSON report's `policyChanges`)\n",
            plural(changes.len() - POLICY_ITEMS, "change", "changes")
        ));
    }
    text
}

/// At most `n` characters of `s`, with an ellipsis when cut.
fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn rule_meta<'r>(report: &'r Report, id: &str) -> Option<&'r RuleMeta> {
    report.rule_meta(id)
}

/// One finding as a list item.
fn finding_block(report: &Report, opts: &Options, f: &Finding) -> String {
    let line = f.span.start.line.max(1);
    let location = linked_place(opts, &f.path, line);
    let mut first = format!(
        "- {} **{}** {} at {location}",
        icon(f.severity),
        f.severity,
        code_span(&f.rule)
    );
    if let Some(object) = &f.object {
        first.push_str(&format!(" in {}", code_span(&object.display())));
    }
    if let Some(container) = &f.container {
        first.push_str(&format!(", container {}", code_span(container)));
    }
    let mut block = first;
    block.push_str("\\\n  ");
    block.push_str(&escape_text(f.text().trim()));
    block.push('\n');
    if let Some(fix) = rule_meta(report, &f.rule).and_then(|m| m.section("Fix")) {
        if !fix.is_empty() {
            block.push_str("  <details><summary>How to fix</summary>\n\n");
            for l in fix.lines() {
                if l.trim().is_empty() {
                    block.push('\n');
                } else {
                    block.push_str("  ");
                    block.push_str(l);
                    block.push('\n');
                }
            }
            block.push_str("\n  </details>\n");
        }
    }
    block
}

/// The link to a line of a file in the repository, when the caller knows where that is.
fn line_url(opts: &Options, path: &str, line: u32) -> Option<String> {
    let base = opts.blob_url.as_deref()?.trim_end_matches('/');
    // A path outside the repository has no page there.
    if path.is_empty() || path.starts_with('/') || path.starts_with("../") || path == "-" {
        return None;
    }
    // A Windows drive (`C:/`, `C:\\`).
    if path.as_bytes().get(1) == Some(&b':') {
        return None;
    }
    Some(format!("{base}/{}#L{line}", percent_encode_path(path)))
}

/// Percent-encodes everything in a path but unreserved characters and `/`, so that the link
/// destination cannot end early (`)`, spaces, `<`) or carry markup.
pub fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What was left out, and where to see it.
fn omitted_note(left_out: &[&Finding], total: usize, opts: &Options, variant: Variant) -> String {
    let n = if left_out.is_empty() {
        total
    } else {
        left_out.len()
    };
    let mut by_sev: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in left_out {
        *by_sev.entry(f.severity).or_default() += 1;
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| by_sev.get(s).map(|c| format!("{c} {s}")))
        .collect();
    let parts = if parts.is_empty() {
        // Only used to size the note before the findings are chosen.
        "0 critical, 0 high, 0 medium, 0 low, 0 info".to_string()
    } else {
        parts.join(", ")
    };
    let where_ = match opts.run_url.as_deref() {
        Some(url) => format!(
            "the [job log, its summary and the SARIF results]({url}) (code scanning alerts)"
        ),
        None => "the job log and the SARIF results (code scanning alerts)".to_string(),
    };
    format!(
        "\n---\n\n:warning: **{n} of {} not shown** ({parts}) to stay within {}; \
         the most severe are listed above. See all of them in {where_}, or run \
         `clustersec scan` locally.\n",
        plural(total, "finding", "findings"),
        variant.limit_name(),
    )
}

/// The rules that fired, with their docs.
fn legend(report: &Report) -> String {
    if report.findings.is_empty() {
        return String::new();
    }
    let mut counts: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for f in &report.findings {
        let e = counts.entry(f.rule.as_str()).or_insert((0, f.severity));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    let mut rules: Vec<(&str, usize, Severity)> =
        counts.into_iter().map(|(r, (n, s))| (r, n, s)).collect();
    rules.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let mut text = String::from("\n### Rules that fired\n\n");
    for (id, n, sev) in rules {
        match rule_meta(report, id) {
            Some(m) => text.push_str(&format!(
                "- [{}]({}) ({sev}, {}): {}\n",
                code_span(id),
                m.help_uri(),
                plural(n, "finding", "findings"),
                escape_text(&m.summary),
            )),
            None => text.push_str(&format!(
                "- {} ({sev}, {})\n",
                code_span(id),
                plural(n, "finding", "findings"),
            )),
        }
    }
    text
}

/// The summary's charts and its table of the files with the most findings.
fn charts(report: &Report) -> String {
    let summary = report.summary();
    let mut text = String::from("\n### Findings by severity\n\n```mermaid\npie showData\n");
    for s in Severity::ALL {
        if let Some(n) = summary.by_severity.get(&s) {
            text.push_str(&format!("    \"{s}\" : {n}\n"));
        }
    }
    text.push_str("```\n\n### Findings by rule\n\n```mermaid\npie showData\n");
    let mut by_rule: Vec<(&str, usize)> = summary
        .by_rule
        .iter()
        .map(|(r, n)| (r.as_str(), *n))
        .collect();
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let others: usize = by_rule.iter().skip(TOP_RULES).map(|r| r.1).sum();
    for (rule, n) in by_rule.iter().take(TOP_RULES) {
        text.push_str(&format!("    \"{}\" : {n}\n", mermaid_label(rule)));
    }
    if others > 0 {
        text.push_str(&format!("    \"other rules\" : {others}\n"));
    }
    text.push_str("```\n\n### Files with the most findings\n\n");
    text.push_str("| file | findings | most severe |\n| --- | ---: | --- |\n");
    let mut by_file: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for f in &report.findings {
        let e = by_file.entry(f.path.as_str()).or_insert((0, f.severity));
        e.0 += 1;
        e.1 = e.1.max(f.severity);
    }
    let mut files: Vec<(&str, usize, Severity)> =
        by_file.into_iter().map(|(p, (n, s))| (p, n, s)).collect();
    files.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    for (path, n, sev) in files.iter().take(TOP_FILES) {
        text.push_str(&format!(
            "| {} | {n} | {} {sev} |\n",
            code_span(path).replace('|', "\\|"),
            icon(*sev)
        ));
    }
    if files.len() > TOP_FILES {
        text.push_str(&format!(
            "\n{} more with findings.\n",
            plural(files.len() - TOP_FILES, "file", "files")
        ));
    }
    text
}

/// A mermaid pie label: rule ids are ours, but keep to characters that cannot end the string.
fn mermaid_label(s: &str) -> String {
    let label: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/'))
        .take(60)
        .collect();
    if label.is_empty() {
        "?".to_string()
    } else {
        label
    }
}

/// Characters that are never shown as they are: bidirectional overrides and isolates (they can
/// make a name read differently from what it is) and other invisible format controls.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(percent_encode_path("a b/(c).yaml"), "a%20b/%28c%29.yaml");
        assert_eq!(percent_encode_path("é"), "%C3%A9");
    }
}
