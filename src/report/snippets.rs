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
    if text.contains('\r') {
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

/// [`sparse`] of a text whose only line break is `\n` (most files): lines found with the
/// standard library's vectorised byte search rather than byte by byte, and `keep` walked in
/// step with them.
fn sparse_lf(text: &str, keep: &[u32]) -> String {
    let mut out = String::with_capacity(keep.len() * 64);
    let mut keep = keep.iter().copied().peekable();
    for (i, whole) in text.split_inclusive('\n').enumerate() {
        let line = u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1));
        while keep.next_if(|k| *k < line).is_some() {}
        if keep.next_if_eq(&line).is_some() {
            out.push_str(whole);
        } else if whole.ends_with('\n') {
            out.push('\n');
        }
    }
    out.shrink_to_fit();
    out
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
