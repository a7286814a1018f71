use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a line of a Helm template that sets a security-relevant literal (`privileged:
    /// true`, `allowPrivilegeEscalation: true`, `hostPID`/`hostNetwork`/`hostIPC: true`,
    /// `runAsUser: 0`, `runAsGroup: 0`, `procMount: Unmasked`, a `hostPath:` volume, an
    /// `Unconfined` seccomp or AppArmor profile, `SYS_ADMIN`, `ALL` or another root-equivalent
    /// capability in `capabilities.add`) inside an `{{ if }}`, `{{ else }}`, `{{ with }}` or
    /// `{{ range }}` block that none of the scan's renders of the chart took. The finding is at
    /// the template line, from the key through the value, and names the renders. A line counts
    /// as rendered when some render's output holds the same literal at the same key path in a
    /// document that came from that template (for a line in a `define`, in any document).
    /// Charts that did not render at all are reported by `CLUSTERSEC_RENDER` instead. Emitted
    /// after rendering, not by checking objects.
    ///
    /// ## Why is this bad?
    /// Every other rule checks what the renders produced. A branch that no render took is not
    /// checked at all, and the conditions a chart can hide behind differ between CI and the
    /// real install: `lookup` returns nothing in `helm template`, `.Capabilities` lists only
    /// the default API versions without a cluster, and `.Release.Name` is whatever the CI job
    /// passed. A chart that sets `privileged: true` only when the release is called `prod`, or
    /// only when a CRD is installed, passes a scan of its default render and runs privileged
    /// in production.
    ///
    /// ## Example
    /// ```yaml
    /// # templates/agent.yaml
    /// spec:
    ///   {{- if .Capabilities.APIVersions.Has "monitoring.example.com/v1" }}
    ///   hostPID: true                  # never rendered in CI
    ///   {{- end }}
    ///   containers:
    ///     - name: agent
    ///       securityContext:
    ///         {{- if eq .Release.Name "prod" }}
    ///         privileged: true         # never rendered in CI
    ///         {{- end }}
    /// ```
    ///
    /// ## Fix
    /// Render the chart with the values and settings that take the branch, so that the rules
    /// check it: add a value set to the chart's `values` in `.clustersec.yaml` (or
    /// `--helm-values`), or replace a condition on the cluster or the release name with a value
    /// the install sets explicitly. If the privileged setting is needed, keep it, let a render
    /// take it, and suppress the finding of the rule that reports it with a reason
    /// (`# clustersec:ignore CUSTOM_SECURITY_PRIVILEGED_CHECK node agent needs it`). A line that
    /// is meant to stay unrendered can be suppressed with
    /// `{{/* clustersec:ignore CLUSTERSEC_UNRENDERED_BRANCH reason */}}` above it.
    pub struct UnrenderedBranch(NoParams) {
        id: "CLUSTERSEC_UNRENDERED_BRANCH",
        name: "unrendered-branch",
        severity: Low,
        enabled: true,
        summary: "Security-relevant template lines are taken by at least one render",
        tags: ["security", "helm"],
    }
}

impl UnrenderedBranch {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted after rendering (crate::render::unrendered), not by checking objects.
    }
}
