"""``zsapp security change-passphrase``: a new passphrase and a new database key.

The new envelope is written first as ``<db>.keys-new``, then the database (and its
migration backups) are rekeyed (``PRAGMA rekey``), then the envelope is swapped in; a
crash in between is finished on the next start (see dbcrypt.unlock). Attachments keep
their file key, which is re-wrapped with the new passphrase.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from zsapp.security import dbcrypt, keys
from zsapp.store import Store


def change_passphrase(
    store: Store, new_passphrase: str, params: keys.Argon2Params = keys.DEFAULT_ARGON2
) -> dict[str, str]:
    keys.check_new_passphrase(new_passphrase)
    old_keys = store.keys
    new_keys = old_keys.with_new_db_key()
    source = keys.PassphraseSource(new_passphrase, params)
    keys.write_envelope(store.path, source.wrap(new_keys, new_passphrase), pending=True)

    def apply(conn) -> None:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        dbcrypt.rekey_connection(conn, new_keys)
        store.keys = new_keys  # readers reopen with the new key

    store.exclusive(apply)
    for backup in sorted(store.path.parent.glob(store.path.name + ".before-v*.bak")):
        with contextlib.suppress(*dbcrypt.DB_ERRORS, dbcrypt.WrongKeyError):
            conn = dbcrypt.connect(backup, old_keys)
            try:
                dbcrypt.rekey_connection(conn, new_keys)
            finally:
                conn.close()
    old_envelope = keys.read_envelope(store.path) or {}
    keys.commit_pending(store.path)
    if old_envelope.get("source") == keys.KeyringSource.kind:
        keys.source_for_envelope(old_envelope).forget(old_envelope)
    store.key_source = source
    return {"source": source.kind, "envelope": str(Path(keys.envelope_path(store.path)))}
