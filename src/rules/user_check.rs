use serde::{Deserialize, Serialize};

use super::support::{at_setting, origin};
use super::Cx;
use crate::model::pod::Setting;

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) runs with an explicit
    /// `runAsUser`, set on the container or inherited from the pod's `securityContext`, and that
    /// it is an integer in the allowed range (by default at least 10000).
    ///
    /// ## Why is this bad?
    /// Without `runAsUser` the container runs as the user baked into the image, which is root
    /// for most images. A UID below 10000 can collide with a user on the node, so an escape from
    /// the container lands with that user's rights. A quoted value such as `"1000"` is rejected
    /// by the API server.
    ///
    /// A pod with `hostUsers: false` runs in a user namespace: its UIDs are mapped to an
    /// unprivileged range of the node, so a low (or missing) `runAsUser` is not a host UID and
    /// passes; a value that is not an integer is still reported. With `openshift: true` in the
    /// config, `runAsUser` must be unset instead: OpenShift's restricted SCC assigns it from the
    /// namespace's range.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: nginx
    ///       securityContext:
    ///         runAsUser: 0
    /// ```
    ///
    /// ## Fix
    /// Set `runAsUser` to a high, unprivileged UID, in the container's `securityContext` or once
    /// in the pod's:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    /// ```
    /// The range is a parameter: `rules: {CUSTOM_SECURITY_USER_CHECK: {params: {min: 1000, max: 65535}}}`.
    pub struct RunAsUser(RangeParams) {
        id: "CUSTOM_SECURITY_USER_CHECK",
        name: "run-as-user",
        severity: Medium,
        enabled: true,
        summary: "Containers run as an explicit, non-root user ID in the allowed range",
        tags: ["security", "kubernetes", "securityContext"],
    }
}

/// Parameters of the ID range rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RangeParams {
    /// Smallest accepted ID (inclusive).
    pub min: i64,
    /// Largest accepted ID (inclusive); none by default.
    pub max: Option<i64>,
}

impl Default for RangeParams {
    fn default() -> Self {
        RangeParams {
            min: 10000,
            max: None,
        }
    }
}

impl RangeParams {
    /// The value to write: `10000 or more`, `a value from 1000 to 65535`.
    pub fn fix(&self) -> String {
        match self.max {
            Some(max) => format!("a value from {} to {max}", self.min),
            None => format!("{} or more", self.min),
        }
    }

    pub fn describe(&self) -> String {
        match self.max {
            Some(max) => format!("between {} and {}", self.min, max),
            None => format!("at least {}", self.min),
        }
    }
}

/// `sets runAsUser to 0`, or `runs with runAsUser 0, inherited from spec.securityContext at
/// line 12` for a value set at pod level.
fn sets(
    pod: &crate::model::PodSpec<'_>,
    setting: &Setting<'_>,
    field: &str,
    value: &str,
) -> String {
    match setting {
        Setting::Pod(_) => format!("runs with {field} {value}, {}", origin(pod, setting)),
        _ => format!("sets {field} to {value}"),
    }
}

/// The shared check of runAsUser and runAsGroup.
pub(crate) fn check_id_range(
    cx: &mut Cx<'_>,
    rule: &'static str,
    field: &str,
    params: &RangeParams,
    missing_consequence: &str,
) {
    let Some(pod) = cx.pod else { return };
    // In a user namespace (`hostUsers: false`) the container's IDs are mapped to an unprivileged
    // range of the host: a low or missing ID is not a host ID.
    let user_namespace = pod
        .node
        .get("hostUsers")
        .and_then(crate::model::Node::as_bool)
        == Some(false);
    for c in &pod.containers {
        let setting = pod.effective(c, field);
        if cx.openshift {
            // OpenShift's restricted SCC assigns the ID from the namespace's range.
            if let Setting::Container(e) | Setting::Pod(e) = &setting {
                let message = format!(
                    "{} sets {field} to {} ({}); on OpenShift leave it unset: the restricted \
                     SCC assigns it from the namespace's range and rejects other values",
                    c.describe(),
                    e.value.describe(),
                    origin(pod, &setting)
                );
                let f = at_setting(rule, pod, c, &setting, field, message);
                cx.report(f);
            }
            continue;
        }
        let message = match &setting {
            Setting::Missing(_) if user_namespace => None,
            Setting::Container(e) | Setting::Pod(e)
                if user_namespace && e.value.as_api_int().is_some() =>
            {
                None
            }
            Setting::Missing(_) => Some(format!(
                "{} does not set {field}, and neither does {}.securityContext: \
                 {missing_consequence}; set it to {}",
                c.describe(),
                pod.path,
                params.fix()
            )),
            Setting::Container(e) | Setting::Pod(e) => match e.value.as_api_int() {
                Some(id) if id > super::invalid_object::MAX_ID => Some(format!(
                    "{} {}, above {}, the largest ID the API server accepts; set it to {}",
                    c.describe(),
                    sets(pod, &setting, field, &id.to_string()),
                    super::invalid_object::MAX_ID,
                    params.fix()
                )),
                Some(id) if id >= params.min && params.max.is_none_or(|max| id <= max) => None,
                Some(id) => Some(format!(
                    "{} {}: it must be {}; set it to {}",
                    c.describe(),
                    sets(pod, &setting, field, &id.to_string()),
                    params.describe(),
                    params.fix()
                )),
                None => Some(format!(
                    "{} {}, which is not an integer; set it to {}",
                    c.describe(),
                    sets(pod, &setting, field, &e.value.describe()),
                    params.fix()
                )),
            },
        };
        if let Some(message) = message {
            let f = at_setting(rule, pod, c, &setting, field, message);
            cx.report(f);
        }
    }
}

impl RunAsUser {
    fn run(&self, cx: &mut Cx<'_>) {
        check_id_range(
            cx,
            Self::ID,
            "runAsUser",
            &self.params,
            "it runs as the image's user, often root",
        );
    }
}
