//! `clustersec config schema` (the JSON Schema of `.clustersec.yaml`, published as
//! docs/config.schema.json) and `clustersec config check [FILE]` (a config validated, and the
//! effective settings printed).
//!
//! The schema's keys are the keys [`Config`] accepts, asked of its deserializer (so a key added
//! to `Config` appears here without more code); each known key has a schema of its own, a key
//! this module has no schema for is listed with its name only (any value).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::cli::{ConfigCheckArgs, ConfigCommand};
use crate::config::{Config, CONFIG_NAMES};

/// The `$id` of the published schema.
pub const SCHEMA_ID: &str =
    "https://raw.githubusercontent.com/clustersec/clustersec/main/docs/config.schema.json";

/// The keys the config file accepts, in the order `Config` declares them: read from its
/// deserializer's message for an unknown key (`expected one of ...`).
pub fn config_keys() -> Vec<String> {
    let probe = json!({ "\u{1}": null });
    let message = match serde_json::from_value::<Config>(probe) {
        Err(e) => e.to_string(),
        Ok(_) => return Vec::new(),
    };
    let Some((_, list)) = message.split_once("expected") else {
        return Vec::new();
    };
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn severity() -> Value {
    json!({ "enum": ["info", "low", "medium", "high", "critical"] })
}

fn mode(what: &str) -> Value {
    json!({
        "description": format!("{what}: `auto` when the tool is on PATH, `always` (fail without it), `never`."),
        "enum": ["auto", "always", "never"],
        "default": "auto"
    })
}

fn size(what: &str) -> Value {
    json!({
        "description": what,
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^\\s*[0-9]+\\s*([kKmMgG]([iI]?[bB])?|[bB])?\\s*$" }
        ]
    })
}

fn globs(what: &str) -> Value {
    json!({ "description": what, "type": "array", "items": { "type": "string" } })
}

/// The schema of one known key; `None` for a key this module does not describe.
fn key_schema(key: &str) -> Option<Value> {
    Some(match key {
        "rules" => json!({
            "description": "Per-rule settings, by rule id or short name (`clustersec rules` lists them).",
            "type": "object",
            "propertyNames": { "type": "string" },
            "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "enabled": { "type": "boolean", "description": "Run the rule (most rules are on by default)." },
                    "severity": severity(),
                    "params": { "type": "object", "description": "Rule parameters (see `clustersec explain RULE`)." }
                }
            },
            "examples": [{ "CUSTOM_SECURITY_PRIVILEGED_CHECK": { "severity": "critical" } }]
        }),
        "exclude" => globs("Globs of paths to skip, relative to the scan root (`vendor/**`)."),
        "include" => globs("Globs of paths to scan in addition to the .yaml/.yml/.json extension filter."),
        "max-file-size" => size("Largest file scanned: bytes, or with a unit (`16MiB`, `512KiB`); at most 64MiB from a config file."),
        "fail-on" => json!({
            "description": "Lowest severity that makes the run fail (exit 1); `never` or `none` never fails on findings.",
            "enum": ["info", "low", "medium", "high", "critical", "never", "none"]
        }),
        "fail-on-incomplete" => json!({
            "description": "Whether a scan with parts not checked fails, whatever fail-on says.",
            "type": "boolean", "default": true
        }),
        "helm" => mode("Render Helm charts"),
        "kustomize" => mode("Build kustomizations"),
        "release-name" => json!({ "description": "Helm release name of every render.", "type": "string", "default": "release-name" }),
        "namespace" => json!({ "description": "Namespace of every helm render.", "type": "string" }),
        "kube-version" => json!({
            "description": "The Kubernetes version deployed to, in quotes (\"1.30\"): the API version rules' target and helm's .Capabilities.KubeVersion.",
            "type": "string", "pattern": "^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$"
        }),
        "openshift" => json!({ "description": "OpenShift: runAsUser and runAsGroup must be unset.", "type": "boolean", "default": false }),
        "profile" => json!({ "description": "Pod Security Standards level to judge by.", "enum": ["baseline", "restricted"] }),
        "pss-version" => json!({
            "description": "Pod Security Standards version: `latest` or `v1.N`.",
            "type": "string", "pattern": "^(latest|v1\\.[0-9]+)$", "default": "latest"
        }),
        "render-timeout" => json!({
            "description": "Time limit of one render: seconds, or with a unit (`90s`, `2m`); capped by --max-render-timeout.",
            "anyOf": [{ "type": "number", "minimum": 0 }, { "type": "string" }]
        }),
        "helm-tests" => json!({ "description": "Render and scan helm test hooks.", "type": "boolean", "default": true }),
        "charts" => json!({
            "description": "Per-chart render settings, by chart directory relative to the config file.",
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "release-name": { "type": "string" },
                    "namespace": { "type": "string" },
                    "values": {
                        "description": "The render matrix: a list of value sets, or a mapping of set names to value sets; a value set is a list of values files relative to the chart.",
                        "anyOf": [
                            { "type": "array", "items": { "type": "array", "items": { "type": "string" } } },
                            { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } }
                        ]
                    }
                }
            }
        }),
        // Keys other parts of clustersec add to `Config`: described here so that they have a
        // schema as soon as `Config` accepts them.
        "select" => json!({
            "description": "Rules that may run, by id, short name or group; when set, only these run (and the scan-integrity rules).",
            "type": "array", "items": { "type": "string" }
        }),
        "ignore" => json!({
            "description": "Rules that never run, by id, short name or group.",
            "type": "array", "items": { "type": "string" }
        }),
        "suppressions" => json!({
            "description": "Accepted findings, selected by rule, path glob, kind, namespace, name and container, each with a reason and an optional expiry date.",
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["rule", "reason"],
                "properties": {
                    "rule": {
                        "description": "The rule or rules, by id or short name.",
                        "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
                    },
                    "path": { "type": "string", "description": "Glob of the path, relative to the config file's directory." },
                    "kind": { "type": "string" },
                    "namespace": { "type": "string" },
                    "name": { "type": "string" },
                    "container": { "type": "string" },
                    "reason": { "type": "string", "minLength": 1, "description": "Why the findings are accepted." },
                    "expires": {
                        "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                        "description": "The last day the suppression applies (YYYY-MM-DD)."
                    }
                }
            }
        }),
        "policy" => json!({
            "description": "A Datree policy file to run (see --policy), relative to the config file's directory.",
            "type": "string"
        }),
        "policy-name" => json!({
            "description": "The policy of the policy file to run (see --policy-name); default: the one with isDefault.",
            "type": "string"
        }),
        "datree-rules" => json!({
            "description": "Datree's built-in rule definitions (see --datree-rules), relative to the config file's directory.",
            "type": "string"
        }),
        _ => return None,
    })
}

/// The JSON Schema (draft 2020-12) of the config file.
pub fn schema() -> Value {
    let mut properties = Map::new();
    for key in config_keys() {
        let value = key_schema(&key)
            .unwrap_or_else(|| json!({ "description": format!("`{key}` (see the README).") }));
        properties.insert(key, value);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": ".clustersec.yaml",
        "description": "The clustersec config file. Every key is optional.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": Value::Object(properties)
    })
}

/// The schema as `clustersec config schema` prints it (pretty, a line end).
pub fn schema_text() -> String {
    serde_json::to_string_pretty(&schema()).unwrap_or_default() + "\n"
}

/// The settings a config gives, every key at its effective value (defaults filled in).
pub fn effective(config: &Config) -> Value {
    use crate::engine::DEFAULT_MAX_FILE_SIZE;
    let render = crate::render::Settings::default();
    let mode = |m: Option<crate::render::Mode>| match m.unwrap_or_default() {
        crate::render::Mode::Auto => "auto",
        crate::render::Mode::Always => "always",
        crate::render::Mode::Never => "never",
    };
    let rules: Map<String, Value> = rule_defaults()
        .into_iter()
        .map(|(id, enabled, severity)| {
            let rc = config.rules.get(&id);
            let mut v = json!({
                "enabled": rc.and_then(|c| c.enabled).unwrap_or(enabled),
                "severity": rc.and_then(|c| c.severity).unwrap_or(severity).as_str(),
            });
            if let (Some(p), Some(obj)) = (rc.and_then(|c| c.params.clone()), v.as_object_mut()) {
                obj.insert("params".to_string(), p);
            }
            (id, v)
        })
        .collect();
    let charts: Map<String, Value> = config
        .charts
        .iter()
        .map(|(k, c)| {
            (
                k.clone(),
                json!({
                    "release-name": c.release_name.clone().unwrap_or_else(|| render.release_name.clone()),
                    "namespace": c.namespace,
                    "values": c.sets.iter().map(|(name, files)| json!({ "name": name, "files": files })).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    let fail_on = match config.fail_on.and_then(|f| f.threshold()) {
        Some(s) => s.as_str(),
        None if config.fail_on.is_some() => "never",
        None => "info",
    };
    let max_file_size = config.max_file_size.map_or(DEFAULT_MAX_FILE_SIZE, |b| {
        b.0.min(crate::config::MAX_FILE_SIZE_CEILING)
    });
    let timeout = config.render_timeout.map_or(render.timeout, |t| t.0);
    json!({
        "rules": rules,
        "exclude": config.exclude,
        "include": config.include,
        "max-file-size": max_file_size,
        "fail-on": fail_on,
        "fail-on-incomplete": config.fail_on_incomplete.unwrap_or(true),
        "helm": mode(config.helm),
        "kustomize": mode(config.kustomize),
        "release-name": config.release_name.clone().unwrap_or(render.release_name),
        "namespace": config.namespace,
        "kube-version": config.kube_version.clone().unwrap_or_else(|| crate::kube_version::KubeVersion::newest_known().to_string()),
        "openshift": config.openshift.unwrap_or(false),
        "profile": config.profile,
        "pss-version": config.pss_version.clone().unwrap_or_else(|| "latest".to_string()),
        "render-timeout": format!("{}ms", timeout.as_millis()),
        "helm-tests": config.helm_tests.unwrap_or(true),
        "charts": charts,
        "select": config.select,
        "ignore": config.ignore,
        "suppressions": config.suppressions.iter().map(|e| {
            let rules: Vec<String> = if e.ids.is_empty() {
                e.rule.items().into_iter().map(str::to_string).collect()
            } else {
                e.ids.iter().map(|id| id.as_str().to_string()).collect()
            };
            json!({
                "rule": rules,
                "path": e.path,
                "kind": e.kind,
                "namespace": e.namespace,
                "name": e.name,
                "container": e.container,
                "reason": e.reason,
                "expires": e.expires,
            })
        }).collect::<Vec<_>>(),
        "policy": config.policy,
        "policy-name": config.policy_name,
        "datree-rules": config.datree_rules,
    })
}

/// Every rule's id, whether it is on by default and its default severity (the one place this
/// module reads the rule registry).
fn rule_defaults() -> Vec<(String, bool, crate::finding::Severity)> {
    crate::rules::Registry::builtin()
        .metas()
        .map(|m| (m.id.as_str().to_string(), m.enabled, m.severity))
        .collect()
}

fn config_file(args: &ConfigCheckArgs) -> Result<PathBuf, String> {
    if let Some(f) = &args.file {
        return Ok(f.clone());
    }
    CONFIG_NAMES
        .iter()
        .map(PathBuf::from)
        .find(|p| std::fs::symlink_metadata(p).is_ok())
        .ok_or_else(|| {
            "no .clustersec.yaml or .clustersec.yml in the working directory: name the file \
             (clustersec config check FILE)"
                .to_string()
        })
}

/// `clustersec config check [FILE]`: the file validated as a scan would (its chart paths
/// checked against its own directory), then the effective settings as JSON on stdout.
pub fn check(path: &Path) -> Result<Value, String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    Ok(effective(&config))
}

/// Runs `clustersec config ...`.
pub fn run(command: &ConfigCommand) -> Result<i32, crate::app::Failure> {
    let text = match command {
        ConfigCommand::Schema => schema_text(),
        ConfigCommand::Check(args) => {
            let path = config_file(args).map_err(crate::app::Failure)?;
            let settings = check(&path).map_err(crate::app::Failure)?;
            let _ = writeln!(
                std::io::stderr(),
                "{}: valid; the effective settings follow",
                path.display()
            );
            serde_json::to_string_pretty(&settings).unwrap_or_default() + "\n"
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| crate::app::Failure(format!("cannot write to stdout: {e}")))?;
    Ok(crate::app::EXIT_CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_key_is_in_the_schema() {
        let keys = config_keys();
        assert!(keys.contains(&"rules".to_string()), "{keys:?}");
        assert!(keys.contains(&"charts".to_string()), "{keys:?}");
        let schema = schema();
        let props = schema["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(props.len(), keys.len());
    }

    #[test]
    fn keys_of_other_parts_have_schemas_that_accept_their_examples() {
        let example = json!({
            "select": ["pss", "CLUSTERSEC_IMAGE_TAG"],
            "ignore": ["image-tag"],
            "suppressions": [
                { "rule": "privileged", "path": "k8s/*.yaml", "reason": "a CNI agent", "expires": "2030-01-31" },
                { "rule": ["image-tag", "image-pull"], "kind": "Job", "reason": "batch" }
            ],
            "policy": "policy.yaml",
            "policy-name": "Cluster Security",
            "datree-rules": "defaultRules.yaml"
        });
        let mut properties = Map::new();
        for key in [
            "select",
            "ignore",
            "suppressions",
            "policy",
            "policy-name",
            "datree-rules",
        ] {
            let schema = key_schema(key);
            assert!(schema.is_some(), "{key}");
            properties.insert(key.to_string(), schema.unwrap_or_default());
        }
        let schema =
            json!({ "type": "object", "additionalProperties": false, "properties": properties });
        let validator = jsonschema::validator_for(&schema);
        assert!(validator.as_ref().is_ok_and(|v| v.is_valid(&example)));
        let missing_reason = json!({ "suppressions": [{ "rule": "privileged" }] });
        assert!(validator.is_ok_and(|v| !v.is_valid(&missing_reason)));
    }

    #[test]
    fn effective_settings_fill_defaults() {
        let c = Config::parse("fail-on: high\nexclude: [vendor/**]\n").unwrap_or_default();
        let e = effective(&c);
        assert_eq!(e["fail-on"], "high");
        assert_eq!(e["helm"], "auto");
        assert_eq!(e["exclude"][0], "vendor/**");
        assert_eq!(e["suppressions"], json!([]));
        assert_eq!(e["policy"], Value::Null);
    }

    #[test]
    fn effective_settings_show_suppressions_and_the_policy() {
        let c = Config::parse(
            "policy: policy.yaml\nsuppressions:\n  - rule: CUSTOM_SECURITY_USER_CHECK\n    kind: Job\n    reason: batch jobs run as root\n    expires: 2030-01-31\n",
        )
        .unwrap_or_default();
        let e = effective(&c);
        assert_eq!(e["policy"], "policy.yaml");
        assert_eq!(
            e["suppressions"][0]["rule"][0],
            "CUSTOM_SECURITY_USER_CHECK"
        );
        assert_eq!(e["suppressions"][0]["kind"], "Job");
        assert_eq!(e["suppressions"][0]["reason"], "batch jobs run as root");
        assert_eq!(e["suppressions"][0]["expires"], "2030-01-31");
    }
}
