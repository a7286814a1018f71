#!/usr/bin/env python3
"""Logic of the clustersec GitHub Action (action.yml), kept out of YAML so tests can run it.

Python 3.8+ standard library only. Subcommands, run by action.yml as separate steps so that the
SARIF upload (a separate action) happens between the scan and the final verdict:

  scan     run ONE `clustersec scan` writing SARIF, markdown (the comment), markdown-summary
           (the same report with charts) and (optionally) GitHub annotations; append the
           summary to $GITHUB_STEP_SUMMARY; write step outputs.
           Exits 0 unless the script itself cannot run at all: the scan's exit code is an OUTPUT.
  comment  create or update ONE pull-request comment found by a hidden marker. Always exits 0:
           a comment that cannot be posted is logged as a warning and never fails the job.
  finish   exit with the scan's exit code (0 clean, 1 findings at/above fail-on, 2 tool error).
  all      scan + comment + finish in one process (tests, or use outside Actions).

Configuration comes from environment variables only (action.yml maps inputs to them), so no
untrusted value is ever interpolated into a shell:

  CLUSTERSEC_BIN          binary to run (default: `clustersec` on PATH)
  CLUSTERSEC_PATH         paths to scan, shell-like words (default ".")
  CLUSTERSEC_CONFIG       config file (optional)
  CLUSTERSEC_CONFIG_SOURCE base|head (default base): on pull requests, where the gate's config
                          comes from. `base`: the config file as it is on the pull request's base
                          commit (read with git into a file outside the workspace, passed with
                          --config; none there = the defaults), so a pull request cannot lower
                          the gate it is judged by. `head`: the checked-out (pull request's)
                          config, compared with the base's (--compare-config) so the PR comment
                          lists what it changes. Other events use the checked-out config.
  CLUSTERSEC_FETCH_TOKEN  token for `git fetch` of the base commit when the checkout lacks it
                          (never passed to clustersec)
  CLUSTERSEC_FAIL_ON      info|low|medium|high|critical, or "none" to never fail on findings
  CLUSTERSEC_SARIF_FILE   where to write SARIF (default $RUNNER_TEMP/clustersec/clustersec.sarif)
  CLUSTERSEC_MARKDOWN_FILE where to write markdown (default next to the SARIF file); the job
                          summary variant goes next to it as NAME.summary.md
  CLUSTERSEC_ANNOTATIONS  true|false: also emit `--format github` workflow commands
  CLUSTERSEC_COMMENT      on-findings (default) | always | never (true = always, false = never):
                          on-findings creates the sticky PR comment only when the pull request
                          adds a finding (or the scan fails), and updates an existing one either
                          way, so a fixed pull request says so
  CLUSTERSEC_DIFF_BASE    true (default) | false: on pull requests, `--diff-base` with the base
                          commit, so findings on lines the pull request did not touch are existing
  CLUSTERSEC_BASELINE     a baseline file (`clustersec baseline -o FILE`), passed as --baseline;
                          on pull requests the base commit's version of it (written under
                          RUNNER_TEMP), so a pull request cannot add its own findings to it
  CLUSTERSEC_NEW_FINDINGS (comment) new findings of the scan step, from its outputs
  CLUSTERSEC_EXTRA_ARGS   extra arguments for `clustersec scan`, shell-like words
  CLUSTERSEC_EXIT_CODE    (finish/comment) exit code of the scan step, from its outputs
  CLUSTERSEC_SARIF_UPLOAD_OUTCOME (finish) outcome of the upload step, for a warning
  GITHUB_TOKEN            token for the REST API (comment)
  CLUSTERSEC_GITHUB_API_CMD  test hook: a command run instead of HTTP, see CommandClient
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

MARKER = "<!-- clustersec-report -->"
# GitHub rejects issue comments longer than 65,536 characters.
COMMENT_LIMIT = 65536
# GitHub accepts at most 1 MiB of job summary per step.
SUMMARY_LIMIT = 1024 * 1024
SEVERITIES = ("info", "low", "medium", "high", "critical")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_COMMENT_PAGES = 30


# --------------------------------------------------------------------------------------------
# logging with workflow commands


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def log(message: str) -> None:
    print(f"clustersec: {message}", flush=True)


def notice(message: str) -> None:
    print(f"::notice title=clustersec::{_escape_data(message)}", flush=True)


def warning(message: str) -> None:
    print(f"::warning title=clustersec::{_escape_data(message)}", flush=True)


def error(message: str) -> None:
    print(f"::error title=clustersec::{_escape_data(message)}", flush=True)


def env(name: str, default: str = "") -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value


def fail_on_setting() -> str:
    """The fail-on input, lower-cased; `never` (the CLI's spelling) is an alias of `none`."""
    value = env("CLUSTERSEC_FAIL_ON").strip().lower()
    return "none" if value == "never" else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name).strip().lower()
    if not value:
        return default
    return value in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------------------------
# step outputs and summary


def write_outputs(values: Dict[str, str]) -> bool:
    """Append outputs to $GITHUB_OUTPUT with the multi-line-safe delimiter syntax."""
    path = env("GITHUB_OUTPUT")
    if not path:
        log("GITHUB_OUTPUT is not set; outputs: " + json.dumps(values, sort_keys=True))
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            for key, value in values.items():
                delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
                fh.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        return True
    except OSError as exc:
        error(f"cannot write step outputs to GITHUB_OUTPUT ({exc}); outputs were: "
              + json.dumps(values, sort_keys=True))
        return False


def append_summary(text: str) -> bool:
    path = env("GITHUB_STEP_SUMMARY")
    if not path:
        log("GITHUB_STEP_SUMMARY is not set; skipping the job summary")
        return False
    data = text.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        note = "\n\n> Job summary truncated to GitHub's 1 MiB limit; see the SARIF file for all findings.\n"
        keep = SUMMARY_LIMIT - len(note.encode("utf-8")) - 16
        text = data[:keep].decode("utf-8", "ignore") + note
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
            if not text.endswith("\n"):
                fh.write("\n")
        return True
    except OSError as exc:
        warning(f"cannot write the job summary to GITHUB_STEP_SUMMARY ({exc}); "
                "the scan result, SARIF and exit code are unaffected")
        return False


# --------------------------------------------------------------------------------------------
# SARIF reading


def load_sarif(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError) as exc:
        warning(f"cannot read SARIF file {path}: {exc}")
        return None


def _result_severity(result: Dict[str, Any], rules: Dict[str, Dict[str, Any]]) -> str:
    props = result.get("properties") or {}
    sev = props.get("severity") if isinstance(props, dict) else None
    if isinstance(sev, str) and sev.lower() in SEVERITIES:
        return sev.lower()
    rule = rules.get(str(result.get("ruleId", ""))) or {}
    rprops = rule.get("properties") or {}
    sev = rprops.get("severity") if isinstance(rprops, dict) else None
    if isinstance(sev, str) and sev.lower() in SEVERITIES:
        return sev.lower()
    level = result.get("level") or ((rule.get("defaultConfiguration") or {}).get("level")) or "warning"
    return {"error": "high", "warning": "medium", "note": "low", "none": "info"}.get(level, "medium")


def sarif_findings(sarif: Dict[str, Any]) -> List[Tuple[str, str, str]]:
    """(rule id, severity, file) per result, suppressed results excluded."""
    out = []
    for run in sarif.get("runs") or []:
        if not isinstance(run, dict):
            continue
        driver = ((run.get("tool") or {}).get("driver") or {})
        rules = {str(r.get("id")): r for r in driver.get("rules") or [] if isinstance(r, dict)}
        for result in run.get("results") or []:
            if not isinstance(result, dict) or result.get("suppressions"):
                continue
            uri = ""
            locations = result.get("locations") or []
            if locations and isinstance(locations[0], dict):
                uri = (((locations[0].get("physicalLocation") or {}).get("artifactLocation") or {})
                       .get("uri") or "")
            out.append((str(result.get("ruleId", "?")), _result_severity(result, rules), str(uri)))
    return out


def sarif_new_findings(sarif: Dict[str, Any]) -> int:
    """Results not suppressed and not `baselineState: unchanged` (every unsuppressed result when
    the scan compared with nothing)."""
    count = 0
    for run in sarif.get("runs") or []:
        if not isinstance(run, dict):
            continue
        for result in run.get("results") or []:
            if not isinstance(result, dict) or result.get("suppressions"):
                continue
            if result.get("baselineState") in ("unchanged", "absent"):
                continue
            count += 1
    return count


# --------------------------------------------------------------------------------------------
# markdown helpers (summary chart)


def md_escape(text: str) -> str:
    """Escape text from a manifest or a path so it renders literally in GitHub markdown."""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()#+-.!|~>":
            out.append("\\" + ch)
        elif ch == "<":
            out.append("&lt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch == "@":
            out.append("&#64;")
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _mermaid_label(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch in " -_./:")[:60] or "?"


def summary_extras(findings: List[Tuple[str, str, str]]) -> str:
    """Charts for the job summary only: findings by severity and rule, and the top files."""
    if not findings:
        return ""
    by_sev = Counter(sev for _, sev, _ in findings)
    by_rule = Counter(rule for rule, _, _ in findings)
    by_file = Counter(f for _, _, f in findings if f)
    lines = ["", "### Findings by severity", "", "```mermaid", "pie showData"]
    for sev in reversed(SEVERITIES):
        if by_sev.get(sev):
            lines.append(f'    "{sev}" : {by_sev[sev]}')
    lines += ["```", "", "### Findings by rule", "", "```mermaid", "pie showData"]
    for rule, count in by_rule.most_common(12):
        lines.append(f'    "{_mermaid_label(rule)}" : {count}')
    lines += ["```", ""]
    if by_file:
        lines += ["### Files with the most findings", "", "| file | findings |", "| --- | ---: |"]
        for path, count in by_file.most_common(10):
            lines.append(f"| {md_escape(path)} | {count} |")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# scan


def default_output_dir() -> str:
    base = env("RUNNER_TEMP") or tempfile.gettempdir()
    return os.path.join(base, "clustersec")


def summary_file_for(markdown_file: str) -> str:
    return os.path.splitext(markdown_file)[0] + ".summary.md"


def build_scan_command(sarif_file: str, markdown_file: str,
                       gate_args: Optional[List[str]] = None,
                       compare_args: Optional[List[str]] = None) -> List[str]:
    binary = env("CLUSTERSEC_BIN", "clustersec")
    cmd = [binary, "scan"]
    cmd += shlex.split(env("CLUSTERSEC_PATH", "."))
    cmd += compare_args or []
    gate_args = gate_args or []
    config = env("CLUSTERSEC_CONFIG")
    if config and "--config" not in gate_args:
        cmd += ["--config", config]
    cmd += gate_args
    # Only what the user set: an empty input leaves the threshold to the config file's
    # `fail-on` (else clustersec's default). `none` reaches clustersec too, which then still
    # fails a scan that checked nothing (see --fail-on-incomplete, --allow-empty).
    fail_on = fail_on_setting()
    if fail_on:
        cmd += ["--fail-on", fail_on]
    cmd += ["--format", "sarif", "--output", sarif_file]
    cmd += ["--format", "markdown", "--output", markdown_file]
    cmd += ["--format", "markdown-summary", "--output", summary_file_for(markdown_file)]
    if env_bool("CLUSTERSEC_ANNOTATIONS", True):
        cmd += ["--format", "github"]
    cmd += shlex.split(env("CLUSTERSEC_EXTRA_ARGS"))
    return cmd


# --------------------------------------------------------------------------------------------
# the gate's config: from the pull request's base commit


CONFIG_NAMES = (".clustersec.yaml", ".clustersec.yml")
# Set by gate_config_args: a note for the report (the pull request changes the config).
GATE_NOTE: List[str] = []
# A config file is small; the base branch is trusted, but nothing is read without a bound.
CONFIG_MAX_BYTES = 1024 * 1024
SHA_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
REF_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]{0,254}$")
GIT_TIMEOUT = 120


def git_env(token: str = "") -> Dict[str, str]:
    """A sanitized environment for git: no system or global config (a runner's or an earlier
    step's), no prompts, nothing from the caller's GIT_* variables. With a token, an HTTP
    authorization header for the GitHub server, passed through the environment (never argv)."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    out = {k: os.environ[k] for k in keep if k in os.environ}
    out.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_NO_REPLACE_OBJECTS": "1",
    })
    if token:
        server = env("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        basic = base64.b64encode(f"x-access-token:{token}".encode("utf-8")).decode("ascii")
        out.update({
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{server}/.extraheader",
            "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
        })
    return out


def git(cwd: str, args: List[str], token: str = "") -> Tuple[int, bytes, str]:
    """Runs git hardened against the repository's own config: no fsmonitor command, no hooks,
    no credential helpers. Returns (exit code, stdout bytes, stderr text)."""
    cmd = ["git", "-c", "core.fsmonitor=", "-c", f"core.hooksPath={os.devnull}",
           "-c", "credential.helper=", "-c", "protocol.ext.allow=never",
           "-c", f"safe.directory={cwd}"] + args
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=git_env(token), capture_output=True,
                              check=False, timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace").strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, b"", str(exc)


def read_event_quietly() -> Optional[Dict[str, Any]]:
    path = env("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError):
        return None
    return event if isinstance(event, dict) else None


def base_revision(pr: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
    """The base commit: `pull_request.base.sha` from the event, else GITHUB_BASE_REF's branch.
    Returns (revision, refspec to fetch it). Both values are checked before git sees them."""
    sha = (pr.get("base") or {}).get("sha") if isinstance(pr.get("base"), dict) else None
    if isinstance(sha, str) and SHA_RE.match(sha):
        return sha, sha
    ref = env("GITHUB_BASE_REF").strip()
    if ref and REF_RE.match(ref) and ".." not in ref and not ref.endswith((".lock", "/")):
        return f"refs/remotes/origin/{ref}", f"+refs/heads/{ref}:refs/remotes/origin/{ref}"
    return None, None


def config_candidates(workspace: str) -> Tuple[List[str], str, bool]:
    """The config paths the scan would use, relative to the workspace, in order; the directory
    its relative paths resolve against; and whether they come from the `config` input."""
    config = env("CLUSTERSEC_CONFIG")
    if config:
        return [config], os.path.dirname(config) or ".", True
    paths = shlex.split(env("CLUSTERSEC_PATH", "."))
    first = paths[0] if paths else "."
    root = first if os.path.isdir(os.path.join(workspace, first)) else "."
    # As clustersec looks: the scan root, then its parents up to the repository root.
    dirs = []
    d = os.path.normpath(root)
    while True:
        dirs.append(d)
        if d in (".", "") or os.path.isabs(d) or d.startswith(".."):
            break
        d = os.path.dirname(d) or "."
    return [os.path.join(d, name) for d in dirs for name in CONFIG_NAMES], root, False


def checkout_top(workspace: str, candidates: List[str]) -> Tuple[Optional[str], str]:
    """The top directory of the git checkout that holds the config candidates (the workspace,
    or a repository checked out into a directory of it); else None and git's message."""
    probe = os.path.normpath(os.path.join(workspace, os.path.dirname(candidates[0]) if candidates else "."))
    while not os.path.isdir(probe) and probe.startswith(workspace + os.sep):
        probe = os.path.dirname(probe)
    code, out, err = git(probe if os.path.isdir(probe) else workspace, ["rev-parse", "--show-toplevel"])
    if code != 0:
        return None, err or str(code)
    return out.decode("utf-8", "replace").strip(), ""


def tree_entry(top: str, rev: str, rel: str) -> Tuple[Optional[List[str]], Optional[str]]:
    """The tree entry of `rel` at `rev`: [mode, type, object id], or None when it is not there;
    second, a problem when git cannot list it."""
    code, out, err = git(top, ["ls-tree", "-z", "--full-tree", rev, "--", rel])
    if code != 0:
        return None, f"cannot list {rel} on {rev}: {err}"
    entry = out.split(b"\0")[0].decode("utf-8", "replace")
    if not entry:
        return None, None
    meta, _, _ = entry.partition("\t")
    parts = meta.split()
    return (parts if len(parts) == 3 else None), (None if len(parts) == 3 else f"odd ls-tree output for {rel}")


def pull_request_changes(workspace: str, rev: str, candidates: List[str]) -> List[str]:
    """The config candidates that the checked-out commit (the pull request) holds differently
    from the base commit, compared by git object id (nothing is read from the workspace)."""
    top, _ = checkout_top(workspace, candidates)
    if top is None:
        return []
    changed = []
    for candidate in candidates:
        path = os.path.relpath(os.path.normpath(os.path.join(workspace, candidate)), top).replace(os.sep, "/")
        if path.startswith("../"):
            continue
        base, _ = tree_entry(top, rev, path)
        head, _ = tree_entry(top, "HEAD", path)
        if base != head:
            changed.append(path)
    return changed


def read_base_config(workspace: str, rev: str, refspec: str,
                     candidates: List[str]) -> Tuple[Optional[str], Optional[str], Optional[str], Optional[str]]:
    """The first candidate that exists on the base commit: (its text, its path), or (None, None)
    when none does; third, a problem that stops the reading (no git checkout, base commit
    unavailable, a candidate that is not a regular file or is too large); fourth, the candidate
    found, as the workspace-relative path it was given."""
    top, err = checkout_top(workspace, candidates)
    if top is None:
        return None, None, f"the config's directory is not in a git checkout ({err})", None
    code, _, _ = git(top, ["cat-file", "-e", f"{rev}^{{commit}}"])
    if code != 0:
        log(f"the base commit {rev} is not in the checkout: fetching it (git fetch --depth=1)")
        fetch = ["fetch", "--no-tags", "--no-recurse-submodules", "--depth=1", "origin", refspec]
        code, _, err = git(top, fetch)
        token = env("CLUSTERSEC_FETCH_TOKEN")
        if code != 0 and token:
            code, _, err = git(top, fetch, token)
        if code != 0:
            return None, None, (f"cannot fetch the base commit {rev} ({err[-300:]}); check out with "
                                "`fetch-depth: 0`, or give the action a token that can read the "
                                "repository"), None
    for i, candidate in enumerate(candidates):
        full = os.path.normpath(os.path.join(workspace, candidate))
        rel = os.path.relpath(full, top).replace(os.sep, "/")
        if rel == ".." or rel.startswith("../") or os.path.isabs(rel):
            if i >= len(CONFIG_NAMES):
                # A parent of the scan root above the repository: clustersec stops there too.
                break
            return None, None, f"the config {candidate} is outside the git checkout {top}", None
        parts, problem = tree_entry(top, rev, rel)
        if problem:
            return None, None, f"{problem} (the base commit)", None
        if parts is None:
            continue
        if parts[1] != "blob" or parts[0] == "120000":
            return None, None, f"{rel} on the base commit {rev} is not a regular file", None
        code, out, err = git(top, ["cat-file", "-s", parts[2]])
        size = int(out.strip() or 0) if code == 0 and out.strip().isdigit() else -1
        if size < 0 or size > CONFIG_MAX_BYTES:
            return None, None, f"{rel} on the base commit {rev} is unreadable or over {CONFIG_MAX_BYTES} bytes", None
        code, out, err = git(top, ["cat-file", "blob", parts[2]])
        if code != 0:
            return None, None, f"cannot read {rel} on the base commit {rev}: {err}", None
        try:
            return out.decode("utf-8"), rel, None, candidate
        except UnicodeDecodeError:
            return None, None, f"{rel} on the base commit {rev} is not UTF-8", None
    return None, None, None, None


def gate_config_args(out_dir: str) -> Tuple[List[str], Optional[str]]:
    """Scan arguments for the gate's config (see CLUSTERSEC_CONFIG_SOURCE), or a problem that
    stops the scan (exit 2: with `base`, a gate whose config cannot be read fails closed).
    With `base`, when the pull request changes the config, GATE_NOTE holds a line for the
    report saying that the change is not applied to this check."""
    GATE_NOTE.clear()
    source = env("CLUSTERSEC_CONFIG_SOURCE", "base").strip().lower()
    if source not in ("base", "head"):
        return [], f"invalid config-source {source!r}: expected base or head"
    event_name = env("GITHUB_EVENT_NAME")
    event = read_event_quietly()
    pr = event.get("pull_request") if event else None
    if event_name not in ("pull_request", "pull_request_target") or not isinstance(pr, dict):
        log(f"not a pull request ({event_name or 'unknown event'}): the checked-out config is the gate's")
        return [], None
    workspace = os.path.abspath(env("GITHUB_WORKSPACE") or os.getcwd())
    candidates, config_dir, explicit = config_candidates(workspace)
    if explicit and os.path.isabs(candidates[0]) and not os.path.normpath(candidates[0]).startswith(
            workspace + os.sep):
        log(f"config {candidates[0]} is outside the repository: used as it is")
        return [], None
    rev, refspec = base_revision(pr)
    problem = None
    text = where = found = None
    if rev is None or refspec is None:
        problem = "cannot tell the pull request's base commit (no pull_request.base.sha or GITHUB_BASE_REF)"
    else:
        text, where, problem, found = read_base_config(workspace, rev, refspec, candidates)
    if problem:
        if source == "base":
            return [], f"config-source base: {problem}"
        warning(f"policy changes not compared with the base branch: {problem}")
        return [], None
    try:
        # A new file of our own (never one that is already there, a symlink included).
        os.makedirs(out_dir, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="base-config-", suffix=".yaml", dir=out_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text or "")
    except OSError as exc:
        problem = f"cannot write the base commit's config to {out_dir}: {exc}"
        if source == "base":
            return [], f"config-source base: {problem}"
        warning(f"policy changes not compared with the base branch: {problem}")
        return [], None
    if source == "head":
        log(f"comparing the pull request's config with the base commit's ({where or 'none: defaults'})")
        return ["--compare-config", path], None
    if where is None:
        notice("config-source base: no clustersec config on the pull request's base commit; the "
               "gate uses clustersec's defaults (a config added by this pull request applies "
               "once it is merged)")
    else:
        notice(f"config-source base: the gate's config is {where} as on the base commit {rev}; "
               "changes this pull request makes to it apply once it is merged")
    changed = pull_request_changes(workspace, rev, candidates)
    if changed:
        files = ", ".join(md_escape(c) for c in changed)
        GATE_NOTE.append(
            f"\n> :information_source: This pull request changes the clustersec config ({files}). "
            "The check above uses the base branch's config (`config-source: base`); the change "
            "applies once it is merged, so review it like code.\n")
    if found is not None and not explicit:
        # A config found in a parent of the scan root resolves its paths against its own
        # directory, as clustersec does.
        config_dir = os.path.dirname(found) or "."
    return ["--config", path, "--config-dir", os.path.join(workspace, config_dir)], None


def comment_mode() -> str:
    """The `comment` input: on-findings, always or never (true and false are the old spellings of
    always and never; anything else is the default)."""
    value = env("CLUSTERSEC_COMMENT", "on-findings").strip().lower()
    if value in ("always", "true", "1", "yes", "on"):
        return "always"
    if value in ("never", "false", "0", "no", "off"):
        return "never"
    if value != "on-findings":
        warning(f"invalid comment {value!r}: expected on-findings, always or never; using on-findings")
    return "on-findings"


def compare_args() -> List[str]:
    """`--baseline FILE` (the `baseline` input) and, on pull requests, `--diff-base` with the base
    commit (fetched when the checkout lacks it): findings on lines the pull request did not add
    or change are then existing. When the merge base cannot be found the scan goes on without
    it (every finding counts as new: stricter, never looser), with a warning."""
    args: List[str] = []
    baseline = env("CLUSTERSEC_BASELINE").strip()
    event_name = env("GITHUB_EVENT_NAME")
    event = read_event_quietly()
    pr = event.get("pull_request") if event else None
    is_pr = event_name in ("pull_request", "pull_request_target") and isinstance(pr, dict)
    if baseline and not is_pr:
        args += ["--baseline", baseline]
    if not is_pr or not isinstance(pr, dict):
        return args
    rev, refspec = base_revision(pr)
    workspace = os.path.abspath(env("GITHUB_WORKSPACE") or os.getcwd())
    code, out, err = git(workspace, ["rev-parse", "--show-toplevel"])
    if rev is None or refspec is None or code != 0:
        if baseline:
            warning("baseline: cannot read the base commit's baseline; every finding counts as new")
        if env_bool("CLUSTERSEC_DIFF_BASE", True):
            warning("diff-base: cannot tell the pull request's base commit or the workspace is not "
                    f"a git checkout ({err}); every finding counts as new")
        return args
    top = out.decode("utf-8", "replace").strip()
    token = env("CLUSTERSEC_FETCH_TOKEN")

    def fetch(extra: List[str]) -> bool:
        cmd = ["fetch", "--no-tags", "--no-recurse-submodules"] + extra + ["origin", refspec]
        code, _, _ = git(top, cmd)
        if code != 0 and token:
            code, _, _ = git(top, cmd, token)
        return code == 0

    if git(top, ["cat-file", "-e", f"{rev}^{{commit}}"])[0] != 0:
        log(f"the base commit {rev} is not in the checkout: fetching it (git fetch --depth=1)")
        fetch(["--depth=1"])
    if baseline:
        # A pull request could add its own findings to the baseline file: on pull requests the
        # base commit's version is used, as for the config.
        path, problem = base_commit_file(workspace, top, rev, baseline)
        if path:
            args += ["--baseline", path]
        else:
            warning(f"baseline: {problem}; every finding counts as new")
    if not env_bool("CLUSTERSEC_DIFF_BASE", True):
        return args
    return args + diff_base_args(top, rev, fetch)


BASELINE_MAX_BYTES = 64 * 1024 * 1024


def base_commit_file(workspace: str, top: str, rev: str, name: str) -> Tuple[Optional[str], str]:
    """The workspace-relative file `name` as on the base commit, written to a new file under
    RUNNER_TEMP: (its path, "") or (None, why not)."""
    full = os.path.normpath(os.path.join(workspace, name))
    rel = os.path.relpath(full, top).replace(os.sep, "/")
    if rel == ".." or rel.startswith("../") or os.path.isabs(rel):
        return None, f"{name} is outside the git checkout"
    parts, problem = tree_entry(top, rev, rel)
    if problem:
        return None, problem
    if parts is None:
        return None, f"{rel} is not on the base commit {rev}"
    if parts[1] != "blob" or parts[0] == "120000":
        return None, f"{rel} on the base commit {rev} is not a regular file"
    code, out, _ = git(top, ["cat-file", "-s", parts[2]])
    size = int(out.strip() or 0) if code == 0 and out.strip().isdigit() else -1
    if size < 0 or size > BASELINE_MAX_BYTES:
        return None, f"{rel} on the base commit {rev} is unreadable or over {BASELINE_MAX_BYTES} bytes"
    code, out, err = git(top, ["cat-file", "blob", parts[2]])
    if code != 0:
        return None, f"cannot read {rel} on the base commit {rev}: {err}"
    try:
        out_dir = default_output_dir()
        os.makedirs(out_dir, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="base-baseline-", suffix=".json", dir=out_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(out)
    except OSError as exc:
        return None, f"cannot write the base commit's baseline: {exc}"
    log(f"baseline: {rel} as on the base commit {rev}")
    return path, ""


def diff_base_args(top: str, rev: str, fetch: Any) -> List[str]:
    """`--diff-base REV` once HEAD and REV have a merge base (more history fetched for a
    shallow checkout), else nothing, with a warning."""
    base_ok = git(top, ["merge-base", "HEAD", rev])[0] == 0
    if not base_ok and git(top, ["rev-parse", "--is-shallow-repository"])[1].strip() == b"true":
        log("diff-base: no merge base in the shallow checkout: fetching more history (--deepen=200)")
        fetch(["--deepen=200"])
        base_ok = git(top, ["merge-base", "HEAD", rev])[0] == 0
    if not base_ok:
        warning(f"diff-base: no merge base of HEAD and the base commit {rev} (check out with "
                "`fetch-depth: 0`); every finding counts as new")
        return []
    return ["--diff-base", rev]


def validate_fail_on() -> Optional[str]:
    fail_on = fail_on_setting()
    if fail_on and fail_on != "none" and fail_on not in SEVERITIES:
        return (f"invalid fail-on {fail_on!r}: expected one of "
                + ", ".join(SEVERITIES) + ", or none (alias never)")
    return None


def cmd_scan() -> Dict[str, str]:
    """Run the scan; never raises for scan problems. Returns the outputs it wrote."""
    out_dir = default_output_dir()
    sarif_file = os.path.abspath(env("CLUSTERSEC_SARIF_FILE") or os.path.join(out_dir, "clustersec.sarif"))
    markdown_file = os.path.abspath(env("CLUSTERSEC_MARKDOWN_FILE")
                                    or os.path.splitext(sarif_file)[0] + ".md")
    outputs = {"sarif-file": sarif_file, "markdown-file": markdown_file,
               "findings": "0", "exit-code": str(EXIT_ERROR), "sarif-exists": "false"}

    problem = validate_fail_on()
    exit_code = EXIT_ERROR
    if problem:
        error(problem)
    else:
        try:
            for path in {os.path.dirname(sarif_file), os.path.dirname(markdown_file)}:
                os.makedirs(path, exist_ok=True)
            # Stale results from an earlier run must never be reported as this run's.
            for path in (sarif_file, markdown_file, summary_file_for(markdown_file)):
                if os.path.exists(path):
                    os.remove(path)
        except OSError as exc:
            error(f"cannot prepare output files: {exc}")
        gate_args, gate_problem = gate_config_args(out_dir)
        if gate_problem:
            error(gate_problem)
        else:
            cmd = build_scan_command(sarif_file, markdown_file, gate_args, compare_args())
            cwd = env("GITHUB_WORKSPACE") or None
            log("running: " + " ".join(shlex.quote(c) for c in cmd))
            # Tokens are for the API and git fetch only: never in the scanner's environment.
            scan_env = {k: v for k, v in os.environ.items()
                        if k not in ("GITHUB_TOKEN", "CLUSTERSEC_FETCH_TOKEN")}
            try:
                # stdout carries the `--format github` workflow commands straight to the runner.
                proc = subprocess.run(cmd, cwd=cwd, env=scan_env, check=False)
                exit_code = proc.returncode
                if exit_code not in (EXIT_CLEAN, EXIT_FINDINGS):
                    error(f"clustersec exited with code {exit_code} (tool error)")
                    exit_code = EXIT_ERROR
            except OSError as exc:
                error(f"cannot run {cmd[0]!r}: {exc}")
                exit_code = EXIT_ERROR

    findings: List[Tuple[str, str, str]] = []
    new_findings = 0
    if os.path.isfile(sarif_file):
        outputs["sarif-exists"] = "true"
        sarif = load_sarif(sarif_file)
        if sarif is not None:
            findings = sarif_findings(sarif)
            new_findings = sarif_new_findings(sarif)
    elif exit_code != EXIT_ERROR:
        error(f"clustersec did not write the SARIF file {sarif_file}")
        exit_code = EXIT_ERROR

    outputs["findings"] = str(len(findings))
    outputs["new-findings"] = str(new_findings)
    outputs["exit-code"] = str(exit_code)

    if GATE_NOTE and exit_code != EXIT_ERROR:
        for path in (markdown_file, summary_file_for(markdown_file)):
            append_note(path, GATE_NOTE[0])
    markdown = read_text(markdown_file)
    if markdown is None and exit_code != EXIT_ERROR:
        warning(f"clustersec did not write the markdown report {markdown_file}")
    # The job summary: clustersec's markdown-summary (the report with charts); else the comment's
    # markdown with charts made here from the SARIF.
    summary = read_text(summary_file_for(markdown_file)) or markdown
    summary = summary or (f"## clustersec\n\nThe scan failed (exit code {exit_code}); see the log.\n"
                          if exit_code == EXIT_ERROR else "")
    if summary:
        summary = summary.replace(MARKER + "\n", "").replace(MARKER, "")
        if "```mermaid" not in summary:
            summary += summary_extras(findings)
        append_summary(summary)

    write_outputs(outputs)
    log(f"{len(findings)} finding(s), scan exit code {exit_code}")
    return outputs


def append_note(path: str, note: str) -> None:
    """Adds a note at the end of a report clustersec wrote (nothing when it wrote none)."""
    if not os.path.isfile(path):
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(note)
    except OSError as exc:
        warning(f"cannot add a note to {path}: {exc}")


def read_text(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


# --------------------------------------------------------------------------------------------
# GitHub REST API clients


class ApiResponse:
    def __init__(self, status: int, body: Any, headers: Optional[Dict[str, str]] = None):
        self.status = status
        self.body = body
        self.headers = {k.lower(): str(v) for k, v in (headers or {}).items()}

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ApiError(Exception):
    def __init__(self, method: str, url: str, response: ApiResponse):
        self.method, self.url, self.response = method, url, response
        super().__init__(describe_api_error(method, url, response))


def describe_api_error(method: str, url: str, response: ApiResponse) -> str:
    status = response.status
    message = ""
    if isinstance(response.body, dict):
        message = str(response.body.get("message", ""))
    elif isinstance(response.body, str):
        message = response.body[:200]
    remaining = response.headers.get("x-ratelimit-remaining")
    if status == 429 or (status == 403 and (remaining == "0" or "rate limit" in message.lower())):
        reset = response.headers.get("x-ratelimit-reset", "")
        return (f"GitHub API rate limit exceeded ({method} {url} -> HTTP {status}"
                + (f", resets at epoch {reset}" if reset else "") + f"): {message}")
    if status in (401, 403):
        return (f"GitHub API denied {method} {url} (HTTP {status}: {message}); the token lacks "
                "permission: a pull request from a fork gets a read-only token, otherwise grant "
                "`pull-requests: write` to the job")
    if status == 404:
        return f"GitHub API: {method} {url} not found (HTTP 404: {message})"
    if status == 0:
        return f"GitHub API unreachable for {method} {url}: {message}"
    return f"GitHub API error for {method} {url}: HTTP {status}: {message}"


class UrllibClient:
    """Plain urllib client for the GitHub REST API."""

    def __init__(self, token: str, api_url: str):
        self.token = token
        self.api_url = api_url.rstrip("/")

    def request(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> ApiResponse:
        url = path if path.startswith("http") else self.api_url + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "clustersec-action")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 (https API URL)
                raw = resp.read().decode("utf-8", "replace")
                return ApiResponse(resp.status, _json_or_text(raw), dict(resp.headers.items()))
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8", "replace") if exc.fp else ""
            return ApiResponse(exc.code, _json_or_text(raw), dict(exc.headers.items()) if exc.headers else {})
        except (urllib.error.URLError, OSError) as exc:
            return ApiResponse(0, str(exc), {})


class CommandClient:
    """Test hook: CLUSTERSEC_GITHUB_API_CMD names a command (shell-like words) that is run as
    `CMD METHOD URL` with the JSON request body (or nothing) on stdin, and prints a JSON object
    {"status": int, "headers": {...}, "body": ...} on stdout."""

    def __init__(self, command: str, api_url: str):
        self.argv = shlex.split(command)
        self.api_url = api_url.rstrip("/")

    def request(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> ApiResponse:
        url = path if path.startswith("http") else self.api_url + path
        data = json.dumps(body) if body is not None else ""
        try:
            proc = subprocess.run(self.argv + [method, url], input=data, capture_output=True,
                                  text=True, check=False, timeout=60)
            reply = json.loads(proc.stdout)
            return ApiResponse(int(reply.get("status", 0)), reply.get("body"), reply.get("headers") or {})
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            return ApiResponse(0, f"API command failed: {exc}", {})


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


def make_client() -> Any:
    api_url = env("GITHUB_API_URL", "https://api.github.com")
    command = env("CLUSTERSEC_GITHUB_API_CMD")
    if command:
        return CommandClient(command, api_url)
    return UrllibClient(env("GITHUB_TOKEN"), api_url)


# --------------------------------------------------------------------------------------------
# the PR comment


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def build_comment_body(markdown: str, run_url: str = "") -> str:
    """Marker line + markdown, cut at a line boundary to stay within GitHub's comment limit."""
    # The marker goes first exactly once, even if a report already carries one.
    markdown = markdown.replace(MARKER + "\n", "").replace(MARKER, "")
    body = f"{MARKER}\n{markdown.rstrip()}\n"
    if utf16_len(body) <= COMMENT_LIMIT:
        return body
    where = (f"[the job summary and the SARIF results]({run_url})" if run_url
             else "the job summary and the SARIF results")
    lines = body.split("\n")
    total = len(lines)
    kept: List[str] = []
    size = 0
    # Leave room for the note (its length does not depend on more than a few digits).
    budget = COMMENT_LIMIT - 600 - utf16_len(where)
    for line in lines:
        cost = utf16_len(line) + 1
        if size + cost > budget:
            break
        kept.append(line)
        size += cost
    # Close an unterminated collapsible section or code fence so the note renders.
    text = "\n".join(kept)
    if text.count("```") % 2:
        text += "\n```"
    opened = text.count("<details>") - text.count("</details>")
    text += "\n</details>" * max(opened, 0)
    left_out = total - len(kept)
    note = (f"\n\n---\n:warning: This report was truncated to fit GitHub's comment limit: "
            f"{left_out} more line(s) were left out. The report lists findings by severity, so the "
            f"most severe are shown above; see {where} for all of them.\n")
    return text + note


def load_event() -> Optional[Dict[str, Any]]:
    path = env("GITHUB_EVENT_PATH")
    if not path:
        warning("GITHUB_EVENT_PATH is not set: cannot find the pull request; PR comment skipped")
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError) as exc:
        warning(f"cannot read the event payload {path} ({exc}); PR comment skipped")
        return None
    if not isinstance(event, dict):
        warning(f"event payload {path} is not a JSON object; PR comment skipped")
        return None
    return event


def find_marker_comments(client: Any, repo: str, number: int) -> List[Dict[str, Any]]:
    """Every comment that starts with the marker, oldest first: anyone can post one, so the
    caller tries each until one can be edited (ours)."""
    found: List[Dict[str, Any]] = []
    for page in range(1, MAX_COMMENT_PAGES + 1):
        path = f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}"
        resp = client.request("GET", path)
        if not resp.ok:
            raise ApiError("GET", path, resp)
        comments = resp.body if isinstance(resp.body, list) else []
        for comment in comments:
            if isinstance(comment, dict) and str(comment.get("body") or "").startswith(MARKER):
                found.append(comment)
        if len(comments) < 100:
            break
    return found


def cmd_comment(outputs: Optional[Dict[str, str]] = None) -> str:
    """Create or update the PR comment. Returns what happened; never raises, never fails."""
    try:
        return _comment(outputs or {})
    except Exception as exc:  # noqa: BLE001 - a comment must never fail the job
        warning(f"PR comment skipped after an unexpected error: {exc!r}")
        return "error"


def _comment(outputs: Dict[str, str]) -> str:
    mode = comment_mode()
    if mode == "never":
        log("PR comment disabled (comment: never)")
        return "disabled"
    event_name = env("GITHUB_EVENT_NAME")
    event = load_event()
    if event is None:
        return "no-event"
    pr = event.get("pull_request")
    if not isinstance(pr, dict) or event_name not in ("", "pull_request", "pull_request_target"):
        log(f"not a pull request event ({event_name or 'unknown'}): no PR comment")
        return "not-pr"
    number = pr.get("number") or event.get("number")
    repo = env("GITHUB_REPOSITORY") or str(((pr.get("base") or {}).get("repo") or {}).get("full_name") or "")
    if not number or not repo:
        warning("the event payload has no pull request number or repository; PR comment skipped")
        return "no-event"
    head_repo = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    base_repo = ((pr.get("base") or {}).get("repo") or {}).get("full_name")
    if (event_name in ("", "pull_request") and head_repo and base_repo and head_repo != base_repo
            and not env_bool("CLUSTERSEC_COMMENT_ON_FORKS", False)):
        notice(f"PR comment skipped: this pull request comes from the fork {head_repo}, and GitHub "
               "gives `pull_request` workflows from forks a read-only token. The findings are in "
               "the job summary, the annotations and code scanning; the job goes on.")
        return "fork"
    if not env("GITHUB_TOKEN") and not env("CLUSTERSEC_GITHUB_API_CMD"):
        warning("no GitHub token (github-token input is empty); PR comment skipped")
        return "no-token"

    markdown_file = outputs.get("markdown-file") or env("CLUSTERSEC_MARKDOWN_FILE")
    markdown = read_text(markdown_file) if markdown_file else None
    if markdown is None or not markdown.strip():
        warning(f"no markdown report at {markdown_file or '(unset)'} (did the scan fail?); PR comment skipped")
        return "no-report"

    server = env("GITHUB_SERVER_URL", "https://github.com")
    run_id = env("GITHUB_RUN_ID")
    run_url = f"{server}/{repo}/actions/runs/{run_id}" if run_id else ""
    body = build_comment_body(markdown, run_url)
    if utf16_len(f"{MARKER}\n{markdown.rstrip()}\n") > COMMENT_LIMIT:
        warning(f"the markdown report ({len(markdown)} characters) exceeds GitHub's {COMMENT_LIMIT}-character "
                f"comment limit; the comment was truncated to {len(body)} characters")

    # on-findings: a pull request that adds nothing (and passes) gets no new comment, but a
    # comment from an earlier run is updated, so it never shows findings that are gone.
    new_raw = outputs.get("new-findings") or env("CLUSTERSEC_NEW_FINDINGS")
    exit_raw = outputs.get("exit-code") or env("CLUSTERSEC_EXIT_CODE")
    quiet = (mode == "on-findings" and new_raw.strip() == "0"
             and exit_raw.strip() == str(EXIT_CLEAN))

    client = make_client()
    try:
        existing_comments = find_marker_comments(client, repo, int(number))
        if quiet and not existing_comments:
            log("no new finding in this pull request: no PR comment (comment: on-findings)")
            return "quiet"
        for existing in existing_comments:
            path = f"/repos/{repo}/issues/comments/{existing['id']}"
            resp = client.request("PATCH", path, {"body": body})
            if resp.ok:
                log(f"updated PR comment {existing['id']} on #{number}")
                return "updated"
            if resp.status not in (403, 404):
                raise ApiError("PATCH", path, resp)
            # Someone else's comment carries our marker, or it was deleted: try the next one,
            # else post our own.
            log(f"cannot update comment {existing['id']} (HTTP {resp.status}); "
                "trying the next one, else creating a new one")
        path = f"/repos/{repo}/issues/{number}/comments"
        resp = client.request("POST", path, {"body": body})
        if not resp.ok:
            raise ApiError("POST", path, resp)
        created = resp.body.get("id") if isinstance(resp.body, dict) else "?"
        log(f"created PR comment {created} on #{number}")
        return "created"
    except ApiError as exc:
        warning(f"PR comment skipped: {exc}. The scan result, SARIF and exit code are unaffected.")
        return "api-error"


# --------------------------------------------------------------------------------------------
# finish


def cmd_finish(exit_code: Optional[str] = None) -> int:
    raw = env("CLUSTERSEC_EXIT_CODE") if exit_code is None else exit_code
    if env("CLUSTERSEC_SARIF_UPLOAD_OUTCOME") == "failure":
        warning("uploading the SARIF file to code scanning failed (is code scanning enabled, and does "
                "the job have `security-events: write`?); the findings are still in the annotations, "
                "the job summary and the PR comment")
    try:
        code = int(raw)
    except (TypeError, ValueError):
        error(f"the scan step reported no exit code ({raw!r}); treating it as a tool error")
        return EXIT_ERROR
    fail_on = fail_on_setting()
    if code == EXIT_FINDINGS:
        # With fail-on none, clustersec exits 1 only when part of the scan was not checked or
        # it found no Kubernetes object: that is never a pass.
        error(f"clustersec failed the scan: findings at or above '{fail_on or 'the configured threshold'}', "
              "or part of the scan not checked (see the summary's last line)")
    elif code != EXIT_CLEAN:
        error("clustersec could not complete the scan (exit code 2)")
        code = EXIT_ERROR
    return code


def main(argv: List[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "scan":
        cmd_scan()
        return 0
    if command == "comment":
        cmd_comment()
        return 0
    if command == "finish":
        return cmd_finish()
    if command == "all":
        outputs = cmd_scan()
        cmd_comment(outputs)
        return cmd_finish(outputs["exit-code"])
    print("usage: clustersec_action.py scan|comment|finish|all", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main(sys.argv))
