"""Fixtures: a faked GitHub Actions environment and a recording stand-in for the REST API.

By default a fake `clustersec` (fake_clustersec.py) is put first on PATH. Set CLUSTERSEC_BIN to a
real binary to run the same end-to-end tests against it.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "clustersec_action.py"
REAL_BIN = os.environ.get("CLUSTERSEC_BIN", "")


def pr_event(number=7, head="octo/repo", base="octo/repo", base_sha=None):
    """A pull_request payload; without base_sha, FakeGitHub.write_event fills in the base commit
    of its workspace repository."""
    base_ref = {"repo": {"full_name": base}}
    if base_sha is not None:
        base_ref["sha"] = base_sha
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "f" * 40, "repo": {"full_name": head}},
            "base": base_ref,
        },
        "repository": {"full_name": base},
    }


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(cwd, *args):
    """Runs git in a test repository; returns stdout."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    proc = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
                           *args], cwd=str(cwd), env=env, capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()


class FakeGitHub:
    """A temp dir laid out like a runner, plus the environment that points into it."""

    def __init__(self, root: Path):
        self.root = root
        self.workspace = root / "workspace"
        shutil.copytree(HERE / "data", self.workspace)
        # The checkout: a git repository whose first commit is the pull request's base.
        git(self.workspace, "init", "-q")
        git(self.workspace, "add", "-A")
        git(self.workspace, "commit", "-q", "-m", "base")
        self.base_sha = git(self.workspace, "rev-parse", "HEAD")
        self.temp = root / "runner_temp"
        self.temp.mkdir()
        self.bin_dir = root / "bin"
        self.bin_dir.mkdir()
        self.summary = root / "summary.md"
        self.output = root / "output.txt"
        self.event_path = root / "event.json"
        self.api_state = root / "api_state.json"
        self.scanner_log = root / "scanner_log.jsonl"
        self.write_event(pr_event())
        if REAL_BIN:
            scanner = str(Path(shutil.which(REAL_BIN) or REAL_BIN).resolve())
            os.symlink(scanner, self.bin_dir / "clustersec")
        else:
            fake = self.bin_dir / "clustersec"
            shutil.copy(HERE / "fake_clustersec.py", fake)
            fake.chmod(fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.env = {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(root),
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_EVENT_PATH": str(self.event_path),
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_REPOSITORY": "octo/repo",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_RUN_ID": "42",
            "GITHUB_TOKEN": "test-token-not-real",
            "RUNNER_TEMP": str(self.temp),
            "CLUSTERSEC_PATH": "bad",
            "CLUSTERSEC_FAIL_ON": "high",
            "CLUSTERSEC_ANNOTATIONS": "true",
            "CLUSTERSEC_COMMENT": "always",
            # The checkout is the base commit itself: with --diff-base every finding would be
            # existing. test_diff_base.py turns it on.
            "CLUSTERSEC_DIFF_BASE": "false",
            "CLUSTERSEC_GITHUB_API_CMD": f"{sys.executable} {HERE / 'fake_github_api.py'}",
            "FAKE_GITHUB_STATE": str(self.api_state),
            "FAKE_CLUSTERSEC_LOG": str(self.scanner_log),
        }

    def write_event(self, event):
        base = (event.get("pull_request") or {}).get("base")
        if isinstance(base, dict) and "sha" not in base:
            base["sha"] = self.base_sha
        self.event_path.write_text(json.dumps(event), encoding="utf-8")

    def commit(self, files, message="change"):
        """Commits files ({path: text, or None to delete}) on top of the checkout: the pull
        request's head."""
        for path, text in files.items():
            target = self.workspace / path
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        git(self.workspace, "add", "-A")
        git(self.workspace, "commit", "-q", "-m", message)
        return git(self.workspace, "rev-parse", "HEAD")

    def set_api_failure(self, method, status, message, headers=None):
        state = self.api_state_json()
        state.setdefault("fail", {})[method] = {"status": status, "message": message,
                                                "headers": headers or {}}
        self.api_state.write_text(json.dumps(state), encoding="utf-8")

    def api_state_json(self):
        if self.api_state.exists():
            return json.loads(self.api_state.read_text(encoding="utf-8"))
        return {}

    def api_calls(self):
        return self.api_state_json().get("calls", [])

    def comments(self):
        return self.api_state_json().get("comments", [])

    def outputs(self):
        """Parse GITHUB_OUTPUT (name<<DELIM ... DELIM); the last value of a name wins."""
        values = {}
        if not self.output.exists():
            return values
        lines = self.output.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            if "<<" in line:
                name, delim = line.split("<<", 1)
                j = lines.index(delim, i + 1)
                values[name] = "\n".join(lines[i + 1:j])
                i = j + 1
            elif "=" in line:
                name, value = line.split("=", 1)
                values[name] = value
                i += 1
            else:
                i += 1
        return values

    def scanner_calls(self):
        if not self.scanner_log.exists():
            return []
        return [json.loads(line) for line in self.scanner_log.read_text(encoding="utf-8").splitlines()]

    def run(self, command="all", **overrides):
        env = dict(self.env)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return subprocess.run([sys.executable, str(SCRIPT), command], env=env, cwd=str(self.root),
                              capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def gh(tmp_path):
    return FakeGitHub(tmp_path)


def fake_only(reason="needs the fake scanner's test knobs"):
    return pytest.mark.skipif(bool(REAL_BIN), reason=reason)
