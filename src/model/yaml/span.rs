//! Positions and spans, and how positions in the parsed text map back to the file.

use std::collections::HashMap;

use saphyr_parser::Span as PSpan;
use serde::Serialize;

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

/// How positions in the text that saphyr parses map back to the file.
#[derive(Default)]
pub(super) struct Shifts {
    /// Columns added to lines of the text by [`repair`], by 1-based line: positions on those
    /// lines are mapped back to the text before the repair.
    pub(super) added: HashMap<u32, u32>,
    /// Set when [`normalize_breaks`] changed the text: by 0-based line of the parsed text, the
    /// file's 1-based line and the columns that precede the parsed line on it.
    pub(super) lines: Option<Vec<(u32, u32)>>,
}

impl Shifts {
    /// Maps a 1-based (line, column) of the parsed text to the file.
    pub(super) fn map(&self, line: u32, col: u32) -> Pos {
        if self.lines.is_none() && self.added.is_empty() {
            return Pos::new(line, col);
        }
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

pub(super) fn pos(m: saphyr_parser::Marker, line_offset: u32, shifts: &Shifts) -> Pos {
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
pub(super) fn normalize_breaks(text: &str) -> Option<(String, Vec<(u32, u32)>)> {
    if text.is_ascii() {
        return None;
    }
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

pub(super) fn span(s: PSpan, line_offset: u32, shifts: &Shifts) -> Span {
    Span::new(
        pos(s.start, line_offset, shifts),
        pos(s.end, line_offset, shifts),
    )
}
