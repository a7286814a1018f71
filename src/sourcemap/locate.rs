//! Finding the line of a field path in a template outline.

use std::path::PathBuf;

use crate::finding::Finding;
use crate::model::{Pos, Span};

use super::outline::{KeyLine, Outline};

/// What the user's finding should point at in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateHit {
    /// The file of the hit when it is not the template itself (a define in `_helpers.tpl`).
    pub file: Option<PathBuf>,
    pub span: Span,
    /// How many keys of the wanted path the hit covers (all of them = the key itself).
    pub matched: usize,
    pub wanted: usize,
    /// For a hit inside a `define` block: the define's name (the innermost one) and how many
    /// keys of the wanted path were matched before entering it (its keys start there).
    pub define: Option<(String, usize)>,
}

/// The keys of a field path, without list indices: `a.b[2].c` → `[a, b, c]`.
pub fn path_keys(field: &str) -> Vec<String> {
    crate::finding::FieldPath::parse(field)
        .keys()
        .map(str::to_string)
        .collect()
}

/// Finds the line of a field path in a template: the key itself, or the deepest ancestor key
/// that the template has literally. `container` disambiguates between containers by their
/// literal `name:`, else by position.
pub fn locate(
    outline: &Outline,
    keys: &[String],
    container: Option<(&str, usize)>,
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    locate_items(outline, keys, container, &[], defines, depth)
}

/// [`locate`], knowing the names of the rendered items of other lists on the path: `(d, name)`
/// says that the item of the list `keys[d]` (`volumes`, `env`, `ports`...) that holds the field
/// is named `name` in the rendered object. A key inside an item of that list whose literal
/// `name:` is another one is never a candidate, and among equally deep candidates one in the
/// item with that literal name wins (`path:` of the `- name: root` volume, not of `- name:
/// proc`).
pub fn locate_items(
    outline: &Outline,
    keys: &[String],
    container: Option<(&str, usize)>,
    items: &[(usize, String)],
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    let list_depth = keys
        .iter()
        .position(|k| CONTAINER_LISTS.contains(&k.as_str()));
    // A key inside the item of another container (its literal `name:` differs) is never a
    // candidate, however deep it matches: it would hide the keys of this container's item.
    let other_container = |k: &KeyLine| match (list_depth, container) {
        (Some(ld), Some((name, _))) if k.path.len() > ld + 1 => {
            item_name(outline, k, keys, ld).is_some_and(|n| n != name)
        }
        _ => false,
    };
    let other_item = |k: &KeyLine| {
        items.iter().any(|(d, name)| {
            k.path.len() > d + 1 && item_name(outline, k, keys, *d).is_some_and(|n| n != name)
        })
    };
    let same_item = |k: &KeyLine| {
        !items.is_empty()
            && items.iter().all(|(d, name)| {
                k.path.len() > d + 1 && item_name(outline, k, keys, *d) == Some(name.as_str())
            })
    };
    let mut best: Vec<&KeyLine> = Vec::new();
    let mut best_len = 0;
    for k in &outline.keys {
        if !keys.starts_with(&k.path) || other_container(k) || other_item(k) {
            continue;
        }
        match k.path.len().cmp(&best_len) {
            std::cmp::Ordering::Greater => {
                best_len = k.path.len();
                best = vec![k];
            }
            std::cmp::Ordering::Equal => best.push(k),
            std::cmp::Ordering::Less => {}
        }
    }
    let mut pick = best
        .iter()
        .copied()
        .find(|k| same_item(k))
        .or(best.first().copied());
    if let (Some(ld), Some((name, index))) = (list_depth, container) {
        if best_len > ld + 1 {
            // The candidates sit inside container items: keep those that can be this container.
            let named: Vec<(&KeyLine, Option<&str>)> = best
                .iter()
                .map(|k| (*k, item_name(outline, k, keys, ld)))
                .collect();
            let exact: Vec<&KeyLine> = named
                .iter()
                .filter(|(_, n)| *n == Some(name))
                .map(|(k, _)| *k)
                .collect();
            let templated: Vec<&KeyLine> = named
                .iter()
                .filter(|(_, n)| n.is_none())
                .map(|(k, _)| *k)
                .collect();
            if let Some(k) = exact.first() {
                pick = Some(k);
            } else if let Some((k, len)) = literal_item(outline, keys, ld, name) {
                pick = Some(k);
                best_len = len;
            } else if let Some(hit) =
                include_with_container(outline, keys, ld, name, container, defines, depth)
            {
                return Some(hit);
            } else if let Some(k) = by_position(outline, keys, ld, index, &templated) {
                // Every item of the list is always rendered, in order: the index's item.
                pick = Some(k);
            } else if templated.len() == 1 {
                // The one item whose name is an expression (a container that comes from a
                // values list instead is moved there by the caller).
                pick = templated.first().copied();
            } else {
                // Every literal container here is another one, or several items have
                // expression names and some are conditional (which one rendered this container
                // is not known): the list key, never another container.
                best_len = ld + 1;
                pick = outline
                    .keys
                    .iter()
                    .find(|k| keys.get(..=ld) == Some(k.path.as_slice()));
            }
        } else if let Some((k, len)) = literal_item(outline, keys, ld, name) {
            // The container's own item lacks the field: point at its first line.
            pick = Some(k);
            best_len = len;
        } else if let Some(hit) =
            include_with_container(outline, keys, ld, name, container, defines, depth)
        {
            return Some(hit);
        }
    }
    // Continue into an `include` that sits under the picked key (or at the top).
    if best_len < keys.len() && depth < 4 {
        if let Some(hit) = include_under(
            outline, pick, keys, best_len, container, items, defines, depth,
        ) {
            return Some(hit);
        }
    }
    let k = pick?;
    Some(TemplateHit {
        file: None,
        span: key_span(k),
        matched: best_len,
        wanted: keys.len(),
        define: None,
    })
}

/// From a key to the end of its line.
pub(super) fn key_span(k: &KeyLine) -> Span {
    Span::new(
        Pos::new(to_u32(k.line + 1), to_u32(k.col + 1)),
        Pos::new(to_u32(k.line + 1), to_u32(k.end_col + 1)),
    )
}

/// Tries the `include`s under key `parent` (or anywhere, without one) for the rest of `keys`.
#[allow(clippy::too_many_arguments)]
pub(super) fn include_under(
    outline: &Outline,
    parent: Option<&KeyLine>,
    keys: &[String],
    matched: usize,
    container: Option<(&str, usize)>,
    items: &[(usize, String)],
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    // The named items of lists below the include, with depths counted from there.
    let items: Vec<(usize, String)> = items
        .iter()
        .filter_map(|(d, n)| Some((d.checked_sub(matched)?, n.clone())))
        .collect();
    let block_end = parent.map_or(usize::MAX, |k| block_end(outline, k));
    for inc in &outline.includes {
        let under = match parent {
            Some(k) => inc.line >= k.line && inc.line < block_end && inc.indent > k.indent,
            None => true,
        };
        if !under {
            continue;
        }
        let Some(sub) = defines(&inc.name) else {
            continue;
        };
        let rest = keys.get(matched..).unwrap_or(&[]);
        if let Some(hit) = locate_items(&sub, rest, container, &items, defines, depth + 1) {
            if hit.matched > 0 {
                let define = match hit.define {
                    Some((name, base)) => Some((name, matched + base)),
                    None => Some((inc.name.clone(), matched)),
                };
                return Some(TemplateHit {
                    file: hit.file.or_else(|| sub.path.clone()),
                    span: hit.span,
                    matched: matched + hit.matched,
                    wanted: keys.len(),
                    define,
                });
            }
        }
    }
    None
}

/// An `include` under the container list key whose define holds a container with this literal
/// name (`- name: debug`): the rest of the path is looked up there.
pub(super) fn include_with_container(
    outline: &Outline,
    keys: &[String],
    list_depth: usize,
    name: &str,
    container: Option<(&str, usize)>,
    defines: &dyn Fn(&str) -> Option<Outline>,
    depth: usize,
) -> Option<TemplateHit> {
    if depth >= 4 {
        return None;
    }
    for list_key in outline
        .keys
        .iter()
        .filter(|k| keys.get(..=list_depth) == Some(k.path.as_slice()))
    {
        let end = block_end(outline, list_key);
        for inc in &outline.includes {
            if !(inc.line >= list_key.line && inc.line < end && inc.indent > list_key.indent) {
                continue;
            }
            let Some(sub) = defines(&inc.name) else {
                continue;
            };
            let Some(name_line) = sub.keys.iter().find(|k| {
                k.path.len() == 1 && k.key == "name" && k.value.trim_matches(['"', '\'']) == name
            }) else {
                continue;
            };
            let rest = keys.get(list_depth + 1..).unwrap_or(&[]);
            let hit = locate(&sub, rest, container, defines, depth + 1)
                .filter(|h| h.matched > 0)
                .unwrap_or_else(|| TemplateHit {
                    // The container's item lacks the key: its first line.
                    file: None,
                    span: key_span(name_line),
                    matched: 0,
                    wanted: rest.len(),
                    define: None,
                });
            let define = match hit.define {
                Some((name, base)) => Some((name, list_depth + 1 + base)),
                None => Some((inc.name.clone(), list_depth + 1)),
            };
            return Some(TemplateHit {
                file: hit.file.or_else(|| sub.path.clone()),
                span: hit.span,
                matched: list_depth + 1 + hit.matched,
                wanted: keys.len(),
                define,
            });
        }
    }
    None
}

/// The deepest key of the path inside the container item with this literal name, when the
/// template has such an item (it lacks the deeper keys, else it would be an exact candidate).
pub(super) fn literal_item<'o>(
    outline: &'o Outline,
    keys: &[String],
    list_depth: usize,
    name: &str,
) -> Option<(&'o KeyLine, usize)> {
    let name_line = outline.keys.iter().find(|k| {
        k.key == "name"
            && k.path.len() == list_depth + 2
            && same_head(&k.path, keys, list_depth + 1)
            && k.value.trim_matches(['"', '\'']) == name
    })?;
    let item = *name_line.items.last()?;
    let deepest = outline
        .keys
        .iter()
        .filter(|k| k.items.contains(&item))
        .filter(|k| keys.starts_with(&k.path))
        .max_by_key(|k| k.path.len());
    match deepest {
        Some(k) => Some((k, k.path.len())),
        None => Some((name_line, list_depth + 1)),
    }
}

/// Whether the block of the container list holds template actions on lines of their own
/// (`{{- if }}`, `{{- range }}`, `{{- toYaml .Values.sidecars }}`): then its items are not
/// always all rendered, in order.
pub(super) fn list_has_directives(outline: &Outline, keys: &[String], ld: usize) -> bool {
    let Some(list_key) = outline
        .keys
        .iter()
        .find(|k| keys.get(..=ld) == Some(k.path.as_slice()))
    else {
        return true;
    };
    let end = block_end(outline, list_key).min(outline.lines.len());
    outline
        .lines
        .get(list_key.line + 1..end)
        .unwrap_or(&[])
        .iter()
        .any(|l| l.trim_start().starts_with("{{"))
}

/// When the container list has no template actions on lines of their own, its items render
/// one container each, in order: the candidate in the `index`-th item.
pub(super) fn by_position<'o>(
    outline: &'o Outline,
    keys: &[String],
    ld: usize,
    index: usize,
    candidates: &[&'o KeyLine],
) -> Option<&'o KeyLine> {
    if list_has_directives(outline, keys, ld) {
        return None;
    }
    let list_key = outline
        .keys
        .iter()
        .find(|k| keys.get(..=ld) == Some(k.path.as_slice()))?;
    let item_of = |k: &KeyLine| k.items.iter().copied().find(|l| *l > list_key.line);
    let mut items: Vec<usize> = outline
        .keys
        .iter()
        .filter(|k| {
            k.path.len() > ld + 1 && same_head(&k.path, keys, ld + 1) && k.line > list_key.line
        })
        .filter_map(&item_of)
        .collect();
    items.sort_unstable();
    items.dedup();
    let item = *items.get(index)?;
    candidates
        .iter()
        .copied()
        .find(|k| item_of(k) == Some(item))
}

/// The line after the block of a key (the next key at the same or a lower indentation).
pub(super) fn block_end(outline: &Outline, k: &KeyLine) -> usize {
    outline
        .keys
        .iter()
        .find(|o| o.line > k.line && o.indent <= k.indent)
        .map_or(usize::MAX, |o| o.line)
}

/// Whether both paths have at least `n` keys and the first `n` are the same.
fn same_head(a: &[String], b: &[String], n: usize) -> bool {
    matches!((a.get(..n), b.get(..n)), (Some(x), Some(y)) if x == y)
}

pub(super) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) const CONTAINER_LISTS: &[&str] =
    &["containers", "initContainers", "ephemeralContainers"];

/// The literal `name:` of the container item that holds `k`; `None` when the name is a
/// template expression (or absent), so the item could be any container.
pub(super) fn item_name<'o>(
    outline: &'o Outline,
    k: &KeyLine,
    keys: &[String],
    list_depth: usize,
) -> Option<&'o str> {
    let list_key = outline
        .keys
        .iter()
        .rev()
        .find(|o| o.line <= k.line && keys.get(..=list_depth) == Some(o.path.as_slice()))?;
    let item = k.items.iter().copied().find(|l| *l > list_key.line)?;
    let name = outline.keys.iter().find(|o| {
        o.key == "name" && o.path.len() == list_depth + 2 && o.items.last() == Some(&item)
    })?;
    let value = name.value.trim_matches(['"', '\'']);
    (!value.contains("{{") && !value.is_empty()).then_some(value)
}

/// What to look up in a template or source file for a finding: the keys of its field path
/// (`kind` for an object-level finding) and its container (name, index).
pub(super) fn lookup(f: &Finding) -> (Vec<String>, Option<(&str, usize)>) {
    let keys = f.field.as_ref().map_or_else(
        || vec!["kind".to_string()],
        |p| p.keys().map(str::to_string).collect(),
    );
    // The container's position in its list, from the model (see `ContainerRef`); a finding
    // whose field is outside the container (a pod-level value it inherits) has none: the first.
    let index = f.container_ref.as_ref().map_or(0, |c| c.index);
    let container = f.container.as_deref().map(|n| (n, index));
    (keys, container)
}
