"""Structure tests of the release machinery: release.yml, the self-test workflow, the action's
install steps, the Dockerfile's render image, the GitLab template's image, CHANGELOG.md, and
scripts/release.py end to end (its archives served by the stand-in server, installed by
action/install.py)."""

import hashlib
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from test_install import REPO, ReleaseServer, Runner

yaml = pytest.importorskip("yaml")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RELEASE_PY = ROOT / "scripts" / "release.py"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

sys.path.insert(0, str(HERE.parent))
import install  # noqa: E402

sys.path.pop(0)


def load(path):
    with open(ROOT / path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def triggers(workflow):
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    return workflow.get("on", workflow.get(True))


def cargo_version():
    return install.cargo_version(str(ROOT))


def release_py(*args, env=None):
    return subprocess.run([sys.executable, str(RELEASE_PY), *args], capture_output=True, text=True,
                          cwd=str(ROOT), env=env, check=False)


# --------------------------------------------------------------------------------------------
# release.yml


def test_release_workflow_triggers_and_permissions():
    wf = load(".github/workflows/release.yml")
    assert triggers(wf) == {"push": {"tags": ["v*"]}}
    assert wf["permissions"] == {}
    for name, job in wf["jobs"].items():
        assert "permissions" in job, f"job {name} has no permissions of its own"
        for step in job["steps"]:
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), f"{name}: not pinned by SHA: {step['uses']}"
                assert "actions/cache" not in step["uses"], "no caches in the release workflow"
            if "run" in step:
                assert "${{" not in step["run"], f"{name}: expression inside run: {step.get('name')}"
    jobs = wf["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["release"]["permissions"] == {"contents": "write", "id-token": "write",
                                              "attestations": "write"}
    assert jobs["image"]["permissions"]["packages"] == "write"
    writers = [n for n, j in jobs.items() if j["permissions"].get("contents") == "write"]
    assert writers == ["release"]


def test_release_matrix_covers_every_archive_the_action_looks_for():
    wf = load(".github/workflows/release.yml")
    matrix = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
    targets = {entry["target"]: entry for entry in matrix}
    assert set(targets) == set(install.TARGETS.values())
    # Each target is built on a runner of its OS; Linux on a native runner per architecture.
    assert targets["x86_64-unknown-linux-musl"]["runner"].startswith("ubuntu-")
    assert targets["aarch64-unknown-linux-musl"]["runner"].endswith("-arm")
    assert targets["x86_64-apple-darwin"]["runner"].startswith("macos-")
    assert targets["aarch64-apple-darwin"]["runner"].startswith("macos-")
    assert targets["x86_64-pc-windows-msvc"]["runner"].startswith("windows-")
    assert "crt-static" in targets["x86_64-pc-windows-msvc"]["rustflags"]
    assert {t.get("image-arch") for t in matrix} == {"amd64", "arm64", None}


def test_release_job_publishes_sums_sbom_attestations_and_notes():
    wf = load(".github/workflows/release.yml")
    steps = wf["jobs"]["release"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert any(u.startswith("actions/attest-build-provenance@") for u in uses)
    assert any(u.startswith("anchore/sbom-action@") for u in uses)
    assert "release.py sums dist" in runs and "SOURCE_COMMIT" in runs
    assert "release.py notes" in runs
    assert 'gh release create "$TAG"' in runs and "--verify-tag" in runs
    image_steps = wf["jobs"]["image"]["steps"]
    builds = [s for s in image_steps if s.get("uses", "").startswith("docker/build-push-action@")]
    assert {b["with"]["target"] for b in builds} == {"runtime", "render"}
    for build in builds:
        assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
        assert "BINARY=prebuilt" in build["with"]["build-args"]
    check = wf["jobs"]["check"]["steps"]
    assert any("release.py check-tag" in s.get("run", "") for s in check)


# --------------------------------------------------------------------------------------------
# the self-test workflow and action.yml


def test_self_test_workflow_runs_the_action_on_every_runner():
    wf = load(".github/workflows/action-self-test.yml")
    assert "pull_request" in triggers(wf)
    assert "pull_request_target" not in triggers(wf)
    assert wf["permissions"] == {}
    job = wf["jobs"]["self-test"]
    assert job["permissions"] == {"contents": "read"}
    matrix = job["strategy"]["matrix"]
    assert set(matrix["runner"]) == {"ubuntu-latest", "ubuntu-24.04-arm", "macos-latest",
                                     "windows-latest"}
    assert {"runner": "ubuntu-latest", "version": "source"} in matrix["include"]
    step = next(s for s in job["steps"] if s.get("uses") == "./")
    assert step["with"]["path"] == "examples"
    assert step["with"]["version"] == "${{ matrix.version }}"
    check = job["steps"][-1]["run"]
    assert 'test "$FINDINGS" -gt 0' in check


def test_action_installs_the_release_before_the_source_build():
    action = load("action.yml")
    assert action["inputs"]["version"]["default"] == ""
    steps = action["runs"]["steps"]
    ids = [s.get("id") or s.get("name") for s in steps]
    order = ["locate", "resolve", "Restore the cached release archive", "install",
             "Save the release archive to the cache", "Cache the clustersec build", "build", "scan"]
    assert [ids.index(x) for x in order] == sorted(ids.index(x) for x in order)
    by_id = {s.get("id") or s.get("name"): s for s in steps}
    resolve = by_id["resolve"]
    assert resolve["env"]["CLUSTERSEC_ACTION_REF"] == "${{ github.action_ref }}"
    assert resolve["env"]["CLUSTERSEC_VERSION"] == "${{ inputs.version }}"
    assert "install.py\" resolve" in resolve["run"]
    assert "install.py\" install" in by_id["install"]["run"]
    for name in ("Restore the cached release archive", "Save the release archive to the cache"):
        assert SHA_PIN.match(by_id[name]["uses"])
        assert by_id[name]["with"]["key"] == "${{ steps.resolve.outputs.cache-key }}"
    assert by_id["Save the release archive to the cache"]["if"] == \
        "steps.install.outputs.cache-hit == 'false'"
    assert by_id["build"]["if"] == "steps.resolve.outputs.mode == 'source'"
    assert by_id["Cache the clustersec build"]["if"] == "steps.resolve.outputs.mode == 'source'"
    assert "steps.install.outputs.bin" in by_id["scan"]["env"]["CLUSTERSEC_BIN"]


# --------------------------------------------------------------------------------------------
# images


def test_dockerfile_render_image_pins_and_checks_helm_and_kustomize():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)\s+AS\s+(\S+)$", text, re.M)
    names = [name for _, name in stages]
    assert names[-1] == "runtime", "the default target stays the FROM scratch image"
    assert dict((n, b) for b, n in stages)["runtime"] == "scratch"
    assert "render" in names and "binary-prebuilt" in names
    for tool in ("HELM", "KUSTOMIZE"):
        assert re.search(rf"^ARG {tool}_VERSION=\d+\.\d+\.\d+$", text, re.M)
        for arch in ("AMD64", "ARM64"):
            assert re.search(rf"^ARG {tool}_SHA256_{arch}=[0-9a-f]{{64}}$", text, re.M), (tool, arch)
    assert text.count("| sha256sum -c -") == 2
    render = text.split("AS render\n", 1)[1].split("\nFROM ", 1)[0]
    assert "\nRUN " not in render, "no RUN in the render stage: arm64 builds need no emulation"
    assert "USER 65532:65532" in render


def test_gitlab_template_uses_the_versioned_render_image():
    template = load("ci/gitlab/clustersec.gitlab-ci.yml")
    image = template["variables"]["CLUSTERSEC_IMAGE"]
    assert image == f"ghcr.io/clustersec/clustersec:{cargo_version()}-render"
    text = (ROOT / "ci/gitlab/clustersec.gitlab-ci.yml").read_text(encoding="utf-8")
    assert "@sha256:<digest>" in text, "the template documents pinning by digest"


# --------------------------------------------------------------------------------------------
# CHANGELOG.md and scripts/release.py


def test_changelog_has_the_cargo_version_and_unreleased():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(cargo_version())}\]", text, re.M)
    assert "keepachangelog.com" in text


def test_check_tag_accepts_only_the_cargo_version():
    version = cargo_version()
    ok = release_py("check-tag", f"v{version}")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == version
    bad = release_py("check-tag", "v99.0.0")
    assert bad.returncode == 1
    assert f"does not match the Cargo.toml version {version}" in bad.stderr


def test_notes_are_the_changelog_section():
    notes = release_py("notes", cargo_version())
    assert notes.returncode == 0
    assert notes.stdout.startswith("The first release")
    assert "## [" not in notes.stdout and "[Unreleased]:" not in notes.stdout
    missing = release_py("notes", "99.0.0")
    assert missing.returncode == 1 and "no `## [99.0.0]` section" in missing.stderr


def test_archives_from_release_py_install_with_install_py(tmp_path):
    """The release workflow's packaging and the action's installer agree on every name."""
    version = cargo_version()
    tag = f"v{version}"
    fake = tmp_path / "clustersec"
    fake.write_bytes(b"\x7fELF fake binary")
    dist = tmp_path / "dist"
    env = {"SOURCE_DATE_EPOCH": "1700000000", "PATH": "", "SYSTEMROOT": ""}
    for target in ("x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"):
        made = release_py("package", target, str(fake), str(dist), env=env)
        assert made.returncode == 0, made.stderr
    (dist / "SOURCE_COMMIT").write_text("0" * 40 + "\n", encoding="utf-8")
    assert release_py("sums", str(dist)).returncode == 0
    sums = install.parse_sums((dist / "SHA256SUMS").read_text(encoding="utf-8"))
    assert set(sums) == {f"clustersec-{tag}-x86_64-unknown-linux-musl.tar.gz",
                         f"clustersec-{tag}-x86_64-pc-windows-msvc.zip", "SOURCE_COMMIT"}
    for name, digest in sums.items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest

    # Reproducible: the same input gives the same bytes.
    again = tmp_path / "again"
    release_py("package", "x86_64-unknown-linux-musl", str(fake), str(again), env=env)
    name = f"clustersec-{tag}-x86_64-unknown-linux-musl.tar.gz"
    assert (again / name).read_bytes() == (dist / name).read_bytes()
    with tarfile.open(dist / name) as tf:
        members = {m.name: m for m in tf.getmembers()}
    base = f"clustersec-{tag}-x86_64-unknown-linux-musl"
    assert set(members) == {f"{base}/clustersec", f"{base}/README.md", f"{base}/CHANGELOG.md"}
    assert members[f"{base}/clustersec"].mode == 0o755
    with zipfile.ZipFile(dist / f"clustersec-{tag}-x86_64-pc-windows-msvc.zip") as zf:
        assert f"clustersec-{tag}-x86_64-pc-windows-msvc/clustersec.exe" in zf.namelist()

    server = ReleaseServer()
    try:
        server.releases[tag] = {p.name: p.read_bytes() for p in dist.iterdir()}
        server.latest = tag
        for runner_os, exe in (("Linux", "clustersec"), ("Windows", "clustersec.exe")):
            root = tmp_path / f"runner-{runner_os}"
            root.mkdir()
            runner = Runner(root, server.url)
            resolved, out, installed, inst = runner.resolve_and_install(
                RUNNER_OS=runner_os, CLUSTERSEC_ACTION_REF=tag)
            assert resolved.returncode == 0, resolved.stdout + resolved.stderr
            assert out["mode"] == "release", out
            assert installed.returncode == 0, installed.stdout + installed.stderr
            assert Path(inst["bin"]).name == exe
            assert Path(inst["bin"]).read_bytes() == fake.read_bytes()
        assert any(p.startswith(f"/{REPO}/releases/download/{tag}/") for p in server.requests)
    finally:
        server.close()
