use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Sysctls can disable security mechanisms or affect all containers on a host, and
    /// should be disallowed except for an allowed \"safe\" subset." Reads
    /// `spec.securityContext.sysctls[*].name`; the safe set grows with the policy version:
    /// `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start` (v1.0);
    /// `net.ipv4.ip_local_reserved_ports` (v1.27); `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes`
    /// (v1.29); `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem` (v1.32);
    /// `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat` (v1.37). Mirrors PSA's
    /// `check_sysctls.go`.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_SYSCTLS` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// An unsafe sysctl changes kernel settings shared with the node and every other pod on it.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///     - name: kernel.msgmax
    ///       value: "65536"
    /// ```
    ///
    /// ## Fix
    /// Set only sysctls of the safe set, or tune the node instead.
    pub struct PssSysctls(NoParams) {
        id: "PSS_SYSCTLS",
        name: "pss-sysctls",
        severity: High,
        enabled: true,
        summary: "Pods set only safe sysctls",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssSysctls {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        let list = pod.pod_level("sysctls");
        let items = match pss::api_list(list) {
            Ok(items) => items,
            Err(m) => {
                if let Some(e) = list {
                    cx.report(pss::finding(Self::ID, v, e.span(), m));
                }
                return;
            }
        };
        for (i, item) in items.iter().enumerate() {
            let e = item.get_entry("name");
            let (span, msg) = match pss::api_str(e) {
                Ok(Some(n))
                    if pss::SAFE_SYSCTLS
                        .iter()
                        .any(|(s, since)| *s == n && *since <= v) =>
                {
                    continue
                }
                Ok(Some(n)) => (
                    e.map_or(item.span, |e| e.span()),
                    format!("sysctl {n:?} is not in the safe set of v1.{v}"),
                ),
                Ok(None) => continue,
                Err(m) => (e.map_or(item.span, |e| e.span()), m),
            };
            let f = pss::finding(Self::ID, v, span, msg)
                .field(pod.field_path(&format!("securityContext.sysctls[{i}].name")));
            cx.report(f);
        }
    }
}
