"""Where the data keys come from, and the key envelope kept beside the database.

Two random 256-bit keys protect a device's data: ``db`` (SQLCipher raw key) and
``files`` (AES-GCM master key for attachments and backups). They are generated on first
start and never derived from anything guessable. What protects *them* is a
:class:`KeySource`:

- :class:`KeyringSource` — the keys live in the OS key store (Windows Credential
  Manager, macOS Keychain, Secret Service) through ``keyring``; nothing is asked.
- :class:`PassphraseSource` — the keys are wrapped (AES-256-GCM) with a key derived by
  Argon2id from a passphrase the officer types at start (UI dialog, CLI prompt, or
  ``ZSAPP_PASSPHRASE`` for scripts).

The envelope ``<db>.keys`` (JSON, 0600) says which source was used, and for a passphrase
holds the salt, the Argon2id parameters and the wrapped keys. A wrong passphrase fails
the AES-GCM tag check before the database is touched.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zsapp.security import perms
from zsapp.security.errors import PassphraseRequired, SecurityError, WrongKeyError

ENV_PASSPHRASE = "ZSAPP_PASSPHRASE"
KEYRING_SERVICE = "zsapp"
MIN_PASSPHRASE_LEN = 8
_WRAP_AAD = b"zsapp-keys-v1"

WRONG_PASSPHRASE = "口令不正确，无法解开本机数据。数据库与附件未作任何改动，请重新输入。"


@dataclass(frozen=True)
class Argon2Params:
    """Argon2id cost. The default follows RFC 9106's second recommended option
    (t=3, 64 MiB, p=4). Tests pass cheaper parameters explicitly."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


DEFAULT_ARGON2 = Argon2Params()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


@dataclass(frozen=True)
class DataKeys:
    db: bytes
    files: bytes

    @classmethod
    def generate(cls) -> DataKeys:
        return cls(db=os.urandom(32), files=os.urandom(32))

    def with_new_db_key(self) -> DataKeys:
        return DataKeys(db=os.urandom(32), files=self.files)

    @property
    def sqlcipher_key(self) -> str:
        """The value for ``PRAGMA key`` (a raw key: SQLCipher's own KDF is skipped)."""
        return f"\"x'{self.db.hex()}'\""

    def to_json(self) -> bytes:
        return json.dumps({"db": self.db.hex(), "files": self.files.hex()}).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> DataKeys:
        obj = json.loads(data)
        return cls(db=bytes.fromhex(obj["db"]), files=bytes.fromhex(obj["files"]))

    def __repr__(self) -> str:  # never print key material
        return "DataKeys(<hidden>)"


def derive_kek(passphrase: str, salt: bytes, params: Argon2Params) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def check_new_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE_LEN:
        raise SecurityError(f"口令太短：至少 {MIN_PASSPHRASE_LEN} 个字符")
    return passphrase


# -- key sources ----------------------------------------------------------------------------
class KeySource(ABC):
    """Protects the data keys. ``create`` returns the envelope to store; ``unlock`` gets
    the keys back from it (raising :class:`WrongKeyError` on a wrong secret)."""

    kind: str = ""

    @abstractmethod
    def create(self, db_path: Path, keys: DataKeys) -> dict[str, Any]: ...

    @abstractmethod
    def unlock(self, db_path: Path, envelope: dict[str, Any]) -> DataKeys: ...

    def forget(self, envelope: dict[str, Any]) -> None:
        """Remove key material held outside the envelope (remote wipe); a passphrase
        source holds none."""
        return None


class PassphraseSource(KeySource):
    """Keys wrapped with Argon2id(passphrase). ``passphrase`` is the text itself or a
    callable ``ask(creating: bool) -> str`` (UI dialog, terminal prompt) called lazily."""

    kind = "passphrase"

    def __init__(
        self,
        passphrase: str | Callable[[bool], str],
        params: Argon2Params = DEFAULT_ARGON2,
    ) -> None:
        self._passphrase = passphrase
        self.params = params

    def passphrase(self, creating: bool = False) -> str:
        value = self._passphrase(creating) if callable(self._passphrase) else self._passphrase
        if not value:
            raise PassphraseRequired("需要输入本机数据口令才能打开数据")
        if callable(self._passphrase):
            self._passphrase = value  # ask once per source
        return value

    def wrap(self, keys: DataKeys, passphrase: str) -> dict[str, Any]:
        salt = os.urandom(16)
        nonce = os.urandom(12)
        kek = derive_kek(passphrase, salt, self.params)
        wrapped = AESGCM(kek).encrypt(nonce, keys.to_json(), _WRAP_AAD)
        return {
            "format": 1,
            "source": self.kind,
            "kdf": {"name": "argon2id", "salt": _b64(salt), **asdict(self.params)},
            "wrapped": _b64(nonce + wrapped),
        }

    def create(self, db_path: Path, keys: DataKeys) -> dict[str, Any]:
        return self.wrap(keys, check_new_passphrase(self.passphrase(creating=True)))

    def unlock(self, db_path: Path, envelope: dict[str, Any]) -> DataKeys:
        return unwrap_with_passphrase(envelope, self.passphrase())


def unwrap_with_passphrase(envelope: dict[str, Any], passphrase: str) -> DataKeys:
    kdf = envelope["kdf"]
    if kdf.get("name") != "argon2id":
        raise SecurityError(f"不支持的密钥派生方法：{kdf.get('name')}")
    params = Argon2Params(
        time_cost=int(kdf["time_cost"]),
        memory_kib=int(kdf["memory_kib"]),
        parallelism=int(kdf["parallelism"]),
    )
    kek = derive_kek(passphrase, _unb64(kdf["salt"]), params)
    blob = _unb64(envelope["wrapped"])
    try:
        return DataKeys.from_json(AESGCM(kek).decrypt(blob[:12], blob[12:], _WRAP_AAD))
    except InvalidTag:
        raise WrongKeyError(WRONG_PASSPHRASE) from None


class KeyringSource(KeySource):
    """Keys kept in the OS key store. ``backend`` is a ``keyring`` backend (default: the
    one ``keyring`` picks for this system)."""

    kind = "keyring"

    def __init__(self, backend: Any = None) -> None:
        import keyring

        self.backend = backend or keyring.get_keyring()

    @staticmethod
    def usable(backend: Any = None) -> bool:
        """True when a real key store is there (not keyring's fail/null backends, which
        is the case on CI and on a server without a desktop session)."""
        import keyring
        from keyring.backends import fail, null

        try:
            backend = backend or keyring.get_keyring()
            if isinstance(backend, fail.Keyring | null.Keyring):
                return False
            return float(getattr(backend, "priority", 0) or 0) > 0
        except Exception:  # a broken D-Bus / keychain: fall back to the passphrase
            return False

    @staticmethod
    def username(db_path: Path) -> str:
        return "db-" + hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:24]

    def create(self, db_path: Path, keys: DataKeys) -> dict[str, Any]:
        name = self.username(db_path)
        try:
            self.backend.set_password(KEYRING_SERVICE, name, keys.to_json().decode())
        except Exception as exc:
            raise SecurityError(f"无法把密钥存入系统密钥库：{exc}") from exc
        return {"format": 1, "source": self.kind, "service": KEYRING_SERVICE, "username": name}

    def unlock(self, db_path: Path, envelope: dict[str, Any]) -> DataKeys:
        try:
            secret = self.backend.get_password(envelope["service"], envelope["username"])
        except Exception as exc:
            raise SecurityError(f"无法读取系统密钥库：{exc}") from exc
        if not secret:
            raise WrongKeyError(
                "系统密钥库中没有本机数据的密钥（可能已被删除或换了用户登录）。数据库未作任何改动。"
            )
        return DataKeys.from_json(secret)

    def forget(self, envelope: dict[str, Any]) -> None:
        import contextlib

        with contextlib.suppress(Exception):
            self.backend.delete_password(envelope["service"], envelope["username"])


def terminal_prompt(creating: bool) -> str:
    """The CLI's way to ask: ``ZSAPP_PASSPHRASE`` first (scripts), then getpass on a tty."""
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return env
    if not sys.stdin or not sys.stdin.isatty():
        raise PassphraseRequired(
            "需要本机数据口令：请在终端中运行，或设置环境变量 ZSAPP_PASSPHRASE（脚本使用）"
        )
    if creating:
        first = getpass.getpass("设置本机数据口令（至少 8 个字符）：")
        if getpass.getpass("再输入一次：") != first:
            raise SecurityError("两次输入的口令不一致")
        return first
    return getpass.getpass("本机数据口令：")


def default_key_source() -> KeySource:
    """For a new database: the OS key store where one works, else a passphrase asked on
    the terminal (or taken from ``ZSAPP_PASSPHRASE``)."""
    if KeyringSource.usable():
        return KeyringSource()
    return PassphraseSource(terminal_prompt)


def source_for_envelope(envelope: dict[str, Any]) -> KeySource:
    if envelope.get("source") == KeyringSource.kind:
        return KeyringSource()
    return PassphraseSource(terminal_prompt)


# -- the envelope file ------------------------------------------------------------------------
def envelope_path(db_path: Path | str) -> Path:
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".keys")


def _pending_path(db_path: Path | str) -> Path:
    return envelope_path(db_path).with_suffix(".keys-new")


def read_envelope(db_path: Path | str) -> dict[str, Any] | None:
    path = envelope_path(db_path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SecurityError(f"密钥文件 {path} 已损坏：{exc}") from exc


def write_envelope(db_path: Path | str, envelope: dict[str, Any], pending: bool = False) -> Path:
    target = _pending_path(db_path) if pending else envelope_path(db_path)
    return perms.write_private(target, json.dumps(envelope, indent=1).encode())


def pending_envelope(db_path: Path | str) -> dict[str, Any] | None:
    path = _pending_path(db_path)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def commit_pending(db_path: Path | str) -> None:
    os.replace(_pending_path(db_path), envelope_path(db_path))


def discard_pending(db_path: Path | str) -> None:
    _pending_path(db_path).unlink(missing_ok=True)


def resolve(
    db_path: Path | str, source: KeySource | None = None, create: bool = True
) -> tuple[DataKeys, KeySource, dict[str, Any], bool]:
    """The data keys for ``db_path``: unlocked from its envelope, or (``create``) newly
    generated and protected by ``source``. Returns (keys, source, envelope, created)."""
    db_path = Path(db_path)
    envelope = read_envelope(db_path)
    if envelope is None:
        if not create:
            raise SecurityError(f"找不到本机数据的密钥文件 {envelope_path(db_path)}")
        source = source or default_key_source()
        keys = DataKeys.generate()
        envelope = source.create(db_path, keys)
        write_envelope(db_path, envelope)
        return keys, source, envelope, True
    if source is None or source.kind != envelope.get("source"):
        source = source_for_envelope(envelope)
    return source.unlock(db_path, envelope), source, envelope, False


def needs_passphrase(db_path: Path | str) -> bool:
    """Whether opening ``db_path`` will need a passphrase (for the UI's start dialog)."""
    envelope = read_envelope(db_path)
    if envelope is None:
        return not KeyringSource.usable()
    return envelope.get("source") != KeyringSource.kind
