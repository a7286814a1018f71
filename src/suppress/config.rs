//! Suppressions in the config file: a `suppressions` list whose entries select findings by rule,
//! path glob, kind, namespace, name and container, each with a required `reason` and an
//! optional `expires: YYYY-MM-DD`, after which the finding comes back with a note saying so.
//!
//! ```yaml
//! suppressions:
//!   - rule: CUSTOM_SECURITY_PRIVILEGED_CHECK      # or a list; id or short name
//!     path: "deploy/agents/**"                     # relative to the config file's directory
//!     kind: DaemonSet
//!     namespace: kube-system
//!     name: node-agent
//!     container: agent
//!     reason: the node agent needs the host (SEC-123)
//!     expires: 2026-06-30
//! ```

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

use super::date::Date;
use crate::finding::{Finding, SuppressedBy};
use crate::model::yaml::Node;
use crate::model::{Pos, Span};
use crate::rules::{Registry, RuleId};

/// The most `suppressions` entries a config may have: every finding is matched against each
/// entry, and the config comes from the scanned repository.
pub const MAX_ENTRIES: usize = 1000;

/// `rule:` as written: one rule or a list.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RuleList {
    One(String),
    Many(Vec<String>),
}

impl Default for RuleList {
    fn default() -> Self {
        RuleList::Many(Vec::new())
    }
}

impl RuleList {
    pub(crate) fn items(&self) -> Vec<&str> {
        match self {
            RuleList::One(s) => vec![s.as_str()],
            RuleList::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// One entry of the config's `suppressions` list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSuppression {
    /// The rule or rules, by id or short name.
    pub rule: RuleList,
    /// A glob of the path the finding points at, relative to the config file's directory
    /// (a glob without `/` also matches a file name in any directory).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub container: Option<String>,
    /// Why the findings are accepted (required, not blank).
    pub reason: String,
    /// The last day the suppression applies (`YYYY-MM-DD`), checked when read.
    #[serde(default)]
    pub expires: Option<String>,
    /// The rule ids, resolved when read.
    #[serde(skip)]
    pub ids: Vec<RuleId>,
    /// `expires`, parsed.
    #[serde(skip)]
    pub expiry: Option<Date>,
    /// Where the entry is in the config file (its first key through its last value).
    #[serde(skip)]
    pub span: Span,
    #[serde(skip)]
    globs: Vec<GlobMatcher>,
}

impl ConfigSuppression {
    /// One line naming the entry's rules, selectors, expiry and reason (for policy changes).
    pub fn describe(&self) -> String {
        let ids: Vec<&str> = self.ids.iter().map(RuleId::as_str).collect();
        let mut parts = vec![format!("rule {}", ids.join(", "))];
        for (key, value) in [
            ("path", &self.path),
            ("kind", &self.kind),
            ("namespace", &self.namespace),
            ("name", &self.name),
            ("container", &self.container),
            ("expires", &self.expires),
        ] {
            if let Some(v) = value {
                parts.push(format!("{key} {v}"));
            }
        }
        format!("{}: {}", parts.join(", "), self.reason.trim())
    }

    /// Whether the entry selects a finding whose path, relative to the config file's directory,
    /// is `rel_path` (expiry aside).
    fn selects(&self, f: &Finding, rel_path: &str) -> bool {
        if !self.ids.contains(&f.rule) {
            return false;
        }
        if self.path.is_some() && !self.globs.iter().any(|g| g.is_match(rel_path)) {
            return false;
        }
        let obj = f.object.as_ref();
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        same(&self.kind, obj.map(|o| o.kind.as_str()))
            && same(&self.namespace, obj.and_then(|o| o.namespace.as_deref()))
            && same(&self.name, obj.map(|o| o.name.as_str()))
            && same(&self.container, f.container.as_deref())
    }
}

/// Checks the `suppressions` entries of a config whose parsed root is `root`: known rules,
/// a reason, a valid date and glob, each error located at its value. Fills in the resolved
/// fields and each entry's place in the file.
pub fn check(
    root: &Node,
    entries: &mut [ConfigSuppression],
    registry: &Registry,
) -> Result<(), (Option<Pos>, String)> {
    let items = root
        .get("suppressions")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    if entries.len() > MAX_ENTRIES {
        return Err((
            items.get(MAX_ENTRIES).map(|n| n.span.start),
            format!(
                "suppressions: more than {MAX_ENTRIES} entries; group findings by path glob or \
                 rule list instead"
            ),
        ));
    }
    for (i, e) in entries.iter_mut().enumerate() {
        check_entry(root, i, e, items.get(i), registry)?;
    }
    Ok(())
}

/// Checks one `suppressions` entry (`i`, at `item`): its rules, reason, date and glob.
fn check_entry(
    root: &Node,
    i: usize,
    e: &mut ConfigSuppression,
    item: Option<&Node>,
    registry: &Registry,
) -> Result<(), (Option<Pos>, String)> {
    let at = |key: &str| {
        item.and_then(|n| n.get_entry(key))
            .map(|en| en.value.span.start)
            .or_else(|| item.map(|n| n.span.start))
    };
    let label = |key: &str| format!("suppressions.{i}.{key}");
    e.span = item.map_or(root.span, |n| n.span);
    resolve_rules(e, item, registry, &at, &label)?;
    if e.reason.trim().is_empty() {
        return Err((
            at("reason"),
            format!(
                "{}: say why these findings are accepted (a reason is required)",
                label("reason")
            ),
        ));
    }
    if let Some(s) = &e.expires {
        e.expiry = Some(
            Date::parse(s).map_err(|m| (at("expires"), format!("{}: {m}", label("expires"))))?,
        );
    }
    if let Some(g) = &e.path {
        let mut patterns = vec![g.clone()];
        if !g.contains('/') && !g.starts_with("**") {
            patterns.push(format!("**/{g}"));
        }
        for p in patterns {
            let m = Glob::new(&p)
                .map_err(|err| {
                    (
                        at("path"),
                        format!("{}: invalid glob `{g}`: {err}", label("path")),
                    )
                })?
                .compile_matcher();
            e.globs.push(m);
        }
    }
    Ok(())
}

/// Resolves an entry's rules (ids or names) to rule ids; an unknown one is an error at its place.
fn resolve_rules(
    e: &mut ConfigSuppression,
    item: Option<&Node>,
    registry: &Registry,
    at: &dyn Fn(&str) -> Option<Pos>,
    label: &dyn Fn(&str) -> String,
) -> Result<(), (Option<Pos>, String)> {
    let rules = e.rule.items();
    if rules.is_empty() {
        return Err((
            at("rule"),
            format!("{}: name at least one rule", label("rule")),
        ));
    }
    let rule_items = item
        .and_then(|n| n.get("rule"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    for (j, r) in rules.iter().enumerate() {
        let Some(id) = super::rule_id(registry, r) else {
            let known = registry
                .metas()
                .flat_map(|m| [m.id.as_str(), m.name.as_ref()]);
            let hint = crate::config::did_you_mean(r, known)
                .map(|m| format!("; did you mean `{m}`?"))
                .unwrap_or_default();
            let pos = rule_items
                .get(j)
                .map(|n| n.span.start)
                .or_else(|| at("rule"));
            return Err((
                pos,
                format!(
                    "{}: unknown rule `{r}`{hint} (`clustersec rules` lists them)",
                    label("rule")
                ),
            ));
        };
        if !e.ids.contains(&id) {
            e.ids.push(id);
        }
    }
    Ok(())
}

/// The config's suppressions as a scan applies them.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub entries: Vec<ConfigSuppression>,
    /// The config file as reports name it (where stale entries are reported).
    pub config_path: Option<String>,
    /// The directory `path` globs are relative to (the config file's).
    pub config_dir: Option<PathBuf>,
    /// The date expiry is judged at (see [`super::date::today`]).
    pub today: Option<Date>,
    /// Whether entries that matched nothing are reported (off for one shard of a scan: the
    /// entry may match in another).
    pub report_stale: bool,
}

/// `path` relative to `dir`, both made absolute and normalised lexically; `path` as it is when
/// it is not under `dir`.
fn relative_to(dir: Option<&Path>, path: &str) -> String {
    let normal = |p: &Path| -> Option<PathBuf> {
        let abs = std::path::absolute(p).ok()?;
        let mut out = PathBuf::new();
        for c in abs.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        Some(out)
    };
    let Some(dir) = dir else {
        return path.trim_start_matches("./").to_string();
    };
    match (normal(dir), normal(Path::new(path))) {
        (Some(d), Some(p)) => match p.strip_prefix(&d) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => path.to_string(),
        },
        _ => path.to_string(),
    }
}

/// Applies the config's suppressions to the findings not suppressed yet: a finding an entry in
/// force selects moves to `suppressed`; one only expired entries select stays, with a note.
/// Returns the findings kept and the `CLUSTERSEC_STALE_SUPPRESSION` findings of entries that
/// selected nothing (when `settings.report_stale`, for entries naming a rule that `ran`).
pub fn apply(
    settings: &Settings,
    findings: Vec<Finding>,
    suppressed: &mut Vec<Finding>,
    ran: impl Fn(&str) -> bool,
) -> (Vec<Finding>, Vec<Finding>) {
    if settings.entries.is_empty() {
        return (findings, Vec::new());
    }
    let mut used = vec![false; settings.entries.len()];
    // A finding already suppressed (by a comment or an annotation) still uses an entry that
    // selects it: the entry is not stale.
    let mark = |f: &Finding, used: &mut Vec<bool>| -> Vec<usize> {
        let rel = relative_to(settings.config_dir.as_deref(), &f.path);
        let hits: Vec<usize> = settings
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.selects(f, &rel))
            .map(|(i, _)| i)
            .collect();
        for &i in &hits {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
        }
        hits
    };
    for f in suppressed.iter() {
        mark(f, &mut used);
    }
    let expired = |e: &ConfigSuppression| matches!((e.expiry, settings.today), (Some(until), Some(today)) if today > until);
    let mut kept = Vec::new();
    for mut f in findings {
        let hits = mark(&f, &mut used);
        let in_force = hits
            .iter()
            .filter_map(|&i| settings.entries.get(i))
            .find(|e| !expired(e));
        if let Some(e) = in_force {
            f.suppression = Some(e.reason.trim().to_string());
            f.suppressed_by = Some(SuppressedBy::Config {
                line: e.span.start.line,
            });
            suppressed.push(f);
            continue;
        }
        if let Some(e) = hits.first().and_then(|&i| settings.entries.get(i)) {
            f.notes.push(crate::finding::Note::SuppressionExpired {
                line: e.span.start.line,
                on: e.expiry.map(|d| d.to_string()).unwrap_or_default(),
                reason: e.reason.trim().to_string(),
            });
        }
        kept.push(f);
    }
    let stale = stale_entries(settings, used, ran);
    (kept, stale)
}

/// The `CLUSTERSEC_STALE_SUPPRESSION` findings of the entries that selected nothing (when
/// `settings.report_stale`, for entries naming a rule that `ran`).
fn stale_entries(settings: &Settings, used: Vec<bool>, ran: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut stale = Vec::new();
    if let (true, Some(path)) = (settings.report_stale, &settings.config_path) {
        for (e, used) in settings.entries.iter().zip(used) {
            if used || !e.ids.iter().any(|id| ran(id)) {
                continue;
            }
            let mut f = Finding::new(
                crate::rules::stale_suppression::StaleSuppression::ID,
                e.span,
                format!(
                    "stale suppression: this `suppressions` entry ({}) matches no finding; \
                     remove it or correct its selectors",
                    e.ids
                        .iter()
                        .map(RuleId::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            f.path = path.into();
            stale.push(f);
        }
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_config_directory() {
        assert_eq!(relative_to(None, "./a/b.yaml"), "a/b.yaml");
        assert_eq!(relative_to(Some(Path::new(".")), "a/b.yaml"), "a/b.yaml");
        assert_eq!(relative_to(Some(Path::new("a")), "a/b.yaml"), "b.yaml");
        assert_eq!(
            relative_to(Some(Path::new("a/../c")), "c/./d/e.yaml"),
            "d/e.yaml"
        );
        // Not under the directory: as it is (a glob relative to the config then rarely matches).
        assert_eq!(relative_to(Some(Path::new("x")), "a/b.yaml"), "a/b.yaml");
    }
}
