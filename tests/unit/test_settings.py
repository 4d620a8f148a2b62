"""Settings from the environment: sandbox defaults, and clear refusals outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extension.__main__ import share_quickbooks_limit
from extension.app import create_app
from extension.settings import Settings, SettingsError
from extension.store.migrate import upgrade_async
from tests.support import make_settings

REAL = {
    "PIPEDRIVE_CLIENT_ID": "pd-id",
    "PIPEDRIVE_CLIENT_SECRET": "pd-secret",
    "QBO_CLIENT_ID": "qbo-id",
    "QBO_CLIENT_SECRET": "qbo-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "verifier",
    "SECRET_KEY": "s" * 40,
    "APP_BASE_URL": "https://invoices.example.com",
}


def test_no_credentials_means_sandbox_pointing_at_local_stand_ins() -> None:
    settings = Settings.from_env({})
    assert settings.sandbox
    assert settings.app_base_url == "http://127.0.0.1:8000"
    assert settings.qbo_api_url == "http://127.0.0.1:8000/sandbox/quickbooks"
    assert settings.pipedrive_oauth_url == "http://127.0.0.1:8000/sandbox/pipedrive"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert str(settings.pipedrive_jwt_secret) == str(settings.pipedrive_client_secret)


def test_real_configuration_uses_intuit_and_pipedrive() -> None:
    settings = Settings.from_env({**REAL, "DATABASE_URL": "postgresql://u@db/app"})
    assert not settings.sandbox
    assert settings.qbo_api_url == "https://sandbox-quickbooks.api.intuit.com"
    assert settings.pipedrive_oauth_url == "https://oauth.pipedrive.com"
    assert settings.database_url == "postgresql+asyncpg://u@db/app"
    assert "pd-secret" not in repr(settings)
    production = Settings.from_env({**REAL, "QBO_ENVIRONMENT": "production"})
    assert production.qbo_api_url == "https://quickbooks.api.intuit.com"


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "PIPEDRIVE_CLIENT_SECRET",
        "QBO_CLIENT_ID",
        "QBO_CLIENT_SECRET",
        "QBO_WEBHOOK_VERIFIER_TOKEN",
    ],
)
def test_missing_required_setting_is_named(missing: str) -> None:
    env = {k: v for k, v in REAL.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_BASE_URL", "http://invoices.example.com"),
        ("APP_BASE_URL", "ftp://x"),
        ("APP_BASE_URL", "https://x.example.com/app"),
        ("SECRET_KEY", "short"),
        ("QBO_ENVIRONMENT", "staging"),
        ("DATABASE_URL", "mysql://x/y"),
        ("QBO_API_URL", "not a url"),
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "loud"),
        ("QBO_RECONCILE_SECONDS", "often"),
        ("QBO_RECONCILE_SECONDS", "0"),
        ("QBO_RECONCILE_SECONDS", "86400"),
        ("QBO_BACKGROUND_SYNC", "maybe"),
        ("QBO_MAX_IN_FLIGHT", "0"),
        ("QBO_MAX_IN_FLIGHT", "11"),
        ("QBO_MAX_IN_FLIGHT", "five"),
    ],
)
def test_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**REAL, name: value})


def test_plain_http_allowed_for_loopback_only() -> None:
    assert Settings.from_env({**REAL, "APP_BASE_URL": "http://localhost:9000"}).app_base_url


@pytest.mark.parametrize(
    "environ",
    [
        {"APP_BASE_URL": "https://invoices.example.com"},  # no client id: would be sandbox
        {"APP_BASE_URL": "https://invoices.example.com", "SECRET_KEY": "s" * 40},
        {**REAL, "SANDBOX": "1"},  # asked for explicitly, on a public address
    ],
)
def test_sandbox_never_starts_on_a_public_address(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    message = str(refused.value)
    assert "PIPEDRIVE_CLIENT_ID" in message or "SANDBOX=1" in message


def test_sandbox_on_loopback_still_needs_nothing() -> None:
    for host in ("http://127.0.0.1:8011", "http://localhost:8000", "http://[::1]:8000"):
        assert Settings.from_env({"APP_BASE_URL": host}).sandbox


def test_encryption_key_must_be_fernet_keys() -> None:
    from cryptography.fernet import Fernet

    two = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    assert Settings.from_env({**REAL, "ENCRYPTION_KEY": two}).encryption_key is not None
    with pytest.raises(SettingsError, match="ENCRYPTION_KEY: key 2"):
        Settings.from_env({**REAL, "ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},nope"})


def test_modal_ids_from_developer_hub() -> None:
    settings = Settings.from_env(
        {**REAL, "PIPEDRIVE_MODAL_CREATE_INVOICE_ID": " 6f1c2a ", "PIPEDRIVE_MODAL_X_ID": ""}
    )
    assert settings.pipedrive_modal_ids == {"PIPEDRIVE_MODAL_CREATE_INVOICE_ID": "6f1c2a"}


def test_log_format_and_level() -> None:
    default = Settings.from_env(REAL)
    assert (default.log_format, default.log_level) == ("text", "info")
    chosen = Settings.from_env({**REAL, "LOG_FORMAT": "JSON", "LOG_LEVEL": "Warning"})
    assert (chosen.log_format, chosen.log_level) == ("json", "warning")


def test_reconciler_interval_and_background_sync() -> None:
    default = Settings.from_env(REAL)
    assert (default.reconcile_interval, default.background_sync) == (300.0, True)
    assert Settings.from_env({}).reconcile_interval == 60.0  # the sandbox shows it sooner
    chosen = Settings.from_env(
        {**REAL, "QBO_RECONCILE_SECONDS": "120", "QBO_BACKGROUND_SYNC": "off"}
    )
    assert (chosen.reconcile_interval, chosen.background_sync) == (120.0, False)


async def test_requests_in_flight_per_company_default_to_intuits_limit_and_may_be_shared(
    tmp_path: Path,
) -> None:
    assert Settings.from_env(REAL).qbo_max_in_flight == 10
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade_async(url)
    app = create_app(make_settings(url, QBO_MAX_IN_FLIGHT="5"))
    async with app.router.lifespan_context(app) as state:
        services = dict(state or {})["services"]
        assert services.runtime.realm_limits.max_in_flight == 5  # what the QuickBooks client obeys


@pytest.mark.parametrize(("workers", "share"), [(1, None), (2, "5"), (3, "3"), (16, "1")])
def test_the_workers_of_one_server_share_intuits_ten_requests_in_flight(
    monkeypatch: pytest.MonkeyPatch, workers: int, share: str | None
) -> None:
    monkeypatch.delenv("QBO_MAX_IN_FLIGHT", raising=False)
    share_quickbooks_limit(workers)
    assert os.environ.get("QBO_MAX_IN_FLIGHT") == share
    monkeypatch.setenv("QBO_MAX_IN_FLIGHT", "4")  # the operator's choice for several hosts
    share_quickbooks_limit(workers)
    assert os.environ["QBO_MAX_IN_FLIGHT"] == "4"
