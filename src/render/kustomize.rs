//! `kustomize build` (or `kubectl kustomize`) for each top kustomization, with origin
//! annotations.
//!
//! To map each built object back to the file it came from, kustomize must be told
//! `buildMetadata: [originAnnotations]` in the kustomization it builds. clustersec never edits the
//! user's files: it builds a throwaway kustomization in a temporary directory whose only resource
//! is the user's directory (by a relative path: kustomize refuses absolute roots) and that turns
//! the annotation on. Kustomize then writes, on every object,
//!
//! ```yaml
//! metadata:
//!   annotations:
//!     config.kubernetes.io/origin: |
//!       path: ../../../../work/repo/k8s/base/deployment.yaml
//! ```
//!
//! with the path **relative to the kustomization being built** (the temporary one), whatever the
//! working directory; generated objects have `configuredIn: <kustomization file>` and
//! `configuredBy: {apiVersion: builtin, kind: ConfigMapGenerator}` instead, and remote resources
//! `repo:` and `ref:`. The origin names the resource file an object was read from, never the
//! patches applied to it (checked with kubectl 1.32 / kustomize 5.5). clustersec rewrites these
//! paths to be relative to the user's kustomization directory, exactly what kustomize writes when
//! the user turns the annotation on in their own kustomization.
//!
//! Which kustomizations are built: only the **top** ones, those that no other discovered
//! kustomization lists under `resources`, `bases` or `components`. A base's objects already reach
//! the report through every overlay built from it (the origin annotation points at the base's
//! file); building the base on its own as well would report the values overlays exist to change
//! (false positives), and report everything else twice. A base used only by overlays outside
//! the scanned paths is top here, and built.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::discover::{Dir, KUSTOMIZATION_NAMES};
use crate::model::yaml::parse_stream;
use crate::model::{Pos, Span};

use super::{
    join_display, lexical_normalize, relative_path, Job, Limits, Problem, Render, Sandbox,
    Settings, Tool,
};

/// The label of a kustomize render.
pub const LABEL: &str = "kustomize";

/// The program that builds kustomizations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Builder {
    /// `kustomize build DIR`.
    Kustomize(PathBuf),
    /// `kubectl kustomize DIR`.
    Kubectl(PathBuf),
}

impl Builder {
    /// The standalone `kustomize` when present (usually the newer), else `kubectl kustomize`.
    pub fn find() -> Option<Builder> {
        super::process::find_program("kustomize")
            .map(Builder::Kustomize)
            .or_else(|| super::process::find_program("kubectl").map(Builder::Kubectl))
    }

    fn command(&self, dir: &Path) -> Command {
        match self {
            Builder::Kustomize(p) => {
                let mut c = Command::new(p);
                c.arg("build").arg(dir);
                c
            }
            Builder::Kubectl(p) => {
                let mut c = Command::new(p);
                c.arg("kustomize").arg(dir);
                c
            }
        }
    }
}

/// What a kustomization file lists.
#[derive(Debug, Default, Clone)]
pub struct Kustomization {
    /// The kustomization's directory, canonical.
    pub dir: PathBuf,
    /// Its file name (`kustomization.yaml`...).
    pub file: String,
    /// `resources`, `bases` and `components` entries, resolved against `dir` (URLs left out).
    pub resources: Vec<PathBuf>,
    /// Patch files (`patches[].path`, `patchesStrategicMerge`, `patchesJson6902[].path`):
    /// partial objects or patch operations, never manifests of their own.
    pub patches: Vec<PathBuf>,
}

impl Kustomization {
    /// Reads the kustomization file of `dir`, if it has one that parses.
    pub fn read(dir: &Path) -> Option<Kustomization> {
        let dir = std::fs::canonicalize(dir).ok()?;
        let file = KUSTOMIZATION_NAMES
            .iter()
            .find(|n| dir.join(n).is_file())?
            .to_string();
        let text = std::fs::read_to_string(dir.join(&file)).ok()?;
        let stream = parse_stream(&text);
        let root = stream.documents.first()?.root.as_ref()?;
        let strings = |key: &str| -> Vec<String> {
            root.get(key)
                .and_then(|n| n.as_seq())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.text().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let paths_of = |key: &str| -> Vec<String> {
            root.get(key)
                .and_then(|n| n.as_seq())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.get("path").and_then(|p| p.text()).map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let local = |s: &String| !s.contains("://") && !s.contains('\n') && !s.starts_with("git@");
        let mut resources = Vec::new();
        for key in ["resources", "bases", "components"] {
            resources.extend(
                strings(key)
                    .iter()
                    .filter(|s| local(s))
                    .map(|s| lexical_normalize(&dir.join(s))),
            );
        }
        let mut patches = Vec::new();
        let mut patch_names = paths_of("patches");
        patch_names.extend(strings("patchesStrategicMerge"));
        patch_names.extend(paths_of("patchesJson6902"));
        patches.extend(
            patch_names
                .iter()
                .filter(|s| local(s))
                .map(|s| lexical_normalize(&dir.join(s))),
        );
        Some(Kustomization {
            dir,
            file,
            resources,
            patches,
        })
    }
}

/// Which kustomizations to build, and which files are theirs.
#[derive(Debug, Default)]
pub struct Plan {
    /// The top kustomizations, in discovery order.
    pub top: Vec<Dir>,
    /// Patch files of every discovered kustomization: path (canonical) -> the kustomization
    /// file listing it (display path).
    pub patches: BTreeMap<PathBuf, String>,
    /// For each top kustomization (by display path), the resource files it reads, directly or
    /// through the kustomizations it lists (canonical paths).
    pub files: BTreeMap<String, BTreeSet<PathBuf>>,
}

/// Reads every discovered kustomization and decides what to build (see the module docs).
pub fn plan(dirs: &[Dir]) -> Plan {
    let read: Vec<(Dir, Kustomization)> = dirs
        .iter()
        .filter_map(|d| Kustomization::read(&d.path).map(|k| (d.clone(), k)))
        .collect();
    let by_dir: BTreeMap<PathBuf, &Kustomization> =
        read.iter().map(|(_, k)| (k.dir.clone(), k)).collect();
    let referenced: BTreeSet<PathBuf> = read
        .iter()
        .flat_map(|(_, k)| k.resources.iter())
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .filter(|r| by_dir.contains_key(r))
        .collect();
    let mut plan = Plan::default();
    for (d, k) in &read {
        for p in &k.patches {
            let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            plan.patches
                .entry(p)
                .or_insert_with(|| join_display(&d.display, &k.file));
        }
    }
    // A directory whose kustomization does not parse is still built (kustomize reports why).
    for d in dirs {
        let canonical = std::fs::canonicalize(&d.path).unwrap_or_else(|_| d.path.clone());
        if referenced.contains(&canonical) {
            continue;
        }
        plan.top.push(d.clone());
        let mut files = BTreeSet::new();
        let mut seen = BTreeSet::new();
        collect_files(&canonical, &by_dir, &mut files, &mut seen);
        plan.files.insert(d.display.clone(), files);
    }
    plan
}

fn collect_files(
    dir: &Path,
    by_dir: &BTreeMap<PathBuf, &Kustomization>,
    files: &mut BTreeSet<PathBuf>,
    seen: &mut BTreeSet<PathBuf>,
) {
    if !seen.insert(dir.to_path_buf()) {
        return;
    }
    let Some(k) = by_dir.get(dir) else { return };
    for r in &k.resources {
        let Ok(c) = std::fs::canonicalize(r) else {
            continue;
        };
        if c.is_file() {
            files.insert(c);
        } else if c.is_dir() {
            collect_files(&c, by_dir, files, seen);
        }
    }
}

/// One job per top kustomization.
pub fn jobs(plan: &Plan) -> Vec<Job> {
    plan.top
        .iter()
        .map(|d| Job {
            tool: Tool::Kustomize,
            dir: d.clone(),
            label: LABEL.to_string(),
            values: Vec::new(),
            release_name: String::new(),
            namespace: None,
        })
        .collect()
}

/// Builds one kustomization through a temporary kustomization that turns origin annotations on.
pub fn render(
    job: &Job,
    builder: &Builder,
    sandbox: &Sandbox,
    settings: &Settings,
    limits: &Limits,
    index: usize,
    cache: &super::native::Cache,
) -> Render {
    let mut render = Render::new(Tool::Kustomize, job);
    let refused = super::refs::check_with(
        &job.dir.path,
        &job.dir.display,
        &settings.scan_roots(),
        &cache.refs,
    );
    if !refused.is_empty() {
        render.notes = refused;
        render.output = Err(REFUSED.to_string());
        return render;
    }
    let target = match std::fs::canonicalize(&job.dir.path) {
        Ok(t) => t,
        Err(e) => {
            render.output = Err(format!("cannot read {}: {e}", job.dir.display));
            return render;
        }
    };
    if settings.kustomize_builder != super::native::Choice::External {
        let start = std::time::Instant::now();
        let outcome = super::native::build_cached(
            &target,
            &settings.scan_roots(),
            settings.max_output,
            Some(cache),
        );
        render.duration = start.elapsed();
        match outcome {
            super::native::Outcome::Built(text, warnings) => {
                render.output = Ok(text);
                render.warnings = warnings;
                return render;
            }
            super::native::Outcome::Failed(e) => {
                render.output = Err(e);
                return render;
            }
            super::native::Outcome::Unsupported(why) => {
                if settings.kustomize_builder == super::native::Choice::Native {
                    render.output = Err(format!(
                        "--kustomize-builder native: not supported by the native builder ({})",
                        limits.portable.apply(&why)
                    ));
                    return render;
                }
            }
        }
    }
    let wrapper = sandbox.dir(&format!("kustomize-{index}"));
    let wrapper = match wrapper {
        Ok(w) => w,
        Err(e) => {
            render.output = Err(format!("cannot create a temporary kustomization: {e}"));
            return render;
        }
    };
    let rel = relative_path(&wrapper, &target);
    let text = format!(
        "# Written by clustersec to build {} with origin annotations.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
         resources:\n  - {}\nbuildMetadata: [originAnnotations]\n",
        job.dir.display,
        serde_json::Value::String(rel.to_string_lossy().replace('\\', "/")),
    );
    if let Err(e) = std::fs::write(wrapper.join("kustomization.yaml"), text) {
        render.output = Err(format!("cannot write a temporary kustomization: {e}"));
        return render;
    }
    let mut cmd = builder.command(&wrapper);
    sandbox.apply(&mut cmd);
    // Never `--load-restrictor LoadRestrictionsNone`: kustomize's default (root only) stays.
    cmd.current_dir(&wrapper);
    let portable = limits
        .portable
        .with(&wrapper, "<temporary kustomization>")
        .with(&target, &job.dir.display);
    match super::process::run_bounded(cmd, limits.timeout, settings.max_output) {
        Err(e) => render.output = Err(format!("cannot run the kustomize builder: {e}")),
        Ok(out) => {
            render.duration = out.duration;
            render.output = if out.overflow {
                Err(limits.too_large(settings.max_output))
            } else {
                match out.success {
                    None => Err(limits.stopped("kustomize build")),
                    Some(true) => {
                        render.warnings = warnings(&out.stderr)
                            .iter()
                            .map(|w| portable.apply(w))
                            .collect();
                        Ok(rewrite_origins(
                            &String::from_utf8_lossy(&out.stdout),
                            &wrapper,
                            &target,
                        ))
                    }
                    Some(false) => {
                        Err(portable.apply(&error_message(&out.stderr, &wrapper, &target)))
                    }
                }
            };
        }
    }
    let _ = std::fs::remove_dir_all(&wrapper);
    render
}

/// Rewrites the `path:` and `configuredIn:` of `config.kubernetes.io/origin` annotations from
/// relative-to-`wrapper` to relative-to-`target`. Only lines inside the annotation's block change,
/// so every line keeps its number.
pub fn rewrite_origins(text: &str, wrapper: &Path, target: &Path) -> String {
    let mut out = String::with_capacity(text.len());
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        if let Some(bi) = block_indent {
            if body.trim().is_empty() || indent > bi {
                let trimmed = body.trim_start();
                let rewritten = ["path: ", "configuredIn: "].iter().find_map(|key| {
                    let value = trimmed.strip_prefix(key)?;
                    let value = value.trim();
                    if value.contains("://") || Path::new(value).is_absolute() {
                        return None;
                    }
                    let abs = lexical_normalize(&wrapper.join(value));
                    let rel = relative_path(target, &abs);
                    Some(format!(
                        "{}{key}{}{}",
                        &body[..indent],
                        rel.to_string_lossy().replace('\\', "/"),
                        &line[body.len()..]
                    ))
                });
                match rewritten {
                    Some(r) => out.push_str(&r),
                    None => out.push_str(line),
                }
                continue;
            }
            block_indent = None;
        }
        if body
            .trim_start()
            .starts_with("config.kubernetes.io/origin: |")
        {
            block_indent = Some(indent);
        }
        out.push_str(line);
    }
    out
}

/// kubectl's `err="..."` or `err=< ... >` record, or the builder's stderr, with temporary paths
/// made relative to the user's directory.
fn error_message(stderr: &str, wrapper: &Path, target: &Path) -> String {
    let mut msg = if let Some(at) = stderr.find(" err=\"") {
        let mut s = String::new();
        let mut chars = stderr[at + 6..].chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(if n == 'n' { '\n' } else { n });
                    }
                }
                other => s.push(other),
            }
        }
        s
    } else if let Some(at) = stderr.find(" err=<") {
        stderr[at + 6..]
            .lines()
            .map(str::trim)
            .take_while(|l| *l != ">")
            .filter(|l| !l.is_empty() && *l != "`")
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        stderr
            .lines()
            .map(|l| {
                l.trim()
                    .trim_start_matches("Error: ")
                    .trim_start_matches("error: ")
            })
            .filter(|l| !l.is_empty())
            .take(5)
            .collect::<Vec<_>>()
            .join("; ")
    };
    // `../../work/repo/k8s/overlays/prod` (relative to the temporary kustomization) -> `.`
    let rel = relative_path(wrapper, target);
    let rel = rel.to_string_lossy().replace('\\', "/");
    if !rel.is_empty() {
        msg = msg.replace(&format!("{rel}/"), "").replace(&rel, ".");
    }
    let wrapper_s = wrapper.to_string_lossy();
    msg = msg.replace(wrapper_s.as_ref(), "<temporary kustomization>");
    if msg.trim().is_empty() {
        "the kustomize build failed without a message".to_string()
    } else {
        msg.trim().to_string()
    }
}

/// The error of a build refused before it ran (the refusals are the render's notes).
pub const REFUSED: &str = "refused before the build";

/// Kustomize's warnings on a successful build (`# Warning: 'bases' is deprecated...`).
pub fn warnings(stderr: &str) -> Vec<String> {
    let mut out: Vec<String> = stderr
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            let l = l.strip_prefix('#').map_or(l, str::trim_start);
            l.strip_prefix("Warning: ")
                .or_else(|| l.strip_prefix("WARNING: "))
                .or_else(|| l.strip_prefix("warning: "))
        })
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect();
    out.dedup();
    out
}

/// Where a warning about a deprecated field points: the field's key in the first kustomization
/// of the build (the top one, then those it lists) that has it, else the top kustomization.
fn warning_location(render: &Render, warning: &str, file: &str) -> (String, Span) {
    let fallback = (
        super::safe_finding_path(&render.dir, &render.display, file),
        Span::point(Pos::START),
    );
    let Some(field) = warning
        .split('\'')
        .nth(1)
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric()))
    else {
        return fallback;
    };
    let mut stack = vec![(render.dir.clone(), render.display.clone())];
    let mut seen = BTreeSet::new();
    while let Some((dir, shown)) = stack.pop() {
        if seen.len() > 1000 || !seen.insert(dir.clone()) {
            continue;
        }
        let Some(k) = Kustomization::read(&dir) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(dir.join(&k.file)) else {
            continue;
        };
        let stream = parse_stream(&text);
        if let Some(e) = stream
            .documents
            .first()
            .and_then(|d| d.root.as_ref())
            .and_then(|r| r.get_entry(field))
        {
            return (super::safe_finding_path(&dir, &shown, &k.file), e.key.span);
        }
        for r in k.resources.iter().rev() {
            if let Ok(c) = std::fs::canonicalize(r) {
                if c.is_dir() {
                    stack.push((c, super::display(r)));
                }
            }
        }
    }
    fallback
}

/// What went wrong with a kustomize build, at the kustomization file, and its warnings.
pub fn problems(render: &Render) -> Vec<Problem> {
    let file = KUSTOMIZATION_NAMES
        .iter()
        .find(|n| render.dir.join(n).is_file())
        .copied()
        .unwrap_or("kustomization.yaml");
    let e = match &render.output {
        Err(e) if e == REFUSED => return Vec::new(),
        Err(e) => e,
        Ok(_) => {
            return render
                .warnings
                .iter()
                .map(|w| {
                    let (path, span) = warning_location(render, w, file);
                    Problem {
                        path,
                        span,
                        message: format!(
                            "kustomize warned while building kustomization {}: {w}",
                            render.display
                        ),
                    }
                })
                .collect();
        }
    };
    vec![Problem {
        path: super::safe_finding_path(&render.dir, &render.display, file),
        span: Span::point(Pos::START),
        message: format!(
            "kustomization {} not built, its objects were scanned as plain files only: {e}",
            render.display
        ),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_become_relative_to_the_kustomization() {
        let text = "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../../work/repo/base/deployment.yaml\n      configuredIn: ../../../work/repo/overlays/prod/kustomization.yaml\n  name: x\nspec:\n  path: ../../keep\n";
        let out = rewrite_origins(
            text,
            Path::new("/tmp/cs/k0"),
            Path::new("/work/repo/overlays/prod"),
        );
        assert_eq!(
            out,
            "metadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../../base/deployment.yaml\n      configuredIn: kustomization.yaml\n  name: x\nspec:\n  path: ../../keep\n"
        );
    }

    #[test]
    fn kubectl_errors() {
        let w = Path::new("/tmp/cs/k0");
        let t = Path::new("/work/repo/o");
        assert_eq!(
            error_message("E1126 run.go:72] \"command failed\" err=\"accumulating resources: 'x.yaml': no \\\"such\\\" file\"\n", w, t),
            "accumulating resources: 'x.yaml': no \"such\" file"
        );
        assert_eq!(
            error_message("E1126 run.go:72] \"command failed\" err=<\n\ttrouble with config: `\n\tpath: nope.yaml\n\t`: failed\n >\n", w, t),
            "trouble with config: ` path: nope.yaml `: failed"
        );
        assert_eq!(error_message("Error: boom\n", w, t), "boom");
    }

    #[test]
    fn only_top_kustomizations_are_built() {
        let base = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/kustomize"));
        let dirs = vec![
            Dir {
                path: base.join("base"),
                display: "k/base".into(),
            },
            Dir {
                path: base.join("overlays/prod"),
                display: "k/overlays/prod".into(),
            },
        ];
        let plan = plan(&dirs);
        assert_eq!(plan.top.len(), 1);
        assert_eq!(plan.top[0].display, "k/overlays/prod");
        let files: Vec<String> = plan.files["k/overlays/prod"]
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            files,
            ["deployment.yaml", "service.yaml", "networkpolicy.yaml"]
        );
        let patches: Vec<&String> = plan.patches.values().collect();
        assert_eq!(patches, ["k/overlays/prod/kustomization.yaml"]);
    }
}
