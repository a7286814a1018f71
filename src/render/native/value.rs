//! Objects as kustomize holds them: JSON values read from YAML the way kustomize reads them.
//!
//! Kustomize reads resources with go-yaml v3 (YAML 1.2 scalars: `yes` is a string) while the
//! rest of clustersec reads them as Kubernetes does (go-yaml v2: `yes` is a boolean). Where the
//! two differ, or where a detail of the value could change what kustomize prints (tags, merge
//! keys, duplicate keys, odd numbers), the document is refused and the build falls back to
//! kustomize itself.

use crate::model::yaml::{resolve_plain, Kind, Node, Scalar};

/// A JSON value; mappings keep their order (kustomize prints them sorted anyway).
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<V>),
    Map(Vec<(String, V)>),
}

impl V {
    pub fn get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        match self {
            V::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Sets `key` in a mapping (replacing its value, or adding it at the end).
    pub fn set(&mut self, key: &str, value: V) -> bool {
        let V::Map(entries) = self else {
            return false;
        };
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(e) => e.1 = value,
            None => entries.push((key.to_string(), value)),
        }
        true
    }

    /// The mapping at `key`, added (empty) when absent; `None` when the value is not a mapping.
    pub fn map_at(&mut self, key: &str) -> Option<&mut V> {
        if self.get(key).is_none() && !self.set(key, V::Map(Vec::new())) {
            return None;
        }
        self.get_mut(key).filter(|v| matches!(v, V::Map(_)))
    }

    /// The value as JSON (for the equality tests).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            V::Null => serde_json::Value::Null,
            V::Bool(b) => serde_json::Value::Bool(*b),
            V::Int(i) => serde_json::Value::from(*i),
            V::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            V::Str(s) => serde_json::Value::String(s.clone()),
            V::Seq(items) => serde_json::Value::Array(items.iter().map(V::to_json).collect()),
            V::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Why a value is not taken.
pub type Refused = String;

/// The value kustomize holds for `node`, or why it is not certain.
pub fn from_node(node: &Node) -> Result<V, Refused> {
    match &node.kind {
        Kind::Scalar {
            text,
            quoted,
            value,
        } => scalar(text, *quoted, value).ok_or_else(|| {
            format!(
                "the scalar at line {} may read differently in kustomize",
                node.span.start.line
            )
        }),
        Kind::Seq(items) => items
            .iter()
            .map(from_node)
            .collect::<Result<Vec<_>, _>>()
            .map(V::Seq),
        Kind::Map(entries) => {
            let mut out: Vec<(String, V)> = Vec::with_capacity(entries.len());
            let mut seen = std::collections::HashSet::with_capacity(entries.len());
            for e in entries {
                let line = e.key.span.start.line;
                if e.merge {
                    return Err(format!("a merge key (<<) at line {line}"));
                }
                let key = match &e.key.kind {
                    Kind::Scalar {
                        text,
                        quoted,
                        value,
                    } if matches!(scalar(text, *quoted, value), Some(V::Str(_))) => text.clone(),
                    _ => return Err(format!("a key that is not a string at line {line}")),
                };
                if !key.is_ascii() {
                    return Err(format!("a key with non-ASCII characters at line {line}"));
                }
                if !seen.insert(key.clone()) {
                    return Err(format!("a duplicate key at line {line}"));
                }
                out.push((key, from_node(&e.value)?));
            }
            Ok(V::Map(out))
        }
    }
}

fn scalar(text: &str, quoted: bool, value: &Scalar) -> Option<V> {
    if quoted {
        // A tag on a quoted scalar (`!!int "1"`) gives it another type.
        return matches!(value, Scalar::Str).then(|| V::Str(text.to_string()));
    }
    let resolved = resolve_plain(text);
    if std::mem::discriminant(&resolved) != std::mem::discriminant(value) {
        return None; // a tag
    }
    match resolved {
        Scalar::Null => Some(V::Null),
        // YAML 1.2 (go-yaml v3) booleans only; `yes`, `on`... are strings there.
        Scalar::Bool(b) => matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
            .then_some(V::Bool(b)),
        Scalar::Int(i) => {
            // Decimal, or the octal (`0755`) and hexadecimal (`0x1F`) forms go-yaml v2 and v3
            // both read as the same integer.
            let digits = text.strip_prefix('-').unwrap_or(text);
            let plain = !digits.is_empty()
                && digits.len() <= 18
                && (digits.bytes().all(|b| b.is_ascii_digit())
                    || digits.strip_prefix("0x").is_some_and(|h| {
                        !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())
                    }));
            plain.then_some(V::Int(i))
        }
        Scalar::Float(f) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let (int, frac) = digits.split_once('.')?;
            let simple = !int.is_empty()
                && !frac.is_empty()
                && int.len() + frac.len() <= 15
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit());
            simple.then_some(V::Float(f))
        }
        Scalar::Str => {
            // go-yaml v3 reads `0o17` as a number.
            let t = text.trim_start_matches(['-', '+']);
            if t.starts_with("0o") || t.starts_with("0O") {
                return None;
            }
            Some(V::Str(text.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::yaml::parse_stream;

    fn read(text: &str) -> Result<V, Refused> {
        let s = parse_stream(text);
        from_node(s.documents[0].root.as_ref().unwrap())
    }

    #[test]
    fn reads_as_kustomize_does() {
        assert_eq!(
            read("a: 0755\n").unwrap().to_json(),
            serde_json::json!({"a": 493})
        );
        let v = read("a: 1\nb: x\nc: 'yes'\nd: true\ne: 0.5\nf: ~\ng: [1, \"2\"]\nh: |\n  x\n")
            .unwrap();
        assert_eq!(
            v.to_json(),
            serde_json::json!({"a": 1, "b": "x", "c": "yes", "d": true, "e": 0.5, "f": null, "g": [1, "2"], "h": "x\n"})
        );
    }

    #[test]
    fn refuses_what_kustomize_may_read_differently() {
        for text in [
            "a: yes\n",
            "a: 1_000\n",
            "a: 0o17\n",
            "a: 1e3\n",
            "a: !!str 1\n",
            "a: 1\na: 2\n",
            "b: &x {c: 1}\na:\n  <<: *x\n",
            "1: a\n",
            "a: .inf\n",
        ] {
            assert!(read(text).is_err(), "{text}");
        }
    }
}
