use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Seccomp profile must not be explicitly set to Unconfined." From policy v1.19 reads
    /// `securityContext.seccompProfile.type` of the pod and every container (allowed: unset,
    /// `RuntimeDefault`, `Localhost`); below v1.19 reads the annotations
    /// `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp.security.alpha.kubernetes.io/<container>`
    /// (allowed: anything but `unconfined`). Mirrors PSA's `check_seccompProfile_baseline.go`. At the
    /// restricted level PSA replaces this control by `PSS_SECCOMP_RESTRICTED`.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_SECCOMP_BASELINE` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// Without seccomp every system call of the kernel is open to the container.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Use `RuntimeDefault`:
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: RuntimeDefault
    /// ```
    pub struct PssSeccompBaseline(NoParams) {
        id: "PSS_SECCOMP_BASELINE",
        name: "pss-seccomp-baseline",
        severity: High,
        enabled: true,
        summary: "Seccomp is not turned off",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssSeccompBaseline {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < pss::SECCOMP_FIELDS_SINCE {
            let names: Vec<&str> = pod.containers.iter().map(|c| c.name.as_str()).collect();
            for e in pss::pod_annotations(cx.object) {
                let key = e.key_str();
                let applies = key == "seccomp.security.alpha.kubernetes.io/pod"
                    || key
                        .strip_prefix("container.seccomp.security.alpha.kubernetes.io/")
                        .is_some_and(|n| names.contains(&n));
                if applies && e.value.as_str() == Some("unconfined") {
                    let msg = format!("annotation {key} turns seccomp off (unconfined)");
                    cx.report(pss::finding(Self::ID, v, e.span(), msg));
                }
            }
            return;
        }
        for s in pss::scopes(pod) {
            let t = pss::nested(s.sc, &["seccompProfile", "type"]);
            let msg = match pss::api_str(t) {
                Ok(Some("Unconfined")) => {
                    format!("{} sets seccompProfile.type to Unconfined", s.who())
                }
                Ok(_) => continue,
                Err(m) => m,
            };
            if let Some(e) = t {
                let f = pss::finding(Self::ID, v, e.span(), msg)
                    .field(format!("{}.seccompProfile.type", s.path()))
                    .container(s.container());
                cx.report(f);
            }
        }
    }
}
