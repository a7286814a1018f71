//! A YAML tree in which every key and value keeps its span, built from saphyr-parser's events.
//!
//! Kubernetes decodes YAML the way go-yaml v2 does (YAML 1.1 scalars), so plain scalars are
//! resolved here the same way: `yes`/`on`/`y` are booleans, `0644` is octal, `1_000` is an int.
//! Duplicate keys are kept in the tree (lookups return the last one, as Kubernetes does) and
//! reported as diagnostics. `<<` merge keys are honoured at lookup time in go-yaml v2's order:
//! entries apply top to bottom, a `<<` at its own position (so a key before a `<<` is overridden
//! by the merged value, a key after it overrides it), and within `<<: [a, b]` the earlier source
//! wins.
//! Aliases are expanded by copying the anchored node, within a node budget, and nesting depth is
//! bounded, so hostile input costs bounded time and memory.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as PSpan, Tag};
use serde::Serialize;

/// Deepest nesting of collections accepted in one document.
pub const MAX_DEPTH: usize = 256;
/// Nodes that alias expansion may copy per file, on top of a share proportional to the input.
pub const ALIAS_BUDGET_BASE: usize = 100_000;

/// A position in a file: 1-based line, 1-based column counted in Unicode code points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };

    pub fn new(line: u32, col: u32) -> Pos {
        Pos {
            line: line.max(1),
            col: col.max(1),
        }
    }
}

/// A region of a file; `end` is exclusive (the column just after the last character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Span {
        let end = if end < start { start } else { end };
        Span { start, end }
    }

    pub fn point(p: Pos) -> Span {
        Span { start: p, end: p }
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start, other.end.max(self.end))
    }
}

/// The resolved value of a scalar, the way Kubernetes' YAML decoder sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// One `key: value` pair of a mapping, both with spans.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// A merge (`<<: ...`) as go-yaml v2 reads it: a plain untagged `<<` key, or one tagged
    /// `!!merge` (quoted or not); a quoted untagged `"<<"` is an ordinary key.
    pub merge: bool,
}

impl Entry {
    /// The region from the start of the key to the end of the value.
    pub fn span(&self) -> Span {
        self.key.span.to(self.value.span)
    }

    /// The key's text (empty for a non-scalar key).
    pub fn key_str(&self) -> &str {
        self.key.text().unwrap_or("")
    }

    fn is_merge(&self) -> bool {
        self.merge
    }
}

#[derive(Clone, Debug)]
pub enum Kind {
    Scalar {
        text: String,
        quoted: bool,
        value: Scalar,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A YAML node with its span.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
}

impl Node {
    fn count(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|e| e.key.count() + e.value.count())
                    .sum::<usize>()
            }
        }
    }

    /// The scalar's source text (after YAML unescaping), for any scalar.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The resolved scalar value, if this is a scalar.
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A string value (quoted, or plain text that resolves to no other type).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar {
                text,
                value: Scalar::Str,
                ..
            } => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar() {
            Some(Scalar::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar() {
            Some(Scalar::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// An integer as the API server reads it: YAML goes through JSON on its way in, so an
    /// integral float (`1e4`, `10000.0`) arrives as the integer 10000.
    pub fn as_api_int(&self) -> Option<i64> {
        match self.scalar() {
            Some(Scalar::Int(i)) => Some(*i),
            Some(Scalar::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 =>
            {
                #[allow(clippy::cast_possible_truncation)]
                Some(*f as i64)
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a mapping as written, duplicates and `<<` keys included.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// A short name of the node's type for messages: `string`, `boolean`, `mapping`...
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { value, .. } => match value {
                Scalar::Null => "null",
                Scalar::Bool(_) => "boolean",
                Scalar::Int(_) => "integer",
                Scalar::Float(_) => "number",
                Scalar::Str => "string",
            },
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }

    /// How the value reads in a message: `true`, `"1000"`, `a mapping`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar {
                text,
                quoted,
                value,
            } => match value {
                Scalar::Str if *quoted || text.is_empty() => format!("{text:?}"),
                Scalar::Str => format!("{text:?}"),
                Scalar::Bool(b) if text != "true" && text != "false" => {
                    format!("{text} (read as {b})")
                }
                Scalar::Int(i) if text != &i.to_string() => format!("{text} (read as {i})"),
                _ => text.clone(),
            },
            Kind::Seq(_) => "a sequence".to_string(),
            Kind::Map(_) => "a mapping".to_string(),
        }
    }

    /// Looks a key up the way Kubernetes (go-yaml v2) does: the entries of a mapping are applied
    /// in order, each `<<` merge writing its keys at its own position, so the last write wins: a
    /// later duplicate beats an earlier one, a key after a `<<` beats the merged value, and a
    /// `<<` after a key beats that key. Every `<<` of a mapping applies; among the sources of
    /// one `<<: [...]` the first one that has the key wins.
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.get_entry_depth(key, 0)
    }

    fn get_entry_depth(&self, key: &str, depth: usize) -> Option<&Entry> {
        let entries = self.entries()?;
        for e in entries.iter().rev() {
            if !e.is_merge() {
                if e.key.text() == Some(key) {
                    return Some(e);
                }
                continue;
            }
            if depth > MAX_DEPTH {
                continue;
            }
            let merged = match &e.value.kind {
                Kind::Map(_) => e.value.get_entry_depth(key, depth + 1),
                Kind::Seq(items) => items.iter().find_map(|m| m.get_entry_depth(key, depth + 1)),
                Kind::Scalar { .. } => None,
            };
            if merged.is_some() {
                return merged;
            }
        }
        None
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| &e.value)
    }

    /// The effective entries of a mapping (duplicates resolved, merges applied as
    /// [`Node::get_entry`] does), in the order of first appearance. Linear in the size of the
    /// mapping and its merge sources.
    pub fn effective_entries(&self) -> Vec<&Entry> {
        let mut keys: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        self.collect_keys(&mut keys, &mut seen, 0);
        let mut winners: HashMap<&str, &Entry> = HashMap::with_capacity(keys.len());
        self.apply_entries(&mut winners, 0);
        keys.iter()
            .filter_map(|k| winners.get(k).copied())
            .collect()
    }

    fn collect_keys<'a>(
        &'a self,
        keys: &mut Vec<&'a str>,
        seen: &mut HashSet<&'a str>,
        depth: usize,
    ) {
        let Some(entries) = self.entries() else {
            return;
        };
        for e in entries {
            if e.is_merge() {
                if depth <= MAX_DEPTH {
                    match &e.value.kind {
                        Kind::Map(_) => e.value.collect_keys(keys, seen, depth + 1),
                        Kind::Seq(items) => {
                            for m in items {
                                m.collect_keys(keys, seen, depth + 1);
                            }
                        }
                        Kind::Scalar { .. } => {}
                    }
                }
            } else if let Some(k) = e.key.text() {
                if seen.insert(k) {
                    keys.push(k);
                }
            }
        }
    }

    /// Writes the entries into `winners` in go-yaml v2's order: top to bottom, each `<<` at its
    /// place, the sources of `<<: [...]` from the last to the first (so the first wins).
    fn apply_entries<'a>(&'a self, winners: &mut HashMap<&'a str, &'a Entry>, depth: usize) {
        let Some(entries) = self.entries() else {
            return;
        };
        for e in entries {
            if e.is_merge() {
                if depth <= MAX_DEPTH {
                    match &e.value.kind {
                        Kind::Map(_) => e.value.apply_entries(winners, depth + 1),
                        Kind::Seq(items) => {
                            for m in items.iter().rev() {
                                m.apply_entries(winners, depth + 1);
                            }
                        }
                        Kind::Scalar { .. } => {}
                    }
                }
            } else if let Some(k) = e.key.text() {
                winners.insert(k, e);
            }
        }
    }

    /// Converts to JSON the way Kubernetes would see the object (for schema-based checks).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Scalar { text, value, .. } => match value {
                Scalar::Null => J::Null,
                Scalar::Bool(b) => J::Bool(*b),
                Scalar::Int(i) => J::from(*i),
                Scalar::Float(f) => serde_json::Number::from_f64(*f)
                    .map(J::Number)
                    .unwrap_or(J::Null),
                Scalar::Str => J::String(text.clone()),
            },
            Kind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(_) => J::Object(
                self.effective_entries()
                    .into_iter()
                    .map(|e| (e.key_str().to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A problem found while reading the YAML itself.
#[derive(Clone, Debug, PartialEq)]
pub enum Diagnostic {
    /// The parser stopped: a syntax error, or text that is not YAML.
    Syntax { pos: Pos, message: String },
    /// A key that appears twice in one mapping.
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
    },
    /// A mapping key that is a sequence or mapping (Kubernetes needs string keys).
    NonScalarKey { span: Span },
    /// Alias expansion hit the node budget (a "billion laughs" document).
    AliasBudget { span: Span },
    /// Collections nested deeper than [`MAX_DEPTH`].
    TooDeep { span: Span },
    /// An alias to an anchor that was never defined.
    UnknownAnchor { span: Span },
    /// go-yaml v2 parses the text but refuses to decode it, so Kubernetes rejects the document:
    /// a tagged scalar that cannot have its tag's type (`!!int "abc"`), invalid `!!binary`, a
    /// merge of something other than mappings. The document is still scanned as read.
    Decode { span: Span, message: String },
}

/// One YAML document of a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based index of the document in the file.
    pub index: usize,
    /// Where the document's content starts.
    pub start: Pos,
    /// The root node; `None` for an empty document or one abandoned because of a diagnostic.
    pub root: Option<Node>,
}

/// A parsed file: its documents and the diagnostics met on the way.
#[derive(Debug, Default)]
pub struct Stream {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// How positions in the text that saphyr parses map back to the file.
#[derive(Default)]
struct Shifts {
    /// Columns added to lines of the text by [`repair`], by 1-based line: positions on those
    /// lines are mapped back to the text before the repair.
    added: HashMap<u32, u32>,
    /// Set when [`normalize_breaks`] changed the text: by 0-based line of the parsed text, the
    /// file's 1-based line and the columns that precede the parsed line on it.
    lines: Option<Vec<(u32, u32)>>,
}

impl Shifts {
    /// Maps a 1-based (line, column) of the parsed text to the file.
    fn map(&self, line: u32, col: u32) -> Pos {
        let col = match self.added.get(&line) {
            Some(added) => col.saturating_sub(*added).max(1),
            None => col,
        };
        match self
            .lines
            .as_ref()
            .and_then(|l| l.get(line.saturating_sub(1) as usize))
        {
            Some(&(file_line, before)) => Pos::new(file_line, col.saturating_add(before)),
            None => Pos::new(line, col),
        }
    }
}

fn pos(m: saphyr_parser::Marker, line_offset: u32, shifts: &Shifts) -> Pos {
    let line = u32::try_from(m.line())
        .unwrap_or(u32::MAX)
        .saturating_add(line_offset);
    let col = u32::try_from(m.col()).unwrap_or(u32::MAX - 1) + 1;
    shifts.map(line, col)
}

/// go-yaml v2 (YAML 1.1, and so Kubernetes) also breaks lines at NEL (U+0085), LINE SEPARATOR
/// (U+2028) and PARAGRAPH SEPARATOR (U+2029): a comment ends there and what follows is read as
/// content. YAML 1.2 (saphyr) reads them as ordinary characters, which would hide that content
/// inside a comment. go-yaml also skips a byte order mark (U+FEFF) at the start of any line
/// (YAML 1.2 allows one only between documents), counting it as one column.
///
/// So the text is rewritten before parsing: each of those breaks becomes `\n`, and a BOM at
/// the start of a line becomes a space. Positions are reported on the file's own lines (the ones
/// editors, `git diff` and code scanning number: only `\n`, `\r\n` and `\r` break lines), so a
/// value that follows a U+2028 is reported on the physical line that holds it, at its column
/// there (counted in code points, the separator included). Returns `None` when the text has
/// none of these characters (the common case: one pass over the bytes, no copy).
fn normalize_breaks(text: &str) -> Option<(String, Vec<(u32, u32)>)> {
    // Every character concerned starts with one of these bytes in UTF-8.
    if !text.bytes().any(|b| matches!(b, 0xC2 | 0xE2 | 0xEF)) {
        return None;
    }
    if !text.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{FEFF}']) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    // By parsed line: (file line, columns before it on that file line).
    let mut lines: Vec<(u32, u32)> = vec![(1, 0)];
    let mut file_line = 1u32;
    // Code points since the start of the file line.
    let mut col = 0u32;
    let mut at_line_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push('\n');
                file_line = file_line.saturating_add(1);
                col = 0;
                lines.push((file_line, 0));
                at_line_start = true;
            }
            '\r' => {
                out.push('\r');
                if chars.peek() != Some(&'\n') {
                    file_line = file_line.saturating_add(1);
                    col = 0;
                    lines.push((file_line, 0));
                    at_line_start = true;
                }
            }
            '\u{85}' | '\u{2028}' | '\u{2029}' => {
                out.push('\n');
                col = col.saturating_add(1);
                lines.push((file_line, col));
                at_line_start = true;
            }
            '\u{FEFF}' if at_line_start => {
                // go-yaml skips it but counts its column, so what follows is indented by one:
                // a space reads the same (and keeps every column).
                out.push(' ');
                col = col.saturating_add(1);
                at_line_start = false;
            }
            _ => {
                out.push(c);
                col = col.saturating_add(1);
                at_line_start = false;
            }
        }
    }
    Some((out, lines))
}

fn span(s: PSpan, line_offset: u32, shifts: &Shifts) -> Span {
    Span::new(
        pos(s.start, line_offset, shifts),
        pos(s.end, line_offset, shifts),
    )
}

/// Resolves a plain scalar as go-yaml v2 (and so Kubernetes) does.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Scalar::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Scalar::Str;
    }
    if first == b'.' {
        // go-yaml tries `strconv.ParseFloat` on the text as written (no `_` removal).
        return match text.parse::<f64>() {
            Ok(f) if is_float_syntax(text) => Scalar::Float(f),
            _ => Scalar::Str,
        };
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return Scalar::Int(i);
    }
    if is_float_syntax(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Scalar::Float(f);
        }
    }
    Scalar::Str
}

/// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, a leading `0` (octal) or
/// decimal digits.
fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, body) = if let Some(r) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, r)
    } else if let Some(r) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, r)
    } else if let Some(r) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, r)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn is_float_syntax(s: &str) -> bool {
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

/// The long form of the YAML core tags (`!!int` is `tag:yaml.org,2002:int`).
const CORE: &str = "tag:yaml.org,2002:";

/// A scalar as go-yaml v2 decodes it into an `interface{}` (what sigs.k8s.io/yaml, and so
/// Kubernetes, does), from its text, style and tag.
#[derive(Debug, PartialEq)]
struct Resolved {
    value: Scalar,
    /// The text Kubernetes reads when it is not the scalar's own (a decoded `!!binary`).
    text: Option<String>,
    /// A `<<` key that merges: plain and untagged (or tagged `!`), or tagged `!!merge`.
    merge_key: bool,
    /// go-yaml refuses the document: a tagged value that cannot have its tag's type.
    error: Option<String>,
}

/// go-yaml v2's rules, in its order:
/// - a `!!null` tag makes any node null; so does an untagged `null` or `~`, quoted or not, and
///   an empty plain scalar;
/// - an untagged quoted scalar is a string;
/// - `!!binary` is base64, decoded to a string (invalid base64 is an error);
/// - any tag other than the core `!!str`, `!!bool`, `!!int`, `!!float`, `!!null` and
///   `!!timestamp` (a local `!foo`, the non-specific `!`, `!!map`, `!!merge`...) leaves the text
///   a string;
/// - otherwise the text is resolved as a plain scalar and must give the tag's type (`!!float`
///   also takes an integer; `!!timestamp` is kept as its text), else the document is an error.
fn resolve(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Resolved {
    let tag: Cow<'_, str> = match tag {
        None => Cow::Borrowed(""),
        Some(t) if t.handle.is_empty() => Cow::Borrowed(t.suffix.as_str()),
        Some(t) => Cow::Owned(format!("{}{}", t.handle, t.suffix)),
    };
    let tag = tag.as_ref();
    let implicit = (tag.is_empty() && style == ScalarStyle::Plain) || tag == "!";
    let mut out = Resolved {
        value: Scalar::Str,
        text: None,
        merge_key: text == "<<" && (implicit || tag == "tag:yaml.org,2002:merge"),
        error: None,
    };
    let short = tag.strip_prefix(CORE);
    if short == Some("null")
        || (tag.is_empty() && (text == "null" || text == "~" || (text.is_empty() && implicit)))
    {
        out.value = Scalar::Null;
        return out;
    }
    if tag.is_empty() && !implicit {
        return out;
    }
    if short == Some("binary") {
        match decode_base64(text) {
            Some(bytes) => out.text = Some(String::from_utf8_lossy(&bytes).into_owned()),
            None => out.error = Some("!!binary value contains invalid base64 data".to_string()),
        }
        return out;
    }
    let want = match short {
        _ if tag.is_empty() => None,
        Some(t @ ("str" | "bool" | "int" | "float" | "timestamp")) => Some(t),
        _ => return out,
    };
    if want == Some("str") {
        return out;
    }
    let timestamp = matches!(want, None | Some("timestamp")) && is_timestamp(text);
    let (got, value) = if timestamp {
        ("timestamp", Scalar::Str)
    } else {
        let v = resolve_plain(text);
        let name = match v {
            Scalar::Null => "null",
            Scalar::Bool(_) => "bool",
            Scalar::Int(_) => "int",
            Scalar::Float(_) => "float",
            Scalar::Str => "str",
        };
        (name, v)
    };
    out.value = match (want, got, value) {
        (None, _, v) => v,
        (Some(w), g, v) if w == g => v,
        #[allow(clippy::cast_precision_loss)]
        (Some("float"), "int", Scalar::Int(i)) => Scalar::Float(i as f64),
        (Some(w), g, _) => {
            out.error = Some(format!("cannot decode !!{g} `{text}` as a !!{w}"));
            Scalar::Str
        }
    };
    out
}

/// go-yaml v2's `parseTimestamp`: `YYYY-` then one of the formats it accepts (RFC 3339 with
/// short date fields, `T` or `t`, a space-separated date and time without zone, a date only).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    // Date: Y-M-D with one or two digit month and day.
    let mut i = 5;
    let num = |i: &mut usize, max: usize| -> Option<u32> {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) && *i - st < max {
            *i += 1;
        }
        if *i == st {
            return None;
        }
        s.get(st..*i)?.parse().ok()
    };
    let Some(month) = num(&mut i, 2) else {
        return false;
    };
    if b.get(i) != Some(&b'-') {
        return false;
    }
    i += 1;
    let Some(day) = num(&mut i, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let sep = b.get(i).copied().unwrap_or(0);
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    i += 1;
    let (Some(h), true, Some(m), true, Some(sec)) = (
        num(&mut i, 2),
        b.get(i) == Some(&b':') && {
            i += 1;
            true
        },
        num(&mut i, 2),
        b.get(i) == Some(&b':') && {
            i += 1;
            true
        },
        num(&mut i, 2),
    ) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let st = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == st || i - st > 9 {
            return false;
        }
    }
    let rest = b.get(i..).unwrap_or_default();
    if sep == b' ' {
        return rest.is_empty();
    }
    // Z07:00: `Z` or a numeric offset.
    match rest {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: the standard alphabet with `=` padding; `\r` and
/// `\n` are ignored.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.len() / 4;
    for (q, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in chunk.get(..4 - pad)? {
            n = (n << 6) | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(bytes.get(1..4 - pad)?);
    }
    Some(out)
}

enum Frame {
    Seq {
        start: Pos,
        anchor: usize,
        items: Vec<Node>,
        /// Tagged `!!null`: go-yaml reads the whole collection as null.
        null: bool,
    },
    Map {
        start: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// The key waiting for its value, and whether it is a merge key.
        pending_key: Option<(Node, bool)>,
        null: bool,
    },
}

struct Builder<'s> {
    /// The text being parsed, to find where a quoted scalar really ends (see [`quoted_end`]).
    src: &'s str,
    /// (char index, byte offset) of the last position looked up in `src`.
    cursor: (usize, usize),
    line_offset: u32,
    shifts: &'s Shifts,
    anchors: HashMap<usize, Node>,
    stack: Vec<Frame>,
    root: Option<Node>,
    alias_budget: usize,
    /// Set when the current document was abandoned: events are skipped until its end.
    abandoned: bool,
    skip_depth: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Builder<'_> {
    /// The byte offset in `src` of a char index (events arrive in order, so this walks forward
    /// from the last lookup).
    fn byte_of_char(&mut self, idx: usize) -> usize {
        let (mut c, mut b) = self.cursor;
        if idx < c {
            (c, b) = (0, 0);
        }
        for ch in self.src.get(b..).unwrap_or("").chars() {
            if c == idx {
                break;
            }
            c += 1;
            b += ch.len_utf8();
        }
        self.cursor = (c, b);
        b
    }

    /// saphyr ends a quoted scalar's span after the blanks and comment that follow it; this
    /// finds the closing quote instead, so a region never covers a trailing `# comment`.
    fn quoted_end(&mut self, sp: PSpan) -> Option<Pos> {
        let b = self.byte_of_char(sp.start.index());
        let mut chars = self.src.get(b..)?.chars().peekable();
        // Counted in the parsed text, then mapped to the file like every other position.
        let mut line = u32::try_from(sp.start.line())
            .ok()?
            .saturating_add(self.line_offset);
        // The column of the next character.
        let mut col = u32::try_from(sp.start.col()).ok()?.saturating_add(1);
        // The span starts at the node's properties (`!!str`, `&anchor`) when it has some: skip
        // them, and the blanks, line breaks and comments after them.
        while matches!(chars.peek(), Some('!' | '&')) {
            while chars
                .next_if(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
                .is_some()
            {
                col += 1;
            }
            loop {
                match chars.peek() {
                    Some(' ' | '\t') => col += 1,
                    Some('\n') => {
                        line += 1;
                        col = 1;
                    }
                    Some('\r') => {}
                    Some('#') => {
                        while chars.next_if(|c| !matches!(c, '\n' | '\r')).is_some() {}
                        continue;
                    }
                    _ => break,
                }
                chars.next();
            }
        }
        let quote = chars.next()?;
        if quote != '"' && quote != '\'' {
            return None;
        }
        col += 1;
        while let Some(ch) = chars.next() {
            let ch = if quote == '"' && ch == '\\' {
                col += 1;
                chars.next()?
            } else if ch == quote {
                if quote == '\'' && chars.peek() == Some(&'\'') {
                    chars.next();
                    col += 2;
                    continue;
                }
                return Some(self.shifts.map(line, col + 1));
            } else {
                ch
            };
            match ch {
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    line += 1;
                    col = 1;
                }
                _ => col += 1,
            }
        }
        None
    }

    /// Adds a finished node to its parent. `merge_key`: a scalar that merges as a key;
    /// `alias`: the node is an alias's copy.
    fn push_node(&mut self, node: Node, anchor: usize, merge_key: bool, alias: bool) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    if !matches!(node.kind, Kind::Scalar { .. }) {
                        self.diagnostics
                            .push(Diagnostic::NonScalarKey { span: node.span });
                    }
                    *pending_key = Some((node, merge_key && !alias));
                }
                Some((key, merge)) => {
                    // go-yaml merges a mapping, an alias of a mapping, or a sequence of those;
                    // anything else is an error that rejects the document.
                    if merge {
                        let valid = match &node.kind {
                            Kind::Map(_) => true,
                            Kind::Seq(items) => !alias && items.iter().all(Node::is_map),
                            Kind::Scalar { .. } => false,
                        };
                        if !valid {
                            self.diagnostics.push(Diagnostic::Decode {
                                span: node.span,
                                message: "map merge requires map or sequence of maps as the value"
                                    .to_string(),
                            });
                        }
                    }
                    entries.push(Entry {
                        key,
                        value: node,
                        merge,
                    });
                }
            },
        }
    }

    fn abandon(&mut self, diag: Diagnostic) {
        self.diagnostics.push(diag);
        self.abandoned = true;
        self.skip_depth = 0;
        self.stack.clear();
        self.root = None;
    }

    fn event(&mut self, ev: Event<'_>, sp: PSpan) {
        let s = span(sp, self.line_offset, self.shifts);
        if self.abandoned {
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skip_depth += 1,
                Event::SequenceEnd | Event::MappingEnd => {
                    self.skip_depth = self.skip_depth.saturating_sub(1)
                }
                _ => {}
            }
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let resolved = resolve(&text, style, tag.as_deref());
                let mut s = s;
                if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                    if let Some(end) = self.quoted_end(sp) {
                        s.end = end.min(s.end);
                    }
                }
                if let Some(message) = resolved.error {
                    self.diagnostics
                        .push(Diagnostic::Decode { span: s, message });
                }
                let node = Node {
                    span: s,
                    kind: Kind::Scalar {
                        text: resolved.text.unwrap_or_else(|| text.into_owned()),
                        quoted: style != ScalarStyle::Plain,
                        value: resolved.value,
                    },
                };
                self.push_node(node, anchor, resolved.merge_key, false);
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                let null = tag
                    .as_deref()
                    .is_some_and(|t| t.handle == CORE && t.suffix == "null");
                if self.stack.len() >= MAX_DEPTH {
                    self.abandon(Diagnostic::TooDeep { span: s });
                    return;
                }
                let frame = if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq {
                        start: s.start,
                        anchor,
                        items: Vec::new(),
                        null,
                    }
                } else {
                    Frame::Map {
                        start: s.start,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        null,
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (mut node, anchor, null) = match frame {
                    Frame::Seq {
                        start,
                        anchor,
                        items,
                        null,
                    } => {
                        let end = collection_end(s, items.last().map(|n| n.span.end));
                        (
                            Node {
                                span: Span::new(start, end),
                                kind: Kind::Seq(items),
                            },
                            anchor,
                            null,
                        )
                    }
                    Frame::Map {
                        start,
                        anchor,
                        entries,
                        null,
                        ..
                    } => {
                        self.check_duplicates(&entries);
                        let end = collection_end(s, entries.last().map(|e| e.value.span.end));
                        (
                            Node {
                                span: Span::new(start, end),
                                kind: Kind::Map(entries),
                            },
                            anchor,
                            null,
                        )
                    }
                };
                if null {
                    node.kind = Kind::Scalar {
                        text: String::new(),
                        quoted: false,
                        value: Scalar::Null,
                    };
                }
                self.push_node(node, anchor, false, false);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(target) => {
                    let n = target.count();
                    if n > self.alias_budget {
                        self.abandon(Diagnostic::AliasBudget { span: s });
                        return;
                    }
                    self.alias_budget -= n;
                    let node = target.clone();
                    self.push_node(node, 0, false, true);
                }
                None => {
                    self.diagnostics.push(Diagnostic::UnknownAnchor { span: s });
                    let node = Node {
                        span: s,
                        kind: Kind::Scalar {
                            text: String::new(),
                            quoted: false,
                            value: Scalar::Null,
                        },
                    };
                    self.push_node(node, 0, false, true);
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd => {}
        }
    }

    fn check_duplicates(&mut self, entries: &[Entry]) {
        check_duplicates(entries, &mut self.diagnostics);
    }
}

/// Reports every later occurrence of a key of a mapping against the first one.
pub(crate) fn check_duplicates(entries: &[Entry], diagnostics: &mut Vec<Diagnostic>) {
    if entries.len() < 2 {
        return;
    }
    let mut seen: HashMap<&str, Span> = HashMap::with_capacity(entries.len());
    for e in entries {
        // Every `<<` of a mapping applies (see [`Node::get_entry`]): not a duplicate.
        if e.is_merge() {
            continue;
        }
        let Some(k) = e.key.text() else { continue };
        match seen.get(k) {
            Some(first) => diagnostics.push(Diagnostic::DuplicateKey {
                key: k.to_string(),
                first: *first,
                second: e.key.span,
            }),
            None => {
                seen.insert(k, e.key.span);
            }
        }
    }
}

/// Where a collection ends: after the `]` or `}` of a flow collection (its end event has a
/// width; like a quoted scalar's, it runs over the blanks and comment that follow, so only its
/// first character counts), else at the end of its last child (a block collection's end event
/// sits on the next token, possibly lines further down).
fn collection_end(end_event: Span, last_child: Option<Pos>) -> Pos {
    if end_event.start != end_event.end {
        return Pos::new(end_event.start.line, end_event.start.col + 1);
    }
    last_child.unwrap_or(end_event.start)
}

/// Parses a whole YAML (or JSON) stream into documents.
///
/// A syntax error ends the document it is in; parsing resumes at the next `---` line after it,
/// so that one broken document does not hide the rest of the file.
pub fn parse_stream(text: &str) -> Stream {
    let mut shifts = Shifts::default();
    let normalized = normalize_breaks(text).map(|(t, lines)| {
        shifts.lines = Some(lines);
        t
    });
    let text = normalized.as_deref().unwrap_or(text);
    let mut repaired: Option<String> = None;
    for _ in 0..MAX_REPAIRS {
        let current = repaired.as_deref().unwrap_or(text);
        let (stream, errors) = parse_with_shifts(current, &shifts);
        match errors.iter().find_map(|e| repair(current, e)) {
            Some((fixed, added)) => {
                for (line, n) in added {
                    *shifts.added.entry(line).or_default() += n;
                }
                repaired = Some(fixed);
            }
            None => return stream,
        }
    }
    let current = repaired.as_deref().unwrap_or(text);
    parse_with_shifts(current, &shifts).0
}

/// Repairs tried per file before a syntax error is reported as it is.
const MAX_REPAIRS: usize = 64;

/// A syntax error in the coordinates of the text that was parsed.
struct RawError {
    /// 1-based line.
    line: u32,
    /// 0-based column, in code points.
    col: usize,
    message: String,
}

/// go-yaml (and so Kubernetes) does not check indentation inside flow collections and quoted
/// scalars; the YAML 1.2 spec, and so saphyr, does. Real manifests rely on the leniency (helm
/// charts write `args: [` ... `]` with the `]` under the key; long quoted strings wrap at the
/// key's column). Such an error is repaired by indenting the offending line(s), which changes no
/// value (leading white space of continuation lines is folded away), and the positions on the
/// changed lines are shifted back. Returns the repaired text, the line and the columns added.
fn repair(text: &str, e: &RawError) -> Option<(String, Vec<(u32, u32)>)> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match e.message.as_str() {
        "invalid indentation" | "invalid indentation in flow construct" => {
            let idx = usize::try_from(e.line).ok()?.checked_sub(1)?;
            indent_lines(&lines, &[(idx, 1)])
        }
        "invalid indentation in quoted scalar" => {
            // The error points at the opening quote; indent the scalar's continuation lines
            // to one column past it.
            let idx = usize::try_from(e.line).ok()?.checked_sub(1)?;
            let first = lines.get(idx)?;
            let quote_byte = first.char_indices().nth(e.col).map(|(b, _)| b)?;
            let quote = first[quote_byte..].chars().next()?;
            let mut end = idx;
            let mut rest = &first[quote_byte + quote.len_utf8()..];
            loop {
                if closes(rest, quote) {
                    break;
                }
                end += 1;
                rest = lines.get(end)?;
            }
            if end == idx {
                return None;
            }
            let want = e.col + 1;
            let fixes: Vec<(usize, u32)> = (idx + 1..=end)
                .filter_map(|i| {
                    let l = lines.get(i)?;
                    let have = l.len() - l.trim_start_matches(' ').len();
                    (have < want && !l.trim().is_empty())
                        .then(|| Some((i, u32::try_from(want - have).ok()?)))
                        .flatten()
                })
                .collect();
            indent_lines(&lines, &fixes)
        }
        _ => None,
    }
}

/// Whether a quoted scalar's text closes on this line.
fn closes(rest: &str, quote: char) -> bool {
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if quote == '"' && c == '\\' {
            chars.next();
        } else if c == quote {
            if quote == '\'' && chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return true;
            }
        }
    }
    false
}

/// Indents the given lines (0-based index, spaces to add); returns the new text and the shifts
/// by 1-based line.
fn indent_lines(lines: &[&str], fixes: &[(usize, u32)]) -> Option<(String, Vec<(u32, u32)>)> {
    if fixes.is_empty() {
        return None;
    }
    let added: HashMap<usize, u32> = fixes.iter().copied().collect();
    let mut out = String::with_capacity(lines.iter().map(|l| l.len()).sum::<usize>() + 64);
    for (i, l) in lines.iter().enumerate() {
        if let Some(n) = added.get(&i) {
            out.extend(std::iter::repeat_n(' ', *n as usize));
        }
        out.push_str(l);
    }
    let shifts = fixes
        .iter()
        .filter_map(|(i, n)| Some((u32::try_from(i + 1).ok()?, *n)))
        .collect();
    Some((out, shifts))
}

fn parse_with_shifts(text: &str, shifts: &Shifts) -> (Stream, Vec<RawError>) {
    let mut raw_errors = Vec::new();
    let mut stream = Stream::default();
    let budget = ALIAS_BUDGET_BASE + text.len() / 2;
    let mut offset_bytes = 0usize;
    let mut line_offset = 0u32;
    loop {
        let rest = text.get(offset_bytes..).unwrap_or("");
        match parse_part(rest, line_offset, shifts, budget, &mut stream) {
            None => break,
            Some((err, open_doc)) => {
                let err_line = u32::try_from(err.marker().line()).unwrap_or(u32::MAX);
                let pos_ = pos(*err.marker(), line_offset, shifts);
                raw_errors.push(RawError {
                    line: err_line.saturating_add(line_offset),
                    col: err.marker().col(),
                    message: err.info().to_string(),
                });
                // saphyr's own bound on flow nesting: valid YAML, too deep to scan.
                let diagnostic = if err.info() == "recursion limit exceeded" {
                    Diagnostic::TooDeep {
                        span: Span::point(pos_),
                    }
                } else {
                    Diagnostic::Syntax {
                        pos: pos_,
                        message: err.info().to_string(),
                    }
                };
                // Resuming at a `---` line (below) can meet the same error twice.
                if !stream.diagnostics.contains(&diagnostic) {
                    stream.diagnostics.push(diagnostic);
                }
                // The broken document keeps its place in the stream (so the documents after it
                // keep their indexes when it is fixed), unless parsing resumes at or before its
                // first line, which parses it again.
                let (doc_start, doc_line) =
                    open_doc.unwrap_or((pos_, err_line.saturating_add(line_offset)));
                // Resume at the next document marker after the error's line.
                let resume = next_doc_start(rest, err_line);
                let reparsed = resume.is_some_and(|(_, lines)| {
                    line_offset.saturating_add(lines).saturating_add(1) <= doc_line
                });
                if !reparsed {
                    let index = stream.documents.len();
                    stream.documents.push(Document {
                        index,
                        start: doc_start,
                        root: None,
                    });
                }
                match resume {
                    Some((bytes, lines)) => {
                        offset_bytes += bytes;
                        line_offset += lines;
                    }
                    None => break,
                }
            }
        }
    }
    (stream, raw_errors)
}

/// Byte offset and line count of the first line starting with `---` after line `after_line`
/// (1-based) of `text`.
fn next_doc_start(text: &str, after_line: u32) -> Option<(usize, u32)> {
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let lineno = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
        // An error reported on a `---` line belongs to the document before it: resume at that
        // line (unless this run started there, so that parsing always moves on).
        let resume = lineno > after_line || (lineno == after_line && offset > 0);
        if resume && line.starts_with("---") {
            let rest = &line[3..];
            if rest.trim().is_empty() || rest.starts_with([' ', '\t']) {
                return Some((offset, lineno - 1));
            }
        }
        offset += line.len();
    }
    None
}

/// Parses one run of documents; returns the error that stopped it, if any, with the start of
/// the document it broke (file position, and 1-based line in the parsed text) when one was open.
fn parse_part(
    text: &str,
    line_offset: u32,
    shifts: &Shifts,
    budget: usize,
    stream: &mut Stream,
) -> Option<(ScanError, Option<(Pos, u32)>)> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        src: text,
        cursor: (0, 0),
        line_offset,
        shifts,
        anchors: HashMap::new(),
        stack: Vec::new(),
        root: None,
        alias_budget: budget,
        abandoned: false,
        skip_depth: 0,
        diagnostics: Vec::new(),
    };
    let mut doc_start = Pos::START;
    let mut open_doc: Option<(Pos, u32)> = None;
    while let Some(next) = parser.next_event() {
        let (ev, sp) = match next {
            Ok(x) => x,
            Err(e) => {
                stream.diagnostics.append(&mut b.diagnostics);
                return Some((e, open_doc));
            }
        };
        match ev {
            Event::DocumentStart(_) => {
                b.anchors.clear();
                b.abandoned = false;
                b.root = None;
                b.stack.clear();
                doc_start = span(sp, line_offset, shifts).start;
                let raw_line = u32::try_from(sp.start.line())
                    .unwrap_or(u32::MAX)
                    .saturating_add(line_offset);
                open_doc = Some((doc_start, raw_line));
            }
            Event::DocumentEnd => {
                open_doc = None;
                let root = b.root.take();
                let index = stream.documents.len();
                stream.documents.push(Document {
                    index,
                    start: doc_start,
                    root: if b.abandoned { None } else { root },
                });
                stream.diagnostics.append(&mut b.diagnostics);
            }
            Event::StreamEnd => break,
            other => b.event(other, sp),
        }
    }
    stream.diagnostics.append(&mut b.diagnostics);
    None
}

/// Helper for tests and messages: the text of a scalar as a `Cow`.
pub fn scalar_text(node: &Node) -> Cow<'_, str> {
    match &node.kind {
        Kind::Scalar { text, .. } => Cow::Borrowed(text),
        Kind::Seq(_) => Cow::Borrowed("[...]"),
        Kind::Map(_) => Cow::Borrowed("{...}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse_stream(text).documents.remove(0).root.unwrap()
    }

    #[test]
    fn yaml11_scalars() {
        assert_eq!(resolve_plain("yes"), Scalar::Bool(true));
        assert_eq!(resolve_plain("Off"), Scalar::Bool(false));
        assert_eq!(resolve_plain("Y"), Scalar::Bool(true));
        assert_eq!(resolve_plain("0644"), Scalar::Int(420));
        assert_eq!(resolve_plain("0x1F"), Scalar::Int(31));
        assert_eq!(resolve_plain("1_000"), Scalar::Int(1000));
        assert_eq!(resolve_plain("-5"), Scalar::Int(-5));
        assert_eq!(resolve_plain("1.5"), Scalar::Float(1.5));
        assert_eq!(resolve_plain("~"), Scalar::Null);
        assert_eq!(resolve_plain("nginx"), Scalar::Str);
        assert_eq!(resolve_plain("1.2.3"), Scalar::Str);
        assert_eq!(resolve_plain("099"), Scalar::Float(99.0));
        assert_eq!(resolve_plain("99999999999999999999"), Scalar::Float(1e20));
        assert_eq!(resolve_plain(".5"), Scalar::Float(0.5));
        assert_eq!(resolve_plain("._5"), Scalar::Str);
        assert_eq!(resolve_plain("0o17"), Scalar::Int(15));
    }

    #[test]
    fn spans_are_one_based_and_char_counted() {
        let r = root("a: 1\nbé: \"x\"\nc: yes\n");
        let e = r.get_entry("c").unwrap();
        assert_eq!(e.key.span.start, Pos::new(3, 1));
        assert_eq!(e.value.span.start, Pos::new(3, 4));
        assert_eq!(e.value.span.end, Pos::new(3, 7));
        assert_eq!(r.get("c").unwrap().as_bool(), Some(true));
        let e = r.get_entry("bé").unwrap();
        assert_eq!(e.value.span.start, Pos::new(2, 5));
        assert_eq!(e.value.as_str(), Some("x"));
    }

    #[test]
    fn quoted_scalars_and_collections_end_where_they_end() {
        // saphyr's own span of a quoted scalar runs over the blanks and comment after it.
        let text =
            "a: \"x\\\"y\"  # c\nb: 'it''s' # c\nc: {d: \"é\" , e: 1}\nf:\n  - 1\n\n# c\ng: 1\n";
        let r = root(text);
        let span = |l1, c1, l2, c2| Span::new(Pos::new(l1, c1), Pos::new(l2, c2));
        assert_eq!(r.get("a").unwrap().span, span(1, 4, 1, 10));
        assert_eq!(r.get("b").unwrap().span, span(2, 4, 2, 11));
        let c = r.get("c").unwrap();
        assert_eq!(c.span, Span::new(Pos::new(3, 4), Pos::new(3, 19)));
        assert_eq!(c.get("d").unwrap().span.end, Pos::new(3, 11));
        // A block collection ends at its last child, not at the next token.
        assert_eq!(r.get("f").unwrap().span.end, Pos::new(5, 6));
        let r = root("a: [1, {b: 2} ]  # c\n");
        assert_eq!(r.get("a").unwrap().span, span(1, 4, 1, 16));
    }

    #[test]
    fn duplicates_last_wins_and_reported() {
        let s = parse_stream("a: false\nb: 1\na: true\n");
        let r = s.documents[0].root.as_ref().unwrap();
        assert_eq!(r.get("a").unwrap().as_bool(), Some(true));
        assert!(matches!(
            &s.diagnostics[0],
            Diagnostic::DuplicateKey { key, .. } if key == "a"
        ));
    }

    #[test]
    fn merge_keys() {
        let r = root("base: &b\n  x: 1\n  y: 2\nm:\n  <<: *b\n  y: 3\n");
        let m = r.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(m.get("y").unwrap().as_i64(), Some(3));
        assert_eq!(m.effective_entries().len(), 2);
        let r = root("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm: {<<: [*a, *b]}\n");
        let m = r.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(m.get("z").unwrap().as_i64(), Some(3));
    }

    #[test]
    fn merge_keys_apply_in_document_order_like_go_yaml_v2() {
        // A `<<` after an explicit key overrides it.
        let r = root("m:\n  x: false\n  <<: {x: true}\n");
        assert_eq!(r.get("m").unwrap().get("x").unwrap().as_bool(), Some(true));
        // Every `<<` of a mapping applies, and none is a duplicate key.
        let s = parse_stream("m:\n  <<: {x: 1}\n  <<: {y: 2}\n");
        let m = s.documents[0].root.as_ref().unwrap().get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(m.get("y").unwrap().as_i64(), Some(2));
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        // A merge nested in a merge source.
        let r = root("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {z: 0, <<: *b}\n");
        let m = r.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(m.effective_entries().len(), 3);
    }

    #[test]
    fn effective_entries_agree_with_get_entry_and_scale() {
        let r = root(
            "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nm:\n  y: 0\n  <<: [*a, *b]\n  z: 3\n  w: 4\n  w: 5\n",
        );
        let m = r.get("m").unwrap();
        let eff = m.effective_entries();
        let keys: Vec<&str> = eff.iter().map(|e| e.key_str()).collect();
        assert_eq!(keys, ["y", "x", "z", "w"]);
        for e in eff {
            assert!(std::ptr::eq(e, m.get_entry(e.key_str()).unwrap()));
        }
        // Many keys: linear, not one lookup per key (seconds, before, for 50k keys).
        let mut text = String::from("m:\n");
        for i in 0..200_000 {
            text.push_str(&format!("  k{i}: 1\n"));
        }
        let r = root(&text);
        let start = std::time::Instant::now();
        assert_eq!(r.get("m").unwrap().effective_entries().len(), 200_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn multi_document_lines() {
        let s = parse_stream("a: 1\n---\nb: 2\n---\n\nc: 3\n");
        assert_eq!(s.documents.len(), 3);
        let c = s.documents[2]
            .root
            .as_ref()
            .unwrap()
            .get_entry("c")
            .unwrap();
        assert_eq!(c.key.span.start, Pos::new(6, 1));
    }

    #[test]
    fn syntax_error_resumes_at_next_document() {
        let s = parse_stream("a: 1\n---\nb: [1\nc: 2\n---\nd: 4\n");
        assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
        let last = s.documents.last().unwrap().root.as_ref().unwrap();
        let d = last.get_entry("d").unwrap();
        assert_eq!(d.key.span.start, Pos::new(6, 1));
    }

    #[test]
    fn a_syntax_error_on_a_document_marker_line_is_reported_once() {
        let s = parse_stream("apiVersion: v1\nkind: Pod\n--- ]\n--- ]\n");
        let syntax: Vec<Pos> = s
            .diagnostics
            .iter()
            .filter_map(|d| match d {
                Diagnostic::Syntax { pos, .. } => Some(*pos),
                _ => None,
            })
            .collect();
        assert_eq!(syntax, vec![Pos::new(3, 5), Pos::new(4, 5)]);
        // Both broken documents keep their place in the stream.
        assert_eq!(s.documents.len(), 3);
        assert!(s.documents[1].root.is_none() && s.documents[2].root.is_none());
        assert_eq!(s.documents[1].start, Pos::new(3, 1));
        assert_eq!(s.documents[2].start, Pos::new(4, 1));
    }

    #[test]
    fn a_broken_document_keeps_its_index() {
        let s = parse_stream("a: 1\n---\nb: [1\nc: 2\n---\nd: 4\n");
        assert_eq!(s.documents.len(), 3);
        assert!(s.documents[1].root.is_none());
        // At its `---`, like any other document.
        assert_eq!(s.documents[1].start, Pos::new(2, 1));
        let last = &s.documents[2];
        assert_eq!(last.index, 2);
        assert!(last.root.as_ref().unwrap().get("d").is_some());
        // An error in the last document, and one in the first.
        assert_eq!(parse_stream("a: 1\n---\nb: [1\n").documents.len(), 2);
        let s = parse_stream("b: [1\n---\nd: 4\n");
        assert_eq!(s.documents.len(), 2);
        assert_eq!(s.documents[1].index, 1);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let s = parse_stream(&text);
        assert!(s
            .diagnostics
            .iter()
            .any(|d| matches!(d, Diagnostic::AliasBudget { .. })));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let s = parse_stream(&text);
        assert!(s
            .diagnostics
            .iter()
            .any(|d| matches!(d, Diagnostic::TooDeep { .. } | Diagnostic::Syntax { .. })));
    }
}

#[cfg(test)]
mod go_yaml_v2_tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse_stream(text).documents.remove(0).root.unwrap()
    }

    fn decode_errors(s: &Stream) -> Vec<(Pos, String)> {
        s.diagnostics
            .iter()
            .filter_map(|d| match d {
                Diagnostic::Decode { span, message } => Some((span.start, message.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn unicode_line_breaks_end_a_comment() {
        for br in ['\u{2028}', '\u{2029}', '\u{85}'] {
            let text = format!("a: 1\n# note{br}b: true\nc: 2\n");
            let r = root(&text);
            let b = r.get_entry("b").expect("b is content, not comment");
            assert_eq!(b.value.as_bool(), Some(true));
            // On the file's line 2, after `# note` and the separator.
            assert_eq!(b.key.span.start, Pos::new(2, 8), "{br:?}");
            assert_eq!(b.value.span, Span::new(Pos::new(2, 11), Pos::new(2, 15)));
            assert_eq!(r.get_entry("c").unwrap().key.span.start, Pos::new(3, 1));
        }
        // A break inside a value ends a plain scalar too.
        let r = root("a: x\u{2028}b: y\r\nc: z\n");
        assert_eq!(r.get("a").unwrap().as_str(), Some("x"));
        assert_eq!(r.get_entry("b").unwrap().key.span.start, Pos::new(1, 6));
        assert_eq!(r.get_entry("c").unwrap().key.span.start, Pos::new(2, 1));
    }

    #[test]
    fn a_bom_at_the_start_of_a_line_is_skipped() {
        // Skipped, but it takes a column: `b` is indented by 3 here.
        let r = root("a:\n\u{FEFF}  b: true\n");
        let b = r.get("a").unwrap().get_entry("b").unwrap();
        assert_eq!(b.key.span.start, Pos::new(2, 4));
        assert_eq!(b.value.as_bool(), Some(true));
        // So a key after it is not a sibling of the one before (go-yaml: an error too).
        let s = parse_stream("a: 1\n\u{FEFF}b: true\n");
        assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
    }

    #[test]
    fn quoted_scalar_ends_are_mapped_too() {
        let r = root("x: 1 # c\u{2028}a: \"q\" # d\n");
        assert_eq!(
            r.get("a").unwrap().span,
            Span::new(Pos::new(1, 13), Pos::new(1, 16))
        );
    }

    #[test]
    fn explicit_core_tags_resolve_like_go_yaml_v2() {
        let r = root(concat!(
            "a: !!int \"10001\"\n",
            "b: !!bool \"false\"\n",
            "c: !!bool yes\n",
            "d: !!str 10\n",
            "e: !!float \"1\"\n",
            "f: !<tag:yaml.org,2002:int> \"0x10\"\n",
            "g: !!null \"x\"\n",
            "h: \"null\"\n",
            "i: '~'\n",
            "j: !!timestamp \"2001-12-14\"\n",
            "k: !!binary dHJ1ZQ==\n",
            "l: !foo true\n",
            "m: ! 10\n",
            "n: !!null {privileged: true}\n",
            "o: !foo {x: 1}\n",
        ));
        let v = |k: &str| r.get(k).unwrap().scalar().cloned();
        assert_eq!(v("a"), Some(Scalar::Int(10001)));
        assert_eq!(r.get("a").unwrap().describe(), "10001");
        assert_eq!(v("b"), Some(Scalar::Bool(false)));
        assert_eq!(v("c"), Some(Scalar::Bool(true)));
        assert_eq!(v("d"), Some(Scalar::Str));
        assert_eq!(v("e"), Some(Scalar::Float(1.0)));
        assert_eq!(v("f"), Some(Scalar::Int(16)));
        assert_eq!(v("g"), Some(Scalar::Null));
        assert_eq!(v("h"), Some(Scalar::Null));
        assert_eq!(v("i"), Some(Scalar::Null));
        assert_eq!(r.get("j").unwrap().as_str(), Some("2001-12-14"));
        assert_eq!(r.get("k").unwrap().as_str(), Some("true"));
        assert_eq!(r.get("l").unwrap().as_str(), Some("true"));
        assert_eq!(r.get("m").unwrap().as_str(), Some("10"));
        assert!(r.get("n").unwrap().is_null());
        assert!(r.get("o").unwrap().is_map());
    }

    #[test]
    fn a_tagged_value_of_the_wrong_type_rejects_the_document() {
        let s = parse_stream("a: !!int \"abc\"\nb: !!bool 1\nc: !!binary '!!'\nd: !!int 1.5\n");
        let errs = decode_errors(&s);
        assert_eq!(
            errs,
            vec![
                (
                    Pos::new(1, 4),
                    "cannot decode !!str `abc` as a !!int".to_string()
                ),
                (
                    Pos::new(2, 4),
                    "cannot decode !!int `1` as a !!bool".to_string()
                ),
                (
                    Pos::new(3, 4),
                    "!!binary value contains invalid base64 data".to_string()
                ),
                (
                    Pos::new(4, 4),
                    "cannot decode !!float `1.5` as a !!int".to_string()
                ),
            ]
        );
        // The document is still read.
        assert!(s.documents[0].root.is_some());
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2_tags() {
        // `!!merge` merges, quoted or not; `!` is non-specific and merges too.
        for key in [
            "!!merge \"<<\"",
            "!!merge <<",
            "! <<",
            "<<",
            "!<tag:yaml.org,2002:merge> '<<'",
        ] {
            let r = root(&format!("m:\n  {key}: {{privileged: true}}\n"));
            let m = r.get("m").unwrap();
            assert_eq!(
                m.get("privileged").and_then(Node::as_bool),
                Some(true),
                "{key}"
            );
        }
        // A quoted `<<` without a tag, or `!!str <<`, is an ordinary key.
        for key in ["\"<<\"", "'<<'", "!!str <<"] {
            let r = root(&format!("m:\n  {key}: {{privileged: true}}\n"));
            let m = r.get("m").unwrap();
            assert!(m.get("privileged").is_none(), "{key}");
            assert!(m.get("<<").is_some(), "{key}");
        }
    }

    #[test]
    fn merging_a_scalar_rejects_the_document() {
        let s = parse_stream("a: [1]\nm:\n  <<: 1\nn:\n  <<: [{x: 1}, 2]\no:\n  <<: *x\n");
        let errs = decode_errors(&s);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].0, Pos::new(3, 7));
        let s = parse_stream("a: &a [{x: 1}]\nm:\n  <<: *a\n");
        assert_eq!(decode_errors(&s).len(), 1);
        let s = parse_stream("a: &a {x: 1}\nm:\n  <<: [*a, {y: 2}]\n");
        assert!(decode_errors(&s).is_empty());
    }

    #[test]
    fn timestamps_and_base64() {
        assert!(is_timestamp("2001-12-14"));
        assert!(is_timestamp("2001-1-2T3:04:05Z"));
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(is_timestamp("2001-12-14 21:59:43.10"));
        assert!(!is_timestamp("2001-12-14 21:59:43.10 -5"));
        assert!(!is_timestamp("2001-13-14"));
        assert!(!is_timestamp("20011-12-14"));
        assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("aGVs\nbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("aGk"), None);
        assert_eq!(decode_base64("a=Gk"), None);
    }
}

#[cfg(test)]
mod repair_tests {
    use super::*;

    #[test]
    fn flow_sequence_closed_under_its_key_is_accepted() {
        let text = "spec:\n  args: [\n    \"--a\", \"1\",\n  ]\n  image: x\n";
        let s = parse_stream(text);
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let spec = s.documents[0].root.as_ref().unwrap().get("spec").unwrap();
        assert_eq!(spec.get("args").unwrap().as_seq().unwrap().len(), 2);
        assert_eq!(
            spec.get_entry("image").unwrap().key.span.start,
            Pos::new(5, 3)
        );
    }

    #[test]
    fn quoted_scalar_continuation_at_key_column_is_accepted() {
        let text =
            "items:\n  - message: 'first line\n    second line\n    third'\n    reason: ok\n";
        let s = parse_stream(text);
        assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
        let item = &s.documents[0]
            .root
            .as_ref()
            .unwrap()
            .get("items")
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(
            item.get("message").unwrap().as_str(),
            Some("first line second line third")
        );
        assert_eq!(
            item.get_entry("reason").unwrap().key.span.start,
            Pos::new(5, 5)
        );
    }

    #[test]
    fn real_errors_stay_errors() {
        let s = parse_stream("a:\n  clusterIP: {X}.16\n  ports: []\n");
        assert!(matches!(s.diagnostics[0], Diagnostic::Syntax { .. }));
    }
}
