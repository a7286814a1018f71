use super::data::rbac::is_rbac;
use super::{Cx, NoParams};
use crate::model::Node;

declare_rule! {
    /// ## What it does
    /// Reports a ClusterRoleBinding or RoleBinding of `cluster-admin`, or of a Role or
    /// ClusterRole of the same file that grants `*` verbs on `*` resources, to a broad subject: the
    /// groups `system:authenticated`, `system:unauthenticated`, `system:serviceaccounts` (or
    /// `system:serviceaccounts:NAMESPACE`, every service account of a namespace), the user
    /// `system:anonymous`, or a namespace's `default` service account (which every pod that
    /// names no service account runs as). The finding sits on the subject's `name:`. Subjects
    /// in block or flow style are read alike.
    ///
    /// ## Why is this bad?
    /// It makes everyone (or every pod) an administrator of the cluster: with
    /// `system:unauthenticated` or `system:anonymous`, anyone who can reach the API server.
    /// Such a manifest must never scan clean.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    ///   - kind: Group
    ///     name: system:authenticated
    /// ```
    ///
    /// ## Fix
    /// Bind a role with the permissions needed to a dedicated service account:
    /// ```yaml
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: web-reader}
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: web
    ///     namespace: apps
    /// ```
    pub struct RbacBroadBinding(NoParams) {
        id: "CLUSTERSEC_RBAC_BROAD_BINDING",
        name: "rbac-broad-binding",
        severity: Critical,
        enabled: true,
        summary: "cluster-admin is not bound to everyone, anonymous users or default service accounts",
        tags: ["security", "kubernetes", "rbac"],
    }
}

/// Why a subject is broad, if it is.
fn broad(kind: &str, name: &str) -> Option<&'static str> {
    match (kind, name) {
        ("Group", "system:authenticated") => Some("every authenticated user and service account"),
        ("Group", "system:unauthenticated") => Some("every unauthenticated request"),
        ("Group", "system:serviceaccounts") => Some("every service account of the cluster"),
        ("Group", n) if n.starts_with("system:serviceaccounts:") => {
            Some("every service account of the namespace")
        }
        ("User", "system:anonymous") => Some("anonymous requests"),
        ("ServiceAccount", "default") => Some(
            "the namespace's default service account, the identity of every pod that names none",
        ),
        _ => None,
    }
}

impl RbacBroadBinding {
    fn run(&self, cx: &mut Cx<'_>) {
        if !is_rbac(cx, &["ClusterRoleBinding", "RoleBinding"]) {
            return;
        }
        let node = cx.object.node;
        let Some(role_ref) = node.get("roleRef") else {
            return;
        };
        let role = role_ref.get("name").and_then(Node::as_str).unwrap_or("");
        let role_kind = role_ref.get("kind").and_then(Node::as_str).unwrap_or("");
        let kind = cx.object.kind().to_string();
        let namespace = cx.object.id.namespace.clone();
        let granted = if role == "cluster-admin" && role_kind == "ClusterRole" {
            "cluster-admin".to_string()
        } else {
            match cx.wildcard_roles.iter().find(|w| {
                w.kind == role_kind
                    && w.name == role
                    && (w.kind == "ClusterRole" || w.namespace == namespace)
            }) {
                Some(w) => format!(
                    "{role_kind} {role:?} (`*` verbs on `*` resources, line {})",
                    w.line
                ),
                None => return,
            }
        };
        let subjects = node.get("subjects").and_then(Node::as_seq).unwrap_or(&[]);
        for (i, s) in subjects.iter().enumerate() {
            let Some(name_entry) = s.get_entry("name") else {
                continue;
            };
            let name = name_entry.value.as_str().unwrap_or("");
            let skind = s.get("kind").and_then(Node::as_str).unwrap_or("");
            let Some(who) = broad(skind, name) else {
                continue;
            };
            let scope = if kind == "RoleBinding" {
                "in the namespace"
            } else {
                "in the cluster"
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                name_entry.span(),
                format!(
                    "{kind} grants {granted} to {skind} {name:?} ({who}): anything can be \
                         done {scope} with it"
                ),
            )
            .field(cx.object.path(&format!("subjects[{i}].name")));
            cx.report(f);
        }
    }
}
