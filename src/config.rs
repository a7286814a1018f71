//! The config file (`.clustersec.yaml`): its schema, and errors located at file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::RuleSettings;
use crate::finding::Severity;
use crate::model::yaml::{parse_stream, Diagnostic, Kind, Node};
use crate::model::Pos;

/// File names looked for at the scan root, in order.
pub const CONFIG_NAMES: &[&str] = &[".clustersec.yaml", ".clustersec.yml"];

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
    /// Never fail because of findings (exit 0 unless the tool itself fails).
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
        let split = s
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(s.len());
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

/// A config error with its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub pos: Option<Pos>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                p.line,
                p.col,
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let err = |pos: Option<Pos>, message: String| ConfigError {
            path: path.to_path_buf(),
            pos,
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| err(None, format!("cannot read the config file: {e}")))?;
        Config::parse(&text).map_err(|(pos, message)| err(pos, message))
    }

    /// Parses config text; errors carry the position of the offending key or value.
    pub fn parse(text: &str) -> Result<Config, (Option<Pos>, String)> {
        let stream = parse_stream(text);
        for d in &stream.diagnostics {
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
                Some(stream.documents[1].start),
                "the config file must hold a single YAML document".to_string(),
            ));
        }
        let Some(root) = stream.documents.into_iter().next().and_then(|d| d.root) else {
            return Ok(Config::default());
        };
        if root.is_null() {
            return Ok(Config::default());
        }
        let json = root.to_json();
        let config: Config = serde_path_to_error::deserialize(&json).map_err(|e| {
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
            let message = e.inner().to_string();
            let pos = locate(&root, &segments, &message);
            let path = segments.join(".");
            let message = if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            };
            (Some(pos), message)
        })?;
        // Unknown rule ids and bad params, located at their keys.
        let known: Vec<&'static str> = crate::rules::registry()
            .iter()
            .map(|r| r.meta().id)
            .collect();
        let rules_node = root.get("rules");
        for (id, rc) in &config.rules {
            let key_pos = rules_node
                .and_then(|r| r.get_entry(id))
                .map_or(root.span.start, |e| e.key.span.start);
            if !known.contains(&id.as_str()) {
                return Err((
                    Some(key_pos),
                    format!("unknown rule `{id}` (see `clustersec rules`)"),
                ));
            }
            if let Some(params) = &rc.params {
                let mut rules = crate::rules::registry();
                if let Some(rule) = rules.iter_mut().find(|r| r.meta().id == id) {
                    if let Err(pe) = rule.configure(params) {
                        let mut segs = vec!["rules".to_string(), id.clone(), "params".to_string()];
                        segs.extend(pe.path.split('.').filter(|s| !s.is_empty()).map(String::from));
                        let pos = locate(&root, &segs, &pe.message);
                        return Err((
                            Some(pos),
                            format!("{}: {}", segs.join("."), pe.message),
                        ));
                    }
                }
            }
        }
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

/// The position of the node at a path; for an "unknown field `x`" error, the key `x` inside it.
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
        assert!(e.1.contains("unknown field `exlude`"), "{}", e.1);

        let e = Config::parse("rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    severity: huge\n")
            .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(3, 15)), "{}", e.1);

        let e = Config::parse("rules:\n  NOPE: {}\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(2, 3)));

        let e = Config::parse(
            "rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    params:\n      min: ten\n",
        )
        .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(4, 12)), "{}", e.1);

        let e = Config::parse(
            "rules:\n  CUSTOM_SECURITY_USER_CHECK:\n    params:\n      mni: 3\n",
        )
        .unwrap_err();
        assert_eq!(e.0, Some(Pos::new(4, 7)), "{}", e.1);

        let e = Config::parse("max-file-size: lots\n").unwrap_err();
        assert_eq!(e.0, Some(Pos::new(1, 16)), "{}", e.1);
    }
}
