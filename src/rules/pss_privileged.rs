use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Privileged Pods disable most security mechanisms and must be disallowed." Reads
    /// `securityContext.privileged` of every container (init and ephemeral included); allowed: unset or
    /// `false`. Mirrors PSA's `check_privileged.go`, applied at every policy version. Where
    /// `CUSTOM_SECURITY_PRIVILEGED_CHECK` also runs, it reports the same field and this rule stays
    /// silent at that place.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_PRIVILEGED` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability and the host's devices: root on the node.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: agent
    ///     securityContext:
    ///       privileged: true
    /// ```
    ///
    /// ## Fix
    /// Remove the field or set it to `false`.
    pub struct PssPrivileged(NoParams) {
        id: "PSS_PRIVILEGED",
        name: "pss-privileged",
        severity: High,
        enabled: true,
        summary: "Containers are not privileged",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssPrivileged {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for c in &pod.containers {
            let e = c.own("privileged");
            let msg = match pss::api_bool(e) {
                Ok(Some(true)) => format!("{} sets privileged: true", c.describe()),
                Ok(_) => continue,
                Err(m) => m,
            };
            if let Some(e) = e {
                let f = pss::finding(Self::ID, v, e.span(), msg)
                    .field(c.field_path("securityContext.privileged"))
                    .container(c.name.clone());
                cx.report(f);
            }
        }
    }
}
