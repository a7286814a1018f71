//! Inline suppressions: `# clustersec:ignore RULE [RULE...] reason` on the offending line or in
//! the comment lines right above it. Works in plain manifests and in Helm templates, because
//! findings are matched against the file they finally point at (the template, after mapping);
//! in a template the comment may also be a template comment (`{{/* clustersec:ignore ... */}}`),
//! which helm leaves out of the rendered output.

use std::collections::BTreeMap;

use crate::finding::Finding;
use crate::model::LineIndex;

/// The marker that starts a suppression comment.
pub const MARKER: &str = "clustersec:ignore";

/// A parsed suppression: the rules it names and the reason given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub rules: Vec<String>,
    pub reason: String,
}

/// Reads a suppression comment on a line, if there is one.
pub fn parse(line: &str) -> Option<Suppression> {
    let at = line.find(MARKER)?;
    // Only in a comment: a `#` or `{{/*` before the marker.
    let before = &line[..at];
    if !(before.contains('#') || before.contains("/*")) {
        return None;
    }
    let rest = line[at + MARKER.len()..].trim_end_matches(['}', '*', '/', ' ', '-']);
    let mut rules = Vec::new();
    let mut reason = Vec::new();
    for word in rest.split([' ', ',', '\t']).filter(|w| !w.is_empty()) {
        let looks_like_rule = word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            || (reason.is_empty() && crate::rules::metas().iter().any(|m| m.name == word));
        if reason.is_empty() && looks_like_rule {
            rules.push(word.to_string());
        } else {
            reason.push(word);
        }
    }
    Some(Suppression {
        rules,
        reason: reason.join(" "),
    })
}

fn is_comment_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("{{/*") || t.starts_with("{{- /*")
}

/// The suppression that covers `rule` (id or short name) at a 1-based line of `text`.
pub fn find(
    text: &str,
    index: &LineIndex,
    line: u32,
    rule: &str,
    name: &str,
) -> Option<Suppression> {
    let covers = |s: &Suppression| s.rules.iter().any(|r| r == rule || r == name);
    if let Some(s) = index.line(text, line).and_then(parse) {
        if covers(&s) {
            return Some(s);
        }
    }
    let mut l = line.checked_sub(1)?;
    while l >= 1 {
        let t = index.line(text, l)?;
        if !is_comment_line(t) {
            break;
        }
        if let Some(s) = parse(t) {
            if covers(&s) {
                return Some(s);
            }
        }
        l -= 1;
    }
    None
}

/// Splits findings into kept and suppressed, reading each finding's file from `sources`.
pub fn apply(
    findings: Vec<Finding>,
    sources: &BTreeMap<String, String>,
) -> (Vec<Finding>, Vec<Finding>) {
    // Per file, once: its line index when it holds a marker at all, else `None` (so each file's
    // text is searched once, not once per finding).
    let mut indexes: BTreeMap<&str, Option<LineIndex>> = BTreeMap::new();
    let names: BTreeMap<&str, &str> = crate::rules::metas()
        .iter()
        .map(|m| (m.id, m.name))
        .collect();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for mut f in findings {
        let Some((path, text)) = sources.get_key_value(&f.path) else {
            kept.push(f);
            continue;
        };
        let index = indexes
            .entry(path.as_str())
            .or_insert_with(|| text.contains(MARKER).then(|| LineIndex::new(text)));
        let Some(index) = index.as_ref() else {
            kept.push(f);
            continue;
        };
        let name = names.get(f.rule).copied().unwrap_or("");
        match find(text, index, f.span.start.line, f.rule, name) {
            Some(s) => {
                f.suppression = Some(s.reason);
                suppressed.push(f);
            }
            None => kept.push(f),
        }
    }
    (kept, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_reason() {
        let s = parse("    privileged: true # clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK node agent needs it").unwrap();
        assert_eq!(s.rules, vec!["CUSTOM_SECURITY_PRIVILEGED_CHECK"]);
        assert_eq!(s.reason, "node agent needs it");
        let s =
            parse("{{- /* clustersec:ignore privileged, CUSTOM_SECURITY_USER_CHECK legacy */}}")
                .unwrap();
        assert_eq!(s.rules, vec!["privileged", "CUSTOM_SECURITY_USER_CHECK"]);
        assert_eq!(s.reason, "legacy");
        assert!(parse("image: clustersec:ignore").is_none());
    }

    #[test]
    fn line_above_and_same_line() {
        let text = "a: 1\n# clustersec:ignore RULE_A why\n# other comment\nb: 2\nc: 3 # clustersec:ignore RULE_B\n";
        let idx = LineIndex::new(text);
        assert!(find(text, &idx, 4, "RULE_A", "").is_some());
        assert!(find(text, &idx, 4, "RULE_B", "").is_none());
        assert!(find(text, &idx, 5, "RULE_B", "").is_some());
        assert!(find(text, &idx, 1, "RULE_A", "").is_none());
    }
}
