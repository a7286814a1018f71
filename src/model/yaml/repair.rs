//! Indentation repair: the leniency of go-yaml that saphyr lacks.

#[allow(unused_imports)]
use super::*;

/// Repairs tried per file before a syntax error is reported as it is.
pub(super) const MAX_REPAIRS: usize = 64;

/// A syntax error in the coordinates of the text that was parsed.
pub(super) struct RawError {
    /// 1-based line.
    pub(super) line: u32,
    /// 0-based column, in code points.
    pub(super) col: usize,
    pub(super) message: String,
}

/// go-yaml (and so Kubernetes) does not check indentation inside flow collections and quoted
/// scalars; the YAML 1.2 spec, and so saphyr, does. Real manifests rely on the leniency (helm
/// charts write `args: [` ... `]` with the `]` under the key; long quoted strings wrap at the
/// key's column). Such an error is repaired by indenting the offending line(s), which changes no
/// value (leading white space of continuation lines is folded away), and the positions on the
/// changed lines are shifted back. Returns the repaired text, the line and the columns added.
pub(super) fn repair(text: &str, e: &RawError) -> Option<(String, Vec<(u32, u32)>)> {
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
pub(super) fn closes(rest: &str, quote: char) -> bool {
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
pub(super) fn indent_lines(
    lines: &[&str],
    fixes: &[(usize, u32)],
) -> Option<(String, Vec<(u32, u32)>)> {
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
