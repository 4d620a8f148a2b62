"""Keep secrets out of logs: OAuth tokens, codes, states, connect tickets, iframe JWTs.

Uvicorn's access log prints the full request line, query included, and Pipedrive puts its JWT in
``?token=``; OAuth callbacks carry ``code`` and ``state``; httpx logs request URLs as ``URL``
objects. A ``logging.Filter`` on the ``extension`` logger would miss all of that: Python applies
a logger's filters only to records logged on that very logger (not its children), and handlers
are replaced whenever logging is configured again (uvicorn does so at start-up). So redaction
sits where every record passes, whoever logs it and however logging is configured: the log
record factory. Each record's message and arguments (strings, and anything whose text carries a
secret, such as ``httpx.URL``) are rewritten as the record is made, and so is the finished
message when a secret only shows once it is formatted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

__all__ = ["redact", "install_log_redaction", "SENSITIVE_PARAMS"]

SENSITIVE_PARAMS = (
    "token",
    "code",
    "access_token",
    "refresh_token",
    "id_token",
    "state",
    "ticket",
    "client_secret",
)
_NAMES = "|".join(SENSITIVE_PARAMS)
_QUERY_SECRET = re.compile(r"(?i)(?<![A-Za-z0-9_])(" + _NAMES + r")=([^&\s\"'#]+)")
_JSON_SECRET = re.compile(r"(?i)([\"'](?:" + _NAMES + r")[\"']\s*:\s*)[\"'][^\"']*[\"']")
_AUTHORIZATION = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def redact(text: str) -> str:
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _JSON_SECRET.sub(lambda m: f'{m.group(1)}"[redacted]"', text)
    return _AUTHORIZATION.sub(lambda m: f"{m.group(1)} [redacted]", text)


_PLAIN = (int, float, bool, type(None))


def _clean(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return cleaned if cleaned != text or isinstance(value, str) else value


def _redact_record(record: logging.LogRecord) -> None:
    # Part by part first, so formatters that read the arguments (uvicorn's access log unpacks
    # them) keep working; then the finished message, because a secret split between the
    # format string and an argument ("Bearer %s") is only whole there.
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, dict):
        record.args = {k: _clean(v) for k, v in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_clean(a) for a in record.args)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        return  # a malformed call; logging reports it when the record is emitted
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


_installed: list[Callable[..., logging.LogRecord]] = []


def install_log_redaction() -> None:
    """Wrap the log record factory once per process (idempotent)."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    _installed.append(previous)
    logging.setLogRecordFactory(factory)
