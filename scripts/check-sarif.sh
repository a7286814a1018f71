#!/usr/bin/env bash
# Validates SARIF files with the SARIF multitool and GitHub's ingestion rules (Gh;Sarif).
# The multitool exits 0 even when a file is invalid, so its own SARIF output is read instead:
# any result at level "error" or from a GH* rule fails this script.
# Usage: scripts/check-sarif.sh FILE.sarif...
set -euo pipefail

tools="${CLUSTERSEC_TOOLS_DIR:-${TMPDIR:-/tmp}/clustersec-tools}"
mt="$tools/node_modules/.bin/sarif-multitool"
if [ ! -x "$mt" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error @microsoft/sarif-multitool@5 >/dev/null
fi

status=0
for file in "$@"; do
  dir=$(cd "$(dirname "$file")" && pwd)
  base=$(basename "$file")
  out="$dir/$base.check.sarif"
  rm -f "$out"
  # The npm wrapper passes its arguments through a shell, hence the inner quotes.
  (cd "$dir" && "$mt" validate --rule-kind "'Gh;Sarif'" --max-file-size-in-kb 100000 -o "$out" "$base" >/dev/null)
  if [ ! -s "$out" ]; then
    echo "check-sarif: the multitool wrote no report for $file" >&2
    status=1
    continue
  fi
  if ! python3 - "$out" "$file" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8-sig"))
problems = []
for run in report.get("runs", []):
    for r in run.get("results", []):
        rule = r.get("ruleId", "")
        if r.get("level", "warning") == "error" or rule.startswith("GH"):
            msg = r.get("message", {}).get("text") or json.dumps(r.get("message"))
            problems.append(f"{rule} [{r.get('level', 'warning')}]: {msg}")
if problems:
    print(f"check-sarif: {sys.argv[2]}: {len(problems)} problem(s)")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print(f"check-sarif: {sys.argv[2]}: valid, no GitHub ingestion problems")
PY
  then
    status=1
  fi
  rm -f "$out"
done
exit "$status"
