#!/usr/bin/env bash
# Benchmarks anyone can rerun (see BENCHMARKS.md, "Scale" and "Side by side: Checkov").
#
#   cargo build --release --locked
#   bash scripts/bench.sh [BIN] [WORKDIR]        # defaults: ./target/release/clustersec /tmp/bench
#
# Two parts, chosen with PARTS (default "scale checkov"):
#
# scale    On ../shared/corpus (when present) and on synthetic repositories of SIZES manifests
#          (default "1000 10000 100000", scripts/gen-repo.py: Deployments, CronJobs, Lists of Pods,
#          `helm template` output with `# Source:` comments, large CustomResourceDefinitions),
#          rendering off: `scan --parse-only`, the full scan (all default rules, SARIF and JSON
#          written) with two threads and with one, throughput, findings and peak memory.
# checkov  The same folders as Checkov sees them, rendering on (clustersec's default), SARIF
#          written by both: each top-level folder of the corpus (helm-rendered/ among them), the
#          synthetic repository of CHECKOV_SIZES manifests (default 10000) and a folder holding
#          the output of scripts/gen-many-findings.py --bytes MANY_BYTES (default 3000000), where
#          nearly every object has findings. Checkov runs once per folder (it dominates the run);
#          clustersec with hyperfine. Needs CHECKOV: the path of a checkov binary, or `venv` to
#          create a virtual environment in WORKDIR/ckv with `pip install checkov` (the only
#          network access of this script, and only then). Without CHECKOV the part is skipped.
#
# Times: hyperfine (Debian package `hyperfine`) when present, else the median of RUNS runs (default
# 5). Peak memory: /usr/bin/time -v (maximum resident set size; for Checkov, of its largest
# process). CPU time (user + system) is printed next to wall time: on a shared machine it is the
# steadier figure. Tables are markdown, on stdout; raw outputs stay in WORKDIR.
set -euo pipefail
BIN=${1:-./target/release/clustersec}
WORK=${2:-/tmp/bench}
RUNS=${RUNS:-5}
SIZES=${SIZES:-"1000 10000 100000"}
CORPUS=${CORPUS:-../shared/corpus}
PARTS=${PARTS:-"scale checkov"}
CHECKOV=${CHECKOV:-}
CHECKOV_SIZES=${CHECKOV_SIZES:-10000}
MANY_BYTES=${MANY_BYTES:-3000000}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
[ -x "$BIN" ] || { echo "no clustersec binary at $BIN (cargo build --release --locked)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed for peak memory (Debian package time)" >&2; exit 2; }

gen_repo() { # N -> directory of a synthetic repository of N manifests
    local dir="$WORK/repo-$1"
    [ -d "$dir" ] || python3 "$here/gen-repo.py" "$1" "$dir"
    echo "$dir"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# "wall user+system" in seconds of a command: medians of hyperfine, else of RUNS runs
timeit() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" "$1" >/dev/null 2>&1
        python3 - "$WORK/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f" % (r["median"], r["user"] + r["system"]))
PY
    else
        local walls="" cpus=""
        for _ in $(seq "$RUNS"); do
            /usr/bin/time -f '%e %U %S' -o "$WORK/t.txt" sh -c "$1 >/dev/null 2>&1" || true
            read -r e u s <"$WORK/t.txt"
            walls+="$e"$'\n'; cpus+=$(echo "$u + $s" | bc)$'\n'
        done
        echo "$(printf '%s' "$walls" | median) $(printf '%s' "$cpus" | median)"
    fi
}

# peak resident memory in MiB of one run (the scan exits 1 when it has findings)
peak() {
    /usr/bin/time -f '%M' -o "$WORK/m.txt" sh -c "$1 >/dev/null 2>&1" || true
    # (/usr/bin/time puts "Command exited with non-zero status N" first when the command failed)
    tail -n 1 "$WORK/m.txt" | awk '{printf "%.0f\n", $1/1024}'
}

scale() {
    local inputs=()
    [ -d "$CORPUS" ] && inputs+=("$CORPUS")
    for n in $SIZES; do inputs+=("$(gen_repo "$n")"); done
    printf '| input | MiB | files | objects | findings | parse-only s | full s (CPU s) | full vs parse-only throughput | full MB/s | 1 thread s | 2 vs 1 threads | full peak MiB | parse-only peak MiB |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for dir in "${inputs[@]}"; do
        local bytes files common full p f one mem pmem
        bytes=$(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' | awk '{s+=$1} END {print s}')
        files=$(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | wc -l)
        common="$BIN scan $dir --helm never --kustomize never"
        full="$common --format sarif -o $WORK/out.sarif --format json -o $WORK/out.json"
        p=$(timeit "$common --parse-only")
        f=$(timeit "$full")
        one=$(timeit "$full -j 1")
        mem=$(peak "$full")
        pmem=$(peak "$common --parse-only")
        python3 - "$dir" "$bytes" "$files" "$p" "$f" "$one" "$mem" "$pmem" "$WORK/out.json" <<'PY'
import json, sys
d, b, n, p, f, one, mem, pmem, out = sys.argv[1:]
b = int(b)
p, f, fc, one = float(p.split()[0]), float(f.split()[0]), float(f.split()[1]), float(one.split()[0])
s = json.load(open(out))["summary"]
print(f"| {d} | {b/2**20:.1f} | {n} | {s['objects']:,} | {s['findings']:,} | {p:.3f} | {f:.3f} ({fc:.2f}) "
      f"| {p/f*100:.0f}% | {b/1e6/f:.0f} | {one:.3f} | {one/f:.2f}x | {mem} | {pmem} |")
PY
    done
}

checkov() {
    if [ -z "$CHECKOV" ]; then
        echo "checkov part skipped: set CHECKOV to a checkov binary, or CHECKOV=venv" >&2
        return
    fi
    if [ "$CHECKOV" = venv ]; then
        [ -x "$WORK/ckv/bin/checkov" ] || {
            python3 -m venv "$WORK/ckv" && "$WORK/ckv/bin/pip" install -q checkov
        }
        CHECKOV=$WORK/ckv/bin/checkov
    fi
    local inputs=()
    if [ -d "$CORPUS" ]; then
        for d in "$CORPUS"/*/; do inputs+=("${d%/}"); done
    fi
    for n in $CHECKOV_SIZES; do inputs+=("$(gen_repo "$n")"); done
    local many="$WORK/many-$MANY_BYTES"
    if [ ! -f "$many/pods.yaml" ]; then
        mkdir -p "$many"
        python3 "$here/gen-many-findings.py" --bytes "$MANY_BYTES" >"$many/pods.yaml"
    fi
    inputs+=("$many")
    # Smallest first: the figures of the quick folders come before Checkov's long runs.
    mapfile -t inputs < <(du -sb "${inputs[@]}" | sort -n | cut -f2)
    echo "checkov: $("$CHECKOV" --version 2>/dev/null | tail -n 1), clustersec: $("$BIN" --version)" >&2
    printf '| folder | MiB | clustersec s (CPU s) | clustersec peak MiB | clustersec findings | checkov s (CPU s) | checkov peak MiB | checkov results (exit) | time ratio | CPU ratio | memory ratio |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
    for dir in "${inputs[@]}"; do
        local name bytes c ct cm kdir
        name=$(basename "$dir")
        bytes=$(du -sb "$dir" | cut -f1)
        c="$BIN scan $dir --format sarif -o $WORK/c.sarif --format json -o $WORK/c.json"
        ct=$(RUNS=3 timeit "$c")
        cm=$(peak "$c")
        kdir="$WORK/ckv-out-$name"
        # One run: wall, CPU (user + system, children included) and peak memory together, kept
        # in WORKDIR/ckv-NAME.time (CHECKOV_REUSE=1 takes Checkov's figures from there).
        if [ "${CHECKOV_REUSE:-0}" != 1 ] || [ ! -s "$WORK/ckv-$name.time" ]; then
            rm -rf "$kdir"
            local krc=0
            /usr/bin/time -f '%e %U %S %M' -o "$WORK/k.txt" \
                "$CHECKOV" -d "$dir" --framework kubernetes --skip-download -o sarif \
                --output-file-path "$kdir" --quiet >/dev/null 2>"$WORK/ckv-$name.err" || krc=$?
            echo "$krc $(tail -n 1 "$WORK/k.txt")" >"$WORK/ckv-$name.time"
        fi
        python3 - "$name" "$bytes" "$ct" "$cm" "$WORK/c.json" "$WORK/ckv-$name.time" "$kdir" <<'PY'
import glob, json, sys
name, b, ct, cm, cjson, ktime, kdir = sys.argv[1:]
cw, cc = map(float, ct.split())
cm = int(cm)
found = json.load(open(cjson))["summary"]["findings"]
krc, kw, ku, ks, km = open(ktime).read().split()
kw, kc, km = float(kw), float(ku) + float(ks), int(km) // 1024
res = 0
for f in glob.glob(kdir + "/*.sarif"):
    res += sum(len(r.get("results", [])) for r in json.load(open(f))["runs"])
print(f"| {name} | {int(b)/2**20:.1f} | {cw:.2f} ({cc:.2f}) | {cm} | {found:,} | {kw:.1f} ({kc:.1f}) | {km} "
      f"| {res:,} ({krc}) | {kw/cw:.0f}x | {kc/cc:.0f}x | {km/max(1, cm):.1f}x |")
PY
    done
}

for part in $PARTS; do
    case $part in
    scale) scale ;;
    checkov) checkov ;;
    *) echo "unknown part $part (scale, checkov)" >&2; exit 2 ;;
    esac
    echo
done
