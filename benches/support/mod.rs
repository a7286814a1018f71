//! Inputs of the benchmarks, the same wherever they run: the synthetic repository of
//! `scripts/gen-repo.py` and the many-findings file of `scripts/gen-many-findings.py`, written
//! here by the same logic (byte for byte: `CLUSTERSEC_BENCH_DUMP=DIR cargo bench --bench stages`
//! writes them to DIR for comparison with the scripts' output), and `../shared/corpus` when present.

#![allow(dead_code)] // each bench target uses part of this module

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A file of a benchmark input: its path (relative, `/`-separated) and text.
pub(crate) type File = (String, String);

fn deployment(i: usize, clean: bool) -> String {
    let sc = if clean {
        "          securityContext:\n            runAsUser: 10001\n            runAsGroup: 10001\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n"
    } else {
        ""
    };
    format!(
        "apiVersion: apps/v1\n\
         kind: Deployment\n\
         metadata:\n  name: app-{i}\n  namespace: bench\n  labels: {{app: bench, tier: web}}\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: app-{i}}}\n\
         \x20 template:\n    metadata:\n      labels: {{app: app-{i}}}\n    spec:\n      containers:\n\
         \x20       - name: app-{i}\n          image: registry.example/app:{}.0\n\
         \x20         imagePullPolicy: Always\n          ports: [{{containerPort: 8080, name: http}}]\n\
         \x20         env:\n            - {{name: MODE, value: production}}\n            - {{name: LOG_LEVEL, value: info}}\n\
         \x20         resources:\n            limits: {{cpu: 500m, memory: 256Mi}}\n            requests: {{cpu: 100m, memory: 128Mi}}\n{sc}",
        i % 97
    )
}

fn cronjob(i: usize) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: job-{i}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: job-{i}\n              image: busybox:1.36\n              command: [sh, -c, date]\n              securityContext: {{privileged: yes}}\n"
    )
}

fn pod_list(i: usize, n: usize) -> String {
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for k in 0..n {
        let _ = write!(
            s,
            "  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: pod-{i}-{k}}}\n    spec:\n      containers:\n        - {{name: c, image: \"nginx:1.27\"}}\n"
        );
    }
    s
}

fn helm_output(i: usize, n: usize) -> String {
    let mut s = String::new();
    for k in 0..n {
        let _ = write!(
            s,
            "---\n# Source: chart-{i}/templates/deploy-{k}.yaml\n{}",
            deployment(i * 100 + k, k % 2 == 0)
        );
    }
    s
}

fn crd(i: usize) -> String {
    let mut s = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets{i}.example.com\nspec:\n  group: example.com\n  names: {{kind: Widget{i}, plural: widgets{i}}}\n  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n"
    );
    for k in 0..1200 {
        let _ = write!(
            s,
            "                field{k}:\n                  type: object\n                  description: \"Field {k} of the example resource, with a long description.\"\n                  properties:\n                    name: {{type: string}}\n                    value: {{type: integer, format: int64, minimum: 0}}\n                    enabled: {{type: boolean}}\n"
        );
    }
    s
}

/// The synthetic repository of `total` manifests, as `scripts/gen-repo.py total DIR` writes it:
/// Deployments (one per file, four in five with findings), privileged CronJobs, Lists of ten
/// Pods, `helm template` output with `# Source:` comments (twenty documents per file), and a
/// CustomResourceDefinition with a large schema every 100 files.
pub(crate) fn synthetic_repo(total: usize) -> Vec<File> {
    let mut files = Vec::new();
    let (mut made, mut f) = (0, 0);
    while made < total {
        let (text, n) = if f % 100 == 99 {
            (crd(f), 1)
        } else {
            match f % 10 {
                0..=4 => (deployment(f, f % 5 == 0), 1),
                5 | 6 => (cronjob(f), 1),
                7 | 8 => (pod_list(f, 10), 10),
                _ => (helm_output(f, 20), 20),
            }
        };
        files.push((format!("d{:05}/m{f}.yaml", f / 10), text));
        made += n;
        f += 1;
    }
    files
}

/// `pods` Pods in one file, one container each and no securityContext (about five findings
/// each), as `scripts/gen-many-findings.py pods` writes them.
pub(crate) fn many_findings(pods: usize) -> String {
    let mut s = String::new();
    for i in 0..pods {
        let _ = write!(
            s,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: bench\nspec:\n  containers:\n    - name: app-{i}\n      image: registry.example/app:{i}\n"
        );
    }
    s
}

/// Writes files under `dir` (creating directories).
pub(crate) fn write_files(dir: &Path, files: &[File]) {
    for (path, text) in files {
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }
}

/// `../shared/corpus`, when it is there.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        println!("../shared/corpus absent: corpus benchmarks skipped");
        None
    }
}

/// The files a scan of `dir` would read (discovery with default options), with their texts.
pub(crate) fn read_scanned(dir: &Path) -> Vec<File> {
    use clustersec::discover::{self, Input, Options};
    let found = discover::discover(&[dir.to_path_buf()], &Options::default()).unwrap();
    found
        .candidates
        .iter()
        .filter_map(|c| match &c.input {
            Input::Path(p) => std::fs::read_to_string(p)
                .ok()
                .map(|t| (c.display.clone(), t)),
            Input::Memory(t) => Some((c.display.clone(), t.clone())),
            Input::Stdin => None,
        })
        .collect()
}

/// With `CLUSTERSEC_BENCH_DUMP=DIR`: writes the generated inputs to DIR (`repo-1000/`,
/// `repo-10000/`, `pods-20000.yaml`) and returns true, for comparison with the scripts' output.
pub(crate) fn dump_if_asked() -> bool {
    let Some(dir) = std::env::var_os("CLUSTERSEC_BENCH_DUMP") else {
        return false;
    };
    let dir = PathBuf::from(dir);
    for n in [1000, 10_000] {
        write_files(&dir.join(format!("repo-{n}")), &synthetic_repo(n));
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pods-20000.yaml"), many_findings(20_000)).unwrap();
    println!("inputs written to {}", dir.display());
    true
}
