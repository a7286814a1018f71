//! A template file read as an outline of `key:` lines by indentation.

use std::collections::HashMap;
use std::path::PathBuf;

/// One line of a template that holds a literal `key:`.
#[derive(Debug, Clone)]
pub(super) struct KeyLine {
    /// 0-based line index in the file.
    pub(super) line: usize,
    /// 0-based column of the key, in code points.
    pub(super) col: usize,
    /// Column of the key, used as its nesting level.
    pub(super) indent: usize,
    pub(super) key: String,
    /// The literal value after the colon, if any (for `name: web`).
    pub(super) value: String,
    /// Path of keys from the outline's root to this key (inclusive).
    pub(super) path: Vec<String>,
    /// For each list level on the path, the line where its `- ` item starts.
    pub(super) items: Vec<usize>,
    /// End column (0-based, exclusive) of the line's content.
    pub(super) end_col: usize,
}

/// An `include "NAME"` / `template "NAME"` directive inside a template, with its indentation.
#[derive(Debug, Clone)]
pub(super) struct Include {
    pub(super) line: usize,
    pub(super) indent: usize,
    pub(super) name: String,
}

/// A template file read as an outline of keys.
#[derive(Debug, Default)]
pub struct Outline {
    pub(super) keys: Vec<KeyLine>,
    pub(super) includes: Vec<Include>,
    /// `define "NAME"` blocks: (first line, last line), 0-based, exclusive of the directives.
    pub(super) defines: HashMap<String, (usize, usize)>,
    /// The 0-based lines of the `---` document markers.
    pub(super) doc_markers: Vec<usize>,
    pub(super) lines: Vec<String>,
    /// The file the outline was read from.
    pub path: Option<PathBuf>,
}

pub(super) fn directive_names(line: &str, verbs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        let inner = rest.trim_start_matches(['-', ' ']);
        for verb in verbs {
            if let Some(after) = inner.strip_prefix(verb) {
                let after = after.trim_start_matches(['(', ' ']);
                if let Some(q) = after.strip_prefix('"') {
                    if let Some(end) = q.find('"') {
                        out.push(q[..end].to_string());
                    }
                }
            }
        }
    }
    out
}

/// Whether a template directive line opens or closes a block: +1, -1 or 0.
pub(super) fn block_delta(line: &str) -> i32 {
    let mut d = 0;
    let mut rest = line;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        let inner = rest.trim_start_matches(['-', ' ']);
        let word: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        match word.as_str() {
            "if" | "range" | "with" | "define" | "block" => d += 1,
            "end" => d -= 1,
            _ => {}
        }
    }
    d
}

impl Outline {
    pub fn parse(text: &str) -> Outline {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut outline = Outline::default();
        // Defines.
        let mut open: Option<(String, usize, i32)> = None;
        let mut depth = 0i32;
        for (i, line) in lines.iter().enumerate() {
            let names = directive_names(line, &["define"]);
            let delta = block_delta(line);
            if let Some(name) = names.into_iter().next() {
                if open.is_none() {
                    open = Some((name, i + 1, depth));
                }
            }
            depth += delta;
            if let Some((name, start, d)) = &open {
                if depth <= *d && i + 1 > *start {
                    outline.defines.insert(name.clone(), (*start, i));
                    open = None;
                }
            }
        }
        // Keys and includes, by indentation.
        let mut stack: Vec<(usize, String, Vec<usize>)> = Vec::new();
        let mut item_stack: Vec<(usize, usize)> = Vec::new(); // (indent of "- ", line)
        for (i, raw) in lines.iter().enumerate() {
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed.starts_with("{{") {
                for name in directive_names(raw, &["include", "template"]) {
                    // Where the output lands: `| nindent N` / `| indent N` says it, whatever
                    // the column the action is written at.
                    let indent = crate::valuetrace::piped_indent(trimmed)
                        .unwrap_or(raw.len() - trimmed.len());
                    outline.includes.push(Include {
                        line: i,
                        indent,
                        name,
                    });
                }
                continue;
            }
            if trimmed.trim_end() == "---" {
                outline.doc_markers.push(i);
                stack.clear();
                item_stack.clear();
                continue;
            }
            // Leading `- ` markers.
            let mut col = raw.chars().count() - trimmed.chars().count();
            let mut rest = trimmed;
            let mut new_items = Vec::new();
            while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
                new_items.push(col);
                let skipped = rest.chars().count() - r.trim_start().chars().count();
                col += skipped;
                rest = r.trim_start();
            }
            if rest == "-" {
                continue;
            }
            // A literal key: a plain or quoted word followed by `:` and a space or the end.
            let Some((key, value)) = split_key(rest) else {
                // An include inline with text, e.g. `labels: {{ include ... }}` handled below.
                continue;
            };
            while item_stack
                .last()
                .is_some_and(|(ind, _)| *ind >= col && !new_items.is_empty())
                || item_stack.last().is_some_and(|(ind, _)| *ind > col)
            {
                item_stack.pop();
            }
            for it in &new_items {
                while item_stack.last().is_some_and(|(ind, _)| ind >= it) {
                    item_stack.pop();
                }
                item_stack.push((*it, i));
            }
            while stack.last().is_some_and(|(ind, _, _)| *ind >= col) {
                stack.pop();
            }
            let mut path: Vec<String> = stack.iter().map(|(_, k, _)| k.clone()).collect();
            path.push(key.to_string());
            let items: Vec<usize> = item_stack.iter().map(|(_, l)| *l).collect();
            stack.push((col, key.to_string(), items.clone()));
            for name in directive_names(value, &["include", "template"]) {
                outline.includes.push(Include {
                    line: i,
                    indent: col + 1,
                    name,
                });
            }
            outline.keys.push(KeyLine {
                line: i,
                col,
                indent: col,
                key: key.to_string(),
                value: value.trim().to_string(),
                path,
                items,
                end_col: raw.trim_end().chars().count(),
            });
        }
        outline.lines = lines;
        outline
    }

    /// The document (0-based, counted by `---` markers) that holds a 0-based line.
    pub(super) fn doc_of(&self, line: usize) -> usize {
        self.doc_markers.iter().filter(|m| **m < line).count()
    }

    /// The outline restricted to the template document that rendered the `ordinal`-th document
    /// (0-based) of this template in the output, an object of `kind`. Documents without keys
    /// render to nothing (helm drops them) and are not counted. When the ordinal document's
    /// literal `kind:` is another kind (a document left out by a condition), the only document
    /// of that kind is taken; `None` when the template has one document or no choice is sure.
    pub(super) fn document(&self, ordinal: usize, kind: &str) -> Option<Outline> {
        let mut docs: Vec<usize> = self.keys.iter().map(|k| self.doc_of(k.line)).collect();
        docs.dedup();
        if docs.len() <= 1 {
            return None;
        }
        let may_be = |d: usize| {
            self.keys
                .iter()
                .filter(|k| self.doc_of(k.line) == d && k.path.len() == 1 && k.key == "kind")
                .all(|k| k.value.contains("{{") || k.value.trim_matches(['"', '\'']) == kind)
        };
        let doc = match docs.get(ordinal) {
            Some(d) if may_be(*d) => *d,
            _ => {
                let mut kinds = docs.iter().copied().filter(|d| may_be(*d));
                match (kinds.next(), kinds.next()) {
                    (Some(d), None) => d,
                    _ => return None,
                }
            }
        };
        Some(Outline {
            keys: self
                .keys
                .iter()
                .filter(|k| self.doc_of(k.line) == doc)
                .cloned()
                .collect(),
            includes: self
                .includes
                .iter()
                .filter(|i| self.doc_of(i.line) == doc)
                .cloned()
                .collect(),
            defines: self.defines.clone(),
            doc_markers: self.doc_markers.clone(),
            lines: self.lines.clone(),
            path: self.path.clone(),
        })
    }

    /// The outline with `name:` values that are `{{ .Chart.Name }}` (with literal text around
    /// it, e.g. `{{ .Chart.Name }}-metrics`) written out with the chart's name; `None` when
    /// there is none (or the name is unknown).
    pub(super) fn with_chart_name(
        &self,
        chart_name: impl Fn() -> Option<String>,
    ) -> Option<Outline> {
        const FORMS: [&str; 4] = [
            "{{ .Chart.Name }}",
            "{{- .Chart.Name }}",
            "{{ $.Chart.Name }}",
            "{{ .Chart.Name -}}",
        ];
        if !self
            .keys
            .iter()
            .any(|k| k.key == "name" && k.value.contains(".Chart.Name"))
        {
            return None;
        }
        let name = chart_name()?;
        let mut o = Outline {
            keys: self.keys.clone(),
            includes: self.includes.clone(),
            defines: self.defines.clone(),
            doc_markers: self.doc_markers.clone(),
            lines: self.lines.clone(),
            path: self.path.clone(),
        };
        for k in o.keys.iter_mut().filter(|k| k.key == "name") {
            let mut v = k.value.clone();
            for form in FORMS {
                v = v.replace(form, &name);
            }
            if !v.contains("{{") {
                k.value = v;
            }
        }
        Some(o)
    }

    /// The key lines of a define block, re-rooted so paths start inside the block.
    pub(super) fn define_outline(&self, name: &str) -> Option<Outline> {
        let (start, end) = *self.defines.get(name)?;
        let text: String = self
            .lines
            .get(start..end)?
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        let mut o = Outline::parse(&text);
        o.path.clone_from(&self.path);
        for k in &mut o.keys {
            k.line += start;
            for it in &mut k.items {
                *it += start;
            }
        }
        for inc in &mut o.includes {
            inc.line += start;
        }
        Some(o)
    }
}

pub(super) fn split_key(s: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], q.get(end + 1..)?)
    } else if let Some(q) = s.strip_prefix('\'') {
        let end = q.find('\'')?;
        (&q[..end], q.get(end + 1..)?)
    } else {
        let end = s.find(':')?;
        let key = &s[..end];
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$'))
        {
            return None;
        }
        (key, &s[end..])
    };
    let after = rest.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, after))
}
