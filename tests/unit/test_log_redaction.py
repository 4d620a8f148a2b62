"""Secrets never reach a log line, whichever module logs them and however logging is set up."""

from __future__ import annotations

import importlib
import logging
import pkgutil

import httpx
import pytest

import extension
from extension.security.redaction import install_log_redaction

SECRETS = {
    "token": "eyJhbGciOi.iframe.jwt",
    "code": "pd-auth-code-123",
    "state": "signed-state-456",
    "ticket": "connect-ticket-789",
    "access_token": "v1u:access-abc",
    "refresh_token": "r:refresh-def",
}


def _modules() -> list[str]:
    names = ["extension"]
    for info in pkgutil.walk_packages(extension.__path__, "extension."):
        if ".migrations" in info.name:
            continue
        names.append(info.name)
    return names


@pytest.mark.parametrize("module", _modules())
def test_no_module_logs_a_secret(module: str, caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    importlib.import_module(module)
    logger = logging.getLogger(module)
    query = "&".join(f"{k}={v}" for k, v in SECRETS.items())
    caplog.set_level(logging.DEBUG)
    with caplog.at_level(logging.DEBUG, logger=module):
        logger.warning("GET /quickbooks/callback?%s", query)
        logger.warning("request to %s", httpx.URL(f"https://api.example.com/cb?{query}"))
        logger.warning(
            "Authorization: Bearer %s / Basic %s", "v1u:access-abc", "Y2xpZW50OnNlY3JldA=="
        )
        logger.warning(
            'token response {"access_token": "v1u:access-abc", "refresh_token": "r:refresh-def"}'
        )
        logger.warning("tokens=%(t)s", {"t": f"refresh_token={SECRETS['refresh_token']}"})
    text = caplog.text
    assert text.count("[redacted]") >= 6
    for secret in (*SECRETS.values(), "Y2xpZW50OnNlY3JldA=="):
        assert secret not in text, (module, secret)


def test_uvicorn_and_httpx_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:1",
        "GET",
        "/pipedrive/callback?code=pd-auth-code-123&state=signed-state-456",
        "1.1",
        303,
    )
    logging.getLogger("httpx").info(
        "HTTP Request: %s %s",
        "POST",
        httpx.URL("https://oauth.pipedrive.com/oauth/token?code=pd-auth-code-123"),
    )
    assert "pd-auth-code-123" not in caplog.text and "signed-state-456" not in caplog.text
