"""Encryption at rest for OAuth tokens (Pipedrive and QuickBooks).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``: authenticated, versioned, and with a
key format that is easy to generate and rotate. ``ENCRYPTION_KEY`` holds one or more Fernet keys,
comma-separated, newest first (``MultiFernet``): the first encrypts, every one of them decrypts,
so a key can be rotated without anybody authorizing again (tokens are re-encrypted with the new
key as they are refreshed). The key derived from ``SECRET_KEY`` with HKDF is always tried last,
so setting ``ENCRYPTION_KEY`` for the first time loses nothing either. A token that no key reads
raises :class:`TokenDecryptionError`; callers treat it as "reconnect", never as a crash.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TokenCipher", "TokenDecryptionError", "parse_encryption_keys"]


class TokenDecryptionError(Exception):
    """Stored ciphertext cannot be read with any configured key (rotated away or corrupted)."""


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"token-encryption.v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def parse_encryption_keys(value: str) -> list[bytes]:
    """The comma-separated Fernet keys of ``ENCRYPTION_KEY``; ValueError names a bad one."""
    keys = [part.strip().encode() for part in value.split(",") if part.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error) as exc:
            raise ValueError(f"key {position} is not a Fernet key") from exc
    return keys


class TokenCipher:
    def __init__(self, *, secret_key: str, encryption_key: str | None = None) -> None:
        keys = parse_encryption_keys(encryption_key) if encryption_key else []
        derived = _derive_key(secret_key)
        self._fernet = MultiFernet([Fernet(k) for k in [*keys, derived]])

    def __repr__(self) -> str:
        return "TokenCipher()"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise TokenDecryptionError("stored token cannot be decrypted") from exc
