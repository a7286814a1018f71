use super::user_check::{check_id_range, RangeParams};
use super::Cx;

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) runs with an explicit
    /// `runAsGroup`, set on the container or inherited from the pod's `securityContext`, and that
    /// it is an integer in the allowed range (by default at least 10000).
    ///
    /// ## Why is this bad?
    /// Without `runAsGroup` the process keeps the image's primary group, usually `root` (GID 0),
    /// and can read and write every file owned by the root group. A low GID can collide with a
    /// group on the node.
    ///
    /// A pod with `hostUsers: false` runs in a user namespace: its GIDs are mapped to an
    /// unprivileged range of the node, so a low (or missing) `runAsGroup` passes. With
    /// `openshift: true` in the config, `runAsGroup` must be unset: OpenShift's restricted SCC
    /// assigns it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///   containers:
    ///     - name: web
    ///       image: nginx
    /// ```
    ///
    /// ## Fix
    /// Set `runAsGroup` next to `runAsUser`:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///     runAsGroup: 10001
    /// ```
    /// The range is a parameter: `rules: {CUSTOM_SECURITY_GROUPS_CHECK: {params: {min: 1000}}}`.
    pub struct RunAsGroup(RangeParams) {
        id: "CUSTOM_SECURITY_GROUPS_CHECK",
        name: "run-as-group",
        severity: Medium,
        enabled: true,
        summary: "Containers run with an explicit, non-root group ID in the allowed range",
        tags: ["security", "kubernetes", "securityContext"],
    }
}

impl RunAsGroup {
    fn run(&self, cx: &mut Cx<'_>) {
        check_id_range(
            cx,
            Self::ID,
            "runAsGroup",
            &self.params,
            "it runs with the image's group, often root (GID 0)",
        );
    }
}
