#!/bin/sh
# Seeds the fuzz corpus with every fixture (run from the repository root).
set -eu
mkdir -p fuzz/corpus/scan
find fixtures examples -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -size -64k |
while read -r f; do
    cp "$f" "fuzz/corpus/scan/$(printf '%s' "$f" | tr '/' '_')"
done
