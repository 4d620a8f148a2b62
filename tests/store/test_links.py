"""Contact and product links: upsert on the contact, realm-scoped lookups, forgetting, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from extension.store.link_models import ContactKind, ContactLink, ProductLink
from extension.store.links import (
    contact_links,
    forget_contact_link,
    forget_product_link,
    link_contact,
    link_product,
    note_customer_seen,
    note_item_seen,
    product_links,
)
from extension.store.models import AuditEvent
from tests.store.conftest import (
    COMPANY,
    NOW,
    OTHER_REALM,
    REALM,
    USER,
    Sessions,
    audit_actions,
    concurrently,
    count_rows,
)

ORG = ContactKind.ORGANIZATION
PERSON = ContactKind.PERSON


async def _link_org(db: Sessions, customer_id: str, **kw: object) -> ContactLink:
    values: dict[str, object] = {
        "kind": ORG,
        "contact_id": 7,
        "realm_id": REALM,
        "customer_id": customer_id,
        "customer_name": f"Customer {customer_id}",
        "customer_currency": "EUR",
        "user_id": USER,
        "now": NOW,
        **kw,
    }
    async with db() as session, session.begin():
        return await link_contact(session, COMPANY, **values)  # type: ignore[arg-type]


async def test_linking_a_contact_stores_the_customer_as_seen(db: Sessions) -> None:
    link = await _link_org(db, "58", customer_currency="USD")
    assert (link.contact_kind, link.contact_id, link.customer_id) == ("organization", 7, "58")
    assert (link.customer_name, link.customer_currency) == ("Customer 58", "USD")
    assert (link.linked_by_user_id, link.linked_at) == (USER, NOW)
    assert await audit_actions(db) == [
        ("contact.linked", {"contact": "organization", "contact_id": 7, "customer_id": "58"})
    ]


async def test_relinking_replaces_the_link_in_place(db: Sessions) -> None:
    first = await _link_org(db, "58")
    later = NOW + timedelta(hours=1)
    second = await _link_org(db, "61", user_id=12, now=later)
    assert second.id == first.id
    assert (second.customer_id, second.linked_by_user_id, second.linked_at) == ("61", 12, later)
    assert await count_rows(db, ContactLink) == 1


async def test_a_person_and_an_organization_with_one_id_are_two_contacts(db: Sessions) -> None:
    await _link_org(db, "58")
    await _link_org(db, "61", kind=PERSON)
    async with db() as session:
        found = await contact_links(session, COMPANY, REALM, [(ORG, 7), (PERSON, 7), (PERSON, 8)])
    assert {key: link.customer_id for key, link in found.items()} == {
        (ORG, 7): "58",
        (PERSON, 7): "61",
    }


async def test_a_link_made_in_another_realm_is_no_link(db: Sessions) -> None:
    await _link_org(db, "58", realm_id=OTHER_REALM)
    async with db() as session:
        assert await contact_links(session, COMPANY, REALM, [(ORG, 7)]) == {}
        assert await contact_links(session, COMPANY, REALM, []) == {}


async def test_forgetting_a_contact_link(db: Sessions) -> None:
    await _link_org(db, "58")
    async with db() as session, session.begin():
        assert await forget_contact_link(session, COMPANY, kind=ORG, contact_id=7, user_id=USER)
        assert not await forget_contact_link(session, COMPANY, kind=ORG, contact_id=7, user_id=USER)
    assert await count_rows(db, ContactLink) == 0
    assert [action for action, _ in await audit_actions(db)] == [
        "contact.linked",
        "contact.unlinked",
    ]


async def test_a_customer_seen_again_refreshes_every_contact_linked_to_it(db: Sessions) -> None:
    await _link_org(db, "58")
    await _link_org(db, "58", kind=PERSON)
    await _link_org(db, "58", kind=PERSON, contact_id=9, realm_id=OTHER_REALM)
    async with db() as session, session.begin():
        changed = await note_customer_seen(
            session, COMPANY, REALM, "58", name="Acme Oy (new)", currency="SEK"
        )
    assert changed == 2
    async with db() as session:
        rows = await session.scalars(select(ContactLink).order_by(ContactLink.id))
        assert [(r.customer_name, r.customer_currency) for r in rows] == [
            ("Acme Oy (new)", "SEK"),
            ("Acme Oy (new)", "SEK"),
            ("Customer 58", "EUR"),
        ]


async def test_concurrent_links_of_one_contact_leave_one_row_the_last_writers(
    db: Sessions, other_db: Sessions
) -> None:
    """Ten users link the same organization at once, through two engines: one row remains,
    holding the customer of the transaction that committed last (its audit entry is last)."""

    async def link(session: object, index: int) -> ContactLink:
        return await link_contact(
            session,  # type: ignore[arg-type]
            COMPANY,
            kind=ORG,
            contact_id=7,
            realm_id=REALM,
            customer_id=str(100 + index),
            customer_name=f"Customer {index}",
            customer_currency="EUR",
            user_id=index,
        )

    results = await concurrently([db, other_db], 10, link)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with db() as session:
        rows = list(await session.scalars(select(ContactLink)))
        last_audit = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert len(rows) == 1
    assert last_audit is not None
    assert rows[0].customer_id == last_audit.detail["customer_id"]
    assert rows[0].linked_by_user_id == last_audit.user_id
    assert await count_rows(db, AuditEvent) == 10


async def test_product_links_upsert_look_up_refresh_and_forget(db: Sessions) -> None:
    async with db() as session, session.begin():
        first = await link_product(
            session,
            COMPANY,
            product_id=3,
            realm_id=REALM,
            item_id="19",
            item_name="Hours",
            user_id=USER,
        )
        again = await link_product(
            session,
            COMPANY,
            product_id=3,
            realm_id=REALM,
            item_id="21",
            item_name="Design",
            user_id=12,
        )
        await link_product(
            session,
            COMPANY,
            product_id=4,
            realm_id=OTHER_REALM,
            item_id="21",
            item_name="Old",
            user_id=USER,
        )
    assert again.id == first.id and (again.item_id, again.linked_by_user_id) == ("21", 12)
    async with db() as session, session.begin():
        found = await product_links(session, COMPANY, REALM, [3, 4, 5, 3])
        assert {pid: link.item_id for pid, link in found.items()} == {3: "21"}
        assert await product_links(session, COMPANY, REALM, []) == {}
        assert await note_item_seen(session, COMPANY, REALM, "21", name="Design work") == 1
        assert await forget_product_link(session, COMPANY, product_id=4, user_id=USER)
        assert not await forget_product_link(session, COMPANY, product_id=4, user_id=USER)
    async with db() as session:
        rows = list(await session.scalars(select(ProductLink)))
    assert [(r.product_id, r.item_name) for r in rows] == [(3, "Design work")]
    assert [action for action, _ in await audit_actions(db)] == [
        "product.linked",
        "product.linked",
        "product.linked",
        "product.unlinked",
    ]
