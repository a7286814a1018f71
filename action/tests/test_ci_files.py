"""Structure tests of action.yml, the workflow, the GitLab template and the pre-commit hooks.

The GitLab job's script and the pre-commit hook are run for real against the scanner the other
tests use (the fake, or CLUSTERSEC_BIN).
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import HERE, REAL_BIN, FakeGitHub

yaml = pytest.importorskip("yaml")

ROOT = HERE.parent.parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path):
    with open(ROOT / path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------------------------
# action.yml


def test_action_inputs_and_outputs():
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {"path", "config", "config-source", "fail-on", "sarif-file",
                           "upload-sarif", "category", "comment", "annotations", "github-token",
                           "extra-args", "version", "diff-base", "baseline"}
    assert inputs["config-source"]["default"] == "base"
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec, name
    assert inputs["upload-sarif"]["default"] == "true"
    assert inputs["comment"]["default"] == "on-findings"
    assert inputs["diff-base"]["default"] == "true"
    assert inputs["annotations"]["default"] == "true"
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == {"sarif-file", "markdown-file", "findings", "new-findings",
                                      "exit-code"}
    for spec in action["outputs"].values():
        assert spec["value"].startswith("${{ steps.scan.outputs.")


def test_action_steps_are_safe_and_ordered():
    steps = load("action.yml")["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert "${{" not in step["run"], f"expression inside run: in step {step.get('name')}"
            assert step.get("shell") == "bash"
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), f"not pinned by commit SHA: {step['uses']}"
    names = [s.get("id") or s.get("name") for s in steps]
    scans = [s for s in steps if "clustersec_action.py\" scan" in s.get("run", "")]
    assert len(scans) == 1, "one scan"
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["category"] == "${{ inputs.category }}"
    assert upload.get("continue-on-error") is True
    comment = names.index("Comment on the pull request")
    verdict = names.index("Verdict")
    assert names.index("scan") < names.index("upload") < comment < verdict == len(steps) - 1
    scan_env = next(s for s in steps if s.get("id") == "scan")["env"]
    assert scan_env["CLUSTERSEC_CONFIG_SOURCE"] == "${{ inputs.config-source }}"
    assert scan_env["CLUSTERSEC_FETCH_TOKEN"] == "${{ inputs.github-token }}"
    assert "cancelled()" in steps[verdict]["if"] and "cancelled()" in steps[comment]["if"]
    cache = next(s for s in steps if "actions/cache@" in s.get("uses", ""))
    assert "lock-hash" in cache["with"]["key"]
    build = next(s for s in steps if s.get("id") == "build")
    assert "cargo build --release --locked" in build["run"]


def test_own_workflow_uses_the_action_with_permissions():
    wf = load(".github/workflows/clustersec.yml")
    job = wf["jobs"]["scan"]
    assert job["permissions"] == {"contents": "read", "security-events": "write",
                                  "pull-requests": "write"}
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert "./" in uses
    step = next(s for s in job["steps"] if s.get("uses") == "./")
    assert step["with"]["path"] == "examples"
    for use in uses:
        assert use == "./" or SHA_PIN.match(use), use


# --------------------------------------------------------------------------------------------
# GitLab template


def gitlab_job():
    template = load("ci/gitlab/clustersec.gitlab-ci.yml")
    return template, template["clustersec"]


def test_gitlab_template_reports():
    template, job = gitlab_job()
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert "clustersec.sarif" in job["artifacts"]["paths"]
    assert job["artifacts"]["when"] == "always"
    assert job["image"]["entrypoint"] == [""]
    assert set(template["variables"]) >= {"CLUSTERSEC_PATH", "CLUSTERSEC_FAIL_ON", "CLUSTERSEC_IMAGE"}


@pytest.mark.parametrize("path,fail_on,expected", [("bad", "info", 1), ("clean", "critical", 0)])
def test_gitlab_job_script_runs(tmp_path, path, fail_on, expected):
    gh = FakeGitHub(tmp_path)
    template, job = gitlab_job()
    env = {k: str(v) for k, v in template["variables"].items()}
    env.update({"PATH": gh.env["PATH"], "HOME": str(tmp_path), "CLUSTERSEC_PATH": path,
                "CLUSTERSEC_FAIL_ON": fail_on, "FAKE_CLUSTERSEC_LOG": str(gh.scanner_log)})
    script = "\n".join(job["script"])
    result = subprocess.run(["sh", "-ec", script], cwd=gh.workspace, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == expected, result.stdout + result.stderr
    report = json.loads((gh.workspace / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    assert isinstance(report, list)
    assert (len(report) > 0) == (path == "bad")
    sarif = json.loads((gh.workspace / "clustersec.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    if not REAL_BIN:
        argv = gh.scanner_calls()[0]["argv"]
        assert argv[:2] == ["scan", path]


def test_gitlab_job_script_passes_shellcheck(tmp_path):
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        pytest.skip("shellcheck not installed (scripts/ci-pipeline-checks.sh installs it)")
    _, job = gitlab_job()
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/sh\n" + "\n".join(job["script"]) + "\n", encoding="utf-8")
    result = subprocess.run([shellcheck, "-s", "sh", str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout


# --------------------------------------------------------------------------------------------
# pre-commit


def test_pre_commit_hooks_file():
    hooks = {h["id"]: h for h in load(".pre-commit-hooks.yaml")}
    assert set(hooks) == {"clustersec", "clustersec-system"}
    assert hooks["clustersec"]["language"] == "rust"
    assert hooks["clustersec-system"]["language"] == "system"
    pattern = re.compile(hooks["clustersec"]["files"])
    for name in ("a.yaml", "dir/b.yml", "c.json"):
        assert pattern.search(name)
    for name in ("d.yamlx", "e.txt", "Chart.lock"):
        assert not pattern.search(name)


def git(cwd, *args, env=None):
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


def find_pre_commit():
    exe = shutil.which("pre-commit")
    if exe:
        return [exe]
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


def test_pre_commit_runs_hook_on_changed_manifests(tmp_path):
    pre_commit = find_pre_commit()
    if pre_commit is None:
        pytest.skip("pre-commit not installed (scripts/ci-pipeline-checks.sh installs it)")
    gh = FakeGitHub(tmp_path)
    env = dict(os.environ)
    env.update({"PATH": gh.env["PATH"], "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(tmp_path / "cache"),
                "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
                "GIT_CONFIG_NOSYSTEM": "1", "FAKE_CLUSTERSEC_LOG": str(gh.scanner_log)})
    env.pop("GIT_DIR", None)
    # A hooks repository holding only our .pre-commit-hooks.yaml, at a commit.
    hooks_repo = tmp_path / "hooks-repo"
    hooks_repo.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks_repo / ".pre-commit-hooks.yaml")
    git(hooks_repo, "init", "-q", env=env)
    git(hooks_repo, "add", ".", env=env)
    git(hooks_repo, "commit", "-q", "-m", "hooks", env=env)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks_repo, env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    # The user's repository.
    repo = tmp_path / "user-repo"
    shutil.copytree(HERE / "data", repo)
    (repo / "README.txt").write_text("not a manifest\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: clustersec-system\n        args: [--fail-on, high]\n", encoding="utf-8")
    git(repo, "init", "-q", env=env)
    git(repo, "add", ".", env=env)

    bad = subprocess.run(pre_commit + ["run", "--all-files"], cwd=repo, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "clustersec (installed binary)" in bad.stdout and "Failed" in bad.stdout

    calls = gh.scanner_calls() if not REAL_BIN else []
    if calls:
        files = calls[0]["argv"]
        assert "bad/deployment.yaml" in files and "clean/deployment.yaml" in files
        assert "README.txt" not in files, "only YAML/JSON files reach the hook"

    clean = subprocess.run(pre_commit + ["run", "--files", "clean/deployment.yaml"], cwd=repo,
                           env=env, capture_output=True, text=True, timeout=600, check=False)
    # The fake passes the clean manifest; a real scanner may have stricter rules.
    if not REAL_BIN:
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "Passed" in clean.stdout
