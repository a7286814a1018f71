//! Reading RBAC objects: the rules of a Role or ClusterRole, and what a binding binds.

use crate::model::{Entry, Node};
use crate::rules::Cx;

/// Whether the object is an RBAC object of `kinds` (`rbac.authorization.k8s.io`, any version).
pub fn is_rbac(cx: &Cx<'_>, kinds: &[&str]) -> bool {
    cx.object
        .id
        .api_version
        .starts_with("rbac.authorization.k8s.io/")
        && kinds.contains(&cx.object.kind())
}

/// One item of a role's `rules`, with its index.
pub struct PolicyRule<'a> {
    pub index: usize,
    pub node: &'a Node,
}

impl<'a> PolicyRule<'a> {
    /// The strings of a list field (`verbs`, `resources`...); a scalar counts as a list of one.
    pub fn list(&self, field: &str) -> Vec<&'a str> {
        match self.node.get(field) {
            Some(n) => match n.as_seq() {
                Some(items) => items.iter().filter_map(Node::as_str).collect(),
                None => n.as_str().into_iter().collect(),
            },
            None => Vec::new(),
        }
    }

    pub fn entry(&self, field: &str) -> Option<&'a Entry> {
        self.node.get_entry(field)
    }

    /// Where to point for this rule: the field's entry, else the item's first entry.
    pub fn span_of(&self, field: &str) -> crate::model::Span {
        match self.entry(field) {
            Some(e) => e.span(),
            None => self
                .node
                .entries()
                .and_then(|e| e.first())
                .map_or(self.node.span, |e| e.key.span),
        }
    }

    /// Whether the rule grants `verb` (or `*`).
    pub fn has_verb(&self, verb: &str) -> bool {
        self.list("verbs").iter().any(|v| *v == verb || *v == "*")
    }

    /// Whether the rule covers `resource` of API group `group` (`""` is the core group).
    pub fn covers(&self, group: &str, resource: &str) -> bool {
        let groups = self.list("apiGroups");
        let resources = self.list("resources");
        groups.iter().any(|g| *g == group || *g == "*")
            && resources.iter().any(|r| {
                *r == resource
                    || *r == "*"
                    || resource
                        .split_once('/')
                        .is_some_and(|(base, _)| *r == format!("{base}/*") || *r == "*/*")
            })
    }
}

/// The rules of a Role or ClusterRole; none for an aggregated ClusterRole, whose rules the
/// controller manager writes from the ClusterRoles its `aggregationRule` selects (they are
/// judged where they are declared, by their own rules).
pub fn policy_rules<'a>(cx: &Cx<'a>) -> Vec<PolicyRule<'a>> {
    let node = cx.object.node;
    if node.get("aggregationRule").is_some_and(|a| !a.is_null()) {
        return Vec::new();
    }
    node.get("rules")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_map())
        .map(|(index, node)| PolicyRule { index, node })
        .collect()
}

/// A Role or ClusterRole of the scanned file that grants `*` verbs on `*` resources: binding
/// it is binding cluster-admin (within its scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WildcardRole {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// Line of the role's `kind:`.
    pub line: u32,
}

/// The Roles and ClusterRoles of a file's documents that grant `*` verbs on `*` resources.
pub fn wildcard_roles(docs: &[crate::model::yaml::Document]) -> Vec<WildcardRole> {
    let mut out = Vec::new();
    for doc in docs {
        out.extend(wildcard_roles_of(&crate::model::object::objects_of(doc)));
    }
    out
}

/// [`wildcard_roles`] of objects already read from their document.
pub fn wildcard_roles_of(objects: &[crate::model::object::Object<'_>]) -> Vec<WildcardRole> {
    let mut out = Vec::new();
    for obj in objects {
        let kind = obj.kind();
        if !(obj.id.api_version.starts_with("rbac.authorization.k8s.io/")
            && (kind == "Role" || kind == "ClusterRole"))
        {
            continue;
        }
        if obj
            .node
            .get("aggregationRule")
            .is_some_and(|a| !a.is_null())
        {
            continue;
        }
        let all = obj
            .node
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .any(|r| {
                let rule = PolicyRule { index: 0, node: r };
                rule.list("verbs").contains(&"*") && rule.list("resources").contains(&"*")
            });
        if all {
            out.push(WildcardRole {
                kind: kind.to_string(),
                name: obj.id.name.clone(),
                namespace: obj.id.namespace.clone(),
                line: obj.kind_span().start.line,
            });
        }
    }
    out
}
