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

use std::path::{Path, PathBuf};

use crate::discover::Dir;
use crate::finding::{Finding, RenderedAt, Severity};
use crate::model::{Pos, Span};
use crate::render::{Render, Tool};

pub mod archive;
mod cache;
mod helm;
mod items;
mod kustomize;
mod locate;
mod outline;
#[cfg(test)]
mod tests;

pub use cache::Templates;
pub use helm::{helm_sources, map_helm};
pub use kustomize::{map_kustomize, origin_lines_before, plain_kustomize_line};
pub use locate::{locate, locate_items, path_keys, TemplateHit};
pub use outline::Outline;

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

/// Maps the findings of one render (`findings`, from scanning its output) back to templates
/// (helm) or source files (kustomize). A path of the output that was rejected adds a
/// `CLUSTERSEC_RENDER` finding at `render_severity` (none when that rule is off; see
/// [`notes_to_findings`]). The mapper reads texts and findings only: scanning is the caller's.
pub fn map_render(
    render: &Render,
    findings: &mut Vec<Finding>,
    charts: &[Dir],
    templates: &Templates,
    render_severity: Option<Severity>,
) {
    let text = render.output.as_deref().unwrap_or("");
    let notes = match render.tool {
        Tool::Helm => map_helm(
            text,
            findings,
            &MapContext {
                charts,
                templates,
                render_dir: Some(&render.dir),
                render_label: Some(&render.label),
                rendered_is_file: false,
                values: &render.values,
            },
        ),
        Tool::Kustomize => map_kustomize(text, findings, &render.dir, templates),
    };
    findings.extend(notes_to_findings(render_severity, notes));
    match render.tool {
        Tool::Helm => anchor_in_files(text, findings, render, templates),
        Tool::Kustomize => anchor_in_kustomization(findings, render),
    }
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
        f.rendered.push(RenderedAt::Kustomize {
            line,
            col: f.span.start.col,
            changed: None,
        });
        f.path = crate::render::join_display(&render.display, name).into();
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
        if !f
            .rendered
            .iter()
            .any(|r| r.is_helm_place(&f.path, f.span.start.line, f.span.start.col))
        {
            f.rendered.push(RenderedAt::Helm {
                label: Some(render.label.clone()),
                path: f.path.to_string(),
                line: f.span.start.line,
                col: f.span.start.col,
            });
        }
        f.path = crate::render::join_display(&render.display, "Chart.yaml").into();
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

/// `CLUSTERSEC_RENDER` findings for rejected paths, at the rule's severity (none when the rule
/// is disabled: `severity` is `None`).
pub fn notes_to_findings(severity: Option<Severity>, notes: Vec<PathNote>) -> Vec<Finding> {
    let id = crate::rules::render::Render::ID;
    let Some(severity) = severity else {
        return Vec::new();
    };
    notes
        .into_iter()
        .map(|n| {
            let mut f = Finding::new(id, n.span, n.message);
            f.severity = severity;
            f.path = n.path.into();
            f
        })
        .collect()
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
