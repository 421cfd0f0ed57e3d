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


# -- national prefecture-level cities (出差 destinations) ------------------------------------
@functools.lru_cache(maxsize=1)
def national() -> dict[str, Any]:
    """Every 地级 city of China with its province (resources/regions/cities.json)."""
    return json.loads(
        (paths.resources_dir() / "regions" / "cities.json").read_text(encoding="utf-8")
    )


@functools.lru_cache(maxsize=1)
def cities() -> list[dict[str, Any]]:
    """[{code, name, short, province, province_short, province_code}] in GB/T 2260 order."""
    return [
        {
            **city,
            "province": prov["name"],
            "province_short": prov["short"],
            "province_code": prov["code"],
        }
        for prov in national()["provinces"]
        for city in prov["cities"]
    ]


def city(code: str) -> dict[str, Any] | None:
    return next((c for c in cities() if c["code"] == code), None)


def find_city(text: str) -> dict[str, Any] | None:
    """A city by code, full name (苏州市), short name (苏州) or '省 市' (江苏苏州)."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    for key in ("code", "name", "short"):
        found = [c for c in cities() if c[key] == text]
        if len(found) == 1:
            return found[0]
    for c in cities():
        for prov in (c["province"], c["province_short"]):
            if text in (prov + c["name"], prov + c["short"]) and prov != c["name"]:
                return c
    return None
