"""The action's pull-request view: `--diff-base` with the base commit, `--baseline`, and the
comment modes (on-findings, always, never)."""

import os

import pytest

from conftest import REAL_BIN, fake_only, git, pr_event

MARKER = "<!-- clustersec-report -->"


def run(gh, **overrides):
    overrides.setdefault("CLUSTERSEC_DIFF_BASE", "true")
    return gh.run(**overrides)


def scan_argv(gh):
    calls = gh.scanner_calls()
    assert len(calls) == 1
    return calls[0]["argv"]


@fake_only()
def test_pull_request_scans_against_the_base_commit(gh):
    gh.commit({"bad/extra.yaml": "kind: Pod\n"})
    result = run(gh)
    argv = scan_argv(gh)
    assert ["--diff-base", gh.base_sha] == argv[argv.index("--diff-base"):argv.index("--diff-base") + 2], \
        result.stdout


@fake_only()
def test_push_events_and_diff_base_false_scan_everything(gh):
    gh.write_event({"ref": "refs/heads/main", "repository": {"full_name": "octo/repo"}})
    run(gh, GITHUB_EVENT_NAME="push")
    assert "--diff-base" not in scan_argv(gh)
    gh.scanner_log.unlink()
    gh.write_event(pr_event())
    run(gh, CLUSTERSEC_DIFF_BASE="false")
    assert "--diff-base" not in scan_argv(gh)


@fake_only()
def test_baseline_input_is_passed_on_push(gh):
    gh.write_event({"ref": "refs/heads/main", "repository": {"full_name": "octo/repo"}})
    run(gh, GITHUB_EVENT_NAME="push", CLUSTERSEC_BASELINE=".clustersec-baseline.json")
    argv = scan_argv(gh)
    assert ["--baseline", ".clustersec-baseline.json"] == argv[argv.index("--baseline"):argv.index("--baseline") + 2]


@fake_only()
def test_pull_requests_use_the_base_commits_baseline(gh):
    # The base has no baseline file: the one the pull request adds is not used.
    gh.commit({".clustersec-baseline.json": '{"version": 1, "findings": []}'})
    result = run(gh, CLUSTERSEC_BASELINE=".clustersec-baseline.json", CLUSTERSEC_CONFIG_SOURCE="head")
    assert "--baseline" not in scan_argv(gh)
    assert "is not on the base commit" in result.stdout


@fake_only()
def test_pull_requests_read_the_baseline_from_the_base_commit(gh, tmp_path):
    # The base commit holds a baseline; the pull request rewrites it.
    base_text = '{"version": 1, "from": "base"}'
    base = gh.commit({".clustersec-baseline.json": base_text}, "base baseline")
    gh.commit({".clustersec-baseline.json": '{"version": 1, "from": "pr"}'})
    gh.write_event(pr_event(base_sha=base))
    result = run(gh, CLUSTERSEC_BASELINE=".clustersec-baseline.json", CLUSTERSEC_CONFIG_SOURCE="head")
    argv = scan_argv(gh)
    path = argv[argv.index("--baseline") + 1]
    assert path.startswith(str(gh.temp)), result.stdout
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == base_text
    assert ["--diff-base", base] == argv[argv.index("--diff-base"):argv.index("--diff-base") + 2]


@fake_only()
def test_shallow_checkout_fetches_history_for_the_merge_base(gh, tmp_path):
    origin = tmp_path / "origin"
    os.rename(gh.workspace, origin)
    git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    for i in range(3):
        (origin / f"f{i}.txt").write_text(str(i), encoding="utf-8")
        git(origin, "add", "-A")
        git(origin, "commit", "-q", "-m", f"pr {i}")
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{origin}", str(gh.workspace))
    result = run(gh, CLUSTERSEC_CONFIG_SOURCE="head")
    argv = scan_argv(gh)
    assert "--diff-base" in argv, result.stdout
    assert gh.base_sha in argv


@fake_only()
def test_no_merge_base_scans_without_diff_base_and_warns(gh):
    gh.write_event(pr_event(base_sha="0" * 40))
    result = run(gh, CLUSTERSEC_CONFIG_SOURCE="head")
    assert "--diff-base" not in scan_argv(gh)
    assert "every finding counts as new" in result.stdout


@fake_only()
def test_on_findings_creates_no_comment_without_new_findings(gh):
    result = run(gh, FAKE_CLUSTERSEC_EXISTING="1", CLUSTERSEC_COMMENT="on-findings")
    assert result.returncode == 0, result.stdout + result.stderr
    assert gh.outputs()["new-findings"] == "0"
    assert int(gh.outputs()["findings"]) >= 1
    assert "no new finding in this pull request: no PR comment" in result.stdout
    assert gh.comments() == []


@fake_only()
def test_on_findings_updates_an_existing_comment_when_nothing_is_new(gh):
    first = run(gh, CLUSTERSEC_COMMENT=None)
    assert "created PR comment" in first.stdout
    second = run(gh, FAKE_CLUSTERSEC_EXISTING="1", CLUSTERSEC_COMMENT=None)
    assert "updated PR comment" in second.stdout, second.stdout
    assert len(gh.comments()) == 1


@fake_only()
def test_always_creates_a_comment_and_never_posts_none(gh):
    result = run(gh, FAKE_CLUSTERSEC_EXISTING="1", CLUSTERSEC_COMMENT="always")
    assert "created PR comment" in result.stdout
    assert gh.comments()[0]["body"].startswith(MARKER)
    result = run(gh, CLUSTERSEC_COMMENT="never")
    assert "PR comment disabled (comment: never)" in result.stdout


def test_new_findings_count_skips_unchanged_and_suppressed():
    import importlib.util
    from conftest import SCRIPT
    spec = importlib.util.spec_from_file_location("clustersec_action", SCRIPT)
    action = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(action)
    sarif = {"runs": [{"results": [
        {"ruleId": "A", "baselineState": "new"},
        {"ruleId": "B", "baselineState": "unchanged"},
        {"ruleId": "C"},
        {"ruleId": "D", "suppressions": [{"kind": "inSource"}]},
    ]}]}
    assert action.sarif_new_findings(sarif) == 2


def test_comment_mode_spellings(monkeypatch):
    import importlib.util
    from conftest import SCRIPT
    spec = importlib.util.spec_from_file_location("clustersec_action", SCRIPT)
    action = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(action)
    for value, mode in [("", "on-findings"), ("on-findings", "on-findings"), ("true", "always"),
                        ("always", "always"), ("false", "never"), ("never", "never")]:
        monkeypatch.setenv("CLUSTERSEC_COMMENT", value)
        assert action.comment_mode() == mode, value


@pytest.mark.skipif(not REAL_BIN, reason="needs the real clustersec (CLUSTERSEC_BIN)")
def test_real_scan_counts_only_what_the_pull_request_adds(gh):
    # Unchanged files of the base commit: every finding existing, the gate passes, and
    # on-findings creates no comment.
    quiet = run(gh, CLUSTERSEC_COMMENT="on-findings")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert gh.outputs()["new-findings"] == "0"
    assert int(gh.outputs()["findings"]) > 0
    assert gh.comments() == []
    # The pull request adds a privileged pod: new findings, a comment that leads with them.
    gh.commit({"bad/added.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: added\nspec:\n  containers:\n"
        "    - name: c\n      image: nginx:1.27.3\n      securityContext:\n"
        "        privileged: true\n")})
    loud = run(gh, CLUSTERSEC_COMMENT="on-findings")
    assert loud.returncode == 1, loud.stdout + loud.stderr
    new = int(gh.outputs()["new-findings"])
    assert 0 < new < int(gh.outputs()["findings"])
    body = gh.comments()[0]["body"]
    assert f"{new} new finding" in body and "<details><summary>" in body, body
