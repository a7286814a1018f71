use super::removed_api::{advice_text, deprecated_row};
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports an object whose `apiVersion` is deprecated for its `kind` in the target Kubernetes
    /// version but still served: it works today and stops working in the release the message
    /// names. The finding sits on the `apiVersion` line and names the replacement and since when
    /// it is available. Once the target reaches the removal release, `CLUSTERSEC_REMOVED_API`
    /// reports the object instead.
    ///
    /// The target is `--kube-version` or `kube-version:` in the config (default: the newest
    /// release the table knows, 1.33).
    ///
    /// ## Why is this bad?
    /// The next upgrade that removes the version breaks the deploy. Migrating while both versions
    /// are served is a change to one line; migrating after the upgrade is an outage.
    ///
    /// ## Example
    /// With `--kube-version 1.23`:
    /// ```yaml
    /// apiVersion: batch/v1beta1       # deprecated in 1.21, removed in 1.25
    /// kind: CronJob
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// ```
    pub struct DeprecatedApiVersion(NoParams) {
        id: "CLUSTERSEC_DEPRECATED_API",
        name: "deprecated-api-version",
        severity: Low,
        enabled: true,
        summary: "Objects do not use apiVersions deprecated in the target Kubernetes version",
        tags: ["correctness", "kubernetes", "deprecated"],
    }
}

impl DeprecatedApiVersion {
    fn run(&self, cx: &mut Cx<'_>) {
        let target = cx.kube_version;
        let Some((row, span, path)) = deprecated_row(cx) else {
            return;
        };
        if row.deprecated > target || row.removed <= target {
            return;
        }
        let f = crate::finding::Finding::new(
            Self::ID,
            span,
            format!(
                "{} {} is deprecated since Kubernetes {} and removed in {} (the target is \
                     {target}); {}",
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
