//! GitHub Actions workflow commands (`--format github`): one annotation per finding, shown on the
//! line in the pull request's diff and in the run's summary, also on private repositories without
//! code scanning.
//!
//! ```text
//! ::error file=deploy/web.yaml,line=12,col=13,endLine=12,endColumn=16,title=RULE::message
//! ```
//!
//! Critical and high findings are errors, medium warnings, low and info notices. The most severe
//! come first, since GitHub shows only the first few annotations of each level per step. Values
//! are escaped the way the runner unescapes them: `%`, CR and LF in the message; also `:` and `,`
//! in properties. Columns are given only for a finding on one line (GitHub ignores them
//! otherwise); `endColumn` is inclusive.

use std::io::{self, Write};

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

/// Escapes the message (data) of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn write(out: &mut dyn Write, report: &Report, _opts: &Options) -> io::Result<()> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    // Stable: within a severity, the report's order (path, line, column, rule).
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        writeln!(out, "{}", annotation_in(report, f))?;
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

    let mut message = f.message.clone();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
