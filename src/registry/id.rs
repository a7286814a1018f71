//! Rule identity: a [`RuleId`] is cheap to clone and compare, and can be made at run time (a
//! rule loaded from a policy file) as well as from a built-in rule's `const ID`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A rule identifier (`CUSTOM_SECURITY_PRIVILEGED_CHECK`). Built-in ids are static strings (no
/// allocation); ids made at run time share one allocation between clones. Compared, ordered and
/// hashed as the plain string, and serialized as it.
#[derive(Clone)]
pub struct RuleId(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl RuleId {
    /// The id of a built-in rule.
    pub const fn from_static(id: &'static str) -> RuleId {
        RuleId(Repr::Static(id))
    }

    /// An id made at run time (a rule defined by data).
    pub fn new(id: &str) -> RuleId {
        RuleId(Repr::Shared(Arc::from(id)))
    }

    /// The id as a static string, for a built-in rule's.
    pub fn as_static(&self) -> Option<&'static str> {
        match &self.0 {
            Repr::Static(s) => Some(s),
            Repr::Shared(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl std::ops::Deref for RuleId {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for RuleId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for RuleId {
    fn from(id: &'static str) -> RuleId {
        RuleId::from_static(id)
    }
}

impl From<String> for RuleId {
    fn from(id: String) -> RuleId {
        RuleId(Repr::Shared(Arc::from(id)))
    }
}

impl From<&RuleId> for RuleId {
    fn from(id: &RuleId) -> RuleId {
        id.clone()
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &RuleId) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RuleId {}

impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &RuleId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RuleId {
    fn cmp(&self, other: &RuleId) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for RuleId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for RuleId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<RuleId> for str {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<RuleId> for &str {
    fn eq(&self, other: &RuleId) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<RuleId> for String {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<RuleId> for serde_json::Value {
    fn eq(&self, other: &RuleId) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RuleId, D::Error> {
        String::deserialize(d).map(RuleId::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_and_shared_ids_are_the_same_string() {
        let a = RuleId::from_static("RULE_A");
        let b = RuleId::new("RULE_A");
        assert_eq!(a, b);
        assert_eq!(a, "RULE_A");
        assert!("RULE_A" == b);
        assert_eq!(a.to_string(), "RULE_A");
        assert_eq!(format!("{b:?}"), "\"RULE_A\"");
        assert_eq!(
            serde_json::to_string(&b).ok().as_deref(),
            Some("\"RULE_A\"")
        );
        let mut set = std::collections::BTreeSet::new();
        set.insert(b.clone());
        assert!(set.contains("RULE_A"));
        assert!(RuleId::new("A") < RuleId::from_static("B"));
    }
}
