//! Test support inside the crate: the YAML and JSON files under a directory.

use std::path::{Path, PathBuf};

/// Every `.yaml`, `.yml` and `.json` regular file under `dir` of at most `max_len` bytes,
/// sorted; symlinks are not followed (the adversarial fixtures hold loops and links out).
pub(crate) fn yaml_files(dir: &Path, max_len: u64) -> Vec<PathBuf> {
    fn walk(dir: &Path, max_len: u64, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
                continue;
            };
            let path = e.path();
            if meta.is_dir() {
                walk(&path, max_len, out);
            } else if meta.is_file()
                && meta.len() <= max_len
                && path
                    .extension()
                    .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, max_len, &mut out);
    out.sort();
    out
}
