//! `clustersec init`: a commented `.clustersec.yaml` with every key at its default, and the CI
//! files of the README, pinned to this version.

use std::path::{Path, PathBuf};

use crate::rules;

/// The GitHub Actions workflow `init --github` writes.
pub const GITHUB_WORKFLOW_PATH: &str = ".github/workflows/clustersec.yml";

/// The GitLab CI file `init --gitlab` writes.
pub const GITLAB_CI_PATH: &str = ".gitlab-ci.yml";

/// The tag of this version (`v0.1.0`): what the CI files pin.
pub fn tag() -> String {
    format!("v{}", crate::VERSION)
}

/// The config file: every key with its default value and a comment saying what it does.
pub fn config_text() -> String {
    config_text_for(&rules::Registry::builtin())
}

/// [`config_text`] listing the rules of `registry` (rules added at run time included).
pub fn config_text_for(registry: &rules::Registry) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# clustersec configuration ({}#configuration).\n\
         # Every key is optional: the values below are the defaults. Command-line flags win.\n\
         # clustersec looks for this file in the scan root, then in its parents up to the\n\
         # repository root.\n\
         \n\
         # Lowest severity that fails the run (exit 1): info, low, medium, high, critical, or\n\
         # none (findings never fail the run).\n\
         fail-on: info\n\
         # Fail when part of the scan was not checked (a chart not rendered, a kustomization not\n\
         # built, a file not scanned or not parsed), whatever fail-on says.\n\
         fail-on-incomplete: true\n\
         # Globs of paths to skip, relative to the scan root; a directory name skips its files.\n\
         exclude: []\n\
         # Globs of paths to scan; when set, they replace the .yaml/.yml/.json filter.\n\
         include: []\n\
         # Larger files are reported as not scanned (at most 64MiB here; --max-file-size beyond).\n\
         max-file-size: 16MiB\n\
         \n\
         # Rules by id, short name or group (seed, integrity, pss, api, workload, rbac, policy):\n\
         # select: only these run (the integrity rules too); ignore: these never run.\n\
         # select: [seed, pss]\n\
         ignore: []\n\
         \n\
         # Helm charts and kustomizations: auto (render when the tool is on PATH), always, never.\n\
         helm: auto\n\
         kustomize: auto\n\
         release-name: release-name\n\
         # namespace: apps\n\
         # kube-version: \"1.30.0\"        # quote it: unquoted, 1.30 is the number 1.3\n\
         render-timeout: 60s\n\
         # Render and scan helm test hooks (helm.sh/hook: test pods); false skips them.\n\
         helm-tests: true\n\
         # charts:                        # render matrix, by chart directory (see the README)\n\
         #   deploy/charts/web:\n\
         #     values:\n\
         #       default: []\n\
         #       prod: [values-prod.yaml]\n\
         \n\
         # Per rule, by id or short name: enabled, severity, params.\n\
         rules:\n",
        crate::REPOSITORY
    ));
    for entry in registry {
        let (m, rule) = (entry.meta(), entry.rule());
        out.push_str(&format!("  # {}: {}\n", m.id, m.summary));
        out.push_str(&format!("  {}:\n", m.name));
        out.push_str(&format!("    enabled: {}\n", m.enabled));
        out.push_str(&format!("    severity: {}\n", m.severity));
        let params = rule.params();
        let empty = params.is_null() || params.as_object().is_some_and(|o| o.is_empty());
        if let Some(map) = params.as_object().filter(|_| !empty) {
            // Flow style; JSON values are YAML.
            let items: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            out.push_str(&format!("    params: {{{}}}\n", items.join(", ")));
        }
    }
    out
}

/// The GitHub Actions workflow of the README, with the action pinned to this version's tag.
pub fn github_workflow() -> String {
    format!(
        "name: clustersec\n\
         \n\
         on:\n\
         \x20 push:\n\
         \x20   branches: [main]\n\
         \x20 pull_request:\n\
         \n\
         permissions: {{}}\n\
         \n\
         jobs:\n\
         \x20 clustersec:\n\
         \x20   runs-on: ubuntu-latest\n\
         \x20   permissions:\n\
         \x20     contents: read          # check out the repository\n\
         \x20     security-events: write  # upload SARIF to code scanning\n\
         \x20     pull-requests: write    # create or update the PR comment\n\
         \x20   steps:\n\
         \x20     - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n\
         \x20       with:\n\
         \x20         persist-credentials: false\n\
         \x20     # Pinned to a release; pin to its commit SHA for a supply chain you control.\n\
         \x20     - uses: clustersec/clustersec@{tag}\n\
         \x20       with:\n\
         \x20         path: .\n\
         \x20         # fail-on: high    # empty: fail-on from .clustersec.yaml\n",
        tag = tag()
    )
}

/// The GitLab CI include of the README, pinned to this version's tag.
pub fn gitlab_ci() -> String {
    format!(
        "include:\n\
         \x20 - remote: https://raw.githubusercontent.com/clustersec/clustersec/{tag}/ci/gitlab/clustersec.gitlab-ci.yml\n\
         \n\
         variables:\n\
         \x20 CLUSTERSEC_PATH: \".\"\n\
         \x20 CLUSTERSEC_FAIL_ON: \"high\"\n",
        tag = tag()
    )
}

/// Writes the files into `dir`; an existing file is an error unless `force`. Returns the paths
/// written.
pub fn write_files(
    dir: &Path,
    github: bool,
    gitlab: bool,
    force: bool,
) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<(PathBuf, String)> = vec![(dir.join(".clustersec.yaml"), config_text())];
    if github {
        files.push((dir.join(GITHUB_WORKFLOW_PATH), github_workflow()));
    }
    if gitlab {
        files.push((dir.join(GITLAB_CI_PATH), gitlab_ci()));
    }
    if !force {
        if let Some((p, _)) = files
            .iter()
            .find(|(p, _)| std::fs::symlink_metadata(p).is_ok())
        {
            return Err(format!(
                "{} exists; not overwritten (--force overwrites)",
                p.display()
            ));
        }
    }
    let mut written = Vec::new();
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_parses_and_sets_every_rule_to_its_default() {
        let text = config_text();
        let config = crate::config::Config::parse(&text).unwrap();
        assert_eq!(config.fail_on, Some(crate::config::FailOn::Info));
        assert_eq!(config.fail_on_incomplete, Some(true));
        for m in rules::Registry::builtin().metas() {
            let rc = &config.rules[m.id.as_str()];
            assert_eq!(rc.enabled, Some(m.enabled), "{}", m.id);
            assert_eq!(rc.severity, Some(m.severity), "{}", m.id);
        }
    }
}
