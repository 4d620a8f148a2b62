"""Command line: ``python -m extension serve [--host H] [--port P]``, ``... migrate`` and
``... catalogs {update,check,init LANG}`` (the translation catalogs, see ``extension.catalogs``)."""

from __future__ import annotations

import argparse
import os
import sys

from extension.settings import Settings, SettingsError

__all__ = ["main"]


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        sys.exit(f"configuration error: {exc}")


def _serve(host: str, port: int) -> None:
    import uvicorn

    from extension.app import create_app

    # Without an explicit public URL, the app is wherever it was told to listen.
    os.environ.setdefault("APP_BASE_URL", f"http://{host}:{port}")
    settings = _settings_or_exit()
    if settings.sandbox:
        print(f"Sandbox mode: open {settings.app_base_url}/ (no Pipedrive or QuickBooks account)")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
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
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("catalogs", help="translation catalogs: update, check, init LANG")
    args = parser.parse_args(args_in)
    if args.command == "serve":
        _serve(args.host, args.port)
    else:
        _migrate()


if __name__ == "__main__":
    main()
