use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "The Host field in probes and lifecycle hooks must be disallowed" (from policy
    /// v1.34). Reads `httpGet.host` and `tcpSocket.host` of `livenessProbe`, `readinessProbe`,
    /// `startupProbe`, `lifecycle.postStart` and `lifecycle.preStop` of every container; allowed: unset
    /// or empty. Mirrors PSA's `check_hostProbesAndhostLifecycle.go`; below v1.34 the control does not
    /// exist.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_HOST_PROBES` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// The kubelet sends probes from the node: a probe's host lets a pod make the node reach any address.
    ///
    /// ## Example
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254
    ///     path: /
    ///     port: 80
    /// ```
    ///
    /// ## Fix
    /// Remove `host`: the probe then goes to the pod's own IP.
    pub struct PssHostProbes(NoParams) {
        id: "PSS_HOST_PROBES",
        name: "pss-host-probes",
        severity: High,
        enabled: true,
        summary: "Probes and lifecycle handlers do not name a host",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssHostProbes {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        if v < 34 {
            return;
        }
        for c in &pod.containers {
            let mut handlers = Vec::new();
            for p in ["livenessProbe", "readinessProbe", "startupProbe"] {
                handlers.push((p.to_string(), c.field(p)));
            }
            let lifecycle = c.field("lifecycle");
            for h in ["postStart", "preStop"] {
                handlers.push((format!("lifecycle.{h}"), pss::nested(lifecycle, &[h])));
            }
            for (name, handler) in handlers {
                for kind in ["httpGet", "tcpSocket"] {
                    let e = pss::nested(handler, &[kind, "host"]);
                    let msg = match pss::api_str(e) {
                        Ok(Some(h)) if !h.is_empty() => {
                            format!("{} sets {name}.{kind}.host to {h:?}", c.describe())
                        }
                        Ok(_) => continue,
                        Err(m) => m,
                    };
                    if let Some(e) = e {
                        let f = pss::finding(Self::ID, v, e.span(), msg)
                            .field(c.field_path(&format!("{name}.{kind}.host")))
                            .container(c.name.clone());
                        cx.report(f);
                    }
                }
            }
        }
    }
}
