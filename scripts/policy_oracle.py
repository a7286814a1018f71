#!/usr/bin/env python3
"""Reference verdicts for clustersec's Datree policy tests (tests/policy.rs).

Reads JSON on stdin: {"cases": [{"rule": ID, "schema": SCHEMA, "instances": [DOC, ...]}]} and
writes {"verdicts": [[true|false, ...], ...]}: whether each document passes each rule's schema,
by the Python `jsonschema` package with the draft the schema declares (else 2020-12), formats
asserted, and Datree's resourceMinimum/resourceMaximum keywords (Kubernetes quantities).
Exit 3 when the jsonschema package is missing.
"""
import json
import re
import sys

try:
    import jsonschema
    from jsonschema import validators
    from jsonschema.exceptions import ValidationError
except ImportError:
    print("the python jsonschema package is not installed", file=sys.stderr)
    sys.exit(3)

SUFFIX = {
    "": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "Pi": 1024**5,
    "Ei": 1024**6, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9,
    "T": 1e12, "P": 1e15, "E": 1e18,
}
QUANTITY = re.compile(r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)((?:[eE][+-]?[0-9]+)|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|)$")


def quantity(text):
    m = QUANTITY.match(text.strip())
    if not m:
        return None
    sign, number, suffix = m.groups()
    value = float(number)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        value *= 10.0 ** int(suffix[1:])
    else:
        value *= SUFFIX[suffix]
    return -value if sign == "-" else value


def bound(minimum):
    def check(validator, limit, instance, schema):
        if isinstance(instance, bool) or not isinstance(instance, (str, int, float)):
            return
        value = quantity(instance) if isinstance(instance, str) else float(instance)
        lim = quantity(str(limit))
        if value is None:
            yield ValidationError(f"{instance!r} is not a Kubernetes quantity")
        elif (minimum and value < lim) or (not minimum and value > lim):
            yield ValidationError(f"{instance!r} is out of bounds")
    return check


def main():
    data = json.load(sys.stdin)
    out = []
    for case in data["cases"]:
        schema = case["schema"]
        base = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls = validators.extend(base, {"resourceMinimum": bound(True), "resourceMaximum": bound(False)})
        v = cls(schema, format_checker=base.FORMAT_CHECKER)
        out.append([v.is_valid(doc) for doc in case["instances"]])
    json.dump({"verdicts": out}, sys.stdout)


if __name__ == "__main__":
    main()
