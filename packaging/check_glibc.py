"""Which glibc does a built bundle need? Lists, for every ELF file under a folder (or given
files), the highest ``GLIBC_x.y`` symbol version it requires, and fails when any is above the
limit — 2.28 for 统信 UOS 20 / 银河麒麟 V10.

    python packaging/check_glibc.py dist/zsapp --max 2.28
    python packaging/check_glibc.py dist/zsapp --max 2.28 --all     # every ELF, not only offenders

Reads the version-needed section (.gnu.version_r) with pyelftools: what the dynamic loader
checks at start-up, so a file listed here as needing 2.34 will not load on a 2.28 system.
Exit 0: every file within the limit; 1: some above; 2: nothing ELF found.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

GLIBC_RE = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")
ELF_MAGIC = b"\x7fELF"


def parse_version(text: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in text.split("."))
    if not 2 <= len(parts) <= 3:
        raise ValueError(f"not a glibc version: {text!r}")
    return parts


def fmt(version: tuple[int, ...] | None) -> str:
    return "-" if version is None else ".".join(map(str, version))


@dataclass(frozen=True)
class Need:
    path: Path
    glibc: tuple[int, ...] | None  # highest GLIBC_x.y needed, None when it needs none
    symbols_from: str = ""  # the library the highest version is needed from (libc.so.6 …)


def glibc_need(path: Path) -> Need | None:
    """The highest GLIBC version ``path`` needs, or None when it is not an ELF file."""
    with open(path, "rb") as fh:
        if fh.read(4) != ELF_MAGIC:
            return None
        fh.seek(0)
        try:
            elf = ELFFile(fh)
        except ELFError:
            return None
        best: tuple[int, ...] | None = None
        lib = ""
        for section in elf.iter_sections():
            if not isinstance(section, GNUVerNeedSection):
                continue
            for verneed, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    m = GLIBC_RE.match(aux.name)
                    if not m:
                        continue
                    v = tuple(int(g) for g in m.groups() if g is not None)
                    if best is None or v > best:
                        best, lib = v, verneed.name
        return Need(path, best, lib)


def scan(paths: list[Path]) -> list[Need]:
    found: list[Need] = []
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            if f != root and f.is_symlink() and f.resolve().is_relative_to(root.resolve()):
                continue  # the target is scanned under its own name
            need = glibc_need(f)
            if need is not None:
                found.append(need)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path, help="bundle folder(s) or ELF file(s)")
    ap.add_argument("--max", default="2.28", help="highest glibc allowed (default 2.28)")
    ap.add_argument("--all", action="store_true", help="list every ELF file, not only offenders")
    args = ap.parse_args(argv)
    limit = parse_version(args.max)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    needs = scan(args.paths)
    if not needs:
        print("no ELF files found", file=sys.stderr)
        return 2
    over = [n for n in needs if n.glibc is not None and n.glibc > limit]
    base = args.paths[0] if args.paths[0].is_dir() else args.paths[0].parent
    for n in sorted(needs if args.all else over, key=lambda n: (n.glibc or (), str(n.path))):
        mark = "TOO NEW" if n in over else "ok"
        rel = os.path.relpath(n.path, base)
        print(f"GLIBC_{fmt(n.glibc):8} {mark:7} {rel}  ({n.symbols_from or 'no glibc symbols'})")
    top = max((n.glibc for n in needs if n.glibc), default=None)
    print(
        f"{len(needs)} ELF files; highest GLIBC needed: {fmt(top)}; limit {fmt(limit)}: "
        + (f"{len(over)} file(s) above the limit" if over else "all within the limit")
    )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
