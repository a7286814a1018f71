use super::data::rbac::{is_rbac, policy_rules, PolicyRule};
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports the rules of a Role or ClusterRole that allow what amounts to more than they
    /// say, at the rule's `verbs:` entry:
    /// - reading Secrets (`get`, `list` or `watch` on `secrets`, without `resourceNames`);
    /// - running commands in pods (`create` or `get` on `pods/exec` or `pods/attach`);
    /// - the verbs `escalate`, `bind` and `impersonate`, on any resource;
    /// - creating pods or workloads (Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs,
    ///   CronJobs, ReplicationControllers) from a ClusterRole, that is in other namespaces;
    /// - any access to `nodes/proxy` (the kubelet's API).
    ///
    /// Wildcards count (`*` verbs reads Secrets too); `CLUSTERSEC_RBAC_WILDCARD` reports the
    /// wildcard itself. An aggregated ClusterRole is not expanded.
    ///
    /// ## Why is this bad?
    /// Each of these reaches further than the rule reads: Secrets hold service account tokens
    /// and credentials; exec runs code in any pod with that pod's identity; `escalate` and
    /// `bind` grant permissions the holder does not have; `impersonate` acts as anyone;
    /// creating a pod in a namespace runs with any service account of that namespace and can
    /// mount its Secrets; `nodes/proxy` runs commands in every pod of a node, unaudited.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [secrets]
    ///     verbs: [get, list, watch]
    /// ```
    ///
    /// ## Fix
    /// Narrow the rule to the objects needed (`resourceNames`), use a Role in one namespace
    /// instead of a ClusterRole, or drop the permission.
    /// ```yaml
    /// kind: Role
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: [secrets]
    ///     resourceNames: [web-tls]
    ///     verbs: [get]
    /// ```
    pub struct RbacSensitivePermissions(NoParams) {
        id: "CLUSTERSEC_RBAC_SENSITIVE",
        name: "rbac-sensitive-permissions",
        severity: High,
        enabled: true,
        summary: "Roles do not grant reading Secrets, exec, escalate, bind, impersonate, pod creation across namespaces or nodes/proxy",
        tags: ["security", "kubernetes", "rbac"],
    }
}

const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// What one rule allows of the sensitive list, in words.
fn sensitive(rule: &PolicyRule<'_>, cluster: bool) -> Vec<String> {
    let mut out = Vec::new();
    let verbs_of = |verbs: &[&'static str]| -> Vec<&'static str> {
        verbs.iter().copied().filter(|v| rule.has_verb(v)).collect()
    };
    let named = !rule.list("resourceNames").is_empty();
    if !named && rule.covers("", "secrets") {
        let v = verbs_of(&["get", "list", "watch"]);
        if !v.is_empty() {
            out.push(format!("reading Secrets ({})", v.join(", ")));
        }
    }
    for sub in ["pods/exec", "pods/attach"] {
        if rule.covers("", sub) {
            let v = verbs_of(&["create", "get"]);
            if !v.is_empty() {
                out.push(format!(
                    "running commands in pods ({sub}: {})",
                    v.join(", ")
                ));
            }
        }
    }
    if !rule.list("resources").is_empty() {
        let v = verbs_of(&["escalate", "bind"]);
        if !v.is_empty() {
            out.push(format!(
                "{} (granting permissions the holder does not have)",
                v.join(", ")
            ));
        }
        if rule.has_verb("impersonate") {
            out.push("impersonate (acting as another user, group or service account)".to_string());
        }
    }
    if cluster && rule.has_verb("create") {
        let kinds: Vec<&str> = WORKLOADS
            .iter()
            .filter(|(g, r)| rule.covers(g, r))
            .map(|(_, r)| *r)
            .collect();
        if !kinds.is_empty() {
            out.push(format!(
                "creating {} in every namespace it is bound for",
                kinds.join(", ")
            ));
        }
    }
    if rule.covers("", "nodes/proxy") && !rule.list("verbs").is_empty() {
        out.push("nodes/proxy (the kubelet API: commands in every pod of a node)".to_string());
    }
    out
}

impl RbacSensitivePermissions {
    fn run(&self, cx: &mut Cx<'_>) {
        if !is_rbac(cx, &["Role", "ClusterRole"]) {
            return;
        }
        let kind = cx.object.kind().to_string();
        for rule in policy_rules(cx) {
            let found = sensitive(&rule, kind == "ClusterRole");
            if found.is_empty() {
                continue;
            }
            let f = crate::finding::Finding::new(
                Self::ID,
                rule.span_of("verbs"),
                format!("{kind} rule {} allows {}", rule.index + 1, found.join("; ")),
            )
            .field(cx.object.path(&format!("rules[{}].verbs", rule.index)));
            cx.report(f);
        }
    }
}
