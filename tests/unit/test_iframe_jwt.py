"""Every way a Pipedrive iframe token can be wrong is refused; the right one is accepted."""

from __future__ import annotations

import time

import jwt
import pytest

from extension.security.iframe_jwt import (
    IframeIdentity,
    InvalidIframeToken,
    sign_iframe_token,
    verify_iframe_token,
)

SECRET = "pipedrive-jwt-secret-for-unit-tests-0123456789"
QUERY = {"userId": "12", "companyId": "34"}


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    return {"userId": 12, "companyId": 34, "iat": now, "exp": now + 300, **overrides}


def test_valid_token_gives_identity() -> None:
    token = sign_iframe_token(SECRET, company_id=34, user_id=12)
    assert verify_iframe_token(token, QUERY, SECRET) == IframeIdentity(company_id=34, user_id=12)


def test_small_clock_skew_is_tolerated() -> None:
    token = jwt.encode(_claims(exp=int(time.time()) - 10), SECRET, algorithm="HS256")
    assert verify_iframe_token(token, QUERY, SECRET).user_id == 12


@pytest.mark.parametrize(
    ("label", "token"),
    [
        ("missing", None),
        ("empty", ""),
        ("garbage", "a.b.c"),
        (
            "wrong secret",
            jwt.encode(_claims(), "another-secret-0123456789-abcdefghij", algorithm="HS256"),
        ),
        ("expired", jwt.encode(_claims(iat=1, exp=2), SECRET, algorithm="HS256")),
        ("alg none", jwt.encode(_claims(), None, algorithm="none")),
        ("HS384", jwt.encode(_claims(), SECRET + "x" * 16, algorithm="HS384")),
        (
            "no exp",
            jwt.encode(
                {k: v for k, v in _claims().items() if k != "exp"}, SECRET, algorithm="HS256"
            ),
        ),
        (
            "no iat",
            jwt.encode(
                {k: v for k, v in _claims().items() if k != "iat"}, SECRET, algorithm="HS256"
            ),
        ),
        ("user mismatch", jwt.encode(_claims(userId=13), SECRET, algorithm="HS256")),
        ("company mismatch", jwt.encode(_claims(companyId=35), SECRET, algorithm="HS256")),
        ("string claims", jwt.encode(_claims(userId="12x"), SECRET, algorithm="HS256")),
        ("bool claim", jwt.encode(_claims(userId=True), SECRET, algorithm="HS256")),
        (
            "missing claims",
            jwt.encode(
                {"iat": int(time.time()), "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"
            ),
        ),
    ],
)
def test_bad_tokens_are_refused(label: str, token: str | None) -> None:
    with pytest.raises(InvalidIframeToken):
        verify_iframe_token(token, QUERY, SECRET)


def test_rs256_token_with_public_key_confusion_is_refused() -> None:
    # An attacker signing HS256 with a "public key" string is still just a wrong secret; an
    # RS256 header is refused outright because the algorithm list is pinned.
    header = jwt.utils.base64url_encode(b'{"alg":"RS256","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(_claims()).encode()).decode()
    with pytest.raises(InvalidIframeToken):
        verify_iframe_token(f"{header}.{payload}.c2ln", QUERY, SECRET)


def test_query_must_carry_both_ids() -> None:
    token = sign_iframe_token(SECRET, company_id=34, user_id=12)
    with pytest.raises(InvalidIframeToken):
        verify_iframe_token(token, {"userId": "12"}, SECRET)
