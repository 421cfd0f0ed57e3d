"""Server schema (SQLAlchemy Core) and its migrations, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()

meta = sa.Table(
    "office_meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

officers = sa.Table(
    "officers",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

enrollments = sa.Table(
    "enrollments",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("officer_id", sa.String(40), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("used_at", sa.String(40)),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("officer_id", sa.String(40), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("enrolled_at", sa.String(40), nullable=False),
    sa.Column("revoked_at", sa.String(40)),
    sa.Column("last_seen", sa.String(40)),
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("app_version", sa.String(40), nullable=False, server_default=""),
)

# One counter row per space: the server sequence is assigned under this row's lock, so it
# follows commit order (a reader never sees seq n+1 before n is committed).
spaces = sa.Table(
    "spaces",
    metadata,
    sa.Column("name", sa.String(120), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("checksum", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("forgotten_before", sa.BigInteger, nullable=False, server_default="0"),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("tbl", sa.String(100), primary_key=True),
    sa.Column("row_id", sa.String(64), primary_key=True),
    sa.Column("space", sa.String(120), nullable=False),
    sa.Column("owner_unit", sa.String(100), nullable=False),
    sa.Column("created_at", sa.String(80), nullable=False),
    sa.Column("created_device", sa.String(64), nullable=False),
)

# The current value and version of every field of every record (per-field LWW state).
fields = sa.Table(
    "fields",
    metadata,
    sa.Column("tbl", sa.String(100), primary_key=True),
    sa.Column("row_id", sa.String(64), primary_key=True),
    sa.Column("field", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text),
    sa.Column("hlc", sa.String(80), nullable=False),
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("space", sa.String(120), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Index("fields_space_seq", "space", "seq"),
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("batch_id", sa.String(120), primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
    sa.Column("applied", sa.Integer, nullable=False),
    sa.Column("conflicts", sa.Integer, nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
)

sync_log = sa.Table(
    "sync_log",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("device_id", sa.String(64), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("pushed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pulled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("conflicts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=False, server_default=""),
)

# Office-published read-only snapshots: catalogue, parks, thresholds.
published = sa.Table(
    "published",
    metadata,
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("version", sa.String(80), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("published_at", sa.String(40), nullable=False),
)


# Live shares (device table ``record_shares``): record (tbl, row_id) is shown to the devices
# of another unit through the space ``shared:<unit>``. One row per live share record.
shares = sa.Table(
    "shares",
    metadata,
    sa.Column("share_id", sa.String(64), primary_key=True),
    sa.Column("tbl", sa.String(100), nullable=False),
    sa.Column("row_id", sa.String(64), nullable=False),
    sa.Column("space", sa.String(120), nullable=False),
    sa.Index("shares_record", "tbl", "row_id"),
)

# The copy of each shared record's fields in each ``shared:<unit>`` space, with that
# space's own sequence numbers (a record lives in one owner space; its shared copies are
# re-emitted here on every write while the share is live, and frozen once it is not).
shared_fields = sa.Table(
    "shared_fields",
    metadata,
    sa.Column("space", sa.String(120), primary_key=True),
    sa.Column("tbl", sa.String(100), primary_key=True),
    sa.Column("row_id", sa.String(64), primary_key=True),
    sa.Column("field", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text),
    sa.Column("hlc", sa.String(80), nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Index("shared_fields_space_seq", "space", "seq"),
)


def _v1(conn: Connection) -> None:
    from zsapp.office import audit, blobs  # noqa: F401  (register their tables in ``metadata``)

    metadata.create_all(conn)
    audit.create(conn)  # the chain's head row


def _v2(conn: Connection) -> None:
    shares.create(conn, checkfirst=True)
    shared_fields.create(conn, checkfirst=True)


def _v3_hardening(conn: Connection) -> None:
    """Request hardening, audit log (issue 12): the hash-chained audit log, blob
    ownership and upload bookkeeping."""
    from zsapp.office import audit, blobs

    audit.create(conn)
    blobs.create(conn)


# -- issue 14: device token rotation, remote wipe, erasure on request ------------------------
# Per device: the token it had before the last rotation (valid until prev_valid_until, so a
# lost rotation answer is survivable), when it was rotated, and whether it was marked lost.
device_security = sa.Table(
    "device_security",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("prev_token_hash", sa.String(64), unique=True),
    sa.Column("prev_valid_until", sa.String(40)),
    sa.Column("rotated_at", sa.String(40)),
    sa.Column("lost_at", sa.String(40)),
    sa.Column("lost_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("wipe_sent_at", sa.String(40)),
)

# Records erased on request (个人信息保护法 Art. 47): the server's fields, shares and
# conflicts are deleted, and every device deletes its copy when it reads this feed. Only
# the record's table and id are kept, never its contents.
erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("tbl", sa.String(100), nullable=False),
    sa.Column("row_id", sa.String(64), nullable=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("by", sa.String(200), nullable=False, server_default=""),
    sa.Index("erasures_record", "tbl", "row_id"),
)


def _v4_security(conn: Connection) -> None:
    """Device token rotation, remote wipe, erasure (issue 14)."""
    device_security.create(conn, checkfirst=True)
    erasures.create(conn, checkfirst=True)


def _v5_console(conn: Connection) -> None:
    """Console (issue 15): the typed read model (rm_*), office decisions (console_*) and
    staff accounts/sessions, filled from the field store that is already there."""
    from zsapp.office import reports

    reports.create(conn)
    reports.rebuild(conn)


def _v6_trips(conn: Connection) -> None:
    """Trips and leads (issue 16): nothing to create. Their tables sync through the generic
    ``records``/``fields`` store in the creator's unit space like visits; the lead
    response-time figures per 州市 are read from it (zsapp/office/trips.py)."""


# Server migrations, applied in order; schema changes are additive. Tables added to
# ``metadata`` are created by _v1 on a fresh database; the later step creates them
# (checkfirst) on an existing one.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1,
    _v2,
    _v3_hardening,
    _v4_security,
    _v5_console,
    _v6_trips,
]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("office_meta"):
        return 0
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value or 0)


def migrate(engine: Engine) -> int:
    from zsapp.office.service import OfficeError

    with engine.begin() as conn:
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise OfficeError(f"服务器数据库版本（{version}）比本程序新，请升级服务器程序")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[number - 1](conn)
            if number == 1 and current_version(conn) == 0:
                conn.execute(sa.insert(meta).values(key="schema_version", value="1"))
            else:
                conn.execute(
                    sa.update(meta).where(meta.c.key == "schema_version").values(value=str(number))
                )
    return SCHEMA_VERSION
