//! Policy changes: what a pull request's config file changes compared with the base branch's.
//!
//! The repository being scanned is untrusted, its `.clustersec.yaml` included: a pull request can
//! lower the gate it is judged by (turn a rule off, lower a severity, exclude a directory, raise
//! `fail-on`). When the gate's config is read from the pull request (the action's
//! `config-source: head`), `clustersec scan --compare-config BASE_CONFIG` lists every such change
//! in the PR comment, the job summary and the JSON report, so that reviewers see it.
//!
//! Both configs go through the config parser ([`Config::parse`]); effective values are compared,
//! so a setting written out with its default value is no change, and an absent base config is the
//! defaults. Changes come in a fixed order (the config's keys, rules by id), so reports are
//! deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::config::{ChartConfig, Config, ConfigError, FailOn};
use crate::engine::DEFAULT_MAX_FILE_SIZE;
use crate::finding::Severity;
use crate::render::Mode;

/// What kind of change a [`PolicyChange`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    RuleDisabled,
    RuleEnabled,
    SeverityLowered,
    SeverityRaised,
    ParamsChanged,
    ExcludeAdded,
    ExcludeRemoved,
    IncludeAdded,
    IncludeRemoved,
    /// `fail-on` moved up: fewer severities fail the run.
    FailOnLoosened,
    FailOnTightened,
    MaxFileSizeRaised,
    MaxFileSizeLowered,
    /// `helm` or `kustomize` set to `never`: charts or kustomizations are no longer checked.
    RenderingTurnedOff,
    RenderingChanged,
    /// `release-name`, `namespace`, `kube-version`, `render-timeout`.
    RenderSettingChanged,
    ChartAdded,
    ChartRemoved,
    ChartChanged,
}

impl ChangeKind {
    /// A short description for reports.
    pub fn describe(self) -> &'static str {
        match self {
            ChangeKind::RuleDisabled => "rule turned off",
            ChangeKind::RuleEnabled => "rule turned on",
            ChangeKind::SeverityLowered => "severity lowered",
            ChangeKind::SeverityRaised => "severity raised",
            ChangeKind::ParamsChanged => "rule parameter changed",
            ChangeKind::ExcludeAdded => "paths excluded",
            ChangeKind::ExcludeRemoved => "exclusion removed",
            ChangeKind::IncludeAdded => "include glob added",
            ChangeKind::IncludeRemoved => "include glob removed",
            ChangeKind::FailOnLoosened => "fail-on loosened",
            ChangeKind::FailOnTightened => "fail-on tightened",
            ChangeKind::MaxFileSizeRaised => "file size limit raised",
            ChangeKind::MaxFileSizeLowered => "file size limit lowered",
            ChangeKind::RenderingTurnedOff => "rendering turned off",
            ChangeKind::RenderingChanged => "rendering changed",
            ChangeKind::RenderSettingChanged => "render setting changed",
            ChangeKind::ChartAdded => "chart settings added",
            ChangeKind::ChartRemoved => "chart settings removed",
            ChangeKind::ChartChanged => "chart settings changed",
        }
    }
}

/// One difference between the base config and the pull request's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyChange {
    pub kind: ChangeKind,
    /// The config key, e.g. `rules.CUSTOM_SECURITY_USER_CHECK.severity`, `exclude`.
    pub key: String,
    /// The effective value on the base branch (`None`: not set there).
    pub base: Option<String>,
    /// The effective value in the pull request (`None`: not set there).
    pub head: Option<String>,
    /// The change can lower the gate: fewer findings, less severe ones, or a run that fails less
    /// often. Reports flag these for review.
    pub weakens: bool,
}

impl PolicyChange {
    fn new(
        kind: ChangeKind,
        key: impl Into<String>,
        base: Option<String>,
        head: Option<String>,
        weakens: bool,
    ) -> PolicyChange {
        PolicyChange {
            kind,
            key: key.into(),
            base,
            head,
            weakens,
        }
    }
}

/// Reads the base config for a comparison: through the config parser, without the checks that
/// need the file to sit in the repository (chart directories and values files are the pull
/// request's, not the base's). An empty file is the defaults.
pub fn load_base(path: &Path) -> Result<Config, ConfigError> {
    let err = |pos, message| ConfigError {
        path: path.to_path_buf(),
        pos,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(
            None,
            format!("cannot read the config file to compare with: {e}"),
        )
    })?;
    Config::parse(&text).map_err(|(pos, message)| err(pos, message))
}

/// Every change from `base` to `head`, weakening or not, in a fixed order.
pub fn compare(base: &Config, head: &Config) -> Vec<PolicyChange> {
    let mut out = Vec::new();
    compare_rules(base, head, &mut out);
    compare_selection(base, head, &mut out);
    compare_globs("exclude", &base.exclude, &head.exclude, &mut out);
    compare_globs("include", &base.include, &head.include, &mut out);

    let fail_on = |c: &Config| c.fail_on.unwrap_or(FailOn::Info);
    let (b, h) = (fail_on(base), fail_on(head));
    if b != h {
        let loosened = fail_rank(h) > fail_rank(b);
        out.push(PolicyChange::new(
            if loosened {
                ChangeKind::FailOnLoosened
            } else {
                ChangeKind::FailOnTightened
            },
            "fail-on",
            Some(fail_on_str(b).to_string()),
            Some(fail_on_str(h).to_string()),
            loosened,
        ));
    }

    let size = |c: &Config| c.max_file_size.map_or(DEFAULT_MAX_FILE_SIZE, |s| s.0);
    let (b, h) = (size(base), size(head));
    if b != h {
        let raised = h > b;
        out.push(PolicyChange::new(
            if raised {
                ChangeKind::MaxFileSizeRaised
            } else {
                ChangeKind::MaxFileSizeLowered
            },
            "max-file-size",
            Some(format!("{b} bytes")),
            Some(format!("{h} bytes")),
            // A larger limit means more work for the runner; a smaller one leaves files
            // unscanned (each is still a finding, CLUSTERSEC_NOT_SCANNED). Both for review.
            true,
        ));
    }

    for (key, b, h) in [
        ("helm", base.helm, head.helm),
        ("kustomize", base.kustomize, head.kustomize),
    ] {
        let (b, h) = (b.unwrap_or_default(), h.unwrap_or_default());
        if b != h {
            let off = h == Mode::Never;
            out.push(PolicyChange::new(
                if off {
                    ChangeKind::RenderingTurnedOff
                } else {
                    ChangeKind::RenderingChanged
                },
                key,
                Some(mode_str(b).to_string()),
                Some(mode_str(h).to_string()),
                off,
            ));
        }
    }

    let timeout = |c: &Config| c.render_timeout.map(|t| format!("{}ms", t.0.as_millis()));
    for (key, b, h) in [
        (
            "release-name",
            base.release_name.clone(),
            head.release_name.clone(),
        ),
        ("namespace", base.namespace.clone(), head.namespace.clone()),
        (
            "kube-version",
            base.kube_version.clone(),
            head.kube_version.clone(),
        ),
        ("render-timeout", timeout(base), timeout(head)),
        (
            "helm-tests",
            base.helm_tests.map(|b| b.to_string()),
            head.helm_tests.map(|b| b.to_string()),
        ),
    ] {
        if b != h {
            out.push(PolicyChange::new(
                ChangeKind::RenderSettingChanged,
                key,
                b,
                h,
                false,
            ));
        }
    }

    compare_charts(&base.charts, &head.charts, &mut out);
    out
}

fn compare_rules(base: &Config, head: &Config, out: &mut Vec<PolicyChange>) {
    let builtin;
    let registry = match &head.registry {
        Some(r) => r,
        None => {
            builtin = crate::rules::Registry::builtin();
            &builtin
        }
    };
    let ids: BTreeSet<&str> = base
        .rules
        .keys()
        .chain(head.rules.keys())
        .map(String::as_str)
        .collect();
    for id in ids {
        let meta = registry.meta(id);
        let (b, h) = (base.rules.get(id), head.rules.get(id));
        let default_on = meta.is_none_or(|m| m.enabled);
        let on = |rc: Option<&crate::config::RuleConfig>| {
            rc.and_then(|r| r.enabled).unwrap_or(default_on)
        };
        let (b_on, h_on) = (on(b), on(h));
        if b_on != h_on {
            out.push(PolicyChange::new(
                if h_on {
                    ChangeKind::RuleEnabled
                } else {
                    ChangeKind::RuleDisabled
                },
                format!("rules.{id}.enabled"),
                Some(b_on.to_string()),
                Some(h_on.to_string()),
                !h_on,
            ));
        }
        let default_sev = meta.map_or(Severity::default(), |m| m.severity);
        let sev = |rc: Option<&crate::config::RuleConfig>| {
            rc.and_then(|r| r.severity).unwrap_or(default_sev)
        };
        let (b_sev, h_sev) = (sev(b), sev(h));
        if b_sev != h_sev {
            let lowered = h_sev < b_sev;
            out.push(PolicyChange::new(
                if lowered {
                    ChangeKind::SeverityLowered
                } else {
                    ChangeKind::SeverityRaised
                },
                format!("rules.{id}.severity"),
                Some(b_sev.to_string()),
                Some(h_sev.to_string()),
                lowered,
            ));
        }
        let params = |rc: Option<&crate::config::RuleConfig>| {
            rc.and_then(|r| r.params.clone())
                .unwrap_or(serde_json::Value::Null)
        };
        compare_params(id, &params(b), &params(h), out);
    }
}

/// `select` and `ignore`: each rule they turn on or off (beyond what its own `enabled` does,
/// which [`compare_rules`] reports), keyed by the list that did it.
fn compare_selection(base: &Config, head: &Config, out: &mut Vec<PolicyChange>) {
    if base.select == head.select && base.ignore == head.ignore {
        return;
    }
    let builtin;
    let registry = match &head.registry {
        Some(r) => r,
        None => {
            builtin = crate::rules::Registry::builtin();
            &builtin
        }
    };
    let selection = |c: &Config| {
        crate::rules::Selection::resolve(registry, c.select.as_deref(), &c.ignore)
            .unwrap_or_default()
    };
    let (b_sel, h_sel) = (selection(base), selection(head));
    for meta in registry.metas() {
        let id = meta.id.as_str();
        let configured = |c: &Config| c.rules.get(id).and_then(|r| r.enabled);
        let on = |c: &Config, sel: &crate::rules::Selection| {
            let set = configured(c);
            sel.decide(meta, set, set.unwrap_or(meta.enabled))
        };
        // As the head's own `enabled` would have it under the base's selection: what is left
        // differs by the selection alone.
        let (b_on, h_on) = (on(head, &b_sel), on(head, &h_sel));
        if b_on == h_on {
            continue;
        }
        let key = if h_sel.ignore.contains(&meta.id) != b_sel.ignore.contains(&meta.id) {
            "ignore"
        } else {
            "select"
        };
        out.push(PolicyChange::new(
            if h_on {
                ChangeKind::RuleEnabled
            } else {
                ChangeKind::RuleDisabled
            },
            format!("{key}: {id}"),
            Some(b_on.to_string()),
            Some(h_on.to_string()),
            !h_on,
        ));
    }
}

/// Parameters, key by key (a rule's params are a mapping; anything else is compared whole). An
/// absent parameter is the rule's default.
fn compare_params(
    id: &str,
    base: &serde_json::Value,
    head: &serde_json::Value,
    out: &mut Vec<PolicyChange>,
) {
    let empty = serde_json::Map::new();
    let as_map = |v: &serde_json::Value| match v {
        serde_json::Value::Object(m) => Some(m.clone()),
        serde_json::Value::Null => Some(empty.clone()),
        _ => None,
    };
    match (as_map(base), as_map(head)) {
        (Some(b), Some(h)) => {
            let keys: BTreeSet<&String> = b.keys().chain(h.keys()).collect();
            for k in keys {
                let (bv, hv) = (b.get(k), h.get(k));
                if bv != hv {
                    out.push(PolicyChange::new(
                        ChangeKind::ParamsChanged,
                        format!("rules.{id}.params.{k}"),
                        bv.map(compact),
                        hv.map(compact),
                        true,
                    ));
                }
            }
        }
        _ => {
            if base != head {
                let shown = |v: &serde_json::Value| (!v.is_null()).then(|| compact(v));
                out.push(PolicyChange::new(
                    ChangeKind::ParamsChanged,
                    format!("rules.{id}.params"),
                    shown(base),
                    shown(head),
                    true,
                ));
            }
        }
    }
}

/// Globs added and removed, one change per glob, in the order of the file.
fn compare_globs(key: &str, base: &[String], head: &[String], out: &mut Vec<PolicyChange>) {
    let (added, removed, weak_added, weak_removed) = match key {
        // Every new exclude can hide a file; an include list replaces the extension filter, so
        // any change to it can change what is scanned.
        "exclude" => (
            ChangeKind::ExcludeAdded,
            ChangeKind::ExcludeRemoved,
            true,
            false,
        ),
        _ => (
            ChangeKind::IncludeAdded,
            ChangeKind::IncludeRemoved,
            true,
            true,
        ),
    };
    let mut seen = BTreeSet::new();
    for g in head {
        if !base.contains(g) && seen.insert(g) {
            out.push(PolicyChange::new(
                added,
                key,
                None,
                Some(g.clone()),
                weak_added,
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for g in base {
        if !head.contains(g) && seen.insert(g) {
            out.push(PolicyChange::new(
                removed,
                key,
                Some(g.clone()),
                None,
                weak_removed,
            ));
        }
    }
}

fn compare_charts(
    base: &BTreeMap<String, ChartConfig>,
    head: &BTreeMap<String, ChartConfig>,
    out: &mut Vec<PolicyChange>,
) {
    let keys: BTreeSet<&String> = base.keys().chain(head.keys()).collect();
    for k in keys {
        let key = format!("charts.{k}");
        match (base.get(k), head.get(k)) {
            (None, Some(h)) => out.push(PolicyChange::new(
                ChangeKind::ChartAdded,
                key,
                None,
                Some(chart_str(h)),
                false,
            )),
            (Some(b), None) => out.push(PolicyChange::new(
                ChangeKind::ChartRemoved,
                key,
                Some(chart_str(b)),
                None,
                // Its value sets are no longer rendered.
                !b.sets.is_empty(),
            )),
            (Some(b), Some(h)) => {
                let (bs, hs) = (chart_str(b), chart_str(h));
                if bs != hs {
                    // A value set that is gone is a render whose objects are no longer checked.
                    let lost = b.sets.iter().any(|s| !h.sets.contains(s));
                    out.push(PolicyChange::new(
                        ChangeKind::ChartChanged,
                        key,
                        Some(bs),
                        Some(hs),
                        lost,
                    ));
                }
            }
            (None, None) => {}
        }
    }
}

/// A chart's settings in one line.
fn chart_str(c: &ChartConfig) -> String {
    let mut parts = Vec::new();
    if let Some(r) = &c.release_name {
        parts.push(format!("release-name {r}"));
    }
    if let Some(n) = &c.namespace {
        parts.push(format!("namespace {n}"));
    }
    if !c.sets.is_empty() {
        let sets: Vec<String> = c
            .sets
            .iter()
            .map(|(name, files)| {
                let files = format!("[{}]", files.join(", "));
                match name {
                    Some(n) => format!("{n}: {files}"),
                    None => files,
                }
            })
            .collect();
        parts.push(format!("values {}", sets.join(", ")));
    }
    if parts.is_empty() {
        "defaults".to_string()
    } else {
        parts.join("; ")
    }
}

fn compact(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn fail_rank(f: FailOn) -> u8 {
    match f {
        FailOn::Info => 0,
        FailOn::Low => 1,
        FailOn::Medium => 2,
        FailOn::High => 3,
        FailOn::Critical => 4,
        FailOn::Never => 5,
    }
}

fn fail_on_str(f: FailOn) -> &'static str {
    match f {
        FailOn::Info => "info",
        FailOn::Low => "low",
        FailOn::Medium => "medium",
        FailOn::High => "high",
        FailOn::Critical => "critical",
        FailOn::Never => "never",
    }
}

fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Auto => "auto",
        Mode::Always => "always",
        Mode::Never => "never",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(base: &str, head: &str) -> Vec<PolicyChange> {
        compare(
            &Config::parse(base).expect("base config"),
            &Config::parse(head).expect("head config"),
        )
    }

    fn one(base: &str, head: &str) -> PolicyChange {
        let d = diff(base, head);
        assert_eq!(d.len(), 1, "{d:#?}");
        d.into_iter().next().expect("one change")
    }

    #[test]
    fn same_config_and_defaults_written_out_are_no_change() {
        assert!(diff("", "").is_empty());
        assert!(diff("fail-on: high\n", "fail-on: high\n").is_empty());
        // Defaults spelled out.
        assert!(diff(
            "",
            "fail-on: info\nmax-file-size: 16MiB\nhelm: auto\nrules:\n  CUSTOM_SECURITY_PRIVILEGED_CHECK:\n    enabled: true\n    severity: critical\n"
        )
        .is_empty());
    }

    #[test]
    fn rule_disabled_and_enabled() {
        let c = one(
            "",
            "rules:\n  CUSTOM_SECURITY_PRIVILEGED_CHECK:\n    enabled: false\n",
        );
        assert_eq!(c.kind, ChangeKind::RuleDisabled);
        assert_eq!(c.key, "rules.CUSTOM_SECURITY_PRIVILEGED_CHECK.enabled");
        assert_eq!(
            (c.base.as_deref(), c.head.as_deref()),
            (Some("true"), Some("false"))
        );
        assert!(c.weakens);
        let c = one(
            "rules: {CUSTOM_SECURITY_IMAGE_PULL: {enabled: false}}\n",
            "",
        );
        assert_eq!(c.kind, ChangeKind::RuleEnabled);
        assert!(!c.weakens);
    }

    #[test]
    fn select_and_ignore_turn_rules_on_and_off() {
        let c = one("", "ignore: [privileged]\n");
        assert_eq!(c.kind, ChangeKind::RuleDisabled);
        assert_eq!(c.key, "ignore: CUSTOM_SECURITY_PRIVILEGED_CHECK");
        assert_eq!(
            (c.base.as_deref(), c.head.as_deref()),
            (Some("true"), Some("false"))
        );
        assert!(c.weakens);
        // Selecting one group turns off every rule of the others that was on.
        let d = diff("", "select: [rbac]\n");
        assert!(!d.is_empty());
        assert!(d
            .iter()
            .all(|c| c.kind == ChangeKind::RuleDisabled && c.key.starts_with("select: ")));
        assert!(d
            .iter()
            .any(|c| c.key == "select: CUSTOM_SECURITY_USER_CHECK"));
        // An unchanged selection is no change; a rule turned on by select is.
        assert!(diff("select: [seed]\n", "select: [seed]\n").is_empty());
        let c = one(
            "select: [seed]\n",
            "select: [seed, CLUSTERSEC_IMAGE_DIGEST]\n",
        );
        assert_eq!(c.kind, ChangeKind::RuleEnabled);
        assert!(!c.weakens);
    }

    #[test]
    fn severity_lowered_and_raised() {
        let c = one(
            "",
            "rules: {CUSTOM_SECURITY_PRIVILEGED_CHECK: {severity: low}}\n",
        );
        assert_eq!(c.kind, ChangeKind::SeverityLowered);
        assert_eq!(
            (c.base.as_deref(), c.head.as_deref()),
            (Some("critical"), Some("low"))
        );
        assert!(c.weakens);
        let c = one(
            "rules: {CUSTOM_SECURITY_USER_CHECK: {severity: low}}\n",
            "rules: {CUSTOM_SECURITY_USER_CHECK: {severity: high}}\n",
        );
        assert_eq!(c.kind, ChangeKind::SeverityRaised);
        assert!(!c.weakens);
    }

    #[test]
    fn params_changed_key_by_key() {
        let d = diff(
            "rules: {CUSTOM_SECURITY_USER_CHECK: {params: {min: 1000, max: 65535}}}\n",
            "rules: {CUSTOM_SECURITY_USER_CHECK: {params: {min: 0, max: 65535}}}\n",
        );
        assert_eq!(
            d,
            [PolicyChange::new(
                ChangeKind::ParamsChanged,
                "rules.CUSTOM_SECURITY_USER_CHECK.params.min",
                Some("1000".into()),
                Some("0".into()),
                true
            )]
        );
        let c = one(
            "",
            "rules: {CUSTOM_SECURITY_FLEX_VOLUME_CHECK: {params: {allowedDrivers: [example/lvm]}}}\n",
        );
        assert_eq!(
            c.key,
            "rules.CUSTOM_SECURITY_FLEX_VOLUME_CHECK.params.allowedDrivers"
        );
        assert_eq!(c.base, None);
        assert_eq!(c.head.as_deref(), Some("[\"example/lvm\"]"));
    }

    #[test]
    fn excludes_and_includes() {
        let d = diff("exclude: [vendor/**]\n", "exclude: [vendor/**, k8s/**]\n");
        assert_eq!(
            d,
            [PolicyChange::new(
                ChangeKind::ExcludeAdded,
                "exclude",
                None,
                Some("k8s/**".into()),
                true
            )]
        );
        let c = one("exclude: [a/**]\n", "");
        assert_eq!(c.kind, ChangeKind::ExcludeRemoved);
        assert!(!c.weakens);
        let d = diff("include: ['**/*.yaml']\n", "include: ['**/*.yml']\n");
        assert_eq!(
            d.iter().map(|c| c.kind).collect::<Vec<_>>(),
            [ChangeKind::IncludeAdded, ChangeKind::IncludeRemoved]
        );
        assert!(d.iter().all(|c| c.weakens));
    }

    #[test]
    fn fail_on_loosened_and_tightened() {
        let c = one("fail-on: medium\n", "fail-on: never\n");
        assert_eq!(c.kind, ChangeKind::FailOnLoosened);
        assert_eq!(
            (c.base.as_deref(), c.head.as_deref()),
            (Some("medium"), Some("never"))
        );
        assert!(c.weakens);
        // Absent is `info`: every finding fails the run.
        let c = one("", "fail-on: critical\n");
        assert_eq!(c.kind, ChangeKind::FailOnLoosened);
        let c = one("fail-on: high\n", "fail-on: low\n");
        assert_eq!(c.kind, ChangeKind::FailOnTightened);
        assert!(!c.weakens);
    }

    #[test]
    fn max_file_size_raised_and_lowered() {
        let c = one("", "max-file-size: 1GiB\n");
        assert_eq!(c.kind, ChangeKind::MaxFileSizeRaised);
        assert_eq!(c.base.as_deref(), Some("16777216 bytes"));
        assert_eq!(c.head.as_deref(), Some("1073741824 bytes"));
        let c = one("max-file-size: 16MiB\n", "max-file-size: 1KiB\n");
        assert_eq!(c.kind, ChangeKind::MaxFileSizeLowered);
    }

    #[test]
    fn rendering_turned_off_and_settings() {
        let c = one("", "helm: never\n");
        assert_eq!(c.kind, ChangeKind::RenderingTurnedOff);
        assert_eq!(c.key, "helm");
        assert!(c.weakens);
        let c = one("kustomize: never\n", "kustomize: always\n");
        assert_eq!(c.kind, ChangeKind::RenderingChanged);
        assert!(!c.weakens);
        let d = diff(
            "release-name: a\nrender-timeout: 60s\n",
            "release-name: b\nkube-version: \"1.30.0\"\nrender-timeout: 2m\n",
        );
        assert_eq!(
            d.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
            ["release-name", "kube-version", "render-timeout"]
        );
        assert!(d.iter().all(|c| c.kind == ChangeKind::RenderSettingChanged));
    }

    #[test]
    fn charts_added_removed_changed() {
        let base = "charts:\n  web:\n    values: [[], [values-prod.yaml]]\n  api: {}\n";
        let head = "charts:\n  web:\n    values: [[]]\n  db: {namespace: db}\n";
        let d = diff(base, head);
        assert_eq!(
            d.iter()
                .map(|c| (c.kind, c.key.as_str(), c.weakens))
                .collect::<Vec<_>>(),
            [
                (ChangeKind::ChartRemoved, "charts.api", false),
                (ChangeKind::ChartAdded, "charts.db", false),
                (ChangeKind::ChartChanged, "charts.web", true),
            ]
        );
        assert_eq!(
            d.last().and_then(|c| c.base.as_deref()),
            Some("values [], [values-prod.yaml]")
        );
    }

    #[test]
    fn base_file_is_read_through_the_parser() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.yaml");
        std::fs::write(&empty, "").expect("write");
        let c = load_base(&empty).expect("empty is the defaults");
        assert!(compare(&c, &Config::default()).is_empty());
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "rules:\n  NOPE: {}\n").expect("write");
        let e = load_base(&bad).expect_err("unknown rule");
        assert!(e.to_string().contains("bad.yaml:2:3"), "{e}");
        // Chart directories need not exist next to the base file.
        let charts = dir.path().join("charts.yaml");
        std::fs::write(&charts, "charts:\n  nowhere: {}\n").expect("write");
        assert!(load_base(&charts).is_ok());
        assert!(load_base(&dir.path().join("missing.yaml")).is_err());
    }
}
