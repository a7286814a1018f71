use super::{Cx, NoParams};
use crate::model::Node;

declare_rule! {
    /// ## What it does
    /// Reports a `hostPath` volume that exposes a container runtime's socket: Docker
    /// (`/var/run/docker.sock`), containerd (`/run/containerd/containerd.sock`, k3s's
    /// `/run/k3s/containerd/containerd.sock`), CRI-O (`/var/run/crio/crio.sock`), cri-dockerd,
    /// dockershim and Podman, under `/run` or `/var/run`, or a directory that contains one
    /// (`/var/run`, `/run/containerd`, `/`).
    ///
    /// ## Why is this bad?
    /// Whoever can talk to the runtime can start a privileged container with the host's
    /// filesystem mounted: the socket is root on the node, whatever the pod's securityContext
    /// says.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    ///   - name: docker
    ///     hostPath:
    ///       path: /var/run/docker.sock
    /// ```
    ///
    /// ## Fix
    /// Remove the volume. Build images with a daemonless builder (BuildKit rootless, kaniko,
    /// buildah), and read container metadata from the Kubernetes API instead of the runtime.
    pub struct RuntimeSocket(NoParams) {
        id: "CLUSTERSEC_RUNTIME_SOCKET",
        name: "runtime-socket",
        severity: Critical,
        enabled: true,
        summary: "No container runtime socket is mounted through hostPath",
        tags: ["security", "kubernetes", "host"],
    }
}

/// Container runtime sockets, at their usual places.
const SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
    "/run/dockershim.sock",
    "/var/run/podman/podman.sock",
    "/run/podman/podman.sock",
];

/// `//var/run/./docker.sock/` -> `/var/run/docker.sock`; `..` is resolved lexically.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The socket a host path exposes: itself, or one inside it.
fn exposed_socket(path: &str) -> Option<&'static str> {
    let p = normalize(path);
    SOCKETS.iter().copied().find(|s| {
        *s == p
            || (p == "/")
            || s.strip_prefix(p.as_str())
                .is_some_and(|r| r.starts_with('/'))
    })
}

impl RuntimeSocket {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for (i, vol) in pod.volumes().iter().enumerate() {
            let Some(entry) = vol.get("hostPath").and_then(|h| h.get_entry("path")) else {
                continue;
            };
            let Some(path) = entry.value.as_str() else {
                continue;
            };
            if !path.starts_with('/') {
                continue;
            }
            let Some(socket) = exposed_socket(path) else {
                continue;
            };
            let name = vol.get("name").and_then(Node::text).unwrap_or("");
            let what = if normalize(path) == socket {
                format!("the container runtime socket {socket}")
            } else {
                format!("a directory that holds the container runtime socket {socket}")
            };
            let f = crate::finding::Finding::new(
                Self::ID,
                entry.span(),
                format!(
                    "volume {name:?} mounts {what} from the host: talking to the runtime is \
                         root on the node"
                ),
            )
            .field(pod.field_path(&format!("volumes[{i}].hostPath.path")));
            cx.report(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_and_their_directories() {
        assert_eq!(
            exposed_socket("/var/run/docker.sock"),
            Some("/var/run/docker.sock")
        );
        assert_eq!(
            exposed_socket("//var/run//docker.sock/"),
            Some("/var/run/docker.sock")
        );
        assert_eq!(exposed_socket("/var/run"), Some("/var/run/docker.sock"));
        assert_eq!(exposed_socket("/"), Some("/var/run/docker.sock"));
        assert!(exposed_socket("/run/containerd").is_some());
        assert!(exposed_socket("/var/log").is_none());
        assert!(exposed_socket("/var/run/docker").is_none());
        assert!(exposed_socket("/var/run/secrets/x/../../docker.sock").is_some());
    }
}
