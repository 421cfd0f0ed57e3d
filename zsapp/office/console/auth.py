"""Office staff accounts for the console, separate from device tokens.

Passwords: Argon2id (argon2-cffi) with complexity rules; an account is locked for
``LOCK_MINUTES`` after ``MAX_FAILURES`` failed attempts (password or second factor).
Administrators must pass a TOTP second factor (pyotp, RFC 6238; a code is accepted once).
Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure under TLS), kept
as its SHA-256 only, ending after ``IDLE_MINUTES`` without a request; each carries its own
CSRF token. Roles: ``admin`` (省级管理员, all 州市, records decisions, TOTP), ``province``
(省级, all 州市, records decisions) and ``prefecture`` (州市: its own 州市 only, read-only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import argon2
import pyotp
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zsapp.office.schema import metadata
from zsapp.office.service import AuthError, NotFoundError, OfficeError

ROLES = {"admin": "省级管理员", "province": "省级", "prefecture": "州市"}
MAX_FAILURES = 5
LOCK_MINUTES = 15
IDLE_MINUTES = 30
MIN_PASSWORD = 12
ISSUER = "招商助手省招商办"

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("prefecture_code", sa.String(12), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("totp_secret", sa.String(64), nullable=False, server_default=""),
    sa.Column("totp_last_counter", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.Float, nullable=False, server_default="0"),
    sa.Column("disabled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("password_changed_at", sa.String(40), nullable=False),
    sa.Column("last_login_at", sa.String(40), nullable=False, server_default=""),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(40), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("second_factor_ok", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Index("console_sessions_user", "user_id"),
)

TABLES = (users, sessions)


class SecondFactorPending(AuthError):
    """Password accepted, TOTP code not yet entered."""


_hasher = argon2.PasswordHasher()  # Argon2id with the library's (RFC 9106) defaults


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


def check_password_rules(password: str, username: str = "") -> None:
    """At least 12 characters with three of: upper case, lower case, digits, symbols;
    not containing the user name."""
    if len(password) < MIN_PASSWORD:
        raise OfficeError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        raise OfficeError("密码需包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        raise OfficeError("密码不能包含用户名")
    if len(set(password)) < 6:
        raise OfficeError("密码过于简单（重复字符太多）")


class Staff:
    """Accounts and sessions on the office database. ``clock`` returns epoch seconds."""

    def __init__(self, engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    # -- accounts ---------------------------------------------------------------------
    def add(
        self,
        username: str,
        password: str,
        role: str,
        prefecture_code: str = "",
        display_name: str = "",
    ) -> dict[str, Any]:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise OfficeError("用户名不能为空，不能含空格，最长 64 个字符")
        if role not in ROLES:
            raise OfficeError(f"角色必须是 {' / '.join(ROLES)} 之一")
        if role == "prefecture" and not prefecture_code:
            raise OfficeError("州市账号需要用 --prefecture 指定所属州市")
        if role != "prefecture":
            prefecture_code = ""
        check_password_rules(password, username)
        now = _iso(self.clock())
        row = {
            "id": uuid.uuid4().hex[:12],
            "username": username,
            "display_name": display_name.strip() or username,
            "role": role,
            "prefecture_code": prefecture_code,
            "password_hash": _hasher.hash(password),
            "totp_secret": pyotp.random_base32() if role == "admin" else "",
            "created_at": now,
            "password_changed_at": now,
        }
        with self.engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise OfficeError(f"已有用户名“{username}”")
            conn.execute(sa.insert(users).values(**row))
            _audit(
                conn, actor="cli", action="console.user.add", target=username, detail={"role": role}
            )
        return self._public(row)

    def _public(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: row.get(k)
            for k in ("id", "username", "display_name", "role", "prefecture_code", "disabled")
        }
        if row.get("totp_secret"):
            out["totp_uri"] = pyotp.TOTP(row["totp_secret"]).provisioning_uri(
                name=row["username"], issuer_name=ISSUER
            )
            out["totp_secret"] = row["totp_secret"]
        return out

    def _get(self, conn: Connection, username: str) -> dict[str, Any]:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            raise NotFoundError(f"找不到用户“{username}”")
        return dict(row._mapping)

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
        now = self.clock()
        return [
            {
                "username": r.username,
                "display_name": r.display_name,
                "role": r.role,
                "prefecture_code": r.prefecture_code,
                "disabled": bool(r.disabled),
                "locked": r.locked_until > now,
                "totp": bool(r.totp_secret),
                "last_login_at": r.last_login_at,
            }
            for r in rows
        ]

    def reset(self, username: str, password: str) -> None:
        """New password; unlocks the account and ends its sessions."""
        check_password_rules(password, username)
        with self.engine.begin() as conn:
            row = self._get(conn, username)
            conn.execute(
                sa.update(users)
                .where(users.c.id == row["id"])
                .values(
                    password_hash=_hasher.hash(password),
                    failed_count=0,
                    locked_until=0,
                    password_changed_at=_iso(self.clock()),
                )
            )
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == row["id"]))
            _audit(conn, actor="cli", action="console.user.reset", target=username)

    def disable(self, username: str) -> None:
        with self.engine.begin() as conn:
            row = self._get(conn, username)
            conn.execute(sa.update(users).where(users.c.id == row["id"]).values(disabled=1))
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == row["id"]))
            _audit(conn, actor="cli", action="console.user.disable", target=username)

    def new_totp(self, username: str) -> dict[str, Any]:
        secret = pyotp.random_base32()
        with self.engine.begin() as conn:
            row = self._get(conn, username)
            conn.execute(
                sa.update(users)
                .where(users.c.id == row["id"])
                .values(totp_secret=secret, totp_last_counter=0)
            )
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == row["id"]))
            _audit(conn, actor="cli", action="console.user.totp", target=username)
            row["totp_secret"] = secret
        return self._public(row)

    # -- sign-in ----------------------------------------------------------------------
    def _fail(self, conn: Connection, row: dict[str, Any], now: float, why: str) -> None:
        failures = row["failed_count"] + 1
        values: dict[str, Any] = {"failed_count": failures}
        if failures >= MAX_FAILURES:
            values.update(failed_count=0, locked_until=now + LOCK_MINUTES * 60)
        conn.execute(sa.update(users).where(users.c.id == row["id"]).values(**values))
        _audit(
            conn,
            actor=f"staff:{row['username']}",
            action="console.login",
            target=why,
            result="locked" if failures >= MAX_FAILURES else "failed",
        )

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Check the password; a new session (``second_factor_ok`` 0 for administrators
        until :meth:`verify_totp`). Raises AuthError with a message for the page; the
        failure is counted and audited (committed) first."""
        with self.engine.begin() as conn:
            result = self._login(conn, username.strip(), password or "", self.clock())
        if isinstance(result, AuthError):
            raise result
        return result

    def _login(self, conn: Connection, username: str, password: str, now: float):
        bad = AuthError("用户名或密码不正确")
        actor = f"staff:{username[:64]}"
        found = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if found is None:
            _hasher.hash(password or "x")  # same work as a real check: no user oracle
            _audit(
                conn, actor=actor, action="console.login", target="unknown user", result="failed"
            )
            return bad
        row = dict(found._mapping)
        if row["disabled"]:
            _audit(conn, actor=actor, action="console.login", target="disabled", result="refused")
            return AuthError("该账号已停用，请联系省招商办管理员")
        if row["locked_until"] > now:
            minutes = int((row["locked_until"] - now) // 60) + 1
            _audit(conn, actor=actor, action="console.login", target="locked", result="refused")
            return AuthError(f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试")
        try:
            _hasher.verify(row["password_hash"], password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            self._fail(conn, row, now, "password")
            return bad
        if row["role"] == "admin" and not row["totp_secret"]:
            return AuthError("管理员账号尚未设置动态口令，请先运行 zsapp office user totp")
        values: dict[str, Any] = {"failed_count": 0}
        if _hasher.check_needs_rehash(row["password_hash"]):
            values["password_hash"] = _hasher.hash(password)
        needs_totp = row["role"] == "admin"
        if not needs_totp:
            values["last_login_at"] = _iso(now)
        conn.execute(sa.update(users).where(users.c.id == row["id"]).values(**values))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        conn.execute(
            sa.insert(sessions).values(
                token_hash=_hash(token),
                user_id=row["id"],
                csrf=csrf,
                second_factor_ok=0 if needs_totp else 1,
                created_at=now,
                last_seen=now,
            )
        )
        _audit(
            conn,
            actor=actor,
            action="console.login",
            target="password",
            result="totp_pending" if needs_totp else "ok",
        )
        return {"token": token, "csrf": csrf, "needs_totp": needs_totp}

    def verify_totp(self, token: str, code: str) -> None:
        with self.engine.begin() as conn:
            error = self._verify_totp(conn, token, code, self.clock())
        if error is not None:
            raise error

    def _verify_totp(self, conn: Connection, token: str, code: str, now: float):
        try:
            sess = self._session_row(conn, token, now, allow_pending=True)
        except AuthError as exc:
            return exc
        row = dict(
            conn.execute(sa.select(users).where(users.c.id == sess["user_id"])).one()._mapping
        )
        if row["locked_until"] > now or row["disabled"]:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _hash(token)))
            return AuthError("连续验证失败次数过多，账号已锁定，请稍后再试")
        totp = pyotp.TOTP(row["totp_secret"])
        code = "".join(ch for ch in (code or "") if ch.isdigit())
        counter = None
        for offset in (0, -1, 1):
            at = now + offset * totp.interval
            if len(code) == totp.digits and secrets.compare_digest(totp.at(at), code):
                counter = int(at // totp.interval)
                break
        if counter is None or counter <= row["totp_last_counter"]:
            self._fail(conn, row, now, "totp")
            return AuthError("动态口令不正确或已使用过")
        conn.execute(
            sa.update(users)
            .where(users.c.id == row["id"])
            .values(totp_last_counter=counter, failed_count=0, last_login_at=_iso(now))
        )
        conn.execute(
            sa.update(sessions)
            .where(sessions.c.token_hash == _hash(token))
            .values(second_factor_ok=1, last_seen=now)
        )
        _audit(conn, actor=f"staff:{row['username']}", action="console.login", target="totp")
        return None

    def _session_row(
        self, conn: Connection, token: str | None, now: float, allow_pending: bool = False
    ) -> dict:
        if not token:
            raise AuthError("请先登录")
        row = conn.execute(sa.select(sessions).where(sessions.c.token_hash == _hash(token))).first()
        if row is None:
            raise AuthError("请先登录")
        if now - row.last_seen > IDLE_MINUTES * 60:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == row.token_hash))
            raise AuthError(f"超过 {IDLE_MINUTES} 分钟未操作，已自动退出，请重新登录")
        if not row.second_factor_ok and not allow_pending:
            raise SecondFactorPending("请先输入动态口令")
        return dict(row._mapping)

    def session(self, token: str | None) -> dict[str, Any]:
        """The signed-in user of a session cookie (and touch it); AuthError otherwise."""
        now = self.clock()
        with self.engine.begin() as conn:
            sess = self._session_row(conn, token, now)
            user = conn.execute(sa.select(users).where(users.c.id == sess["user_id"])).first()
            if user is None or user.disabled:
                conn.execute(sa.delete(sessions).where(sessions.c.token_hash == sess["token_hash"]))
                raise AuthError("该账号已停用，请联系省招商办管理员")
            if now - sess["last_seen"] >= 30:
                conn.execute(
                    sa.update(sessions)
                    .where(sessions.c.token_hash == sess["token_hash"])
                    .values(last_seen=now)
                )
        return {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "role_name": ROLES[user.role],
            "prefecture_code": user.prefecture_code or None,
            "csrf": sess["csrf"],
            "can_record": user.role in ("admin", "province"),
        }

    def pending_csrf(self, token: str | None) -> str:
        with self.engine.connect() as conn:
            return self._session_row(conn, token, self.clock(), allow_pending=True)["csrf"]

    def logout(self, token: str | None) -> None:
        if not token:
            return
        with self.engine.begin() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == _hash(token)))


def _audit(conn: Connection, **kwargs: Any) -> None:
    from zsapp.office import audit

    audit.record(conn, **kwargs)
