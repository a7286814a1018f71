use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Checks that every pod spec sets `automountServiceAccountToken: false`. Off by default
    /// (most pods that talk to the Kubernetes API need the token): turn it on with
    /// `rules: {CLUSTERSEC_AUTOMOUNT_TOKEN: {enabled: true}}` and silence it on the workloads
    /// that use the API with `# clustersec:ignore CLUSTERSEC_AUTOMOUNT_TOKEN reason`.
    ///
    /// A ServiceAccount with `automountServiceAccountToken: false` also keeps the token out,
    /// but it is another object: the pod's own field is what this rule reads.
    ///
    /// ## Why is this bad?
    /// Unless told otherwise, Kubernetes mounts a token of the pod's service account into every
    /// container. A pod that never calls the API gains nothing from it, and an attacker who gets
    /// code execution in it gets the service account's permissions.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   automountServiceAccountToken: false
    /// ```
    pub struct AutomountServiceAccountToken(NoParams) {
        id: "CLUSTERSEC_AUTOMOUNT_TOKEN",
        name: "automount-service-account-token",
        severity: Low,
        enabled: false,
        summary: "Pods that do not use the Kubernetes API do not mount a service account token",
        tags: ["security", "kubernetes", "rbac"],
    }
}

impl AutomountServiceAccountToken {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let field = "automountServiceAccountToken";
        let (span, message) = match pod.node.get_entry(field) {
            Some(e) if e.value.as_bool() == Some(false) => return,
            Some(e) if e.value.as_bool() == Some(true) => (
                e.span(),
                format!(
                    "{} sets {field} to {}: every container gets the service account's token",
                    pod.path,
                    e.value.describe()
                ),
            ),
            Some(e) if !e.value.is_null() => (
                e.span(),
                format!(
                    "{} sets {field} to {}, which is not a boolean; set it to false",
                    pod.path,
                    e.value.describe()
                ),
            ),
            _ => (
                pod.node
                    .entries()
                    .and_then(|e| e.first())
                    .map_or(pod.node.span, |e| e.key.span),
                format!(
                    "{} does not set {field} to false: every container gets the service \
                     account's token, usable by anyone who runs code in the pod",
                    pod.path
                ),
            ),
        };
        let f = crate::finding::Finding::new(Self::ID, span, message).field(pod.field_path(field));
        cx.report(f);
    }
}
