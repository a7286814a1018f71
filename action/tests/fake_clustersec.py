#!/usr/bin/env python3
"""A stand-in for the `clustersec` binary implementing its CLI contract, for the action tests.

  clustersec scan [PATH...] [--config FILE [--config-dir DIR]] [--compare-config FILE]
                  [--fail-on SEV] (--format F [--output FILE])...

It "finds" `privileged: true` (high) and `hostNetwork: true` (medium) lines in .yaml/.yml/.json
files, writes the requested formats and exits 0 (nothing at/above fail-on), 1 (findings) or 2
(usage error). The config (--config, else .clustersec.yaml/.yml at the scan root) can turn the
privileged rule off with the real rule id (`CUSTOM_SECURITY_PRIVILEGED_CHECK` and
`enabled: false` in it); with --compare-config and a different config text, the markdown gets a
"Policy changes in this pull request" section. Test knobs, all optional:
  FAKE_CLUSTERSEC_LOG            append one JSON line with argv per invocation
  FAKE_CLUSTERSEC_EXISTING       every finding is existing (SARIF baselineState unchanged), exit 0
  FAKE_CLUSTERSEC_EXIT           force this exit code (after writing outputs unless it is 2)
  FAKE_CLUSTERSEC_MARKDOWN_PAD   add this many characters of extra finding lines to the markdown
  FAKE_CLUSTERSEC_NO_SUMMARY     accept --format markdown-summary but write nothing for it
"""

import json
import os
import sys

SEVERITIES = ["info", "low", "medium", "high", "critical"]
RULES = {
    "privileged: true": ("CS-privileged", "high", "Container runs privileged"),
    "hostNetwork: true": ("CS-host-network", "medium", "Pod uses the host network"),
}
LEVEL = {"info": "note", "low": "note", "medium": "warning", "high": "error", "critical": "error"}
GITLAB = {"info": "info", "low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}


def usage(msg):
    print(f"clustersec: error: {msg}", file=sys.stderr)
    sys.exit(2)


def parse(argv):
    if not argv or argv[0] != "scan":
        usage("expected the `scan` subcommand")
    paths, config, fail_on, formats = [], None, "high", []
    config_dir = compare = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in ("--diff-base", "--baseline"):
            # Accepted; FAKE_CLUSTERSEC_EXISTING=1 makes every finding existing.
            if i + 1 >= len(argv):
                usage(f"{arg} needs a value")
            i += 2
            continue
        if arg in ("--config", "--config-dir", "--compare-config", "--fail-on", "--format", "--output"):
            if i + 1 >= len(argv):
                usage(f"{arg} needs a value")
            value = argv[i + 1]
            if arg == "--config":
                config = value
            elif arg == "--config-dir":
                config_dir = value
            elif arg == "--compare-config":
                compare = value
            elif arg == "--fail-on":
                if value not in SEVERITIES + ["none", "never"]:
                    usage(f"invalid --fail-on {value}")
                fail_on = value
            elif arg == "--format":
                if value not in ("text", "json", "sarif", "markdown", "markdown-summary", "github",
                                 "gitlab"):
                    usage(f"invalid --format {value}")
                formats.append([value, None])
            else:
                if not formats or formats[-1][1] is not None:
                    usage("--output must follow a --format")
                formats[-1][1] = value
            i += 2
        elif arg in ("--allow-empty", "--no-fail-on-incomplete", "--verbose"):
            i += 1
        elif arg.startswith("-"):
            usage(f"unknown option {arg}")
        else:
            paths.append(arg)
            i += 1
    if config is not None and not os.path.isfile(config):
        usage(f"config file {config} not found")
    if config_dir is not None and (config is None or not os.path.isdir(config_dir)):
        usage("--config-dir needs --config and a directory")
    if compare is not None and not os.path.isfile(compare):
        usage(f"config file {compare} not found")
    paths = paths or ["."]
    if config is None:
        root = paths[0] if os.path.isdir(paths[0]) else "."
        for name in (".clustersec.yaml", ".clustersec.yml"):
            if os.path.isfile(os.path.join(root, name)):
                config = os.path.join(root, name)
                break
    return paths, fail_on, formats or [["text", None]], read(config), \
        (read(compare) if compare is not None else None)


def read(path):
    if path is None:
        return ""
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def privileged_off(config):
    return "CUSTOM_SECURITY_PRIVILEGED_CHECK" in config and "enabled: false" in config


def scan(paths, config=""):
    files = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [os.path.join(root, n) for n in sorted(names)
                          if n.endswith((".yaml", ".yml", ".json"))]
        elif os.path.isfile(path):
            files.append(path)
        else:
            usage(f"path {path} does not exist")
    findings = []
    for file in files:
        with open(file, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                for needle, (rule, sev, msg) in RULES.items():
                    if rule == "CS-privileged" and privileged_off(config):
                        continue
                    col = line.find(needle)
                    if col >= 0:
                        findings.append({"file": os.path.relpath(file).replace(os.sep, "/"),
                                         "line": lineno, "col": col + 1, "rule": rule,
                                         "severity": sev, "message": msg})
    return findings


def render(fmt, findings, pad, policy=""):
    if fmt == "sarif":
        rules = sorted({f["rule"] for f in findings})
        return json.dumps({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "clustersec", "version": "0.0.0-fake",
                                    "informationUri": "https://github.com/clustersec/clustersec",
                                    "rules": [{"id": r, "name": r.replace("-", ""),
                                               "shortDescription": {"text": r},
                                               "fullDescription": {"text": f"The fake rule {r}."},
                                               "help": {"text": f"Fix {r}.", "markdown": f"Fix `{r}`."},
                                               "properties": {"tags": ["security"]}}
                                              for r in rules]}},
                "columnKind": "unicodeCodePoints",
                "results": [{
                    "ruleId": f["rule"], "level": LEVEL[f["severity"]],
                    "message": {"text": f["message"]},
                    "properties": {"severity": f["severity"]},
                    **({"baselineState": "unchanged"} if os.environ.get("FAKE_CLUSTERSEC_EXISTING") else {}),
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": f["file"]},
                        "region": {"startLine": f["line"], "startColumn": f["col"]}}}],
                } for f in findings],
            }],
        }, indent=2) + "\n"
    if fmt == "markdown":
        if not findings:
            return "## clustersec\n\n:white_check_mark: No findings.\n" + policy
        lines = [f"## clustersec: {len(findings)} finding(s)", "", policy]
        lines += [f"- **{f['severity']}** `{f['rule']}` {f['file']}:{f['line']} {f['message']}" for f in findings]
        filler = "- **low** `CS-padding` padding.yaml:1 " + "x" * 80
        while pad > 0:
            lines.append(filler)
            pad -= len(filler) + 1
        return "\n".join(lines) + "\n"
    if fmt == "markdown-summary":
        text = render("markdown", findings, pad, policy)
        if findings:
            text += "\n```mermaid\npie showData\n" + "".join(
                f'    "{sev}" : {sum(1 for f in findings if f["severity"] == sev)}\n'
                for sev in SEVERITIES if any(f["severity"] == sev for f in findings)) + "```\n"
        return text
    if fmt == "github":
        cmd = {"info": "notice", "low": "notice", "medium": "warning", "high": "error", "critical": "error"}
        return "".join(f"::{cmd[f['severity']]} file={f['file']},line={f['line']},col={f['col']},"
                       f"title={f['rule']}::{f['message']}\n" for f in findings)
    if fmt == "gitlab":
        return json.dumps([{"description": f["message"], "check_name": f["rule"],
                            "fingerprint": f"{f['file']}-{f['rule']}-{i}",
                            "severity": GITLAB[f["severity"]],
                            "location": {"path": f["file"], "lines": {"begin": f["line"]}}}
                           for i, f in enumerate(findings)], indent=2) + "\n"
    if fmt == "json":
        return json.dumps(findings, indent=2) + "\n"
    return "".join(f"{f['file']}:{f['line']}:{f['col']}: {f['severity']} {f['rule']} {f['message']}\n"
                   for f in findings)


def main():
    argv = sys.argv[1:]
    log = os.environ.get("FAKE_CLUSTERSEC_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            tokens = sorted(k for k in os.environ if k in ("GITHUB_TOKEN", "CLUSTERSEC_FETCH_TOKEN"))
            fh.write(json.dumps({"argv": argv, "cwd": os.getcwd(), "tokens": tokens}) + "\n")
    forced = os.environ.get("FAKE_CLUSTERSEC_EXIT")
    if forced == "2":
        print("clustersec: error: simulated tool failure", file=sys.stderr)
        return 2
    paths, fail_on, formats, config, compare = parse(argv)
    findings = scan(paths, config)
    policy = ""
    if compare is not None and compare != config:
        policy = ("\n### :warning: Policy changes in this pull request\n\n"
                  + ("- :warning: **rule turned off**: `rules.CUSTOM_SECURITY_PRIVILEGED_CHECK.enabled`\n"
                     if privileged_off(config) and not privileged_off(compare) else "- config changed\n"))
    pad = int(os.environ.get("FAKE_CLUSTERSEC_MARKDOWN_PAD", "0") or 0)
    for fmt, output in formats:
        if fmt == "markdown-summary" and os.environ.get("FAKE_CLUSTERSEC_NO_SUMMARY"):
            continue
        text = render(fmt, findings, pad, policy)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
    if forced:
        return int(forced)
    if fail_on in ("none", "never") or os.environ.get("FAKE_CLUSTERSEC_EXISTING"):
        return 0
    threshold = SEVERITIES.index(fail_on)
    return 1 if any(SEVERITIES.index(f["severity"]) >= threshold for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
