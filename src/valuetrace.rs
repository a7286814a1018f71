//! Values tracing: from the template line a finding maps to, to the line of the values file
//! that supplies the value (`imagePullPolicy: {{ .Values.image.pullPolicy }}` → the
//! `pullPolicy:` line of `values.yaml`, or of the override file that set it last).
//!
//! Templates are read as text, line by line: the expressions recognised are `.Values.a.b` and
//! `$.Values.a.b` (also after `toYaml`, before `| default ...`), `index .Values "a" "b"`, and
//! `.` or `.x` inside a `{{ with .Values.a }}` block. Anything else (`tpl`, `include` helpers,
//! `range` items, computed keys) is not traced, and the finding keeps its template mapping.
//! Every values file is read through [`crate::safepath::read_confined`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::model::{Pos, Span};

/// The values path a template line renders, when it renders one from `.Values`.
///
/// `line` is the 0-based line of the key the finding mapped to, `col` its 0-based column (in
/// code points); the key's own value is read first, then the template actions in the key's
/// block (the lines below it indented deeper, e.g. `{{- toYaml .Values.securityContext | nindent
/// 12 }}`).
pub fn values_ref(lines: &[String], line: usize, col: usize) -> Option<Vec<String>> {
    let first = lines.get(line)?;
    let value: String = first.chars().skip(col).collect();
    let value = match value.find(':') {
        Some(i) => value.get(i + 1..).unwrap_or("").to_string(),
        None => String::new(),
    };
    if let Some(r) = expression_ref(&value, lines, line) {
        return Some(r);
    }
    for (i, l) in lines.iter().enumerate().skip(line + 1) {
        let trimmed = l.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let indent = l.chars().count() - trimmed.chars().count();
        if trimmed.starts_with("{{") && indent <= col {
            // Written at the key's column or left of it, an action is in the key's block when
            // it lands deeper (`{{ toYaml .Values.x | indent 10 }}` at column 0 under a key at
            // column 8), or when it is a `range $k, $v := .Values.x` whose body writes the
            // block's keys (`{{ $k }}: {{ $v }}`).
            let lands = piped_indent(trimmed).unwrap_or(indent);
            if lands > col {
                if let Some(r) = expression_ref(trimmed, lines, i) {
                    return Some(r);
                }
                continue;
            }
            if indent == col {
                if let Some(r) = map_range(trimmed) {
                    return Some(r);
                }
            }
            break;
        }
        if indent <= col {
            break;
        }
        if !trimmed.starts_with("{{") {
            // A literal line: what follows belongs to deeper keys.
            break;
        }
        if let Some(r) = expression_ref(trimmed, lines, i) {
            return Some(r);
        }
    }
    None
}

/// The values path of a `{{- range $key, $value := .Values.a.b }}` action (two variables: a
/// range over a map's keys and values).
fn map_range(trimmed: &str) -> Option<Vec<String>> {
    let inner = trimmed.strip_prefix("{{")?;
    let end = inner.find("}}")?;
    let action = inner.get(..end)?.trim_matches(['-', ' ', '\t']);
    let rest = action.strip_prefix("range ")?;
    let (vars, arg) = rest.split_once(":=")?;
    if vars.split(',').count() != 2 || arg.contains('|') {
        return None;
    }
    explicit_ref(arg.trim())
}

/// The values lists a container list key renders directly (not through `range`, whose items
/// are template items): `{{- toYaml .Values.sidecars | nindent 8 }}`, `{{- with
/// .Values.extraContainers }}` in the key's block, i.e. the lines below it up to the next
/// literal key at its indentation or less.
///
/// With `include_ranges`, the lists of `range` blocks whose items the block holds count too
/// (their item paths cut at the item).
pub fn list_refs(
    lines: &[String],
    line: usize,
    col: usize,
    include_ranges: bool,
) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let items_at = item_indent(lines, line, col);
    for (i, l) in lines.iter().enumerate().skip(line + 1) {
        let trimmed = l.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let indent = l.chars().count() - trimmed.chars().count();
        if !trimmed.starts_with("{{") {
            if indent <= col && !trimmed.starts_with('-') {
                break;
            }
            continue;
        }
        // An action written at the list key's column (or less) is in the list only when it
        // renders at the items' indentation (`{{- toYaml . | nindent 6 }}` under a `containers:`
        // at column 6 whose items are `- name:` at column 6).
        let shallow = indent <= col;
        let mut rest = trimmed;
        while let Some(at) = rest.find("{{") {
            let Some(r) = rest.get(at + 2..) else { break };
            let end = r.find("}}").unwrap_or(r.len());
            let action = r.get(..end).unwrap_or("").trim_matches(['-', ' ', '\t']);
            rest = r.get(end..).unwrap_or("");
            // A `range .Values.list` at the items' level renders one container per item (its
            // body may not name `.` in a form read here: `toYaml (merge $a . $b)`).
            if include_ranges && indent <= items_at.iter().copied().max().unwrap_or(col) {
                if let Some(arg) = action.strip_prefix("range ") {
                    let arg = arg.rsplit_once(":=").map_or(arg, |(_, r)| r).trim();
                    if let Some(p) = explicit_ref(arg).filter(|_| !arg.contains('|')) {
                        if !out.contains(&p) {
                            out.push(p);
                        }
                        continue;
                    }
                }
            }
            if shallow && !items_at.contains(&piped_indent(action).unwrap_or(indent)) {
                continue;
            }
            // Items of a `range` are template items, mapped through the template, unless asked.
            let r = action_ref(action, lines, i).and_then(|mut p| {
                match p.iter().position(|k| k == ITEM) {
                    Some(at) if include_ranges => {
                        p.truncate(at);
                        Some(p)
                    }
                    Some(_) => None,
                    None => Some(p),
                }
            });
            if let Some(p) = r {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// The indentations the items of the list whose key is on 0-based `line` at column `col` are
/// written at: the column of its first literal `- ` item, else both forms YAML allows (the key's
/// column, or two more).
fn item_indent(lines: &[String], line: usize, col: usize) -> Vec<usize> {
    for l in lines.iter().skip(line + 1) {
        let trimmed = l.trim_start();
        if trimmed.is_empty() || trimmed.starts_with("{{") || trimmed.starts_with('#') {
            continue;
        }
        let indent = l.chars().count() - trimmed.chars().count();
        if trimmed.starts_with("- ") && indent >= col {
            return vec![indent];
        }
        if indent <= col {
            break;
        }
    }
    vec![col, col + 2]
}

/// The `N` of a `| nindent N` or `| indent N` in a template action (also read by
/// `sourcemap::outline`).
pub(crate) fn piped_indent(action: &str) -> Option<usize> {
    let at = action.rfind("indent ")?;
    action
        .get(at + "indent ".len()..)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The first values reference in the template actions of `text` (found on 0-based line `at`).
fn expression_ref(text: &str, lines: &[String], at: usize) -> Option<Vec<String>> {
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        rest = rest.get(i + 2..)?;
        let end = rest.find("}}").unwrap_or(rest.len());
        let action = rest.get(..end)?.trim_matches(['-', ' ', '\t']);
        if let Some(r) = action_ref(action, lines, at) {
            return Some(r);
        }
        rest = rest.get(end..)?;
    }
    None
}

fn action_ref(action: &str, lines: &[String], at: usize) -> Option<Vec<String>> {
    // Control actions decide what is rendered; they do not render a value.
    let word = action.split_whitespace().next().unwrap_or("");
    if matches!(
        word,
        "if" | "with" | "range" | "else" | "end" | "define" | "block" | "/*"
    ) || word.starts_with("/*")
        || word.contains(":=")
        || action.split_whitespace().nth(1) == Some(":=")
    {
        return None;
    }
    if let Some(r) = explicit_ref(action) {
        return Some(r);
    }
    // `index .Values "a" "b"`.
    if let Some(i) = action
        .find("index .Values ")
        .or(action.find("index $.Values "))
    {
        let args = action.get(i..)?.split_once(".Values ")?.1;
        let mut path = Vec::new();
        let mut words = args.split_whitespace();
        for w in words.by_ref() {
            match w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
                Some(k) if !k.is_empty() => path.push(k.to_string()),
                _ => break,
            }
        }
        return (!path.is_empty()).then_some(path);
    }
    // `.` or `.x.y` relative to a `with .Values.a` block: only as the action's value itself
    // (`{{ . }}`, `{{ .x | quote }}`, `{{ toYaml . | nindent 8 }}`), never as an argument of an
    // include (which passes the context on).
    let first = action.split(['|', ')']).next()?.trim();
    let operand = first
        .strip_prefix("toYaml ")
        .or_else(|| first.strip_prefix("quote "))
        .unwrap_or(first)
        .trim();
    if !operand.starts_with('.') || operand.contains(' ') {
        return None;
    }
    let mut rel: Vec<String> = operand
        .split('.')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if rel.first().is_some_and(|k| {
        matches!(
            k.as_str(),
            "Release" | "Chart" | "Capabilities" | "Template" | "Files" | "Values"
        )
    }) {
        return None;
    }
    if !rel
        .iter()
        .all(|k| k.chars().all(|c| c.is_alphanumeric() || c == '_'))
    {
        return None;
    }
    let mut base = with_context(lines, at)?;
    base.append(&mut rel);
    Some(base)
}

/// `.Values.a.b` or `$.Values.a.b` in an action: `[a, b]`.
fn explicit_ref(action: &str) -> Option<Vec<String>> {
    let mut from = 0;
    while let Some(i) = action.get(from..)?.find(".Values.") {
        let start = from + i;
        let before = action.get(..start)?.chars().last();
        from = start + ".Values.".len();
        if !matches!(before, None | Some(' ' | '(' | '$' | '\t')) {
            continue;
        }
        let tail = action.get(from..)?;
        let path: Vec<String> = tail
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .next()?
            .split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !path.is_empty() {
            return Some(path);
        }
    }
    None
}

/// The values path of the innermost `{{ with .Values.a }}` block open at 0-based line `at`;
/// `None` when that block is a `range` or `define` (its `.` is not a values path we know), or
/// there is none.
fn with_context(lines: &[String], at: usize) -> Option<Vec<String>> {
    let mut depth = 0i32;
    for i in (0..at).rev() {
        let line = lines.get(i)?;
        // Actions of one line, last first.
        let mut actions: Vec<&str> = Vec::new();
        let mut rest = line.as_str();
        while let Some(s) = rest.find("{{") {
            rest = rest.get(s + 2..)?;
            let end = rest.find("}}").unwrap_or(rest.len());
            actions.push(rest.get(..end)?.trim_matches(['-', ' ', '\t']));
            rest = rest.get(end..)?;
        }
        for a in actions.into_iter().rev() {
            let word = a.split_whitespace().next().unwrap_or("");
            match word {
                "end" => depth += 1,
                "if" | "range" | "with" | "define" | "block" => {
                    if depth > 0 {
                        depth -= 1;
                        continue;
                    }
                    if word == "with" {
                        let arg = a.get(4..).unwrap_or("").trim();
                        // `with .Values.a` (not `with $x := ...`, not a pipeline).
                        if arg.contains('|') || arg.contains(":=") {
                            return None;
                        }
                        return explicit_ref(arg);
                    }
                    if word == "range" {
                        // `range .Values.list` (or `range $i, $c := .Values.list`): `.` is an
                        // item of the list, the one whose `name` is the finding's container.
                        let arg = a.get(5..).unwrap_or("").trim();
                        let arg = arg.rsplit_once(":=").map_or(arg, |(_, r)| r).trim();
                        if arg.contains('|') {
                            return None;
                        }
                        let mut list = explicit_ref(arg)?;
                        list.push(ITEM.to_string());
                        return Some(list);
                    }
                    if word != "if" {
                        return None;
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// A path segment that stands for the item of a list whose `name` is the finding's container
/// (`.` inside `range .Values.containers`).
pub const ITEM: &str = "[]";

/// One values file that a render used, with the key prefix under which it sets this chart's
/// values (`[metrics]` in a parent's values for its `metrics` subchart).
#[derive(Debug, Clone)]
pub struct Source {
    pub file: PathBuf,
    pub prefix: Vec<String>,
}

/// Where a values path is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesHit {
    pub file: PathBuf,
    pub span: Span,
    /// How many keys of the (prefixed) path the file has.
    pub matched: usize,
    pub wanted: usize,
    /// The full path looked up (prefix included), dotted.
    pub path: String,
    /// The deepest key found, dotted.
    pub found: String,
    /// The value's text, when the whole path is there and its value is a scalar.
    pub scalar: Option<String>,
}

/// Values files read and parsed once per run (a chart's `values.yaml` serves every finding of
/// every render), only from inside the scan roots.
#[derive(Default)]
pub struct ValuesCache {
    roots: Vec<PathBuf>,
    files: Mutex<HashMap<PathBuf, Option<Arc<Parsed>>>>,
}

struct Parsed {
    text: String,
    stream: crate::model::yaml::Stream,
}

impl ValuesCache {
    /// Files are read only inside `roots` (canonical directories).
    pub fn new(roots: Vec<PathBuf>) -> ValuesCache {
        ValuesCache {
            roots,
            files: Mutex::default(),
        }
    }

    fn get(&self, file: &Path) -> Option<Arc<Parsed>> {
        let mut cache = self.files.lock().ok()?;
        cache
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let text = crate::safepath::read_confined(file, &self.roots)?;
                let stream = crate::model::yaml::parse_stream(&text);
                Some(Arc::new(Parsed { text, stream }))
            })
            .clone()
    }
}

/// The values file that supplies `path`, from `sources` in increasing precedence (the chart's
/// `values.yaml` first, the render's last `--helm-values` file last): the last one that sets
/// the whole path; else the deepest key any of them has (the earliest of equal depth, the
/// chart's own values first). `None` when none has a key of the path. Files are read only
/// inside `roots`.
pub fn find(
    sources: &[Source],
    path: &[String],
    container: Option<&str>,
    cache: &ValuesCache,
) -> Option<ValuesHit> {
    let mut best: Option<ValuesHit> = None;
    for s in sources {
        let Some(parsed) = cache.get(&s.file) else {
            continue;
        };
        let full: Vec<String> = s.prefix.iter().chain(path).cloned().collect();
        let Some(hit) = deepest(&parsed.text, &parsed.stream, &full, container, &s.file) else {
            continue;
        };
        // The prefix (a subchart's name in its parent's values) must be there in full.
        if hit.matched <= s.prefix.len() {
            continue;
        }
        let depth = |h: &ValuesHit| h.matched - (h.wanted - path.len());
        let better = match &best {
            None => true,
            Some(b) => {
                hit.matched == hit.wanted || (b.matched < b.wanted && depth(&hit) > depth(b))
            }
        };
        if better {
            best = Some(hit);
        }
    }
    best
}

/// The deepest key of `path` in a values file's text (the prefix must be there in full).
fn deepest(
    text: &str,
    stream: &crate::model::yaml::Stream,
    path: &[String],
    container: Option<&str>,
    file: &Path,
) -> Option<ValuesHit> {
    let mut node = stream.documents.first()?.root.as_ref()?;
    let mut last: Option<&crate::model::yaml::Entry> = None;
    let mut matched = 0;
    for k in path {
        if k == ITEM {
            // The list item named like the container; its `name:` line stands for it.
            let Some(name) = container else { break };
            let Some((item, entry)) = node.as_seq().and_then(|items| {
                items.iter().find_map(|it| {
                    let e = it.get_entry("name")?;
                    (e.value.text() == Some(name)).then_some((it, e))
                })
            }) else {
                break;
            };
            matched += 1;
            last = Some(entry);
            node = item;
            continue;
        }
        let Some(e) = node.get_entry(k) else { break };
        matched += 1;
        last = Some(e);
        node = &e.value;
    }
    let e = last?;
    let start = e.key.span.start;
    let end_col = text
        .lines()
        .nth((start.line as usize).saturating_sub(1))
        .map(|l| l.trim_end().chars().count() + 1)
        .filter(|c| *c as u32 > start.col)
        .map_or(e.key.span.end.col, |c| u32::try_from(c).unwrap_or(u32::MAX));
    Some(ValuesHit {
        file: file.to_path_buf(),
        span: Span::new(start, Pos::new(start.line, end_col)),
        matched,
        wanted: path.len(),
        scalar: (matched == path.len())
            .then(|| e.value.text().map(str::to_string))
            .flatten(),
        path: dotted(path, container),
        found: dotted(path.get(..matched).unwrap_or(&[]), container),
    })
}

/// `containers[name=web].securityContext` for a path with [`ITEM`] segments.
pub fn dotted(path: &[String], container: Option<&str>) -> String {
    let mut out = String::new();
    for k in path {
        if k == ITEM {
            out.push_str(&format!("[name={}]", container.unwrap_or("?")));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(t: &str) -> Vec<String> {
        t.lines().map(str::to_string).collect()
    }

    fn r(t: &str, line: usize, col: usize) -> Option<String> {
        values_ref(&lines(t), line, col).map(|p| p.join("."))
    }

    #[test]
    fn helm_create_patterns() {
        let t = "\
spec:
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 8 }}
  {{- end }}
  containers:
    - name: {{ .Chart.Name }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 12 }}
      image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      hostPID: {{ index .Values \"pod\" \"hostPID\" }}
      user: {{ $.Values.user | default 0 }}
      name: {{ include \"x\" . }}
";
        assert_eq!(r(t, 2, 2).as_deref(), Some("podSecurityContext"));
        assert_eq!(r(t, 7, 6).as_deref(), Some("securityContext"));
        assert_eq!(r(t, 9, 6).as_deref(), Some("image.repository"));
        assert_eq!(r(t, 10, 6).as_deref(), Some("image.pullPolicy"));
        assert_eq!(r(t, 11, 6).as_deref(), Some("pod.hostPID"));
        assert_eq!(r(t, 12, 6).as_deref(), Some("user"));
        assert_eq!(r(t, 13, 6), None);
        assert_eq!(r(t, 5, 2), None);
    }

    #[test]
    fn range_items_are_list_items_by_name() {
        let t = "\
{{- range .Values.containers }}
- name: {{ .name }}
  securityContext:
    {{- toYaml .securityContext | nindent 4 }}
{{- end }}
{{- range $i, $c := .Values.sidecars }}
- image: {{ .image }}
{{- end }}
{{- range .Values.a | default list }}
- image: {{ .image }}
{{- end }}
";
        assert_eq!(r(t, 2, 2).as_deref(), Some("containers.[].securityContext"));
        assert_eq!(r(t, 6, 2).as_deref(), Some("sidecars.[].image"));
        assert_eq!(r(t, 9, 2), None);
    }

    #[test]
    fn container_lists_from_values() {
        let t = "\
      containers:
        {{- range .Values.containers }}
        - name: {{ .name }}
          {{- toYaml .securityContext | nindent 10 }}
        {{- end }}
        {{- with .Values.sidecars }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- include \"x.render\" (dict \"value\" .Values.extraContainers \"context\" $) | nindent 8 }}
      {{- with .Values.volumes }}
      volumes:
        {{- toYaml . | nindent 8 }}
      {{- end }}
";
        let all: Vec<String> = list_refs(&lines(t), 0, 6, true)
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(all, ["containers", "sidecars", "extraContainers"]);
        let refs: Vec<String> = list_refs(&lines(t), 0, 6, false)
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(refs, ["sidecars", "extraContainers"]);
    }

    #[test]
    fn lists_and_blocks_written_at_the_keys_column() {
        // `toYaml` at the list key's column, rendering at the items' indentation; a `range`
        // whose body renders the item without naming `.` plainly; `toYaml .` without a pipe at
        // a list key at column 0; a `toYaml | nindent` that lands elsewhere is not the list's.
        let t = "\
      containers:
      - name: {{ template \"x.name\" . }}
{{ toYaml .Values.resources | indent 10 }}
      {{- range .Values.sidecars }}
      - {{- toYaml (merge (dict) . $.Values.defaults) | nindent 8 }}
      {{- end }}
      {{- with .Values.containers }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
      {{- with .Values.tolerations }}
      {{- toYaml . | nindent 8 }}
      {{- end }}
      volumes: []
";
        let all: Vec<String> = list_refs(&lines(t), 0, 6, true)
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(all, ["sidecars", "containers"]);
        let refs: Vec<String> = list_refs(&lines(t), 0, 6, false)
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(refs, ["containers"]);
        let t = "{{- with .Values.extraInitContainers }}\ninitContainers:\n{{ toYaml . }}\n{{- end }}\ncontainers:\n";
        let refs: Vec<String> = list_refs(&lines(t), 1, 0, false)
            .iter()
            .map(|p| p.join("."))
            .collect();
        assert_eq!(refs, ["extraInitContainers"]);
        // A block whose content is written at column 0 (`| indent 10`), and keys written by a
        // range over a values map.
        let t = "\
        securityContext:
{{ toYaml .Values.proxy.securityContext | indent 10 }}
        resources:
{{- if .Values.resources }}
{{ toYaml .Values.resources | indent 10 }}
{{- end }}
          securityContext:
          {{- range $key, $value := .Values.securityContext }}
            {{ $key }}: {{ $value }}
          {{- end }}
          ports: []
";
        assert_eq!(r(t, 0, 8).as_deref(), Some("proxy.securityContext"));
        assert_eq!(r(t, 2, 8), None);
        assert_eq!(r(t, 6, 10).as_deref(), Some("securityContext"));
        assert_eq!(r(t, 10, 10), None);
    }

    #[test]
    fn deepest_key_and_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let a = root.join("values.yaml");
        let b = root.join("values-prod.yaml");
        std::fs::write(
            &a,
            "securityContext: {}\nimage:\n  pullPolicy: IfNotPresent\n",
        )
        .unwrap();
        std::fs::write(&b, "image:\n  pullPolicy: Always  # prod\n").unwrap();
        let sources = [
            Source {
                file: a.clone(),
                prefix: vec![],
            },
            Source {
                file: b.clone(),
                prefix: vec![],
            },
        ];
        let roots = ValuesCache::new(vec![root.clone()]);
        let p = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        let h = find(&sources, &p("image.pullPolicy"), None, &roots).unwrap();
        assert_eq!(
            (h.file.clone(), h.span.start.line, h.span.start.col),
            (b.clone(), 2, 3)
        );
        assert_eq!(h.span.end.col, 29);
        let h = find(&sources, &p("securityContext.runAsUser"), None, &roots).unwrap();
        assert_eq!(
            (h.file.clone(), h.span.start.line, h.matched),
            (a.clone(), 1, 1)
        );
        assert!(find(&sources, &p("resources.limits"), None, &roots).is_none());
        // Nothing outside the roots is read.
        assert!(find(
            &sources,
            &p("image.pullPolicy"),
            None,
            &ValuesCache::default()
        )
        .is_none());
    }
}
