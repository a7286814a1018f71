//! Suppressions written on an object, as annotations:
//!
//! - `clustersec.io/ignore: "RULE[,RULE...]"`, with the reason in `clustersec.io/ignore-reason`;
//! - Datree's `datree.skip/RULE: reason` and `datree.io/skip/RULE: reason`, so repositories
//!   migrating from Datree keep their skips.
//!
//! They are read from the object as the engine sees it: for Helm and Kustomize output, the
//! rendered object, so an annotation a template or a patch writes counts. A rule is named by its
//! id or its short name, in any case.

use crate::finding::{Finding, SuppressedBy};
use crate::model::object::{Object, ObjectRef};
use crate::model::Span;
use crate::rules::{Registry, RuleId};

/// The annotation that lists the rules to ignore.
pub const IGNORE: &str = "clustersec.io/ignore";
/// The annotation that gives the reason for [`IGNORE`].
pub const IGNORE_REASON: &str = "clustersec.io/ignore-reason";
/// Datree's skip annotation prefixes: `datree.skip/RULE`, `datree.io/skip/RULE`.
pub const DATREE_PREFIXES: [&str; 2] = ["datree.skip/", "datree.io/skip/"];

/// The longest rule name or annotation key quoted in a message, in characters.
const QUOTE_MAX: usize = 80;

/// `s`, cut to [`QUOTE_MAX`] characters (with `...` when cut): a scanned file's text is
/// quoted, but not without bound.
fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_MAX) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or("")),
        None => s.to_string(),
    }
}

/// One rule an annotation names.
#[derive(Debug, Clone)]
struct Named {
    /// As written.
    written: String,
    /// The rule's id, when the run knows it.
    id: Option<RuleId>,
    /// Whether it silenced a finding.
    used: bool,
}

/// One suppression annotation of an object.
#[derive(Debug, Clone)]
pub struct Annotation {
    key: String,
    /// The annotation, key through value.
    span: Span,
    rules: Vec<Named>,
    reason: String,
}

/// The suppression annotations of one object.
#[derive(Debug, Clone)]
pub struct ObjectSuppressions {
    object: ObjectRef,
    /// The field path of the annotations (`metadata.annotations`, with a List item's prefix):
    /// rendered output maps a stale annotation back to the template or source by it.
    field: String,
    annotations: Vec<Annotation>,
}

impl ObjectSuppressions {
    /// Reads the suppression annotations of `obj` (`metadata.annotations`, duplicates and merge
    /// keys resolved as Kubernetes reads them); `None` when it has none.
    pub fn of(obj: &Object<'_>, registry: &Registry) -> Option<ObjectSuppressions> {
        let annotations = obj.node.get("metadata")?.get("annotations")?;
        let entries = annotations.effective_entries();
        let value = |key: &str| {
            entries
                .iter()
                .find(|e| e.key_str() == key)
                .and_then(|e| e.value.as_str())
        };
        let mut out = Vec::new();
        for e in &entries {
            let key = e.key_str();
            let Some(text) = e.value.as_str() else {
                continue;
            };
            let (written, reason): (Vec<&str>, String) = if key == IGNORE {
                (
                    text.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect(),
                    value(IGNORE_REASON).unwrap_or("").trim().to_string(),
                )
            } else if let Some(rule) = DATREE_PREFIXES.iter().find_map(|p| key.strip_prefix(p)) {
                (vec![rule.trim()], text.trim().to_string())
            } else {
                continue;
            };
            let rules = written
                .into_iter()
                .map(|w| Named {
                    written: w.to_string(),
                    id: super::rule_id(registry, w),
                    used: false,
                })
                .collect();
            out.push(Annotation {
                key: key.to_string(),
                span: e.span(),
                rules,
                reason,
            });
        }
        (!out.is_empty()).then(|| ObjectSuppressions {
            object: obj.id.clone(),
            field: obj.path("metadata.annotations"),
            annotations: out,
        })
    }
}

impl ObjectSuppressions {
    /// Records that a finding of `rule` on `object` was found and then merged into another
    /// finding at the same place (a PSS control's, reported under the original rule): a
    /// suppression naming it is not stale.
    pub fn mark_merged(&mut self, object: &ObjectRef, rule: &str) {
        if &self.object != object {
            return;
        }
        for a in &mut self.annotations {
            for n in &mut a.rules {
                if n.id.as_ref().is_some_and(|id| id == rule) {
                    n.used = true;
                }
            }
        }
    }
}

/// Marks the findings of annotated objects as suppressed (unless something suppressed them
/// already), and returns a `CLUSTERSEC_STALE_SUPPRESSION` finding for each annotation naming a
/// rule that `ran` says ran and that silenced nothing, or a rule clustersec does not know.
pub fn apply(
    objects: &mut [ObjectSuppressions],
    findings: &mut [Finding],
    ran: impl Fn(&str) -> bool,
) -> Vec<Finding> {
    if objects.is_empty() {
        return Vec::new();
    }
    mark_suppressed(objects, findings);
    stale_annotations(objects, ran)
}

/// Marks the findings of annotated objects as suppressed (unless something suppressed them
/// already), and notes which annotations silenced something.
fn mark_suppressed(objects: &mut [ObjectSuppressions], findings: &mut [Finding]) {
    // By object, so a file of many annotated objects is not searched once per finding.
    let at: std::collections::HashMap<ObjectRef, usize> = objects
        .iter()
        .enumerate()
        .map(|(i, o)| (o.object.clone(), i))
        .collect();
    for f in findings.iter_mut() {
        let Some(obj) = f.object.as_ref() else {
            continue;
        };
        let Some(o) = at.get(&**obj).and_then(|&i| objects.get_mut(i)) else {
            continue;
        };
        for a in &mut o.annotations {
            let Some(n) = a.rules.iter_mut().find(|n| n.id.as_ref() == Some(&f.rule)) else {
                continue;
            };
            n.used = true;
            if f.suppression.is_none() {
                f.suppression = Some(if a.reason.is_empty() {
                    format!("annotation {} (no reason given)", a.key)
                } else {
                    a.reason.clone()
                });
                f.suppressed_by = Some(SuppressedBy::Annotation);
            }
        }
    }
}

/// A `CLUSTERSEC_STALE_SUPPRESSION` finding for each annotation naming a rule that `ran` says
/// ran and that silenced nothing, or a rule clustersec does not know.
fn stale_annotations(objects: &[ObjectSuppressions], ran: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut stale = Vec::new();
    for o in objects.iter() {
        for a in &o.annotations {
            let unknown: Vec<String> = a
                .rules
                .iter()
                .filter(|n| n.id.is_none())
                .map(|n| quote(&n.written))
                .collect();
            let unused: Vec<String> = a
                .rules
                .iter()
                .filter(|n| n.id.as_ref().is_some_and(|id| ran(id)) && !n.used)
                .map(|n| quote(&n.written))
                .collect();
            let mut parts = Vec::new();
            if !unknown.is_empty() {
                parts.push(format!(
                    "names {} clustersec does not know ({}; `clustersec rules` lists them)",
                    if unknown.len() == 1 {
                        "a rule"
                    } else {
                        "rules"
                    },
                    super::listed(&unknown)
                ));
            }
            if !unused.is_empty() {
                parts.push(format!(
                    "suppresses no finding of {} on this object",
                    super::listed(&unused)
                ));
            }
            if parts.is_empty() {
                continue;
            }
            let mut f = Finding::new(
                crate::rules::stale_suppression::StaleSuppression::ID,
                a.span,
                format!(
                    "stale suppression: annotation `{}` {}; remove it or correct it",
                    quote(&a.key),
                    parts.join(", and ")
                ),
            );
            f.object = Some(std::sync::Arc::new(o.object.clone()));
            f.field = Some(o.field.as_str().into());
            stale.push(f);
        }
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::json::parse_input;
    use crate::model::object::objects_of;

    fn suppressions(text: &str) -> Vec<ObjectSuppressions> {
        let stream = parse_input(text);
        let mut out = Vec::new();
        for doc in &stream.documents {
            for obj in objects_of(doc) {
                out.extend(ObjectSuppressions::of(&obj, &Registry::builtin()));
            }
        }
        out
    }

    #[test]
    fn reads_each_form_as_kubernetes_does() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    \
                    clustersec.io/ignore: privileged\n    clustersec.io/ignore: \" run-as-user , ,NOPE\"\n    \
                    clustersec.io/ignore-reason: why\n    datree.skip/CUSTOM_SECURITY_IMAGE_PULL: local\n    \
                    datree.io/skip/x: 1\n    other: x\n";
        let s = suppressions(text);
        let a = &s[0].annotations;
        // The last duplicate wins; blanks between commas are dropped; ids and short names resolve.
        assert_eq!(a.len(), 2, "{a:?}");
        assert_eq!(a[0].key, IGNORE);
        let ids: Vec<Option<&str>> = a[0].rules.iter().map(|n| n.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("CUSTOM_SECURITY_USER_CHECK"), None]);
        assert_eq!(a[0].reason, "why");
        assert_eq!(a[0].span.start.line, 7);
        assert_eq!(
            a[1].rules[0].id.as_deref(),
            Some("CUSTOM_SECURITY_IMAGE_PULL")
        );
        assert_eq!(a[1].reason, "local");
        assert!(suppressions("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n").is_empty());
    }

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(super::super::listed(&["A", "B"]), "A, B");
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert_eq!(
            super::super::listed(&many),
            "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more"
        );
        assert_eq!(quote("abc"), "abc");
        let long = "é".repeat(200);
        assert_eq!(quote(&long).chars().count(), QUOTE_MAX + 3);
    }
}
