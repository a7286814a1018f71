//! A whole run: discovered files, scanned in parallel, into one sorted report.

use std::collections::BTreeMap;
use std::io::Read;

use rayon::prelude::*;

use crate::discover::{Candidate, Dir, Discovery, Input};
use crate::engine::{Engine, FileReport};
use crate::finding::Finding;
use crate::render;
use crate::report::Report;
use crate::sourcemap::{self, MapContext, Templates};

/// One file's report, findings and (when it has findings) text.
type Scanned = (FileReport, Vec<Finding>, Option<String>);

/// Scans every candidate in parallel; the report is sorted, so it does not depend on scheduling.
pub fn scan(engine: &Engine, discovery: Discovery, max_file_size: u64) -> Report {
    scan_rendered(engine, discovery, max_file_size, &render::Run::default())
}

/// Scans every candidate and every successful render of `run` (see [`render::render_all`]).
pub fn scan_rendered(
    engine: &Engine,
    discovery: Discovery,
    max_file_size: u64,
    run: &render::Run,
) -> Report {
    scan_rendered_with(
        engine,
        discovery,
        max_file_size,
        run,
        &crate::suppress::config::Settings::default(),
    )
}

/// [`scan_rendered`], with the config file's suppressions (and "today", for their expiry).
pub fn scan_rendered_with(
    engine: &Engine,
    discovery: Discovery,
    max_file_size: u64,
    run: &render::Run,
    suppressions: &crate::suppress::config::Settings,
) -> Report {
    // Files named by scanned content (templates, origins, findings' paths) are read only from
    // inside the scan roots.
    let templates = Templates::new(discovery.roots.clone()).with_max_file_size(max_file_size);
    let excluded = discovery.excluded;
    let results = scan_candidates(engine, &discovery, max_file_size, &templates);
    let mut files = discovery.skipped;
    let mut findings = Vec::new();
    let mut sources = BTreeMap::new();
    // Files whose `clustersec:ignore` comments are judged for staleness (as template or not).
    let mut comment_files: Vec<(String, bool)> = Vec::new();
    collect_file_results(
        engine,
        run,
        results,
        &mut files,
        &mut findings,
        &mut sources,
        &mut comment_files,
    );
    let ok: Vec<&render::Render> = run.renders.iter().filter(|r| r.output.is_ok()).collect();
    let render_files = scan_renders(
        engine,
        run,
        &ok,
        &discovery.charts,
        &templates,
        &mut findings,
        &mut sources,
    );
    rendered_template_comments(&files, &ok, &templates, &mut comment_files, &mut sources);
    files.extend(render_files);
    findings.extend(render::findings(engine, run));
    findings.extend(render::unrendered::findings(engine, run));
    add_policy_findings(engine, &mut findings, &mut sources);
    let findings = render::merge_renders(findings);
    read_mapped_sources(&findings, &templates, &mut sources);
    let (findings, suppressed) =
        apply_suppressions(engine, suppressions, findings, &sources, &comment_files);
    Report::new(findings, files, engine.enabled_rules(), sources)
        .with_registry(engine.registry_arc())
        .with_excluded(excluded)
        .with_suppressed(suppressed)
        .with_rule_severities(
            engine
                .enabled_rules()
                .iter()
                .filter_map(|m| Some((m.id.clone(), engine.severity(&m.id)?))),
        )
}

/// Scans every candidate in parallel, largest first; the results are in discovery order.
fn scan_candidates(
    engine: &Engine,
    discovery: &Discovery,
    max_file_size: u64,
    templates: &Templates,
) -> Vec<Scanned> {
    // Largest files first, so that a file of several MB does not start last and leave the other
    // threads idle; the results go back to discovery order after.
    let mut order: Vec<usize> = (0..discovery.candidates.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(discovery.candidates.get(i).map_or(0, |c| c.size)));
    let mut results: Vec<(usize, Scanned)> = order
        .par_iter()
        .with_max_len(1)
        .filter_map(|&i| {
            let c = discovery.candidates.get(i)?;
            Some((
                i,
                scan_one(engine, c, max_file_size, &discovery.charts, templates),
            ))
        })
        .collect();
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Adds each scanned file's report, findings and (when needed) text; notes the files whose
/// comments are judged for staleness.
fn collect_file_results(
    engine: &Engine,
    run: &render::Run,
    results: Vec<Scanned>,
    files: &mut Vec<FileReport>,
    findings: &mut Vec<Finding>,
    sources: &mut BTreeMap<String, String>,
    comment_files: &mut Vec<(String, bool)>,
) {
    for (report, mut f, source) in results {
        if run.covered.contains(&report.path) {
            // Its objects were scanned through a kustomize build (mapped back to this file).
            f.retain(|f| {
                engine
                    .registry()
                    .meta(&f.rule)
                    .is_some_and(|m| m.scope == crate::rules::Scope::FileText)
            });
        }
        if let Some(s) = source {
            let marked = s.contains(crate::suppress::MARKER);
            // Helm output kept in the tree holds copies of its templates' comments; its findings
            // move to the templates, where the comments that count are.
            if marked && !s.contains("# Source: ") {
                comment_files.push((report.path.clone(), false));
            }
            if !f.is_empty() || marked {
                sources.insert(report.path.clone(), s);
            }
        }
        files.push(report);
        findings.append(&mut f);
    }
}

/// Scans every successful render, maps its findings back to their sources and returns one file
/// entry per rendered directory.
fn scan_renders(
    engine: &Engine,
    run: &render::Run,
    ok: &[&render::Render],
    charts: &[Dir],
    templates: &Templates,
    findings: &mut Vec<Finding>,
    sources: &mut BTreeMap<String, String>,
) -> Vec<FileReport> {
    let rendered: Vec<(FileReport, Vec<Finding>)> = run
        .renders
        .par_iter()
        .filter(|r| r.output.is_ok())
        .map(|r| {
            let (report, mut f) = engine.scan_text(&r.display, r.output.as_deref().unwrap_or(""));
            let render_severity = engine.severity(crate::rules::render::Render::ID);
            sourcemap::map_render(r, &mut f, charts, templates, render_severity);
            let name = r.name();
            for f in &mut f {
                f.renders = vec![name.clone()];
            }
            (report, f)
        })
        .collect();
    let mut render_files: Vec<FileReport> = Vec::new();
    for ((report, mut f), r) in rendered.into_iter().zip(ok) {
        // Snippets of findings left in the rendered text, unless the renders of a matrix differ
        // there (no snippet rather than another render's line).
        let text = r.output.as_deref().unwrap_or("");
        let same_text = ok
            .iter()
            .filter(|o| o.display == r.display)
            .all(|o| o.output.as_deref().unwrap_or("") == text);
        if same_text && f.iter().any(|f| f.path == r.display) {
            sources
                .entry(r.display.clone())
                .or_insert_with(|| text.to_string());
        }
        // One file entry per rendered directory, whatever the number of renders.
        match render_files.iter_mut().find(|x| x.path == report.path) {
            Some(x) => {
                x.documents += report.documents;
                x.objects += report.objects;
                x.bytes += report.bytes;
                if x.parse_error.is_none() {
                    x.parse_error = report.parse_error;
                }
                if x.status != report.status && report.status == crate::engine::FileStatus::Scanned
                {
                    x.status = report.status;
                }
            }
            None => render_files.push(report),
        }
        findings.append(&mut f);
    }
    render_files
}

/// The templates of charts that rendered: their comments can be judged.
fn rendered_template_comments(
    files: &[FileReport],
    ok: &[&render::Render],
    templates: &Templates,
    comment_files: &mut Vec<(String, bool)>,
    sources: &mut BTreeMap<String, String>,
) {
    for file in files {
        if file.status != crate::engine::FileStatus::Template {
            continue;
        }
        let rendered = ok.iter().any(|r| {
            r.tool == render::Tool::Helm
                && file
                    .path
                    .strip_prefix(r.display.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        if !rendered {
            continue;
        }
        if let Some(text) =
            crate::safepath::read_confined(std::path::Path::new(&file.path), templates.roots())
        {
            if text.contains(crate::suppress::MARKER) {
                comment_files.push((file.path.clone(), true));
                sources.entry(file.path.clone()).or_insert(text);
            }
        }
    }
}

/// Findings against the --policy file, with its text for snippets.
fn add_policy_findings(
    engine: &Engine,
    findings: &mut Vec<Finding>,
    sources: &mut BTreeMap<String, String>,
) {
    if let Some((path, text)) = engine.policy_source() {
        findings.extend(engine.policy_findings().iter().cloned());
        if !engine.policy_findings().is_empty() {
            sources.insert(path.to_string(), text.to_string());
        }
    }
}

/// Mapped findings point at templates: their text is needed for snippets and suppressions.
fn read_mapped_sources(
    findings: &[Finding],
    templates: &Templates,
    sources: &mut BTreeMap<String, String>,
) {
    for f in findings {
        if !sources.contains_key(&f.path) {
            if let Some(text) =
                crate::safepath::read_confined(std::path::Path::new(&f.path), templates.roots())
            {
                sources.insert(f.path.clone(), text);
            }
        }
    }
}

/// Applies the `clustersec:ignore` comments, the suppressions come with findings and the config
/// file's suppressions; adds the stale suppressions. Returns (findings, suppressed findings).
fn apply_suppressions(
    engine: &Engine,
    suppressions: &crate::suppress::config::Settings,
    findings: Vec<Finding>,
    sources: &BTreeMap<String, String>,
    comment_files: &[(String, bool)],
) -> (Vec<Finding>, Vec<Finding>) {
    let (findings, mut suppressed, used, parsed) =
        crate::suppress::apply_tracked(findings, sources, engine.registry());
    // Findings of a namespace's audit/warn labels, and of objects whose annotations suppress
    // them, come suppressed already: shown, not failing.
    let (preset, findings): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.suppression.is_some());
    suppressed.extend(preset);
    // Whether a rule ran, so that a suppression of it that matched nothing is stale.
    let ran = |id: &str| !engine.parse_only() && engine.severity(id).is_some();
    let (mut findings, mut stale) =
        crate::suppress::config::apply(suppressions, findings, &mut suppressed, ran);
    let stale_comments: Vec<Vec<Finding>> = comment_files
        .par_iter()
        .map(|(path, template)| match sources.get(path) {
            Some(text) => crate::suppress::stale_comments(
                path,
                text,
                *template,
                &used,
                parsed.get(path),
                engine.registry(),
                ran,
            ),
            None => Vec::new(),
        })
        .collect();
    stale.extend(stale_comments.into_iter().flatten());
    if let Some(sev) = engine.severity(crate::rules::stale_suppression::StaleSuppression::ID) {
        for mut f in stale {
            f.severity = sev;
            findings.push(f);
        }
    }
    (findings, suppressed)
}

/// The Pod Security Admission labels of the `Namespace` objects among the candidates (files
/// within the size limit whose text names the labels; rendered output is not looked at), by
/// namespace name. A namespace met twice keeps its first labels, in path order.
pub fn namespace_policies(
    discovery: &Discovery,
    max_file_size: u64,
) -> BTreeMap<String, crate::rules::data::pss::NamespacePolicy> {
    use crate::rules::data::pss;
    let found: Vec<Vec<(String, pss::NamespacePolicy)>> = discovery
        .candidates
        .par_iter()
        .map(|c| {
            let Input::Path(p) = &c.input else {
                return Vec::new();
            };
            if c.size > max_file_size {
                return Vec::new();
            }
            let Ok(bytes) = std::fs::read(p) else {
                return Vec::new();
            };
            if bytes.len() as u64 > max_file_size {
                return Vec::new();
            }
            // Not copied, and read one document at a time when it parses (a file of many
            // documents is never held as one tree); the same documents either way.
            let decoded = crate::model::decode::decode(&bytes);
            let text: &str = &decoded.text;
            if !text.contains(pss::LABEL_PREFIX) {
                return Vec::new();
            }
            let mut out = Vec::new();
            let take = |doc: &crate::model::yaml::Document, out: &mut Vec<_>| {
                for obj in crate::model::object::objects_of(doc) {
                    if let Some((name, policy, _)) = pss::namespace_policy(&obj) {
                        out.push((name, policy));
                    }
                }
            };
            let streamed = !crate::model::json::is_json(text)
                && crate::model::yaml::each_document(text, false, &mut |doc, _| {
                    take(&doc, &mut out)
                });
            if !streamed {
                out.clear();
                for doc in &crate::model::json::parse_input(text).documents {
                    take(doc, &mut out);
                }
            }
            out
        })
        .collect();
    let mut map = BTreeMap::new();
    for (name, policy) in found.into_iter().flatten() {
        map.entry(name).or_insert(policy);
    }
    map
}

fn scan_one(
    engine: &Engine,
    c: &Candidate,
    max_file_size: u64,
    charts: &[Dir],
    templates: &Templates,
) -> (FileReport, Vec<Finding>, Option<String>) {
    if c.size > max_file_size {
        let (r, f) = engine.not_scanned(
            &c.display,
            c.size,
            &format!(
                "{} bytes is over the size limit of {max_file_size} bytes (--max-file-size)",
                c.size
            ),
        );
        return (r, f, None);
    }
    let bytes = match &c.input {
        Input::Path(p) => read_regular(p, max_file_size),
        Input::Memory(text) => Ok(text.as_bytes().to_vec()),
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .take(max_file_size.saturating_add(1))
                .read_to_end(&mut buf)
                .map(|_| buf)
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            let (r, f) = engine.not_scanned(&c.display, c.size, &format!("cannot read: {e}"));
            return (r, f, None);
        }
    };
    if bytes.len() as u64 > max_file_size {
        let (r, f) = engine.not_scanned(
            &c.display,
            bytes.len() as u64,
            &format!("over the size limit of {max_file_size} bytes (--max-file-size)"),
        );
        return (r, f, None);
    }
    let (report, mut findings) = engine.scan_bytes(&c.display, &bytes);
    if !findings.is_empty() {
        // Rendered helm output kept in the tree: move findings to their templates.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if text.contains("# Source: ") {
                let notes = sourcemap::map_helm(
                    text,
                    &mut findings,
                    &MapContext {
                        charts,
                        templates,
                        render_dir: None,
                        render_label: None,
                        rendered_is_file: true,
                        values: &[],
                    },
                );
                findings.extend(sourcemap::notes_to_findings(
                    engine.severity(crate::rules::render::Render::ID),
                    notes,
                ));
            }
        }
    }
    let marked = crate::model::lines::contains_bytes(&bytes, crate::suppress::MARKER);
    let source = if findings.is_empty() && !marked {
        None
    } else {
        // Decoded like the scan (UTF-16 with a BOM...), so snippets show the scanned text.
        let decoded = crate::model::decode::decode(&bytes);
        Some(kept_text(&c.display, &decoded.text, &findings))
    };
    (report, findings, source)
}

/// The text of a scanned file as far as the reports need it, once its findings are known: all
/// of it when it has `clustersec:ignore` comments (suppressions read the comments around
/// findings), else only the lines the findings in it cover (with the line before each, which a
/// SARIF region at the end of the file points at), every other line left empty, and every line
/// break a `\n`. Line numbers, columns, the text of kept lines and the number of lines stay
/// those of the file, so snippets and regions are the
/// same as with the whole text, and a file of many documents is not kept whole until the end
/// of the run.
fn kept_text(path: &str, text: &str, findings: &[Finding]) -> String {
    if text.contains(crate::suppress::MARKER) {
        return text.to_string();
    }
    // 1-based line ranges, inclusive.
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for f in findings.iter().filter(|f| f.path == path) {
        let spans = std::iter::once(f.span).chain(
            f.related
                .iter()
                .filter(|r| r.path.is_none())
                .map(|r| r.span),
        );
        for span in spans {
            let first = span.start.line.saturating_sub(1).max(1);
            ranges.push((first, span.end.line.max(span.start.line)));
        }
    }
    ranges.sort_unstable();
    let mut kept = String::with_capacity(ranges.len().saturating_mul(64));
    let mut ranges = ranges.into_iter().peekable();
    let bytes = text.as_bytes();
    let (mut line, mut start) = (1u32, 0usize);
    while start <= bytes.len() {
        // The end of this line's content, and of its break (`\n`, `\r\n` or `\r`, as in
        // `LineIndex`).
        let end = bytes
            .iter()
            .skip(start)
            .position(|b| matches!(b, b'\n' | b'\r'))
            .map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        while ranges.next_if(|&(_, last)| last < line).is_some() {}
        let keep = ranges.peek().is_some_and(|&(first, _)| first <= line);
        if keep {
            kept.push_str(text.get(start..end).unwrap_or(""));
        }
        if next == end {
            break; // the last line, without a break
        }
        // Every break becomes `\n`: a `\r` kept before an empty line's `\n` would make one.
        kept.push('\n');
        start = next;
        line = line.saturating_add(1);
    }
    kept
}

/// Reads a file that discovery saw as a regular file, as it is now: opened without blocking (a
/// file swapped for a FIFO after discovery does not hang the scan), refused unless still a
/// regular file, and read up to one byte past `max` (a file that grew is then reported as too
/// large, never read without bound).
fn read_regular(path: &std::path::Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(crate::discover::NOT_REGULAR));
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len().min(max)).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LineIndex, Pos, Span};

    fn at(path: &str, from: (u32, u32), to: (u32, u32)) -> Finding {
        let mut f = Finding::new(
            crate::rules::yaml_syntax::YamlSyntax::ID,
            Span::new(Pos::new(from.0, from.1), Pos::new(to.0, to.1)),
            "m",
        );
        f.path = path.to_string();
        f
    }

    #[test]
    fn only_the_lines_of_findings_are_kept_in_place() {
        let text = "a: 1\r\nb: 2\nc: é\rd: 4\ne: 5\nf: 6\n\ng: 7";
        let findings = [
            at("x.yaml", (3, 4), (3, 5)),
            at("x.yaml", (8, 1), (8, 2)),
            at("other.yaml", (5, 1), (5, 2)),
        ];
        let kept = kept_text("x.yaml", text, &findings);
        assert_eq!(kept, "\nb: 2\nc: é\n\n\n\n\ng: 7");
        let (a, b) = (LineIndex::new(text), LineIndex::new(&kept));
        assert_eq!(a.len(), b.len());
        for line in [2, 3, 8] {
            assert_eq!(a.line(text, line), b.line(&kept, line));
        }
        // A span over several lines keeps them all; a file with suppression comments is kept
        // whole; a text ending in a line break keeps its last (empty) line.
        let kept = kept_text("x.yaml", text, &[at("x.yaml", (4, 1), (6, 1))]);
        assert_eq!(kept, "\n\nc: é\nd: 4\ne: 5\nf: 6\n\n");
        let marked = format!("{text}\n# {} CLUSTERSEC_X\n", crate::suppress::MARKER);
        assert_eq!(kept_text("x.yaml", &marked, &findings), marked);
        assert_eq!(
            kept_text("x.yaml", "a\n", &[at("x.yaml", (2, 1), (2, 1))]),
            "a\n"
        );
        assert_eq!(kept_text("x.yaml", "", &findings), "");
    }
}
