//! Spreading one scan over several CI jobs: `scan --shard K/N` keeps a deterministic share of the
//! files, and `clustersec merge` (or `clustersec report`) reads the shards' JSON reports back
//! into one [`Report`] that every format can be written from.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::discover::Discovery;
use crate::finding::{Finding, Related, Severity};
use crate::model::object::ObjectRef;
use crate::model::{Pos, Span};
use crate::outcome::{FileReport, FileStatus};
use crate::report::{Report, Verdict};
use crate::rules::RuleMeta;

/// The largest report `merge` reads (1 GiB).
pub const MAX_REPORT_SIZE: u64 = 1 << 30;

/// `K/N`: shard K (1-based) of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: expected K/N, e.g. 1/4"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: K is not a number"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("`{text}`: N is not a number"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!("`{text}`: K must be between 1 and N"));
        }
        if n > 4096 {
            return Err(format!("`{text}`: at most 4096 shards"));
        }
        Ok(Shard { index: k, count: n })
    }
}

/// Whether `path` (a display path) lies in the directory `dir` (a display path).
fn inside(path: &str, dir: &str) -> bool {
    dir == "." || dir.is_empty() || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The unit a path belongs to: the outermost chart or kustomization directory that holds it (a
/// chart or kustomization stays whole in one shard), else the path itself.
fn unit_of<'a>(path: &'a str, dirs: &'a [String]) -> &'a str {
    dirs.iter()
        .find(|d| inside(path, d) || path == d.as_str())
        .map_or(path, String::as_str)
}

/// Keeps the files, charts and kustomizations of `shard` in `discovery`. The units (a file, or a
/// whole chart or kustomization directory) are spread by bytes, largest first, each to the shard
/// with the fewest bytes so far (ties to the lower shard, then by path): the same files give the
/// same shares on every machine. Files left out by `--exclude` are counted in shard 1 only.
pub fn select(discovery: &mut Discovery, shard: Shard) {
    // Outermost first: a directory is listed before those below it.
    let mut dirs: Vec<String> = discovery
        .charts
        .iter()
        .chain(&discovery.kustomizations)
        .map(|d| d.display.clone())
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut outer: Vec<String> = Vec::new();
    for d in dirs {
        if !outer.iter().any(|o| inside(&d, o)) {
            outer.push(d);
        }
    }
    // A kustomization and everything it builds (its bases, their resources, its patches) are
    // one unit: an overlay is never split from its base.
    let mut joined = Joined::default();
    if !discovery.kustomizations.is_empty() {
        let canonical: BTreeMap<std::path::PathBuf, &str> = discovery
            .candidates
            .iter()
            .filter_map(|c| match &c.input {
                crate::discover::Input::Path(p) => {
                    Some((std::fs::canonicalize(p).ok()?, c.display.as_str()))
                }
                crate::discover::Input::Stdin | crate::discover::Input::Memory(_) => None,
            })
            .collect();
        let plan = crate::render::kustomize::plan(&discovery.kustomizations);
        for top in &plan.top {
            let unit = unit_of(&top.display, &outer).to_string();
            for f in plan.files.get(&top.display).into_iter().flatten() {
                if let Some(display) = canonical.get(f) {
                    joined.union(&unit, unit_of(display, &outer));
                }
            }
        }
        for (patch, listed_in) in &plan.patches {
            if let Some(display) = canonical.get(patch) {
                joined.union(unit_of(listed_in, &outer), unit_of(display, &outer));
            }
        }
    }
    let root = |path: &str| joined.root(unit_of(path, &outer));
    let mut bytes: BTreeMap<String, u64> = BTreeMap::new();
    for d in &outer {
        bytes.entry(root(d)).or_insert(0);
    }
    for c in &discovery.candidates {
        *bytes.entry(root(&c.display)).or_default() += c.size;
    }
    for s in &discovery.skipped {
        *bytes.entry(root(&s.path)).or_default() += s.bytes;
    }
    let mut units: Vec<(u64, String)> = bytes.into_iter().map(|(k, b)| (b, k)).collect();
    units.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut load = vec![0u64; shard.count];
    let mut mine: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (b, unit) in units {
        let (i, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(i, l)| (**l, *i))
            .unwrap_or((0, &0));
        if let Some(l) = load.get_mut(i) {
            // One byte at least, so that empty files spread too.
            *l += b.max(1);
        }
        if i + 1 == shard.index {
            mine.insert(unit);
        }
    }
    let keep = |path: &str| mine.contains(&root(path));
    discovery.candidates.retain(|c| keep(&c.display));
    discovery.skipped.retain(|s| keep(&s.path));
    discovery.charts.retain(|d| keep(&d.display));
    discovery.kustomizations.retain(|d| keep(&d.display));
    if shard.index != 1 {
        discovery.excluded = 0;
    }
}

/// Units joined together (a union-find over unit names); the representative of a group is its
/// smallest name, so the grouping does not depend on the order of the unions.
#[derive(Default)]
struct Joined {
    parent: BTreeMap<String, String>,
}

impl Joined {
    fn root(&self, unit: &str) -> String {
        let mut at = unit.to_string();
        // Each step goes to a strictly smaller name, so this ends.
        while let Some(p) = self.parent.get(&at) {
            if *p >= at {
                break;
            }
            at = p.clone();
        }
        at
    }

    fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return;
        }
        let (small, big) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent.insert(big, small);
    }
}

/// Reads the JSON reports of the shards of one scan into one report: findings, suppressed
/// findings and files together (each once), the rules of the run, the summary's counts added up,
/// and the verdict worked out again from the whole, as if one scan had run.
pub fn merge(inputs: &[(String, String)]) -> Result<Report, String> {
    merge_with(inputs, crate::rules::Registry::builtin())
}

/// [`merge`] with the run's rules (a rule added at run time is known by its id).
pub fn merge_with(
    inputs: &[(String, String)],
    registry: crate::rules::Registry,
) -> Result<Report, String> {
    let meta = |id: &str| -> Option<&RuleMeta> { registry.meta(id) };
    let mut findings = Vec::new();
    let mut suppressed = Vec::new();
    let mut files: BTreeMap<String, FileReport> = BTreeMap::new();
    let mut rules: BTreeMap<crate::rules::RuleId, (RuleMeta, Severity)> = BTreeMap::new();
    let mut counts = crate::render::Counts::default();
    let mut excluded = 0usize;
    let mut kube_version = None;
    let mut config: Option<Option<String>> = None;
    let mut threshold: Option<Option<Severity>> = None;
    let mut fail_on_incomplete = true;
    let mut all_empty = true;
    let mut any_verdict = false;
    // What the shards compared their findings with (`comparison.against` of their reports).
    let mut comparison: Option<String> = None;
    let mut pss: Option<crate::report::PssSummary> = None;
    for (name, text) in inputs {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("{name}: not a JSON report: {e}"))?;
        if v.get("tool")
            .and_then(|t| t.get("name"))
            .and_then(Value::as_str)
            != Some("clustersec")
        {
            return Err(format!(
                "{name}: not a clustersec JSON report (--format json)"
            ));
        }
        let version = v.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(crate::report::json::VERSION)) {
            return Err(format!(
                "{name}: JSON report version {} is not the one this clustersec writes ({})",
                version.map_or_else(|| "(none)".to_string(), |n| n.to_string()),
                crate::report::json::VERSION
            ));
        }
        let at = |what: &str| format!("{name}: {what}");
        for (list, out) in [("findings", &mut findings), ("suppressed", &mut suppressed)] {
            for f in v.get(list).and_then(Value::as_array).into_iter().flatten() {
                out.push(finding(f, &meta).map_err(|e| at(&e))?);
            }
        }
        for f in v
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let file = file(f).map_err(|e| at(&e))?;
            files.entry(file.path.clone()).or_insert(file);
        }
        for r in v
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = r.get("id").and_then(Value::as_str).unwrap_or("");
            let m = meta(id).ok_or_else(|| at(&format!("unknown rule `{id}`")))?;
            let sev = r
                .get("severity")
                .and_then(Value::as_str)
                .and_then(Severity::parse)
                .unwrap_or(m.severity);
            rules.insert(m.id.clone(), (m.clone(), sev));
        }
        let s = v.get("summary");
        let n = |k: &str| {
            s.and_then(|s| s.get(k))
                .and_then(Value::as_u64)
                .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        counts.charts_rendered += n("chartsRendered");
        counts.charts_failed += n("chartsFailed");
        counts.kustomizations_built += n("kustomizationsBuilt");
        counts.kustomizations_failed += n("kustomizationsFailed");
        excluded += n("excluded");
        if let Some(k) = v.get("kubeVersion").and_then(Value::as_str) {
            kube_version = crate::kube_version::KubeVersion::parse(k).ok();
        }
        if let Some(c) = v.get("config") {
            config.get_or_insert_with(|| c.as_str().map(str::to_string));
        }
        if let Some(a) = v
            .get("comparison")
            .and_then(|c| c.get("against"))
            .and_then(Value::as_str)
        {
            comparison.get_or_insert_with(|| a.to_string());
        }
        if let Some(p) = v.get("podSecurity").filter(|x| x.is_object()) {
            let count = |k: &str| {
                p.get(k)
                    .and_then(Value::as_u64)
                    .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
            };
            let sum = pss.get_or_insert_with(|| crate::report::PssSummary {
                version: p
                    .get("version")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                profile: match p.get("profile").and_then(Value::as_str) {
                    Some("baseline") => Some("baseline"),
                    Some("restricted") => Some("restricted"),
                    _ => None,
                },
                ..crate::report::PssSummary::default()
            });
            sum.privileged = sum.privileged.saturating_add(count("privileged"));
            sum.baseline = sum.baseline.saturating_add(count("baseline"));
            sum.restricted = sum.restricted.saturating_add(count("restricted"));
        }
        if let Some(verdict) = v.get("verdict").filter(|x| x.is_object()) {
            any_verdict = true;
            let fail_on = verdict
                .get("failOn")
                .and_then(Value::as_str)
                .unwrap_or("info");
            threshold.get_or_insert_with(|| Severity::parse(fail_on));
            fail_on_incomplete &= verdict
                .get("failOnIncomplete")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            all_empty &= verdict
                .get("empty")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        }
    }
    // Registry order, as a scan lists them.
    let order: Vec<&str> = registry.metas().map(|m| m.id.as_str()).collect();
    let mut metas: Vec<(RuleMeta, Severity)> = rules.into_values().collect();
    metas.sort_by_key(|(m, _)| order.iter().position(|id| *id == m.id));
    let mut report = Report::new(
        findings,
        files.into_values().collect(),
        metas.iter().map(|(m, _)| m.clone()).collect(),
        BTreeMap::new(),
    )
    .with_suppressed(suppressed)
    .with_excluded(excluded)
    .with_render_counts(counts)
    .with_rule_severities(metas.iter().map(|(m, s)| (m.id.clone(), *s)));
    if let Some(k) = kube_version {
        report = report.with_kube_version(k);
    }
    report.pss = pss;
    report = report.with_registry(std::sync::Arc::new(registry));
    if let Some(c) = config {
        report = report.with_config(c);
    }
    report.comparison = comparison.map(crate::report::Comparison::Described);
    if any_verdict {
        let threshold = threshold.flatten();
        // Against a baseline or a diff base (the shards' findings say new or existing), only
        // new findings count, as in one scan.
        let counted = threshold.map_or(0, |t| report.count_new_at_least(t));
        let not_checked = report.not_checked();
        let empty = all_empty && report.summary().objects == 0;
        let fails = counted > 0 || empty || (fail_on_incomplete && !not_checked.is_empty());
        let verdict = Verdict {
            threshold,
            counted,
            not_checked,
            fail_on_incomplete,
            empty,
            exit_code: i32::from(fails),
        };
        report = report.with_verdict(verdict);
    }
    Ok(report)
}

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn span(v: Option<&Value>) -> Span {
    let v = v.unwrap_or(&Value::Null);
    let n = |k: &str| u32::try_from(number(v, k)).unwrap_or(u32::MAX).max(1);
    Span {
        start: Pos::new(n("startLine"), n("startColumn")),
        end: Pos::new(n("endLine"), n("endColumn")),
    }
}

fn finding<'r>(v: &Value, meta: &dyn Fn(&str) -> Option<&'r RuleMeta>) -> Result<Finding, String> {
    let id = v.get("ruleId").and_then(Value::as_str).unwrap_or("");
    let m = meta(id).ok_or_else(|| format!("unknown rule `{id}`"))?;
    let mut f = Finding::new(
        m.id.clone(),
        span(v.get("region")),
        string(v, "message").unwrap_or_default(),
    );
    f.severity = v
        .get("severity")
        .and_then(Value::as_str)
        .and_then(Severity::parse)
        .unwrap_or(m.severity);
    f.path = string(v, "path").unwrap_or_default().into();
    f.object = v
        .get("object")
        .filter(|o| o.is_object())
        .map(|o| ObjectRef {
            api_version: string(o, "apiVersion").unwrap_or_default(),
            kind: string(o, "kind").unwrap_or_default(),
            namespace: string(o, "namespace"),
            name: string(o, "name").unwrap_or_default(),
            document: usize::try_from(number(o, "document")).unwrap_or(usize::MAX),
            item: o
                .get("item")
                .and_then(Value::as_u64)
                .map(|i| usize::try_from(i).unwrap_or(usize::MAX)),
        })
        .map(std::sync::Arc::new);
    f.container = string(v, "container");
    f.field = string(v, "field").map(crate::finding::FieldPath::from);
    f.mapping = string(v, "mapping");
    f.suppression = string(v, "suppression");
    f.suppressed_by = v
        .get("suppressedBy")
        .and_then(Value::as_str)
        .and_then(crate::finding::SuppressedBy::parse);
    f.renders = v
        .get("renders")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    f.related = v
        .get("related")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| Related {
            path: string(r, "path"),
            span: span(r.get("region")),
            message: string(r, "message").unwrap_or_default(),
        })
        .collect();
    f.baseline = match string(v, "baselineState").as_deref() {
        Some("new") => Some(crate::finding::BaselineState::New),
        Some("existing") => Some(crate::finding::BaselineState::Existing),
        _ => None,
    };
    Ok(f)
}

fn file(v: &Value) -> Result<FileReport, String> {
    let path = string(v, "path").ok_or("a file without a path")?;
    let status = match v.get("status").and_then(Value::as_str).unwrap_or("") {
        "scanned" => FileStatus::Scanned,
        "not-kubernetes" => FileStatus::NotKubernetes,
        "template" => FileStatus::Template,
        "not-scanned" => FileStatus::NotScanned(string(v, "reason").unwrap_or_default()),
        other => return Err(format!("{path}: unknown file status `{other}`")),
    };
    let mut f = FileReport::new(&path, status, number(v, "bytes"));
    f.documents = usize::try_from(number(v, "documents")).unwrap_or(usize::MAX);
    f.objects = usize::try_from(number(v, "objects")).unwrap_or(usize::MAX);
    f.parse_error = string(v, "parseError");
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn units_keep_charts_whole() {
        let dirs = vec!["charts/web".to_string()];
        assert_eq!(unit_of("charts/web/templates/a.yaml", &dirs), "charts/web");
        assert_eq!(unit_of("charts/webx/a.yaml", &dirs), "charts/webx/a.yaml");
        assert!(inside("a/b", "."));
    }
}
