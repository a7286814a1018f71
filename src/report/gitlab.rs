//! GitLab Code Quality (`--format gitlab`): a JSON array of Code Climate issues, published by a
//! CI job with `artifacts: reports: codequality` and shown in merge requests.
//!
//! Each issue has a `description`, a `check_name` (the rule id), a `fingerprint`, a `severity`
//! (`info`, `minor`, `major`, `critical`, `blocker` for our info, low, medium, high, critical) and a
//! `location` with the path and first line. The fingerprint is the one in the SARIF
//! `partialFingerprints` ([`super::sarif::fingerprints`]): unique per finding and unchanged when
//! lines move, so GitLab does not report a finding as fixed and new again after an edit above it.

use std::io::{self, Write};

use serde::Serialize;

use super::{Options, Report};
use crate::finding::{Finding, Severity};

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// The Code Quality severity for ours.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "minor",
        Severity::Medium => "major",
        Severity::High => "critical",
        Severity::Critical => "blocker",
    }
}

fn description(f: &Finding) -> String {
    match &f.object {
        Some(object) => format!("{} ({})", f.message, object.display()),
        None => f.message.clone(),
    }
}

pub fn write(out: &mut dyn Write, report: &Report, _opts: &Options) -> io::Result<()> {
    let issues: Vec<Issue> = report
        .findings
        .iter()
        .zip(super::sarif::fingerprints(&report.findings))
        .map(|(f, fingerprint)| Issue {
            kind: "issue",
            description: description(f),
            check_name: &f.rule,
            fingerprint,
            severity: severity(f.severity),
            categories: ["Security"],
            location: Location {
                path: &f.path,
                lines: Lines {
                    begin: f.span.start.line.max(1),
                },
            },
        })
        .collect();
    super::write_json_pretty(out, &issues)
}
