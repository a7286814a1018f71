use super::data::api_versions::{lookup, Advice, ApiRow};
use super::{Cx, NoParams};
use crate::kube_version::KubeVersion;

declare_rule! {
    /// ## What it does
    /// Reports an object whose `apiVersion` is no longer served for its `kind` by the target
    /// Kubernetes version: `extensions/v1beta1` Deployments and Ingresses, `policy/v1beta1`
    /// PodDisruptionBudgets, `batch/v1beta1` CronJobs, `autoscaling/v2beta2`
    /// HorizontalPodAutoscalers, `flowcontrol.apiserver.k8s.io/v1beta3`... every built-in API of
    /// the Kubernetes deprecated API migration guide. The finding sits on the `apiVersion` line
    /// and says when the version was deprecated and removed, and which apiVersion replaces it
    /// since which release.
    ///
    /// The target is `--kube-version` (the same flag sets `.Capabilities.KubeVersion` for Helm
    /// renders) or `kube-version:` in the config; without either it is the newest release the
    /// table knows (1.33). Objects in `kind: List` items, JSON manifests and rendered Helm and
    /// Kustomize output are checked too.
    ///
    /// ## Why is this bad?
    /// The API server rejects the object (`no matches for kind "Deployment" in version
    /// "extensions/v1beta1"`), so the deploy fails after the merge, or the manifest silently stops
    /// being applied by a GitOps controller.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1beta1      # removed in 1.25
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: web
    /// spec:
    ///   minAvailable: 1
    ///   selector:
    ///     matchLabels: {app: web}
    /// ```
    ///
    /// ## Fix
    /// Change `apiVersion` to the replacement the message names, and apply the field changes the
    /// migration guide lists for it (kubernetes.io/docs/reference/using-api/deprecation-guide/):
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// ```
    /// To check against the cluster you deploy to: `clustersec scan --kube-version 1.24 k8s/`.
    pub struct RemovedApiVersion(NoParams) {
        id: "CLUSTERSEC_REMOVED_API",
        name: "removed-api-version",
        severity: High,
        enabled: true,
        summary: "Objects use apiVersions that the target Kubernetes version serves",
        tags: ["correctness", "kubernetes", "deprecated"],
    }
}

/// The object's deprecated row, with the `apiVersion:` entry's span and field path.
pub(crate) fn deprecated_row(cx: &Cx<'_>) -> Option<(&'static ApiRow, crate::model::Span, String)> {
    let obj = cx.object;
    let entry = obj.node.get_entry("apiVersion")?;
    // A non-string apiVersion is CLUSTERSEC_WRONG_TYPE's.
    let api = entry.value.as_str()?;
    let kind = obj.node.get("kind")?.as_str()?;
    let row = lookup(api, kind)?;
    Some((row, entry.span(), obj.path("apiVersion")))
}

/// `use apps/v1 (available since Kubernetes 1.9)`.
pub(crate) fn advice_text(row: &ApiRow, target: KubeVersion) -> String {
    match row.advice(target) {
        Some(Advice::Use(api, since)) if since <= target => {
            format!("use {api} (available since Kubernetes {since})")
        }
        Some(Advice::Use(api, since)) => format!(
            "its replacement {api} is available from Kubernetes {since}, later than the target"
        ),
        Some(Advice::Instead(what)) => format!("it has no replacement apiVersion: use {what}"),
        None => "see the Kubernetes deprecated API migration guide".to_string(),
    }
}

impl RemovedApiVersion {
    fn run(&self, cx: &mut Cx<'_>) {
        let target = cx.kube_version;
        let Some((row, span, path)) = deprecated_row(cx) else {
            return;
        };
        if row.removed > target {
            return;
        }
        let f = crate::finding::Finding::new(
            Self::ID,
            span,
            format!(
                "{} {} is not served by Kubernetes {target} (the target version): deprecated \
                     in {}, removed in {}; {}",
                row.kind,
                row.api_version,
                row.deprecated,
                row.removed,
                advice_text(row, target)
            ),
        )
        .field(path);
        cx.report(f);
    }
}
