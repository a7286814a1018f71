//! What a kustomization may reference, checked before kustomize runs.
//!
//! Kustomize reads files and directories named in a kustomization (and in the kustomizations and
//! plugin configs those name), and fetches remote ones: `http(s)://` files, and git repositories
//! in any of the forms its repo-spec parser accepts (`https://`, `ssh://`, `file://`, `git::`,
//! `gh:`, `git@host:`, `github.com/...`, `.../_git/...`, `?ref=`/`?version=`). clustersec walks
//! the whole graph first and refuses, with a finding at the referencing line:
//!
//! - every remote reference (clustersec fetches nothing; loopback and link-local addresses
//!   included, which no proxy setting covers),
//! - every local reference that resolves (after symlinks) outside the scan roots, or into a
//!   version-control directory,
//! - helm chart inflation (`helmCharts`, `helmGlobals`, `HelmChartInflationGenerator`).
//!
//! A kustomization with any refusal is not built. Kustomize's own load restrictor stays at its
//! default (`LoadRestrictionsRootOnly`); this check is measured from the scan roots, because a
//! base directory is a new kustomize root of its own.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::discover::KUSTOMIZATION_NAMES;
use crate::model::yaml::{parse_stream, Kind, Node};
use crate::model::{Pos, Span};

use super::view::in_vcs_dir;
use super::{display, join_display, lexical_normalize, Problem};

/// Kustomization and plugin config files larger than this are refused (kustomize would read them
/// whole; so would this check).
const MAX_KUSTOMIZATION: u64 = 4 << 20;
/// At most this many kustomizations in one graph.
const MAX_KUSTOMIZATIONS: usize = 10_000;

/// How kustomize uses a reference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A file or a kustomization directory (`resources`, `bases`, `components`, and plugin
    /// configs under `generators`/`transformers`/`validators`).
    Resource,
    /// A plugin config: a file of builtin plugin objects, or a kustomization directory.
    Plugin,
    /// A file.
    File,
}

/// Whether kustomize would fetch `reference` instead of reading a local path.
pub fn is_remote(reference: &str) -> bool {
    let s = reference.trim();
    let l = s.to_ascii_lowercase();
    if l.contains("://")
        || ["git::", "gh:", "git@", "github.com/", "github.com:"]
            .iter()
            .any(|p| l.starts_with(p))
        || l.contains("_git/")
        || l.contains('?')
    {
        return true;
    }
    // scp-like `user@host:path`.
    if let (Some(at), Some(colon)) = (l.find('@'), l.find(':')) {
        if at < colon && !l[..at].contains('/') {
            return true;
        }
    }
    // `host.tld/org/repo`, when no such local path exists.
    if let Some((first, rest)) = l.split_once('/') {
        let hostlike = first.contains('.')
            && !first.starts_with('.')
            && first
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && first
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if hostlike && !rest.is_empty() {
            return true;
        }
    }
    false
}

/// The kustomization file of a directory.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Checks the kustomization in `dir` and everything it reaches; the findings, empty when the
/// build may run. `display_dir` is how findings name `dir`.
pub fn check(dir: &Path, display_dir: &str, roots: &[PathBuf]) -> Vec<Problem> {
    let mut walk = Walk {
        roots,
        problems: Vec::new(),
        seen: BTreeSet::new(),
    };
    let Ok(start) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    if !walk.inside(&start) {
        walk.problems.push(Problem {
            path: display_dir.to_string(),
            span: Span::point(Pos::START),
            message: format!(
                "kustomization {display_dir} not built: it resolves outside the scan root"
            ),
        });
        return walk.problems;
    }
    let mut stack = vec![(start, display_dir.to_string())];
    while let Some((d, shown)) = stack.pop() {
        if !walk.seen.insert(d.clone()) {
            continue;
        }
        if walk.seen.len() > MAX_KUSTOMIZATIONS {
            walk.problems.push(Problem {
                path: display_dir.to_string(),
                span: Span::point(Pos::START),
                message: format!(
                    "kustomization {display_dir} not built: it reaches more than \
                     {MAX_KUSTOMIZATIONS} kustomizations"
                ),
            });
            break;
        }
        for next in walk.kustomization(&d, &shown) {
            stack.push(next);
        }
    }
    walk.problems
}

struct Walk<'a> {
    roots: &'a [PathBuf],
    problems: Vec<Problem>,
    seen: BTreeSet<PathBuf>,
}

/// A reference as written: its text and where.
struct Ref<'n> {
    text: &'n str,
    span: Span,
    field: &'static str,
    usage: Use,
}

impl Walk<'_> {
    fn inside(&self, canonical: &Path) -> bool {
        self.roots
            .iter()
            .any(|r| canonical.strip_prefix(r).is_ok_and(|rel| !in_vcs_dir(rel)))
    }

    /// Checks one kustomization directory (canonical; `shown` for messages) and returns the
    /// kustomization directories it references.
    fn kustomization(&mut self, dir: &Path, shown: &str) -> Vec<(PathBuf, String)> {
        let Some(file) = kustomization_file(dir) else {
            return Vec::new();
        };
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file_shown = join_display(shown, &file_name);
        if !std::fs::canonicalize(&file).is_ok_and(|f| self.inside(&f)) {
            // Pointed at the directory: a report must not show the file the symlink leads to.
            self.refuse(
                shown,
                Span::point(Pos::START),
                format!(
                    "{} is a symlink that resolves outside the scan root",
                    crate::report::escape::clean(&file_shown)
                ),
            );
            return Vec::new();
        }
        let Some(text) = self.read(&file, &file_shown) else {
            return Vec::new();
        };
        let stream = parse_stream(&text);
        let mut next = Vec::new();
        for doc in &stream.documents {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            for key in ["helmCharts", "helmGlobals", "helmChartInflationGenerator"] {
                for node in all(root, key) {
                    self.refuse(
                        &file_shown,
                        node.span,
                        format!(
                            "`{key}` asks kustomize to inflate helm charts, which may download \
                             them: clustersec does not build it (render the chart as a chart \
                             directory instead)"
                        ),
                    );
                }
            }
            if let Some(span) = origin_claim(root, 0) {
                self.refuse_origin(&file_shown, span);
            }
            let mut refs = Vec::new();
            collect_kustomization_refs(root, &mut refs);
            for r in refs {
                if let Some(found) = self.reference(dir, shown, &file_shown, &r) {
                    next.push(found);
                }
            }
        }
        next
    }

    fn read(&mut self, file: &Path, shown: &str) -> Option<String> {
        let mut text = String::new();
        let ok = std::fs::File::open(file)
            .and_then(|f| f.take(MAX_KUSTOMIZATION + 1).read_to_string(&mut text))
            .is_ok();
        if !ok {
            // Unreadable or not UTF-8: kustomize reports it.
            return None;
        }
        if text.len() as u64 > MAX_KUSTOMIZATION {
            self.refuse(
                shown,
                Span::point(Pos::START),
                format!("larger than {} MiB", MAX_KUSTOMIZATION >> 20),
            );
            return None;
        }
        Some(text)
    }

    fn refuse_origin(&mut self, path: &str, span: Span) {
        self.refuse(
            path,
            span,
            format!(
                "it names the `{ORIGIN}` annotation, which clustersec reads to point each \
                 finding at its source file; a patch, generator or transformer that sets it could \
                 move a finding onto another file"
            ),
        );
    }

    fn refuse(&mut self, path: &str, span: Span, why: String) {
        self.problems.push(Problem {
            path: path.to_string(),
            span,
            message: format!("kustomization not built: {why}"),
        });
    }

    /// Checks one reference of the kustomization in `dir`; a kustomization directory it names
    /// is returned, to be walked.
    fn reference(
        &mut self,
        dir: &Path,
        shown: &str,
        file_shown: &str,
        r: &Ref,
    ) -> Option<(PathBuf, String)> {
        let text = r.text.trim();
        if text.is_empty() {
            return None;
        }
        if text.contains('\n') {
            // An inline patch or plugin config.
            if r.usage == Use::Plugin {
                self.plugin_text(dir, shown, file_shown, text, Some(r.span));
            }
            return None;
        }
        if is_remote(text) {
            self.refuse(
                file_shown,
                r.span,
                format!(
                    "`{}` entry {} is a remote reference, which kustomize would fetch; \
                     clustersec fetches nothing (vendor it into the repository)",
                    r.field,
                    crate::report::escape::clean(text)
                ),
            );
            return None;
        }
        let joined = lexical_normalize(&dir.join(text));
        let Ok(target) = std::fs::canonicalize(&joined) else {
            // Missing: kustomize reports it, and reads nothing.
            return None;
        };
        if !self.inside(&target) {
            self.refuse(
                file_shown,
                r.span,
                format!(
                    "`{}` entry {} resolves outside the scan root{}; clustersec builds only \
                     from files inside it",
                    r.field,
                    crate::report::escape::clean(text),
                    if self.roots.iter().any(|root| target.starts_with(root)) {
                        " (into a version-control directory)"
                    } else {
                        ""
                    }
                ),
            );
            return None;
        }
        let target_shown = display(&joined);
        if target.is_file() {
            // A patch, a resource or a plugin config that sets kustomize's origin annotation
            // could point a finding at another file (and its reviewed ignore).
            if let Some(text) = self.read(&target, &target_shown).filter(|t| may_claim(t)) {
                let stream = parse_stream(&text);
                if let Some(span) = stream
                    .documents
                    .iter()
                    .filter_map(|d| d.root.as_ref())
                    .find_map(|root| origin_claim(root, 0))
                {
                    self.refuse_origin(&target_shown, span);
                }
            }
        }
        if target.is_dir() {
            if r.usage != Use::File {
                return Some((target, target_shown));
            }
        } else if r.usage == Use::Plugin {
            let file_name = target_shown.clone();
            if let Some(text) = self.read(&target, &file_name) {
                self.plugin_text(dir, shown, &file_name, &text, None);
            }
        }
        None
    }

    /// Checks builtin plugin configs (a generator or transformer config file, or an inline one
    /// written in the kustomization, then every finding is at `at`).
    fn plugin_text(
        &mut self,
        dir: &Path,
        shown: &str,
        file_shown: &str,
        text: &str,
        at: Option<Span>,
    ) {
        let stream = parse_stream(text);
        for doc in &stream.documents {
            let Some(root) = doc.root.as_ref() else {
                continue;
            };
            if root.get("kind").and_then(Node::text) == Some("HelmChartInflationGenerator") {
                let span = at.unwrap_or(root.span);
                self.refuse(
                    file_shown,
                    span,
                    "a HelmChartInflationGenerator asks kustomize to inflate a helm chart, which \
                     may download it: clustersec does not build it"
                        .to_string(),
                );
                continue;
            }
            let mut refs = Vec::new();
            collect_plugin_refs(root, &mut refs);
            for mut r in refs {
                if let Some(span) = at {
                    r.span = span;
                }
                // Plugin configs name files only; a directory is a kustomization to walk.
                r.usage = Use::File;
                let _ = self.reference(dir, shown, file_shown, &r);
            }
        }
    }
}

/// Every value of `key` in a mapping, duplicates included (the check errs on the side of
/// looking at more, never less, than kustomize reads).
fn all<'n>(map: &'n Node, key: &str) -> Vec<&'n Node> {
    let mut out: Vec<&Node> = map
        .entries()
        .map(|es| {
            es.iter()
                .filter(|e| e.key.text() == Some(key))
                .map(|e| &e.value)
                .collect()
        })
        .unwrap_or_default();
    if let Some(n) = map.get(key) {
        if !out.iter().any(|o| std::ptr::eq(*o, n)) {
            out.push(n);
        }
    }
    out
}

fn strings<'n>(node: &'n Node, field: &'static str, usage: Use, out: &mut Vec<Ref<'n>>) {
    match node.as_seq() {
        Some(items) => {
            for i in items {
                strings(i, field, usage, out);
            }
        }
        None => {
            if let Some(t) = node.text() {
                out.push(Ref {
                    text: t,
                    span: node.span,
                    field,
                    usage,
                });
            }
        }
    }
}

/// `field[].key` strings (or lists of strings).
fn item_fields<'n>(
    node: &'n Node,
    keys: &[&'static str],
    field: &'static str,
    out: &mut Vec<Ref<'n>>,
) {
    let items: Vec<&Node> = match node.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    };
    for item in items {
        for key in keys {
            for v in all(item, key) {
                let before = out.len();
                strings(v, field, Use::File, out);
                // `files: [key=path]`: the path is after the first `=`.
                if *key == "files" {
                    for r in out.iter_mut().skip(before) {
                        if let Some((_, p)) = r.text.split_once('=') {
                            r.text = p;
                        }
                    }
                }
            }
        }
    }
}

fn collect_kustomization_refs<'n>(root: &'n Node, out: &mut Vec<Ref<'n>>) {
    for key in ["resources", "bases", "components"] {
        for n in all(root, key) {
            strings(n, key, Use::Resource, out);
        }
    }
    for key in ["generators", "transformers", "validators"] {
        for n in all(root, key) {
            strings(n, key, Use::Plugin, out);
        }
    }
    for key in ["patchesStrategicMerge", "crds", "configurations"] {
        for n in all(root, key) {
            strings(n, key, Use::File, out);
        }
    }
    for key in ["patches", "patchesJson6902", "replacements", "openapi"] {
        for n in all(root, key) {
            item_fields(n, &["path"], key, out);
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for n in all(root, key) {
            item_fields(n, &["files", "envs", "env"], key, out);
        }
    }
}

/// Paths in builtin plugin configs: PatchTransformer and PatchJson6902Transformer (`path`),
/// PatchStrategicMergeTransformer (`paths`), ConfigMapGenerator and SecretGenerator (`files`,
/// `envs`, `env`), ReplacementTransformer (`replacements[].path`), and anything else that names
/// a `path`.
fn collect_plugin_refs<'n>(root: &'n Node, out: &mut Vec<Ref<'n>>) {
    item_fields(
        root,
        &["path", "paths", "files", "envs", "env"],
        "plugin config",
        out,
    );
    for n in all(root, "replacements") {
        item_fields(n, &["path"], "replacements", out);
    }
}

/// The annotation kustomize writes with the file each object came from.
const ORIGIN: &str = "config.kubernetes.io/origin";

/// Whether a file's text may name the origin annotation (see [`origin_claim`]): every way of
/// writing it has `origin` in the text or an escape (a backslash); plain, single-quoted and
/// block scalars have no escapes, and line folding adds a space. The rest is not parsed.
fn may_claim(text: &str) -> bool {
    text.contains("origin") || text.contains('\\')
}

/// Where a document of the kustomization graph names the origin annotation: in any key or
/// value, escapes resolved, including the YAML or JSON text of an inline patch or config.
fn origin_claim(node: &Node, depth: usize) -> Option<Span> {
    if depth > 64 {
        return None;
    }
    match &node.kind {
        Kind::Scalar { text, .. } => {
            let names = [
                "kubernetes.io/origin",
                "kubernetes.io~1origin",
                "kubernetes\\.io/origin",
            ]
            .iter()
            .any(|p| text.contains(p));
            if names {
                return Some(node.span);
            }
            if depth < 8 && text.contains(['\n', '[', '{']) && may_claim(text) {
                let inner = parse_stream(text);
                let found = inner
                    .documents
                    .iter()
                    .filter_map(|d| d.root.as_ref())
                    .any(|r| origin_claim(r, depth + 1).is_some());
                if found {
                    return Some(node.span);
                }
            }
            None
        }
        Kind::Seq(items) => items.iter().find_map(|n| origin_claim(n, depth + 1)),
        Kind::Map(entries) => entries.iter().find_map(|e| {
            origin_claim(&e.key, depth + 1).or_else(|| origin_claim(&e.value, depth + 1))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_references_as_kustomize_reads_them() {
        for remote in [
            "http://127.0.0.1:8080/x.yaml",
            "https://example.com/x.yaml",
            "HTTPS://169.254.169.254/latest",
            "ssh://git@127.0.0.1:22/org/repo//base?ref=main",
            "file:///tmp/repo//base",
            "git::https://example.com/org/repo",
            "gh:org/repo",
            "git@github.com:org/repo.git",
            "github.com/org/repo/base",
            "github.com:org/repo",
            "gitlab.com/org/repo//base",
            "dev.azure.com/org/_git/repo",
            "base?ref=v1",
            "user@host:org/repo",
        ] {
            assert!(is_remote(remote), "{remote}");
        }
        for local in [
            "../base",
            "deployment.yaml",
            "./overlays/prod",
            "/abs/path",
            "v1.2/base",
            "config.d/x.yaml",
        ] {
            assert!(!is_remote(local), "{local}");
        }
    }
}
