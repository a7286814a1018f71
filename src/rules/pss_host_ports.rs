use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "HostPorts should be disallowed entirely." Reads `ports[*].hostPort` of every
    /// container (init and ephemeral included); allowed: unset or `0`. Mirrors PSA's `check_hostPorts.go`,
    /// applied at every policy version.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_HOST_PORTS` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A host port binds the node's own network interface, bypassing network policies.
    ///
    /// ## Example
    /// ```yaml
    /// ports:
    ///   - containerPort: 8080
    ///     hostPort: 8080
    /// ```
    ///
    /// ## Fix
    /// Remove `hostPort` and expose the port through a Service.
    pub struct PssHostPorts(NoParams) {
        id: "PSS_HOST_PORTS",
        name: "pss-host-ports",
        severity: High,
        enabled: true,
        summary: "Containers do not bind host ports",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssHostPorts {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for c in &pod.containers {
            let Some(ports) = c.field("ports").and_then(|e| e.value.as_seq()) else {
                continue;
            };
            for (i, p) in ports.iter().enumerate() {
                let Some(e) = p.get_entry("hostPort").filter(|e| !e.value.is_null()) else {
                    continue;
                };
                let msg = match e.value.as_api_int() {
                    Some(0) => continue,
                    Some(n) => format!("{} binds host port {n}", c.describe()),
                    None => format!(
                        "`hostPort` must be an integer, found {}: the API server rejects the object",
                        e.value.describe()
                    ),
                };
                let f = pss::finding(Self::ID, v, e.span(), msg)
                    .field(c.field_path(&format!("ports[{i}].hostPort")))
                    .container(c.name.clone());
                cx.report(f);
            }
        }
    }
}
