use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a suppression that silenced nothing in this run: a `# clustersec:ignore`
    /// comment, a `clustersec.io/ignore` or `datree.skip/RULE` annotation, or an entry of the
    /// config file's `suppressions` list that matched no finding. The finding sits on the
    /// comment, the annotation, or the config entry. An annotation that names a rule
    /// clustersec does not know is reported here too.
    ///
    /// Only suppressions of rules that ran are judged: a comment for a rule that is turned off
    /// (or outside `--profile`) is left alone, since nothing could have matched it.
    ///
    /// ## Why is this bad?
    /// Suppressions rot: the offending line is fixed or moved, the object renamed, and the
    /// ignore stays behind, ready to silence the next problem written there without anyone
    /// reviewing it. A stale entry also tells reviewers something is accepted that no longer
    /// exists.
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   name: web
    ///   annotations:
    ///     # The container no longer runs privileged: this skip silences nothing.
    ///     clustersec.io/ignore: CUSTOM_SECURITY_PRIVILEGED_CHECK
    ///     clustersec.io/ignore-reason: node agent, reviewed in SEC-12
    /// ```
    ///
    /// ## Fix
    /// Delete the comment, annotation or config entry, or correct the rule id, path or
    /// selector so it names the finding it was written for.
    pub struct StaleSuppression(NoParams) {
        id: "CLUSTERSEC_STALE_SUPPRESSION",
        name: "stale-suppression",
        severity: Low,
        enabled: true,
        summary: "Every suppression still silences a finding",
        tags: ["hygiene"],
    }
}

impl StaleSuppression {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted after suppressions are applied (see `crate::suppress`).
    }
}
