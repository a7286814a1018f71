use std::collections::BTreeMap;

use super::{Cx, NoParams};
use crate::finding::Finding;
use crate::model::pod::{pod_spec_path, Container, PodSpec};
use crate::model::{Entry, Node, Span};

declare_rule! {
    /// ## What it does
    /// Reports objects that the Kubernetes API server rejects, judged by its own validation of
    /// the fields the other rules read:
    /// - a workload without a pod spec where its kind keeps one (a Deployment without
    ///   `spec.template.spec`), `containers` written at the wrong level (`spec.containers` in a
    ///   Deployment), and a pod spec whose `containers` is missing, `null` or empty;
    /// - a container without a name, with a name that is not a DNS label, or with the name of
    ///   another container of the pod (init, regular and ephemeral containers share names);
    /// - `allowPrivilegeEscalation: false` together with `privileged: true`, or with
    ///   `CAP_SYS_ADMIN` in `capabilities.add`;
    /// - `runAsUser`, `runAsGroup`, `fsGroup` and `supplementalGroups` outside 0..2147483647;
    /// - a `procMount` other than `Default` or `Unmasked`, and `Unmasked` in a pod that does not
    ///   set `hostUsers: false`;
    /// - an `imagePullPolicy` other than `Always`, `IfNotPresent` or `Never`;
    /// - a workload kind written in the wrong case (`kind: deployment`): kinds are
    ///   case-sensitive;
    /// - `ephemeralContainers` in a manifest (they cannot be set when a Pod is created, nor in a
    ///   pod template).
    ///
    /// ## Why is this bad?
    /// A rejected object never runs, so the verdicts of the other rules about it are moot, and
    /// what was meant to run is missing from the cluster. Worse, the manifest says something it
    /// cannot mean: `allowPrivilegeEscalation: false` on a privileged container reads like
    /// protection, but a privileged container can always escalate. A scanner that stays silent
    /// about such objects (no containers, so nothing to check) gives a clean report for a
    /// manifest that cannot be applied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:            # belongs under spec.template.spec
    ///     - name: web
    ///       image: nginx
    ///       securityContext:
    ///         privileged: true
    ///         allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix
    /// Write the object the way the API defines it: the pod template under `spec.template`,
    /// at least one container, unique DNS-label names, IDs in range, and no
    /// `allowPrivilegeEscalation: false` on a container that is privileged or adds
    /// `CAP_SYS_ADMIN` (drop the privilege instead):
    /// ```yaml
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: nginx
    ///           securityContext:
    ///             allowPrivilegeEscalation: false
    /// ```
    pub struct InvalidObject(NoParams) {
        id: "CLUSTERSEC_INVALID_OBJECT",
        name: "invalid-object",
        severity: High,
        enabled: true,
        summary: "Objects pass the Kubernetes API server's validation",
        tags: ["correctness", "kubernetes"],
    }
}

/// The largest user or group ID the API server accepts (`math.MaxInt32`).
pub const MAX_ID: i64 = 2_147_483_647;

/// The `procMount` values the API server accepts.
const PROC_MOUNTS: &[&str] = &["Default", "Unmasked"];

/// The `imagePullPolicy` values the API server accepts.
const PULL_POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];

/// The kinds with a pod spec (see [`pod_spec_path`]).
const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
];

/// Whether an integer is a valid user or group ID for the API server.
pub fn valid_id(id: i64) -> bool {
    (0..=MAX_ID).contains(&id)
}

/// Kubernetes' DNS-1123 label: at most 63 lower-case alphanumerics or `-`, starting and ending
/// with an alphanumeric.
fn is_dns_label(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| ok(c) || c == '-')
        && s.chars().next().is_some_and(ok)
        && s.chars().last().is_some_and(ok)
}

impl InvalidObject {
    fn run(&self, cx: &mut Cx<'_>) {
        self.kind_case(cx);
        self.pod_spec_shape(cx);
        let Some(pod) = cx.pod else { return };
        let mut out = Vec::new();
        self.containers(pod, cx, &mut out);
        self.ephemeral(pod, cx, &mut out);
        self.pod_ids(pod, &mut out);
        for c in &pod.containers {
            self.container(pod, c, &mut out);
        }
        for f in out {
            cx.report(f);
        }
    }

    /// A workload kind written in the wrong case (`kind: deployment`): kinds are case-sensitive,
    /// so kubectl finds no such kind and rejects the object, and no rule looks at its pod spec.
    fn kind_case(&self, cx: &mut Cx<'_>) {
        let kind = cx.object.kind();
        if pod_spec_path(kind).is_some() || !builtin_workload_group(&cx.object.id.api_version) {
            return;
        }
        let Some(right) = WORKLOAD_KINDS
            .iter()
            .find(|k| k.eq_ignore_ascii_case(kind.trim()))
        else {
            return;
        };
        let f = crate::finding::Finding::new(
            Self::ID,
            cx.object.kind_span(),
            format!(
                "kind {kind:?} is not a Kubernetes kind: kinds are case-sensitive, so kubectl \
                     and the API server reject the object; write {right}"
            ),
        )
        .field(cx.object.path("kind"));
        cx.report(f);
    }

    /// A workload kind without its pod spec, and `containers` written at a level of the path
    /// above it.
    fn pod_spec_shape(&self, cx: &mut Cx<'_>) {
        let obj = cx.object;
        // A custom resource may share a workload's kind (Volcano's `Job`) with a shape of its
        // own: only the built-in API groups define where the pod spec sits.
        if !builtin_workload_group(&obj.id.api_version) {
            return;
        }
        let Some(path) = pod_spec_path(obj.kind()) else {
            return;
        };
        let mut node = obj.node;
        let mut walked = String::new();
        let mut misplaced = Vec::new();
        let mut missing: Option<(Span, String)> = None;
        for key in path {
            if let Some(e) = node.get_entry("containers") {
                misplaced.push((e, walked.clone()));
            }
            let anchor = if walked.is_empty() {
                obj.kind_span()
            } else {
                // The key of the last mapping walked: where the missing key belongs.
                last_key_span(obj.node, &walked).unwrap_or_else(|| obj.kind_span())
            };
            let next = if walked.is_empty() {
                (*key).to_string()
            } else {
                format!("{walked}.{key}")
            };
            match node.get_entry(key) {
                Some(e) if e.value.is_map() => {
                    node = &e.value;
                    walked = next;
                }
                Some(e) if e.value.is_null() => {
                    missing = Some((e.span(), next));
                    break;
                }
                // Not a mapping: CLUSTERSEC_WRONG_TYPE reports it.
                Some(_) => return,
                None => {
                    missing = Some((anchor, next));
                    break;
                }
            }
        }
        let full = path.join(".");
        for (e, at) in &misplaced {
            let at_path = if at.is_empty() {
                "containers".to_string()
            } else {
                format!("{at}.containers")
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                e.key.span,
                format!(
                    "`containers` sits at {at_path}, where a {} has no such field: it reads \
                         its containers from {full}.containers, so these never run, and the API \
                         server rejects the unknown field (kubectl validates strictly by default)",
                    obj.kind()
                ),
            )
            .field(obj.path(&at_path));
            cx.report(f);
        }
        if let Some((span, at)) = missing {
            let f = crate::finding::Finding::new(
                Self::ID,
                span,
                format!(
                    "this {kind} has no pod spec at {full} ({at} is missing or null): the API \
                         server rejects it, since a {kind} needs one with at least one container",
                    kind = obj.kind()
                ),
            )
            .field(obj.path(&at));
            cx.report(f);
        }
    }

    /// `containers` missing, null or empty; container names missing, invalid or repeated.
    fn containers(&self, pod: &PodSpec<'_>, cx: &Cx<'_>, out: &mut Vec<Finding>) {
        let regular = pod.node.get_entry("containers");
        let spec_path = pod
            .path
            .strip_prefix(cx.object.path_prefix.as_str())
            .unwrap_or(&pod.path);
        let field = pod.field_path("containers");
        match regular {
            None => out.push(
                crate::finding::Finding::new(
                    Self::ID,
                    last_key_span(cx.object.node, spec_path)
                        .unwrap_or_else(|| cx.object.kind_span()),
                    format!(
                        "the pod spec at {} has no `containers`: the API server rejects a pod \
                         without containers",
                        pod.path
                    ),
                )
                .field(field),
            ),
            Some(e) if e.value.is_null() || e.value.as_seq().is_some_and(<[Node]>::is_empty) => out
                .push(
                    crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "`containers` is {}: the API server rejects a pod without containers",
                            if e.value.is_null() { "null" } else { "empty" }
                        ),
                    )
                    .field(field),
                ),
            // Other shapes are CLUSTERSEC_WRONG_TYPE's.
            Some(_) => {}
        }
        let mut seen: BTreeMap<&str, &Container<'_>> = BTreeMap::new();
        for c in &pod.containers {
            let name_entry = c.field("name");
            let name = name_entry.and_then(|e| e.value.as_str()).unwrap_or("");
            if name.is_empty() {
                // A non-string name is CLUSTERSEC_WRONG_TYPE's... unless it is simply absent.
                if name_entry.is_none_or(|e| e.value.is_null() || e.value.as_str() == Some("")) {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            name_entry.map_or_else(|| c.first_line(), Entry::span),
                            format!(
                                "{} has no name: the API server requires every container to \
                                 have one",
                                c.describe()
                            ),
                        )
                        .field(c.field_path("name")),
                    );
                }
                continue;
            }
            let Some(e) = name_entry else { continue };
            if !is_dns_label(name) {
                out.push(
                    crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "{} has a name the API server rejects: it must be a DNS label (at \
                             most 63 lower-case letters, digits and `-`, starting and ending with \
                             a letter or digit)",
                            c.describe()
                        ),
                    )
                    .container(name)
                    .field(c.field_path("name")),
                );
            }
            match seen.get(name) {
                Some(first) => out.push(
                    crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "{} has the same name as {} (line {}): the API server rejects \
                             duplicate names across init, regular and ephemeral containers",
                            c.describe(),
                            first.describe(),
                            first.first_line().start.line
                        ),
                    )
                    .container(name)
                    .field(c.field_path("name"))
                    .related(
                        first.first_line(),
                        format!("the first {}", first.describe()),
                    ),
                ),
                None => {
                    seen.insert(name, c);
                }
            }
        }
    }

    /// Ephemeral containers written into a manifest: the API server only adds them to a running
    /// pod (through the `ephemeralcontainers` subresource).
    fn ephemeral(&self, pod: &PodSpec<'_>, cx: &Cx<'_>, out: &mut Vec<Finding>) {
        let kind = cx.object.kind();
        if pod_spec_path(kind).is_none() {
            return;
        }
        let Some(e) = pod.node.get_entry("ephemeralContainers") else {
            return;
        };
        if e.value.as_seq().is_none_or(<[Node]>::is_empty) {
            return;
        }
        let why = if kind == "Pod" {
            "cannot be set when a Pod is created"
        } else {
            "are not allowed in a pod template"
        };
        out.push(
            crate::finding::Finding::new(
                Self::ID,
                e.key.span,
                format!(
                    "ephemeral containers {why}: the API server rejects the {kind} (they are \
                     added to a running pod with `kubectl debug`)"
                ),
            )
            .field(pod.field_path("ephemeralContainers")),
        );
    }

    /// Pod-level IDs out of range.
    fn pod_ids(&self, pod: &PodSpec<'_>, out: &mut Vec<Finding>) {
        for field in ["runAsUser", "runAsGroup", "fsGroup"] {
            if let Some(e) = pod.pod_level(field) {
                if let Some(id) = e.value.as_api_int().filter(|id| !valid_id(*id)) {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            e.span(),
                            id_message(&format!("{}.securityContext", pod.path), field, id),
                        )
                        .field(pod.field_path(&format!("securityContext.{field}"))),
                    );
                }
            }
        }
        if let Some(groups) = pod
            .pod_level("supplementalGroups")
            .and_then(|e| e.value.as_seq())
        {
            for (i, g) in groups.iter().enumerate() {
                if let Some(id) = g.as_api_int().filter(|id| !valid_id(*id)) {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            g.span,
                            id_message(
                                &format!("{}.securityContext", pod.path),
                                "supplementalGroups",
                                id,
                            ),
                        )
                        .field(pod.field_path(&format!("securityContext.supplementalGroups[{i}]"))),
                    );
                }
            }
        }
    }

    /// One container's securityContext and imagePullPolicy.
    fn container(&self, pod: &PodSpec<'_>, c: &Container<'_>, out: &mut Vec<Finding>) {
        let sc_path = |f: &str| c.field_path(&format!("securityContext.{f}"));
        for field in ["runAsUser", "runAsGroup"] {
            if let Some(e) = c.own(field) {
                if let Some(id) = e.value.as_api_int().filter(|id| !valid_id(*id)) {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            e.span(),
                            id_message(&c.describe(), field, id),
                        )
                        .container(c.name.clone())
                        .field(sc_path(field)),
                    );
                }
            }
        }
        if let Some(ape) = c
            .own("allowPrivilegeEscalation")
            .filter(|e| e.value.as_bool() == Some(false))
        {
            if let Some(p) = c
                .own("privileged")
                .filter(|e| e.value.as_bool() == Some(true))
            {
                out.push(
                    crate::finding::Finding::new(
                        Self::ID,
                        ape.span(),
                        format!(
                            "{} sets allowPrivilegeEscalation to false and privileged to true: \
                             the API server rejects this, since a privileged container can \
                             always escalate",
                            c.describe()
                        ),
                    )
                    .container(c.name.clone())
                    .field(sc_path("allowPrivilegeEscalation"))
                    .related(p.span(), "privileged: true"),
                );
            }
            for cap in c.added_capabilities() {
                if cap.as_str() == Some("CAP_SYS_ADMIN") {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            ape.span(),
                            format!(
                                "{} sets allowPrivilegeEscalation to false and adds \
                                 CAP_SYS_ADMIN: the API server rejects this, since a container \
                                 with CAP_SYS_ADMIN can always escalate",
                                c.describe()
                            ),
                        )
                        .container(c.name.clone())
                        .field(sc_path("allowPrivilegeEscalation"))
                        .related(cap.span, "CAP_SYS_ADMIN added here"),
                    );
                }
            }
        }
        if let Some(e) = c.own("procMount") {
            match e.value.as_str() {
                Some(v) if !PROC_MOUNTS.contains(&v) => out.push(
                    crate::finding::Finding::new(
                        Self::ID,
                        e.span(),
                        format!(
                            "{} sets procMount to {}: the API server accepts only Default or \
                             Unmasked",
                            c.describe(),
                            e.value.describe()
                        ),
                    )
                    .container(c.name.clone())
                    .field(sc_path("procMount")),
                ),
                Some("Unmasked")
                    if pod.node.get("hostUsers").and_then(Node::as_bool) != Some(false) =>
                {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            e.span(),
                            format!(
                                "{} sets procMount to Unmasked in a pod that does not set \
                                 hostUsers to false: the API server rejects it (an unmasked \
                                 /proc needs the pod's own user namespace)",
                                c.describe()
                            ),
                        )
                        .container(c.name.clone())
                        .field(sc_path("procMount")),
                    )
                }
                _ => {}
            }
        }
        if let Some(e) = c.field("imagePullPolicy") {
            if let Some(v) = e.value.as_str() {
                if !v.is_empty() && !PULL_POLICIES.contains(&v) {
                    out.push(
                        crate::finding::Finding::new(
                            Self::ID,
                            e.span(),
                            format!(
                                "{} sets imagePullPolicy to {}: the API server accepts only \
                                 Always, IfNotPresent or Never",
                                c.describe(),
                                e.value.describe()
                            ),
                        )
                        .container(c.name.clone())
                        .field(c.field_path("imagePullPolicy")),
                    );
                }
            }
        }
    }
}

/// `<who> sets runAsUser to 4294967296: ...`.
fn id_message(who: &str, field: &str, id: i64) -> String {
    let set = if field == "supplementalGroups" {
        format!("{who} lists {id} in supplementalGroups")
    } else {
        format!("{who} sets {field} to {id}")
    };
    format!("{set}: the API server accepts only IDs from 0 to {MAX_ID}, and rejects the object")
}

/// The key span of the entry at a dotted path of mapping keys (no list indexes), e.g.
/// `spec.template.spec`.
fn last_key_span(root: &Node, dotted: &str) -> Option<Span> {
    let mut node = root;
    let mut span = None;
    for key in dotted.split('.') {
        let e = node.get_entry(key)?;
        span = Some(e.key.span);
        node = &e.value;
    }
    span
}

/// Whether an apiVersion belongs to the built-in groups that define the workload kinds (the core
/// group `v1`, `apps`, `extensions`, `batch`), whose pod spec location the API server validates.
fn builtin_workload_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    matches!(group, "" | "apps" | "extensions" | "batch")
}
