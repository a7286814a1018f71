use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "The Restricted policy only permits the following volume types": `configMap`,
    /// `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `persistentVolumeClaim`, `projected`, `secret`,
    /// and `image` (allowed by PSA since Kubernetes 1.33, at every policy version). Reads
    /// `spec.volumes[*]`. A volume with no source at all is defaulted to `emptyDir` by the API server
    /// and passes. Mirrors PSA's `check_restrictedVolumes.go`.
    ///
    /// Pod Security Standards, **restricted** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)).
    /// `clustersec explain PSS_VOLUME_TYPES` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// Other volume types reach the node (hostPath) or network storage outside the cluster's control.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: data
    ///     nfs:
    ///       server: nfs.example
    ///       path: /exports
    /// ```
    ///
    /// ## Fix
    /// Use a `persistentVolumeClaim` backed by a StorageClass.
    pub struct PssVolumeTypes(NoParams) {
        id: "PSS_VOLUME_TYPES",
        name: "pss-volume-types",
        severity: Medium,
        enabled: false,
        summary: "Pods use only the volume types of the restricted level",
        tags: ["security", "kubernetes", "pss", "restricted"],
    }
}

impl PssVolumeTypes {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        for (i, vol) in pod.volumes().iter().enumerate() {
            let name = vol.get("name").and_then(|n| n.text()).unwrap_or("");
            for source in pss::VOLUME_SOURCES {
                if pss::RESTRICTED_VOLUMES.contains(source) {
                    continue;
                }
                if let Some(e) = vol.get_entry(source).filter(|e| !e.value.is_null()) {
                    let msg = format!(
                        "volume {name:?} is of type {source}, which restricted does not allow"
                    );
                    let f = pss::finding(Self::ID, v, e.span(), msg)
                        .field(pod.field_path(&format!("volumes[{i}].{source}")));
                    cx.report(f);
                }
            }
        }
    }
}
