"""The local QuickBooks Online stand-in, mounted at ``/sandbox/quickbooks`` (design.md §6).

It follows Intuit's documentation and sample payloads, not our client: the Intuit URL layout
(``/v3/company/{realmId}/...``, ``/oauth2/v1/tokens/bearer``, ``/v2/oauth2/tokens/revoke``,
OpenID discovery documents under ``/.well-known/``, a consent page at ``/connect/oauth2``),
rotating refresh tokens on a movable clock, a seeded US company and a UK one, Intuit's
business rules and error shapes, throttling, injected faults, signed webhooks back to the app
(and a switch that drops them), a page to record a payment and an invoice's page with Void and
Delete. State lives in memory on one
:class:`QuickBooksStandIn` per sandbox (``stand_in(sandbox)``); routes capture it in closures.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

from extension.sandbox.quickbooks.api import api_routes
from extension.sandbox.quickbooks.invoice_page import invoice_routes
from extension.sandbox.quickbooks.oauth_routes import oauth_routes
from extension.sandbox.quickbooks.payment_page import payment_routes
from extension.sandbox.quickbooks.seed import GLOBAL_REALM_ID, SEEDED_IDS, US_REALM_ID
from extension.sandbox.quickbooks.standin import QuickBooksStandIn
from extension.sandbox.quickbooks.webhooks_out import WebhookSender

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "discovery", "stand_in", "webhook_sender", "QuickBooksStandIn"]

_stand_ins: weakref.WeakKeyDictionary[Sandbox, tuple[QuickBooksStandIn, WebhookSender]] = (
    weakref.WeakKeyDictionary()
)


def _owned(sandbox: Sandbox) -> tuple[QuickBooksStandIn, WebhookSender]:
    if sandbox not in _stand_ins:
        settings = sandbox.settings
        owner = QuickBooksStandIn(
            client_id=settings.qbo_client_id,
            client_secret=str(settings.qbo_client_secret),
            verifier_token=str(settings.qbo_webhook_verifier_token),
        )
        sender = WebhookSender(sandbox, owner)
        # Deliveries still in flight finish before the app shuts its database down.
        sandbox.on_shutdown(sender.drain)
        _stand_ins[sandbox] = (owner, sender)
    return _stand_ins[sandbox]


def stand_in(sandbox: Sandbox) -> QuickBooksStandIn:
    """The sandbox's QuickBooks state (tests move its clock and turn its knobs)."""
    return _owned(sandbox)[0]


def webhook_sender(sandbox: Sandbox) -> WebhookSender:
    return _owned(sandbox)[1]


def routes(sandbox: Sandbox) -> list[BaseRoute]:
    owner, sender = _owned(sandbox)
    return [
        *oauth_routes(sandbox, owner),
        *api_routes(owner, sender),
        *payment_routes(sandbox, owner, sender),
        *invoice_routes(sandbox, owner, sender),
    ]


def discovery(sandbox: Sandbox) -> dict[str, Any]:
    base = sandbox.base_url + "/quickbooks"
    return {
        "api_base_url": base,
        "authorize_url": base + "/connect/oauth2",
        "token_url": base + "/oauth2/v1/tokens/bearer",
        "revoke_url": base + "/v2/oauth2/tokens/revoke",
        "discovery_url": base + "/.well-known/openid_sandbox_configuration",
        "payment_page_url": base + "/payments/new",
        "realm_id": US_REALM_ID,
        "realms": {"us": US_REALM_ID, "global": GLOBAL_REALM_ID},
        "seeded_ids": SEEDED_IDS,
    }
