use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a key that appears twice in the same mapping, at the second occurrence, naming
    /// the line of the first.
    ///
    /// ## Why is this bad?
    /// Kubernetes keeps the last value and silently drops the others (newer API servers reject
    /// the object under strict field validation). A reviewer who reads `privileged: false` at
    /// the top of a block easily misses a `privileged: true` further down. clustersec reads
    /// the last value, as Kubernetes does, so the other rules judge what will really run.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   privileged: false
    ///   runAsUser: 10001
    ///   privileged: true
    /// ```
    ///
    /// ## Fix
    /// Keep one occurrence of the key, with the value you mean.
    pub struct DuplicateKey(NoParams) {
        id: "CLUSTERSEC_DUPLICATE_KEY",
        name: "duplicate-key",
        severity: Medium,
        enabled: true,
        summary: "Mappings have no duplicate keys",
        tags: ["correctness", "yaml"],
    }
}

impl DuplicateKey {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted by the engine from the parser's diagnostics.
    }
}
