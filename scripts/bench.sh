#!/usr/bin/env bash
# Benchmarks anyone can rerun (see BENCHMARKS.md): on the same inputs in one run, clustersec
# (default rules, SARIF and JSON written), `scan --parse-only`, one thread against two, and,
# when CHECKOV is set to a checkov binary (e.g. /tmp/ckv/bin/checkov), Checkov.
#
#   cargo build --release
#   bash scripts/bench.sh [BIN] [WORKDIR]          # defaults: ./target/release/clustersec /tmp/bench
#   SIZES="1000 10000" bash scripts/bench.sh       # synthetic sizes (default 1000 10000 100000)
#
# Times: hyperfine (Debian package `hyperfine`) when present, else the median of RUNS runs.
# Peak memory: /usr/bin/time -v (maximum resident set size).
set -euo pipefail
BIN=${1:-./target/release/clustersec}
WORK=${2:-/tmp/bench}
RUNS=${RUNS:-5}
SIZES=${SIZES:-"1000 10000 100000"}
CORPUS=${CORPUS:-../shared/corpus}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"

inputs=()
[ -d "$CORPUS" ] && inputs+=("$CORPUS")
for n in $SIZES; do
    dir="$WORK/repo-$n"
    [ -d "$dir" ] || python3 "$here/gen-repo.py" "$n" "$dir"
    inputs+=("$dir")
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# seconds (median) of a command
timeit() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" "$1" >/dev/null 2>&1
        python3 -c "import json;print('%.3f'%json.load(open('$WORK/h.json'))['results'][0]['median'])"
    else
        for _ in $(seq "$RUNS"); do
            s=$(date +%s.%N); sh -c "$1" >/dev/null 2>&1 || true; e=$(date +%s.%N)
            echo "$e - $s" | bc
        done | median
    fi
}

# peak resident memory in MiB
peak() {
    # (the scan exits 1 when it has findings)
    { /usr/bin/time -v sh -c "$1 >/dev/null 2>&1" 2>&1 >/dev/null || true; } |
        awk -F: '/Maximum resident/ {printf "%.0f\n", $2/1024}'
}

printf '| input | MiB | files | parse-only s | full s | full/parse-only throughput | full MB/s | 1 thread s | 2 vs 1 | full peak MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
for dir in "${inputs[@]}"; do
    bytes=$(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' | awk '{s+=$1} END {print s}')
    files=$(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | wc -l)
    common="$BIN scan $dir --helm never --kustomize never"
    full="$common --format sarif -o $WORK/out.sarif --format json -o $WORK/out.json"
    p=$(timeit "$common --parse-only")
    f=$(timeit "$full")
    one=$(timeit "$full -j 1")
    mem=$(peak "$full")
    python3 - "$dir" "$bytes" "$files" "$p" "$f" "$one" "$mem" <<'PY'
import sys
d, b, n, p, f, one, mem = sys.argv[1:]
b, p, f, one = int(b), float(p), float(f), float(one)
print(f"| {d} | {b/2**20:.1f} | {n} | {p:.3f} | {f:.3f} | {p/f*100:.0f}% | {b/1e6/f:.0f} | {one:.3f} | {one/f:.2f}x | {mem} |")
PY
done

if [ -n "${CHECKOV:-}" ]; then
    printf '\n| input | clustersec s (rendering on) | clustersec peak MiB | checkov s | checkov peak MiB | time ratio | memory ratio |\n|---|---|---|---|---|---|---|\n'
    for dir in "${inputs[@]}"; do
        c="$BIN scan $dir --format sarif -o $WORK/c.sarif"
        k="$CHECKOV -d $dir --framework kubernetes --skip-download -o sarif --output-file-path $WORK/ckv --quiet"
        ct=$(RUNS=3 timeit "$c"); cm=$(peak "$c")
        s=$(date +%s.%N); kt_mem=$(peak "$k"); e=$(date +%s.%N)
        kt=$(echo "$e - $s" | bc)
        python3 -c "print(f'| $dir | {float($ct):.2f} | $cm | {float($kt):.1f} | $kt_mem | {float($kt)/float($ct):.0f}x | {int($kt_mem)/max(1,int($cm)):.0f}x |')"
    done
fi
