#!/usr/bin/env python3
"""Time commands in turn, N rounds, so that a noisy host disturbs each of them alike.

Usage: scripts/alternate.py N 'command one' 'command two' ...
Prints, per command, the median and minimum of wall time and of CPU time (user + system,
child processes included). The minimum is the closest to an undisturbed run.
"""
import resource
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    rounds = int(sys.argv[1])
    commands = sys.argv[2:]
    runs = {c: [] for c in commands}
    for _ in range(rounds):
        for c in commands:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            runs[c].append((wall, cpu))
    for c in commands:
        walls = [w for w, _ in runs[c]]
        cpus = [u for _, u in runs[c]]
        print(
            f"wall median {statistics.median(walls):.3f} s, min {min(walls):.3f} s; "
            f"cpu median {statistics.median(cpus):.3f} s, min {min(cpus):.3f} s: {c}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
