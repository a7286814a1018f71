use super::{Cx, NoParams};
use crate::model::pod::ContainerKind;

declare_rule! {
    /// ## What it does
    /// Checks that every regular and init container sets CPU and memory requests and limits
    /// (`resources.requests.cpu`, `resources.requests.memory`, `resources.limits.cpu`,
    /// `resources.limits.memory`); the message lists the ones missing. Ephemeral containers
    /// cannot have resources and are not checked. Off by default: turn it on with
    /// `rules: {CLUSTERSEC_RESOURCES: {enabled: true}}`.
    ///
    /// ## Why is this bad?
    /// A container without limits can take the node's memory and CPU from its neighbours (a
    /// denial of service, by a bug or an attacker); without requests the scheduler places it
    /// blindly and it is evicted first.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// ```yaml
    ///     resources:
    ///       requests: {cpu: 100m, memory: 128Mi}
    ///       limits: {cpu: "1", memory: 256Mi}
    /// ```
    pub struct Resources(NoParams) {
        id: "CLUSTERSEC_RESOURCES",
        name: "resources",
        severity: Low,
        enabled: false,
        summary: "Containers set CPU and memory requests and limits",
        tags: ["reliability", "kubernetes", "resources"],
    }
}

impl Resources {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            if c.kind == ContainerKind::Ephemeral {
                continue;
            }
            let resources = c.field("resources");
            let mut missing = Vec::new();
            for section in ["requests", "limits"] {
                for res in ["cpu", "memory"] {
                    let set = resources
                        .and_then(|r| r.value.get(section))
                        .and_then(|s| s.get(res))
                        .is_some_and(|v| !v.is_null());
                    if !set {
                        missing.push(format!("{section}.{res}"));
                    }
                }
            }
            if missing.is_empty() {
                continue;
            }
            let span = resources.map_or_else(|| c.first_line(), |r| r.key.span);
            let f = crate::finding::Finding::new(
                Self::ID,
                span,
                format!(
                    "{} sets no resources {}: without limits it can starve its node, \
                         without requests it is scheduled blindly",
                    c.describe(),
                    missing.join(", ")
                ),
            )
            .container(c.name.clone())
            .field(c.field_path("resources"));
            cx.report(f);
        }
    }
}
