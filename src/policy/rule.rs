//! Custom rules as engine rules.
//!
//! The engine takes rules with `&'static` metadata (the rule-id type is being made owned in the
//! registry work); until then, each custom rule's metadata is built once per run and leaked,
//! which is bounded by the policy file's size limit.

use crate::finding::{Finding, Severity};
use crate::rules::{Cx, NoParams, ParamError, Rule, RuleMeta};

use super::{CustomRule, POLICY_ID};

/// The metadata of the findings about the policy file itself.
pub static POLICY_META: RuleMeta = RuleMeta {
    id: POLICY_ID,
    name: "policy-file",
    severity: Severity::High,
    enabled: true,
    summary: "A rule of the --policy file that cannot run as written",
    docs: "## What it does\nReports what in a Datree policy file (`--policy`) clustersec does not run: a rule \
           identifier that is neither a custom rule of the file nor a clustersec rule (Datree's \
           built-in rules need `--datree-rules`), a custom rule written in Rego or CEL, a custom \
           rule whose schema does not compile (with `--keep-going`), and, as a note, a custom rule \
           that replaces a clustersec rule of the same id.\n\n## Why is this bad?\nA rule that \
           does not run passes every manifest: the policy would look satisfied when it was not \
           checked.\n\n## Example\n```yaml\npolicies:\n  - name: prod\n    isDefault: true\n    \
           rules:\n      - identifier: CONTAINERS_MISSING_IMAGE_VALUE_VERSION\n        \
           messageOnFailure: ''\n```\n\n## Fix\nDefine the rule under `customRules`, pass Datree's \
           rule definitions with `--datree-rules`, or remove the rule from the policy.\n",
    tags: &["policy"],
    source_file: "src/policy/rule.rs",
};

/// The rule slot of [`POLICY_META`]: its findings are made when the policy is loaded.
#[derive(Default)]
pub struct PolicyNotes;

impl Rule for PolicyNotes {
    fn meta(&self) -> &'static RuleMeta {
        &POLICY_META
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), ParamError> {
        crate::rules::parse_params::<NoParams>(params).map(|_| ())
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn check(&self, _cx: &mut Cx<'_>) {}
}

/// A custom rule run by the engine on every object.
pub struct PolicyRule {
    meta: &'static RuleMeta,
    rule: CustomRule,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl PolicyRule {
    pub fn new(rule: CustomRule, policy: &str) -> PolicyRule {
        let short = rule.id.to_ascii_lowercase().replace(['_', '.'], "-");
        let docs = format!(
            "## What it does\n{name}\n\n## Why is this bad?\n{default}\n\n## Fix\n{message}\n\n\
             Custom rule of policy `{policy}`, defined in `{path}` at line {line}.\n",
            name = rule.name,
            default = rule.default_message,
            message = rule.message,
            path = rule.path,
            line = rule.at.start.line,
        );
        let meta = Box::leak(Box::new(RuleMeta {
            id: leak(rule.id.clone()),
            name: leak(short),
            severity: rule.severity,
            enabled: true,
            summary: leak(rule.name.clone()),
            docs: leak(docs),
            tags: &["policy", "custom"],
            source_file: "src/policy/rule.rs",
        }));
        PolicyRule { meta, rule }
    }
}

impl Rule for PolicyRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn configure(&mut self, params: &serde_json::Value) -> Result<(), ParamError> {
        crate::rules::parse_params::<NoParams>(params).map(|_| ())
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    fn check(&self, cx: &mut Cx<'_>) {
        let prefix = &cx.object.path_prefix;
        for (span, field) in self.rule.failures(cx.object.node) {
            let mut f = Finding::new(self.meta.id, span, self.rule.message.clone());
            if !field.is_empty() {
                f = f.field(format!("{prefix}{field}"));
            }
            cx.report(f);
        }
    }
}
