"""App lock: after N idle minutes (设置, default 15), when the OS session locks, or on
``zsapp security lock``, the data is hidden until the officer gives the passphrase (when
the keys are passphrase-protected) or the PIN (when they are in the OS key store). The
lock state is kept in the database, so the CLI honours it too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError

from zsapp.security import keys
from zsapp.security.errors import SecurityError, WrongKeyError
from zsapp.store import Store

IDLE_KEY = "security.lock_idle_minutes"
LOCKED_KEY = "security.locked"
PIN_KEY = "security.pin_hash"
DEFAULT_IDLE_MINUTES = 15
MIN_PIN_LEN = 6

WRONG_SECRET = "口令或 PIN 不正确，数据仍保持锁定"


def idle_minutes(store: Store) -> int:
    return int(store.get_setting(IDLE_KEY, DEFAULT_IDLE_MINUTES))


def set_idle_minutes(store: Store, minutes: int) -> int:
    minutes = int(minutes)
    if not 1 <= minutes <= 240:
        raise SecurityError("自动锁定时间应在 1 到 240 分钟之间")
    store.set_setting(IDLE_KEY, minutes)
    return minutes


def uses_pin(store: Store) -> bool:
    envelope = keys.read_envelope(store.path) or {}
    return envelope.get("source") == keys.KeyringSource.kind


def secret_name(store: Store) -> str:
    return "PIN" if uses_pin(store) else "口令"


def can_lock(store: Store) -> bool:
    return not uses_pin(store) or bool(store.get_setting(PIN_KEY))


def set_pin(store: Store, pin: str, hasher: PasswordHasher | None = None) -> None:
    if len(pin) < MIN_PIN_LEN:
        raise SecurityError(f"PIN 至少 {MIN_PIN_LEN} 位")
    store.set_setting(PIN_KEY, (hasher or PasswordHasher()).hash(pin))


def verify(store: Store, secret: str) -> bool:
    """Whether ``secret`` is this device's passphrase / PIN (nothing else is changed)."""
    envelope = keys.read_envelope(store.path) or {}
    if envelope.get("source") == keys.PassphraseSource.kind:
        try:
            keys.unwrap_with_passphrase(envelope, secret)
        except WrongKeyError:
            return False
        return True
    stored = store.get_setting(PIN_KEY)
    if not stored:
        return False
    with contextlib.suppress(VerifyMismatchError, VerificationError):
        return PasswordHasher().verify(stored, secret)
    return False


def is_locked(store: Store) -> bool:
    return bool(store.get_setting(LOCKED_KEY, False))


def lock(store: Store) -> None:
    if not can_lock(store):
        raise SecurityError("密钥保存在系统密钥库中：请先设置解锁 PIN（zsapp security set-pin）")
    store.set_setting(LOCKED_KEY, True)


def unlock(store: Store, secret: str) -> None:
    if not verify(store, secret):
        raise WrongKeyError(WRONG_SECRET)
    store.set_setting(LOCKED_KEY, False)


@dataclass
class IdleTimer:
    """Idle tracking with an injected clock (seconds): the UI feeds it user activity and
    asks it on a timer whether to lock."""

    minutes: int
    clock: Callable[[], float]
    last_activity: float = 0.0

    def __post_init__(self) -> None:
        self.last_activity = self.clock()

    def touch(self) -> None:
        self.last_activity = self.clock()

    def due(self) -> bool:
        return self.clock() - self.last_activity >= self.minutes * 60
