//! Kustomize patches: which line of which patch sets a field of a built object.
//!
//! Kustomize's origin annotation names the resource file an object was read from, never the
//! patches applied to it. The patches are found from the kustomizations themselves: the built
//! one and every kustomization it builds on (`resources:`, `bases:`, `components:`), each with
//! its own `patchesStrategicMerge:`, `patches:` (`path:` or inline `patch:`) and
//! `patchesJson6902:`. They are kept in kustomize's order of application (checked with
//! kubectl 1.32 / kustomize 5.5): the kustomizations a kustomization lists first (depth first, in
//! order), then its components, then its own `patchesStrategicMerge`, `patches`, and, after its
//! `namespace`/`namePrefix`/`nameSuffix`/labels, its `patchesJson6902`. The last patch in that
//! order that sets the field, applies to the object, and writes the value the build has, wins.
//!
//! Whether a patch applies to an object is decided as kustomize does:
//! - a `target:` selects by `group`/`version`/`kind`/`name`/`namespace` (anchored regular
//!   expressions, RE2 syntax, matched against the object's original name or its name at that
//!   kustomization, prefixes and suffixes of the kustomizations below added), `labelSelector`
//!   and `annotationSelector` (Kubernetes label selector syntax, on the labels and annotations
//!   the object has there: its file's and those that kustomizations below added);
//! - a strategic-merge patch without target applies to the object of its own `apiVersion`,
//!   `kind`, `name` (original, or any name it had on the way up) and namespace.
//!
//! Every file is read through [`crate::safepath::read_confined`]; a patch path must be a clean
//! relative path, a resource path must resolve inside the scan. Sizes are bounded: the number of
//! kustomizations, their depth, the length of a regular expression and its compiled size.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::finding::{FieldPath, Segment};
use crate::model::yaml::{parse_stream, Node, Stream};
use crate::model::{Pos, Span};

/// At most this many kustomizations are read for one build.
const MAX_KUSTOMIZATIONS: usize = 256;
/// At most this deep a chain of kustomizations is followed.
const MAX_DEPTH: usize = 32;
/// At most this many chains from the built kustomization to a resource file are considered.
const MAX_CHAINS: usize = 64;
/// At most this many patches are read for one build.
const MAX_PATCHES: usize = 1024;
/// The longest regular expression or label selector taken from a `target:`.
const MAX_PATTERN: usize = 1024;
/// The compiled size allowed for one regular expression (bytes).
const MAX_REGEX_SIZE: usize = 1 << 20;

/// Where a patch sets a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchHit {
    pub file: PathBuf,
    pub span: Span,
    /// `strategic merge` or `JSON 6902`.
    pub kind: &'static str,
    /// For a field the build output does not have: the number of its keys the patch has (the
    /// hit is the deepest of them, where the key would be added). `None`: the patch sets the
    /// field.
    pub nearest: Option<usize>,
}

/// Where in a patch document a field is set (or, `nearest`, its deepest ancestor).
struct Found {
    span: Span,
    kind: &'static str,
    nearest: Option<usize>,
}

/// The object a finding is about, as built, and the resource file it came from.
pub struct Object<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    /// Its name in the build output (prefixes and suffixes added).
    pub name: &'a str,
    /// The resource file (the origin annotation's `path:`), as resolved by the caller.
    pub source: &'a Path,
    /// The object in the build output.
    pub built: &'a Node,
}

/// When a patch is applied within its kustomization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `patchesStrategicMerge` and `patches`: before the kustomization's namespace, name
    /// prefix/suffix and labels.
    Before,
    /// `patchesJson6902`: after them.
    After,
}

/// One kustomization of the tree.
#[derive(Debug, Default)]
struct Kust {
    /// Canonical directory.
    dir: PathBuf,
    prefix: String,
    suffix: String,
    namespace: Option<String>,
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
    /// Resource files it lists (canonical).
    files: Vec<PathBuf>,
    /// Kustomizations it lists (`resources`, `bases`, `components`), by index.
    children: Vec<usize>,
}

/// A compiled `target:`.
#[derive(Debug, Default)]
struct Selector {
    group: Option<regex::bytes::Regex>,
    version: Option<regex::bytes::Regex>,
    kind: Option<regex::bytes::Regex>,
    name: Option<regex::bytes::Regex>,
    namespace: Option<regex::bytes::Regex>,
    labels: Option<Vec<Requirement>>,
    annotations: Option<Vec<Requirement>>,
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// One patch: its parsed text, the file it is in, and where that text starts in the file.
struct Patch {
    file: PathBuf,
    /// The whole text of `file`.
    file_text: String,
    /// Line and column offset of the patch text in the file (an inline block scalar; 0 for a
    /// file).
    line_offset: u32,
    col_offset: u32,
    /// An inline patch on one line (a quoted or flow string): every hit is this span.
    fixed: Option<Span>,
    /// `None`: a strategic-merge patch applied to the object its documents name.
    target: Option<Selector>,
    /// The kustomization whose names and labels the target sees (for a component, the
    /// kustomization that lists it).
    level: usize,
    phase: Phase,
    stream: Stream,
}

/// The patches that apply to the objects of one build, read and parsed once.
#[derive(Default)]
pub struct Patches {
    tree: Vec<Kust>,
    top: Option<usize>,
    list: Vec<Patch>,
    roots: Vec<PathBuf>,
    /// Parsed resource files (each document's metadata and root), read on first use.
    sources: RefCell<BTreeMap<PathBuf, Docs>>,
}

/// Reads the patches of the kustomization in `dir` and of every kustomization it builds on
/// (only inside `roots`).
pub fn load(dir: &Path, roots: &[PathBuf]) -> Patches {
    let mut p = Patches {
        roots: roots.to_vec(),
        ..Patches::default()
    };
    if let Ok(top) = crate::safepath::confine(dir, roots) {
        p.top = p.visit(&top, None, 0);
    }
    p
}

/// The documents of a resource file: each one's metadata and root.
type Docs = Rc<Vec<(Meta, Node)>>;

/// The metadata of a resource document.
#[derive(Debug, Clone, Default)]
struct Meta {
    api_version: String,
    kind: String,
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl Meta {
    fn of(root: &Node) -> Meta {
        let text = |n: Option<&Node>| n.and_then(Node::text).unwrap_or("").to_string();
        let meta = root.get("metadata");
        let pairs = |key: &str| -> BTreeMap<String, String> {
            meta.and_then(|m| m.get(key))
                .and_then(Node::entries)
                .map(|es| {
                    es.iter()
                        .map(|e| (e.key_str().to_string(), text(Some(&e.value))))
                        .collect()
                })
                .unwrap_or_default()
        };
        Meta {
            api_version: text(root.get("apiVersion")),
            kind: text(root.get("kind")),
            name: text(meta.and_then(|m| m.get("name"))),
            namespace: text(meta.and_then(|m| m.get("namespace"))),
            labels: pairs("labels"),
            annotations: pairs("annotations"),
        }
    }
}

/// What an object looks like when a patch of a kustomization is applied to it.
#[derive(Debug, Clone)]
struct State {
    orig_name: String,
    orig_namespace: String,
    /// Its names from the original to the current one.
    names: Vec<String>,
    namespace: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

impl State {
    fn new(m: &Meta) -> State {
        State {
            orig_name: m.name.clone(),
            orig_namespace: m.namespace.clone(),
            names: vec![m.name.clone()],
            namespace: m.namespace.clone(),
            labels: m.labels.clone(),
            annotations: m.annotations.clone(),
        }
    }

    fn name(&self) -> &str {
        self.names.last().map_or("", String::as_str)
    }

    /// After the namespace, name prefix/suffix, labels and annotations of `k`.
    fn transform(&mut self, k: &Kust) {
        if !k.prefix.is_empty() || !k.suffix.is_empty() {
            let name = format!("{}{}{}", k.prefix, self.name(), k.suffix);
            self.names.push(name);
        }
        if let Some(ns) = &k.namespace {
            self.namespace.clone_from(ns);
        }
        for (key, v) in &k.labels {
            self.labels.insert(key.clone(), v.clone());
        }
        for (key, v) in &k.annotations {
            self.annotations.insert(key.clone(), v.clone());
        }
    }
}

/// The namespace kustomize compares: `default` for none.
fn effective(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

/// `apps/v1` -> (`apps`, `v1`); `v1` -> (``, `v1`).
fn group_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

impl Patches {
    /// Reads the kustomization in `dir` (canonical) and those it lists, adding their patches
    /// after theirs. `component_of`: the kustomization that lists `dir` under `components:`.
    fn visit(&mut self, dir: &Path, component_of: Option<usize>, depth: usize) -> Option<usize> {
        if let Some(i) = self.tree.iter().position(|k| k.dir == dir) {
            return Some(i);
        }
        if depth > MAX_DEPTH || self.tree.len() >= MAX_KUSTOMIZATIONS {
            return None;
        }
        let (kfile, ktext) = crate::discover::KUSTOMIZATION_NAMES.iter().find_map(|n| {
            let f = dir.join(n);
            crate::safepath::read_confined(&f, &self.roots).map(|t| (f, t))
        })?;
        let stream = parse_stream(&ktext);
        let root = stream.documents.first().and_then(|d| d.root.as_ref())?;
        let idx = self.tree.len();
        let text = |n: Option<&Node>| n.and_then(Node::text).unwrap_or("").to_string();
        let mut k = Kust {
            dir: dir.to_path_buf(),
            prefix: text(root.get("namePrefix")),
            suffix: text(root.get("nameSuffix")),
            namespace: root
                .get("namespace")
                .and_then(Node::text)
                .map(str::to_string),
            ..Kust::default()
        };
        let pairs = |n: Option<&Node>| -> Vec<(String, String)> {
            n.and_then(Node::entries)
                .map(|es| {
                    es.iter()
                        .map(|e| (e.key_str().to_string(), text(Some(&e.value))))
                        .collect()
                })
                .unwrap_or_default()
        };
        k.labels = pairs(root.get("commonLabels"));
        for item in root.get("labels").and_then(Node::as_seq).unwrap_or(&[]) {
            k.labels.extend(pairs(item.get("pairs")));
        }
        k.annotations = pairs(root.get("commonAnnotations"));
        self.tree.push(k);
        for key in ["resources", "bases", "components"] {
            for item in root.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
                let Some(rel) = item.text() else { continue };
                let Some(path) = self.resolve(dir, rel) else {
                    continue;
                };
                if path.is_file() {
                    if let Some(k) = self.tree.get_mut(idx) {
                        k.files.push(path);
                    }
                } else if path.is_dir() {
                    let parent = (key == "components").then_some(idx);
                    if let Some(child) = self.visit(&path, parent, depth + 1) {
                        if let Some(k) = self.tree.get_mut(idx) {
                            k.children.push(child);
                        }
                    }
                }
            }
        }
        let level = component_of.unwrap_or(idx);
        for patch in read_patches(dir, &kfile, &ktext, root, &self.roots) {
            if self.list.len() >= MAX_PATCHES {
                break;
            }
            let (phase, target, text) = patch.0;
            let stream = parse_stream(&text);
            let p = patch.1;
            self.list.push(Patch {
                level,
                phase: if component_of.is_some() {
                    Phase::Before
                } else {
                    phase
                },
                target,
                stream,
                ..p
            });
        }
        Some(idx)
    }

    /// A resource entry of the kustomization in `dir`: a local path that resolves inside the
    /// scan (canonical), or nothing.
    fn resolve(&self, dir: &Path, rel: &str) -> Option<PathBuf> {
        if rel.contains("://") || rel.starts_with("git@") || rel.contains('\n') {
            return None;
        }
        crate::safepath::check_text(rel).ok()?;
        if Path::new(rel).is_absolute() {
            return None;
        }
        let path = crate::render::lexical_normalize(&dir.join(rel));
        crate::safepath::confine(&path, &self.roots).ok()
    }

    /// The chains of kustomizations from `from` to one that lists `file`, `from` first.
    fn chains(&self, from: usize, file: &Path) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut stack = vec![from];
        self.walk(file, &mut stack, &mut out);
        out
    }

    fn walk(&self, file: &Path, stack: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        let Some(&at) = stack.last() else { return };
        let Some(k) = self.tree.get(at) else { return };
        if out.len() >= MAX_CHAINS || stack.len() > MAX_DEPTH {
            return;
        }
        if k.files.iter().any(|f| f == file) {
            out.push(stack.clone());
        }
        for &c in &k.children {
            if stack.contains(&c) {
                continue;
            }
            stack.push(c);
            self.walk(file, stack, out);
            stack.pop();
        }
    }

    /// The documents of a resource file.
    fn source_docs(&self, file: &Path) -> Docs {
        if let Ok(cache) = self.sources.try_borrow() {
            if let Some(m) = cache.get(file) {
                return Rc::clone(m);
            }
        }
        let docs: Vec<(Meta, Node)> = crate::safepath::read_confined(file, &self.roots)
            .map(|t| {
                parse_stream(&t)
                    .documents
                    .into_iter()
                    .filter_map(|d| d.root)
                    .map(|root| (Meta::of(&root), root))
                    .collect()
            })
            .unwrap_or_default();
        let docs = Rc::new(docs);
        if let Ok(mut cache) = self.sources.try_borrow_mut() {
            cache.insert(file.to_path_buf(), Rc::clone(&docs));
        }
        docs
    }

    /// For each way the object reaches the build: the chain of kustomizations and the original
    /// document of the object.
    fn origins(&self, obj: &Object<'_>) -> Vec<Origin> {
        let Some(top) = self.top else {
            return Vec::new();
        };
        let source = std::fs::canonicalize(obj.source).unwrap_or_else(|_| obj.source.to_path_buf());
        let chains = self.chains(top, &source);
        let docs = self.source_docs(&source);
        let mut out = Vec::new();
        for chain in &chains {
            for (doc, (m, _)) in docs.iter().enumerate() {
                if m.kind != obj.kind
                    || !(m.api_version.is_empty() || m.api_version == obj.api_version)
                {
                    continue;
                }
                let mut s = State::new(m);
                for &i in chain.iter().rev() {
                    if let Some(k) = self.tree.get(i) {
                        s.transform(k);
                    }
                }
                if s.name() == obj.name {
                    out.push(Origin {
                        chain: chain.clone(),
                        meta: m.clone(),
                        docs: Rc::clone(&docs),
                        doc,
                    });
                }
            }
        }
        out
    }

    /// The object as patch `p` sees it, for each origin whose chain passes through the
    /// kustomization of `p`.
    fn states<'o>(&self, p: &Patch, origins: &'o [Origin]) -> Vec<(&'o Origin, State)> {
        origins
            .iter()
            .filter_map(|o| {
                let at = o.chain.iter().position(|i| *i == p.level)?;
                let mut s = State::new(&o.meta);
                let upto = match p.phase {
                    Phase::Before => at + 1,
                    Phase::After => at,
                };
                for &i in o.chain.iter().skip(upto).rev() {
                    s.transform(self.tree.get(i)?);
                }
                Some((o, s))
            })
            .collect()
    }

    /// The documents of `p` that apply to the object, given its states there.
    fn applying<'p>(&self, p: &'p Patch, obj: &Object<'_>, states: &[State]) -> Vec<&'p Node> {
        let docs = p.stream.documents.iter().filter_map(|d| d.root.as_ref());
        match &p.target {
            Some(sel) if states.iter().any(|s| sel.selects(obj, s)) => docs.collect(),
            Some(_) => Vec::new(),
            None => docs
                .filter(|root| root.as_seq().is_none() && names_object(root, obj, states))
                .collect(),
        }
    }

    /// The names of the items of the list at `list` (keys from the object's root) when patch
    /// number `upto` applies: the resource file's order, changed by the patches before it
    /// (a strategic merge puts the patch's items first, in its order; JSON 6902 adds, removes
    /// and replaces at positions). `None` when an item has no name or an operation cannot be
    /// followed.
    fn list_order(
        &self,
        upto: usize,
        obj: &Object<'_>,
        origin: &Origin,
        list: &[&str],
    ) -> Option<Vec<String>> {
        let at = |root: &Node| -> Option<Vec<String>> {
            let mut n = root;
            for k in list {
                n = n.get(k)?;
            }
            n.as_seq()?
                .iter()
                .map(|it| it.get("name").and_then(Node::text).map(str::to_string))
                .collect()
        };
        let mut names = at(&origin.docs.get(origin.doc)?.1)?;
        let one = std::slice::from_ref(origin);
        for p in self.list.get(..upto)? {
            let states: Vec<State> = self.states(p, one).into_iter().map(|(_, s)| s).collect();
            if states.is_empty() {
                continue;
            }
            for doc in self.applying(p, obj, &states) {
                match doc.as_seq() {
                    Some(ops) => {
                        for op in ops {
                            let Some(path) = op.get("path").and_then(Node::text) else {
                                continue;
                            };
                            let Some((parent, last)) = path.rsplit_once('/') else {
                                continue;
                            };
                            let parent: Vec<&str> = parent.split('/').skip(1).collect();
                            if parent != list {
                                // An operation on the whole list replaces it: not followed.
                                if path.split('/').skip(1).collect::<Vec<_>>() == list {
                                    return None;
                                }
                                continue;
                            }
                            let name = op
                                .get("value")
                                .and_then(|v| v.get("name"))
                                .and_then(Node::text)
                                .map(str::to_string);
                            let index = if last == "-" {
                                names.len()
                            } else {
                                last.parse::<usize>().ok()?
                            };
                            match op.get("op").and_then(Node::text).unwrap_or("") {
                                "add" if index <= names.len() => names.insert(index, name?),
                                "remove" if index < names.len() => {
                                    names.remove(index);
                                }
                                "replace" => *names.get_mut(index)? = name?,
                                "test" => {}
                                _ => return None,
                            }
                        }
                    }
                    None => {
                        let Some(first) = at(doc) else { continue };
                        let rest: Vec<String> =
                            names.into_iter().filter(|n| !first.contains(n)).collect();
                        names = first;
                        names.extend(rest);
                    }
                }
            }
        }
        Some(names)
    }

    /// The patch line that sets `field` (`spec.template.spec.containers[0].securityContext.x`)
    /// of `obj`: the last patch in kustomize's order that applies to the object, has the field,
    /// and writes the value the build output has.
    pub fn find(&self, obj: &Object<'_>, field: &FieldPath) -> Option<PatchHit> {
        if self.list.is_empty() {
            return None;
        }
        let origins = self.origins(obj);
        // The deepest ancestor of a field the build does not have, the later patch on a tie.
        let mut nearest: Option<PatchHit> = None;
        for (pi, p) in self.list.iter().enumerate().rev() {
            let states = self.states(p, &origins);
            if states.is_empty() {
                continue;
            }
            let plain: Vec<State> = states.iter().map(|(_, s)| s.clone()).collect();
            // Whether position `index` of the list at depth `depth` of the field is, when this
            // patch applies, the item the field names in the build output.
            let same_item = |depth: usize, index: usize| -> bool {
                let segs = field.segments();
                let keys: Option<Vec<&str>> = segs
                    .get(..depth)
                    .unwrap_or(&[])
                    .iter()
                    .map(|s| match s {
                        Segment::Key(k) => Some(k.as_str()),
                        Segment::Index(_) => None,
                    })
                    .collect();
                let Some(Segment::Index(built_index)) = segs.get(depth) else {
                    return false;
                };
                let name = item_name(obj.built, segs, depth);
                match (keys, name) {
                    (Some(keys), Some(name)) => {
                        states
                            .iter()
                            .any(|(o, _)| match self.list_order(pi, obj, o, &keys) {
                                Some(order) => order.get(index) == Some(&name),
                                None => index == *built_index,
                            })
                    }
                    _ => index == *built_index,
                }
            };
            for root in self.applying(p, obj, &plain) {
                let found = match root.as_seq() {
                    Some(_) => json6902(root, field, obj.built, &same_item),
                    None => strategic(root, field, obj.built),
                };
                match found {
                    Some(f) if f.nearest.is_none() => return Some(p.hit(f)),
                    Some(f) => {
                        let deeper = nearest
                            .as_ref()
                            .is_none_or(|h: &PatchHit| f.nearest > h.nearest);
                        if deeper {
                            nearest = Some(p.hit(f));
                        }
                    }
                    None => {}
                }
            }
        }
        nearest
    }
}

/// How an object reaches the build: the kustomizations from the built one down to the one that
/// lists its resource file, and its document there.
struct Origin {
    chain: Vec<usize>,
    meta: Meta,
    /// The documents of the resource file, and which one is the object's.
    docs: Docs,
    doc: usize,
}

/// The `name` of the list item at depth `depth` of `segs` in the build output.
fn item_name(built: &Node, segs: &[Segment], depth: usize) -> Option<String> {
    let mut n = built;
    for s in segs.get(..=depth)? {
        n = match s {
            Segment::Key(k) => n.get(k)?,
            Segment::Index(i) => n.as_seq()?.get(*i)?,
        };
    }
    n.get("name")?.text().map(str::to_string)
}

impl Patch {
    fn hit(&self, found: Found) -> PatchHit {
        let Found {
            span,
            kind,
            nearest,
        } = found;
        if let Some(fixed) = self.fixed {
            return PatchHit {
                file: self.file.clone(),
                span: fixed,
                kind,
                nearest,
            };
        }
        let start = Pos::new(
            span.start.line + self.line_offset,
            span.start.col + self.col_offset,
        );
        // To the end of the line, as other mappings do.
        let end_col = self
            .file_text
            .lines()
            .nth((start.line as usize).saturating_sub(1))
            .map(|l| u32::try_from(l.trim_end().chars().count() + 1).unwrap_or(u32::MAX))
            .filter(|c| *c > start.col)
            .unwrap_or(span.end.col + self.col_offset);
        PatchHit {
            file: self.file.clone(),
            span: Span::new(start, Pos::new(start.line, end_col)),
            kind,
            nearest,
        }
    }
}

/// Whether a strategic-merge patch without target names the object: its kind and apiVersion,
/// one of the names the object had up to this kustomization, and its namespace.
fn names_object(root: &Node, obj: &Object<'_>, states: &[State]) -> bool {
    fn text(n: Option<&Node>) -> &str {
        n.and_then(Node::text).unwrap_or("")
    }
    let meta = root.get("metadata");
    let kind = text(root.get("kind"));
    let api_version = text(root.get("apiVersion"));
    let name = text(meta.and_then(|m| m.get("name")));
    let namespace = text(meta.and_then(|m| m.get("namespace")));
    if kind != obj.kind || (!api_version.is_empty() && api_version != obj.api_version) {
        return false;
    }
    states.iter().any(|s| {
        s.names.iter().any(|n| n == name)
            && (effective(namespace) == effective(&s.namespace)
                || effective(namespace) == effective(&s.orig_namespace))
    })
}

impl Selector {
    /// Reads a `target:`; `None` when a pattern is too long or does not compile (kustomize
    /// would refuse the build).
    fn read(target: &Node) -> Option<Selector> {
        let regex = |key: &str| -> Option<Option<regex::bytes::Regex>> {
            match target.get(key).and_then(Node::text) {
                None | Some("") => Some(None),
                Some(p) => anchored(p).map(Some),
            }
        };
        let requirements = |key: &str| -> Option<Option<Vec<Requirement>>> {
            match target.get(key).and_then(Node::text) {
                None => Some(None),
                Some(s) if s.trim().is_empty() => Some(None),
                Some(s) => label_selector(s).map(Some),
            }
        };
        Some(Selector {
            group: regex("group")?,
            version: regex("version")?,
            kind: regex("kind")?,
            name: regex("name")?,
            namespace: regex("namespace")?,
            labels: requirements("labelSelector")?,
            annotations: requirements("annotationSelector")?,
        })
    }

    /// Whether the target selects the object in the state it is in when the patch applies.
    fn selects(&self, obj: &Object<'_>, s: &State) -> bool {
        let is = |re: &Option<regex::bytes::Regex>, v: &str| {
            re.as_ref().is_none_or(|re| re.is_match(v.as_bytes()))
        };
        let (group, version) = group_version(obj.api_version);
        (is(&self.name, &s.orig_name) || is(&self.name, s.name()))
            && (is(&self.namespace, effective(&s.orig_namespace))
                || is(&self.namespace, effective(&s.namespace)))
            && is(&self.group, group)
            && is(&self.version, version)
            && is(&self.kind, obj.kind)
            && self
                .labels
                .as_ref()
                .is_none_or(|r| r.iter().all(|r| r.matches(&s.labels)))
            && self
                .annotations
                .as_ref()
                .is_none_or(|r| r.iter().all(|r| r.matches(&s.annotations)))
    }
}

/// A regular expression of a `target:`, anchored as kustomize anchors it (`^(?:P)$`), in RE2
/// syntax (Go's `regexp`, ASCII classes), bounded in length and compiled size.
fn anchored(pattern: &str) -> Option<regex::bytes::Regex> {
    if pattern.len() > MAX_PATTERN {
        return None;
    }
    regex::bytes::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .unicode(false)
        .size_limit(MAX_REGEX_SIZE)
        .dfa_size_limit(MAX_REGEX_SIZE)
        .nest_limit(64)
        .build()
        .ok()
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
        }
    }
}

/// A Kubernetes label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h`); `None` when it does not
/// parse or is too long.
fn label_selector(s: &str) -> Option<Vec<Requirement>> {
    if s.len() > MAX_PATTERN {
        return None;
    }
    // Split at commas outside parentheses.
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                parts.push(s.get(start..i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s.get(start..)?);
    let word = |w: &str| -> Option<String> {
        let w = w.trim();
        let ok = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
        ok.then(|| w.to_string())
    };
    let value = |w: &str| -> Option<String> {
        let w = w.trim();
        w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .then(|| w.to_string())
    };
    let set = |rest: &str| -> Option<Vec<String>> {
        let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
        inner.split(',').map(value).collect()
    };
    let mut out = Vec::new();
    for part in parts {
        let part = part.trim();
        if let Some(k) = part.strip_prefix('!') {
            out.push(Requirement::NotExists(word(k)?));
        } else if let Some((k, v)) = part.split_once("!=") {
            out.push(Requirement::NotIn(word(k)?, vec![value(v)?]));
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            out.push(Requirement::In(word(k)?, vec![value(v)?]));
        } else if let Some((k, rest)) = part.split_once(" notin ") {
            out.push(Requirement::NotIn(word(k)?, set(rest)?));
        } else if let Some((k, rest)) = part.split_once(" in ") {
            out.push(Requirement::In(word(k)?, set(rest)?));
        } else {
            out.push(Requirement::Exists(word(part)?));
        }
    }
    Some(out)
}

/// Whether the value a patch writes is the value of the build output (a later patch or
/// transformer did not change it). Mappings and lists are taken as written.
fn same_value(patch: &Node, built: &Node) -> bool {
    match (patch.text(), built.text()) {
        (Some(p), Some(b)) => p == b || patch.to_json() == built.to_json(),
        (None, None) => true,
        _ => false,
    }
}

/// A strategic-merge patch: the entry of the field's deepest key, when the patch has the
/// whole path (list items matched by their `name`, as the build output names the item at the
/// field's index) and writes the value the build output has.
fn strategic(root: &Node, field: &FieldPath, built: &Node) -> Option<Found> {
    let missing = node_at(built, field.segments()).is_none();
    let mut node = root;
    let mut b = Some(built);
    let mut last = None;
    let mut depth = 0;
    let nearest = |last: Option<Span>, depth: usize| {
        last.filter(|_| missing).map(|span| Found {
            span,
            kind: "strategic merge",
            nearest: Some(depth),
        })
    };
    for seg in field.segments() {
        match seg {
            Segment::Key(key) => {
                let Some(e) = node.get_entry(key) else {
                    return nearest(last, depth);
                };
                last = Some(e.key.span);
                depth += 1;
                node = &e.value;
                b = b.and_then(|b| b.get(key));
            }
            Segment::Index(i) => {
                let item = b.and_then(Node::as_seq).and_then(|s| s.get(*i));
                let want = item.and_then(|b| b.get("name")).and_then(Node::text);
                let found = want.and_then(|want| {
                    node.as_seq()?
                        .iter()
                        .find(|it| it.get("name").and_then(Node::text) == Some(want))
                });
                let Some(found) = found else {
                    return nearest(last, depth);
                };
                node = found;
                b = item;
            }
        }
    }
    let key = last?;
    same_value(node, b?).then_some(Found {
        span: key,
        kind: "strategic merge",
        nearest: None,
    })
}

/// The node at a field path.
fn node_at<'n>(root: &'n Node, segs: &[Segment]) -> Option<&'n Node> {
    let mut n = root;
    for s in segs {
        n = match s {
            Segment::Key(k) => n.get(k)?,
            Segment::Index(i) => n.as_seq()?.get(*i)?,
        };
    }
    Some(n)
}

/// A JSON 6902 patch: the `value` of the last `add`/`replace` operation whose `path` is the
/// field, or the key inside the `value` of an operation on an ancestor, when it writes the
/// value the build output has.
fn json6902(
    root: &Node,
    field: &FieldPath,
    built: &Node,
    same_item: &dyn Fn(usize, usize) -> bool,
) -> Option<Found> {
    // The build output's node at each depth of the field, to compare values and to resolve
    // `-` (the end of a list).
    let mut nodes: Vec<Option<&Node>> = vec![Some(built)];
    for seg in field.segments() {
        let next = nodes.last().copied().flatten().and_then(|n| match seg {
            Segment::Key(k) => n.get(k),
            Segment::Index(i) => n.as_seq().and_then(|s| s.get(*i)),
        });
        nodes.push(next);
    }
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
        let Some(path) = op.get("path").and_then(Node::text) else {
            continue;
        };
        let Some(value) = op.get_entry("value") else {
            continue;
        };
        let Some(rest) = path.strip_prefix('/') else {
            continue;
        };
        let segs: Vec<String> = rest
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        if segs.len() > pointer.len() {
            continue;
        }
        let prefix = segs.iter().zip(&pointer).enumerate().all(|(d, (s, p))| {
            match field.segments().get(d) {
                // A position: the item there when the patch applies (a strategic merge before
                // it may have reordered the list); `-` appends.
                Some(Segment::Index(_)) => {
                    let len = nodes
                        .get(d)
                        .copied()
                        .flatten()
                        .and_then(Node::as_seq)
                        .map_or(0, <[Node]>::len);
                    match s.as_str() {
                        "-" => p.parse::<usize>().is_ok_and(|i| i + 1 == len),
                        s => s.parse::<usize>().is_ok_and(|i| same_item(d, i)),
                    }
                }
                _ => s == p,
            }
        });
        if !prefix {
            continue;
        }
        // Inside the value.
        let mut node = &value.value;
        let mut last = value.key.span;
        let mut found = true;
        let mut depth = field
            .segments()
            .iter()
            .take(segs.len())
            .filter(|s| matches!(s, Segment::Key(_)))
            .count();
        for seg in pointer.iter().skip(segs.len()) {
            if let Ok(i) = seg.parse::<usize>() {
                match node.as_seq().and_then(|s| s.get(i)) {
                    Some(n) => node = n,
                    None => {
                        found = false;
                        break;
                    }
                }
                continue;
            }
            match node.get_entry(seg) {
                Some(e) => {
                    last = e.key.span;
                    depth += 1;
                    node = &e.value;
                }
                None => {
                    found = false;
                    break;
                }
            }
        }
        let built_leaf = nodes.last().copied().flatten();
        if !found {
            // This operation writes the ancestor without the field: an earlier one cannot
            // have set it (it was replaced). When the build lacks the field, the deepest key
            // of the value is where it would go.
            return built_leaf.is_none().then_some(Found {
                span: last,
                kind: "JSON 6902",
                nearest: Some(depth),
            });
        }
        return same_value(node, built_leaf?).then_some(Found {
            span: last,
            kind: "JSON 6902",
            nearest: None,
        });
    }
    None
}

/// A patch as read from a kustomization, before parsing: (phase, target, text) and the rest.
type ReadPatch = ((Phase, Option<Selector>, String), Patch);

/// The patches listed by one kustomization (`ktext`, in `dir`), in the order kustomize applies
/// them: `patchesStrategicMerge`, `patches`, `patchesJson6902`.
fn read_patches(
    dir: &Path,
    kfile: &Path,
    ktext: &str,
    root: &Node,
    roots: &[PathBuf],
) -> Vec<ReadPatch> {
    let mut out = Vec::new();
    let read = |rel: &str| -> Option<(PathBuf, String)> {
        crate::safepath::check_relative(rel).ok()?;
        let f = crate::render::lexical_normalize(&dir.join(rel));
        crate::safepath::read_confined(&f, roots).map(|t| (f, t))
    };
    let empty = |file: PathBuf, file_text: String| Patch {
        file,
        file_text,
        line_offset: 0,
        col_offset: 0,
        fixed: None,
        target: None,
        level: 0,
        phase: Phase::Before,
        stream: Stream::default(),
    };
    for (key, phase) in [
        ("patchesStrategicMerge", Phase::Before),
        ("patches", Phase::Before),
        ("patchesJson6902", Phase::After),
    ] {
        let Some(items) = root.get(key).and_then(Node::as_seq) else {
            continue;
        };
        for item in items {
            // `patchesStrategicMerge: [file.yaml]` (or an inline patch as a string).
            if let Some(rel) = item.text() {
                if let Some((file, text)) = read(rel) {
                    out.push(((phase, None, text.clone()), empty(file, text)));
                }
                continue;
            }
            let target = match item.get("target") {
                Some(t) => match Selector::read(t) {
                    Some(s) => Some(s),
                    // A target kustomize would refuse: the patch applies to nothing.
                    None => continue,
                },
                None => None,
            };
            if let Some(rel) = item.get("path").and_then(Node::text) {
                if let Some((file, text)) = read(rel) {
                    out.push(((phase, target, text.clone()), empty(file, text)));
                }
            } else if let Some(entry) = item.get_entry("patch") {
                let Some(text) = entry.value.text() else {
                    continue;
                };
                let mut p = empty(kfile.to_path_buf(), ktext.to_string());
                let key_line = entry.key.span.start.line;
                // A block scalar (`patch: |-`, `patch: >2`): the key's line ends with its header.
                let block = ktext
                    .lines()
                    .nth(key_line.saturating_sub(1) as usize)
                    .and_then(|l| l.split_once("patch:"))
                    .map(|(_, v)| v.split(" #").next().unwrap_or(v).trim())
                    .is_some_and(|v| {
                        v.starts_with(['|', '>'])
                            && v.chars()
                                .skip(1)
                                .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    });
                if block {
                    // A block scalar (`patch: |-`): its lines start on the line after the key,
                    // at the indentation of its first line.
                    let Some(first) = ktext
                        .lines()
                        .skip(key_line as usize)
                        .find(|l| !l.trim().is_empty())
                    else {
                        continue;
                    };
                    let indent = first.chars().take_while(|c| *c == ' ').count();
                    let blank_before = ktext
                        .lines()
                        .skip(key_line as usize)
                        .take_while(|l| l.trim().is_empty())
                        .count();
                    p.line_offset = key_line + u32::try_from(blank_before).unwrap_or(0);
                    p.col_offset = u32::try_from(indent).unwrap_or(0);
                } else {
                    // A quoted or flow string: positions inside it cannot be mapped; the hit is
                    // the start of the value, to the end of its line.
                    let start = entry.value.span.start;
                    let end_col = ktext
                        .lines()
                        .nth((start.line as usize).saturating_sub(1))
                        .map(|l| {
                            u32::try_from(l.trim_end().chars().count() + 1).unwrap_or(u32::MAX)
                        })
                        .filter(|c| *c > start.col)
                        .unwrap_or(start.col);
                    p.fixed = Some(Span::new(start, Pos::new(start.line, end_col)));
                }
                out.push(((phase, target, text.to_string()), p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_parse_as_kubernetes_writes_them() {
        let r = label_selector("app=web, tier in (a,b),!legacy,env!=dev,x notin (y),z").unwrap();
        assert_eq!(
            r,
            vec![
                Requirement::In("app".into(), vec!["web".into()]),
                Requirement::In("tier".into(), vec!["a".into(), "b".into()]),
                Requirement::NotExists("legacy".into()),
                Requirement::NotIn("env".into(), vec!["dev".into()]),
                Requirement::NotIn("x".into(), vec!["y".into()]),
                Requirement::Exists("z".into()),
            ]
        );
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "b"), ("z", "")]
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        assert!(r.iter().all(|r| r.matches(&labels)));
        assert!(label_selector("a in (b").is_none());
        assert!(label_selector("a=(b)").is_none());
        assert!(label_selector(&"a".repeat(MAX_PATTERN + 1)).is_none());
    }

    #[test]
    fn cycles_and_chains_of_kustomizations_end() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let write = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // a -> b -> a (kustomize refuses it; reading it must still end), and a resource file.
        write(
            "a/kustomization.yaml",
            "resources: [../b, d.yaml]\nnamePrefix: a-\npatches:\n  - target: {name: x}\n    patch: |-\n      - op: add\n        path: /spec/replicas\n        value: 2\n",
        );
        write(
            "b/kustomization.yaml",
            "resources: [../a]\nnamePrefix: b-\n",
        );
        write(
            "a/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 2\n",
        );
        let patches = load(&root.join("a"), std::slice::from_ref(&root));
        assert_eq!(patches.tree.len(), 2);
        assert_eq!(patches.list.len(), 1);
        let built = parse_stream(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-x\nspec:\n  replicas: 2\n",
        );
        let built = built.documents[0].root.as_ref().unwrap();
        let source = root.join("a/d.yaml");
        let obj = Object {
            api_version: "apps/v1",
            kind: "Deployment",
            name: "a-x",
            source: &source,
            built,
        };
        let hit = patches
            .find(&obj, &FieldPath::parse("spec.replicas"))
            .unwrap();
        assert_eq!(hit.file, root.join("a/kustomization.yaml"));
        assert_eq!(hit.span.start, Pos::new(8, 9));
        assert_eq!(hit.nearest, None);
        // Another value than the build's: not this patch.
        let other = parse_stream(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-x\nspec:\n  replicas: 3\n",
        );
        let obj = Object {
            built: other.documents[0].root.as_ref().unwrap(),
            ..obj
        };
        assert!(patches
            .find(&obj, &FieldPath::parse("spec.replicas"))
            .is_none());
    }

    #[test]
    fn targets_are_anchored_regular_expressions() {
        let re = anchored("a.i").unwrap();
        assert!(re.is_match(b"api"));
        assert!(!re.is_match(b"my-api"));
        let re = anchored("ap|web").unwrap();
        assert!(re.is_match(b"web") && re.is_match(b"ap") && !re.is_match(b"api"));
        assert!(anchored("api-\\d+").unwrap().is_match(b"api-12"));
        assert!(anchored("(").is_none());
        assert!(anchored(&"a".repeat(MAX_PATTERN + 1)).is_none());
        // A pattern that would compile into more than the size limit is refused.
        assert!(anchored("((a{100}){100}){100}").is_none());
    }
}
