use super::{Cx, NoParams};
use crate::model::Node;

declare_rule! {
    /// ## What it does
    /// Reports an environment variable whose name says it holds a secret (`*PASSWORD*`,
    /// `*PASSWD*`, `*SECRET*`, `*TOKEN*`, `*CREDENTIAL*`, `*API_KEY*`, `*APIKEY*`,
    /// `*PRIVATE_KEY*`, `*ACCESS_KEY*`, `*_KEY`) and that is given a literal `value:` in the
    /// manifest, in every container (regular, init and ephemeral). Names that point at a secret
    /// rather than hold one (`*_FILE`, `*_PATH`, `*_DIR`, `*_NAME`, `*_REF`), empty values,
    /// `$(VAR)` references, numbers and booleans (`TOKEN_TTL: "3600"`) pass. The message never
    /// repeats the value.
    ///
    /// ## Why is this bad?
    /// The value is in the repository, in every clone and fork, in the CI logs that print the
    /// manifest, and readable by anyone who can `get` the workload, where a Secret has its own
    /// RBAC.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     value: hunter2
    /// ```
    ///
    /// ## Fix
    /// Keep the value in a Secret and reference it:
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     valueFrom:
    ///       secretKeyRef: {name: db, key: password}
    /// ```
    pub struct SecretInEnv(NoParams) {
        id: "CLUSTERSEC_SECRET_ENV",
        name: "secret-in-env",
        severity: Low,
        enabled: true,
        summary: "Secrets are not written as plain env values",
        tags: ["security", "kubernetes", "secrets"],
    }
}

/// Whether an env variable name says it holds a secret.
pub(crate) fn secret_like(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    if ["_FILE", "_PATH", "_DIR", "_NAME", "_REF"]
        .iter()
        .any(|s| n.ends_with(s))
    {
        return false;
    }
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "CREDENTIAL",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n.ends_with("_KEY")
}

/// Whether a literal value is harmless: empty, a `$(VAR)` reference, a number or a boolean.
fn harmless(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || (v.starts_with("$(") && v.ends_with(')'))
        || v.bytes().all(|b| b.is_ascii_digit())
        || v.eq_ignore_ascii_case("true")
        || v.eq_ignore_ascii_case("false")
}

impl SecretInEnv {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        for c in &pod.containers {
            let Some(env) = c.field("env").and_then(|e| e.value.as_seq()) else {
                continue;
            };
            for (i, var) in env.iter().enumerate() {
                let Some(name) = var.get("name").and_then(Node::as_str) else {
                    continue;
                };
                let Some(value) = var.get_entry("value") else {
                    continue;
                };
                let Some(text) = value.value.text() else {
                    continue;
                };
                if value.value.is_null() || harmless(text) || !secret_like(name) {
                    continue;
                }
                let f = crate::finding::Finding::new(
                    Self::ID,
                    value.span(),
                    format!(
                        "{} sets env {name:?} to a literal value in the manifest: a secret \
                             there is readable by everyone with the repository; use \
                             valueFrom.secretKeyRef",
                        c.describe()
                    ),
                )
                .container(c.name.clone())
                .field(c.field_path(&format!("env[{i}].value")));
                cx.report(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "api-key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_KEY",
        ] {
            assert!(secret_like(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "HOME",
            "TOKEN_PATH",
            "KEYCLOAK_URL",
            "PWD",
            "SECRET_NAME",
        ] {
            assert!(!secret_like(n), "{n}");
        }
    }
}
