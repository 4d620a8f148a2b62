"""Every setting, read once from the environment (design.md §5).

Secrets are wrapped in :class:`starlette.datastructures.Secret` so that a stray ``repr`` or log
line shows ``Secret('**********')``; call ``str()`` only where the value is used.

Sandbox mode (``SANDBOX=1``, or no ``PIPEDRIVE_CLIENT_ID``) needs no credentials at all: it fills
every upstream setting with the local stand-ins mounted under ``/sandbox`` in the same process.
It starts only on a loopback ``APP_BASE_URL``: it never fails open on a public address.
Outside sandbox mode a missing or malformed required variable stops start-up with a
:class:`SettingsError` that names it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Secret

from extension.security.crypto import parse_encryption_keys

__all__ = [
    "Settings",
    "SettingsError",
    "SANDBOX_PREFIX",
    "LOG_FORMATS",
    "LOG_LEVELS",
    "RECONCILE_DEFAULT",
    "RECONCILE_SANDBOX_DEFAULT",
]

SANDBOX_PREFIX = "/sandbox"
# Every five minutes (peers: 15 minutes or weekly); every minute in the sandbox, so that its
# switch that drops webhooks shows the recovery while one watches.
RECONCILE_DEFAULT = 300.0
RECONCILE_SANDBOX_DEFAULT = 60.0
_RECONCILE_RANGE = (1.0, 3600.0)
MAX_IN_FLIGHT = 10  # Intuit's limit of concurrent requests per company (realm)
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
_DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_SANDBOX_SECRET_KEY = "sandbox-secret-key-not-for-production-use-0123456789"
_SANDBOX_PIPEDRIVE_SECRET = "sandbox-pipedrive-client-secret-0123456789abcdef"
_QBO_ENDPOINTS = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}
_QBO_AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
_QBO_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
_QBO_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


class SettingsError(ValueError):
    """A required setting is missing or malformed; the message names the variable."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    app_base_url: str
    database_url: str
    secret_key: Secret
    encryption_key: Secret | None
    pipedrive_client_id: str
    pipedrive_client_secret: Secret
    pipedrive_jwt_secret: Secret
    pipedrive_oauth_url: str
    qbo_client_id: str
    qbo_client_secret: Secret
    qbo_environment: str
    qbo_webhook_verifier_token: Secret
    qbo_api_url: str
    qbo_authorize_url: str
    qbo_token_url: str
    qbo_revoke_url: str
    sandbox: bool
    # PIPEDRIVE_MODAL_<MANIFEST ID>_ID → the custom modal's ID from Developer Hub.
    pipedrive_modal_ids: Mapping[str, str] = field(default_factory=dict)
    # LOG_FORMAT: "text" for a terminal, "json" for one object per line; LOG_LEVEL as uvicorn's.
    log_format: str = "text"
    log_level: str = "info"
    # QBO_RECONCILE_SECONDS: how often the reconciler asks QuickBooks what changed (CDC).
    reconcile_interval: float = RECONCILE_DEFAULT
    # QBO_BACKGROUND_SYNC: this process applies webhook events and reconciles (off: serve only).
    background_sync: bool = True
    # QBO_MAX_IN_FLIGHT: requests this process may have in flight to one QuickBooks company.
    # Intuit allows 10 per company in all; N processes should each take 10 / N.
    qbo_max_in_flight: int = MAX_IN_FLIGHT

    @property
    def sandbox_base_url(self) -> str:
        """Where the in-process stand-ins live (only meaningful in sandbox mode)."""
        return self.app_base_url + SANDBOX_PREFIX

    @property
    def app_origin(self) -> str:
        parts = urlsplit(self.app_base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        base_url = get("APP_BASE_URL", _DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise SettingsError(f"APP_BASE_URL must be an absolute http(s) URL, got {base_url!r}")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise SettingsError("APP_BASE_URL must use https (plain http only for loopback hosts)")
        if parts.path:
            raise SettingsError("APP_BASE_URL must be an origin without a path")

        # Sandbox mode signs with a JWT secret from this repository and serves a page that mints
        # Pipedrive tokens: it must never start where anybody but this machine can reach it.
        local = _is_loopback(parts.hostname)
        if get("SANDBOX"):
            sandbox = _truthy(get("SANDBOX"))
            if sandbox and not local:
                raise SettingsError(
                    "SANDBOX=1 runs only on a loopback APP_BASE_URL (127.0.0.1, localhost); "
                    f"{parts.hostname} is not one"
                )
        elif not get("PIPEDRIVE_CLIENT_ID"):
            if not local:
                raise SettingsError(
                    "PIPEDRIVE_CLIENT_ID is required when APP_BASE_URL is not a loopback address "
                    "(without it the app would start its local sandbox)"
                )
            sandbox = True
        else:
            sandbox = False

        log_format = get("LOG_FORMAT", "text").lower()
        if log_format not in LOG_FORMATS:
            raise SettingsError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        log_level = get("LOG_LEVEL", "info").lower()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")

        reconcile_interval = _seconds(
            get("QBO_RECONCILE_SECONDS"),
            RECONCILE_SANDBOX_DEFAULT if sandbox else RECONCILE_DEFAULT,
        )
        max_in_flight = _in_flight(get("QBO_MAX_IN_FLIGHT"))
        background = get("QBO_BACKGROUND_SYNC", "1").lower()
        if background not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
            raise SettingsError("QBO_BACKGROUND_SYNC must be 1 or 0 (on or off)")

        database_url = get("DATABASE_URL") or f"sqlite+aiosqlite:///{Path('data') / 'app.db'}"
        database_url = _async_driver(database_url)

        def required(name: str, sandbox_value: str) -> str:
            value = get(name)
            if value:
                return value
            if sandbox:
                return sandbox_value
            raise SettingsError(f"{name} is required (set it, or set SANDBOX=1 to run locally)")

        secret_key = required("SECRET_KEY", _SANDBOX_SECRET_KEY)
        if len(secret_key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long")
        encryption_key = get("ENCRYPTION_KEY")
        if encryption_key:
            try:
                parse_encryption_keys(encryption_key)
            except ValueError as exc:
                raise SettingsError(
                    f"ENCRYPTION_KEY: {exc} (comma-separated Fernet keys, newest first)"
                ) from None

        sandbox_url = base_url + SANDBOX_PREFIX
        local_qbo = sandbox_url + "/quickbooks"
        pd_secret = required(
            "PIPEDRIVE_CLIENT_SECRET", "sandbox-pipedrive-client-secret-0123456789abcdef"
        )
        qbo_environment = get("QBO_ENVIRONMENT", "sandbox")
        if qbo_environment not in _QBO_ENDPOINTS:
            raise SettingsError("QBO_ENVIRONMENT must be 'sandbox' or 'production'")

        def endpoint(name: str, real: str, local: str) -> str:
            value = get(name) or (local if sandbox else real)
            if urlsplit(value).scheme not in {"http", "https"}:
                raise SettingsError(f"{name} must be an absolute http(s) URL")
            return value.rstrip("/")

        return cls(
            app_base_url=base_url,
            database_url=database_url,
            secret_key=Secret(secret_key),
            encryption_key=Secret(encryption_key) if encryption_key else None,
            pipedrive_client_id=required("PIPEDRIVE_CLIENT_ID", "sandbox-pipedrive-client-id"),
            pipedrive_client_secret=Secret(pd_secret),
            pipedrive_jwt_secret=Secret(get("PIPEDRIVE_JWT_SECRET") or pd_secret),
            pipedrive_oauth_url=endpoint(
                "PIPEDRIVE_OAUTH_URL", "https://oauth.pipedrive.com", sandbox_url + "/pipedrive"
            ),
            qbo_client_id=required("QBO_CLIENT_ID", "sandbox-qbo-client-id"),
            qbo_client_secret=Secret(required("QBO_CLIENT_SECRET", "sandbox-qbo-client-secret")),
            qbo_environment=qbo_environment,
            qbo_webhook_verifier_token=Secret(
                required("QBO_WEBHOOK_VERIFIER_TOKEN", "sandbox-qbo-webhook-verifier-token")
            ),
            qbo_api_url=endpoint("QBO_API_URL", _QBO_ENDPOINTS[qbo_environment], local_qbo),
            qbo_authorize_url=endpoint(
                "QBO_AUTHORIZE_URL", _QBO_AUTHORIZE_URL, local_qbo + "/connect/oauth2"
            ),
            qbo_token_url=endpoint(
                "QBO_TOKEN_URL", _QBO_TOKEN_URL, local_qbo + "/oauth2/v1/tokens/bearer"
            ),
            qbo_revoke_url=endpoint(
                "QBO_REVOKE_URL",
                _QBO_REVOKE_URL,
                local_qbo + "/v2/oauth2/tokens/revoke",
            ),
            sandbox=sandbox,
            pipedrive_modal_ids={
                name: value.strip()
                for name, value in env.items()
                if name.startswith("PIPEDRIVE_MODAL_") and name.endswith("_ID") and value.strip()
            },
            log_format=log_format,
            log_level=log_level,
            reconcile_interval=reconcile_interval,
            background_sync=_truthy(background),
            qbo_max_in_flight=max_in_flight,
        )


def _in_flight(raw: str) -> int:
    if not raw:
        return MAX_IN_FLIGHT
    value = int(raw) if raw.strip().isdigit() else 0
    if not 1 <= value <= MAX_IN_FLIGHT:
        raise SettingsError(f"QBO_MAX_IN_FLIGHT must be a whole number from 1 to {MAX_IN_FLIGHT}")
    return value


def _seconds(raw: str, default: float) -> float:
    if not raw:
        return default
    low, high = _RECONCILE_RANGE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise SettingsError(
            f"QBO_RECONCILE_SECONDS must be a number of seconds from {low:.0f} to {high:.0f}"
        )
    return value


def _async_driver(url: str) -> str:
    """Accept the plain URLs people paste and pick the async driver SQLAlchemy needs."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"DATABASE_URL is not a URL: {url!r}")
    if scheme in {"postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"}:
        return "postgresql+asyncpg://" + rest
    if scheme == "sqlite":
        return "sqlite+aiosqlite://" + rest
    if scheme in {"postgresql+asyncpg", "sqlite+aiosqlite"}:
        return url
    raise SettingsError(f"DATABASE_URL scheme {scheme!r} is not supported (sqlite or postgresql)")
