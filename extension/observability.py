"""Request ids and log output: every log record of a request carries its id, as text or JSON.

- :class:`RequestIdMiddleware` (pure ASGI) gives each HTTP request an id: the caller's
  ``X-Request-ID`` when it is a sane token (a proxy or load balancer in front usually sets one,
  so its logs and ours join up), otherwise a fresh one. The id lives in a ``ContextVar`` for the
  whole request and is echoed in the response header.
- A log record factory copies the id onto every record made while the request runs, whoever
  logs it: our modules, httpx, and uvicorn's access log, which uvicorn writes from inside the
  app's ``send`` and so inside the request's context. The factory is the one place every record
  passes (see ``security/redaction.py`` for why a logger filter would miss most of them).
- :func:`logging_config` is the ``dictConfig`` the server applies in every process (the
  supervisor and each worker): ``LOG_FORMAT=text`` for people at a terminal, ``json`` for one
  object per line that a log pipeline parses without guessing.

Both formatters redact the finished text again: the record factory already cleans the message
and its arguments, but a traceback is only rendered when the record is formatted.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extension.security.redaction import redact

__all__ = [
    "REQUEST_ID_HEADER",
    "RequestIdMiddleware",
    "current_request_id",
    "install_request_id_logging",
    "JsonFormatter",
    "TextFormatter",
    "QuietPolls",
    "logging_config",
]

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a few separators (UUIDs, hex, ULIDs, "edge-1:abc"): nothing that could
# break a log line or a header, and short enough that nobody stores a payload in it.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served in this context, or None outside a request."""
    return _request_id.get()


def _incoming_or_new(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return secrets.token_hex(16)


class RequestIdMiddleware:
    """Why pure ASGI: ``BaseHTTPMiddleware`` runs the app in another task, and a ContextVar set
    there would not reach the access log written from this one (Starlette docs, "Limitations").
    Place it first in the middleware list so everything inside sees the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Records carry the id from the first request on; the factory is per process (idempotent).
        install_request_id_logging()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_or_new(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = _request_id.set(request_id)
        # Reset only when the app returns. When it raises, Starlette's outer error middleware
        # still answers 500 and the server logs the traceback and the access line afterwards,
        # in this same task: those records keep the id. A server runs each request in its own
        # task, so the id ends with it and never reaches another request.
        await self.app(scope, receive, send_with_id)
        _request_id.reset(token)


_installed: list[Callable[..., logging.LogRecord]] = []


def install_request_id_logging() -> None:
    """Wrap the log record factory once per process so every record has ``request_id``."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _request_id.get()
        return record

    _installed.append(previous)
    logging.setLogRecordFactory(factory)


# ---- formatters ---------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "color_message", "taskName"}
)
# uvicorn's access log passes its parts as arguments; JSON gives them names.
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    return redact(value if isinstance(value, str) else str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, pid, request_id, plus the
    access log's parts and any ``extra=`` fields; strings redacted once more."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "pid": record.process,
            "request_id": getattr(record, "request_id", None),
        }
        if (
            record.name == "uvicorn.access"
            and isinstance(record.args, tuple)
            and len(record.args) == len(_ACCESS_FIELDS)
        ):
            entry.update(zip(_ACCESS_FIELDS, map(_plain, record.args), strict=True))
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and name not in entry:
                entry[name] = _plain(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level [request id] logger: message``, redacted once more (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # Other handlers may format the same record: show "-" here without keeping it.
        request_id = getattr(record, "request_id", None)
        record.request_id = request_id or "-"
        try:
            return redact(super().format(record))
        finally:
            record.request_id = request_id


class QuietPolls(logging.Filter):
    """Leaves out the access line of an open panel's poll that found nothing new (``GET
    …/live`` answered ``304``): every visible panel asks every two seconds, and those lines
    would bury the rest. Any other answer to a poll is logged as usual; at ``LOG_LEVEL=debug``
    every poll is."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or len(args) != 5:
            return True
        _client, method, path, _version, status = args
        quiet = method == "GET" and str(path).split("?", 1)[0].endswith("/live")
        return not (quiet and status == 304)


def logging_config(log_format: str, log_level: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` for the server; uvicorn applies it in every process.

    Everything goes through one handler on the root logger, so the app's own loggers, uvicorn's
    and the access log all come out in the same format on standard error.
    """
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    # uvicorn's TRACE (5) sits below DEBUG; dictConfig takes the number.
    level: int | str = 5 if log_level.upper() == "TRACE" else log_level.upper()
    # httpx and httpcore describe every upstream call at INFO and below: only when debugging.
    debugging = level in {5, "DEBUG"}
    libraries = "DEBUG" if debugging else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"app": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "filters": {"quiet_polls": {"()": f"{QuietPolls.__module__}.{QuietPolls.__qualname__}"}},
        "handlers": {
            "app": {
                "class": "logging.StreamHandler",
                "formatter": "app",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["app"], "level": level},
        "loggers": {
            # Up to the root's handler rather than uvicorn's own (replaced, not added to).
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {
                "handlers": [],
                "level": level,
                "propagate": True,
                "filters": [] if debugging else ["quiet_polls"],
            },
            "httpx": {"level": libraries},
            "httpcore": {"level": libraries},
        },
    }
