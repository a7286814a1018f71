use serde::{Deserialize, Serialize};

use super::support::{check_container_bool, BoolCheck};
use super::Cx;

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) sets
    /// `securityContext.readOnlyRootFilesystem` to the boolean `true`. The field exists only on
    /// containers; a value in the pod's `securityContext` is ignored by Kubernetes.
    ///
    /// ## Why is this bad?
    /// A writable root filesystem lets an attacker who gets code execution in the container drop
    /// tools, change binaries and persist. Unset means writable.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx
    ///     securityContext:
    ///       readOnlyRootFilesystem: false
    /// ```
    ///
    /// ## Fix
    /// Make the root filesystem read-only and mount an `emptyDir` where the process must write:
    /// ```yaml
    ///     securityContext:
    ///       readOnlyRootFilesystem: true
    ///     volumeMounts:
    ///       - name: tmp
    ///         mountPath: /tmp
    /// ```
    /// With `params: {requireTrue: false}` the rule only checks that the field is set and is a
    /// boolean, as the original Datree rule did.
    pub struct ReadOnlyRootFilesystem(FilesystemParams) {
        id: "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        name: "read-only-root-filesystem",
        severity: Medium,
        enabled: true,
        summary: "Containers set readOnlyRootFilesystem to true",
        tags: ["security", "kubernetes", "securityContext", "filesystem"],
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct FilesystemParams {
    /// Require the value `true` (otherwise only presence and type are checked).
    pub require_true: bool,
}

impl Default for FilesystemParams {
    fn default() -> Self {
        FilesystemParams { require_true: true }
    }
}

impl ReadOnlyRootFilesystem {
    fn run(&self, cx: &mut Cx<'_>) {
        check_container_bool(
            cx,
            &BoolCheck {
                rule: Self::ID,
                field: "readOnlyRootFilesystem",
                required: self.params.require_true.then_some(true),
                require_set: true,
                consequence: "the container's root filesystem is writable",
            },
        );
    }
}
