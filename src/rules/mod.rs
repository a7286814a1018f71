//! Rules: one file per rule, declared with [`declare_rule!`], listed once in
//! [`builtin_rules`]; a run's rules (built-ins and rules defined by data) are a [`Registry`].
//!
//! A rule is a pure function from an object view to findings. It never computes positions: the
//! model's getters give the span of a value, or of the deepest node on a missing field's path.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};
use crate::model::object::Object;
use crate::model::pod::{PodSpec, ShapeError};

/// The registry module, also reachable from here (`crate::rules::registry::data_meta`).
pub use crate::registry;
pub use crate::registry::id::RuleId;
pub use crate::registry::{DataRule, Group, Origin, Registry, Scope, Selection};

/// What every rule declares about itself. Owned, with static text where it is static (a
/// built-in rule's), so that rules defined by data at run time have the same metadata.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    /// Stable identifier; never changes once released (code scanning tracks alerts by it).
    pub id: RuleId,
    /// Short kebab-case name.
    pub name: Cow<'static, str>,
    pub severity: Severity,
    /// On unless the config turns it off.
    pub enabled: bool,
    /// One line.
    pub summary: Cow<'static, str>,
    /// Markdown with the sections `## What it does`, `## Why is this bad?`, `## Example`, `## Fix`.
    pub docs: Cow<'static, str>,
    pub tags: &'static [&'static str],
    /// The rule's source file (for the registry guard test); empty for a rule defined by data.
    pub source_file: &'static str,
    /// Built in, or loaded from a policy file.
    pub origin: Origin,
    /// What its findings are about, and who emits them.
    pub scope: Scope,
    /// Its family, for `select`/`ignore` (set by [`Registry::builtin`] for built-ins).
    pub group: Group,
    /// Other rules that report the same field (set by [`Registry::builtin`] from
    /// [`builtin_overlaps`]; where both run, `data::pss::drop_duplicates` keeps the original
    /// rule's finding at a place both report).
    pub overlaps: &'static [&'static str],
}

impl RuleMeta {
    /// The short name as a static string, for a built-in rule's.
    pub fn name_static(&self) -> Option<&'static str> {
        match self.name {
            Cow::Borrowed(s) => Some(s),
            Cow::Owned(_) => None,
        }
    }

    /// The docs with the one leading space of each `///` line removed.
    pub fn docs(&self) -> String {
        let mut out = String::new();
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    /// The text of one `## Heading` section of the docs.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.docs();
        let marker = format!("## {heading}");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    }

    /// Where the rule's help page lives: the reference page of a built-in rule; for a rule
    /// defined by data, its policy file's page is not known, so the rule reference's.
    pub fn help_uri(&self) -> String {
        match self.origin {
            Origin::BuiltIn => {
                format!("{}/blob/main/docs/rules/{}.md", crate::REPOSITORY, self.id)
            }
            // Rules of a policy file: the page on how policy files run.
            Origin::Policy { .. } => format!("{}/blob/main/docs/policy.md", crate::REPOSITORY),
        }
    }
}

/// A rule parameter that does not fit the rule's `Params`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// Dotted path inside the params mapping (`min`), empty for the mapping itself.
    pub path: String,
    pub message: String,
}

/// Deserializes a rule's params, keeping the path of the offending field.
pub fn parse_params<P: DeserializeOwned>(value: &serde_json::Value) -> Result<P, ParamError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ParamError {
            path: if path == "." { String::new() } else { path },
            message: e.into_inner().to_string(),
        }
    })
}

/// Params of a rule that takes none.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// What a rule sees of one object, and where its findings go.
pub struct Cx<'a> {
    pub object: &'a Object<'a>,
    /// The object's pod spec, for workload kinds.
    pub pod: Option<&'a PodSpec<'a>>,
    /// Problems with the shape of the pod spec met while building `pod`.
    pub shape_errors: &'a [ShapeError],
    /// The Kubernetes version the manifests are deployed to (`--kube-version`).
    pub kube_version: crate::kube_version::KubeVersion,
    /// The config's `openshift` switch: runAsUser/runAsGroup are assigned by the SCC.
    pub openshift: bool,
    /// Roles and ClusterRoles of the same file that grant `*` verbs on `*` resources.
    pub wildcard_roles: &'a [data::rbac::WildcardRole],
    /// The Pod Security Standards policy version the PSS rules apply (minor of `v1.N`).
    pub pss_version: u32,
    pub(crate) findings: Vec<Finding>,
}

impl<'a> Cx<'a> {
    pub fn new(
        object: &'a Object<'a>,
        pod: Option<&'a PodSpec<'a>>,
        shape_errors: &'a [ShapeError],
    ) -> Cx<'a> {
        Cx {
            object,
            pod,
            shape_errors,
            kube_version: crate::kube_version::KubeVersion::default(),
            openshift: false,
            wildcard_roles: &[],
            pss_version: data::pss::NEWEST,
            findings: Vec::new(),
        }
    }

    pub fn report(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }
}

/// A rule, as the engine uses it.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &RuleMeta;
    /// Applies parameters from the config file.
    fn configure(&mut self, params: &serde_json::Value) -> Result<(), ParamError>;
    /// The current parameters, as JSON (for docs and `clustersec rules`).
    fn params(&self) -> serde_json::Value;
    /// Checks one object.
    fn check(&self, cx: &mut Cx<'_>);
}

/// Declares a rule: its struct (holding its params), metadata and docs from the doc comment.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])+
        pub struct $name:ident($params:ty) {
            id: $id:literal,
            name: $short:literal,
            severity: $sev:ident,
            enabled: $enabled:literal,
            summary: $summary:literal,
            tags: [$($tag:literal),* $(,)?] $(,)?
        }
    ) => {
        #[derive(Default)]
        pub struct $name {
            pub params: $params,
        }

        impl $name {
            pub const ID: &'static str = $id;
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                id: $crate::rules::RuleId::from_static($id),
                name: ::std::borrow::Cow::Borrowed($short),
                severity: $crate::finding::Severity::$sev,
                enabled: $enabled,
                summary: ::std::borrow::Cow::Borrowed($summary),
                docs: ::std::borrow::Cow::Borrowed(concat!($($doc, "\n"),+)),
                tags: &[$($tag),*],
                source_file: file!(),
                // The registry's table sets these (see `Registry::builtin`).
                origin: $crate::rules::Origin::BuiltIn,
                scope: $crate::rules::Scope::Object,
                group: $crate::rules::Group::Seed,
                overlaps: &[],
            };
        }

        impl $crate::rules::Rule for $name {
            fn meta(&self) -> &$crate::rules::RuleMeta {
                static META: $crate::rules::RuleMeta = $name::META;
                &META
            }

            fn configure(
                &mut self,
                params: &serde_json::Value,
            ) -> Result<(), $crate::rules::ParamError> {
                self.params = $crate::rules::parse_params(params)?;
                Ok(())
            }

            fn params(&self) -> serde_json::Value {
                serde_json::to_value(&self.params).unwrap_or_default()
            }

            fn check(&self, cx: &mut $crate::rules::Cx<'_>) {
                self.run(cx)
            }
        }
    };
}

pub mod automount_token;
pub mod data;
pub mod deprecated_api;
pub mod deprecated_check;
pub mod duplicate_key;
pub mod filesystem_accessibility;
pub mod flex_volume_check;
pub mod groups_check;
pub mod image_digest;
pub mod image_pull;
pub mod image_tag;
pub mod invalid_object;
pub mod misplaced_field;
pub mod not_scanned;
pub mod privilege_check;
pub mod privileged_check;
pub mod proc_mount_check;
pub mod pss_apparmor;
pub mod pss_capabilities_baseline;
pub mod pss_capabilities_restricted;
pub mod pss_host_namespaces;
pub mod pss_host_path_volumes;
pub mod pss_host_ports;
pub mod pss_host_probes;
pub mod pss_host_process;
pub mod pss_namespace_labels;
pub mod pss_privilege_escalation;
pub mod pss_privileged;
pub mod pss_proc_mount;
pub mod pss_proc_mount_restricted;
pub mod pss_run_as_non_root;
pub mod pss_run_as_user;
pub mod pss_seccomp_baseline;
pub mod pss_seccomp_restricted;
pub mod pss_selinux;
pub mod pss_sysctls;
pub mod pss_volume_types;
pub mod rbac_broad_binding;
pub mod rbac_sensitive;
pub mod rbac_wildcard;
pub mod removed_api;
pub mod render;
pub mod resources;
pub mod runtime_socket;
pub mod secret_env;
pub mod stale_suppression;
pub(crate) mod support;
pub mod unrendered_branch;
pub mod user_check;
pub mod wrong_type;
pub mod yaml_syntax;

/// Every built-in rule, in the order of the reference docs. Adding a rule = its file, its
/// fixtures, one line here. [`Registry::builtin`] fills in each rule's group and scope.
pub(crate) fn builtin_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(user_check::RunAsUser::default()),
        Box::new(groups_check::RunAsGroup::default()),
        Box::new(privilege_check::AllowPrivilegeEscalation::default()),
        Box::new(filesystem_accessibility::ReadOnlyRootFilesystem::default()),
        Box::new(privileged_check::Privileged::default()),
        Box::new(image_pull::ImagePullPolicyAlways::default()),
        Box::new(deprecated_check::PodSecurityPolicy::default()),
        Box::new(flex_volume_check::FlexVolume::default()),
        Box::new(proc_mount_check::ProcMount::default()),
        Box::new(misplaced_field::MisplacedField::default()),
        Box::new(yaml_syntax::YamlSyntax::default()),
        Box::new(duplicate_key::DuplicateKey::default()),
        Box::new(wrong_type::WrongType::default()),
        Box::new(invalid_object::InvalidObject::default()),
        Box::new(not_scanned::NotScanned::default()),
        Box::new(render::Render::default()),
        Box::new(stale_suppression::StaleSuppression::default()),
        Box::new(unrendered_branch::UnrenderedBranch::default()),
        Box::new(removed_api::RemovedApiVersion::default()),
        Box::new(deprecated_api::DeprecatedApiVersion::default()),
        Box::new(image_tag::ImageTagLatest::default()),
        Box::new(image_digest::ImageDigest::default()),
        Box::new(runtime_socket::RuntimeSocket::default()),
        Box::new(automount_token::AutomountServiceAccountToken::default()),
        Box::new(resources::Resources::default()),
        Box::new(secret_env::SecretInEnv::default()),
        Box::new(rbac_broad_binding::RbacBroadBinding::default()),
        Box::new(rbac_wildcard::RbacWildcard::default()),
        Box::new(rbac_sensitive::RbacSensitivePermissions::default()),
        Box::new(pss_host_process::PssHostProcess::default()),
        Box::new(pss_host_namespaces::PssHostNamespaces::default()),
        Box::new(pss_privileged::PssPrivileged::default()),
        Box::new(pss_capabilities_baseline::PssCapabilitiesBaseline::default()),
        Box::new(pss_host_path_volumes::PssHostPathVolumes::default()),
        Box::new(pss_host_ports::PssHostPorts::default()),
        Box::new(pss_apparmor::PssApparmor::default()),
        Box::new(pss_selinux::PssSelinux::default()),
        Box::new(pss_proc_mount::PssProcMount::default()),
        Box::new(pss_seccomp_baseline::PssSeccompBaseline::default()),
        Box::new(pss_sysctls::PssSysctls::default()),
        Box::new(pss_host_probes::PssHostProbes::default()),
        Box::new(pss_volume_types::PssVolumeTypes::default()),
        Box::new(pss_privilege_escalation::PssPrivilegeEscalation::default()),
        Box::new(pss_run_as_non_root::PssRunAsNonRoot::default()),
        Box::new(pss_run_as_user::PssRunAsUser::default()),
        Box::new(pss_seccomp_restricted::PssSeccompRestricted::default()),
        Box::new(pss_capabilities_restricted::PssCapabilitiesRestricted::default()),
        Box::new(pss_proc_mount_restricted::PssProcMountRestricted::default()),
        Box::new(pss_namespace_labels::PssNamespaceLabels::default()),
    ]
}

/// The group of a built-in rule.
pub(crate) fn builtin_group(id: &str) -> Group {
    if data::pss::INTEGRITY.contains(&id) {
        Group::Integrity
    } else if id.starts_with("PSS_") {
        Group::Pss
    } else if id.starts_with("CLUSTERSEC_RBAC_") {
        Group::Rbac
    } else if [
        removed_api::RemovedApiVersion::ID,
        deprecated_api::DeprecatedApiVersion::ID,
    ]
    .contains(&id)
    {
        Group::Api
    } else if id.starts_with("CUSTOM_SECURITY_") {
        Group::Seed
    } else {
        Group::Workload
    }
}

/// Built-in rules that check the same field: a Pod Security Standards control and the original
/// Cluster Security rule that covers it.
const OVERLAPS: &[(&str, &str)] = &[
    (
        pss_privileged::PssPrivileged::ID,
        privileged_check::Privileged::ID,
    ),
    (
        pss_privilege_escalation::PssPrivilegeEscalation::ID,
        privilege_check::AllowPrivilegeEscalation::ID,
    ),
    (
        pss_proc_mount::PssProcMount::ID,
        proc_mount_check::ProcMount::ID,
    ),
    (pss_run_as_user::PssRunAsUser::ID, user_check::RunAsUser::ID),
];

/// The rules that report the same field as the built-in rule `id`.
pub(crate) fn builtin_overlaps(id: &str) -> &'static [&'static str] {
    for (a, b) in OVERLAPS {
        if *a == id {
            return std::slice::from_ref(b);
        }
        if *b == id {
            return std::slice::from_ref(a);
        }
    }
    &[]
}

/// The scope of a built-in rule: the text rules and the render rules are emitted outside the
/// object checks.
pub(crate) fn builtin_scope(id: &str) -> Scope {
    if [
        yaml_syntax::YamlSyntax::ID,
        duplicate_key::DuplicateKey::ID,
        not_scanned::NotScanned::ID,
    ]
    .contains(&id)
    {
        Scope::FileText
    } else if [render::Render::ID, unrendered_branch::UnrenderedBranch::ID].contains(&id) {
        Scope::Render
    } else {
        Scope::Object
    }
}
