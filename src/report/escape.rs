//! Text sanitising and escaping, in one place: every report format (and every message written
//! to a terminal) takes text that comes from a scanned file through one of these.
//!
//! - [`clean`]: terminal text, control characters made harmless;
//! - [`escape_data`], [`escape_property`]: GitHub workflow commands;
//! - [`escape_text`], [`code_span`]: GitHub- and GitLab-flavoured markdown.

/// Text from a manifest or a path with control characters made harmless: nothing read from a
/// scanned file can move the cursor or change the terminal's colours, or start a line of its own
/// (which a CI runner could read as a workflow command).
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.chars()
            .map(|c| match c {
                '\t' => ' ',
                c if c.is_control() => '�',
                c => c,
            })
            .collect::<String>()
            .into()
    } else {
        s.into()
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

fn is_hidden_control(c: char) -> bool {
    matches!(c,
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{061C}' | '\u{FEFF}')
}

/// One character of untrusted text, for both escapers: line breaks and tabs become spaces (a
/// line break could start a heading, a list or a fence), other controls `\u{FFFD}`.
fn markdown_char(c: char) -> char {
    match c {
        '\r' | '\n' | '\t' => ' ',
        c if c.is_control() || is_hidden_control(c) => '\u{FFFD}',
        c => c,
    }
}

/// Untrusted text, rendered literally in GitHub- and GitLab-flavoured markdown.
///
/// Every ASCII punctuation character is backslash-escaped (CommonMark lets any of them be), so
/// no emphasis, link, image, HTML tag or entity, table cell or heading can
/// start. Some things are recognised in the text after the escapes are gone (GitHub
/// links `@user`, `#123` and `GH-123` after rendering; GFM finds URLs, `www.` and e-mail addresses
/// in text), so a zero-width joiner also goes after every `@`, `#` and the `-` of `GH-`, between
/// `:` and `//`, and before the `.` of `www.`: the text reads the same and matches none of those
/// patterns. (Commit SHAs are still linked, to this repository's own commits.)
pub fn escape_text(s: &str) -> String {
    const ZWJ: char = '\u{200D}';
    let chars: Vec<char> = s.chars().map(markdown_char).collect();
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for (i, &c) in chars.iter().enumerate() {
        let before = |n: usize| i.checked_sub(n).and_then(|start| chars.get(start..i));
        if c == '.' && before(3).is_some_and(|w| w.iter().all(|w| w.eq_ignore_ascii_case(&'w'))) {
            out.push(ZWJ);
        }
        if c.is_ascii_punctuation() {
            out.push('\\');
            out.push(c);
            let slashes = chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
            let gh = c == '-'
                && matches!(before(2), Some([g, h])
                    if g.eq_ignore_ascii_case(&'g') && h.eq_ignore_ascii_case(&'h'));
            if c == '@' || c == '#' || gh || (c == ':' && slashes) {
                out.push(ZWJ);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Untrusted text as an inline code span: nothing inside a code span is markup, a mention or a
/// reference. The fence is one backtick longer than the longest run of backticks in the text,
/// and padded with a space when the text starts or ends with a backtick or a space. Inside a
/// table cell, `|` must still be escaped by the caller.
pub fn code_span(s: &str) -> String {
    let text: String = s.chars().map(markdown_char).collect();
    if text.is_empty() {
        return "*(empty)*".to_string();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with(['`', ' ']) || text.ends_with(['`', ' ']);
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{text}{space}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_outlast_backticks() {
        assert_eq!(code_span("web"), "`web`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("``x"), "``` ``x ```");
        assert_eq!(code_span(" a "), "`  a  `");
        assert_eq!(code_span("a\nb"), "`a b`");
        assert_eq!(code_span(""), "*(empty)*");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a*b_c"), "a\\*b\\_c");
        assert_eq!(escape_text("@admin"), "\\@\u{200D}admin");
        assert_eq!(escape_text("#12"), "\\#\u{200D}12");
        assert_eq!(escape_text("x\ny"), "x y");
        assert_eq!(escape_text("\u{202E}evil"), "\u{FFFD}evil");
        assert_eq!(escape_text("日本"), "日本");
        assert_eq!(escape_text("http://e"), "http\\:\u{200D}\\/\\/e");
        assert_eq!(escape_text("WWW.e"), "WWW\u{200D}\\.e");
        assert_eq!(escape_text("gh-1"), "gh\\-\u{200D}1");
    }
}
