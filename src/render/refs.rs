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
    check_with(dir, display_dir, roots, &Verdicts::default())
}

/// At most this many files' verdicts kept by one [`Verdicts`] (later files are checked uncached).
const MAX_VERDICTS: usize = 100_000;

/// What a referenced file's text says to the origin-claim check: the outcome of reading it (and
/// parsing it when its text may name the annotation), a function of the file's bytes only.
#[derive(Clone, Copy)]
enum Verdict {
    /// Unreadable, or neither UTF-8 nor UTF-16: kustomize reports it.
    Unread,
    /// Over [`MAX_KUSTOMIZATION`]; `true` when it is text (refused).
    TooLarge(bool),
    /// Read: where it claims the origin annotation, if it does.
    Read(Option<Span>),
}

/// Verdicts on referenced files, kept for one run: several installs reach the same files (the
/// same megabytes of CustomResourceDefinitions), which are then read and filtered once. Keyed
/// by canonical path; the findings are made from a verdict with each walk's own display path,
/// so they are those of a walk without the cache.
#[derive(Default)]
pub struct Verdicts {
    files: crate::render::once::OnceMap<Verdict>,
}

impl Verdicts {
    /// The verdict on the canonical file `target`, computed once per run (a second walk waits
    /// for the first one's).
    fn get(&self, target: &Path) -> Verdict {
        match self.files.slot(target, |n| n >= MAX_VERDICTS) {
            Some(slot) => *slot.get_or_init(|| verdict(target)),
            None => verdict(target),
        }
    }
}

/// Reads `target` as [`Walk::read`] does, and looks for an origin claim in its text when
/// [`may_claim`] lets it through.
fn verdict(target: &Path) -> Verdict {
    match read_limited(target) {
        Contents::Unreadable | Contents::Undecodable => Verdict::Unread,
        Contents::TooLarge { text } => Verdict::TooLarge(text),
        Contents::Text(text) => Verdict::Read(if may_claim(&text) {
            parse_stream(&text)
                .documents
                .iter()
                .filter_map(|d| d.root.as_ref())
                .find_map(|root| origin_claim(root, 0))
        } else {
            None
        }),
    }
}

/// What [`read_limited`] found in a file.
enum Contents {
    /// It cannot be opened or read (kustomize reports it).
    Unreadable,
    /// Over [`MAX_KUSTOMIZATION`]; `text` when it is text (so it is refused).
    TooLarge { text: bool },
    /// Neither UTF-8 nor UTF-16: kustomize cannot read it as YAML either.
    Undecodable,
    /// Its decoded text.
    Text(String),
}

/// A file read as kustomize reads a kustomization, at most [`MAX_KUSTOMIZATION`] bytes.
fn read_limited(file: &Path) -> Contents {
    let mut bytes = Vec::new();
    let ok = std::fs::File::open(file)
        .and_then(|f| f.take(MAX_KUSTOMIZATION + 1).read_to_end(&mut bytes))
        .is_ok();
    if !ok {
        return Contents::Unreadable;
    }
    if bytes.len() as u64 > MAX_KUSTOMIZATION {
        // Text, even cut inside a character at the bound, is refused (kustomize would read
        // all of it); other data (a generator's binary file) is no YAML kustomize reads.
        let text = matches!(bytes.as_slice(), [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..])
            || std::str::from_utf8(&bytes).map_or_else(|e| e.error_len().is_none(), |_| true);
        return Contents::TooLarge { text };
    }
    decode(bytes).map_or(Contents::Undecodable, Contents::Text)
}

/// [`check`] with the run's [`Verdicts`] on referenced files.
pub fn check_with(
    dir: &Path,
    display_dir: &str,
    roots: &[PathBuf],
    verdicts: &Verdicts,
) -> Vec<Problem> {
    let mut walk = Walk {
        roots,
        problems: Vec::new(),
        seen: BTreeSet::new(),
        verdicts,
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
    verdicts: &'a Verdicts,
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
        match read_limited(file) {
            Contents::Unreadable | Contents::Undecodable => None,
            Contents::TooLarge { text } => {
                if text {
                    self.refuse_large(shown);
                }
                None
            }
            Contents::Text(text) => Some(text),
        }
    }

    fn refuse_large(&mut self, shown: &str) {
        self.refuse(
            shown,
            Span::point(Pos::START),
            format!("larger than {} MiB", MAX_KUSTOMIZATION >> 20),
        );
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
            match self.verdicts.get(&target) {
                Verdict::TooLarge(true) => self.refuse_large(&target_shown),
                Verdict::Read(Some(span)) => self.refuse_origin(&target_shown, span),
                Verdict::TooLarge(false) | Verdict::Read(None) | Verdict::Unread => {}
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

/// A file's text as kustomize's YAML readers (go-yaml) take it: UTF-16 after a byte order mark
/// (`FF FE` little-endian, `FE FF` big-endian), else UTF-8; `None` when it is not UTF-8. A
/// kustomization, patch or resource written in UTF-16 is built by kustomize, so it is checked
/// too; an odd trailing byte or an unpaired surrogate, which go-yaml refuses, is left out or
/// replaced (so the check reads at least what kustomize could).
fn decode(bytes: Vec<u8>) -> Option<String> {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        let units = rest
            .chunks_exact(2)
            .map(|c| unit(c.try_into().unwrap_or_default()));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => Some(utf16(rest, u16::from_le_bytes)),
        [0xFE, 0xFF, rest @ ..] => Some(utf16(rest, u16::from_be_bytes)),
        _ => String::from_utf8(bytes).ok(),
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

/// Whether a text may name the origin annotation once parsed: `false` only when no key or value
/// of any document of `text`, nor of the YAML or JSON that [`origin_claim`] re-parses out of
/// them (at any depth), can hold one of the names it looks for. A text for which this is
/// `false` is not parsed. It is a search of the raw text for the ways a parsed scalar can come
/// to hold a name without the text holding that name as written:
///
/// 1. **Names**: `kubernetes.io/origin`, `kubernetes.io~1origin` (a JSON pointer),
///    `kubernetes\.io/origin` (a field path), and the last with its backslash written `\\`
///    as a double-quoted scalar needs.
/// 2. **`\x` `\u` `\U` `\/`**: the escapes that can produce a letter, a digit, `.`, `/`, `~`
///    (all of a name's characters but `\`, which only `\\` or a hexadecimal escape produce).
/// 3. **`\`, blanks (space, tab, BOM), then a line break** (LF, CR, NEL, LINE and PARAGRAPH
///    SEPARATOR; the parser reads the last three as LF): an escaped line break joins two lines
///    without a space; blanks before a break are dropped by line folding, so a nested text
///    can end up with a `\` right before a break that the outer text did not have.
/// 4. **`\\`, blanks, then `\`**: a double-quoted `\\` gives the nested text a backslash that
///    the next escape (`\n`, `\t`, `\N`, `\L`, `\P`, `\/`, `\\`...) can complete into one
///    of these patterns.
/// 5. **`!!`, `!<`, `%TAG`**: a scalar tagged `tag:yaml.org,2002:binary` is base64, decoded to
///    its text ([`crate::model::yaml`] does so, as go-yaml does); such a tag is written with the
///    `!!` handle, verbatim (`!<...>`), or with a handle that a `%TAG` directive defines.
///
/// Why nothing else: the parser builds a scalar from the text's characters copied as written
/// (plain, single-quoted and block scalars have no escapes; `''` gives `'`, no character of a
/// name), escapes (double-quoted only; YAML 1.2's `\0 \a \b \t \<TAB> \n \v \f \r \e
/// \<SPACE> \" \/ \\ \N \_ \L \P \x \u \U`, any other is a syntax error; go-yaml's `\'`
/// gives `'`), line folding (a break and the blanks around it give a space or line breaks,
/// never a name character and never nothing), escaped line breaks (pattern 3) and `!!binary`
/// (pattern 5); indentation repair only adds spaces at line starts, and break normalisation
/// turns NEL/LS/PS into LF and a BOM at a line start into a space. So if a scalar holds a
/// name and none of patterns 2, 3, 5 is in the text, every character of the name was copied
/// as written, adjacent, the `\` of `kubernetes\.io/origin` possibly written `\\`:
/// pattern 1. The same argument, character by character, shows that a scalar holding any of
/// the patterns 1 to 5 comes from a text holding one of them (a `\` in the scalar is a `\`,
/// a `\\` or a hexadecimal escape in the text; what follows it is copied, escaped, folded
/// from a break, or joined by an escaped break), so nested texts need no separate argument: if
/// a re-parsed scalar may name the annotation, so may the text it came from, at any depth.
/// (The `may_claim_before` oracle in the tests, `origin` or any backslash, is the check this
/// replaces; a table of ways to write the name and a generator of nested, escaped and folded
/// forms check that every file it refused is still refused.)
fn may_claim(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Every name ends in `io/origin` or `io~1origin` (`contains` is the fast search; most
    // texts hold neither, so `origin` in prose is not looked at one by one).
    let names = (text.contains("io/origin") || text.contains("io~1origin"))
        && text.match_indices("origin").any(|(at, _)| {
            let before = bytes.get(..at).unwrap_or_default();
            NAME_STARTS
                .iter()
                .any(|start| before.ends_with(start.as_bytes()))
        });
    names
        || text
            .match_indices('\\')
            .any(|(at, _)| escape_may_claim(bytes.get(at + 1..).unwrap_or_default()))
        || text
            .match_indices('!')
            .any(|(at, _)| matches!(bytes.get(at + 1), Some(b'!' | b'<')))
        || text.contains("%TAG")
}

/// What comes before `origin` in the names [`may_claim`] looks for.
const NAME_STARTS: [&str; 4] = [
    "kubernetes.io/",
    "kubernetes.io~1",
    "kubernetes\\.io/",
    "kubernetes\\\\.io/",
];

/// Patterns 2 to 4 of [`may_claim`], for the text `after` a backslash.
fn escape_may_claim(after: &[u8]) -> bool {
    match after.first() {
        Some(b'x' | b'u' | b'U' | b'/') => true,
        // The second backslash is looked at on its own too (patterns 2 and 3).
        Some(b'\\') => skip_blanks(after.get(1..).unwrap_or_default()).first() == Some(&b'\\'),
        _ => starts_with_break(skip_blanks(after)),
    }
}

/// `text` after its leading spaces, tabs and byte order marks.
fn skip_blanks(mut text: &[u8]) -> &[u8] {
    loop {
        text = match text {
            [b' ' | b'\t', rest @ ..] | [0xEF, 0xBB, 0xBF, rest @ ..] => rest,
            _ => return text,
        }
    }
}

/// Whether `text` starts with a line break as the parser reads them: LF, CR, and NEL, LINE
/// SEPARATOR and PARAGRAPH SEPARATOR (which it turns into LF).
fn starts_with_break(text: &[u8]) -> bool {
    matches!(
        text,
        [b'\n' | b'\r', ..] | [0xC2, 0x85, ..] | [0xE2, 0x80, 0xA8 | 0xA9, ..]
    )
}

/// Where a document of the kustomization graph names the origin annotation: in any key or
/// value, escapes resolved, including the YAML or JSON text of an inline patch or config.
fn origin_claim(node: &Node, depth: usize) -> Option<Span> {
    origin_claim_with(node, depth, may_claim)
}

/// [`origin_claim`], with `nested` the filter for scalar texts worth re-parsing.
fn origin_claim_with(node: &Node, depth: usize, nested: fn(&str) -> bool) -> Option<Span> {
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
            if depth < 8 && text.contains(['\n', '[', '{']) && nested(text) {
                let inner = parse_stream(text);
                let found = inner
                    .documents
                    .iter()
                    .filter_map(|d| d.root.as_ref())
                    .any(|r| origin_claim_with(r, depth + 1, nested).is_some());
                if found {
                    return Some(node.span);
                }
            }
            None
        }
        Kind::Seq(items) => items
            .iter()
            .find_map(|n| origin_claim_with(n, depth + 1, nested)),
        Kind::Map(entries) => entries.iter().find_map(|e| {
            origin_claim_with(&e.key, depth + 1, nested)
                .or_else(|| origin_claim_with(&e.value, depth + 1, nested))
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

    /// The filter [`may_claim`] replaced: `origin` or any backslash in the text.
    fn may_claim_before(text: &str) -> bool {
        text.contains("origin") || text.contains('\\')
    }

    /// Whether a document of `text` names the annotation, nested texts re-parsed when `filter`
    /// lets them through.
    fn claims(text: &str, filter: fn(&str) -> bool) -> bool {
        parse_stream(text)
            .documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .any(|r| origin_claim_with(r, 0, filter).is_some())
    }

    /// The verdict on a referenced file before [`may_claim`].
    fn refused_before(text: &str) -> bool {
        may_claim_before(text) && claims(text, may_claim_before)
    }

    /// The verdict now.
    fn refused_now(text: &str) -> bool {
        may_claim(text) && claims(text, may_claim)
    }

    /// Ways of writing the annotation that the check refused before: every one is still
    /// let through the text filter, and still refused.
    #[test]
    fn every_way_of_writing_the_name_passes_the_filter() {
        let cases: &[&str] = &[
            // As written, in YAML, in a JSON pointer, in a field path.
            "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: good.yaml\n",
            "patch: |\n  - op: add\n    path: /metadata/annotations/config.kubernetes.io~1origin\n    value: x\n",
            "fieldPaths: [metadata.annotations.config\\.kubernetes\\.io/origin]\n",
            r#"fieldPath: "metadata.annotations.config\\.kubernetes\\.io/origin""#,
            r#"fieldPath: 'metadata.annotations.config\.kubernetes\.io/origin'"#,
            // Escapes that produce the name's characters.
            r#"commonAnnotations: {"config.kubernetes.io\x2Forigin": x}"#,
            r#"commonAnnotations: {"config.kubernetes.io\u002forigin": x}"#,
            r#"commonAnnotations: {"config.kubernetes.io\U0000002Forigin": x}"#,
            r#"commonAnnotations: {"config.kubernetes.io\/origin": x}"#,
            r#"commonAnnotations: {"config.kubernetes.io/\x6frigin": x}"#,
            r#"commonAnnotations: {"config.kubernetes\x2eio/origin": x}"#,
            r#"{"metadata":{"annotations":{"config.kubernetes.io\u002forigin":"x"}}}"#,
            r#"p: "/metadata/annotations/config.kubernetes.io\u007e1origin""#,
            r#"p: "/metadata/annotations/config.kubernetes.io~\x31origin""#,
            r#"patch: '[{"op":"add","path":"/metadata/annotations/config.kubernetes.io\u007e1origin","value":"x"}]'"#,
            // Escaped line breaks: LF, CRLF, CR, and the breaks the parser turns into LF.
            "a: \"config.kubernetes.io/ori\\\n  gin\"\n",
            "a: \"config.kubernetes.io/ori\\\r\n  gin\"\r\n",
            "a: \"config.kubernetes.io/ori\\\r  gin\"\r",
            "a: \"config.kubernetes.io/ori\\\u{85}  gin\"\n",
            "a: \"config.kubernetes.io/ori\\\u{2028}  gin\"\n",
            "a: \"config.kubernetes.io/ori\\\u{2029}  gin\"\n",
            "\u{feff}a: \"config.kubernetes.io/ori\\\r\n  gin\"\r\n",
            "a: \"config.kubernetes\\\n  .io/origin\"\n",
            // Nested: an inline patch whose own text escapes the name.
            "patch: |\n  {\"a\": \"config.kubernetes.io/ori\\\n  gin\"}\n",
            "patch: >\n  {\"config.kubernetes.io\\x2forigin\": x}\n",
            r#"patch: "{\"a\": \"config.kubernetes.io/ori\\\ngin\"}""#,
            r#"patch: "{\"a\": \"config.kubernetes.io/ori\\\Ngin\"}""#,
            r#"patch: "{\"a\": \"config.kubernetes.io/ori\\\Lgin\"}""#,
            r#"patch: "{\"a\": \"config.kubernetes.io/ori\\\Pgin\"}""#,
            r#"patch: "{\"config.kubernetes.io\\x2forigin\": x}""#,
            r#"patch: "{\"config.kubernetes.io\x5cx2forigin\": x}""#,
            r#"patch: "{\"config.kubernetes.io\\/origin\": x}""#,
            r#"patch: "{\"config.kubernetes.io\\u002Forigin\": x}""#,
            r#"patch: "{p: \"config.kubernetes\\\\.io/origin\"}""#,
            "patch: '{\"a\": \"config.kubernetes.io/ori\\   \n\n  gin\"}'\n",
            // Three levels: blanks dropped by single-quote folding leave `\` before a break
            // in the innermost text, which joins the name's two halves.
            r#"patch: "p: '{\"a\": \"config.kubernetes.io/ori\\   \n\n  gin\"}'""#,
            r#"patch: "p: '{\"a\": \"config.kubernetes.io/ori\\\   \n\n  gin\"}'""#,
            r#"patch: "p: '{\"a\": \"config.kubernetes.io/ori\\\t\n\n  gin\"}'""#,
            r#"patch: "q: \"p: '{\\\"a\\\": \\\"config.kubernetes.io/ori\\\\   \\n\\n  gin\\\"}'\"""#,
            // `!!binary`: base64, decoded (here with `origin` in a comment, for the filter
            // before).
            "# origin\nmetadata:\n  annotations:\n    ? !!binary Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n",
            "# origin\nmetadata:\n  annotations:\n    ? !<tag:yaml.org,2002:binary> Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n",
            "# origin\nmetadata:\n  annotations:\n    ? !<tag:yaml.org,2002:%62inary> Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n",
            "%TAG !e! tag:yaml.org,2002:\n---\n# origin\nmetadata:\n  annotations:\n    ? !e!binary Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n",
            "%TAG ! tag:yaml.org,2002:\n---\n# origin\nmetadata:\n  annotations:\n    ? !binary Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n",
            "# origin\npatch: !!binary LSBvcDogYWRkCiAgcGF0aDogL21ldGFkYXRhL2Fubm90YXRpb25zL2NvbmZpZy5rdWJlcm5ldGVzLmlvfjFvcmlnaW4KICB2YWx1ZTogeAo=\n",
            // After other documents, one of them broken.
            "a: [\n---\nb: 1\n---\nmetadata: {annotations: {\"config.kubernetes.io\\x2forigin\": x}}\n",
        ];
        let wrong: Vec<_> = cases
            .iter()
            .filter(|text| !(refused_before(text) && may_claim(text) && refused_now(text)))
            .map(|text| (text, refused_before(text), may_claim(text)))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Without `origin` or a backslash in the text, a `!!binary` name was let through
        // before; it is refused now.
        let binary = "metadata:\n  annotations:\n    ? !!binary Y29uZmlnLmt1YmVybmV0ZXMuaW8vb3JpZ2lu\n    : x\n";
        assert!(!refused_before(binary));
        assert!(refused_now(binary));
    }

    /// What kube-prometheus' CustomResourceDefinitions hold: `origin` in prose, backslashes
    /// in regular expressions. None of it is parsed.
    #[test]
    fn prose_and_regular_expressions_are_not_parsed() {
        for text in [
            "description: Origin of the request; the origin header is kept\n",
            "pattern: ^(0|(([0-9]+)y)?(([0-9]+)w)?)$\nx: \"^[a-z]\\\\.[0-9]\\\\d+$\"\n",
            "x: '^\\s*(\\d+)\\.(\\d+)$'\ny: \"a\\\\b \\\\ c\"\n",
            "x: \"say \\\"hi\\\"\\tthere\\n\"\ny: 'kubernetes.io/orig in'\n",
            "x: \"https://kubernetes.io/docs\"\nnote: see the origin! of <it>\n",
            "x: \"kubernetes.io/ origin\"\ny: kubernetes.io/\n  origin\n",
        ] {
            assert!(may_claim_before(text), "{text:?}");
            assert!(!may_claim(text), "{text:?}");
        }
    }

    /// kube-prometheus' CRD files, 4.4 MB that the filter before sent to the parser.
    #[test]
    fn the_kube_prometheus_crds_are_not_parsed() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/kube-prometheus/manifests/setup");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(
                std::env::var_os("CLUSTERSEC_REQUIRE_SHARED").is_none(),
                "{} is missing",
                dir.display()
            );
            println!("skipped: {} is absent", dir.display());
            return;
        };
        let mut checked = 0;
        for e in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            if may_claim_before(&text) {
                assert!(!may_claim(&text), "{}", e.path().display());
                assert!(!claims(&text, may_claim_before), "{}", e.path().display());
                checked += 1;
            }
        }
        assert!(checked >= 5, "{checked}");
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn one_in(&mut self, n: usize) -> bool {
            self.below(n) == 0
        }
        fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
            of[self.below(of.len())]
        }
    }

    /// How often (one in so many characters) a generated text escapes a character in hex
    /// (`\x`, `\u`, `\U`, `\/`) and joins lines with an escaped line break: from often to
    /// never, so that some texts hold only the rarer patterns.
    struct Rates {
        hex: usize,
        slash: usize,
        join: usize,
        wrap_join: usize,
    }

    /// A character as a double-quoted scalar's hexadecimal escape.
    fn hex(c: char, rng: &mut Rng) -> String {
        match rng.below(3) {
            0 if (c as u32) < 0x100 => format!("\\x{:02x}", c as u32),
            1 => format!("\\u{:04X}", c as u32),
            _ => format!("\\U{:08x}", c as u32),
        }
    }

    /// `name` as a scalar token: plain, single- or double-quoted, with random escapes,
    /// escaped line breaks and folds (a fold gives a space: no longer the name).
    fn token(name: &str, rng: &mut Rng, rates: &Rates) -> String {
        match rng.below(4) {
            0 => name.to_string(),
            1 => format!("'{name}'"),
            _ => {
                let mut out = String::from("\"");
                for c in name.chars() {
                    if rng.one_in(rates.join) {
                        out.push_str(rng.pick(&["\\\n", "\\\n", "\\\n  ", "\\\n\n   ", "\\\r\n"]));
                    } else if rng.one_in(200) {
                        out.push_str("\n  ");
                    }
                    match c {
                        _ if rng.one_in(rates.hex) => out.push_str(&hex(c, rng)),
                        '/' if rng.one_in(rates.slash) => out.push_str("\\/"),
                        '\\' => out.push_str("\\\\"),
                        c => out.push(c),
                    }
                }
                out.push('"');
                out
            }
        }
    }

    /// A document naming the annotation in one of the forms kustomize reads.
    fn document(rng: &mut Rng, rates: &Rates) -> String {
        let name = rng.pick(&[
            "config.kubernetes.io/origin",
            "/metadata/annotations/config.kubernetes.io~1origin",
            "metadata.annotations.config\\.kubernetes\\.io/origin",
        ]);
        let tok = token(name, rng, rates);
        match rng.below(6) {
            0 => format!("metadata:\n  annotations:\n    {tok}: x\n"),
            4 | 5 => format!("{{\"a\": {tok}}}\n"),
            1 => format!("{{\"metadata\": {{\"annotations\": {{{tok}: \"x\"}}}}}}\n"),
            2 => format!("- op: add\n  path: {tok}\n  value: x\n"),
            _ => format!("kind: X\n---\nfieldPaths: [{tok}]\n"),
        }
    }

    /// `text` as the value of `patch`, in a style that keeps it: a literal block scalar (0), a
    /// single-quoted (1) or a double-quoted (2) scalar; `style` when given and possible, else
    /// a random one.
    fn wrap(text: &str, rng: &mut Rng, rates: &Rates, style: Option<usize>) -> String {
        let breaks = ['\r', '\u{85}', '\u{2028}', '\u{2029}'];
        let plain_lines = !text.contains(breaks)
            && text
                .split('\n')
                .all(|l| !l.starts_with([' ', '\t']) && !l.ends_with([' ', '\t']));
        let style = style.unwrap_or_else(|| rng.below(3));
        if style == 0 && !text.contains(breaks) {
            let mut out = String::from("patch: |2\n");
            for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
            return out;
        }
        if style == 1 && plain_lines && !text.starts_with('\n') {
            // A single-quoted scalar: a line break is written as an empty line, blanks
            // before a break are dropped.
            let mut out = String::from("patch: '");
            let body = text.strip_suffix('\n').unwrap_or(text);
            for (i, line) in body.split('\n').enumerate() {
                if i > 0 {
                    out.push_str(rng.pick(&["", " ", "  ", " \t", "\t"]));
                    out.push_str("\n\n  ");
                }
                out.push_str(&line.replace('\'', "''"));
            }
            out.push_str("'\n");
            return out;
        }
        let mut out = String::from("patch: \"");
        for c in text.chars() {
            if rng.one_in(rates.wrap_join) {
                out.push_str("\\\n  ");
            }
            match c {
                '"' => out.push_str("\\\""),
                c if rng.one_in(rates.hex) => out.push_str(&hex(c, rng)),
                '/' if rng.one_in(rates.slash) => out.push_str("\\/"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str(rng.pick(&["\\n", "\\n", "\\N", "\\L", "\\P"])),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str(rng.pick(&["\\t", "\\\t"])),
                ' ' => out.push_str(rng.pick(&[" ", " ", " ", "\\ "])),
                c if (c as u32) < 0x20 || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push_str("\"\n");
        out
    }

    /// Generated texts, the annotation name written with random escapes, folds, quoting and
    /// up to three levels of nesting, then randomly damaged: whenever the check before
    /// refused one, the filter lets it through and the verdict is the same.
    #[test]
    fn generated_ways_of_writing_the_name_pass_the_filter() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut refused = 0usize;
        let total = 6000;
        for _ in 0..total {
            let never = usize::MAX;
            let rates = Rates {
                hex: [4, 30, never, never][rng.below(4)],
                slash: [3, never, never][rng.below(3)],
                join: [6, 40, never][rng.below(3)],
                wrap_join: [16, never, never][rng.below(3)],
            };
            let mut text = document(&mut rng, &rates);
            // Often single quotes inside double quotes: the folding of the first drops blanks
            // between a backslash and a line break, the second writes that backslash `\\`.
            let styles = match rng.below(3) {
                0 => vec![Some(1), Some(2)],
                _ => vec![None; rng.below(4)],
            };
            for style in styles {
                text = wrap(&text, &mut rng, &rates, style);
            }
            match rng.below(6) {
                0 => text = text.replace('\n', "\r\n"),
                1 => text.insert(0, '\u{feff}'),
                2 if !text.is_empty() => {
                    // Damage: a character left out, doubled, or a backslash or break added.
                    let mut chars: Vec<char> = text.chars().collect();
                    let at = rng.below(chars.len());
                    match rng.below(4) {
                        0 => {
                            chars.remove(at);
                        }
                        1 => chars.insert(at, chars[at]),
                        2 => chars.insert(at, '\\'),
                        _ => chars.insert(at, '\n'),
                    }
                    text = chars.into_iter().collect();
                }
                _ => {}
            }
            let before = refused_before(&text);
            if before {
                refused += 1;
                assert!(may_claim(&text), "let through: {text:?}");
            }
            if may_claim_before(&text) {
                assert_eq!(refused_now(&text), before, "{text:?}");
            }
        }
        // The generator writes claims the check finds, most of the time.
        assert!(refused > total / 3, "{refused} of {total}");
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for u in text.encode_utf16() {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    /// kustomize reads a kustomization, patch or resource written in UTF-16 (with a byte
    /// order mark) as it reads UTF-8: it is checked the same way.
    #[test]
    fn files_written_in_utf16_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let dir = root.join("k");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("kustomization.yaml"),
            utf16(
                "resources:\n- pod.yaml\n- https://127.0.0.1:9/x.yaml\npatches:\n- path: patch.yaml\n",
                false,
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("pod.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("patch.yaml"),
            utf16(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/origin: \"path: good.yaml\"\n",
                true,
            ),
        )
        .unwrap();
        let problems = check(&dir, "k", std::slice::from_ref(&root));
        assert!(
            problems.iter().any(|p| p.path == "k/kustomization.yaml"
                && p.span.start.line == 3
                && p.message.contains("remote reference")),
            "{:?}",
            problems.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        assert!(
            problems.iter().any(|p| p.path.ends_with("patch.yaml")
                && p.span.start.line == 6
                && p.message.contains(ORIGIN)),
            "{:?}",
            problems.iter().map(|p| &p.message).collect::<Vec<_>>()
        );
        // Odd bytes and unpaired surrogates are read around, not a reason to skip the file.
        let mut odd = utf16("config.kubernetes.io/origin: x\n", false);
        odd.extend([0x00, 0xD8, 0x41]);
        let text = decode(odd).unwrap();
        assert!(
            text.starts_with("config.kubernetes.io/origin: x\n"),
            "{text:?}"
        );
        assert_eq!(decode(vec![0xC3, 0x28]), None);
        assert_eq!(
            decode(b"\xEF\xBB\xBFa: 1\n".to_vec()).as_deref(),
            Some("\u{feff}a: 1\n")
        );
    }

    #[test]
    fn verdicts_shared_by_walks_give_each_walk_its_own_findings() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let base = root.join("base");
        std::fs::create_dir(&base).unwrap();
        std::fs::write(
            base.join("claim.yaml"),
            "kind: Pod\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: x\n",
        )
        .unwrap();
        std::fs::write(base.join("plain.yaml"), "kind: Pod\nmetadata:\n  name: p\n").unwrap();
        let bound = usize::try_from(MAX_KUSTOMIZATION).unwrap();
        std::fs::write(base.join("large.yaml"), "#".repeat(bound + 1)).unwrap();
        for (name, list) in [
            ("a", "[../base/claim.yaml, ../base/plain.yaml]"),
            (
                "b",
                "[../base/plain.yaml, ../base/claim.yaml, ../base/large.yaml]",
            ),
            ("c", "[../base/plain.yaml]"),
            ("d", "[../base/large.yaml]"),
        ] {
            let dir = root.join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(
                dir.join("kustomization.yaml"),
                format!("resources: {list}\n"),
            )
            .unwrap();
        }
        let roots = std::slice::from_ref(&root);
        let shown = |problems: Vec<Problem>| -> Vec<String> {
            problems
                .iter()
                .map(|p| format!("{} {:?} {}", p.path, p.span, p.message))
                .collect()
        };
        let verdicts = Verdicts::default();
        for round in 0..2 {
            for name in ["a", "b", "c", "d"] {
                let dir = root.join(name);
                let alone = shown(check(&dir, name, roots));
                let shared = shown(check_with(&dir, name, roots, &verdicts));
                assert_eq!(shared, alone, "{name}, round {round}");
                let refused = !matches!(name, "c");
                assert_eq!(!alone.is_empty(), refused, "{name}: {alone:?}");
            }
        }
        assert!(verdicts.files.paths().len() >= 3);
    }

    /// A file over the size bound is refused when it is text, also when the bound cuts a
    /// character in two (it was skipped, unchecked, as not UTF-8); binary data is not.
    #[test]
    fn large_text_files_are_refused_wherever_the_bound_cuts() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let dir = root.join("k");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(
            dir.join("kustomization.yaml"),
            "resources: [pod.yaml]\npatches:\n- path: patch.yaml\nconfigMapGenerator:\n- name: c\n  files: [blob.bin]\n",
        )
        .unwrap();
        std::fs::write(dir.join("pod.yaml"), "kind: Pod\n").unwrap();
        // `é` (two bytes) across the bound.
        let bound = usize::try_from(MAX_KUSTOMIZATION).unwrap();
        let mut patch = "#".repeat(bound - 1);
        patch.push_str("é\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: x\n");
        std::fs::write(dir.join("patch.yaml"), patch).unwrap();
        std::fs::write(dir.join("blob.bin"), vec![0xC0u8; bound + 10]).unwrap();
        let problems = check(&dir, "k", std::slice::from_ref(&root));
        let refused: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(
            refused.iter().any(|p| p.ends_with("patch.yaml")),
            "{refused:?}"
        );
        assert!(
            !refused.iter().any(|p| p.ends_with("blob.bin")),
            "{refused:?}"
        );
    }
}
