"""Keep secrets out of logs: the iframe ``token`` query parameter and OAuth tokens.

Uvicorn's access log prints the full request line, query included, and Pipedrive puts its JWT
in ``?token=``; OAuth callbacks carry ``code``. This filter rewrites those values before any
handler formats the record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactSecretsFilter", "redact", "install_log_redaction"]

_SENSITIVE_PARAMS = ("token", "code", "access_token", "refresh_token", "state", "id_token")
_QUERY_SECRET = re.compile(r"(?i)\b(" + "|".join(_SENSITIVE_PARAMS) + r")=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction(*logger_names: str) -> None:
    names = logger_names or ("uvicorn.access", "uvicorn.error", "httpx", "extension")
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
