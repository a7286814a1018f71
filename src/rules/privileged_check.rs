use serde::{Deserialize, Serialize};

use super::support::{check_container_bool, BoolCheck};
use super::Cx;

declare_rule! {
    /// ## What it does
    /// Checks that no container (regular, init or ephemeral) runs privileged: where
    /// `securityContext.privileged` is set, it must be the boolean `false`. YAML 1.1 spellings
    /// count: `privileged: yes` and `privileged: On` are privileged containers.
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability and access to the host's devices; its
    /// processes are essentially root on the node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: agent
    ///     image: agent
    ///     securityContext:
    ///       privileged: true
    /// ```
    ///
    /// ## Fix
    /// Remove the field or set it to `false`, and grant only the capabilities the process needs:
    /// ```yaml
    ///     securityContext:
    ///       privileged: false
    ///       capabilities:
    ///         add: ["NET_ADMIN"]
    /// ```
    /// With `params: {requireSet: true}` the field must also be set explicitly on every
    /// container, as the original Datree rule required.
    pub struct Privileged(PrivilegedParams) {
        id: "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        name: "privileged",
        severity: Critical,
        enabled: true,
        summary: "Containers do not run privileged",
        tags: ["security", "kubernetes", "securityContext", "privileged"],
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct PrivilegedParams {
    /// Also require the field to be set explicitly.
    pub require_set: bool,
}

impl Privileged {
    fn run(&self, cx: &mut Cx<'_>) {
        check_container_bool(
            cx,
            &BoolCheck {
                rule: Self::ID,
                field: "privileged",
                required: Some(false),
                require_set: self.params.require_set,
                consequence: "a privileged container is root on the node, with every capability and the host's devices",
            },
        );
    }
}
