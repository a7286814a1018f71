use super::data::pss;
use super::{Cx, NoParams};
use crate::model::pod::PodSpec;

declare_rule! {
    /// ## What it does
    /// Standard: "The default /proc masks are set up to reduce attack surface, and should be
    /// required." Reads `securityContext.procMount` of every container; allowed: unset or `Default`.
    /// From policy v1.35 a pod with `spec.hostUsers: false` (its own user namespace) may use any
    /// procMount at baseline. Mirrors PSA's `check_procMount_baseline.go` (`check_procMount.go` before).
    /// Where `CUSTOM_SECURITY_PROC_MOUNT_CHECK` also runs, it reports the same field and this rule stays
    /// silent at that place.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_PROC_MOUNT` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// An unmasked /proc exposes kernel interfaces that the default masks hide from containers.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` or set it to `Default`.
    pub struct PssProcMount(NoParams) {
        id: "PSS_PROC_MOUNT",
        name: "pss-proc-mount",
        severity: High,
        enabled: true,
        summary: "Containers keep the default /proc mount",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssProcMount {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v >= pss::USER_NAMESPACE_RELAX_SINCE && pss::user_namespace_pod(pod) {
            return;
        }
        report_proc_mount(cx, pod, Self::ID, v);
    }
}

/// Reports every container whose `procMount` is set to something other than `Default`.
pub(crate) fn report_proc_mount(cx: &mut Cx<'_>, pod: &PodSpec<'_>, rule: &'static str, v: u32) {
    for c in &pod.containers {
        let e = c.own("procMount");
        let msg = match pss::api_str(e) {
            Ok(Some("Default")) | Ok(None) => continue,
            Ok(Some(x)) => format!("{} sets procMount to {x:?}", c.describe()),
            Err(m) => m,
        };
        if let Some(e) = e {
            let f = pss::finding(rule, v, e.span(), msg)
                .field(c.field_path("securityContext.procMount"))
                .container(c.name.clone());
            cx.report(f);
        }
    }
}
