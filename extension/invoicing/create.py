"""Creating an invoice from a deal: open the form, check everything, post exactly once.

The flow's entry points, from ``create_open`` (opening), ``create_post`` (posting) and
``create_drafts`` (the draft's key, the outcomes, and a posted draft's invoice).

Opening. The draft's key is derived from the modal's runtime id (``draft_key_for``): a reload
or a duplicated tab of the same modal is the same draft, a new "+ Invoice" is a new one. Its
attempt, with the ``requestid`` it will post under, is stored before anything else happens
(``store.create_attempts``); a draft already posted opens on its invoice. Independent reads
run in parallel, each with its own database session: the deal (as this user), QuickBooks'
company, preferences, tax codes, rates and terms, the settings; then the remembered links and
the Pipedrive products.

Posting. Every entity the invoice names is read again (customer, items, tax codes, terms, the
number) and pre-flight lists every problem at once; nothing goes to QuickBooks while one stands
in the way. The body is built, stored with the claim (one body per requestid) and sent; the
customer update, when asked for and needed, goes just before it. Then, in one transaction, the
attempt is marked posted, the invoice linked to the deal and mirrored (all audited).

Outcomes of a post: created; refused by QuickBooks (a fresh requestid next time, the refusal
shown on its field); no answer (the requestid and body are kept, and the next try replays
them, so a timeout after QuickBooks committed still makes one invoice); someone else is
posting this draft right now (wait for them).
"""

from __future__ import annotations

from extension.invoicing.create_drafts import (
    LEASE,
    Busy,
    CreatedInvoice,
    DraftNotFound,
    LineNoter,
    NotConnected,
    Stalled,
    created_pdf,
    draft_key_for,
    draft_state,
    send_created,
)
from extension.invoicing.create_open import open_form
from extension.invoicing.create_post import check_number, submit

__all__ = [
    "LEASE",
    "DraftNotFound",
    "CreatedInvoice",
    "NotConnected",
    "Busy",
    "Stalled",
    "LineNoter",
    "draft_key_for",
    "open_form",
    "submit",
    "draft_state",
    "check_number",
    "send_created",
    "created_pdf",
]
