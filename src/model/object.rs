//! Kubernetes objects over YAML documents: identity (apiVersion, kind, namespace, name) and
//! list expansion (`items` on any kind, as kubectl reads it).

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
    /// Index in the document's top-level `items`, when the object came from a list (any kind
    /// with an `items` sequence; items of nested lists share their top-level item's index).
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

/// True when a node looks like a Kubernetes object: a mapping with `apiVersion` and `kind`, or
/// with only a `kind` that is a workload or list kind. kubectl's decoder requires only `kind`
/// (the list's or the kind's preferred version stands in for a missing `apiVersion`), so a
/// `kind: Deployment` or `kind: List` without `apiVersion` is still applied and still checked.
pub fn is_object(node: &Node) -> bool {
    if !node.is_map() {
        return false;
    }
    let Some(kind) = node.get("kind") else {
        return false;
    };
    node.get("apiVersion").is_some()
        || kind
            .as_str()
            .is_some_and(|k| is_list_kind(k) || super::pod::pod_spec_path(k).is_some())
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

/// How deep `items` inside `items` are followed. kubectl flattens every level; the tree's own
/// depth bound ([`super::yaml::MAX_DEPTH`]) is reached first, so this only guards the recursion.
const MAX_LIST_DEPTH: usize = super::yaml::MAX_DEPTH;

/// The `items` of a node when kubectl reads it as a list: any object whose `items` field is a
/// sequence (`runtime.Unstructured.IsList`), whatever its kind.
fn list_items(node: &Node) -> Option<&[Node]> {
    node.get("items").and_then(Node::as_seq)
}

/// True for kinds that only wrap their items (`List`, `PodList`...).
fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

/// The objects of a document, as kubectl's resource builder reads them.
///
/// An object whose `items` field is a sequence is a list to kubectl, whatever its kind
/// (`unstructuredJSONScheme` decodes it as an `UnstructuredList`, and the builder flattens lists,
/// nested ones included). Every mapping item is an object; an item with neither `apiVersion`
/// nor `kind` gets the list's `apiVersion` and the list's kind without its `List` suffix, as
/// kubectl does (a `PodList` item without them is a Pod). A `*List` wrapper with object items is
/// not an object itself; any other wrapper is also checked as the object it claims to be, since
/// a tool that decodes it by its kind (rather than through kubectl's builder) keeps its fields.
/// Items keep their index in the document's top-level `items` (`ObjectRef::item`); items of a
/// nested list share the index of the top-level item that holds them, and their field paths
/// (`items[1].items[0].`) tell them apart.
pub fn objects_of(doc: &Document) -> Vec<Object<'_>> {
    let Some(root) = doc.root.as_ref() else {
        return Vec::new();
    };
    if !is_object(root) {
        return Vec::new();
    }
    let id = object_ref(root, doc.index, None);
    let mut out = Vec::new();
    push_object(root, id, String::new(), None, 0, &mut out);
    out
}

/// Pushes `node` (already known to be an object with identity `id`) and, when it is a list, its
/// items.
fn push_object<'a>(
    node: &'a Node,
    id: ObjectRef,
    path_prefix: String,
    top_item: Option<usize>,
    depth: usize,
    out: &mut Vec<Object<'a>>,
) {
    let items = match list_items(node) {
        Some(items) if depth < MAX_LIST_DEPTH => items,
        _ => {
            out.push(Object {
                node,
                id,
                path_prefix,
            });
            return;
        }
    };
    let item_kind = id.kind.strip_suffix("List").unwrap_or(&id.kind).to_string();
    let mut own = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !item.is_map() {
            continue;
        }
        let top = top_item.or(Some(i));
        let mut item_id = object_ref(item, id.document, top);
        if item.get("apiVersion").is_none() && item.get("kind").is_none() {
            item_id.kind = item_kind.clone();
            item_id.api_version = id.api_version.clone();
        }
        own.push(Object {
            node: item,
            id: item_id,
            path_prefix: format!("{path_prefix}items[{i}]."),
        });
    }
    let wrapper_dropped = id.kind == "List" || (is_list_kind(&id.kind) && !own.is_empty());
    if !wrapper_dropped {
        out.push(Object {
            node,
            id,
            path_prefix: path_prefix.clone(),
        });
    }
    for o in own {
        let top = o.id.item;
        push_object(o.node, o.id, o.path_prefix, top, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::yaml::parse_stream;

    /// (kind, name, document, item, path prefix) of every object of a stream.
    fn objects(text: &str) -> Vec<(String, String, usize, Option<usize>, String)> {
        let stream = parse_stream(text);
        stream
            .documents
            .iter()
            .flat_map(objects_of)
            .map(|o| {
                (
                    o.id.kind.clone(),
                    o.id.name.clone(),
                    o.id.document,
                    o.id.item,
                    o.path_prefix.clone(),
                )
            })
            .collect()
    }

    fn obj(
        kind: &str,
        name: &str,
        doc: usize,
        item: Option<usize>,
        prefix: &str,
    ) -> (String, String, usize, Option<usize>, String) {
        (
            kind.to_string(),
            name.to_string(),
            doc,
            item,
            prefix.to_string(),
        )
    }

    #[test]
    fn items_on_any_kind_nested_and_inherited() {
        let text = "apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
items:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}}
  - not an object
  - apiVersion: v1
    kind: List
    items:
      - {apiVersion: v1, kind: Pod, metadata: {name: b}}
---
apiVersion: apps/v1
kind: DeploymentList
items:
  - metadata: {name: c}
  - {kind: Pod, metadata: {name: d}}
---
apiVersion: v1
kind: PodList
items: []
---
kind: List
items: null
";
        assert_eq!(
            objects(text),
            vec![
                obj("ConfigMap", "cm", 0, None, ""),
                obj("Pod", "a", 0, Some(0), "items[0]."),
                obj("Pod", "b", 0, Some(2), "items[2].items[0]."),
                obj("Deployment", "c", 1, Some(0), "items[0]."),
                obj("Pod", "d", 1, Some(1), "items[1]."),
                obj("PodList", "", 2, None, ""),
                obj("List", "", 3, None, ""),
            ]
        );
        // The inherited apiVersion comes from the list.
        let stream = parse_stream(text);
        let inherited = objects_of(&stream.documents[1]);
        assert_eq!(inherited[0].id.api_version, "apps/v1");
        assert_eq!(inherited[1].id.api_version, "");
    }

    #[test]
    fn kind_without_api_version() {
        assert_eq!(
            objects("kind: Pod\nmetadata: {name: p}\n"),
            vec![obj("Pod", "p", 0, None, "")]
        );
        assert!(objects("kind: Workflow\nname: ci\n").is_empty());
        assert!(objects("name: ci\non: push\n").is_empty());
    }

    #[test]
    fn deep_nesting_is_followed() {
        let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
        let mut indent = String::from("  ");
        for _ in 0..40 {
            text.push_str(&format!("{indent}- kind: List\n{indent}  items:\n"));
            indent.push_str("    ");
        }
        text.push_str(&format!(
            "{indent}- {{kind: Pod, metadata: {{name: deep}}}}\n"
        ));
        let found = objects(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "Pod");
        assert_eq!(found[0].1, "deep");
        assert_eq!(found[0].3, Some(0));
    }
}
