use serde::{Deserialize, Serialize};

use super::support::{check_container_bool, BoolCheck};
use super::Cx;
use crate::model::pod::Setting;

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) sets
    /// `securityContext.allowPrivilegeEscalation` to the boolean `false`. The field exists only
    /// on containers: a value in the pod's `securityContext` is ignored by Kubernetes, and the
    /// finding says so.
    ///
    /// ## Why is this bad?
    /// Kubernetes allows privilege escalation unless told otherwise: a process can gain more
    /// privileges than its parent through setuid binaries or file capabilities, because the
    /// `no_new_privs` flag is not set. Unset means allowed.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx
    ///     securityContext:
    ///       allowPrivilegeEscalation: true
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///     securityContext:
    ///       allowPrivilegeEscalation: false
    /// ```
    /// With `params: {requireFalse: false}` the rule only checks what the original Datree rule
    /// checked: that the field is set and is a boolean.
    ///
    /// `allowPrivilegeEscalation: false` does not count on a container that is privileged or
    /// adds `CAP_SYS_ADMIN` (written `SYS_ADMIN`, `CAP_SYS_ADMIN` or `ALL`): such a container
    /// can always escalate, whatever the field says, and the API server rejects the combination
    /// with `privileged: true` or `CAP_SYS_ADMIN` (see `CLUSTERSEC_INVALID_OBJECT`). Drop the
    /// privilege or the capability.
    pub struct AllowPrivilegeEscalation(PrivilegeParams) {
        id: "CUSTOM_SECURITY_PRIVILEGE_CHECK",
        name: "allow-privilege-escalation",
        severity: High,
        enabled: true,
        summary: "Containers set allowPrivilegeEscalation to false",
        tags: ["security", "kubernetes", "securityContext", "privilege-escalation"],
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct PrivilegeParams {
    /// Require the value `false` (otherwise only presence and type are checked).
    pub require_false: bool,
}

impl Default for PrivilegeParams {
    fn default() -> Self {
        PrivilegeParams {
            require_false: true,
        }
    }
}

impl AllowPrivilegeEscalation {
    fn run(&self, cx: &mut Cx<'_>) {
        check_container_bool(
            cx,
            &BoolCheck {
                rule: Self::ID,
                field: "allowPrivilegeEscalation",
                required: self.params.require_false.then_some(false),
                require_set: true,
                consequence:
                    "Kubernetes then allows processes to gain more privileges than their parent",
            },
        );
        self.contradicted(cx);
    }

    /// `allowPrivilegeEscalation: false` on a container that can always escalate.
    fn contradicted(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            let Setting::Container(ape) = pod.container_only(c, "allowPrivilegeEscalation") else {
                continue;
            };
            if ape.value.as_bool() != Some(false) {
                continue;
            }
            let privileged = c
                .own("privileged")
                .filter(|e| e.value.as_bool() == Some(true));
            let (why, at, note, fix) = if let Some(p) = privileged {
                (
                    "it is privileged, and a privileged container can always escalate (the API \
                     server rejects this combination)"
                        .to_string(),
                    p.span(),
                    "privileged: true",
                    "set privileged to false",
                )
            } else if let Some(cap) = c.adds_sys_admin() {
                (
                    format!(
                        "it adds {}: the Kubernetes API documents allowPrivilegeEscalation as \
                         always true for a container with CAP_SYS_ADMIN",
                        cap.describe()
                    ),
                    cap.span,
                    "the capability that grants CAP_SYS_ADMIN",
                    "drop the capability",
                )
            } else {
                continue;
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                ape.span(),
                format!(
                    "{} sets allowPrivilegeEscalation to false, but {why}; {}",
                    c.describe(),
                    fix
                ),
            )
            .container(c.name.clone())
            .field(c.field_path("securityContext.allowPrivilegeEscalation"))
            .related(at, note);
            cx.report(f);
        }
    }
}
