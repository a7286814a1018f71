//! The config file (`.clustersec.yaml`): its schema, and errors located at file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::RuleSettings;
use crate::finding::Severity;
use crate::mode::RenderMode as Mode;
use crate::model::yaml::{parse_stream, Diagnostic, Kind, Node};
use crate::model::Pos;

/// File names looked for at the scan root, in order.
pub const CONFIG_NAMES: &[&str] = &[".clustersec.yaml", ".clustersec.yml"];

/// The largest config file read (1 MiB).
pub const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// The largest `max-file-size` a config file can set (64 MiB): a larger value is lowered to
/// this, with a notice. Only `--max-file-size` on the command line goes beyond it.
pub const MAX_FILE_SIZE_CEILING: u64 = 64 * 1024 * 1024;

/// The config file's schema. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Per-rule settings, by rule id.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleConfig>,
    /// Globs of paths to skip (matched against the path relative to the scan root).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Globs of paths to scan (in addition to the `.yaml`/`.yml`/`.json` extension filter).
    #[serde(default)]
    pub include: Vec<String>,
    /// Largest file scanned, in bytes or with a unit (`16MiB`, `512KiB`).
    #[serde(default)]
    pub max_file_size: Option<ByteSize>,
    /// Lowest severity that makes the run fail (exit 1).
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// Whether a scan with parts not checked (charts not rendered, files not scanned) fails,
    /// whatever `fail-on` says (default true; `--no-fail-on-incomplete` wins).
    #[serde(default)]
    pub fail_on_incomplete: Option<bool>,
    /// Render Helm charts: `auto` (when helm is on PATH), `always`, `never`.
    #[serde(default)]
    pub helm: Option<Mode>,
    /// Build kustomizations: `auto` (when kustomize or kubectl is on PATH), `always`, `never`.
    #[serde(default)]
    pub kustomize: Option<Mode>,
    /// Helm release name of every render (default `release-name`).
    #[serde(default)]
    pub release_name: Option<String>,
    /// Namespace of every helm render.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Kubernetes version helm renders for (`.Capabilities.KubeVersion`), e.g. `"1.30.0"`, and
    /// the target of the API version rules. Checked to be a version when read.
    #[serde(default, deserialize_with = "kube_version")]
    pub kube_version: Option<String>,
    /// OpenShift: runAsUser and runAsGroup must be unset (the restricted SCC assigns them).
    #[serde(default)]
    pub openshift: Option<bool>,
    /// Pod Security Standards profile: `baseline` or `restricted` (see `--profile`).
    #[serde(default, deserialize_with = "pss_profile")]
    pub profile: Option<String>,
    /// Pod Security Standards version: `latest` or `v1.N` (see `--pss-version`).
    #[serde(default, deserialize_with = "pss_version")]
    pub pss_version: Option<String>,
    /// A Datree policy file to run (see `--policy`), relative to the config file's directory
    /// and inside the scan.
    #[serde(default)]
    pub policy: Option<String>,
    /// The policy of that file to run (see `--policy-name`).
    #[serde(default)]
    pub policy_name: Option<String>,
    /// Datree's built-in rule definitions (see `--datree-rules`), like `policy`.
    #[serde(default)]
    pub datree_rules: Option<String>,
    /// Time limit of one render, in seconds or with a unit (`90s`, `2m`).
    #[serde(default)]
    pub render_timeout: Option<Timeout>,
    /// Whether helm test hooks (`helm.sh/hook: test` pods) are rendered and scanned (default
    /// true; `false` renders with `helm template --skip-tests`, as `--helm-skip-tests` does).
    #[serde(default)]
    pub helm_tests: Option<bool>,
    /// Per-chart render settings, by chart directory relative to the config file's directory.
    #[serde(default)]
    pub charts: BTreeMap<String, ChartConfig>,
    /// Accepted findings: entries selecting them by rule, path, kind, namespace, name and
    /// container, each with a reason and an optional expiry date (see [`crate::suppress::config`]).
    #[serde(default)]
    pub suppressions: Vec<crate::suppress::config::ConfigSuppression>,
    /// The config file's directory (chart paths are relative to it); not read from the file.
    #[serde(skip)]
    pub dir: Option<PathBuf>,
    /// Rules that may run, by id, short name or group (`[pss, CLUSTERSEC_IMAGE_TAG]`), as
    /// ruff's `select`: when set, only these run (and the scan-integrity rules).
    #[serde(default)]
    pub select: Option<Vec<String>>,
    /// Rules that never run, by id, short name or group.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// The run's rules, with this config's params applied (parsed once, while validating);
    /// `None` for a config not read from text (the defaults). Not read from the file.
    #[serde(skip)]
    pub registry: Option<crate::rules::Registry>,
}

/// `kube-version`: kept as written (helm takes it as is), refused when it is not a version.
fn kube_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        // `1.30` unquoted is the number 1.3: refuse it rather than guess.
        serde_json::Value::Number(n) => {
            return Err(serde::de::Error::custom(format!(
                "write the version in quotes (kube-version: \"1.30\"): unquoted, YAML reads it \
                 as the number {n}"
            )))
        }
        _ => {
            return Err(serde::de::Error::custom(
                "expected a Kubernetes version in quotes, such as \"1.30\"",
            ))
        }
    };
    crate::kube_version::KubeVersion::parse(&s).map_err(serde::de::Error::custom)?;
    Ok(Some(s))
}

/// `profile`: `baseline` or `restricted`.
fn pss_profile<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    crate::rules::data::pss::parse_profile(&s).map_err(serde::de::Error::custom)?;
    Ok(Some(s))
}

/// `pss-version`: `latest` or `v1.N`.
fn pss_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        other => {
            return Err(serde::de::Error::custom(format!(
                "expected `latest` or a version such as \"v1.30\" in quotes, found {other}"
            )))
        }
    };
    crate::rules::data::pss::PssVersion::parse(&s).map_err(serde::de::Error::custom)?;
    Ok(Some(s))
}

/// Render settings of one chart.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChartConfig {
    pub release_name: Option<String>,
    pub namespace: Option<String>,
    /// The render matrix: a list of value sets (`[[], [values-prod.yaml]]`) or a mapping from
    /// set names to value sets (`{default: [], prod: [values-prod.yaml]}`). A value set is a list
    /// of values files, relative to the chart directory, applied after the chart's values.yaml.
    /// Checked and stored in `sets`.
    #[serde(default)]
    pub values: Option<serde_json::Value>,
    /// The value sets, in order: (name for a named set, files).
    #[serde(skip)]
    pub sets: Vec<(Option<String>, Vec<String>)>,
}

/// A time limit, written as seconds or with a unit (`500ms`, `90s`, `2m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(pub std::time::Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(f64),
            S(String),
        }
        let s = match Raw::deserialize(d)? {
            Raw::N(n) => n.to_string(),
            Raw::S(s) => s,
        };
        crate::render::process::parse_duration(&s)
            .map(Timeout)
            .map_err(serde::de::Error::custom)
    }
}

/// Settings of one rule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub params: Option<serde_json::Value>,
}

/// The threshold of `--fail-on`: a severity, or `never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail because of findings (exit 0 unless the tool itself fails); also `none`.
    #[serde(alias = "none")]
    #[value(alias = "none")]
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        Some(match self {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
            FailOn::Never => return None,
        })
    }
}

/// A size in bytes, written as a number or with a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(s: &str) -> Result<ByteSize, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid size `{s}`: expected a number of bytes, e.g. 16MiB"))?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1000,
            "kib" => 1024,
            "m" | "mb" => 1000 * 1000,
            "mib" => 1024 * 1024,
            "g" | "gb" => 1000 * 1000 * 1000,
            "gib" => 1024 * 1024 * 1024,
            other => return Err(format!("invalid size unit `{other}` in `{s}`")),
        };
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("size `{s}` is too large"))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// A config error with its place in the file (the one located error type).
pub type ConfigError = crate::error::LocatedError;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_checked(path, None)
    }

    /// Parses config text; errors carry the position of the offending key or value.
    pub fn parse(text: &str) -> Result<Config, (Option<Pos>, String)> {
        Config::parse_in(text, None)
    }

    /// Reads and validates a config file whose paths (chart directories, values files) must
    /// resolve inside one of `roots` (canonical directories, symlinks followed). The file itself
    /// is read as it is: the caller decides whether it may be read (see
    /// [`Config::check_location`]).
    pub fn load_within(path: &Path, roots: &[PathBuf]) -> Result<Config, ConfigError> {
        Config::load_checked(path, Some(roots))
    }

    /// Reads (at most [`MAX_CONFIG_SIZE`] bytes) and validates a config file; with `roots`,
    /// its paths must resolve inside them.
    fn load_checked(path: &Path, roots: Option<&[PathBuf]>) -> Result<Config, ConfigError> {
        Config::load_with(path, roots, crate::rules::Registry::builtin())
    }

    /// Reads and validates a config file against `registry` (built-ins and rules added at run
    /// time), applying its params to it; with `roots`, its paths must resolve inside them.
    pub fn load_with(
        path: &Path,
        roots: Option<&[PathBuf]>,
        registry: crate::rules::Registry,
    ) -> Result<Config, ConfigError> {
        use std::io::Read;
        let err = |pos: Option<Pos>, message: String| ConfigError {
            path: path.to_path_buf(),
            pos,
            message,
        };
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CONFIG_SIZE + 1).read_to_end(&mut bytes))
            .map_err(|e| err(None, format!("cannot read the config file: {e}")))?;
        if bytes.len() as u64 > MAX_CONFIG_SIZE {
            return Err(err(
                None,
                format!("the config file is larger than {MAX_CONFIG_SIZE} bytes (1MiB); not read"),
            ));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| err(None, "the config file is not valid UTF-8".to_string()))?;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut config = Config::parse_with(&text, Some(dir), roots, registry)
            .map_err(|(pos, message)| err(pos, message))?;
        config.dir = Some(dir.to_path_buf());
        Ok(config)
    }

    /// Checks that a config file found in (or named inside) the scanned repository resolves,
    /// through every symlink, to a file inside one of `roots` (canonical), before it is read:
    /// a repository could otherwise have clustersec print another file into the job log. The
    /// error names the path only, never anything of the target.
    pub fn check_location(path: &Path, roots: &[PathBuf]) -> Result<(), ConfigError> {
        let err = |message: &str| ConfigError {
            path: path.to_path_buf(),
            pos: None,
            message: message.to_string(),
        };
        match crate::safepath::confine(path, roots) {
            Ok(target) if target.is_file() => Ok(()),
            Ok(_) => Err(err("not a regular file; not read")),
            Err(crate::safepath::Rejected::Missing) => {
                Err(err("cannot be resolved (a broken symlink?); not read"))
            }
            Err(_) => Err(err(
                "resolves (through a symlink) to a file outside the scanned directory; not read. \
                 A config file in the repository must be a file of the repository; to use a \
                 file elsewhere, pass it with --config from outside the scanned directory",
            )),
        }
    }

    /// Parses config text; with `dir` (the config file's directory), also checks that the
    /// `charts` entries name chart directories and existing values files.
    pub fn parse_in(text: &str, dir: Option<&Path>) -> Result<Config, (Option<Pos>, String)> {
        Config::parse_checked(text, dir, None)
    }

    /// [`Config::parse_in`], and with `roots`, chart directories and values files must resolve
    /// inside one of them.
    pub fn parse_checked(
        text: &str,
        dir: Option<&Path>,
        roots: Option<&[PathBuf]>,
    ) -> Result<Config, (Option<Pos>, String)> {
        Config::parse_with(text, dir, roots, crate::rules::Registry::builtin())
    }

    /// [`Config::parse_checked`] against `registry`: rule ids, short names and groups are the
    /// registry's, and each rule's params are parsed once, into the registry (kept in
    /// [`Config::registry`]), with errors located at the offending key.
    pub fn parse_with(
        text: &str,
        dir: Option<&Path>,
        roots: Option<&[PathBuf]>,
        mut registry: crate::rules::Registry,
    ) -> Result<Config, (Option<Pos>, String)> {
        let stream = parse_stream(text);
        if let Some(d) = stream.diagnostics.first() {
            match d {
                Diagnostic::Syntax { pos, message } => {
                    return Err((Some(*pos), format!("YAML syntax error: {message}")))
                }
                Diagnostic::DuplicateKey { key, second, .. } => {
                    return Err((Some(second.start), format!("duplicate key `{key}`")))
                }
                Diagnostic::NonScalarKey { span } => {
                    return Err((Some(span.start), "keys must be strings".to_string()))
                }
                other => return Err((None, format!("unsupported YAML: {other:?}"))),
            }
        }
        if stream.documents.len() > 1 {
            return Err((
                stream.documents.get(1).map(|d| d.start),
                "the config file must hold a single YAML document".to_string(),
            ));
        }
        let Some(root) = stream.documents.into_iter().next().and_then(|d| d.root) else {
            return Ok(Config {
                registry: Some(registry),
                ..Config::default()
            });
        };
        if root.is_null() {
            return Ok(Config {
                registry: Some(registry),
                ..Config::default()
            });
        }
        let json = root.to_json();
        let mut config: Config = serde_path_to_error::deserialize(&json).map_err(|e| {
            let segments: Vec<String> = e
                .path()
                .iter()
                .map(|s| match s {
                    serde_path_to_error::Segment::Seq { index } => index.to_string(),
                    serde_path_to_error::Segment::Map { key } => key.clone(),
                    serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                    serde_path_to_error::Segment::Unknown => String::new(),
                })
                .filter(|s| !s.is_empty())
                .collect();
            let raw = e.inner().to_string();
            let pos = locate(&root, &segments, &raw);
            // (An unquoted `kube-version: 1.30` is refused by its deserializer, with the fix.)
            let message = yaml_words(&raw);
            let path = segments.join(".");
            let message = if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            };
            (Some(pos), message)
        })?;
        // Unknown rule ids and bad params, located at their keys. A rule is named by its id
        // or its short name (as `explain` and ignore comments accept), in any case.
        let known: Vec<(String, String)> = registry
            .metas()
            .map(|m| (m.id.to_string(), m.name.to_string()))
            .collect();
        let rules_node = root.get("rules");
        let mut by_id: BTreeMap<String, RuleConfig> = BTreeMap::new();
        for (key, rc) in std::mem::take(&mut config.rules) {
            let id = &key;
            let key_pos = rules_node
                .and_then(|r| r.get_entry(id))
                .map_or(root.span.start, |e| e.key.span.start);
            let Some((canonical, _)) = known.iter().find(|(i, n)| {
                i.eq_ignore_ascii_case(id.trim()) || n.eq_ignore_ascii_case(id.trim())
            }) else {
                let hint = did_you_mean(id, known.iter().flat_map(|(i, n)| [i.as_str(), n]))
                    .map(|m| format!("; did you mean `{m}`?"))
                    .unwrap_or_default();
                return Err((
                    Some(key_pos),
                    format!("unknown rule `{id}`{hint} (`clustersec rules` lists them)"),
                ));
            };
            if by_id.contains_key(canonical) {
                return Err((
                    Some(key_pos),
                    format!("rule `{canonical}` is configured twice (`{id}` names it too)"),
                ));
            }
            if let Some(params) = &rc.params {
                if let Some((min, max)) = params
                    .get("min")
                    .and_then(serde_json::Value::as_i64)
                    .zip(params.get("max").and_then(serde_json::Value::as_i64))
                    .filter(|(min, max)| min > max)
                {
                    let segs: Vec<String> = ["rules", id, "params", "min"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect();
                    return Err((
                        Some(locate(&root, &segs, "")),
                        format!(
                            "{}: min {min} is greater than max {max}: no value could pass",
                            segs.join(".")
                        ),
                    ));
                }
            }
            if let Some(params) = &rc.params {
                {
                    if let Err(pe) = registry.configure(canonical, params) {
                        let mut segs = vec!["rules".to_string(), id.clone(), "params".to_string()];
                        segs.extend(
                            pe.path
                                .split('.')
                                .filter(|s| !s.is_empty())
                                .map(String::from),
                        );
                        let pos = locate(&root, &segs, &pe.message);
                        return Err((
                            Some(pos),
                            format!("{}: {}", segs.join("."), yaml_words(&pe.message)),
                        ));
                    }
                }
            }
            by_id.insert(canonical.to_string(), rc);
        }
        config.rules = by_id;
        crate::suppress::config::check(&root, &mut config.suppressions, &registry)?;
        for (key, chart) in &mut config.charts {
            check_chart(&root, key, chart, dir, roots)?;
        }
        check_selectors(&root, &config, &registry)?;
        config.registry = Some(registry);
        Ok(config)
    }

    /// The per-rule settings the engine takes.
    pub fn rule_settings(&self) -> BTreeMap<String, RuleSettings> {
        self.rules
            .iter()
            .map(|(id, rc)| {
                (
                    id.clone(),
                    RuleSettings {
                        enabled: rc.enabled,
                        severity: rc.severity,
                        params: rc.params.clone(),
                    },
                )
            })
            .collect()
    }
}

/// Checks that every word of `select` and `ignore` names a rule (id or short name) or a group
/// of `registry`; an unknown one is located at its list item, with a "did you mean".
fn check_selectors(
    root: &Node,
    config: &Config,
    registry: &crate::rules::Registry,
) -> Result<(), (Option<Pos>, String)> {
    for (key, words) in [
        ("select", config.select.as_deref()),
        ("ignore", Some(&config.ignore[..])),
    ] {
        for (i, word) in words.unwrap_or_default().iter().enumerate() {
            if registry.select(word).is_none() {
                let segs = vec![key.to_string(), i.to_string()];
                let hint = did_you_mean(word, registry.selector_words())
                    .map(|m| format!("; did you mean `{m}`?"))
                    .unwrap_or_default();
                return Err((
                    Some(locate(root, &segs, "")),
                    format!(
                        "{key}: unknown rule or group `{word}`{hint} (`clustersec rules` \
                         lists rules and their groups)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Checks a `charts` entry: its value sets (into `chart.sets`), and with `dir` that the chart
/// and its values files exist. Errors are located at the offending key or list item.
fn check_chart(
    root: &Node,
    key: &str,
    chart: &mut ChartConfig,
    dir: Option<&Path>,
    roots: Option<&[PathBuf]>,
) -> Result<(), (Option<Pos>, String)> {
    let at = |segs: &[&str], message: &str| {
        let mut path = vec!["charts", key];
        path.extend(segs.iter().copied().filter(|s| !s.is_empty()));
        let owned: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        (
            Some(locate(root, &owned, "")),
            format!("{}: {message}", path.join(".")),
        )
    };
    if let Some(base) = dir {
        let chart_dir = base.join(key);
        let key_pos = root
            .get("charts")
            .and_then(|c| c.get_entry(key))
            .map_or(root.span.start, |e| e.key.span.start);
        if let Some(roots) = roots {
            if outside(&chart_dir, roots) {
                return Err((
                    Some(key_pos),
                    format!(
                        "charts.{key}: the chart directory is outside the scanned directory \
                         (paths in the config must stay inside it, symlinks followed)"
                    ),
                ));
            }
        }
        if !chart_dir.join("Chart.yaml").is_file() {
            return Err((
                Some(key_pos),
                format!(
                    "charts.{key}: no Chart.yaml in {} (chart paths are relative to the config file)",
                    chart_dir.display()
                ),
            ));
        }
    }
    let Some(values) = &chart.values else {
        return Ok(());
    };
    const SHAPE: &str = "expected a list of value sets ([[], [values-prod.yaml]]) or a mapping of \
                         set names to value sets ({default: [], prod: [values-prod.yaml]}); a value \
                         set is a list of values files";
    // (segment in the config, set name, the set's value)
    let raw: Vec<(String, Option<String>, &serde_json::Value)> = match values {
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), None, v))
            .collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(name, v)| (name.clone(), Some(name.clone()), v))
            .collect(),
        _ => return Err(at(&["values"], SHAPE)),
    };
    if raw.is_empty() {
        return Err(at(&["values"], &format!("no value set: {SHAPE}")));
    }
    for (seg, name, v) in raw {
        if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(at(&["values", &seg], "a value set needs a name"));
        }
        let serde_json::Value::Array(items) = v else {
            return Err(at(
                &["values", &seg],
                "a value set is a list of values files (write [[values-prod.yaml]] for one set of one file)",
            ));
        };
        let mut files = Vec::new();
        for (i, f) in items.iter().enumerate() {
            let idx = i.to_string();
            let Some(file) = f.as_str().filter(|s| !s.trim().is_empty()) else {
                return Err(at(
                    &["values", &seg, &idx],
                    "expected the path of a values file",
                ));
            };
            if let Some(base) = dir {
                let chart_dir = base.join(key);
                if roots.is_some_and(|r| outside(&chart_dir.join(file), r)) {
                    return Err(at(
                        &["values", &seg, &idx],
                        &format!(
                            "values file `{file}` is outside the scanned directory (paths in the \
                             config must stay inside it, symlinks followed); not read"
                        ),
                    ));
                }
                if !chart_dir.join(file).is_file() {
                    return Err(at(
                        &["values", &seg, &idx],
                        &format!(
                            "no values file `{file}` in {} (values files are relative to the chart)",
                            chart_dir.display()
                        ),
                    ));
                }
            }
            files.push(file.to_string());
        }
        chart.sets.push((name, files));
    }
    Ok(())
}

/// Whether a path named by a config file leaves the scan once resolved through symlinks. A path
/// that does not exist is judged by its nearest existing ancestor (after `..` are applied), so
/// that the answer for a path outside does not tell whether it exists.
fn outside(path: &Path, roots: &[PathBuf]) -> bool {
    match crate::safepath::confine(path, roots) {
        Ok(_) => false,
        Err(crate::safepath::Rejected::Missing) => {
            let absolute = std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf());
            let lexical = crate::render::lexical_normalize(&absolute);
            let mut ancestor = lexical.parent();
            while let Some(a) = ancestor {
                if let Ok(c) = std::fs::canonicalize(a) {
                    return !roots.iter().any(|r| c.starts_with(r));
                }
                ancestor = a.parent();
            }
            true
        }
        Err(_) => true,
    }
}

/// The position of the node at a path; for an "unknown field `x`" error, the key `x` inside it.
/// The candidate closest to `word` (case-insensitive edit distance, `-`/`_` alike), when it is
/// close enough to be a typo: at most a third of the word's length, and at least 1.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .take(200)
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let w = norm(word);
    let limit = (w.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &norm(c)), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance where swapping two neighbours counts as one edit (optimal string alignment).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            let mut best = sub.min(del).min(ins);
            let swapped = i > 0 && j > 0 && a.get(i - 1) == Some(cb) && b.get(j - 1) == Some(ca);
            if swapped {
                if let Some(t) = before.get(j - 1) {
                    best = best.min(t + 1);
                }
            }
            cur.push(best);
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// serde's words for a config error in YAML's: `expected an integer` (not `i64`), `a list`,
/// `a mapping`, `unknown key` with a "did you mean" for a misspelled one.
pub fn yaml_words(message: &str) -> String {
    let ticked = |s: &str| -> Vec<String> {
        s.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    for (prefix, what) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if message.starts_with(prefix) {
            let names = ticked(message);
            let Some((word, choices)) = names.split_first() else {
                break;
            };
            let hint = did_you_mean(word, choices.iter().map(String::as_str))
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_default();
            let list = if choices.is_empty() {
                String::new()
            } else {
                format!(" (expected one of: {})", choices.join(", "))
            };
            return format!("unknown {what} `{word}`{hint}{list}");
        }
    }
    let types = |s: &str| -> String {
        let s = s.trim();
        for (from, to) in [
            ("i64", "an integer"),
            ("u64", "a non-negative integer"),
            ("i32", "an integer"),
            ("u32", "a non-negative integer"),
            ("u16", "a non-negative integer"),
            ("u8", "a non-negative integer"),
            ("usize", "a non-negative integer"),
            ("f64", "a number"),
            ("a sequence", "a list"),
            ("sequence", "a list"),
            ("a map", "a mapping"),
            ("map", "a mapping"),
            ("unit value", "null"),
        ] {
            if s == from {
                return to.to_string();
            }
        }
        if let Some(rest) = s.strip_prefix("floating point ") {
            return format!("the number {}", rest.trim_matches('`'));
        }
        if let Some(rest) = s.strip_prefix("integer ") {
            return format!("the integer {}", rest.trim_matches('`'));
        }
        if let Some(rest) = s.strip_prefix("boolean ") {
            return format!("the boolean {}", rest.trim_matches('`'));
        }
        if let Some(rest) = s.strip_prefix("string ") {
            return format!("the string {rest}");
        }
        s.to_string()
    };
    if message.starts_with("data did not match any variant of untagged enum") {
        return "has the wrong type (see the README's Configuration section)".to_string();
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((got, expected)) = rest.split_once(", expected ") {
            return format!("expected {}, got {}", types(expected), types(got));
        }
    }
    if let Some((head, expected)) = message.rsplit_once(", expected ") {
        return format!("{head}, expected {}", types(expected));
    }
    message.to_string()
}

fn locate(root: &Node, segments: &[String], message: &str) -> Pos {
    let mut node = root;
    let mut pos = root.span.start;
    for seg in segments {
        let next = match &node.kind {
            Kind::Map(_) => node.get_entry(seg).map(|e| (e.key.span.start, &e.value)),
            Kind::Seq(items) => seg
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map(|n| (n.span.start, n)),
            Kind::Scalar { .. } => None,
        };
        match next {
            Some((p, n)) => {
                pos = p;
                node = n;
            }
            None => break,
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some(name) = rest.split('`').next() {
            if segments.last().is_some_and(|s| s == name) {
                return pos;
            }
            if let Some(e) = node.get_entry(name) {
                return e.key.span.start;
            }
        }
    }
    // A wrong value: point at the value rather than the key.
    if !matches!(node.kind, Kind::Map(_)) && segments.last().is_some() {
        return node.span.start;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_only() {
        let c = ["info", "low", "medium", "high", "critical"];
        assert_eq!(did_you_mean("hgih", c), Some("high"));
        assert_eq!(did_you_mean("criticl", c), Some("critical"));
        assert_eq!(did_you_mean("severe", c), None);
        assert_eq!(
            did_you_mean("fail_on", ["fail-on", "exclude"]),
            Some("fail-on")
        );
        assert_eq!(did_you_mean("", c), None);
    }

    #[test]
    fn config_errors_speak_yaml() {
        let err = |text: &str| Config::parse(text).err().map(|e| e.1).unwrap_or_default();
        assert_eq!(
            err("max-file-size: 1\nrules:\n  run-as-user:\n    params: {min: x}\n"),
            "rules.run-as-user.params.min: expected an integer, got the string \"x\""
        );
        assert_eq!(
            err("exclude: {a: 1}\n"),
            "exclude: expected a list, got a mapping"
        );
        assert_eq!(
            err("fail-on: hihg\n"),
            "fail-on: unknown value `hihg`; did you mean `high`? (expected one of: info, low, \
             medium, high, critical, never, none)"
        );
        assert!(err("kube-version: 1.30\n").contains("kube-version: \"1.30\""));
        assert!(err("kube-version: \"1.30\"\n").is_empty());
        assert_eq!(
            err("rules:\n  run-as-group:\n    params: {min: 2000, max: 1000}\n"),
            "rules.run-as-group.params.min: min 2000 is greater than max 1000: no value could pass"
        );
        assert!(
            err("rules:\n  CUSTOM_SECURITY_USER_CHEK: {enabled: false}\n")
                .contains("did you mean `CUSTOM_SECURITY_USER_CHECK`?")
        );
    }

    #[test]
    fn rule_short_names_are_keys() {
        let c = Config::parse("rules:\n  privileged: {enabled: false}\n").unwrap();
        assert!(c.rules.contains_key("CUSTOM_SECURITY_PRIVILEGED_CHECK"));
        assert!(Config::parse(
            "rules:\n  privileged: {enabled: false}\n  CUSTOM_SECURITY_PRIVILEGED_CHECK: {}\n"
        )
        .is_err());
    }

    #[test]
    fn good_config() {
        let c = Config::parse(
            "rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    severity: high\n    params: {min: 1000, max: 65535}\n  CUSTOM_SECURITY_IMAGE_PULL:\n    enabled: false\nexclude: [\"vendor/**\"]\nmax-file-size: 1MiB\nfail-on: high\n",
        )
        .unwrap();
        assert_eq!(c.max_file_size, Some(ByteSize(1024 * 1024)));
        assert_eq!(c.fail_on, Some(FailOn::High));
        assert_eq!(c.rules["CUSTOM_SECURITY_IMAGE_PULL"].enabled, Some(false));
    }

    #[test]
    fn errors_are_located() {
        let e = Config::parse("rules: {}\nexlude: [a]\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(2, 1)));
        assert!(
            e.1.contains("unknown key `exlude`; did you mean `exclude`?"),
            "{}",
            e.1
        );

        let e = Config::parse("rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    severity: huge\n")
            .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(3, 15)), "{}", e.1);

        let e = Config::parse("rules:\n  NOPE: {}\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(2, 3)));

        let e =
            Config::parse("rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    params:\n      min: ten\n")
                .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(4, 12)), "{}", e.1);

        let e = Config::parse("rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    params:\n      mni: 3\n")
            .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(4, 7)), "{}", e.1);

        let e = Config::parse("max-file-size: lots\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(1, 16)), "{}", e.1);
    }

    #[test]
    fn render_settings_and_value_sets() {
        let c = Config::parse(
            "helm: always\nkustomize: never\nrelease-name: ci\nkube-version: \"1.30.0\"\nrender-timeout: 2m\ncharts:\n  deploy/web:\n    namespace: web\n    values:\n      - []\n      - [values.yaml, values-prod.yaml]\n  deploy/api:\n    values:\n      default: []\n      prod: [values-prod.yaml]\n",
        )
        .unwrap();
        assert_eq!(c.helm, Some(Mode::Always));
        assert_eq!(c.kustomize, Some(Mode::Never));
        assert_eq!(
            c.render_timeout,
            Some(Timeout(std::time::Duration::from_secs(120)))
        );
        let web = &c.charts["deploy/web"];
        assert_eq!(web.namespace.as_deref(), Some("web"));
        assert_eq!(
            web.sets,
            [
                (None, vec![]),
                (
                    None,
                    vec!["values.yaml".to_string(), "values-prod.yaml".to_string()]
                )
            ]
        );
        assert_eq!(
            c.charts["deploy/api"].sets,
            [
                (Some("default".to_string()), vec![]),
                (
                    Some("prod".to_string()),
                    vec!["values-prod.yaml".to_string()]
                )
            ]
        );
    }

    #[test]
    fn value_set_errors_are_located() {
        let e = Config::parse("charts:\n  web:\n    values: [values-prod.yaml]\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(3, 14)), "{}", e.1);
        assert!(
            e.1.contains("charts.web.values.0: a value set is a list"),
            "{}",
            e.1
        );

        let e =
            Config::parse("charts:\n  web:\n    values:\n      prod: [a.yaml, 3]\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(4, 22)), "{}", e.1);

        let e = Config::parse("charts:\n  web:\n    values: []\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(3, 13)), "{}", e.1);

        let e = Config::parse("charts:\n  web:\n    valeus: []\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(3, 5)), "{}", e.1);

        let e = Config::parse("render-timeout: soon\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(1, 17)), "{}", e.1);

        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/helm"));
        let e = Config::parse_in("charts:\n  nope: {}\n", Some(dir)).unwrap_err();
        assert_eq!(e.0, Some(Pos::new(2, 3)), "{}", e.1);
        assert!(e.1.contains("no Chart.yaml"), "{}", e.1);
        let ok = Config::parse_in(
            "charts:\n  webapp:\n    values: {prod: [values-prod.yaml]}\n",
            Some(dir),
        );
        assert!(ok.is_ok(), "{:?}", ok.err());
    }
}
