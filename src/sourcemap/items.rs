//! The names of the rendered list items a field path goes through (`volumes[2]` is the volume
//! named `root`), read from the rendered output around the finding's line, so that a template
//! line is picked in the item with that literal name instead of the first item that has the key.

use crate::finding::{FieldPath, Segment};

use super::locate::CONTAINER_LISTS;
use super::outline::Outline;

/// How far above the finding's line the enclosing items are looked for.
const MAX_LINES_UP: usize = 2000;
/// How far below an item's first line its `name:` key is looked for.
const MAX_ITEM_LINES: usize = 200;

/// Whether the field path goes through a list that is not a container list (whose items are
/// told apart by the finding's container).
pub(super) fn has_named_lists(field: &FieldPath) -> bool {
    !wanted_lists(field).is_empty()
}

/// For each list of the field path other than the container lists: the index of its key among
/// the path's keys, and the key.
fn wanted_lists(field: &FieldPath) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut keys = 0usize;
    let mut last: Option<&str> = None;
    for s in field.segments() {
        match s {
            Segment::Key(k) => {
                keys += 1;
                last = Some(k.as_str());
            }
            Segment::Index(_) => {
                if let Some(k) = last.take() {
                    if !CONTAINER_LISTS.contains(&k) {
                        out.push((keys.saturating_sub(1), k));
                    }
                }
            }
        }
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

/// The key of a `key: value` (or `- key: value`) line.
fn key_of(trimmed: &str) -> Option<&str> {
    let mut t = trimmed;
    while let Some(r) = t.strip_prefix("- ") {
        t = r.trim_start();
    }
    let (key, _) = super::outline::split_key(t)?;
    Some(key)
}

/// The `name:` value of the item whose `- ` is on 0-based line `at`.
fn item_name(lines: &[&str], at: usize) -> Option<String> {
    let first = lines.get(at)?;
    let indent = indent_of(first);
    let after = first.get(indent..)?.strip_prefix("- ")?;
    let content = indent + 2 + (after.len() - after.trim_start().len());
    let unquote = |v: &str| {
        let v = match v.find(" #") {
            Some(i) => v.get(..i).unwrap_or(v),
            None => v,
        };
        v.trim().trim_matches(['"', '\'']).to_string()
    };
    if let Some(v) = after.trim_start().strip_prefix("name:") {
        return Some(unquote(v)).filter(|v| !v.is_empty());
    }
    for l in lines.iter().skip(at + 1).take(MAX_ITEM_LINES) {
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let i = indent_of(l);
        if i <= indent {
            break;
        }
        if i == content {
            if let Some(v) = t.strip_prefix("name:") {
                return Some(unquote(v)).filter(|v| !v.is_empty());
            }
        }
    }
    None
}

/// The rendered names of the items of the field's non-container lists that hold the finding's
/// rendered line (1-based `line` of `lines`): `(index of the list key among the field's keys,
/// item name)`. Lists whose item has no `name:` are left out.
pub(super) fn rendered_items(lines: &[&str], line: u32, field: &FieldPath) -> Vec<(usize, String)> {
    let wanted = wanted_lists(field);
    if wanted.is_empty() {
        return Vec::new();
    }
    let Some(start) = (line as usize).checked_sub(1) else {
        return Vec::new();
    };
    let Some(first) = lines.get(start) else {
        return Vec::new();
    };
    // The chain of enclosing lines, innermost first: (line, is a `- ` item).
    let mut chain: Vec<(usize, bool)> = vec![(start, first.trim_start().starts_with("- "))];
    let mut cur = indent_of(first);
    for i in (start.saturating_sub(MAX_LINES_UP)..start).rev() {
        let Some(l) = lines.get(i) else { break };
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with("---") && indent_of(l) == 0 {
            break;
        }
        let ind = indent_of(l);
        let is_item = t.starts_with("- ") || t == "-";
        let last_is_item = chain.last().is_some_and(|c| c.1);
        if ind < cur || (ind == cur && last_is_item && !is_item) {
            chain.push((i, is_item));
            cur = ind;
            if ind == 0 && !is_item {
                break;
            }
        }
    }
    let mut out = Vec::new();
    let mut from = 0usize;
    // Innermost list first.
    for (depth, key) in wanted.iter().rev() {
        let found = chain
            .iter()
            .enumerate()
            .skip(from)
            .find(|(n, (l, is_item))| {
                !*is_item
                    && *n > 0
                    && chain.get(n - 1).is_some_and(|c| c.1)
                    && lines
                        .get(*l)
                        .and_then(|s| key_of(s.trim_start()))
                        .is_some_and(|k| k == *key)
            });
        let Some((n, _)) = found else { break };
        from = n + 1;
        let Some(item_line) = chain.get(n - 1).map(|c| c.0) else {
            break;
        };
        if let Some(name) = item_name(lines, item_line) {
            out.push((*depth, name));
        }
    }
    out
}

/// The outline with the `name:` values written with `{{ .Values.a.b }}` (alone or with literal
/// text around it: `alertmanager-{{ .Values.configmapReload.name }}` once the chart's name is
/// written out) replaced by what `value` says the render's values files set; `None` when no name
/// changes. A name with any other expression stays as it is.
pub(super) fn with_value_names(
    outline: &Outline,
    chart_name: Option<&str>,
    value: &dyn Fn(&[String]) -> Option<String>,
) -> Option<Outline> {
    if !outline
        .keys
        .iter()
        .any(|k| k.key == "name" && k.value.contains(".Values."))
    {
        return None;
    }
    let mut keys = outline.keys.clone();
    let mut changed = false;
    for k in keys
        .iter_mut()
        .filter(|k| k.key == "name" && k.value.contains("{{"))
    {
        if let Some(v) = substitute(&k.value, chart_name, value) {
            k.value = v;
            changed = true;
        }
    }
    changed.then(|| Outline {
        keys,
        includes: outline.includes.clone(),
        defines: outline.defines.clone(),
        doc_markers: outline.doc_markers.clone(),
        lines: outline.lines.clone(),
        path: outline.path.clone(),
    })
}

/// `text` with each `{{ .Values.a.b }}` written out; `None` when an action is anything else or a
/// value is not known.
fn substitute(
    text: &str,
    chart_name: Option<&str>,
    value: &dyn Fn(&[String]) -> Option<String>,
) -> Option<String> {
    let text = text.trim().trim_matches(['"', '\'']);
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(rest.get(..at)?);
        let r = rest.get(at + 2..)?;
        let end = r.find("}}")?;
        let action = r.get(..end)?.trim_matches(['-', ' ', '\t']);
        rest = r.get(end + 2..)?;
        if matches!(action, ".Chart.Name" | "$.Chart.Name") {
            out.push_str(chart_name?);
            continue;
        }
        let path = action
            .strip_prefix(".Values.")
            .or_else(|| action.strip_prefix("$.Values."))?;
        if path.is_empty()
            || !path
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return None;
        }
        let keys: Vec<String> = path
            .split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        out.push_str(value(&keys)?.trim().trim_matches(['"', '\'']));
    }
    out.push_str(rest);
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_written_with_values() {
        let o = Outline::parse(
            "containers:\n  - name: {{ .Chart.Name }}-{{ .Values.reload.name }}\n  - name: {{ .Values.main }}\n  - name: {{ include \"x\" . }}\n  - name: {{ .Values.unset }}\n",
        );
        let value = |p: &[String]| match p.join(".").as_str() {
            "reload.name" => Some("reload".to_string()),
            "main" => Some("\"web\"".to_string()),
            _ => None,
        };
        let named = with_value_names(&o, Some("app"), &value).unwrap();
        let names: Vec<&str> = named
            .keys
            .iter()
            .filter(|k| k.key == "name")
            .map(|k| k.value.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "app-reload",
                "web",
                "{{ include \"x\" . }}",
                "{{ .Values.unset }}"
            ]
        );
        assert!(with_value_names(
            &Outline::parse("name: {{ .Chart.Name }}\n"),
            Some("app"),
            &value
        )
        .is_none());
    }

    #[test]
    fn volume_item_names_from_rendered_output() {
        let text = "\
spec:
  template:
    spec:
      containers:
        - name: app
          volumeMounts:
            - name: data
              mountPath: /data
            - mountPath: /logs
              name: logs
      volumes:
        - name: proc
          hostPath:
            path: /proc
        - hostPath:
            path: /
          name: root
      - bad
";
        let lines: Vec<&str> = text.lines().collect();
        let f = FieldPath::parse("spec.template.spec.volumes[1].hostPath.path");
        assert_eq!(
            rendered_items(&lines, 16, &f),
            vec![(3, "root".to_string())]
        );
        let f = FieldPath::parse("spec.template.spec.volumes[0].hostPath.path");
        assert_eq!(
            rendered_items(&lines, 14, &f),
            vec![(3, "proc".to_string())]
        );
        let f = FieldPath::parse("spec.template.spec.containers[0].volumeMounts[1].mountPath");
        assert_eq!(rendered_items(&lines, 9, &f), vec![(4, "logs".to_string())]);
        // Compact lists (items at the key's column) and a line that is the item itself.
        let text = "spec:\n  volumes:\n  - name: a\n    emptyDir: {}\n  - name: b\n    hostPath:\n      path: /b\n";
        let lines: Vec<&str> = text.lines().collect();
        let f = FieldPath::parse("spec.volumes[1].hostPath.path");
        assert_eq!(rendered_items(&lines, 7, &f), vec![(1, "b".to_string())]);
        let f = FieldPath::parse("spec.volumes[1]");
        assert_eq!(rendered_items(&lines, 5, &f), vec![(1, "b".to_string())]);
        let f = FieldPath::parse("spec.containers[0].image");
        assert!(!has_named_lists(&f));
        assert_eq!(rendered_items(&lines, 0, &f), Vec::<(usize, String)>::new());
    }
}
