//! The native kustomize builder against kubectl: for every kustomization under `fixtures/`,
//! `examples/` and `../shared/corpus` that the native builder accepts, its output equals
//! `kubectl kustomize`'s with origin annotations on, byte for byte (so the same objects, in the
//! same order, with the same origins, and every "kustomize output line N" of a finding the same);
//! a build it reports as failed fails in kubectl too. And the scan's JSON report of a
//! kustomization tree is the same with either builder. Skips without kubectl (or kustomize) and
//! without `../shared` unless CI or `CLUSTERSEC_REQUIRE_SHARED=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use clustersec::render::kustomize::{rewrite_origins, warnings, Builder};
use clustersec::render::native::{build, Outcome};

use crate::support::{bin, corpus, have_kustomize, root};

/// Every directory under `dir` with a kustomization file, sorted.
fn kustomizations(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    if entries.iter().any(|e| {
        let n = e.file_name();
        n == "kustomization.yaml" || n == "kustomization.yml" || n == "Kustomization"
    }) {
        out.push(dir.to_path_buf());
    }
    for e in entries {
        if e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git" {
            kustomizations(&e.path(), out);
        }
    }
}

/// `kubectl kustomize` (or `kustomize build`) of `target` through a temporary kustomization that
/// turns origin annotations on, origins made relative to `target`: what clustersec scans.
fn external(builder: &Builder, target: &Path) -> Result<(String, Vec<String>), String> {
    let tmp = tempfile::tempdir().unwrap();
    let wrapper = std::fs::canonicalize(tmp.path()).unwrap();
    let rel = clustersec::render::relative_path(&wrapper, target);
    std::fs::write(
        wrapper.join("kustomization.yaml"),
        format!(
            "resources:\n- {}\nbuildMetadata: [originAnnotations]\n",
            serde_json::Value::String(rel.to_string_lossy().into_owned())
        ),
    )
    .unwrap();
    let mut cmd = match builder {
        Builder::Kubectl(p) => {
            let mut c = Command::new(p);
            c.arg("kustomize");
            c
        }
        Builder::Kustomize(p) => {
            let mut c = Command::new(p);
            c.arg("build");
            c
        }
    };
    let out = cmd.arg(&wrapper).output().unwrap();
    if out.status.success() {
        Ok((
            rewrite_origins(&String::from_utf8_lossy(&out.stdout), &wrapper, target),
            warnings(&String::from_utf8_lossy(&out.stderr)),
        ))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Builds each kustomization natively and with kubectl; returns (built, failed, unsupported).
fn compare(tree: &Path, builder: &Builder) -> (usize, usize, usize) {
    let tree = std::fs::canonicalize(tree).unwrap();
    let mut dirs = Vec::new();
    kustomizations(&tree, &mut dirs);
    let roots = vec![tree.clone()];
    let (mut built, mut failed, mut unsupported) = (0, 0, 0);
    let mut problems = Vec::new();
    for dir in dirs {
        let dir = std::fs::canonicalize(&dir).unwrap();
        match build(&dir, &roots, u64::MAX) {
            Outcome::Built(text, native_warnings) => {
                built += 1;
                match external(builder, &dir) {
                    Ok((reference, w)) if reference == text && w == native_warnings => {}
                    Ok((reference, w)) if reference == text => problems.push(format!(
                        "{}: warnings differ: kubectl {w:?}, native {native_warnings:?}",
                        dir.display()
                    )),
                    Ok((reference, _)) => {
                        let line = reference
                            .lines()
                            .zip(text.lines())
                            .position(|(a, b)| a != b)
                            .unwrap_or(reference.lines().count().min(text.lines().count()));
                        problems.push(format!(
                            "{}: output differs from kubectl's at line {}: kubectl {:?}, native {:?}",
                            dir.display(),
                            line + 1,
                            reference.lines().nth(line),
                            text.lines().nth(line)
                        ));
                    }
                    Err(e) => problems.push(format!(
                        "{}: native build succeeded, kubectl failed: {e}",
                        dir.display()
                    )),
                }
            }
            Outcome::Failed(e) => {
                failed += 1;
                if external(builder, &dir).is_ok() {
                    problems.push(format!(
                        "{}: native build failed ({e}), kubectl succeeded",
                        dir.display()
                    ));
                }
            }
            Outcome::Unsupported(why) => {
                eprintln!("left to kubectl: {}: {why}", dir.display());
                unsupported += 1;
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    (built, failed, unsupported)
}

#[test]
fn native_builds_equal_kubectl_on_fixtures_and_examples() {
    if !have_kustomize() {
        return;
    }
    let builder = Builder::find().unwrap();
    let mut built = 0;
    for tree in ["fixtures", "examples"] {
        let (b, _, _) = compare(&root().join(tree), &builder);
        built += b;
    }
    assert!(built > 0, "no fixture kustomization is built natively");
}

#[test]
fn native_builds_equal_kubectl_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    if !have_kustomize() {
        return;
    }
    let builder = Builder::find().unwrap();
    let (built, failed, unsupported) = compare(&corpus, &builder);
    eprintln!("corpus kustomizations: {built} built natively, {failed} failed natively, {unsupported} left to kubectl");
    assert!(built > 0);
}

/// The scan of a kustomization tree reports the same with either builder.
fn same_report(dir: &Path) {
    let scan = |builder: &str| {
        let out = bin()
            .current_dir(dir)
            .args([
                "scan",
                ".",
                "--format",
                "json",
                "--kustomize-builder",
                builder,
            ])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        strip_durations(&mut v);
        v
    };
    let native = scan("auto");
    let external = scan("external");
    assert_eq!(native, external, "{}", dir.display());
}

/// Render durations differ between runs whatever the builder; a failed build's message quotes
/// its builder's error (kustomize's long accumulation chain, or the native builder's one line
/// naming the same file): kept up to the error.
fn strip_durations(v: &mut serde_json::Value) {
    const FAILED: &str = "scanned as plain files only: ";
    if let serde_json::Value::String(s) = v {
        if let Some(at) = s.find(FAILED) {
            s.truncate(at + FAILED.len());
        }
        return;
    }
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| !k.to_ascii_lowercase().contains("duration") && k != "elapsed");
            for x in m.values_mut() {
                strip_durations(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_durations),
        _ => {}
    }
}

#[test]
fn scan_reports_equal_with_either_builder() {
    if !have_kustomize() {
        return;
    }
    same_report(&root().join("fixtures/kustomize"));
    if let Some(corpus) = corpus() {
        same_report(&corpus.join("argo-cd"));
    }
}

/// Name suffixes and prefixes with name references, labels on selectors, and a component built
/// on its own: each small tree is built natively (or refused, or failed) as expected, and what
/// is built equals kubectl's output byte for byte (a failure fails in kubectl too).
#[test]
fn native_renames_and_selector_labels_equal_kubectl() {
    if !have_kustomize() {
        return;
    }
    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app: web\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      serviceAccountName: web\n      containers:\n      - name: web\n        image: nginx:1.0\n";
    const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n";
    const SVC: &str =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n";
    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  a: b\n";
    const BASE: &str = "resources:\n- deployment.yaml\n- sa.yaml\n- svc.yaml\n";
    let files: &[(&str, &str)] = &[
        ("base/kustomization.yaml", BASE),
        ("base/deployment.yaml", DEPLOY),
        ("base/sa.yaml", SA),
        ("base/svc.yaml", SVC),
        // The suffix renames the ServiceAccount the Deployment names: kustomize updates the
        // reference; refused.
        ("suffix-ref/kustomization.yaml", "resources:\n- ../base\nnameSuffix: -x\n"),
        // The reference is patched to the new name first (as in argo-cd's components monorepo):
        // nothing refers to an old name; selectors and templates labelled.
        (
            "suffix-patched/kustomization.yaml",
            "resources:\n- ../base\nnameSuffix: -x\nlabels:\n- pairs:\n    app: web-x\n    team: a\n  includeSelectors: true\n  includeTemplates: true\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          serviceAccountName: web-x\n",
        ),
        // Selector labels created where absent (the Service has no selector).
        (
            "selectors/kustomization.yaml",
            "resources:\n- ../base\nlabels:\n- pairs:\n    tier: front\n  includeSelectors: true\n",
        ),
        // Templates without selectors: other field specs, refused.
        (
            "templates/kustomization.yaml",
            "resources:\n- ../base\nlabels:\n- pairs:\n    tier: front\n  includeTemplates: true\n",
        ),
        // A prefix over a ConfigMap that a Deployment reads: refused; over one nobody reads:
        // built.
        (
            "prefix-cm-ref/kustomization.yaml",
            "resources:\n- d.yaml\n- cm.yaml\nnamePrefix: p-\n",
        ),
        (
            "prefix-cm-ref/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.0\n        envFrom:\n        - configMapRef:\n            name: conf\n",
        ),
        ("prefix-cm-ref/cm.yaml", CM),
        (
            "prefix-cm/kustomization.yaml",
            "resources:\n- cm.yaml\n- d.yaml\nnamePrefix: p-\n",
        ),
        ("prefix-cm/cm.yaml", CM),
        (
            "prefix-cm/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.0\n",
        ),
        // A component built on its own fails in kustomize: the same failure natively.
        (
            "component/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n- pairs:\n    owner: a\n  includeSelectors: false\npatches:\n- target:\n    kind: Deployment\n  patch: |-\n    - op: add\n      path: /spec/replicas\n      value: 2\n",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    for (name, text) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let roots = vec![root.clone()];
    let outcome = |dir: &str| match build(&root.join(dir), &roots, u64::MAX) {
        Outcome::Built(..) => "built",
        Outcome::Failed(_) => "failed",
        Outcome::Unsupported(_) => "unsupported",
    };
    let expected = [
        ("base", "built"),
        ("suffix-ref", "unsupported"),
        ("suffix-patched", "built"),
        ("selectors", "built"),
        ("templates", "unsupported"),
        ("prefix-cm-ref", "unsupported"),
        ("prefix-cm", "built"),
        ("component", "failed"),
    ];
    for (dir, want) in expected {
        assert_eq!(outcome(dir), want, "{dir}");
    }
    // Every built output equals kubectl's, every failure fails in kubectl too.
    let builder = Builder::find().unwrap();
    let (built, failed, _) = compare(&root, &builder);
    assert_eq!((built, failed), (4, 1));
}
