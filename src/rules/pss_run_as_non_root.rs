use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Containers must be required to run as non-root users." Reads
    /// `securityContext.runAsNonRoot` of the pod and of every container: it must be `true` on the pod
    /// (then a container may leave it unset) or on every container, and never `false`. From policy
    /// v1.35 pods with `spec.hostUsers: false` are exempt. Mirrors PSA's `check_runAsNonRoot.go`.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_RUN_AS_NON_ROOT` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A process running as root in the container is root on the node if it escapes.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: nginx
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    /// ```
    pub struct PssRunAsNonRoot(NoParams) {
        id: "PSS_RUN_AS_NON_ROOT",
        name: "pss-run-as-non-root",
        severity: Medium,
        enabled: false,
        summary: "Containers must run as non-root",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssRunAsNonRoot {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v >= pss::USER_NAMESPACE_RELAX_SINCE && pss::user_namespace_pod(pod) {
            return;
        }
        let pod_e = pod.pod_level("runAsNonRoot");
        let mut pod_ok = false;
        match pss::api_bool(pod_e) {
            Ok(Some(true)) => pod_ok = true,
            Ok(Some(false)) => {
                if let Some(e) = pod_e {
                    let f = pss::finding(
                        Self::ID,
                        v,
                        e.span(),
                        "the pod sets runAsNonRoot: false".to_string(),
                    )
                    .field(pod.field_path("securityContext.runAsNonRoot"));
                    cx.report(f);
                }
            }
            Ok(None) => {}
            Err(m) => {
                if let Some(e) = pod_e {
                    let f = pss::finding(Self::ID, v, e.span(), m)
                        .field(pod.field_path("securityContext.runAsNonRoot"));
                    cx.report(f);
                }
            }
        }
        for c in &pod.containers {
            let e = c.own("runAsNonRoot");
            let (span, msg) = match pss::api_bool(e) {
                Ok(Some(true)) => continue,
                Ok(None) if pod_ok => continue,
                Ok(Some(false)) => (
                    e.map_or(c.missing_anchor(), |e| e.span()),
                    format!("{} sets runAsNonRoot: false", c.describe()),
                ),
                Ok(None) => (
                    c.null_or_missing_anchor("runAsNonRoot"),
                    format!("{} or the pod must set runAsNonRoot: true", c.describe()),
                ),
                Err(m) => (e.map_or(c.missing_anchor(), |e| e.span()), m),
            };
            let f = pss::finding(Self::ID, v, span, msg)
                .field(c.field_path("securityContext.runAsNonRoot"))
                .container(c.name.clone());
            cx.report(f);
        }
    }
}
