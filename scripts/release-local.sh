#!/usr/bin/env bash
# Reproduce the Linux part of .github/workflows/release.yml on this machine, without publishing:
#   1. build the x86_64-unknown-linux-musl release binary (if the musl target can be installed
#      and musl-gcc is there;
#      else a static glibc build with -C target-feature=+crt-static, the closest equivalent),
#      with CLUSTERSEC_COMMIT so --version names the commit;
#   2. package it with scripts/release.py as the workflow does, write SOURCE_COMMIT and
#      SHA256SUMS, and check them with `sha256sum -c`;
#   3. install the archive with the action's installer (action/install.py) from a stand-in
#      release server on 127.0.0.1, and run the installed binary on examples/;
#   4. build the release image (Dockerfile, --build-arg BINARY=prebuilt, target runtime) with
#      buildah from that binary and scan examples/ in it.
# The other targets of the matrix (aarch64 musl, macOS, Windows) need their runners.
#
# Environment:
#   CLUSTERSEC_STATIC_BIN  use this static binary instead of building one (skips step 1)
#   OUT                    output directory (default: a new temporary directory)
#   SKIP_IMAGE=1           skip step 4
#   STORAGE_DRIVER         buildah storage driver (default vfs)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
log() { printf 'release-local: %s\n' "$*" >&2; }

out=${OUT:-$(mktemp -d)}
mkdir -p "$out/dist"
commit=$(git rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)
version=$(python3 scripts/release.py check-tag "v$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)")
tag="v$version"
target=x86_64-unknown-linux-musl

if [[ -n "${CLUSTERSEC_STATIC_BIN:-}" ]]; then
    binary=$CLUSTERSEC_STATIC_BIN
# The musl build compiles mimalloc (C): it needs a musl C compiler (Debian: musl-tools).
elif { command -v musl-gcc || command -v x86_64-linux-musl-gcc; } >/dev/null 2>&1 \
    && { rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target" >&2; }; then
    log "building $target"
    CLUSTERSEC_COMMIT=$commit cargo build --release --locked --target "$target" >&2
    binary="target/$target/release/clustersec"
else
    log "the $target target or a musl C compiler (musl-tools) is missing here; building a static glibc binary instead"
    CLUSTERSEC_COMMIT=$commit RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
        cargo build --release --locked --target x86_64-unknown-linux-gnu >&2
    binary="target/x86_64-unknown-linux-gnu/release/clustersec"
fi
case "$(ldd "$binary" 2>&1 || true)" in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) log "error: $binary is not statically linked"; exit 1 ;;
esac
log "binary: $binary ($(du -h "$binary" | cut -f1)): $("$binary" --version)"

archive=$(SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0) \
    python3 scripts/release.py package "$target" "$binary" "$out/dist")
echo "$commit" > "$out/dist/SOURCE_COMMIT"
python3 scripts/release.py sums "$out/dist" >/dev/null
(cd "$out/dist" && sha256sum -c SHA256SUMS >&2)
log "archive: $archive ($(du -h "$archive" | cut -f1))"

log "installing $tag with action/install.py from a stand-in release server on 127.0.0.1"
python3 - "$out" "$tag" "$repo_root" <<'PY'
import functools, http.server, json, os, subprocess, sys, tempfile, threading, time
out, tag, root = sys.argv[1], sys.argv[2], sys.argv[3]
dist = os.path.join(out, "dist")
prefix = f"/clustersec/clustersec/releases/download/{tag}/"

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        name = self.path[len(prefix):] if self.path.startswith(prefix) else ""
        path = os.path.join(dist, name)
        if not name or "/" in name or not os.path.isfile(path):
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        data = open(path, "rb").read()
        self.send_response(200); self.send_header("Content-Length", str(len(data))); self.end_headers()
        self.wfile.write(data)

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
runner = tempfile.mkdtemp(dir=out)
env = dict(os.environ, RUNNER_OS="Linux", RUNNER_ARCH="X64", RUNNER_TEMP=runner,
           RUNNER_TOOL_CACHE=os.path.join(runner, "cache"), GITHUB_OUTPUT=os.path.join(runner, "out"),
           CLUSTERSEC_ACTION_REF=tag, CLUSTERSEC_VERSION="", CLUSTERSEC_ACTION_PATH=root,
           CLUSTERSEC_RELEASES_URL=f"http://127.0.0.1:{server.server_address[1]}",
           CLUSTERSEC_VERIFY_ATTESTATION="never")
script = os.path.join(root, "action", "install.py")
start = time.monotonic()
for step in ("resolve", "install"):
    subprocess.run([sys.executable, script, step], env=env, check=True)
elapsed = time.monotonic() - start
outputs, lines = {}, open(env["GITHUB_OUTPUT"], encoding="utf-8").read().split("\n")
i = 0
while i < len(lines):
    if "<<" in lines[i]:
        key, delim = lines[i].split("<<", 1)
        j = lines.index(delim, i + 1)
        outputs[key] = "\n".join(lines[i + 1:j]); i = j + 1
    else:
        i += 1
assert outputs.get("mode") == "release", outputs
print(f"release-local: resolve + install took {elapsed:.2f}s; bin={outputs['bin']}", file=sys.stderr)
scan = subprocess.run([outputs["bin"], "scan", os.path.join(root, "examples"), "--format", "json",
                       "--fail-on", "never"], capture_output=True, text=True, check=True)
findings = len(json.loads(scan.stdout).get("findings", []))
print(f"release-local: the installed binary reports {findings} finding(s) on examples/", file=sys.stderr)
server.shutdown()
PY

if [[ "${SKIP_IMAGE:-}" != 1 ]]; then
    driver=${STORAGE_DRIVER:-vfs}
    context="$out/image"
    mkdir -p "$context/dist/linux-amd64"
    cp Dockerfile .dockerignore "$context/"
    cp "$binary" "$context/dist/linux-amd64/clustersec"
    image="clustersec:$version-release-local"
    log "building $image (Dockerfile, BINARY=prebuilt, target runtime) with buildah"
    buildah --storage-driver "$driver" bud --quiet --layers=false --build-arg BINARY=prebuilt \
        --build-arg TARGETARCH=amd64 \
        --build-arg "VERSION=$version" --build-arg "REVISION=$commit" --target runtime \
        -f "$context/Dockerfile" -t "$image" "$context" >&2
    ctr=$(buildah --storage-driver "$driver" from --quiet "$image")
    status=0
    buildah --storage-driver "$driver" run --isolation chroot -v "$repo_root/examples:/work:ro" \
        "$ctr" -- /usr/local/bin/clustersec scan . --format text >/dev/null || status=$?
    buildah --storage-driver "$driver" rm "$ctr" >/dev/null
    if [[ $status -gt 1 ]]; then
        log "error: the scan in the image failed with exit code $status"
        exit 1
    fi
    log "image $image scanned examples/ (exit $status)"
fi
log "ok: $out"
