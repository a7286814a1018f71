//! Kustomize patches: which line of which patch sets a field of a built object.
//!
//! Kustomize's origin annotation names the resource file an object was read from, never the
//! patches applied to it. The patches are found from the built kustomization's own list
//! (`patches:` with `path:` or inline `patch:`, `patchesStrategicMerge:`, `patchesJson6902:`):
//! a strategic-merge patch of the object's kind and name that has the field's key literally, or
//! a JSON 6902 operation whose `path` is the field (or an ancestor of it, its `value` holding the
//! rest). Every file is read through [`crate::safepath::read_confined`]; a patch path must be a
//! clean relative path.

use crate::finding::{FieldPath, Segment};
use std::path::{Path, PathBuf};

use crate::model::yaml::{parse_stream, Node};
use crate::model::{Pos, Span};

/// Where a patch sets a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchHit {
    pub file: PathBuf,
    pub span: Span,
    /// `strategic merge` or `JSON 6902`.
    pub kind: &'static str,
}

/// One patch of a kustomization: its text, the file it is in, and where that text starts in
/// the file (line offset and column offset of an inline block scalar; 0 for a file).
struct Patch {
    text: String,
    file: PathBuf,
    /// The whole text of `file`.
    file_text: String,
    line_offset: u32,
    col_offset: u32,
    target_kind: Option<String>,
    target_name: Option<String>,
}

/// The patches of one kustomization, read and parsed once.
pub struct Patches {
    list: Vec<(Patch, crate::model::yaml::Stream)>,
}

/// Reads the patches of the kustomization in `dir` (only inside `roots`).
pub fn load(dir: &Path, roots: &[PathBuf]) -> Patches {
    Patches {
        list: patches(dir, roots)
            .into_iter()
            .map(|p| {
                let stream = parse_stream(&p.text);
                (p, stream)
            })
            .collect(),
    }
}

impl Patches {
    /// The patch line that sets `field` (`spec.template.spec.containers[0].securityContext.x`)
    /// of the object `kind`/`name` (as built: a `namePrefix` may have been added).
    /// `container` is the container's name, to match list items by name.
    pub fn find(
        &self,
        kind: &str,
        name: &str,
        field: &FieldPath,
        container: Option<&str>,
    ) -> Option<PatchHit> {
        find_in(&self.list, kind, name, field, container)
    }
}

fn find_in(
    patches: &[(Patch, crate::model::yaml::Stream)],
    kind: &str,
    name: &str,
    field: &FieldPath,
    container: Option<&str>,
) -> Option<PatchHit> {
    // Later patches win: look from the last.
    for (p, stream) in patches.iter().rev() {
        if let Some(k) = &p.target_kind {
            if k != kind {
                continue;
            }
        }
        if let Some(n) = &p.target_name {
            if !name.contains(n.as_str()) {
                continue;
            }
        }
        let Some(root) = stream.documents.first().and_then(|d| d.root.as_ref()) else {
            continue;
        };
        let hit = if root.as_seq().is_some() {
            json6902(root, field)
        } else {
            strategic(root, kind, name, field, container)
        };
        if let Some((span, what)) = hit {
            let start = Pos::new(
                span.start.line + p.line_offset,
                span.start.col + p.col_offset,
            );
            // To the end of the line, as other mappings do.
            let end_col = p
                .file_text
                .lines()
                .nth((start.line as usize).saturating_sub(1))
                .map(|l| u32::try_from(l.trim_end().chars().count() + 1).unwrap_or(u32::MAX))
                .filter(|c| *c > start.col)
                .unwrap_or(span.end.col + p.col_offset);
            let end = Pos::new(start.line, end_col);
            return Some(PatchHit {
                file: p.file.clone(),
                span: Span::new(start, end),
                kind: what,
            });
        }
    }
    None
}

/// A strategic-merge patch of this object: the entry of the field's deepest key, when the
/// patch has the whole path (list items matched by `name`, the container's for containers).
fn strategic(
    root: &Node,
    kind: &str,
    name: &str,
    field: &FieldPath,
    container: Option<&str>,
) -> Option<(Span, &'static str)> {
    if root.get("kind").and_then(Node::text) != Some(kind) {
        return None;
    }
    let patch_name = root.get("metadata")?.get("name")?.text()?;
    if !name.contains(patch_name) {
        return None;
    }
    let mut node = root;
    let mut last = None;
    for seg in field.segments() {
        if let Segment::Key(key) = seg {
            let e = node.get_entry(key)?;
            last = Some(e.key.span);
            node = &e.value;
        } else {
            // A list item: by the container's name for container lists, else by `name` is
            // unknown; only containers are matched.
            let want = container?;
            node = node
                .as_seq()?
                .iter()
                .find(|it| it.get("name").and_then(Node::text) == Some(want))?;
        }
    }
    let key = last?;
    Some((line_span(key), "strategic merge"))
}

/// A JSON 6902 patch: the `value` of the operation whose `path` is the field, or the key inside
/// the `value` of an operation on an ancestor.
fn json6902(root: &Node, field: &FieldPath) -> Option<(Span, &'static str)> {
    let pointer: Vec<String> = field
        .segments()
        .iter()
        .map(|seg| match seg {
            Segment::Key(k) => k.clone(),
            Segment::Index(i) => i.to_string(),
        })
        .collect();
    for op in root.as_seq()?.iter().rev() {
        let kind = op.get("op").and_then(Node::text).unwrap_or("");
        if !matches!(kind, "add" | "replace") {
            continue;
        }
        let Some(path_entry) = op.get_entry("path") else {
            continue;
        };
        let Some(path) = path_entry.value.text() else {
            continue;
        };
        let segs: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        if !pointer.starts_with(&segs) {
            continue;
        }
        let Some(value) = op.get_entry("value") else {
            return Some((line_span(path_entry.key.span), "JSON 6902"));
        };
        if segs.len() == pointer.len() {
            return Some((line_span(value.key.span), "JSON 6902"));
        }
        // Inside the value.
        let mut node = &value.value;
        let mut last = value.key.span;
        for seg in pointer.iter().skip(segs.len()) {
            if let Ok(i) = seg.parse::<usize>() {
                match node.as_seq().and_then(|s| s.get(i)) {
                    Some(n) => node = n,
                    None => break,
                }
                continue;
            }
            match node.get_entry(seg) {
                Some(e) => {
                    last = e.key.span;
                    node = &e.value;
                }
                None => return None,
            }
        }
        return Some((line_span(last), "JSON 6902"));
    }
    None
}

/// The key (widened to the end of its line by [`find`]).
fn line_span(key: Span) -> Span {
    key
}

/// The patches of the kustomization in `dir`, in order.
fn patches(dir: &Path, roots: &[PathBuf]) -> Vec<Patch> {
    let mut out = Vec::new();
    let Some((kfile, ktext)) = crate::discover::KUSTOMIZATION_NAMES.iter().find_map(|n| {
        let f = dir.join(n);
        crate::safepath::read_confined(&f, roots).map(|t| (f, t))
    }) else {
        return out;
    };
    let stream = parse_stream(&ktext);
    let Some(root) = stream.documents.first().and_then(|d| d.root.as_ref()) else {
        return out;
    };
    let read = |rel: &str| -> Option<(PathBuf, String)> {
        crate::safepath::check_relative(rel).ok()?;
        let f = crate::render::lexical_normalize(&dir.join(rel));
        crate::safepath::read_confined(&f, roots).map(|t| (f, t))
    };
    for key in ["patchesStrategicMerge", "patchesJson6902", "patches"] {
        let Some(items) = root.get(key).and_then(Node::as_seq) else {
            continue;
        };
        for item in items {
            // `patchesStrategicMerge: [file.yaml]`
            if let Some(rel) = item.text() {
                if let Some((file, text)) = read(rel) {
                    out.push(Patch {
                        file_text: text.clone(),
                        text,
                        file,
                        line_offset: 0,
                        col_offset: 0,
                        target_kind: None,
                        target_name: None,
                    });
                }
                continue;
            }
            let target = item.get("target");
            let target_kind = target
                .and_then(|t| t.get("kind"))
                .and_then(Node::text)
                .map(str::to_string);
            let target_name = target
                .and_then(|t| t.get("name"))
                .and_then(Node::text)
                .map(str::to_string);
            if let Some(rel) = item.get("path").and_then(Node::text) {
                if let Some((file, text)) = read(rel) {
                    out.push(Patch {
                        file_text: text.clone(),
                        text,
                        file,
                        line_offset: 0,
                        col_offset: 0,
                        target_kind,
                        target_name,
                    });
                }
            } else if let Some(entry) = item.get_entry("patch") {
                let Some(text) = entry.value.text() else {
                    continue;
                };
                // A block scalar (`patch: |-`): its lines start on the line after the key, at
                // the indentation of its first line.
                let key_line = entry.key.span.start.line;
                let first = ktext
                    .lines()
                    .skip(key_line as usize)
                    .find(|l| !l.trim().is_empty());
                let Some(first) = first else { continue };
                if entry.value.span.start.line == key_line
                    && !ktext
                        .lines()
                        .nth(key_line.saturating_sub(1) as usize)
                        .is_some_and(|l| l.trim_end().ends_with(['|', '>', '-', '+']))
                {
                    // A one-line or quoted patch: positions cannot be mapped.
                    continue;
                }
                let indent = first.chars().take_while(|c| *c == ' ').count();
                let blank_before = ktext
                    .lines()
                    .skip(key_line as usize)
                    .take_while(|l| l.trim().is_empty())
                    .count();
                out.push(Patch {
                    text: text.to_string(),
                    file: kfile.clone(),
                    file_text: ktext.clone(),
                    line_offset: key_line + u32::try_from(blank_before).unwrap_or(0),
                    col_offset: u32::try_from(indent).unwrap_or(0),
                    target_kind,
                    target_name,
                });
            }
        }
    }
    out
}
