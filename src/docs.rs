//! Generated documentation: the rule reference (`docs/rules.md`) and one help page per rule
//! (`docs/rules/<ID>.md`), from the rules' own docs. A test keeps the committed files in sync.

use std::fmt::Write;

use crate::rules::{Registry, Rule};

/// The rule table, as `clustersec rules --format markdown` prints it and `docs/rules.md` and the
/// README keep it.
pub fn rules_markdown(rules: &Registry) -> String {
    let mut s = String::new();
    s.push_str("| Rule | Name | Severity | Default | Summary |\n");
    s.push_str("|---|---|---|---|---|\n");
    for m in rules.metas() {
        let _ = writeln!(
            s,
            "| [`{}`]({}) | {} | {} | {} | {} |",
            m.id,
            m.help_uri(),
            m.name,
            m.severity,
            if m.enabled { "on" } else { "off" },
            m.summary
        );
    }
    s
}

/// The help page of one rule.
pub fn rule_page(rule: &dyn Rule) -> String {
    let m = rule.meta();
    let mut s = format!(
        "# {} ({})\n\n{}\n\nDefault severity: **{}**. Enabled by default: **{}**.\n\n",
        m.id,
        m.name,
        m.summary,
        m.severity,
        if m.enabled { "yes" } else { "no" }
    );
    // Rule docs use `##` sections; on the page they sit under the title.
    s.push_str(&m.docs());
    let params = rule.params();
    if params.as_object().is_some_and(|o| !o.is_empty()) {
        let _ = write!(
            s,
            "\n## Parameters\n\nDefaults, to override under `rules: {{{}: {{params: ...}}}}` in `.clustersec.yaml`:\n\n```json\n{}\n```\n",
            m.id,
            serde_json::to_string_pretty(&params).unwrap_or_default()
        );
    }
    s
}

/// The plain-text rule list of `clustersec rules`.
pub fn rules_text(rules: &Registry) -> String {
    let mut s = String::new();
    let width = rules.metas().map(|m| m.id.len()).max().unwrap_or(0);
    for m in rules.metas() {
        let _ = writeln!(
            s,
            "{:width$}  {:26}  {:9}  {:8}  {:3}  {}",
            m.id.as_str(),
            &*m.name,
            m.group.as_str(),
            m.severity.as_str(),
            if m.enabled { "on" } else { "off" },
            m.summary,
        );
    }
    s
}

/// The JSON rule list of `clustersec rules --format json`.
pub fn rules_json(rules: &Registry) -> serde_json::Value {
    serde_json::Value::Array(
        rules
            .iter()
            .map(|r| {
                let m = r.meta();
                serde_json::json!({
                    "id": m.id,
                    "name": m.name,
                    "group": m.group.as_str(),
                    "severity": m.severity,
                    "enabled": m.enabled,
                    "summary": m.summary,
                    "tags": m.tags,
                    "helpUri": m.help_uri(),
                    "params": r.rule().params(),
                })
            })
            .collect(),
    )
}
