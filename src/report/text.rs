//! The text format: for each finding `path:line:col severity RULE message`, the source line with
//! the span underlined, a note for each related location; then a summary of the run.
//!
//! Columns are Unicode code points (as in every clustersec location). Tabs are shown as four
//! spaces, control characters (an escape sequence hidden in a manifest) as `�`, wide characters
//! take two cells, and very long lines (minified JSON) are cut to a window around the span.

use std::collections::BTreeMap;
use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

pub(crate) use super::escape::clean;
use super::{Options, Report, Summary};
use crate::finding::{Finding, Severity};
use crate::model::{LineIndex, Pos};
use crate::outcome::FileStatus;

/// Code points of a source line shown at most; longer lines are cut around the span.
const MAX_LINE_CHARS: usize = 120;
/// Code points kept before the span when a line is cut.
const CONTEXT_BEFORE: usize = 40;
/// Skipped files listed by name in the summary; the rest are counted.
const MAX_LISTED_FILES: usize = 20;
const TAB: &str = "    ";

struct Styles {
    header: Style,
    gutter: Style,
    note: Style,
    ok: Style,
    dim: Style,
    color: bool,
}

impl Styles {
    fn new(color: bool) -> Styles {
        if !color {
            let plain = Style::new();
            return Styles {
                header: plain,
                gutter: plain,
                note: plain,
                ok: plain,
                dim: plain,
                color,
            };
        }
        Styles {
            header: Style::new().effects(Effects::BOLD),
            gutter: AnsiColor::Blue.on_default().effects(Effects::BOLD),
            note: AnsiColor::Cyan.on_default().effects(Effects::BOLD),
            ok: AnsiColor::Green.on_default().effects(Effects::BOLD),
            dim: Style::new().effects(Effects::DIMMED),
            color,
        }
    }

    fn severity(&self, s: Severity) -> Style {
        if !self.color {
            return Style::new();
        }
        match s {
            Severity::Critical => AnsiColor::Magenta.on_default().effects(Effects::BOLD),
            Severity::High => AnsiColor::Red.on_default().effects(Effects::BOLD),
            Severity::Medium => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
            Severity::Low => AnsiColor::Cyan.on_default().effects(Effects::BOLD),
            Severity::Info => AnsiColor::Blue.on_default(),
        }
    }
}

pub fn write(out: &mut dyn Write, report: &Report, opts: &Options) -> io::Result<()> {
    let st = Styles::new(opts.color);
    if opts.grouped {
        grouped(out, &st, report)?;
        sarif_cap(out, report, opts)?;
        return summary(out, &st, report);
    }
    let mut indexes: BTreeMap<&str, LineIndex> = BTreeMap::new();
    for f in &report.findings {
        let source = report.sources.get(f.path.as_str()).map(String::as_str);
        let index = source.map(|s| {
            &*indexes
                .entry(f.path.as_str())
                .or_insert_with(|| LineIndex::new(s))
        });
        finding(out, &st, f, source.zip(index))?;
    }
    sarif_cap(out, report, opts)?;
    summary(out, &st, report)
}

/// ` [existing]` after a finding a baseline or diff base had before; empty otherwise.
fn existing_tag(f: &Finding) -> &'static str {
    if f.is_existing() {
        " [existing]"
    } else {
        ""
    }
}

/// The line that says what the SARIF report left out (`--sarif-max-results`), if anything.
fn sarif_cap(out: &mut dyn Write, report: &Report, opts: &Options) -> io::Result<()> {
    match super::sarif_cap_note(report, opts) {
        Some(note) => writeln!(out, "Note: {note}."),
        None => Ok(()),
    }
}

fn finding(
    out: &mut dyn Write,
    st: &Styles,
    f: &Finding,
    source: Option<(&str, &LineIndex)>,
) -> io::Result<()> {
    let sev = st.severity(f.severity);
    write!(
        out,
        "{h}{}:{}:{}{h:#} {sev}{}{sev:#} {h}{}{h:#} {}",
        clean(&f.path),
        f.span.start.line,
        f.span.start.col,
        f.severity,
        f.rule,
        clean(&f.text()),
        h = st.header,
    )?;
    writeln!(out, "{}", existing_tag(f))?;
    let snippet = snippet(out, st, f, source)?;
    let pad = " ".repeat(if snippet {
        f.span.start.line.to_string().len()
    } else {
        2
    });
    notes(out, st, f, &pad)?;
    writeln!(out)
}

/// The finding's source line with its span underlined, when the source is known; whether it
/// was written.
fn snippet(
    out: &mut dyn Write,
    st: &Styles,
    f: &Finding,
    source: Option<(&str, &LineIndex)>,
) -> io::Result<bool> {
    let sev = st.severity(f.severity);
    let snippet = source.and_then(|(text, index)| {
        let line = index.line(text, f.span.start.line)?;
        let mut shown = render_line(line, f.span.start, f.span.end);
        if line.is_empty() && f.span.start.line as usize == index.len() {
            shown.label = Some("end of file");
        }
        Some(shown)
    });
    if let Some(s) = &snippet {
        let num = f.span.start.line.to_string();
        let pad = " ".repeat(num.len());
        let g = st.gutter;
        writeln!(out, "{g}{pad} |{g:#}")?;
        writeln!(out, "{g}{num} |{g:#} {}", s.text)?;
        let more = if s.through > f.span.start.line {
            format!(" (through line {})", s.through)
        } else if let Some(label) = s.label {
            format!(" {label}")
        } else {
            String::new()
        };
        writeln!(
            out,
            "{g}{pad} |{g:#} {}{sev}{}{more}{sev:#}",
            " ".repeat(s.offset),
            "^".repeat(s.width),
        )?;
    }
    Ok(snippet.is_some())
}

/// The finding's notes: related places, the mapping and the renders it was found in.
fn notes(out: &mut dyn Write, st: &Styles, f: &Finding, pad: &str) -> io::Result<()> {
    for r in &f.related {
        writeln!(
            out,
            "{pad} {n}= note{n:#}: {}:{}:{}: {}",
            clean(r.path.as_deref().unwrap_or(&f.path)),
            r.span.start.line,
            r.span.start.col,
            clean(&r.message),
            n = st.note,
        )?;
    }
    if let Some(m) = &f.mapping {
        writeln!(
            out,
            "{pad} {n}= note{n:#}: location: {}",
            clean(m),
            n = st.note,
        )?;
    }
    if f.renders.len() > 1 {
        writeln!(
            out,
            "{pad} {n}= note{n:#}: found in {} renders: {}",
            f.renders.len(),
            clean(&f.renders.join(", ")),
            n = st.note,
        )?;
    }
    Ok(())
}

/// The findings grouped by file, object and container (in the order of their first finding):
/// a header with the first finding's `path:line:col`, the object and the container, then one
/// line per finding.
fn grouped(out: &mut dyn Write, st: &Styles, report: &Report) -> io::Result<()> {
    type Key<'a> = (&'a str, Option<String>, Option<&'a str>);
    let mut order: Vec<Key> = Vec::new();
    let mut groups: BTreeMap<Key, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let key = (
            f.path.as_str(),
            f.object.as_ref().map(|o| o.display()),
            f.container.as_deref(),
        );
        let entry = groups.entry(key.clone()).or_default();
        if entry.is_empty() {
            order.push(key);
        }
        entry.push(f);
    }
    let h = st.header;
    for key in order {
        let Some(findings) = groups.get(&key) else {
            continue;
        };
        let Some(first) = findings.first() else {
            continue;
        };
        let mut header = format!(
            "{}:{}:{}",
            clean(key.0),
            first.span.start.line,
            first.span.start.col
        );
        if let Some(object) = &key.1 {
            header.push_str(&format!("  {}", clean(object)));
        }
        if let Some(container) = key.2 {
            header.push_str(&format!("  container \"{}\"", clean(container)));
        }
        writeln!(out, "{h}{header}{h:#}")?;
        let width = findings
            .iter()
            .map(|f| format!("{}:{}", f.span.start.line, f.span.start.col).len())
            .max()
            .unwrap_or(0);
        for f in findings {
            let sev = st.severity(f.severity);
            let at = format!("{}:{}", f.span.start.line, f.span.start.col);
            write!(
                out,
                "  {at:<width$}  {sev}{:<8}{sev:#} {} {}",
                f.severity.to_string(),
                f.rule,
                clean(&f.text()),
            )?;
            writeln!(out, "{}", existing_tag(f))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// A source line ready to print, with where to put the underline.
struct Shown {
    text: String,
    /// Terminal cells before the underline.
    offset: usize,
    /// Cells of the underline (at least 1).
    width: usize,
    /// The last line the span covers.
    through: u32,
    /// Said after the underline.
    label: Option<&'static str>,
}

/// Renders one source line (without its line break) and the cells under `start..end`.
///
/// A span that starts past the end of the line gets a caret just after its last character; a
/// span that goes on to later lines is underlined to the end of this one.
fn render_line(line: &str, start: Pos, end: Pos) -> Shown {
    let chars: Vec<char> = line.chars().collect();
    let len = chars.len();
    let s = (start.col as usize).saturating_sub(1).min(len);
    let e = if end.line == start.line {
        (end.col as usize).saturating_sub(1).clamp(s, len)
    } else {
        len
    };
    // An exclusive end at column 1 of a later line ends on the line before it.
    let through = if end.line > start.line && end.col <= 1 {
        end.line - 1
    } else {
        end.line.max(start.line)
    };

    // A window of the line for very long lines.
    let (from, to) = if len <= MAX_LINE_CHARS {
        (0, len)
    } else {
        let from = s.saturating_sub(CONTEXT_BEFORE);
        (from, (from + MAX_LINE_CHARS).min(len))
    };
    let mut text = String::new();
    let mut cells = 0;
    if from > 0 {
        text.push('…');
        cells += 1;
    }
    let mut offset = None;
    let mut underline_end = None;
    for (i, &c) in chars.iter().enumerate().take(to).skip(from) {
        if i == s {
            offset = Some(cells);
        }
        if i == e {
            underline_end = Some(cells);
        }
        if c == '\t' {
            text.push_str(TAB);
            cells += TAB.len();
        } else if c.is_control() {
            text.push('�');
            cells += 1;
        } else {
            text.push(c);
            cells += char_width(c);
        }
    }
    let offset = offset.unwrap_or(cells);
    let end_cells = underline_end.unwrap_or(cells);
    if to < len {
        text.push('…');
    }
    Shown {
        text,
        offset,
        width: end_cells.saturating_sub(offset).max(1),
        through,
        label: None,
    }
}

/// Terminal cells of a character: 0 for combining marks, 2 for East Asian wide characters and
/// emoji, else 1. An approximation of Unicode's East Asian Width that covers what manifests hold.
fn char_width(c: char) -> usize {
    match c as u32 {
        0x0300..=0x036F | 0x200B..=0x200F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn summary(out: &mut dyn Write, st: &Styles, report: &Report) -> io::Result<()> {
    let s = report.summary();
    scanned_lines(out, st, report, &s)?;
    build_lines(out, st, &s)?;
    skipped_lines(out, st, report, &s)?;
    parse_error_lines(out, st, report)?;
    finding_count_lines(out, st, &s)?;
    closing_lines(out, st, report, &s)
}

/// The all-clear line, what was scanned, the target Kubernetes version and the PSS profile.
fn scanned_lines(out: &mut dyn Write, st: &Styles, report: &Report, s: &Summary) -> io::Result<()> {
    let h = st.header;
    if s.findings == 0 {
        writeln!(
            out,
            "{ok}No findings{ok:#} ({} checked by {}).",
            plural(s.objects, "object", "objects"),
            plural(report.rules.len(), "rule", "rules"),
            ok = st.ok,
        )?;
    }
    writeln!(
        out,
        "{h}Scanned {} of {}{h:#}: {}, {}.",
        s.scanned,
        plural(s.files, "file", "files"),
        plural(s.documents, "document", "documents"),
        plural(s.objects, "object", "objects"),
    )?;
    if let Some(v) = report.kube_version {
        writeln!(
            out,
            "Target Kubernetes version: {v} (API versions are judged for it)."
        )?;
    }
    if let Some(pss) = &report.pss {
        writeln!(out, "{}", pss.line())?;
    }
    Ok(())
}

/// How many Helm charts were rendered and kustomizations built, with the failures.
fn build_lines(out: &mut dyn Write, st: &Styles, s: &Summary) -> io::Result<()> {
    let h = st.header;
    for (done, failed, what, verb) in [
        (
            s.charts_rendered,
            s.charts_failed,
            ("Helm chart", "Helm charts"),
            "rendered",
        ),
        (
            s.kustomizations_built,
            s.kustomizations_failed,
            ("kustomization", "kustomizations"),
            "built",
        ),
    ] {
        if done + failed > 0 {
            let mut notes = Vec::new();
            if failed > 0 {
                notes.push(format!("{failed} failed"));
            }
            if verb == "rendered" && s.templates_rendered > 0 {
                notes.push(format!(
                    "{} rendered",
                    plural(s.templates_rendered, "template", "templates")
                ));
            }
            let note = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join(", "))
            };
            writeln!(
                out,
                "{h}{} {verb}{h:#} of {}{note}.",
                done,
                plural(done + failed, what.0, what.1),
            )?;
        }
    }
    Ok(())
}

/// The skipped files, counted by reason and listed.
fn skipped_lines(out: &mut dyn Write, st: &Styles, report: &Report, s: &Summary) -> io::Result<()> {
    let h = st.header;
    let skipped: Vec<(&str, String)> = report
        .files
        .iter()
        .filter_map(|f| {
            let why = match &f.status {
                FileStatus::Scanned => return None,
                FileStatus::NotKubernetes => "no Kubernetes object".to_string(),
                FileStatus::Template if rendered_template(report, &f.path) => return None,
                FileStatus::Template => "Helm chart template".to_string(),
                FileStatus::NotScanned(reason) => format!("not scanned: {reason}"),
            };
            Some((f.path.as_str(), why))
        })
        .collect();
    if !skipped.is_empty() || s.excluded > 0 {
        let mut parts = Vec::new();
        for (n, what) in [
            (s.not_kubernetes, "not Kubernetes"),
            (
                s.templates - s.templates_rendered.min(s.templates),
                if s.templates - s.templates_rendered.min(s.templates) == 1 {
                    "Helm template"
                } else {
                    "Helm templates"
                },
            ),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        // Not scanned, counted by reason, and the excluded files (counted, not listed).
        if let Some(why) = s.not_scanned_phrase() {
            if s.not_scanned > 0 {
                parts.push(format!("not scanned: {why}"));
            } else {
                parts.push(why);
            }
        }
        writeln!(
            out,
            "{h}Skipped {}{h:#} ({}){}",
            plural(skipped.len() + s.excluded, "file", "files"),
            parts.join(", "),
            if skipped.is_empty() { "." } else { ":" }
        )?;
        list(out, st, skipped.into_iter())?;
    }
    Ok(())
}

/// The files with parse errors, listed.
fn parse_error_lines(out: &mut dyn Write, st: &Styles, report: &Report) -> io::Result<()> {
    let h = st.header;
    let errors: Vec<(&str, String)> = report
        .files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.parse_error.clone()?)))
        .collect();
    if !errors.is_empty() {
        writeln!(
            out,
            "{h}Parse errors in {}{h:#}:",
            plural(errors.len(), "file", "files")
        )?;
        list(out, st, errors.into_iter())?;
    }
    Ok(())
}

/// The findings counted by severity, then by rule.
fn finding_count_lines(out: &mut dyn Write, st: &Styles, s: &Summary) -> io::Result<()> {
    let h = st.header;
    if s.findings > 0 {
        let by_severity: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|sev| {
                let n = *s.by_severity.get(sev)?;
                let c = st.severity(*sev);
                Some(format!("{c}{n} {sev}{c:#}"))
            })
            .collect();
        writeln!(
            out,
            "{h}{}{h:#}: {}.",
            plural(s.findings, "finding", "findings"),
            by_severity.join(", ")
        )?;
        let mut by_rule: Vec<(&str, usize)> =
            s.by_rule.iter().map(|(r, n)| (r.as_str(), *n)).collect();
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let width = by_rule.iter().map(|(r, _)| r.len()).max().unwrap_or(0);
        for (rule, n) in by_rule {
            writeln!(out, "  {rule:<width$}  {n:>4}")?;
        }
    }
    Ok(())
}

/// The comparison with a baseline, the suppressed findings, the config and the verdict.
fn closing_lines(out: &mut dyn Write, st: &Styles, report: &Report, s: &Summary) -> io::Result<()> {
    if let (Some(c), Some((new, existing))) = (&report.comparison, report.new_and_existing()) {
        writeln!(
            out,
            "{}, {existing} existing (compared with {}; only new findings count toward \
             --fail-on).",
            plural(new, "new finding", "new findings"),
            clean(&c.describe())
        )?;
    }
    if s.suppressed > 0 {
        match super::suppressed_breakdown(&s.suppressed_by) {
            None => writeln!(
                out,
                "{} suppressed by `clustersec:ignore` comments (not counted).",
                plural(s.suppressed, "finding", "findings")
            )?,
            Some(by) => writeln!(
                out,
                "{} suppressed (not counted): {by}.",
                plural(s.suppressed, "finding", "findings")
            )?,
        }
    }
    if report.config_known {
        writeln!(
            out,
            "config: {}",
            clean(report.config_path.as_deref().unwrap_or("none"))
        )?;
    }
    if let Some(v) = &report.verdict {
        let c = if v.exit_code == 0 {
            st.ok
        } else {
            st.severity(Severity::High)
        };
        writeln!(out, "{c}{}{c:#}", clean(&v.line()))?;
    }
    Ok(())
}

/// Whether a template belongs to a chart that was rendered (see `Summary::templates_rendered`).
fn rendered_template(report: &Report, path: &str) -> bool {
    report.files.iter().any(|f| {
        f.status == FileStatus::Scanned
            && path
                .strip_prefix(f.path.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// `  path: text` lines, at most [`MAX_LISTED_FILES`] of them.
fn list<'a>(
    out: &mut dyn Write,
    st: &Styles,
    items: impl ExactSizeIterator<Item = (&'a str, String)>,
) -> io::Result<()> {
    let total = items.len();
    for (path, text) in items.take(MAX_LISTED_FILES) {
        writeln!(out, "  {}: {}", clean(path), clean(&text))?;
    }
    if total > MAX_LISTED_FILES {
        let d = st.dim;
        writeln!(
            out,
            "  {d}... and {} more (the JSON format lists every file){d:#}",
            total - MAX_LISTED_FILES
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn underline_in_code_points_with_tabs_and_wide_chars() {
        let s = render_line("\tnäme: 日本 x", p(1, 8), p(1, 10));
        assert_eq!(s.text, "    näme: 日本 x");
        // tab (4) + "näme: " (6) = 10 cells before `日`.
        assert_eq!(s.offset, 10);
        assert_eq!(s.width, 4);
    }

    #[test]
    fn past_the_end_and_empty() {
        let s = render_line("ab", p(1, 9), p(1, 12));
        assert_eq!((s.offset, s.width), (2, 1));
        let s = render_line("", p(1, 1), p(1, 1));
        assert_eq!((s.offset, s.width), (0, 1));
        let s = render_line("ab", p(1, 2), p(1, 1));
        assert_eq!((s.offset, s.width), (1, 1));
    }

    #[test]
    fn multi_line_spans() {
        let s = render_line("key:", p(3, 1), p(6, 1));
        assert_eq!((s.offset, s.width, s.through), (0, 4, 5));
        let s = render_line("key:", p(3, 1), p(6, 4));
        assert_eq!(s.through, 6);
    }

    #[test]
    fn control_characters_and_long_lines() {
        let s = render_line("a: \u{1b}[31mred", p(1, 1), p(1, 2));
        assert!(!s.text.contains('\u{1b}'));
        let long = "x".repeat(1000) + "key: value" + &"y".repeat(1000);
        let s = render_line(&long, p(1, 1001), p(1, 1011));
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.text.chars().count(), MAX_LINE_CHARS + 2);
        assert_eq!((s.offset, s.width), (CONTEXT_BEFORE + 1, 10));
        assert_eq!(clean("a\u{1b}b\tc"), "a�b c");
    }
}
