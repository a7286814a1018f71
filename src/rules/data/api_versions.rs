//! Built-in Kubernetes API versions that are deprecated or removed, one row per
//! (apiVersion, kind).
//!
//! Source: the Kubernetes "Deprecated API Migration Guide",
//! <https://kubernetes.io/docs/reference/using-api/deprecation-guide/> (every API it lists,
//! from the v1.16 removals through v1.32): the removal release, the replacement apiVersion and
//! the release since which the replacement is available come from there. The guide does not say
//! when each API was deprecated for the removals before v1.25; for those, `deprecated` is the
//! release from which the API server marks the version deprecated (the
//! `+k8s:prerelease-lifecycle-gen:deprecated` tag of the type in k8s.io/api), and for the
//! v1.16 removals (which predate those tags) the release that made the replacement generally
//! available and announced the deprecation.
//!
//! Where the guide offers more than one replacement (flow control), the preferred one comes
//! first; rules pick the first that is served by the target version.
//!
//! Rows are sorted by removal release, then apiVersion, then kind (a unit test checks it).

use crate::kube_version::KubeVersion;

/// The newest Kubernetes release this table was checked against: the default target version.
/// The guide lists no removal after v1.32.
pub const NEWEST_KNOWN: KubeVersion = v(33);

/// One deprecated (and removed) apiVersion of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRow {
    /// `group/version` as written in `apiVersion` (`extensions/v1beta1`).
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The first release in which the API server reports the version as deprecated.
    pub deprecated: KubeVersion,
    /// The first release that no longer serves it.
    pub removed: KubeVersion,
    /// Replacement apiVersions with the release since which each is available, preferred first.
    /// Empty when there is none.
    pub replacements: &'static [(&'static str, KubeVersion)],
    /// What to use instead when there is no replacement apiVersion.
    pub instead: Option<&'static str>,
}

const fn v(minor: u32) -> KubeVersion {
    KubeVersion::new(1, minor)
}

const fn row(
    api_version: &'static str,
    kind: &'static str,
    deprecated: u32,
    removed: u32,
    replacements: &'static [(&'static str, KubeVersion)],
) -> ApiRow {
    ApiRow {
        api_version,
        kind,
        deprecated: v(deprecated),
        removed: v(removed),
        replacements,
        instead: None,
    }
}

const APPS_V1: &[(&str, KubeVersion)] = &[("apps/v1", v(9))];
const ADMISSION_V1: &[(&str, KubeVersion)] = &[("admissionregistration.k8s.io/v1", v(16))];
const AUTHZ_V1: &[(&str, KubeVersion)] = &[("authorization.k8s.io/v1", v(6))];
const NETWORKING_V1: &[(&str, KubeVersion)] = &[("networking.k8s.io/v1", v(19))];
const RBAC_V1: &[(&str, KubeVersion)] = &[("rbac.authorization.k8s.io/v1", v(8))];
const AUTOSCALING_V2: &[(&str, KubeVersion)] = &[("autoscaling/v2", v(23))];
const FLOWCONTROL_FROM_V1BETA1: &[(&str, KubeVersion)] = &[
    ("flowcontrol.apiserver.k8s.io/v1", v(29)),
    ("flowcontrol.apiserver.k8s.io/v1beta3", v(26)),
    ("flowcontrol.apiserver.k8s.io/v1beta2", v(23)),
];
const FLOWCONTROL_FROM_V1BETA2: &[(&str, KubeVersion)] = &[
    ("flowcontrol.apiserver.k8s.io/v1", v(29)),
    ("flowcontrol.apiserver.k8s.io/v1beta3", v(26)),
];
const FLOWCONTROL_V1: &[(&str, KubeVersion)] = &[("flowcontrol.apiserver.k8s.io/v1", v(29))];

/// The table.
pub const API_TABLE: &[ApiRow] = &[
    // v1.16
    row("apps/v1beta1", "Deployment", 9, 16, APPS_V1),
    row("apps/v1beta1", "ReplicaSet", 9, 16, APPS_V1),
    row("apps/v1beta1", "StatefulSet", 9, 16, APPS_V1),
    row("apps/v1beta2", "DaemonSet", 9, 16, APPS_V1),
    row("apps/v1beta2", "Deployment", 9, 16, APPS_V1),
    row("apps/v1beta2", "ReplicaSet", 9, 16, APPS_V1),
    row("apps/v1beta2", "StatefulSet", 9, 16, APPS_V1),
    row("extensions/v1beta1", "DaemonSet", 9, 16, APPS_V1),
    row("extensions/v1beta1", "Deployment", 9, 16, APPS_V1),
    row(
        "extensions/v1beta1",
        "NetworkPolicy",
        9,
        16,
        &[("networking.k8s.io/v1", v(8))],
    ),
    row(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        10,
        16,
        &[("policy/v1beta1", v(10))],
    ),
    row("extensions/v1beta1", "ReplicaSet", 9, 16, APPS_V1),
    // v1.22
    row(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        16,
        22,
        ADMISSION_V1,
    ),
    row(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        16,
        22,
        ADMISSION_V1,
    ),
    row(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        16,
        22,
        &[("apiextensions.k8s.io/v1", v(16))],
    ),
    row(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        19,
        22,
        &[("apiregistration.k8s.io/v1", v(10))],
    ),
    row(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        19,
        22,
        &[("authentication.k8s.io/v1", v(6))],
    ),
    row(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        19,
        22,
        AUTHZ_V1,
    ),
    row(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        19,
        22,
        AUTHZ_V1,
    ),
    row(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        19,
        22,
        AUTHZ_V1,
    ),
    row(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        19,
        22,
        &[("certificates.k8s.io/v1", v(19))],
    ),
    row(
        "coordination.k8s.io/v1beta1",
        "Lease",
        19,
        22,
        &[("coordination.k8s.io/v1", v(14))],
    ),
    row("extensions/v1beta1", "Ingress", 14, 22, NETWORKING_V1),
    row(
        "networking.k8s.io/v1beta1",
        "Ingress",
        19,
        22,
        NETWORKING_V1,
    ),
    row(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        19,
        22,
        NETWORKING_V1,
    ),
    row(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        17,
        22,
        RBAC_V1,
    ),
    row(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        17,
        22,
        RBAC_V1,
    ),
    row("rbac.authorization.k8s.io/v1beta1", "Role", 17, 22, RBAC_V1),
    row(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        17,
        22,
        RBAC_V1,
    ),
    row(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        14,
        22,
        &[("scheduling.k8s.io/v1", v(14))],
    ),
    row(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        19,
        22,
        &[("storage.k8s.io/v1", v(19))],
    ),
    row(
        "storage.k8s.io/v1beta1",
        "CSINode",
        17,
        22,
        &[("storage.k8s.io/v1", v(17))],
    ),
    row(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        19,
        22,
        &[("storage.k8s.io/v1", v(6))],
    ),
    row(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        19,
        22,
        &[("storage.k8s.io/v1", v(13))],
    ),
    // v1.25
    row(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        22,
        25,
        AUTOSCALING_V2,
    ),
    row("batch/v1beta1", "CronJob", 21, 25, &[("batch/v1", v(21))]),
    row(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        21,
        25,
        &[("discovery.k8s.io/v1", v(21))],
    ),
    row(
        "events.k8s.io/v1beta1",
        "Event",
        19,
        25,
        &[("events.k8s.io/v1", v(19))],
    ),
    row(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        22,
        25,
        &[("node.k8s.io/v1", v(20))],
    ),
    row(
        "policy/v1beta1",
        "PodDisruptionBudget",
        21,
        25,
        &[("policy/v1", v(21))],
    ),
    ApiRow {
        instead: Some(
            "Pod Security Admission (pod-security.kubernetes.io namespace labels) or a \
             third-party admission plugin",
        ),
        ..row("policy/v1beta1", "PodSecurityPolicy", 21, 25, &[])
    },
    // v1.26
    row(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        23,
        26,
        AUTOSCALING_V2,
    ),
    row(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        23,
        26,
        FLOWCONTROL_FROM_V1BETA1,
    ),
    row(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        23,
        26,
        FLOWCONTROL_FROM_V1BETA1,
    ),
    // v1.27
    row(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        24,
        27,
        &[("storage.k8s.io/v1", v(24))],
    ),
    // v1.29
    row(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        26,
        29,
        FLOWCONTROL_FROM_V1BETA2,
    ),
    row(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        26,
        29,
        FLOWCONTROL_FROM_V1BETA2,
    ),
    // v1.32
    row(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        29,
        32,
        FLOWCONTROL_V1,
    ),
    row(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        29,
        32,
        FLOWCONTROL_V1,
    ),
];

/// The row of an (apiVersion, kind), if it is in the table.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static ApiRow> {
    API_TABLE
        .iter()
        .find(|r| r.api_version == api_version && r.kind == kind)
}

/// Whether `api_version` of `kind` is itself removed at `target` (a replacement that is gone).
fn removed_at(api_version: &str, kind: &str, target: KubeVersion) -> bool {
    lookup(api_version, kind).is_some_and(|r| r.removed <= target)
}

/// What a manifest should use instead of a deprecated apiVersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// A replacement apiVersion, available since the release given.
    Use(&'static str, KubeVersion),
    /// No replacement apiVersion: what to use instead.
    Instead(&'static str),
}

impl ApiRow {
    /// What to migrate to, for a cluster at `target`: the first replacement served there, else
    /// the first one not removed by then (served only in a later release); a replacement that is
    /// itself removed at `target` is followed to its own replacement.
    pub fn advice(&self, target: KubeVersion) -> Option<Advice> {
        let mut row = self;
        // The table is short and acyclic; the bound keeps a bad edit from looping.
        for _ in 0..API_TABLE.len() {
            let alive: Vec<(&'static str, KubeVersion)> = row
                .replacements
                .iter()
                .copied()
                .filter(|(api, _)| !removed_at(api, row.kind, target))
                .collect();
            if let Some(&(api, since)) = alive
                .iter()
                .find(|(_, since)| *since <= target)
                .or_else(|| alive.first())
            {
                return Some(Advice::Use(api, since));
            }
            match row.replacements.first() {
                Some((api, _)) => match lookup(api, row.kind) {
                    Some(next) => row = next,
                    None => return None,
                },
                None => return row.instead.map(Advice::Instead),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_consistent() {
        for pair in API_TABLE.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(
                (a.removed, a.api_version, a.kind) < (b.removed, b.api_version, b.kind),
                "not sorted (or duplicate): {a:?} before {b:?}"
            );
        }
        let mut keys: Vec<(&str, &str)> =
            API_TABLE.iter().map(|r| (r.api_version, r.kind)).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate (apiVersion, kind) rows");
        for r in API_TABLE {
            assert!(
                r.removed >= r.deprecated,
                "removed before deprecated: {r:?}"
            );
            assert!(
                r.removed <= NEWEST_KNOWN,
                "removal after NEWEST_KNOWN: {r:?}"
            );
            assert!(
                !r.replacements.is_empty() || r.instead.is_some(),
                "no replacement and no advice: {r:?}"
            );
            assert!(r.api_version.contains('/'), "{r:?}");
            for (api, _) in r.replacements {
                assert_ne!(*api, r.api_version, "{r:?}");
            }
            assert!(
                r.replacements.is_empty() || r.replacements.iter().any(|(_, s)| *s < r.removed),
                "no replacement available before the removal: {r:?}"
            );
            // Every row has advice at every version.
            for minor in 0..=NEWEST_KNOWN.minor {
                assert!(r.advice(v(minor)).is_some(), "{r:?} at 1.{minor}");
            }
        }
    }

    #[test]
    fn advice_is_what_is_served_at_the_target() {
        let r = lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema").unwrap();
        let fc = |ver: &'static str, since| Some(Advice::Use(ver, v(since)));
        assert_eq!(
            r.advice(v(26)),
            fc("flowcontrol.apiserver.k8s.io/v1beta3", 26)
        );
        assert_eq!(
            r.advice(v(24)),
            fc("flowcontrol.apiserver.k8s.io/v1beta2", 23)
        );
        assert_eq!(r.advice(v(33)), fc("flowcontrol.apiserver.k8s.io/v1", 29));
        // v1beta2 is removed in 1.29: at 1.30 only v1 remains.
        assert_eq!(r.advice(v(30)), fc("flowcontrol.apiserver.k8s.io/v1", 29));
        let r = lookup("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema").unwrap();
        // At 1.22 nothing is served yet: the preferred one.
        assert_eq!(r.advice(v(22)), fc("flowcontrol.apiserver.k8s.io/v1", 29));
        let psp = lookup("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert!(matches!(psp.advice(v(25)), Some(Advice::Instead(_))));
        // extensions/v1beta1 PSP: policy/v1beta1 until 1.25, then no replacement at all.
        let old = lookup("extensions/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(
            old.advice(v(16)),
            Some(Advice::Use("policy/v1beta1", v(10)))
        );
        assert!(matches!(old.advice(v(25)), Some(Advice::Instead(_))));
    }
}
