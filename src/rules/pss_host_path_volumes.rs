use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "HostPath volumes must be forbidden." Reads `spec.volumes[*].hostPath`; allowed:
    /// unset. Mirrors PSA's `check_hostPathVolumes.go`. At the restricted level PSA replaces this control
    /// by the volume types control (`PSS_VOLUME_TYPES`), which forbids hostPath too.
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_HOST_PATH_VOLUMES` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// A hostPath volume exposes the node's filesystem to the container: a path of `/` is the whole node.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: root
    ///     hostPath:
    ///       path: /
    /// ```
    ///
    /// ## Fix
    /// Use a `persistentVolumeClaim`, `configMap`, `secret` or `emptyDir` volume instead.
    pub struct PssHostPathVolumes(NoParams) {
        id: "PSS_HOST_PATH_VOLUMES",
        name: "pss-host-path-volumes",
        severity: High,
        enabled: true,
        summary: "Pods mount no hostPath volumes",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssHostPathVolumes {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for (i, vol) in pod.volumes().iter().enumerate() {
            if let Some(e) = vol.get_entry("hostPath").filter(|e| !e.value.is_null()) {
                let name = vol.get("name").and_then(|n| n.text()).unwrap_or("");
                let msg = format!("volume {name:?} is a hostPath volume");
                let f = pss::finding(Self::ID, v, e.span(), msg)
                    .field(pod.field_path(&format!("volumes[{i}].hostPath")));
                cx.report(f);
            }
        }
    }
}
