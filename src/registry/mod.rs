//! The rule registry of one run (the rules themselves live in `crate::rules`): the built-in
//! rules, then rules added at run time (a policy file's rules, defined by data), then the
//! config's params. Built once and passed by reference
//! to everything that needs to know the rules: config validation, suppressions, the engine,
//! every report format, `rules`, `explain`, the docs generator, `init`, `merge`.

pub mod id;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use crate::finding::Severity;

use crate::rules::{Cx, ParamError, Rule, RuleId, RuleMeta};

/// Where a rule comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into clustersec (`src/rules/`).
    BuiltIn,
    /// Defined by data in a policy file, at this place.
    Policy {
        path: PathBuf,
        line: u32,
        column: u32,
    },
}

/// What a rule's findings are about, and who emits them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One object at a time: the engine calls the rule's check.
    Object,
    /// A file's text (syntax, duplicate keys, a file not read): emitted by the engine while
    /// reading; kept for files a kustomize build covers.
    FileText,
    /// A whole file (its shape as a whole): emitted by the engine.
    File,
    /// Rendering (Helm, Kustomize): emitted by `crate::render`.
    Render,
}

/// A family of rules, selectable as a whole (`select: [pss]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// The original Datree "Cluster Security" policy's rules.
    Seed,
    /// Scan integrity: the input was read and checked in full.
    Integrity,
    /// Pod Security Standards controls.
    Pss,
    /// Removed and deprecated API versions.
    Api,
    /// Workload hygiene (images, resources, tokens, secrets, sockets).
    Workload,
    /// RBAC grants.
    Rbac,
    /// Rules loaded from a policy file.
    Policy,
}

impl Group {
    pub const ALL: [Group; 7] = [
        Group::Seed,
        Group::Integrity,
        Group::Pss,
        Group::Api,
        Group::Workload,
        Group::Rbac,
        Group::Policy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Seed => "seed",
            Group::Integrity => "integrity",
            Group::Pss => "pss",
            Group::Api => "api",
            Group::Workload => "workload",
            Group::Rbac => "rbac",
            Group::Policy => "policy",
        }
    }

    pub fn parse(name: &str) -> Option<Group> {
        Group::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule defined by data, not by a type: its metadata and a check. The policy engine builds
/// these from a policy file; tests build them to see a run-time rule go through every layer.
pub struct DataRule {
    pub meta: RuleMeta,
    pub check: Box<dyn Fn(&mut Cx<'_>) + Send + Sync>,
}

impl DataRule {
    pub fn new(meta: RuleMeta, check: impl Fn(&mut Cx<'_>) + Send + Sync + 'static) -> DataRule {
        DataRule {
            meta,
            check: Box::new(check),
        }
    }
}

impl Rule for DataRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    /// A data rule takes no params: only an empty mapping (or none) is accepted.
    fn configure(&mut self, params: &serde_json::Value) -> Result<(), ParamError> {
        crate::rules::parse_params::<crate::rules::NoParams>(params).map(|_| ())
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn check(&self, cx: &mut Cx<'_>) {
        (self.check)(cx)
    }
}

/// One registered rule: the registry's metadata of it (group and scope filled in) and the rule.
pub struct Entry {
    meta: RuleMeta,
    rule: Box<dyn Rule>,
}

impl Entry {
    pub fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    pub fn rule(&self) -> &dyn Rule {
        self.rule.as_ref()
    }
}

/// Every rule of a run, in the order of the reference docs (built-ins) then in the order they
/// were added.
#[derive(Default)]
pub struct Registry {
    entries: Vec<Entry>,
    /// Position in `entries` by id (reports look a rule up once per finding).
    index: HashMap<RuleId, usize>,
}

impl Registry {
    /// The built-in rules, with their default params.
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        for rule in crate::rules::builtin_rules() {
            let mut meta = rule.meta().clone();
            meta.group = crate::rules::builtin_group(&meta.id);
            meta.scope = crate::rules::builtin_scope(&meta.id);
            meta.overlaps = crate::rules::builtin_overlaps(&meta.id);
            registry.push(Entry { meta, rule });
        }
        registry
    }

    /// Adds a rule (a [`DataRule`], or any other [`Rule`]). Its id and short name must be new
    /// (ids compared exactly, names in any case) and its id UPPER_SNAKE_CASE, as ignore
    /// comments recognise ids by their shape.
    pub fn add(&mut self, rule: impl Rule + 'static) -> Result<(), String> {
        self.add_boxed(Box::new(rule))
    }

    /// [`Registry::add`] for a boxed rule.
    pub fn add_boxed(&mut self, rule: Box<dyn Rule>) -> Result<(), String> {
        let meta = rule.meta().clone();
        let id = meta.id.as_str();
        // A policy file's identifiers follow Datree's format, which also allows letters in
        // either case and dots (Datree's own `K8S_DEPRECATED_APIVERSION_1.16`).
        let policy = matches!(meta.origin, Origin::Policy { .. });
        if id.is_empty()
            || !id.chars().all(|c| {
                c.is_ascii_uppercase()
                    || c.is_ascii_digit()
                    || c == '_'
                    || (policy && (c.is_ascii_alphabetic() || c == '.'))
            })
        {
            return Err(format!(
                "rule id `{id}` is not UPPER_SNAKE_CASE (A-Z, 0-9, _)"
            ));
        }
        if let Some(e) = self.entries.iter().find(|e| {
            e.meta.id == meta.id
                || e.meta.name.eq_ignore_ascii_case(&meta.name)
                || e.meta.name.eq_ignore_ascii_case(id)
                || e.meta.id.eq_ignore_ascii_case(&meta.name)
        }) {
            return Err(format!(
                "rule `{id}` ({}) clashes with rule `{}` ({})",
                meta.name, e.meta.id, e.meta.name
            ));
        }
        self.push(Entry { meta, rule });
        Ok(())
    }

    /// Keeps only the rules whose metadata passes `keep` (a policy file's run: exactly the
    /// rules it lists).
    pub fn retain(&mut self, mut keep: impl FnMut(&RuleMeta) -> bool) {
        self.entries.retain(|e| keep(&e.meta));
        self.index = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.meta.id.clone(), i))
            .collect();
    }

    fn push(&mut self, entry: Entry) {
        self.index.insert(entry.meta.id.clone(), self.entries.len());
        self.entries.push(entry);
    }

    /// Every rule, in registry order.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }

    /// Every rule's metadata, in registry order.
    pub fn metas(&self) -> impl Iterator<Item = &RuleMeta> + '_ {
        self.entries.iter().map(|e| &e.meta)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The metadata of a rule by its exact id.
    pub fn meta(&self, id: &str) -> Option<&RuleMeta> {
        self.index
            .get(id)
            .and_then(|&i| self.entries.get(i))
            .map(|e| &e.meta)
    }

    /// A rule named by its id or short name, in any case (as the config, `explain` and ignore
    /// comments accept).
    pub fn find(&self, name: &str) -> Option<&Entry> {
        let name = name.trim();
        self.entries.iter().find(|e| {
            e.meta.id.eq_ignore_ascii_case(name) || e.meta.name.eq_ignore_ascii_case(name)
        })
    }

    /// Whether `word` is a rule's short name (exactly).
    pub fn is_name(&self, word: &str) -> bool {
        self.entries.iter().any(|e| e.meta.name == word)
    }

    /// The short name of a rule by id ("" when unknown).
    pub fn name_of(&self, id: &str) -> &str {
        self.meta(id).map_or("", |m| &m.name)
    }

    /// Applies params from the config to one rule (parsed once, here).
    pub fn configure(&mut self, id: &str, params: &serde_json::Value) -> Result<(), ParamError> {
        let at = self.index.get(id).copied();
        match at.and_then(|i| self.entries.get_mut(i)) {
            Some(e) => e.rule.configure(params),
            None => Err(ParamError {
                path: String::new(),
                message: format!("unknown rule `{id}`"),
            }),
        }
    }

    /// The rules a selector names: a rule id or short name (any case), or a group.
    pub fn select(&self, selector: &str) -> Option<Vec<RuleId>> {
        if let Some(e) = self.find(selector) {
            return Some(vec![e.meta.id.clone()]);
        }
        let group = Group::parse(selector)?;
        Some(
            self.entries
                .iter()
                .filter(|e| e.meta.group == group)
                .map(|e| e.meta.id.clone())
                .collect(),
        )
    }

    /// Every id, short name and group name (for "did you mean" hints).
    pub fn selector_words(&self) -> Vec<&str> {
        let mut words: Vec<&str> = self
            .entries
            .iter()
            .flat_map(|e| [e.meta.id.as_str(), &*e.meta.name])
            .collect();
        words.extend(Group::ALL.iter().map(|g| g.as_str()));
        words
    }
}

impl<'a> IntoIterator for &'a Registry {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

/// Which rules run, by id, short name or group, as ruff selects: `select` (when given) names
/// the rules that may run, `ignore` the ones that may not. Applied after each rule's own
/// `enabled` (see [`Selection::decide`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub select: Option<Vec<RuleId>>,
    pub ignore: Vec<RuleId>,
}

impl Selection {
    /// Resolves selectors against the registry; an unknown one is returned as the error.
    pub fn resolve(
        registry: &Registry,
        select: Option<&[String]>,
        ignore: &[String],
    ) -> Result<Selection, String> {
        let ids = |words: &[String]| -> Result<Vec<RuleId>, String> {
            let mut out = Vec::new();
            for w in words {
                out.extend(registry.select(w).ok_or_else(|| w.clone())?);
            }
            Ok(out)
        };
        Ok(Selection {
            select: select.map(ids).transpose()?,
            ignore: ids(ignore)?,
        })
    }

    /// Whether a rule runs: with `select`, a selected rule runs unless its config turns it off
    /// (`enabled: false`), an unselected one does not, and the scan-integrity rules keep their
    /// per-rule setting (a scan never silently drops the news that a file was not checked);
    /// without `select`, the per-rule setting (`on`). An ignored rule never runs.
    pub fn decide(&self, meta: &RuleMeta, configured: Option<bool>, on: bool) -> bool {
        if self.ignore.contains(&meta.id) {
            return false;
        }
        match &self.select {
            None => on,
            Some(_) if meta.group == Group::Integrity => on,
            Some(sel) if sel.contains(&meta.id) => configured != Some(false),
            Some(_) => false,
        }
    }

    /// Whether neither `select` nor `ignore` is set.
    pub fn is_empty(&self) -> bool {
        self.select.is_none() && self.ignore.is_empty()
    }
}

/// Metadata of a rule defined by data (a policy file's rule; a test's rule).
pub fn data_meta(
    id: &str,
    name: &str,
    severity: Severity,
    summary: &str,
    docs: &str,
    origin: Origin,
) -> RuleMeta {
    RuleMeta {
        id: RuleId::new(id),
        name: Cow::Owned(name.to_string()),
        severity,
        enabled: true,
        summary: Cow::Owned(summary.to_string()),
        docs: Cow::Owned(docs.to_string()),
        tags: &[],
        source_file: "",
        origin,
        scope: Scope::Object,
        group: Group::Policy,
        overlaps: &[],
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.meta.id))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(registry: &Registry, f: impl Fn(&RuleMeta) -> bool) -> Vec<String> {
        registry
            .metas()
            .filter(|m| f(m))
            .map(|m| m.id.to_string())
            .collect()
    }

    #[test]
    fn overlapping_rules_name_each_other() {
        let registry = Registry::builtin();
        let linked: Vec<_> = registry
            .metas()
            .filter(|m| !m.overlaps.is_empty())
            .collect();
        assert_eq!(linked.len(), 8);
        for m in linked {
            for other in m.overlaps {
                let back = registry.find(other).map(|e| e.meta().overlaps);
                assert!(
                    back.is_some_and(|b| b.contains(&m.id.as_str())),
                    "{} -> {other}",
                    m.id
                );
            }
        }
    }

    #[test]
    fn builtin_groups_and_scopes() {
        let r = Registry::builtin();
        assert_eq!(r.len(), 49);
        assert!(r.metas().all(|m| m.origin == Origin::BuiltIn));
        // The integrity group is exactly what `--profile` keeps besides the controls.
        let mut integrity = ids(&r, |m| m.group == Group::Integrity);
        integrity.sort();
        let mut expected: Vec<String> = crate::rules::data::pss::INTEGRITY
            .iter()
            .map(|s| s.to_string())
            .collect();
        expected.sort();
        assert_eq!(integrity, expected);
        assert_eq!(ids(&r, |m| m.group == Group::Seed).len(), 9);
        assert!(r
            .metas()
            .all(|m| (m.group == Group::Pss) == m.id.starts_with("PSS_")));
        assert_eq!(
            ids(&r, |m| m.group == Group::Api),
            ["CLUSTERSEC_REMOVED_API", "CLUSTERSEC_DEPRECATED_API"]
        );
        assert_eq!(ids(&r, |m| m.group == Group::Rbac).len(), 3);
        assert!(ids(&r, |m| m.group == Group::Policy).is_empty());
        assert_eq!(
            ids(&r, |m| m.scope == Scope::FileText),
            [
                "CLUSTERSEC_YAML_SYNTAX",
                "CLUSTERSEC_DUPLICATE_KEY",
                "CLUSTERSEC_NOT_SCANNED"
            ]
        );
        assert_eq!(
            ids(&r, |m| m.scope == Scope::Render),
            ["CLUSTERSEC_RENDER", "CLUSTERSEC_UNRENDERED_BRANCH"]
        );
    }

    #[test]
    fn selectors_name_ids_names_and_groups() {
        let r = Registry::builtin();
        assert_eq!(
            r.select("privileged").as_deref(),
            Some(&[RuleId::from_static("CUSTOM_SECURITY_PRIVILEGED_CHECK")][..])
        );
        assert_eq!(
            r.select("custom_security_privileged_check")
                .map(|v| v.len()),
            Some(1)
        );
        assert_eq!(r.select("RBAC").map(|v| v.len()), Some(3));
        assert!(r.select("nope").is_none());
        // Policy is a group even while empty.
        assert_eq!(r.select("policy"), Some(Vec::new()));
        let e = Selection::resolve(&r, Some(&["seed".to_string()]), &["nope".to_string()]);
        assert_eq!(e, Err("nope".to_string()));
    }

    #[test]
    fn selection_applies_after_each_rules_setting() {
        let r = Registry::builtin();
        let sel = |select: Option<&[&str]>, ignore: &[&str]| {
            let own = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            Selection::resolve(&r, select.map(own).as_deref(), &own(ignore)).unwrap_or_default()
        };
        let meta = |id: &str| r.meta(id).cloned().unwrap_or_else(|| unreachable!());
        let tag = meta("CLUSTERSEC_IMAGE_TAG");
        let user = meta("CUSTOM_SECURITY_USER_CHECK");
        let syntax = meta("CLUSTERSEC_YAML_SYNTAX");
        let none = Selection::default();
        assert!(none.is_empty());
        assert!(none.decide(&user, None, true));
        assert!(!none.decide(&user, Some(false), false));
        let s = sel(Some(&["workload"]), &[]);
        // Selected: on, even when off by default; unless the config turns it off.
        assert!(s.decide(&tag, None, false));
        assert!(!s.decide(&tag, Some(false), false));
        // Not selected: off, even when on by default.
        assert!(!s.decide(&user, None, true));
        // Integrity rules keep their own setting.
        assert!(s.decide(&syntax, None, true));
        assert!(!s.decide(&syntax, Some(false), false));
        // Ignored: off, whatever else.
        let s = sel(
            Some(&["seed"]),
            &["CUSTOM_SECURITY_USER_CHECK", "integrity"],
        );
        assert!(!s.decide(&user, Some(true), true));
        assert!(!s.decide(&syntax, None, true));
    }
}
