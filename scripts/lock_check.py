#!/usr/bin/env python3
"""pylock.toml (PEP 751) is in sync with pyproject.toml, and installs from the public index.

Checks, without any network:
- every runtime dependency of pyproject.toml, and those of the `tencent` and `huawei`
  extras, is in the lock at a version its specifier allows (and the extras of a dependency,
  e.g. psycopg[binary], brought what they name when the name is a package of its own);
- nothing in the lock points at this machine: no file:// URL, no local path or directory
  (the project itself is not in the lock: pip cannot hash-check a directory, so it is
  installed after the lock with `pip install --no-deps`);
- every locked file has a sha256 hash.

Run: python scripts/lock_check.py [path/to/checkout]. Exit 1 with the problems listed.
`python scripts/lock_check.py --requirements` prints what the lock is made from (the runtime
dependencies and the two extras' ones), as input for `pip lock -r`.
Regenerate the lock (see docs/operations.md, "Installing from the lock file") when it fails.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCKED_EXTRAS = ("tencent", "huawei")
# Extras of a dependency that are packages of their own, by (dependency, extra).
EXTRA_PACKAGES = {("psycopg", "binary"): "psycopg-binary", ("django-storages", "s3"): "boto3"}


def requirements(root: Path) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in LOCKED_EXTRAS:
        wanted += project["optional-dependencies"][extra]
    return list(dict.fromkeys(wanted))


def problems(root: Path) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lock_path = root / "pylock.toml"
    if not lock_path.exists():
        return ["pylock.toml is missing"]
    lock = tomllib.loads(lock_path.read_text())
    found: list[str] = []
    locked: dict[str, Version | None] = {}
    for package in lock.get("packages", []):
        name = canonicalize_name(package["name"])
        locked[name] = Version(package["version"]) if "version" in package else None
        if "directory" in package or "archive" in package or "vcs" in package:
            found.append(f"{name}: not a file of the package index (a local directory?)")
            continue
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        if not files:
            found.append(f"{name}: no wheel or sdist locked")
        for entry in files:
            where = str(entry.get("url", entry.get("path", "")))
            if not where.startswith("https://"):
                found.append(
                    f"{name}: {entry.get('name', '?')} is not from an https index: {where}"
                )
            if "sha256" not in entry.get("hashes", {}):
                found.append(f"{name}: {entry.get('name', '?')} has no sha256 hash")
    for text in requirements(root):
        req = Requirement(text)
        name = canonicalize_name(req.name)
        if name == canonicalize_name(project["name"]):
            continue
        if name not in locked:
            found.append(f"{req}: in pyproject.toml, not in pylock.toml")
            continue
        version = locked[name]
        if version is None or not req.specifier.contains(version, prereleases=True):
            found.append(f"{req}: pylock.toml has {version}")
        for extra in req.extras:
            needed = EXTRA_PACKAGES.get((name, extra))
            if needed and canonicalize_name(needed) not in locked:
                found.append(f"{req}: the [{extra}] extra's {needed} is not in pylock.toml")
    return found


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--requirements"]
    root = Path(args[0] if args else Path(__file__).resolve().parents[1])
    if "--requirements" in sys.argv[1:]:
        print("\n".join(requirements(root)))
        return 0
    found = problems(root)
    for line in found:
        print(f"lock check: {line}")
    print("lock check: OK" if not found else f"lock check: FAILED ({len(found)} problem(s))")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
