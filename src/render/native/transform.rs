//! The kustomization transformers the native builder supports, each in the subset whose
//! result is certain; anything outside it is refused (`Err`) and the build goes to kustomize.

use super::value::V;

/// Why a transformer is not applied natively.
pub type Refused = String;

// ---------------------------------------------------------------------------------------------
// images

/// One `images` entry.
#[derive(Debug, Clone)]
pub struct Image {
    name: String,
    new_name: Option<String>,
    new_tag: Option<String>,
    digest: Option<String>,
}

impl Image {
    pub fn parse(v: &V) -> Result<Image, Refused> {
        let V::Map(entries) = v else {
            return Err("an images entry that is not a mapping".into());
        };
        let mut image = Image {
            name: String::new(),
            new_name: None,
            new_tag: None,
            digest: None,
        };
        for (k, v) in entries {
            let s = v
                .as_str()
                .ok_or_else(|| format!("images: {k} is not a string"))?
                .to_string();
            match k.as_str() {
                "name" => image.name = s,
                "newName" => image.new_name = Some(s).filter(|s| !s.is_empty()),
                "newTag" => image.new_tag = Some(s).filter(|s| !s.is_empty()),
                "digest" => image.digest = Some(s).filter(|s| !s.is_empty()),
                other => return Err(format!("images: the field {other}")),
            }
        }
        // The name is a regular expression in kustomize; only `.` (any character) is taken.
        if image.name.is_empty()
            || !image
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_' | ':'))
        {
            return Err(format!("images: the name {:?}", image.name));
        }
        // Kustomize applies each entry twice (its legacy filter, then its field specs): the
        // same result only when the new name is not matched again.
        if let Some(n) = &image.new_name {
            if *n != image.name && matches_image(n, &image.name) {
                return Err(format!("images: the new name {n:?}"));
            }
        }
        Ok(image)
    }

    /// Applies the entry to every `image` of an item of a `containers` or `initContainers`
    /// list anywhere in the object (kustomize's legacy image filter, a superset of its default
    /// field specs).
    pub fn apply(&self, v: &mut V) {
        match v {
            V::Map(entries) => {
                for (k, value) in entries.iter_mut() {
                    if k == "containers" || k == "initContainers" {
                        if let V::Seq(items) = value {
                            for item in items.iter_mut() {
                                if let Some(V::Str(image)) = item.get_mut("image") {
                                    if let Some(new) = self.update(image) {
                                        *image = new;
                                    }
                                }
                            }
                        }
                    }
                    self.apply(value);
                }
            }
            V::Seq(items) => items.iter_mut().for_each(|i| self.apply(i)),
            _ => {}
        }
    }

    fn update(&self, image: &str) -> Option<String> {
        if !matches_image(image, &self.name) {
            return None;
        }
        let (name, tag, digest) = split_image(image);
        let mut name = self.new_name.clone().unwrap_or(name);
        let (tag, digest) = match (&self.new_tag, &self.digest) {
            (Some(t), Some(d)) => (t.clone(), d.clone()),
            (Some(t), None) => (t.clone(), String::new()),
            (None, Some(d)) => (String::new(), d.clone()),
            (None, None) => (tag, digest),
        };
        if !tag.is_empty() {
            name.push(':');
            name.push_str(&tag);
        }
        if !digest.is_empty() {
            name.push('@');
            name.push_str(&digest);
        }
        Some(name)
    }
}

/// `^NAME(@sha256)?(:[a-zA-Z0-9_.{}-]*)?$` with NAME's `.` matching any character.
fn matches_image(image: &str, name: &str) -> bool {
    let mut rest = image.chars();
    for n in name.chars() {
        match rest.next() {
            Some(c) if n == '.' || c == n => {}
            _ => return false,
        }
    }
    let rest = rest.as_str();
    let rest = rest.strip_prefix("@sha256").unwrap_or(rest);
    match rest.strip_prefix(':') {
        None => rest.is_empty(),
        Some(tag) => tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-')),
    }
}

/// kustomize's `image.Split`: name, tag and digest (the domain's port is not a tag).
fn split_image(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = image.get(slash..).unwrap_or_default();
    let at = search.find('@').map(|i| i + slash);
    let colon = search.find(':').map(|i| i + slash);
    let part = |a: usize, b: usize| image.get(a..b).unwrap_or_default().to_string();
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(d)) if c.is_none_or(|c| d < c) => {
            (part(0, d), String::new(), part(d + 1, image.len()))
        }
        (Some(c), Some(d)) => (part(0, c), part(c + 1, d), part(d + 1, image.len())),
        (Some(c), None) => (part(0, c), part(c + 1, image.len()), String::new()),
        (None, Some(_)) => (image.to_string(), String::new(), String::new()),
    }
}

// ---------------------------------------------------------------------------------------------
// strategic-merge patches

/// Merges a strategic-merge patch into `dest`: mappings field by field (`null` deletes),
/// scalars replace, `containers`/`initContainers` items by name, their `command`/`args`
/// replaced. Any other list, directive (`$patch`...) or uncertain case is refused.
pub fn strategic_merge(dest: &mut V, patch: &V) -> Result<(), Refused> {
    merge(dest, patch, "")
}

fn merge(dest: &mut V, patch: &V, field: &str) -> Result<(), Refused> {
    match patch {
        V::Map(pentries) => {
            let V::Map(_) = dest else {
                return Err(format!("a patch mapping over a non-mapping at {field}"));
            };
            for (k, pv) in pentries {
                if k.starts_with('$') {
                    return Err(format!("the patch directive {k}"));
                }
                match (dest.get_mut(k), pv) {
                    (Some(V::Null), _) => return Err(format!("a patch over null at {k}")),
                    (Some(_), V::Null) => {
                        if let V::Map(d) = dest {
                            d.retain(|(dk, _)| dk != k);
                        }
                    }
                    (None, V::Null) => {}
                    (Some(d), pv) => merge(d, pv, k)?,
                    (None, pv) => {
                        check_new(pv)?;
                        dest.set(k, pv.clone());
                    }
                }
            }
            Ok(())
        }
        V::Seq(pitems) => {
            let V::Seq(ditems) = dest else {
                return Err(format!("a patch list over a non-list at {field}"));
            };
            match field {
                "containers" | "initContainers" => {
                    for p in pitems {
                        let name = p
                            .get("name")
                            .and_then(V::as_str)
                            .ok_or_else(|| format!("a {field} patch item without a name"))?;
                        let mut found = ditems
                            .iter_mut()
                            .filter(|d| d.get("name").and_then(V::as_str) == Some(name));
                        let (Some(d), None) = (found.next(), found.next()) else {
                            return Err(format!("a {field} patch item {name} without one match"));
                        };
                        container(d, p)?;
                    }
                    Ok(())
                }
                _ => Err(format!("a patch of the list {field}")),
            }
        }
        V::Null => Err("a null patch".into()),
        scalar => {
            if matches!(dest, V::Map(_) | V::Seq(_)) {
                return Err(format!("a scalar patch over a collection at {field}"));
            }
            *dest = scalar.clone();
            Ok(())
        }
    }
}

/// A container patched by a container item: `command` and `args` are replaced (atomic lists).
fn container(dest: &mut V, patch: &V) -> Result<(), Refused> {
    let V::Map(pentries) = patch else {
        return Err("a container patch that is not a mapping".into());
    };
    if !matches!(dest, V::Map(_)) {
        return Err("a container that is not a mapping".into());
    }
    for (k, pv) in pentries {
        match (k.as_str(), pv) {
            ("command" | "args", V::Seq(items)) if items.iter().all(|i| matches!(i, V::Str(_))) => {
                dest.set(k, pv.clone());
            }
            ("command" | "args", _) => return Err(format!("a container {k} patch")),
            (_, V::Seq(_)) => return Err(format!("a container list patch ({k})")),
            _ => {
                let single = V::Map(vec![(k.clone(), pv.clone())]);
                merge(dest, &single, "container")?;
            }
        }
    }
    Ok(())
}

/// A value a patch adds where the object has nothing: no directive, no null.
fn check_new(v: &V) -> Result<(), Refused> {
    match v {
        V::Null => Err("a null in a patch's new value".into()),
        V::Map(entries) => {
            if entries.is_empty() {
                return Err("an empty mapping in a patch's new value".into());
            }
            for (k, v) in entries {
                if k.starts_with('$') {
                    return Err(format!("the patch directive {k}"));
                }
                check_new(v)?;
            }
            Ok(())
        }
        V::Seq(items) => items.iter().try_for_each(check_new),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON 6902 patches

/// Applies JSON patch operations (`add`, `remove`, `replace`); others are refused, as is an
/// operation kustomize would fail on (the build then reports kustomize's error).
pub fn json6902(dest: &mut V, ops: &[V]) -> Result<(), Refused> {
    for op in ops {
        let V::Map(fields) = op else {
            return Err("a JSON patch operation that is not a mapping".into());
        };
        if fields
            .iter()
            .any(|(k, _)| !matches!(k.as_str(), "op" | "path" | "value"))
        {
            return Err("a JSON patch operation with other fields".into());
        }
        let kind = op.get("op").and_then(V::as_str).unwrap_or_default();
        let path = op
            .get("path")
            .and_then(V::as_str)
            .ok_or("a JSON patch operation without a path")?;
        let tokens = pointer(path)?;
        let (last, parents) = tokens
            .split_last()
            .ok_or("a JSON patch of the whole object")?;
        let mut parent = &mut *dest;
        for t in parents {
            parent = step(parent, t).ok_or_else(|| format!("the JSON patch path {path}"))?;
        }
        let value = op.get("value");
        match (kind, parent) {
            ("add" | "replace", _) if value.is_none() => {
                return Err(format!("a JSON patch {kind} without a value"))
            }
            ("add", V::Map(entries)) => {
                let value = value.cloned().unwrap_or(V::Null);
                match entries.iter_mut().find(|(k, _)| k == last) {
                    Some(e) => e.1 = value,
                    None => entries.push((last.clone(), value)),
                }
            }
            ("add", V::Seq(items)) => {
                let value = value.cloned().unwrap_or(V::Null);
                if last == "-" {
                    items.push(value);
                } else {
                    let i = index(last, items.len() + 1)?;
                    items.insert(i, value);
                }
            }
            ("replace", V::Map(entries)) => {
                let e = entries
                    .iter_mut()
                    .find(|(k, _)| k == last)
                    .ok_or_else(|| format!("the JSON patch path {path}"))?;
                e.1 = value.cloned().unwrap_or(V::Null);
            }
            ("replace", V::Seq(items)) => {
                let i = index(last, items.len())?;
                if let Some(slot) = items.get_mut(i) {
                    *slot = value.cloned().unwrap_or(V::Null);
                }
            }
            ("remove", V::Map(entries)) => {
                let before = entries.len();
                entries.retain(|(k, _)| k != last);
                if entries.len() == before {
                    return Err(format!("the JSON patch path {path}"));
                }
            }
            ("remove", V::Seq(items)) => {
                let i = index(last, items.len())?;
                items.remove(i);
            }
            _ => return Err(format!("the JSON patch operation {kind:?} at {path}")),
        }
    }
    Ok(())
}

fn pointer(path: &str) -> Result<Vec<String>, Refused> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("the JSON patch path {path}"))?;
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(token: &str, len: usize) -> Result<usize, Refused> {
    let ok = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    match token.parse::<usize>() {
        Ok(i) if ok && i < len => Ok(i),
        _ => Err(format!("the JSON patch index {token}")),
    }
}

fn step<'a>(v: &'a mut V, token: &str) -> Option<&'a mut V> {
    match v {
        V::Map(_) => v.get_mut(token),
        V::Seq(items) => {
            let len = items.len();
            let i = index(token, len).ok()?;
            items.get_mut(i)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> V {
        V::Str(x.into())
    }

    #[test]
    fn images_are_split_and_replaced_as_kustomize_does() {
        assert_eq!(
            split_image("localhost:5000/a/b:1.0@sha256:ab"),
            (
                "localhost:5000/a/b".into(),
                "1.0".into(),
                "sha256:ab".into()
            )
        );
        assert_eq!(
            split_image("nginx@sha256:ab"),
            ("nginx".into(), String::new(), "sha256:ab".into())
        );
        assert!(matches_image(
            "quay.io/argoproj/argocd:v2",
            "quay.io/argoproj/argocd"
        ));
        assert!(matches_image("nginx@sha256:abc", "nginx"));
        assert!(!matches_image("nginx-x:1", "nginx"));
        let image = Image::parse(&V::Map(vec![
            ("name".into(), s("nginx")),
            ("newName".into(), s("r/nginx")),
            ("newTag".into(), s("2")),
        ]))
        .unwrap();
        let mut obj = V::Map(vec![(
            "spec".into(),
            V::Map(vec![(
                "containers".into(),
                V::Seq(vec![
                    V::Map(vec![("image".into(), s("nginx:1"))]),
                    V::Map(vec![("image".into(), s("redis"))]),
                ]),
            )]),
        )]);
        image.apply(&mut obj);
        assert_eq!(
            obj.to_json(),
            serde_json::json!({"spec": {"containers": [{"image": "r/nginx:2"}, {"image": "redis"}]}})
        );
    }

    #[test]
    fn strategic_merge_of_maps_and_containers() {
        let mut obj = V::Map(vec![
            (
                "a".into(),
                V::Map(vec![("x".into(), s("1")), ("y".into(), s("2"))]),
            ),
            (
                "containers".into(),
                V::Seq(vec![V::Map(vec![
                    ("name".into(), s("c")),
                    ("args".into(), V::Seq(vec![s("old")])),
                ])]),
            ),
        ]);
        let patch = V::Map(vec![
            (
                "a".into(),
                V::Map(vec![("x".into(), V::Null), ("z".into(), s("3"))]),
            ),
            (
                "containers".into(),
                V::Seq(vec![V::Map(vec![
                    ("name".into(), s("c")),
                    ("args".into(), V::Seq(vec![s("new")])),
                ])]),
            ),
        ]);
        strategic_merge(&mut obj, &patch).unwrap();
        assert_eq!(
            obj.to_json(),
            serde_json::json!({"a": {"y": "2", "z": "3"}, "containers": [{"name": "c", "args": ["new"]}]})
        );
        let list = V::Map(vec![("l".into(), V::Seq(vec![s("x")]))]);
        let mut obj = V::Map(vec![("l".into(), V::Seq(vec![s("y")]))]);
        assert!(strategic_merge(&mut obj, &list).is_err());
    }

    #[test]
    fn json_patches() {
        let mut obj = V::Map(vec![("a".into(), V::Seq(vec![s("x")]))]);
        let op = |op: &str, path: &str, value: Option<V>| {
            let mut m = vec![("op".into(), s(op)), ("path".into(), s(path))];
            if let Some(v) = value {
                m.push(("value".into(), v));
            }
            V::Map(m)
        };
        json6902(
            &mut obj,
            &[
                op("add", "/a/-", Some(s("y"))),
                op("add", "/a/0", Some(s("w"))),
                op("replace", "/a/1", Some(s("X"))),
                op("add", "/b~1c", Some(V::Int(1))),
                op("remove", "/a/2", None),
            ],
        )
        .unwrap();
        assert_eq!(
            obj.to_json(),
            serde_json::json!({"a": ["w", "X"], "b/c": 1})
        );
        assert!(json6902(&mut obj, &[op("remove", "/nope", None)]).is_err());
        assert!(json6902(&mut obj, &[op("copy", "/a", None)]).is_err());
    }
}
