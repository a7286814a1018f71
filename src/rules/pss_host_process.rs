use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Windows Pods offer the ability to run HostProcess containers which enables
    /// privileged access to the Windows host machine. Privileged access to the host is disallowed in
    /// the Baseline policy." Reads `securityContext.windowsOptions.hostProcess` of the pod and of every
    /// container (init and ephemeral included); allowed: unset or `false`. Mirrors PSA's
    /// `check_windowsHostProcess.go`, applied at every policy version.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_HOST_PROCESS` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A HostProcess container runs as a process on the Windows node, with the node's privileges.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true
    /// ```
    ///
    /// ## Fix
    /// Remove `hostProcess` (or set it to `false`); run node agents outside the workload namespaces.
    pub struct PssHostProcess(NoParams) {
        id: "PSS_HOST_PROCESS",
        name: "pss-host-process",
        severity: High,
        enabled: true,
        summary: "Windows pods do not run HostProcess containers",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssHostProcess {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for s in pss::scopes(pod) {
            let e = pss::nested(s.sc, &["windowsOptions", "hostProcess"]);
            let msg = match pss::api_bool(e) {
                Ok(Some(true)) => format!("{} sets windowsOptions.hostProcess to true", s.who()),
                Ok(_) => continue,
                Err(m) => m,
            };
            if let Some(e) = e {
                let f = pss::finding(Self::ID, v, e.span(), msg)
                    .field(format!("{}.windowsOptions.hostProcess", s.path()))
                    .container(s.container());
                cx.report(f);
            }
        }
    }
}
