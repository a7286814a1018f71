//! Mapping findings of rendered helm output to templates and values files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::discover::{display_path, Dir};
use crate::finding::{Finding, Related, RenderedAt};
use crate::model::{Pos, Span};

use super::locate::*;
use super::outline::Outline;
use super::{index, line_value, MapContext, PathNote, Templates};

/// The `# Source:` comments of rendered helm output: (1-based line, source path).
///
/// Only the comment helm writes counts: `# Source:` on the line right after a `---` line (helm
/// prints every manifest as `---`, `# Source: NAME`, content, and splits a template's output at
/// each `---` line of its own). A `# Source:` line anywhere else is template output, and a
/// template could use one to claim that its object comes from another template (and borrow
/// that template's reviewed `clustersec:ignore`).
///
/// Lines as [`str::lines`] splits them (at `\n`; a `\r` before it is not part of the line): the
/// text is searched for the comment, and only the lines where it occurs are looked at (a file
/// of helm output is mostly other lines).
pub fn helm_sources(text: &str) -> Vec<(u32, String)> {
    // The comment at the start of a line that is not the first.
    const COMMENT: &str = "\n# Source: ";
    let mut out = Vec::new();
    // The 1-based line that starts at byte `counted`.
    let (mut line, mut counted) = (1usize, 0usize);
    for newline in memchr::memmem::find_iter(text.as_bytes(), COMMENT) {
        let at = newline + 1;
        let (Some(previous), Some(after)) =
            (text.get(..newline), text.get(newline + COMMENT.len()..))
        else {
            continue;
        };
        let previous = previous.rsplit('\n').next().unwrap_or(previous);
        if previous.trim_end_matches('\r') != "---" {
            continue;
        }
        line += crate::model::lines::count_newlines(
            text.as_bytes().get(counted..at).unwrap_or_default(),
        );
        counted = at;
        let src = after.split('\n').next().unwrap_or(after);
        out.push((to_u32(line), src.trim().to_string()));
    }
    out
}

/// For each `# Source:` comment, how many comments of the same source come before it.
pub(super) fn source_ordinals(sources: &[(u32, String)]) -> Vec<usize> {
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
pub(super) fn resolve_template(
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
        if let Some(found) = aliased_subchart_template(&dir, rest, templates) {
            return Ok(found);
        }
    }
    Err(None)
}

/// `charts/ALIAS/templates/x.yaml` of a chart, when ALIAS is the alias (or the name) of a
/// dependency whose chart is unpacked in the chart's own `charts/` (a directory whose
/// Chart.yaml has the dependency's name, whatever the directory is called): that subchart's
/// template. Helm renders an aliased dependency under its alias, so the directory is found by
/// the chart's name.
pub(super) fn aliased_subchart_template(
    chart_dir: &Path,
    rest: &str,
    templates: &Templates,
) -> Option<(PathBuf, PathBuf)> {
    let (alias, inner) = subchart_part(rest)?;
    if !inner.starts_with("templates/") {
        return None;
    }
    let chart_yaml =
        crate::safepath::read_confined(&chart_dir.join("Chart.yaml"), templates.roots())?;
    // Helm names a subchart's output by its chart name (or alias), not by its directory.
    let name = super::archive::dependency_of(&chart_yaml, alias)
        .map_or_else(|| alias.to_string(), |(n, _)| n);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(chart_dir.join("charts"))
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    let dir = dirs
        .into_iter()
        .take(super::archive::MAX_ARCHIVES)
        .find(|d| templates.chart_name(d).as_deref() == Some(name.as_str()))?;
    let file = dir.join(inner);
    // Through symlinks, the template stays in the scan and in the chart (as in
    // [`resolve_template`], a rendered file kept in the tree must not borrow another file's
    // suppressions).
    let inside_chart = std::fs::canonicalize(chart_dir)
        .is_ok_and(|root| crate::safepath::confine(&file, std::slice::from_ref(&root)).is_ok());
    if !file.is_file()
        || !inside_chart
        || crate::safepath::confine(&file, templates.roots()).is_err()
    {
        return None;
    }
    Some((file, dir))
}

/// `charts/NAME/templates/x.yaml` of a chart we rendered, when NAME is a `file://` dependency
/// whose source directory is in the scanned tree (packaged into `charts/` by `helm dependency
/// build`): the source's template. The path comes from the chart's Chart.yaml, which is
/// scanned content: it must be clean text, lead to a chart of the dependency's name, and the
/// template must be under that chart's `templates/` and resolve inside the scan.
pub(super) fn file_dependency_template(
    render_dir: &Path,
    rest: &str,
    templates: &Templates,
) -> Option<(PathBuf, PathBuf)> {
    let (name, inner) = subchart_part(rest)?;
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

pub(super) fn owning_chart(template: &Path) -> Option<PathBuf> {
    let mut d = template.parent();
    while let Some(dir) = d {
        if dir.file_name().and_then(|n| n.to_str()) == Some("templates") {
            return dir.parent().map(Path::to_path_buf);
        }
        d = dir.parent();
    }
    None
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
    // The rendered lines, split once when a finding needs the names of its list items.
    let mut rendered_lines: Option<Vec<&str>> = None;
    for f in findings.iter_mut() {
        let line = f.span.start.line;
        // `sources` is in line order: the last one before the finding's line.
        let Some(at) = sources.partition_point(|(l, _)| *l < line).checked_sub(1) else {
            continue;
        };
        let Some((source_line, source)) = sources.get(at) else {
            continue;
        };
        let source_line = *source_line;
        let ordinal = ordinals.get(at).copied().unwrap_or(0);
        let rendered_at = RenderedAt::Helm {
            label: cx.render_label.map(str::to_string),
            path: f.path.to_string(),
            line: f.span.start.line,
            col: f.span.start.col,
        };
        let (template, chart_dir) = match resolve_template(
            source,
            cx.render_dir,
            cx.charts,
            cx.templates,
        ) {
            Ok(found) => found,
            Err(None) => {
                if !map_archived(f, source, ordinal, text, cx, cwd.as_deref()) {
                    f.mapping = Some(format!(
                        "rendered output; template {source} is not in the scanned tree"
                    ));
                }
                continue;
            }
            Err(Some(why)) => {
                let quoted = crate::safepath::quote(source);
                f.mapping = Some(format!(
                    "rendered output; the `# Source:` path {quoted} was rejected"
                ));
                if !notes.iter().any(|n| n.span.start.line == source_line) {
                    let width = text
                        .lines()
                        .nth(source_line.saturating_sub(1) as usize)
                        .map_or(1, |l| l.chars().count());
                    notes.push(PathNote {
                            path: f.path.to_string(),
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
        // A subchart renders under `charts/SEG/`, SEG its alias when it has one: `.Chart.Name`.
        let named = outline.with_chart_name(|| {
            dependency_segment(source)
                .map(str::to_string)
                .or_else(|| cx.templates.chart_name(&chart_dir))
        });
        let outline = named.as_ref().unwrap_or(outline);
        // Names written `{{ .Values.x.name }}` are what the render's values files set.
        let chart_name = cx.templates.chart_name(&chart_dir);
        let valued =
            super::items::with_value_names(outline, chart_name.as_deref(), &|path: &[String]| {
                let top = top_chart(source, cx);
                let sources =
                    values_sources(&chart_dir, top.as_deref(), dependency_segment(source), cx);
                crate::valuetrace::find(&sources, path, None, &cx.templates.values)
                    .filter(|h| h.matched == h.wanted)
                    .and_then(|h| h.scalar)
            });
        let outline = valued.as_ref().unwrap_or(outline);
        let (keys, container) = lookup(f);
        let defines = |name: &str| cx.templates.find_define(&chart_dir, name);
        let items = match f.field.as_ref() {
            Some(p) if super::items::has_named_lists(p) => {
                let lines = rendered_lines.get_or_insert_with(|| text.lines().collect());
                super::items::rendered_items(lines, f.span.start.line, p)
            }
            _ => Vec::new(),
        };
        let hit = locate_items(outline, &keys, container, &items, &defines, 0);
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
        let old_path = std::mem::replace(&mut f.path, template_display(&hit).into());
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
        // A message that names the finding's own line ("inherited from ... at line 85") names
        // the template's line now, so it reads right and is the same for every render.
        let to = f.span.start.line;
        for r in &mut f.line_refs {
            r.moved(old_span.start.line, to);
        }
        f.rendered.push(rendered_at);
        f.mapping = Some(how);
        keep_rendered_related(f, old_path.into(), old_span, cx.rendered_is_file);
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
                dependency_segment(source),
            ) {
                continue;
            }
            if define_values_list_item(
                f,
                &c,
                &hit,
                &keys,
                &chart_dir,
                top.as_deref(),
                cx,
                cwd.as_deref(),
                dependency_segment(source),
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
                dependency_segment(source),
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
pub(super) fn trace_values(
    f: &mut Finding,
    hit: &TemplateHit,
    file: &Path,
    keys: &[String],
    chart_dir: &Path,
    top: Option<&Path>,
    cx: &MapContext<'_>,
    cwd: Option<&Path>,
    rendered_line: &str,
    dep: Option<&str>,
) {
    let sources = values_sources(chart_dir, top, dep, cx);
    let Some((found, path)) = traced_value(f, hit, file, keys, sources, cx, rendered_line) else {
        return;
    };
    let container = f.container.clone();
    let template_path = std::mem::replace(&mut f.path, display_path(&found.file, cwd).into());
    let template_span = std::mem::replace(&mut f.span, found.span);
    // A message that names the template line as the finding's own names the values line now.
    let to = f.span.start.line;
    for r in &mut f.line_refs {
        r.moved(template_span.start.line, to);
    }
    f.mapping = Some(values_mapping(&found));
    f.related.insert(
        0,
        Related {
            path: Some(template_path.into()),
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
pub(super) fn values_list_item(
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
    dep: Option<&str>,
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
    let sources = values_sources(chart_dir, top, dep, cx);
    for list_key in outline.keys.iter().filter(|k| k.path.as_slice() == list) {
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
            f.path = display_path(&found.file, cwd).into();
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

/// [`values_list_item`] for a hit inside a `define` block (the pod spec of a `_helpers.tpl`
/// included under `spec:`): the container list is looked up in the define, with the lines of
/// its file for the values references around it.
#[allow(clippy::too_many_arguments)]
pub(super) fn define_values_list_item(
    f: &mut Finding,
    container: &str,
    hit: &TemplateHit,
    keys: &[String],
    chart_dir: &Path,
    top: Option<&Path>,
    cx: &MapContext<'_>,
    cwd: Option<&Path>,
    dep: Option<&str>,
) -> bool {
    let (Some(file), Some((name, base))) = (hit.file.as_deref(), hit.define.as_ref()) else {
        return false;
    };
    let Some(rest) = keys.get(*base..) else {
        return false;
    };
    let (Some(mut sub), Some(whole)) = (
        cx.templates.find_define(chart_dir, name),
        cx.templates.outline(file),
    ) else {
        return false;
    };
    // The define's key lines carry the file's line numbers: read the file's lines with them.
    sub.lines.clone_from(&whole.lines);
    let at_list = rest
        .iter()
        .position(|k| CONTAINER_LISTS.contains(&k.as_str()))
        .is_some_and(|ld| hit.matched <= base + ld + 1);
    values_list_item(
        f, container, &sub, rest, file, chart_dir, top, cx, cwd, at_list, dep,
    )
}

/// The values files that set a chart's values, in increasing precedence: its own
/// `values.yaml`; for a subchart (`PARENT/charts/NAME`), the parent's `values.yaml` under
/// `NAME.`; then the render's values files (under `NAME.` for a subchart of the rendered chart).
/// `dep` is the dependency's name in the parent's output (`PARENT/charts/DEP/templates/...`),
/// its alias when it has one: the parent sets its values under `DEP.`.
pub(super) fn values_sources(
    chart_dir: &Path,
    top: Option<&Path>,
    dep: Option<&str>,
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
        let name = dep.map(str::to_string).unwrap_or_else(|| {
            cx.templates.chart_name(chart_dir).unwrap_or_else(|| {
                chart_dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            })
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
pub(super) fn top_chart(source: &str, cx: &MapContext<'_>) -> Option<PathBuf> {
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
pub(super) fn subchart_parent(chart_dir: &Path) -> Option<PathBuf> {
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

/// The mapping note of a finding moved to a values line: the key it names, or the nearest key of
/// it that the values file has.
pub(super) fn values_mapping(found: &crate::valuetrace::ValuesHit) -> String {
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

/// The values path a template line renders (see [`crate::valuetrace`]) and the values file
/// that supplies it among `sources` (increasing precedence), when the rendered value is the
/// file's. A path under `global.` is also looked up without the subchart prefixes, after
/// every other source: the parent's globals win over the subchart's own.
#[allow(clippy::too_many_arguments)]
pub(super) fn traced_value(
    f: &Finding,
    hit: &TemplateHit,
    file: &Path,
    keys: &[String],
    mut sources: Vec<crate::valuetrace::Source>,
    cx: &MapContext<'_>,
    rendered_line: &str,
) -> Option<(crate::valuetrace::ValuesHit, Vec<String>)> {
    use crate::valuetrace::{find, values_ref, Source};
    let outline = cx.templates.outline(file)?;
    let line = index(hit.span.start.line);
    let col = (hit.span.start.col as usize).saturating_sub(1);
    let mut path = values_ref(&outline.lines, line, col)?;
    path.extend(keys.iter().skip(hit.matched).cloned());
    if path.first().is_some_and(|k| k == "global") {
        let globals: Vec<Source> = sources
            .iter()
            .filter(|s| !s.prefix.is_empty())
            .map(|s| Source {
                file: s.file.clone(),
                prefix: Vec::new(),
            })
            .collect();
        sources.extend(globals);
    }
    let found = find(
        &sources,
        &path,
        f.container.as_deref(),
        &cx.templates.values,
    )?;
    // The rendered value must be the values file's (a file kept in the tree may have been
    // rendered with other values than the chart's own).
    if let (Some(value), Some(key)) = (&found.scalar, keys.last()) {
        if let Some(rendered) = line_value(rendered_line, key) {
            let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).to_string();
            if unquote(&rendered) != unquote(value) {
                return None;
            }
        }
    }
    Some((found, path))
}

/// `SEG` of a dependency's output `CHART/charts/SEG/templates/...` (its alias or name).
pub(super) fn dependency_segment(source: &str) -> Option<&str> {
    let (_, rest) = source.split_once('/')?;
    let (seg, inner) = subchart_part(rest)?;
    (inner.split('/').next() == Some("templates") && !seg.is_empty()).then_some(seg)
}

/// A finding in the output of a dependency packaged as `charts/NAME-1.0.0.tgz` (see
/// [`super::archive`]): its template inside the archive is located as a template in the tree
/// is, and traced to `.Values`; the finding moves to the parent's values file that sets that
/// path under the dependency's alias or name (the last of the render's values files that sets
/// it, else the parent's `values.yaml`; the deepest key it has). The path of a finding is never
/// inside the archive: the archive's template line goes into the mapping. When the parent's
/// values have no key of the path, the finding stays for the caller's fallback (the
/// dependency's entry in Chart.yaml), the template line in its mapping. Returns false when the
/// output is not a packaged dependency's.
fn map_archived(
    f: &mut Finding,
    source: &str,
    ordinal: usize,
    text: &str,
    cx: &MapContext<'_>,
    cwd: Option<&Path>,
) -> bool {
    use crate::valuetrace::{dotted, Source};
    let Some(seg) = dependency_segment(source) else {
        return false;
    };
    let Some(inner) = source.splitn(4, '/').nth(3) else {
        return false;
    };
    let Some(top) = top_chart(source, cx) else {
        return false;
    };
    let archived = match cx.templates.archived_chart(&top, seg, cx.charts) {
        Ok(Some(a)) => a,
        Ok(None) => return false,
        Err((file, why)) => {
            f.mapping = Some(format!(
                "rendered output; template {source} is in {}, which was not read: {}",
                display_path(&file, cwd),
                why.describe()
            ));
            return true;
        }
    };
    let archive_shown = display_path(&archived.file, cwd);
    let template = archived.dir.join(inner);
    let Some(whole) = cx.templates.outline(&template) else {
        f.mapping = Some(format!(
            "rendered output; template {source} is not in {archive_shown}"
        ));
        return true;
    };
    let kind = f.object.as_ref().map_or("", |o| o.kind.as_str());
    let document = whole.document(ordinal, kind);
    let outline = document.as_ref().unwrap_or(&whole);
    let named = outline.with_chart_name(|| cx.templates.chart_name(&archived.dir));
    let outline = named.as_ref().unwrap_or(outline);
    let (keys, container) = lookup(f);
    let defines = |name: &str| cx.templates.find_define(&archived.dir, name);
    let Some(hit) = locate(outline, &keys, container, &defines, 0).filter(|h| h.matched > 0) else {
        f.mapping = Some(format!(
            "rendered output; no key of `{}` is literal in template {inner} of {archive_shown}",
            f.field.as_deref().unwrap_or("kind"),
        ));
        return true;
    };
    let file = hit.file.clone().unwrap_or_else(|| template.clone());
    let in_archive = format!(
        "{}/{}:{} of {archive_shown}",
        archived.top,
        file.strip_prefix(&archived.dir).map_or_else(
            |_| inner.to_string(),
            |p| p.to_string_lossy().replace('\\', "/")
        ),
        hit.span.start.line
    );
    let container_line = hit.matched < hit.wanted
        && keys
            .get(hit.matched.wrapping_sub(1))
            .is_some_and(|k| CONTAINER_LISTS.contains(&k.as_str()));
    let rendered_line = text
        .lines()
        .nth(index(f.span.start.line))
        .unwrap_or("")
        .to_string();
    let mut sources = vec![Source {
        file: top.join("values.yaml"),
        prefix: vec![seg.to_string()],
    }];
    if cx.render_dir.is_some() {
        sources.extend(cx.values.iter().map(|v| Source {
            file: v.clone(),
            prefix: vec![seg.to_string()],
        }));
    }
    let traced = (!container_line)
        .then(|| traced_value(f, &hit, &file, &keys, sources, cx, &rendered_line))
        .flatten();
    let Some((found, path)) = traced else {
        f.mapping = Some(format!(
            "rendered output; template line {in_archive}, whose value the parent's values do not set under `{seg}.`"
        ));
        return true;
    };
    let rendered_at = RenderedAt::Helm {
        label: cx.render_label.map(str::to_string),
        path: f.path.to_string(),
        line: f.span.start.line,
        col: f.span.start.col,
    };
    let old_path = std::mem::replace(&mut f.path, display_path(&found.file, cwd).into());
    let old_span = std::mem::replace(&mut f.span, found.span);
    let to = f.span.start.line;
    for r in &mut f.line_refs {
        r.moved(old_span.start.line, to);
    }
    f.rendered.push(rendered_at);
    f.mapping = Some(format!(
        "{}; rendered from `.Values.{}` by template line {in_archive}",
        values_mapping(&found),
        dotted(&path, f.container.as_deref())
    ));
    keep_rendered_related(f, old_path.into(), old_span, cx.rendered_is_file);
    true
}

/// After a finding moved from rendered output to a template or values line: when the output is
/// a file, its related locations stay in that file and the rendered place comes first among
/// them; output rendered in memory has no file to point into, so related places in it go.
fn keep_rendered_related(
    f: &mut Finding,
    old_path: String,
    old_span: Span,
    rendered_is_file: bool,
) {
    if rendered_is_file {
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
        f.related.retain(|r| r.path.is_some());
    }
}

/// `charts/NAME/REST` of a path in a chart's output: NAME (a subchart's name or alias) and REST.
fn subchart_part(rest: &str) -> Option<(&str, &str)> {
    let mut parts = rest.splitn(3, '/');
    if parts.next()? != "charts" {
        return None;
    }
    Some((parts.next()?, parts.next()?))
}
