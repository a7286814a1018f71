//! The node API: lookups with go-yaml v2 merge-key semantics.

#[allow(unused_imports)]
use super::*;

/// One `key: value` pair of a mapping, both with spans.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// A merge (`<<: ...`) as go-yaml v2 reads it: a plain untagged `<<` key, or one tagged
    /// `!!merge` (quoted or not); a quoted untagged `"<<"` is an ordinary key.
    pub merge: bool,
}

impl Entry {
    /// The region from the start of the key to the end of the value.
    pub fn span(&self) -> Span {
        self.key.span.to(self.value.span)
    }

    /// The key's text (empty for a non-scalar key).
    pub fn key_str(&self) -> &str {
        self.key.text().unwrap_or("")
    }

    pub(super) fn is_merge(&self) -> bool {
        self.merge
    }
}

#[derive(Clone, Debug)]
pub enum Kind {
    Scalar {
        text: String,
        quoted: bool,
        value: Scalar,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A YAML node with its span.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
}

impl Node {
    pub(super) fn count(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|e| e.key.count() + e.value.count())
                    .sum::<usize>()
            }
        }
    }

    /// The scalar's source text (after YAML unescaping), for any scalar.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The resolved scalar value, if this is a scalar.
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A string value (quoted, or plain text that resolves to no other type).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar {
                text,
                value: Scalar::Str,
                ..
            } => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.scalar() {
            Some(Scalar::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.scalar() {
            Some(Scalar::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// An integer as the API server reads it: YAML goes through JSON on its way in, so an
    /// integral float (`1e4`, `10000.0`) arrives as the integer 10000.
    pub fn as_api_int(&self) -> Option<i64> {
        match self.scalar() {
            Some(Scalar::Int(i)) => Some(*i),
            Some(Scalar::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 =>
            {
                #[allow(clippy::cast_possible_truncation)]
                Some(*f as i64)
            }
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a mapping as written, duplicates and `<<` keys included.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// A short name of the node's type for messages: `string`, `boolean`, `mapping`...
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { value, .. } => match value {
                Scalar::Null => "null",
                Scalar::Bool(_) => "boolean",
                Scalar::Int(_) => "integer",
                Scalar::Float(_) => "number",
                Scalar::Str => "string",
            },
            Kind::Seq(_) => "sequence",
            Kind::Map(_) => "mapping",
        }
    }

    /// How the value reads in a message: `true`, `"1000"`, `a mapping`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Scalar {
                text,
                quoted,
                value,
            } => match value {
                Scalar::Str if *quoted || text.is_empty() => format!("{text:?}"),
                Scalar::Str => format!("{text:?}"),
                Scalar::Bool(b) if text != "true" && text != "false" => {
                    format!("{text} (read as {b})")
                }
                Scalar::Int(i) if text != &i.to_string() => format!("{text} (read as {i})"),
                _ => text.clone(),
            },
            Kind::Seq(_) => "a sequence".to_string(),
            Kind::Map(_) => "a mapping".to_string(),
        }
    }

    /// Looks a key up the way Kubernetes (go-yaml v2) does: the entries of a mapping are applied
    /// in order, each `<<` merge writing its keys at its own position, so the last write wins: a
    /// later duplicate beats an earlier one, a key after a `<<` beats the merged value, and a
    /// `<<` after a key beats that key. Every `<<` of a mapping applies; among the sources of
    /// one `<<: [...]` the first one that has the key wins.
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.get_entry_depth(key, 0)
    }

    pub(super) fn get_entry_depth(&self, key: &str, depth: usize) -> Option<&Entry> {
        let entries = self.entries()?;
        for e in entries.iter().rev() {
            if !e.is_merge() {
                if e.key.text() == Some(key) {
                    return Some(e);
                }
                continue;
            }
            if depth > MAX_DEPTH {
                continue;
            }
            let merged = match &e.value.kind {
                Kind::Map(_) => e.value.get_entry_depth(key, depth + 1),
                Kind::Seq(items) => items.iter().find_map(|m| m.get_entry_depth(key, depth + 1)),
                Kind::Scalar { .. } => None,
            };
            if merged.is_some() {
                return merged;
            }
        }
        None
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| &e.value)
    }

    /// The effective entries of a mapping (duplicates resolved, merges applied as
    /// [`Node::get_entry`] does), in the order of first appearance. Linear in the size of the
    /// mapping and its merge sources.
    pub fn effective_entries(&self) -> Vec<&Entry> {
        let mut keys: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        self.collect_keys(&mut keys, &mut seen, 0);
        let mut winners: HashMap<&str, &Entry> = HashMap::with_capacity(keys.len());
        self.apply_entries(&mut winners, 0);
        keys.iter()
            .filter_map(|k| winners.get(k).copied())
            .collect()
    }

    pub(super) fn collect_keys<'a>(
        &'a self,
        keys: &mut Vec<&'a str>,
        seen: &mut HashSet<&'a str>,
        depth: usize,
    ) {
        let Some(entries) = self.entries() else {
            return;
        };
        for e in entries {
            if e.is_merge() {
                if depth <= MAX_DEPTH {
                    match &e.value.kind {
                        Kind::Map(_) => e.value.collect_keys(keys, seen, depth + 1),
                        Kind::Seq(items) => {
                            for m in items {
                                m.collect_keys(keys, seen, depth + 1);
                            }
                        }
                        Kind::Scalar { .. } => {}
                    }
                }
            } else if let Some(k) = e.key.text() {
                if seen.insert(k) {
                    keys.push(k);
                }
            }
        }
    }

    /// Writes the entries into `winners` in go-yaml v2's order: top to bottom, each `<<` at its
    /// place, the sources of `<<: [...]` from the last to the first (so the first wins).
    pub(super) fn apply_entries<'a>(
        &'a self,
        winners: &mut HashMap<&'a str, &'a Entry>,
        depth: usize,
    ) {
        let Some(entries) = self.entries() else {
            return;
        };
        for e in entries {
            if e.is_merge() {
                if depth <= MAX_DEPTH {
                    match &e.value.kind {
                        Kind::Map(_) => e.value.apply_entries(winners, depth + 1),
                        Kind::Seq(items) => {
                            for m in items.iter().rev() {
                                m.apply_entries(winners, depth + 1);
                            }
                        }
                        Kind::Scalar { .. } => {}
                    }
                }
            } else if let Some(k) = e.key.text() {
                winners.insert(k, e);
            }
        }
    }

    /// Converts to JSON the way Kubernetes would see the object (for schema-based checks).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Scalar { text, value, .. } => match value {
                Scalar::Null => J::Null,
                Scalar::Bool(b) => J::Bool(*b),
                Scalar::Int(i) => J::from(*i),
                Scalar::Float(f) => serde_json::Number::from_f64(*f)
                    .map(J::Number)
                    .unwrap_or(J::Null),
                Scalar::Str => J::String(text.clone()),
            },
            Kind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(_) => J::Object(
                self.effective_entries()
                    .into_iter()
                    .map(|e| (e.key_str().to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Helper for tests and messages: the text of a scalar as a `Cow`.
pub fn scalar_text(node: &Node) -> Cow<'_, str> {
    match &node.kind {
        Kind::Scalar { text, .. } => Cow::Borrowed(text),
        Kind::Seq(_) => Cow::Borrowed("[...]"),
        Kind::Map(_) => Cow::Borrowed("{...}"),
    }
}
