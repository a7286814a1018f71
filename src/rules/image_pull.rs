use serde::{Deserialize, Serialize};

use super::Cx;

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) sets `imagePullPolicy` to
    /// `Always`. A missing field is a finding too: Kubernetes' default depends on the image tag
    /// (`Always` only for `:latest` or no tag).
    ///
    /// ## Why is this bad?
    /// With `IfNotPresent` or `Never`, a pod can start from an image already cached on the node,
    /// without the registry checking that the pod's credentials may pull it, and a mutable tag
    /// can silently run stale or swapped content.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: registry.example.com/web:1.4
    ///     imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///     imagePullPolicy: Always
    /// ```
    /// The accepted values are a parameter: `params: {allowed: [Always]}`.
    pub struct ImagePullPolicyAlways(ImagePullParams) {
        id: "CUSTOM_SECURITY_IMAGE_PULL",
        name: "image-pull-policy-always",
        severity: Low,
        enabled: true,
        summary: "Containers set imagePullPolicy to Always",
        tags: ["security", "kubernetes", "supply-chain"],
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagePullParams {
    /// Accepted values of imagePullPolicy.
    pub allowed: Vec<String>,
}

impl Default for ImagePullParams {
    fn default() -> Self {
        ImagePullParams {
            allowed: vec!["Always".to_string()],
        }
    }
}

impl ImagePullPolicyAlways {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let wanted = self.params.allowed.join(" or ");
        for c in &pod.containers {
            let path = c.field_path("imagePullPolicy");
            let finding = match c.field("imagePullPolicy") {
                None => crate::finding::Finding::new(
                    Self::ID,
                    c.first_line(),
                    format!(
                        "{} does not set imagePullPolicy; set it to {wanted}",
                        c.describe()
                    ),
                ),
                Some(e) if e.value.is_null() => crate::finding::Finding::new(
                    Self::ID,
                    e.span(),
                    format!(
                        "{} does not set imagePullPolicy; set it to {wanted}",
                        c.describe()
                    ),
                ),
                Some(e) => match e.value.as_str() {
                    Some(v) if self.params.allowed.iter().any(|a| a == v) => continue,
                    _ => crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "{} sets imagePullPolicy to {}; set it to {wanted}",
                            c.describe(),
                            e.value.describe()
                        ),
                    ),
                },
            };
            cx.report(finding.container(c.name.clone()).field(path));
        }
    }
}
