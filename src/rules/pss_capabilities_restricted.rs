use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Containers must drop ALL capabilities, and are only permitted to add back the
    /// NET_BIND_SERVICE capability." Reads `securityContext.capabilities.drop` (must contain `ALL`,
    /// exactly so written) and `.add` (only `NET_BIND_SERVICE`) of every container. From policy v1.22;
    /// from v1.25 pods with `spec.os.name: windows` are exempt. Mirrors PSA's
    /// `check_capabilities_restricted.go`; at restricted it replaces `PSS_CAPABILITIES_BASELINE`.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_CAPABILITIES_RESTRICTED` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// Every capability a container keeps is a kernel privilege an attacker in it can use.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["NET_ADMIN"]
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]   # only if it binds a port below 1024
    /// ```
    pub struct PssCapabilitiesRestricted(NoParams) {
        id: "PSS_CAPABILITIES_RESTRICTED",
        name: "pss-capabilities-restricted",
        severity: Medium,
        enabled: false,
        summary: "Containers drop ALL capabilities and add only NET_BIND_SERVICE",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssCapabilitiesRestricted {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < 22 || (v >= pss::WINDOWS_EXEMPT_SINCE && pss::is_windows(pod)) {
            return;
        }
        for c in &pod.containers {
            let caps = c.own("capabilities").filter(|e| !e.value.is_null());
            let base = c.field_path("securityContext.capabilities");
            if let Some(e) = caps.filter(|e| !e.value.is_map()) {
                let msg = format!(
                    "`capabilities` must be a mapping, found {}: the API server rejects the object",
                    e.value.describe()
                );
                cx.report(
                    pss::finding(Self::ID, v, e.span(), msg)
                        .field(base)
                        .container(c.name.clone()),
                );
                continue;
            }
            let drop = pss::nested(caps, &["drop"]);
            match pss::api_list(drop) {
                Ok(items) if items.iter().any(|i| i.as_str() == Some("ALL")) => {}
                Ok(_) => {
                    let span = drop.filter(|e| !e.value.is_null()).map_or_else(
                        || caps.map_or(c.missing_anchor(), |e| e.key.span),
                        |e| e.span(),
                    );
                    let msg = format!("{} must drop ALL capabilities", c.describe());
                    cx.report(
                        pss::finding(Self::ID, v, span, msg)
                            .field(format!("{base}.drop"))
                            .container(c.name.clone()),
                    );
                }
                Err(m) => {
                    if let Some(e) = drop {
                        cx.report(
                            pss::finding(Self::ID, v, e.span(), m)
                                .field(format!("{base}.drop"))
                                .container(c.name.clone()),
                        );
                    }
                }
            }
            let add = pss::nested(caps, &["add"]);
            match pss::api_list(add) {
                Ok(items) => {
                    for item in items {
                        let msg = match item.as_str() {
                            Some("NET_BIND_SERVICE") => continue,
                            Some(s) => format!("{} adds capability {s:?}; restricted allows only NET_BIND_SERVICE", c.describe()),
                            None => format!(
                                "a capability must be a string, found {}: the API server rejects the object",
                                item.describe()
                            ),
                        };
                        cx.report(
                            pss::finding(Self::ID, v, item.span, msg)
                                .field(format!("{base}.add"))
                                .container(c.name.clone()),
                        );
                    }
                }
                Err(m) => {
                    if let Some(e) = add {
                        cx.report(
                            pss::finding(Self::ID, v, e.span(), m)
                                .field(format!("{base}.add"))
                                .container(c.name.clone()),
                        );
                    }
                }
            }
        }
    }
}
