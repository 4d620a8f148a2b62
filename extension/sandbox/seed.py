"""The sandbox's seeded Pipedrive company: who exists and which deals the host page lists.

The Pipedrive stand-in serves these same ids through its API; the host page and the discovery
document name them, so a test or a newcomer never has to guess an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "SandboxUser",
    "SandboxDeal",
    "COMPANY_ID",
    "COMPANY_NAME",
    "COMPANY_DOMAIN",
    "USERS",
    "DEALS",
    "user_by_key",
    "deal_by_id",
]

COMPANY_ID = 7_001_001
COMPANY_NAME = "Northwind Sandbox Ltd"
COMPANY_DOMAIN = "northwind-sandbox"


@dataclass(frozen=True, slots=True)
class SandboxUser:
    key: str
    id: int
    name: str
    email: str
    is_admin: bool
    # What Pipedrive's /users/me says they read: interface language, "Date/number format"
    # locale and time zone (the app speaks to each user in their own).
    language_code: str = "en"
    country_code: str = "US"
    locale: str = "en_US"
    timezone_name: str = "Europe/Tallinn"

    @property
    def language_name(self) -> str:
        return {"en": "English", "fi": "suomi", "ru": "русский"}.get(
            self.language_code, self.language_code
        )


@dataclass(frozen=True, slots=True)
class SandboxDeal:
    id: int
    title: str
    value: Decimal
    currency: str
    stage: str
    # Deals with visible_to_rep=False are answered as Pipedrive answers a deal the user may not see.
    visible_to_rep: bool = True


USERS = (
    SandboxUser("admin", 9001, "Ada Admin", "ada.admin@northwind.example", is_admin=True),
    SandboxUser("rep", 9002, "Rex Rep", "rex.rep@northwind.example", is_admin=False),
    # Pipedrive set to Finnish and to Russian: the app's screens follow each of them.
    SandboxUser(
        "fi",
        9003,
        "Aino Virtanen",
        "aino.virtanen@northwind.example",
        is_admin=True,
        language_code="fi",
        country_code="FI",
        locale="fi_FI",
        timezone_name="Europe/Helsinki",
    ),
    SandboxUser(
        "ru",
        9004,
        "Ирина Смирнова",
        "irina.smirnova@northwind.example",
        is_admin=True,
        language_code="ru",
        country_code="RU",
        locale="ru_RU",
        timezone_name="Europe/Moscow",
    ),
)

# Values are what the deal's products add up to (Pipedrive keeps them so; a recurring
# product counts every period); 103 has no products, only its value.
DEALS = (
    SandboxDeal(101, "Website redesign", Decimal("13800.00"), "USD", "Proposal made"),
    SandboxDeal(102, "Annual support contract", Decimal("4800.00"), "EUR", "Negotiations started"),
    SandboxDeal(103, "Discovery workshop (no products)", Decimal("2400.00"), "USD", "Qualified"),
    SandboxDeal(
        104,
        "Confidential acquisition",
        Decimal("90000.00"),
        "USD",
        "Contact made",
        visible_to_rep=False,
    ),
    SandboxDeal(105, "Seed delivery subscription", Decimal("1080.00"), "USD", "Proposal made"),
    SandboxDeal(106, "Aviary maintenance", Decimal("990.00"), "USD", "Qualified"),
    SandboxDeal(107, "Fleet detailing", Decimal("1620.00"), "USD", "Negotiations started"),
    SandboxDeal(108, "Office fit-out", Decimal("10440.00"), "GBP", "Proposal made"),
)


def user_by_key(key: str) -> SandboxUser:
    return next((u for u in USERS if u.key == key), USERS[0])


def deal_by_id(deal_id: int) -> SandboxDeal | None:
    return next((d for d in DEALS if d.id == deal_id), None)
