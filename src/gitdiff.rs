//! `scan --diff-base REF`: the lines a pull request added or changed, from git.
//!
//! git runs as for `ls-files` ([`crate::discover::git_tracked`]): an empty environment (no
//! `GIT_DIR` from the caller), no system or global config, `core.fsmonitor` off and no hooks, so
//! the scanned repository's own `.git/config` cannot make git run a program; `--no-ext-diff` and
//! `--no-textconv` keep diff drivers it configures from running too. What git prints is bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// The most output of one git command that is read (a diff of a huge change is cut here and
/// the run fails rather than guess).
pub const MAX_GIT_OUTPUT: u64 = 256 * 1024 * 1024;

/// The lines the working tree added or changed since the merge base, by path relative to the
/// repository's top level (with `/`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The repository's top level (canonical).
    pub top: PathBuf,
    /// The merge base of `HEAD` and the reference (a full commit id).
    pub merge_base: String,
    /// Added or changed lines of each file the diff touches: ranges of 1-based line numbers
    /// (first, one past the last), as the hunk headers give them.
    pub lines: BTreeMap<String, Vec<(u64, u64)>>,
    /// Files that are new as a whole: untracked, not ignored files.
    pub new_files: BTreeSet<String>,
}

impl Changes {
    /// Whether the line of a file (relative to the top level) was added or changed.
    pub fn is_changed(&self, path: &str, line: u32) -> bool {
        let line = u64::from(line);
        self.new_files.contains(path)
            || self.lines.get(path).is_some_and(|ranges| {
                // Sorted by start ([`parse_diff`]); hunks do not overlap.
                let after = ranges.partition_point(|(a, _)| *a <= line);
                after
                    .checked_sub(1)
                    .and_then(|i| ranges.get(i))
                    .is_some_and(|(a, b)| (*a..*b).contains(&line))
            })
    }
}

/// Runs git; its standard output when it succeeds, else its first line of standard error.
fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut child = crate::discover::git(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr {
            let _ = s.take(64 * 1024).read_to_end(&mut buf);
        }
        buf
    });
    if let Some(stdout) = child.stdout.take() {
        let _ = stdout.take(MAX_GIT_OUTPUT + 1).read_to_end(&mut out);
    }
    if out.len() as u64 > MAX_GIT_OUTPUT {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("git: {e}"))?;
    if let Ok(e) = reader.join() {
        err = e;
    }
    if out.len() as u64 > MAX_GIT_OUTPUT {
        return Err(format!(
            "git {} printed more than {MAX_GIT_OUTPUT} bytes",
            args.first().copied().unwrap_or("")
        ));
    }
    if !status.success() {
        let text = String::from_utf8_lossy(&err);
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(first.trim().to_string());
    }
    Ok(out)
}

/// The changes of the working tree in the repository of `dir` since the merge base of `HEAD`
/// and `reference`. Errors (exit 2): `dir` is not in a git repository, the reference is
/// unknown, there is no merge base.
pub fn changes(dir: &Path, reference: &str) -> Result<Changes, String> {
    if reference.is_empty() || reference.starts_with('-') {
        return Err(format!(
            "--diff-base `{reference}`: not a git reference (a branch, tag or commit)"
        ));
    }
    let top = run(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        if e.contains("dubious ownership") {
            // git refuses a repository another user owns; clustersec reads no global git
            // config, so `safe.directory` there does not help: run as the checkout's owner.
            format!(
                "--diff-base: git refuses the repository of {} because another user owns it \
                 (run clustersec as the owner of the checkout)",
                dir.display()
            )
        } else {
            format!(
                "--diff-base needs a git repository, and {} is not in one",
                dir.display()
            )
        }
    })?;
    let top = String::from_utf8_lossy(&top).trim_end().to_string();
    let top = std::fs::canonicalize(&top).unwrap_or_else(|_| PathBuf::from(&top));
    let commit = format!("{reference}^{{commit}}");
    run(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &commit,
        ],
    )
    .map_err(|_| {
        format!(
            "--diff-base {reference}: unknown git reference (fetch it first, e.g. `git fetch \
                 origin main`, or check out with enough history)"
        )
    })?;
    let base = run(&top, &["merge-base", "HEAD", reference]).map_err(|e| {
        format!(
            "--diff-base {reference}: no merge base with HEAD ({}); a shallow checkout needs \
             more history (fetch-depth: 0)",
            if e.is_empty() { "none found" } else { &e }
        )
    })?;
    let merge_base = String::from_utf8_lossy(&base).trim().to_string();
    if merge_base.is_empty() || !merge_base.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("--diff-base {reference}: no merge base with HEAD"));
    }
    let diff = run(
        &top,
        &[
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--find-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &merge_base,
            "--",
        ],
    )
    .map_err(|e| format!("--diff-base {reference}: git diff failed: {e}"))?;
    let lines = parse_diff(&diff);
    let untracked = run(&top, &["ls-files", "-z", "--others", "--exclude-standard"])
        .map_err(|e| format!("--diff-base {reference}: git ls-files failed: {e}"))?;
    let new_files = untracked
        .split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .filter_map(|r| std::str::from_utf8(r).ok())
        .map(str::to_string)
        .collect();
    Ok(Changes {
        top,
        merge_base,
        lines,
        new_files,
    })
}

/// The added lines of each file of a `git diff -U0` patch, by its new path: ranges (first, one
/// past the last).
pub fn parse_diff(patch: &[u8]) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut out: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for raw in patch.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        if line.starts_with("diff --git ") {
            current = None;
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            current = new_path(rest.trim_end_matches('\r'));
            if let Some(p) = &current {
                out.entry(p.clone()).or_default();
            }
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            let (Some(path), Some((start, count))) = (&current, hunk_new_range(rest)) else {
                continue;
            };
            if count > 0 {
                out.entry(path.clone())
                    .or_default()
                    .push((u64::from(start), u64::from(start) + u64::from(count)));
            }
        }
    }
    for ranges in out.values_mut() {
        ranges.sort_unstable();
    }
    out
}

/// `b/path` (or a C-quoted `"b/..."`) to the path; `/dev/null` (a deleted file) to `None`.
fn new_path(s: &str) -> Option<String> {
    let unquoted = if s.starts_with('"') {
        unquote(s)?
    } else {
        s.to_string()
    };
    unquoted.strip_prefix("b/").map(str::to_string)
}

/// Undoes git's C-style quoting of a path (`core.quotePath`).
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next()? {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'r' => bytes.push(b'\r'),
            b'a' => bytes.push(7),
            b'b' => bytes.push(8),
            b'f' => bytes.push(12),
            b'v' => bytes.push(11),
            d @ b'0'..=b'7' => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    let next = chars.next()?;
                    if !(b'0'..=b'7').contains(&next) {
                        return None;
                    }
                    v = v * 8 + u32::from(next - b'0');
                }
                bytes.push(u8::try_from(v).ok()?);
            }
            other => bytes.push(other),
        }
    }
    String::from_utf8(bytes).ok()
}

/// The new side of a hunk header (`-a,b +c,d @@`): first line and count (`+c` alone is one line;
/// a count of 0 adds nothing).
fn hunk_new_range(rest: &str) -> Option<(u32, u32)> {
    let plus = rest.split(' ').find(|w| w.starts_with('+'))?;
    let plus = plus.strip_prefix('+')?;
    let (start, count) = match plus.split_once(',') {
        Some((s, c)) => (s.parse().ok()?, c.parse().ok()?),
        None => (plus.parse().ok()?, 1),
    };
    Some((start, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_added_lines() {
        let patch = b"diff --git a/x.yaml b/x.yaml\nindex 1..2 100644\n--- a/x.yaml\n+++ b/x.yaml\n\
@@ -3,0 +4,2 @@ kind\n+a\n+b\n@@ -10 +12 @@\n-c\n+d\n@@ -20,2 +21,0 @@\n-e\n-f\n\
diff --git a/gone.yaml b/gone.yaml\n--- a/gone.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n\
diff --git \"a/sp ace\\303\\251.yaml\" \"b/sp ace\\303\\251.yaml\"\n--- \"a/sp ace\\303\\251.yaml\"\n\
+++ \"b/sp ace\\303\\251.yaml\"\n@@ -0,0 +1 @@\n+z\n";
        let got = parse_diff(patch);
        assert_eq!(got.get("x.yaml"), Some(&vec![(4, 6), (12, 13)]));
        let c = Changes {
            lines: got.clone(),
            ..Changes::default()
        };
        let changed: Vec<u32> = (1..30).filter(|l| c.is_changed("x.yaml", *l)).collect();
        assert_eq!(changed, vec![4, 5, 12]);
        assert!(!got.contains_key("gone.yaml"));
        assert_eq!(got.get("sp aceé.yaml").map(|s| s.len()), Some(1), "{got:?}");
    }

    proptest::proptest! {
        #[test]
        fn any_patch_parses_without_panic(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("\\+\\+\\+ [ -~]{0,12}").unwrap_or_else(|_| unreachable!()),
                    proptest::string::string_regex("@@ -[0-9,]{0,12} \\+[0-9,]{0,22} @@").unwrap_or_else(|_| unreachable!()),
                    proptest::string::string_regex("[ -~\\\\\"]{0,20}").unwrap_or_else(|_| unreachable!()),
                ],
                0..12,
            )
        ) {
            let patch = lines.join("\n");
            let _ = parse_diff(patch.as_bytes());
            let _ = unquote(&patch);
        }
    }

    #[test]
    fn bad_headers_are_skipped() {
        assert_eq!(hunk_new_range("-1 +x @@"), None);
        assert_eq!(hunk_new_range("-1 +4294967295,3 @@"), Some((u32::MAX, 3)));
        let got = parse_diff(b"+++ b/a\n@@ -1 +4294967295,3 @@\n@@ -1 +1,4294967295 @@\n");
        let c = Changes {
            lines: got,
            ..Changes::default()
        };
        assert!(c.is_changed("a", u32::MAX));
        assert!(c.is_changed("a", 7));
        assert_eq!(unquote("\"\\777\""), None);
        assert_eq!(unquote("\"abc"), None);
    }
}
