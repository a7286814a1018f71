"""Tests of action/install.py against a stand-in release server on 127.0.0.1.

The server plays github.com for one repository: `releases/latest` redirects to the newest tag,
assets are served from `releases/download/<tag>/<name>` through a redirect to another path (as
GitHub redirects to its asset host), and every request is logged. Each test lays out a fake
release (good archive, wrong checksum, missing platform, no release) or points the script at a
closed port (network error), runs `install.py resolve` and `install.py install` as the action
does, and checks the outputs, the messages and the requests.
"""

import hashlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "install.py"
REPO = "clustersec/clustersec"
TAG = "v1.2.3"
LINUX = "x86_64-unknown-linux-musl"
WINDOWS = "x86_64-pc-windows-msvc"
BINARY = b"#!/bin/sh\necho 'clustersec 1.2.3 (fake)'\n"
COMMIT = "c0ffee" + "0" * 34


# --------------------------------------------------------------------------------------------
# fake release archives


def tar_gz(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def good_archive(tag, target):
    if "windows" in target:
        return f"clustersec-{tag}-{target}.zip", zip_bytes(
            {f"clustersec-{tag}-{target}/clustersec.exe": BINARY,
             f"clustersec-{tag}-{target}/README.md": b"readme"})
    return f"clustersec-{tag}-{target}.tar.gz", tar_gz(
        {f"clustersec-{tag}-{target}/clustersec": BINARY,
         f"clustersec-{tag}-{target}/README.md": b"readme"})


def sums_for(assets, wrong=()):
    lines = []
    for name, data in sorted(assets.items()):
        digest = hashlib.sha256(data).hexdigest()
        if name in wrong:
            digest = hashlib.sha256(data + b"tampered").hexdigest()
        lines.append(f"{digest}  {name}\n")
    return "".join(lines).encode()


# --------------------------------------------------------------------------------------------
# the stand-in server


class ReleaseServer:
    """releases: {tag: {asset name: bytes}}; latest: the tag releases/latest points at."""

    def __init__(self):
        self.releases = {}
        self.latest = None
        self.requests = []
        self.fail_next = 0  # answer this many asset requests with 503 first
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                prefix = f"/{REPO}/releases/"
                if self.path == prefix + "latest":
                    if server.latest is None:
                        return self.reply(404, b"Not Found")
                    return self.redirect(f"{prefix}tag/{server.latest}")
                if self.path.startswith(prefix + "download/"):
                    tag, _, name = self.path[len(prefix + "download/"):].partition("/")
                    if name not in server.releases.get(tag, {}):
                        return self.reply(404, b"Not Found")
                    # GitHub answers with a redirect to its asset host.
                    return self.redirect(f"/assets/{tag}/{name}")
                if self.path.startswith("/assets/"):
                    if server.fail_next > 0:
                        server.fail_next -= 1
                        return self.reply(503, b"try again")
                    tag, _, name = self.path[len("/assets/"):].partition("/")
                    data = server.releases.get(tag, {}).get(name)
                    if data is None:
                        return self.reply(404, b"Not Found")
                    return self.reply(200, data)
                return self.reply(404, b"Not Found")

            def redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def reply(self, status, data):
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        # The stand-in listens on the loopback interface only.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, tag=TAG, targets=(LINUX, WINDOWS), wrong=(), commit=COMMIT, latest=True):
        assets = dict(good_archive(tag, t) for t in targets)
        release = dict(assets)
        release["SHA256SUMS"] = sums_for(assets, wrong=wrong)
        if commit:
            release["SOURCE_COMMIT"] = (commit + "\n").encode()
        self.releases[tag] = release
        if latest:
            self.latest = tag
        return release

    def asset_requests(self):
        return [p for p in self.requests if p.startswith("/assets/")]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = ReleaseServer()
    yield srv
    srv.close()


class Runner:
    """A runner's directories and the environment action.yml gives install.py."""

    def __init__(self, root: Path, url: str):
        self.root = root
        self.temp = root / "runner_temp"
        self.temp.mkdir()
        self.tool_cache = root / "tool_cache"
        self.tool_cache.mkdir()
        self.output = root / "output.txt"
        self.bin_dir = root / "bin"  # gh goes here when a test wants one
        self.bin_dir.mkdir()
        self.action = root / "action"
        self.action.mkdir()
        (self.action / "Cargo.toml").write_text(
            '[package]\nname = "clustersec"\nversion = "1.2.3"\n\n[dependencies]\nversion = "9"\n',
            encoding="utf-8")
        (self.action / "Cargo.lock").write_text("# lock\n", encoding="utf-8")
        self.env = {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.path.dirname(sys.executable)}",
            "HOME": str(root),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_TOOL_CACHE": str(self.tool_cache),
            "GITHUB_OUTPUT": str(self.output),
            "CLUSTERSEC_ACTION_PATH": str(self.action),
            "CLUSTERSEC_ACTION_REPOSITORY": REPO,
            "CLUSTERSEC_ACTION_REF": TAG,
            "CLUSTERSEC_VERSION": "",
            "CLUSTERSEC_RELEASES_URL": url,
            "CLUSTERSEC_DOWNLOAD_ATTEMPTS": "1",
            "GH_TOKEN": "test-token-not-real",
        }
        if os.environ.get("SYSTEMROOT"):
            self.env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]

    def run(self, command, **overrides):
        env = dict(self.env)
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        if self.output.exists():
            self.output.unlink()
        return subprocess.run([sys.executable, str(SCRIPT), command], env=env, cwd=str(self.root),
                              capture_output=True, text=True, timeout=120, check=False)

    def outputs(self):
        values = {}
        if not self.output.exists():
            return values
        lines = self.output.read_text(encoding="utf-8").split("\n")
        i = 0
        while i < len(lines):
            if "<<" in lines[i]:
                name, delim = lines[i].split("<<", 1)
                j = lines.index(delim, i + 1)
                values[name] = "\n".join(lines[i + 1:j])
                i = j + 1
            else:
                i += 1
        return values

    def resolve_and_install(self, **overrides):
        resolved = self.run("resolve", **overrides)
        out = self.outputs()
        if resolved.returncode != 0 or out.get("mode") != "release":
            return resolved, out, None, {}
        installed = self.run("install", **overrides)
        return resolved, out, installed, self.outputs()

    def fake_gh(self, exit_code):
        """A `gh` that logs its arguments and exits with exit_code."""
        log = self.root / "gh_calls.jsonl"
        script = self.bin_dir / "gh"
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, sys\n"
            f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
            f"sys.stderr.write('fake gh: exit {exit_code}\\n')\n"
            f"sys.exit({exit_code})\n", encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return log


@pytest.fixture
def runner(tmp_path, server):
    return Runner(tmp_path, server.url)


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------------------------
# the release path


def test_good_archive_is_downloaded_verified_and_extracted(server, runner):
    server.publish()
    resolved, out, installed, inst = runner.resolve_and_install()
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert out["mode"] == "release"
    assert out["version"] == TAG
    assert out["target"] == LINUX
    assert out["cache-key"].startswith(f"clustersec-release-{TAG}-{LINUX}-")
    assert out["cache-dir"] == str(runner.tool_cache / "clustersec" / TAG / LINUX)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    binary = Path(inst["bin"])
    assert binary.read_bytes() == BINARY
    assert binary.name == "clustersec" and str(runner.temp) in str(binary)
    assert os.access(binary, os.X_OK)
    assert inst["cache-hit"] == "false"
    assert "release archive (downloaded), checksum verified" in installed.stdout
    assert "attestation skipped (gh is not on PATH)" in installed.stdout
    # Only the expected member was written next to the binary.
    assert sorted(p.name for p in binary.parent.iterdir()) == ["clustersec"]


def test_second_run_takes_the_archive_from_the_cache(server, runner):
    server.publish()
    runner.resolve_and_install()
    first = len(server.asset_requests())
    _, _, installed, inst = runner.resolve_and_install()
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert inst["cache-hit"] == "true"
    assert "from the cache" in installed.stdout
    archive_downloads = [p for p in server.asset_requests()[first:] if p.endswith(".tar.gz")]
    assert archive_downloads == [], "a cached archive is not downloaded again"


def test_tampered_cache_is_discarded_and_downloaded_again(server, runner):
    server.publish()
    _, out, _, _ = runner.resolve_and_install()
    cached = Path(out["cache-dir"]) / f"clustersec-{TAG}-{LINUX}.tar.gz"
    cached.write_bytes(tar_gz({f"clustersec-{TAG}-{LINUX}/clustersec": b"evil"}))
    _, _, installed, inst = runner.resolve_and_install()
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "does not match SHA256SUMS: discarding it" in installed.stdout
    assert Path(inst["bin"]).read_bytes() == BINARY


def test_wrong_checksum_fails_closed(server, runner):
    server.publish(wrong={f"clustersec-{TAG}-{LINUX}.tar.gz"})
    resolved, out, installed, inst = runner.resolve_and_install()
    assert resolved.returncode == 0 and out["mode"] == "release"
    assert installed.returncode == 1
    assert "::error title=clustersec::checksum mismatch for " in installed.stdout
    assert "bin" not in inst
    cache_dir = Path(out["cache-dir"])
    assert not list(cache_dir.glob("*.tar.gz*")), "a mismatching download is not kept"
    assert not list(runner.temp.glob("clustersec-bin-*")), "nothing is extracted"


def test_missing_platform_falls_back_to_source(server, runner):
    server.publish(targets=(WINDOWS,))
    resolved, out, installed, _ = runner.resolve_and_install()
    assert resolved.returncode == 0, resolved.stdout + resolved.stderr
    assert installed is None
    assert out["mode"] == "source"
    assert f"release {TAG} has no archive for {LINUX}" in out["reason"]
    assert "::notice title=clustersec::building clustersec from source" in resolved.stdout
    assert out["lock-hash"] == hashlib.sha256(b"# lock\n").hexdigest()


def test_platform_without_a_release_target_falls_back_without_network(server, runner):
    server.publish()
    resolved, out, _, _ = runner.resolve_and_install(RUNNER_OS="Linux", RUNNER_ARCH="ARM")
    assert resolved.returncode == 0
    assert out["mode"] == "source"
    assert "no release archive is built for Linux ARM" in out["reason"]
    assert server.requests == []


def test_network_error_fails_closed(runner):
    url = closed_port_url()
    resolved = runner.run("resolve", CLUSTERSEC_RELEASES_URL=url)
    assert resolved.returncode == 1
    assert "::error title=clustersec::cannot download SHA256SUMS from " in resolved.stdout
    assert "set `version: source`" in resolved.stdout
    assert "mode" not in runner.outputs()


def test_network_error_during_install_fails_closed(server, runner):
    server.publish()
    assert runner.run("resolve").returncode == 0
    server.close()  # the server goes away between the two steps
    installed = runner.run("install")
    assert installed.returncode == 1
    assert "::error title=clustersec::cannot download" in installed.stdout


def test_server_error_is_retried(server, runner):
    server.publish()
    server.fail_next = 1
    resolved, out, installed, inst = runner.resolve_and_install(CLUSTERSEC_DOWNLOAD_ATTEMPTS="2")
    assert resolved.returncode == 0, resolved.stdout
    assert installed.returncode == 0, installed.stdout
    assert Path(inst["bin"]).read_bytes() == BINARY


def test_windows_runner_gets_the_zip_and_the_exe(server, runner):
    server.publish()
    _, out, installed, inst = runner.resolve_and_install(RUNNER_OS="Windows", RUNNER_ARCH="X64")
    assert out["target"] == WINDOWS
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert Path(inst["bin"]).name == "clustersec.exe"
    assert Path(inst["bin"]).read_bytes() == BINARY
    assert any(p.endswith(f"clustersec-{TAG}-{WINDOWS}.zip") for p in server.asset_requests())


def test_archive_entries_other_than_the_binary_are_never_written(server, runner):
    name = f"clustersec-{TAG}-{LINUX}.tar.gz"
    archive = tar_gz({"../../escape": b"x", f"clustersec-{TAG}-{LINUX}/clustersec": BINARY,
                      "/abs/path": b"y"})
    server.releases[TAG] = {name: archive, "SHA256SUMS": sums_for({name: archive})}
    server.latest = TAG
    _, _, installed, inst = runner.resolve_and_install()
    assert installed.returncode == 0, installed.stdout
    assert Path(inst["bin"]).read_bytes() == BINARY
    assert not (runner.root / "escape").exists() and not Path("/abs/path").exists()


def test_archive_without_the_binary_fails(server, runner):
    name = f"clustersec-{TAG}-{LINUX}.tar.gz"
    archive = tar_gz({"something/else": b"x"})
    server.releases[TAG] = {name: archive, "SHA256SUMS": sums_for({name: archive})}
    _, _, installed, _ = runner.resolve_and_install()
    assert installed.returncode == 1
    assert f"has no clustersec-{TAG}-{LINUX}/clustersec" in installed.stdout


# --------------------------------------------------------------------------------------------
# attestations (gh)


def test_attestation_is_verified_with_gh(server, runner):
    server.publish()
    log = runner.fake_gh(0)
    _, _, installed, inst = runner.resolve_and_install()
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "attestation verified" in installed.stdout
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == 1
    args = calls[0]
    assert args[:2] == ["attestation", "verify"]
    assert args[2].endswith(f"clustersec-{TAG}-{LINUX}.tar.gz")
    assert args[3:] == ["--repo", REPO, "--signer-workflow",
                        f"{REPO}/.github/workflows/release.yml"]


def test_attestation_failure_fails_closed(server, runner):
    server.publish()
    runner.fake_gh(1)
    _, _, installed, inst = runner.resolve_and_install()
    assert installed.returncode == 1
    assert "build provenance attestation of" in installed.stdout
    assert "fake gh: exit 1" in installed.stdout
    assert "bin" not in inst


def test_attestation_without_a_token_is_skipped(server, runner):
    server.publish()
    log = runner.fake_gh(1)
    _, _, installed, _ = runner.resolve_and_install(GH_TOKEN=None)
    assert installed.returncode == 0, installed.stdout
    assert "attestation skipped (no token for gh" in installed.stdout
    assert not log.exists()


def test_attestation_always_without_gh_fails(server, runner):
    server.publish()
    _, _, installed, _ = runner.resolve_and_install(CLUSTERSEC_VERIFY_ATTESTATION="always")
    assert installed.returncode == 1
    assert "gh is not on PATH" in installed.stdout


# --------------------------------------------------------------------------------------------
# which release: the version input and the action's ref


def test_explicit_version_input(server, runner):
    server.publish(tag="v1.0.0", latest=False)
    server.publish(tag=TAG)
    _, out, installed, _ = runner.resolve_and_install(CLUSTERSEC_VERSION="1.0.0")
    assert out["version"] == "v1.0.0"
    assert installed.returncode == 0, installed.stdout


def test_explicit_version_that_does_not_exist_fails(server, runner):
    server.publish()
    resolved = runner.run("resolve", CLUSTERSEC_VERSION="v9.9.9")
    assert resolved.returncode == 1
    assert "release v9.9.9 of clustersec/clustersec not found" in resolved.stdout


def test_version_input_that_is_not_a_version_fails(server, runner):
    resolved = runner.run("resolve", CLUSTERSEC_VERSION="main; rm -rf /")
    assert resolved.returncode == 1
    assert "is not a release version" in resolved.stdout
    assert server.requests == []


def test_latest_follows_the_redirect(server, runner):
    server.publish(tag="v1.0.0")
    server.publish(tag="v1.1.0")
    _, out, installed, _ = runner.resolve_and_install(CLUSTERSEC_VERSION="latest")
    assert out["version"] == "v1.1.0"
    assert out["reason"] == "the latest release"
    assert installed.returncode == 0, installed.stdout


def test_no_action_ref_means_latest(server, runner):
    server.publish()
    _, out, _, _ = runner.resolve_and_install(CLUSTERSEC_ACTION_REF=None)
    assert out["mode"] == "release" and out["version"] == TAG


def test_ref_and_repository_from_the_action_path(server, runner):
    """github.action_ref can be empty in composite actions: the runner's action path names it."""
    server.publish()
    action_dir = runner.root / "_actions" / "clustersec" / "clustersec" / TAG
    action_dir.mkdir(parents=True)
    (action_dir / "Cargo.lock").write_text("# lock\n", encoding="utf-8")
    _, out, installed, _ = runner.resolve_and_install(
        CLUSTERSEC_ACTION_REF=None, CLUSTERSEC_ACTION_REPOSITORY=None,
        CLUSTERSEC_ACTION_PATH=str(action_dir))
    assert out["mode"] == "release" and out["version"] == TAG
    assert out["reason"] == f"the action's ref {TAG}"
    assert installed.returncode == 0
    branch_dir = runner.root / "_actions" / "clustersec" / "clustersec" / "main"
    branch_dir.mkdir(parents=True)
    _, out, _, _ = runner.resolve_and_install(
        CLUSTERSEC_ACTION_REF=None, CLUSTERSEC_ACTION_REPOSITORY=None,
        CLUSTERSEC_ACTION_PATH=str(branch_dir))
    assert out["mode"] == "source" and "'main'" in out["reason"]


def test_latest_without_any_release_falls_back_to_source(server, runner):
    resolved, out, _, _ = runner.resolve_and_install(CLUSTERSEC_VERSION="latest")
    assert resolved.returncode == 0
    assert out["mode"] == "source"
    assert "has no release yet" in out["reason"]


def test_source_version_builds_from_source_without_network(server, runner):
    server.publish()
    resolved, out, _, _ = runner.resolve_and_install(CLUSTERSEC_VERSION="source")
    assert out["mode"] == "source" and "`source`" in out["reason"]
    assert server.requests == []


def test_branch_ref_falls_back_to_source_without_network(server, runner):
    server.publish()
    resolved, out, _, _ = runner.resolve_and_install(CLUSTERSEC_ACTION_REF="main")
    assert resolved.returncode == 0
    assert out["mode"] == "source"
    assert "'main' is a branch" in out["reason"]
    assert server.requests == []


def test_commit_ref_of_the_release_commit_uses_the_release(server, runner):
    server.publish(commit=COMMIT)
    _, out, installed, _ = runner.resolve_and_install(CLUSTERSEC_ACTION_REF=COMMIT)
    assert out["mode"] == "release", out
    assert out["version"] == TAG  # from the action's Cargo.toml, version 1.2.3
    assert installed.returncode == 0


def test_commit_ref_of_another_commit_falls_back_to_source(server, runner):
    server.publish(commit=COMMIT)
    other = "1" * 40
    resolved, out, _, _ = runner.resolve_and_install(CLUSTERSEC_ACTION_REF=other)
    assert resolved.returncode == 0
    assert out["mode"] == "source"
    assert f"commit {other[:12]} is not the commit release {TAG} was built from" in out["reason"]


def test_commit_ref_with_an_unpublished_version_falls_back_to_source(server, runner):
    resolved, out, _, _ = runner.resolve_and_install(CLUSTERSEC_ACTION_REF=COMMIT)
    assert resolved.returncode == 0
    assert out["mode"] == "source"
    assert f"release {TAG} of {REPO} is not published" in out["reason"]


def test_only_https_or_loopback_http(runner):
    resolved = runner.run("resolve", CLUSTERSEC_RELEASES_URL="http://example.com")
    assert resolved.returncode == 1
    assert "only https is allowed" in resolved.stdout


def test_install_without_resolve_fails(runner):
    installed = runner.run("install")
    assert installed.returncode == 1
    assert "the resolve step must run first" in installed.stdout


# --------------------------------------------------------------------------------------------
# the release workflow's names match what install.py and cargo-binstall look for


def test_release_names_match_binstall_metadata():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import install  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    cargo = (HERE.parent.parent / "Cargo.toml").read_text(encoding="utf-8")
    prefix = 'pkg-url = "{ repo }/releases/download/v{ version }/{ name }-v{ version }-{ target }'
    assert prefix + '.tar.gz"' in cargo and prefix + '.zip"' in cargo
    assert 'bin-dir = "{ name }-v{ version }-{ target }/{ bin }{ binary-ext }"' in cargo
    assert install.archive_name("v1.2.3", LINUX) == f"clustersec-v1.2.3-{LINUX}.tar.gz"
    assert install.archive_name("v1.2.3", WINDOWS) == f"clustersec-v1.2.3-{WINDOWS}.zip"
    assert install.binary_member("v1.2.3", WINDOWS) == f"clustersec-v1.2.3-{WINDOWS}/clustersec.exe"
    assert install.cargo_version(str(HERE.parent.parent)) is not None
