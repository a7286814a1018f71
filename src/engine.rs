//! The engine: one file's bytes to findings, through parse, model and rules.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::finding::{FilePath, Finding, Severity};
use crate::model::json::parse_input_with;
use crate::model::object::{is_object, objects_of, Object, ObjectRef};
use crate::model::pod::PodSpec;
use crate::model::yaml::{Diagnostic, Document};
use crate::model::{Pos, Span};
use crate::rules::{
    self, duplicate_key, not_scanned, wrong_type, yaml_syntax, Cx, Registry, RuleId, RuleMeta,
    Selection,
};

/// Default size limit of one file (16 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

pub use crate::outcome::{FileReport, FileStatus};

/// The rules to run, configured, with their effective severities.
pub struct Engine {
    /// The run's rules, configured (built once per run; shared with the reports).
    registry: std::sync::Arc<Registry>,
    enabled: HashMap<RuleId, Severity, IdHash>,
    /// The Kubernetes version the manifests target (see [`Engine::with_kube_version`]).
    kube_version: crate::kube_version::KubeVersion,
    /// The config's `openshift` switch (see [`Engine::with_openshift`]).
    openshift: bool,
    /// The Pod Security Standards version the PSS rules apply (see [`Engine::with_pss_version`]).
    pss_version: rules::data::pss::PssVersion,
    /// `--profile`, when given: namespace labels then do not change the level.
    profile: Option<rules::data::pss::Level>,
    /// PSA labels of the Namespaces of the scan, by name (see [`Engine::with_namespaces`]).
    namespaces: BTreeMap<String, rules::data::pss::NamespacePolicy>,
    /// Parse and model only, no rule (see [`Engine::with_parse_only`]).
    parse_only: bool,
    /// Findings against the `--policy` file (see [`Engine::with_policy`]).
    policy_notes: Vec<Finding>,
    /// The `--policy` file's path and text (see [`Engine::with_policy`]).
    policy_source: Option<(String, String)>,
    /// What the per-object loop needs to know of each registry entry, by position (see
    /// [`RulePlan`]); made again whenever the registry or the enabled set changes.
    plan: Vec<RulePlan>,
}

/// What the per-object loop needs to know of one registry entry, worked out once per run
/// rather than once per object (a hash lookup of the enabled set per rule and object cost more
/// than most rules' checks).
#[derive(Clone, Copy, Debug, Default)]
struct RulePlan {
    /// On in this run.
    enabled: bool,
    /// A Pod Security Standards control (`data::pss::control`).
    control: bool,
    /// Its id starts with `PSS_`: it runs for the workload's PSS level (see [`Engine::pss_level`]).
    pss: bool,
    /// A built-in rule (its findings carry its own id).
    builtin: bool,
    /// Whether a finding with its id counts against the restricted / the baseline level
    /// (`data::pss::in_profile`).
    in_restricted: bool,
    in_baseline: bool,
}

impl RulePlan {
    fn of(registry: &Registry, enabled: &HashMap<RuleId, Severity, IdHash>) -> Vec<RulePlan> {
        use rules::data::pss::{control, in_profile, Level};
        registry
            .iter()
            .map(|e| {
                let id = &e.meta().id;
                RulePlan {
                    enabled: enabled.contains_key(id),
                    control: control(id).is_some(),
                    pss: id.starts_with("PSS_"),
                    builtin: matches!(e.meta().origin, crate::registry::Origin::BuiltIn),
                    in_restricted: in_profile(id, Level::Restricted),
                    in_baseline: in_profile(id, Level::Baseline),
                }
            })
            .collect()
    }
}

/// The hasher of the enabled rules' table, looked up once per rule and object and once per
/// finding: rule ids are short and few (a run's own rules, not chosen to collide), so a
/// multiply-rotate hash over 8 bytes at a time does, at a fraction of SipHash's cost.
type IdHash = std::hash::BuildHasherDefault<IdHasher>;

#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            if let Some(w) = word.get_mut(..chunk.len()) {
                w.copy_from_slice(chunk);
            }
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Per-rule settings from the config file.
#[derive(Clone, Debug, Default)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub params: Option<serde_json::Value>,
}

impl Default for Engine {
    fn default() -> Self {
        // No settings, so no params to refuse: no fallback to an engine without rules.
        Engine::configured(
            Registry::builtin(),
            &BTreeMap::new(),
            None,
            &Selection::default(),
        )
    }
}

impl Engine {
    /// Builds an engine from per-rule settings; a bad params value names the rule and path.
    pub fn new(
        settings: &BTreeMap<String, RuleSettings>,
    ) -> Result<Engine, (String, rules::ParamError)> {
        Engine::with_profile(settings, None)
    }

    /// Like [`Engine::new`], with a Pod Security Standards profile (`--profile`): the rules on
    /// by default are exactly that level's controls and the scan-integrity rules; the settings
    /// still turn single rules on or off on top of it.
    pub fn with_profile(
        settings: &BTreeMap<String, RuleSettings>,
        profile: Option<rules::data::pss::Level>,
    ) -> Result<Engine, (String, rules::ParamError)> {
        Engine::build(
            Registry::builtin(),
            settings,
            profile,
            &Selection::default(),
        )
    }

    /// The engine of a run: `registry` (built-ins, then rules added at run time) configured by
    /// `settings` (each rule's params parsed here, once), the rules on by default (or by
    /// `profile`) turned on or off by the settings, then by `selection` (`select`/`ignore`).
    pub fn build(
        mut registry: Registry,
        settings: &BTreeMap<String, RuleSettings>,
        profile: Option<rules::data::pss::Level>,
        selection: &Selection,
    ) -> Result<Engine, (String, rules::ParamError)> {
        for (id, s) in settings {
            if let Some(params) = &s.params {
                if registry.meta(id).is_some() {
                    registry
                        .configure(id, params)
                        .map_err(|e| (id.clone(), e))?;
                }
            }
        }
        Ok(Engine::configured(registry, settings, profile, selection))
    }

    /// The engine of a run whose params were applied to `registry` when the config was read
    /// (see [`crate::config::Config::parse_with`]): they are not parsed again.
    pub fn from_registry(
        registry: Registry,
        settings: &BTreeMap<String, RuleSettings>,
        profile: Option<rules::data::pss::Level>,
        selection: &Selection,
    ) -> Engine {
        Engine::configured(registry, settings, profile, selection)
    }

    /// [`Engine::build`] once the params are applied.
    fn configured(
        registry: Registry,
        settings: &BTreeMap<String, RuleSettings>,
        profile: Option<rules::data::pss::Level>,
        selection: &Selection,
    ) -> Engine {
        let mut enabled = HashMap::default();
        for meta in registry.metas() {
            let s = settings.get(meta.id.as_str());
            let default_on = match profile {
                Some(level) => rules::data::pss::in_profile(&meta.id, level),
                None => meta.enabled,
            };
            let configured = s.and_then(|s| s.enabled);
            if selection.decide(meta, configured, configured.unwrap_or(default_on)) {
                let sev = s.and_then(|s| s.severity).unwrap_or(meta.severity);
                enabled.insert(meta.id.clone(), sev);
            }
        }
        let plan = RulePlan::of(&registry, &enabled);
        Engine {
            registry: std::sync::Arc::new(registry),
            plan,
            enabled,
            kube_version: crate::kube_version::KubeVersion::default(),
            openshift: false,
            pss_version: rules::data::pss::PssVersion::Latest,
            profile,
            namespaces: BTreeMap::new(),
            parse_only: false,
            policy_notes: Vec::new(),
            policy_source: None,
        }
    }

    /// The run's rules.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The run's rules, shared (for a report that outlives the engine).
    pub fn registry_arc(&self) -> std::sync::Arc<Registry> {
        std::sync::Arc::clone(&self.registry)
    }

    /// Runs a Datree policy (`--policy`) instead of the configured rule set: exactly the rules
    /// the policy lists (its custom rules, and clustersec rules it names by id) and the
    /// scan-integrity rules. A custom rule with a clustersec rule's id replaces that rule.
    /// Config severities of the listed clustersec rules still apply.
    pub fn with_policy(mut self, policy: crate::policy::Policy) -> Engine {
        use crate::policy::{PolicyNotes, PolicyRule, Selected};
        use crate::rules::Rule;
        let native = policy.native_ids();
        let custom: Vec<String> = policy
            .rules
            .iter()
            .filter_map(|r| match r {
                Selected::Custom(c) => Some(c.id.clone()),
                Selected::Native(_) => None,
            })
            .collect();
        let keep = |id: &str| {
            !custom.iter().any(|c| c == id)
                && (native.contains(&id) || rules::data::pss::INTEGRITY.contains(&id))
        };
        // The engine is fresh here, so it owns its registry.
        let mut registry = std::sync::Arc::try_unwrap(std::mem::take(&mut self.registry))
            .unwrap_or_else(|_| Registry::builtin());
        registry.retain(|m| keep(m.id.as_str()));
        let old = std::mem::take(&mut self.enabled);
        for m in registry.metas() {
            let sev = old.get(m.id.as_str()).copied().unwrap_or(m.severity);
            self.enabled.insert(m.id.clone(), sev);
        }
        let mut notes = policy.notes;
        let notes_rule = PolicyNotes::default();
        let notes_meta = notes_rule.meta().clone();
        if registry.add(notes_rule).is_ok() {
            self.enabled
                .insert(notes_meta.id.clone(), notes_meta.severity);
        }
        for r in policy.rules {
            if let Selected::Custom(c) = r {
                let (path, at, id) = (c.path.clone(), c.at, c.id.clone());
                let rule = PolicyRule::new(*c, &policy.name);
                let (rid, sev) = (rule.meta().id.clone(), rule.meta().severity);
                match registry.add(rule) {
                    Ok(()) => {
                        self.enabled.insert(rid, sev);
                    }
                    Err(e) => notes.push(crate::policy::note(
                        &path,
                        at,
                        Severity::High,
                        format!("custom rule {id} cannot run: {e}"),
                    )),
                }
            }
        }
        self.plan = RulePlan::of(&registry, &self.enabled);
        self.registry = std::sync::Arc::new(registry);
        self.policy_notes = notes;
        self.policy_source = Some((policy.path, policy.text));
        self
    }

    /// Whether files may be parsed without a tree for the subtrees no built-in rule reads
    /// (`model::yaml::parse_stream_with`): only when every rule of the run is built in (a
    /// policy's custom rules read any path).
    fn lean_parse(&self) -> bool {
        self.policy_source.is_none()
            && self
                .registry
                .iter()
                .all(|e| matches!(e.meta().origin, crate::registry::Origin::BuiltIn))
    }

    /// The `--policy` file's path and text, when a policy runs.
    pub fn policy_source(&self) -> Option<(&str, &str)> {
        self.policy_source
            .as_ref()
            .map(|(p, t)| (p.as_str(), t.as_str()))
    }

    /// Findings against the `--policy` file (unknown, unsupported or replaced rules).
    pub fn policy_findings(&self) -> &[Finding] {
        &self.policy_notes
    }

    /// Sets the Pod Security Admission labels of the scanned Namespaces: without `--profile`,
    /// the workloads of such a namespace are judged at its `enforce` level and version, and its
    /// `audit`/`warn` levels are reported as suppressed findings (shown, never failing).
    pub fn with_namespaces(
        mut self,
        namespaces: BTreeMap<String, rules::data::pss::NamespacePolicy>,
    ) -> Engine {
        self.namespaces = namespaces;
        self
    }

    /// The namespace policy that applies to an object, if any.
    fn namespace_policy(
        &self,
        obj: &Object<'_>,
    ) -> Option<(&str, &rules::data::pss::NamespacePolicy)> {
        if self.profile.is_some() || self.namespaces.is_empty() {
            return None;
        }
        let ns = obj.id.namespace.as_deref()?;
        self.namespaces
            .get_key_value(ns)
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The PSS findings of a workload in a labelled namespace: its `enforce` level at its
    /// version (with the rules' severities), and its `audit`/`warn` levels as suppressed
    /// findings that say why they do not fail.
    fn namespace_findings(
        &self,
        obj: &Object<'_>,
        pod: &PodSpec<'_>,
        shape: &[crate::model::pod::ShapeError],
        ns: &str,
        policy: &rules::data::pss::NamespacePolicy,
    ) -> Vec<Finding> {
        use rules::data::pss::{control, in_profile};
        let run = |level: rules::data::pss::Level, version: rules::data::pss::PssVersion| {
            let mut cx = Cx::new(obj, Some(pod), shape);
            cx.pss_version = version.resolve();
            for entry in self.registry.iter() {
                let id = &entry.meta().id;
                if control(id).is_some() && in_profile(id, level) {
                    entry.rule().check(&mut cx);
                }
            }
            cx.into_findings()
        };
        let mut out: Vec<Finding> = Vec::new();
        if let Some((level, version)) = policy.enforce {
            for mut f in run(level, version) {
                f.severity = self.severity(&f.rule).unwrap_or_else(|| {
                    self.registry
                        .meta(&f.rule)
                        .map_or(Severity::default(), |m| m.severity)
                });
                f.notes.push(crate::finding::Note::Enforced {
                    namespace: ns.to_string(),
                    level: level.as_str().to_string(),
                });
                out.push(f);
            }
        }
        for (mode, level, version) in &policy.report_only {
            for mut f in run(*level, *version) {
                if out.iter().any(|o| o.rule == f.rule && o.span == f.span) {
                    continue;
                }
                f.severity = Severity::Info;
                f.suppression = Some(format!(
                    "namespace {ns} only {mode}s at {}: reported, not enforced",
                    level.as_str()
                ));
                f.suppressed_by = Some(crate::finding::SuppressedBy::Namespace);
                out.push(f);
            }
        }
        out
    }

    /// The strictest Pod Security Standards level a workload is admitted at, at the engine's PSS
    /// version: the level the findings of every PSS rule give, whatever the enabled set.
    ///
    /// The findings of the built-in PSS rules that already ran on the object at that version
    /// ([`Engine::object_findings`]) are not made again: `seen` says what they showed. The
    /// other PSS rules run here, and only while their findings can still change the level (a
    /// built-in rule reports under its own id, so one whose id can no longer change the
    /// outcome is skipped).
    fn pss_level(
        &self,
        obj: &Object<'_>,
        pod: &PodSpec<'_>,
        shape: &[crate::model::pod::ShapeError],
        seen: PssSeen,
    ) -> rules::data::pss::Level {
        use rules::data::pss::Level;
        let PssSeen {
            mut restricted,
            mut baseline,
            controls_ran,
        } = seen;
        let mut cx = Cx::new(obj, Some(pod), shape);
        cx.pss_version = self.pss_version.resolve();
        for (entry, plan) in self.registry.iter().zip(&self.plan) {
            if restricted && baseline {
                break; // privileged, whatever else is found
            }
            if !plan.pss {
                continue;
            }
            if plan.builtin && plan.enabled && (controls_ran || !plan.control) {
                continue; // already in `seen`
            }
            let matters = (plan.in_restricted && !restricted) || (plan.in_baseline && !baseline);
            if plan.builtin && !matters {
                continue;
            }
            entry.rule().check(&mut cx);
            for f in cx.findings.drain(..) {
                let (r, b) = pss_weight(&f.rule);
                restricted |= r;
                baseline |= b;
            }
        }
        if !restricted {
            Level::Restricted
        } else if !baseline {
            Level::Baseline
        } else {
            Level::Privileged
        }
    }

    /// The level as computed before [`Engine::pss_level`] reused findings: every PSS rule run
    /// again. The tests hold the two to the same answer.
    #[cfg(test)]
    fn pss_level_by_running_all(
        &self,
        obj: &Object<'_>,
        pod: &PodSpec<'_>,
        shape: &[crate::model::pod::ShapeError],
    ) -> rules::data::pss::Level {
        use rules::data::pss::{in_profile, Level};
        let mut cx = Cx::new(obj, Some(pod), shape);
        cx.pss_version = self.pss_version.resolve();
        for entry in self.registry.iter() {
            if entry.meta().id.starts_with("PSS_") {
                entry.rule().check(&mut cx);
            }
        }
        let found = cx.into_findings();
        if found
            .iter()
            .all(|f| !in_profile(&f.rule, Level::Restricted))
        {
            Level::Restricted
        } else if found.iter().all(|f| !in_profile(&f.rule, Level::Baseline)) {
            Level::Baseline
        } else {
            Level::Privileged
        }
    }

    /// Sets the Pod Security Standards version the PSS rules apply (default `latest`).
    pub fn with_pss_version(mut self, version: rules::data::pss::PssVersion) -> Engine {
        self.pss_version = version;
        self
    }

    /// The Pod Security Standards version the PSS rules apply.
    pub fn pss_version(&self) -> rules::data::pss::PssVersion {
        self.pss_version
    }

    /// `scan --parse-only`: files are read, parsed and modelled (objects and pod specs) as in a
    /// scan, and only what the parser reports (syntax errors, duplicate keys, limits) is a
    /// finding; no rule runs.
    pub fn with_parse_only(mut self, parse_only: bool) -> Engine {
        self.parse_only = parse_only;
        self
    }

    /// Whether rules are skipped (`--parse-only`).
    pub fn parse_only(&self) -> bool {
        self.parse_only
    }

    /// Sets the Kubernetes version the manifests are deployed to (default: the newest the API
    /// table knows).
    pub fn with_kube_version(mut self, version: crate::kube_version::KubeVersion) -> Engine {
        self.kube_version = version;
        self
    }

    /// The target Kubernetes version.
    pub fn kube_version(&self) -> crate::kube_version::KubeVersion {
        self.kube_version
    }

    /// Turns on the `openshift` switch: runAsUser and runAsGroup must be left to the SCC.
    pub fn with_openshift(mut self, openshift: bool) -> Engine {
        self.openshift = openshift;
        self
    }

    /// Every rule, enabled or not.
    pub fn rules(&self) -> &Registry {
        &self.registry
    }

    /// The metadata of the enabled rules, in registry order.
    pub fn enabled_rules(&self) -> Vec<RuleMeta> {
        self.registry
            .metas()
            .filter(|m| self.enabled.contains_key(&m.id))
            .cloned()
            .collect()
    }

    /// The effective severity of an enabled rule.
    pub fn severity(&self, id: &str) -> Option<Severity> {
        self.enabled.get(id).copied()
    }

    /// A file that is not scanned at all (too large, unreadable...): its report and finding.
    pub fn not_scanned(&self, path: &str, bytes: u64, reason: &str) -> (FileReport, Vec<Finding>) {
        let report = FileReport::new(path, FileStatus::NotScanned(reason.to_string()), bytes);
        let mut out = Vec::new();
        self.push(
            &mut out,
            &FilePath::new(path),
            Finding::new(
                not_scanned::NotScanned::ID,
                Span::point(Pos::START),
                format!("file not scanned: {reason}"),
            ),
        );
        (report, out)
    }

    fn push(&self, out: &mut Vec<Finding>, path: &FilePath, f: Finding) {
        out.extend(self.emit_at(path, f));
    }

    /// The one emitter of findings built outside the object checks (the text, file and render
    /// rules): the finding at `path` with its rule's effective severity, or `None` when the rule
    /// is off.
    pub fn emit(&self, path: &str, f: Finding) -> Option<Finding> {
        self.emit_at(&FilePath::new(path), f)
    }

    /// [`Engine::emit`] with the path shared by the findings of a file.
    pub fn emit_at(&self, path: &FilePath, mut f: Finding) -> Option<Finding> {
        let sev = self.severity(&f.rule)?;
        f.severity = sev;
        f.path = path.clone();
        Some(f)
    }

    /// Scans one file's bytes: decoded as Kubernetes decodes them (UTF-8, or UTF-16/UTF-32 with
    /// a byte order mark; see [`crate::model::decode`]), then scanned as text. A decoding problem
    /// is a `CLUSTERSEC_YAML_SYNTAX` finding at its position, and the rest is still scanned.
    pub fn scan_bytes(&self, path: &str, bytes: &[u8]) -> (FileReport, Vec<Finding>) {
        let size = bytes.len() as u64;
        let decoded = crate::model::decode::decode(bytes);
        // Checked on the decoded text: UTF-16 text is full of NUL bytes.
        let head = decoded.text.as_bytes();
        if head
            .get(..head.len().min(8192))
            .unwrap_or_default()
            .contains(&0)
        {
            return self.not_scanned(path, size, "binary content (NUL bytes)");
        }
        let (mut report, mut out) = self.scan_text(path, &decoded.text);
        report.bytes = size;
        if let Some(first) = decoded.errors.first() {
            report.status = FileStatus::Scanned;
            report
                .parse_error
                .get_or_insert_with(|| first.message.clone());
        }
        let shared = FilePath::new(path);
        for e in &decoded.errors {
            self.push(
                &mut out,
                &shared,
                Finding::new(
                    yaml_syntax::YamlSyntax::ID,
                    Span::point(e.pos),
                    e.message.clone(),
                ),
            );
        }
        (report, out)
    }

    /// Scans one file's text.
    pub fn scan_text(&self, path: &str, text: &str) -> (FileReport, Vec<Finding>) {
        if !crate::model::json::is_json(text) {
            if let Some(scanned) = self.scan_streamed(path, text) {
                return scanned;
            }
        }
        self.scan_whole(path, text)
    }

    /// [`Engine::scan_text`] of the whole text as one parsed stream (JSON, and YAML with syntax
    /// errors: recovery and repair need the whole text).
    fn scan_whole(&self, path: &str, text: &str) -> (FileReport, Vec<Finding>) {
        let stream = parse_input_with(text, self.lean_parse());
        let mut report = FileReport::new(path, FileStatus::Scanned, text.len() as u64);
        let path = &FilePath::new(path);
        report.documents = stream.documents.len();
        if !is_scannable(&stream, text) {
            report.status = FileStatus::NotKubernetes;
            return (report, Vec::new());
        }
        let mut out = Vec::new();
        self.diagnostic_findings(&stream, path, &mut report, &mut out);
        let wildcard_roles = rules::data::rbac::wildcard_roles(&stream.documents);
        // Where each object is, in stream order, to attach diagnostics to objects below.
        let mut placed: Vec<(Span, Arc<ObjectRef>)> = Vec::new();
        // Suppression annotations of the objects (`clustersec.io/ignore`, `datree.skip/RULE`).
        let mut annotated = Vec::new();
        for doc in &stream.documents {
            let objects = objects_of(doc);
            placed.extend(
                objects
                    .iter()
                    .map(|o| (o.node.span, Arc::new(o.id.clone()))),
            );
            let mut objects_out = Vec::new();
            let mut checked = Checked {
                report: &mut report,
                out: &mut objects_out,
                annotated: &mut annotated,
            };
            self.check_objects(path, &objects, &wildcard_roles, &mut checked);
            out.append(&mut objects_out);
        }
        // Attach objects to diagnostics by position.
        let locate = ObjectLocator::new(&placed);
        for f in &mut out {
            if f.object.is_none() {
                f.object = locate.at(f.span.start).cloned();
            }
        }
        let stale = crate::suppress::annotations::apply(&mut annotated, &mut out, |id| {
            self.severity(id).is_some()
        });
        for f in stale {
            self.push(&mut out, path, f);
        }
        (report, out)
    }

    /// Runs the rules on the objects of one document: counts them in the report, and adds their
    /// findings and their suppression annotations.
    fn check_objects(
        &self,
        path: &FilePath,
        objects: &[Object<'_>],
        wildcard_roles: &[rules::data::rbac::WildcardRole],
        checked: &mut Checked<'_>,
    ) {
        for obj in objects {
            checked.report.objects += 1;
            let mut shape = Vec::new();
            let pod = PodSpec::of(obj, &mut shape);
            if self.parse_only {
                std::hint::black_box(&pod);
                continue;
            }
            let (found, ns_found, seen) =
                self.object_findings(obj, pod.as_ref(), &shape, wildcard_roles, checked.annotated);
            if let Some(pod) = pod.as_ref() {
                let level = self.pss_level(obj, pod, &shape, seen);
                if let Some(n) = checked.report.pss_levels.get_mut(level as usize) {
                    *n += 1;
                }
            }
            self.push_object_findings(checked.out, path, obj, pod.as_ref(), found, &ns_found);
        }
    }

    /// [`Engine::scan_text`] of a YAML stream read one document at a time (see
    /// [`crate::model::yaml::each_document`]): each document is parsed, checked and dropped, so
    /// a file of many documents never becomes one tree. What needs more than one document is
    /// kept apart: whether the file holds an object or hit a parser limit (else it is not
    /// Kubernetes and has no findings), the Roles that grant everything (bindings may come
    /// before their role: the documents with bindings are checked at the end, with every role
    /// known), and the objects' suppression annotations (applied to the file's findings at the
    /// end). The findings are those of the whole-file path, in the same order but for the
    /// documents with bindings. `None` when the text has a syntax error: the whole-file path
    /// (recovery, indentation repair) takes it.
    fn scan_streamed(&self, path: &str, text: &str) -> Option<(FileReport, Vec<Finding>)> {
        let mut st = Streamed {
            report: FileReport::new(path, FileStatus::Scanned, text.len() as u64),
            diagnostics_out: Vec::new(),
            objects_out: Vec::new(),
            annotated: Vec::new(),
            wildcard_roles: Vec::new(),
            deferred: Vec::new(),
            has_objects: false,
            has_limits: false,
        };
        let lean = self.lean_parse();
        let shared = FilePath::new(path);
        let parsed = crate::model::yaml::each_document(text, lean, &mut |doc, diagnostics| {
            self.stream_document(&shared, &mut st, doc, diagnostics);
        });
        if !parsed {
            return None;
        }
        let mut report = st.report;
        for doc in &st.deferred {
            let mut checked = Checked {
                report: &mut report,
                out: &mut st.objects_out,
                annotated: &mut st.annotated,
            };
            self.check_objects(&shared, &objects_of(doc), &st.wildcard_roles, &mut checked);
        }
        if !(st.has_objects || st.has_limits) {
            let documents = report.documents;
            let mut report = FileReport::new(path, FileStatus::NotKubernetes, text.len() as u64);
            report.documents = documents;
            return Some((report, Vec::new()));
        }
        // The diagnostics' findings first: put in front of the objects' (most often there are
        // none) rather than the objects' copied after them (a file may have hundreds of
        // thousands of findings, and its text is still held here).
        let mut out = st.objects_out;
        if !st.diagnostics_out.is_empty() {
            out.splice(0..0, st.diagnostics_out);
        }
        let stale = crate::suppress::annotations::apply(&mut st.annotated, &mut out, |id| {
            self.severity(id).is_some()
        });
        for f in stale {
            self.push(&mut out, &shared, f);
        }
        Some((report, out))
    }

    /// One document of [`Engine::scan_streamed`]: its diagnostics' findings, then its objects
    /// checked, unless it holds a binding (checked at the end, once every role is known).
    fn stream_document(
        &self,
        path: &FilePath,
        st: &mut Streamed,
        doc: Document,
        diagnostics: Vec<Diagnostic>,
    ) {
        st.report.documents += 1;
        st.has_objects |= doc.root.as_ref().is_some_and(is_object);
        st.has_limits |= diagnostics.iter().any(is_limit);
        let objects = objects_of(&doc);
        if !diagnostics.is_empty() {
            // Attach objects to diagnostics by position: a diagnostic of a document lies in it.
            let placed: Vec<(Span, Arc<ObjectRef>)> = objects
                .iter()
                .map(|o| (o.node.span, Arc::new(o.id.clone())))
                .collect();
            let locate = ObjectLocator::new(&placed);
            for d in &diagnostics {
                let mut f = self.diagnostic(d, &[]);
                f.object = locate.at(f.span.start).cloned();
                self.push(&mut st.diagnostics_out, path, f);
            }
        }
        st.wildcard_roles
            .extend(rules::data::rbac::wildcard_roles_of(&objects));
        let binds = objects
            .iter()
            .any(|o| matches!(o.kind(), "RoleBinding" | "ClusterRoleBinding"));
        if binds {
            drop(objects);
            st.deferred.push(doc);
            return;
        }
        let mut checked = Checked {
            report: &mut st.report,
            out: &mut st.objects_out,
            annotated: &mut st.annotated,
        };
        self.check_objects(path, &objects, &st.wildcard_roles, &mut checked);
    }

    /// The findings of the stream's diagnostics; the first syntax error is the file's parse error.
    fn diagnostic_findings(
        &self,
        stream: &crate::model::yaml::Stream,
        path: &FilePath,
        report: &mut FileReport,
        out: &mut Vec<Finding>,
    ) {
        for d in &stream.diagnostics {
            let f = self.diagnostic(d, &stream.documents);
            if let Diagnostic::Syntax { message, pos } = d {
                report
                    .parse_error
                    .get_or_insert_with(|| format!("{}:{}: {message}", pos.line, pos.col));
            }
            self.push(out, path, f);
        }
    }

    /// The findings of the enabled rules on one object (and of its namespace's PSS policy, also
    /// returned apart), with PSS duplicates dropped; notes the object's suppression annotations.
    fn object_findings(
        &self,
        obj: &Object<'_>,
        pod: Option<&PodSpec<'_>>,
        shape: &[crate::model::pod::ShapeError],
        wildcard_roles: &[rules::data::rbac::WildcardRole],
        annotated: &mut Vec<crate::suppress::annotations::ObjectSuppressions>,
    ) -> (Vec<Finding>, Vec<Finding>, PssSeen) {
        annotated.extend(crate::suppress::annotations::ObjectSuppressions::of(
            obj,
            self.registry(),
        ));
        let mut cx = Cx::new(obj, pod, shape);
        cx.kube_version = self.kube_version;
        cx.openshift = self.openshift;
        cx.pss_version = self.pss_version.resolve();
        cx.wildcard_roles = wildcard_roles;
        let ns_policy = pod.and(self.namespace_policy(obj));
        let mut seen = PssSeen {
            restricted: false,
            baseline: false,
            controls_ran: ns_policy.is_none(),
        };
        for (entry, plan) in self.registry.iter().zip(&self.plan) {
            if ns_policy.is_some() && plan.control {
                continue; // judged at the namespace's level below
            }
            if plan.enabled {
                let before = cx.findings.len();
                entry.rule().check(&mut cx);
                if plan.pss && plan.builtin {
                    for f in cx.findings.get(before..).unwrap_or_default() {
                        let (r, b) = pss_weight(&f.rule);
                        seen.restricted |= r;
                        seen.baseline |= b;
                    }
                }
            }
        }
        let mut found = cx.into_findings();
        let mut ns_found = Vec::new();
        if let (Some((ns, policy)), Some(pod)) = (ns_policy, pod) {
            ns_found = self.namespace_findings(obj, pod, shape, ns, policy);
            found.extend(ns_found.iter().cloned());
        }
        let pss_found: Vec<crate::rules::RuleId> = found
            .iter()
            .map(|f| f.rule.clone())
            .filter(|r| r.starts_with("PSS_"))
            .collect();
        rules::data::pss::drop_duplicates(&mut found);
        // A suppression of a PSS finding dropped for an original one is not stale.
        if let Some(s) = annotated.last_mut() {
            for rule in pss_found {
                if !found.iter().any(|f| f.rule == rule) {
                    s.mark_merged(&obj.id, &rule);
                }
            }
        }
        (found, ns_found, seen)
    }

    /// Adds an object's findings: with the object and its container; those of the namespace's
    /// policy keep the severity it set.
    fn push_object_findings(
        &self,
        out: &mut Vec<Finding>,
        path: &FilePath,
        obj: &Object<'_>,
        pod: Option<&PodSpec<'_>>,
        found: Vec<Finding>,
        ns_found: &[Finding],
    ) {
        if found.is_empty() {
            return;
        }
        // One copy of the object's identity, shared by its findings.
        let id = Arc::new(obj.id.clone());
        for mut f in found {
            f.object = Some(Arc::clone(&id));
            f.container_ref = pod
                .as_ref()
                .zip(f.field.as_ref())
                .and_then(|(pod, field)| crate::finding::ContainerRef::of_field(pod, field));
            if ns_found
                .iter()
                .any(|n| n.rule == f.rule && n.span == f.span)
            {
                // Severity set by the namespace policy; the rule may be off by default.
                f.path = path.clone();
                out.push(f);
            } else {
                self.push(out, path, f);
            }
        }
    }

    fn diagnostic(&self, d: &Diagnostic, docs: &[Document]) -> Finding {
        let _ = docs;
        match d {
            Diagnostic::Syntax { pos, message } => Finding::new(
                yaml_syntax::YamlSyntax::ID,
                Span::point(*pos),
                format!("YAML syntax error: {message}; this document was not scanned"),
            ),
            Diagnostic::DuplicateKey { key, first, second } => Finding::new(
                duplicate_key::DuplicateKey::ID,
                *second,
                format!(
                    "duplicate key `{key}` (first{}); Kubernetes keeps only the last occurrence",
                    crate::finding::line_mark(first.start.line)
                ),
            )
            .related(*first, format!("first `{key}`, ignored by Kubernetes")),
            Diagnostic::Decode { span, message } => Finding::new(
                yaml_syntax::YamlSyntax::ID,
                *span,
                format!("YAML error: {message}; Kubernetes rejects this document"),
            ),
            Diagnostic::NonScalarKey { span } => Finding::new(
                wrong_type::WrongType::ID,
                *span,
                "mapping key is a collection; Kubernetes needs string keys",
            ),
            Diagnostic::UnknownAnchor { span } => Finding::new(
                yaml_syntax::YamlSyntax::ID,
                *span,
                "alias to an anchor that is not defined",
            ),
            Diagnostic::AliasBudget { span } => Finding::new(
                not_scanned::NotScanned::ID,
                *span,
                "document not scanned: alias expansion exceeds the node budget (a \"billion laughs\" document)",
            ),
            Diagnostic::TooDeep { span } => Finding::new(
                not_scanned::NotScanned::ID,
                *span,
                format!(
                    "document not scanned: nesting deeper than {} levels",
                    crate::model::yaml::MAX_DEPTH
                ),
            ),
        }
    }
}

/// What the findings of the PSS rules that ran on an object showed, for [`Engine::pss_level`].
#[derive(Clone, Copy, Debug)]
struct PssSeen {
    /// A finding that counts against the restricted level.
    restricted: bool,
    /// A finding that counts against the baseline level.
    baseline: bool,
    /// Whether the enabled PSS controls ran at the engine's version (not when the object's
    /// namespace sets the level: they ran at the namespace's).
    controls_ran: bool,
}

/// Whether a finding of `rule` counts against the restricted and the baseline level.
fn pss_weight(rule: &str) -> (bool, bool) {
    use rules::data::pss::{in_profile, Level};
    (
        in_profile(rule, Level::Restricted),
        in_profile(rule, Level::Baseline),
    )
}

/// What [`Engine::scan_streamed`] keeps of a file while its documents come and go.
struct Streamed {
    report: FileReport,
    /// The diagnostics' findings, then the objects' (the whole-file path's order).
    diagnostics_out: Vec<Finding>,
    objects_out: Vec<Finding>,
    annotated: Vec<crate::suppress::annotations::ObjectSuppressions>,
    wildcard_roles: Vec<rules::data::rbac::WildcardRole>,
    /// Documents with bindings, checked last.
    deferred: Vec<Document>,
    has_objects: bool,
    has_limits: bool,
}

/// What checking a file's objects adds to: its report, its findings and the objects'
/// suppression annotations.
struct Checked<'a> {
    report: &'a mut FileReport,
    out: &'a mut Vec<Finding>,
    annotated: &'a mut Vec<crate::suppress::annotations::ObjectSuppressions>,
}

/// A diagnostic that stops the scan of a document for a limit (the file is then scanned).
fn is_limit(d: &Diagnostic) -> bool {
    matches!(
        d,
        Diagnostic::AliasBudget { .. } | Diagnostic::TooDeep { .. }
    )
}

/// Finds the object of a stream that contains a position: the last one, in stream order, whose
/// span holds it. Objects of a stream follow each other without overlapping, so a binary search
/// finds it (one lookup per finding stays logarithmic however many documents a file has); spans
/// that do not follow each other fall back to a scan from the end.
struct ObjectLocator<'a> {
    objects: &'a [(Span, Arc<ObjectRef>)],
    ordered: bool,
}

impl<'a> ObjectLocator<'a> {
    fn new(objects: &'a [(Span, Arc<ObjectRef>)]) -> ObjectLocator<'a> {
        let ordered = objects
            .windows(2)
            .all(|w| matches!(w, [(a, _), (b, _)] if a.start <= a.end && a.end <= b.start));
        ObjectLocator { objects, ordered }
    }

    fn at(&self, pos: Pos) -> Option<&'a Arc<ObjectRef>> {
        let holds = |s: &Span| s.start <= pos && pos <= s.end;
        if self.ordered {
            // Every object before the last one starting at or before `pos` ends at or before
            // that one's start, so only that one can be the last that holds `pos`.
            let n = self.objects.partition_point(|(s, _)| s.start <= pos);
            let (span, id) = self.objects.get(n.checked_sub(1)?)?;
            holds(span).then_some(id)
        } else {
            self.objects
                .iter()
                .rev()
                .find(|(s, _)| holds(s))
                .map(|(_, id)| id)
        }
    }
}

/// Whether text that failed to parse was meant to be a Kubernetes manifest: it has both an
/// `apiVersion` and a `kind` key, wherever they sit (one per line in YAML, anywhere on the one
/// line of a minified JSON file).
fn looks_like_kubernetes(text: &str) -> bool {
    has_key(text, "apiVersion") && has_key(text, "kind")
}

/// Whether `key` appears as a mapping key: preceded by the start of the text, white space, `{`,
/// `,`, `-` or a quote, and followed (after an optional closing quote and blanks) by `:`.
fn has_key(text: &str, key: &str) -> bool {
    text.match_indices(key).any(|(at, _)| {
        let before = text.get(..at).and_then(|s| s.chars().next_back());
        let starts = before
            .is_none_or(|c| c.is_whitespace() || matches!(c, '{' | ',' | '-' | '"' | '\'' | '?'));
        let after = text.get(at + key.len()..).unwrap_or("");
        let after = after.strip_prefix(['"', '\'']).unwrap_or(after);
        starts && after.trim_start_matches([' ', '\t']).starts_with(':')
    })
}

/// Whether a parsed text is scanned: it holds an object, hit a parser limit, or failed to parse
/// while looking like Kubernetes.
fn is_scannable(stream: &crate::model::yaml::Stream, text: &str) -> bool {
    let has_objects = stream
        .documents
        .iter()
        .any(|d| d.root.as_ref().is_some_and(is_object));
    let has_limits = stream.diagnostics.iter().any(|d| {
        matches!(
            d,
            Diagnostic::AliasBudget { .. } | Diagnostic::TooDeep { .. }
        )
    });
    let has_syntax = stream
        .diagnostics
        .iter()
        .any(|d| matches!(d, Diagnostic::Syntax { .. }));
    has_objects || has_limits || (has_syntax && looks_like_kubernetes(text))
}

#[cfg(test)]
mod reader_tests {
    use super::*;

    #[test]
    fn manifests_are_recognised_whatever_their_layout() {
        assert!(looks_like_kubernetes("apiVersion: v1\nkind: Pod\n"));
        assert!(looks_like_kubernetes(
            r#"{"apiVersion":"v1","kind":"Pod","spec":{"#
        ));
        assert!(looks_like_kubernetes("- apiVersion: v1\n  kind : Pod"));
        assert!(!looks_like_kubernetes("name: apiVersionkind\nkinds: 1\n"));
        assert!(!looks_like_kubernetes("on: push\njobs: {}\n"));
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn sorted(mut f: Vec<Finding>) -> Vec<Finding> {
        f.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        f
    }

    /// Scanned one document at a time and as one tree, a text gives the same report and the
    /// same findings (the documents with bindings are checked last: compared sorted).
    fn assert_same(engine: &Engine, path: &str, text: &str) {
        let whole = engine.scan_whole(path, text);
        let (report, found) = engine.scan_text(path, text);
        assert_eq!(format!("{report:?}"), format!("{:?}", whole.0), "{path}");
        assert_eq!(sorted(found), sorted(whole.1), "{path}");
    }

    #[test]
    fn every_fixture_scans_the_same_one_document_at_a_time() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let yaml = crate::test_files::yaml_files(&root, (4 << 20) - 1);
        assert!(yaml.len() > 100, "fixtures not found under {root:?}");
        let engine = Engine::default();
        let parse_only = Engine::default().with_parse_only(true);
        let mut streamed = 0;
        for p in &yaml {
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            let text = crate::model::decode::decode(&bytes).text.into_owned();
            let name = p.display().to_string();
            assert_same(&engine, &name, &text);
            assert_same(&parse_only, &name, &text);
            if !crate::model::json::is_json(&text) && engine.scan_streamed(&name, &text).is_some() {
                streamed += 1;
            }
        }
        assert!(
            streamed > 100,
            "only {streamed} fixtures took the streamed path"
        );
    }

    #[test]
    fn cross_document_verdicts_are_kept() {
        let engine = Engine::default();
        // A binding before the role that grants everything; an object suppressed by the
        // annotation of a later object with the same identity; a duplicate key.
        let text = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: nginx, image: nginx:1.27}]
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {clustersec.io/ignore: 'CUSTOM_SECURITY_PRIVILEGE_CHECK: reviewed'}
spec:
  containers: [{name: c, image: nginx:1.27}]
";
        assert!(engine.scan_streamed("t.yaml", text).is_some());
        assert_same(&engine, "t.yaml", text);
        let (_, found) = engine.scan_text("t.yaml", text);
        assert!(found
            .iter()
            .any(|f| f.rule == "CLUSTERSEC_RBAC_BROAD_BINDING"));
        assert!(found
            .iter()
            .any(|f| f.rule == "CLUSTERSEC_DUPLICATE_KEY" && f.object.is_some()));
    }

    #[test]
    fn syntax_errors_and_other_texts_take_the_whole_file_path() {
        let engine = Engine::default();
        let broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: a\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n";
        assert!(engine.scan_streamed("b.yaml", broken).is_none());
        assert_same(&engine, "b.yaml", broken);
        let not_k8s = "a: 1\n---\nb: [2]\n---\n";
        let (report, found) = engine.scan_text("n.yaml", not_k8s);
        assert_eq!(report.status, FileStatus::NotKubernetes);
        assert_eq!(report.documents, 3);
        assert!(found.is_empty());
        assert_same(&engine, "n.yaml", not_k8s);
    }

    #[test]
    fn a_large_file_in_a_two_thread_pool_gives_the_same_findings() {
        let doc = |i: usize| {
            format!(
                "---\n# Source: chart/templates/t{i}.yaml\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, name: q{i}}}\nspec:\n  containers: [{{name: c, image: nginx}}]\n"
            )
        };
        let mut text = String::from(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: n}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: all}\nsubjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]\n",
        );
        let mut i = 0;
        while text.len() < (1 << 20) + 4096 {
            text.push_str(&doc(i));
            i += 1;
        }
        text.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: all, namespace: n}\nrules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n");
        let engine = Engine::default();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a thread pool");
        let (report, found) = pool.install(|| engine.scan_text("big.yaml", &text));
        let whole = engine.scan_whole("big.yaml", &text);
        assert_eq!(report.documents, i + 2);
        assert_eq!(format!("{report:?}"), format!("{:?}", whole.0));
        assert!(found
            .iter()
            .any(|f| f.rule == "CLUSTERSEC_RBAC_BROAD_BINDING"));
        assert_eq!(sorted(found), sorted(whole.1));
        // A syntax error at the end: the whole-file path, with its recovery.
        text.push_str("---\nkind: Pod\nmetadata: {name: x\n");
        let (report, found) = pool.install(|| engine.scan_text("big.yaml", &text));
        let whole = engine.scan_whole("big.yaml", &text);
        assert!(report.parse_error.is_some());
        assert_eq!(format!("{report:?}"), format!("{:?}", whole.0));
        assert_eq!(sorted(found), sorted(whole.1));
    }
}

#[cfg(test)]
mod pss_level_tests {
    use super::*;

    #[test]
    fn containers_of_fields_match_the_segment_wise_comparison() {
        let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
  spec:
    template:
      spec:
        initContainers: [{name: i}]
        containers: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}, {name: g}, {name: h}, {name: j}, {name: k}, {name: l}]
";
        let stream = parse_input_with(text, false);
        let mut checked = 0;
        for doc in &stream.documents {
            for obj in objects_of(doc) {
                let Some(pod) = PodSpec::of(&obj, &mut Vec::new()) else {
                    continue;
                };
                let mut paths = vec![String::new(), pod.path.clone(), format!("{}.", pod.path)];
                for c in &pod.containers {
                    for tail in [
                        "",
                        ".",
                        "..x",
                        ".securityContext",
                        ".securityContext.runAsUser",
                        "[0]",
                        "[01]",
                        "[+1]",
                        "]",
                        "x",
                        "0",
                        "0]",
                        ".a[1]",
                        ".a[1",
                        ".a[x]",
                        ".a[]",
                        ".[1]",
                        ".a]b",
                    ] {
                        paths.push(format!("{}{tail}", c.path));
                    }
                    paths.push(c.path.replace("containers[", "containers[+"));
                    paths.push(c.path.replace("spec.", "spec.."));
                    paths.push(c.path.replace(']', "]["));
                }
                for p in paths {
                    let field = crate::finding::FieldPath::parse(&p);
                    // The answer read from the paths' text where it decides, against the
                    // segment-by-segment comparison.
                    let segment_wise = pod
                        .containers
                        .iter()
                        .find(|c| {
                            let prefix = crate::finding::FieldPath::parse(&c.path);
                            field.segments().starts_with(prefix.segments())
                        })
                        .map(|c| crate::finding::ContainerRef {
                            kind: c.kind,
                            index: c.index,
                        });
                    assert_eq!(
                        crate::finding::ContainerRef::of_field(&pod, &field),
                        segment_wise,
                        "{p}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 200);
    }
    use crate::rules::data::pss::{Level, NamespacePolicy, PssVersion};

    /// Every YAML and JSON fixture's text (files under 1 MiB).
    fn fixture_texts() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        crate::test_files::yaml_files(&root, (1 << 20) - 1)
            .iter()
            .filter_map(|p| {
                let bytes = std::fs::read(p).ok()?;
                let text = crate::model::decode::decode(&bytes).text.into_owned();
                Some((p.display().to_string(), text))
            })
            .collect()
    }

    /// Every object's level, computed with the findings of the run reused and by running every
    /// PSS rule again; returns how many workloads were compared.
    fn assert_same_levels(engine: &Engine, texts: &[(String, String)]) -> usize {
        let mut compared = 0;
        for (name, text) in texts {
            let stream = parse_input_with(text, engine.lean_parse());
            for doc in &stream.documents {
                for obj in objects_of(doc) {
                    let mut shape = Vec::new();
                    let Some(pod) = PodSpec::of(&obj, &mut shape) else {
                        continue;
                    };
                    let mut annotated = Vec::new();
                    let (_, _, seen) =
                        engine.object_findings(&obj, Some(&pod), &shape, &[], &mut annotated);
                    assert_eq!(
                        engine.pss_level(&obj, &pod, &shape, seen),
                        engine.pss_level_by_running_all(&obj, &pod, &shape),
                        "{name}: {}",
                        obj.id.display()
                    );
                    compared += 1;
                }
            }
        }
        compared
    }

    fn all_rules(on: bool) -> BTreeMap<String, RuleSettings> {
        Registry::builtin()
            .metas()
            .map(|m| {
                let s = RuleSettings {
                    enabled: Some(on),
                    ..RuleSettings::default()
                };
                (m.id.to_string(), s)
            })
            .collect()
    }

    #[test]
    fn reused_findings_give_the_level_every_pss_rule_gives() {
        let texts = fixture_texts();
        let none = BTreeMap::new();
        let Ok(restricted) = Engine::with_profile(&none, Some(Level::Restricted)) else {
            panic!("restricted profile engine");
        };
        let Ok(baseline) = Engine::with_profile(&none, Some(Level::Baseline)) else {
            panic!("baseline profile engine");
        };
        let Ok(all_on) = Engine::new(&all_rules(true)) else {
            panic!("all rules on");
        };
        let Ok(all_off) = Engine::new(&all_rules(false)) else {
            panic!("all rules off");
        };
        let engines = [
            Engine::default(),
            restricted,
            baseline,
            all_on,
            all_off,
            Engine::default().with_pss_version(PssVersion::Minor(22)),
            Engine::default().with_pss_version(PssVersion::Minor(35)),
        ];
        for engine in &engines {
            let compared = assert_same_levels(engine, &texts);
            assert!(compared > 100, "only {compared} workloads compared");
        }
    }

    #[test]
    fn objects_judged_by_their_namespace_get_the_same_level() {
        let texts = fixture_texts();
        // Every namespace the fixtures name enforces a level at an older version: the enabled
        // PSS controls then run at that version, and the level needs them run again.
        let mut namespaces = BTreeMap::new();
        for (_, text) in &texts {
            let stream = parse_input_with(text, false);
            for doc in &stream.documents {
                for obj in objects_of(doc) {
                    if let Some(ns) = obj.id.namespace.clone() {
                        let policy = NamespacePolicy {
                            enforce: Some((Level::Baseline, PssVersion::Minor(23))),
                            report_only: vec![("warn", Level::Restricted, PssVersion::Latest)],
                        };
                        namespaces.insert(ns, policy);
                    }
                }
            }
        }
        assert!(!namespaces.is_empty());
        let engine = Engine::default().with_namespaces(namespaces);
        assert!(assert_same_levels(&engine, &texts) > 100);
    }
}
