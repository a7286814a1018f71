//! Rule fixtures: `fixtures/rules/<RULE>/*` carry their expectations.
//!
//! - In YAML files, an offending line ends with `# expect: RULE` (several: `# expect: A, B`; the
//!   same rule twice means two findings). The expected column is the first non-blank character of
//!   the line after any `- ` list markers, unless written `RULE@COL` (1-based, in code points).
//! - JSON files cannot hold comments: `fail.json` has its expectations in `fail.json.expect`,
//!   one `LINE:COL RULE` per line (`#` starts a comment).
//! - Files whose name starts with `pass` must produce no finding of the directory's rule; every
//!   other file must carry at least one marker for it.
//!
//! - A first line `# settings: kube-version=1.25, enable=RULE, openshift=true` scans the file
//!   with those settings (the target Kubernetes version, a rule that is off by default turned on,
//!   the config's `openshift` switch); without it the defaults apply. `pss-version=v1.N` and
//!   `profile=baseline|restricted` set the Pod Security Standards version and profile.
//!   `disable=RULE` turns a rule off. `param.RULE.KEY=VALUE` sets one of a rule's params as the
//!   config's `rules: {RULE: {params: {KEY: VALUE}}}` would: VALUE is JSON where it parses as
//!   JSON (`false`, `10000`, `["a/b", "c"]`; commas inside brackets, braces and quotes do not end
//!   the setting), a string otherwise. A setting that is not understood, or a param the rule
//!   refuses, is a fixture problem.
//!
//! Only findings of the directory's own rule are compared: a fixture for one rule triggers others
//! too, and they have fixtures of their own. Each non-pass file's findings of that rule are also
//! snapshotted (location, message, container, field) with insta.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use crate::support::root;
use clustersec::engine::{Engine, RuleSettings};
use clustersec::finding::Finding;
use clustersec::kube_version::KubeVersion;
use clustersec::rules::data::pss::{self, PssVersion};

/// One expected finding: (line, col).
type Loc = (u32, u32);

/// The column of the first non-blank character after any `- ` list markers (1-based, in code
/// points).
fn default_col(line: &str) -> u32 {
    let mut rest = line;
    let mut col = 1u32;
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        col += (rest.chars().count() - trimmed.chars().count()) as u32;
        rest = trimmed;
        if let Some(after) = rest.strip_prefix("- ") {
            col += 2;
            rest = after;
            continue;
        }
        return col;
    }
}

/// The engine for a fixture: the defaults, or the `# settings:` of its first line (`known`: the
/// ids settings may name).
fn fixture_engine(
    text: &str,
    file: &str,
    known: &[&str],
    errors: &mut Vec<String>,
) -> Option<Engine> {
    let first = text.lines().next().unwrap_or("");
    let Some(list) = first.trim().strip_prefix("# settings:") else {
        return Some(Engine::default());
    };
    let mut rules: BTreeMap<String, RuleSettings> = BTreeMap::new();
    let mut kube = None;
    let mut openshift = false;
    let mut profile = None;
    let mut pss_version = PssVersion::Latest;
    for item in split_settings(list) {
        if let Some((rule, key, value)) = param_setting(item) {
            if !known.contains(&rule) {
                errors.push(format!("{file}:1: `{item}`: no rule `{rule}`"));
                continue;
            }
            let params = rules
                .entry(rule.to_string())
                .or_default()
                .params
                .get_or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let Some(map) = params.as_object_mut() {
                map.insert(key.to_string(), value);
            }
            continue;
        }
        match item.split_once('=') {
            Some(("kube-version", v)) => match KubeVersion::parse(v) {
                Ok(v) => kube = Some(v),
                Err(e) => errors.push(format!("{file}:1: {e}")),
            },
            Some((switch @ ("enable" | "disable"), id)) => {
                if !known.contains(&id) {
                    errors.push(format!("{file}:1: `{item}`: no rule `{id}`"));
                    continue;
                }
                rules.entry(id.to_string()).or_default().enabled = Some(switch == "enable");
            }
            Some(("openshift", "true")) => openshift = true,
            Some(("profile", p)) => match pss::parse_profile(p) {
                Ok(l) => profile = Some(l),
                Err(e) => errors.push(format!("{file}:1: {e}")),
            },
            Some(("pss-version", v)) => match PssVersion::parse(v) {
                Ok(v) => pss_version = v,
                Err(e) => errors.push(format!("{file}:1: {e}")),
            },
            _ => errors.push(format!("{file}:1: unknown setting `{item}`")),
        }
    }
    let mut engine = match Engine::with_profile(&rules, profile) {
        Ok(e) => e,
        Err((id, e)) => {
            errors.push(format!("{file}:1: {id}: {}", e.message));
            return None;
        }
    };
    if let Some(v) = kube {
        engine = engine.with_kube_version(v);
    }
    Some(
        engine
            .with_openshift(openshift)
            .with_pss_version(pss_version),
    )
}

/// The items of a `# settings:` list: split at commas, except inside `[]`, `{}` and `"..."`
/// (a JSON param value), trimmed, empty ones left out.
fn split_settings(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth <= 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect()
}

/// `param.RULE.KEY=VALUE` -> (RULE, KEY, VALUE as JSON, or as a string where it is not JSON).
fn param_setting(item: &str) -> Option<(&str, &str, serde_json::Value)> {
    let (name, value) = item.strip_prefix("param.")?.split_once('=')?;
    let (rule, key) = name.split_once('.')?;
    let value = value.trim();
    let value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    Some((rule.trim(), key.trim(), value))
}

/// The markers of a YAML fixture: rule id -> locations.
fn yaml_markers(text: &str, errors: &mut Vec<String>, file: &str) -> Vec<(String, Loc)> {
    let mut out = Vec::new();
    // Split on \n only; a CRLF file keeps its \r, which is trimmed below.
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim_end_matches('\r');
        let Some(idx) = line.find("# expect:") else {
            continue;
        };
        let lineno = (i + 1) as u32;
        let items = &line[idx + "# expect:".len()..];
        for item in items.split(',') {
            let item = item.trim();
            if item.is_empty() {
                errors.push(format!("{file}:{lineno}: empty item in `# expect:` marker"));
                continue;
            }
            let (rule, col) = match item.split_once('@') {
                Some((rule, col)) => match col.trim().parse::<u32>() {
                    Ok(c) if c > 0 => (rule.trim(), c),
                    _ => {
                        errors.push(format!("{file}:{lineno}: bad column in marker `{item}`"));
                        continue;
                    }
                },
                None => (item, default_col(line)),
            };
            out.push((rule.to_string(), (lineno, col)));
        }
    }
    out
}

/// The expectations of a JSON fixture, from its sibling `.expect` file.
fn expect_file(path: &Path, errors: &mut Vec<String>) -> Vec<(String, Loc)> {
    let mut exp = path.as_os_str().to_owned();
    exp.push(".expect");
    let exp = PathBuf::from(exp);
    let Ok(text) = fs::read_to_string(&exp) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(loc, rule)| {
            let (l, c) = loc.split_once(':')?;
            Some((rule.trim().to_string(), (l.parse().ok()?, c.parse().ok()?)))
        });
        match parsed {
            Some(x) => out.push(x),
            None => errors.push(format!(
                "{}:{}: expected `LINE:COL RULE`, found `{line}`",
                exp.display(),
                i + 1
            )),
        }
    }
    out
}

fn describe(f: &Finding) -> String {
    let mut s = format!(
        "{}:{}-{}:{} {}",
        f.span.start.line, f.span.start.col, f.span.end.line, f.span.end.col, f.rule
    );
    if let Some(o) = &f.object {
        let _ = write!(s, " [{}", o.display());
        if let Some(i) = o.item {
            let _ = write!(s, " item {i}");
        }
        let _ = write!(s, " doc {}]", o.document);
    }
    if let Some(c) = &f.container {
        let _ = write!(s, " container={c}");
    }
    if let Some(p) = &f.field {
        let _ = write!(s, " field={p}");
    }
    let _ = write!(s, "\n    {}", f.message);
    for r in &f.related {
        let _ = write!(
            s,
            "\n    related {}:{}-{}:{}: {}",
            r.span.start.line, r.span.start.col, r.span.end.line, r.span.end.col, r.message
        );
    }
    s
}

/// The readable difference between expected and actual locations.
fn diff(expected: &[Loc], actual: &[Loc], findings: &[&Finding]) -> String {
    let mut out = String::new();
    let mut exp = expected.to_vec();
    let mut missing = Vec::new();
    let mut unexpected = Vec::new();
    for a in actual {
        match exp.iter().position(|e| e == a) {
            Some(i) => {
                exp.remove(i);
            }
            None => unexpected.push(*a),
        }
    }
    missing.extend(exp);
    for (l, c) in &missing {
        let _ = writeln!(out, "    missing     {l}:{c} (marker without a finding)");
    }
    for (l, c) in &unexpected {
        let _ = writeln!(out, "    unexpected  {l}:{c} (finding without a marker)");
    }
    let _ = writeln!(out, "  findings of the rule in this file:");
    for f in findings {
        let _ = writeln!(out, "  {}", describe(f).replace('\n', "\n  "));
    }
    out
}

/// Rules emitted while rendering charts and kustomizations (`clustersec::render`), never by
/// scanning one file: their `pass` files are checked here like any other, their other files by
/// tests/it/render.rs, which renders them.
const RENDER_RULES: &[&str] = &["CLUSTERSEC_RENDER", "CLUSTERSEC_UNRENDERED_BRANCH"];

fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn rule_fixtures() {
    let engine = Engine::default();
    let known: Vec<&str> = engine.rules().metas().map(|m| m.id.as_str()).collect();
    let base = root().join("fixtures/rules");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&base)
        .expect("fixtures/rules")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "no fixture directories under {}",
        base.display()
    );

    let mut errors = Vec::new();
    let mut snapshots = Vec::new();
    let mut checked = 0usize;
    for dir in &dirs {
        let rule = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !known.contains(&rule) {
            errors.push(format!(
                "fixtures/rules/{rule}: no rule with this id in registry()"
            ));
            continue;
        }
        for path in fixture_files(dir) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let rel = format!("fixtures/rules/{rule}/{name}");
            if RENDER_RULES.contains(&rule) && !name.starts_with("pass") {
                continue;
            }
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
            let is_json = name.ends_with(".json");
            let markers = if is_json {
                expect_file(&path, &mut errors)
            } else {
                yaml_markers(&String::from_utf8_lossy(&bytes), &mut errors, &rel)
            };
            for (r, (l, c)) in &markers {
                if !known.contains(&r.as_str()) {
                    errors.push(format!("{rel}:{l}:{c}: marker names unknown rule `{r}`"));
                }
            }
            let mut expected: Vec<Loc> = markers
                .iter()
                .filter(|(r, _)| r == rule)
                .map(|(_, loc)| *loc)
                .collect();
            expected.sort_unstable();

            let Some(engine) =
                fixture_engine(&String::from_utf8_lossy(&bytes), &rel, &known, &mut errors)
            else {
                continue;
            };
            let (_report, findings) = engine.scan_bytes(&rel, &bytes);
            for f in &findings {
                if f.span.start.line == 0 || f.span.start.col == 0 {
                    errors.push(format!(
                        "{rel}: finding at line or column 0: {}",
                        describe(f)
                    ));
                }
                if f.span.end < f.span.start {
                    errors.push(format!(
                        "{rel}: span ends before it starts: {}",
                        describe(f)
                    ));
                }
            }
            let mut own: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule).collect();
            own.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let actual: Vec<Loc> = own
                .iter()
                .map(|f| (f.span.start.line, f.span.start.col))
                .collect();
            checked += 1;

            if name.starts_with("pass") {
                if !expected.is_empty() {
                    errors.push(format!(
                        "{rel}: a pass file must not carry `{rule}` markers"
                    ));
                }
                if !own.is_empty() {
                    errors.push(format!(
                        "{rel}: a pass file must yield no `{rule}` finding\n{}",
                        diff(&[], &actual, &own)
                    ));
                }
                continue;
            }
            if expected.is_empty() {
                errors.push(format!("{rel}: no `# expect: {rule}` marker"));
            }
            if expected != actual {
                errors.push(format!(
                    "{rel}: findings of {rule} differ from the markers\n{}",
                    diff(&expected, &actual, &own)
                ));
            }
            let mut snap = String::new();
            for f in &own {
                let _ = writeln!(snap, "{}", describe(f));
            }
            let snap_name = format!("{rule}__{}", name.replace('.', "_"));
            snapshots.push((snap_name, rel, snap));
        }
    }
    assert!(
        errors.is_empty(),
        "{} fixture problem(s):\n\n{}",
        errors.len(),
        errors.join("\n\n")
    );
    assert!(checked > 0);

    for (name, rel, snap) in snapshots {
        insta::with_settings!({
            description => rel,
            omit_expression => true,
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, snap);
        });
    }
}

/// Each kind of fixture setting is used by at least one fixture, so that each stays tested
/// end to end (`disable` only by `fixture_settings_reach_the_engine`: a fixture's own rule is
/// never switched off).
#[test]
fn every_kind_of_setting_is_used_by_a_fixture() {
    let mut used = std::collections::BTreeSet::new();
    let base = root().join("fixtures/rules");
    for dir in fs::read_dir(&base).expect("fixtures/rules").flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        for path in fixture_files(&dir.path()) {
            let text = fs::read_to_string(&path).unwrap_or_default();
            let first = text.lines().next().unwrap_or("");
            let Some(list) = first.trim().strip_prefix("# settings:") else {
                continue;
            };
            for item in split_settings(list) {
                let kind = if item.starts_with("param.") {
                    "param"
                } else {
                    item.split_once('=').map_or(item, |(k, _)| k)
                };
                used.insert(kind.to_string());
            }
        }
    }
    for kind in [
        "kube-version",
        "enable",
        "openshift",
        "profile",
        "pss-version",
        "param",
    ] {
        assert!(
            used.contains(kind),
            "no fixture uses the `{kind}` setting (used: {used:?})"
        );
    }
}

#[test]
fn settings_keep_json_values_whole() {
    assert_eq!(
        split_settings(
            r#" enable=A , param.B.list=["x,y", "z"], param.B.map={"k": [1, 2]},, profile=baseline"#
        ),
        vec![
            "enable=A",
            r#"param.B.list=["x,y", "z"]"#,
            r#"param.B.map={"k": [1, 2]}"#,
            "profile=baseline",
        ]
    );
    assert_eq!(
        param_setting("param.RULE.requireTrue=false"),
        Some(("RULE", "requireTrue", serde_json::json!(false)))
    );
    assert_eq!(
        param_setting(r#"param.RULE.allowedDrivers=["example.com/lvm"]"#),
        Some((
            "RULE",
            "allowedDrivers",
            serde_json::json!(["example.com/lvm"])
        ))
    );
    assert_eq!(
        param_setting("param.RULE.name=plain text"),
        Some(("RULE", "name", serde_json::json!("plain text")))
    );
    assert_eq!(param_setting("param.RULE=1"), None);
    assert_eq!(param_setting("enable=RULE"), None);
}

#[test]
fn fixture_settings_reach_the_engine() {
    let known = [
        "CUSTOM_SECURITY_PRIVILEGED_CHECK",
        "CLUSTERSEC_RESOURCES",
        "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
    ];
    let mut errors = Vec::new();
    let file = "fixtures/rules/X/fail.yaml";
    let engine = fixture_engine(
        "# settings: disable=CUSTOM_SECURITY_PRIVILEGED_CHECK, enable=CLUSTERSEC_RESOURCES\n",
        file,
        &known,
        &mut errors,
    )
    .expect("engine");
    assert!(errors.is_empty(), "{errors:?}");
    assert!(engine
        .severity("CUSTOM_SECURITY_PRIVILEGED_CHECK")
        .is_none());
    assert!(engine.severity("CLUSTERSEC_RESOURCES").is_some());

    // A param the rule refuses, a rule that does not exist and a setting that is not one are
    // fixture problems, each named.
    for (settings, problem) in [
        (
            "param.CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY.requireTrue=\"yes\"",
            "CUSTOM_SECURITY_FILESYSTEM_ACCESSIBILITY",
        ),
        ("param.NO_SUCH_RULE.key=1", "no rule `NO_SUCH_RULE`"),
        ("enable=NO_SUCH_RULE", "no rule `NO_SUCH_RULE`"),
        ("colour=blue", "unknown setting `colour=blue`"),
    ] {
        let mut errors = Vec::new();
        let _ = fixture_engine(
            &format!("# settings: {settings}\n"),
            file,
            &known,
            &mut errors,
        );
        assert!(
            errors.iter().any(|e| e.contains(problem)),
            "{settings}: {errors:?}"
        );
    }
}

#[test]
fn default_column_skips_list_markers() {
    assert_eq!(default_col("key: v"), 1);
    assert_eq!(default_col("    - name: web"), 7);
    assert_eq!(default_col("  - - x"), 7);
    assert_eq!(default_col("  -x"), 3);
}
