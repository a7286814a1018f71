use super::data::pss;
use super::{Cx, NoParams};

declare_rule! {
    /// ## What it does
    /// Standard: "On supported hosts, the RuntimeDefault AppArmor profile is applied by default. The
    /// baseline policy should prevent overriding or disabling the default AppArmor profile, or restrict
    /// overrides to an allowed set of profiles." Reads the pod's annotations
    /// `container.apparmor.security.beta.kubernetes.io/*` (allowed: empty, `runtime/default`,
    /// `localhost/*`) and `securityContext.appArmorProfile.type` of the pod and every container
    /// (allowed: unset, `RuntimeDefault`, `Localhost`). Mirrors PSA's `check_appArmorProfile.go`; PSA
    /// checks the fields at every policy version (the check has one version, 1.0).
    ///
    /// Pod Security Standards, **baseline** level ([the control on kubernetes.io](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)).
    /// `clustersec explain PSS_APPARMOR` prints the control's history across policy versions.
    ///
    /// ## Why is this bad?
    /// An unconfined container runs without the mandatory access control that limits what it can do on the node.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   appArmorProfile:
    ///     type: Unconfined
    /// ```
    ///
    /// ## Fix
    /// Remove the override, or use `RuntimeDefault` or a `Localhost` profile.
    pub struct PssApparmor(NoParams) {
        id: "PSS_APPARMOR",
        name: "pss-apparmor",
        severity: High,
        enabled: true,
        summary: "AppArmor is not turned off",
        tags: ["security", "kubernetes", "pss", "baseline"],
    }
}

impl PssApparmor {
    fn run(&self, cx: &mut Cx<'_>) {
        let Some(pod) = cx.pod else { return };
        let v = cx.pss_version;
        let prefix = "container.apparmor.security.beta.kubernetes.io/";
        for e in pss::pod_annotations(cx.object) {
            if !e.key_str().starts_with(prefix) {
                continue;
            }
            let msg = match e.value.as_str() {
                Some(s)
                    if s.is_empty() || s == "runtime/default" || s.starts_with("localhost/") =>
                {
                    continue
                }
                Some(s) => format!("annotation {} sets the AppArmor profile {s:?}", e.key_str()),
                None => format!(
                    "annotation {} must be a string, found {}: the API server rejects the object",
                    e.key_str(),
                    e.value.describe()
                ),
            };
            cx.report(pss::finding(Self::ID, v, e.span(), msg));
        }
        for s in pss::scopes(pod) {
            let Some(profile) =
                pss::nested(s.sc, &["appArmorProfile"]).filter(|e| !e.value.is_null())
            else {
                continue;
            };
            let t = pss::nested(Some(profile), &["type"]);
            let (span, msg) = match pss::api_str(t) {
                Ok(Some("RuntimeDefault" | "Localhost")) => continue,
                Ok(Some(x)) => (
                    t.map_or(profile.span(), |e| e.span()),
                    format!("{} sets appArmorProfile.type to {x:?}", s.who()),
                ),
                Ok(None) => (
                    profile.span(),
                    format!("{} sets appArmorProfile without a type", s.who()),
                ),
                Err(m) => (t.map_or(profile.span(), |e| e.span()), m),
            };
            let f = pss::finding(Self::ID, v, span, msg)
                .field(format!("{}.appArmorProfile.type", s.path()))
                .container(s.container());
            cx.report(f);
        }
    }
}
