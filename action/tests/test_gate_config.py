"""The gate's own config on pull requests: `config-source: base` reads it from the pull request's
base commit, so a pull request cannot lower the gate it is judged by; `config-source: head` uses
the pull request's config and the PR comment lists what it changes ("Policy changes")."""

import json
import os
import subprocess
from pathlib import Path

from conftest import REAL_BIN, fake_only, git, pr_event

PRIVILEGED = "CUSTOM_SECURITY_PRIVILEGED_CHECK" if REAL_BIN else "CS-privileged"
TURN_OFF = "rules:\n  CUSTOM_SECURITY_PRIVILEGED_CHECK:\n    enabled: false\n"


def rule_ids(gh):
    sarif = json.loads(Path(gh.outputs()["sarif-file"]).read_text(encoding="utf-8"))
    return [r["ruleId"] for run in sarif["runs"] for r in run["results"] if not r.get("suppressions")]


def scan_argv(gh):
    calls = gh.scanner_calls()
    assert len(calls) == 1, calls
    return calls[0]["argv"]


def test_base_config_keeps_a_rule_the_pull_request_turns_off(gh):
    gh.commit({"bad/.clustersec.yaml": TURN_OFF}, "turn the privileged rule off")
    result = gh.run()
    assert result.returncode == 1, result.stdout + result.stderr
    assert PRIVILEGED in rule_ids(gh), "the base branch has no config: the rule stays on"
    assert "no clustersec config on the pull request's base commit" in result.stdout
    comment = gh.comments()[0]["body"]
    assert "Policy changes" not in comment
    # Reviewers are told that the pull request changes the config, and that it is not applied.
    assert "This pull request changes the clustersec config (bad/\\.clustersec\\.yaml)" in comment
    assert "This pull request changes the clustersec config" in gh.summary.read_text(encoding="utf-8")
    if not REAL_BIN:
        argv = scan_argv(gh)
        config = argv[argv.index("--config") + 1]
        assert not config.startswith(str(gh.workspace)), "the base config is kept outside the workspace"
        assert Path(config).read_text(encoding="utf-8") == "", "no config on base: the defaults"
        assert argv[argv.index("--config-dir") + 1] == str(gh.workspace / "bad")


def test_base_config_is_the_base_commits_file(gh):
    # The base branch turns the rule off (a reviewed decision); the pull request deletes the
    # file and adds its own `.clustersec.yml`: the base's file is the gate's.
    base = gh.commit({"bad/.clustersec.yaml": TURN_OFF}, "base: rule off")
    gh.write_event(pr_event(base_sha=base))
    gh.commit({"bad/.clustersec.yaml": None, "bad/.clustersec.yml": "fail-on: info\n"}, "pr")
    result = gh.run()
    assert PRIVILEGED not in rule_ids(gh), result.stdout
    assert "bad/.clustersec.yaml as on the base commit" in result.stdout


def test_base_config_in_a_parent_of_the_scan_root_is_found(gh):
    # As clustersec looks for it: the scan root (`bad/`), then its parents up to the repository.
    base = gh.commit({".clustersec.yaml": TURN_OFF}, "base: rule off at the repository root")
    gh.write_event(pr_event(base_sha=base))
    gh.commit({".clustersec.yaml": "fail-on: info\n"}, "pr")
    result = gh.run()
    assert PRIVILEGED not in rule_ids(gh), result.stdout
    assert ".clustersec.yaml as on the base commit" in result.stdout
    if not REAL_BIN:
        argv = scan_argv(gh)
        assert os.path.normpath(argv[argv.index("--config-dir") + 1]) == str(gh.workspace)


def test_config_input_is_read_from_the_base_commit(gh):
    base = gh.commit({"policy/clustersec.yaml": "fail-on: info\n"}, "base policy")
    gh.write_event(pr_event(base_sha=base))
    gh.commit({"policy/clustersec.yaml": TURN_OFF}, "pr lowers the policy")
    result = gh.run(CLUSTERSEC_CONFIG="policy/clustersec.yaml")
    assert PRIVILEGED in rule_ids(gh), result.stdout
    assert "policy/clustersec.yaml as on the base commit" in result.stdout
    if not REAL_BIN:
        argv = scan_argv(gh)
        assert argv.count("--config") == 1, argv
        assert argv[argv.index("--config-dir") + 1] == str(gh.workspace / "policy")


def test_head_config_lists_the_policy_changes_in_the_comment(gh):
    gh.commit({"bad/.clustersec.yaml": TURN_OFF}, "turn the privileged rule off")
    result = gh.run(CLUSTERSEC_CONFIG_SOURCE="head")
    assert PRIVILEGED not in rule_ids(gh), "head: the pull request's config applies"
    comment = gh.comments()[0]["body"]
    assert "### :warning: Policy changes in this pull request" in comment, comment
    assert "rule turned off" in comment and "CUSTOM_SECURITY_PRIVILEGED_CHECK" in comment
    summary = gh.summary.read_text(encoding="utf-8")
    assert "Policy changes in this pull request" in summary
    if not REAL_BIN:
        argv = scan_argv(gh)
        assert "--compare-config" in argv and "--config" not in argv
    assert "comparing the pull request's config with the base commit's" in result.stdout


def test_head_config_without_changes_has_no_section(gh):
    base = gh.commit({"bad/.clustersec.yaml": "fail-on: high\n"}, "base")
    gh.write_event(pr_event(base_sha=base))
    gh.run(CLUSTERSEC_CONFIG_SOURCE="head")
    assert "Policy changes" not in gh.comments()[0]["body"]


def test_base_config_unchanged_by_the_pull_request_has_no_note(gh):
    base = gh.commit({"bad/.clustersec.yaml": "fail-on: high\n"}, "base")
    gh.write_event(pr_event(base_sha=base))
    gh.commit({"bad/deployment.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    gh.run()
    assert "changes the clustersec config" not in gh.comments()[0]["body"]


def test_shallow_checkout_fetches_the_base_commit(gh, tmp_path):
    # origin holds base + pull request; the workspace is a depth-1 clone of the head.
    origin = tmp_path / "origin"
    os.rename(gh.workspace, origin)
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    (origin / "bad" / ".clustersec.yaml").write_text(TURN_OFF, encoding="utf-8")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "pr")
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(gh.workspace))
    assert subprocess.run(["git", "cat-file", "-e", f"{gh.base_sha}^{{commit}}"], cwd=gh.workspace,
                          capture_output=True, check=False).returncode != 0, "shallow: no base"
    result = gh.run()
    assert "fetching it (git fetch --depth=1)" in result.stdout, result.stdout
    assert result.returncode == 1, result.stdout + result.stderr
    assert PRIVILEGED in rule_ids(gh)


def test_unavailable_base_commit_fails_closed_with_base_and_warns_with_head(gh):
    gh.write_event(pr_event(base_sha="e" * 40))
    result = gh.run()
    assert result.returncode == 2, result.stdout
    assert "config-source base: cannot fetch the base commit" in result.stdout
    assert "fetch-depth: 0" in result.stdout
    assert gh.outputs()["exit-code"] == "2"
    head = gh.run(CLUSTERSEC_CONFIG_SOURCE="head")
    assert head.returncode == 1, head.stdout
    assert "policy changes not compared with the base branch" in head.stdout


def test_event_values_are_checked_before_git_sees_them(gh):
    gh.write_event(pr_event(base_sha="--upload-pack=touch /tmp/pwned"))
    result = gh.run(GITHUB_BASE_REF="-x;main")
    assert result.returncode == 2
    assert "cannot tell the pull request's base commit" in result.stdout
    assert gh.scanner_calls() == [] or REAL_BIN


def test_base_ref_is_the_fallback_without_a_sha(gh, tmp_path):
    event = pr_event()
    event["pull_request"]["base"]["sha"] = None
    gh.write_event(event)
    git(gh.workspace, "update-ref", "refs/remotes/origin/main", gh.base_sha)
    gh.commit({"bad/.clustersec.yaml": TURN_OFF}, "pr")
    result = gh.run(GITHUB_BASE_REF="main")
    assert result.returncode == 1, result.stdout
    assert PRIVILEGED in rule_ids(gh)


def test_other_events_use_the_checked_out_config(gh):
    gh.commit({"bad/.clustersec.yaml": TURN_OFF}, "main turns the rule off")
    gh.write_event({"ref": "refs/heads/main", "repository": {"full_name": "octo/repo"}})
    result = gh.run(GITHUB_EVENT_NAME="push")
    assert PRIVILEGED not in rule_ids(gh), result.stdout
    assert "the checked-out config is the gate's" in result.stdout


def test_invalid_config_source_is_a_tool_error(gh):
    result = gh.run(CLUSTERSEC_CONFIG_SOURCE="pr")
    assert result.returncode == 2
    assert "invalid config-source 'pr'" in result.stdout


def test_symlinked_config_on_base_is_not_followed(gh):
    base_dir = gh.workspace / "bad"
    os.symlink("/etc/hostname", base_dir / ".clustersec.yaml")
    git(gh.workspace, "add", "-A")
    git(gh.workspace, "commit", "-q", "-m", "symlink")
    gh.write_event(pr_event(base_sha=git(gh.workspace, "rev-parse", "HEAD")))
    result = gh.run()
    assert result.returncode == 2
    assert "is not a regular file" in result.stdout


def test_repository_checked_out_into_a_directory_of_the_workspace(gh, tmp_path):
    # actions/checkout with `path: app`: the workspace itself is not a repository.
    app = tmp_path / "app"
    os.rename(gh.workspace, app)
    gh.workspace.mkdir()
    os.rename(app, gh.workspace / "app")
    (gh.workspace / "app" / "bad" / ".clustersec.yaml").write_text(TURN_OFF, encoding="utf-8")
    git(gh.workspace / "app", "add", "-A")
    git(gh.workspace / "app", "commit", "-q", "-m", "pr")
    result = gh.run(CLUSTERSEC_PATH="app/bad")
    assert result.returncode == 1, result.stdout + result.stderr
    assert PRIVILEGED in rule_ids(gh)
    assert "no clustersec config on the pull request's base commit" in result.stdout
    assert "changes the clustersec config (bad/\\.clustersec\\.yaml)" in gh.comments()[0]["body"]


@fake_only("reads the environment the fake scanner logs")
def test_tokens_never_reach_the_scanner(gh):
    gh.run(CLUSTERSEC_FETCH_TOKEN="fetch-token-not-real")
    call = gh.scanner_calls()[0]
    assert call["tokens"] == [], call
