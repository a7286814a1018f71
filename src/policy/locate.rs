//! From a JSON pointer (a validation error's instance path) back to the YAML it came from.

use jsonschema::paths::{Location, LocationSegment};

use crate::model::yaml::{Entry, Node};
use crate::model::Span;

/// Where a failure at `path` is shown, and the field path it names (`spec.containers[0].image`).
///
/// The path is followed the way Kubernetes reads the document (the last of duplicate keys, `<<`
/// merges applied). A value is shown from its key through its value, a sequence item as the
/// item; a path that does not exist all the way (which a validator does not produce, but a
/// merged or aliased value can make ambiguous) stops at the deepest node that exists. A failure
/// of the object itself (a missing required property, `additionalProperties`) is the object: its
/// key through its value, or the whole document at the root.
pub fn locate(root: &Node, path: &Location) -> (Span, String) {
    let mut node = root;
    let mut entry: Option<&Entry> = None;
    let mut field = String::new();
    for seg in path.iter() {
        match seg {
            LocationSegment::Property(name) => {
                let Some(e) = node.get_entry(&name) else {
                    break;
                };
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(&name);
                entry = Some(e);
                node = &e.value;
            }
            LocationSegment::Index(i) => {
                let Some(item) = node.as_seq().and_then(|items| items.get(i)) else {
                    break;
                };
                field.push_str(&format!("[{i}]"));
                entry = None;
                node = item;
            }
        }
    }
    let span = match entry {
        Some(e) => e.span(),
        None => node.span,
    };
    (span, field)
}

/// The JSON pointer of `path` resolved in a schema node (for errors in a policy's `schema`):
/// the span of the deepest node that exists on it.
pub fn locate_pointer(root: &Node, pointer: &str) -> Span {
    let mut node = root;
    let mut span = root.span;
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if let Some(e) = node.get_entry(&seg) {
            span = e.span();
            node = &e.value;
        } else if let Some(item) = seg
            .parse::<usize>()
            .ok()
            .and_then(|i| node.as_seq().and_then(|s| s.get(i)))
        {
            span = item.span;
            node = item;
        } else {
            break;
        }
    }
    span
}

/// The first `$ref` entry of a schema whose target is named in `message` (a reference that
/// cannot be resolved), for locating errors that carry no path.
pub fn find_ref(node: &Node, message: &str, depth: usize) -> Option<Span> {
    if depth > crate::model::yaml::MAX_DEPTH {
        return None;
    }
    if let Some(entries) = node.entries() {
        for e in entries {
            if e.key.text() == Some("$ref")
                && e.value
                    .as_str()
                    .map(|r| r.strip_prefix('#').unwrap_or(r))
                    .is_some_and(|r| !r.is_empty() && message.contains(r))
            {
                return Some(e.span());
            }
            if let Some(found) = find_ref(&e.value, message, depth + 1) {
                return Some(found);
            }
        }
    }
    node.as_seq()?
        .iter()
        .find_map(|i| find_ref(i, message, depth + 1))
}
