use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Adding additional capabilities beyond those listed below must be disallowed."
    /// Reads `securityContext.capabilities.add` of every container; allowed: `AUDIT_WRITE`, `CHOWN`,
    /// `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`,
    /// `SETPCAP`, `SETUID`, `SYS_CHROOT`, compared exactly as written (`CAP_CHOWN` is not in the list).
    /// Mirrors PSA's `check_capabilities_baseline.go`. At the restricted level PSA replaces this
    /// control by the restricted capabilities control (`PSS_CAPABILITIES_RESTRICTED`).
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_CAPABILITIES_BASELINE` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// Capabilities such as `SYS_ADMIN`, `NET_ADMIN` or `SYS_PTRACE` give a container ways out to the node.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// Add only capabilities of the baseline list, or none.
    pub struct PssCapabilitiesBaseline(NoParams) {
        id: "PSS_CAPABILITIES_BASELINE",
        name: "pss-capabilities-baseline",
        severity: High,
        enabled: true,
        summary: "Containers add only the baseline capabilities",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssCapabilitiesBaseline {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for c in &pod.containers {
            let path = c.field_path("securityContext.capabilities.add");
            let caps = c.own("capabilities");
            if let Some(e) = caps.filter(|e| !e.value.is_map() && !e.value.is_null()) {
                let msg = format!(
                    "`capabilities` must be a mapping, found {}: the API server rejects the object",
                    e.value.describe()
                );
                cx.report(
                    pss::finding(Self::ID, v, e.span(), msg)
                        .field(path)
                        .container(c.name.clone()),
                );
                continue;
            }
            let add = pss::nested(caps, &["add"]);
            let items = match pss::api_list(add) {
                Ok(items) => items,
                Err(m) => {
                    if let Some(e) = add {
                        cx.report(
                            pss::finding(Self::ID, v, e.span(), m)
                                .field(path)
                                .container(c.name.clone()),
                        );
                    }
                    continue;
                }
            };
            for item in items {
                let msg = match item.as_str() {
                    Some(s) if pss::BASELINE_CAPABILITIES.contains(&s) => continue,
                    Some(s) => format!("{} adds capability {s:?}, which is not in the baseline set", c.describe()),
                    None => format!(
                        "a capability must be a string, found {}: the API server rejects the object",
                        item.describe()
                    ),
                };
                cx.report(
                    pss::finding(Self::ID, v, item.span, msg)
                        .field(path.clone())
                        .container(c.name.clone()),
                );
            }
        }
    }
}
