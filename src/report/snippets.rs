//! What the reports read of a scanned file's text, and how little of it a run keeps.
//!
//! Reports read a file's text for the lines of its findings (the text format's snippet, the
//! SARIF region's end-of-line and end-of-file adjustments) and, in files that hold a
//! `clustersec:ignore` comment, for the suppressions. A run over a large repository where most
//! files have findings would otherwise hold the text of nearly every file until the reports are
//! written. [`sparse`] keeps the lines the findings need and replaces every other line by its
//! bare line break: line numbers, the line count and the kept lines are exactly the file's, so
//! every report reads what it would read in the whole text.

use crate::finding::Finding;
use crate::model::Span;

/// The lines of a span that a report may read: its first line and the one before it (SARIF
/// moves a position on the empty last line to the end of the line before), and the line before
/// its last (SARIF ends a span at column 1 of a later line after that line's last character).
fn span_lines(span: Span, out: &mut Vec<u32>) {
    let start = span.start.line;
    out.push(start);
    out.push(start.saturating_sub(1));
    out.push(span.end.line.saturating_sub(1));
}

/// Appends the lines of its own file that the reports read for `f` (see [`span_lines`]): those
/// of its span and of its related locations in the same file. Unsorted, may repeat, may hold 0.
pub fn finding_lines(f: &Finding, out: &mut Vec<u32>) {
    span_lines(f.span, out);
    for r in f.related.iter().filter(|r| r.path.is_none()) {
        span_lines(r.span, out);
    }
}

/// The lines of the file `path` that the reports read for `findings` (those whose path is
/// `path`), sorted, without repeats.
pub fn lines_for(path: &str, findings: &[Finding]) -> Vec<u32> {
    let mut lines = Vec::new();
    for f in findings.iter().filter(|f| f.path == path) {
        finding_lines(f, &mut lines);
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Whether every line the reports read for `f` is among `kept` (sorted).
pub fn has_lines(f: &Finding, kept: &[u32]) -> bool {
    let has = |span: Span| {
        [
            span.start.line,
            span.start.line.saturating_sub(1),
            span.end.line.saturating_sub(1),
        ]
        .iter()
        .all(|l| *l == 0 || kept.binary_search(l).is_ok())
    };
    has(f.span)
        && f.related
            .iter()
            .filter(|r| r.path.is_none())
            .all(|r| has(r.span))
}

/// `text` with only the 1-based lines of `keep` (sorted) left as they are: every other line is
/// reduced to its line break (`\n`, `\r\n` or a lone `\r`, the breaks [`crate::model::LineIndex`]
/// counts; a space before a `\n` that would otherwise follow a lone `\r`), so that line numbers
/// and the number of lines do not change. What a reduced line holds is never read.
pub fn sparse(text: &str, keep: &[u32]) -> String {
    if crate::model::lines::has_cr(text.as_bytes()) {
        sparse_bytes(text, keep)
    } else {
        sparse_lf(text, keep)
    }
}

/// [`sparse`] of any text, byte by byte (`\r\n` and lone `\r` breaks too).
fn sparse_bytes(text: &str, keep: &[u32]) -> String {
    let mut out = String::with_capacity(keep.len() * 64);
    let mut line: u32 = 1;
    let mut rest = text;
    while !rest.is_empty() {
        // The line's content and its break, as LineIndex splits lines.
        let bytes = rest.as_bytes();
        let mut end = bytes.len();
        let mut brk = bytes.len();
        let mut i = 0;
        while let Some(b) = bytes.get(i) {
            match b {
                b'\n' => {
                    brk = i;
                    end = i + 1;
                    break;
                }
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                    brk = i;
                    end = i + 1;
                    break;
                }
                b'\r' => {
                    brk = i;
                    end = i + 2;
                    break;
                }
                _ => i += 1,
            }
        }
        let whole = rest.get(..end).unwrap_or(rest);
        if keep.binary_search(&line).is_ok() {
            out.push_str(whole);
        } else {
            let newline = rest.get(brk..end).unwrap_or("");
            // A line that ended in a lone `\r` is never followed by a `\n` in the file; a
            // blanked line must not make that pair (one break instead of two).
            if newline.starts_with('\n') && out.ends_with('\r') {
                out.push(' ');
            }
            out.push_str(newline);
        }
        rest = rest.get(end..).unwrap_or("");
        line = line.saturating_add(1);
    }
    out.shrink_to_fit();
    out
}

/// [`sparse`] of a text whose only line break is `\n` (most files): the lines between two kept
/// ones are skipped by counting their line breaks a block of bytes at a time, and written as
/// that many line breaks.
fn sparse_lf(text: &str, keep: &[u32]) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(keep.len() * 64);
    // The 1-based line that starts at byte `pos`.
    let mut pos = 0usize;
    let mut line: u32 = 1;
    for &k in keep {
        if k < line {
            continue;
        }
        let wanted = k - line;
        let (after, found) = skip_lines(bytes, pos, wanted);
        push_newlines(&mut out, found);
        pos = after;
        line = line.saturating_add(found);
        if found < wanted || pos >= bytes.len() {
            break;
        }
        // Line `k`, whole.
        let end = bytes
            .get(pos..)
            .and_then(|rest| rest.iter().position(|b| *b == b'\n'))
            .map_or(bytes.len(), |i| pos + i + 1);
        out.push_str(text.get(pos..end).unwrap_or(""));
        pos = end;
        line = line.saturating_add(1);
    }
    let rest = bytes.get(pos..).unwrap_or_default();
    let (_, found) = skip_lines(rest, 0, u32::MAX);
    push_newlines(&mut out, found);
    out.shrink_to_fit();
    out
}

/// From byte `pos` of `bytes`, past `n` line breaks (or as many as there are): the byte after
/// the last one passed, and how many were passed.
fn skip_lines(bytes: &[u8], mut pos: usize, n: u32) -> (usize, u32) {
    const BLOCK: usize = 64;
    let mut left = n;
    while left > 0 {
        let Some(rest) = bytes.get(pos..) else { break };
        match rest.get(..BLOCK) {
            Some(block) => {
                // Summed in bytes (at most 64): the compiler adds whole vectors at once.
                let count = u32::from(block.iter().map(|b| u8::from(*b == b'\n')).sum::<u8>());
                if count < left {
                    left -= count;
                    pos += BLOCK;
                    continue;
                }
                for (i, b) in block.iter().enumerate() {
                    if *b == b'\n' {
                        left -= 1;
                        if left == 0 {
                            return (pos + i + 1, n);
                        }
                    }
                }
            }
            None => {
                for (i, b) in rest.iter().enumerate() {
                    if *b == b'\n' {
                        left -= 1;
                        if left == 0 {
                            return (pos + i + 1, n);
                        }
                    }
                }
                return (bytes.len(), n - left);
            }
        }
    }
    (pos.min(bytes.len()), n - left)
}

/// Appends `n` line breaks.
fn push_newlines(out: &mut String, n: u32) {
    const BREAKS: &str = "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";
    let mut n = n as usize;
    while n > 0 {
        let k = n.min(BREAKS.len());
        out.push_str(BREAKS.get(..k).unwrap_or(""));
        n -= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LineIndex, Pos};

    #[test]
    fn a_sparse_text_has_the_same_lines_where_it_keeps_them() {
        let text = "a: 1\r\nb: 2\rc: 3\n\nd: é\ne: 5";
        let keep = [2, 4, 6];
        let s = sparse(text, &keep);
        let (full, part) = (LineIndex::new(text), LineIndex::new(&s));
        assert_eq!(full.len(), part.len());
        for line in 1..=7 {
            if keep.contains(&line) {
                assert_eq!(part.line(&s, line), full.line(text, line), "line {line}");
            } else {
                assert_eq!(
                    part.line(&s, line).is_some(),
                    full.line(text, line).is_some()
                );
            }
        }
        assert_eq!(s, "\r\nb: 2\r \n\n\ne: 5");
        // A text ending in a line break keeps its empty last line.
        let s = sparse("x\ny\n", &[2]);
        assert_eq!(s, "\ny\n");
        assert_eq!(LineIndex::new(&s).len(), 3);
        assert_eq!(sparse("", &[1]), "");
    }

    /// The fast path of texts without `\r` gives what the byte-by-byte path gives.
    #[test]
    fn texts_with_only_newlines_are_made_sparse_as_byte_by_byte() {
        let texts = [
            "",
            "\n",
            "\n\n\n",
            "a",
            "a\n",
            "a\nb",
            "a: 1\nb: é\n\nc: 3\n  d: 4",
            "x\n\ny\n\n",
        ];
        let keeps: [&[u32]; 7] = [&[], &[0], &[1], &[2], &[1, 3], &[0, 2, 3, 4, 9], &[5, 6, 7]];
        // Long texts: lines longer and shorter than a block, kept lines near block edges.
        let mut long = Vec::new();
        let mut t = String::new();
        for i in 0..300 {
            t.push_str(&"x".repeat((i * 37) % 150));
            t.push('\n');
        }
        long.push(t.clone());
        t.push_str("last");
        long.push(t);
        let long_keeps: [&[u32]; 4] = [
            &[1, 2, 3, 64, 65, 299, 300, 301, 302],
            &[150],
            &[0, 400],
            &[],
        ];
        for text in &long {
            for keep in long_keeps {
                assert_eq!(sparse_lf(text, keep), sparse_bytes(text, keep), "{keep:?}");
            }
            for k in 0..305 {
                let keep = [k, k + 1, k + 63];
                assert_eq!(
                    sparse_lf(text, &keep),
                    sparse_bytes(text, &keep),
                    "{keep:?}"
                );
            }
        }
        for text in texts {
            for keep in keeps {
                assert_eq!(
                    sparse_lf(text, keep),
                    sparse_bytes(text, keep),
                    "{text:?} {keep:?}"
                );
                assert_eq!(sparse(text, keep), sparse_bytes(text, keep));
            }
        }
    }

    #[test]
    fn the_lines_of_findings_cover_their_spans_and_related_places() {
        let mut f = Finding::new("R", Span::new(Pos::new(5, 3), Pos::new(9, 1)), "m");
        f.path = "a.yaml".into();
        let mut g = f.clone().related(Span::point(Pos::new(12, 1)), "here");
        g.span = Span::point(Pos::new(1, 1));
        g.related.push(crate::finding::Related {
            path: Some("other.yaml".into()),
            span: Span::point(Pos::new(40, 1)),
            message: "elsewhere".into(),
        });
        let mut h = f.clone();
        h.path = "b.yaml".into();
        h.span = Span::point(Pos::new(30, 1));
        let lines = lines_for("a.yaml", &[f.clone(), g.clone(), h.clone()]);
        assert_eq!(lines, [0, 1, 4, 5, 8, 11, 12]);
        assert!(has_lines(&f, &lines) && has_lines(&g, &lines));
        assert!(!has_lines(&h, &lines));
    }
}
