"""Do zsapp's requirements resolve to wheels for a target platform? (pip's own resolver, dry run)

    python packaging/resolve_check.py --platform manylinux_2_28_x86_64 --extras pdf-addons,dev
    python packaging/resolve_check.py --platform win_amd64 --extras pdf-qt612

Reads the requirements from pyproject.toml (core + the given extras), asks
``pip install --dry-run --only-binary=:all: --platform … --python-version …`` and prints what
would be installed (name, version, wheel file). Exit 0 when it resolves, 1 when it does not.

pip does not widen ``--platform manylinux_2_28_x86_64`` to the older manylinux tags a glibc
2.28 machine also accepts (manylinux2014 = 2_17, manylinux1 = 2_5 …), so every compatible
tag is passed explicitly — otherwise pure-manylinux2014 wheels (pypdfium2, psycopg-binary)
would look unavailable.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEGACY = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


def platform_tags(platform: str) -> list[str]:
    """``manylinux_2_28_x86_64`` → that tag and every older manylinux tag for the arch."""
    m = re.fullmatch(r"manylinux_2_(\d+)_(\w+)", platform)
    if not m:
        return [platform]
    top, arch = int(m.group(1)), m.group(2)
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(top, 4, -1)]
    tags += [f"{name}_{arch}" for minor, name in LEGACY.items() if minor <= top]
    return tags


def requirements(extras: list[str], pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise SystemExit(f"no extra {extra!r} in {pyproject} (have: {', '.join(optional)})")
        reqs += optional[extra]
    return reqs


@dataclass
class Resolution:
    ok: bool
    installs: list[tuple[str, str, str]] = field(default_factory=list)  # name, version, file
    error: str = ""

    def version_of(self, name: str) -> str | None:
        norm = re.sub(r"[-_.]+", "-", name).lower()
        for n, v, _ in self.installs:
            if re.sub(r"[-_.]+", "-", n).lower() == norm:
                return v
        return None


def resolve(
    platform: str, extras: list[str], python_version: str = "3.11", timeout: float = 180
) -> Resolution:
    reqs = requirements(extras)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        cmd += ["--quiet", "--report", str(report), "--only-binary=:all:"]
        cmd += ["--python-version", python_version, "--implementation", "cp"]
        for tag in platform_tags(platform):
            cmd += ["--platform", tag]
        cmd += ["--target", str(Path(tmp) / "target"), *reqs]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not report.exists():
            lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("WARNING")]
            return Resolution(False, error="\n".join(lines[-8:]))
        data = json.loads(report.read_text(encoding="utf-8"))
    installs = [
        (
            item["metadata"]["name"],
            item["metadata"]["version"],
            item["download_info"]["url"].rsplit("/", 1)[-1],
        )
        for item in data["install"]
    ]
    return Resolution(True, installs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--platform", default="manylinux_2_28_x86_64")
    ap.add_argument("--extras", default="pdf-addons", help="comma-separated extras")
    ap.add_argument("--python-version", default="3.11")
    args = ap.parse_args(argv)
    extras = [e for e in args.extras.split(",") if e]
    res = resolve(args.platform, extras, args.python_version)
    label = f"{args.platform}, Python {args.python_version}, extras [{','.join(extras)}]"
    if not res.ok:
        print(f"DOES NOT RESOLVE for {label}:\n{res.error}")
        return 1
    for name, version, wheel in res.installs:
        print(f"{name:28} {version:16} {wheel}")
    print(f"resolves for {label}: {len(res.installs)} wheels")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
