//! Kubernetes objects over YAML documents: identity (apiVersion, kind, namespace, name) and
//! `kind: List` expansion.

use serde::Serialize;

use super::yaml::{Document, Node, Span};

/// Who an object is, for messages, reports and fingerprints.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// 0-based index of the YAML document in the file.
    pub document: usize,
    /// Index in the `items` of a `kind: List`, when the object came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
}

impl ObjectRef {
    /// `Deployment/web` or `Deployment/prod/web`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// A Kubernetes object: a mapping with `apiVersion` and `kind`.
#[derive(Debug)]
pub struct Object<'a> {
    pub node: &'a Node,
    pub id: ObjectRef,
    /// The field path prefix of the object inside its document (`items[2].` for List items).
    pub path_prefix: String,
}

impl<'a> Object<'a> {
    /// The object's `kind` string, or `""` when it is not a string.
    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    /// The span of the `kind:` entry (key through value), else the object's start.
    pub fn kind_span(&self) -> Span {
        self.node
            .get_entry("kind")
            .map_or(self.node.span, |e| e.span())
    }

    /// A field path inside this object, with the List prefix when there is one.
    pub fn path(&self, rest: &str) -> String {
        format!("{}{}", self.path_prefix, rest)
    }
}

/// True when a node looks like a Kubernetes object: a mapping with `apiVersion` and `kind`.
pub fn is_object(node: &Node) -> bool {
    node.is_map() && node.get("apiVersion").is_some() && node.get("kind").is_some()
}

fn string_field(node: Option<&Node>) -> String {
    node.and_then(|n| n.text())
        .map(str::to_string)
        .unwrap_or_default()
}

fn object_ref(node: &Node, document: usize, item: Option<usize>) -> ObjectRef {
    let meta = node.get("metadata");
    ObjectRef {
        api_version: string_field(node.get("apiVersion")),
        kind: node
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string(),
        namespace: meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::text)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        name: meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Node::text)
            .unwrap_or("")
            .to_string(),
        document,
        item,
    }
}

/// The objects of a document: the document itself, or the items of a `kind: List` (or any
/// `*List` kind whose `items` are objects).
pub fn objects_of(doc: &Document) -> Vec<Object<'_>> {
    let Some(root) = doc.root.as_ref() else {
        return Vec::new();
    };
    if !is_object(root) {
        return Vec::new();
    }
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    if kind == "List" || kind.ends_with("List") {
        if let Some(items) = root.get("items").and_then(Node::as_seq) {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if is_object(item) {
                    out.push(Object {
                        node: item,
                        id: object_ref(item, doc.index, Some(i)),
                        path_prefix: format!("items[{i}]."),
                    });
                }
            }
            if kind == "List" || !out.is_empty() {
                return out;
            }
        }
    }
    vec![Object {
        node: root,
        id: object_ref(root, doc.index, None),
        path_prefix: String::new(),
    }]
}
