use super::{Cx, NoParams};
use crate::model::pod::Setting;

declare_rule! {
    /// ## What it does
    /// Checks that no container (regular, init or ephemeral) sets `securityContext.procMount`
    /// to anything but `Default`, and that no `PodSecurityPolicy` lists `Unmasked` in
    /// `allowedProcMountTypes`.
    ///
    /// ## Why is this bad?
    /// `Unmasked` turns off the masking of sensitive paths under `/proc` (such as
    /// `/proc/kcore` and `/proc/sys`), exposing kernel information and knobs to the container.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: builder
    ///     image: builder
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## Fix
    /// Remove `procMount` or set it to `Default`; remove `Unmasked` from a PodSecurityPolicy's
    /// `allowedProcMountTypes`.
    pub struct ProcMount(NoParams) {
        id: "CUSTOM_SECURITY_PROC_MOUNT_CHECK",
        name: "proc-mount",
        severity: High,
        enabled: true,
        summary: "Containers keep the default /proc masking (procMount: Default)",
        tags: ["security", "kubernetes", "securityContext"],
    }
}

impl ProcMount {
    fn run(&self, cx: &mut Cx<'_>) {
        if cx.object.kind() == "PodSecurityPolicy" {
            if let Some(types) = cx
                .object
                .node
                .get("spec")
                .and_then(|s| s.get("allowedProcMountTypes"))
                .and_then(|t| t.as_seq())
            {
                for (i, t) in types.iter().enumerate() {
                    if t.as_str() == Some("Unmasked") {
                        let f = crate::finding::Finding::new(
                            Self::ID,
                            t.span,
                            "PodSecurityPolicy allows procMount Unmasked, which exposes the \
                                 host's /proc to containers; remove it from \
                                 allowedProcMountTypes",
                        )
                        .field(cx.object.path(&format!("spec.allowedProcMountTypes[{i}]")));
                        cx.report(f);
                    }
                }
            }
        }
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            let Setting::Container(e) = pod.container_only(c, "procMount") else {
                continue;
            };
            if e.value.as_str() == Some("Default") {
                continue;
            }
            let f = crate::finding::Finding::new(
                Self::ID,
                e.span(),
                format!(
                    "{} sets procMount to {}: only Default keeps /proc masked; set it to \
                         Default or remove it",
                    c.describe(),
                    e.value.describe()
                ),
            )
            .container(c.name.clone())
            .field(c.field_path("securityContext.procMount"));
            cx.report(f);
        }
    }
}
