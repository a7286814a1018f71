use super::data::images::parse_image;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) pins its image by digest
    /// (`image: registry/web@sha256:...`). Off by default: turn it on with
    /// `rules: {CLUSTERSEC_IMAGE_DIGEST: {enabled: true}}`.
    ///
    /// ## Why is this bad?
    /// A tag can be moved to other content by anyone who can push to the repository; a digest
    /// names exactly one image. Pinning is what makes a reviewed manifest run reviewed code.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: registry.example.com/web:1.4
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///     image: registry.example.com/web:1.4@sha256:4c0f6b...
    /// ```
    /// A tag before the digest is kept for readers; the runtime pulls by the digest.
    pub struct ImageDigest(NoParams) {
        id: "CLUSTERSEC_IMAGE_DIGEST",
        name: "image-digest",
        severity: Low,
        enabled: false,
        summary: "Container images are pinned by digest",
        tags: ["security", "kubernetes", "supply-chain"],
    }
}

impl ImageDigest {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            let Some(e) = c.field("image") else { continue };
            let Some(image) = e.value.as_str() else {
                continue;
            };
            if image.trim().is_empty() || parse_image(image).digest.is_some() {
                continue;
            }
            let f = crate::finding::Finding::new(
                Self::ID,
                e.span(),
                format!(
                    "{} image is not pinned by digest: the tag can be moved to other \
                         content; add @sha256:...",
                    c.describe()
                ),
            )
            .container(c.name.clone())
            .field(c.field_path("image"));
            cx.report(f);
        }
    }
}
