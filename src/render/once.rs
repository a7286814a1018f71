//! Values computed once per file for one run, shared by the threads that render (the native
//! kustomize builder's parsed resource files, the origin-claim check's verdicts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One slot per canonical path: the first caller computes the value, the others wait for it.
pub struct OnceMap<V> {
    slots: Mutex<HashMap<PathBuf, Arc<OnceLock<V>>>>,
}

impl<V> Default for OnceMap<V> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> OnceMap<V> {
    /// The slot of `path`; a new one only when `full(number of slots)` is false, else `None`
    /// (the caller computes the value without keeping it).
    pub fn slot(&self, path: &Path, full: impl FnOnce(usize) -> bool) -> Option<Arc<OnceLock<V>>> {
        let mut slots = self.slots.lock().ok()?;
        if let Some(slot) = slots.get(path) {
            return Some(slot.clone());
        }
        if full(slots.len()) {
            return None;
        }
        let slot = Arc::new(OnceLock::new());
        slots.insert(path.to_path_buf(), slot.clone());
        Some(slot)
    }

    /// The paths that have a slot (tests).
    #[cfg(test)]
    pub fn paths(&self) -> Vec<PathBuf> {
        self.slots
            .lock()
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }
}
