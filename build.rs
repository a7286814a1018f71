//! Build script: the commit shown by `clustersec --version`.
//!
//! Cheap and optional: no build dependencies, and a build without git (a crate tarball, a source
//! archive) still succeeds and shows the version alone. The commit comes from, in order:
//! 1. `CLUSTERSEC_COMMIT` in the environment (release builds set it);
//! 2. `.cargo_vcs_info.json`, which `cargo package`/`cargo publish` put in every crate tarball;
//! 3. `git rev-parse HEAD`, only when this crate's directory is the top of the git work tree (a
//!    tarball unpacked inside some other repository must not show that repository's commit).
//!
//! It sets `CLUSTERSEC_LONG_VERSION` ("0.1.0 (0123456789ab)" or "0.1.0") for clap.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Length of the abbreviated commit in `--version` (what `git describe` would show, and unique
/// in any repository this size).
const SHORT: usize = 12;

fn main() {
    println!("cargo:rerun-if-env-changed=CLUSTERSEC_COMMIT");
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = env::var("CARGO_PKG_VERSION").unwrap_or_default();

    let commit = from_env()
        .or_else(|| from_vcs_info(&manifest_dir))
        .or_else(|| from_git(&manifest_dir));
    let long = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=CLUSTERSEC_LONG_VERSION={long}");
}

/// A full or abbreviated hex commit id, cut to `SHORT` characters; anything else is ignored.
fn clean(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() < 7 || !raw.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(
        raw.chars()
            .take(SHORT)
            .collect::<String>()
            .to_ascii_lowercase(),
    )
}

fn from_env() -> Option<String> {
    clean(&env::var("CLUSTERSEC_COMMIT").ok()?)
}

/// `{"git": {"sha1": "..."}, ...}`: read with a plain search, not a JSON parser (no build deps).
fn from_vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    let text = fs::read_to_string(&path).ok()?;
    // Only for a file that exists: cargo reruns the script on every build for a missing one.
    println!("cargo:rerun-if-changed={}", path.display());
    let after = text.split("\"sha1\"").nth(1)?;
    let value = after.split('"').nth(1)?;
    clean(value)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn from_git(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    let same = match (fs::canonicalize(&top), fs::canonicalize(dir)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (checkout) and the branch it points at (commit).
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", name]) {
            watch(&dir.join(path));
        }
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &branch]) {
            watch(&dir.join(path));
        }
    }
    clean(&git(dir, &["rev-parse", "HEAD"])?)
}

/// `rerun-if-changed` for a file that exists (a missing one would rerun the script every build).
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
