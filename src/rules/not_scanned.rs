use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a file, or a document of a file, that clustersec did not scan, with the reason:
    /// larger than the size limit (`--max-file-size`, default 16 MiB), binary content, an alias
    /// expansion beyond the node budget (a "billion laughs" document), or nesting deeper than
    /// 256 levels.
    ///
    /// ## Why is this bad?
    /// A scanner that silently skips a file reports it as clean. This finding makes the gap
    /// visible and fails the run unless you accept it.
    ///
    /// ## Example
    /// ```yaml
    /// a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]
    /// b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    /// c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    /// # ... each level multiplies the document by nine
    /// ```
    ///
    /// ## Fix
    /// Split or simplify the file, raise `--max-file-size` for a legitimately large manifest,
    /// or exclude the path in `.clustersec.yaml` if it is not a manifest.
    pub struct NotScanned(NoParams) {
        id: "CLUSTERSEC_NOT_SCANNED",
        name: "not-scanned",
        severity: Medium,
        enabled: true,
        summary: "Every manifest file is scanned in full",
        tags: ["correctness"],
    }
}

impl NotScanned {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted by the engine.
    }
}
