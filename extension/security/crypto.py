"""Encryption at rest for OAuth tokens (Pipedrive and QuickBooks).

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``: authenticated, versioned, and with a
key format that is easy to generate and rotate. The key is ``ENCRYPTION_KEY`` when set (a Fernet
key), otherwise derived from ``SECRET_KEY`` with HKDF so the two are never the same bytes.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["TokenCipher", "TokenDecryptionError"]


class TokenDecryptionError(Exception):
    """Stored ciphertext cannot be read with the configured key (rotated or corrupted)."""


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"token-encryption.v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


class TokenCipher:
    def __init__(self, *, secret_key: str, encryption_key: str | None = None) -> None:
        key = encryption_key.encode() if encryption_key else _derive_key(secret_key)
        self._fernet = Fernet(key)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise TokenDecryptionError("stored token cannot be decrypted") from exc
