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

use super::{Options, Report};
use crate::finding::{Finding, Severity};
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
    let summary = report.summary();
    let files_with_findings = {
        let mut paths: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
        paths.dedup();
        paths.len()
    };

    let mut head = String::new();
    if report.findings.is_empty() {
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

    if variant == Variant::Summary && !report.findings.is_empty() {
        head.push_str(&charts(report));
    }

    let legend = legend(report);
    let footer = format!(
        "\n<sub>Reported by [clustersec]({}) {}.</sub>\n",
        crate::REPOSITORY,
        crate::VERSION
    );

    // Every finding's block, and each file's heading, rendered once.
    let blocks: Vec<String> = report
        .findings
        .iter()
        .map(|f| finding_block(report, opts, f))
        .collect();
    let heading = |path: &str| format!("\n### {}\n\n", code_span(path));

    // Choose the findings to show: most severe first, as long as they fit.
    let total = report.findings.len();
    let fixed = variant.size(&head) + variant.size(&legend) + variant.size(&footer);
    let note_room = variant.size(&omitted_note(&[], total, opts, variant)) + 64;
    let budget = variant.budget();
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(report.findings[i].severity));
    let mut shown = vec![false; total];
    let mut headed: BTreeMap<&str, ()> = BTreeMap::new();
    let mut used = fixed;
    let all_fit = {
        let mut size = fixed;
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        for (i, f) in report.findings.iter().enumerate() {
            if seen.insert(f.path.as_str(), ()).is_none() {
                size += variant.size(&heading(&f.path));
            }
            size += variant.size(&blocks[i]);
        }
        size <= budget
    };
    let room = if all_fit {
        budget
    } else {
        budget.saturating_sub(note_room)
    };
    for &i in &order {
        let f = &report.findings[i];
        let mut cost = variant.size(&blocks[i]);
        if !headed.contains_key(f.path.as_str()) {
            cost += variant.size(&heading(&f.path));
        }
        if used + cost > room {
            break;
        }
        used += cost;
        headed.insert(f.path.as_str(), ());
        shown[i] = true;
    }

    let mut body = String::new();
    let mut current: Option<&str> = None;
    for (i, f) in report.findings.iter().enumerate() {
        if !shown[i] {
            continue;
        }
        if current != Some(f.path.as_str()) {
            body.push_str(&heading(&f.path));
            current = Some(f.path.as_str());
        }
        body.push_str(&blocks[i]);
    }
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
    text.push_str(&legend);
    text.push_str(&footer);
    text
}

fn rule_meta(report: &Report, id: &str) -> Option<&'static RuleMeta> {
    report
        .rules
        .iter()
        .copied()
        .find(|r| r.id == id)
        .or_else(|| crate::rules::meta(id))
}

/// One finding as a list item.
fn finding_block(report: &Report, opts: &Options, f: &Finding) -> String {
    let line = f.span.start.line.max(1);
    let place = code_span(&format!("{}:{line}", f.path));
    let location = match line_url(opts, &f.path, line) {
        Some(url) => format!("[{place}]({url})"),
        None => place,
    };
    let mut first = format!(
        "- {} **{}** {} at {location}",
        icon(f.severity),
        f.severity,
        code_span(f.rule)
    );
    if let Some(object) = &f.object {
        first.push_str(&format!(" in {}", code_span(&object.display())));
    }
    if let Some(container) = &f.container {
        first.push_str(&format!(", container {}", code_span(container)));
    }
    let mut block = first;
    block.push_str("\\\n  ");
    block.push_str(&escape_text(f.message.trim()));
    block.push('\n');
    if let Some(fix) = rule_meta(report, f.rule).and_then(|m| m.section("Fix")) {
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
        let e = counts.entry(f.rule).or_insert((0, f.severity));
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
                escape_text(m.summary),
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
    let mut by_rule: Vec<(&str, usize)> = summary.by_rule.into_iter().collect();
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
fn is_hidden_control(c: char) -> bool {
    matches!(c,
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{061C}' | '\u{FEFF}')
}

/// One character of untrusted text, for both escapers: line breaks and tabs become spaces (a
/// line break could start a heading, a list or a fence), other controls `\u{FFFD}`.
fn clean(c: char) -> char {
    match c {
        '\r' | '\n' | '\t' => ' ',
        c if c.is_control() || is_hidden_control(c) => '\u{FFFD}',
        c => c,
    }
}

/// Untrusted text, rendered literally in GitHub- and GitLab-flavoured markdown.
///
/// Every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be), so
/// no emphasis, link, image, HTML tag or entity, table cell or heading can
/// start. Some things are recognised in the text after the escapes are gone (GitHub
/// links `@user`, `#123` and `GH-123` after rendering; GFM finds URLs, `www.` and e-mail addresses
/// in text), so a zero-width joiner also goes after every `@`, `#` and the `-` of `GH-`, between
/// `:` and `//`, and before the `.` of `www.`: the text reads the same and matches none of those
/// patterns. (Commit SHAs are still linked, to this repository's own commits.)
pub fn escape_text(s: &str) -> String {
    const ZWJ: char = '\u{200D}';
    let chars: Vec<char> = s.chars().map(clean).collect();
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' && i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')) {
            out.push(ZWJ);
        }
        if c.is_ascii_punctuation() {
            out.push('\\');
            out.push(c);
            let slashes = chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
            let gh = c == '-'
                && i >= 2
                && chars[i - 2].eq_ignore_ascii_case(&'g')
                && chars[i - 1].eq_ignore_ascii_case(&'h');
            if c == '@' || c == '#' || gh || (c == ':' && slashes) {
                out.push(ZWJ);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Untrusted text as an inline code span: nothing inside a code span is markup, a mention or a
/// reference. The fence is one backtick longer than the longest run of backticks in the text,
/// and padded with a space when the text starts or ends with a backtick or a space. Inside a
/// table cell, `|` must still be escaped by the caller.
pub fn code_span(s: &str) -> String {
    let text: String = s.chars().map(clean).collect();
    if text.is_empty() {
        return "*(empty)*".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{text}{space}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outlast_backticks() {
        assert_eq!(code_span("web"), "`web`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("``x"), "``` ``x ```");
        assert_eq!(code_span(" a "), "`  a  `");
        assert_eq!(code_span("a\nb"), "`a b`");
        assert_eq!(code_span(""), "*(empty)*");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a*b_c"), "a\\*b\\_c");
        assert_eq!(escape_text("@admin"), "\\@\u{200D}admin");
        assert_eq!(escape_text("#12"), "\\#\u{200D}12");
        assert_eq!(escape_text("x\ny"), "x y");
        assert_eq!(escape_text("\u{202E}evil"), "\u{FFFD}evil");
        assert_eq!(escape_text("日本"), "日本");
        assert_eq!(escape_text("http://e"), "http\\:\u{200D}\\/\\/e");
        assert_eq!(escape_text("WWW.e"), "WWW\u{200D}\\.e");
        assert_eq!(escape_text("gh-1"), "gh\\-\u{200D}1");
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(percent_encode_path("a b/(c).yaml"), "a%20b/%28c%29.yaml");
        assert_eq!(percent_encode_path("é"), "%C3%A9");
    }
}
