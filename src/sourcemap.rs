//! Mapping findings in rendered output back to the file the user edits.
//!
//! `helm template` writes `# Source: CHART/templates/FILE.yaml` before each document. When that
//! template is in the scanned tree (the chart directory is found by its Chart.yaml), a finding
//! moves to the template file, on the line of the offending key, or of the nearest ancestor
//! key that the template has literally (the `securityContext:` line above a
//! `{{ toYaml .Values.securityContext }}`). The rendered location stays on the finding as a
//! related location. Templates are not YAML, so they are read as an outline of `key:` lines by
//! indentation, skipping template directives; `include "NAME"` under a key continues into the
//! `define "NAME"` block of the chart's templates. Kustomize output maps the same way through
//! the `config.kubernetes.io/origin` annotation. Every mapped finding says which mapping it used.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::discover::{display_path, Dir};
use crate::engine::{Engine, FileReport};
use crate::finding::{Finding, Related};
use crate::model::{Pos, Span};
use crate::render::{Render, Tool};

/// One line of a template that holds a literal `key:`.
#[derive(Debug, Clone)]
struct KeyLine {
    /// 0-based line index in the file.
    line: usize,
    /// 0-based column of the key, in code points.
    col: usize,
    /// Column of the key, used as its nesting level.
    indent: usize,
    key: String,
    /// The literal value after the colon, if any (for `name: web`).
    value: String,
    /// Path of keys from the outline's root to this key (inclusive).
    path: Vec<String>,
    /// For each list level on the path, the line where its `- ` item starts.
    items: Vec<usize>,
    /// End column (0-based, exclusive) of the line's content.
    end_col: usize,
}

/// An `include "NAME"` / `template "NAME"` directive inside a template, with its indentation.
#[derive(Debug, Clone)]
struct Include {
    line: usize,
    indent: usize,
    name: String,
}

/// A template file read as an outline of keys.
#[derive(Debug, Default)]
pub struct Outline {
    keys: Vec<KeyLine>,
    includes: Vec<Include>,
    /// `define "NAME"` blocks: (first line, last line), 0-based, exclusive of the directives.
    defines: HashMap<String, (usize, usize)>,
    /// The 0-based lines of the `---` document markers.
    doc_markers: Vec<usize>,
    lines: Vec<String>,
    /// The file the outline was read from.
    pub path: Option<PathBuf>,
}

fn directive_names(line: &str, verbs: &[&str]) -> Vec<String> {
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
fn block_delta(line: &str) -> i32 {
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
                    let indent = pipe_indent(trimmed).unwrap_or(raw.len() - trimmed.len());
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
    fn doc_of(&self, line: usize) -> usize {
        self.doc_markers.iter().filter(|m| **m < line).count()
    }

    /// The outline restricted to the template document that rendered the `ordinal`-th document
    /// (0-based) of this template in the output, an object of `kind`. Documents without keys
    /// render to nothing (helm drops them) and are not counted. When the ordinal document's
    /// literal `kind:` is another kind (a document left out by a condition), the only document
    /// of that kind is taken; `None` when the template has one document or no choice is sure.
    fn document(&self, ordinal: usize, kind: &str) -> Option<Outline> {
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
    fn with_chart_name(&self, chart_name: impl Fn() -> Option<String>) -> Option<Outline> {
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
    fn define_outline(&self, name: &str) -> Option<Outline> {
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

/// The `N` of a `| nindent N` or `| indent N` in a template action.
fn pipe_indent(action: &str) -> Option<usize> {
    let at = action.rfind("indent ")?;
    action
        .get(at + "indent ".len()..)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn split_key(s: &str) -> Option<(&str, &str)> {
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

/// What the user's finding should point at in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateHit {
    /// The file of the hit when it is not the template itself (a define in `_helpers.tpl`).
    pub file: Option<PathBuf>,
    pub span: Span,
    /// How many keys of the wanted path the hit covers (all of them = the key itself).
    pub matched: usize,
    pub wanted: usize,
}

/// The keys of a field path, without list indices: `a.b[2].c` → `[a, b, c]`.
pub fn path_keys(field: &str) -> Vec<String> {
    field
        .split('.')
        .map(|seg| seg.split('[').next().unwrap_or(seg).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Finds the line of a field path in a template: the key itself, or the deepest ancestor key
/// that the template has literally. `container` disambiguates between containers by their
/// literal `name:`, else by position.
pub fn locate(
    outline: &Outline,
    keys: &[String],
    container: Option<(&str, usize)>,
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    let list_depth = keys
        .iter()
        .position(|k| CONTAINER_LISTS.contains(&k.as_str()));
    // A key inside the item of another container (its literal `name:` differs) is never a
    // candidate, however deep it matches: it would hide the keys of this container's item.
    let other_container = |k: &KeyLine| match (list_depth, container) {
        (Some(ld), Some((name, _))) if k.path.len() > ld + 1 => {
            item_name(outline, k, keys, ld).is_some_and(|n| n != name)
        }
        _ => false,
    };
    let mut best: Vec<&KeyLine> = Vec::new();
    let mut best_len = 0;
    for k in &outline.keys {
        if k.path.len() > keys.len() || k.path[..] != keys[..k.path.len()] || other_container(k) {
            continue;
        }
        match k.path.len().cmp(&best_len) {
            std::cmp::Ordering::Greater => {
                best_len = k.path.len();
                best = vec![k];
            }
            std::cmp::Ordering::Equal => best.push(k),
            std::cmp::Ordering::Less => {}
        }
    }
    let mut pick = best.first().copied();
    if let (Some(ld), Some((name, index))) = (list_depth, container) {
        if best_len > ld + 1 {
            // The candidates sit inside container items: keep those that can be this container.
            let named: Vec<(&KeyLine, Option<&str>)> = best
                .iter()
                .map(|k| (*k, item_name(outline, k, keys, ld)))
                .collect();
            let exact: Vec<&KeyLine> = named
                .iter()
                .filter(|(_, n)| *n == Some(name))
                .map(|(k, _)| *k)
                .collect();
            let templated: Vec<&KeyLine> = named
                .iter()
                .filter(|(_, n)| n.is_none())
                .map(|(k, _)| *k)
                .collect();
            if let Some(k) = exact.first() {
                pick = Some(k);
            } else if let Some((k, len)) = literal_item(outline, keys, ld, name) {
                pick = Some(k);
                best_len = len;
            } else if let Some(hit) =
                include_with_container(outline, keys, ld, name, container, defines, depth)
            {
                return Some(hit);
            } else if let Some(k) = by_position(outline, keys, ld, index, &templated) {
                // Every item of the list is always rendered, in order: the index's item.
                pick = Some(k);
            } else if templated.len() == 1 {
                // The one item whose name is an expression (a container that comes from a
                // values list instead is moved there by the caller).
                pick = templated.first().copied();
            } else {
                // Every literal container here is another one, or several items have
                // expression names and some are conditional (which one rendered this container
                // is not known): the list key, never another container.
                best_len = ld + 1;
                pick = outline.keys.iter().find(|k| k.path[..] == keys[..=ld]);
            }
        } else if let Some((k, len)) = literal_item(outline, keys, ld, name) {
            // The container's own item lacks the field: point at its first line.
            pick = Some(k);
            best_len = len;
        } else if let Some(hit) =
            include_with_container(outline, keys, ld, name, container, defines, depth)
        {
            return Some(hit);
        }
    }
    // Continue into an `include` that sits under the picked key (or at the top).
    if best_len < keys.len() && depth < 4 {
        if let Some(hit) = include_under(outline, pick, keys, best_len, container, defines, depth) {
            return Some(hit);
        }
    }
    let k = pick?;
    Some(TemplateHit {
        file: None,
        span: key_span(k),
        matched: best_len,
        wanted: keys.len(),
    })
}

/// From a key to the end of its line.
fn key_span(k: &KeyLine) -> Span {
    Span::new(
        Pos::new(to_u32(k.line + 1), to_u32(k.col + 1)),
        Pos::new(to_u32(k.line + 1), to_u32(k.end_col + 1)),
    )
}

/// Tries the `include`s under key `parent` (or anywhere, without one) for the rest of `keys`.
fn include_under(
    outline: &Outline,
    parent: Option<&KeyLine>,
    keys: &[String],
    matched: usize,
    container: Option<(&str, usize)>,
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    let block_end = parent.map_or(usize::MAX, |k| block_end(outline, k));
    for inc in &outline.includes {
        let under = match parent {
            Some(k) => inc.line >= k.line && inc.line < block_end && inc.indent > k.indent,
            None => true,
        };
        if !under {
            continue;
        }
        let Some(sub) = defines(&inc.name) else {
            continue;
        };
        let rest = &keys[matched..];
        if let Some(hit) = locate(&sub, rest, container, defines, depth + 1) {
            if hit.matched > 0 {
                return Some(TemplateHit {
                    file: hit.file.or_else(|| sub.path.clone()),
                    span: hit.span,
                    matched: matched + hit.matched,
                    wanted: keys.len(),
                });
            }
        }
    }
    None
}

/// An `include` under the container list key whose define holds a container with this literal
/// name (`- name: debug`): the rest of the path is looked up there.
fn include_with_container(
    outline: &Outline,
    keys: &[String],
    list_depth: usize,
    name: &str,
    container: Option<(&str, usize)>,
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    if depth >= 4 {
        return None;
    }
    for list_key in outline
        .keys
        .iter()
        .filter(|k| k.path[..] == keys[..=list_depth])
    {
        let end = block_end(outline, list_key);
        for inc in &outline.includes {
            if !(inc.line >= list_key.line && inc.line < end && inc.indent > list_key.indent) {
                continue;
            }
            let Some(sub) = defines(&inc.name) else {
                continue;
            };
            let Some(name_line) = sub.keys.iter().find(|k| {
                k.path.len() == 1 && k.key == "name" && k.value.trim_matches(['"', '\'']) == name
            }) else {
                continue;
            };
            let rest = &keys[list_depth + 1..];
            let hit = locate(&sub, rest, container, defines, depth + 1)
                .filter(|h| h.matched > 0)
                .unwrap_or_else(|| TemplateHit {
                    // The container's item lacks the key: its first line.
                    file: None,
                    span: key_span(name_line),
                    matched: 0,
                    wanted: rest.len(),
                });
            return Some(TemplateHit {
                file: hit.file.or_else(|| sub.path.clone()),
                span: hit.span,
                matched: list_depth + 1 + hit.matched,
                wanted: keys.len(),
            });
        }
    }
    None
}

/// The deepest key of the path inside the container item with this literal name, when the
/// template has such an item (it lacks the deeper keys, else it would be an exact candidate).
fn literal_item<'o>(
    outline: &'o Outline,
    keys: &[String],
    list_depth: usize,
    name: &str,
) -> Option<(&'o KeyLine, usize)> {
    let name_line = outline.keys.iter().find(|k| {
        k.key == "name"
            && k.path.len() == list_depth + 2
            && k.path[..=list_depth] == keys[..=list_depth]
            && k.value.trim_matches(['"', '\'']) == name
    })?;
    let item = *name_line.items.last()?;
    let deepest = outline
        .keys
        .iter()
        .filter(|k| k.items.contains(&item))
        .filter(|k| k.path.len() <= keys.len() && k.path[..] == keys[..k.path.len()])
        .max_by_key(|k| k.path.len());
    match deepest {
        Some(k) => Some((k, k.path.len())),
        None => Some((name_line, list_depth + 1)),
    }
}

/// Whether the block of the container list holds template actions on lines of their own
/// (`{{- if }}`, `{{- range }}`, `{{- toYaml .Values.sidecars }}`): then its items are not
/// always all rendered, in order.
fn list_has_directives(outline: &Outline, keys: &[String], ld: usize) -> bool {
    let Some(list_key) = outline.keys.iter().find(|k| k.path[..] == keys[..=ld]) else {
        return true;
    };
    let end = block_end(outline, list_key).min(outline.lines.len());
    outline
        .lines
        .get(list_key.line + 1..end)
        .unwrap_or(&[])
        .iter()
        .any(|l| l.trim_start().starts_with("{{"))
}

/// When the container list has no template actions on lines of their own, its items render
/// one container each, in order: the candidate in the `index`-th item.
fn by_position<'o>(
    outline: &'o Outline,
    keys: &[String],
    ld: usize,
    index: usize,
    candidates: &[&'o KeyLine],
) -> Option<&'o KeyLine> {
    if list_has_directives(outline, keys, ld) {
        return None;
    }
    let list_key = outline.keys.iter().find(|k| k.path[..] == keys[..=ld])?;
    let item_of = |k: &KeyLine| k.items.iter().copied().find(|l| *l > list_key.line);
    let mut items: Vec<usize> = outline
        .keys
        .iter()
        .filter(|k| k.path.len() > ld + 1 && k.path[..=ld] == keys[..=ld] && k.line > list_key.line)
        .filter_map(&item_of)
        .collect();
    items.sort_unstable();
    items.dedup();
    let item = *items.get(index)?;
    candidates
        .iter()
        .copied()
        .find(|k| item_of(k) == Some(item))
}

/// The line after the block of a key (the next key at the same or a lower indentation).
fn block_end(outline: &Outline, k: &KeyLine) -> usize {
    outline
        .keys
        .iter()
        .find(|o| o.line > k.line && o.indent <= k.indent)
        .map_or(usize::MAX, |o| o.line)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The literal `name:` of the container item that holds `k`; `None` when the name is a
/// template expression (or absent), so the item could be any container.
fn item_name<'o>(
    outline: &'o Outline,
    k: &KeyLine,
    keys: &[String],
    list_depth: usize,
) -> Option<&'o str> {
    let list_key = outline
        .keys
        .iter()
        .rev()
        .find(|o| o.line <= k.line && o.path[..] == keys[..=list_depth])?;
    let item = k.items.iter().copied().find(|l| *l > list_key.line)?;
    let name = outline.keys.iter().find(|o| {
        o.key == "name" && o.path.len() == list_depth + 2 && o.items.last() == Some(&item)
    })?;
    let value = name.value.trim_matches(['"', '\'']);
    (!value.contains("{{") && !value.is_empty()).then_some(value)
}

/// Reads chart templates and Chart.yaml names once per run, shared across threads.
#[derive(Default)]
pub struct Templates {
    /// The scan roots (canonical): no file outside them is read. Empty: nothing is read.
    roots: Vec<PathBuf>,
    outlines: Mutex<HashMap<PathBuf, Option<Arc<Outline>>>>,
    chart_names: Mutex<HashMap<PathBuf, Option<String>>>,
    /// The files under each chart's `templates/`, sorted, walked once per chart.
    template_files: Mutex<HashMap<PathBuf, Arc<Vec<PathBuf>>>>,
    /// Values files, read and parsed once (see [`crate::valuetrace`]).
    values: crate::valuetrace::ValuesCache,
}

impl Templates {
    /// Templates read only from inside `roots` (canonical directories, see
    /// [`crate::safepath::canonical_roots`]).
    pub fn new(roots: Vec<PathBuf>) -> Templates {
        Templates {
            values: crate::valuetrace::ValuesCache::new(roots.clone()),
            roots,
            ..Templates::default()
        }
    }

    /// The scan roots files are read from.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    fn outline(&self, path: &Path) -> Option<Arc<Outline>> {
        if let Ok(mut cache) = self.outlines.lock() {
            return cache
                .entry(path.to_path_buf())
                .or_insert_with(|| {
                    crate::safepath::read_confined(path, &self.roots).map(|t| {
                        let mut o = Outline::parse(&t);
                        o.path = Some(path.to_path_buf());
                        Arc::new(o)
                    })
                })
                .clone();
        }
        None
    }

    /// The `name:` of a chart's Chart.yaml.
    fn chart_name(&self, dir: &Path) -> Option<String> {
        let mut cache = self.chart_names.lock().ok()?;
        cache
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                let text = crate::safepath::read_confined(&dir.join("Chart.yaml"), &self.roots)?;
                let stream = crate::model::yaml::parse_stream(&text);
                let root = stream.documents.first()?.root.as_ref()?;
                root.get("name")?.text().map(str::to_string)
            })
            .clone()
    }

    /// All `define` blocks of a chart's templates (every file under `templates/`).
    fn find_define(&self, chart_dir: &Path, name: &str) -> Option<Outline> {
        let files = {
            let mut cache = self.template_files.lock().ok()?;
            cache
                .entry(chart_dir.to_path_buf())
                .or_insert_with(|| {
                    let mut files = walk_files(&chart_dir.join("templates"));
                    files.sort();
                    Arc::new(files)
                })
                .clone()
        };
        for f in files.iter() {
            if let Some(o) = self.outline(f) {
                if let Some(d) = o.define_outline(name) {
                    return Some(d);
                }
            }
        }
        None
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out
}

/// The `# Source:` comments of rendered helm output: (1-based line, source path).
///
/// Only the comment helm writes counts: `# Source:` on the line right after a `---` line (helm
/// prints every manifest as `---`, `# Source: NAME`, content, and splits a template's output at
/// each `---` line of its own). A `# Source:` line anywhere else is template output, and a
/// template could use one to claim that its object comes from another template (and borrow
/// that template's reviewed `clustersec:ignore`).
pub fn helm_sources(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut after_separator = false;
    for (i, line) in text.lines().enumerate() {
        if after_separator {
            if let Some(src) = line.strip_prefix("# Source: ") {
                out.push((to_u32(i + 1), src.trim().to_string()));
            }
        }
        after_separator = line.trim_end_matches('\r') == "---";
    }
    out
}

/// For each `# Source:` comment, how many comments of the same source come before it.
fn source_ordinals(sources: &[(u32, String)]) -> Vec<usize> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    sources
        .iter()
        .map(|(_, s)| {
            let n = seen.entry(s.as_str()).or_default();
            *n += 1;
            *n - 1
        })
        .collect()
}

/// Where a rendered source path (`CHART/templates/x.yaml`, `CHART/charts/SUB/templates/x.yaml`)
/// lives in the tree: the chart dir is the rendered chart's own (`render_dir`), or a scanned
/// chart with that name. `Err(None)`: not in the scanned tree; `Err(Some(_))`: the path is
/// rejected (it is odd, absolute, or leads out of its chart, also through a symlink), and no
/// file it names is read.
fn resolve_template(
    source: &str,
    render_dir: Option<&Path>,
    charts: &[Dir],
    templates: &Templates,
) -> Result<(PathBuf, PathBuf), Option<crate::safepath::Rejected>> {
    use crate::safepath::{check_relative, check_text, confine, Rejected};
    check_text(source).map_err(Some)?;
    if source.starts_with('/') {
        return Err(Some(Rejected::Absolute));
    }
    let (chart, rest) = source.split_once('/').ok_or(None)?;
    // Helm writes `CHART/templates/...`: nothing in the rest climbs or starts over.
    check_relative(rest).map_err(Some)?;
    if chart == ".." || chart == "." {
        return Err(Some(Rejected::Outside));
    }
    let candidates: Vec<PathBuf> = match render_dir {
        Some(d) => vec![d.to_path_buf()],
        None => charts
            .iter()
            .filter(|c| templates.chart_name(&c.path).as_deref() == Some(chart))
            .map(|c| c.path.clone())
            .collect(),
    };
    for dir in candidates {
        let file = dir.join(rest);
        if !file.is_file() {
            continue;
        }
        // Through symlinks, the template must stay in the scan. A rendered file kept in the
        // tree is anyone's text: its templates must also be files of the chart itself, or a
        // symlink in `templates/` could borrow the reviewed suppressions of any other file.
        // Output we rendered came from the files helm names (a subchart may be a symlink to a
        // shared directory of the repository).
        let inside_scan = confine(&file, templates.roots());
        let inside_chart = match render_dir {
            Some(_) => true,
            None => std::fs::canonicalize(&dir)
                .is_ok_and(|root| confine(&file, std::slice::from_ref(&root)).is_ok()),
        };
        if inside_scan.is_err() || !inside_chart {
            return Err(Some(Rejected::Outside));
        }
        // The chart that owns the template (a subchart for `charts/SUB/templates/...`).
        let owner = owning_chart(&file).unwrap_or(dir);
        return Ok((file, owner));
    }
    let charts_of_source: Vec<PathBuf> = match render_dir {
        Some(d) => vec![d.to_path_buf()],
        None => charts
            .iter()
            .filter(|c| templates.chart_name(&c.path).as_deref() == Some(chart))
            .map(|c| c.path.clone())
            .collect(),
    };
    for dir in charts_of_source {
        if let Some(found) = file_dependency_template(&dir, rest, templates) {
            return Ok(found);
        }
    }
    Err(None)
}

/// `charts/NAME/templates/x.yaml` of a chart we rendered, when NAME is a `file://` dependency
/// whose source directory is in the scanned tree (packaged into `charts/` by `helm dependency
/// build`): the source's template. The path comes from the chart's Chart.yaml, which is
/// scanned content: it must be clean text, lead to a chart of the dependency's name, and the
/// template must be under that chart's `templates/` and resolve inside the scan.
fn file_dependency_template(
    render_dir: &Path,
    rest: &str,
    templates: &Templates,
) -> Option<(PathBuf, PathBuf)> {
    let mut parts = rest.splitn(3, '/');
    if parts.next()? != "charts" {
        return None;
    }
    let name = parts.next()?;
    let inner = parts.next()?;
    let chart_yaml =
        crate::safepath::read_confined(&render_dir.join("Chart.yaml"), templates.roots())?;
    let (source, real_name) = crate::render::helm::file_dependency(&chart_yaml, name)?;
    crate::safepath::check_text(&source).ok()?;
    if !inner.starts_with("templates/") {
        return None;
    }
    if Path::new(&source).is_absolute() {
        return None;
    }
    let dir = crate::render::lexical_normalize(&render_dir.join(&source));
    if templates.chart_name(&dir).as_deref() != Some(real_name.as_str()) {
        return None;
    }
    let file = dir.join(inner);
    if !file.is_file() || crate::safepath::confine(&file, templates.roots()).is_err() {
        return None;
    }
    let owner = owning_chart(&file).unwrap_or(dir);
    Some((file, owner))
}

fn owning_chart(template: &Path) -> Option<PathBuf> {
    let mut d = template.parent();
    while let Some(dir) = d {
        if dir.file_name().and_then(|n| n.to_str()) == Some("templates") {
            return dir.parent().map(Path::to_path_buf);
        }
        d = dir.parent();
    }
    None
}

/// Context for mapping one rendered text.
pub struct MapContext<'a> {
    pub charts: &'a [Dir],
    pub templates: &'a Templates,
    /// The chart that was rendered, for output we rendered ourselves.
    pub render_dir: Option<&'a Path>,
    /// A label for messages, e.g. `values-prod.yaml`.
    pub render_label: Option<&'a str>,
    /// Whether the rendered text exists as a file at the findings' path.
    pub rendered_is_file: bool,
    /// The values files of the render after the chart's own `values.yaml`, in order (empty for
    /// output rendered elsewhere).
    pub values: &'a [PathBuf],
}

/// A path in scanned content that was not used (see [`crate::safepath`]): the finding it came
/// with stays where it was, and this note becomes a `CLUSTERSEC_RENDER` finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathNote {
    pub path: String,
    pub span: Span,
    pub message: String,
}

/// Moves findings of rendered helm output to their templates where possible. Returns a note for
/// each `# Source:` path that was rejected (no file it names was read or quoted).
pub fn map_helm(text: &str, findings: &mut [Finding], cx: &MapContext<'_>) -> Vec<PathNote> {
    let mut notes: Vec<PathNote> = Vec::new();
    let sources = helm_sources(text);
    if sources.is_empty() {
        return notes;
    }
    let cwd = std::env::current_dir().ok();
    // Which of its template's documents each source comment starts (a template may hold
    // several), counted once, so that a finding costs a binary search, not a pass over the
    // documents before it.
    let ordinals = source_ordinals(&sources);
    for f in findings.iter_mut() {
        let line = f.span.start.line;
        // `sources` is in line order: the last one before the finding's line.
        let Some(at) = sources.partition_point(|(l, _)| *l < line).checked_sub(1) else {
            continue;
        };
        let source = &sources[at].1;
        let ordinal = ordinals.get(at).copied().unwrap_or(0);
        let rendered_at = format!("{}:{}:{}", f.path, f.span.start.line, f.span.start.col);
        let (template, chart_dir) = match resolve_template(
            source,
            cx.render_dir,
            cx.charts,
            cx.templates,
        ) {
            Ok(found) => found,
            Err(None) => {
                f.mapping = Some(format!(
                    "rendered output; template {source} is not in the scanned tree"
                ));
                continue;
            }
            Err(Some(why)) => {
                let quoted = crate::safepath::quote(source);
                f.mapping = Some(format!(
                    "rendered output; the `# Source:` path {quoted} was rejected"
                ));
                let source_line = sources[at].0;
                if !notes.iter().any(|n| n.span.start.line == source_line) {
                    let width = text
                        .lines()
                        .nth(source_line.saturating_sub(1) as usize)
                        .map_or(1, |l| l.chars().count());
                    notes.push(PathNote {
                            path: f.path.clone(),
                            span: Span::new(
                                Pos::new(source_line, 1),
                                Pos::new(source_line, to_u32(width + 1)),
                            ),
                            message: format!(
                                "the `# Source:` path {quoted} was not used to map findings to a template ({}): they stay in the rendered output, and no file it names is read",
                                why.describe("its chart")
                            ),
                        });
                }
                continue;
            }
        };
        let Some(whole) = cx.templates.outline(&template) else {
            continue;
        };
        let kind = f.object.as_ref().map_or("", |o| o.kind.as_str());
        let document = whole.document(ordinal, kind);
        let outline = document.as_ref().unwrap_or(&whole);
        // Container names written as `{{ .Chart.Name }}` (the `helm create` pattern) are known.
        let named = outline.with_chart_name(|| cx.templates.chart_name(&chart_dir));
        let outline = named.as_ref().unwrap_or(outline);
        let (keys, container) = lookup(f);
        let defines = |name: &str| cx.templates.find_define(&chart_dir, name);
        let hit = locate(outline, &keys, container, &defines, 0);
        let template_display = |hit: &TemplateHit| {
            display_path(hit.file.as_deref().unwrap_or(&template), cwd.as_deref())
        };
        let Some(hit) = hit.filter(|h| h.matched > 0) else {
            f.mapping = Some(format!(
                "rendered output; no key of `{}` is literal in template {}",
                f.field.as_deref().unwrap_or("kind"),
                display_path(&template, cwd.as_deref())
            ));
            continue;
        };
        let rendered_line = text
            .lines()
            .nth(index(f.span.start.line))
            .unwrap_or("")
            .to_string();
        let old_path = std::mem::replace(&mut f.path, template_display(&hit));
        let old_span = std::mem::replace(&mut f.span, hit.span);
        let how = if hit.matched == hit.wanted {
            "template line of the key".to_string()
        } else if keys
            .get(hit.matched.wrapping_sub(1))
            .is_some_and(|k| CONTAINER_LISTS.contains(&k.as_str()))
        {
            "template line of the container (the template does not have the key)".to_string()
        } else {
            format!(
                "template line of `{}`, the nearest key the template has literally",
                keys.get(hit.matched - 1).map_or("", String::as_str)
            )
        };
        let label = cx
            .render_label
            .map(|l| format!(" with {l}"))
            .unwrap_or_default();
        // A message that names the finding's own line ("inherited from ... at line 85") names
        // the template's line now, so it reads right and is the same for every render.
        let own_line = format!(" at line {}", old_span.start.line);
        if f.message.contains(&own_line) {
            f.message = f
                .message
                .replace(&own_line, &format!(" at line {}", f.span.start.line));
        }
        f.message = format!("{} (rendered{label} at {rendered_at})", f.message);
        f.mapping = Some(how);
        if cx.rendered_is_file {
            // Related locations were in the rendered file: they stay there.
            for r in &mut f.related {
                if r.path.is_none() {
                    r.path = Some(old_path.clone());
                }
            }
            f.related.insert(
                0,
                Related {
                    path: Some(old_path),
                    span: old_span,
                    message: "rendered output".to_string(),
                },
            );
        } else {
            // Output rendered in memory has no file to point into.
            f.related.retain(|r| r.path.is_some());
        }
        if let Some(c) = f.container.clone() {
            let top = top_chart(source, cx);
            // At the list key (no item known): `range` items may be looked up in their values.
            let at_list = keys
                .iter()
                .position(|k| CONTAINER_LISTS.contains(&k.as_str()))
                .is_some_and(|ld| hit.matched <= ld + 1 && hit.file.is_none());
            if values_list_item(
                f,
                &c,
                outline,
                &keys,
                &template,
                &chart_dir,
                top.as_deref(),
                cx,
                cwd.as_deref(),
                at_list,
            ) {
                continue;
            }
        }
        let container_line = hit.matched < hit.wanted
            && keys
                .get(hit.matched.wrapping_sub(1))
                .is_some_and(|k| CONTAINER_LISTS.contains(&k.as_str()));
        if !container_line {
            let file = hit.file.clone().unwrap_or_else(|| template.clone());
            let top = top_chart(source, cx);
            trace_values(
                f,
                &hit,
                &file,
                &keys,
                &chart_dir,
                top.as_deref(),
                cx,
                cwd.as_deref(),
                &rendered_line,
            );
        }
    }
    notes
}

/// Moves a finding mapped to a template line that renders a value from `.Values` to the line
/// of the values file that supplies it (see [`crate::valuetrace`]); the template line becomes
/// a related location. Nothing changes when no values file has a key of the path, or when the
/// values file's value is not the one rendered (output rendered with other values).
#[allow(clippy::too_many_arguments)]
fn trace_values(
    f: &mut Finding,
    hit: &TemplateHit,
    file: &Path,
    keys: &[String],
    chart_dir: &Path,
    top: Option<&Path>,
    cx: &MapContext<'_>,
    cwd: Option<&Path>,
    rendered_line: &str,
) {
    use crate::valuetrace::{find, values_ref};
    let Some(outline) = cx.templates.outline(file) else {
        return;
    };
    let line = index(hit.span.start.line);
    let col = (hit.span.start.col as usize).saturating_sub(1);
    let Some(mut path) = values_ref(&outline.lines, line, col) else {
        return;
    };
    path.extend(keys.iter().skip(hit.matched).cloned());
    let sources = values_sources(chart_dir, top, cx);
    let container = f.container.clone();
    let Some(found) = find(&sources, &path, container.as_deref(), &cx.templates.values) else {
        return;
    };
    // The rendered value must be the values file's (a file kept in the tree may have been
    // rendered with other values than the chart's own).
    if let (Some(value), Some(key)) = (&found.scalar, keys.last()) {
        if let Some(rendered) = line_value(rendered_line, key) {
            let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).to_string();
            if unquote(&rendered) != unquote(value) {
                return;
            }
        }
    }
    let template_path = std::mem::replace(&mut f.path, display_path(&found.file, cwd));
    let template_span = std::mem::replace(&mut f.span, found.span);
    // A message that names the template line as the finding's own names the values line now.
    let own_line = format!(" at line {}", template_span.start.line);
    if f.message.contains(&own_line) {
        f.message = f
            .message
            .replace(&own_line, &format!(" at line {}", f.span.start.line));
    }
    f.mapping = Some(values_mapping(&found));
    f.related.insert(
        0,
        Related {
            path: Some(template_path),
            span: template_span,
            message: format!(
                "template line that renders `.Values.{}`",
                crate::valuetrace::dotted(&path, container.as_deref())
            ),
        },
    );
}

/// A container that no template item names literally, listed in a values list that the
/// template's container list renders (`{{- toYaml .Values.sidecars | nindent 8 }}`, `with
/// .Values.extraContainers`): the finding moves to that list's item in the values file (its
/// deepest key of the path, else its `name:` line), with the container list's template line
/// as a related location. Returns whether it moved.
#[allow(clippy::too_many_arguments)]
fn values_list_item(
    f: &mut Finding,
    container: &str,
    outline: &Outline,
    keys: &[String],
    template: &Path,
    chart_dir: &Path,
    top: Option<&Path>,
    cx: &MapContext<'_>,
    cwd: Option<&Path>,
    include_ranges: bool,
) -> bool {
    use crate::valuetrace::{dotted, find, list_refs, ITEM};
    let Some(ld) = keys
        .iter()
        .position(|k| CONTAINER_LISTS.contains(&k.as_str()))
    else {
        return false;
    };
    let list = keys.get(..=ld).unwrap_or(&[]);
    let literal = outline.keys.iter().any(|k| {
        k.key == "name"
            && k.path.len() == ld + 2
            && k.path.get(..=ld) == Some(list)
            && k.value.trim_matches(['"', '\'']) == container
    });
    if literal {
        return false;
    }
    let sources = values_sources(chart_dir, top, cx);
    for list_key in outline.keys.iter().filter(|k| k.path[..] == *list) {
        for r in list_refs(
            &outline.lines,
            list_key.line,
            list_key.indent,
            include_ranges,
        ) {
            let mut path = r.clone();
            path.push(ITEM.to_string());
            path.extend(keys.iter().skip(ld + 1).cloned());
            let Some(found) = find(&sources, &path, Some(container), &cx.templates.values) else {
                continue;
            };
            // The item itself must be there (not only the list).
            let prefix = found.wanted - path.len();
            if found.matched <= prefix + r.len() {
                continue;
            }
            let template_path = display_path(template, cwd);
            f.path = display_path(&found.file, cwd);
            f.span = found.span;
            f.mapping = Some(values_mapping(&found));
            // The template's item lines are another container's: only the list stays.
            f.related
                .retain(|r| r.path.as_deref() != Some(template_path.as_str()));
            f.related.insert(
                0,
                Related {
                    path: Some(template_path),
                    span: key_span(list_key),
                    message: format!(
                        "template line of the container list that renders `.Values.{}`",
                        dotted(&r, Some(container))
                    ),
                },
            );
            return true;
        }
    }
    false
}

/// The values files that set a chart's values, in increasing precedence: its own
/// `values.yaml`; for a subchart (`PARENT/charts/NAME`), the parent's `values.yaml` under
/// `NAME.`; then the render's values files (under `NAME.` for a subchart of the rendered chart).
fn values_sources(
    chart_dir: &Path,
    top: Option<&Path>,
    cx: &MapContext<'_>,
) -> Vec<crate::valuetrace::Source> {
    use crate::valuetrace::Source;
    let mut out = vec![Source {
        file: chart_dir.join("values.yaml"),
        prefix: Vec::new(),
    }];
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    // A dependency whose source is elsewhere in the tree (`file://`): the rendered chart's.
    let dependency_of_render = top.filter(|d| !same(d, chart_dir)).map(Path::to_path_buf);
    let mut top = chart_dir.to_path_buf();
    let mut prefix: Vec<String> = Vec::new();
    if let Some(parent) = subchart_parent(chart_dir).or(dependency_of_render) {
        let name = cx.templates.chart_name(chart_dir).unwrap_or_else(|| {
            chart_dir
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        });
        prefix = vec![name];
        out.push(Source {
            file: parent.join("values.yaml"),
            prefix: prefix.clone(),
        });
        top = parent;
    }
    let rendered_here = cx.render_dir.is_some_and(|d| same(d, &top));
    if rendered_here {
        for v in cx.values {
            out.push(Source {
                file: v.clone(),
                prefix: prefix.clone(),
            });
        }
    }
    out
}

/// The chart a rendered source path (`CHART/...`) belongs to: the chart we rendered, or the
/// scanned chart named CHART.
fn top_chart(source: &str, cx: &MapContext<'_>) -> Option<PathBuf> {
    if let Some(d) = cx.render_dir {
        return Some(d.to_path_buf());
    }
    let name = source.split('/').next()?;
    cx.charts
        .iter()
        .find(|c| cx.templates.chart_name(&c.path).as_deref() == Some(name))
        .map(|c| c.path.clone())
}

/// `PARENT` for a chart at `PARENT/charts/NAME` whose parent has a Chart.yaml.
fn subchart_parent(chart_dir: &Path) -> Option<PathBuf> {
    let charts = chart_dir.parent()?;
    if charts.file_name()? != "charts" {
        return None;
    }
    let parent = charts.parent()?;
    parent
        .join("Chart.yaml")
        .is_file()
        .then(|| parent.to_path_buf())
}

/// What to look up in a template or source file for a finding: the keys of its field path
/// (`kind` for an object-level finding) and its container (name, index).
fn lookup(f: &Finding) -> (Vec<String>, Option<(&str, usize)>) {
    let keys = f
        .field
        .as_deref()
        .map_or_else(|| vec!["kind".to_string()], path_keys);
    let container = f.container.as_deref().map(|n| (n, container_index(f)));
    (keys, container)
}

fn container_index(f: &Finding) -> usize {
    // `...containers[3]...` → 3.
    f.field
        .as_deref()
        .and_then(|p| {
            CONTAINER_LISTS.iter().find_map(|l| {
                let at = p.find(&format!("{l}["))? + l.len() + 1;
                p[at..].split(']').next()?.parse().ok()
            })
        })
        .unwrap_or(0)
}

/// Scans one render and maps its findings back to templates (helm) or source files (kustomize).
/// A path of the output that was rejected adds a `CLUSTERSEC_RENDER` finding (see
/// [`notes_to_findings`]).
pub fn scan_render(
    engine: &Engine,
    render: &Render,
    charts: &[Dir],
    templates: &Templates,
) -> (FileReport, Vec<Finding>) {
    let text = render.output.as_deref().unwrap_or("");
    let (report, mut findings) = engine.scan_text(&render.display, text);
    let notes = match render.tool {
        Tool::Helm => map_helm(
            text,
            &mut findings,
            &MapContext {
                charts,
                templates,
                render_dir: Some(&render.dir),
                render_label: Some(&render.label),
                rendered_is_file: false,
                values: &render.values,
            },
        ),
        Tool::Kustomize => map_kustomize(text, &mut findings, &render.dir, templates),
    };
    findings.extend(notes_to_findings(engine, notes));
    match render.tool {
        Tool::Helm => anchor_in_files(text, &mut findings, render, templates),
        Tool::Kustomize => anchor_in_kustomization(&mut findings, render),
    }
    (report, findings)
}

/// Build output is not a file: a finding still in it (an object a generator made, a remote
/// resource, a source not found) moves to the first line of the kustomization file, with the
/// line of the output (as `kubectl kustomize` prints it) in the message.
fn anchor_in_kustomization(findings: &mut [Finding], render: &Render) {
    let Some(name) = crate::discover::KUSTOMIZATION_NAMES
        .iter()
        .find(|n| render.dir.join(n).is_file())
    else {
        return;
    };
    let before = origin_lines_before(render.output.as_deref().unwrap_or(""));
    for f in findings.iter_mut().filter(|f| f.path == render.display) {
        let line = plain_kustomize_line(&before, f.span.start.line);
        f.message = format!(
            "{} (kustomize output line {line}:{})",
            f.message, f.span.start.col
        );
        f.path = crate::render::join_display(&render.display, name);
        f.span = Span::new(Pos::new(1, 1), Pos::new(1, 1));
        f.mapping = Some(match f.mapping.take() {
            Some(m) => format!("kustomization file; {m}"),
            None => "kustomization file".to_string(),
        });
        f.related.retain(|r| r.path.is_some());
    }
}

/// Output rendered in memory is not a file: a finding still in it (its template is not in the
/// scanned tree, a packaged `charts/NAME-1.0.0.tgz`, or no key of its path is literal) moves to
/// the chart's `Chart.yaml`, at the dependency's entry when it came from a dependency, else at
/// its first line. The rendered location stays in the message and the mapping.
fn anchor_in_files(text: &str, findings: &mut [Finding], render: &Render, templates: &Templates) {
    let sources = helm_sources(text);
    let chart_yaml = render.dir.join("Chart.yaml");
    let chart_text = crate::safepath::read_confined(&chart_yaml, templates.roots());
    for f in findings.iter_mut().filter(|f| f.path == render.display) {
        let line = f.span.start.line;
        let source = sources
            .partition_point(|(l, _)| *l < line)
            .checked_sub(1)
            .and_then(|at| sources.get(at))
            .map(|(_, s)| s.as_str());
        // `CHART/charts/DEP/templates/...`: the dependency's entry.
        let dependency = source.and_then(|s| {
            let mut parts = s.split('/');
            parts.next()?;
            (parts.next()? == "charts").then_some(())?;
            parts.next()
        });
        let entry = dependency
            .and_then(|d| crate::render::helm::dependency_entry(chart_text.as_deref()?, d));
        let rendered_at = format!("{}:{}:{}", f.path, f.span.start.line, f.span.start.col);
        if !f.message.contains(&rendered_at) {
            f.message = format!(
                "{} (rendered with {} at {rendered_at})",
                f.message, render.label
            );
        }
        f.path = crate::render::join_display(&render.display, "Chart.yaml");
        f.span = entry.unwrap_or_else(|| Span::new(Pos::new(1, 1), Pos::new(1, 1)));
        let how = if entry.is_some() {
            "Chart.yaml entry of the dependency"
        } else {
            "Chart.yaml of the rendered chart"
        };
        f.mapping = Some(match f.mapping.take() {
            Some(m) => format!("{how}; {m}"),
            None => how.to_string(),
        });
        f.related.retain(|r| r.path.is_some());
    }
}

/// `CLUSTERSEC_RENDER` findings for rejected paths (none when the rule is disabled).
pub fn notes_to_findings(engine: &Engine, notes: Vec<PathNote>) -> Vec<Finding> {
    let id = crate::rules::render::Render::ID;
    let Some(severity) = engine.severity(id) else {
        return Vec::new();
    };
    notes
        .into_iter()
        .map(|n| {
            let mut f = Finding::new(id, n.span, n.message);
            f.severity = severity;
            f.path = n.path;
            f
        })
        .collect()
}

/// Moves findings of `kustomize build` output to the files named by the objects'
/// `config.kubernetes.io/origin` annotations. An origin path that is odd, absolute, remote
/// (`repo:`) or resolves outside the scan roots is not read; it returns a note instead.
pub fn map_kustomize(
    text: &str,
    findings: &mut [Finding],
    dir: &Path,
    templates: &Templates,
) -> Vec<PathNote> {
    let mut notes: Vec<PathNote> = Vec::new();
    let stream = crate::model::yaml::parse_stream(text);
    let cwd = std::env::current_dir().ok();
    let patches = crate::kpatch::load(dir, templates.roots());
    let origin_before = origin_lines_before(text);
    let rendered_outline = Outline::parse(text);
    for f in findings.iter_mut() {
        let Some(obj) = &f.object else { continue };
        let Some(doc) = stream.documents.get(obj.document) else {
            continue;
        };
        let Some(root) = doc.root.as_ref() else {
            continue;
        };
        let node = match obj.item {
            Some(i) => root
                .get("items")
                .and_then(|it| it.as_seq())
                .and_then(|s| s.get(i)),
            None => Some(root),
        };
        let origin = node
            .and_then(|n| n.get("metadata"))
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get("config.kubernetes.io/origin"))
            .and_then(|o| o.text());
        let Some(origin) = origin else { continue };
        let Some(path) = origin
            .lines()
            .find_map(|l| l.trim().strip_prefix("path:"))
            .map(|p| p.trim().trim_matches(['"', '\'']))
        else {
            continue;
        };
        if origin.lines().any(|l| l.trim().starts_with("repo:")) {
            f.mapping = Some(format!(
                "kustomize output; source {path} is in a remote repository"
            ));
            continue;
        }
        let checked = crate::safepath::check_text(path).and_then(|()| {
            if Path::new(path).is_absolute() {
                Err(crate::safepath::Rejected::Absolute)
            } else {
                Ok(())
            }
        });
        let file = checked.and_then(|()| {
            let file = crate::render::lexical_normalize(&dir.join(path));
            crate::safepath::confine(&file, templates.roots()).map(|_| file)
        });
        let file = match file {
            Ok(file) if file.is_file() => file,
            Ok(_) | Err(crate::safepath::Rejected::Missing) => {
                f.mapping = Some(format!("kustomize output; source {path} not found"));
                continue;
            }
            Err(why) => {
                let quoted = crate::safepath::quote(path);
                f.mapping = Some(format!(
                    "kustomize output; the origin path {quoted} was rejected"
                ));
                let message = format!(
                    "the kustomize origin path {quoted} was not used to map findings to a source file ({}): they stay in the kustomize output, and no file it names is read",
                    why.describe("the scan")
                );
                if !notes
                    .iter()
                    .any(|n| n.path == f.path && n.message == message)
                {
                    notes.push(PathNote {
                        path: f.path.clone(),
                        span: f.span,
                        message,
                    });
                }
                continue;
            }
        };
        let Some(outline) = templates.outline(&file) else {
            continue;
        };
        let (keys, container) = lookup(f);
        let container_owned = container.map(|(n, i)| (n.to_string(), i));
        let container = container_owned.as_ref().map(|(n, i)| (n.as_str(), *i));
        let hit = locate(&outline, &keys, container, &|_| None, 0);
        let display = display_path(&crate::render::lexical_normalize(&file), cwd.as_deref());
        // Lines of the build output we ran (with origin annotations) as `kubectl kustomize`
        // prints them (without).
        let plain = |line: u32| plain_kustomize_line(&origin_before, line);
        // Related locations and lines named in the message were in the build output, which is
        // not a file: map them into the source when the source has their key, else drop them.
        let old_line = f.span.start.line;
        let mut renamed: Vec<(u32, Option<u32>)> = Vec::new();
        let mut related = Vec::new();
        for r in std::mem::take(&mut f.related) {
            if r.path.is_some() {
                related.push(r);
                continue;
            }
            let moved = rendered_key_path(&rendered_outline, r.span.start.line).and_then(|p| {
                locate(&outline, &p, container, &|_| None, 0).filter(|h| h.matched == h.wanted)
            });
            renamed.push((r.span.start.line, moved.as_ref().map(|h| h.span.start.line)));
            if let Some(h) = moved {
                related.push(Related {
                    path: Some(display.clone()),
                    span: h.span,
                    message: r.message,
                });
            }
        }
        f.related = related;
        let patch = f.object.as_ref().and_then(|o| {
            patches.find(
                &o.kind,
                &o.name,
                f.field.as_deref()?,
                f.container.as_deref(),
            )
        });
        match hit.filter(|h| h.matched > 0) {
            Some(hit) => {
                let rendered_at = format!("{}:{}", f.span.start.line, f.span.start.col);
                // A value kustomize rewrote (`privileged: yes` written back as `"yes"`): the
                // user reads their source, so say what the API server gets instead.
                let changed = keys
                    .last()
                    .filter(|_| hit.matched == hit.wanted && patch.is_none())
                    .and_then(|key| {
                        let line = |text: Option<&str>| text.and_then(|l| line_value(l, key));
                        let out = line(text.lines().nth(index(f.span.start.line)));
                        let src = line(
                            outline
                                .lines
                                .get(index(hit.span.start.line))
                                .map(String::as_str),
                        );
                        out.zip(src).filter(|(o, s)| o != s)
                    })
                    .map(|(out, src)| {
                        format!(
                            "; kustomize changed the value: the source has {src}, the output {out}"
                        )
                    })
                    .unwrap_or_default();
                f.message = format!(
                    "{} (kustomize output line {rendered_at}{changed})",
                    f.message
                );
                f.mapping = Some(if hit.matched == hit.wanted {
                    "kustomize source line of the key".to_string()
                } else {
                    "kustomize source line of the nearest key the source has".to_string()
                });
                f.path = display.clone();
                f.span = hit.span;
            }
            None => {
                f.mapping = Some(format!("kustomize output; from {display}"));
            }
        }
        // The message names lines of the build output: the source's instead, or none.
        renamed.push((
            old_line,
            Some(f.span.start.line).filter(|_| f.path == display),
        ));
        for (from, to) in renamed {
            let at = format!(" at line {from}");
            if f.message.contains(&at) {
                // Named with its file when the finding moves on to a patch.
                let by = to
                    .map(|l| match &patch {
                        Some(_) => format!(" at {display}:{l}"),
                        None => format!(" at line {l}"),
                    })
                    .unwrap_or_default();
                f.message = f.message.replace(&at, &by);
            }
        }
        f.message = f.message.replace(
            &format!("(kustomize output line {old_line}:"),
            &format!("(kustomize output line {}:", plain(old_line)),
        );
        if let Some(p) = patch {
            let patch_display =
                display_path(&crate::render::lexical_normalize(&p.file), cwd.as_deref());
            if f.path == display {
                f.related.insert(
                    0,
                    Related {
                        path: Some(display.clone()),
                        span: f.span,
                        message: "the resource the patch applies to".to_string(),
                    },
                );
            }
            f.path = patch_display;
            f.span = p.span;
            f.mapping = Some(format!("kustomize {} patch line that sets the key", p.kind));
        }
    }
    notes
}

/// The keys from its document's root to the key on a 1-based line of a YAML text, by
/// indentation.
fn rendered_key_path(outline: &Outline, line: u32) -> Option<Vec<String>> {
    let i = index(line);
    outline
        .keys
        .iter()
        .find(|k| k.line == i)
        .map(|k| k.path.clone())
}

/// For each 0-based line of a `kustomize build` output with origin annotations, how many lines
/// before it `kubectl kustomize` (without them) does not print: the lines of
/// `config.kubernetes.io/origin: |` blocks, and an `annotations:` key that holds nothing else.
pub fn origin_lines_before(text: &str) -> Vec<u32> {
    let lines: Vec<&str> = text.lines().collect();
    let ind = |l: &str| l.len() - l.trim_start().len();
    let mut skipped = vec![false; lines.len()];
    let mut i = 0;
    while let Some(l) = lines.get(i) {
        if !l.trim_start().starts_with("config.kubernetes.io/origin:") {
            i += 1;
            continue;
        }
        let indent = ind(l);
        let mut j = i + 1;
        while lines
            .get(j)
            .is_some_and(|n| ind(n) > indent && !n.trim().is_empty())
        {
            j += 1;
        }
        let above = i.checked_sub(1).and_then(|k| lines.get(k).map(|a| (k, a)));
        let alone = above.is_some_and(|(_, a)| a.trim() == "annotations:" && ind(a) < indent)
            && lines.get(j).is_none_or(|n| ind(n) != indent);
        if let (true, Some((k, _))) = (alone, above) {
            if let Some(s) = skipped.get_mut(k) {
                *s = true;
            }
        }
        for s in skipped.iter_mut().take(j).skip(i) {
            *s = true;
        }
        i = j;
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut n = 0u32;
    for s in skipped {
        out.push(n);
        if s {
            n += 1;
        }
    }
    out
}

/// The line of a `kustomize build` output with origin annotations that `kubectl kustomize`
/// prints without them (see [`origin_lines_before`]).
pub fn plain_kustomize_line(before: &[u32], line: u32) -> u32 {
    line.saturating_sub(before.get(index(line)).copied().unwrap_or(0))
}

/// The 0-based index of a 1-based line number.
fn index(line: u32) -> usize {
    (line as usize).saturating_sub(1)
}

/// The value written on a `key: value` line (a list item's `- key: value` too), without a
/// trailing comment; `None` when the line is not that key with a value on the line. At most 60
/// characters are kept.
fn line_value(line: &str, key: &str) -> Option<String> {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    let rest = t.strip_prefix(key)?.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let value = match rest.find(" #") {
        Some(i) => rest.get(..i).unwrap_or(rest),
        None => rest,
    }
    .trim();
    (!value.is_empty()).then(|| value.chars().take(60).collect())
}

/// The mapping note of a finding moved to a values line: the key it names, or the nearest key of
/// it that the values file has.
fn values_mapping(found: &crate::valuetrace::ValuesHit) -> String {
    let values_name = found
        .file
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if found.matched == found.wanted {
        format!("values line of `{}` in {values_name}", found.path)
    } else {
        format!(
            "values line of `{}`, the nearest key of `{}` that {values_name} has",
            found.found, found.path
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_values() {
        use super::line_value;
        assert_eq!(
            line_value("  privileged: yes # x", "privileged").as_deref(),
            Some("yes")
        );
        assert_eq!(
            line_value("- privileged: \"yes\"", "privileged").as_deref(),
            Some("\"yes\"")
        );
        assert_eq!(line_value("  privilegedX: yes", "privileged"), None);
        assert_eq!(line_value("  privileged:", "privileged"), None);
        assert_eq!(line_value("", "privileged"), None);
    }

    use super::*;

    #[test]
    fn kustomize_lines_without_origin_annotations() {
        let built = "\
apiVersion: v1
kind: Pod
metadata:
  annotations:
    config.kubernetes.io/origin: |
      path: pod.yaml
  name: a
spec:
  x: 1
---
kind: Pod
metadata:
  annotations:
    keep: me
    config.kubernetes.io/origin: |
      path: b.yaml
  name: b
";
        let before = origin_lines_before(built);
        // `name: a` is line 7 here and line 4 without the annotation.
        assert_eq!(plain_kustomize_line(&before, 7), 4);
        assert_eq!(plain_kustomize_line(&before, 9), 6);
        // The second object keeps its `annotations:` (it has another one).
        assert_eq!(plain_kustomize_line(&before, 17), 12);
        assert_eq!(plain_kustomize_line(&before, 99), 99);
    }

    const DEPLOY: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
        - name: sidecar
          image: busybox
          securityContext:
            privileged: true
      initContainers:
        {{- include "app.init" . | nindent 8 }}
"#;

    const HELPERS: &str = r#"{{- define "app.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name }}
{{- end }}
{{- define "app.init" -}}
- name: init
  image: busybox
  securityContext:
    runAsUser: 0
{{- end }}
"#;

    fn keys(p: &str) -> Vec<String> {
        path_keys(p)
    }

    #[test]
    fn literal_key_and_ancestor() {
        let o = Outline::parse(DEPLOY);
        let none = |_: &str| None;
        let hit = locate(
            &o,
            &keys("spec.template.spec.containers[1].securityContext.privileged"),
            Some(("sidecar", 1)),
            &none,
            0,
        )
        .unwrap();
        assert_eq!(hit.span.start, Pos::new(20, 13));
        assert_eq!(hit.matched, hit.wanted);
        let hit = locate(
            &o,
            &keys("spec.template.spec.containers[0].securityContext.runAsUser"),
            Some(("web", 0)),
            &none,
            0,
        )
        .unwrap();
        assert_eq!(hit.span.start, Pos::new(15, 11));
        assert_eq!(hit.matched, 5);
        let hit = locate(
            &o,
            &keys("spec.template.spec.securityContext.runAsUser"),
            None,
            &none,
            0,
        )
        .unwrap();
        assert_eq!(hit.span.start, Pos::new(9, 7));
    }

    #[test]
    fn include_continues_into_define() {
        let o = Outline::parse(DEPLOY);
        let h = Outline::parse(HELPERS);
        let defines = |name: &str| h.define_outline(name);
        let hit = locate(
            &o,
            &keys("spec.template.spec.initContainers[0].securityContext.runAsUser"),
            Some(("init", 0)),
            &defines,
            0,
        )
        .unwrap();
        assert_eq!(hit.span.start, Pos::new(8, 5));
        assert_eq!(hit.matched, hit.wanted);
    }

    const RANGE: &str = r#"spec:
  template:
    spec:
      containers:
        {{- range .Values.containers }}
        - name: {{ .name }}
          securityContext:
            {{- toYaml .securityContext | nindent 12 }}
        {{- end }}
        - name: fixed
          image: busybox
        {{- include "app.debug" . | nindent 8 }}
"#;

    const DEBUG: &str = r#"{{- define "app.debug" -}}
- name: debug
  securityContext:
    privileged: true
{{- end }}
"#;

    #[test]
    fn containers_from_range_and_include() {
        let o = Outline::parse(RANGE);
        let h = Outline::parse(DEBUG);
        let defines = |name: &str| h.define_outline(name);
        let field = "spec.template.spec.containers[2].securityContext.privileged";
        // The debug container comes from the include: its define has the literal line.
        let hit = locate(&o, &keys(field), Some(("debug", 2)), &defines, 0).unwrap();
        assert_eq!((hit.span.start, hit.matched), (Pos::new(4, 5), 6));
        // A container from the range: the `securityContext:` line of the range item.
        let hit = locate(&o, &keys(field), Some(("sidecar", 1)), &defines, 0).unwrap();
        assert_eq!((hit.span.start, hit.matched), (Pos::new(7, 11), 5));
        // The literal container `fixed` has no securityContext: its item is the nearest.
        let hit = locate(&o, &keys(field), Some(("fixed", 1)), &defines, 0).unwrap();
        assert_eq!(hit.span.start.line, 10);
    }

    #[test]
    fn a_deeper_key_of_another_literal_container_is_not_a_candidate() {
        // `beta` has runAsUser; the templated container only has `securityContext:`. Its
        // missing runAsUser belongs on its own `securityContext:` line, not on `containers:`.
        let t = r#"spec:
  template:
    spec:
      containers:
        - name: beta
          securityContext:
            runAsUser: 20000
        - name: {{ .Release.Name }}
          securityContext:
            runAsGroup: 20000
"#;
        let o = Outline::parse(t);
        let none = |_: &str| None;
        let field = "spec.template.spec.containers[1].securityContext.runAsUser";
        let hit = locate(&o, &keys(field), Some(("release-name", 1)), &none, 0).unwrap();
        assert_eq!((hit.span.start, hit.matched), (Pos::new(9, 11), 5));
        // `beta` itself still gets its own line.
        let field = "spec.template.spec.containers[0].securityContext.runAsUser";
        let hit = locate(&o, &keys(field), Some(("beta", 0)), &none, 0).unwrap();
        assert_eq!((hit.span.start, hit.matched), (Pos::new(7, 13), 6));
    }

    #[test]
    fn a_template_with_several_documents_maps_into_the_right_one() {
        let t = r#"{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
{{- end }}
---
apiVersion: policy/v1beta1
kind: PodSecurityPolicy
metadata:
  name: {{ .Release.Name }}
"#;
        let o = Outline::parse(t);
        let none = |_: &str| None;
        // The second rendered document of the template.
        let doc = o.document(1, "PodSecurityPolicy").unwrap();
        let hit = locate(&doc, &keys("kind"), None, &none, 0).unwrap();
        assert_eq!(hit.span.start, Pos::new(9, 1));
        // The ServiceAccount was left out by its condition: the PSP is the first rendered
        // document, and the only one of its kind.
        let doc = o.document(0, "PodSecurityPolicy").unwrap();
        let hit = locate(&doc, &keys("kind"), None, &none, 0).unwrap();
        assert_eq!(hit.span.start, Pos::new(9, 1));
        let doc = o.document(0, "ServiceAccount").unwrap();
        let hit = locate(&doc, &keys("metadata.name"), None, &none, 0).unwrap();
        assert_eq!(hit.span.start, Pos::new(5, 3));
        // A template with one document (here after a leading `---`) needs no choice.
        assert!(Outline::parse("---\nkind: Pod\n")
            .document(0, "Pod")
            .is_none());
    }

    #[test]
    fn source_paths_that_leave_the_chart_are_rejected() {
        use crate::safepath::Rejected;
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let chart = root.join("chart");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("templates/a.yaml"), "kind: Pod\n").unwrap();
        std::fs::write(root.join("other.yaml"), "kind: Pod\n").unwrap();
        let templates = Templates::new(vec![root.clone()]);
        let resolve = |s: &str| resolve_template(s, Some(&chart), &[], &templates);
        assert_eq!(
            resolve("web/templates/a.yaml").map(|(f, _)| f),
            Ok(chart.join("templates/a.yaml"))
        );
        assert_eq!(
            resolve("web/templates/../../other.yaml"),
            Err(Some(Rejected::Outside))
        );
        assert_eq!(resolve("../other.yaml"), Err(Some(Rejected::Outside)));
        assert_eq!(resolve("/etc/passwd"), Err(Some(Rejected::Absolute)));
        assert_eq!(resolve("web//etc/passwd"), Err(Some(Rejected::Absolute)));
        assert_eq!(resolve("web/templates/a\0.yaml"), Err(Some(Rejected::Odd)));
        assert_eq!(resolve("web/templates/missing.yaml"), Err(None));
        // Nothing is read without scan roots.
        let none = Templates::new(Vec::new());
        assert_eq!(
            resolve_template("web/templates/a.yaml", Some(&chart), &[], &none),
            Err(Some(Rejected::Outside))
        );
    }

    #[test]
    fn sources_are_read() {
        let s = helm_sources("---\n# Source: c/templates/a.yaml\napiVersion: v1\n");
        assert_eq!(s, vec![(2, "c/templates/a.yaml".to_string())]);
        // A template that prints its own `# Source:` (after helm's, or after `...`, or an
        // indented `---` that helm does not split at) names nothing.
        let s = helm_sources(
            "---\n# Source: c/templates/new.yaml\n# Source: c/templates/agent.yaml\nkind: Pod\n\
             ...\n# Source: c/templates/agent.yaml\n  ---\n# Source: c/templates/agent.yaml\n",
        );
        assert_eq!(s, vec![(2, "c/templates/new.yaml".to_string())]);
    }
}
