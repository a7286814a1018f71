#!/usr/bin/env python3
"""Writes one YAML file of N `kind: Pod` documents, each with one container and no
securityContext, so that each pod yields about five findings (benchmarks of findings handling).

    python3 scripts/gen-many-findings.py 20000 > /tmp/many.yaml
    python3 scripts/gen-many-findings.py --bytes 5000000 > /tmp/many-5mb.yaml
"""
import sys


def pod(i):
    return (
        "---\n"
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        f"  name: pod-{i}\n"
        "  namespace: bench\n"
        "spec:\n"
        "  containers:\n"
        f"    - name: app-{i}\n"
        f"      image: registry.example/app:{i}\n"
    )


def main(argv):
    if len(argv) == 3 and argv[1] == "--bytes":
        limit = int(argv[2])
        size, i, out = 0, 0, []
        while size < limit:
            doc = pod(i)
            out.append(doc)
            size += len(doc)
            i += 1
        sys.stdout.write("".join(out))
    elif len(argv) == 2:
        sys.stdout.write("".join(pod(i) for i in range(int(argv[1]))))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
