//! SARIF 2.1.0, with small typed serde structs of our own (only the parts clustersec fills in).
//!
//! What GitHub code scanning needs is all here: every enabled rule with its docs and
//! `security-severity`, results with a `%SRCROOT%`-relative location and a region in code points
//! (`columnKind: unicodeCodePoints`, `endColumn` exclusive), logical locations for the object and
//! the container, and `partialFingerprints` that do not change when lines move, so an alert
//! survives an edit above it. Files that could not be scanned or parsed are tool execution
//! notifications. The output depends only on the report and the options: no clock, no random
//! hash state, no map iteration order.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::pretty::Pretty;
use super::{Options, Report};
use crate::finding::{Finding, Severity};
use crate::model::{LineIndex, Pos, Span};
use crate::outcome::FileStatus;
use crate::rules::RuleMeta;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
/// The key of our fingerprint in `partialFingerprints`; bump the version if its inputs change.
pub const FINGERPRINT_KEY: &str = "clustersecFingerprint/v1";

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    /// PascalCase, as SARIF's conventions ask (SARIF2012): `run-as-user` is `RunAsUser`.
    name: String,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: std::borrow::Cow<'a, str>,
}

impl<'a> Text<'a> {
    fn new(text: impl Into<std::borrow::Cow<'a, str>>) -> Text<'a> {
        Text { text: text.into() }
    }
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: &'static [&'static str],
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    /// clustersec's own severity (critical, high, medium, low, info).
    severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: Text<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
struct BaseUri {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

/// `config` and `verdict` of the run, when known.
fn run_properties(report: &Report) -> BTreeMap<&'static str, serde_json::Value> {
    let mut p = BTreeMap::new();
    if report.config_known {
        p.insert(
            "config",
            report
                .config_path
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        );
    }
    if let Some(v) = &report.verdict {
        p.insert("verdict", serde_json::Value::String(v.line()));
    }
    if let Some(v) = report.kube_version {
        p.insert("kubeVersion", serde_json::Value::String(v.to_string()));
    }
    if let Some(pss) = &report.pss {
        if let Ok(v) = serde_json::to_value(pss) {
            p.insert("podSecurity", v);
        }
    }
    p
}

pub fn write(out: &mut dyn Write, report: &Report, opts: &Options) -> io::Result<()> {
    let rule_index: BTreeMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let rules: Vec<Rule> = report.rules.iter().map(|r| rule(report, r)).collect();
    let pss_version = report.pss.as_ref().map(|p| p.version.as_str());

    let mut w = Pretty::new(io::BufWriter::with_capacity(64 * 1024, out));
    w.begin_object()?;
    w.key_str("$schema", SCHEMA)?;
    w.key_str("version", "2.1.0")?;
    w.key("runs")?;
    w.begin_array()?;
    w.element()?;
    w.begin_object()?;
    w.key("tool")?;
    w.value(&Tool {
        driver: Driver {
            name: "clustersec",
            version: crate::VERSION,
            semantic_version: crate::VERSION,
            information_uri: crate::REPOSITORY,
            rules,
        },
    })?;
    w.key("invocations")?;
    w.value(&[Invocation {
        execution_successful: true,
        tool_execution_notifications: notifications(report, opts),
    }])?;
    let base_ids = base_ids(opts);
    if !base_ids.is_empty() {
        w.key("originalUriBaseIds")?;
        w.value(&base_ids)?;
    }

    // Line indexes of the files of the results written, made as they are first needed (a capped
    // log writes a few thousand results of perhaps hundreds of thousands).
    let mut indexes: BTreeMap<&str, LineIndex> = BTreeMap::new();
    // Suppressed findings go in too, marked with an in-source suppression, so viewers can show
    // them as such.
    // One fingerprint sequence over both lists, so a suppressed finding and an identical
    // unsuppressed one never share a fingerprint.
    let all: Vec<&Finding> = report.findings.iter().chain(&report.suppressed).collect();
    // Fingerprints over every result, capped or not, so a result keeps its fingerprint.
    let prints = fingerprint_hashes(all.iter().copied());
    let keep = kept(&all, report.findings.len(), opts.sarif_max_results);
    // The findings of a file follow one another: its URI is encoded once.
    let mut uris = Uris::default();
    w.key("results")?;
    w.begin_array()?;
    for ((f, fingerprint), keep) in all.into_iter().zip(prints).zip(keep) {
        if !keep {
            continue;
        }
        let source = report
            .sources
            .get_key_value(f.path.as_str())
            .map(|(path, text)| {
                let index = indexes
                    .entry(path.as_str())
                    .or_insert_with(|| LineIndex::new(text));
                (text.as_str(), &*index)
            });
        w.element()?;
        let pss =
            crate::rules::data::pss::control(&f.rule).map(|c| (c.level.as_str(), pss_version));
        let at = ResultAt {
            rule_index: rule_index.get(f.rule.as_str()).copied(),
            source,
            fingerprint,
            pss,
        };
        write_result(&mut w, f, &at, &mut uris)?;
    }
    w.end_array()?;
    w.key_str("columnKind", "unicodeCodePoints")?;
    let properties = run_properties(report);
    if !properties.is_empty() {
        w.key("properties")?;
        w.value(&properties)?;
    }
    w.end_object()?;
    w.end_array()?;
    w.end_object()?;
    let mut buf = w.into_inner();
    writeln!(buf)?;
    buf.flush()
}

/// The run's notifications: the results cap, the files not scanned and the parse errors.
fn notifications<'a>(report: &'a Report, opts: &Options) -> Vec<Notification<'a>> {
    let mut notifications = Vec::new();
    if let Some(note) = super::sarif_cap_note(report, opts) {
        notifications.push(Notification {
            level: "warning",
            message: Text::new(format!("Results capped: {note}.")),
            locations: Vec::new(),
        });
    }
    for file in &report.files {
        let (level, text) = match (&file.status, &file.parse_error) {
            (FileStatus::NotScanned(reason), _) => {
                ("warning", format!("{}: not scanned: {reason}", file.path))
            }
            (_, Some(error)) => ("error", format!("{}: cannot parse: {error}", file.path)),
            _ => continue,
        };
        notifications.push(Notification {
            level,
            message: Text::new(text),
            locations: vec![Location {
                id: None,
                physical_location: PhysicalLocation {
                    artifact_location: artifact(&file.path),
                    region: None,
                },
                message: None,
            }],
        });
    }
    notifications
}

/// The `%SRCROOT%` base URI: the report root, else the working directory.
fn base_ids(opts: &Options) -> BTreeMap<&'static str, BaseUri> {
    let mut base_ids = BTreeMap::new();
    let root = match &opts.srcroot {
        Some(uri) => Some(uri.clone()).filter(|u| !u.is_empty()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| d.to_str().map(dir_uri)),
    };
    if let Some(uri) = root {
        base_ids.insert(SRCROOT, BaseUri { uri });
    }
    base_ids
}

/// Which results a capped log keeps: the `max` most severe, findings before suppressed findings
/// of the same severity, earlier before later (a stable choice); every result without a cap.
/// `all` holds the findings (the first `findings` entries), then the suppressed ones.
fn kept(all: &[&Finding], findings: usize, max: Option<usize>) -> Vec<bool> {
    let Some(max) = max.filter(|m| *m < all.len()) else {
        return vec![true; all.len()];
    };
    // Severity by severity, most severe first: the findings, then the suppressed ones, each in
    // order, until `max` are kept (the order of a stable sort by that key, without sorting).
    let mut keep = vec![false; all.len()];
    let mut left = max;
    let (found, suppressed) = all.split_at(findings.min(all.len()));
    for sev in Severity::ALL {
        for (offset, part) in [(0, found), (found.len(), suppressed)] {
            for (i, f) in part.iter().enumerate() {
                if left == 0 {
                    return keep;
                }
                if f.severity == sev {
                    if let Some(k) = keep.get_mut(offset + i) {
                        *k = true;
                    }
                    left -= 1;
                }
            }
        }
    }
    keep
}

fn rule<'a>(report: &Report, r: &'a RuleMeta) -> Rule<'a> {
    let severity = report.rule_severity(r);
    let docs = r.docs();
    Rule {
        id: &r.id,
        name: pascal_case(&r.name),
        short_description: Text::new(&*r.summary),
        full_description: Text::new(
            r.section("What it does")
                .unwrap_or_else(|| r.summary.to_string()),
        ),
        help: Help {
            text: docs.clone(),
            markdown: docs,
        },
        help_uri: r.help_uri(),
        default_configuration: Configuration {
            level: severity.sarif_level(),
        },
        properties: RuleProperties {
            tags: r.tags,
            precision: "high",
            security_severity: severity.security_severity(),
            severity: severity.as_str(),
        },
    }
}

/// What a result needs beside its finding.
struct ResultAt<'a> {
    rule_index: Option<usize>,
    /// The text of the finding's file and its line index, when kept.
    source: Option<(&'a str, &'a LineIndex)>,
    fingerprint: u64,
    /// A PSS control's level, and the PSS version of the run.
    pss: Option<(&'static str, Option<&'a str>)>,
}

/// The encoded URI of the last path asked for (see [`artifact`]).
#[derive(Default)]
struct Uris {
    last: Option<(String, ArtifactLocation)>,
}

impl Uris {
    fn of(&mut self, path: &str) -> &ArtifactLocation {
        if self.last.as_ref().is_none_or(|(p, _)| p != path) {
            self.last = None;
        }
        &self
            .last
            .get_or_insert_with(|| (path.to_string(), artifact(path)))
            .1
    }
}

/// One result, written straight from its finding.
fn write_result<W: Write>(
    w: &mut Pretty<W>,
    f: &Finding,
    at: &ResultAt<'_>,
    uris: &mut Uris,
) -> io::Result<()> {
    w.begin_object()?;
    w.key_str("ruleId", &f.rule)?;
    if let Some(i) = at.rule_index {
        w.key_u64("ruleIndex", i as u64)?;
    }
    w.key_str("level", f.severity.sarif_level())?;
    w.key("message")?;
    text(w, &f.text())?;
    w.key("locations")?;
    w.begin_array()?;
    w.element()?;
    w.begin_object()?;
    w.key("physicalLocation")?;
    physical(w, uris.of(&f.path), Some(region(f.span, at.source)))?;
    if let Some(o) = &f.object {
        let object = o.display();
        w.key("logicalLocations")?;
        w.begin_array()?;
        if let Some(c) = &f.container {
            w.element()?;
            w.begin_object()?;
            w.key_str("name", c)?;
            w.key("fullyQualifiedName")?;
            w.str(&format!("{object}/{}/{c}", container_list(f)))?;
            w.key_str("kind", "object")?;
            w.end_object()?;
        }
        w.element()?;
        w.begin_object()?;
        w.key_str("name", &o.name)?;
        w.key_str("fullyQualifiedName", &object)?;
        w.key_str("kind", "resource")?;
        w.end_object()?;
        w.end_array()?;
    }
    w.end_object()?;
    w.end_array()?;
    if !f.related.is_empty() {
        w.key("relatedLocations")?;
        w.begin_array()?;
        for (i, r) in f.related.iter().enumerate() {
            w.element()?;
            w.begin_object()?;
            w.key_u64("id", i as u64 + 1)?;
            w.key("physicalLocation")?;
            let source = if r.path.is_some() { None } else { at.source };
            let region = Some(region(r.span, source));
            match r.path.as_deref() {
                Some(p) => physical(w, &artifact(p), region)?,
                None => physical(w, uris.of(&f.path), region)?,
            }
            w.key("message")?;
            text(w, &r.message)?;
            w.end_object()?;
        }
        w.end_array()?;
    }
    w.key("partialFingerprints")?;
    w.begin_object()?;
    w.key(FINGERPRINT_KEY)?;
    let mut hex = [0u8; 18];
    for (i, d) in hex.iter_mut().enumerate() {
        let nibble = match i {
            0 | 17 => None,
            _ => Some((at.fingerprint >> (4 * (16 - i))) & 0xf),
        };
        *d = match nibble {
            None => b'"',
            Some(n) => b"0123456789abcdef".get(n as usize).copied().unwrap_or(b'0'),
        };
    }
    w.raw(&hex)?;
    w.end_object()?;
    if let Some(reason) = f.suppression.as_deref() {
        w.key("suppressions")?;
        w.begin_array()?;
        w.element()?;
        w.begin_object()?;
        w.key_str(
            "kind",
            f.suppressed_by
                .map_or("inSource", crate::finding::SuppressedBy::sarif_kind),
        )?;
        if !reason.is_empty() {
            w.key_str("justification", reason)?;
        }
        w.end_object()?;
        w.end_array()?;
    }
    if let Some(b) = f.baseline {
        w.key_str("baselineState", b.sarif())?;
    }
    w.key("properties")?;
    w.begin_object()?;
    w.key_str("severity", f.severity.as_str())?;
    if let Some(m) = f.mapping.as_deref() {
        w.key_str("mapping", m)?;
    }
    if !f.renders.is_empty() {
        w.key("renders")?;
        w.str_array(f.renders.iter().map(String::as_str))?;
    }
    if let Some((level, version)) = at.pss {
        w.key_str("pssLevel", level)?;
        if let Some(v) = version {
            w.key_str("pssVersion", v)?;
        }
    }
    w.end_object()?;
    w.end_object()
}

/// `{"text": ...}`.
fn text<W: Write>(w: &mut Pretty<W>, s: &str) -> io::Result<()> {
    w.begin_object()?;
    w.key_str("text", s)?;
    w.end_object()
}

/// A `physicalLocation`: the artifact and the region.
fn physical<W: Write>(
    w: &mut Pretty<W>,
    artifact: &ArtifactLocation,
    region: Option<Region>,
) -> io::Result<()> {
    w.begin_object()?;
    w.key("artifactLocation")?;
    w.begin_object()?;
    w.key_str("uri", &artifact.uri)?;
    if let Some(base) = artifact.uri_base_id {
        w.key_str("uriBaseId", base)?;
    }
    w.end_object()?;
    if let Some(r) = region {
        w.key("region")?;
        w.begin_object()?;
        w.key_u64("startLine", u64::from(r.start_line))?;
        w.key_u64("startColumn", u64::from(r.start_column))?;
        w.key_u64("endLine", u64::from(r.end_line))?;
        w.key_u64("endColumn", u64::from(r.end_column))?;
        w.end_object()?;
    }
    w.end_object()
}

/// `run-as-user` to `RunAsUser`.
fn pascal_case(name: &str) -> String {
    name.split(['-', '_', ' '])
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// `containers`, `initContainers` or `ephemeralContainers`, from the finding's field path.
fn container_list(f: &Finding) -> &'static str {
    list_of_field(f.field.as_deref().unwrap_or(""))
}

/// The list named last in a field path: the `...containers[` that ends last (the three names
/// differ in their last eleven bytes, so at most one ends at any place), found from the end.
fn list_of_field(field: &str) -> &'static str {
    let bytes = field.as_bytes();
    for end in (1..=bytes.len()).rev() {
        let Some(head) = bytes.get(..end) else {
            continue;
        };
        if head.last() != Some(&b'[') || !head.ends_with(b"ontainers[") {
            continue;
        }
        if head.ends_with(b"initContainers[") {
            return "initContainers";
        }
        if head.ends_with(b"ephemeralContainers[") {
            return "ephemeralContainers";
        }
        if head.ends_with(b"containers[") {
            return "containers";
        }
    }
    "containers"
}

/// A SARIF region: 1-based, `endColumn` exclusive, never 0, never ending before it starts.
///
/// An empty span becomes one character wide (a finding points at something); a span at the very
/// end of a file moves to its last character; a span that ends at
/// column 1 of a later line ends instead after the last character of the line before, when the
/// source is known, so a viewer does not highlight a line the finding is not about.
fn region(span: Span, source: Option<(&str, &LineIndex)>) -> Region {
    let mut start = Pos::new(span.start.line, span.start.col);
    let mut end = Pos::new(span.end.line, span.end.col);
    // A position on the empty line after the final line break (an error at the end of the
    // file) points at the last character of the line before: a viewer has no line to show.
    if let Some((text, index)) = source {
        let last = u32::try_from(index.len()).unwrap_or(u32::MAX);
        if start.line == last && start.line > 1 && index.line(text, start.line) == Some("") {
            let prev = index.line(text, start.line - 1).unwrap_or("");
            let len = u32::try_from(prev.chars().count()).unwrap_or(u32::MAX - 1);
            start = Pos::new(start.line - 1, len);
            end = start;
        }
    }
    if end.line > start.line && end.col == 1 {
        if let Some(line) = source.and_then(|(text, index)| index.line(text, end.line - 1)) {
            let len = u32::try_from(line.chars().count()).unwrap_or(u32::MAX - 1);
            end = Pos::new(end.line - 1, len + 1);
        }
    }
    if end <= start {
        end = Pos::new(start.line, start.col.saturating_add(1));
    }
    Region {
        start_line: start.line,
        start_column: start.col,
        end_line: end.line,
        end_column: end.col,
    }
}

/// The location of a file: relative to `%SRCROOT%`, or an absolute `file:` URI.
fn artifact(path: &str) -> ArtifactLocation {
    let absolute = path.starts_with('/')
        || (path.len() > 2
            && matches!(path.as_bytes(), [drive, b':', ..] if drive.is_ascii_alphabetic()));
    if absolute {
        let p = path.trim_start_matches('/');
        ArtifactLocation {
            uri: format!("file:///{}", encode(p, true)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode(path.trim_start_matches("./"), false),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// The `file:` URI of a directory, ending in `/`.
pub fn dir_uri(dir: &str) -> String {
    let dir = dir.replace('\\', "/");
    let dir = dir.trim_start_matches('/').trim_end_matches('/');
    if dir.is_empty() {
        "file:///".to_string()
    } else {
        format!("file:///{}/", encode(dir, true))
    }
}

/// Percent-encodes a `/`-separated path for a URI. `:` is kept only in absolute paths (drive
/// letters); in a relative reference it would read as a scheme.
fn encode(path: &str, absolute: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
            || (absolute && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The fingerprint of each finding, in order: a hash of [`write_fingerprint_key`] and an occurrence
/// counter that tells true duplicates apart. Stable when lines move; shared by the SARIF
/// `partialFingerprints` and the GitLab Code Quality `fingerprint`.
pub(crate) fn fingerprints<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<String> {
    fingerprint_hashes(findings)
        .into_iter()
        .map(|h| format!("{h:016x}"))
        .collect()
}

/// [`fingerprints`] as numbers (written as 16 hex digits). The occurrences of each key are
/// counted by the key's hash: the first finding with a hash stands for its key, and is compared
/// with each later one that has the same hash (a key that shares its hash with another is
/// counted apart), so the counts are exact without keeping every key.
pub(crate) fn fingerprint_hashes<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<u64> {
    use std::collections::hash_map::Entry;
    let findings = findings.into_iter();
    let mut firsts: Vec<&Finding> = Vec::new();
    // Hash of a key -> (its first finding in `firsts`, occurrences so far).
    let mut seen: std::collections::HashMap<u64, (usize, usize), KeyHash> =
        std::collections::HashMap::default();
    let mut colliding: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(findings.size_hint().0);
    seen.reserve(findings.size_hint().0);
    // The keys are written into two buffers reused from finding to finding (no allocation each).
    let mut key = String::new();
    let mut other = String::new();
    for f in findings {
        key.clear();
        write_fingerprint_key(&mut key, f);
        let hash = fnv1a64(key.as_bytes());
        let n = match seen.entry(hash) {
            Entry::Vacant(e) => {
                e.insert((firsts.len(), 1));
                firsts.push(f);
                1
            }
            Entry::Occupied(mut e) => {
                let (first, count) = e.get_mut();
                let same = firsts.get(*first).is_some_and(|g| {
                    other.clear();
                    write_fingerprint_key(&mut other, g);
                    other == key
                });
                if same {
                    *count += 1;
                    *count
                } else {
                    let c = colliding.entry(key.clone()).or_insert(0);
                    *c += 1;
                    *c
                }
            }
        };
        // The hash of the key followed by `|n`: FNV-1a goes on from the key's hash.
        let mut digits = [0u8; 21];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'|';
        }
        out.push(fnv1a64_from(hash, digits.get(at..).unwrap_or_default()));
    }
    out
}

/// The hasher of [`fingerprint_hashes`]' table, whose keys are FNV-1a hashes already: taken as
/// they are.
type KeyHash = std::hash::BuildHasherDefault<KeyHasher>;

#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not used by u64 keys; kept correct for any other.
        self.0 = fnv1a64_from(self.0, bytes);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Writes the key of [`fingerprint_hashes`] (rule, file, object, container and field path,
/// never a line or column) into `key`.
fn write_fingerprint_key(key: &mut String, f: &Finding) {
    key.push_str(&f.rule);
    key.push('|');
    key.push_str(&f.path);
    key.push('|');
    if let Some(o) = &f.object {
        // `ObjectRef::display`, written in place.
        key.push_str(&o.kind);
        key.push('/');
        if let Some(ns) = &o.namespace {
            key.push_str(ns);
            key.push('/');
        }
        key.push_str(&o.name);
    }
    key.push('|');
    key.push_str(f.container.as_deref().unwrap_or(""));
    key.push('|');
    key.push_str(f.field.as_deref().unwrap_or(""));
}

/// FNV-1a, 64 bits: small, stable across Rust versions and platforms (unlike std's hashers).
fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a of what was hashed to `h`, followed by `bytes`.
fn fnv1a64_from(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list named last, as the three names were searched for each on its own.
    fn list_by_search(field: &str) -> &'static str {
        let last = ["initContainers[", "ephemeralContainers[", "containers["]
            .iter()
            .filter_map(|k| field.rfind(k).map(|i| (i, *k)))
            .max_by_key(|(i, k)| (*i + k.len(), k.len()));
        match last.map(|(_, k)| k) {
            Some("initContainers[") => "initContainers",
            Some("ephemeralContainers[") => "ephemeralContainers",
            _ => "containers",
        }
    }

    #[test]
    fn the_list_named_last_is_found_from_the_end() {
        let fields = [
            "",
            "spec.containers[0].image",
            "spec.initContainers[1].securityContext",
            "spec.ephemeralContainers[0].image",
            "spec.template.spec.initContainers[0].x.containers[2].y",
            "spec.containers[0].env[1].initContainers[3]",
            "spec.Containers[0]",
            "spec.xinitContainers[0]",
            "spec.ephemeralContainers[",
            "containers[",
            "ontainers[",
            "spec.initContainers",
            "é.initContainers[0].ü",
            "a.containers[0].ephemeralContainers[1].initContainers[2]",
            "a.initContainers[0].ephemeralContainers[1]",
        ];
        for field in fields {
            assert_eq!(list_of_field(field), list_by_search(field), "{field}");
        }
    }

    /// The fingerprints are FNV-1a of `rule|path|object|container|field|n`, `n` counting the
    /// findings with the same key (the definition they had when first released).
    #[test]
    fn fingerprints_hash_the_key_and_its_occurrence() {
        let at = |line| Span::point(Pos::new(line, 1));
        let mut a = Finding::new("RULE_A", at(1), "m");
        a.path = "k8s/a.yaml".into();
        a.container = Some("web".into());
        a.field = Some("spec.containers[0].image".into());
        let mut b = a.clone();
        b.span = at(9);
        let mut c = a.clone();
        c.rule = "RULE_B".into();
        let d = Finding::new("RULE_A", at(2), "m");
        let findings = [a, b, c, d];
        let expected: Vec<u64> = [
            "RULE_A|k8s/a.yaml||web|spec.containers[0].image|1",
            "RULE_A|k8s/a.yaml||web|spec.containers[0].image|2",
            "RULE_B|k8s/a.yaml||web|spec.containers[0].image|1",
            "RULE_A|||||1",
        ]
        .iter()
        .map(|k| fnv1a64(k.as_bytes()))
        .collect();
        assert_eq!(fingerprint_hashes(findings.iter()), expected);
    }

    /// The results a capped log keeps are those a stable sort by (severity, suppressed, place)
    /// puts first.
    #[test]
    fn a_capped_log_keeps_the_most_severe_in_order() {
        let mut all = Vec::new();
        for i in 0..40u32 {
            let mut f = Finding::new("R", Span::point(Pos::new(i + 1, 1)), "m");
            f.severity = Severity::ALL[(i as usize * 7 + i as usize / 3) % Severity::ALL.len()];
            all.push(f);
        }
        let refs: Vec<&Finding> = all.iter().collect();
        for findings in [0, 13, 40] {
            for max in [
                None,
                Some(0),
                Some(1),
                Some(9),
                Some(17),
                Some(39),
                Some(40),
                Some(99),
            ] {
                let mut order: Vec<usize> = (0..refs.len()).collect();
                order.sort_by_key(|&i| (std::cmp::Reverse(refs[i].severity), i >= findings, i));
                let mut want = vec![false; refs.len()];
                for i in order.into_iter().take(max.unwrap_or(usize::MAX)) {
                    want[i] = true;
                }
                assert_eq!(kept(&refs, findings, max), want, "{findings} {max:?}");
            }
        }
    }

    #[test]
    fn fnv_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn regions_are_never_empty_or_reversed() {
        let p = |l, c| Pos { line: l, col: c };
        let r = region(
            Span {
                start: p(3, 5),
                end: p(3, 5),
            },
            None,
        );
        assert_eq!((r.end_line, r.end_column), (3, 6));
        let r = region(
            Span {
                start: p(3, 5),
                end: p(2, 1),
            },
            None,
        );
        assert_eq!((r.end_line, r.end_column), (3, 6));
        let r = region(
            Span {
                start: p(0, 0),
                end: p(0, 0),
            },
            None,
        );
        assert_eq!((r.start_line, r.start_column, r.end_column), (1, 1, 2));
        let text = "a:\n  b: 1\nc: 2\n";
        let idx = LineIndex::new(text);
        let r = region(
            Span {
                start: p(1, 1),
                end: p(3, 1),
            },
            Some((text, &idx)),
        );
        assert_eq!((r.end_line, r.end_column), (2, 7));
        let r = region(
            Span {
                start: p(4, 1),
                end: p(4, 1),
            },
            Some((text, &idx)),
        );
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (3, 4, 3, 5)
        );
    }

    #[test]
    fn names() {
        assert_eq!(pascal_case("run-as-user"), "RunAsUser");
        assert_eq!(pascal_case("yaml-syntax"), "YamlSyntax");
    }

    #[test]
    fn uris() {
        assert_eq!(artifact("a b/ü.yaml").uri, "a%20b/%C3%BC.yaml");
        assert_eq!(artifact("./x:y#.yaml").uri, "x%3Ay%23.yaml");
        let abs = artifact("/tmp/m.yaml");
        assert_eq!(
            (abs.uri.as_str(), abs.uri_base_id),
            ("file:///tmp/m.yaml", None)
        );
        assert_eq!(artifact("C:/m.yaml").uri, "file:///C:/m.yaml");
        assert_eq!(dir_uri("/home/me/repo"), "file:///home/me/repo/");
        assert_eq!(dir_uri("C:\\work"), "file:///C:/work/");
        assert_eq!(dir_uri("/"), "file:///");
    }
}
