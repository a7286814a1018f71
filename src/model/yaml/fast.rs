//! A fast scanner for the subset of YAML that Kubernetes manifests are written in.
//!
//! saphyr-parser reads any YAML 1.2 stream; most of its time goes into a general scanner (a
//! token queue, simple-key bookkeeping, a new `String` for every scalar). Manifests use a small
//! part of the language: block mappings and sequences, plain and quoted scalars (values may go
//! on over more lines), literal and folded block scalars, comments, `---`/`...`, one-line flow
//! collections.
//! This module reads exactly that, line by line, and produces the events (and the positions)
//! saphyr produces for the same text, which the same tree builder then consumes: values,
//! styles, spans, duplicate keys and every other diagnostic stay those of the saphyr path.
//!
//! It gives up on a document ([`Unsure`]) at the first thing outside the subset or that it is
//! not sure of: anchors, aliases, tags, directives, complex keys, keys over more lines, flow
//! collections over more lines, quoted values whose lines are indented no more than their
//! collection, tabs outside block scalar content and comments, leading lines of blanks in block
//! scalars, flow collections as keys, anything that could be an error. The document is then
//! parsed by saphyr (see `recovery::parse_part_with`). The whole file is left to saphyr when it
//! has a character YAML does not read as printable text, or a `\r` (see [`eligible`]).
//! (`fast_tests::why_the_corpus_goes_to_saphyr` counts, per line of this module that gave up,
//! the documents and bytes of a directory that go to saphyr.)
//!
//! Written from the YAML 1.2 specification and saphyr's observable output (event positions
//! were compared on sample texts; the differential tests in `fast_tests` compare whole trees).

use std::borrow::Cow;
use std::cell::Cell;

use saphyr_parser::{Event, Marker, ScalarStyle, Span as PSpan};

/// The fast path cannot vouch for the current document: saphyr parses it.
#[derive(Debug)]
pub(super) struct Unsure;

type R<T> = Result<T, Unsure>;

/// Gives up (in tests, noting the line of this module that gave up, see [`REASON`]).
#[inline]
#[track_caller]
fn unsure() -> Unsure {
    #[cfg(test)]
    {
        let line = std::panic::Location::caller().line();
        REASON.with(|r| r.set(line));
    }
    Unsure
}

/// Nesting the fast path handles itself (deeper documents go to saphyr, which the tree builder
/// bounds at [`super::MAX_DEPTH`]).
const MAX_NEST: usize = 128;
/// Longest key the fast path reads (YAML limits implicit keys to 1024 characters).
const MAX_KEY: usize = 1000;

#[cfg(test)]
thread_local! {
    /// Tests compare the trees of both paths: set to read everything with saphyr.
    pub(super) static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Documents read by (the fast path, saphyr) on this thread.
    pub(super) static COUNTS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
    /// The line of this module that last gave up on this thread.
    pub(super) static REASON: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Whether the fast path is used (always, but in tests that compare it with saphyr).
pub(super) fn enabled() -> bool {
    #[cfg(test)]
    {
        !DISABLED.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// Counts a document read by the fast path (`true`) or saphyr, in tests.
#[inline]
pub(super) fn count(fast: bool) {
    #[cfg(test)]
    COUNTS.with(|c| {
        let (f, s) = c.get();
        c.set(if fast { (f + 1, s) } else { (f, s + 1) });
    });
    #[cfg(not(test))]
    let _ = fast;
}

/// Whether the fast path may read `text` at all: printable characters, tabs and `\n` line
/// breaks only (no `\r`, no C0 or C1 control, no byte order mark or other character YAML
/// does not read as printable text).
pub(super) fn eligible(text: &str) -> bool {
    let mut ascii = true;
    for b in text.bytes() {
        match b {
            b' '..=b'~' | b'\n' | b'\t' => {}
            0x80.. => ascii = false,
            _ => return false,
        }
    }
    ascii
        || !text.chars().any(|c| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
            )
        })
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// The scanner: a position at the start of a line, and the events of the current document.
pub(super) struct Fast<'a> {
    src: &'a str,
    b: &'a [u8],
    /// Start of the current line.
    ls: usize,
    /// 1-based number of the current line.
    line: usize,
    depth: usize,
    /// The text is ASCII: byte offsets are character indexes.
    ascii: bool,
    /// Character index of the current line start.
    ls_char: usize,
    /// (byte offset, column) of the last column counted on the current line.
    col_cache: Cell<(usize, usize)>,
    /// The text ends with a line break.
    final_break: bool,
    /// The events of the document read by the last [`Fast::document`].
    pub(super) events: Vec<(Event<'a>, PSpan)>,
}

impl<'a> Fast<'a> {
    /// A scanner over an [`eligible`] text.
    pub(super) fn new(src: &'a str) -> Fast<'a> {
        Fast {
            src,
            b: src.as_bytes(),
            ls: 0,
            line: 1,
            depth: 0,
            ascii: src.is_ascii(),
            ls_char: 0,
            col_cache: Cell::new((0, 0)),
            final_break: src.ends_with('\n'),
            events: Vec::new(),
        }
    }

    /// Where the scanner is: a line start (byte offset), its 1-based line number and its
    /// character index.
    pub(super) fn position(&self) -> (usize, usize, usize) {
        (self.ls, self.line, self.ls_char)
    }

    /// Moves to a line start (as returned by [`Fast::position`], or one saphyr stopped at).
    pub(super) fn seek(&mut self, (ls, line, ls_char): (usize, usize, usize)) {
        self.ls = ls;
        self.line = line;
        self.ls_char = ls_char;
        self.col_cache.set((ls, 0));
    }

    /// The byte at `i`, 0 past the end (the text has no NUL).
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn text(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or("")
    }

    /// A marker at byte `i` of the current line.
    fn mark(&self, i: usize) -> Marker {
        if self.ascii {
            return Marker::new(i, self.line, i.saturating_sub(self.ls));
        }
        // Columns count characters: count on from the last column counted on this line.
        let (mut at, mut col) = self.col_cache.get();
        if at < self.ls || at > i {
            (at, col) = (self.ls, 0);
        }
        col += chars(self.b.get(at..i).unwrap_or_default());
        self.col_cache.set((i, col));
        Marker::new(self.ls_char + col, self.line, col)
    }

    fn span(&self, from: usize, to: usize) -> PSpan {
        PSpan::new(self.mark(from), self.mark(to))
    }

    fn push(&mut self, ev: Event<'a>, sp: PSpan) {
        self.events.push((ev, sp));
    }

    fn scalar(&mut self, text: Cow<'a, str>, style: ScalarStyle, sp: PSpan) {
        self.push(Event::Scalar(text, style, 0, None), sp);
    }

    fn at_eof(&self) -> bool {
        self.ls >= self.b.len()
    }

    /// The end of the line holding `i` (the offset of its `\n`).
    fn line_end(&self, i: usize) -> usize {
        self.b
            .get(i..)
            .and_then(|r| r.iter().position(|&c| c == b'\n'))
            .map_or(self.b.len(), |n| i + n)
    }

    /// Moves to the line after the one holding `i`.
    fn next_line_from(&mut self, i: usize) {
        let next = (self.line_end(i) + 1).min(self.b.len());
        self.ls_char += if self.ascii {
            next - self.ls
        } else {
            chars(self.b.get(self.ls..next).unwrap_or_default())
        };
        self.ls = next;
        self.line += 1;
        self.col_cache.set((next, 0));
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.at(i) == b' ' {
            i += 1;
        }
        i
    }

    /// Spaces at the start of the current line.
    fn indent(&self) -> usize {
        self.skip_spaces(self.ls) - self.ls
    }

    /// Skips blank and comment lines; stops at a content line or the end of the text.
    fn skip_to_content(&mut self) -> R<()> {
        while !self.at_eof() {
            let i = self.skip_spaces(self.ls);
            match self.at(i) {
                b'\n' | 0 | b'#' => self.next_line_from(i),
                b'\t' => return Err(unsure()),
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// `---` or `...` starting the current line as a document marker.
    fn marker_line(&self) -> Option<u8> {
        let c = self.at(self.ls);
        if !matches!(c, b'-' | b'.') {
            return None;
        }
        let three = self.at(self.ls + 1) == c && self.at(self.ls + 2) == c;
        (three && matches!(self.at(self.ls + 3), b' ' | b'\n' | b'\t' | 0)).then_some(c)
    }

    fn at_end_or_marker(&self) -> bool {
        self.at_eof() || self.marker_line().is_some()
    }

    /// After a token ending at `i`: blanks and a comment to the end of the line, then the next
    /// line.
    fn finish_line(&mut self, i: usize) -> R<()> {
        let q = self.skip_spaces(i);
        match self.at(q) {
            b'\n' | 0 => {}
            b'#' if q > i => {}
            _ => return Err(unsure()),
        }
        self.next_line_from(q);
        Ok(())
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return Err(unsure());
        }
        Ok(())
    }

    /// A `-` at `i` that starts a block sequence entry.
    fn is_dash(&self, i: usize) -> bool {
        self.at(i) == b'-' && matches!(self.at(i + 1), b' ' | b'\n' | 0)
    }

    /// Reads the next document into [`Fast::events`]; `false` at the end of the text.
    pub(super) fn document(&mut self) -> R<bool> {
        self.events.clear();
        self.depth = 0;
        self.skip_to_content()?;
        if self.at_eof() {
            return Ok(false);
        }
        match self.marker_line() {
            Some(b'-') => {
                let m = self.ls;
                self.push(Event::DocumentStart(true), self.span(m, m + 3));
                self.finish_line(m + 3)?;
                self.skip_to_content()?;
                if self.at_eof() {
                    if !self.final_break {
                        return Err(unsure());
                    }
                    // An empty document at the end of the text.
                    let e = self.span(self.ls, self.ls);
                    self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, e);
                    self.push(Event::DocumentEnd, e);
                    return Ok(true);
                }
                if let Some(c) = self.marker_line() {
                    // An empty document: its null spans the next marker.
                    let m = self.ls;
                    let sp = self.span(m, m + 3);
                    self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, sp);
                    self.push(Event::DocumentEnd, sp);
                    if c == b'.' {
                        self.finish_line(m + 3)?;
                    }
                    return Ok(true);
                }
            }
            Some(_) => return Err(unsure()),
            None => {
                if self.at(self.ls) == b'%' {
                    return Err(unsure());
                }
                let m = self.ls + self.indent();
                self.push(Event::DocumentStart(false), self.span(m, m));
            }
        }
        let ind = self.indent();
        self.block_node(ind)?;
        // What follows the root: the end, or a document marker.
        if self.at_eof() {
            let e = self.span(self.ls, self.ls);
            self.push(Event::DocumentEnd, e);
            return Ok(true);
        }
        let m = self.ls;
        match self.marker_line() {
            Some(b'-') => self.push(Event::DocumentEnd, self.span(m, m + 3)),
            Some(_) => {
                self.push(Event::DocumentEnd, self.span(m, m + 3));
                self.finish_line(m + 3)?;
            }
            None => return Err(unsure()),
        }
        Ok(true)
    }

    /// A block collection whose first entry starts the current line at column `ind`.
    fn block_node(&mut self, ind: usize) -> R<()> {
        self.enter()?;
        if self.is_dash(self.ls + ind) {
            self.block_seq(ind, false)?;
        } else {
            self.block_map(ind)?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// A block mapping whose keys are at column `n`, the first on the current line.
    fn block_map(&mut self, n: usize) -> R<()> {
        let start = self.ls + n;
        self.push(Event::MappingStart(0, None), self.span(start, start));
        loop {
            let colon = self.key(self.ls + n)?;
            self.value(n, colon)?;
            if self.at_end_or_marker() {
                break;
            }
            let ind = self.indent();
            if ind < n {
                break;
            }
            if ind > n || self.is_dash(self.ls + n) {
                return Err(unsure());
            }
        }
        let e = self.span(self.ls, self.ls);
        self.push(Event::MappingEnd, e);
        Ok(())
    }

    /// A block sequence whose `-` are at column `n`, the first on the current line.
    /// `indentless`: the value of a mapping key at the same column.
    fn block_seq(&mut self, n: usize, indentless: bool) -> R<()> {
        let dash = self.ls + n;
        // saphyr places an indentless sequence after the first `-`, its blanks and comment.
        let start = if indentless {
            let q = self.skip_spaces(dash + 1);
            if self.at(q) == b'#' {
                self.line_end(q)
            } else {
                q
            }
        } else {
            dash
        };
        self.push(Event::SequenceStart(0, None), self.span(start, start));
        loop {
            self.item(n, self.ls + n)?;
            if self.at_end_or_marker() {
                break;
            }
            let ind = self.indent();
            if ind < n {
                break;
            }
            if ind > n {
                return Err(unsure());
            }
            if !self.is_dash(self.ls + n) {
                if indentless {
                    break;
                }
                return Err(unsure());
            }
        }
        let e = self.span(self.ls, self.ls);
        self.push(Event::SequenceEnd, e);
        Ok(())
    }

    /// One sequence entry, its `-` at `dash` (column `n`).
    fn item(&mut self, n: usize, dash: usize) -> R<()> {
        let p = self.skip_spaces(dash + 1);
        match self.at(p) {
            b'\n' | 0 | b'#' => {
                // The entry is on the next lines, or empty (a null at the end of this line).
                let q = if self.at(p) == b'#' {
                    self.line_end(p)
                } else {
                    p
                };
                let empty = self.span(q, q);
                self.next_line_from(q);
                self.skip_to_content()?;
                if !self.at_end_or_marker() {
                    let ind = self.indent();
                    if ind > n {
                        return self.node_below(n, ind);
                    }
                }
                self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, empty);
                Ok(())
            }
            b'\t' => Err(unsure()),
            b'-' if matches!(self.at(p + 1), b' ' | b'\n' | 0) => Err(unsure()),
            _ => {
                if self.is_key(p) {
                    self.enter()?;
                    self.block_map(p - self.ls)?;
                    self.depth -= 1;
                    Ok(())
                } else {
                    self.inline_value(n, p)
                }
            }
        }
    }

    /// A node that starts a line of its own at column `ind`, below the key or `-` of a block
    /// collection at column `n`.
    fn node_below(&mut self, n: usize, ind: usize) -> R<()> {
        let p = self.ls + ind;
        if self.is_dash(p) || self.is_key(p) {
            return self.block_node(ind);
        }
        if matches!(self.at(p), b'|' | b'>') {
            return Err(unsure());
        }
        self.inline_value(n, p)
    }

    /// Whether a key (`key:` then a blank or the end of the line) starts at `p`.
    fn is_key(&self, p: usize) -> bool {
        let end = match self.at(p) {
            q @ (b'"' | b'\'') => match self.quoted_close(p, q) {
                Some(e) => e,
                None => return false,
            },
            c if indicator(c) => return false,
            _ => {
                let mut j = p;
                loop {
                    match self.at(j) {
                        b'\n' | 0 => return false,
                        b':' if matches!(self.at(j + 1), b' ' | b'\n' | 0) => return true,
                        b'#' if self.at(j.wrapping_sub(1)) == b' ' => return false,
                        _ => j += 1,
                    }
                }
            }
        };
        let q = self.skip_spaces(end);
        self.at(q) == b':' && matches!(self.at(q + 1), b' ' | b'\n' | 0)
    }

    /// After the quoted scalar opening at `p`: the offset after its closing quote, if it closes
    /// on this line.
    fn quoted_close(&self, p: usize, quote: u8) -> Option<usize> {
        let mut j = p + 1;
        loop {
            match self.at(j) {
                b'\n' | 0 => return None,
                b'\\' if quote == b'"' => j += 2,
                c if c == quote => {
                    if quote == b'\'' && self.at(j + 1) == b'\'' {
                        j += 2;
                    } else {
                        return Some(j + 1);
                    }
                }
                _ => j += 1,
            }
        }
    }

    /// A mapping key at `p`: pushes its scalar, returns the offset of its `:`.
    fn key(&mut self, p: usize) -> R<usize> {
        let (text, style, end) = match self.at(p) {
            b'"' => {
                let (t, e) = self.double_quoted(p)?;
                (t, ScalarStyle::DoubleQuoted, e)
            }
            b'\'' => {
                let (t, e) = self.single_quoted(p)?;
                (t, ScalarStyle::SingleQuoted, e)
            }
            c if indicator(c) => return Err(unsure()),
            _ => {
                let mut j = p;
                loop {
                    match self.at(j) {
                        b':' if matches!(self.at(j + 1), b' ' | b'\n' | 0) => break,
                        b'#' if self.at(j.wrapping_sub(1)) == b' ' => return Err(unsure()),
                        b'\n' | b'\t' | 0 => return Err(unsure()),
                        _ => j += 1,
                    }
                }
                while j > p && self.at(j - 1) == b' ' {
                    j -= 1;
                }
                (Cow::Borrowed(self.text(p, j)), ScalarStyle::Plain, j)
            }
        };
        let q = self.skip_spaces(end);
        // saphyr drops a simple key whose `:` is more than 1024 characters after its start
        // (blanks before the `:` included): measure to the `:` (in bytes, never fewer than
        // characters, so a non-ASCII key gives up no later than saphyr would).
        if q - p > MAX_KEY {
            return Err(unsure());
        }
        if self.at(q) != b':' || !matches!(self.at(q + 1), b' ' | b'\n' | 0) {
            return Err(unsure());
        }
        let sp = self.span(p, end);
        self.scalar(text, style, sp);
        Ok(q)
    }

    /// The value of a key of a mapping at column `n`, after the `:` at `colon`.
    fn value(&mut self, n: usize, colon: usize) -> R<()> {
        let p = self.skip_spaces(colon + 1);
        match self.at(p) {
            b'\n' | 0 | b'#' => {
                // On the next lines, or empty (a null at the `:`).
                let empty = self.span(colon, colon);
                self.next_line_from(p);
                self.skip_to_content()?;
                if !self.at_end_or_marker() {
                    let ind = self.indent();
                    if ind > n {
                        return self.node_below(n, ind);
                    }
                    if ind == n && self.is_dash(self.ls + n) {
                        self.enter()?;
                        self.block_seq(n, true)?;
                        self.depth -= 1;
                        return Ok(());
                    }
                }
                self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, empty);
                Ok(())
            }
            b'\t' => Err(unsure()),
            _ => self.inline_value(n, p),
        }
    }

    /// A scalar or flow collection starting at `p` on the current line, in a block collection
    /// at column `n`. Leaves the scanner at the next content line.
    fn inline_value(&mut self, n: usize, p: usize) -> R<()> {
        match self.at(p) {
            q @ (b'"' | b'\'') => {
                let double = q == b'"';
                let start = self.mark(p);
                let (t, e) = match if double {
                    self.double_quoted(p)
                } else {
                    self.single_quoted(p)
                } {
                    Ok(one_line) => one_line,
                    Err(_) => self.quoted_lines(n, p, double)?,
                };
                let style = if double {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                let end = self.mark(e);
                self.scalar(t, style, PSpan::new(start, end));
                self.finish_line(e)?;
            }
            b'|' | b'>' => self.block_scalar(n, p)?,
            b'[' | b'{' => {
                let e = self.flow(p)?;
                self.finish_line(e)?;
            }
            b'-' | b'.' | b'+' | b'_' | b'/' | b'~' | b'=' | b'(' | b')' | b'<' | b'$' | b'^'
            | b';' | b'\\' => {
                if self.at(p) == b'-' && matches!(self.at(p + 1), b' ' | b'\n' | 0) {
                    return Err(unsure());
                }
                self.plain(n, p)?;
            }
            c if c.is_ascii_alphanumeric() || c >= 0x80 => self.plain(n, p)?,
            _ => return Err(unsure()),
        }
        // A more indented line would continue the scalar (or be an error).
        self.skip_to_content()?;
        if !self.at_end_or_marker() && self.indent() > n {
            return Err(unsure());
        }
        Ok(())
    }

    /// The rest of a plain scalar's line from `p`: the end of its text (trailing blanks left
    /// out), and whether a comment ends it.
    fn plain_line(&self, p: usize) -> R<(usize, bool)> {
        let mut j = p;
        let comment = loop {
            match self.at(j) {
                b'\n' | 0 => break false,
                b'#' if self.at(j.wrapping_sub(1)) == b' ' => break true,
                b':' if matches!(self.at(j + 1), b' ' | b'\n' | 0) => return Err(unsure()),
                b'\t' => return Err(unsure()),
                _ => j += 1,
            }
        };
        while j > p && self.at(j - 1) == b' ' {
            j -= 1;
        }
        Ok((j, comment))
    }

    /// A plain scalar in block context at `p`, in a block collection at column `n`: pushes it
    /// and moves to the line after it. Lines indented more than `n` continue it (YAML's line
    /// folding: a line break between two lines is a space, each empty line in between a line
    /// break; blanks around line breaks are left out); a less indented line, a comment, or a
    /// comment at the end of a line end it.
    fn plain(&mut self, n: usize, p: usize) -> R<()> {
        let (e, comment) = self.plain_line(p)?;
        let start = self.mark(p);
        let mut end = self.mark(e);
        let first = self.text(p, e);
        let mut owned: Option<String> = None;
        let mut at = e;
        if !comment {
            // Empty lines (or lines of spaces) since the last line of text.
            let mut empty = 0usize;
            loop {
                self.next_line_from(at);
                if self.at_eof() {
                    break;
                }
                let sp = self.indent();
                let q = self.ls + sp;
                match self.at(q) {
                    b'\n' => {
                        empty += 1;
                        at = q;
                        continue;
                    }
                    b'\t' | 0 => return Err(unsure()),
                    _ if sp <= n => break,
                    b'#' => break,
                    _ => {}
                }
                let (e, comment) = self.plain_line(q)?;
                let s = owned.get_or_insert_with(|| first.to_string());
                if empty == 0 {
                    s.push(' ');
                } else {
                    push_breaks(s, empty);
                }
                s.push_str(self.text(q, e));
                end = self.mark(e);
                empty = 0;
                at = e;
                if comment {
                    self.next_line_from(at);
                    break;
                }
            }
        } else {
            self.next_line_from(at);
        }
        let text = owned.map_or(Cow::Borrowed(first), Cow::Owned);
        self.scalar(text, ScalarStyle::Plain, PSpan::new(start, end));
        Ok(())
    }

    /// A double- (`double`) or single-quoted scalar at `p` that goes on over more lines, the
    /// value of a block collection at column `n`: its value and the offset after it on the
    /// line it ends on (where it leaves the scanner). YAML's line folding as saphyr applies it:
    /// blanks before and after a line break are left out, a line break is a space, each
    /// empty line in between a line break; in double quotes an escaped line break (`\` at the
    /// end of a line) joins the lines without a space, keeping the blanks before it. Lines
    /// must be indented more than `n` (saphyr also reads less indented ones, or fails on them:
    /// left to it).
    fn quoted_lines(&mut self, n: usize, p: usize, double: bool) -> R<(Cow<'a, str>, usize)> {
        let quote = if double { b'"' } else { b'\'' };
        let mut out = String::new();
        let mut j = p + 1;
        loop {
            let mut from = j;
            // Whether the line ends in an escaped line break.
            let escaped = loop {
                match self.at(j) {
                    b'\'' if !double && self.at(j + 1) == b'\'' => {
                        out.push_str(self.text(from, j + 1));
                        j += 2;
                        from = j;
                    }
                    c if c == quote => {
                        out.push_str(self.text(from, j));
                        return Ok((Cow::Owned(out), j + 1));
                    }
                    b'\\' if double => {
                        out.push_str(self.text(from, j));
                        if self.at(j + 1) == b'\n' {
                            j += 1;
                            break true;
                        }
                        let (c, len) = self.escape(j + 1)?;
                        out.push(c);
                        j += 1 + len;
                        from = j;
                    }
                    b'\n' => {
                        // Blanks before the line break are left out.
                        out.push_str(self.text(from, j).trim_end_matches(' '));
                        break false;
                    }
                    b'\t' | 0 => return Err(unsure()),
                    _ => j += 1,
                }
            };
            // The next line with text; the empty lines before it.
            let mut empty = 0usize;
            loop {
                self.next_line_from(j);
                if self.at_eof() {
                    return Err(unsure());
                }
                let sp = self.indent();
                j = self.ls + sp;
                match self.at(j) {
                    b'\n' => empty += 1,
                    b'\t' | 0 => return Err(unsure()),
                    _ if sp <= n => return Err(unsure()),
                    _ => break,
                }
            }
            if escaped || empty > 0 {
                push_breaks(&mut out, empty);
            } else {
                out.push(' ');
            }
        }
    }

    /// A one-line double-quoted scalar at `p`: its value and the offset after it.
    fn double_quoted(&self, p: usize) -> R<(Cow<'a, str>, usize)> {
        let mut j = p + 1;
        // Most have no escape: the value is a slice of the text.
        loop {
            match self.at(j) {
                b'"' => return Ok((Cow::Borrowed(self.text(p + 1, j)), j + 1)),
                b'\\' => break,
                b'\n' | b'\t' | 0 => return Err(unsure()),
                _ => j += 1,
            }
        }
        let mut out = String::from(self.text(p + 1, j));
        let mut from = j;
        loop {
            match self.at(j) {
                b'"' => {
                    out.push_str(self.text(from, j));
                    return Ok((Cow::Owned(out), j + 1));
                }
                b'\\' => {
                    out.push_str(self.text(from, j));
                    let (c, len) = self.escape(j + 1)?;
                    out.push(c);
                    j += 1 + len;
                    from = j;
                }
                b'\n' | b'\t' | 0 => return Err(unsure()),
                _ => j += 1,
            }
        }
    }

    /// The escape after a `\` at `i`: the character and the bytes it took.
    fn escape(&self, i: usize) -> R<(char, usize)> {
        let c = match self.at(i) {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            x @ (b'x' | b'u' | b'U') => {
                let len = match x {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.text(i + 1, i + 1 + len);
                if hex.len() != len || !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return Err(unsure());
                }
                let v = u32::from_str_radix(hex, 16).map_err(|_| unsure())?;
                let c = char::from_u32(v).ok_or_else(|| unsure())?;
                return Ok((c, 1 + len));
            }
            _ => return Err(unsure()),
        };
        Ok((c, 1))
    }

    /// A one-line single-quoted scalar at `p`: its value and the offset after it.
    fn single_quoted(&self, p: usize) -> R<(Cow<'a, str>, usize)> {
        let mut j = p + 1;
        let mut owned: Option<String> = None;
        let mut from = j;
        loop {
            match self.at(j) {
                b'\'' if self.at(j + 1) == b'\'' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text(from, j + 1));
                    j += 2;
                    from = j;
                }
                b'\'' => {
                    let value = match owned {
                        Some(mut s) => {
                            s.push_str(self.text(from, j));
                            Cow::Owned(s)
                        }
                        None => Cow::Borrowed(self.text(p + 1, j)),
                    };
                    return Ok((value, j + 1));
                }
                b'\n' | b'\t' | 0 => return Err(unsure()),
                _ => j += 1,
            }
        }
    }

    /// A one-line flow sequence or mapping at `p`: pushes its events, returns the
    /// offset after it.
    fn flow(&mut self, p: usize) -> R<usize> {
        let map = self.at(p) == b'{';
        let close = if map { b'}' } else { b']' };
        let (start, end) = if map {
            (Event::MappingStart(0, None), Event::MappingEnd)
        } else {
            (Event::SequenceStart(0, None), Event::SequenceEnd)
        };
        self.push(start, self.span(p, p + 1));
        let mut j = self.skip_spaces(p + 1);
        if self.at(j) != close {
            loop {
                j = if map {
                    self.flow_scalar(j)?
                } else {
                    self.flow_node(j)?
                };
                j = self.skip_spaces(j);
                if map {
                    if self.at(j) != b':' || self.at(j + 1) != b' ' {
                        return Err(unsure());
                    }
                    j = self.skip_spaces(j + 1);
                    j = self.flow_node(j)?;
                    j = self.skip_spaces(j);
                }
                match self.at(j) {
                    b',' => {
                        j = self.skip_spaces(j + 1);
                        if self.at(j) == close {
                            return Err(unsure());
                        }
                    }
                    c if c == close => break,
                    _ => return Err(unsure()),
                }
            }
        }
        self.push(end, self.span(j, j + 1));
        Ok(j + 1)
    }

    /// A value inside a one-line flow collection at `p` (a scalar or a nested collection):
    /// pushes it, returns its end.
    fn flow_node(&mut self, p: usize) -> R<usize> {
        if matches!(self.at(p), b'[' | b'{') {
            self.enter()?;
            let e = self.flow(p)?;
            self.depth -= 1;
            return Ok(e);
        }
        self.flow_scalar(p)
    }

    /// A scalar inside a one-line flow collection at `p`: pushes it, returns its end.
    fn flow_scalar(&mut self, p: usize) -> R<usize> {
        match self.at(p) {
            b'"' => {
                let (t, e) = self.double_quoted(p)?;
                let sp = self.span(p, e);
                self.scalar(t, ScalarStyle::DoubleQuoted, sp);
                return Ok(e);
            }
            b'\'' => {
                let (t, e) = self.single_quoted(p)?;
                let sp = self.span(p, e);
                self.scalar(t, ScalarStyle::SingleQuoted, sp);
                return Ok(e);
            }
            // `-` starts a plain scalar when a character of one follows (`-c`, `-1`).
            b'-' if !matches!(
                self.at(p + 1),
                b' ' | b'\n' | b'\t' | 0 | b',' | b'[' | b']' | b'{' | b'}'
            ) => {}
            c if indicator(c) => return Err(unsure()),
            _ => {}
        }
        // A plain scalar: it ends at a flow indicator, or at a `:` followed by a blank or one
        // (a key's, or an implicit pair's in a sequence, which the caller leaves to saphyr); a
        // `:` followed by anything else is part of it (`http://x`), and so are quotes after the
        // first character.
        let mut j = p;
        loop {
            match self.at(j) {
                b',' | b']' | b'}' => break,
                b':' if matches!(self.at(j + 1), b' ' | b',' | b'[' | b']' | b'{' | b'}') => break,
                b'#' if self.at(j.wrapping_sub(1)) == b' ' => return Err(unsure()),
                b':' if matches!(self.at(j + 1), b'\n' | b'\t' | 0) => return Err(unsure()),
                b'[' | b'{' | b'\n' | b'\t' | 0 => return Err(unsure()),
                _ => j += 1,
            }
        }
        while j > p && self.at(j - 1) == b' ' {
            j -= 1;
        }
        if j == p {
            return Err(unsure());
        }
        let sp = self.span(p, j);
        self.scalar(Cow::Borrowed(self.text(p, j)), ScalarStyle::Plain, sp);
        Ok(j)
    }

    /// A literal (`|`) or folded (`>`) block scalar whose header is at `p`, in a block
    /// collection at column `n`. Leaves the scanner at the line after its content.
    fn block_scalar(&mut self, n: usize, p: usize) -> R<()> {
        let literal = self.at(p) == b'|';
        let mut q = p + 1;
        // The chomping indicator and the indentation indicator, in either order.
        let (mut chomp, mut explicit) = (None, None);
        loop {
            match self.at(q) {
                b'-' if chomp.is_none() => chomp = Some(Chomp::Strip),
                b'+' if chomp.is_none() => chomp = Some(Chomp::Keep),
                d @ b'1'..=b'9' if explicit.is_none() => explicit = Some(usize::from(d - b'0')),
                b'-' | b'+' | b'0'..=b'9' => return Err(unsure()),
                _ => break,
            }
            q += 1;
        }
        let chomp = chomp.unwrap_or(Chomp::Clip);
        let h = self.skip_spaces(q);
        match self.at(h) {
            b'\n' | 0 => {}
            b'#' if h > q => {}
            _ => return Err(unsure()),
        }
        self.next_line_from(h);
        // Empty lines before the content (lines with blanks would take part in setting the
        // indentation: left to saphyr).
        let mut leading = 0;
        while !self.at_eof() && self.at(self.ls) == b'\n' {
            leading += 1;
            self.next_line_from(self.ls);
        }
        if self.at_eof() {
            return Err(unsure());
        }
        // The first line sets the indentation, or the indentation indicator does (relative to
        // the collection's column; the first line must have it, then more spaces are text).
        let first = self.indent();
        if matches!(self.at(self.ls + first), b'\n' | b'\t' | 0) {
            return Err(unsure());
        }
        let ind = match explicit {
            None => first,
            Some(m) if first >= n + m => n + m,
            Some(_) => return Err(unsure()),
        };
        if ind <= n {
            // No content: an empty scalar where the next line starts (at its first column).
            if ind != 0 || matches!(chomp, Chomp::Keep) {
                return Err(unsure());
            }
            let at = self.span(self.ls, self.ls);
            self.scalar(Cow::Borrowed(""), block_style(literal), at);
            return Ok(());
        }
        let start = self.mark(self.ls + ind);
        // The text is at most the lines it is on: one allocation rather than one per doubling.
        let mut out = String::with_capacity(leading + self.block_len(ind));
        push_breaks(&mut out, leading);
        let mut first = true;
        let mut prev_spaced = false;
        // Empty lines since the last content line.
        let mut empty = 0usize;
        let end = loop {
            if self.at_eof() {
                // saphyr ends it differently on a last line without a line break.
                if !self.final_break {
                    return Err(unsure());
                }
                break self.mark(self.ls);
            }
            let sp = self.indent();
            let e = self.line_end(self.ls);
            if self.at(self.ls + sp) == 0 {
                return Err(unsure());
            }
            if self.at(self.ls + sp) == b'\n' {
                if sp > ind {
                    return Err(unsure());
                }
                empty += 1;
                self.next_line_from(e);
                continue;
            }
            if sp < ind {
                break self.mark(self.ls + sp);
            }
            let content = self.text(self.ls + ind, e);
            let spaced = matches!(content.as_bytes().first(), Some(b' ' | b'\t'));
            if !literal && content.starts_with('\t') {
                return Err(unsure());
            }
            if !first {
                if literal || prev_spaced || spaced {
                    push_breaks(&mut out, empty + 1);
                } else if empty == 0 {
                    out.push(' ');
                } else {
                    push_breaks(&mut out, empty);
                }
            }
            out.push_str(content);
            first = false;
            prev_spaced = spaced;
            empty = 0;
            if e >= self.b.len() {
                // The last line, without a line break: the scalar ends on it.
                let end = self.mark(e);
                self.next_line_from(e);
                break end;
            }
            self.next_line_from(e);
        };
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => push_breaks(&mut out, empty + 1),
        }
        self.scalar(
            Cow::Owned(out),
            block_style(literal),
            PSpan::new(start, end),
        );
        Ok(())
    }
}

impl Fast<'_> {
    /// The bytes of the lines from the current one that are indented at least `ind` or hold
    /// only spaces, their first `ind` spaces left out: the most a block scalar's content
    /// starting here can take (plus one).
    fn block_len(&self, ind: usize) -> usize {
        let (mut i, mut len) = (self.ls, 1);
        while i < self.b.len() {
            let sp = self.skip_spaces(i) - i;
            if sp < ind && !matches!(self.at(i + sp), b'\n' | 0) {
                break;
            }
            let next = self.line_end(i) + 1;
            len += next - i - sp.min(ind);
            i = next;
        }
        len
    }
}

fn block_style(literal: bool) -> ScalarStyle {
    if literal {
        ScalarStyle::Literal
    } else {
        ScalarStyle::Folded
    }
}

/// The characters of UTF-8 bytes (every byte but continuation bytes starts one).
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&x| x & 0xC0 != 0x80).count()
}

fn push_breaks(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\n');
    }
}

/// Characters that cannot start a plain scalar (or that the fast path leaves to saphyr there).
fn indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
            | b'\n'
            | b'\t'
            | 0
    )
}
