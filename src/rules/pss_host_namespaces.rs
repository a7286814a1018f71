use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Sharing the host namespaces must be disallowed." Reads `spec.hostNetwork`,
    /// `spec.hostPID` and `spec.hostIPC`; allowed: unset or `false`. Mirrors PSA's
    /// `check_hostNamespaces.go`, applied at every policy version.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_HOST_NAMESPACES` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A pod on the host network sees every connection of the node and can reach services bound to
    /// localhost; with the host PID namespace it can see and signal the node's processes; with host IPC
    /// it can read other processes' shared memory.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   hostPID: true
    /// ```
    ///
    /// ## Fix
    /// Remove the fields (or set them to `false`).
    pub struct PssHostNamespaces(NoParams) {
        id: "PSS_HOST_NAMESPACES",
        name: "pss-host-namespaces",
        severity: High,
        enabled: true,
        summary: "Pods do not share the host's network, PID or IPC namespaces",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssHostNamespaces {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for key in ["hostNetwork", "hostPID", "hostIPC"] {
            let e = pod.node.get_entry(key);
            let msg = match pss::api_bool(e) {
                Ok(Some(true)) => format!("the pod sets {key}: true, sharing the node's namespace"),
                Ok(_) => continue,
                Err(m) => m,
            };
            if let Some(e) = e {
                let f = pss::finding(Self::ID, v, e.span(), msg).field(pod.field_path(key));
                cx.report(f);
            }
        }
    }
}
