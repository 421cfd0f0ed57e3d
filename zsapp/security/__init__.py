"""Protection of the data on this device (issue 14): encryption at rest, keys, app lock,
remote wipe, personal-information duties.

- :mod:`keys` — where the data keys come from (OS key store via ``keyring``, or Argon2id
  from a passphrase) and the key envelope file beside the database.
- :mod:`dbcrypt` — opening the SQLCipher database, converting a plain one, rekeying.
- :mod:`files` — AES-GCM chunked encryption of attachments and backups.
- :mod:`perms` — user-only permissions (0600/0700) on everything the app writes.
"""

from zsapp.security.errors import PassphraseRequired, SecurityError, WrongKeyError

__all__ = ["PassphraseRequired", "SecurityError", "WrongKeyError"]
