//! Paths that come from scanned content (a `# Source:` comment, a kustomize origin annotation,
//! a finding's path) or from the repository's config file, checked before anything is read.
//!
//! The repository being scanned is untrusted: a path it names must not make clustersec read,
//! quote or match suppressions in a file outside the scan. Every such path goes through
//! [`confine`] (canonicalize, then require a scan root as prefix), and every read of a file
//! named by scanned content goes through [`read_confined`].

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The longest path taken from scanned content.
const MAX_PATH_LEN: usize = 4096;

/// The largest file read for snippets, suppressions or template outlines (64 MiB).
pub const MAX_READ: u64 = 64 * 1024 * 1024;

/// Why a path was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Empty, too long, or with NUL, control or other odd characters.
    Odd,
    /// Absolute where a relative path is expected.
    Absolute,
    /// Leaves its base (`..`, or a symlink that resolves outside).
    Outside,
    /// Does not exist (or cannot be resolved).
    Missing,
}

impl Rejected {
    /// A short phrase for messages.
    pub fn describe(&self, base: &str) -> String {
        match self {
            Rejected::Odd => "it is empty, too long or has control characters".to_string(),
            Rejected::Absolute => "it is an absolute path".to_string(),
            Rejected::Outside => format!("it leads outside {base}"),
            Rejected::Missing => "no such file".to_string(),
        }
    }
}

/// Checks the characters of a path taken from scanned content: not empty, at most 4096 bytes,
/// no NUL or other control characters, no backslash (a Windows separator that would not be
/// split here).
pub fn check_text(p: &str) -> Result<(), Rejected> {
    if p.trim().is_empty()
        || p.len() > MAX_PATH_LEN
        || p.chars().any(|c| c.is_control() || c == '\\')
    {
        return Err(Rejected::Odd);
    }
    Ok(())
}

/// Checks a relative path from scanned content that must stay below its base lexically: no
/// root, prefix, or `..` component.
pub fn check_relative(p: &str) -> Result<(), Rejected> {
    check_text(p)?;
    let path = Path::new(p);
    for c in path.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(Rejected::Absolute),
            Component::ParentDir => return Err(Rejected::Outside),
        }
    }
    Ok(())
}

/// Canonicalizes `canonical_roots` entries that may not be canonical yet (a helper for callers).
pub fn canonical_roots<'a>(roots: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = roots
        .into_iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Resolves `path` (following every symlink) and returns its canonical form when it lies inside
/// one of `roots` (canonical directories). No roots: nothing is inside.
///
/// A path that resolves into a version-control directory (`.git/config` holds the checkout
/// token in CI) is outside whatever the roots say: nothing there is scanned content.
pub fn confine(path: &Path, roots: &[PathBuf]) -> Result<PathBuf, Rejected> {
    let canonical = std::fs::canonicalize(path).map_err(|_| Rejected::Missing)?;
    let inside = roots
        .iter()
        .any(|r| canonical.strip_prefix(r).is_ok_and(|rel| !in_vcs_dir(rel)));
    if inside {
        Ok(canonical)
    } else {
        Err(Rejected::Outside)
    }
}

/// Directories resolved so far by [`canonical_dir`]: a path, and its resolution (`None`: it does
/// not resolve).
pub type DirCache = std::cell::RefCell<std::collections::HashMap<PathBuf, Option<PathBuf>>>;

/// `dir` resolved as [`std::fs::canonicalize`] would, with the directories resolved so far in
/// `dirs`: a directory that is not a symlink is its parent's resolution and its name (one
/// `lstat`); only a symlink (or a `..`) is resolved in full. A directory met before costs
/// nothing, a new one one system call, not one per component of its path. A relative `dir` is
/// taken from the working directory (as the system resolves it: `getcwd` has no symlinks).
pub fn canonical_dir(dir: &Path, dirs: &DirCache) -> Option<PathBuf> {
    if let Some(known) = dirs.borrow().get(dir) {
        return known.clone();
    }
    if has_dot_segment(dir) {
        // `a/link/.` names `link`'s target, which `lstat` follows: not a parent and a name.
        return std::fs::canonicalize(dir).ok();
    }
    if !dir.is_absolute() {
        let c = std::env::current_dir()
            .ok()
            .and_then(|cwd| canonical_dir(&cwd.join(dir), dirs));
        dirs.borrow_mut().insert(dir.to_path_buf(), c.clone());
        return c;
    }
    // The ancestors not resolved yet, deepest first (a loop: no recursion on deep paths).
    let mut todo: Vec<&Path> = Vec::new();
    let mut resolved: Option<PathBuf> = None;
    let mut parent_known = false;
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Some(known) = dirs.borrow().get(d) {
            resolved = known.clone();
            parent_known = true;
            break;
        }
        todo.push(d);
        cur = d.parent();
    }
    while let Some(d) = todo.pop() {
        let next = match (parent_known, &resolved, d.file_name()) {
            (true, Some(parent), Some(name)) => match std::fs::symlink_metadata(d) {
                Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(d).ok(),
                Ok(_) => Some(parent.join(name)),
                Err(_) => None,
            },
            // Under a directory that does not resolve: neither does this one.
            (true, None, Some(_)) => None,
            // The root, or a path that ends in `..`.
            _ => std::fs::canonicalize(d).ok(),
        };
        dirs.borrow_mut().insert(d.to_path_buf(), next.clone());
        resolved = next;
        parent_known = true;
    }
    resolved
}

/// `path` resolved as [`std::fs::canonicalize`] would, its directory through [`canonical_dir`]:
/// one `lstat` for the file, a symlink resolved in full.
pub fn canonical_file(path: &Path, dirs: &DirCache) -> Option<PathBuf> {
    if has_dot_segment(path) {
        return std::fs::canonicalize(path).ok();
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return std::fs::canonicalize(path).ok();
    };
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
        Ok(_) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            canonical_dir(parent, dirs).map(|d| d.join(name))
        }
        Err(_) => None,
    }
}

/// Whether a path has a `.` or `..` segment anywhere (`Path::components` drops inner `.`s, so
/// the text is read): such a path is resolved in full, never as a parent and a name.
fn has_dot_segment(path: &Path) -> bool {
    path.as_os_str()
        .as_encoded_bytes()
        .split(|b| *b == b'/')
        .any(|seg| seg == b"." || seg == b"..")
}

/// Reads a file named by scanned content, only when it resolves to a regular file inside one of
/// `roots` (canonical), as UTF-8 text of at most [`MAX_READ`] bytes. The one place where such a
/// path becomes a file read.
pub fn read_confined(path: &Path, roots: &[PathBuf]) -> Option<String> {
    let canonical = confine(path, roots).ok()?;
    let file = std::fs::File::open(&canonical).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut buf = Vec::new();
    file.take(MAX_READ + 1).read_to_end(&mut buf).ok()?;
    if buf.len() as u64 > MAX_READ {
        return None;
    }
    String::from_utf8(buf).ok()
}

/// A path quoted in a message: control characters escaped, at most 200 characters.
pub fn quote(p: &str) -> String {
    let mut s: String = p.chars().take(200).flat_map(char::escape_debug).collect();
    if p.chars().count() > 200 {
        s.push_str("...");
    }
    format!("`{}`", s.replace('`', "'"))
}

/// Directory names never copied into a render's view of a chart, and never read through.
pub const VCS_DIRS: &[&str] = &[
    ".git", ".hg", ".svn", ".bzr", "_darcs", "CVS", ".jj", ".pijul",
];

/// Whether `rel` (a path relative to some root) goes through a version-control directory.
pub fn in_vcs_dir(rel: &Path) -> bool {
    rel.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|n| VCS_DIRS.contains(&n))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_checked() {
        assert_eq!(check_relative("templates/a.yaml"), Ok(()));
        assert_eq!(check_relative("./templates/a.yaml"), Ok(()));
        assert_eq!(check_relative("templates/../../x"), Err(Rejected::Outside));
        assert_eq!(check_relative("/etc/passwd"), Err(Rejected::Absolute));
        assert_eq!(check_relative("a\0b"), Err(Rejected::Odd));
        assert_eq!(check_relative("a\nb"), Err(Rejected::Odd));
        assert_eq!(check_relative("a\\..\\b"), Err(Rejected::Odd));
        assert_eq!(check_relative(""), Err(Rejected::Odd));
        assert_eq!(check_relative(&"a/".repeat(3000)), Err(Rejected::Odd));
    }

    #[test]
    fn confinement_follows_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), "secret").unwrap();
        std::fs::write(root.join("ok.yaml"), "ok").unwrap();
        let roots = canonical_roots([root.as_path()]);
        assert_eq!(
            read_confined(&root.join("ok.yaml"), &roots).as_deref(),
            Some("ok")
        );
        // Version-control directories are not scanned content, even inside a root.
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join(".git/config"), "token").unwrap();
        assert_eq!(read_confined(&root.join(".git/config"), &roots), None);
        assert_eq!(
            read_confined(&root.join("../outside/secret.txt"), &roots),
            None
        );
        assert_eq!(read_confined(&outside.join("secret.txt"), &roots), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("link.yaml")).unwrap();
            assert_eq!(read_confined(&root.join("link.yaml"), &roots), None);
            assert_eq!(
                confine(&root.join("link.yaml"), &roots),
                Err(Rejected::Outside)
            );
        }
        assert_eq!(read_confined(&root.join("ok.yaml"), &[]), None);
        assert_eq!(read_confined(&root, &roots), None);
    }

    /// Paths resolved through the cache of their directories give what `canonicalize` gives,
    /// in any order, through symlinks, and nothing when missing.
    #[cfg(unix)]
    #[test]
    fn canonical_dir_and_file_resolve_as_canonicalize() {
        let tmp = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir_all(base.join("real/a/b/c")).unwrap();
        std::fs::create_dir_all(base.join("other/x")).unwrap();
        std::fs::write(base.join("real/a/b/f.yaml"), "").unwrap();
        std::fs::write(base.join("other/x/g.yaml"), "").unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        std::os::unix::fs::symlink(base.join("other/x"), base.join("real/a/jump")).unwrap();
        std::os::unix::fs::symlink("../../other", base.join("real/a/rel")).unwrap();
        std::os::unix::fs::symlink("../../../other/x/g.yaml", base.join("real/a/b/h.yaml"))
            .unwrap();
        let paths = [
            "link/a/b/c",
            "link/a",
            "real/a/b",
            "link/a/jump",
            "real/a/rel/x",
            "real/a/rel/x/..",
            "link/a/b/c/missing",
            "missing/deeper",
            "real/a/b/c",
            "link",
            "link/a/b/f.yaml",
            "link/a/b/h.yaml",
            "real/a/jump/g.yaml",
            "real/a/b/missing.yaml",
            "link/.",
            "real/./a",
            "link/./a/b",
            "real/a/./jump",
            "real/a/jump/.",
            "real/a/jump/./g.yaml",
        ];
        for order in [paths.to_vec(), paths.iter().rev().copied().collect()] {
            let dirs = DirCache::default();
            for p in order {
                let path = base.join(p);
                let expected = std::fs::canonicalize(&path).ok();
                assert_eq!(canonical_dir(&path, &dirs), expected, "dir {p}");
                let fresh = DirCache::default();
                assert_eq!(
                    canonical_dir(&path, &fresh),
                    expected,
                    "dir {p}, nothing cached"
                );
                let files = DirCache::default();
                if !path.is_dir() {
                    assert_eq!(canonical_file(&path, &files), expected, "file {p}");
                    assert_eq!(canonical_file(&path, &dirs), expected, "file {p}");
                }
            }
        }
        // A relative directory is resolved from the working directory.
        let dirs = DirCache::default();
        assert_eq!(
            canonical_dir(Path::new("."), &dirs),
            std::fs::canonicalize(".").ok()
        );
        assert_eq!(
            canonical_dir(Path::new("src/.."), &dirs),
            std::fs::canonicalize("src/..").ok()
        );
    }

    #[test]
    fn quoting_escapes() {
        assert_eq!(quote("a\nb`c"), "`a\\nb'c`");
    }
}
