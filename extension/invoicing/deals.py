"""The deal a surface was opened for, fetched as the user who opened it.

``selectedIds`` and modal ``data`` are unsigned, so a deal id from the URL proves nothing: the
deal is fetched with the user's own Pipedrive token, and whatever Pipedrive will not show that
user, we do not show either. Failures propagate as the client's typed errors; the one error
path (``extension.web.messages``) words them for the person looking at the page.
"""

from __future__ import annotations

from extension.accounts.pipedrive_access import client_for_user
from extension.pipedrive.models import Deal
from extension.services import Services

__all__ = ["load_visible_deal"]


async def load_visible_deal(
    services: Services, company_id: int, user_id: int, deal_id: int
) -> Deal:
    """Raises ReauthorizationNeeded, PipedriveForbidden/NotFound (hidden or gone), or
    another PipedriveError."""
    client = await client_for_user(services, company_id, user_id)
    return await client.deal(deal_id)
