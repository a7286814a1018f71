use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Privilege escalation (such as via set-user-ID or set-group-ID file mode) should not
    /// be allowed." Reads `securityContext.allowPrivilegeEscalation` of every container; it must be set
    /// to `false` (unset fails). From policy v1.8; from v1.25 pods with `spec.os.name: windows` are
    /// exempt. Mirrors PSA's `check_allowPrivilegeEscalation.go`. Where
    /// `CUSTOM_SECURITY_PRIVILEGE_CHECK` also runs, it reports the same field and this rule stays silent
    /// at that place.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_PRIVILEGE_ESCALATION` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A setuid binary in the image can give the process more privileges than it started with.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: true
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// securityContext:
    ///   allowPrivilegeEscalation: false
    /// ```
    pub struct PssPrivilegeEscalation(NoParams) {
        id: "PSS_PRIVILEGE_ESCALATION",
        name: "pss-privilege-escalation",
        severity: Medium,
        enabled: false,
        summary: "Containers set allowPrivilegeEscalation: false",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssPrivilegeEscalation {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < 8 || (v >= pss::WINDOWS_EXEMPT_SINCE && pss::is_windows(pod)) {
            return;
        }
        for c in &pod.containers {
            let e = c.own("allowPrivilegeEscalation");
            let (span, msg) = match pss::api_bool(e) {
                Ok(Some(false)) => continue,
                Ok(Some(true)) => (
                    e.map_or(c.missing_anchor(), |e| e.span()),
                    format!("{} sets allowPrivilegeEscalation: true", c.describe()),
                ),
                Ok(None) => (
                    c.null_or_missing_anchor("allowPrivilegeEscalation"),
                    format!("{} must set allowPrivilegeEscalation: false", c.describe()),
                ),
                Err(m) => (e.map_or(c.missing_anchor(), |e| e.span()), m),
            };
            let f = pss::finding(Self::ID, v, span, msg)
                .field(c.field_path("securityContext.allowPrivilegeEscalation"))
                .container(c.name.clone());
            cx.report(f);
        }
    }
}
