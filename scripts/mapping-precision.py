#!/usr/bin/env python3
"""Where do clustersec's findings on a Helm chart point, and is that the right place?

    scripts/mapping-precision.py [--clustersec BIN] [--values FILE] [--detail] CHART_DIR
    scripts/mapping-precision.py [--clustersec BIN] --charts DIR [--overrides DIR] [--detail]

Scans CHART_DIR (a copy of it, in a temporary directory) with `clustersec scan --helm always
--format json`, with FILE as an extra values file when given (copied into the chart copy as
`precision-values.yaml`, the last values file of the render), and classifies every finding
that has a field path by where it points:

  exact     a template line that holds the field's own key (`privileged: ...`)
  ancestor  a template line of a parent key of the field in the right object and container
            (`securityContext:`, the container's `- name:` line, `containers:`)
  values    a values file line whose key is the value the field is rendered from (or its deepest
            existing ancestor): editing it there changes the field of that container
  chart     the chart's Chart.yaml (output rendered from a dependency, or no template line)
  wrong     another container or object, or a line that neither sets nor contains the field
  unsure    the oracle could not decide (printed with --detail, to be checked by hand)

Findings on the chart's own files as they are (not on rendered output: no render, no mapping)
are counted apart, as "not rendered".

The oracle does not trust clustersec's own mapping. It edits the chart copy and renders it
again with `helm template`:
  - a values line: the key at that line (PyYAML node marks) is set in that very file to a
    sentinel (the field's last keys under it, merged into what the key holds) and the sentinel
    must come out in the finding's field, in the finding's container;
  - a template line of the field's own key: its value is replaced by a sentinel, which must
    come out in the finding's field and container;
  - a template line of a parent key (or of the key itself, without a plain value): the key must
    be one of the field path's keys, and when the line is inside a list item (a container, a
    volume...), a marker key written into that item must come out in the item the field path
    goes through (not in another container or volume).

With --charts DIR, every chart directory in DIR is measured with its default values and, when
--overrides DIR has a `CHART.yaml`, with that file too; a markdown table is printed.
Needs python3 with PyYAML, helm, and a clustersec binary (default: target/release/clustersec).
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

RELEASE = "rel"
SENTINEL = "zz-precision-sentinel"
MARKER = "/zz-precision-marker"
OVERRIDE_NAME = "precision-values.yaml"
KEY_RE = re.compile(r"^(\s*)((?:-\s+)*)([A-Za-z_][A-Za-z0-9_.-]*|\"[^\"]+\"|'[^']+')\s*:(\s|$)")
ITEM_RE = re.compile(r"^(\s*)-(\s+|$)")
ACTION_ONLY_RE = re.compile(r"^\s*\{\{.*\}\}\s*$")
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def field_segments(field):
    """`spec.template.spec.containers[1].securityContext.runAsUser` -> keys and indices."""
    out = []
    for part in field.split("."):
        m = re.match(r"^([^\[]*)((?:\[\d+\])*)$", part)
        if not m:
            out.append(part)
            continue
        if m.group(1):
            out.append(m.group(1))
        for idx in re.findall(r"\[(\d+)\]", m.group(2)):
            out.append(int(idx))
    return out


def keys_only(segments):
    return [s for s in segments if isinstance(s, str)]


def run(cmd, cwd, check=False):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p


def render(chart, values_args):
    p = run(["helm", "template", RELEASE, ".", *values_args], cwd=chart)
    if p.returncode != 0:
        return None
    docs = []
    try:
        for d in yaml.safe_load_all(p.stdout):
            if isinstance(d, dict):
                docs.append(d)
    except yaml.YAMLError:
        return None
    return docs


def find_object(docs, obj):
    for d in docs:
        meta = d.get("metadata") or {}
        if d.get("kind") == obj.get("kind") and meta.get("name") == obj.get("name"):
            return d
    return None


def resolve(doc, segments, container):
    """The values the field has in each container (by name) of `doc`, or {None: value} for a
    field outside containers."""
    out = {}
    node = doc
    for i, seg in enumerate(segments):
        if isinstance(seg, int):
            prev = segments[i - 1] if i > 0 else None
            if prev in CONTAINER_LISTS and isinstance(node, list):
                for item in node:
                    if isinstance(item, dict):
                        out[(prev, item.get("name"))] = dig(item, segments[i + 1 :])
                return out
            if not isinstance(node, list) or seg >= len(node):
                return {None: None}
            node = node[seg]
        else:
            if not isinstance(node, dict):
                return {None: None}
            node = node.get(seg)
    return {None: node}


def dig(node, segments):
    for seg in segments:
        if isinstance(seg, int):
            if not isinstance(node, list) or seg >= len(node):
                return None
            node = node[seg]
        else:
            if not isinstance(node, dict):
                return None
            node = node.get(seg)
    return node


def holds(value, needle):
    if value == needle:
        return True
    if isinstance(value, (list, dict)):
        return needle in json.dumps(value)
    return isinstance(value, str) and needle in value


def where_it_lands(docs, finding, needle):
    """'target', 'other' (another container or nowhere of this object) or None (no render)."""
    if docs is None:
        return None
    obj = find_object(docs, finding["object"])
    if obj is None:
        return "other"
    segs = field_segments(finding["field"])
    found = resolve(obj, segs, finding.get("container"))
    hits = [k for k, v in found.items() if holds(v, needle)]
    if not hits:
        return "other"
    if None in found:
        return "target"
    name = finding.get("container")
    list_name = next(
        (segs[i - 1] for i, s in enumerate(segs) if isinstance(s, int) and i > 0 and segs[i - 1] in CONTAINER_LISTS),
        None,
    )
    return "target" if (list_name, name) in hits else "other"


def values_args(chart, override):
    return ["-f", OVERRIDE_NAME] if override else []


# ---------------------------------------------------------------- values lines


def key_paths_at_line(text, line):
    """Paths (keys and indices) of the keys and list items that start on `line` (1-based)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    found = []

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                p = path + [k.value]
                if k.start_mark.line + 1 == line:
                    found.append(p)
                walk(v, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                p = path + [i]
                if v.start_mark.line + 1 == line:
                    found.append(p)
                walk(v, p)

    walk(root, [])
    # deepest first, a list item's `name:` key stands for the item
    out = []
    for p in sorted(found, key=len, reverse=True):
        if p and p[-1] == "name" and len(p) >= 2 and isinstance(p[-2], int):
            p = p[:-1]
        if p not in out:
            out.append(p)
    return out


def get_path(data, path):
    node = data
    for seg in path:
        if isinstance(seg, int):
            if not isinstance(node, list) or seg >= len(node):
                return False, None
            node = node[seg]
        else:
            if not isinstance(node, dict) or seg not in node:
                return False, None
            node = node[seg]
    return True, node


def set_path(data, path, value):
    node = data
    for seg in path[:-1]:
        node = node[seg]
    node[path[-1]] = value


def deep_merge(base, extra):
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return copy.deepcopy(extra)
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = deep_merge(out.get(k), v) if k in out else copy.deepcopy(v)
    return out


def values_variants(existing, field_keys):
    """What to write at the values key: the field's last k keys (k = 1..) ending in the
    sentinel, merged into what the key holds; then the sentinel itself."""
    out = []
    for k in range(1, min(len(field_keys), 4) + 1):
        nested = SENTINEL
        for key in reversed(field_keys[-k:]):
            nested = {key: nested}
        if isinstance(existing, dict) or existing is None:
            out.append(deep_merge(existing or {}, nested))
        elif isinstance(existing, list) and k == 1:
            out.append([SENTINEL])
    if not isinstance(existing, (dict, list)):
        out.append(SENTINEL)
    return out


def classify_values(chart, override, finding, rel_path, line):
    path = os.path.join(chart, rel_path)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    candidates = key_paths_at_line(text, line)
    if not candidates:
        return "wrong", f"no values key on line {line}"
    data = yaml.safe_load(text)
    field_keys = keys_only(field_segments(finding["field"]))
    landed_elsewhere = False
    for cand in candidates:
        ok, existing = get_path(data, cand)
        if not ok:
            continue
        for variant in values_variants(existing, field_keys):
            changed = copy.deepcopy(data)
            if cand:
                set_path(changed, cand, variant)
            else:
                changed = variant
            with open(path, "w", encoding="utf-8") as fh:
                yaml.safe_dump(changed, fh, sort_keys=False)
            try:
                verdict = where_it_lands(render(chart, values_args(chart, override)), finding, SENTINEL)
            finally:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
            if verdict == "target":
                return "values", ".".join(map(str, cand))
            if verdict == "other":
                landed_elsewhere = True
    return "wrong", "editing the values key does not change the field" + (
        "" if not landed_elsewhere else " of that container"
    )


# ---------------------------------------------------------------- template lines


def indent(s):
    return len(s) - len(s.lstrip(" "))


def literal_key(line):
    m = KEY_RE.match(line)
    if not m:
        return None
    return m.group(3).strip("\"'")


def enclosing_item(lines, idx):
    """(item line index, list key) of the innermost list item the line `idx` (0-based) is in
    (the line itself when it starts an item), or None."""
    line = lines[idx]
    ind = indent(line)
    item = None
    if ITEM_RE.match(line) and literal_key(line) is not None:
        item = idx
    else:
        for j in range(idx - 1, -1, -1):
            s = lines[j]
            if not s.strip() or ACTION_ONLY_RE.match(s) or s.lstrip().startswith("#"):
                continue
            if indent(s) < ind:
                if ITEM_RE.match(s):
                    item = j
                    break
                if literal_key(s) is not None:
                    return None
    if item is None:
        return None
    iind = indent(lines[item])
    for j in range(item - 1, -1, -1):
        s = lines[j]
        if not s.strip() or ACTION_ONLY_RE.match(s) or s.lstrip().startswith("#"):
            continue
        if ITEM_RE.match(s) and indent(s) == iind:
            continue
        if indent(s) <= iind:
            k = literal_key(s)
            if k is None:
                if indent(s) < iind:
                    return None
                continue
            return (item, k)
    return None


def item_check(chart, override, finding, rel_path, item_idx, list_key):
    """Write a marker key into the template item and render: 'target' when it comes out in the
    item of the finding's field path (the list `list_key`, at the field's index), 'other' when
    not, None when the item cannot be marked or the chart does not render."""
    segs = field_segments(finding["field"])
    pos = None
    for k in range(1, len(segs)):
        if isinstance(segs[k], int) and segs[k - 1] == list_key:
            pos = k
    if pos is None:
        return "other"
    path = os.path.join(chart, rel_path)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lines = text.split("\n")
    item_line = lines[item_idx]
    m = ITEM_RE.match(item_line)
    if not m or literal_key(item_line) is None:
        return None
    content = " " * (len(m.group(1)) + 1 + len(m.group(2)))
    changed = lines[: item_idx + 1] + [f"{content}zzPrecisionMarker: {MARKER}"] + lines[item_idx + 1 :]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(changed))
    try:
        docs = render(chart, values_args(chart, override))
    finally:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    if docs is None:
        return None
    obj = find_object(docs, finding["object"])
    if obj is None:
        return "other"
    target = dig(obj, segs[: pos + 1])
    if isinstance(target, dict) and target.get("zzPrecisionMarker") == MARKER:
        return "target"
    return "other"


def value_check(chart, override, finding, rel_path, idx):
    path = os.path.join(chart, rel_path)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lines = text.split("\n")
    m = KEY_RE.match(lines[idx])
    if not m:
        return None
    head = lines[idx][: m.end(0)].rstrip()
    rest = lines[idx][m.end(0) :].strip()
    if not rest or rest.startswith("{{-") or rest.startswith("#"):
        return None
    changed = lines[:idx] + [f"{head} {SENTINEL}"] + lines[idx + 1 :]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(changed))
    try:
        verdict = where_it_lands(render(chart, values_args(chart, override)), finding, SENTINEL)
    finally:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return verdict


def classify_template(chart, override, finding, rel_path, line):
    with open(os.path.join(chart, rel_path), encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    idx = line - 1
    if idx < 0 or idx >= len(lines):
        return "wrong", "no such line"
    key = literal_key(lines[idx])
    segs = field_segments(finding["field"])
    fkeys = keys_only(segs)
    cut = next((i for i, s in enumerate(segs) if isinstance(s, int) and i > 0 and segs[i - 1] in CONTAINER_LISTS), None)
    in_container_field = cut is not None
    inner_keys = keys_only(segs[cut + 1 :]) if in_container_field else []
    list_keys = [segs[i - 1] for i, s in enumerate(segs) if isinstance(s, int) and i > 0]
    if key is None:
        return "wrong", f"line {line} holds no literal key: {lines[idx].strip()[:60]}"
    item = enclosing_item(lines, idx)

    def check_item():
        return None if item is None else item_check(chart, override, finding, rel_path, item[0], item[1])

    if key == fkeys[-1]:
        verdict = value_check(chart, override, finding, rel_path, idx)
        if verdict == "target":
            return "exact", key
        if verdict == "other":
            return "wrong", f"`{key}` at this line sets another item's or object's field"
        ic = check_item()
        if ic == "target":
            return "exact", key
        if ic == "other":
            return "wrong", f"`{key}` is in another item (of `{item[1]}`)"
        if item is None and not list_keys:
            return "exact", key
        if item is None and in_container_field:
            return "wrong", f"`{key}` is not inside a container item"
        return "unsure", f"`{key}`: item not verified"
    if key in list_keys and item is None:
        # The list's own key (`containers:`): no item is claimed.
        return "ancestor", key
    if key in fkeys[:-1] or (item is not None and item[0] == idx):
        ic = check_item()
        if ic == "target":
            return "ancestor", key
        if ic == "other":
            return "wrong", f"`{key}` is in another item (of `{item[1]}`)"
        if item is None:
            if in_container_field and key in inner_keys:
                return "wrong", f"`{key}` is not inside a container item (a pod-level key for a container field)"
            return "ancestor", key
        return "unsure", f"`{key}`: item not verified"
    return "wrong", f"`{key}` is not a key of the field path"


# ---------------------------------------------------------------- driver


def scan(clustersec, chart, override):
    cmd = [clustersec, "scan", "--helm", "always", "--release-name", RELEASE, "--format", "json", "--allow-empty"]
    if override:
        cmd += ["--helm-values", OVERRIDE_NAME]
    cmd.append(".")
    p = run(cmd, cwd=chart)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"clustersec exited {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def measure(clustersec, chart_dir, override_file, detail):
    name = os.path.basename(os.path.normpath(chart_dir))
    tmp = tempfile.mkdtemp(prefix="precision-")
    try:
        chart = os.path.join(tmp, name)
        shutil.copytree(chart_dir, chart, symlinks=False)
        if override_file:
            shutil.copy(override_file, os.path.join(chart, OVERRIDE_NAME))
        report = scan(clustersec, chart, bool(override_file))
        counts = {k: 0 for k in ("exact", "ancestor", "values", "chart", "wrong", "unsure", "other", "outside")}
        rows = []
        for f in report.get("findings", []):
            if not f.get("field") or not f.get("object"):
                continue
            if not f.get("renders") and not f.get("mapping"):
                # A finding on a file of the chart as it is (not on rendered output).
                counts["outside"] += 1
                if detail:
                    print(f"  outside the render | {f['ruleId']} | {f['path']}:{f['region']['startLine']} | {f['message'][:100]}", file=sys.stderr)
                continue
            rel = os.path.normpath(f["path"])
            line = f["region"]["startLine"]
            base = os.path.basename(rel)
            if rel.startswith("templates" + os.sep) or "/templates/" in rel:
                kind, why = classify_template(chart, bool(override_file), f, rel, line)
            elif base in ("values.yaml", OVERRIDE_NAME) or rel.endswith(".yaml") and os.sep + "values" in rel:
                kind, why = classify_values(chart, bool(override_file), f, rel, line)
            elif base == "Chart.yaml":
                kind, why = "chart", f.get("mapping", "")
            else:
                kind, why = "other", rel
            counts[kind] += 1
            rows.append((kind, f["ruleId"], f.get("container"), f["field"], f"{rel}:{line}", f.get("mapping", ""), why))
        if detail:
            for r in rows:
                print("  " + " | ".join(str(x) for x in r), file=sys.stderr)
        return counts, len(rows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chart", nargs="?")
    ap.add_argument("--clustersec", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "clustersec"))
    ap.add_argument("--values")
    ap.add_argument("--charts")
    ap.add_argument("--overrides")
    ap.add_argument("--detail", action="store_true")
    a = ap.parse_args()
    clustersec = os.path.abspath(a.clustersec)
    runs = []
    if a.charts:
        for name in sorted(os.listdir(a.charts)):
            d = os.path.join(a.charts, name)
            if not os.path.isfile(os.path.join(d, "Chart.yaml")):
                continue
            runs.append((name, "default values", d, None))
            o = os.path.join(a.overrides, name + ".yaml") if a.overrides else None
            if o and os.path.isfile(o):
                runs.append((name, f"+ {os.path.basename(o)}", d, o))
    elif a.chart:
        runs.append((os.path.basename(os.path.normpath(a.chart)), a.values or "default values", a.chart, a.values))
    else:
        ap.error("give CHART_DIR or --charts DIR")
    total = {}
    print("| chart | values | findings | exact key line | ancestor | values line | Chart.yaml | wrong | unsure | not rendered |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, label, d, o in runs:
        if a.detail:
            print(f"{name} ({label}):", file=sys.stderr)
        counts, n = measure(clustersec, d, o, a.detail)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        total["n"] = total.get("n", 0) + n
        print(f"| {name} | {label} | {n} | {counts['exact']} | {counts['ancestor']} | {counts['values']} | {counts['chart']} | {counts['wrong']} | {counts['unsure'] + counts['other']} | {counts['outside']} |")
    if len(runs) > 1:
        print(f"| **total** | {len(runs)} renders | {total['n']} | {total['exact']} | {total['ancestor']} | {total['values']} | {total['chart']} | {total['wrong']} | {total['unsure'] + total['other']} | {total['outside']} |")


if __name__ == "__main__":
    main()
