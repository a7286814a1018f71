use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Seccomp profile must be explicitly set to one of the allowed values." Reads
    /// `securityContext.seccompProfile.type` of the pod and every container: `RuntimeDefault` or
    /// `Localhost` on the pod (then a container may leave it unset) or on every container. From policy
    /// v1.19; from v1.25 pods with `spec.os.name: windows` are exempt. Mirrors PSA's
    /// `check_seccompProfile_restricted.go`.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_SECCOMP_RESTRICTED` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// Without a seccomp profile every system call of the kernel is open to the container.
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
    ///     seccompProfile:
    ///       type: RuntimeDefault
    /// ```
    pub struct PssSeccompRestricted(NoParams) {
        id: "PSS_SECCOMP_RESTRICTED",
        name: "pss-seccomp-restricted",
        severity: Medium,
        enabled: false,
        summary: "A seccomp profile is set: RuntimeDefault or Localhost",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssSeccompRestricted {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < pss::SECCOMP_FIELDS_SINCE || (v >= pss::WINDOWS_EXEMPT_SINCE && pss::is_windows(pod))
        {
            return;
        }
        let mut pod_ok = false;
        let report = |cx: &mut Cx<'_>,
                      profile: &crate::model::yaml::Entry,
                      who: &str,
                      path: String,
                      container: &str|
         -> bool {
            let t = pss::nested(Some(profile), &["type"]);
            let msg = match pss::api_str(t) {
                Ok(Some("RuntimeDefault" | "Localhost")) => return true,
                Ok(Some(x)) => format!("{who} sets seccompProfile.type to {x:?}; restricted requires RuntimeDefault or Localhost"),
                Ok(None) => format!("{who} sets seccompProfile without a type"),
                Err(m) => m,
            };
            let span = t.map_or(profile.span(), |e| e.span());
            cx.report(
                pss::finding(Self::ID, v, span, msg)
                    .field(path)
                    .container(container.to_string()),
            );
            false
        };
        if let Some(profile) = pod
            .pod_level("seccompProfile")
            .filter(|e| !e.value.is_null())
        {
            pod_ok = report(
                cx,
                profile,
                "the pod",
                pod.field_path("securityContext.seccompProfile.type"),
                "",
            );
        }
        for c in &pod.containers {
            let path = c.field_path("securityContext.seccompProfile.type");
            match c.own("seccompProfile").filter(|e| !e.value.is_null()) {
                Some(profile) => {
                    report(cx, profile, &c.describe(), path, &c.name);
                }
                None if pod_ok => {}
                None => {
                    let msg = format!(
                        "{} or the pod must set seccompProfile.type to RuntimeDefault or Localhost",
                        c.describe()
                    );
                    let f =
                        pss::finding(Self::ID, v, c.null_or_missing_anchor("seccompProfile"), msg)
                            .field(path)
                            .container(c.name.clone());
                    cx.report(f);
                }
            }
        }
    }
}
