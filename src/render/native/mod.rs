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
pub mod transform;
pub mod value;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

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
/// Text of the resource files one run's [`Cache`] keeps parsed; past it, files are parsed by
/// each build that reads them.
const CACHE_BYTES: u64 = 256 << 20;

/// A resource file read and parsed: its length and its documents' values (without origin
/// annotations), or why it is not for this builder.
type Parsed = Result<(u64, Vec<V>), Refusal>;

/// Why a resource file is not for this builder (with the entry naming it, for the message).
#[derive(Clone, Debug)]
enum Refusal {
    Read(String),
    Yaml,
    Value(String),
}

/// Resource files read and parsed once per run, shared by the run's builds (several overlays of
/// one base, several installs listing the same CustomResourceDefinitions). Keyed by canonical
/// path; every build copies the values it transforms. The parse of a file is a function of its
/// text only, so a build's outcome does not depend on which build read a file first. Bounded by
/// [`CACHE_BYTES`] of text; dropped with the run's renders.
#[derive(Default)]
pub struct Cache {
    files: crate::render::once::OnceMap<Parsed>,
    bytes: std::sync::atomic::AtomicU64,
    /// The origin-claim check's verdicts on referenced files, for the same run.
    pub refs: crate::render::refs::Verdicts,
}

impl Cache {
    /// The slot of `path` (shared: a second build waits for the first one's parse), or `None`
    /// when the cache is full.
    fn slot(&self, path: &Path) -> Option<Arc<OnceLock<Parsed>>> {
        self.files.slot(path, |_| {
            self.bytes.load(std::sync::atomic::Ordering::Relaxed) > CACHE_BYTES
        })
    }
}

/// The kustomization fields this builder supports.
pub const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "patches",
    "bases",
    "components",
    "patchesJson6902",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "images",
];

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

/// What kustomize prints (on stderr, as a warning) for the deprecated fields supported here.
const DEPRECATED: &[(&str, &str)] = &[
    ("bases", "'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
    ("patchesJson6902", "'patchesJson6902' is deprecated. Please use 'patches' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
];

/// What became of a native build.
#[derive(Debug)]
pub enum Outcome {
    /// kustomize's output, as `kubectl kustomize` prints it with origin annotations on, and the
    /// warnings kustomize prints with it (a deprecated field).
    Built(String, Vec<String>),
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
    /// The names it had before `namePrefix`/`nameSuffix` renamed it (kustomize's previous ids).
    prev: Vec<String>,
}

type Id = (String, String, String, String, String);

impl Res {
    /// Group, version, kind, namespace and name.
    fn id_of(v: &V) -> Option<Id> {
        let api_version = v.get("apiVersion").and_then(V::as_str)?;
        let kind = v.get("kind").and_then(V::as_str)?.to_string();
        let meta = v.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(V::as_str)?
            .to_string();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(V::as_str)
            .unwrap_or_default()
            .to_string();
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Some((group, version, kind, namespace, name))
    }

    fn id(&self) -> Id {
        Res::id_of(&self.value).unwrap_or_default()
    }

    /// After a patch: still an object with an id.
    fn check(&self) -> Result<(), String> {
        let id = Res::id_of(&self.value).ok_or("a patch removed the object's id")?;
        if id.1.is_empty() || id.2.is_empty() || id.4.is_empty() {
            return Err("a patch emptied the object's id".into());
        }
        let meta_ok = match self.value.get("metadata") {
            Some(m) => ["namespace", "labels", "annotations"]
                .iter()
                .all(|k| match m.get(k) {
                    None => true,
                    Some(V::Str(s)) => *k == "namespace" && !s.is_empty(),
                    Some(V::Map(e)) => {
                        *k != "namespace" && e.iter().all(|(_, v)| matches!(v, V::Str(_)))
                    }
                    Some(_) => false,
                }),
            None => false,
        };
        if !meta_ok {
            return Err("a patch left odd metadata".into());
        }
        Ok(())
    }
}

/// A patch's `target`.
struct Target {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
}

impl Target {
    fn parse(v: &V) -> Result<Target, String> {
        let V::Map(fields) = v else {
            return Err("a target that is not a mapping".into());
        };
        let mut t = Target {
            group: None,
            version: None,
            kind: None,
            name: None,
            namespace: None,
        };
        for (k, v) in fields {
            let s = v
                .as_str()
                .ok_or("a target field that is not a string")?
                .to_string();
            // Names and namespaces are regular expressions in kustomize: plain ones only.
            let plain = s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/'));
            let group = k == "group"
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
            if !plain && !group {
                return Err(format!("the target {k} {s:?}"));
            }
            let slot = match k.as_str() {
                "group" => &mut t.group,
                "version" => &mut t.version,
                "kind" => &mut t.kind,
                "name" => &mut t.name,
                "namespace" => &mut t.namespace,
                other => return Err(format!("the target field {other}")),
            };
            // An empty field matches anything.
            *slot = Some(s).filter(|s| !s.is_empty());
        }
        Ok(t)
    }

    fn selects(&self, r: &Res) -> bool {
        let (g, v, k, ns, name) = r.id();
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&self.group, &g)
            && ok(&self.version, &v)
            && ok(&self.kind, &k)
            && ok(&self.name, &name)
            && ok(&self.namespace, &ns)
    }
}

/// `namespace`, where kustomize only sets `metadata.namespace`: every object of a kind known to
/// be namespaced and to name no namespace elsewhere (no RoleBinding subjects, no webhooks).
fn set_namespace(out: &mut [Res], ns: &str) -> Result<(), String> {
    const NAMESPACED: &[&str] = &[
        "ConfigMap",
        "Secret",
        "Service",
        "ServiceAccount",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
        "CronJob",
        "Pod",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "PersistentVolumeClaim",
        "Role",
        "LimitRange",
        "ResourceQuota",
    ];
    if !out.iter().all(|r| NAMESPACED.contains(&r.id().2.as_str())) {
        return Err("namespace with objects whose namespace handling is not certain".into());
    }
    for r in out.iter_mut() {
        if let Some(m) = r.value.get_mut("metadata") {
            m.set("namespace", V::Str(ns.to_string()));
        }
    }
    Ok(())
}

/// `labels` entries: `metadata.labels` of every object; with `includeSelectors`, also the
/// selectors and pod templates kustomize's `commonLabels` field specs name, for the kinds whose
/// field specs are certain here (see [`selector_paths`]). `includeTemplates` alone is left to
/// kustomize.
fn add_labels(out: &mut [Res], labels: &V) -> Result<(), String> {
    let V::Seq(entries) = labels else {
        return Err("labels not a list".into());
    };
    for e in entries {
        let V::Map(fields) = e else {
            return Err("a labels entry that is not a mapping".into());
        };
        let mut pairs = Vec::new();
        let (mut selectors, mut templates) = (false, false);
        for (k, v) in fields {
            match (k.as_str(), v) {
                ("pairs", V::Map(p)) if p.iter().all(|(_, v)| matches!(v, V::Str(_))) => {
                    pairs = p.clone();
                }
                ("includeSelectors", V::Bool(b)) => selectors = *b,
                ("includeTemplates", V::Bool(b)) => templates = *b,
                _ => return Err(format!("labels: {k}")),
            }
        }
        // With selectors, kustomize uses the `commonLabels` field specs (templates included);
        // templates alone use other field specs, not supported here.
        if templates && !selectors {
            return Err("labels: includeTemplates without includeSelectors".into());
        }
        for r in out.iter_mut() {
            let mut paths: Vec<&[&str]> = vec![&["metadata", "labels"]];
            if selectors {
                paths.extend(selector_paths(&r.value)?);
            }
            for path in paths {
                let mut at = &mut r.value;
                for key in path {
                    if matches!(at.get(key), Some(V::Null)) {
                        return Err(format!("labels over a null {key} field"));
                    }
                    at = at
                        .map_at(key)
                        .ok_or_else(|| format!("labels over an odd {key} field"))?;
                }
                for (k, v) in &pairs {
                    at.set(k, v.clone());
                }
            }
        }
    }
    Ok(())
}

/// Beyond `metadata/labels`, the paths kustomize's `commonLabels` field specs give an object's
/// labels (all created when absent), for the kinds where they are certain: a `v1` Service's
/// selector, an `apps/v1` Deployment's selector and pod template (without pod affinity or
/// topology spread constraints, whose selectors kustomize also changes when present), and
/// kinds kustomize labels only in their metadata.
fn selector_paths(v: &V) -> Result<Vec<&'static [&'static str]>, String> {
    let (group, version, kind, _, _) = Res::id_of(v).unwrap_or_default();
    match (group.as_str(), version.as_str(), kind.as_str()) {
        ("", "v1", "ConfigMap" | "Secret" | "ServiceAccount") => Ok(Vec::new()),
        ("", "v1", "Service") => Ok(vec![&["spec", "selector"]]),
        ("apps", "v1", "Deployment") => {
            let pod = v
                .get("spec")
                .and_then(|s| s.get("template"))
                .and_then(|t| t.get("spec"));
            if ["affinity", "topologySpreadConstraints"]
                .iter()
                .any(|k| pod.and_then(|p| p.get(k)).is_some())
            {
                return Err("labels with selectors over pod affinity or spread constraints".into());
            }
            Ok(vec![
                &["spec", "selector", "matchLabels"],
                &["spec", "template", "metadata", "labels"],
            ])
        }
        _ => Err(format!("labels with selectors on a {kind}")),
    }
}

/// `namePrefix`/`nameSuffix` on kinds kustomize renames (not CustomResourceDefinitions,
/// APIServices or Namespaces, which it skips): each object keeps its previous names, and
/// [`renamed_references`] later refuses a build where a reference could need the new name.
fn rename(out: &mut [Res], prefix: &str, suffix: &str) -> Result<(), String> {
    const RENAMED: &[&str] = &[
        "ConfigMap",
        "Secret",
        "Service",
        "ServiceAccount",
        "Deployment",
        "DaemonSet",
        "StatefulSet",
        "Job",
        "CronJob",
        "ReplicaSet",
        "Pod",
    ];
    if let Some(r) = out.iter().find(|r| !RENAMED.contains(&r.id().2.as_str())) {
        return Err(format!("namePrefix/nameSuffix over a {}", r.id().2));
    }
    for r in out.iter_mut() {
        let name = r.id().4;
        if let Some(m) = r.value.get_mut("metadata") {
            m.set("name", V::Str(format!("{prefix}{name}{suffix}")));
        }
        r.prev.push(name);
    }
    Ok(())
}

/// The fields by which kustomize's default `nameReference` configuration lets an object refer
/// to another by name, by the referring kind (every target kind together: a value equal to a
/// renamed object's previous name in any of them is enough to refuse).
fn reference_paths(kind: &str) -> Vec<Vec<&'static str>> {
    // The pod spec of each workload kind.
    let pod: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "ReplicaSet"
        | "DaemonSet"
        | "StatefulSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &[],
    };
    const IN_POD: &[&[&str]] = &[
        &["volumes", "configMap", "name"],
        &["volumes", "secret", "secretName"],
        &["volumes", "persistentVolumeClaim", "claimName"],
        &["volumes", "projected", "sources", "configMap", "name"],
        &["volumes", "projected", "sources", "secret", "name"],
        &["containers", "env", "valueFrom", "configMapKeyRef", "name"],
        &["containers", "env", "valueFrom", "secretKeyRef", "name"],
        &["containers", "envFrom", "configMapRef", "name"],
        &["containers", "envFrom", "secretRef", "name"],
        &[
            "initContainers",
            "env",
            "valueFrom",
            "configMapKeyRef",
            "name",
        ],
        &["initContainers", "env", "valueFrom", "secretKeyRef", "name"],
        &["initContainers", "envFrom", "configMapRef", "name"],
        &["initContainers", "envFrom", "secretRef", "name"],
        &["imagePullSecrets", "name"],
        &["serviceAccountName"],
        &["priorityClassName"],
    ];
    let mut paths: Vec<Vec<&str>> = Vec::new();
    if !pod.is_empty() {
        for p in IN_POD {
            paths.push(pod.iter().chain(p.iter()).copied().collect());
        }
    }
    let other: &[&[&str]] = match kind {
        "HorizontalPodAutoscaler" => &[&["spec", "scaleTargetRef", "name"]],
        "StatefulSet" => &[
            &["spec", "serviceName"],
            &["spec", "volumeClaimTemplates", "spec", "storageClassName"],
        ],
        "Ingress" => &[
            &["spec", "rules", "http", "paths", "backend", "serviceName"],
            &[
                "spec", "rules", "http", "paths", "backend", "service", "name",
            ],
            &["spec", "backend", "serviceName"],
            &["spec", "defaultBackend", "service", "name"],
            &["spec", "tls", "secretName"],
            &["spec", "ingressClassName"],
            &[
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/fastcgi-params-configmap",
            ],
            &[
                "metadata",
                "annotations",
                "ingress.kubernetes.io/auth-secret",
            ],
            &[
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/auth-secret",
            ],
            &[
                "metadata",
                "annotations",
                "nginx.ingress.kubernetes.io/auth-tls-secret",
            ],
        ],
        "APIService" => &[&["spec", "service", "name"]],
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            &[&["webhooks", "clientConfig", "service"]]
        }
        "Role" | "ClusterRole" => &[&["rules", "resourceNames"]],
        "RoleBinding" | "ClusterRoleBinding" => &[&["roleRef", "name"], &["subjects"]],
        "ServiceAccount" => &[&["imagePullSecrets", "name"]],
        "StorageClass" => &[
            &["parameters", "secretName"],
            &["parameters", "adminSecretName"],
            &["parameters", "userSecretName"],
            &["parameters", "secretRef"],
        ],
        "PersistentVolume" => &[
            &["spec", "azureFile", "secretName"],
            &["spec", "storageClassName"],
        ],
        "PersistentVolumeClaim" => &[&["spec", "volumeName"], &["spec", "storageClassName"]],
        "Node" => &[&["spec", "configSource", "configMap"]],
        // Knative's Service (kustomize selects it by group; any Service is checked here).
        "Service" => &[
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "env",
                "valueFrom",
                "configMapKeyRef",
                "name",
            ],
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "env",
                "valueFrom",
                "secretKeyRef",
                "name",
            ],
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "envFrom",
                "configMapRef",
                "name",
            ],
        ],
        _ => &[],
    };
    paths.extend(other.iter().map(|p| p.to_vec()));
    paths
}

/// The names a reference field holds, as kustomize reads them: through every item of a list on
/// the way; at the end a string, the strings of a list, or the `name` of a mapping (or of each
/// mapping of a list: RoleBinding subjects, a webhook's service). `None`: a value of another
/// shape, which is not certain.
fn names_at(v: &V, path: &[&str], out: &mut Vec<String>) -> Option<()> {
    match (path.split_first(), v) {
        (_, V::Null) => Some(()),
        (Some((key, rest)), V::Map(_)) => match v.get(key) {
            None => Some(()),
            Some(next) => names_at(next, rest, out),
        },
        (Some(_), V::Seq(items)) => items.iter().try_for_each(|i| names_at(i, path, out)),
        (Some(_), _) => None,
        (None, V::Str(s)) => {
            out.push(s.clone());
            Some(())
        }
        (None, V::Map(_)) => {
            if let Some(n) = v.get("name") {
                out.push(n.as_str()?.to_string());
            }
            Some(())
        }
        (None, V::Seq(items)) => items.iter().try_for_each(|i| names_at(i, &[], out)),
        (None, _) => None,
    }
}

/// After the build, where kustomize fixes references to renamed objects (each reference field
/// that holds a previous name of an object of the referred kind takes its new name): an error
/// when any reference field of any object holds a previous name of any renamed object (so
/// kustomize might change it), or has a shape that is not certain.
fn renamed_references(resources: &[Res]) -> Result<(), String> {
    let previous: BTreeSet<&str> = resources
        .iter()
        .flat_map(|r| r.prev.iter().map(String::as_str))
        .collect();
    if previous.is_empty() {
        return Ok(());
    }
    for r in resources {
        let kind = r.id().2;
        for path in reference_paths(&kind) {
            let mut names = Vec::new();
            names_at(&r.value, &path, &mut names)
                .ok_or_else(|| format!("a {kind} with an odd {}", path.join("/")))?;
            if let Some(n) = names.iter().find(|n| previous.contains(n.as_str())) {
                return Err(format!(
                    "a {kind} refers to {n:?}, the previous name of a renamed object"
                ));
            }
        }
    }
    Ok(())
}

/// Whether a kustomization field of [`KEYS`] has the shape kustomize reads into its
/// Kustomization type (so that loading the file cannot fail on it).
fn well_formed(key: &str, v: &V) -> bool {
    let strings =
        |v: &V| matches!(v, V::Seq(items) if items.iter().all(|i| matches!(i, V::Str(_))));
    let maps = |v: &V, ok: &dyn Fn(&str, &V) -> bool| {
        matches!(v, V::Seq(items) if items.iter().all(|i| {
            matches!(i, V::Map(fields) if fields.iter().all(|(k, v)| ok(k, v)))
        }))
    };
    match key {
        "apiVersion" | "kind" | "namespace" | "namePrefix" | "nameSuffix" => {
            matches!(v, V::Str(_))
        }
        "resources" | "bases" | "components" => strings(v),
        "patches" | "patchesJson6902" => maps(v, &|k, v| match k {
            "path" | "patch" => matches!(v, V::Str(_)),
            "target" => matches!(v, V::Map(fields) if fields.iter().all(|(k, v)| {
                matches!(
                    k.as_str(),
                    "group"
                        | "version"
                        | "kind"
                        | "name"
                        | "namespace"
                        | "labelSelector"
                        | "annotationSelector"
                ) && matches!(v, V::Str(_))
            })),
            _ => false,
        }),
        "labels" => maps(v, &|k, v| match k {
            "pairs" => {
                matches!(v, V::Map(fields) if fields.iter().all(|(_, v)| matches!(v, V::Str(_))))
            }
            "includeSelectors" | "includeTemplates" => matches!(v, V::Bool(_)),
            _ => false,
        }),
        "images" => maps(v, &|k, v| {
            matches!(k, "name" | "newName" | "newTag" | "digest") && matches!(v, V::Str(_))
        }),
        _ => false,
    }
}

struct Build<'a> {
    roots: &'a [PathBuf],
    cache: Option<&'a Cache>,
    /// Kustomization directories being built (cycle check).
    stack: Vec<PathBuf>,
    kustomizations: usize,
    files: usize,
    bytes: u64,
    max_output: u64,
    /// Kustomize's warnings (deprecated fields), each once.
    warnings: Vec<String>,
}

/// Builds the kustomization in `dir` (canonical) natively, reading only files inside `roots`
/// (canonical); output past `max_output` bytes is refused (kustomize's build then reports it).
pub fn build(dir: &Path, roots: &[PathBuf], max_output: u64) -> Outcome {
    build_cached(dir, roots, max_output, None)
}

/// [`build`], with resource files read and parsed through a run's [`Cache`] (the same `roots`
/// for every build that uses it).
pub fn build_cached(
    dir: &Path,
    roots: &[PathBuf],
    max_output: u64,
    cache: Option<&Cache>,
) -> Outcome {
    let mut b = Build {
        roots,
        cache,
        stack: Vec::new(),
        kustomizations: 0,
        files: 0,
        bytes: 0,
        max_output,
        warnings: Vec::new(),
    };
    let result = b
        .kustomization(dir, Path::new(""))
        .and_then(|mut resources| b.print(&mut resources));
    match result {
        Ok(text) => Outcome::Built(text, b.warnings),
        Err(Stop::Failed(e)) => Outcome::Failed(e),
        Err(Stop::Unsupported(e)) => Outcome::Unsupported(e),
    }
}

impl Build<'_> {
    /// The resources of the kustomization in `dir` (canonical), whose path relative to the top
    /// kustomization is `rel` (as kustomize joins the entries that lead to it).
    fn kustomization(&mut self, dir: &Path, rel: &Path) -> Result<Vec<Res>, Stop> {
        let mut out = Vec::new();
        self.level(dir, rel, false, &mut out)?;
        Ok(out)
    }

    /// The kustomization (or, with `component`, the component) in `dir`: its resources are
    /// added to `out`, then its components and transformers apply to all of `out` (for a
    /// component, that includes what the kustomization listing it had so far).
    fn level(
        &mut self,
        dir: &Path,
        rel: &Path,
        component: bool,
        out: &mut Vec<Res>,
    ) -> Result<(), Stop> {
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
        // A component where a kustomization is expected: kustomize loads it (its fields must
        // read), then refuses it by its kind before reading anything it lists.
        if !component
            && k.get("kind").and_then(V::as_str) == Some("Component")
            && k.get("apiVersion").and_then(V::as_str) == Some("kustomize.config.k8s.io/v1alpha1")
            && entries
                .iter()
                .all(|(key, v)| KEYS.contains(&key.as_str()) && well_formed(key, v))
        {
            let path = display(rel);
            return Err(Stop::Failed(format!(
                "accumulating resources: expected kind != 'Component' for path '{}'",
                if path.is_empty() { "." } else { &path }
            )));
        }
        for (key, v) in entries {
            if !KEYS.contains(&key.as_str()) {
                return unsupported(format!("{file}: the field {key}"));
            }
            let ok = match (key.as_str(), component) {
                ("apiVersion", false) => v.as_str() == Some("kustomize.config.k8s.io/v1beta1"),
                ("kind", false) => v.as_str() == Some("Kustomization"),
                ("apiVersion", true) => v.as_str() == Some("kustomize.config.k8s.io/v1alpha1"),
                ("kind", true) => v.as_str() == Some("Component"),
                _ => true,
            };
            if !ok {
                return unsupported(format!("{file}: {key}"));
            }
        }
        let mut entries = Vec::new();
        // Kustomize reads the deprecated `bases` as more `resources`, after them, and warns.
        for key in ["resources", "bases"] {
            match k.get(key) {
                None => {}
                Some(V::Seq(items)) => entries.extend(
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| Stop::Unsupported(format!("{file}: {key} not strings")))?,
                ),
                Some(_) => return unsupported(format!("{file}: {key} not a list")),
            }
        }
        if component && k.get("kind").is_none() {
            return unsupported(format!("{file}: a component without kind"));
        }
        for (key, warning) in DEPRECATED {
            if k.get(key).is_some() && !self.warnings.iter().any(|w| w == warning) {
                self.warnings.push(warning.to_string());
            }
        }
        self.stack.push(dir.to_path_buf());
        for entry in &entries {
            self.resource(dir, rel, file, entry, out)?;
        }
        match k.get("components") {
            None => {}
            Some(V::Seq(items)) => {
                for item in items {
                    let entry = item
                        .as_str()
                        .ok_or_else(|| Stop::Unsupported(format!("{file}: components")))?;
                    self.component(dir, rel, file, entry, out)?;
                }
            }
            Some(_) => return unsupported(format!("{file}: components not a list")),
        }
        self.stack.pop();
        // Kustomize's transformer order: patches, namespace, prefix, suffix, labels,
        // annotations, JSON 6902 patches, replicas, images.
        if let Some(patches) = k.get("patches") {
            let V::Seq(patches) = patches else {
                return unsupported(format!("{file}: patches not a list"));
            };
            for p in patches {
                self.patch(dir, file, p, false, out)?;
            }
        }
        match k.get("namespace") {
            None => {}
            Some(V::Str(ns)) if !ns.is_empty() => {
                set_namespace(out, ns).map_err(|e| Stop::Unsupported(format!("{file}: {e}")))?;
            }
            Some(_) => return unsupported(format!("{file}: namespace")),
        }
        let affix = |key: &str| match k.get(key) {
            None => Ok(String::new()),
            Some(V::Str(s)) => Ok(s.clone()),
            Some(_) => unsupported(format!("{file}: {key}")),
        };
        let (prefix, suffix) = (affix("namePrefix")?, affix("nameSuffix")?);
        if !prefix.is_empty() || !suffix.is_empty() {
            rename(out, &prefix, &suffix).map_err(|e| Stop::Unsupported(format!("{file}: {e}")))?;
        }
        if let Some(labels) = k.get("labels") {
            add_labels(out, labels).map_err(|e| Stop::Unsupported(format!("{file}: {e}")))?;
        }
        if let Some(patches) = k.get("patchesJson6902") {
            let V::Seq(patches) = patches else {
                return unsupported(format!("{file}: patchesJson6902 not a list"));
            };
            for p in patches {
                // The same fields as a `patches` entry; the patch must be a JSON patch.
                self.patch(dir, file, p, true, out)?;
            }
        }
        if let Some(images) = k.get("images") {
            let V::Seq(images) = images else {
                return unsupported(format!("{file}: images not a list"));
            };
            for i in images {
                let image = transform::Image::parse(i)
                    .map_err(|e| Stop::Unsupported(format!("{file}: {e}")))?;
                for r in out.iter_mut() {
                    image.apply(&mut r.value);
                }
            }
        }
        Ok(())
    }

    /// One `components` entry: a directory with a `kind: Component` kustomization.
    fn component(
        &mut self,
        dir: &Path,
        rel: &Path,
        file: &str,
        entry: &str,
        out: &mut Vec<Res>,
    ) -> Result<(), Stop> {
        let path = local_entry(dir, file, "component", entry)?;
        match std::fs::canonicalize(&path) {
            Ok(c) if c == path && c.is_dir() => {}
            _ => return unsupported(format!("{file}: component {entry:?}")),
        }
        self.check_inside(&path)?;
        self.level(&path, &join_relative(rel, entry), true, out)
    }

    /// One `patches` entry: a strategic-merge or JSON 6902 patch, from a file or inline, to its
    /// target or (strategic merge without a target) to the object it names.
    fn patch(
        &mut self,
        dir: &Path,
        file: &str,
        entry: &V,
        json_only: bool,
        out: &mut [Res],
    ) -> Result<(), Stop> {
        let refuse = |why: &str| Stop::Unsupported(format!("{file}: patches: {why}"));
        let V::Map(fields) = entry else {
            return Err(refuse("an entry that is not a mapping"));
        };
        if fields
            .iter()
            .any(|(k, _)| !matches!(k.as_str(), "path" | "patch" | "target"))
        {
            return Err(refuse("options"));
        }
        let text = match (entry.get("path"), entry.get("patch")) {
            (Some(V::Str(p)), None) => {
                if p.is_empty() || Path::new(p).is_absolute() || super::refs::is_remote(p) {
                    return Err(refuse("the path"));
                }
                let path = lexical_normalize(&dir.join(p));
                match std::fs::symlink_metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        if !real_ancestors(&path) {
                            return Err(refuse("a path behind a symlink"));
                        }
                        return Err(Stop::Failed(format!(
                            "{file}: the patch file '{p}' does not exist (no such file or directory)"
                        )));
                    }
                    Err(_) => return Err(refuse("the path")),
                    Ok(m) if !m.is_file() => return Err(refuse("the path")),
                    Ok(_) => {}
                }
                if std::fs::canonicalize(&path).ok().as_deref() != Some(path.as_path())
                    || !path.starts_with(dir)
                {
                    return Err(refuse("a path that is a symlink or outside the directory"));
                }
                self.read(&path)?
            }
            (None, Some(V::Str(text))) => text.clone(),
            _ => return Err(refuse("neither one path nor one inline patch")),
        };
        let stream = parse_stream(&text);
        let docs: Vec<_> = stream
            .documents
            .iter()
            .filter_map(|d| d.root.as_ref())
            .collect();
        let [doc] = docs.as_slice() else {
            return Err(refuse("not one document"));
        };
        if !stream.diagnostics.is_empty() {
            return Err(refuse("YAML that kustomize may read differently"));
        }
        let patch = value::from_node(doc).map_err(|e| refuse(&e))?;
        if json_only && !matches!(patch, V::Seq(_)) {
            return Err(refuse("a patchesJson6902 entry that is not a JSON patch"));
        }
        let target = match entry.get("target") {
            None => None,
            Some(t) => Some(Target::parse(t).map_err(|e| refuse(&e))?),
        };
        let selected: Vec<usize> = match (&target, &patch) {
            (Some(t), _) => (0..out.len())
                .filter(|&i| out.get(i).is_some_and(|r| t.selects(r)))
                .collect(),
            (None, V::Map(_)) => {
                let id = Res::id_of(&patch).ok_or_else(|| refuse("a patch without an id"))?;
                let ns = |n: &str| {
                    if n.is_empty() {
                        "default".to_string()
                    } else {
                        n.to_string()
                    }
                };
                (0..out.len())
                    .filter(|&i| {
                        out.get(i).is_some_and(|r| {
                            let rid = r.id();
                            (rid.0, rid.1, rid.2, ns(&rid.3), rid.4)
                                == (
                                    id.0.clone(),
                                    id.1.clone(),
                                    id.2.clone(),
                                    ns(&id.3),
                                    id.4.clone(),
                                )
                        })
                    })
                    .collect()
            }
            (None, _) => return Err(refuse("a JSON patch without a target")),
        };
        if selected.is_empty() || (target.is_none() && selected.len() != 1) {
            return Err(refuse("no object, or several, for a patch"));
        }
        for i in selected {
            let Some(r) = out.get_mut(i) else { continue };
            let result = match &patch {
                V::Map(_) => {
                    // Kustomize gives a targeted patch the object's own id.
                    let mut p = patch.clone();
                    for key in ["apiVersion", "kind"] {
                        if let Some(v) = r.value.get(key) {
                            p.set(key, v.clone());
                        }
                    }
                    if let Some(m) = p.get_mut("metadata") {
                        for key in ["name", "namespace"] {
                            match r.value.get("metadata").and_then(|rm| rm.get(key)) {
                                Some(v) => {
                                    m.set(key, v.clone());
                                }
                                None => {
                                    if let V::Map(e) = m {
                                        e.retain(|(k, _)| k != key);
                                    }
                                }
                            }
                        }
                    }
                    transform::strategic_merge(&mut r.value, &p)
                }
                V::Seq(ops) => transform::json6902(&mut r.value, ops),
                _ => Err("a patch that is neither a mapping nor a list".to_string()),
            };
            result.map_err(|e| refuse(&e))?;
            r.check().map_err(|e| refuse(&e))?;
        }
        Ok(())
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
        let path = local_entry(dir, file, "resource", entry)?;
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Kustomize fails the same way, unless a parent is a symlink it resolves
                // differently: only a path whose directories are all real is reported.
                if !real_ancestors(&path) {
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
        self.files += 1;
        if self.files > MAX_FILES {
            return unsupported("too many resource files");
        }
        let origin = format!("path: {}\n", display(&rel_entry));
        let slot = self.cache.and_then(|c| c.slot(&path));
        let parsed = match &slot {
            Some(slot) => {
                let parsed = slot.get_or_init(|| {
                    let parsed = parse_file(&path, self.roots);
                    if let (Some(c), Ok((len, _))) = (self.cache, &parsed) {
                        c.bytes
                            .fetch_add(*len, std::sync::atomic::Ordering::Relaxed);
                    }
                    parsed
                });
                // Borrowed from the cache; each object is copied below.
                parsed
                    .as_ref()
                    .map(|(len, values)| (*len, values.as_slice()))
            }
            None => {
                let own = parse_file(&path, self.roots);
                return self.add_parsed(
                    own.as_ref().map(|(len, values)| (*len, values.as_slice())),
                    &path,
                    entry,
                    &origin,
                    out,
                );
            }
        };
        self.add_parsed(parsed, &path, entry, &origin, out)
    }

    /// Adds the objects of a parsed resource file (copies, with their origin annotation).
    fn add_parsed(
        &mut self,
        parsed: Result<(u64, &[V]), &Refusal>,
        path: &Path,
        entry: &str,
        origin: &str,
        out: &mut Vec<Res>,
    ) -> Result<(), Stop> {
        let values = match parsed {
            Ok((len, values)) => {
                self.bytes = self.bytes.saturating_add(len);
                if self.bytes > MAX_BYTES {
                    return unsupported("too many bytes to read");
                }
                values
            }
            Err(Refusal::Read(e)) => return unsupported(format!("{}: {e}", path.display())),
            Err(Refusal::Yaml) => {
                return unsupported(format!("{entry}: YAML that kustomize may read differently"))
            }
            Err(Refusal::Value(e)) => return unsupported(format!("{entry}: {e}")),
        };
        for v in values {
            let mut v = v.clone();
            self.object(&mut v, entry, origin)?;
            out.push(Res {
                value: v,
                prev: Vec::new(),
            });
            if out.len() > MAX_OBJECTS {
                return unsupported("too many objects");
            }
        }
        Ok(())
    }

    /// Checks one object and adds its origin annotation; its id (the value is moved in later).
    fn object(&self, v: &mut V, entry: &str, origin: &str) -> Result<(), Stop> {
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
                None | Some(V::Null) => {}
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
        // `annotations:` with no value becomes the mapping of the origin (`labels:` stays null).
        if let Some(a @ V::Null) = v.get_mut("metadata").and_then(|m| m.get_mut("annotations")) {
            *a = V::Map(Vec::new());
        }
        let annotations = v
            .map_at("metadata")
            .and_then(|m| m.map_at("annotations"))
            .ok_or_else(|| refuse("odd metadata"))?;
        annotations.set("config.kubernetes.io/origin", V::Str(origin.to_string()));
        let _ = (api_version, kind, name, namespace);
        Ok(())
    }

    fn check_inside(&self, path: &Path) -> Result<(), Stop> {
        super::inside_roots(path, self.roots)
            .map(|_| ())
            .map_err(|e| Stop::Unsupported(format!("{}: {e}", path.display())))
    }

    /// A resource file, read through [`crate::safepath::read_confined`] (inside the roots, a
    /// regular file, at most [`crate::safepath::MAX_READ`], UTF-8); anything else, or more than
    /// [`MAX_BYTES`] for the whole build, is left to kustomize.
    fn read(&mut self, path: &Path) -> Result<String, Stop> {
        let text = crate::safepath::read_confined(path, self.roots).ok_or_else(|| {
            Stop::Unsupported(format!(
                "{}: not a readable UTF-8 file of at most 64 MiB inside the scan",
                path.display()
            ))
        })?;
        self.bytes = self.bytes.saturating_add(text.len() as u64);
        if self.bytes > MAX_BYTES {
            return unsupported("too many bytes to read");
        }
        Ok(text)
    }

    /// Checks ids, sorts in kustomize's legacy order and prints.
    fn print(&self, resources: &mut [Res]) -> Result<String, Stop> {
        if self.warnings.len() > 1 {
            return unsupported("several deprecated fields (the order of kustomize's warnings)");
        }
        renamed_references(resources).map_err(Stop::Unsupported)?;
        let mut ids = BTreeSet::new();
        for r in resources.iter() {
            let (g, v, k, ns, name) = r.id();
            // Kustomize takes an empty namespace and `default` as the same.
            let ns = if ns == "default" { String::new() } else { ns };
            if !ids.insert((g, v, k, ns, name)) {
                return unsupported("an object id added twice");
            }
        }
        resources.sort_by_cached_key(|r| legacy_key(&r.id()));
        let mut out = String::new();
        for (i, r) in resources.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            let text = emit::document(&r.value).ok_or_else(|| {
                let id = r.id();
                Stop::Unsupported(format!(
                    "{} {}: a value whose printing is not certain",
                    id.2, id.4
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

/// A resource file read (see [`Build::read`]) and parsed into values.
fn parse_file(path: &Path, roots: &[PathBuf]) -> Parsed {
    let text = crate::safepath::read_confined(path, roots).ok_or_else(|| {
        Refusal::Read("not a readable UTF-8 file of at most 64 MiB inside the scan".to_string())
    })?;
    let stream = parse_stream(&text);
    if !stream.diagnostics.is_empty() {
        return Err(Refusal::Yaml);
    }
    let mut values = Vec::new();
    for doc in &stream.documents {
        let Some(root) = &doc.root else { continue };
        values.push(value::from_node(root).map_err(Refusal::Value)?);
    }
    Ok((text.len() as u64, values))
}

/// kustomize's legacy order: kinds in a fixed order (others between), then group, version and
/// kind, then namespace and name.
fn legacy_key(id: &Id) -> (i32, String, String) {
    let (group, version, kind, namespace, name) = id;
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
    let rank = if let Some(i) = FIRST.iter().position(|k| k == kind) {
        i as i32 - FIRST.len() as i32
    } else if let Some(i) = LAST.iter().position(|k| k == kind) {
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
        or(group, "~G"),
        or(version, "~V"),
        or(kind, "~K")
    );
    let id = format!("{}|{}", or(namespace, "~X"), name);
    (rank, gvk, id)
}

/// The path of a `resources`/`components` entry of the kustomization `file` in `dir`: a
/// relative local path; an empty, remote or absolute entry is left to kustomize.
fn local_entry(dir: &Path, file: &str, what: &str, entry: &str) -> Result<PathBuf, Stop> {
    if entry.is_empty() || super::refs::is_remote(entry) || Path::new(entry).is_absolute() {
        return unsupported(format!("{file}: {what} {entry:?}"));
    }
    Ok(lexical_normalize(&dir.join(entry)))
}

/// Whether the deepest existing directory above a missing `path` is reached without symlinks
/// (then kustomize, which resolves symlinks, looks for the same missing file).
fn real_ancestors(path: &Path) -> bool {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.exists() {
            return std::fs::canonicalize(d).ok().as_deref() == Some(d);
        }
        dir = d.parent();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(d.path()).unwrap();
        for (name, text) in files {
            let p = root.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        (d, root)
    }

    fn run(root: &Path, dir: &str) -> Outcome {
        build(&root.join(dir), &[root.to_path_buf()], u64::MAX)
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.0\n";

    #[test]
    fn builds_an_overlay_as_kustomize_prints_it() {
        let (_d, root) = tree(&[
            ("base/kustomization.yaml", "resources:\n- deployment.yaml\n- cm.yaml\n"),
            ("base/deployment.yaml", DEPLOYMENT),
            ("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  \"on\": 'yes'\n"),
            (
                "prod/kustomization.yaml",
                "resources:\n- ../base\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      replicas: 3\nimages:\n- name: nginx\n  newTag: \"1.27\"\n",
            ),
        ]);
        let Outcome::Built(text, warnings) = run(&root, "prod") else {
            panic!("not built");
        };
        assert!(warnings.is_empty());
        assert_eq!(
            text,
            "apiVersion: v1\ndata:\n  \"on\": \"yes\"\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../base/cm.yaml\n  name: c\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../base/deployment.yaml\n  name: web\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - image: nginx:1.27\n        name: app\n"
        );
    }

    #[test]
    fn a_missing_file_fails_and_the_unsupported_goes_to_kustomize() {
        let (_d, root) = tree(&[
            ("a/kustomization.yaml", "resources:\n- nope.yaml\n"),
            (
                "b/kustomization.yaml",
                "configMapGenerator:\n- name: x\n  literals: [a=b]\n",
            ),
            ("c/kustomization.yaml", "resources:\n- d.yaml\n"),
            (
                "c/d.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: yes\n",
            ),
            ("e/kustomization.yaml", "resources:\n- d.yaml\n- d.yaml\n"),
            ("e/d.yaml", DEPLOYMENT),
        ]);
        assert!(matches!(run(&root, "a"), Outcome::Failed(e) if e.contains("nope.yaml")));
        assert!(
            matches!(run(&root, "b"), Outcome::Unsupported(e) if e.contains("configMapGenerator"))
        );
        // `yes` is a string for kustomize, a boolean for Kubernetes: left to kustomize.
        assert!(matches!(run(&root, "c"), Outcome::Unsupported(_)));
        assert!(matches!(run(&root, "e"), Outcome::Unsupported(e) if e.contains("twice")));
    }

    #[test]
    fn a_run_cache_parses_a_shared_base_once_and_changes_no_output() {
        let (_d, root) = tree(&[
            (
                "base/kustomization.yaml",
                "resources:\n- deployment.yaml\n- bad.yaml\n",
            ),
            ("base/deployment.yaml", DEPLOYMENT),
            ("base/bad.yaml", "a: [\n"),
            ("ok/kustomization.yaml", "resources:\n- ../good\n"),
            (
                "good/kustomization.yaml",
                "resources:\n- ../base/deployment.yaml\n",
            ),
            (
                "a/kustomization.yaml",
                "resources:\n- ../shared\nnamePrefix: a-\n",
            ),
            (
                "b/kustomization.yaml",
                "resources:\n- ../shared\nimages:\n- name: nginx\n  newTag: \"2\"\n",
            ),
            (
                "shared/kustomization.yaml",
                "resources:\n- deployment.yaml\n",
            ),
            ("shared/deployment.yaml", DEPLOYMENT),
            ("c/kustomization.yaml", "resources:\n- ../base\n"),
        ]);
        let roots = [root.clone()];
        let cache = Cache::default();
        for dir in ["a", "b", "a", "c", "b", "c", "ok"] {
            let cached = build_cached(&root.join(dir), &roots, u64::MAX, Some(&cache));
            let fresh = build(&root.join(dir), &roots, u64::MAX);
            assert_eq!(format!("{cached:?}"), format!("{fresh:?}"), "{dir}");
        }
        // One transformed copy does not leak into another build.
        let Outcome::Built(b, _) = build_cached(&root.join("b"), &roots, u64::MAX, Some(&cache))
        else {
            panic!("b not built");
        };
        assert!(b.contains("name: web\n") && b.contains("nginx:2"), "{b}");
        let mut keys: Vec<String> = cache
            .files
            .paths()
            .iter()
            .map(|k| relative(&root, k))
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "base/bad.yaml",
                "base/deployment.yaml",
                "shared/deployment.yaml"
            ]
        );
    }

    #[test]
    fn a_component_built_on_its_own_fails_only_when_kustomize_would_load_it() {
        const C: &str = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n";
        let (_d, root) = tree(&[
            (
                "ok/kustomization.yaml",
                &format!("{C}resources:\n- missing.yaml\n"),
            ),
            (
                "odd-target/kustomization.yaml",
                &format!("{C}patches:\n- target:\n    kinds: Deployment\n  patch: x\n"),
            ),
            (
                "odd-field/kustomization.yaml",
                &format!("{C}resources: a\n"),
            ),
            (
                "v1beta1/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\n",
            ),
        ]);
        // Refused by kind before the missing file is read, as kustomize does.
        assert!(
            matches!(run(&root, "ok"), Outcome::Failed(e) if e.contains("expected kind != 'Component' for path '.'"))
        );
        for dir in ["odd-target", "odd-field", "v1beta1"] {
            assert!(matches!(run(&root, dir), Outcome::Unsupported(_)), "{dir}");
        }
    }

    #[test]
    fn files_outside_the_roots_are_not_read() {
        let (_d, root) = tree(&[
            ("repo/k/kustomization.yaml", "resources:\n- ../../outside\n"),
            ("outside/kustomization.yaml", "resources:\n- d.yaml\n"),
            ("outside/d.yaml", DEPLOYMENT),
        ]);
        let out = build(&root.join("repo/k"), &[root.join("repo")], u64::MAX);
        assert!(matches!(out, Outcome::Unsupported(_)), "{out:?}");
    }

    #[test]
    fn legacy_order() {
        let ids = [
            ("", "v1", "ConfigMap", "", "ab"),
            ("", "v1", "ConfigMap", "a", "x"),
            ("", "v1", "ConfigMap", "ab", "x"),
            ("x", "v1", "Bar", "", "a"),
            ("", "v1", "Foo", "", "a"),
            (
                "admissionregistration.k8s.io",
                "v1",
                "MutatingWebhookConfiguration",
                "",
                "m",
            ),
            ("", "v1", "Namespace", "", "n"),
        ];
        let mut ids: Vec<Id> = ids
            .iter()
            .map(|(g, v, k, ns, n)| {
                (
                    g.to_string(),
                    v.to_string(),
                    k.to_string(),
                    ns.to_string(),
                    n.to_string(),
                )
            })
            .collect();
        ids.sort_by_cached_key(legacy_key);
        let names: Vec<String> = ids
            .iter()
            .map(|i| format!("{}/{}/{}", i.2, i.3, i.4))
            .collect();
        assert_eq!(
            names,
            [
                "Namespace//n",
                "ConfigMap/ab/x",
                "ConfigMap/a/x",
                "ConfigMap//ab",
                "Bar//a",
                "Foo//a",
                "MutatingWebhookConfiguration//m"
            ]
        );
    }
}
