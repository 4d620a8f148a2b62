"""Command line: ``python -m extension serve [--host H] [--port P] [--workers N]``,
``python -m extension migrate`` and ``python -m extension catalogs {update,check,init LANG}``
(the translation catalogs, see ``extension.catalogs``).

Several workers are uvicorn's own process supervisor: the parent binds the port once and starts
N worker processes that share it, restarts a worker that dies, and stops them all on SIGINT or
SIGTERM. Each worker builds its own app from the environment (``create_app`` is the factory
uvicorn imports), so every worker has its own engine, HTTP clients and in-process state; what
they must agree on lives in the database.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable

from extension.settings import MAX_IN_FLIGHT, Settings, SettingsError

__all__ = ["main"]

APP_FACTORY = "extension.app:create_app"


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")


def _listen_as_tcp() -> None:
    """Make the listening socket uvicorn binds for its workers say it is TCP (once per process).

    uvicorn creates that socket with protocol 0, accepted connections inherit it, and asyncio
    only turns Nagle's algorithm off (TCP_NODELAY) for sockets that report IPPROTO_TCP: every
    keep-alive response after the first then waits for the client's delayed ACK, about 40 ms
    on Linux (uvicorn issue #3149, open). One worker is not affected: asyncio binds that socket
    itself. The same descriptor is re-wrapped with the right protocol; nothing else changes.
    """
    import uvicorn

    bind: Callable[[uvicorn.Config], socket.socket] = uvicorn.Config.bind_socket
    if getattr(bind, "listens_as_tcp", False):
        return

    def bind_socket(config: uvicorn.Config) -> socket.socket:
        sock = bind(config)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
        return sock

    bind_socket.listens_as_tcp = True  # type: ignore[attr-defined]
    uvicorn.Config.bind_socket = bind_socket  # type: ignore[method-assign,assignment]


def share_quickbooks_limit(workers: int) -> None:
    """Intuit allows 10 requests in flight per QuickBooks company, whoever sends them: the
    workers of one server share them (one that exceeds it gets 429 and rests the company for
    the rest of the minute). An operator running several hosts sets QBO_MAX_IN_FLIGHT for
    them all; set, it is kept."""
    if workers > 1:
        os.environ.setdefault("QBO_MAX_IN_FLIGHT", str(max(1, MAX_IN_FLIGHT // workers)))


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    from extension.observability import logging_config

    if workers < 1:
        sys.exit("--workers must be at least 1")
    # Without an explicit public URL, the app is wherever it was told to listen. Set in the
    # environment, so that the workers, which read their settings from it, agree.
    os.environ.setdefault("APP_BASE_URL", f"http://{host}:{port}")
    share_quickbooks_limit(workers)
    settings = _settings_or_exit()
    if settings.sandbox and workers > 1:
        sys.exit(
            f"--workers {workers} cannot run in sandbox mode: the Pipedrive and QuickBooks "
            "stand-ins live in each process's memory, so every worker would have its own "
            "(a token issued by one would be unknown to the others). Run one worker, or set "
            'real credentials (see the README\'s "Running in production").'
        )
    if workers > 1:
        _listen_as_tcp()
    if settings.sandbox:
        print(f"Sandbox mode: open {settings.app_base_url}/ (no Pipedrive or QuickBooks account)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        # The reverse proxy in front that may set X-Forwarded-For and X-Forwarded-Proto.
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        log_config=logging_config(settings.log_format, settings.log_level),
        log_level=settings.log_level,
    )


def _migrate() -> None:
    from extension.store.migrate import upgrade

    settings = _settings_or_exit()
    upgrade(settings.database_url)
    print("database is up to date")


def main(argv: list[str] | None = None) -> None:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["catalogs"]:
        from extension.catalogs import main as catalogs

        catalogs(args_in[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m extension")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument(
        "--workers",
        type=int,
        default=os.environ.get("WEB_CONCURRENCY", "1"),  # argparse applies type= to it
        help="worker processes sharing the port (default WEB_CONCURRENCY, else 1)",
    )
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("catalogs", help="translation catalogs: update, check, init LANG")
    args = parser.parse_args(args_in)
    if args.command == "serve":
        _serve(args.host, args.port, args.workers)
    else:
        _migrate()


if __name__ == "__main__":
    main()
