//! Findings: what a rule reports, where, and about which object.

use serde::{Deserialize, Serialize};

use crate::model::object::ObjectRef;
use crate::model::Span;
pub use crate::rules::RuleId;

/// How bad a finding is. Ordered from least to most severe.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" | "note" => Severity::Info,
            "low" => Severity::Low,
            "medium" | "warning" => Severity::Medium,
            "high" | "error" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// SARIF `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// GitHub's `security-severity` score (critical > 9.0, high 7.0-8.9, medium 4.0-6.9,
    /// low 0.1-3.9).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A second location that explains a finding (e.g. the pod-level value a container inherits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Related {
    /// The file, when it is not the finding's own (e.g. the rendered output of a template).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub span: Span,
    pub message: String,
}

/// One problem, at one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    /// Path of the file, relative to the working directory, with `/` separators.
    pub path: String,
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Field path inside the object, e.g. `spec.template.spec.containers[1].securityContext`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// For findings in rendered output (Helm, Kustomize): how the location was mapped back to
    /// the file the user edits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    /// Set on a suppressed finding: the reason given in its `clustersec:ignore` comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<String>,
    /// For findings in rendered output: the renders they came from, e.g.
    /// `charts/web (default values)` and `charts/web (values-prod.yaml)` for a finding that a
    /// render matrix produced twice and that is reported once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renders: Vec<String>,
}

impl Finding {
    /// A finding of `rule` at `span` (path, severity and object are filled in by the engine).
    pub fn new(rule: impl Into<RuleId>, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.into(),
            severity: Severity::default(),
            message: message.into(),
            path: String::new(),
            span,
            object: None,
            container: None,
            field: None,
            related: Vec::new(),
            mapping: None,
            suppression: None,
            renders: Vec::new(),
        }
    }

    pub fn container(mut self, name: impl Into<String>) -> Finding {
        let name = name.into();
        if !name.is_empty() {
            self.container = Some(name);
        }
        self
    }

    pub fn field(mut self, path: impl Into<String>) -> Finding {
        self.field = Some(path.into());
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            path: None,
            span,
            message: message.into(),
        });
        self
    }

    /// The order every report uses: path, line, column, rule, then the rest for ties.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.path,
            self.span.start,
            &self.rule,
            self.span.end,
            &self.object,
            &self.container,
            &self.field,
            &self.message,
        )
    }
}
