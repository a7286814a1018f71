use super::data::rbac::{is_rbac, policy_rules};
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports the rules of a Role or ClusterRole that grant every verb (`verbs: ["*"]`) or
    /// every resource (`resources: ["*"]`), at the `verbs:` or `resources:` entry. An
    /// aggregated ClusterRole (`aggregationRule`) is not expanded: the ClusterRoles it selects
    /// by label are judged by their own rules.
    ///
    /// ## Why is this bad?
    /// A wildcard grants what exists today and everything added later: new resources, custom
    /// resources, subresources such as `pods/exec`, and verbs such as `escalate`, `bind` and
    /// `impersonate`. `*` verbs on `*` resources is cluster-admin.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["*"]
    ///     verbs: ["*"]
    /// ```
    ///
    /// ## Fix
    /// List the resources and verbs the workload uses:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [configmaps]
    ///     verbs: [get, list, watch]
    /// ```
    pub struct RbacWildcard(NoParams) {
        id: "CLUSTERSEC_RBAC_WILDCARD",
        name: "rbac-wildcard",
        severity: High,
        enabled: true,
        summary: "Roles do not grant wildcard verbs or resources",
        tags: ["security", "kubernetes", "rbac"],
    }
}

impl RbacWildcard {
    fn run(&self, cx: &mut Cx<'_>) {
        if !is_rbac(cx, &["Role", "ClusterRole"]) {
            return;
        }
        let kind = cx.object.kind().to_string();
        for rule in policy_rules(cx) {
            let all_verbs = rule.list("verbs").contains(&"*");
            let all_resources = rule.list("resources").contains(&"*");
            let scope = if kind == "ClusterRole" {
                "wherever the ClusterRole is bound (every namespace, for a ClusterRoleBinding)"
            } else {
                "in the Role's namespace"
            };
            for (wild, field, what) in [
                (
                    all_verbs,
                    "verbs",
                    "every verb, escalate, bind and impersonate included",
                ),
                (
                    all_resources,
                    "resources",
                    "every resource of its API groups, secrets and pods/exec included, and \
                     every one added later",
                ),
            ] {
                if !wild {
                    continue;
                }
                let both = if all_verbs && all_resources {
                    " (with `*` verbs on `*` resources it is cluster-admin)"
                } else {
                    ""
                };
                let f = crate::finding::Finding::new(
                    Self::ID,
                    rule.span_of(field),
                    format!(
                        "{kind} rule {} grants {what} {scope}{both}; list what is needed",
                        rule.index + 1
                    ),
                )
                .field(cx.object.path(&format!("rules[{}].{field}", rule.index)));
                cx.report(f);
            }
        }
    }
}
