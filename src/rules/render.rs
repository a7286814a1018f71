use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Reports a Helm chart or Kustomize directory that clustersec could not render, or that
    /// rendered with warnings: a template error (at the template line when helm names it), a
    /// dependency declared in `Chart.yaml` but missing from the chart's `charts/` directory (at
    /// its entry in `Chart.yaml`), a render that ran past its time limit (`--render-timeout`), a
    /// chart found while `helm` is not on PATH, a failed `kustomize build`, and every warning
    /// helm prints (a deprecated chart, a symbolic link in the chart...). Helm findings point into
    /// the chart (`Chart.yaml` unless the error names a file), Kustomize findings at the
    /// kustomization file. Emitted while rendering, not by checking objects.
    ///
    /// It also reports what clustersec refuses to render because the repository is untrusted:
    /// a Kustomize reference to a remote base (any URL scheme, `git@host:` and `file://` git
    /// included) or to a local path outside the scanned root, and a `helmCharts:` entry (the
    /// build is not run; the finding is at the referencing line); a chart whose
    /// `values.schema.json` refers to a remote schema (rendered with schema validation off); a
    /// `# Source:` line or Kustomize origin annotation that names a path clustersec will not read
    /// (absolute, `..`, outside the root: the finding stays in the rendered output).
    ///
    /// ## Why is this bad?
    /// A chart that does not render is a chart whose templates were not scanned: reporting it as
    /// clean would be a green run that checked nothing. clustersec never downloads dependencies
    /// (no network), so a chart whose `charts/` directory was never filled cannot be scanned
    /// either. Helm's warnings usually point at something that will break a later release.
    ///
    /// ## Example
    /// ```yaml
    /// # Chart.yaml
    /// apiVersion: v2
    /// name: web
    /// version: 0.1.0
    /// dependencies:
    ///   - name: redis            # not vendored in charts/: the chart cannot be rendered
    ///     version: 18.1.0
    ///     repository: https://charts.bitnami.com/bitnami
    /// ```
    ///
    /// ## Fix
    /// Run `helm dependency build` and commit the chart's `charts/` directory (or fetch it in CI
    /// before the scan); fix the template error helm names, with the values the render used
    /// (`--helm-values`, or the chart's `values` sets in `.clustersec.yaml`); raise
    /// `--render-timeout` for a chart that is slow to render. To scan without rendering, pass
    /// `--helm never` or `--kustomize never`: templates are then counted, not scanned.
    pub struct Render(NoParams) {
        id: "CLUSTERSEC_RENDER",
        name: "render",
        severity: Medium,
        enabled: true,
        summary: "Helm charts and Kustomize directories render without errors or warnings",
        tags: ["correctness", "helm", "kustomize"],
    }
}

impl Render {
    fn run(&self, _cx: &mut Cx<'_>) {
        // Emitted while rendering (crate::render), not by checking objects.
    }
}
