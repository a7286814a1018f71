use super::{Cx, NoParams};
use crate::model::pod::CONTAINER_ONLY_FIELDS;
use crate::model::Entry;

declare_rule! {
    /// ## What it does
    /// Reports securityContext fields that Kubernetes ignores where they are written:
    /// container-only fields (`privileged`, `allowPrivilegeEscalation`,
    /// `readOnlyRootFilesystem`, `procMount`, `capabilities`) in the pod's `securityContext`,
    /// pod-only fields (`fsGroup`, `supplementalGroups`, `sysctls`...) in a container's, near
    /// misses of known keys such as the misspelling `allowPrivilegedEscalation` (other unknown
    /// keys are left alone: they may be newer than clustersec), and PodSecurityPolicy fields
    /// (`allowedFlexVolumes`, `allowedProcMountTypes`) written into a pod spec.
    ///
    /// ## Why is this bad?
    /// The setting looks like protection in review but does nothing: the API server drops the
    /// field (or, under strict field validation, rejects the object).
    ///
    /// ## Example
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     privileged: false          # ignored at pod level
    ///     allowPrivilegedEscalation: false   # misspelled
    /// ```
    ///
    /// ## Fix
    /// Move container-only fields into each container's `securityContext`, pod-only fields into
    /// the pod's, and correct misspelled keys.
    pub struct MisplacedField(NoParams) {
        id: "CLUSTERSEC_MISPLACED_FIELD",
        name: "misplaced-field",
        severity: Low,
        enabled: true,
        summary: "securityContext fields sit where Kubernetes reads them",
        tags: ["correctness", "kubernetes", "securityContext"],
    }
}

const POD_FIELDS: &[&str] = &[
    "appArmorProfile",
    "fsGroup",
    "fsGroupChangePolicy",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "seLinuxChangePolicy",
    "seLinuxOptions",
    "seccompProfile",
    "supplementalGroups",
    "supplementalGroupsPolicy",
    "sysctls",
    "windowsOptions",
];

const CONTAINER_FIELDS: &[&str] = &[
    "allowPrivilegeEscalation",
    "appArmorProfile",
    "capabilities",
    "cgroupOptions",
    "privileged",
    "procMount",
    "readOnlyRootFilesystem",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "seLinuxOptions",
    "seccompProfile",
    "windowsOptions",
];

const PSP_FIELDS: &[&str] = &[
    "allowedFlexVolumes",
    "allowedProcMountTypes",
    "allowedCapabilities",
    "allowedHostPaths",
    "allowedUnsafeSysctls",
    "defaultAllowPrivilegeEscalation",
    "requiredDropCapabilities",
];

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        let mut left = i + 1;
        cur.push(left);
        // prev[j] (diagonal) and prev[j + 1] (above) for each character of `b`.
        for ((cb, diag), up) in b.iter().zip(&prev).zip(prev.iter().skip(1)) {
            let cost = usize::from(ca != *cb);
            left = (diag + cost).min(up + 1).min(left + 1);
            cur.push(left);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or_default()
}

/// The known field a key is a near miss of (a typo or a case slip), if any.
fn suggestion(key: &str) -> Option<&'static str> {
    // The edit distance is at least the difference in length: a key much longer than every
    // field (a hostile multi-megabyte key) is no near miss, and costs nothing to rule out.
    let len = key.chars().count();
    let all = POD_FIELDS.iter().chain(CONTAINER_FIELDS.iter());
    let best = all
        .filter(|k| len.abs_diff(k.len()) <= 2)
        .map(|k| {
            (
                distance(&key.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .min()?;
    (best.0 <= 2).then_some(best.1)
}

impl MisplacedField {
    fn check_section(&self, cx: &mut Cx<'_>, section: &Entry, path: &str, container: Option<&str>) {
        let (known, level) = if container.is_some() {
            (CONTAINER_FIELDS, "a container's")
        } else {
            (POD_FIELDS, "the pod's")
        };
        for e in section.value.effective_entries() {
            let key = e.key_str();
            if known.contains(&key) {
                continue;
            }
            let message = if container.is_none() && CONTAINER_ONLY_FIELDS.contains(&key) {
                format!(
                    "`{key}` has no effect in the pod's securityContext: Kubernetes only reads it \
                     in each container's securityContext; move it there"
                )
            } else if container.is_some() && POD_FIELDS.contains(&key) {
                format!(
                    "`{key}` has no effect in a container's securityContext: Kubernetes only reads \
                     it in the pod's securityContext; move it there"
                )
            } else if PSP_FIELDS.contains(&key) {
                format!(
                    "`{key}` is a PodSecurityPolicy field; in {level} securityContext Kubernetes \
                     ignores it; remove it"
                )
            } else if let Some(s) = suggestion(key) {
                format!(
                    "unknown field `{key}` in {level} securityContext: Kubernetes ignores it; \
                     rename it to `{s}`"
                )
            } else {
                // Not a near miss of a known field: possibly a field newer than this list.
                continue;
            };
            let mut f = crate::finding::Finding::new(Self::ID, e.span(), message)
                .field(format!("{path}.securityContext.{key}"));
            if let Some(c) = container {
                f = f.container(c);
            }
            cx.report(f);
        }
    }

    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        if let Some(sc) = pod.security_context {
            self.check_section(cx, sc, &pod.path, None);
        }
        for c in &pod.containers {
            if let Some(sc) = c.security_context {
                self.check_section(cx, sc, &c.path, Some(&c.name));
            }
        }
        if let Some(entries) = pod.node.entries() {
            for e in entries {
                let key = e.key_str();
                if PSP_FIELDS.contains(&key) {
                    let f = crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "`{key}` is a PodSecurityPolicy field; in a pod spec Kubernetes \
                                 ignores it"
                        ),
                    )
                    .field(pod.field_path(key));
                    cx.report(f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_near_misses_only_and_cheap_for_long_keys() {
        assert_eq!(
            suggestion("allowPrivilegedEscalation"),
            Some("allowPrivilegeEscalation")
        );
        assert_eq!(suggestion("runasuser"), Some("runAsUser"));
        assert_eq!(suggestion("somethingElse"), None);
        // A 2 MB key: quadratic-time edit distances against every field took minutes.
        let long = "x".repeat(2_000_000);
        let start = std::time::Instant::now();
        assert_eq!(suggestion(&long), None);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}
