"""Settings from the environment: sandbox defaults, and clear refusals outside it."""

from __future__ import annotations

import pytest

from extension.settings import Settings, SettingsError

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
    ],
)
def test_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**REAL, name: value})


def test_plain_http_allowed_for_loopback_only() -> None:
    assert Settings.from_env({**REAL, "APP_BASE_URL": "http://localhost:9000"}).app_base_url
