//! Inline suppressions: `# clustersec:ignore RULE [RULE...] reason` on the offending line or in
//! the comment lines right above it. Works in plain manifests and in Helm templates, because
//! findings are matched against the file they finally point at (the template, after mapping);
//! in a template the comment may also be a template comment (`{{/* clustersec:ignore ... */}}`),
//! which helm leaves out of the rendered output.
//!
//! Only real comments count. A `#` starts a YAML comment only at the start of a line or after
//! whitespace, and never inside a scalar: a marker in a block scalar (`|`, `>`), a quoted string
//! (on one line or several), a plain scalar (`image: app#clustersec:ignore`) or a JSON string is
//! data, not a comment, so it suppresses nothing. Scalars are known from the parsed file (every
//! key and value keeps its span); block scalars are also found line by line, which covers
//! templates and documents that do not parse. A `.json` file has no comments at all.

use std::collections::{BTreeMap, HashSet};

use crate::rules::{Registry, RuleId};

use crate::finding::Finding;
use crate::model::yaml::{parse_stream, Kind, Node, Pos, Span};
use crate::model::LineIndex;

pub mod annotations;
pub mod config;
pub mod date;

/// Names joined for a message, at most ten of them (`A, B, ... and 3 more`): what a scanned
/// file writes is quoted, but not without bound.
pub(crate) fn listed<S: AsRef<str>>(names: &[S]) -> String {
    const MAX: usize = 10;
    let shown: Vec<&str> = names.iter().take(MAX).map(AsRef::as_ref).collect();
    let mut out = shown.join(", ");
    if names.len() > MAX {
        out.push_str(&format!(" and {} more", names.len() - MAX));
    }
    out
}

/// The id of the rule a suppression names by id or short name, in any case; `None` for a rule
/// the run does not know.
pub fn rule_id(registry: &Registry, name: &str) -> Option<RuleId> {
    registry.find(name).map(|e| e.meta().id.clone())
}

/// The marker that starts a suppression comment.
pub const MARKER: &str = "clustersec:ignore";

/// A parsed suppression: the rules it names and the reason given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub rules: Vec<String>,
    pub reason: String,
}

/// Where a file's text is data rather than comment: the spans of its scalars (as parsed) and
/// the lines of its block scalars (as found line by line).
#[derive(Debug, Default)]
pub struct Scalars {
    /// No comment anywhere (a JSON file).
    none: bool,
    /// Scalar spans, sorted by start; disjoint (scalars do not nest).
    spans: Vec<Span>,
    /// 1-based lines inside block scalars.
    block_lines: HashSet<u32>,
}

impl Scalars {
    /// The scalars of `text`, read from `path` (a `.json` path has no comments).
    pub fn of(path: &str, text: &str) -> Scalars {
        if path.to_ascii_lowercase().ends_with(".json") {
            return Scalars {
                none: true,
                ..Scalars::default()
            };
        }
        let stream = parse_stream(text);
        let mut spans = Vec::new();
        for doc in &stream.documents {
            if let Some(root) = &doc.root {
                collect_scalars(root, &mut spans);
            }
        }
        spans.sort();
        spans.dedup();
        Scalars {
            none: false,
            spans,
            block_lines: block_scalar_lines(text),
        }
    }

    /// Whether a position is inside a scalar.
    fn in_scalar(&self, p: Pos) -> bool {
        if self.block_lines.contains(&p.line) {
            return true;
        }
        let i = self.spans.partition_point(|s| s.start <= p);
        i.checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .is_some_and(|s| p < s.end)
    }

    /// The byte offset in `line` (1-based `lineno`) where a real comment starts: a `#` at the
    /// start of the line or after whitespace, outside every scalar; or, when `template`, a
    /// `{{/*` or `{{- /*` outside every scalar.
    fn comment_start(&self, lineno: u32, line: &str, template: bool) -> Option<usize> {
        if self.none {
            return None;
        }
        let mut prev: Option<char> = None;
        // The last character before the current run of blanks: a quote after `:`, `-`, `[`,
        // `{`, `,` or at the start of the line opens a quoted scalar. Tracked on the line alone,
        // it covers quoted strings where the parsed spans are missing (documents that do not
        // parse, templates).
        let mut last_solid: Option<char> = None;
        let mut quote: Option<char> = None;
        let mut chars = line.char_indices().peekable();
        let mut col = 0u32;
        while let Some((at, ch)) = chars.next() {
            col += 1;
            if let Some(q) = quote {
                match ch {
                    '\\' if q == '"' => {
                        chars.next();
                        col += 1;
                    }
                    '\'' if q == '\'' && chars.peek().is_some_and(|(_, c)| *c == '\'') => {
                        chars.next();
                        col += 1;
                    }
                    c if c == q => quote = None,
                    _ => {}
                }
                prev = Some(ch);
                last_solid = Some(ch);
                continue;
            }
            let starts = match ch {
                '#' => prev.is_none_or(|p| p == ' ' || p == '\t'),
                '{' if template => {
                    let rest = line.get(at..).unwrap_or("");
                    rest.starts_with("{{/*") || rest.starts_with("{{- /*")
                }
                '"' | '\'' => {
                    if last_solid.is_none_or(|c| matches!(c, ':' | '-' | '[' | '{' | ',')) {
                        quote = Some(ch);
                    }
                    false
                }
                _ => false,
            };
            if starts && !self.in_scalar(Pos::new(lineno, col)) {
                return Some(at);
            }
            prev = Some(ch);
            if ch != ' ' && ch != '\t' {
                last_solid = Some(ch);
            }
        }
        None
    }

    /// The suppression written in a real comment on a line, if there is one.
    fn parse_line(
        &self,
        lineno: u32,
        line: &str,
        template: bool,
        registry: &Registry,
    ) -> Option<Suppression> {
        let start = self.comment_start(lineno, line, template)?;
        parse_in(line.get(start..)?, registry)
    }

    /// Whether a line holds nothing but a real comment.
    fn is_comment_line(&self, lineno: u32, line: &str, template: bool) -> bool {
        let indent = line.len() - line.trim_start().len();
        self.comment_start(lineno, line, template) == Some(indent) && !line.trim().is_empty()
    }
}

/// Pushes the spans of every scalar (keys included) under `node`.
fn collect_scalars(node: &Node, out: &mut Vec<Span>) {
    match &node.kind {
        Kind::Scalar { .. } => out.push(node.span),
        Kind::Seq(items) => items.iter().for_each(|n| collect_scalars(n, out)),
        Kind::Map(entries) => {
            for e in entries {
                collect_scalars(&e.key, out);
                collect_scalars(&e.value, out);
            }
        }
    }
}

/// The indentation of a line in spaces, `None` for a blank line.
fn indent_of(line: &str) -> Option<usize> {
    let t = line.trim_start_matches(' ');
    if t.trim().is_empty() {
        None
    } else {
        Some(line.len() - t.len())
    }
}

/// The column (0-based) of the node that owns a block scalar header ending `line`, if the line
/// ends with one: `key: |`, `- >-`, `key: |2+ # comment`.
fn block_header_owner(line: &str) -> Option<usize> {
    // Drop a trailing comment (a `#` after whitespace).
    let mut body = line;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        if c == '#' && (prev == ' ' || prev == '\t') {
            body = line.get(..i).unwrap_or(line);
            break;
        }
        prev = c;
    }
    let body = body.trim_end();
    let token_start = body.rfind([' ', '\t']).map_or(0, |i| i + 1);
    let token = body.get(token_start..)?;
    let mut chars = token.chars();
    if !matches!(chars.next(), Some('|' | '>')) {
        return None;
    }
    if !chars.all(|c| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    let before = body.get(..token_start)?.trim_end();
    let indent = line.len() - line.trim_start().len();
    if before.ends_with(':') {
        // `key: |` (possibly after `- ` markers): the key's column.
        let mut col = indent;
        let mut rest = line.get(indent..)?;
        while let Some(r) = rest.strip_prefix("- ") {
            let r2 = r.trim_start_matches(' ');
            col += rest.len() - r2.len();
            rest = r2;
        }
        Some(col)
    } else if before.ends_with('-') {
        // `- |`: the dash's column.
        Some(before.len().saturating_sub(1))
    } else if before.is_empty() {
        // A header alone on its line: its own column.
        Some(indent)
    } else {
        None
    }
}

/// The 1-based lines that are the content of block scalars, found without parsing.
fn block_scalar_lines(text: &str) -> HashSet<u32> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = HashSet::new();
    let mut i = 0;
    while i < lines.len() {
        let owner = lines.get(i).and_then(|l| block_header_owner(l));
        i += 1;
        let Some(owner) = owner else { continue };
        let mut content: Option<usize> = None;
        while let Some(line) = lines.get(i) {
            match indent_of(line) {
                None => {}
                Some(n) if n > owner && content.is_none_or(|c| n >= c) => {
                    content.get_or_insert(n);
                }
                Some(_) => break,
            }
            out.insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
            i += 1;
        }
    }
    out
}

/// Reads a suppression comment on a line, if there is one, naming built-in rules.
pub fn parse(line: &str) -> Option<Suppression> {
    parse_in(line, &Registry::builtin())
}

/// Reads a suppression comment on a line, if there is one; short names are `registry`'s.
pub fn parse_in(line: &str, registry: &Registry) -> Option<Suppression> {
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
            || (reason.is_empty() && registry.is_name(word));
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

/// The suppression that covers `rule` (by its id or its short name in `registry`) at a 1-based
/// line of `text`: in a real comment on that line, or in the comment lines right above it.
/// `template` also accepts template comments (`{{/* ... */}}`), for findings mapped into Helm
/// templates.
pub fn find(
    text: &str,
    index: &LineIndex,
    scalars: &Scalars,
    line: u32,
    rule: &str,
    template: bool,
    registry: &Registry,
) -> Option<Suppression> {
    find_at(text, index, scalars, line, rule, template, registry).map(|(_, s)| s)
}

/// [`find`], with the 1-based line of the comment that covers the rule.
pub fn find_at(
    text: &str,
    index: &LineIndex,
    scalars: &Scalars,
    line: u32,
    rule: &str,
    template: bool,
    registry: &Registry,
) -> Option<(u32, Suppression)> {
    let name = registry.name_of(rule);
    let name = if name.is_empty() { rule } else { name };
    let covers = |s: &Suppression| s.rules.iter().any(|r| r == rule || r == name);
    if let Some(s) = index
        .line(text, line)
        .and_then(|t| scalars.parse_line(line, t, template, registry))
    {
        if covers(&s) {
            return Some((line, s));
        }
    }
    let mut l = line.checked_sub(1)?;
    while l >= 1 {
        let t = index.line(text, l)?;
        if !scalars.is_comment_line(l, t, template) {
            break;
        }
        if let Some(s) = scalars.parse_line(l, t, template, registry) {
            if covers(&s) {
                return Some((l, s));
            }
        }
        l -= 1;
    }
    None
}

/// The comments that silenced a finding: (path, 1-based line of the comment, rule id).
pub type Used = std::collections::BTreeSet<(String, u32, RuleId)>;

/// The files [`apply_tracked`] parsed for comments, by path: their line index and scalars, for
/// [`stale_comments`] to reuse.
pub type Parsed = BTreeMap<String, (LineIndex, Scalars)>;

/// Splits findings into kept and suppressed, reading each finding's file from `sources`; the
/// rules are the built-ins.
pub fn apply(
    findings: Vec<Finding>,
    sources: &BTreeMap<String, String>,
) -> (Vec<Finding>, Vec<Finding>) {
    apply_with(findings, sources, &Registry::builtin())
}

/// [`apply`] with the run's rules (ignore comments may name any rule of `registry`).
pub fn apply_with(
    findings: Vec<Finding>,
    sources: &BTreeMap<String, String>,
    registry: &Registry,
) -> (Vec<Finding>, Vec<Finding>) {
    let (kept, suppressed, _, _) = apply_tracked(findings, sources, registry);
    (kept, suppressed)
}

/// [`apply_with`], also returning which comments silenced which rules (for stale
/// suppressions) and the files it parsed.
pub fn apply_tracked(
    findings: Vec<Finding>,
    sources: &BTreeMap<String, String>,
    registry: &Registry,
) -> (Vec<Finding>, Vec<Finding>, Used, Parsed) {
    // Per file, once: its line index and scalar spans when it holds a marker at all, else
    // `None` (so each file's text is searched and parsed once, not once per finding).
    let mut files: BTreeMap<&str, Option<(LineIndex, Scalars)>> = BTreeMap::new();

    let mut used = Used::new();
    // Suppressed findings are taken out in place: the findings are not moved into a second list
    // (a run may hold hundreds of thousands).
    let mut kept = findings;
    // The last file met that has no comment to look at (no text or no marker): the findings of
    // a file follow one another, and most files have none, so they cost no lookup.
    let mut unmarked: Option<crate::finding::FilePath> = None;
    let suppressed: Vec<Finding> = crate::finding::take_where(&mut kept, |f| {
        if unmarked.as_ref() == Some(&f.path) {
            return false;
        }
        let Some((path, text)) = sources.get_key_value(f.path.as_str()) else {
            unmarked = Some(f.path.clone());
            return false;
        };
        let entry = files.entry(path.as_str()).or_insert_with(|| {
            text.contains(MARKER)
                .then(|| (LineIndex::new(text), Scalars::of(path, text)))
        });
        let Some((index, scalars)) = entry.as_ref() else {
            unmarked = Some(f.path.clone());
            return false;
        };
        // A finding mapped from rendered output, or one found in a template that no render
        // took, points into a template, where template comments are comments too.
        let template =
            f.mapping.is_some() || f.rule == crate::rules::unrendered_branch::UnrenderedBranch::ID;
        match find_at(
            text,
            index,
            scalars,
            f.span.start.line,
            &f.rule,
            template,
            registry,
        ) {
            Some((line, s)) => {
                used.insert((path.clone(), line, f.rule.clone()));
                f.suppression = Some(s.reason);
                f.suppressed_by = Some(crate::finding::SuppressedBy::Comment);
                true
            }
            None => false,
        }
    });
    let parsed = files
        .into_iter()
        .filter_map(|(path, parsed)| Some((path.to_string(), parsed?)))
        .collect();
    (kept, suppressed, used, parsed)
}

/// The `CLUSTERSEC_STALE_SUPPRESSION` findings of the `clustersec:ignore` comments of one file
/// that silenced nothing: one per comment naming a rule that `ran` and that no finding used
/// (see [`apply_tracked`]). `template` reads template comments too (a Helm template); `parsed`
/// is the file's line index and scalars when [`apply_tracked`] has them.
pub fn stale_comments(
    path: &str,
    text: &str,
    template: bool,
    used: &Used,
    parsed: Option<&(LineIndex, Scalars)>,
    registry: &Registry,
    ran: impl Fn(&str) -> bool,
) -> Vec<Finding> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let owned;
    let (index, scalars) = match parsed {
        Some((i, s)) => (i, s),
        None => {
            owned = (LineIndex::new(text), Scalars::of(path, text));
            (&owned.0, &owned.1)
        }
    };
    let mut out = Vec::new();
    for i in 1..=index.len() {
        let lineno = u32::try_from(i).unwrap_or(u32::MAX);
        let Some(line) = index.line(text, lineno) else {
            continue;
        };
        if !line.contains(MARKER) {
            continue;
        }
        let Some(start) = scalars.comment_start(lineno, line, template) else {
            continue;
        };
        let Some(s) = line.get(start..).and_then(|l| parse_in(l, registry)) else {
            continue;
        };
        let is_used = |id: &RuleId| used.contains(&(path.to_string(), lineno, id.clone()));
        // A PSS control's finding at the place of an original rule's is reported under the
        // original rule only: a comment naming both, whose original rule it silenced, is not
        // stale for the PSS id.
        let original_used = s
            .rules
            .iter()
            .filter_map(|r| rule_id(registry, r))
            .any(|id| !id.starts_with("PSS_") && is_used(&id));
        let unused: Vec<&str> = s
            .rules
            .iter()
            .filter_map(|r| rule_id(registry, r).map(|id| (r, id)))
            .filter(|(_, id)| ran(id) && !is_used(id))
            .filter(|(_, id)| !(original_used && id.starts_with("PSS_")))
            .map(|(r, _)| r.as_str())
            .collect();
        if unused.is_empty() {
            continue;
        }
        // Columns count characters; the comment runs to the end of the line.
        let col = |byte: usize| {
            u32::try_from(line.get(..byte).map_or(0, |p| p.chars().count()))
                .unwrap_or(u32::MAX)
                .saturating_add(1)
        };
        let end = line.trim_end().len();
        let span = Span {
            start: Pos::new(lineno, col(start)),
            end: Pos::new(lineno, col(end)),
        };
        let mut f = Finding::new(
            crate::rules::stale_suppression::StaleSuppression::ID,
            span,
            format!(
                "stale suppression: this `clustersec:ignore` comment suppresses no finding of {}; \
                 remove it or correct it",
                listed(&unused)
            ),
        );
        f.path = path.into();
        out.push(f);
    }
    out
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

    fn found(text: &str, path: &str, line: u32, rule: &str, template: bool) -> bool {
        let idx = LineIndex::new(text);
        let scalars = Scalars::of(path, text);
        find(
            text,
            &idx,
            &scalars,
            line,
            rule,
            template,
            &Registry::builtin(),
        )
        .is_some()
    }

    #[test]
    fn line_above_and_same_line() {
        let text = "a: 1\n# clustersec:ignore RULE_A why\n# other comment\nb: 2\nc: 3 # clustersec:ignore RULE_B\n";
        assert!(found(text, "x.yaml", 4, "RULE_A", false));
        assert!(!found(text, "x.yaml", 4, "RULE_B", false));
        assert!(found(text, "x.yaml", 5, "RULE_B", false));
        assert!(!found(text, "x.yaml", 1, "RULE_A", false));
    }

    #[test]
    fn markers_inside_scalars_are_data() {
        // Literal block scalar: the marker lines are content, and so is the line right above.
        let text = "a: |\n  # clustersec:ignore RULE_A inside\nb: 1\n";
        assert!(!found(text, "x.yaml", 3, "RULE_A", false));
        // Folded, with the key on a sequence item.
        let text =
            "- k: >-\n    x # clustersec:ignore RULE_A\n    # clustersec:ignore RULE_A\n  b: 1\n";
        assert!(!found(text, "x.yaml", 4, "RULE_A", false));
        assert!(!found(text, "x.yaml", 2, "RULE_A", false));
        // Quoted, on one line and across lines.
        let text = "a: \"x # clustersec:ignore RULE_A\"\n";
        assert!(!found(text, "x.yaml", 1, "RULE_A", false));
        let text = "a: \"x\n  # clustersec:ignore RULE_A\n  \"\nb: 1\n";
        assert!(!found(text, "x.yaml", 4, "RULE_A", false));
        let text = "a: 'x\n  # clustersec:ignore RULE_A\n  '\nb: 1\n";
        assert!(!found(text, "x.yaml", 4, "RULE_A", false));
        // A plain scalar: `#` not after whitespace is part of it.
        let text = "a: x#clustersec:ignore RULE_A\n";
        assert!(!found(text, "x.yaml", 1, "RULE_A", false));
        // JSON has no comments.
        let text = "{\"a\": \"# clustersec:ignore RULE_A\", \"b\": 1}\n";
        assert!(!found(text, "x.json", 1, "RULE_A", false));
        assert!(!found(text, "x.yaml", 1, "RULE_A", false));
        // Quoted strings in a document that does not parse: found on the line itself.
        let text = "a: [\n- x: \"y # clustersec:ignore RULE_A z\"\n";
        assert!(!found(text, "x.yaml", 2, "RULE_A", false));
        let text = "a: [\n- x: 'it''s # clustersec:ignore RULE_A z'\n";
        assert!(!found(text, "x.yaml", 2, "RULE_A", false));
        let text = "a: [\n- x: \"y\" # clustersec:ignore RULE_A z\n";
        assert!(found(text, "x.yaml", 2, "RULE_A", false));
        let text = "a: [\n- x: it's # clustersec:ignore RULE_A z\n";
        assert!(found(text, "x.yaml", 2, "RULE_A", false));
        // A comment after a block scalar, less indented than its content, is a comment.
        let text = "a: |\n    text\n  # clustersec:ignore RULE_A after\nb: 1\n";
        assert!(found(text, "x.yaml", 4, "RULE_A", false));
    }

    #[test]
    fn template_comments_only_in_templates() {
        let text = "spec:\n  {{- /* clustersec:ignore RULE_A agent */}}\n  privileged: true\n";
        assert!(found(text, "t.yaml", 3, "RULE_A", true));
        assert!(!found(text, "t.yaml", 3, "RULE_A", false));
        // Inside a block scalar it is not taken for a comment (the conservative reading).
        let text = "a: |\n  {{/* clustersec:ignore RULE_A x */}}\nb: 1\n";
        assert!(!found(text, "t.yaml", 3, "RULE_A", true));
    }
}
