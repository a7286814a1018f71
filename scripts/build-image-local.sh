#!/usr/bin/env bash
# Build the clustersec runtime image (Dockerfile.local, FROM scratch) from a locally built
# static binary, then run a scan with it. For machines that cannot pull base images: only
# buildah/podman from the distribution and the local Rust toolchain are needed.
#
# Environment:
#   CLUSTERSEC_STATIC_BIN  use this static binary instead of building one
#   SCAN_DIR               directory to scan in the container (default: examples/, else the
#                          action test manifests)
#   IMAGE                  image name (default clustersec:local)
#   STORAGE_DRIVER         buildah/podman storage driver (default vfs: works without overlay)
#
# Exit status: 0 when the image was built and its scan exited 0 or 1 (findings); else non-zero.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

image=${IMAGE:-clustersec:local}
driver=${STORAGE_DRIVER:-vfs}
arch=$(uname -m)

log() { printf 'build-image-local: %s\n' "$*" >&2; }

is_static() {
    # A static executable has no program interpreter and no shared-library dependencies.
    local out
    out=$(ldd "$1" 2>&1 || true)
    case "$out" in
        *"not a dynamic executable"* | *"statically linked"*) return 0 ;;
        *) return 1 ;;
    esac
}

build_static_binary() {
    local musl="${arch}-unknown-linux-musl" gnu="${arch}-unknown-linux-gnu"
    # The musl build compiles mimalloc (C): it needs a musl C compiler (Debian: musl-tools).
    if { command -v musl-gcc || command -v "${arch}-linux-musl-gcc"; } >/dev/null 2>&1 \
        && { rustup target list --installed 2>/dev/null | grep -qx "$musl" \
            || rustup target add "$musl" >&2; }; then
        log "building a static musl binary ($musl)"
        cargo build --release --locked --target "$musl" >&2
        echo "target/$musl/release/clustersec"
    else
        log "the $musl target or a musl C compiler is not available; building a static glibc binary instead"
        RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
            cargo build --release --locked --target "$gnu" >&2
        echo "target/$gnu/release/clustersec"
    fi
}

if [[ -n "${CLUSTERSEC_STATIC_BIN:-}" ]]; then
    binary=$CLUSTERSEC_STATIC_BIN
else
    binary=$(build_static_binary)
fi
if ! is_static "$binary"; then
    log "error: $binary is not statically linked; it cannot run in a FROM scratch image"
    exit 1
fi
log "static binary: $binary ($(du -h "$binary" | cut -f1))"

if ! command -v buildah >/dev/null 2>&1 || ! command -v podman >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing buildah and podman"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman >&2
    else
        log "error: buildah and podman are required (apt-get install buildah podman)"
        exit 1
    fi
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/clustersec"
cp Dockerfile.local "$context/Dockerfile"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
log "building $image with buildah (storage driver $driver)"
buildah --storage-driver "$driver" bud --quiet \
    --build-arg "VERSION=${version:-dev}" --build-arg "REVISION=$revision" \
    -f "$context/Dockerfile" -t "$image" "$context" >&2

config=$(buildah --storage-driver "$driver" inspect --type image \
    --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}' "$image")
log "image config: user/entrypoint = $config"
if [[ "$config" != '65532:65532 [clustersec]' ]]; then
    log "error: unexpected image config"
    exit 1
fi

scan_dir=${SCAN_DIR:-}
if [[ -z "$scan_dir" ]]; then
    if [[ -d examples ]]; then scan_dir=examples; else scan_dir=action/tests/data; fi
fi
scan_dir=$(cd "$scan_dir" && pwd)
log "scanning $scan_dir in the container"

run_with_podman() {
    podman --storage-driver "$driver" run --rm --network none --cgroups disabled \
        -v "$scan_dir:/work:ro" "$image" scan . --format text
}

run_with_buildah() {
    # `buildah run` does not apply ENTRYPOINT: name the binary; USER and WORKDIR still apply.
    local ctr rc=0
    ctr=$(buildah --storage-driver "$driver" from --quiet "$image")
    buildah --storage-driver "$driver" run --isolation chroot \
        -v "$scan_dir:/work:ro" "$ctr" -- /usr/local/bin/clustersec scan . --format text || rc=$?
    buildah --storage-driver "$driver" rm "$ctr" >/dev/null
    return "$rc"
}

status=0
run_with_podman || status=$?
if [[ $status -ge 125 ]]; then
    # 125-127: podman or the OCI runtime could not start the container (e.g. a sandbox that
    # forbids setrlimit); the image is fine, so run it with buildah's chroot isolation instead.
    log "podman could not start the container (exit $status); running it with buildah instead"
    status=0
    run_with_buildah || status=$?
fi
case "$status" in
    0) log "scan in the container: no findings at or above the threshold (exit 0)" ;;
    1) log "scan in the container: findings reported (exit 1)" ;;
    *) log "error: the container scan failed with exit code $status"; exit "$status" ;;
esac
log "ok: $image built and ran"
