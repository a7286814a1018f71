use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a file that is not valid YAML (or JSON), or not valid UTF-8, at the line and
    /// column where reading stopped. Parsing resumes at the next `---` document marker, so the
    /// documents after a broken one are still scanned; the broken document itself is not.
    ///
    /// ## Why is this bad?
    /// `kubectl apply` rejects the file, and no other rule can check what could not be read:
    /// a silent skip would hide every problem in it.
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///      image: nginx   # indented one space less than `name`
    /// ```
    ///
    /// ## Fix
    /// Correct the syntax at the reported position; `kubectl apply --dry-run=client -f FILE`
    /// shows the same error.
    pub struct YamlSyntax(NoParams) {
        id: "CLUSTERSEC_YAML_SYNTAX",
        name: "yaml-syntax",
        severity: High,
        enabled: true,
        summary: "Manifests are valid YAML or JSON in UTF-8",
        tags: ["correctness", "yaml"],
    }
}

impl YamlSyntax {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted by the engine while parsing.
    }
}
