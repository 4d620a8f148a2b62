"""The deal a surface was opened for, fetched as the user who opened it.

``selectedIds`` and modal ``data`` are unsigned, so a deal id from the URL proves nothing: the
deal is fetched with the user's own Pipedrive token, and whatever Pipedrive will not show that
user, we do not show either.
"""

from __future__ import annotations

from typing import Literal

from extension.pipedrive.errors import (
    PipedriveError,
    PipedriveForbidden,
    PipedriveNotFound,
    PipedriveRateLimited,
    ReauthorizationNeeded,
)
from extension.pipedrive.models import Deal
from extension.pipedrive.tokens import client_for_user
from extension.services import Services

__all__ = ["DealUnavailable", "load_visible_deal"]

Reason = Literal["hidden", "reauthorize", "busy", "unreachable"]
_MESSAGES: dict[Reason, str] = {
    "hidden": "This deal is not available to you in Pipedrive.",
    "reauthorize": "Pipedrive needs you to authorize the app again.",
    "busy": "Pipedrive is busy right now. Try again in a minute.",
    "unreachable": "Pipedrive could not be reached. Try again shortly.",
}


class DealUnavailable(Exception):
    """Why the deal cannot be shown; ``message`` is written for the person looking at it."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: Reason = reason
        self.message = _MESSAGES[reason]


async def load_visible_deal(
    services: Services, company_id: int, user_id: int, deal_id: int
) -> Deal:
    try:
        client = await client_for_user(services, company_id, user_id)
        return await client.deal(deal_id)
    except ReauthorizationNeeded as exc:
        raise DealUnavailable("reauthorize") from exc
    except (PipedriveForbidden, PipedriveNotFound) as exc:
        raise DealUnavailable("hidden") from exc
    except PipedriveRateLimited as exc:
        raise DealUnavailable("busy") from exc
    except PipedriveError as exc:
        raise DealUnavailable("unreachable") from exc
