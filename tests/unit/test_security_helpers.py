"""Session tokens, token encryption and log redaction."""

from __future__ import annotations

import logging
import time

import pytest
from cryptography.fernet import Fernet

from extension.security.crypto import TokenCipher, TokenDecryptionError
from extension.security.redaction import install_log_redaction, redact
from extension.security.session import AppSession, InvalidSession, SessionSigner

KEY = "k" * 40


def test_session_round_trip_and_tampering() -> None:
    signer = SessionSigner(KEY)
    token = signer.issue(AppSession(company_id=1, user_id=2))
    assert signer.verify(token) == AppSession(company_id=1, user_id=2)
    with pytest.raises(InvalidSession) as bad:
        signer.verify(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    assert not bad.value.expired
    with pytest.raises(InvalidSession):
        SessionSigner("other" * 10).verify(token)
    with pytest.raises(InvalidSession):
        signer.verify(None)


def test_session_expiry_is_reported_as_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    signer = SessionSigner(KEY, ttl_seconds=60)
    past = time.time() - 120
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: past)
        token = signer.issue(AppSession(company_id=1, user_id=2))
    with pytest.raises(InvalidSession) as expired:
        signer.verify(token)
    assert expired.value.expired


def test_token_cipher_round_trip_and_key_separation() -> None:
    cipher = TokenCipher(secret_key=KEY)
    ciphertext = cipher.encrypt("access-token-123")
    assert "access-token-123" not in ciphertext
    assert cipher.decrypt(ciphertext) == "access-token-123"
    with pytest.raises(TokenDecryptionError):
        TokenCipher(secret_key="x" * 40).decrypt(ciphertext)
    # Setting ENCRYPTION_KEY later loses nothing: the derived key still decrypts, last.
    explicit = TokenCipher(secret_key=KEY, encryption_key=Fernet.generate_key().decode())
    assert explicit.decrypt(ciphertext) == "access-token-123"


def test_encryption_keys_rotate_without_anybody_authorizing_again() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(secret_key=KEY, encryption_key=old).encrypt("refresh-token")
    rotated = TokenCipher(secret_key=KEY, encryption_key=f"{new}, {old}")  # new first
    assert rotated.decrypt(stored) == "refresh-token"
    again = rotated.encrypt("refresh-token")
    assert TokenCipher(secret_key=KEY, encryption_key=new).decrypt(again) == "refresh-token"
    with pytest.raises(TokenDecryptionError):
        TokenCipher(secret_key=KEY, encryption_key=new).decrypt(stored)


def test_redaction_of_query_tokens_and_bearer() -> None:
    line = (
        "GET /panel/deal?token=eyJ.abc.def&userId=1&code=xyz HTTP/1.1 Authorization: Bearer sekrit"
    )
    cleaned = redact(line)
    assert "eyJ.abc.def" not in cleaned and "xyz" not in cleaned and "sekrit" not in cleaned
    assert "userId=1" in cleaned


def test_access_log_record_is_redacted() -> None:
    install_log_redaction()
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/panel/deal?token=eyJ.secret.sig&id=1", "1.1", 200),
        None,
    )
    assert "eyJ.secret.sig" not in record.getMessage()
    assert "token=[redacted]" in record.getMessage()
