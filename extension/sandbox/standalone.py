"""The Pipedrive and QuickBooks stand-ins in a process of their own, on a loopback port.

Sandbox mode keeps the stand-ins in the app's memory, so it runs as one process. To run
several app processes against one Pipedrive and one QuickBooks (load and fault tests), start
the stand-ins here and the app processes outside sandbox mode, pointed at them:

    python -m extension.sandbox.standalone --port 8100 --app-base-url http://127.0.0.1:8000

then, for each app process, ``SANDBOX=0``, ``PIPEDRIVE_OAUTH_URL={stand-ins}/sandbox/pipedrive``
and ``QBO_API_URL``, ``QBO_AUTHORIZE_URL``, ``QBO_TOKEN_URL``, ``QBO_REVOKE_URL`` from
``{stand-ins}/sandbox/.well-known/sandbox.json``. Client ids, secrets and the webhook verifier
token are read from the same environment variables as the app's, so both sides agree.

Two things differ from the in-process sandbox, both because a real socket is in between:

- an injected timeout answers nothing: the request is held until the client gives up and
  closes the connection (at most ``--stall-seconds``), as an upstream that never answers;
- ``/control/*`` (JSON) lets the test that started this process turn the QuickBooks knobs
  (random faults, holding requests, the clock) and read what arrived: the invoices, token and
  API requests, faults injected. It listens on loopback only, like everything here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from extension.sandbox import Sandbox, build_sandbox
from extension.sandbox.pipedrive import stand_in as pipedrive_stand_in
from extension.sandbox.quickbooks import stand_in as quickbooks_stand_in
from extension.sandbox.quickbooks.state import FaultKind, RandomFaults
from extension.settings import Settings, SettingsError

__all__ = ["build_standalone", "main"]

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"
_FAULT_KINDS: tuple[FaultKind, ...] = ("500", "503", "timeout", "timeout_after_commit", "throttle")


@dataclass(slots=True)
class _Hold:
    """Requests to hold back (method and a piece of the path) until released."""

    method: str = ""
    path_contains: str = ""
    path_endswith: str = ""
    query_lacks: str = ""  # e.g. "operation=": a create, not a void, delete or update
    released: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0
    clients: list[int] = field(default_factory=list)  # the callers' ports, while held

    def matches(self, scope: Scope) -> bool:
        path = str(scope.get("path", ""))
        return (
            scope["type"] == "http"
            and "/quickbooks/v3/company/" in path
            and (not self.method or scope.get("method") == self.method)
            and self.path_contains in path
            and path.endswith(self.path_endswith)
            and not (self.query_lacks and self.query_lacks.encode() in scope["query_string"])
        )


class _Upstreams:
    """The ASGI app: the sandbox under ``/sandbox``, the controls under ``/control``."""

    def __init__(self, sandbox: Sandbox, stall_seconds: float) -> None:
        self.sandbox = sandbox
        self.qbo = quickbooks_stand_in(sandbox)
        self.stall_seconds = stall_seconds
        self.hold: _Hold | None = None
        self.stalled: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()  # by earlier fault settings
        sandbox.asgi.add_exception_handler(httpx.TimeoutException, self._stall)
        self.app = Starlette(
            routes=[
                Mount("/sandbox", app=sandbox.asgi, name="sandbox"),
                # The consent pages' own style sheet, as the app serves it.
                Mount("/static/css", StaticFiles(directory=STATIC_DIR / "css"), name="css"),
                Mount("/static/js", StaticFiles(directory=STATIC_DIR / "js"), name="js"),
                Route("/control/state", self.state, methods=["GET"]),
                Route("/control/requests", self.requests, methods=["GET"]),
                Route("/control/faults", self.faults, methods=["POST"]),
                Route("/control/hold", self.set_hold, methods=["POST"]),
                Route("/control/clock", self.clock, methods=["POST"]),
                Route("/control/pipedrive", self.pipedrive, methods=["POST"]),
            ],
            lifespan=self.lifespan,
        )

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        # Webhooks and uninstall calls reach the app over loopback, like Intuit's and
        # Pipedrive's servers would over the internet.
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as app_http:
            self.sandbox.attach(app_http=app_http)
            try:
                yield
            finally:
                await self.sandbox.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hold = self.hold
        if hold is not None and hold.matches(scope):
            # Received in full, then held: as a request QuickBooks got and is still working
            # on, which it finishes even if the caller has gone by then.
            receive = await _received_in_full(receive)
            hold.held += 1
            port = int((scope.get("client") or ("", 0))[1])
            hold.clients.append(port)
            try:
                await hold.released.wait()
            finally:
                hold.clients.remove(port)
        await self.app(scope, receive, send)

    async def _stall(self, request: Request, exc: Exception) -> Response:
        """The stand-in's injected timeout (before or after its commit): say nothing and keep
        the connection open until the client gives up on it; what is answered then reaches
        nobody. (In process, the same exception reaches the app's client as a timeout.)"""
        self.stalled[request.method] += 1
        await _until_disconnected(request.receive, self.stall_seconds)
        return Response(status_code=504)

    # ---- controls ---------------------------------------------------------------------------

    async def state(self, request: Request) -> Response:
        qbo = self.qbo
        invoices = {
            realm: [
                {
                    "Id": record["Id"],
                    "DocNumber": record.get("DocNumber"),
                    "PrivateNote": record.get("PrivateNote", ""),
                    "TotalAmt": str(record.get("TotalAmt", "")),
                }
                for record in company.table("Invoice").values()
            ]
            for realm, company in qbo.companies.items()
        }
        random_faults = qbo.config.random_faults
        return JSONResponse(
            {
                "invoices": invoices,
                "token_requests": list(qbo.token_requests),
                "api_requests": len(qbo.requests),
                "invoice_posts": [
                    {"path": r.path, "requestid": r.query.get("requestid", "")}
                    for r in qbo.requests
                    if r.method == "POST" and r.path.endswith("/invoice")
                ],
                "faults_injected": dict(
                    self.injected + (random_faults.injected if random_faults else Counter())
                ),
                "stalled": dict(self.stalled),
                "held": self.hold.held if self.hold else 0,
                "held_from_ports": list(self.hold.clients) if self.hold else [],
            }
        )

    async def requests(self, request: Request) -> Response:
        """The QuickBooks API requests that arrived, from number ``since`` on: method, path
        and query (a query's text included)."""
        since = int(request.query_params.get("since", "0"))
        lines = [
            {"method": r.method, "path": r.path, "query": r.query}
            for r in self.qbo.requests[since:]
        ]
        return JSONResponse({"since": since, "requests": lines})

    async def faults(self, request: Request) -> Response:
        """``{"rates": {"500": 0.03, ...}, "seed": 1}``; ``{}`` stops injecting."""
        body = await request.json()
        rates = body.get("rates") or {}
        if self.qbo.config.random_faults is not None:
            self.injected += self.qbo.config.random_faults.injected
        if any(kind not in _FAULT_KINDS for kind in rates):
            return JSONResponse({"error": f"fault kinds are {', '.join(_FAULT_KINDS)}"}, 400)
        try:
            self.qbo.config.random_faults = (
                RandomFaults(
                    {cast(FaultKind, k): float(v) for k, v in rates.items()},
                    seed=int(body.get("seed", 0)),
                )
                if rates
                else None
            )
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse({"rates": rates})

    async def set_hold(self, request: Request) -> Response:
        """``{"method": "POST", "path_contains": "/invoice"}`` (or ``"path_endswith"``, and
        ``"query_lacks"``) holds matching QuickBooks API requests; ``{}`` releases the held
        ones and stops holding. ``held`` in the state counts the requests held since."""
        body = await request.json()
        if self.hold is not None:
            self.hold.released.set()
            self.hold = None
        if body:
            self.hold = _Hold(
                str(body.get("method", "")),
                str(body.get("path_contains", "")),
                str(body.get("path_endswith", "")),
                str(body.get("query_lacks", "")),
            )
        return JSONResponse({"holding": bool(body)})

    async def clock(self, request: Request) -> Response:
        """``{"advance": seconds}``: QuickBooks' clock moves on (access tokens expire)."""
        body = await request.json()
        self.qbo.clock.advance(float(body["advance"]))
        return JSONResponse({"now": self.qbo.clock.stamp()})

    async def pipedrive(self, request: Request) -> Response:
        """``{"daily_budget": tokens}``: the company's daily API token budget (its plan)."""
        body = await request.json()
        limiter = pipedrive_stand_in(self.sandbox).limiter
        limiter.daily_budget = int(body["daily_budget"])
        return JSONResponse({"daily_budget": limiter.daily_budget})


async def _received_in_full(receive: Receive) -> Receive:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


async def _until_disconnected(receive: Receive, limit: float) -> None:
    try:
        async with asyncio.timeout(limit):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


def build_standalone(
    *, base_url: str, environ: dict[str, str] | None = None, stall_seconds: float = 60.0
) -> ASGIApp:
    """The stand-ins served from ``base_url`` (their own loopback origin), calling the app at
    ``APP_BASE_URL`` from ``environ``."""
    env = dict(os.environ if environ is None else environ)
    settings = Settings.from_env({**env, "SANDBOX": "1"})
    return _Upstreams(build_sandbox(settings, base_url + "/sandbox"), stall_seconds)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m extension.sandbox.standalone")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-base-url", required=True, help="where the app is reached")
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    env: dict[str, Any] = {**os.environ, "APP_BASE_URL": args.app_base_url}
    try:
        app = build_standalone(
            base_url=f"http://127.0.0.1:{args.port}", environ=env, stall_seconds=args.stall_seconds
        )
    except SettingsError as exc:  # SANDBOX=1 starts only for a loopback APP_BASE_URL
        sys.exit(f"configuration error: {exc}")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
