//! Mapping findings of `kustomize build` output to the files named by origin annotations.

use std::path::Path;

use crate::discover::display_path;
use crate::finding::{FieldPath, Finding, Related, RenderedAt};
use crate::model::yaml::Node;
use crate::model::Span;

use super::locate::*;
use super::outline::Outline;
use super::{index, line_value, PathNote, Templates};

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
    // Nothing to map (most renders of CustomResourceDefinitions): the output is not parsed.
    if findings.is_empty() {
        return notes;
    }
    let wanted: std::collections::BTreeSet<usize> = findings
        .iter()
        .filter_map(|f| f.object.as_ref().map(|o| o.document))
        .collect();
    // The lean parse leaves out only the schemas of CustomResourceDefinition documents (see
    // `crate::model::yaml::lean`): every other document's tree is the full parse's, so it is
    // used unless a finding is on such a document (the CRDs of a rendered install are most
    // of its bytes, and seldom have findings).
    let lean = !findings.iter().any(|f| {
        f.object
            .as_ref()
            .is_some_and(|o| o.kind == "CustomResourceDefinition")
    });
    let documents = documents_at(text, &wanted, lean);
    let cwd = std::env::current_dir().ok();
    let patches = crate::kpatch::load(dir, templates.roots());
    let origin_before = origin_lines_before(text);
    // Only a related location in the output needs it, and only the outline of its document
    // (the outline of a whole build output of several MB cost more than the rest of the
    // mapping, and was the run's memory peak).
    let rendered_outline = DocOutlines::new(text);
    for f in findings.iter_mut() {
        let Some(obj) = &f.object else { continue };
        let Some(doc) = documents.get(&obj.document) else {
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
                        path: f.path.to_string(),
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
        // The patches of the build that apply to this object (see `crate::kpatch`).
        let object = f.object.clone();
        let source = file.clone();
        let patch_of = |field: &FieldPath| -> Option<crate::kpatch::PatchHit> {
            let o = object.as_ref()?;
            patches.find(
                &crate::kpatch::Object {
                    api_version: &o.api_version,
                    kind: &o.kind,
                    name: &o.name,
                    source: &source,
                    built: node?,
                },
                field,
            )
        };
        let patch_display = |p: &crate::kpatch::PatchHit| {
            display_path(&crate::render::lexical_normalize(&p.file), cwd.as_deref())
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
        // A key set by a patch goes to the patch's line.
        let old_line = f.span.start.line;
        let mut renamed: Vec<(u32, Option<(String, Span)>)> = Vec::new();
        let mut related = Vec::new();
        for r in std::mem::take(&mut f.related) {
            if r.path.is_some() {
                related.push(r);
                continue;
            }
            let line = r.span.start.line;
            let by_patch = node
                .and_then(|n| field_at_line(n, line))
                // A list item's `- name:` line is the item's, not a patched key's.
                .filter(|p| !p.as_str().ends_with("].name"))
                .and_then(|p| patch_of(&p))
                .filter(|p| p.nearest.is_none())
                .map(|p| (patch_display(&p), p.span));
            let moved = by_patch.or_else(|| {
                rendered_outline
                    .key_path(line)
                    .and_then(|p| {
                        locate(&outline, &p, container, &|_| None, 0)
                            .filter(|h| h.matched == h.wanted)
                    })
                    .map(|h| (display.clone(), h.span))
            });
            renamed.push((line, moved.clone()));
            if let Some((path, span)) = moved {
                related.push(Related {
                    path: Some(path),
                    span,
                    message: r.message,
                });
            }
        }
        f.related = related.into();
        // A patch that has only an ancestor of a field the build lacks: when it has more of
        // its keys than the resource file.
        let source_depth = hit.as_ref().map_or(0, |h| h.matched);
        let patch = f
            .field
            .as_ref()
            .and_then(patch_of)
            .filter(|p| p.nearest.is_none_or(|d| d > source_depth));
        match hit.filter(|h| h.matched > 0) {
            Some(hit) => {
                let (line, col) = (f.span.start.line, f.span.start.col);
                // A value kustomize rewrote (`privileged: yes` written back as `"yes"`): the
                // user reads their source, so say what the API server gets instead.
                let changed = keys
                    .last()
                    .filter(|_| hit.matched == hit.wanted && patch.is_none())
                    .and_then(|key| {
                        let line = |text: Option<&str>| text.and_then(|l| line_value(l, key));
                        let out = line(rendered_outline.line(index(f.span.start.line)));
                        let src = line(
                            outline
                                .lines
                                .get(index(hit.span.start.line))
                                .map(String::as_str),
                        );
                        out.zip(src).filter(|(o, s)| o != s)
                    })
                    .map(|(out, src)| (src, out));
                f.rendered
                    .push(RenderedAt::Kustomize { line, col, changed });
                f.mapping = Some(if hit.matched == hit.wanted {
                    "kustomize source line of the key".to_string()
                } else {
                    "kustomize source line of the nearest key the source has".to_string()
                });
                f.path = display.as_str().into();
                f.span = hit.span;
            }
            None => {
                f.mapping = Some(format!("kustomize output; from {display}"));
            }
        }
        // The message names lines of the build output: the patch's or the source's instead,
        // or none.
        let own = match &patch {
            Some(p) => Some((patch_display(p), p.span)),
            None => (f.path == display).then(|| (display.clone(), f.span)),
        };
        renamed.push((old_line, own.clone()));
        let final_path = own.as_ref().map_or(f.path.to_string(), |(p, _)| p.clone());
        for r in &mut f.line_refs {
            if r.removed || r.file.is_some() {
                continue;
            }
            if let Some((_, to)) = renamed.iter().find(|(from, _)| *from == r.line) {
                match to {
                    // Named with its file when it is not the finding's.
                    Some((path, span)) => {
                        r.line = span.start.line;
                        if *path != final_path {
                            r.file = Some(path.clone());
                        }
                    }
                    None => r.removed = true,
                }
            }
        }
        // The output line as `kubectl kustomize` prints it (without origin annotations).
        for r in &mut f.rendered {
            if let RenderedAt::Kustomize { line, .. } = r {
                if *line == old_line {
                    *line = plain(old_line);
                }
            }
        }
        if let Some(p) = patch {
            let patch_display = patch_display(&p);
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
            f.path = patch_display.into();
            f.span = p.span;
            f.mapping = Some(match p.nearest {
                None => format!("kustomize {} patch line that sets the key", p.kind),
                Some(_) => format!(
                    "kustomize {} patch line of the nearest key the patch has",
                    p.kind
                ),
            });
        }
    }
    notes
}

/// The field path (keys and list indices) from an object's root to the key on a 1-based line,
/// or to the list item that starts on it.
fn field_at_line(root: &Node, line: u32) -> Option<FieldPath> {
    let mut text = String::new();
    let mut node = root;
    for _ in 0..crate::model::yaml::MAX_DEPTH {
        let contains = |n: &Node| n.span.start.line <= line && line <= n.span.end.line;
        if let Some(entries) = node.entries() {
            if let Some(e) = entries.iter().rev().find(|e| e.key.span.start.line == line) {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(e.key_str());
                return Some(FieldPath::parse(&text));
            }
            let e = entries.iter().rev().find(|e| contains(&e.value))?;
            if !text.is_empty() {
                text.push('.');
            }
            text.push_str(e.key_str());
            node = &e.value;
        } else if let Some(items) = node.as_seq() {
            let (i, item) = items.iter().enumerate().find(|(_, n)| contains(n))?;
            text.push_str(&format!("[{i}]"));
            node = item;
        } else {
            return None;
        }
    }
    None
}

/// Outlines of a text's parts between the lines an [`Outline`] resets at (`---`, indented or
/// not), each built when first needed: the key path of a line in its part's outline is the
/// one in the whole text's outline, since nothing before a reset line changes a path after it.
struct DocOutlines<'a> {
    text: &'a str,
    /// Byte offset of each line's start, and the 0-based indexes of the reset lines
    /// (ascending): read on first use.
    lines: std::cell::OnceCell<(Vec<usize>, Vec<usize>)>,
    /// By first line of the part.
    outlines: std::cell::RefCell<std::collections::HashMap<usize, Outline>>,
}

impl<'a> DocOutlines<'a> {
    fn new(text: &'a str) -> DocOutlines<'a> {
        DocOutlines {
            text,
            lines: std::cell::OnceCell::new(),
            outlines: Default::default(),
        }
    }

    fn lines(&self) -> &(Vec<usize>, Vec<usize>) {
        self.lines.get_or_init(|| {
            let mut starts = Vec::new();
            let mut markers = Vec::new();
            let mut at = 0;
            for (i, line) in self.text.split_inclusive('\n').enumerate() {
                starts.push(at);
                at += line.len();
                if line.trim() == "---" {
                    markers.push(i);
                }
            }
            (starts, markers)
        })
    }

    /// The 0-based line `i` of the text, as `text.lines().nth(i)` gives it (without reading
    /// the text up to it again for each finding).
    fn line(&self, i: usize) -> Option<&'a str> {
        let (starts, _) = self.lines();
        let from = *starts.get(i)?;
        let to = starts.get(i + 1).copied().unwrap_or(self.text.len());
        let line = self.text.get(from..to)?;
        let Some(line) = line.strip_suffix('\n') else {
            return Some(line);
        };
        Some(line.strip_suffix('\r').unwrap_or(line))
    }

    /// The key path of a 1-based line in the whole text's outline, from the outline of the
    /// line's part.
    fn key_path(&self, line: u32) -> Option<Vec<String>> {
        let i = index(line);
        let (starts, markers) = self.lines();
        if i >= starts.len() {
            return None;
        }
        let after = markers.partition_point(|m| *m < i);
        let first = match after.checked_sub(1) {
            Some(m) => markers.get(m)? + 1,
            None => 0,
        };
        let end = markers
            .iter()
            .skip(after)
            .find(|m| **m > i)
            .copied()
            .unwrap_or(starts.len());
        let from = *starts.get(first)?;
        let to = starts.get(end).copied().unwrap_or(self.text.len());
        let mut outlines = self.outlines.borrow_mut();
        let outline = outlines
            .entry(first)
            .or_insert_with(|| Outline::parse(self.text.get(from..to).unwrap_or("")));
        let local = i - first;
        outline
            .keys
            .iter()
            .find(|k| k.line == local)
            .map(|k| k.path.clone())
    }
}

/// The documents of a build output at the given positions in [`crate::model::yaml::parse_stream`]'s
/// list, parsed one at a time and the others dropped at once (an output of several MB of
/// CustomResourceDefinitions is never held as one tree); the whole stream's when the output
/// has a syntax error (recovery needs the whole text).
fn documents_at(
    text: &str,
    wanted: &std::collections::BTreeSet<usize>,
    lean: bool,
) -> std::collections::BTreeMap<usize, crate::model::yaml::Document> {
    let mut kept = std::collections::BTreeMap::new();
    let mut position = 0usize;
    let complete = crate::model::yaml::each_document(text, lean, &mut |doc, _| {
        if wanted.contains(&position) {
            kept.insert(position, doc);
        }
        position += 1;
    });
    if complete {
        return kept;
    }
    crate::model::yaml::parse_stream(text)
        .documents
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .collect()
}

/// For each 0-based line of a `kustomize build` output with origin annotations, how many lines
/// before it `kubectl kustomize` (without them) does not print: the lines of
/// `config.kubernetes.io/origin: |` blocks, and an `annotations:` key that holds nothing else.
pub fn origin_lines_before(text: &str) -> Vec<u32> {
    const ORIGIN_KEY: &str = "config.kubernetes.io/origin:";
    let lines: Vec<&str> = text.lines().collect();
    let ind = |l: &str| l.len() - l.trim_start().len();
    let mut skipped = vec![false; lines.len()];
    // Only a line holding the key can start a block: the lines of the key's occurrences (a
    // line of `text.lines()` is the text between two `\n`), in order, instead of every line
    // of an output of several MB trimmed and compared.
    let mut newlines_before = 0usize;
    let mut counted_to = 0usize;
    let candidates = text.match_indices(ORIGIN_KEY).map(|(at, _)| {
        newlines_before += text
            .as_bytes()
            .get(counted_to..at)
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
        counted_to = at;
        newlines_before
    });
    let mut next_free = 0;
    for i in candidates {
        if i < next_free {
            continue;
        }
        let Some(l) = lines.get(i) else { break };
        if !l.trim_start().starts_with(ORIGIN_KEY) {
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
        next_free = j;
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

#[cfg(test)]
mod doc_outline_tests {
    use super::*;

    #[test]
    fn a_part_outline_gives_the_whole_outline_key_paths() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    config.kubernetes.io/origin: |\n      path: x.yaml\ndata:\n  script: |\n    a: b\n    ---\n    c: d\n  other: e\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n        ports:\n        - containerPort: 80\n---  \r\nkind: Last\nlist:\n- a: 1\n  b: 2\n";
        let whole = Outline::parse(text);
        let parts = DocOutlines::new(text);
        let lines = text.lines().count() as u32;
        for line in 0..=lines + 2 {
            let want = whole
                .keys
                .iter()
                .find(|k| k.line == index(line))
                .map(|k| k.path.clone());
            assert_eq!(parts.key_path(line), want, "line {line}");
            let i = index(line);
            assert_eq!(parts.line(i), text.lines().nth(i), "line {line}");
        }
    }
}

#[cfg(test)]
mod origin_lines_tests {
    use super::*;

    /// The line-by-line reading this module had before it looked only at the key's lines.
    fn every_line(text: &str) -> Vec<u32> {
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
                skipped[k] = true;
            }
            for s in skipped.iter_mut().take(j).skip(i) {
                *s = true;
            }
            i = j;
        }
        let mut n = 0;
        skipped
            .into_iter()
            .map(|s| {
                let before = n;
                n += u32::from(s);
                before
            })
            .collect()
    }

    #[test]
    fn only_the_key_lines_are_read_with_the_same_counts() {
        let pieces = [
            "apiVersion: v1\n",
            "metadata:\n",
            "  annotations:\n",
            "    config.kubernetes.io/origin: |\n",
            "      path: a.yaml\n",
            "      ref: x\n",
            "    other: 1\n",
            "config.kubernetes.io/origin: x\n",
            "  x: config.kubernetes.io/origin: y\n",
            "    config.kubernetes.io/origin: |\r\n",
            "      path: b.yaml\r\n",
            "\n",
            "   \n",
            "---\n",
            "\u{a0}config.kubernetes.io/origin: z\n",
            "  config.kubernetes.io/origin:config.kubernetes.io/origin:\n",
            "data: é\n",
        ];
        // Every text of up to four pieces, with and without a final line break.
        let n = pieces.len();
        for a in 0..n {
            for b in 0..n {
                for c in 0..n {
                    for d in 0..n {
                        let text: String = [a, b, c, d].iter().map(|i| pieces[*i]).collect();
                        assert_eq!(origin_lines_before(&text), every_line(&text), "{text:?}");
                        let cut = text.trim_end_matches('\n');
                        assert_eq!(origin_lines_before(cut), every_line(cut), "{cut:?}");
                    }
                }
            }
        }
    }
}
