#!/usr/bin/env python3
"""Get the clustersec binary for the GitHub Action: a verified release archive, or a source build.

Python 3.8+ standard library only, like clustersec_action.py; run by action.yml in two steps,
because the cache of release archives (actions/cache) is restored between them:

  resolve  decide which path to take and, for a release, which tag and archive. Writes the step
           outputs `mode` (release or source), `version` (the tag), `target`, `cache-dir`,
           `cache-key`, `lock-hash` (for the source build's cache) and `reason`, and a state file
           for `install`. A release that does not exist, a platform without an archive, or an
           action ref that is not a release make it choose `source`, saying why.
  install  (mode release) fetch SHA256SUMS, take the archive from the cache directory or download
           it, check its SHA-256 (a mismatch fails the step), check its build provenance
           attestation with `gh attestation verify` when gh is on PATH (a failure fails the step),
           extract the one binary to a fresh directory under RUNNER_TEMP, and write the outputs
           `bin` and `cache-hit`.

Which release (environment, set by action.yml):

  CLUSTERSEC_VERSION     the `version` input: empty (default), `latest`, `vX.Y.Z` (or `X.Y.Z`),
                         or `source` to always build from source.
  CLUSTERSEC_ACTION_REF  github.action_ref. With an empty `version`: a release tag (`v1.2.3`)
                         selects that release; a full commit SHA selects the release of the
                         version in the action's Cargo.toml when that release was built from this
                         very commit (its SOURCE_COMMIT asset), else a source build; any other ref
                         (a branch such as `main`) is not a release: source build. No ref at all
                         (`uses: ./`) means `latest`.
  CLUSTERSEC_ACTION_REPOSITORY  owner/name of the releases (default clustersec/clustersec).
  CLUSTERSEC_ACTION_PATH the action's directory (default: the parent of this file). When the two
                         above are empty (they are not promised in composite actions), the ref and
                         repository come from this path, `.../_actions/OWNER/NAME/REF`.
  CLUSTERSEC_RELEASES_URL  test hook: the server in place of https://github.com. Only https is
                         accepted, except http on 127.0.0.1/localhost (the tests' stand-in server).
  CLUSTERSEC_DOWNLOAD_ATTEMPTS  attempts per request on network errors and 5xx (default 3).
  CLUSTERSEC_VERIFY_ATTESTATION  auto (default: when gh is on PATH), always, never.
  GH_TOKEN               token for `gh attestation verify` (the github-token input).
  RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_OUTPUT: from the runner.

Release layout (.github/workflows/release.yml): assets under
{base}/{repo}/releases/download/{tag}/: SHA256SUMS (`sha256sum` format), SOURCE_COMMIT (the
tagged commit), and clustersec-{tag}-{target}.tar.gz (.zip on Windows) holding
clustersec-{tag}-{target}/clustersec (.exe on Windows).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from typing import Dict, List, Optional, Tuple

NAME = "clustersec"
DEFAULT_REPOSITORY = "clustersec/clustersec"
DEFAULT_BASE_URL = "https://github.com"
SIGNER_WORKFLOW = ".github/workflows/release.yml"
TIMEOUT_SECONDS = 60
# Upper bounds on what is read from the network or an archive (a release is a few MiB).
MAX_SUMS_BYTES = 64 * 1024
MAX_COMMIT_BYTES = 1024
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
MAX_BINARY_BYTES = 300 * 1024 * 1024
RELEASE_TAG = re.compile(r"^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")

# (RUNNER_OS, RUNNER_ARCH) -> Rust target triple of the release archive.
TARGETS = {
    ("Linux", "X64"): "x86_64-unknown-linux-musl",
    ("Linux", "ARM64"): "aarch64-unknown-linux-musl",
    ("macOS", "X64"): "x86_64-apple-darwin",
    ("macOS", "ARM64"): "aarch64-apple-darwin",
    ("Windows", "X64"): "x86_64-pc-windows-msvc",
}


class InstallError(Exception):
    """Fails the step: the message says what was wrong and what to do."""


class NotFound(Exception):
    """HTTP 404 from the release server."""


# --------------------------------------------------------------------------------------------
# logging and outputs (the same workflow-command conventions as clustersec_action.py)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def log(message: str) -> None:
    print(f"clustersec: {message}", flush=True)


def notice(message: str) -> None:
    print(f"::notice title=clustersec::{_escape_data(message)}", flush=True)


def error(message: str) -> None:
    print(f"::error title=clustersec::{_escape_data(message)}", flush=True)


def env(name: str, default: str = "") -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def write_outputs(values: Dict[str, str]) -> None:
    path = env("GITHUB_OUTPUT")
    if not path:
        log("GITHUB_OUTPUT is not set; outputs: " + json.dumps(values, sort_keys=True))
        return
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            delimiter = f"ghadelimiter_{uuid.uuid4().hex}"
            fh.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")


# --------------------------------------------------------------------------------------------
# platform and names


def runner_platform() -> Tuple[str, str]:
    """(RUNNER_OS, RUNNER_ARCH), guessed from Python when not on a runner."""
    os_name = env("RUNNER_OS")
    arch = env("RUNNER_ARCH")
    if not os_name:
        os_name = {"linux": "Linux", "darwin": "macOS", "win32": "Windows"}.get(sys.platform, sys.platform)
    if not arch:
        import platform

        machine = platform.machine().lower()
        arch = {"x86_64": "X64", "amd64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}.get(machine, machine)
    return os_name, arch


def archive_name(tag: str, target: str) -> str:
    ext = ".zip" if "windows" in target else ".tar.gz"
    return f"{NAME}-{tag}-{target}{ext}"


def binary_member(tag: str, target: str) -> str:
    exe = ".exe" if "windows" in target else ""
    return f"{NAME}-{tag}-{target}/{NAME}{exe}"


def action_path() -> str:
    return env("CLUSTERSEC_ACTION_PATH") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cargo_version(path: str) -> Optional[str]:
    """`version` of the [package] table of Cargo.toml (a plain reader: no TOML module in 3.8)."""
    try:
        with open(os.path.join(path, "Cargo.toml"), encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return None
    in_package = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[package]"
            continue
        match = re.match(r'^version\s*=\s*"([^"]+)"', stripped)
        if in_package and match:
            return match.group(1)
    return None


def ref_from_action_path(path: str) -> Tuple[str, str]:
    """(owner/name, ref) from a runner's action directory `.../_actions/OWNER/NAME/REF`.

    github.action_ref and github.action_repository are not promised for composite actions
    (actions/runner#2473); the directory the runner checked the action out to names both.
    ('', '') for anything else, e.g. `uses: ./` (the workspace).
    """
    parts = os.path.normpath(path).replace("\\", "/").split("/")
    if len(parts) >= 4 and parts[-4] == "_actions":
        return f"{parts[-3]}/{parts[-2]}", parts[-1]
    return "", ""


def lock_hash(path: str) -> str:
    try:
        with open(os.path.join(path, "Cargo.lock"), "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return "no-lockfile"


def normalise_tag(version: str) -> str:
    tag = version if version.startswith("v") else "v" + version
    if not RELEASE_TAG.match(tag):
        raise InstallError(f"version '{version}' is not a release version: use latest, vX.Y.Z, "
                           "or source")
    return tag


# --------------------------------------------------------------------------------------------
# HTTP


def base_url() -> str:
    url = env("CLUSTERSEC_RELEASES_URL", DEFAULT_BASE_URL).rstrip("/")
    check_url(url)
    return url


def check_url(url: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    local = parsed.hostname in ("127.0.0.1", "localhost")
    if parsed.scheme == "https" or (parsed.scheme == "http" and local):
        return
    raise InstallError(f"refusing to download from {url}: only https is allowed")


class _HttpsRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects (release assets live on another host) but never to plain http."""

    follow = True

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        if not self.follow:
            return None
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoRedirects(_HttpsRedirects):
    follow = False


def _open(url: str, follow: bool = True):
    check_url(url)
    handler = _HttpsRedirects() if follow else _NoRedirects()
    opener = urllib.request.build_opener(handler)
    request = urllib.request.Request(url, headers={"User-Agent": "clustersec-action-install"})
    return opener.open(request, timeout=TIMEOUT_SECONDS)


def attempts() -> int:
    try:
        return max(1, min(10, int(env("CLUSTERSEC_DOWNLOAD_ATTEMPTS", "3"))))
    except ValueError:
        return 3


def _with_retries(what: str, url: str, action):
    """Run action() with retries on network errors and 5xx; 404 raises NotFound."""
    last = ""
    for attempt in range(1, attempts() + 1):
        try:
            return action()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise NotFound(url) from None
            last = f"HTTP {exc.code} {exc.reason}"
            if exc.code < 500:
                break
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            last = str(reason) or type(exc).__name__
        if attempt < attempts():
            time.sleep(min(2 ** attempt, 10))
    raise InstallError(f"cannot download {what} from {url}: {last}. The step fails rather than "
                       "run an unverified binary; re-run the job, or set `version: source` to "
                       "build from source")


def fetch(what: str, url: str, limit: int) -> bytes:
    def action() -> bytes:
        with _open(url) as response:
            data = response.read(limit + 1)
        if len(data) > limit:
            raise InstallError(f"{what} at {url} is larger than {limit} bytes")
        return data

    return _with_retries(what, url, action)


def fetch_to_file(what: str, url: str, path: str, limit: int) -> None:
    def action() -> None:
        total = 0
        with _open(url) as response, open(path, "wb") as out:
            while True:
                chunk = response.read(1024 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise InstallError(f"{what} at {url} is larger than {limit} bytes")
                out.write(chunk)

    _with_retries(what, url, action)


def latest_tag(base: str, repo: str) -> Optional[str]:
    """The tag `releases/latest` redirects to; None when the repository has no release."""
    url = f"{base}/{repo}/releases/latest"

    def action() -> Optional[str]:
        try:
            with _open(url, follow=False) as response:
                final = response.geturl()
        except urllib.error.HTTPError as exc:
            if exc.code not in (301, 302, 303, 307, 308):
                raise
            final = exc.headers.get("Location", "")
        path = urllib.parse.urlsplit(urllib.parse.urljoin(url, final)).path
        match = re.search(r"/releases/tag/([^/]+)$", path)
        if not match:
            return None
        tag = urllib.parse.unquote(match.group(1))
        if not RELEASE_TAG.match(tag):
            raise InstallError(f"the latest release of {repo} has the tag '{tag}', which is not vX.Y.Z")
        return tag

    try:
        return _with_retries("the latest release", url, action)
    except NotFound:
        return None


# --------------------------------------------------------------------------------------------
# SHA256SUMS and archives


def parse_sums(text: str) -> Dict[str, str]:
    """`sha256sum` output: '<64 hex>  <name>' (or ' *<name>' for binary mode) per line."""
    sums = {}
    for line in text.splitlines():
        match = re.match(r"^([0-9a-fA-F]{64}) [ *](.+)$", line.strip("\r"))
        if match:
            sums[match.group(2).strip()] = match.group(1).lower()
    return sums


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_limited(src, dst_path: str) -> None:
    total = 0
    with open(dst_path, "wb") as dst:
        while True:
            chunk = src.read(1024 * 1024)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_BINARY_BYTES:
                raise InstallError(f"the binary in the archive is larger than {MAX_BINARY_BYTES} bytes")
            dst.write(chunk)


def extract_binary(archive: str, member: str, dest_dir: str) -> str:
    """Extract only `member` (a regular file) to dest_dir; no other entry is written anywhere."""
    os.makedirs(dest_dir, exist_ok=True)
    dest = os.path.join(dest_dir, member.rsplit("/", 1)[-1])
    try:
        if archive.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                try:
                    info = zf.getinfo(member)
                except KeyError:
                    raise InstallError(f"{os.path.basename(archive)} has no {member}") from None
                if info.is_dir():
                    raise InstallError(f"{member} in {os.path.basename(archive)} is not a file")
                with zf.open(info) as src:
                    _copy_limited(src, dest)
        else:
            with tarfile.open(archive, "r:gz") as tf:
                try:
                    info = tf.getmember(member)
                except KeyError:
                    raise InstallError(f"{os.path.basename(archive)} has no {member}") from None
                if not info.isfile():
                    raise InstallError(f"{member} in {os.path.basename(archive)} is not a regular file")
                src = tf.extractfile(info)
                if src is None:
                    raise InstallError(f"cannot read {member} from {os.path.basename(archive)}")
                with src:
                    _copy_limited(src, dest)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InstallError(f"cannot extract {member} from {os.path.basename(archive)}: {exc}") from None
    os.chmod(dest, 0o755)
    return dest


# --------------------------------------------------------------------------------------------
# resolve


def state_path() -> str:
    return os.path.join(env("RUNNER_TEMP", tempfile.gettempdir()), "clustersec-install.json")


def source(reason: str, lock: str) -> Dict[str, str]:
    notice(f"building clustersec from source: {reason}")
    return {"mode": "source", "reason": reason, "version": "", "target": "", "cache-dir": "",
            "cache-key": "", "lock-hash": lock}


def resolve() -> Dict[str, str]:
    version = env("CLUSTERSEC_VERSION").lower()
    path = action_path()
    path_repo, path_ref = ref_from_action_path(path)
    ref = env("CLUSTERSEC_ACTION_REF") or path_ref
    repo = env("CLUSTERSEC_ACTION_REPOSITORY") or path_repo or DEFAULT_REPOSITORY
    lock = lock_hash(path)
    if not re.match(r"^[\w.-]+/[\w.-]+$", repo):
        raise InstallError(f"'{repo}' is not an owner/name repository")

    if version == "source":
        return source("the version input is `source`", lock)

    os_name, arch = runner_platform()
    target = TARGETS.get((os_name, arch))
    if target is None:
        return source(f"no release archive is built for {os_name} {arch}", lock)

    base = base_url()
    explicit = bool(version) and version != "latest"
    commit_check = ""
    if explicit:
        tag = normalise_tag(version)
        how = "the version input"
    elif version == "latest" or not ref:
        tag = latest_tag(base, repo) or ""
        if not tag:
            return source(f"{repo} has no release yet", lock)
        how = "the latest release" if version == "latest" else "the latest release (the action has no ref)"
    elif RELEASE_TAG.match(ref):
        tag = ref
        how = f"the action's ref {ref}"
    elif FULL_SHA.match(ref.lower()):
        declared = cargo_version(path)
        if not declared:
            return source(f"the action's commit {ref} has no readable Cargo.toml version", lock)
        tag = normalise_tag(declared)
        commit_check = ref.lower()
        how = f"the action's commit {ref[:12]} (Cargo.toml version {declared})"
    else:
        return source(f"the action's ref '{ref}' is a branch or another non-release ref; set "
                      "`version: latest` or pin a release to download a binary", lock)

    release = f"{base}/{repo}/releases/download/{urllib.parse.quote(tag)}"
    try:
        sums_text = fetch("SHA256SUMS", f"{release}/SHA256SUMS", MAX_SUMS_BYTES).decode("utf-8", "replace")
    except NotFound:
        if explicit:
            raise InstallError(f"release {tag} of {repo} not found (no SHA256SUMS at "
                               f"{release}/SHA256SUMS); check the version input") from None
        return source(f"release {tag} of {repo} is not published (no SHA256SUMS)", lock)

    if commit_check:
        try:
            built_from = fetch("SOURCE_COMMIT", f"{release}/SOURCE_COMMIT", MAX_COMMIT_BYTES)
            built_from_text = built_from.decode("utf-8", "replace").strip().lower()
        except NotFound:
            built_from_text = ""
        if built_from_text != commit_check:
            return source(f"the action's commit {commit_check[:12]} is not the commit release {tag} "
                          "was built from", lock)

    archive = archive_name(tag, target)
    sums = parse_sums(sums_text)
    expected = sums.get(archive)
    if expected is None:
        return source(f"release {tag} has no archive for {target} ({archive} is not in SHA256SUMS)", lock)

    cache_root = env("RUNNER_TOOL_CACHE") or env("RUNNER_TEMP", tempfile.gettempdir())
    cache_dir = os.path.join(cache_root, NAME, tag, target)
    state = {"tag": tag, "target": target, "archive": archive, "sha256": expected,
             "release_url": release, "repository": repo, "cache_dir": cache_dir}
    with open(state_path(), "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    log(f"using release {tag} ({how}) for {target}")
    return {"mode": "release", "reason": how, "version": tag, "target": target,
            "cache-dir": cache_dir, "cache-key": f"{NAME}-release-{tag}-{target}-{expected[:16]}",
            "lock-hash": lock}


# --------------------------------------------------------------------------------------------
# install


def verify_attestation(archive: str, repo: str) -> str:
    """'verified', or 'skipped (...)'; raises InstallError when gh says the archive is not attested."""
    mode = env("CLUSTERSEC_VERIFY_ATTESTATION", "auto").lower()
    if mode == "never":
        return "skipped (CLUSTERSEC_VERIFY_ATTESTATION=never)"
    gh = shutil.which("gh")
    if gh is None:
        if mode == "always":
            raise InstallError("gh is not on PATH, so the build provenance attestation cannot be "
                               "verified (CLUSTERSEC_VERIFY_ATTESTATION=always)")
        return "skipped (gh is not on PATH)"
    if not (env("GH_TOKEN") or env("GITHUB_TOKEN")):
        if mode == "always":
            raise InstallError("no token for gh (the github-token input is empty), so the build "
                               "provenance attestation cannot be verified")
        return "skipped (no token for gh: the github-token input is empty)"
    command = [gh, "attestation", "verify", archive, "--repo", repo,
               "--signer-workflow", f"{repo}/{SIGNER_WORKFLOW}"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise InstallError(f"cannot run gh attestation verify: {exc}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise InstallError(f"the build provenance attestation of {os.path.basename(archive)} does not "
                           f"verify (gh attestation verify exited {result.returncode}"
                           + (f": {detail[-1]}" if detail else "") + "); not using this binary")
    return "verified"


def install() -> Dict[str, str]:
    try:
        with open(state_path(), encoding="utf-8") as fh:
            state = json.load(fh)
    except (OSError, ValueError) as exc:
        raise InstallError(f"no release was resolved ({exc}); the resolve step must run first") from None
    tag, target, archive_file = state["tag"], state["target"], state["archive"]
    cache_dir, release = state["cache_dir"], state["release_url"]
    os.makedirs(cache_dir, exist_ok=True)

    # SHA256SUMS again, from the release itself: the cache is checked against it, not trusted.
    sums = parse_sums(fetch("SHA256SUMS", f"{release}/SHA256SUMS", MAX_SUMS_BYTES)
                      .decode("utf-8", "replace"))
    expected = sums.get(archive_file)
    if expected is None or expected != state["sha256"]:
        raise InstallError(f"SHA256SUMS of {tag} changed between the resolve and install steps")

    cached = os.path.join(cache_dir, archive_file)
    cache_hit = False
    if os.path.isfile(cached):
        if sha256_file(cached) == expected:
            cache_hit = True
            log(f"{archive_file} from the cache")
        else:
            log(f"the cached {archive_file} does not match SHA256SUMS: discarding it")
            os.remove(cached)
    if not cache_hit:
        partial = cached + ".part"
        fetch_to_file(archive_file, f"{release}/{urllib.parse.quote(archive_file)}", partial,
                      MAX_ARCHIVE_BYTES)
        actual = sha256_file(partial)
        if actual != expected:
            os.remove(partial)
            raise InstallError(f"checksum mismatch for {archive_file}: SHA256SUMS of {tag} says "
                               f"{expected}, the download is {actual}. Not using it: the release "
                               "asset or the connection has been tampered with, or the release is "
                               "broken")
        os.replace(partial, cached)
        log(f"downloaded {archive_file}")
    log(f"sha256 {expected} matches SHA256SUMS")

    attestation = verify_attestation(cached, state["repository"])
    log(f"build provenance attestation: {attestation}")

    bin_dir = os.path.join(env("RUNNER_TEMP", tempfile.gettempdir()), f"{NAME}-bin-{uuid.uuid4().hex[:8]}")
    binary = extract_binary(cached, binary_member(tag, target), bin_dir)
    notice(f"clustersec {tag} for {target}: release archive "
           f"({'cache' if cache_hit else 'downloaded'}), checksum verified, attestation {attestation}")
    return {"bin": binary, "cache-hit": "true" if cache_hit else "false"}


def main(argv: List[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    try:
        if command == "resolve":
            write_outputs(resolve())
        elif command == "install":
            write_outputs(install())
        else:
            print("usage: install.py resolve|install", file=sys.stderr)
            return 2
    except InstallError as exc:
        error(str(exc))
        return 1
    except OSError as exc:
        # A runner directory that cannot be written (RUNNER_TEMP, the cache, GITHUB_OUTPUT).
        error(f"cannot {command} clustersec: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
