//! Rendering a repository that is not trusted (a pull request from a fork): nothing outside it is
//! read into any report, nothing on the network is reached, and renderers die with clustersec
//! (issue 7; issue 9 item 4 for the portable messages).
//!
//! Every scan here writes all seven formats at once and the assertions look at all of them, at
//! stdout and at stderr. Tests that need helm or kubectl/kustomize skip with a message when the
//! tool is missing, unless `CI` or `CLUSTERSEC_REQUIRE_SHARED=1` is set: then they fail.

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::support::{have_helm, have_kustomize};
use clustersec::render::process;

const RENDER: &str = "CLUSTERSEC_RENDER";

const FORMATS: &[(&str, &str)] = &[
    ("json", "out.json"),
    ("sarif", "out.sarif"),
    ("markdown", "out.md"),
    ("markdown-summary", "summary.md"),
    ("github", "github.txt"),
    ("gitlab", "gitlab.json"),
];

/// A random-enough marker, different in every test run.
fn marker(tag: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{tag}{:x}{:x}", t, std::process::id())
}

/// Standard base64, for markers a template would encode.
fn b64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A scanned repository: `repo/` holds a `.git/config` with a token marker; `secret.txt` next to
/// it (outside the scan root) holds another marker.
struct Repo {
    _tmp: tempfile::TempDir,
    base: PathBuf,
    root: PathBuf,
    git_config: String,
    token: String,
    outside: String,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        let root = base.join("repo");
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let token = marker("ghsTOKEN");
        let git_config = format!(
            "[remote \"origin\"]\n\turl = https://github.com/o/r\n[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic {token}\n"
        );
        std::fs::write(root.join(".git/config"), &git_config).unwrap();
        let outside = marker("OUTSIDE");
        std::fs::write(base.join("secret.txt"), format!("{outside}\n")).unwrap();
        Repo {
            _tmp: tmp,
            base,
            root,
            git_config,
            token,
            outside,
        }
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn chart(&self, dir: &str, templates: &[(&str, &str)]) {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.write(
            &format!("{prefix}Chart.yaml"),
            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        );
        for (name, text) in templates {
            self.write(&format!("{prefix}templates/{name}"), text);
        }
    }

    /// Scans the repository from its root (as CI does) with every format; everything written.
    fn scan(&self, extra: &[&str]) -> Scan {
        self.scan_with(extra, false)
    }

    /// The same, optionally without the network namespace, so that the checks made before a
    /// render are tested on their own (as on platforms without namespaces).
    fn scan_with(&self, extra: &[&str], no_netns: bool) -> Scan {
        let out_dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"));
        if no_netns {
            cmd.env("CLUSTERSEC_NO_NETNS", "1");
        }
        cmd.current_dir(&self.root)
            .env("NO_COLOR", "1")
            .args(["scan", ".", "--format", "text"]);
        for (format, file) in FORMATS {
            cmd.args(["--format", format, "--output"])
                .arg(out_dir.path().join(file));
        }
        cmd.args(extra);
        let out = cmd.output().unwrap();
        let mut all = String::new();
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
        for (_, file) in FORMATS {
            all.push_str(&std::fs::read_to_string(out_dir.path().join(file)).unwrap_or_default());
        }
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out_dir.path().join("out.json")).unwrap(),
        )
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {all}"));
        Scan {
            code: out.status.code(),
            all,
            json,
        }
    }

    /// Asserts that neither marker (nor the base64 of anything holding them) reached any output.
    fn assert_nothing_leaked(&self, scan: &Scan) {
        let mut forbidden = vec![
            self.token.clone(),
            self.outside.clone(),
            b64(self.git_config.as_bytes()),
            b64(format!("{}\n", self.outside).as_bytes()),
            b64(self.token.as_bytes()),
        ];
        // Base64 of a marker at any offset: its middle, at each of the three alignments.
        for m in [&self.token, &self.outside] {
            for skip in 0..3 {
                let enc = b64(&m.as_bytes()[skip..]);
                forbidden.push(enc[4..enc.len() - 4].to_string());
            }
        }
        for f in &forbidden {
            assert!(
                !scan.all.contains(f.as_str()),
                "`{f}` reached the output:\n{}",
                scan.all
            );
        }
        // Nothing names where clustersec keeps its temporary files or where the runner
        // checked the repository out.
        assert!(!scan.all.contains("clustersec-render-"), "{}", scan.all);
        let base = self.base.to_string_lossy();
        let lines: Vec<&str> = scan
            .all
            .lines()
            // SARIF's %SRCROOT% is the one place that names the checkout.
            .filter(|l| l.contains(base.as_ref()) && !l.contains("\"uri\": \"file://"))
            .collect();
        assert!(
            lines.is_empty(),
            "an absolute path reached the output:\n{}",
            lines.join("\n")
        );
    }
}

struct Scan {
    code: Option<i32>,
    all: String,
    json: serde_json::Value,
}

impl Scan {
    fn render_findings(&self) -> Vec<&serde_json::Value> {
        self.json["findings"]
            .as_array()
            .map(|a| a.iter().filter(|f| f["ruleId"] == RENDER).collect())
            .unwrap_or_default()
    }

    fn has_container_findings(&self) -> bool {
        self.json["findings"].as_array().is_some_and(|a| {
            a.iter()
                .any(|f| f["ruleId"] == "CUSTOM_SECURITY_USER_CHECK")
        })
    }
}

const POD_HEAD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n";

#[test]
fn a_root_chart_cannot_fail_with_the_checkout_token() {
    if !have_helm() {
        return;
    }
    let repo = Repo::new();
    repo.chart(
        "",
        &[(
            "leak.yaml",
            "{{ fail (.Files.Get \".git/config\" | b64enc) }}\n",
        )],
    );
    let scan = repo.scan(&["--kustomize", "never"]);
    assert_eq!(scan.code, Some(1), "{}", scan.all);
    // The chart did render (and failed, with nothing to say).
    assert!(
        scan.render_findings().iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("not rendered"))),
        "{}",
        scan.all
    );
    repo.assert_nothing_leaked(&scan);
}

#[test]
fn a_root_chart_cannot_print_the_checkout_token_or_files_outside() {
    if !have_helm() {
        return;
    }
    let repo = Repo::new();
    let pod = format!(
        "{POD_HEAD}    - name: a-{{{{ .Files.Get \".git/config\" | sha256sum | trunc 8 }}}}\n      image: \"{{{{ .Files.Get \".git/config\" | b64enc }}}}\"\n      \
         args: [{{{{ .Files.Get \".git/config\" | quote }}}}, {{{{ .Files.Get \"../secret.txt\" | quote }}}}]\n"
    );
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  \
              git: {{ .Files.Get \".git/config\" | quote }}\n  \
              up: {{ .Files.Get \"../secret.txt\" | quote }}\n  \
              glob: {{ range $p, $_ := .Files.Glob \"**\" }}{{ $p }}{{ $.Files.Get $p | b64enc }}{{ end }}\n  \
              secrets: {{ .Files.Glob \".git/*\" | toJson | quote }}\n";
    repo.chart("", &[("pod.yaml", &pod), ("cm.yaml", cm)]);
    let scan = repo.scan(&["--kustomize", "never"]);
    assert_eq!(scan.code, Some(1), "{}", scan.all);
    assert!(scan.has_container_findings(), "{}", scan.all);
    repo.assert_nothing_leaked(&scan);
}

#[test]
fn files_get_above_the_chart_and_glob_find_nothing() {
    if !have_helm() {
        return;
    }
    let repo = Repo::new();
    // A chart in a subdirectory reading up into the repository and out of it.
    let fail = "{{ fail (printf \"%s|%s|%s|%s\" (.Files.Get \"../../secret.txt\") (.Files.Get \"../.git/config\") \
                (.Files.Get \"/etc/hostname\") (.Files.Glob \"../**\" | toJson)) }}\n";
    repo.chart("deploy/web", &[("leak.yaml", fail)]);
    let scan = repo.scan(&["--kustomize", "never"]);
    assert!(
        scan.render_findings()
            .iter()
            .any(|f| f["path"] == "deploy/web/templates/leak.yaml"),
        "{}",
        scan.all
    );
    repo.assert_nothing_leaked(&scan);
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_chart_is_not_followed() {
    if !have_helm() {
        return;
    }
    let repo = Repo::new();
    let fail = "{{ fail (printf \"%s|%s|%s\" (.Files.Get \"outside\") (.Files.Get \"git\") \
                (.Files.Glob \"**\" | toJson)) }}\n";
    repo.chart("", &[("leak.yaml", fail)]);
    std::os::unix::fs::symlink(repo.base.join("secret.txt"), repo.root.join("outside")).unwrap();
    std::os::unix::fs::symlink(repo.root.join(".git/config"), repo.root.join("git")).unwrap();
    std::os::unix::fs::symlink(repo.root.join(".git"), repo.root.join("templates/gitdir")).unwrap();
    let scan = repo.scan(&["--kustomize", "never"]);
    let render = scan.render_findings();
    // Each at Chart.yaml, naming the symlink: a finding at the symlink itself would make the
    // text report print the line it points at, from the file the symlink leads to.
    let messages: Vec<&str> = render
        .iter()
        .filter(|f| f["path"] == "Chart.yaml")
        .filter_map(|f| f["message"].as_str())
        .collect();
    for link in ["outside", "git", "templates/gitdir"] {
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with(&format!("{link} is a symlink"))),
            "{link}: {messages:?}\n{}",
            scan.all
        );
    }
    repo.assert_nothing_leaked(&scan);
}

/// Values files named by the repository's config are read from inside the scan root only, and
/// helm's messages about them name them relative to it.
#[test]
fn values_files_outside_the_scan_root_are_refused_and_paths_stay_relative() {
    if !have_helm() {
        return;
    }
    let repo = Repo::new();
    repo.chart(
        "web",
        &[(
            "pod.yaml",
            &format!("{POD_HEAD}    - name: {{{{ .Values.name | default \"c\" }}}}\n      image: nginx\n"),
        )],
    );
    repo.write("web/broken.yaml", "name: [unclosed\n");
    // A config that names values files outside the scan stops the run before anything is read
    // (the config's own check); here the values files come from flags, which the render checks.
    repo.write(
        ".clustersec.yaml",
        "charts:\n  web:\n    values:\n      broken: [broken.yaml]\n",
    );
    let messages = |scan: &Scan| -> Vec<String> {
        scan.render_findings()
            .iter()
            .filter_map(|f| f["message"].as_str().map(str::to_string))
            .collect()
    };
    let outside = repo.base.join("secret.txt");
    let git = repo.root.join(".git/config");
    for file in [&outside, &git] {
        let scan = repo.scan(&[
            "--kustomize",
            "never",
            "--helm-values",
            file.to_str().unwrap(),
        ]);
        let m = messages(&scan);
        assert!(
            m.iter().any(|m| m.contains("outside the scan root")),
            "{m:?}"
        );
        repo.assert_nothing_leaked(&scan);
    }
    let scan = repo.scan(&["--kustomize", "never"]);
    let m = messages(&scan);
    assert!(m.iter().any(|m| m.contains("web/broken.yaml")), "{m:?}");
    repo.assert_nothing_leaked(&scan);
}

/// A listener on loopback that must never see a connection.
struct Listener {
    listener: TcpListener,
    port: u16,
}

impl Listener {
    fn new() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        Listener { listener, port }
    }

    /// After the scan has exited: any connection it made is waiting in the backlog.
    fn assert_untouched(&self, what: &str) {
        for _ in 0..3 {
            match self.listener.accept() {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => panic!("{what}: 127.0.0.1:{} was contacted: {other:?}", self.port),
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

#[test]
fn remote_kustomize_references_are_refused_before_the_build() {
    if !have_kustomize() {
        return;
    }
    let l = Listener::new();
    let port = l.port;
    let repo = Repo::new();
    let cases = [
        format!("http://127.0.0.1:{port}/x.yaml"),
        format!("https://127.0.0.1:{port}/x.yaml"),
        format!("git::http://127.0.0.1:{port}/org/repo//base?ref=main"),
        format!("ssh://git@127.0.0.1:{port}/org/repo.git"),
        format!("http://169.254.169.254:{port}/latest"),
        "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v1.0.6".to_string(),
        "git@github.com:org/repo.git".to_string(),
        "file:///etc".to_string(),
    ];
    for (i, c) in cases.iter().enumerate() {
        repo.write(
            &format!("k{i}/kustomization.yaml"),
            &format!("resources:\n  - pod.yaml\n  - {c}\n"),
        );
        repo.write(
            &format!("k{i}/pod.yaml"),
            &format!("{POD_HEAD}    - name: c\n      image: nginx\n"),
        );
    }
    for no_netns in [false, true] {
        let scan = repo.scan_with(&["--helm", "never", "--render-timeout", "20s"], no_netns);
        l.assert_untouched("kustomize resources");
        check_remote_refusals(&repo, &scan, cases.len());
        if no_netns {
            assert!(
                scan.all.contains("renderers run with the network"),
                "{}",
                scan.all
            );
        }
    }
}

fn check_remote_refusals(repo: &Repo, scan: &Scan, cases: usize) {
    let render = scan.render_findings();
    for i in 0..cases {
        let f = render
            .iter()
            .find(|f| f["path"] == format!("k{i}/kustomization.yaml"))
            .unwrap_or_else(|| panic!("k{i}: {}", scan.all));
        assert_eq!(f["region"]["startLine"], 3, "{f}");
        assert_eq!(f["region"]["startColumn"], 5, "{f}");
        assert!(f["message"].as_str().unwrap().contains("remote"), "{f}");
    }
    assert_eq!(
        scan.json["summary"]["kustomizationsBuilt"]
            .as_u64()
            .unwrap_or(0),
        0,
        "{}",
        scan.all
    );
    repo.assert_nothing_leaked(scan);
}

#[test]
fn kustomize_references_outside_the_scan_root_are_refused() {
    if !have_kustomize() {
        return;
    }
    let repo = Repo::new();
    // A kustomization outside the repository, with the outside marker in a ConfigMap.
    let outside = repo.base.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("kustomization.yaml"),
        "configMapGenerator:\n  - name: x\n    files: [../secret.txt]\n",
    )
    .unwrap();
    repo.write("up/kustomization.yaml", "resources:\n  - ../../outside\n");
    repo.write(
        "gen/kustomization.yaml",
        "configMapGenerator:\n  - name: s\n    files:\n      - token=../.git/config\n      - ../../secret.txt\n",
    );
    repo.write(
        "helm/kustomization.yaml",
        "helmCharts:\n  - name: x\n    repo: https://example.com\n",
    );
    #[cfg(unix)]
    {
        repo.write("link/kustomization.yaml", "resources:\n  - linked\n");
        std::os::unix::fs::symlink(&outside, repo.root.join("link/linked")).unwrap();
    }
    // A build that fails on its own: its message names paths relative to the scan root.
    repo.write("missing/kustomization.yaml", "resources:\n  - nope.yaml\n");
    let scan = repo.scan(&["--helm", "never"]);
    let render = scan.render_findings();
    let at = |path: &str| -> Vec<String> {
        render
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| {
                format!(
                    "{}:{} {}",
                    f["region"]["startLine"], f["region"]["startColumn"], f["message"]
                )
            })
            .collect()
    };
    let up = at("up/kustomization.yaml");
    assert!(
        up.len() == 1 && up[0].starts_with("2:5 ") && up[0].contains("outside the scan root"),
        "{up:?}"
    );
    let gen = at("gen/kustomization.yaml");
    assert_eq!(gen.len(), 2, "{gen:?}");
    assert!(
        gen[0].starts_with("4:9 ") && gen[0].contains("version-control"),
        "{gen:?}"
    );
    assert!(gen[1].starts_with("5:9 "), "{gen:?}");
    let helm = at("helm/kustomization.yaml");
    assert!(
        helm.len() == 1 && helm[0].contains("helmCharts"),
        "{helm:?}"
    );
    #[cfg(unix)]
    {
        let link = at("link/kustomization.yaml");
        assert!(link.len() == 1 && link[0].starts_with("2:5 "), "{link:?}");
    }
    let missing = at("missing/kustomization.yaml");
    assert!(
        missing.len() == 1 && missing[0].contains("nope.yaml"),
        "{missing:?}"
    );
    repo.assert_nothing_leaked(&scan);
}

#[test]
fn a_remote_schema_ref_or_dependency_repository_is_never_contacted() {
    if !have_helm() {
        return;
    }
    let l = Listener::new();
    let port = l.port;
    let repo = Repo::new();
    repo.chart(
        "schema",
        &[(
            "pod.yaml",
            &format!("{POD_HEAD}    - name: c\n      image: nginx\n"),
        )],
    );
    repo.write(
        "schema/values.schema.json",
        &format!("{{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"properties\": {{\"x\": {{\"$ref\": \"http://127.0.0.1:{port}/s.json\"}}}}}}\n"),
    );
    repo.write("schema/values.yaml", "x: 1\n");
    repo.write(
        "deps/Chart.yaml",
        &format!("apiVersion: v2\nname: deps\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.0.0\n    repository: http://127.0.0.1:{port}\n"),
    );
    repo.write(
        "deps/templates/pod.yaml",
        &format!("{POD_HEAD}    - name: c\n      image: nginx\n"),
    );
    for no_netns in [false, true] {
        let scan = repo.scan_with(&["--kustomize", "never"], no_netns);
        l.assert_untouched("helm");
        check_schema_and_dependency(&repo, &scan);
    }
}

fn check_schema_and_dependency(repo: &Repo, scan: &Scan) {
    let render = scan.render_findings();
    assert!(
        render
            .iter()
            .any(|f| f["path"] == "schema/values.schema.json"
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("without values schema validation"))),
        "{}",
        scan.all
    );
    assert!(
        render.iter().any(|f| f["path"] == "deps/Chart.yaml"
            && f["message"].as_str().is_some_and(|m| m.contains("`db`"))),
        "{}",
        scan.all
    );
    repo.assert_nothing_leaked(scan);
}

/// Kustomize's deprecation warnings are findings at the deprecated field.
#[test]
fn kustomize_warnings_are_findings_at_the_field() {
    if !have_kustomize() {
        return;
    }
    let repo = Repo::new();
    repo.write("base/kustomization.yaml", "resources: [cm.yaml]\n");
    repo.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    repo.write(
        "overlay/kustomization.yaml",
        "namePrefix: a-\nbases:\n  - ../base\n",
    );
    let scan = repo.scan(&["--helm", "never"]);
    let render = scan.render_findings();
    assert!(
        render
            .iter()
            .any(|f| f["path"] == "overlay/kustomization.yaml"
                && f["region"]["startLine"] == 2
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("'bases' is deprecated"))),
        "{}",
        scan.all
    );
}

/// A render budget of the run: renders past it are not run, and say so.
#[cfg(unix)]
#[test]
fn renders_past_the_budget_are_reported_not_run() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let helm = bin_dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    for name in ["a", "b", "c"] {
        repo.chart(name, &[]);
    }
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"))
        .current_dir(&repo.root)
        .env("PATH", path)
        .args([
            "scan",
            ".",
            "--kustomize",
            "never",
            "--render-budget",
            "300ms",
            "-j",
            "1",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages
            .iter()
            .all(|m| m.contains("render budget exhausted")),
        "{messages:?}"
    );
}

/// A config file's render-timeout is capped by --max-render-timeout.
#[cfg(unix)]
#[test]
fn the_config_cannot_raise_the_render_timeout_past_the_flag() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let helm = bin_dir.path().join("helm");
    std::fs::write(&helm, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    repo.chart("a", &[]);
    repo.write(".clustersec.yaml", "render-timeout: 24h\n");
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"))
        .current_dir(&repo.root)
        .env("PATH", path)
        .args([
            "scan",
            ".",
            "--kustomize",
            "never",
            "--max-render-timeout",
            "300ms",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = json["findings"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("did not finish within 0.30s"), "{json}");
}

/// Output past --max-render-output is not scanned, and a finding says so.
#[cfg(unix)]
#[test]
fn render_output_past_the_bound_is_not_scanned() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let helm = bin_dir.path().join("helm");
    std::fs::write(
        &helm,
        "#!/bin/sh\nwhile :; do echo '# padding padding padding'; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    repo.chart("a", &[]);
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"))
        .current_dir(&repo.root)
        .env("PATH", path)
        .args([
            "scan",
            ".",
            "--kustomize",
            "never",
            "--max-render-output",
            "64KiB",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = json["findings"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("exceeds 64 KiB"), "{json}");
}

/// When clustersec is terminated (a cancelled CI job), the renderers it started and their
/// children die with it.
#[cfg(target_os = "linux")]
#[test]
fn renderers_die_with_clustersec() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let pids = bin_dir.path().join("pids");
    let helm = bin_dir.path().join("helm");
    std::fs::write(
        &helm,
        format!(
            "#!/bin/sh\nsleep 300 &\necho $! >> '{p}'\necho $$ >> '{p}'\nwait\n",
            p = pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    repo.chart("a", &[]);
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"))
        .current_dir(&repo.root)
        .env("PATH", path)
        .args([
            "scan",
            ".",
            "--kustomize",
            "never",
            "--render-timeout",
            "10m",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the fake helm has written both pids.
    let mut started: Vec<i32> = Vec::new();
    for _ in 0..600 {
        started = std::fs::read_to_string(&pids)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect();
        if started.len() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(started.len(), 2, "the fake helm never started");
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(!status.success());
    let alive = |p: i32| {
        std::fs::read_to_string(format!("/proc/{p}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().chars().next()))
            .flatten()
            .is_some_and(|state| state != 'Z' && state != 'X')
    };
    // Bounded wait for the kernel to deliver the kills.
    for _ in 0..200 {
        if started.iter().all(|p| !alive(*p)) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for p in &started {
        assert!(!alive(*p), "process {p} outlived clustersec");
    }
}

#[test]
fn guarantees_hold_for_the_bundled_fixtures_too() {
    // The remote checks accept every reference of the repository's own kustomize fixtures.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let roots = vec![std::fs::canonicalize(&root).unwrap()];
    for dir in [
        "fixtures/kustomize/overlays/prod",
        "fixtures/kustomize/base",
    ] {
        let problems = clustersec::render::refs::check(&root.join(dir), dir, &roots);
        assert!(problems.is_empty(), "{dir}: {problems:?}");
    }
    let _ = Path::new(".");
}

/// The kustomize builder runs with kustomize's default load restrictor (root only), and no flag
/// that would turn on plugins, helm or exec functions.
#[cfg(unix)]
#[test]
fn kustomize_runs_with_its_default_restrictions() {
    use std::os::unix::fs::PermissionsExt;
    let bin_dir = tempfile::tempdir().unwrap();
    let log = bin_dir.path().join("args");
    let kubectl = bin_dir.path().join("kubectl");
    std::fs::write(
        &kubectl,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = Repo::new();
    repo.write("k/kustomization.yaml", "resources: []\n");
    let path = format!("{}:/usr/bin:/bin", bin_dir.path().display());
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_clustersec"))
        .current_dir(&repo.root)
        .env("PATH", path)
        // The external builder's flags are checked (the native builder runs no program).
        .args([
            "scan",
            ".",
            "--helm",
            "never",
            "--kustomize-builder",
            "external",
            "--format",
            "json",
        ])
        .output()
        .unwrap()
        .status;
    assert!(status.code().is_some(), "{status:?}");
    if process::find_program("kustomize").is_some() {
        // A real kustomize elsewhere on PATH would be preferred; nothing to check here.
        return;
    }
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.len(), 2, "{args:?}");
    assert_eq!(args[0], "kustomize");
    for forbidden in [
        "load-restrictor",
        "LoadRestrictionsNone",
        "enable-helm",
        "enable-alpha-plugins",
        "enable-exec",
    ] {
        assert!(!args.iter().any(|a| a.contains(forbidden)), "{args:?}");
    }
}

/// A kustomization whose patch, inline patch or common annotations set kustomize's origin
/// annotation (which names the file a finding is moved to, with that file's reviewed ignores)
/// is not built.
#[test]
fn kustomizations_that_set_the_origin_annotation_are_refused() {
    if !have_kustomize() {
        return;
    }
    let repo = Repo::new();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";
    for (dir, kustomization, extra) in [
        (
            "json6902",
            "resources: [pod.yaml]\npatches:\n  - target: {kind: Pod, name: evil}\n    patch: |\n      - op: add\n        path: /metadata/annotations/config.kubernetes.io~1origin\n        value: \"path: good.yaml\\n\"\n",
            None,
        ),
        (
            "escaped",
            "resources: [pod.yaml]\npatches:\n  - target: {kind: Pod}\n    patch: '[{\"op\":\"add\",\"path\":\"/metadata/annotations/config.kubernetes.io\\u007e1origin\",\"value\":\"x\"}]'\n",
            None,
        ),
        (
            "common",
            "resources: [pod.yaml]\ncommonAnnotations:\n  \"config.kubernetes.io\\x2Forigin\": \"path: good.yaml\"\n",
            None,
        ),
        (
            "file",
            "resources: [pod.yaml]\npatches:\n  - path: patch.yaml\n",
            Some("apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/origin: \"path: good.yaml\"\n"),
        ),
    ] {
        repo.write(&format!("{dir}/kustomization.yaml"), kustomization);
        repo.write(&format!("{dir}/pod.yaml"), pod);
        if let Some(patch) = extra {
            repo.write(&format!("{dir}/patch.yaml"), patch);
        }
    }
    let scan = repo.scan(&["--helm", "never"]);
    let render = scan.render_findings();
    for dir in ["json6902", "escaped", "common", "file"] {
        assert!(
            render.iter().any(|f| f["path"]
                .as_str()
                .is_some_and(|p| p.starts_with(&format!("{dir}/")))
                && f["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("config.kubernetes.io/origin"))),
            "{dir}: {render:?}"
        );
    }
    repo.assert_nothing_leaked(&scan);
}
