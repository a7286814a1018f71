//! Pod-spec views: where an object keeps its pod spec, its containers of every kind, and the
//! effective securityContext of each container.

use super::object::Object;
use super::yaml::{Entry, Node, Span};

/// Fields that Kubernetes reads from the container's securityContext, else the pod's.
pub const INHERITED_FIELDS: &[&str] = &[
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seLinuxOptions",
    "seccompProfile",
    "appArmorProfile",
    "windowsOptions",
];

/// Fields that exist only in a container's securityContext.
pub const CONTAINER_ONLY_FIELDS: &[&str] = &[
    "allowPrivilegeEscalation",
    "privileged",
    "readOnlyRootFilesystem",
    "procMount",
    "capabilities",
];

/// Where each kind keeps its pod spec (path of keys from the object root).
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "PodTemplate" => &["template", "spec"],
        _ => return None,
    })
}

/// A problem with the shape of a pod spec that the rules could not look past.
#[derive(Debug, Clone)]
pub struct ShapeError {
    pub span: Span,
    pub path: String,
    pub message: String,
}

/// The pod spec of a workload object.
#[derive(Debug)]
pub struct PodSpec<'a> {
    pub node: &'a Node,
    /// Field path of the pod spec inside the object, e.g. `spec.template.spec`.
    pub path: String,
    /// The pod-level `securityContext` entry, when it is there.
    pub security_context: Option<&'a Entry>,
    pub containers: Vec<Container<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// One container of any kind.
#[derive(Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub kind: ContainerKind,
    pub index: usize,
    pub name: String,
    /// Field path of the container, e.g. `spec.template.spec.containers[1]`.
    pub path: String,
    /// The container's `securityContext` entry, when it is there.
    pub security_context: Option<&'a Entry>,
}

impl<'a> Container<'a> {
    /// `container "web"` or `init container "setup"`.
    pub fn describe(&self) -> String {
        if self.name.is_empty() {
            format!("{} #{}", self.kind.noun(), self.index + 1)
        } else {
            format!("{} \"{}\"", self.kind.noun(), self.name)
        }
    }

    /// The span to point at when a field is missing from this container: its `securityContext:`
    /// key, else its first line (`- name: ...`).
    pub fn missing_anchor(&self) -> Span {
        if let Some(sc) = self.security_context {
            return sc.key.span;
        }
        self.first_line()
    }

    /// Where to point when `field` of the container's securityContext is unset: the field's own
    /// entry when it is written with a null value (`privileged: ~`), else [`Self::missing_anchor`].
    pub fn null_or_missing_anchor(&self, field: &str) -> Span {
        match self.own(field) {
            Some(e) if e.value.is_null() => e.span(),
            _ => self.missing_anchor(),
        }
    }

    /// The container's first entry (`name: web`), or its whole node.
    pub fn first_line(&self) -> Span {
        self.node
            .entries()
            .and_then(|e| e.first())
            .map_or(self.node.span, |e| {
                if e.value.span.start.line == e.key.span.start.line {
                    e.span()
                } else {
                    e.key.span
                }
            })
    }

    /// A field of the container's own securityContext.
    pub fn own(&self, field: &str) -> Option<&'a Entry> {
        self.security_context?.value.get_entry(field)
    }

    /// The items of `securityContext.capabilities.add` (any node; names are checked by callers).
    pub fn added_capabilities(&self) -> &'a [Node] {
        self.own("capabilities")
            .and_then(|e| e.value.get("add"))
            .and_then(Node::as_seq)
            .unwrap_or(&[])
    }

    /// Whether the container adds CAP_SYS_ADMIN, however written: `SYS_ADMIN` or
    /// `CAP_SYS_ADMIN` in any case (container runtimes upper-case the name and add the `CAP_`
    /// prefix), or `ALL`. Returns the item that adds it.
    pub fn adds_sys_admin(&self) -> Option<&'a Node> {
        self.added_capabilities().iter().find(|n| {
            n.as_str().is_some_and(|s| {
                let up = s.trim().to_ascii_uppercase();
                let name = up.strip_prefix("CAP_").unwrap_or(&up);
                name == "SYS_ADMIN" || name == "ALL"
            })
        })
    }

    /// A field of the container itself (e.g. `imagePullPolicy`).
    pub fn field(&self, field: &str) -> Option<&'a Entry> {
        self.node.get_entry(field)
    }

    pub fn field_path(&self, rest: &str) -> String {
        format!("{}.{}", self.path, rest)
    }
}

/// Where a securityContext setting came from.
#[derive(Debug, Clone, Copy)]
pub enum Setting<'a> {
    /// Set on the container.
    Container(&'a Entry),
    /// Not on the container; inherited from the pod's securityContext.
    Pod(&'a Entry),
    /// Set nowhere; the span is where the user should add it.
    Missing(Span),
}

impl<'a> Setting<'a> {
    pub fn entry(&self) -> Option<&'a Entry> {
        match self {
            Setting::Container(e) | Setting::Pod(e) => Some(e),
            Setting::Missing(_) => None,
        }
    }

    pub fn value(&self) -> Option<&'a Node> {
        self.entry().map(|e| &e.value)
    }
}

impl<'a> PodSpec<'a> {
    /// The pod spec of an object, if its kind has one (or it has `spec.template.spec.containers`,
    /// like Argo Rollouts and OpenShift DeploymentConfigs). Shape problems are pushed to `errors`.
    pub fn of(obj: &Object<'a>, errors: &mut Vec<ShapeError>) -> Option<PodSpec<'a>> {
        let root = obj.node;
        let path: &[&str] = match pod_spec_path(obj.kind()) {
            Some(p) => p,
            None => {
                let generic = ["spec", "template", "spec"];
                let mut n = root;
                for k in generic {
                    n = n.get(k)?;
                }
                n.get("containers")?;
                &["spec", "template", "spec"]
            }
        };
        let mut node = root;
        let mut walked = String::new();
        for key in path {
            let entry = node.get_entry(key)?;
            if !walked.is_empty() {
                walked.push('.');
            }
            walked.push_str(key);
            if entry.value.is_null() {
                return None;
            }
            if !entry.value.is_map() {
                errors.push(ShapeError {
                    span: entry.span(),
                    path: obj.path(&walked),
                    message: format!(
                        "`{walked}` must be a mapping, found {}",
                        entry.value.type_name()
                    ),
                });
                return None;
            }
            node = &entry.value;
        }
        let path = obj.path(&walked);
        let security_context = section(node, "securityContext", &path, errors);
        let mut containers = Vec::new();
        for kind in [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ] {
            let Some(entry) = node.get_entry(kind.field()) else {
                continue;
            };
            let list_path = format!("{path}.{}", kind.field());
            let items = match &entry.value.kind {
                super::yaml::Kind::Seq(items) => items,
                _ if entry.value.is_null() => continue,
                _ => {
                    errors.push(ShapeError {
                        span: entry.span(),
                        path: list_path,
                        message: format!(
                            "`{}` must be a list of containers, found {}",
                            kind.field(),
                            entry.value.type_name()
                        ),
                    });
                    continue;
                }
            };
            for (index, c) in items.iter().enumerate() {
                let cpath = format!("{list_path}[{index}]");
                if !c.is_map() {
                    errors.push(ShapeError {
                        span: c.span,
                        path: cpath,
                        message: format!(
                            "a {} must be a mapping, found {}",
                            kind.noun(),
                            c.type_name()
                        ),
                    });
                    continue;
                }
                let security_context = section(c, "securityContext", &cpath, errors);
                containers.push(Container {
                    node: c,
                    kind,
                    index,
                    name: c.get("name").and_then(Node::text).unwrap_or("").to_string(),
                    path: cpath,
                    security_context,
                });
            }
        }
        Some(PodSpec {
            node,
            path,
            security_context,
            containers,
        })
    }

    /// A field of the pod-level securityContext.
    pub fn pod_level(&self, field: &str) -> Option<&'a Entry> {
        self.security_context?.value.get_entry(field)
    }

    /// The effective value of an inherited field (see [`INHERITED_FIELDS`]) for a container.
    pub fn effective(&self, c: &Container<'a>, field: &str) -> Setting<'a> {
        if let Some(e) = c.own(field) {
            if !e.value.is_null() {
                return Setting::Container(e);
            }
        }
        if let Some(e) = self.pod_level(field) {
            if !e.value.is_null() {
                return Setting::Pod(e);
            }
        }
        Setting::Missing(c.null_or_missing_anchor(field))
    }

    /// A container-only field (see [`CONTAINER_ONLY_FIELDS`]): the container's own value, or
    /// where it is missing. A pod-level value is ignored by Kubernetes and never returned here.
    pub fn container_only(&self, c: &Container<'a>, field: &str) -> Setting<'a> {
        match c.own(field) {
            Some(e) if !e.value.is_null() => Setting::Container(e),
            _ => Setting::Missing(c.null_or_missing_anchor(field)),
        }
    }

    pub fn field_path(&self, rest: &str) -> String {
        format!("{}.{}", self.path, rest)
    }

    /// The spec's volumes.
    pub fn volumes(&self) -> &'a [Node] {
        self.node
            .get("volumes")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
    }
}

/// A `securityContext`-like mapping section; a non-mapping value is a shape error.
fn section<'a>(
    node: &'a Node,
    key: &str,
    path: &str,
    errors: &mut Vec<ShapeError>,
) -> Option<&'a Entry> {
    let e = node.get_entry(key)?;
    if e.value.is_map() || e.value.is_null() {
        return Some(e);
    }
    {
        errors.push(ShapeError {
            span: e.span(),
            path: format!("{path}.{key}"),
            message: format!("`{key}` must be a mapping, found {}", e.value.type_name()),
        });
    }
    None
}
