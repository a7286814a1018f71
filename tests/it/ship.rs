//! Release plumbing seen from the binary: `clustersec --version` shows the Cargo.toml version
//! and, when the build knew it (build.rs), the commit.

use std::path::Path;
use std::process;

use assert_cmd::Command;

fn version_line() -> String {
    let out = Command::cargo_bin("clustersec")
        .unwrap()
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

/// "clustersec X.Y.Z" or "clustersec X.Y.Z (0123456789ab)".
fn parse(line: &str) -> (String, Option<String>) {
    let rest = line.strip_prefix("clustersec ").expect(line);
    match rest.split_once(" (") {
        Some((version, commit)) => {
            let commit = commit.strip_suffix(')').expect(line);
            (version.to_string(), Some(commit.to_string()))
        }
        None => (rest.to_string(), None),
    }
}

#[test]
fn version_is_the_cargo_version_with_a_short_commit() {
    let line = version_line();
    let (version, commit) = parse(&line);
    assert_eq!(version, env!("CARGO_PKG_VERSION"), "{line}");
    if let Some(commit) = &commit {
        assert_eq!(commit.len(), 12, "{line}");
        assert!(commit
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
    // Built from a git work tree whose top is this crate, without CLUSTERSEC_COMMIT: the commit
    // is HEAD's (build.rs reruns when HEAD moves).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"]).map(|t| Path::new(&t).canonicalize().ok());
    let here = dir.canonicalize().ok();
    if option_env!("CLUSTERSEC_COMMIT").is_none() && top == Some(here) {
        let head = git(&["rev-parse", "HEAD"]).unwrap();
        assert_eq!(commit.as_deref(), head.get(..12), "{line}");
    }
}

#[test]
fn subcommands_show_the_same_version() {
    let line = version_line();
    let out = Command::cargo_bin("clustersec")
        .unwrap()
        .args(["scan", "--version"])
        .output()
        .unwrap();
    let sub = String::from_utf8(out.stdout).unwrap();
    assert!(
        sub.trim_end()
            .ends_with(line.trim_start_matches("clustersec ")),
        "{sub}"
    );
}
