use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Containers must not set runAsUser to 0." Reads `securityContext.runAsUser` of
    /// the pod and every container; allowed: unset or non-zero. From policy v1.23; from v1.35 pods with
    /// `spec.hostUsers: false` are exempt. Mirrors PSA's `check_runAsUser.go`. Where
    /// `CUSTOM_SECURITY_USER_CHECK` also runs and reports the same field, this rule stays silent at that
    /// place.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_RUN_AS_USER` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// User 0 is root.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    ///
    /// ## Fix
    /// Set a non-zero user, e.g. `runAsUser: 10001`.
    pub struct PssRunAsUser(NoParams) {
        id: "PSS_RUN_AS_USER",
        name: "pss-run-as-user",
        severity: Medium,
        enabled: false,
        summary: "Containers do not set runAsUser to 0",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssRunAsUser {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < 23 || (v >= pss::USER_NAMESPACE_RELAX_SINCE && pss::user_namespace_pod(pod)) {
            return;
        }
        for s in pss::scopes(pod) {
            let Some(e) = pss::nested(s.sc, &["runAsUser"]).filter(|e| !e.value.is_null()) else {
                continue;
            };
            let msg = match e.value.as_api_int() {
                Some(0) => format!("{} sets runAsUser: 0 (root)", s.who()),
                Some(_) => continue,
                None => format!(
                    "`runAsUser` must be an integer, found {}: the API server rejects the object",
                    e.value.describe()
                ),
            };
            let f = pss::finding(Self::ID, v, e.span(), msg)
                .field(format!("{}.runAsUser", s.path()))
                .container(s.container());
            cx.report(f);
        }
    }
}
