use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Checks the `pod-security.kubernetes.io/enforce`, `audit` and `warn` labels of `Namespace`
    /// objects, and their `-version` labels: a level must be `privileged`, `baseline` or `restricted`,
    /// a version `latest` or `v1.N`. A scanned Namespace with valid labels also sets the level and
    /// version its workloads in the same scan are judged at (see the README, "Pod Security Standards").
    ///
    /// ## Why is this bad?
    /// Pod Security Admission cannot apply a policy it cannot parse, and the API server refuses a
    /// Namespace with an invalid label: the namespace is not protected the way the label reads.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: strict
    ///     pod-security.kubernetes.io/enforce-version: "1.30"
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// metadata:
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    ///     pod-security.kubernetes.io/enforce-version: v1.30
    /// ```
    pub struct PssNamespaceLabels(NoParams) {
        id: "PSS_NAMESPACE_LABELS",
        name: "pss-namespace-labels",
        severity: High,
        enabled: true,
        summary: "Pod Security Admission namespace labels name a known level and version",
        tags: ["correctness", "kubernetes", "pss"],
    }
}

impl PssNamespaceLabels {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some((_, _, problems)) = pss::namespace_policy(cx.object) else {
            return;
        };
        for p in problems {
            let f = crate::finding::Finding::new(Self::ID, p.span, p.message);
            cx.report(f);
        }
    }
}
