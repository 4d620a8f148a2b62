"""Request ids (the middleware and the records it marks) and the two log formats, redaction
included. The server's own wiring of both is exercised end to end in
``tests/integration/test_serving.py``."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from extension.observability import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    RequestIdMiddleware,
    TextFormatter,
    current_request_id,
)
from extension.security.redaction import install_log_redaction
from tests.unit.test_log_redaction import SECRETS

logger = logging.getLogger("extension.tests.request_ids")


class _Lines(logging.Handler):
    """Formats every record it gets with the formatter under test; keeps the lines."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_lines() -> Iterator[_Lines]:
    handler = _Lines(JsonFormatter())
    watched = [logging.getLogger(name) for name in ("extension", "uvicorn.access")]
    levels = [w.level for w in watched]
    for w in watched:
        w.addHandler(handler)
        w.setLevel(logging.DEBUG)
    yield handler
    for w, level in zip(watched, levels, strict=True):
        w.removeHandler(handler)
        w.setLevel(level)


async def _logs_and_answers(request: Request) -> Response:
    logger.info("handling %s", request.url.path)
    return JSONResponse({"seen": current_request_id()})


async def _fails(request: Request) -> Response:
    logger.info("about to fail")
    raise RuntimeError("boom")


def _app() -> Starlette:
    return Starlette(
        routes=[Route("/echo", _logs_and_answers), Route("/fail", _fails)],
        middleware=[Middleware(RequestIdMiddleware)],
    )


async def _get(
    app: Starlette, path: str, headers: dict[str, str | bytes] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        return await http.get(path, headers=headers)


# ---- the middleware -------------------------------------------------------------------------


async def test_every_request_gets_a_fresh_id_echoed_and_seen_by_the_handler() -> None:
    app = _app()
    first, second = await _get(app, "/echo"), await _get(app, "/echo")
    ids = [first.headers[REQUEST_ID_HEADER], second.headers[REQUEST_ID_HEADER]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]
    assert [first.json()["seen"], second.json()["seen"]] == ids
    assert current_request_id() is None  # nothing left behind in the caller's context


@pytest.mark.parametrize(
    "incoming", ["7f9c2ba4-e88f-4a3c-9b1d-0c6f1e2d3a4b", "edge-1:abc.DEF_42", "a" * 128]
)
async def test_a_sane_incoming_id_is_kept(incoming: str) -> None:
    response = await _get(_app(), "/echo", {"X-Request-ID": incoming})
    assert response.headers[REQUEST_ID_HEADER] == incoming
    assert response.json()["seen"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["", "a" * 129, "two words", 'quote"d', "-leading-dash", "line\tbreak", "naïve", "a=b;c"],
)
async def test_an_unsafe_incoming_id_is_replaced(incoming: str) -> None:
    response = await _get(_app(), "/echo", {"X-Request-ID": incoming.encode()})
    echoed = response.headers[REQUEST_ID_HEADER]
    assert echoed != incoming and re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert response.json()["seen"] == echoed


async def test_records_of_a_request_carry_its_id(json_lines: _Lines) -> None:
    await _get(_app(), "/echo", {"X-Request-ID": "req-one"})
    await _get(_app(), "/echo", {"X-Request-ID": "req-two"})
    logger.info("outside any request")
    records = [json.loads(line) for line in json_lines.lines]
    assert [(r["message"], r["request_id"]) for r in records] == [
        ("handling /echo", "req-one"),
        ("handling /echo", "req-two"),
        ("outside any request", None),
    ]


async def test_a_failing_request_keeps_its_id_for_the_servers_own_records(
    json_lines: _Lines,
) -> None:
    app = _app()

    async def like_uvicorn(scope: Scope, receive: Receive, send: Send) -> None:
        # uvicorn runs each request in a task of its own, writes the access line from inside
        # ``send`` and logs the traceback once the app has raised.
        async def send_and_log(message: Message) -> None:
            if message["type"] == "http.response.start":
                logging.getLogger("uvicorn.access").info("status %d", message["status"])
            await send(message)

        async def cycle() -> None:
            try:
                await app(scope, receive, send_and_log)
            except RuntimeError:
                logging.getLogger("uvicorn.access").exception("Exception in ASGI application")

        await asyncio.create_task(cycle())

    transport = httpx.ASGITransport(app=like_uvicorn)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.get("/fail", headers={"X-Request-ID": "req-fails"})
    assert response.status_code == 500
    records = [json.loads(line) for line in json_lines.lines]
    assert [(r["message"], r["request_id"]) for r in records] == [
        ("about to fail", "req-fails"),
        ("status 500", "req-fails"),
        ("Exception in ASGI application", "req-fails"),
    ]
    assert current_request_id() is None


# ---- the formats ----------------------------------------------------------------------------


def _log_every_kind_of_secret() -> None:
    query = "&".join(f"{k}={v}" for k, v in SECRETS.items())
    logger.warning("GET /quickbooks/callback?%s", query)
    logger.warning("request to %s", httpx.URL(f"https://api.example.com/cb?{query}"))
    logger.warning("Authorization: Bearer %s / Basic %s", "v1u:access-abc", "Y2xpZW50OnNlY3JldA==")
    logger.warning('token response {"access_token": "v1u:access-abc", "refresh_token": "r:x"}')
    logger.warning(
        "with extras", extra={"upstream_url": f"https://x.example/cb?code={SECRETS['code']}"}
    )
    try:
        raise ValueError(f"refused ?ticket={SECRETS['ticket']}&state={SECRETS['state']}")
    except ValueError:
        logger.exception("token exchange failed")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5",
        "GET",
        f"/panel/deal?token={SECRETS['token']}",
        "1.1",
        200,
    )


def test_json_lines_are_one_object_each_and_never_hold_a_secret(json_lines: _Lines) -> None:
    install_log_redaction()
    _log_every_kind_of_secret()
    assert len(json_lines.lines) == 7
    records = [json.loads(line) for line in json_lines.lines]  # each line is one object
    output = "\n".join(json_lines.lines)
    for secret in (*SECRETS.values(), "Y2xpZW50OnNlY3JldA=="):
        assert secret not in output, secret
    assert output.count("[redacted]") >= 12
    assert all(
        {"time", "level", "logger", "message", "pid", "request_id"} <= r.keys() for r in records
    )
    assert records[4]["upstream_url"] == "https://x.example/cb?code=[redacted]"
    assert "Traceback" in records[5]["exception"] and "ticket=[redacted]" in records[5]["exception"]
    access = records[6]
    assert (access["logger"], access["method"], access["status"]) == ("uvicorn.access", "GET", 200)
    assert access["path"] == "/panel/deal?token=[redacted]"


def test_text_lines_show_the_request_id_and_redact_tracebacks() -> None:
    install_log_redaction()
    handler = _Lines(TextFormatter())
    logger.addHandler(handler)
    try:
        logger.warning("outside")
        try:
            raise ValueError(f"refused code={SECRETS['code']}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "WARNING [-] extension.tests.request_ids: outside" in handler.lines[0]
    assert SECRETS["code"] not in handler.lines[1] and "code=[redacted]" in handler.lines[1]


_APPLY_AND_LOG = """
import logging, logging.config, sys
from extension.observability import logging_config
from extension.security.redaction import install_log_redaction
from tests.unit.test_log_redaction import SECRETS
install_log_redaction()
logging.config.dictConfig(logging_config(sys.argv[1], "info"))
logging.getLogger("uvicorn.access").info(
    '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/healthz?token=eyJ.secret", "1.1", 200
)
logging.getLogger("uvicorn.error").info("Application startup complete.")
logging.getLogger("extension.web.home").warning("from the app")
logging.getLogger("extension.web.home").debug("below the level")
logging.getLogger("httpx").info("HTTP Request: GET https://example.invalid/")
"""


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_server_configuration_sends_every_logger_through_one_formatter(
    log_format: str,
) -> None:
    # In a child process: dictConfig replaces handlers process-wide, pytest's among them.
    result = subprocess.run(
        [sys.executable, "-c", _APPLY_AND_LOG, log_format],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines  # no DEBUG, no httpx chatter at INFO
    assert "eyJ.secret" not in result.stderr
    if log_format == "json":
        records = [json.loads(line) for line in lines]
        assert [r["logger"] for r in records] == [
            "uvicorn.access",
            "uvicorn.error",
            "extension.web.home",
        ]
        assert records[0]["path"] == "/healthz?token=[redacted]"
    else:
        assert lines[0].endswith(
            'INFO    [-] uvicorn.access: 127.0.0.1:5 - "GET /healthz?token=[redacted] HTTP/1.1" 200'
        )
        assert lines[2].endswith("WARNING [-] extension.web.home: from the app")


_POLLS = """
import logging, logging.config, sys
from extension.observability import logging_config
logging.config.dictConfig(logging_config("text", sys.argv[1]))
access = logging.getLogger("uvicorn.access")
line = '%s - "%s %s HTTP/%s" %d'
access.info(line, "127.0.0.1:5", "GET", "/panel/deal/101/live?known=100:ab", "1.1", 304)
access.info(line, "127.0.0.1:5", "GET", "/panel/deal/101/live?known=100:ab", "1.1", 200)
access.info(line, "127.0.0.1:5", "GET", "/panel/deal/101/content", "1.1", 304)
"""


@pytest.mark.parametrize(("level", "lines"), [("info", 2), ("debug", 3)])
def test_a_panel_poll_that_found_nothing_new_leaves_no_access_line(level: str, lines: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _POLLS, level],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    logged = [line for line in result.stderr.splitlines() if "uvicorn.access" in line]
    assert len(logged) == lines, logged
    assert any('/live?known=100:ab HTTP/1.1" 200' in line for line in logged)
