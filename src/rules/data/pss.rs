//! Pod Security Standards: every control, its level, and the policy versions it changed at.
//!
//! The reference is Kubernetes' `k8s.io/pod-security-admission/policy` package
//! (`staging/src/k8s.io/pod-security-admission/policy/` in kubernetes/kubernetes): one
//! `check_*.go` file per control, each registered with the `MinimumVersion`s where its behaviour
//! changed. Every entry below names the file it mirrors. The policy version is only the minor
//! number (`v1.N` -> `N`): the standard never had a major version other than 1.

use crate::finding::Finding;
use crate::model::object::Object;
use crate::model::pod::{Container, PodSpec};
use crate::model::yaml::{Entry, Node};
use crate::model::Span;

/// The newest policy version the data below knows. PSA's registry resolves `latest` to the
/// highest `MinimumVersion` of any check (`registry.go`, `populate`), and clamps a newer pinned
/// version down to it (`EvaluatePod`); this is the sysctls 1.37 set (`check_sysctls.go`).
pub const NEWEST: u32 = 37;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    /// The level as PSA spells it in labels (`privileged`, `baseline`, `restricted`).
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A `--profile` value: `baseline` or `restricted` (`privileged` checks nothing, so it is not a
/// profile to scan with).
pub fn parse_profile(s: &str) -> Result<Level, String> {
    match Level::parse(s) {
        Some(l @ (Level::Baseline | Level::Restricted)) => Ok(l),
        _ => Err(format!(
            "invalid Pod Security Standards profile {s:?}: expected `baseline` or `restricted`"
        )),
    }
}

/// A policy version: `latest` or `v1.N`, as PSA parses `enforce-version` (`api/helpers.go`,
/// `ParseVersion`: `latest`, or `v1.` followed by a minor without leading zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PssVersion {
    #[default]
    Latest,
    Minor(u32),
}

impl PssVersion {
    pub fn parse(s: &str) -> Result<PssVersion, String> {
        if s == "latest" {
            return Ok(PssVersion::Latest);
        }
        let bad = || {
            format!(
                "invalid Pod Security Standards version {s:?}: expected `latest` or `v1.N` \
                 (for example v1.30), the form of the pod-security.kubernetes.io/*-version labels"
            )
        };
        let minor = s.strip_prefix("v1.").ok_or_else(bad)?;
        if minor.is_empty()
            || !minor.bytes().all(|b| b.is_ascii_digit())
            || (minor.len() > 1 && minor.starts_with('0'))
            || minor.len() > 6
        {
            return Err(bad());
        }
        minor
            .parse::<u32>()
            .map(PssVersion::Minor)
            .map_err(|_| bad())
    }

    /// The policy version the checks are applied at: `latest` and anything newer than
    /// [`NEWEST`] resolve to [`NEWEST`], as PSA's registry does.
    pub fn resolve(self) -> u32 {
        match self {
            PssVersion::Latest => NEWEST,
            PssVersion::Minor(m) => m.min(NEWEST),
        }
    }

    /// Whether the version is newer than the newest the data knows (a notice is due).
    pub fn is_future(self) -> bool {
        matches!(self, PssVersion::Minor(m) if m > NEWEST)
    }
}

impl std::fmt::Display for PssVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PssVersion::Latest => f.write_str("latest"),
            PssVersion::Minor(m) => write!(f, "v1.{m}"),
        }
    }
}

/// One control of the standard, as clustersec's rule for it.
pub struct Control {
    pub rule: &'static str,
    /// PSA's check id.
    pub check: &'static str,
    pub level: Level,
    /// The policy version the control starts at.
    pub since: u32,
    /// Where the standard describes the control.
    pub link: &'static str,
    /// The control's history: (policy version, what changed).
    pub history: &'static [(u32, &'static str)],
}

const PSS_URL: &str = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

/// Every control, baseline first, in the order of the standard's page.
pub const CONTROLS: &[Control] = &[
    // check_windowsHostProcess.go: one VersionedCheck at 1.0.
    Control {
        rule: "PSS_HOST_PROCESS",
        check: "windowsHostProcess",
        level: Level::Baseline,
        since: 0,
        link: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
        history: &[(0, "windowsOptions.hostProcess must be unset or false (pod and containers)")],
    },
    // check_hostNamespaces.go: one VersionedCheck at 1.0.
    Control {
        rule: "PSS_HOST_NAMESPACES",
        check: "hostNamespaces",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(0, "hostNetwork, hostPID and hostIPC must be unset or false")],
    },
    // check_privileged.go: one VersionedCheck at 1.0.
    Control {
        rule: "PSS_PRIVILEGED",
        check: "privileged",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(0, "securityContext.privileged must be unset or false")],
    },
    // check_capabilities_baseline.go: one VersionedCheck at 1.0 (capabilities_allowed_1_0).
    Control {
        rule: "PSS_CAPABILITIES_BASELINE",
        check: "capabilities_baseline",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(0, "capabilities.add only from the baseline set of 13")],
    },
    // check_hostPathVolumes.go: one VersionedCheck at 1.0.
    Control {
        rule: "PSS_HOST_PATH_VOLUMES",
        check: "hostPathVolumes",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(0, "no hostPath volume")],
    },
    // check_hostPorts.go: one VersionedCheck at 1.0.
    Control {
        rule: "PSS_HOST_PORTS",
        check: "hostPorts",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(0, "ports[*].hostPort must be unset or 0")],
    },
    // check_appArmorProfile.go: one VersionedCheck at 1.0; the field check was added to the 1.0
    // function in Kubernetes 1.30, so it applies at every policy version.
    Control {
        rule: "PSS_APPARMOR",
        check: "appArmorProfile",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[(
            0,
            "AppArmor annotation runtime/default or localhost/*; appArmorProfile.type \
             RuntimeDefault or Localhost (the field is checked at every version since \
             Kubernetes 1.30)",
        )],
    },
    // check_seLinuxOptions.go: VersionedChecks at 1.0 and 1.31 (container_engine_t).
    Control {
        rule: "PSS_SELINUX",
        check: "seLinuxOptions",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[
            (
                0,
                "seLinuxOptions.type empty, container_t, container_init_t or container_kvm_t; \
                 user and role empty",
            ),
            (31, "container_engine_t allowed"),
        ],
    },
    // check_procMount_baseline.go (check_procMount.go before 1.35): 1.0 and 1.35.
    Control {
        rule: "PSS_PROC_MOUNT",
        check: "procMount",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[
            (0, "procMount must be unset or Default"),
            (35, "any procMount allowed when spec.hostUsers is false"),
        ],
    },
    // check_seccompProfile_baseline.go: 1.0 (annotations) and 1.19 (fields).
    Control {
        rule: "PSS_SECCOMP_BASELINE",
        check: "seccompProfile_baseline",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[
            (0, "seccomp annotations must not be unconfined"),
            (19, "seccompProfile.type must not be Unconfined (the fields replace the annotations)"),
        ],
    },
    // check_sysctls.go: 1.0, 1.27, 1.29, 1.32, 1.37.
    Control {
        rule: "PSS_SYSCTLS",
        check: "sysctls",
        level: Level::Baseline,
        since: 0,
        link: PSS_URL,
        history: &[
            (0, "only the safe sysctls"),
            (27, "net.ipv4.ip_local_reserved_ports is safe"),
            (29, "tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes are safe"),
            (32, "net.ipv4.tcp_rmem and net.ipv4.tcp_wmem are safe"),
            (37, "net.ipv4.tcp_slow_start_after_idle and net.ipv4.tcp_notsent_lowat are safe"),
        ],
    },
    // check_hostProbesAndhostLifecycle.go: one VersionedCheck at 1.34.
    Control {
        rule: "PSS_HOST_PROBES",
        check: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        since: 34,
        link: PSS_URL,
        history: &[(34, "probes and lifecycle handlers must not set httpGet.host or tcpSocket.host")],
    },
    // check_restrictedVolumes.go: one VersionedCheck at 1.0; `image` was added to the 1.0
    // function in Kubernetes 1.33, so it is allowed at every policy version.
    Control {
        rule: "PSS_VOLUME_TYPES",
        check: "restrictedVolumes",
        level: Level::Restricted,
        since: 0,
        link: PSS_URL,
        history: &[(
            0,
            "volumes only configMap, csi, downwardAPI, emptyDir, ephemeral, image, \
             persistentVolumeClaim, projected, secret",
        )],
    },
    // check_allowPrivilegeEscalation.go: 1.8 and 1.25 (Windows pods exempt).
    Control {
        rule: "PSS_PRIVILEGE_ESCALATION",
        check: "allowPrivilegeEscalation",
        level: Level::Restricted,
        since: 8,
        link: PSS_URL,
        history: &[
            (8, "allowPrivilegeEscalation must be set to false on every container"),
            (25, "pods with spec.os.name: windows are exempt"),
        ],
    },
    // check_runAsNonRoot.go: 1.0 and 1.35 (user-namespace pods exempt).
    Control {
        rule: "PSS_RUN_AS_NON_ROOT",
        check: "runAsNonRoot",
        level: Level::Restricted,
        since: 0,
        link: PSS_URL,
        history: &[
            (0, "runAsNonRoot true on the pod or every container, never false"),
            (35, "pods with spec.hostUsers: false are exempt"),
        ],
    },
    // check_runAsUser.go: 1.23 and 1.35 (user-namespace pods exempt).
    Control {
        rule: "PSS_RUN_AS_USER",
        check: "runAsUser",
        level: Level::Restricted,
        since: 23,
        link: PSS_URL,
        history: &[
            (23, "runAsUser must not be 0"),
            (35, "pods with spec.hostUsers: false are exempt"),
        ],
    },
    // check_seccompProfile_restricted.go: 1.19 and 1.25 (Windows pods exempt).
    Control {
        rule: "PSS_SECCOMP_RESTRICTED",
        check: "seccompProfile_restricted",
        level: Level::Restricted,
        since: 19,
        link: PSS_URL,
        history: &[
            (19, "seccompProfile.type RuntimeDefault or Localhost on the pod or every container"),
            (25, "pods with spec.os.name: windows are exempt"),
        ],
    },
    // check_capabilities_restricted.go: 1.22 and 1.25 (Windows pods exempt).
    Control {
        rule: "PSS_CAPABILITIES_RESTRICTED",
        check: "capabilities_restricted",
        level: Level::Restricted,
        since: 22,
        link: PSS_URL,
        history: &[
            (22, "capabilities.drop must include ALL; add only NET_BIND_SERVICE"),
            (25, "pods with spec.os.name: windows are exempt"),
        ],
    },
    // check_procMount_restricted.go: one VersionedCheck at 1.35, overriding procMount.
    Control {
        rule: "PSS_PROC_MOUNT_RESTRICTED",
        check: "procMount_restricted",
        level: Level::Restricted,
        since: 35,
        link: PSS_URL,
        history: &[(
            35,
            "procMount must be unset or Default even when spec.hostUsers is false",
        )],
    },
];

/// Baseline checks that PSA runs at baseline only: at restricted, a restricted check replaces
/// them at every version (`registry.go`: `Overlap` checks go to `overlappingBaselineChecks`,
/// which `EvaluatePod` runs for the baseline level only; the overriding checks name them in
/// `OverrideCheckIDs`).
pub const BASELINE_ONLY: &[&str] = &[
    "PSS_CAPABILITIES_BASELINE", // replaced by capabilities_restricted
    "PSS_SECCOMP_BASELINE",      // replaced by seccompProfile_restricted
    "PSS_HOST_PATH_VOLUMES",     // replaced by restrictedVolumes
];

/// Rules that keep a profile run honest: they say what could not be judged.
pub const INTEGRITY: &[&str] = &[
    "CLUSTERSEC_YAML_SYNTAX",
    "CLUSTERSEC_DUPLICATE_KEY",
    "CLUSTERSEC_WRONG_TYPE",
    "CLUSTERSEC_INVALID_OBJECT",
    "CLUSTERSEC_NOT_SCANNED",
    "CLUSTERSEC_RENDER",
];

/// The control of a rule.
pub fn control(rule: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.rule == rule)
}

/// The history of a PSS control, for `clustersec explain`: its level, PSA check, and what
/// changed at which policy version.
pub fn history_markdown(rule: &str) -> Option<String> {
    let c = control(rule)?;
    let mut out = format!(
        "## Pod Security Standards history\n\nLevel: {}. Pod Security Admission check: `{}` \
         (k8s.io/pod-security-admission/policy). Newest policy version known: v1.{NEWEST}.\n\n",
        c.level.as_str(),
        c.check
    );
    if c.since > 0 {
        out.push_str(&format!(
            "- before v1.{}: the control does not exist; nothing is checked\n",
            c.since
        ));
    }
    for (v, what) in c.history {
        out.push_str(&format!("- v1.{v}: {what}\n"));
    }
    if BASELINE_ONLY.contains(&rule) {
        out.push_str(
            "\nAt the restricted level Pod Security Admission replaces this control by its \
             restricted counterpart, at every version.\n",
        );
    }
    out.push_str(&format!("\nStandard: {}\n", c.link));
    Some(out)
}

/// Whether a rule runs under `--profile level`: the level's controls (restricted includes
/// baseline, minus [`BASELINE_ONLY`]) and the integrity rules.
pub fn in_profile(rule: &str, level: Level) -> bool {
    if INTEGRITY.contains(&rule) || rule == "PSS_NAMESPACE_LABELS" {
        return true;
    }
    match control(rule) {
        None => false,
        Some(c) => match level {
            Level::Privileged => false,
            Level::Baseline => c.level == Level::Baseline,
            Level::Restricted => !BASELINE_ONLY.contains(&rule),
        },
    }
}

// --- value sets -----------------------------------------------------------------------------

/// check_capabilities_baseline.go, `capabilities_allowed_1_0` (1.0, never changed). PSA compares
/// the names exactly: `CAP_CHOWN` or `chown` are not in the set.
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// check_sysctls.go: each safe sysctl with the policy version whose set first has it
/// (`sysctlsAllowedV1Dot0`, `V1Dot27`, `V1Dot29`, `V1Dot32`, `V1Dot37`).
pub const SAFE_SYSCTLS: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

/// check_seLinuxOptions.go: allowed `seLinuxOptions.type` values with the version that allows
/// them (`selinuxAllowedTypes1_0`, `selinuxAllowedTypes1_31`).
pub const SELINUX_TYPES: &[(&str, u32)] = &[
    ("", 0),
    ("container_t", 0),
    ("container_init_t", 0),
    ("container_kvm_t", 0),
    ("container_engine_t", 31),
];

/// check_restrictedVolumes.go: the volume sources restricted allows (`image` since Kubernetes
/// 1.33, in the 1.0 function).
pub const RESTRICTED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every volume source field of `core/v1.VolumeSource`, to name a volume's type.
pub const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// The version from which Windows pods are exempt from allowPrivilegeEscalation, seccomp and
/// capabilities at restricted (`check_allowPrivilegeEscalation.go`,
/// `check_seccompProfile_restricted.go`, `check_capabilities_restricted.go`: 1.25 functions).
pub const WINDOWS_EXEMPT_SINCE: u32 = 25;
/// The version from which `spec.hostUsers: false` relaxes runAsNonRoot, runAsUser and the
/// baseline procMount (`helpers.go` `relaxPolicyForUserNamespacePod`, used by the 1.35 functions
/// of `check_runAsNonRoot.go`, `check_runAsUser.go`, `check_procMount_baseline.go`).
pub const USER_NAMESPACE_RELAX_SINCE: u32 = 35;
/// check_seccompProfile_baseline.go: the annotations are read below 1.19, the fields from 1.19.
pub const SECCOMP_FIELDS_SINCE: u32 = 19;

// --- helpers for the PSS rules ----------------------------------------------------------------

/// Whether the pod is a Windows pod: `spec.os.name` is exactly `windows` (`corev1.Windows`).
pub fn is_windows(pod: &PodSpec<'_>) -> bool {
    pod.node
        .get("os")
        .and_then(|os| os.get("name"))
        .and_then(Node::as_str)
        == Some("windows")
}

/// PSA's `relaxPolicyForUserNamespacePod`: `spec.hostUsers` set to false.
pub fn user_namespace_pod(pod: &PodSpec<'_>) -> bool {
    pod.node.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// The pod metadata PSA sees: the object's own for a Pod, the template's for a workload.
pub fn pod_metadata<'a>(obj: &Object<'a>) -> Option<&'a Node> {
    let path =
        crate::model::pod::pod_spec_path(obj.kind()).unwrap_or(&["spec", "template", "spec"]);
    let (_, parent) = path.split_last()?;
    let mut n = obj.node;
    for k in parent {
        n = n.get(k)?;
    }
    n.get("metadata")
}

/// The annotations of the pod metadata as the API server reads them: `<<` merges applied, the
/// last of duplicate keys.
pub fn pod_annotations<'a>(obj: &Object<'a>) -> Vec<&'a Entry> {
    pod_metadata(obj)
        .and_then(|m| m.get("annotations"))
        .map(Node::effective_entries)
        .unwrap_or_default()
}

/// The message tail that names the level and version a finding violates.
pub fn tail(level: Level, version: u32) -> String {
    format!(" (Pod Security Standards {}, v1.{version})", level.as_str())
}

/// A finding of a PSS rule: the message says which level it violates, at which version.
pub fn finding(rule: &'static str, version: u32, span: Span, message: String) -> Finding {
    let level = control(rule).map_or(Level::Baseline, |c| c.level);
    Finding::new(rule, span, format!("{message}{}", tail(level, version)))
}

/// A boolean the API server reads: `Ok(None)` unset/null, `Err` when it is not a boolean (the
/// API server rejects the object).
pub fn api_bool(e: Option<&Entry>) -> Result<Option<bool>, String> {
    match e {
        None => Ok(None),
        Some(e) if e.value.is_null() => Ok(None),
        Some(e) => match e.value.as_bool() {
            Some(b) => Ok(Some(b)),
            None => Err(format!(
                "`{}` must be a boolean, found {}: the API server rejects the object",
                e.key_str(),
                e.value.describe()
            )),
        },
    }
}

/// A string the API server reads: `Err` when it is not a string.
pub fn api_str(e: Option<&Entry>) -> Result<Option<&str>, String> {
    match e {
        None => Ok(None),
        Some(e) if e.value.is_null() => Ok(None),
        Some(e) => match e.value.as_str() {
            Some(s) => Ok(Some(s)),
            None => Err(format!(
                "`{}` must be a string, found {}: the API server rejects the object",
                e.key_str(),
                e.value.describe()
            )),
        },
    }
}

/// A securityContext PSA reads: the pod's or a container's. What messages say of it is made
/// only when a finding needs it (most scopes pass every check).
pub struct Scope<'p, 'a> {
    pub sc: Option<&'a Entry>,
    pod: &'p PodSpec<'a>,
    /// `None` for the pod's own securityContext.
    of: Option<&'p Container<'a>>,
}

impl Scope<'_, '_> {
    /// `the pod` or `container "web"`.
    pub fn who(&self) -> String {
        match self.of {
            None => "the pod".to_string(),
            Some(c) => c.describe(),
        }
    }

    /// Field path of the securityContext.
    pub fn path(&self) -> String {
        match self.of {
            None => self.pod.field_path("securityContext"),
            Some(c) => c.field_path("securityContext"),
        }
    }

    /// The container's name; empty for the pod.
    pub fn container(&self) -> String {
        self.of.map(|c| c.name.clone()).unwrap_or_default()
    }
}

/// The pod's securityContext, then every container's (init, regular, ephemeral).
pub fn scopes<'p, 'a>(pod: &'p PodSpec<'a>) -> impl Iterator<Item = Scope<'p, 'a>> {
    std::iter::once(Scope {
        sc: pod.security_context,
        pod,
        of: None,
    })
    .chain(pod.containers.iter().map(move |c| Scope {
        sc: c.security_context,
        pod,
        of: Some(c),
    }))
}

/// A field below a securityContext-like entry: `nested(sc, &["windowsOptions", "hostProcess"])`.
pub fn nested<'a>(sc: Option<&'a Entry>, keys: &[&str]) -> Option<&'a Entry> {
    let (last, parents) = keys.split_last()?;
    let mut n = &sc?.value;
    for k in parents {
        n = n.get(k)?;
    }
    n.get_entry(last)
}

/// The items of a list field; `Err` when it is set to something other than a list.
pub fn api_list(e: Option<&Entry>) -> Result<&[Node], String> {
    match e {
        None => Ok(&[]),
        Some(e) if e.value.is_null() => Ok(&[]),
        Some(e) => e.value.as_seq().ok_or_else(|| {
            format!(
                "`{}` must be a list, found {}: the API server rejects the object",
                e.key_str(),
                e.value.describe()
            )
        }),
    }
}

/// The label prefix of Pod Security Admission's namespace labels.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// The three label modes: `enforce` rejects, `audit` and `warn` only report.
pub const MODES: &[&str] = &["enforce", "audit", "warn"];

/// What a scanned `Namespace` asks of its pods (valid labels only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespacePolicy {
    /// `enforce` (with `enforce-version`, default `latest`).
    pub enforce: Option<(Level, PssVersion)>,
    /// `audit` and `warn`: reported, never failing.
    pub report_only: Vec<(&'static str, Level, PssVersion)>,
}

/// A label problem of a Namespace: where, and what.
pub struct LabelProblem {
    pub span: Span,
    pub message: String,
}

/// Reads the PSA labels of a `Namespace` object: its name, its policy, and the problems of
/// its labels (an unknown level or a malformed version leaves that mode out).
pub fn namespace_policy(obj: &Object<'_>) -> Option<(String, NamespacePolicy, Vec<LabelProblem>)> {
    if obj.kind() != "Namespace" {
        return None;
    }
    let meta = obj.node.get("metadata")?;
    let name = meta.get("name").and_then(Node::as_str)?.to_string();
    let labels = meta.get("labels")?;
    let mut policy = NamespacePolicy::default();
    let mut problems = Vec::new();
    for mode in MODES {
        let level_e = labels.get_entry(&format!("{LABEL_PREFIX}{mode}"));
        let version_e = labels.get_entry(&format!("{LABEL_PREFIX}{mode}-version"));
        let version = match version_e {
            None => Some(PssVersion::Latest),
            Some(e) => match e.value.as_str().map(PssVersion::parse) {
                Some(Ok(v)) => Some(v),
                Some(Err(m)) => {
                    problems.push(LabelProblem {
                        span: e.span(),
                        message: m,
                    });
                    None
                }
                None => {
                    problems.push(LabelProblem {
                        span: e.span(),
                        message: format!(
                            "label {} must be a string, found {}: the API server rejects the object",
                            e.key_str(),
                            e.value.describe()
                        ),
                    });
                    None
                }
            },
        };
        let Some(e) = level_e else { continue };
        let level = match e.value.as_str().map(Level::parse) {
            Some(Some(l)) => l,
            _ => {
                problems.push(LabelProblem {
                    span: e.span(),
                    message: format!(
                        "invalid Pod Security Standards level {} in label {}: expected \
                         privileged, baseline or restricted",
                        e.value.describe(),
                        e.key_str()
                    ),
                });
                continue;
            }
        };
        let Some(version) = version else { continue };
        if *mode == "enforce" {
            policy.enforce = Some((level, version));
        } else {
            policy.report_only.push((mode, level, version));
        }
    }
    Some((name, policy, problems))
}

/// Drops a PSS finding when a finding of another (original) rule reports the same field at the
/// same place: the original rule wins (its id is already tracked by code scanning).
pub fn drop_duplicates(findings: &mut Vec<Finding>) {
    let originals: Vec<(Span, Option<crate::finding::FieldPath>)> = findings
        .iter()
        .filter(|f| !f.rule.starts_with("PSS_"))
        .map(|f| (f.span, f.field.clone()))
        .collect();
    if originals.is_empty() {
        return;
    }
    findings.retain(|f| {
        !f.rule.starts_with("PSS_")
            || !originals
                .iter()
                .any(|(s, field)| *s == f.span && field.is_some() && *field == f.field)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_psa_parses_them() {
        assert_eq!(PssVersion::parse("latest"), Ok(PssVersion::Latest));
        assert_eq!(PssVersion::parse("v1.25"), Ok(PssVersion::Minor(25)));
        assert_eq!(PssVersion::parse("v1.0"), Ok(PssVersion::Minor(0)));
        for bad in [
            "1.25", "v1.025", "v2.1", "v1.", "v1.x", "Latest", "", "v1.25.0",
        ] {
            assert!(PssVersion::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PssVersion::Minor(99).resolve(), NEWEST);
        assert!(PssVersion::Minor(99).is_future());
        assert_eq!(PssVersion::Latest.resolve(), NEWEST);
    }

    #[test]
    fn every_control_has_a_history_starting_at_its_version() {
        for c in CONTROLS {
            assert_eq!(c.history.first().map(|h| h.0), Some(c.since), "{}", c.rule);
            assert!(c.since <= NEWEST);
        }
    }

    #[test]
    fn profiles_nest() {
        for c in CONTROLS {
            if in_profile(c.rule, Level::Baseline) {
                assert!(
                    in_profile(c.rule, Level::Restricted) || BASELINE_ONLY.contains(&c.rule),
                    "{}",
                    c.rule
                );
            }
        }
        assert!(!in_profile(
            "CUSTOM_SECURITY_PRIVILEGED_CHECK",
            Level::Restricted
        ));
    }
}
