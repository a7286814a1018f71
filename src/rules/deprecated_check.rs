use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports every `PodSecurityPolicy` object, whatever its `apiVersion`.
    ///
    /// ## Why is this bad?
    /// PodSecurityPolicy was deprecated in Kubernetes 1.21 and removed in 1.25. On a current
    /// cluster the object is rejected or does nothing, so the protection it describes is not
    /// there at all.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1beta1
    /// kind: PodSecurityPolicy
    /// metadata:
    ///   name: restricted
    /// ```
    ///
    /// ## Fix
    /// Use Pod Security Admission: label the namespace with the level to enforce, and keep
    /// finer rules in a policy engine (ValidatingAdmissionPolicy, Kyverno, Gatekeeper).
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: apps
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    pub struct PodSecurityPolicy(NoParams) {
        id: "CUSTOM_SECURITY_DEPRECATED_CHECK",
        name: "pod-security-policy",
        severity: Medium,
        enabled: true,
        summary: "PodSecurityPolicy is not used (removed in Kubernetes 1.25)",
        tags: ["security", "kubernetes", "deprecated"],
    }
}

impl PodSecurityPolicy {
    fn run(&self, cx: &mut Cx<'_>) {
        if cx.object.kind() != "PodSecurityPolicy" {
            return;
        }
        let api = &cx.object.id.api_version;
        let f = crate::finding::Finding::new(
            Self::ID,
            cx.object.kind_span(),
            format!(
                "PodSecurityPolicy ({api}) was removed in Kubernetes 1.25; use Pod Security \
                     Admission (pod-security.kubernetes.io namespace labels) instead"
            ),
        )
        .field(cx.object.path("kind"));
        cx.report(f);
    }
}
