//! Markdown of the rule pages rendered for a terminal (`clustersec explain` on a TTY): headings
//! styled, code blocks indented and never wrapped, paragraphs and list items wrapped to the
//! width, inline markup (`**`, backticks, links) reduced to text.

use anstyle::{AnsiColor, Effects, Style};

/// Renders `markdown` for a terminal `width` columns wide; `color` adds ANSI styles.
pub fn render(markdown: &str, width: usize, color: bool) -> String {
    let width = width.clamp(40, 120);
    let style = |s: Style| if color { s } else { Style::new() };
    let h1 = style(Style::new().effects(Effects::BOLD | Effects::UNDERLINE));
    let h2 = style(AnsiColor::Cyan.on_default().effects(Effects::BOLD));
    let code = style(AnsiColor::Green.on_default());
    let mut out = String::new();
    let mut para: Vec<String> = Vec::new();
    let mut in_code = false;
    let flush = |para: &mut Vec<String>, out: &mut String| {
        if para.is_empty() {
            return;
        }
        let text = para.join(" ");
        para.clear();
        let (first, rest, body) = match text.strip_prefix("- ") {
            Some(b) => ("  - ", "    ", b.to_string()),
            None => ("", "", text),
        };
        for (i, line) in wrap(&inline(&body), width - first.len()).iter().enumerate() {
            out.push_str(if i == 0 { first } else { rest });
            out.push_str(line);
            out.push('\n');
        }
    };
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            flush(&mut para, &mut out);
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {code}{line}{code:#}\n"));
            continue;
        }
        if let Some(h) = line.strip_prefix("# ") {
            flush(&mut para, &mut out);
            out.push_str(&format!("{h1}{}{h1:#}\n", inline(h)));
        } else if let Some(h) = line.strip_prefix("## ") {
            flush(&mut para, &mut out);
            if !out.is_empty() && !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&format!("{h2}{}{h2:#}\n", inline(h)));
        } else if line.trim().is_empty() {
            flush(&mut para, &mut out);
            if !out.ends_with("\n\n") && !out.is_empty() {
                out.push('\n');
            }
        } else if line.starts_with('|') {
            // Tables are kept as they are.
            flush(&mut para, &mut out);
            out.push_str(&inline(line));
            out.push('\n');
        } else {
            if line.starts_with("- ") {
                flush(&mut para, &mut out);
            }
            para.push(line.trim().to_string());
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Inline markup reduced to text: `**bold**` and backticks dropped, `[text](url)` as
/// `text (url)`.
fn inline(s: &str) -> String {
    let s = s.replace("**", "").replace('`', "");
    let mut out = String::new();
    let mut rest = s.as_str();
    while let Some(open) = rest.find('[') {
        let (before, after) = rest.split_at(open);
        let link = after.find("](").and_then(|mid| {
            let close = after.get(mid..)?.find(')')? + mid;
            Some((after.get(1..mid)?, after.get(mid + 2..close)?, close))
        });
        out.push_str(before);
        match link {
            Some((text, url, close)) => {
                out.push_str(&format!("{text} ({url})"));
                rest = after.get(close + 1..).unwrap_or("");
            }
            None => {
                out.push('[');
                rest = after.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// Words wrapped to lines of at most `width` characters (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_code_and_wrapping() {
        let md = "# RULE (name)\n\nSome **bold** text with `code` and a [link](https://x.y/z) that goes on and on past the width of the terminal for sure.\n\n## Fix\n```yaml\nprivileged: false   # a long line that is never wrapped because it is code\n```\n- a list item that is long enough to be wrapped onto a second line here\n";
        let out = render(md, 40, false);
        assert_eq!(
            out,
            "RULE (name)\n\nSome bold text with code and a link\n(https://x.y/z) that goes on and on past\nthe width of the terminal for sure.\n\nFix\n    privileged: false   # a long line that is never wrapped because it is code\n  - a list item that is long enough to\n    be wrapped onto a second line here\n"
        );
        assert!(render(md, 40, true).contains("\u{1b}["));
    }

    #[test]
    fn odd_markup_does_not_panic() {
        for md in ["[", "[x](", "](", "```", "- ", "# ", "[a]b)", "é[ü](", "|"] {
            let _ = render(md, 0, true);
        }
    }
}
