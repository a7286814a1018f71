//! A whole run: discovered files, scanned in parallel, into one sorted report.

use std::collections::BTreeMap;
use std::io::Read;

use rayon::prelude::*;

use crate::discover::{Candidate, Dir, Discovery, Input};
use crate::engine::{Engine, FileReport};
use crate::finding::Finding;
use crate::render;
use crate::report::Report;
use crate::rules::data::pss;
use crate::sourcemap::{self, MapContext, Templates};

/// One file's report, findings and (when it has findings) text.
type Scanned = (FileReport, Vec<Finding>, Option<Source>);

/// The text of a scanned file kept for the reports: whole, or (a file read from disk with no
/// `clustersec:ignore` comment) only the lines its findings need, with the list of those lines
/// (see [`crate::report::snippets::sparse`]).
struct Source {
    text: String,
    lines: Option<Vec<u32>>,
}

impl Source {
    /// What the reports need of `text`, the file `c` whose findings are `findings`.
    fn keep(c: &Candidate, text: String, findings: &[Finding]) -> Source {
        // Only a file that can be read again (findings mapped into it later need other lines)
        // and whose comments are not searched for suppressions.
        if !matches!(c.input, Input::Path(_)) || text.contains(crate::suppress::MARKER) {
            return Source { text, lines: None };
        }
        let lines = crate::report::snippets::lines_for(&c.display, findings);
        Source {
            text: crate::report::snippets::sparse(&text, &lines),
            lines: Some(lines),
        }
    }
}

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
    // Of `sources`, the texts that hold only some lines, with those lines.
    let mut partial = BTreeMap::new();
    // Files whose `clustersec:ignore` comments are judged for staleness (as template or not).
    let mut comment_files: Vec<(String, bool)> = Vec::new();
    collect_file_results(
        engine,
        run,
        results,
        &mut files,
        &mut findings,
        (&mut sources, &mut partial),
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
    // Findings of renders merged (none to merge without renders: the list is not copied).
    let findings = if findings.iter().any(|f| !f.renders.is_empty()) {
        render::merge_renders(findings)
    } else {
        findings
    };
    read_mapped_sources(&findings, &templates, &mut sources, &mut partial);
    let (findings, suppressed) =
        apply_suppressions(engine, suppressions, findings, &sources, &comment_files);
    // What the scan freed (trees, whole texts) is not needed again: the reports are written next.
    release_freed_memory();
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
            let chart_input = discovery.chart_inputs.contains(&c.display);
            let (report, mut findings, text) = scan_one(
                engine,
                c,
                max_file_size,
                (&discovery.charts, chart_input),
                templates,
            );
            // Held until every file is scanned: no spare capacity (a finding is large).
            findings.shrink_to_fit();
            // Only what the reports need of the text is kept past this point.
            let source = text.map(|t| Source::keep(c, t, &findings));
            Some((i, (report, findings, source)))
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
    (sources, partial): (
        &mut BTreeMap<String, String>,
        &mut BTreeMap<String, Vec<u32>>,
    ),
    comment_files: &mut Vec<(String, bool)>,
) {
    // One list of the findings, its size known: made once, filled file by file. The lists each
    // file leaves are freed as they are emptied, and that memory is given back to the system on
    // the way (it would otherwise stay resident next to the new list: twice the findings).
    let mut left: usize = results.iter().map(|(_, f, _)| f.len()).sum();
    if !findings.is_empty() {
        findings.reserve_exact(left);
    }
    let mut moved = 0usize;
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
        if let Some(Source { text: s, lines }) = source {
            let marked = s.contains(crate::suppress::MARKER);
            // Helm output kept in the tree holds copies of its templates' comments; its findings
            // move to the templates, where the comments that count are.
            if marked && !s.contains("# Source: ") {
                comment_files.push((report.path.clone(), false));
            }
            if !f.is_empty() || marked {
                match lines {
                    Some(lines) => partial.insert(report.path.clone(), lines),
                    None => partial.remove(&report.path),
                };
                sources.insert(report.path.clone(), s);
            }
        }
        files.push(report);
        moved += f.len();
        left = left.saturating_sub(f.len());
        if findings.is_empty() {
            // The first file's list becomes the one list, grown in place to the size needed (a
            // large list is remapped, not copied: one file may hold hundreds of thousands).
            std::mem::swap(findings, &mut f);
            findings.reserve_exact(left);
        } else {
            findings.append(&mut f);
        }
        drop(f);
        if moved.saturating_mul(std::mem::size_of::<Finding>()) >= RELEASE_EVERY {
            moved = 0;
            release_freed_memory();
        }
    }
    release_freed_memory();
}

/// Bytes of findings moved between two calls of [`release_freed_memory`].
const RELEASE_EVERY: usize = 32 << 20;

/// Returns memory the allocator holds free to the operating system. glibc keeps freed blocks in
/// its arenas for reuse; the many small lists of findings the scan leaves are not reused, and
/// would count in the peak next to the list they moved into.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and only releases memory the allocator holds free;
    // it is thread-safe (it locks each arena).
    unsafe {
        libc::malloc_trim(0);
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
                f.renders = vec![name.clone()].into();
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
/// A file of which only some lines were kept (`partial`) is read again in full when a finding
/// mapped into it needs another line.
fn read_mapped_sources(
    findings: &[Finding],
    templates: &Templates,
    sources: &mut BTreeMap<String, String>,
    partial: &mut BTreeMap<String, Vec<u32>>,
) {
    for f in findings {
        let incomplete = partial
            .get(f.path.as_str())
            .is_some_and(|lines| !crate::report::snippets::has_lines(f, lines));
        if incomplete {
            partial.remove(f.path.as_str());
            if let Some(text) = crate::safepath::read_confined(
                std::path::Path::new(f.path.as_str()),
                templates.roots(),
            ) {
                sources.insert(f.path.to_string(), text);
            }
        }
        if !sources.contains_key(f.path.as_str()) {
            if let Some(text) = crate::safepath::read_confined(
                std::path::Path::new(f.path.as_str()),
                templates.roots(),
            ) {
                sources.insert(f.path.to_string(), text);
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
    let mut findings = findings;
    if findings.iter().any(|f| f.suppression.is_some()) {
        suppressed.extend(crate::finding::take_where(&mut findings, |f| {
            f.suppression.is_some()
        }));
    }
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
    let found: Vec<Vec<(String, pss::NamespacePolicy)>> = discovery
        .candidates
        .par_iter()
        .map(|c| {
            if discovery.chart_inputs.contains(&c.display) {
                return Vec::new();
            }
            namespace_policies_of(c, max_file_size)
        })
        .collect();
    let mut map = BTreeMap::new();
    for (name, policy) in found.into_iter().flatten() {
        map.entry(name).or_insert(policy);
    }
    map
}

/// The labels of [`namespace_policies`], read from each candidate as discovery finds it
/// ([`crate::discover::discover_with`]), on the threads the walk leaves idle: a candidate's
/// labels are [`NamespaceLabels::add`]ed as soon as it is found, and
/// [`NamespaceLabels::policies`] keeps those of the candidates that stay, in discovery order:
/// the same map as [`namespace_policies`] of the finished discovery.
#[derive(Default)]
pub struct NamespaceLabels {
    /// By display path: the candidates that have labels.
    found: std::sync::Mutex<std::collections::HashMap<String, Vec<(String, pss::NamespacePolicy)>>>,
}

impl NamespaceLabels {
    /// Reads the labels of `c`.
    pub fn add(&self, c: &Candidate, max_file_size: u64) {
        let labels = namespace_policies_of(c, max_file_size);
        if labels.is_empty() {
            return;
        }
        if let Ok(mut found) = self.found.lock() {
            found.insert(c.display.clone(), labels);
        }
    }

    /// The map [`namespace_policies`] makes of `discovery` (every candidate of which was
    /// [`NamespaceLabels::add`]ed).
    pub fn policies(self, discovery: &Discovery) -> BTreeMap<String, pss::NamespacePolicy> {
        let mut found = self.found.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut map = BTreeMap::new();
        for c in &discovery.candidates {
            if discovery.chart_inputs.contains(&c.display) {
                continue;
            }
            for (name, policy) in found.remove(&c.display).into_iter().flatten() {
                map.entry(name).or_insert(policy);
            }
        }
        map
    }
}

/// The namespaces labelled in one candidate (a file within the size limit whose text names the
/// labels), in file order.
fn namespace_policies_of(c: &Candidate, max_file_size: u64) -> Vec<(String, pss::NamespacePolicy)> {
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
        && crate::model::yaml::each_document(text, false, &mut |doc, _| take(&doc, &mut out));
    if !streamed {
        out.clear();
        for doc in &crate::model::json::parse_input(text).documents {
            take(doc, &mut out);
        }
    }
    out
}

/// Scans one candidate. A chart input (`chart_input`: a chart's values file, `Chart.yaml`...) is
/// read, and its text kept for suppression comments, but not checked as a manifest: only the
/// findings about its text (syntax, duplicate keys) are kept, and it is reported as
/// [`crate::outcome::FileStatus::NotKubernetes`] whatever it looks like.
fn scan_one(
    engine: &Engine,
    c: &Candidate,
    max_file_size: u64,
    (charts, chart_input): (&[Dir], bool),
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
    let (mut report, mut findings) = engine.scan_bytes(&c.display, &bytes);
    if chart_input {
        // Helm reads it; the API server never sees it.
        findings.retain(|f| {
            engine
                .registry()
                .meta(&f.rule)
                .is_some_and(|m| m.scope == crate::rules::Scope::FileText)
        });
        if report.status == crate::outcome::FileStatus::Scanned {
            report.status = crate::outcome::FileStatus::NotKubernetes;
        }
        report.objects = 0;
        report.pss_levels = [0; 3];
    }
    if !findings.is_empty() && !chart_input {
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
        // Decoded like the scan (UTF-16 with a BOM...), so snippets show the scanned text;
        // the caller keeps only the lines the reports need (`Source::keep`).
        Some(decoded_text(bytes))
    };
    (report, findings, source)
}

/// The text of a file's bytes as the scan decoded it; UTF-8 text (most files) becomes the
/// `String` without a copy (a file may be hundreds of MB, and it would be held twice).
fn decoded_text(bytes: Vec<u8>) -> String {
    // UTF-8 without a byte order mark is decoded as it is: validated once, here (every other
    // byte order mark starts with a byte that is never UTF-8).
    let bytes = if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes
    } else {
        match String::from_utf8(bytes) {
            Ok(text) => return text,
            Err(e) => e.into_bytes(),
        }
    };
    let decoded = crate::model::decode::decode(&bytes);
    let whole = matches!(&decoded.text, std::borrow::Cow::Borrowed(t) if t.len() == bytes.len());
    if !whole {
        return decoded.text.into_owned();
    }
    drop(decoded);
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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

    /// The text kept of a file is the text the scan decoded, whatever its encoding.
    #[test]
    fn kept_text_is_the_decoded_text() {
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "a: é\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        for bytes in [
            b"a: 1\n".to_vec(),
            b"\xEF\xBB\xBFa: 1\n".to_vec(),
            b"a: caf\xE9\n".to_vec(),
            b"\xEF\xBB\xBFa: \xFF\n".to_vec(),
            utf16,
            Vec::new(),
        ] {
            let want = crate::model::decode::decode(&bytes).text.into_owned();
            assert_eq!(decoded_text(bytes.clone()), want, "{bytes:?}");
        }
    }

    /// The labels read while discovery walks are those read after it: the same namespaces,
    /// the first file in path order winning, chart inputs and files over the limit left out.
    #[test]
    fn labels_read_during_discovery_match_those_read_after() {
        let ns = |name: &str, level: &str| {
            format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    \
                 pod-security.kubernetes.io/enforce: {level}\n"
            )
        };
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/chart")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/one.yaml"), ns("prod", "restricted")).unwrap();
        std::fs::write(root.join("b/two.yaml"), ns("prod", "privileged")).unwrap();
        std::fs::write(root.join("b/three.yaml"), ns("dev", "baseline")).unwrap();
        std::fs::write(
            root.join("b/big.yaml"),
            ns("big", "baseline") + &"#\n".repeat(200),
        )
        .unwrap();
        std::fs::write(root.join("a/chart/Chart.yaml"), "name: c\n").unwrap();
        std::fs::write(root.join("a/chart/values.yaml"), ns("vals", "baseline")).unwrap();
        let opts = crate::discover::Options {
            no_ignore: true,
            ..Default::default()
        };
        let max = 300;
        let labels = NamespaceLabels::default();
        let discovery = rayon::scope(|s| {
            crate::discover::discover_with(&[root.to_path_buf()], &opts, &|c| {
                let c = c.clone();
                let labels = &labels;
                s.spawn(move |_| labels.add(&c, max));
            })
        })
        .unwrap();
        let during = labels.policies(&discovery);
        let after = namespace_policies(&discovery, max);
        assert_eq!(
            during.keys().collect::<Vec<_>>(),
            ["dev", "prod"],
            "{during:?}"
        );
        assert_eq!(during, after);
        assert_eq!(
            during
                .get("prod")
                .and_then(|p| p.enforce.as_ref())
                .map(|(level, _)| level),
            Some(&pss::Level::Restricted)
        );
    }
}
