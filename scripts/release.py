#!/usr/bin/env python3
"""Release helpers for .github/workflows/release.yml (Python 3.8+ standard library only, so the
same code runs on the Linux, macOS and Windows runners and in the tests here).

  check-tag TAG                 TAG must be v<Cargo.toml version> and CHANGELOG.md must have a
                                `## [<version>]` section; prints the version.
  notes VERSION                 the CHANGELOG.md section of VERSION (without its heading).
  package TARGET BINARY OUTDIR  OUTDIR/clustersec-v<version>-TARGET.tar.gz (.zip for Windows)
                                holding clustersec-v<version>-TARGET/{clustersec[.exe],
                                README.md, CHANGELOG.md}; reproducible (sorted entries, fixed
                                owner and mode, mtime from SOURCE_DATE_EPOCH or 0). Prints its path.
  sums DIR                      DIR/SHA256SUMS for every other file in DIR, `sha256sum` format,
                                sorted by name (`sha256sum -c SHA256SUMS` checks it).

The archive and member names are the ones action/install.py and cargo-binstall (Cargo.toml
[package.metadata.binstall]) look for.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
NAME = "clustersec"
EXTRA_FILES = ("README.md", "CHANGELOG.md")


class ReleaseError(Exception):
    pass


def cargo_version(root: Path = ROOT) -> str:
    in_package = False
    for line in (root / "Cargo.toml").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[package]"
            continue
        match = re.match(r'^version\s*=\s*"([^"]+)"', stripped)
        if in_package and match:
            return match.group(1)
    raise ReleaseError("no [package] version in Cargo.toml")


def changelog_section(version: str, root: Path = ROOT) -> str:
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.compile(r"^## \[" + re.escape(version) + r"\](?:\s+-\s+.*)?\s*$")
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    if start is None:
        raise ReleaseError(f"CHANGELOG.md has no `## [{version}]` section")
    body: List[str] = []
    for line in lines[start + 1:]:
        if line.startswith("## ") or re.match(r"^\[[^\]]+\]:\s", line):
            break
        body.append(line)
    section = "\n".join(body).strip()
    if not section:
        raise ReleaseError(f"the `## [{version}]` section of CHANGELOG.md is empty")
    return section + "\n"


def check_tag(tag: str, root: Path = ROOT) -> str:
    version = cargo_version(root)
    if tag != f"v{version}":
        raise ReleaseError(f"tag {tag} does not match the Cargo.toml version {version} "
                           f"(expected v{version})")
    changelog_section(version, root)
    return version


def _mtime() -> int:
    try:
        return max(0, int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    except ValueError:
        return 0


def package(target: str, binary: Path, outdir: Path, root: Path = ROOT) -> Path:
    version = cargo_version(root)
    windows = "windows" in target
    base = f"{NAME}-v{version}-{target}"
    exe = f"{NAME}.exe" if windows else NAME
    if not binary.is_file():
        raise ReleaseError(f"{binary} is not a file")
    members = [(f"{base}/{exe}", binary.read_bytes(), 0o755)]
    for extra in EXTRA_FILES:
        members.append((f"{base}/{extra}", (root / extra).read_bytes(), 0o644))
    members.sort()
    outdir.mkdir(parents=True, exist_ok=True)
    mtime = _mtime()
    if windows:
        path = outdir / f"{base}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data, mode in members:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    else:
        path = outdir / f"{base}.tar.gz"
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name, data, mode in members:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = mode
                info.mtime = mtime
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                tf.addfile(info, io.BytesIO(data))
        with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh,
                                                   mtime=mtime) as gz:
            gz.write(raw.getvalue())
    return path


def sums(directory: Path) -> Path:
    lines = []
    for path in sorted(directory.iterdir()):
        if path.name == "SHA256SUMS" or not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.name}\n")
    out = directory / "SHA256SUMS"
    out.write_text("".join(lines), encoding="utf-8", newline="\n")
    return out


def main(argv: List[str]) -> int:
    args = argv[1:]
    try:
        if args[:1] == ["check-tag"] and len(args) == 2:
            print(check_tag(args[1]))
        elif args[:1] == ["notes"] and len(args) == 2:
            sys.stdout.write(changelog_section(args[1]))
        elif args[:1] == ["package"] and len(args) == 4:
            print(package(args[1], Path(args[2]), Path(args[3])))
        elif args[:1] == ["sums"] and len(args) == 2:
            print(sums(Path(args[1])))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (ReleaseError, OSError) as exc:
        print(f"release.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
