//! Datree policy files (`--policy FILE`): custom rules written as JSON Schema, run unchanged.
//!
//! A policy file (Datree's `policiesSchema.json` format) holds `apiVersion: v1`, `policies` (each
//! a `name`, `isDefault` and the `rules` it runs, by `identifier` with `messageOnFailure`) and
//! `customRules` (`identifier`, `name`, `defaultMessageOnFailure`, and the rule's JSON Schema as
//! YAML in `schema` or as a JSON string in `jsonSchema`). The file is read with clustersec's own
//! YAML reader, so every problem is reported at its line and column.
//!
//! Each custom rule is data: its id, name, messages, severity and its schema compiled once
//! ([`CustomRule`]); [`CustomRule::failures`] evaluates one document (the whole document is the
//! instance, as Datree did) and maps each failure back to its place in the YAML.

pub mod locate;
pub mod quantity;
mod rule;

use std::fmt;

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::model::yaml::{parse_stream, Diagnostic, Node};
use crate::model::{Pos, Span};

pub use rule::{policy_meta, PolicyNotes, PolicyRule};

/// The id of the findings about the policy file itself (an unknown or unsupported rule, a custom
/// rule that replaces a built-in one, a bad custom rule skipped with `--keep-going`).
pub const POLICY_ID: &str = "CLUSTERSEC_POLICY";

/// The largest policy or `--datree-rules` file read (4 MiB).
pub const MAX_POLICY_SIZE: u64 = 4 * 1024 * 1024;

/// A policy file that cannot be used: where, and what is wrong (exit 2). The one located error
/// type of config, flag and policy validation.
pub type PolicyError = crate::error::LocatedError;

/// How a policy file is read.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--policy-name`: the policy to run (default: the one with `isDefault: true`).
    pub name: Option<String>,
    /// `--keep-going`: a custom rule that does not compile becomes a finding against the policy
    /// file instead of stopping the run.
    pub keep_going: bool,
    /// `--datree-rules FILE`: the path and text of Datree's built-in rules (`defaultRules.yaml`).
    pub datree_rules: Option<(String, String)>,
}

/// One custom rule, compiled.
pub struct CustomRule {
    pub id: String,
    /// The rule's `name` (`Check for runAsUser field setting [CUSTOM RULE]`).
    pub name: String,
    /// The message of its findings: the policy's `messageOnFailure`, else the rule's
    /// `defaultMessageOnFailure`.
    pub message: String,
    /// The rule's `defaultMessageOnFailure`.
    pub default_message: String,
    pub severity: Severity,
    /// Where the rule is defined (its `identifier` in the policy or `--datree-rules` file).
    pub path: String,
    pub at: Span,
    /// The schema as compiled (JSON).
    pub schema: Value,
    validator: jsonschema::Validator,
}

impl fmt::Debug for CustomRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomRule")
            .field("id", &self.id)
            .field("message", &self.message)
            .field("severity", &self.severity)
            .finish_non_exhaustive()
    }
}

impl CustomRule {
    /// Whether a document (as JSON) passes the rule.
    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// The failures of one document: the span and field path of each failing instance path,
    /// without duplicates, in document order. Empty when the document passes.
    pub fn failures(&self, root: &Node) -> Vec<(Span, String)> {
        let instance = root.to_json();
        if self.validator.is_valid(&instance) {
            return Vec::new();
        }
        let mut out: Vec<(Span, String)> = self
            .validator
            .iter_errors(&instance)
            .map(|e| locate::locate(root, e.instance_path()))
            .collect();
        if out.is_empty() {
            // Valid by `is_valid` but not by `iter_errors` cannot happen; never pass silently.
            out.push((root.span, String::new()));
        }
        out.sort_by_key(|a| (a.0.start, a.0.end));
        out.dedup_by(|a, b| a.0 == b.0);
        // A failure inside another one's span says the same thing again (an object that lacks
        // a property and a value in it): keep the outer one only when nothing more precise is
        // found in it.
        let spans: Vec<Span> = out.iter().map(|(s, _)| *s).collect();
        out.retain(|(s, _)| {
            !spans
                .iter()
                .any(|o| o != s && s.start <= o.start && o.end <= s.end && o.start != s.start)
        });
        out
    }
}

/// A rule of the selected policy, resolved.
#[derive(Debug)]
pub enum Selected {
    /// A custom rule (or a Datree built-in from `--datree-rules`).
    Custom(Box<CustomRule>),
    /// One of clustersec's own rules, listed by its id.
    Native(String),
}

/// A loaded policy: the rules to run and what the report says about the policy file.
#[derive(Debug)]
pub struct Policy {
    pub path: String,
    /// The policy file's text (for snippets of the findings against it).
    pub text: String,
    /// The selected policy's name.
    pub name: String,
    pub rules: Vec<Selected>,
    /// Findings against the policy file (rule [`POLICY_ID`]): unknown and unsupported rules,
    /// replaced built-in rules, bad custom rules skipped with `--keep-going`.
    pub notes: Vec<Finding>,
}

impl Policy {
    /// The ids of clustersec's own rules the policy lists (not replaced by a custom rule).
    pub fn native_ids(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter_map(|r| match r {
                Selected::Native(id) => Some(id.as_str()),
                Selected::Custom(_) => None,
            })
            .collect()
    }
}

fn err(path: &str, span: Span, message: impl Into<String>) -> PolicyError {
    PolicyError::at(path, Some(span.start), message)
}

/// Reads a YAML file into its one document.
fn read_yaml(path: &str, text: &str) -> Result<Node, PolicyError> {
    let stream = parse_stream(text);
    if let Some(d) = stream.diagnostics.first() {
        let (pos, message) = match d {
            Diagnostic::Syntax { pos, message } => (*pos, format!("YAML syntax error: {message}")),
            Diagnostic::DuplicateKey { key, second, .. } => {
                (second.start, format!("duplicate key `{key}`"))
            }
            Diagnostic::NonScalarKey { span } => {
                (span.start, "a mapping key must be a string".into())
            }
            Diagnostic::AliasBudget { span } => (
                span.start,
                "alias expansion exceeds the node budget".to_string(),
            ),
            Diagnostic::TooDeep { span } => (span.start, "nesting too deep".to_string()),
            Diagnostic::UnknownAnchor { span } => {
                (span.start, "alias to an anchor that is not defined".into())
            }
            Diagnostic::Decode { span, message } => (span.start, message.clone()),
        };
        return Err(PolicyError::at(path, Some(pos), message));
    }
    let mut docs = stream.documents.into_iter().filter_map(|d| d.root);
    let Some(root) = docs.next() else {
        return Err(PolicyError::at(path, Some(Pos::START), "the file is empty"));
    };
    if let Some(extra) = docs.next() {
        return Err(err(
            path,
            extra.span,
            "a policy file holds one YAML document",
        ));
    }
    Ok(root)
}

/// A checked key of a mapping: its value, or `None` when absent (`null` counts as absent only
/// where the format allows it, see the callers).
fn field<'a>(map: &'a Node, key: &str) -> Option<&'a Node> {
    map.get(key)
}

fn expect_string<'a>(path: &str, map: &'a Node, key: &str) -> Result<Option<&'a str>, PolicyError> {
    match field(map, key) {
        None => Ok(None),
        Some(v) => v.as_str().map(Some).ok_or_else(|| {
            err(
                path,
                v.span,
                format!("`{key}` must be a string, not {}", v.describe()),
            )
        }),
    }
}

fn require_string<'a>(
    path: &str,
    map: &'a Node,
    key: &str,
    what: &str,
) -> Result<&'a str, PolicyError> {
    expect_string(path, map, key)?
        .ok_or_else(|| err(path, map.span, format!("{what} lacks the required `{key}`")))
}

/// `^([A-Za-z0-9])+(_?[A-Za-z0-9])*$`, or with `.` among the letters for identifiers: letters,
/// digits (and dots), single underscores between them.
fn well_formed(name: &str, dots: bool) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || (dots && c == '.');
    !name.is_empty()
        && name
            .split('_')
            .all(|part| !part.is_empty() && part.chars().all(ok))
}

/// A sequence, or `None` for an absent or `null` value (`rules` and `customRules` may be null).
fn optional_seq<'a>(
    path: &str,
    map: &'a Node,
    key: &str,
) -> Result<Option<&'a [Node]>, PolicyError> {
    match field(map, key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v.as_seq().map(Some).ok_or_else(|| {
            err(
                path,
                v.span,
                format!("`{key}` must be a list, not {}", v.describe()),
            )
        }),
    }
}

fn severity_of(path: &str, map: &Node) -> Result<Option<Severity>, PolicyError> {
    match field(map, "severity") {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(Severity::parse)
            .map(Some)
            .ok_or_else(|| {
                err(
                    path,
                    v.span,
                    format!(
                        "`severity` must be one of critical, high, medium, low, info, not {}",
                        v.describe()
                    ),
                )
            }),
    }
}

/// A custom rule as written, before compiling.
struct RawRule<'a> {
    node: &'a Node,
    id: &'a str,
    name: &'a str,
    default_message: &'a str,
    severity: Option<Severity>,
    path: String,
}

/// Checks a `customRules` entry against the policies schema.
fn raw_rule<'a>(path: &str, node: &'a Node) -> Result<RawRule<'a>, PolicyError> {
    if !node.is_map() {
        return Err(err(
            path,
            node.span,
            format!("a custom rule must be a mapping, not {}", node.describe()),
        ));
    }
    let id_node = field(node, "identifier");
    let id = require_string(path, node, "identifier", "this custom rule")?;
    if !well_formed(id, true) {
        let span = id_node.map_or(node.span, |n| n.span);
        return Err(err(path, span, format!("custom rule identifier {id:?} must be letters, digits and dots, with single underscores between them")));
    }
    let name = require_string(path, node, "name", &format!("custom rule {id}"))?;
    let default_message = require_string(
        path,
        node,
        "defaultMessageOnFailure",
        &format!("custom rule {id}"),
    )?;
    expect_string(path, node, "jsonSchema")?;
    if let Some(s) = field(node, "schema") {
        if !s.is_map() {
            return Err(err(
                path,
                s.span,
                format!(
                    "`schema` of custom rule {id} must be a mapping, not {}",
                    s.describe()
                ),
            ));
        }
    }
    Ok(RawRule {
        node,
        id,
        name,
        default_message,
        severity: severity_of(path, node)?,
        path: path.to_string(),
    })
}

/// Whether a schema (as YAML) uses a keyword clustersec cannot evaluate: the span of the first
/// `regoDefinition` or `CELDefinition` key, with its name.
fn unsupported_keyword(node: &Node, depth: usize) -> Option<(Span, &'static str)> {
    if depth > crate::model::yaml::MAX_DEPTH {
        return None;
    }
    if let Some(entries) = node.entries() {
        for e in entries {
            for kw in ["regoDefinition", "CELDefinition"] {
                if e.key.text() == Some(kw) {
                    return Some((e.key.span, kw));
                }
            }
            if let Some(found) = unsupported_keyword(&e.value, depth + 1) {
                return Some(found);
            }
        }
    }
    if let Some(items) = node.as_seq() {
        return items.iter().find_map(|i| unsupported_keyword(i, depth + 1));
    }
    None
}

/// What compiling one custom rule came to.
enum Compiled {
    Rule(CustomRule),
    /// Uses Rego or CEL: where, and which.
    Unsupported(Span, &'static str),
}

/// Compiles a custom rule's schema (`schema` as YAML, else `jsonSchema` as a JSON string).
fn compile(
    raw: &RawRule<'_>,
    message: &str,
    severity: Option<Severity>,
) -> Result<Compiled, PolicyError> {
    let path = raw.path.as_str();
    let id_span = field(raw.node, "identifier").map_or(raw.node.span, |n| n.span);
    let (schema, schema_node, text_node) =
        match (field(raw.node, "schema"), field(raw.node, "jsonSchema")) {
            (Some(s), _) => {
                if let Some((span, kw)) = unsupported_keyword(s, 0) {
                    return Ok(Compiled::Unsupported(span, kw));
                }
                (s.to_json(), Some(s), None)
            }
            (None, Some(j)) => {
                let text = j.as_str().unwrap_or_default();
                let value: Value = serde_json::from_str(text).map_err(|e| {
                    err(
                        path,
                        j.span,
                        format!("`jsonSchema` of custom rule {} is not JSON: {e}", raw.id),
                    )
                })?;
                for kw in ["regoDefinition", "CELDefinition"] {
                    if text.contains(&format!("\"{kw}\"")) {
                        return Ok(Compiled::Unsupported(j.span, kw));
                    }
                }
                (value, None, Some(j))
            }
            (None, None) => {
                return Err(err(
                    path,
                    id_span,
                    format!(
                        "custom rule {} has neither `schema` nor `jsonSchema`",
                        raw.id
                    ),
                ));
            }
        };
    if !schema.is_object() && !schema.is_boolean() {
        let span = text_node.map_or(id_span, |n| n.span);
        return Err(err(
            path,
            span,
            format!("the schema of custom rule {} must be an object", raw.id),
        ));
    }
    let validator = jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .with_keyword("resourceMinimum", quantity::min_factory)
        .with_keyword("resourceMaximum", quantity::max_factory)
        .build(&schema)
        .map_err(|e| {
            let pointer = e.instance_path().as_str().to_string();
            let span = match (schema_node, text_node) {
                (Some(n), _) if pointer.is_empty() => {
                    locate::find_ref(n, &e.to_string(), 0).unwrap_or(n.span)
                }
                (Some(n), _) => locate::locate_pointer(n, &pointer),
                (None, Some(t)) => t.span,
                (None, None) => id_span,
            };
            let at = if pointer.is_empty() {
                String::new()
            } else {
                format!(" at {pointer}")
            };
            err(
                path,
                span,
                format!(
                    "the schema of custom rule {} does not compile{at}: {e}",
                    raw.id
                ),
            )
        })?;
    Ok(Compiled::Rule(CustomRule {
        id: raw.id.to_string(),
        name: raw.name.to_string(),
        message: if message.is_empty() {
            raw.default_message.to_string()
        } else {
            message.to_string()
        },
        default_message: raw.default_message.to_string(),
        severity: severity.or(raw.severity).unwrap_or(Severity::Medium),
        path: raw.path.clone(),
        at: id_span,
        schema,
        validator,
    }))
}

/// Datree's built-in rules (`--datree-rules`, the format of `defaultRules.yaml`): each entry's
/// `uniqueName`, `name`, `messageOnFailure` and `schema`, by `uniqueName`.
fn datree_rules<'a>(path: &str, root: &'a Node) -> Result<Vec<RawRule<'a>>, PolicyError> {
    let Some(rules) = optional_seq(path, root, "rules")? else {
        return Err(err(
            path,
            root.span,
            "a Datree rules file needs a `rules` list",
        ));
    };
    let mut out = Vec::new();
    for r in rules {
        if !r.is_map() {
            return Err(err(path, r.span, "a rule must be a mapping"));
        }
        let id = require_string(path, r, "uniqueName", "this rule")?;
        let name = require_string(path, r, "name", &format!("rule {id}"))?;
        let message = require_string(path, r, "messageOnFailure", &format!("rule {id}"))?;
        out.push(RawRule {
            node: r,
            id,
            name,
            default_message: message,
            severity: severity_of(path, r)?,
            path: path.to_string(),
        });
    }
    Ok(out)
}

/// Reads and checks a policy file, selects its policy and compiles the rules it lists.
pub fn load(path: &str, text: &str, opts: &LoadOptions) -> Result<Policy, PolicyError> {
    let root = read_yaml(path, text)?;
    if !root.is_map() {
        return Err(err(
            path,
            root.span,
            format!(
                "a policy file is a mapping with `apiVersion` and `policies`, not {}",
                root.describe()
            ),
        ));
    }
    match field(&root, "apiVersion") {
        None => {
            return Err(err(
                path,
                root.span,
                "the policy file lacks the required `apiVersion` (v1)",
            ))
        }
        Some(v) if v.as_str() != Some("v1") => {
            return Err(err(
                path,
                v.span,
                format!("`apiVersion` must be v1, not {}", v.describe()),
            ))
        }
        Some(_) => {}
    }
    let policies = match field(&root, "policies") {
        None => {
            return Err(err(
                path,
                root.span,
                "the policy file lacks the required `policies`",
            ))
        }
        Some(v) => v.as_seq().ok_or_else(|| {
            err(
                path,
                v.span,
                format!("`policies` must be a list, not {}", v.describe()),
            )
        })?,
    };
    if policies.is_empty() {
        let span = field(&root, "policies").map_or(root.span, |n| n.span);
        return Err(err(path, span, "`policies` must list at least one policy"));
    }
    let mut checked = Vec::new();
    for p in policies {
        if !p.is_map() {
            return Err(err(
                path,
                p.span,
                format!("a policy must be a mapping, not {}", p.describe()),
            ));
        }
        let name = require_string(path, p, "name", "this policy")?;
        if !well_formed(name, false) {
            let span = field(p, "name").map_or(p.span, |n| n.span);
            return Err(err(path, span, format!("policy name {name:?} must be letters and digits, with single underscores between them")));
        }
        let default = match field(p, "isDefault") {
            None => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                err(
                    path,
                    v.span,
                    format!("`isDefault` must be a boolean, not {}", v.describe()),
                )
            })?,
        };
        let mut listed: Vec<(&Node, &str, &str, Option<Severity>)> = Vec::new();
        for r in optional_seq(path, p, "rules")?.unwrap_or_default() {
            if !r.is_map() {
                return Err(err(
                    path,
                    r.span,
                    format!("a policy rule must be a mapping, not {}", r.describe()),
                ));
            }
            let id = require_string(path, r, "identifier", "this policy rule")?;
            if !well_formed(id, true) {
                let span = field(r, "identifier").map_or(r.span, |n| n.span);
                return Err(err(path, span, format!("rule identifier {id:?} must be letters, digits and dots, with single underscores between them")));
            }
            let message =
                require_string(path, r, "messageOnFailure", &format!("policy rule {id}"))?;
            if listed.iter().any(|(_, other, _, _)| *other == id) {
                let span = field(r, "identifier").map_or(r.span, |n| n.span);
                return Err(err(
                    path,
                    span,
                    format!("rule {id} is listed twice in policy {name}"),
                ));
            }
            listed.push((r, id, message, severity_of(path, r)?));
        }
        checked.push((p, name, default, listed));
    }
    let mut custom: Vec<RawRule<'_>> = Vec::new();
    for c in optional_seq(path, &root, "customRules")?.unwrap_or_default() {
        let raw = raw_rule(path, c)?;
        if custom.iter().any(|o| o.id == raw.id) {
            let span = field(c, "identifier").map_or(c.span, |n| n.span);
            return Err(err(
                path,
                span,
                format!("custom rule {} is defined twice", raw.id),
            ));
        }
        custom.push(raw);
    }
    // The policy to run.
    let selected = match &opts.name {
        Some(want) => checked
            .iter()
            .find(|(_, n, _, _)| n == want)
            .ok_or_else(|| {
                let names: Vec<&str> = checked.iter().map(|(_, n, _, _)| *n).collect();
                err(
                    path,
                    root.span,
                    format!("no policy named {want:?} (policies: {})", names.join(", ")),
                )
            })?,
        None => {
            let defaults: Vec<_> = checked.iter().filter(|(_, _, d, _)| *d).collect();
            match (defaults.as_slice(), checked.as_slice()) {
                ([one], _) => *one,
                ([], [only]) => only,
                ([], _) => {
                    return Err(err(
                        path,
                        root.span,
                        "no policy has `isDefault: true`; choose one with --policy-name",
                    ))
                }
                (_, _) => {
                    let second = defaults.get(1).map_or(root.span, |(p, _, _, _)| {
                        p.get_entry("isDefault").map_or(p.span, |e| e.span())
                    });
                    return Err(err(
                        path,
                        second,
                        "more than one policy has `isDefault: true`; choose one with --policy-name",
                    ));
                }
            }
        }
    };
    let datree_root = match &opts.datree_rules {
        Some((dpath, dtext)) => Some((dpath.as_str(), read_yaml(dpath, dtext)?)),
        None => None,
    };
    let datree: Vec<RawRule<'_>> = match &datree_root {
        Some((dpath, node)) => datree_rules(dpath, node)?,
        None => Vec::new(),
    };
    let (_, policy_name, _, listed) = selected;
    let mut policy = Policy {
        path: path.to_string(),
        text: text.to_string(),
        name: policy_name.to_string(),
        rules: Vec::new(),
        notes: Vec::new(),
    };
    let mut replaced: Vec<(String, Span)> = Vec::new();
    let builtin = crate::rules::Registry::builtin();
    for (node, id, message, severity) in listed {
        let id_span = field(node, "identifier").map_or(node.span, |n| n.span);
        let raw = custom
            .iter()
            .find(|r| r.id == *id)
            .or_else(|| datree.iter().find(|r| r.id == *id));
        let Some(raw) = raw else {
            if let Some(native) = builtin.meta(id) {
                policy.rules.push(Selected::Native(native.id.to_string()));
                continue;
            }
            policy.notes.push(note(
                path,
                id_span,
                Severity::High,
                format!(
                    "rule {id} is not a custom rule of this policy file nor a clustersec rule; if it \
                     is one of Datree's built-in rules, pass their definitions with --datree-rules \
                     FILE (Datree's defaultRules.yaml); not run"
                ),
            ));
            continue;
        };
        match compile(raw, message, *severity) {
            Ok(Compiled::Rule(rule)) => {
                if builtin.meta(id).is_some() {
                    replaced.push((id.to_string(), rule.at));
                }
                policy.rules.push(Selected::Custom(Box::new(rule)));
            }
            Ok(Compiled::Unsupported(span, kw)) => policy.notes.push(note(
                &raw.path,
                span,
                Severity::High,
                format!("custom rule {id} uses {kw}, which clustersec does not evaluate; not run"),
            )),
            Err(e) if opts.keep_going => {
                let shown = e.path.to_string_lossy().into_owned();
                policy.notes.push(Finding {
                    path: shown.as_str().into(),
                    ..note(
                        &shown,
                        Span::point(e.pos.unwrap_or(Pos::START)),
                        Severity::High,
                        format!("{}; not run (--keep-going)", e.message),
                    )
                });
            }
            Err(e) => return Err(e),
        }
    }
    // Said once, as a note: shown in every report, never failing the run.
    if let Some((_, at)) = replaced.first() {
        let ids: Vec<&str> = replaced.iter().map(|(id, _)| id.as_str()).collect();
        let mut f = note(
            path,
            *at,
            Severity::Info,
            format!(
                "custom rules of this policy replace clustersec's built-in rules of the same id \
                 for this run: {}",
                ids.join(", ")
            ),
        );
        f.suppression = Some("a note about the policy, not a problem of the scanned files".into());
        f.suppressed_by = Some(crate::finding::SuppressedBy::Note);
        policy.notes.push(f);
    }
    Ok(policy)
}

/// A finding against the policy file.
pub fn note(path: &str, span: Span, severity: Severity, message: String) -> Finding {
    let mut f = Finding::new(POLICY_ID, span, message);
    f.severity = severity;
    f.path = path.into();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever the policy file holds, loading it returns (never panics).
        #[test]
        fn any_policy_text_loads_or_is_refused(
            body in "(apiVersion: v1\n|policies:\n|  - name: [a-z_]{0,4}\n|    rules:\n|      - identifier: [A-Z_.]{0,4}\n|        messageOnFailure: [a-z']{0,3}\n|customRules:\n|  - identifier: [A-Z]{1,3}\n|    name: x\n|    defaultMessageOnFailure: m\n|    schema: \\{[a-z$:#/ \\{\\}\\[\\],0-9]{0,30}\\}\n|    jsonSchema: '[\\{\\}a-z\\\":]{0,20}'\n|    isDefault: (true|1|no)\n|[ -~]{0,12}\n){0,14}"
        ) {
            let opts = LoadOptions { keep_going: true, ..LoadOptions::default() };
            let _ = load("p.yaml", &body, &opts);
            let _ = load("p.yaml", &body, &LoadOptions::default());
        }

        #[test]
        fn any_quantity_text_parses_or_not(text in "[-+0-9.eEkMGTPinum ]{0,12}") {
            let _ = quantity::parse(&text);
        }
    }

    #[test]
    fn identifiers_follow_the_policies_schema() {
        assert!(well_formed("CUSTOM_SECURITY_USER_CHECK", true));
        assert!(well_formed("a.b_c", true));
        assert!(!well_formed("a.b_c", false));
        assert!(!well_formed("_A", true));
        assert!(!well_formed("A__B", true));
        assert!(!well_formed("A_", true));
        assert!(!well_formed("A-B", true));
        assert!(!well_formed("", true));
    }
}
