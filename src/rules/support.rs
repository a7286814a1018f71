//! Helpers shared by the container-security rules (not a rule; skipped by the registry test).

use crate::finding::Finding;
use crate::model::pod::{Container, PodSpec, Setting};
use crate::model::yaml::Entry;

/// Where a value came from, for messages: `in its securityContext` or `inherited from
/// spec.securityContext (line 12)`.
pub(crate) fn origin(pod: &PodSpec<'_>, setting: &Setting<'_>) -> String {
    match setting {
        Setting::Container(_) => "in its securityContext".to_string(),
        Setting::Pod(e) => format!(
            "inherited from {}.securityContext{}",
            pod.path,
            crate::finding::line_mark(e.key.span.start.line)
        ),
        Setting::Missing(_) => "nowhere".to_string(),
    }
}

/// The field path of a setting: the container's, or the pod's for an inherited value.
pub(crate) fn setting_path(
    pod: &PodSpec<'_>,
    c: &Container<'_>,
    setting: &Setting<'_>,
    field: &str,
) -> String {
    match setting {
        Setting::Pod(_) => pod.field_path(&format!("securityContext.{field}")),
        _ => c.field_path(&format!("securityContext.{field}")),
    }
}

/// A finding about `field` of container `c`, located where the setting is (or should be).
pub(crate) fn at_setting(
    rule: &'static str,
    pod: &PodSpec<'_>,
    c: &Container<'_>,
    setting: &Setting<'_>,
    field: &str,
    message: String,
) -> Finding {
    let span = match setting {
        Setting::Container(e) | Setting::Pod(e) => e.span(),
        Setting::Missing(anchor) => *anchor,
    };
    let mut f = Finding::new(rule, span, message)
        .container(c.name.clone())
        .field(setting_path(pod, c, setting, field));
    if let Setting::Pod(_) = setting {
        f = f.related(
            c.first_line(),
            format!("{} that inherits the value", c.describe()),
        );
    }
    f
}

/// A container-only field written at pod level, where Kubernetes ignores it.
pub(crate) fn ignored_pod_level<'a>(pod: &PodSpec<'a>, field: &str) -> Option<&'a Entry> {
    pod.pod_level(field)
}

/// The note to add to a "missing" message when the field sits, ignored, at pod level.
pub(crate) fn pod_level_note(pod: &PodSpec<'_>, field: &str) -> String {
    match ignored_pod_level(pod, field) {
        Some(e) => format!(
            " ({field} is set in {}.securityContext{}, but Kubernetes only reads it per container)",
            pod.path,
            crate::finding::line_mark(e.key.span.start.line)
        ),
        None => String::new(),
    }
}

/// How a container-only boolean field is checked.
pub(crate) struct BoolCheck<'s> {
    pub(crate) rule: &'static str,
    pub(crate) field: &'s str,
    /// The value the field must have; `None` accepts either boolean.
    pub(crate) required: Option<bool>,
    /// Whether leaving the field unset is a finding.
    pub(crate) require_set: bool,
    /// What happens when the field is unset or has the wrong value.
    pub(crate) consequence: &'s str,
}

/// The one-line fix of a boolean field: `set it to false`, or `set it to true or false` when
/// either value passes.
fn fix(required: Option<bool>) -> String {
    match required {
        Some(r) => format!("set it to {r}"),
        None => "set it to true or false".to_string(),
    }
}

/// Checks a container-only boolean field of every container.
pub(crate) fn check_container_bool(cx: &mut crate::rules::Cx<'_>, check: &BoolCheck<'_>) {
    let Some(pod) = cx.pod else { return };
    let field = check.field;
    for c in &pod.containers {
        let setting = pod.container_only(c, field);
        let message = match &setting {
            Setting::Missing(_) if check.require_set => Some(format!(
                "{} does not set {field}: {}{}; {}",
                c.describe(),
                check.consequence,
                pod_level_note(pod, field),
                fix(check.required)
            )),
            Setting::Missing(_) => None,
            Setting::Container(e) | Setting::Pod(e) => match e.value.as_bool() {
                Some(b) if check.required.is_none_or(|r| r == b) => None,
                Some(b) => Some(format!(
                    "{} sets {field} to {}: {}; {}",
                    c.describe(),
                    if e.value.text() == Some(if b { "true" } else { "false" }) {
                        b.to_string()
                    } else {
                        e.value.describe()
                    },
                    check.consequence,
                    fix(check.required)
                )),
                None => Some(format!(
                    "{} sets {field} to {}, which is not a boolean; {}",
                    c.describe(),
                    e.value.describe(),
                    fix(check.required)
                )),
            },
        };
        if let Some(message) = message {
            let f = at_setting(check.rule, pod, c, &setting, field, message);
            cx.report(f);
        }
    }
}
