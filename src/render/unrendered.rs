//! Security-relevant template lines that no render took (`CLUSTERSEC_UNRENDERED_BRANCH`).
//!
//! A chart can keep `privileged: true` behind `{{ if .Capabilities.APIVersions.Has "x/v1" }}`,
//! `{{ if eq .Release.Name "prod" }}` or `{{ if lookup ... }}`: conditions that differ between
//! CI (`helm template`, no cluster) and the real install. Such a line never reaches the rendered
//! output that the rules check, so it is reported on its own.
//!
//! For every chart with at least one successful helm render, each template file (the chart's
//! `templates/` and those of subcharts vendored as directories under `charts/`) is read as an
//! outline of `key:` lines by indentation, like the source mapping does. A line inside an
//! `{{ if }}`/`{{ else }}`/`{{ with }}`/`{{ range }}` block whose key sets a security-relevant
//! literal (`privileged: true`, `hostPID: true`, `runAsUser: 0`, a `hostPath:` volume,
//! `SYS_ADMIN` in `capabilities.add`...) counts as rendered when some render's output holds the
//! same literal at a key path that ends with the template's key path, in a document whose
//! `# Source:` is that template (any document for a line inside a `define`, which lands where it
//! is included). Lines that no render produced are findings at the template line. Charts that
//! did not render at all are reported by `CLUSTERSEC_RENDER` and not here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::discover::display_path;
use crate::engine::Engine;
use crate::finding::Finding;
use crate::model::{Pos, Span};
use crate::render::{Render, Run, Tool};
use crate::rules::unrendered_branch::UnrenderedBranch;

/// Template files read per chart, at most (a chart is untrusted input).
const MAX_FILES: usize = 2_000;
/// Template files larger than this are not read.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// How deep subcharts under `charts/` are followed.
const MAX_SUBCHART_DEPTH: usize = 8;

/// Capabilities that make a container as good as root on the node.
const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "NET_ADMIN",
    "BPF",
    "DAC_READ_SEARCH",
];

/// One security-relevant literal on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Literal {
    /// 0-based line.
    line: usize,
    /// 0-based columns (code points) of the key (or list item) and the end of the value.
    col: usize,
    end_col: usize,
    /// Key path from the outline's root, without list indices.
    path: Vec<String>,
    /// What it sets, normalised: `privileged: true`, `hostPath`, `capabilities.add: SYS_ADMIN`.
    what: String,
    /// Inside an `if`/`else`/`with`/`range` block (templates only).
    in_branch: bool,
    /// Inside a `define` block (templates only): rendered wherever it is included.
    in_define: bool,
    /// The `# Source:` of the rendered document that holds it (rendered output only).
    source: Option<String>,
}

/// The findings of the rule for a run: lines of rendered charts that no render produced.
pub fn findings(engine: &Engine, run: &Run) -> Vec<Finding> {
    let Some(severity) = engine.severity(UnrenderedBranch::ID) else {
        return Vec::new();
    };
    // The successful helm renders of each chart, charts in the order of the run.
    let mut charts: Vec<(&Path, Vec<&Render>)> = Vec::new();
    for r in &run.renders {
        if r.tool != Tool::Helm || r.output.is_err() {
            continue;
        }
        match charts.iter_mut().find(|(d, _)| *d == r.dir.as_path()) {
            Some((_, rs)) => rs.push(r),
            None => charts.push((r.dir.as_path(), vec![r])),
        }
    }
    let cwd = std::env::current_dir().ok();
    let mut out = Vec::new();
    for (dir, renders) in charts {
        for mut f in chart_findings(dir, &renders, cwd.as_deref()) {
            f.severity = severity;
            out.push(f);
        }
    }
    out
}

/// The unrendered security lines of one chart, given its successful renders.
fn chart_findings(dir: &Path, renders: &[&Render], cwd: Option<&Path>) -> Vec<Finding> {
    let mut files = Vec::new();
    template_files(dir, dir, 0, &mut files);
    files.sort();
    // What the renders produced, by literal.
    let mut rendered: HashMap<String, Vec<Literal>> = HashMap::new();
    for r in renders {
        if let Ok(text) = &r.output {
            for lit in literals(text, false) {
                rendered.entry(lit.what.clone()).or_default().push(lit);
            }
        }
    }
    let labels: Vec<&str> = renders.iter().map(|r| r.label.as_str()).collect();
    // Templates are read only from inside the chart (a `templates` symlink that leads out of it,
    // or into a version-control directory, reads nothing).
    let Ok(chart) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    let roots = [chart];
    let mut out = Vec::new();
    for (rel, path) in files {
        let Some(text) = crate::safepath::read_confined(&path, &roots) else {
            continue;
        };
        for lit in literals(&text, true) {
            if !lit.in_branch {
                continue;
            }
            let taken = rendered.get(&lit.what).is_some_and(|found| {
                found.iter().any(|r| {
                    (lit.in_define || r.source.as_deref() == Some(rel.as_str()))
                        && r.path.ends_with(&lit.path)
                })
            });
            if taken {
                continue;
            }
            let span = Span::new(
                Pos::new(to_u32(lit.line + 1), to_u32(lit.col + 1)),
                Pos::new(to_u32(lit.line + 1), to_u32(lit.end_col + 1)),
            );
            let mut f = Finding::new(
                UnrenderedBranch::ID,
                span,
                format!(
                    "not rendered by any value set: `{}` sits in a template branch that no render \
                     took ({}: {}), so no rule checked it; a value, the cluster (`lookup`, \
                     `.Capabilities`) or the release name at install time can turn it on",
                    lit.what,
                    if labels.len() == 1 {
                        "render"
                    } else {
                        "renders"
                    },
                    labels.join(", ")
                ),
            )
            .field(lit.path.join("."));
            f.path = display_path(&path, cwd).into();
            out.push(f);
        }
    }
    out
}

/// The template files of a chart and of its subchart directories: (path relative to the
/// rendered chart as `# Source:` names it, without the chart name; the file). Symbolic links
/// are not followed.
fn template_files(root: &Path, chart: &Path, depth: usize, out: &mut Vec<(String, PathBuf)>) {
    let mut stack = vec![chart.join("templates")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if out.len() >= MAX_FILES {
                return;
            }
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    let wanted = [".yaml", ".yml", ".tpl", ".json"]
                        .iter()
                        .any(|x| name.ends_with(x));
                    let small = e.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES);
                    if wanted && small {
                        if let Ok(rel) = p.strip_prefix(root) {
                            let rel: Vec<String> = rel
                                .components()
                                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                                .collect();
                            out.push((rel.join("/"), p));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if depth >= MAX_SUBCHART_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(chart.join("charts")) else {
        return;
    };
    let mut subs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subs.sort();
    for sub in subs {
        template_files(root, &sub, depth + 1, out);
    }
}

/// Template block state at the start of each line: (inside a branch, inside a define, inside a
/// template comment).
fn block_states(text: &str) -> Vec<(bool, bool, bool)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Block {
        Branch,
        Define,
        Other,
    }
    let mut states = Vec::new();
    let mut stack: Vec<Block> = Vec::new();
    let mut comment = false;
    for line in text.lines() {
        let in_branch = stack.contains(&Block::Branch);
        let in_define = stack.contains(&Block::Define);
        states.push((in_branch, in_define, comment));
        let mut rest = line;
        loop {
            if comment {
                match rest.find("*/") {
                    Some(i) => {
                        comment = false;
                        rest = rest.get(i + 2..).unwrap_or("");
                    }
                    None => break,
                }
                continue;
            }
            let Some(i) = rest.find("{{") else {
                break;
            };
            rest = rest.get(i + 2..).unwrap_or("");
            let inner = rest.trim_start_matches('-').trim_start();
            if inner.starts_with("/*") {
                comment = true;
                rest = inner.get(2..).unwrap_or("");
                continue;
            }
            let word: String = inner
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            match word.as_str() {
                "if" | "with" | "range" => stack.push(Block::Branch),
                "define" => stack.push(Block::Define),
                "block" => stack.push(Block::Other),
                "end" => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    states
}

/// The security-relevant literals of a text: a template (with block states) or rendered output
/// (with the `# Source:` of each document).
fn literals(text: &str, template: bool) -> Vec<Literal> {
    let states = if template {
        block_states(text)
    } else {
        Vec::new()
    };
    let mut out = Vec::new();
    // (column, key, whether its value is empty) of the keys open at this line, by indentation.
    let mut stack: Vec<(usize, String, bool)> = Vec::new();
    let mut source: Option<String> = None;
    // Only helm's own `# Source:` counts: the line right after a `---` line (see
    // `sourcemap::helm_sources`); one printed by a template names nothing.
    let mut after_separator = false;
    for (i, raw) in text.lines().enumerate() {
        let helm_header =
            std::mem::replace(&mut after_separator, raw.trim_end_matches('\r') == "---");
        let (in_branch, in_define, in_comment) =
            states.get(i).copied().unwrap_or((false, false, false));
        if in_comment {
            continue;
        }
        let trimmed = raw.trim_start();
        if !template && helm_header {
            if let Some(src) = raw.strip_prefix("# Source: ") {
                // `CHART/templates/x.yaml`: the path inside the chart.
                source = src.trim().split_once('/').map(|(_, rest)| rest.to_string());
                continue;
            }
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("{{") {
            continue;
        }
        if trimmed.trim_end() == "---" {
            stack.clear();
            if !template {
                source = None;
            }
            continue;
        }
        let mut col = raw.chars().count() - trimmed.chars().count();
        let dash_col = col;
        let mut rest = trimmed;
        let mut item = false;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
            item = true;
            col += rest.chars().count() - r.trim_start().chars().count();
            rest = r.trim_start();
        }
        let mut push = |what: String, end_col: usize, path: Vec<String>| {
            out.push(Literal {
                line: i,
                col,
                end_col,
                path,
                what,
                in_branch,
                in_define,
                source: if template { None } else { source.clone() },
            });
        };
        match split_key(rest) {
            Some((key, after)) => {
                while stack.last().is_some_and(|(c, _, _)| *c >= col) {
                    stack.pop();
                }
                let parent = stack.last().map(|(_, k, _)| k.as_str());
                let value = strip_comment(after);
                let mut path: Vec<String> = stack.iter().map(|(_, k, _)| k.clone()).collect();
                path.push(key.to_string());
                let value_end = col
                    + (rest.chars().count() - after.chars().count())
                    + leading_ws(after)
                    + value.chars().count();
                for what in key_literals(key, parent, value) {
                    push(what, value_end.max(col + key.chars().count()), path.clone());
                }
                stack.push((col, key.to_string(), value.is_empty()));
            }
            None if item => {
                // A list item: `- SYS_ADMIN` under `capabilities:` / `add:`. The item's `- `
                // may sit at the column of its key (`toYaml` writes lists that way).
                let item_col = dash_col;
                while stack
                    .last()
                    .is_some_and(|(c, _, empty)| *c > item_col || (*c == item_col && !*empty))
                {
                    stack.pop();
                }
                let n = stack.len();
                let under_add = n >= 2
                    && stack.get(n - 1).is_some_and(|(_, k, _)| k == "add")
                    && stack
                        .get(n - 2)
                        .is_some_and(|(_, k, _)| k == "capabilities");
                let value = strip_comment(rest);
                if under_add {
                    if let Some(cap) = dangerous_cap(value) {
                        let path: Vec<String> = stack.iter().map(|(_, k, _)| k.clone()).collect();
                        push(
                            format!("capabilities.add: {cap}"),
                            col + value.chars().count(),
                            path,
                        );
                    }
                }
            }
            None => {}
        }
    }
    out
}

fn leading_ws(s: &str) -> usize {
    s.chars().take_while(|c| *c == ' ' || *c == '\t').count()
}

/// What a `key: value` line sets that matters, normalised.
fn key_literals(key: &str, parent: Option<&str>, value: &str) -> Vec<String> {
    if value.contains("{{") {
        return Vec::new();
    }
    let plain = !value.starts_with(['"', '\'']);
    let unquoted = value.trim_matches(['"', '\'']);
    let one = |s: String| vec![s];
    match key {
        "privileged" | "allowPrivilegeEscalation" | "hostPID" | "hostNetwork" | "hostIPC"
            if plain && is_true(value) =>
        {
            one(format!("{key}: true"))
        }
        "runAsUser" | "runAsGroup" if plain && is_zero(value) => one(format!("{key}: 0")),
        "procMount" if unquoted == "Unmasked" => one("procMount: Unmasked".to_string()),
        "hostPath" => one("hostPath".to_string()),
        "type"
            if matches!(parent, Some("seccompProfile" | "appArmorProfile"))
                && unquoted == "Unconfined" =>
        {
            one(format!("{}.type: Unconfined", parent.unwrap_or("")))
        }
        "add" if parent == Some("capabilities") && value.starts_with('[') => value
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .filter_map(dangerous_cap)
            .map(|c| format!("capabilities.add: {c}"))
            .collect(),
        _ => Vec::new(),
    }
}

/// A capability from the dangerous list, normalised (`cap_sys_admin` → `SYS_ADMIN`).
fn dangerous_cap(value: &str) -> Option<&'static str> {
    let v = value.trim().trim_matches(['"', '\'']).to_ascii_uppercase();
    let v = v.strip_prefix("CAP_").unwrap_or(&v);
    DANGEROUS_CAPS.iter().copied().find(|c| *c == v)
}

/// The value after a key's colon without a trailing comment, trimmed.
fn strip_comment(after: &str) -> &str {
    let v = after.trim();
    if v.starts_with(['"', '\'']) {
        // A quoted scalar: up to its closing quote.
        let q = v.chars().next().unwrap_or('"');
        return match v.get(1..).and_then(|r| r.find(q)) {
            Some(end) => v.get(..end + 2).unwrap_or(v),
            None => v,
        };
    }
    let cut = v
        .char_indices()
        .find(|(i, c)| {
            *c == '#' && (*i == 0 || v.get(..*i).is_some_and(|p| p.ends_with([' ', '\t'])))
        })
        .map_or(v.len(), |(i, _)| i);
    v.get(..cut).unwrap_or(v).trim_end()
}

/// A plain scalar go-yaml v2 reads as `true`.
fn is_true(v: &str) -> bool {
    matches!(
        v,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE"
    )
}

/// A plain scalar go-yaml v2 reads as the integer 0 (`0`, `-0`, `00`, `0x0`, `0_0`...).
fn is_zero(v: &str) -> bool {
    let s: String = v.chars().filter(|c| *c != '_').collect();
    let s = s.trim_start_matches(['+', '-']);
    let digits = ["0x", "0X", "0b", "0B", "0o", "0O"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s);
    !digits.is_empty() && digits.chars().all(|c| c == '0')
}

/// A literal key: a plain or quoted word followed by `:` and a space or the end of the line.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let (key, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        (q.get(..end)?, q.get(end + 1..)?)
    } else if let Some(q) = s.strip_prefix('\'') {
        let end = q.find('\'')?;
        (q.get(..end)?, q.get(end + 1..)?)
    } else {
        let end = s.find(':')?;
        let key = s.get(..end)?;
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$'))
        {
            return None;
        }
        (key, s.get(end..)?)
    };
    let after = rest.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, after))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The literals of a text by 1-based line, described for tests.
#[cfg(test)]
fn whats(text: &str, template: bool) -> std::collections::BTreeMap<usize, Vec<String>> {
    let mut m = std::collections::BTreeMap::<usize, Vec<String>>::new();
    for l in literals(text, template) {
        m.entry(l.line + 1).or_default().push(format!(
            "{}{} {}:{}-{} {}",
            if l.in_branch { "B " } else { "" },
            l.what,
            l.path.join("."),
            l.col + 1,
            l.end_col + 1,
            l.source.unwrap_or_default()
        ));
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_literals_and_branches() {
        let t = "\
apiVersion: v1
kind: Pod
spec:
  hostPID: true
  {{- if eq .Release.Name \"prod\" }}
  hostNetwork: yes # comment
  {{- else }}
  hostIPC: {{ .Values.ipc }}
  {{- end }}
  containers:
    - name: app
      securityContext:
        {{- with .Values.x }}
        runAsUser: 0x0
        privileged: \"true\"
        procMount: 'Unmasked'
        capabilities:
          add:
            - NET_RAW
            - \"SYS_ADMIN\" # why
          {{- range .Values.caps }}
          drop: [ALL]
          add: [NET_BIND_SERVICE, cap_sys_admin]
          {{- end }}
        {{- end }}
{{/*
  privileged: true
*/}}
";
        let got = whats(t, true);
        let lines: Vec<String> = got
            .iter()
            .map(|(l, v)| format!("{l}: {}", v.join(" | ")))
            .collect();
        assert_eq!(
            lines,
            vec![
                "4: hostPID: true spec.hostPID:3-16 ",
                "6: B hostNetwork: true spec.hostNetwork:3-19 ",
                "14: B runAsUser: 0 spec.containers.securityContext.runAsUser:9-23 ",
                "16: B procMount: Unmasked spec.containers.securityContext.procMount:9-30 ",
                "20: B capabilities.add: SYS_ADMIN spec.containers.securityContext.capabilities.add:15-26 ",
                "23: B capabilities.add: SYS_ADMIN spec.containers.securityContext.capabilities.add:11-49 ",
            ]
        );
    }

    #[test]
    fn rendered_literals_know_their_source() {
        let r = "---\n# Source: web/templates/a.yaml\nspec:\n  hostPID: true\n---\n# Source: web/charts/db/templates/b.yaml\nspec:\n  hostPID: on\n";
        let lits = literals(r, false);
        let sources: Vec<(usize, Option<&str>)> = lits
            .iter()
            .map(|l| (l.line + 1, l.source.as_deref()))
            .collect();
        assert_eq!(
            sources,
            vec![
                (4, Some("templates/a.yaml")),
                (8, Some("charts/db/templates/b.yaml"))
            ]
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in [
            "",
            "-",
            "- -",
            "- - privileged: true",
            "\"privileged: true",
            "'a': \"",
            "privileged: \"",
            "{{ if",
            "{{/* never closed\nprivileged: true",
            "*/}}\n{{ end }}{{ end }}\nhostPID: true",
            "add:\n- SYS_ADMIN\n  - ALL\n-\tcap_bpf",
            "é: ü\n  é:\n    - ß # ä\nprivileged: yes #",
            "capabilities:\n  add: [\"\", ,ALL,]\n",
            "# Source: \n---\n# Source: x\nhostPath:",
        ] {
            let _ = literals(text, true);
            let _ = literals(text, false);
            let _ = block_states(text);
        }
        let lits = literals("capabilities:\n  add: [\"\", ,ALL,]\n", true);
        assert_eq!(lits.len(), 1);
    }

    #[test]
    fn scalars_the_go_yaml_way() {
        assert!(is_true("yes") && is_true("On") && !is_true("\"true\"") && !is_true("1"));
        assert!(is_zero("0") && is_zero("-0") && is_zero("00") && is_zero("0_0"));
        assert!(!is_zero("10") && !is_zero("") && !is_zero("0x") && !is_zero("0.0"));
        assert_eq!(strip_comment(" true # x"), "true");
        assert_eq!(strip_comment(" \"a#b\" # x"), "\"a#b\"");
        assert_eq!(strip_comment(" a#b"), "a#b");
    }
}
