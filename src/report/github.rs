//! GitHub Actions workflow commands (`--format github`): one annotation per finding, shown on the
//! line in the pull request's diff and in the run's summary, also on private repositories without
//! code scanning.
//!
//! ```text
//! ::error file=deploy/web.yaml,line=12,col=13,endLine=12,endColumn=16,title=RULE::message
//! ```
//!
//! Critical and high findings are errors, medium warnings, low and info notices. New findings
//! (against a baseline or a diff base) come first, then the most severe, since GitHub shows only
//! 10 annotations of each level per step (50 per job): the rest are counted in one notice that
//! points to the job summary, never dropped silently. Values
//! are escaped the way the runner unescapes them: `%`, CR and LF in the message; also `:` and `,`
//! in properties. Columns are given only for a finding on one line (GitHub ignores them
//! otherwise); `endColumn` is inclusive.

use std::io::{self, Write};

pub use super::escape::{escape_data, escape_property};
use super::{Options, Report};
use crate::finding::{Finding, Severity};

/// The workflow command for a severity.
pub fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn write(out: &mut dyn Write, report: &Report, _opts: &Options) -> io::Result<()> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    // New findings (on lines the pull request changed, or not in the baseline) first, then the
    // most severe. Stable: within that, the report's order (path, line, column, rule).
    findings.sort_by_key(|f| (f.is_existing(), std::cmp::Reverse(f.severity)));
    let (findings, rest) = select(&findings);
    for f in findings {
        writeln!(out, "{}", annotation_in(report, f))?;
    }
    if !rest.is_empty() {
        writeln!(out, "{}", overflow_notice(&rest, _opts))?;
    }
    Ok(())
}

/// One finding as a workflow command (without the line end), its rule looked up in the
/// built-in rules.
pub fn annotation(f: &Finding) -> String {
    annotation_in(
        &Report::new(Vec::new(), Vec::new(), Vec::new(), Default::default()),
        f,
    )
}

/// One finding of `report` as a workflow command (without the line end).
pub fn annotation_in(report: &Report, f: &Finding) -> String {
    let start = f.span.start;
    let end = f.span.end;
    let line = start.line.max(1);
    let end_line = end.line.max(line);
    let mut props = format!("file={},line={line}", escape_property(&f.path));
    if end_line == line {
        let col = start.col.max(1);
        // Our end column is exclusive, GitHub's inclusive.
        let end_col = end.col.saturating_sub(1).max(col);
        props.push_str(&format!(
            ",col={col},endLine={end_line},endColumn={end_col}"
        ));
    } else {
        props.push_str(&format!(",endLine={end_line}"));
    }
    props.push_str(&format!(",title={}", escape_property(&f.rule)));

    let mut message = f.text().into_owned();
    let mut context = Vec::new();
    if let Some(object) = &f.object {
        context.push(object.display());
    }
    if let Some(container) = &f.container {
        context.push(format!("container {container}"));
    }
    context.push(format!("severity {}", f.severity));
    message.push_str(&format!("\n({})", context.join(", ")));
    if let Some(meta) = report.rule_meta(&f.rule) {
        message.push_str(&format!("\nHow to fix: {}", meta.help_uri()));
    }
    format!(
        "::{} {props}::{}",
        command(f.severity),
        escape_data(&message)
    )
}

/// Annotations GitHub shows per level (error, warning, notice) and step; the rest of a level
/// are dropped by the runner.
pub const PER_LEVEL: usize = 10;
/// Annotations GitHub shows per job.
pub const PER_JOB: usize = 50;

/// The findings annotated, in order, within GitHub's limits (a notice is kept free for the
/// overflow notice when anything is left out), and the findings left out.
fn select<'a>(findings: &[&'a Finding]) -> (Vec<&'a Finding>, Vec<&'a Finding>) {
    let fits_all = findings.len() <= PER_JOB
        && ["error", "warning", "notice"].iter().all(|level| {
            findings
                .iter()
                .filter(|f| command(f.severity) == *level)
                .count()
                <= PER_LEVEL
        });
    if fits_all {
        return (findings.to_vec(), Vec::new());
    }
    let mut used = [0usize; 3];
    let mut shown = Vec::new();
    let mut rest = Vec::new();
    for f in findings {
        let (slot, cap) = match command(f.severity) {
            "error" => (0, PER_LEVEL),
            "warning" => (1, PER_LEVEL),
            _ => (2, PER_LEVEL - 1),
        };
        let room = shown.len() < PER_JOB - 1 && used.get(slot).is_some_and(|n| *n < cap);
        if room {
            if let Some(n) = used.get_mut(slot) {
                *n += 1;
            }
            shown.push(*f);
        } else {
            rest.push(*f);
        }
    }
    (shown, rest)
}

/// The one notice that counts the findings not annotated, and links the job summary.
fn overflow_notice(rest: &[&Finding], opts: &Options) -> String {
    let existing = rest.iter().filter(|f| f.is_existing()).count();
    let new = rest.len() - existing;
    let split = if existing > 0 {
        format!(" ({new} new, {existing} existing)")
    } else {
        String::new()
    };
    let word = if rest.len() == 1 {
        "finding"
    } else {
        "findings"
    };
    let see = match &opts.run_url {
        Some(url) => format!("every finding is in the job summary: {url}"),
        None => "every finding is in the job summary and the SARIF report".to_string(),
    };
    format!(
        "::notice title=clustersec::{}",
        escape_data(&format!(
            "{} more {word}{split} not shown as annotations: GitHub shows {PER_LEVEL} error, \
             {PER_LEVEL} warning and {PER_LEVEL} notice annotations per step; {see}",
            rest.len()
        ))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(sev: Severity, line: u32, existing: bool) -> Finding {
        let p = crate::model::Pos { line, col: 1 };
        let mut f = Finding::new(
            "CLUSTERSEC_TEST",
            crate::model::Span { start: p, end: p },
            "m",
        );
        f.severity = sev;
        f.path = "a.yaml".into();
        if existing {
            f.baseline = Some(crate::finding::BaselineState::Existing);
        }
        f
    }

    #[test]
    fn within_limits_everything_is_annotated() {
        let all: Vec<Finding> = (1..=10)
            .map(|l| finding(Severity::High, l, false))
            .collect();
        let refs: Vec<&Finding> = all.iter().collect();
        let (shown, rest) = select(&refs);
        assert_eq!((shown.len(), rest.len()), (10, 0));
    }

    #[test]
    fn overflow_keeps_new_findings_and_counts_the_rest() {
        let mut all: Vec<Finding> = (1..=15).map(|l| finding(Severity::High, l, true)).collect();
        all.extend((20..=24).map(|l| finding(Severity::High, l, false)));
        all.extend((30..=45).map(|l| finding(Severity::Low, l, false)));
        let report = Report::new(all, Vec::new(), Vec::new(), Default::default());
        let mut out = Vec::new();
        let opts = Options {
            run_url: Some("https://github.com/o/r/actions/runs/1".to_string()),
            ..Options::default()
        };
        write(&mut out, &report, &opts).unwrap_or_default();
        let text = String::from_utf8_lossy(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::error ")).count(),
            10
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("::notice ")).count(),
            10
        );
        // The five new errors come before the existing ones.
        for l in 20..=24 {
            assert!(text.contains(&format!("line={l},")), "{text}");
        }
        let last = lines.last().copied().unwrap_or_default();
        assert!(
            last.contains("17 more findings (7 new, 10 existing) not shown")
                && last.contains("actions/runs/1"),
            "{last}"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
