#!/usr/bin/env bash
# Times a scan of one file with many findings (BENCHMARKS.md, "Linear in findings").
#
#   cargo build --release
#   bash scripts/bench-many-findings.sh [BINARY] [OUTDIR]
#
# Generates 5,000/10,000/20,000/40,000 pods without securityContext (5 findings each) and a
# 5 MB file of them, then runs hyperfine: JSON only, and all six formats in one run.
set -euo pipefail
bin=${1:-./target/release/clustersec}
out=${2:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd)
for n in 5000 10000 20000 40000; do
  python3 "$here/gen-many-findings.py" "$n" > "$out/pods-$n.yaml"
done
python3 "$here/gen-many-findings.py" --bytes 5000000 > "$out/pods-5mb.yaml"
all() {
  echo "$bin scan $1 -f json -o $out/a.json -f sarif -o $out/b.sarif -f markdown -o $out/c.md -f github -o $out/d.txt -f gitlab -o $out/e.json -f text -o $out/f.txt"
}
hyperfine --warmup 1 --runs "${RUNS:-5}" -N -i --export-markdown "$out/linear.md" \
  "$bin scan $out/pods-5000.yaml -f json -o /dev/null" \
  "$bin scan $out/pods-10000.yaml -f json -o /dev/null" \
  "$bin scan $out/pods-20000.yaml -f json -o /dev/null" \
  "$bin scan $out/pods-40000.yaml -f json -o /dev/null" \
  "$(all "$out/pods-20000.yaml")" \
  "$(all "$out/pods-5mb.yaml")"
echo "results: $out/linear.md"
