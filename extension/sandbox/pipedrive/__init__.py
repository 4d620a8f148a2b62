"""The local Pipedrive stand-in: OAuth server, REST API, and the host page's install controls.

Written from Pipedrive's documentation (reference/pipedrive.md §2-3), never from our client.
Mounted at ``/sandbox/pipedrive``; route names are ``sandbox:pipedrive:<name>``. Its state lives
in memory on a ``PipedriveStandIn`` owned by the sandbox (``stand_in(sandbox)``). API and token
endpoints are also reached through ``httpx.ASGITransport`` without the app's lifespan state, so
no handler here reads ``request.state``: everything is captured in closures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from extension.sandbox.pipedrive import api, data, host_controls, oauth
from extension.sandbox.pipedrive.state import PipedriveStandIn, stand_in
from extension.sandbox.seed import COMPANY_DOMAIN, COMPANY_ID

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "discovery", "stand_in", "PipedriveStandIn"]


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    state = stand_in(sandbox)
    # The host page shows an "Installed" badge: a lookup in this in-memory state, not I/O.
    sandbox.templates.env.globals["pipedrive_installed"] = lambda user_id: (
        user_id in state.installed
    )
    return [
        *oauth.routes(sandbox, state),
        *api.routes(state),
        *host_controls.routes(sandbox, state),
    ]


def discovery(sandbox: Sandbox) -> dict[str, Any]:
    state = stand_in(sandbox)
    base = sandbox.base_url + "/pipedrive"
    return {
        "base_url": base,
        "client_id": state.client_id,
        "oauth": {
            "authorize_url": base + "/oauth/authorize",
            "token_url": base + "/oauth/token",
            "revoke_url": base + "/oauth/revoke",
        },
        "api_domain": state.api_domain,
        "api_v2_base": state.api_domain + "/api/v2",
        "api_v1_base": state.api_domain + "/api/v1",
        "install_url": base + "/host/install?user={user_key}",
        "uninstall_url": base + "/host/uninstall",
        "config_url": base + "/config",
        "company": {"id": COMPANY_ID, "domain": COMPANY_DOMAIN},
        "installed_user_ids": sorted(state.installed),
        "custom_fields": {
            "organization_vat_number": data.VAT_NUMBER_KEY,
            "deal_purchase_order_number": data.PO_NUMBER_KEY,
        },
        "organizations": sorted(data.ORGANIZATIONS),
        "persons": sorted(data.PERSONS),
        "products": sorted(data.PRODUCTS),
        "deal_products": {
            str(k): [line["id"] for line in v] for k, v in data.DEAL_PRODUCTS.items()
        },
        "rate_limits": {
            "burst_limit": state.limiter.burst_limit,
            "burst_window_seconds": 2,
            "daily_budget": state.limiter.daily_budget,
        },
        "latency_seconds": state.latency,
    }
