//! The library entry point of a scan: settings resolved from flags and the config by one
//! function ([`Settings::resolve`]), one [`run`] from settings to a complete report (render
//! counts, Kubernetes version, PSS level and config included), and [`scan_texts`] for texts held
//! in memory (tests, a later editor integration).
//!
//! What stays in `app.rs`: parsing flags, finding and loading the config, writing the reports
//! and the exit code. See ARCHITECTURE.md for the layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cli::ScanArgs;
use crate::config::{ByteSize, Config, MAX_FILE_SIZE_CEILING};
use crate::discover;
use crate::engine::{Engine, RuleSettings, DEFAULT_MAX_FILE_SIZE};
use crate::kube_version::KubeVersion;
use crate::report::Report;
use crate::rules::data::pss;
use crate::rules::Registry;

/// Everything a scan needs, resolved from the flags and the config file (flags win).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The paths to scan, as given.
    pub paths: Vec<PathBuf>,
    /// Per-rule settings of the config file.
    pub rules: BTreeMap<String, RuleSettings>,
    /// `--profile` (or the config's `profile`).
    pub profile: Option<pss::Level>,
    pub pss_version: pss::PssVersion,
    pub kube_version: KubeVersion,
    pub openshift: bool,
    pub parse_only: bool,
    /// Largest file scanned, in bytes.
    pub max_file_size: u64,
    pub discover: discover::Options,
    pub render: crate::render::Settings,
    /// `--shard K/N`.
    pub shard: Option<crate::shard::Shard>,
    /// The config file as the report names it (`None`: no config file).
    pub config_shown: Option<String>,
    /// The config's `suppressions`, with the date their expiry is judged at.
    pub suppressions: crate::suppress::config::Settings,
    /// Notices met while resolving (a setting lowered or read differently), for stderr.
    pub notices: Vec<String>,
    /// The rules that may run: the config's `select`/`ignore`, replaced and extended by
    /// `--select`/`--ignore`.
    pub selection: crate::rules::Selection,
    /// Whether the registry [`run`] gets is the one the config was validated against, its
    /// params applied there (a config read from text), so they are not parsed twice.
    pub params_applied: bool,
}

impl Settings {
    /// Resolves the settings of `clustersec scan` from its flags and the config file. Reads no
    /// file's content (paths named by flags and the config are checked and made canonical).
    pub fn resolve(
        args: &ScanArgs,
        config: &Config,
        config_shown: Option<String>,
    ) -> Result<Settings, String> {
        let mut notices = Vec::new();
        let kube_version = kube_version(args.kube_version.as_deref(), config)?;
        let (profile, pss_version) = pss_settings(
            args.profile.as_deref(),
            args.pss_version.as_deref(),
            config,
            &mut notices,
        )?;
        let max_file_size = match &args.max_file_size {
            Some(s) => {
                ByteSize::parse(s)
                    .map_err(|e| format!("--max-file-size: {e}"))?
                    .0
            }
            None => match config.max_file_size {
                Some(b) if b.0 > MAX_FILE_SIZE_CEILING => {
                    // The repository's config cannot lift the limit past the ceiling.
                    notices.push(format!(
                        "max-file-size {} bytes in the config file is above the ceiling of \
                         {MAX_FILE_SIZE_CEILING} bytes (64MiB) and is lowered to it; pass \
                         --max-file-size to go beyond",
                        b.0
                    ));
                    MAX_FILE_SIZE_CEILING
                }
                Some(b) => b.0,
                None => DEFAULT_MAX_FILE_SIZE,
            },
        };
        let mut include = config.include.clone();
        include.extend(args.include.iter().cloned());
        let mut exclude = config.exclude.clone();
        exclude.extend(args.exclude.iter().cloned());
        let shard = args
            .shard
            .as_deref()
            .map(|spec| crate::shard::Shard::parse(spec).map_err(|e| format!("--shard {e}")))
            .transpose()?;
        let select = args.select.as_deref().or(config.select.as_deref());
        let ignore: Vec<String> = config.ignore.iter().chain(&args.ignore).cloned().collect();
        let selection = match &config.registry {
            Some(registry) => selection(registry, args, select, &ignore)?,
            None => selection(&crate::rules::Registry::builtin(), args, select, &ignore)?,
        };
        Ok(Settings {
            selection,
            params_applied: config.registry.is_some(),
            paths: args.paths.clone(),
            rules: config.rule_settings(),
            profile,
            pss_version,
            kube_version,
            openshift: config.openshift.unwrap_or(false),
            parse_only: args.parse_only,
            max_file_size,
            discover: discover::Options {
                no_ignore: args.no_ignore,
                include,
                exclude,
            },
            render: render_settings(args, config)?,
            suppressions: crate::suppress::config::Settings {
                entries: config.suppressions.clone(),
                config_path: config_shown.clone(),
                config_dir: config.dir.clone(),
                today: Some(crate::suppress::date::today()?),
                // One shard sees part of the findings; a config kept outside the repository
                // (`--config-dir`) is not a file of the scan to point at.
                report_stale: shard.is_none() && args.config_dir.is_none(),
            },
            shard,
            config_shown,
            notices,
        })
    }

    /// Settings for texts held in memory: the config's rules, targets and size limit; no path,
    /// no render.
    pub fn for_texts(config: &Config) -> Result<Settings, String> {
        let mut notices = Vec::new();
        let kube_version = kube_version(None, config)?;
        let (profile, pss_version) = pss_settings(None, None, config, &mut notices)?;
        let max_file_size = config
            .max_file_size
            .map_or(DEFAULT_MAX_FILE_SIZE, |b| b.0.min(MAX_FILE_SIZE_CEILING));
        let render = crate::render::Settings {
            helm: crate::mode::RenderMode::Never,
            kustomize: crate::mode::RenderMode::Never,
            ..crate::render::Settings::default()
        };
        let registry = crate::rules::Registry::builtin();
        let selection = crate::rules::Selection::resolve(
            config.registry.as_ref().unwrap_or(&registry),
            config.select.as_deref(),
            &config.ignore,
        )
        .map_err(|word| format!("unknown rule or group `{word}`"))?;
        Ok(Settings {
            selection,
            params_applied: false,
            paths: Vec::new(),
            rules: config.rule_settings(),
            profile,
            pss_version,
            kube_version,
            openshift: config.openshift.unwrap_or(false),
            parse_only: false,
            max_file_size,
            discover: discover::Options {
                no_ignore: false,
                include: config.include.clone(),
                exclude: config.exclude.clone(),
            },
            render,
            suppressions: crate::suppress::config::Settings {
                entries: config.suppressions.clone(),
                config_path: None,
                config_dir: config.dir.clone(),
                today: Some(crate::suppress::date::today()?),
                report_stale: false,
            },
            shard: None,
            config_shown: None,
            notices,
        })
    }

    /// An engine of `registry`'s rules configured by these settings: the config's rule
    /// settings (their params parsed here unless `params_applied`: a registry the config was
    /// validated against has them already), the profile and the selection, then the targets.
    pub fn engine(&self, registry: Registry, params_applied: bool) -> Result<Engine, String> {
        let engine = if params_applied {
            Engine::from_registry(registry, &self.rules, self.profile, &self.selection)
        } else {
            Engine::build(registry, &self.rules, self.profile, &self.selection)
                .map_err(|(id, e)| format!("rule {id}: params.{}: {}", e.path, e.message))?
        };
        Ok(self.configure(engine))
    }

    /// `engine` with the targets of these settings: PSS version, Kubernetes version, OpenShift,
    /// parse-only.
    pub fn configure(&self, engine: Engine) -> Engine {
        engine
            .with_pss_version(self.pss_version)
            .with_kube_version(self.kube_version)
            .with_openshift(self.openshift)
            .with_parse_only(self.parse_only)
    }
}

/// Discovers, renders and scans what `settings` name with the rules of `registry` (built into
/// an engine here: see [`Settings::engine`]) and the policy, if any; returns the complete report
/// (without a verdict: that is the caller's, from its fail-on settings). `notice` receives what
/// the user should be told on the way (an exclude that matched nothing), when it happens.
pub fn run(
    settings: &Settings,
    registry: Registry,
    policy: Option<crate::policy::Policy>,
    notice: &dyn Fn(&str),
) -> Result<Report, String> {
    let engine = settings.engine(registry, settings.params_applied)?;
    let engine = match policy {
        Some(policy) => engine.with_policy(policy),
        None => engine,
    };
    let tools = crate::render::Tools::detect(&settings.render)?;
    let max_file_size = settings.max_file_size;
    // The namespaces' labels are read from each file as the walk finds it, on the threads the
    // walk leaves idle.
    let labels = crate::scan::NamespaceLabels::default();
    let mut discovery = rayon::scope(|s| {
        discover::discover_with(&settings.paths, &settings.discover, &|c| {
            if matches!(c.input, discover::Input::Path(_)) {
                let c = c.clone();
                let labels = &labels;
                s.spawn(move |_| labels.add(&c, max_file_size));
            }
        })
    })?;
    if !settings.discover.exclude.is_empty() && discovery.excluded == 0 {
        // Say why an exclude did nothing rather than leave the user guessing.
        let globs: Vec<String> = settings
            .discover
            .exclude
            .iter()
            .map(|g| format!("`{g}`"))
            .collect();
        notice(&format!(
            "--exclude (or the config's exclude) {} matched no file to scan: globs match \
             paths relative to the scan root (e.g. `vendor/**`, or `vendor` for the directory), \
             and only files that would be scanned count",
            crate::report::escape::clean(&globs.join(", "))
        ));
    }
    // A chart's values files are Helm inputs, not manifests (before sharding: every chart).
    crate::render::mark_values_files(&mut discovery, &settings.render);
    let engine = engine.with_namespaces(labels.policies(&discovery));
    // `--shard K/N`: this job's share of the files, charts and kustomizations. Mapping rendered
    // output back to templates still sees every chart.
    let all_charts = discovery.charts.clone();
    if let Some(shard) = settings.shard {
        crate::shard::select(&mut discovery, shard);
    }
    let run = crate::render::render_all(&mut discovery, &settings.render, &tools);
    discovery.charts = all_charts;
    let mut report = crate::scan::scan_rendered_with(
        &engine,
        discovery,
        max_file_size,
        &run,
        &settings.suppressions,
    )
    .with_render_counts(run.counts)
    .with_kube_version(settings.kube_version)
    .with_config(settings.config_shown.clone())
    .with_pss(
        settings.pss_version.resolve(),
        settings.profile.map(|l| l.as_str()),
    );
    if settings.parse_only {
        // No rule ran: the summary says so rather than naming the rules that would have.
        report.rules.clear();
    }
    Ok(report)
}

/// Scans texts held in memory, `(display path, text)` each, as the files of one scan: the same
/// engine, mapping, suppressions and report as [`run`] (through [`crate::scan::scan_rendered`]),
/// with nothing read from disk and no render.
pub fn scan_texts(texts: &[(&str, &str)], settings: &Settings) -> Result<Report, String> {
    let engine = settings.engine(Registry::builtin(), false)?;
    let discovery = discover::Discovery {
        candidates: texts
            .iter()
            .map(|(path, text)| discover::Candidate {
                input: discover::Input::Memory((*text).to_string()),
                display: (*path).to_string(),
                size: text.len() as u64,
            })
            .collect(),
        ..discover::Discovery::default()
    };
    let mut report = crate::scan::scan_rendered_with(
        &engine,
        discovery,
        settings.max_file_size,
        &crate::render::Run::default(),
        &settings.suppressions,
    )
    .with_kube_version(settings.kube_version)
    .with_pss(
        settings.pss_version.resolve(),
        settings.profile.map(|l| l.as_str()),
    );
    if settings.parse_only {
        report.rules.clear();
    }
    Ok(report)
}

/// The Kubernetes version the manifests target: the flag, else the config, else the newest known.
/// The directories of the scan, canonical: the directories named on the command line, the
/// directories of the files named there, and `lookup` (where the config file is looked for).
/// What the repository's config names must resolve inside them.
pub fn scan_roots(args: &ScanArgs, lookup: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![lookup.to_path_buf()];
    for p in &args.paths {
        if p.as_os_str() == "-" {
            continue;
        }
        if p.is_dir() {
            dirs.push(p.clone());
        } else if let Some(parent) = std::fs::canonicalize(p)
            .ok()
            .and_then(|c| c.parent().map(Path::to_path_buf))
        {
            dirs.push(parent);
        }
    }
    crate::safepath::canonical_roots(dirs.iter().map(PathBuf::as_path))
}

/// `--policy` (or the config's `policy`): the Datree policy file read, checked and compiled; a
/// bad one stops the run with its path, line and column. A path on the command line is the CI
/// author's and read as given; a path in the config is the repository's: resolved from the
/// config file's directory, and read only inside the scan.
pub fn load_policy(
    args: &ScanArgs,
    config: &Config,
) -> Result<Option<crate::policy::Policy>, String> {
    let base = config.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let pick = |cli: &Option<PathBuf>, cfg: &Option<String>, flag: &str| {
        if let Some(p) = cli {
            return read_policy_file(p, None, flag).map(Some);
        }
        if let Some(p) = cfg {
            let roots = scan_roots(args, &base);
            return read_policy_file(&base.join(p), Some(&roots), flag).map(Some);
        }
        Ok(None)
    };
    let Some((path, text)) = pick(&args.policy, &config.policy, "--policy")? else {
        if args.policy_name.is_some() || args.datree_rules.is_some() {
            return Err(
                "--policy-name and --datree-rules need a policy file (--policy, or `policy` in \
                 the config)"
                    .to_string(),
            );
        }
        return Ok(None);
    };
    let datree_rules = pick(&args.datree_rules, &config.datree_rules, "--datree-rules")?;
    let opts = crate::policy::LoadOptions {
        name: args
            .policy_name
            .clone()
            .or_else(|| config.policy_name.clone()),
        keep_going: args.keep_going,
        datree_rules,
    };
    crate::policy::load(&path, &text, &opts)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Reads a policy (or Datree rules) file of at most [`crate::policy::MAX_POLICY_SIZE`] bytes,
/// confined to `roots` when given: its path as reports show it, and its text.
fn read_policy_file(
    path: &Path,
    roots: Option<&[PathBuf]>,
    flag: &str,
) -> Result<(String, String), String> {
    use std::io::Read;
    let shown = path.to_string_lossy().replace('\\', "/");
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    let quoted = crate::safepath::quote(&shown);
    let open = match roots {
        Some(roots) => crate::safepath::confine(path, roots)
            .map_err(|_| format!("{flag} {quoted}: missing, or outside the scanned directories"))?,
        None => path.to_path_buf(),
    };
    let file = std::fs::File::open(&open).map_err(|e| format!("{flag} {quoted}: {e}"))?;
    let mut buf = Vec::new();
    file.take(crate::policy::MAX_POLICY_SIZE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{flag} {quoted}: {e}"))?;
    if buf.len() as u64 > crate::policy::MAX_POLICY_SIZE {
        return Err(format!(
            "{flag} {quoted}: larger than {} bytes",
            crate::policy::MAX_POLICY_SIZE
        ));
    }
    let text = String::from_utf8(buf).map_err(|_| format!("{flag} {quoted}: not UTF-8 text"))?;
    Ok((shown, text))
}

/// Resolves `select`/`ignore`; an unknown name can only come from a flag here (the config's
/// were checked, located, when it was read).
fn selection(
    registry: &Registry,
    args: &ScanArgs,
    select: Option<&[String]>,
    ignore: &[String],
) -> Result<crate::rules::Selection, String> {
    crate::rules::Selection::resolve(registry, select, ignore).map_err(|word| {
        let flag = if args.ignore.contains(&word) {
            "--ignore"
        } else {
            "--select"
        };
        let hint = crate::config::did_you_mean(&word, registry.selector_words())
            .map(|m| format!("; did you mean `{m}`?"))
            .unwrap_or_default();
        crate::error::LocatedError::flag(format!(
            "{flag}: unknown rule or group `{word}`{hint} (`clustersec rules` lists rules and \
             their groups)"
        ))
        .to_string()
    })
}

fn kube_version(flag: Option<&str>, config: &Config) -> Result<KubeVersion, String> {
    match flag.or(config.kube_version.as_deref()) {
        Some(v) => KubeVersion::parse(v).map_err(|e| format!("--kube-version: {e}")),
        None => Ok(KubeVersion::newest_known()),
    }
}

/// The Pod Security Standards profile and version of a scan: the flags, else the config.
fn pss_settings(
    profile_flag: Option<&str>,
    version_flag: Option<&str>,
    config: &Config,
    notices: &mut Vec<String>,
) -> Result<(Option<pss::Level>, pss::PssVersion), String> {
    let profile = match profile_flag.or(config.profile.as_deref()) {
        Some(p) => Some(pss::parse_profile(p).map_err(|e| format!("--profile: {e}"))?),
        None => None,
    };
    let version = match version_flag.or(config.pss_version.as_deref()) {
        Some(v) => pss::PssVersion::parse(v).map_err(|e| format!("--pss-version: {e}"))?,
        None => pss::PssVersion::Latest,
    };
    if version.is_future() {
        notices.push(format!(
            "Pod Security Standards {version} is newer than the newest version clustersec \
             knows (v1.{}); judging at v1.{} as Pod Security Admission does",
            pss::NEWEST,
            pss::NEWEST
        ));
    }
    Ok((profile, version))
}

/// How to render: the flags, else the config.
fn render_settings(args: &ScanArgs, config: &Config) -> Result<crate::render::Settings, String> {
    use crate::render::{helm, Settings, ValueSet};
    let mut s = Settings::default();
    if let Some(m) = args.helm.or(config.helm) {
        s.helm = m;
    }
    if let Some(m) = args.kustomize.or(config.kustomize) {
        s.kustomize = m;
    }
    s.kustomize_builder = args.kustomize_builder;
    for f in &args.helm_values {
        if !f.is_file() {
            return Err(format!("--helm-values {}: no such file", f.display()));
        }
        s.helm_values
            .push(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()));
    }
    if let Some(r) = args
        .release_name
        .clone()
        .or_else(|| config.release_name.clone())
    {
        s.release_name = r;
    }
    s.namespace = args.namespace.clone().or_else(|| config.namespace.clone());
    s.skip_tests = args.helm_skip_tests || config.helm_tests == Some(false);
    // One target for the API version rules and the renders: without --kube-version or the
    // config's, helm renders for the default target too.
    s.kube_version = args
        .kube_version
        .clone()
        .or_else(|| config.kube_version.clone())
        .or_else(|| Some(KubeVersion::newest_known().to_string()));
    let duration =
        |flag: &str, v: &Option<String>| -> Result<Option<std::time::Duration>, String> {
            v.as_deref()
                .map(crate::render::process::parse_duration)
                .transpose()
                .map_err(|e| format!("{flag}: {e}"))
        };
    let max_timeout = duration("--max-render-timeout", &args.max_render_timeout)?
        .unwrap_or(crate::render::DEFAULT_MAX_TIMEOUT);
    if let Some(t) = duration("--render-timeout", &args.render_timeout)? {
        s.timeout = t;
    } else if let Some(t) = config.render_timeout {
        // The repository's own setting: capped by the flag.
        s.timeout = t.0.min(max_timeout);
    }
    if let Some(b) = duration("--render-budget", &args.render_budget)? {
        s.budget = b;
    }
    if let Some(m) = &args.max_render_output {
        s.max_output = ByteSize::parse(m)
            .map_err(|e| format!("--max-render-output: {e}"))?
            .0;
    }
    s.roots = args
        .paths
        .iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let base = config.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    for (key, chart) in &config.charts {
        let dir = base.join(key);
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        let mut sets: Vec<ValueSet> = Vec::new();
        for (name, files) in &chart.sets {
            let files: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
            let mut label = match name {
                Some(n) => n.clone(),
                None if files.is_empty() => helm::DEFAULT_LABEL.to_string(),
                None => helm::files_label(&files),
            };
            if sets.iter().any(|x| x.label == label) {
                label = format!("{label} #{}", sets.len() + 1);
            }
            sets.push(ValueSet { label, files });
        }
        s.charts.push(crate::render::ChartSettings {
            dir,
            release_name: chart.release_name.clone(),
            namespace: chart.namespace.clone(),
            value_sets: sets,
        });
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: web\n      image: nginx\n      securityContext:\n        privileged: yes\n";

    fn scan_args(argv: &[&str]) -> ScanArgs {
        match crate::cli::Cli::try_parse_from(argv) {
            Ok(crate::cli::Cli {
                command: crate::cli::Command::Scan(a),
            }) => a,
            other => panic!("not a scan command: {other:?}"),
        }
    }

    #[test]
    fn flags_win_over_the_config_and_the_config_over_defaults() {
        let config = Config::parse("kube-version: \"1.24\"\nmax-file-size: 1KiB\n").unwrap();
        let s = Settings::resolve(&scan_args(&["clustersec", "scan", "x"]), &config, None).unwrap();
        assert_eq!(s.kube_version, KubeVersion::parse("1.24").unwrap());
        assert_eq!(s.max_file_size, 1024);
        let args = scan_args(&["clustersec", "scan", "--kube-version", "1.29", "x"]);
        let s = Settings::resolve(&args, &config, Some("c.yaml".into())).unwrap();
        assert_eq!(s.kube_version, KubeVersion::parse("1.29").unwrap());
        assert_eq!(s.config_shown.as_deref(), Some("c.yaml"));
        let bad = scan_args(&["clustersec", "scan", "--kube-version", "nope", "x"]);
        let e = Settings::resolve(&bad, &config, None).unwrap_err();
        assert!(e.starts_with("--kube-version: "), "{e}");
    }

    #[test]
    fn scan_texts_finds_what_a_scan_of_the_same_file_finds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pod.yaml"), POD).unwrap();
        let mut settings = Settings::for_texts(&Config::default()).unwrap();
        settings.paths = vec![dir.path().to_path_buf()];
        let from_disk = run(&settings, Registry::builtin(), None, &|_| {}).unwrap();
        let path = from_disk.files.first().unwrap().path.clone();
        let in_memory = scan_texts(&[(path.as_str(), POD)], &settings).unwrap();
        assert!(!in_memory.findings.is_empty());
        assert_eq!(in_memory.findings, from_disk.findings);
        assert_eq!(in_memory.files, from_disk.files);
        let f = in_memory
            .findings
            .iter()
            .find(|f| f.rule == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
            .unwrap();
        assert_eq!((f.span.start.line, f.span.start.col), (10, 9));
        assert_eq!(f.container.as_deref(), Some("web"));
    }

    #[test]
    fn scan_texts_honours_the_configs_select_and_ignore() {
        let all = scan_texts(
            &[("pod.yaml", POD)],
            &Settings::for_texts(&Config::default()).unwrap(),
        )
        .unwrap();
        let privileged = |r: &Report| {
            r.findings
                .iter()
                .any(|f| f.rule == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
        };
        assert!(privileged(&all));
        let config = Config {
            ignore: vec!["CUSTOM_SECURITY_PRIVILEGED_CHECK".to_string()],
            ..Config::default()
        };
        let ignored =
            scan_texts(&[("pod.yaml", POD)], &Settings::for_texts(&config).unwrap()).unwrap();
        assert!(!privileged(&ignored));
        assert!(!ignored.findings.is_empty());
    }

    #[test]
    fn scan_texts_applies_suppression_comments() {
        let text = POD.replace(
            "        privileged: yes\n",
            "        # clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK the debug image needs it\n        privileged: yes\n",
        );
        let settings = Settings::for_texts(&Config::default()).unwrap();
        let report = scan_texts(&[("pod.yaml", text.as_str())], &settings).unwrap();
        assert!(report
            .findings
            .iter()
            .all(|f| f.rule != "CUSTOM_SECURITY_PRIVILEGED_CHECK"));
        let s = report
            .suppressed
            .iter()
            .find(|f| f.rule == "CUSTOM_SECURITY_PRIVILEGED_CHECK")
            .unwrap();
        assert_eq!(s.suppression.as_deref(), Some("the debug image needs it"));
        assert_eq!(s.span.start.line, 11);
    }

    #[test]
    fn scan_texts_applies_the_size_limit() {
        let mut settings = Settings::for_texts(&Config::default()).unwrap();
        settings.max_file_size = 10;
        let report = scan_texts(&[("big.yaml", POD)], &settings).unwrap();
        assert!(matches!(
            report.files.first().map(|f| &f.status),
            Some(crate::outcome::FileStatus::NotScanned(_))
        ));
    }
}
