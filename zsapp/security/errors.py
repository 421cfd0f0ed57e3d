"""Security errors: each carries a message for the officer (Chinese)."""

from __future__ import annotations

from zsapp.store import StoreError


class SecurityError(StoreError):
    pass


class WrongKeyError(SecurityError):
    """The passphrase / key does not open this database; nothing was changed."""


class PassphraseRequired(SecurityError):
    """No key store and no passphrase available (headless start without ZSAPP_PASSPHRASE)."""


class DeviceWiped(SecurityError):
    """The office marked this device lost; local data and keys were erased."""
