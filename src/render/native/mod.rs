//! An in-process kustomize build for the kustomizations that use only what it supports.
//!
//! `kubectl kustomize` costs a process, Go's start-up and kustomize's own work (about 0.1 s for
//! a small kustomization, seconds for a tree of large CustomResourceDefinitions). Most
//! kustomizations in repositories list files and directories under `resources` and little else.
//! This builder reads such a tree itself and prints what kustomize prints, byte for byte: the
//! same objects, in kustomize's legacy order, with the same `config.kubernetes.io/origin`
//! annotations, in go-yaml v2's serialization (see [`emit`]). It is a fast path, never a second
//! opinion: anything it does not support, or any value whose reading or printing is not certain
//! (see [`value`]), makes it step aside and the kustomization is built by kustomize exactly as
//! before (the `Unsupported` outcome). The test `tests/it/kustomize_native.rs` compares it with
//! kubectl on every kustomization of the fixtures, examples and corpus that it accepts.
//!
//! Supported: `resources` (files and kustomization directories, recursively), plus the fields
//! listed in [`KEYS`]. Errors kustomize would report for a supported tree (a listed file that
//! does not exist) are reported as the build's failure, as kustomize's are.

pub mod emit;
pub mod value;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::discover::KUSTOMIZATION_NAMES;
use crate::model::yaml::parse_stream;

use self::value::V;
use super::{lexical_normalize, relative_path};

/// Kustomization directories one build may reach.
const MAX_KUSTOMIZATIONS: usize = 1_000;
/// Resource files one build may read, and their total size.
const MAX_FILES: usize = 20_000;
const MAX_BYTES: u64 = 256 << 20;
/// Objects one build may produce.
const MAX_OBJECTS: usize = 100_000;

/// The kustomization fields this builder supports.
pub const KEYS: &[&str] = &["apiVersion", "kind", "resources"];

/// Which builder builds kustomizations (`--kustomize-builder`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Choice {
    /// The native builder when it supports the kustomization, else kustomize.
    #[default]
    Auto,
    /// The native builder only: a kustomization it does not support fails to build.
    Native,
    /// `kustomize build` or `kubectl kustomize` only.
    External,
}

/// What became of a native build.
#[derive(Debug)]
pub enum Outcome {
    /// kustomize's output, as `kubectl kustomize` prints it with origin annotations on.
    Built(String),
    /// The build fails as kustomize's would (a listed file is missing...).
    Failed(String),
    /// Not for this builder (why, for `--verbose` notes and tests): build with kustomize.
    Unsupported(String),
}

enum Stop {
    Failed(String),
    Unsupported(String),
}

fn unsupported<T>(why: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Unsupported(why.into()))
}

/// One object of the build.
struct Res {
    value: V,
    group: String,
    version: String,
    kind: String,
    namespace: String,
    name: String,
}

struct Build<'a> {
    roots: &'a [PathBuf],
    /// Kustomization directories being built (cycle check).
    stack: Vec<PathBuf>,
    kustomizations: usize,
    files: usize,
    bytes: u64,
    max_output: u64,
}

/// Builds the kustomization in `dir` (canonical) natively, reading only files inside `roots`
/// (canonical); output past `max_output` bytes is refused (kustomize's build then reports it).
pub fn build(dir: &Path, roots: &[PathBuf], max_output: u64) -> Outcome {
    let mut b = Build {
        roots,
        stack: Vec::new(),
        kustomizations: 0,
        files: 0,
        bytes: 0,
        max_output,
    };
    let result = b
        .kustomization(dir, Path::new(""))
        .and_then(|mut resources| b.print(&mut resources));
    match result {
        Ok(text) => Outcome::Built(text),
        Err(Stop::Failed(e)) => Outcome::Failed(e),
        Err(Stop::Unsupported(e)) => Outcome::Unsupported(e),
    }
}

impl Build<'_> {
    /// The resources of the kustomization in `dir` (canonical), whose path relative to the top
    /// kustomization is `rel` (as kustomize joins the entries that lead to it).
    fn kustomization(&mut self, dir: &Path, rel: &Path) -> Result<Vec<Res>, Stop> {
        if self.stack.iter().any(|d| d == dir) {
            return unsupported("a cycle of kustomizations");
        }
        self.kustomizations += 1;
        if self.kustomizations > MAX_KUSTOMIZATIONS || self.stack.len() > 100 {
            return unsupported("too many kustomizations");
        }
        let names: Vec<&&str> = KUSTOMIZATION_NAMES
            .iter()
            .filter(|n| dir.join(n).is_file())
            .collect();
        let [file] = names.as_slice() else {
            return unsupported("no kustomization file, or several");
        };
        let file_path = dir.join(file);
        self.check_inside(&file_path)?;
        let text = self.read(&file_path)?;
        let stream = parse_stream(&text);
        if !stream.diagnostics.is_empty() || stream.documents.len() != 1 {
            return unsupported(format!("{file}: not one plain YAML document"));
        }
        let Some(root) = stream.documents.first().and_then(|d| d.root.as_ref()) else {
            return unsupported(format!("{file}: empty"));
        };
        let k = value::from_node(root).map_err(Stop::Unsupported)?;
        let V::Map(entries) = &k else {
            return unsupported(format!("{file}: not a mapping"));
        };
        for (key, v) in entries {
            if !KEYS.contains(&key.as_str()) {
                return unsupported(format!("{file}: the field {key}"));
            }
            let ok = match key.as_str() {
                "apiVersion" => v.as_str() == Some("kustomize.config.k8s.io/v1beta1"),
                "kind" => v.as_str() == Some("Kustomization"),
                _ => true,
            };
            if !ok {
                return unsupported(format!("{file}: {key}"));
            }
        }
        let entries = match k.get("resources") {
            None => Vec::new(),
            Some(V::Seq(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Stop::Unsupported(format!("{file}: resources not strings")))?,
            Some(_) => return unsupported(format!("{file}: resources not a list")),
        };
        self.stack.push(dir.to_path_buf());
        let mut out = Vec::new();
        for entry in &entries {
            self.resource(dir, rel, file, entry, &mut out)?;
        }
        self.stack.pop();
        Ok(out)
    }

    /// One `resources` entry of the kustomization `file` in `dir`.
    fn resource(
        &mut self,
        dir: &Path,
        rel: &Path,
        file: &str,
        entry: &str,
        out: &mut Vec<Res>,
    ) -> Result<(), Stop> {
        if entry.is_empty() || super::refs::is_remote(entry) || Path::new(entry).is_absolute() {
            return unsupported(format!("{file}: resource {entry:?}"));
        }
        let path = lexical_normalize(&dir.join(entry));
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Kustomize fails the same way, unless a parent is a symlink it resolves
                // differently: only a path whose directories are all real is reported.
                if std::fs::canonicalize(path.parent().unwrap_or(dir))
                    .ok()
                    .as_deref()
                    != path.parent()
                {
                    return unsupported(format!("{file}: resource {entry:?} behind a symlink"));
                }
                return Err(Stop::Failed(format!(
                    "accumulating resources: {}: the resource '{entry}' does not exist (no such file or directory)",
                    display(&rel.join(file))
                )));
            }
            Err(e) => return unsupported(format!("{file}: resource {entry:?}: {e}")),
        };
        // Symlinks: kustomize resolves them in ways the origin paths show; left to it.
        match std::fs::canonicalize(&path) {
            Ok(c) if c == path => {}
            _ => {
                return unsupported(format!(
                    "{file}: resource {entry:?} is or is behind a symlink"
                ))
            }
        }
        let rel_entry = join_relative(rel, entry);
        if meta.is_dir() {
            let mut objects = self.kustomization(&path, &rel_entry)?;
            out.append(&mut objects);
            return Ok(());
        }
        if !meta.is_file() {
            return unsupported(format!("{file}: resource {entry:?} is not a regular file"));
        }
        // Kustomize's load restrictor: a file must be in or below the kustomization's directory.
        if !path.starts_with(dir) {
            return unsupported(format!("{file}: resource {entry:?} outside its directory"));
        }
        self.check_inside(&path)?;
        self.files += 1;
        if self.files > MAX_FILES {
            return unsupported("too many resource files");
        }
        let text = self.read(&path)?;
        let origin = format!("path: {}\n", display(&rel_entry));
        self.documents(&text, entry, &origin, out)
    }

    fn documents(
        &mut self,
        text: &str,
        entry: &str,
        origin: &str,
        out: &mut Vec<Res>,
    ) -> Result<(), Stop> {
        let stream = parse_stream(text);
        if !stream.diagnostics.is_empty() {
            return unsupported(format!("{entry}: YAML that kustomize may read differently"));
        }
        for doc in &stream.documents {
            let Some(root) = &doc.root else { continue };
            let mut v =
                value::from_node(root).map_err(|e| Stop::Unsupported(format!("{entry}: {e}")))?;
            let res = self.object(&mut v, entry, origin)?;
            out.push(Res { value: v, ..res });
            if out.len() > MAX_OBJECTS {
                return unsupported("too many objects");
            }
        }
        Ok(())
    }

    /// Checks one object and adds its origin annotation; its id (the value is moved in later).
    fn object(&self, v: &mut V, entry: &str, origin: &str) -> Result<Res, Stop> {
        let refuse = |why: &str| Stop::Unsupported(format!("{entry}: {why}"));
        let api_version = v
            .get("apiVersion")
            .and_then(V::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refuse("an object without apiVersion"))?
            .to_string();
        let kind = v
            .get("kind")
            .and_then(V::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refuse("an object without kind"))?
            .to_string();
        if kind.ends_with("List") {
            return Err(refuse("a List"));
        }
        let meta = v
            .get("metadata")
            .filter(|m| matches!(m, V::Map(_)))
            .ok_or_else(|| refuse("an object without metadata"))?;
        let name = meta
            .get("name")
            .and_then(V::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| refuse("an object without a name"))?
            .to_string();
        let namespace = match meta.get("namespace") {
            None => String::new(),
            Some(V::Str(s)) if !s.is_empty() => s.clone(),
            Some(_) => return Err(refuse("an odd namespace")),
        };
        for key in ["labels", "annotations"] {
            match meta.get(key) {
                None => {}
                Some(V::Map(entries)) if entries.iter().all(|(_, v)| matches!(v, V::Str(_))) => {}
                Some(_) => return Err(refuse("labels or annotations that are not strings")),
            }
        }
        if meta
            .get("annotations")
            .and_then(|a| a.get("config.kubernetes.io/origin"))
            .is_some()
        {
            return Err(refuse("an object with an origin annotation already"));
        }
        if meta.get("generateName").is_some() {
            return Err(refuse("generateName"));
        }
        let annotations = v
            .map_at("metadata")
            .and_then(|m| m.map_at("annotations"))
            .ok_or_else(|| refuse("odd metadata"))?;
        annotations.set("config.kubernetes.io/origin", V::Str(origin.to_string()));
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.clone()),
        };
        Ok(Res {
            value: V::Null,
            group,
            version,
            kind,
            namespace,
            name,
        })
    }

    fn check_inside(&self, path: &Path) -> Result<(), Stop> {
        super::inside_roots(path, self.roots)
            .map(|_| ())
            .map_err(|e| Stop::Unsupported(format!("{}: {e}", path.display())))
    }

    fn read(&mut self, path: &Path) -> Result<String, Stop> {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(u64::MAX);
        self.bytes = self.bytes.saturating_add(len);
        if self.bytes > MAX_BYTES {
            return unsupported("too many bytes to read");
        }
        let bytes = std::fs::read(path)
            .map_err(|e| Stop::Unsupported(format!("{}: {e}", path.display())))?;
        String::from_utf8(bytes)
            .map_err(|_| Stop::Unsupported(format!("{}: not UTF-8", path.display())))
    }

    /// Checks ids, sorts in kustomize's legacy order and prints.
    fn print(&self, resources: &mut [Res]) -> Result<String, Stop> {
        let mut ids = BTreeSet::new();
        for r in resources.iter() {
            // Kustomize takes an empty namespace and `default` as the same.
            let ns = if r.namespace == "default" {
                ""
            } else {
                &r.namespace
            };
            if !ids.insert((&r.group, &r.version, &r.kind, ns, &r.name)) {
                return unsupported("an object id added twice");
            }
        }
        resources.sort_by_cached_key(legacy_key);
        let mut out = String::new();
        for (i, r) in resources.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            let text = emit::document(&r.value).ok_or_else(|| {
                Stop::Unsupported(format!(
                    "{} {}: a value whose printing is not certain",
                    r.kind, r.name
                ))
            })?;
            out.push_str(&text);
            if out.len() as u64 > self.max_output {
                return unsupported("output larger than --max-render-output");
            }
        }
        Ok(out)
    }
}

/// kustomize's legacy order: kinds in a fixed order (others between), then group, version and
/// kind, then namespace and name.
fn legacy_key(r: &Res) -> (i32, String, String) {
    const FIRST: &[&str] = &[
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: &[&str] = &[
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    let rank = if let Some(i) = FIRST.iter().position(|k| *k == r.kind) {
        i as i32 - FIRST.len() as i32
    } else if let Some(i) = LAST.iter().position(|k| *k == r.kind) {
        i as i32 + 1
    } else {
        0
    };
    let or = |s: &str, none: &str| {
        if s.is_empty() {
            none.to_string()
        } else {
            s.to_string()
        }
    };
    let gvk = format!(
        "{}_{}_{}",
        or(&r.group, "~G"),
        or(&r.version, "~V"),
        or(&r.kind, "~K")
    );
    let id = format!("{}|{}", or(&r.namespace, "~X"), r.name);
    (rank, gvk, id)
}

/// `rel/entry` cleaned as Go's `filepath.Join` does: `a/../b` is `b`, leading `..` stay.
fn join_relative(rel: &Path, entry: &str) -> PathBuf {
    use std::path::Component;
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    for c in rel.components().chain(Path::new(entry).components()) {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else {
                    parts.push("..".into());
                }
            }
            Component::Normal(n) => parts.push(n.to_os_string()),
            Component::RootDir | Component::Prefix(_) => {}
        }
    }
    parts.iter().collect()
}

/// A relative path with `/` separators.
fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The relative path from `from` to `to`, with `/` separators (for tests and messages).
pub fn relative(from: &Path, to: &Path) -> String {
    display(&relative_path(from, to))
}

/// Canonical scan roots for a build of `dir` outside a scan (tests): the directory's ancestors
/// are not a limit there, only the given roots.
pub fn roots_of(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect()
}
