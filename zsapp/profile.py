"""The officer profile of this install (name, title, phone, email, 州市/园区)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

from zsapp.contacts import validation
from zsapp.store import Store, StoreError

SETTING_KEY = "officer.profile"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ProfileError(StoreError):
    pass


@dataclass
class OfficerProfile:
    name: str = ""
    title: str = ""
    phone: str = ""
    email: str = ""
    unit: str = ""  # 单位（招商局、投促中心…）
    prefecture: str = ""  # 州市
    park: str = ""  # 园区
    unit_en: str = ""  # 单位的英文名称（中英双语推介册）

    @property
    def is_empty(self) -> bool:
        return not any(asdict(self).values())


def normalise_phone(raw: str) -> str:
    """E.164 for a valid number (CN by default, international allowed); '' for blank."""
    try:
        return validation.normalise_phone(raw, "电话号码")
    except validation.ContactsError as exc:
        raise ProfileError(str(exc)) from exc


def validate(profile: OfficerProfile) -> OfficerProfile:
    cleaned = OfficerProfile(
        **{f.name: (getattr(profile, f.name) or "").strip() for f in fields(profile)}
    )
    cleaned.phone = normalise_phone(cleaned.phone)
    if cleaned.email and not _EMAIL.match(cleaned.email):
        raise ProfileError(f"电子邮箱“{cleaned.email}”格式不正确")
    if len(cleaned.name) > 50:
        raise ProfileError("姓名过长（最多 50 字）")
    return cleaned


def get_profile(store: Store) -> OfficerProfile:
    data = store.get_setting(SETTING_KEY) or {}
    known = {f.name for f in fields(OfficerProfile)}
    return OfficerProfile(**{k: v for k, v in data.items() if k in known})


def save_profile(store: Store, profile: OfficerProfile) -> OfficerProfile:
    cleaned = validate(profile)
    store.set_setting(SETTING_KEY, asdict(cleaned))
    return cleaned


def first_run_done(store: Store) -> bool:
    return bool(store.get_setting("officer.profile_prompted", False))


def mark_first_run_done(store: Store) -> None:
    store.set_setting("officer.profile_prompted", True)
