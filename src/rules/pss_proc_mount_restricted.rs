use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: at the restricted level, a pod must use the default `/proc` mount even when it
    /// runs in its own user namespace. From policy v1.35 the baseline procMount control lets a pod with
    /// `spec.hostUsers: false` use any `procMount`; restricted takes that back. This rule reports exactly
    /// what `PSS_PROC_MOUNT` lets pass for such a pod, so the two never report the same container twice.
    /// Mirrors PSA's `check_procMount_restricted.go` (v1.35, overriding `procMount`).
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_PROC_MOUNT_RESTRICTED` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// An unmasked /proc exposes kernel interfaces that the default masks hide from containers.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: web
    ///       securityContext:
    ///         procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` or set it to `Default`.
    pub struct PssProcMountRestricted(NoParams) {
        id: "PSS_PROC_MOUNT_RESTRICTED",
        name: "pss-proc-mount-restricted",
        severity: Medium,
        enabled: false,
        summary: "User-namespace pods keep the default /proc mount at restricted",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssProcMountRestricted {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < pss::USER_NAMESPACE_RELAX_SINCE || !pss::user_namespace_pod(pod) {
            return;
        }
        super::pss_proc_mount::report_proc_mount(cx, pod, Self::ID, v);
    }
}
