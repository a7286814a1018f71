//! Findings: what a rule reports, where, and about which object.

use serde::{Deserialize, Serialize};

use crate::model::object::ObjectRef;
use crate::model::Span;
pub use crate::rules::RuleId;

/// How bad a finding is. Ordered from least to most severe.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" | "note" => Severity::Info,
            "low" => Severity::Low,
            "medium" | "warning" => Severity::Medium,
            "high" | "error" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// SARIF `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// GitHub's `security-severity` score (critical > 9.0, high 7.0-8.9, medium 4.0-6.9,
    /// low 0.1-3.9).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The container a finding is about, from the model: its list (`containers`, `initContainers`,
/// `ephemeralContainers`) and its position in that list (its name is the finding's
/// `container`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerRef {
    pub kind: crate::model::ContainerKind,
    pub index: usize,
}

impl ContainerRef {
    /// The container of `pod` whose field path holds `field` (the container itself or a field
    /// under it); `None` for a field outside every container (a pod-level setting).
    pub fn of_field(pod: &crate::model::PodSpec<'_>, field: &FieldPath) -> Option<ContainerRef> {
        pod.containers
            .iter()
            .find(|c| field.starts_with(&c.path))
            .map(|c| ContainerRef {
                kind: c.kind,
                index: c.index,
            })
    }
}

/// One step of a [`FieldPath`]: a mapping key or a list position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A field path inside an object, e.g. `spec.template.spec.containers[1].securityContext`:
/// typed segments (keys and list indices), written (and serialized, and compared) as that
/// string, so reports and fingerprints are unchanged.
///
/// Only the dotted form is stored; the segments are read from it when first asked for (most
/// findings never need them, and a run may hold hundreds of thousands of findings).
#[derive(Clone)]
pub struct FieldPath {
    /// The dotted form: what `Display`, `Deref` and serialization give.
    text: Box<str>,
    segments: std::sync::OnceLock<Vec<Segment>>,
}

/// One step of a dotted field path, borrowed from its text (see [`segment_refs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SegmentRef<'a> {
    Key(&'a str),
    Index(usize),
}

/// The segments of a dotted field path, without allocating: keys separated by `.`, list
/// positions as `[N]` after a key; a bracket that holds no number is part of a key (`[x`).
fn segment_refs(text: &str) -> impl Iterator<Item = SegmentRef<'_>> {
    text.split('.').flat_map(|part| {
        let mut pieces = part.split('[');
        let key = pieces.next().filter(|k| !k.is_empty()).map(SegmentRef::Key);
        // Each later piece starts right after its `[`, which a key that is not an index keeps.
        let mut at = part.find('[').unwrap_or(part.len());
        let rest = pieces.map(move |index| {
            let start = at;
            at = start + 1 + index.len();
            match index.trim_end_matches(']').parse::<usize>() {
                Ok(i) => SegmentRef::Index(i),
                Err(_) => SegmentRef::Key(part.get(start..at).unwrap_or(index)),
            }
        });
        key.into_iter().chain(rest)
    })
}

impl SegmentRef<'_> {
    fn owned(self) -> Segment {
        match self {
            SegmentRef::Key(k) => Segment::Key(k.to_string()),
            SegmentRef::Index(i) => Segment::Index(i),
        }
    }
}

/// Whether the segments of the dotted path `path` start with those of `prefix`.
fn segments_start_with(path: &str, prefix: &str) -> bool {
    // Most often `path` is `prefix` or a field under it written out (`...containers[0]` and
    // `...containers[0].securityContext`): the text says so without reading the segments.
    if let Some(rest) = path.strip_prefix(prefix) {
        if !prefix.is_empty() && (rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
        {
            return true;
        }
    }
    // Both written the one way their segments are written back: the text has decided.
    if canonical_path(path) && canonical_path(prefix) {
        return false;
    }
    let mut path = segment_refs(path);
    segment_refs(prefix).all(|p| path.next() == Some(p))
}

/// Whether a dotted field path is written the one way its segments would be written back:
/// no empty key, and every `[` opens a list position of plain digits (no leading zero, no sign)
/// closed by the `]` that ends its piece. Two such paths have the same leading segments exactly
/// when one's text starts with the other's at a `.` or `[`.
fn canonical_path(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut pieces = part.split('[');
        let key_ok = pieces
            .next()
            .is_some_and(|k| !k.is_empty() && !k.contains(']'));
        key_ok
            && pieces.all(|p| {
                p.strip_suffix(']').is_some_and(|d| {
                    !d.is_empty()
                        && d.len() < 19
                        && d.bytes().all(|b| b.is_ascii_digit())
                        && (d == "0" || !d.starts_with('0'))
                })
            })
    })
}

impl FieldPath {
    /// Reads the dotted form: keys separated by `.`, list positions as `[N]` after a key.
    pub fn parse(text: &str) -> FieldPath {
        FieldPath {
            text: text.into(),
            segments: std::sync::OnceLock::new(),
        }
    }

    pub fn segments(&self) -> &[Segment] {
        self.segments
            .get_or_init(|| segment_refs(&self.text).map(SegmentRef::owned).collect())
    }

    /// The keys, without list positions: `a.b[2].c` gives `a`, `b`, `c`.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        segment_refs(&self.text).filter_map(|s| match s {
            SegmentRef::Key(k) => Some(k),
            SegmentRef::Index(_) => None,
        })
    }

    /// Whether this path is `prefix` or a field under it (segment by segment: `a[1]` is not
    /// under `a[10]`).
    pub fn starts_with(&self, prefix: &str) -> bool {
        segments_start_with(&self.text, prefix)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

// Compared, ordered and hashed by the dotted form, from which the segments follow.
impl PartialEq for FieldPath {
    fn eq(&self, other: &FieldPath) -> bool {
        self.text == other.text
    }
}

impl Eq for FieldPath {}

impl PartialOrd for FieldPath {
    fn partial_cmp(&self, other: &FieldPath) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FieldPath {
    fn cmp(&self, other: &FieldPath) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl std::hash::Hash for FieldPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl std::ops::Deref for FieldPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::fmt::Debug for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.text, f)
    }
}

impl From<&str> for FieldPath {
    fn from(text: &str) -> FieldPath {
        FieldPath::parse(text)
    }
}

impl From<String> for FieldPath {
    fn from(text: String) -> FieldPath {
        FieldPath {
            text: text.into_boxed_str(),
            segments: std::sync::OnceLock::new(),
        }
    }
}

impl From<&String> for FieldPath {
    fn from(text: &String) -> FieldPath {
        FieldPath::parse(text)
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// The path of the file a finding is in, relative to the working directory, with `/`
/// separators: shared by the findings of one file (one allocation per file, not per finding; a
/// run may hold hundreds of thousands of findings). Reads, compares, orders, hashes, prints and
/// serializes as the string; the empty path allocates nothing.
#[derive(Clone, Default)]
pub struct FilePath(Option<std::sync::Arc<str>>);

impl FilePath {
    pub fn new(path: &str) -> FilePath {
        if path.is_empty() {
            FilePath(None)
        } else {
            FilePath(Some(std::sync::Arc::from(path)))
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }

    /// Whether both are the one shared string (then they are equal without comparing bytes).
    pub fn same(&self, other: &FilePath) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl std::ops::Deref for FilePath {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for FilePath {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<std::path::Path> for FilePath {
    fn as_ref(&self) -> &std::path::Path {
        std::path::Path::new(self.as_str())
    }
}

impl AsRef<std::ffi::OsStr> for FilePath {
    fn as_ref(&self) -> &std::ffi::OsStr {
        std::ffi::OsStr::new(self.as_str())
    }
}

impl std::borrow::Borrow<str> for FilePath {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for FilePath {
    fn eq(&self, other: &FilePath) -> bool {
        self.same(other) || self.as_str() == other.as_str()
    }
}

impl Eq for FilePath {}

impl PartialEq<str> for FilePath {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for FilePath {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for FilePath {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<FilePath> for String {
    fn eq(&self, other: &FilePath) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<FilePath> for str {
    fn eq(&self, other: &FilePath) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<FilePath> for &str {
    fn eq(&self, other: &FilePath) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for FilePath {
    fn partial_cmp(&self, other: &FilePath) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FilePath {
    fn cmp(&self, other: &FilePath) -> std::cmp::Ordering {
        if self.same(other) {
            return std::cmp::Ordering::Equal;
        }
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for FilePath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Display for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for FilePath {
    fn from(path: &str) -> FilePath {
        FilePath::new(path)
    }
}

impl From<String> for FilePath {
    fn from(path: String) -> FilePath {
        FilePath::new(&path)
    }
}

impl From<&String> for FilePath {
    fn from(path: &String) -> FilePath {
        FilePath::new(path)
    }
}

impl From<FilePath> for String {
    fn from(path: FilePath) -> String {
        path.as_str().to_string()
    }
}

impl Serialize for FilePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A list that most findings leave empty (related places, renders, notes): one word, no
/// allocation while empty (a run may hold hundreds of thousands of findings). Reads as a
/// slice; compares, prints and serializes as one.
// A boxed `Vec` on purpose: one word in the finding instead of three.
#[allow(clippy::box_collection)]
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct List<T>(Option<Box<Vec<T>>>);

impl<T> List<T> {
    pub const fn new() -> List<T> {
        List(None)
    }

    fn vec(&mut self) -> &mut Vec<T> {
        self.0.get_or_insert_with(Default::default)
    }

    pub fn push(&mut self, item: T) {
        self.vec().push(item);
    }

    /// Inserts `item` at `index` (at the end when past it).
    pub fn insert(&mut self, index: usize, item: T) {
        let v = self.vec();
        v.insert(index.min(v.len()), item);
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        if let Some(v) = &mut self.0 {
            v.retain(keep);
            if v.is_empty() {
                self.0 = None;
            }
        }
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }
}

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List(None)
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<T> std::ops::DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.0 {
            Some(v) => v.as_mut_slice(),
            None => &mut [],
        }
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(v: Vec<T>) -> List<T> {
        if v.is_empty() {
            List(None)
        } else {
            List(Some(Box::new(v)))
        }
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> List<T> {
        List::from(items.into_iter().collect::<Vec<T>>())
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_some() {
            self.vec().extend(items);
        }
    }
}

impl<T> IntoIterator for List<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> std::vec::IntoIter<T> {
        self.0.map(|v| *v).unwrap_or_default().into_iter()
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> std::slice::Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut List<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> std::slice::IterMut<'a, T> {
        self.iter_mut()
    }
}

impl<T: PartialEq<U>, U, const N: usize> PartialEq<[U; N]> for List<T> {
    fn eq(&self, other: &[U; N]) -> bool {
        **self == other[..]
    }
}

impl<T: PartialEq<U>, U> PartialEq<Vec<U>> for List<T> {
    fn eq(&self, other: &Vec<U>) -> bool {
        **self == other[..]
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

/// A second location that explains a finding (e.g. the pod-level value a container inherits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    /// The file, when it is not the finding's own (e.g. the rendered output of a template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub span: Span,
    pub message: String,
}

/// Where a finding moved out of rendered output was found in that output: a typed fact that
/// mapping records and that reports put into words (see [`Finding::text`]), so that nothing
/// edits or parses message text to carry it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RenderedAt {
    /// Helm output: the render's label (`values-prod.yaml`, `default values`) when we rendered
    /// it, and the place in the output. Words: ` (rendered with LABEL at PATH:LINE:COL)`.
    Helm {
        label: Option<String>,
        path: String,
        line: u32,
        col: u32,
    },
    /// `kustomize build` output, at the line `kubectl kustomize` prints, and the value as the
    /// source has it and as the output has it when kustomize rewrote it. Words:
    /// ` (kustomize output line LINE:COL; kustomize changed the value: ...)`.
    Kustomize {
        line: u32,
        col: u32,
        changed: Option<(String, String)>,
    },
}

impl RenderedAt {
    /// The words a report appends to the finding's message.
    pub fn words(&self) -> String {
        match self {
            RenderedAt::Helm {
                label,
                path,
                line,
                col,
            } => {
                let label = label
                    .as_deref()
                    .map(|l| format!(" with {l}"))
                    .unwrap_or_default();
                format!(" (rendered{label} at {path}:{line}:{col})")
            }
            RenderedAt::Kustomize { line, col, changed } => {
                let changed = changed
                    .as_ref()
                    .map(|(src, out)| {
                        format!(
                            "; kustomize changed the value: the source has {src}, the output {out}"
                        )
                    })
                    .unwrap_or_default();
                format!(" (kustomize output line {line}:{col}{changed})")
            }
        }
    }

    /// Whether this is the helm output place `path:line:col`.
    pub fn is_helm_place(&self, at_path: &str, at_line: u32, at_col: u32) -> bool {
        matches!(self, RenderedAt::Helm { path, line, col, .. }
            if path == at_path && *line == at_line && *col == at_col)
    }
}

/// Marks a line number in a message a rule builds (see [`line_mark`]).
const LINE_MARK: char = '\u{1}';

/// The words ` at line N` for a message a rule builds: [`Finding::new`] writes them and records
/// them as a [`LineRef`], so that mapping moves the line without touching the message.
pub fn line_mark(line: u32) -> String {
    format!("{LINE_MARK}{line}{LINE_MARK}")
}

/// A line a finding's message names (` at line N`: the pod-level value a container inherits,
/// the first of two duplicate keys), kept typed: mapping moves it (the template's line, a
/// source file's line, or none) and [`Finding::text`] puts it into words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineRef {
    /// Where the rule's words ` at line N` are in [`Finding::message`] (byte range).
    pub range: std::ops::Range<usize>,
    /// The line named now.
    pub line: u32,
    /// The file, when the line moved into another file than the finding's (` at FILE:LINE`).
    pub file: Option<String>,
    /// Mapping found no line to name: the words are left out.
    pub removed: bool,
}

impl LineRef {
    /// The words that stand for this line in [`Finding::text`].
    pub fn words(&self) -> String {
        match (&self.file, self.removed) {
            (_, true) => String::new(),
            (Some(file), false) => format!(" at {file}:{}", self.line),
            (None, false) => format!(" at line {}", self.line),
        }
    }

    /// Names `to` instead of `from` (a no-op for another line).
    pub fn moved(&mut self, from: u32, to: u32) {
        if !self.removed && self.file.is_none() && self.line == from {
            self.line = to;
        }
    }
}

/// Writes the marked lines of `raw` (see [`line_mark`]) as ` at line N` and records each.
fn take_line_refs(raw: String) -> (String, Vec<LineRef>) {
    if !raw.contains(LINE_MARK) {
        return (raw, Vec::new());
    }
    let mut text = String::with_capacity(raw.len() + 16);
    let mut refs = Vec::new();
    for (i, part) in raw.split(LINE_MARK).enumerate() {
        match part.parse::<u32>() {
            Ok(line) if i % 2 == 1 => {
                let start = text.len();
                text.push_str(&format!(" at line {line}"));
                refs.push(LineRef {
                    range: start..text.len(),
                    line,
                    file: None,
                    removed: false,
                });
            }
            _ => text.push_str(part),
        }
    }
    (text, refs)
}

/// A fact added to a finding after its rule built it, put into words after the rule's message
/// (before [`RenderedAt`]) by [`Finding::text`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The object's namespace enforces this Pod Security Standards level. Words:
    /// ` [namespace NS enforces LEVEL]`.
    Enforced { namespace: String, level: String },
    /// A config suppression matched, but it expired. Words: ` (the config's suppression at
    /// line LINE expired on DATE: REASON)`.
    SuppressionExpired {
        line: u32,
        on: String,
        reason: String,
    },
}

impl Note {
    pub fn words(&self) -> String {
        match self {
            Note::Enforced { namespace, level } => {
                format!(" [namespace {namespace} enforces {level}]")
            }
            Note::SuppressionExpired { line, on, reason } => {
                format!(" (the config's suppression at line {line} expired on {on}: {reason})")
            }
        }
    }
}

/// What silenced a suppressed finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressedBy {
    /// A `# clustersec:ignore` comment in the file the finding points at.
    Comment,
    /// An annotation of the object (`clustersec.io/ignore`, `datree.skip/RULE`).
    Annotation,
    /// An entry of the config file's `suppressions` list, at its 1-based line.
    Config { line: u32 },
    /// A namespace's Pod Security Admission `audit`/`warn` label (reported, not enforced).
    Namespace,
    /// Not a problem of the scanned files but a note about the run (e.g. a `--policy` custom
    /// rule that replaces a clustersec rule of the same id): reported, never counted.
    Note,
}

impl SuppressedBy {
    /// The name used in JSON reports and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressedBy::Comment => "comment",
            SuppressedBy::Annotation => "annotation",
            SuppressedBy::Config { .. } => "config",
            SuppressedBy::Namespace => "namespace",
            SuppressedBy::Note => "note",
        }
    }

    /// Reads [`SuppressedBy::as_str`] back (the line of a config entry is not kept).
    pub fn parse(s: &str) -> Option<SuppressedBy> {
        Some(match s {
            "comment" => SuppressedBy::Comment,
            "annotation" => SuppressedBy::Annotation,
            "config" => SuppressedBy::Config { line: 0 },
            "namespace" => SuppressedBy::Namespace,
            "note" => SuppressedBy::Note,
            _ => return None,
        })
    }

    /// SARIF `suppression.kind`: `external` for the config file and notes about the run,
    /// `inSource` for what is written in the scanned files themselves.
    pub fn sarif_kind(self) -> &'static str {
        match self {
            SuppressedBy::Config { .. } | SuppressedBy::Note => "external",
            _ => "inSource",
        }
    }
}

/// One problem, at one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// What the rule says. Reports write [`Finding::text`]: this and the typed facts put into
    /// words (see [`Finding::rendered`]).
    pub message: String,
    /// Lines the message names, as typed facts (see [`LineRef`]); [`Finding::text`] words them.
    pub line_refs: List<LineRef>,
    /// Facts added after the rule built the finding (see [`Note`]); [`Finding::text`] words them.
    pub notes: List<Note>,
    /// Path of the file, relative to the working directory, with `/` separators (shared by the
    /// findings of a file).
    pub path: FilePath,
    pub span: Span,
    /// The object, shared by its findings.
    pub object: Option<std::sync::Arc<ObjectRef>>,
    pub container: Option<String>,
    /// Field path inside the object, e.g. `spec.template.spec.containers[1].securityContext`.
    pub field: Option<FieldPath>,
    pub related: List<Related>,
    /// For findings in rendered output (Helm, Kustomize): how the location was mapped back to
    /// the file the user edits.
    pub mapping: Option<String>,
    /// Set on a suppressed finding: the reason given in its `clustersec:ignore` comment.
    pub suppression: Option<String>,
    /// What suppressed it (set with `suppression`; `None` on older inputs reads as a comment).
    pub suppressed_by: Option<SuppressedBy>,
    /// For findings in rendered output: the renders they came from, e.g.
    /// `charts/web (default values)` and `charts/web (values-prod.yaml)` for a finding that a
    /// render matrix produced twice and that is reported once.
    pub renders: List<String>,
    /// For findings moved out of rendered output: where they were in it, in the order the
    /// mappings applied (serialized as part of `message`, as reports write it).
    pub rendered: List<RenderedAt>,
    /// The container the finding's field is in, set by the engine from the model (not
    /// serialized: `container` and `field` say it in words).
    pub container_ref: Option<ContainerRef>,
    /// Against a baseline file or a git diff base (`scan --baseline`, `--diff-base`): whether the
    /// finding is new or was there before. `None` when the run compared with nothing.
    pub baseline: Option<BaselineState>,
}

/// A finding serializes as it always has, with `message` as reports write it
/// ([`Finding::text`]); `rendered` is part of that text, not a key of its own.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shape<'a> {
            rule: &'a str,
            severity: Severity,
            message: std::borrow::Cow<'a, str>,
            path: &'a str,
            span: Span,
            #[serde(skip_serializing_if = "Option::is_none")]
            object: Option<&'a ObjectRef>,
            #[serde(skip_serializing_if = "Option::is_none")]
            container: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            field: Option<&'a str>,
            #[serde(skip_serializing_if = "<[Related]>::is_empty")]
            related: &'a [Related],
            #[serde(skip_serializing_if = "Option::is_none")]
            mapping: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            suppression: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            suppressed_by: Option<SuppressedBy>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            renders: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            baseline: Option<BaselineState>,
        }
        Shape {
            rule: &self.rule,
            severity: self.severity,
            message: self.text(),
            path: &self.path,
            span: self.span,
            object: self.object.as_deref(),
            container: self.container.as_deref(),
            field: self.field.as_ref().map(FieldPath::as_str),
            related: &self.related,
            mapping: self.mapping.as_deref(),
            suppression: self.suppression.as_deref(),
            suppressed_by: self.suppressed_by,
            renders: &self.renders,
            baseline: self.baseline,
        }
        .serialize(s)
    }
}

/// Whether a finding is new or existing, compared with a baseline or a diff base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline, or on a line the pull request added or changed.
    New,
    /// In the baseline, or on a line the pull request did not touch.
    Existing,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Existing => "existing",
        }
    }

    /// SARIF `baselineState`.
    pub fn sarif(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Existing => "unchanged",
        }
    }
}

impl Finding {
    /// A finding of `rule` at `span` (path, severity and object are filled in by the engine).
    pub fn new(rule: impl Into<RuleId>, span: Span, message: impl Into<String>) -> Finding {
        let (mut message, line_refs) = take_line_refs(message.into());
        // `format!` reserves about twice its literal text: a run may hold hundreds of thousands
        // of findings, each with its message.
        message.shrink_to_fit();
        Finding {
            rule: rule.into(),
            severity: Severity::default(),
            message,
            line_refs: line_refs.into(),
            notes: List::new(),
            path: FilePath::default(),
            span,
            object: None,
            container: None,
            field: None,
            related: List::new(),
            mapping: None,
            suppression: None,
            suppressed_by: None,
            renders: List::new(),
            rendered: List::new(),
            container_ref: None,
            baseline: None,
        }
    }

    /// The message as reports write it: [`Finding::words`], then where the finding was in
    /// rendered output (see [`RenderedAt::words`]).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        let words = self.words();
        if self.rendered.is_empty() {
            return words;
        }
        let mut text = words.into_owned();
        for r in &self.rendered {
            text.push_str(&r.words());
        }
        std::borrow::Cow::Owned(text)
    }

    /// The rule's words with the lines it names where they are now (see [`LineRef::words`])
    /// and the notes added since (see [`Note::words`]): the same for every render of a finding
    /// (what merging renders compares).
    pub fn words(&self) -> std::borrow::Cow<'_, str> {
        if self.line_refs.is_empty() && self.notes.is_empty() {
            return std::borrow::Cow::Borrowed(&self.message);
        }
        let mut text = String::with_capacity(self.message.len() + 64);
        let mut at = 0;
        for r in &self.line_refs {
            text.push_str(self.message.get(at..r.range.start).unwrap_or_default());
            text.push_str(&r.words());
            at = r.range.end;
        }
        text.push_str(self.message.get(at..).unwrap_or_default());
        for n in &self.notes {
            text.push_str(&n.words());
        }
        std::borrow::Cow::Owned(text)
    }

    pub fn container(mut self, name: impl Into<String>) -> Finding {
        let name = name.into();
        if !name.is_empty() {
            self.container = Some(name);
        }
        self
    }

    pub fn field(mut self, path: impl Into<FieldPath>) -> Finding {
        self.field = Some(path.into());
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            path: None,
            span,
            message: message.into(),
        });
        self
    }

    /// Whether a comparison with a baseline or a diff base found the finding there before.
    pub fn is_existing(&self) -> bool {
        self.baseline == Some(BaselineState::Existing)
    }

    /// The order every report uses: path, line, column, rule, then the rest for ties (end,
    /// object, container, field, text), each compared only when the ones before tie.
    pub fn sort_key(&self) -> SortKey<'_> {
        SortKey(self)
    }
}

/// A finding's place in the order of reports (see [`Finding::sort_key`]): the fields compared
/// one after the other, the text (which may have to be put together) only for a full tie.
pub struct SortKey<'a>(&'a Finding);

impl Ord for SortKey<'_> {
    fn cmp(&self, other: &SortKey<'_>) -> std::cmp::Ordering {
        let (a, b) = (self.0, other.0);
        a.path
            .cmp(&b.path)
            .then_with(|| a.span.start.cmp(&b.span.start))
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.span.end.cmp(&b.span.end))
            .then_with(|| match (&a.object, &b.object) {
                (Some(x), Some(y)) if std::sync::Arc::ptr_eq(x, y) => std::cmp::Ordering::Equal,
                (x, y) => x.cmp(y),
            })
            .then_with(|| a.container.cmp(&b.container))
            .then_with(|| a.field.cmp(&b.field))
            .then_with(|| a.text().cmp(&b.text()))
    }
}

impl PartialOrd for SortKey<'_> {
    fn partial_cmp(&self, other: &SortKey<'_>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortKey<'_> {
    fn eq(&self, other: &SortKey<'_>) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for SortKey<'_> {}

/// Takes the findings `pick` selects out of `findings`, in order, and returns them; the others
/// stay, in order. `pick` may change a finding it selects. In place: the findings kept are not
/// moved into a second list (a run may hold hundreds of thousands).
pub fn take_where(
    findings: &mut Vec<Finding>,
    mut pick: impl FnMut(&mut Finding) -> bool,
) -> Vec<Finding> {
    let mut taken = Vec::new();
    findings.retain_mut(|f| {
        if !pick(f) {
            return true;
        }
        // An empty finding (no allocation) stands in for the one taken until `retain_mut`
        // drops it.
        let empty = Finding::new("", Span::point(crate::model::Pos::START), String::new());
        taken.push(std::mem::replace(f, empty));
        false
    });
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pos;

    #[test]
    fn the_rendered_place_is_put_into_words_where_the_message_is_written() {
        let mut f = Finding::new("R", Span::point(Pos::new(3, 5)), "bad");
        assert_eq!(f.text(), "bad");
        let mut g = Finding::new(
            "R",
            Span::point(Pos::new(3, 5)),
            format!("set{} and{}.", line_mark(3), line_mark(30)),
        );
        assert_eq!(g.message, "set at line 3 and at line 30.");
        assert_eq!(g.text(), "set at line 3 and at line 30.");
        for r in &mut g.line_refs {
            r.moved(3, 7);
        }
        g.line_refs[1].file = Some("a.yaml".into());
        assert_eq!(g.text(), "set at line 7 and at a.yaml:30.");
        g.line_refs[0].removed = true;
        assert_eq!(g.text(), "set and at a.yaml:30.");
        f.rendered.push(RenderedAt::Helm {
            label: Some("values-prod.yaml".into()),
            path: "charts/web".into(),
            line: 12,
            col: 5,
        });
        assert_eq!(
            f.text(),
            "bad (rendered with values-prod.yaml at charts/web:12:5)"
        );
        assert!(f.rendered[0].is_helm_place("charts/web", 12, 5));
        assert!(!f.rendered[0].is_helm_place("charts/web", 12, 6));
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            json["message"],
            "bad (rendered with values-prod.yaml at charts/web:12:5)"
        );
        assert!(json.get("rendered").is_none());
        let unlabelled = RenderedAt::Helm {
            label: None,
            path: "out.yaml".into(),
            line: 1,
            col: 2,
        };
        assert_eq!(unlabelled.words(), " (rendered at out.yaml:1:2)");
        let kustomize = RenderedAt::Kustomize {
            line: 7,
            col: 9,
            changed: Some(("yes".into(), "\"yes\"".into())),
        };
        assert_eq!(
            kustomize.words(),
            " (kustomize output line 7:9; kustomize changed the value: the source has yes, the output \"yes\")"
        );
    }

    #[test]
    fn a_field_path_has_typed_segments_and_reads_as_its_dotted_form() {
        let p = FieldPath::from("spec.template.spec.containers[1].securityContext");
        assert_eq!(
            p.segments(),
            [
                Segment::Key("spec".into()),
                Segment::Key("template".into()),
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(1),
                Segment::Key("securityContext".into()),
            ]
        );
        assert_eq!(
            p.keys().collect::<Vec<_>>(),
            ["spec", "template", "spec", "containers", "securityContext"]
        );
        assert_eq!(
            p.to_string(),
            "spec.template.spec.containers[1].securityContext"
        );
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            "spec.template.spec.containers[1].securityContext"
        );
        assert_eq!(format!("{:?}", Some(&p)), format!("{:?}", Some(p.as_str())));
    }

    #[test]
    fn the_engine_records_the_container_of_a_finding_from_the_model() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsUser: 0\n  initContainers:\n    - name: setup\n      image: busybox\n      securityContext:\n        privileged: true\n  containers:\n    - name: web\n      image: nginx\n    - image: envoy\n      securityContext:\n        privileged: true\n";
        let (_, findings) = crate::engine::Engine::default().scan_text("p.yaml", text);
        let privileged: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
            .collect();
        let refs: Vec<_> = privileged
            .iter()
            .map(|f| {
                f.container_ref
                    .as_ref()
                    .map(|c| (c.kind, c.index, f.container.as_deref().unwrap_or("")))
            })
            .collect();
        use crate::model::ContainerKind;
        assert!(
            refs.contains(&Some((ContainerKind::Init, 0, "setup"))),
            "{refs:?}"
        );
        assert!(
            refs.contains(&Some((ContainerKind::Regular, 1, ""))),
            "{refs:?}"
        );
        // A pod-level value a container inherits is outside every container.
        let inherited = findings
            .iter()
            .find(|f| f.field.as_deref() == Some("spec.securityContext.runAsUser"))
            .unwrap();
        assert_eq!(inherited.container_ref, None);
    }

    #[test]
    fn shared_paths_and_short_lists_read_as_strings_and_slices() {
        let a = FilePath::from("dir/a.yaml");
        let b = FilePath::from(String::from("dir/a.yaml"));
        assert!(a.same(&a.clone()) && !a.same(&b));
        assert_eq!(a, b);
        assert_eq!(a, "dir/a.yaml");
        assert_eq!(
            a.cmp(&FilePath::from("dir/b.yaml")),
            std::cmp::Ordering::Less
        );
        assert_eq!(FilePath::default(), "");
        assert_eq!(serde_json::to_value(&a).unwrap(), "dir/a.yaml");
        assert_eq!(format!("{a:?}"), format!("{:?}", "dir/a.yaml"));
        let mut l: List<String> = List::new();
        assert!(l.is_empty());
        assert_eq!(format!("{l:?}"), "[]");
        l.push("x".into());
        l.insert(0, "w".into());
        l.insert(99, "z".into());
        assert_eq!(l, ["w", "x", "z"]);
        l.retain(|s| s != "x");
        assert_eq!(
            serde_json::to_value(&l).unwrap(),
            serde_json::json!(["w", "z"])
        );
        l.retain(|_| false);
        assert_eq!(l, List::default());
        let v: List<u32> = vec![1, 2].into();
        assert_eq!(v.into_iter().sum::<u32>(), 3);
    }

    #[test]
    fn taking_findings_keeps_both_orders() {
        let mut all: Vec<Finding> = (1..=6)
            .map(|i| Finding::new("R", Span::point(Pos::new(i, 1)), format!("m{i}")))
            .collect();
        let taken = take_where(&mut all, |f| {
            f.suppression = Some("why".into());
            f.span.start.line % 2 == 0
        });
        let lines = |v: &[Finding]| v.iter().map(|f| f.span.start.line).collect::<Vec<_>>();
        assert_eq!(lines(&all), [1, 3, 5]);
        assert_eq!(lines(&taken), [2, 4, 6]);
        assert!(taken.iter().all(|f| f.suppression.is_some()));
    }
}
