//! Custom rules as engine rules: each is a rule of the run's registry, with metadata owned and
//! built from the policy (id, name, messages, severity, where it is defined).

use std::borrow::Cow;
use std::path::PathBuf;

use crate::finding::{Finding, Severity};
use crate::rules::registry::data_meta;
use crate::rules::{Cx, NoParams, Origin, ParamError, Rule, RuleMeta};

use super::{CustomRule, POLICY_ID};

const POLICY_DOCS: &str = "## What it does\nReports what in a Datree policy file (`--policy`) \
clustersec does not run: a rule identifier that is neither a custom rule of the file nor a \
clustersec rule (Datree's built-in rules need `--datree-rules`), a custom rule written in Rego or \
CEL, a custom rule whose schema does not compile (with `--keep-going`), and, as a note, custom \
rules that replace clustersec rules of the same id.\n\n## Why is this bad?\nA rule that does not \
run passes every manifest: the policy would look satisfied when it was not checked.\n\n\
## Example\n```yaml\npolicies:\n  - name: prod\n    isDefault: true\n    rules:\n      - \
identifier: CONTAINERS_MISSING_IMAGE_VALUE_VERSION\n        messageOnFailure: ''\n```\n\n\
## Fix\nDefine the rule under `customRules`, pass Datree's rule definitions with \
`--datree-rules`, or remove the rule from the policy.\n";

/// The metadata of the findings about the policy file itself.
pub fn policy_meta() -> RuleMeta {
    let mut meta = data_meta(
        POLICY_ID,
        "policy-file",
        Severity::High,
        "A rule of the --policy file that cannot run as written",
        POLICY_DOCS,
        // Documented with the policy files (docs/policy.md), not among the built-in rules.
        Origin::Policy {
            path: PathBuf::new(),
            line: 0,
            column: 0,
        },
    );
    meta.tags = &["policy"];
    meta.source_file = "src/policy/rule.rs";
    meta
}

/// The rule slot of [`policy_meta`]: its findings are made when the policy is loaded.
pub struct PolicyNotes {
    meta: RuleMeta,
}

impl Default for PolicyNotes {
    fn default() -> Self {
        PolicyNotes {
            meta: policy_meta(),
        }
    }
}

impl Rule for PolicyNotes {
    fn meta(&self) -> &RuleMeta {
        &self.meta
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
    meta: RuleMeta,
    rule: CustomRule,
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
        let mut meta = data_meta(
            &rule.id,
            &short,
            rule.severity,
            &rule.name,
            &docs,
            Origin::Policy {
                path: PathBuf::from(&rule.path),
                line: rule.at.start.line,
                column: rule.at.start.col,
            },
        );
        meta.tags = &["policy", "custom"];
        meta.summary = Cow::Owned(rule.name.clone());
        PolicyRule { meta, rule }
    }
}

impl Rule for PolicyRule {
    fn meta(&self) -> &RuleMeta {
        &self.meta
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
            let mut f = Finding::new(self.meta.id.clone(), span, self.rule.message.clone());
            if !field.is_empty() {
                f = f.field(format!("{prefix}{field}"));
            }
            cx.report(f);
        }
    }
}
