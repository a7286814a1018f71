use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "Setting the SELinux type is restricted, and setting a custom SELinux user or role
    /// option is forbidden." Reads `securityContext.seLinuxOptions` of the pod and every container:
    /// `type` must be unset, empty, `container_t`, `container_init_t` or `container_kvm_t`
    /// (`container_engine_t` too from policy v1.31); `user` and `role` must be unset or empty. Mirrors
    /// PSA's `check_seLinuxOptions.go`.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_SELINUX` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A custom SELinux type, user or role can lift the confinement the container runtime applies.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    ///
    /// ## Fix
    /// Remove the option, or use one of the allowed container types.
    pub struct PssSelinux(NoParams) {
        id: "PSS_SELINUX",
        name: "pss-selinux",
        severity: High,
        enabled: true,
        summary: "SELinux options keep a container type and no custom user or role",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssSelinux {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for s in pss::scopes(pod) {
            let opts = pss::nested(s.sc, &["seLinuxOptions"]);
            let t = pss::nested(opts, &["type"]);
            let mut bad = Vec::new();
            match pss::api_str(t) {
                Ok(Some(x))
                    if !pss::SELINUX_TYPES
                        .iter()
                        .any(|(n, since)| *n == x && *since <= v) =>
                {
                    bad.push((
                        t,
                        "type",
                        format!("{} sets seLinuxOptions.type to {x:?}", s.who()),
                    ));
                }
                Ok(_) => {}
                Err(m) => bad.push((t, "type", m)),
            }
            for key in ["user", "role"] {
                let e = pss::nested(opts, &[key]);
                match pss::api_str(e) {
                    Ok(Some(x)) if !x.is_empty() => {
                        bad.push((
                            e,
                            key,
                            format!("{} sets seLinuxOptions.{key} to {x:?}", s.who()),
                        ));
                    }
                    Ok(_) => {}
                    Err(m) => bad.push((e, key, m)),
                }
            }
            for (e, key, msg) in bad {
                if let Some(e) = e {
                    let f = pss::finding(Self::ID, v, e.span(), msg)
                        .field(format!("{}.seLinuxOptions.{key}", s.path()))
                        .container(s.container());
                    cx.report(f);
                }
            }
        }
    }
}
