use super::{Cx, NoParams};
use crate::model::Node;

declare_rule! {
    /// ## What it does
    /// Reports values whose type Kubernetes rejects, where the rules above cannot judge them:
    /// a non-string `apiVersion` or `kind`, a `metadata`, `spec`, `template` or `securityContext`
    /// that is not a mapping, `containers` that is not a list of mappings, a non-boolean
    /// `runAsNonRoot`, a non-integer `fsGroup`, and mapping keys that are not strings.
    ///
    /// ## Why is this bad?
    /// The API server refuses the object, and a scanner that cannot see the containers cannot
    /// check them. Typical causes are a Helm value rendered with the wrong type (`"true"` in
    /// quotes) or a list written as a mapping.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     name: web        # a mapping, not a list
    ///     image: nginx
    /// ```
    ///
    /// ## Fix
    /// Write the value with the type the Kubernetes API defines for the field:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: nginx
    /// ```
    pub struct WrongType(NoParams) {
        id: "CLUSTERSEC_WRONG_TYPE",
        name: "wrong-type",
        severity: High,
        enabled: true,
        summary: "Fields have the types the Kubernetes API defines",
        tags: ["correctness", "kubernetes"],
    }
}

impl WrongType {
    fn run(&self, cx: &mut Cx<'_>) {
        let obj = cx.object;
        for key in ["apiVersion", "kind"] {
            if let Some(e) = obj.node.get_entry(key) {
                if e.value.as_str().is_none() {
                    let f = crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!("`{key}` must be a string, found {}", e.value.describe()),
                    )
                    .field(obj.path(key));
                    cx.report(f);
                }
            }
        }
        if let Some(e) = obj.node.get_entry("metadata") {
            if !e.value.is_map() {
                let f = crate::finding::Finding::new(
                    Self::ID,
                    e.span(),
                    format!(
                        "`metadata` must be a mapping, found {}",
                        e.value.type_name()
                    ),
                )
                .field(obj.path("metadata"));
                cx.report(f);
            }
        }
        for err in cx.shape_errors {
            let f = crate::finding::Finding::new(Self::ID, err.span, err.message.clone())
                .field(err.path.clone());
            cx.report(f);
        }
        let Some(pod) = cx.pod else { return };
        let mut checks: Vec<(Option<&crate::model::Entry>, String, Option<String>)> = Vec::new();
        checks.push((
            pod.pod_level("runAsNonRoot"),
            pod.field_path("securityContext.runAsNonRoot"),
            None,
        ));
        for c in &pod.containers {
            checks.push((
                c.own("runAsNonRoot"),
                c.field_path("securityContext.runAsNonRoot"),
                Some(c.name.clone()),
            ));
        }
        for (entry, path, container) in checks {
            let Some(e) = entry else { continue };
            if e.value.as_bool().is_none() && !e.value.is_null() {
                let mut f = crate::finding::Finding::new(
                    Self::ID,
                    e.span(),
                    format!(
                        "`runAsNonRoot` must be a boolean, found {}",
                        e.value.describe()
                    ),
                )
                .field(path);
                if let Some(c) = container {
                    f = f.container(c);
                }
                cx.report(f);
            }
        }
        if let Some(e) = pod.pod_level("fsGroup") {
            if e.value.as_api_int().is_none() && !e.value.is_null() {
                let f = crate::finding::Finding::new(
                    Self::ID,
                    e.span(),
                    format!("`fsGroup` must be an integer, found {}", e.value.describe()),
                )
                .field(pod.field_path("securityContext.fsGroup"));
                cx.report(f);
            }
        }
        let _ = Node::is_null;
    }
}
