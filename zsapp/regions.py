"""Yunnan's 州市, 县级 divisions (GB/T 2260) and the seeded list of parks."""

from __future__ import annotations

import functools
import json
from typing import Any

from zsapp import paths


@functools.lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    return json.loads(
        (paths.resources_dir() / "regions" / "yunnan.json").read_text(encoding="utf-8")
    )


def prefectures() -> list[dict[str, Any]]:
    return data()["prefectures"]


def prefecture_names() -> list[str]:
    return [p["name"] for p in prefectures()]


def counties(prefecture_code: str) -> list[dict[str, Any]]:
    for prefecture in prefectures():
        if prefecture["code"] == prefecture_code:
            return prefecture["counties"]
    return []


def seeded_parks() -> list[dict[str, Any]]:
    return data()["parks"]
