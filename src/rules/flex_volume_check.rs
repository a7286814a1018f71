use serde::{Deserialize, Serialize};

use super::Cx;
use crate::model::Node;

declare_rule! {
    /// ## What it does
    /// Two checks on flexVolume, the out-of-tree volume plugin mechanism:
    /// - a `PodSecurityPolicy` that lists `allowedFlexVolumes` must also allow the `flexVolume`
    ///   volume type (or `*`) in `volumes`, otherwise the allow-list is dead configuration and
    ///   the intent of the policy is not what it enforces;
    /// - a pod volume of type `flexVolume` must use a driver from the `allowedDrivers` parameter
    ///   (empty by default, so every flexVolume is reported).
    ///
    /// ## Why is this bad?
    /// FlexVolume drivers are executables that run as root on every node. A pod that names an
    /// unvetted driver asks the node to run it with full privileges. FlexVolume is deprecated
    /// in favour of CSI drivers.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: data
    ///     flexVolume:
    ///       driver: example/lvm
    /// ```
    ///
    /// ## Fix
    /// Move to a CSI driver, or allow the vetted driver:
    /// `rules: {CUSTOM_SECURITY_FLEX_VOLUME_CHECK: {params: {allowedDrivers: [example/lvm]}}}`.
    /// In a PodSecurityPolicy, add `flexVolume` to `volumes` next to `allowedFlexVolumes`.
    pub struct FlexVolume(FlexParams) {
        id: "CUSTOM_SECURITY_FLEX_VOLUME_CHECK",
        name: "flex-volume",
        severity: Medium,
        enabled: true,
        summary: "flexVolume drivers are allowed explicitly, and PSP allowedFlexVolumes is consistent",
        tags: ["security", "kubernetes", "volumes"],
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
pub struct FlexParams {
    /// flexVolume drivers that pods may use.
    pub allowed_drivers: Vec<String>,
}

impl FlexVolume {
    fn run(&self, cx: &mut Cx<'_>) {
        if cx.object.kind() == "PodSecurityPolicy" {
            self.check_psp(cx);
        }
        let Some(pod) = cx.pod else { return };
        for (i, vol) in pod.volumes().iter().enumerate() {
            let Some(flex) = vol.get_entry("flexVolume") else {
                continue;
            };
            let name = vol.get("name").and_then(Node::text).unwrap_or("");
            let driver_entry = flex.value.get_entry("driver");
            let driver = driver_entry.and_then(|d| d.value.as_str());
            if driver.is_some_and(|d| self.params.allowed_drivers.iter().any(|a| a == d)) {
                continue;
            }
            let (span, what) = match (driver_entry, driver) {
                (Some(e), Some(d)) => (e.span(), format!("driver \"{d}\"")),
                (Some(e), None) => (e.span(), format!("driver {}", e.value.describe())),
                (None, _) => (flex.key.span, "no driver".to_string()),
            };
            let allowed = if self.params.allowed_drivers.is_empty() {
                "no driver is allowed (parameter allowedDrivers is empty)".to_string()
            } else {
                format!(
                    "allowed drivers: {}",
                    self.params.allowed_drivers.join(", ")
                )
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                span,
                format!(
                    "volume \"{name}\" is a flexVolume with {what}; {allowed}; use another \
                         volume type, or allow the driver in params.allowedDrivers"
                ),
            )
            .field(pod.field_path(&format!("volumes[{i}].flexVolume")));
            cx.report(f);
        }
    }

    fn check_psp(&self, cx: &mut Cx<'_>) {
        let Some(spec) = cx.object.node.get("spec") else {
            return;
        };
        let Some(allowed) = spec.get_entry("allowedFlexVolumes") else {
            return;
        };
        if allowed.value.is_null() {
            return;
        }
        let volumes = spec.get("volumes").and_then(Node::as_seq).unwrap_or(&[]);
        let permits = volumes
            .iter()
            .any(|v| matches!(v.as_str(), Some("flexVolume" | "*")));
        if !permits {
            let f = crate::finding::Finding::new(
                Self::ID,
                allowed.key.span,
                "PodSecurityPolicy lists allowedFlexVolumes but its `volumes` does not allow \
                     `flexVolume` (or `*`), so no flexVolume is permitted and the list has no \
                     effect; add flexVolume to volumes, or remove allowedFlexVolumes",
            )
            .field(cx.object.path("spec.allowedFlexVolumes"));
            cx.report(f);
        }
    }
}
