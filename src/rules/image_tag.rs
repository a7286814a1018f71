use super::data::images::parse_image;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Checks that every container (regular, init and ephemeral) names its image with a tag
    /// other than `latest`, or pins it by digest (`@sha256:...`). An image with no tag at all
    /// means `:latest`.
    ///
    /// ## Why is this bad?
    /// `latest` is whatever was pushed last: two nodes can run different code under one
    /// manifest, a rollback does not roll back, and Kubernetes defaults `imagePullPolicy` to
    /// `Always` for it, so every start depends on the registry. It is the first finding users of
    /// kube-linter (`latest-tag`) and Checkov (CKV_K8S_14) expect.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx          # :latest
    /// ```
    ///
    /// ## Fix
    /// Name a release tag, or better a digest:
    /// ```yaml
    ///     image: nginx:1.27.3
    ///     image: nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31
    /// ```
    pub struct ImageTagLatest(NoParams) {
        id: "CLUSTERSEC_IMAGE_TAG",
        name: "image-tag-latest",
        severity: Medium,
        enabled: true,
        summary: "Container images have a tag other than latest, or a digest",
        tags: ["security", "kubernetes", "supply-chain"],
    }
}

impl ImageTagLatest {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            let Some(e) = c.field("image") else { continue };
            let Some(image) = e.value.as_str() else {
                continue;
            };
            if image.trim().is_empty() {
                continue;
            }
            let r = parse_image(image);
            if r.digest.is_some() {
                continue;
            }
            let why = match r.tag {
                None => "has no tag, which means :latest",
                Some("latest") => "uses the :latest tag",
                Some(_) => continue,
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                e.span(),
                format!(
                    "{} image {why}: the code that runs changes with every push; name a \
                         release tag or pin a digest",
                    c.describe()
                ),
            )
            .container(c.name.clone())
            .field(c.field_path("image"));
            cx.report(f);
        }
    }
}
