"""The requestid of an emailing: one per send the person meant.

The page that offers "Send" carries the delivery time it showed (empty when the invoice was
never sent). Two clicks on that page (a double click, a retried request, two tabs showing the
same state) derive the same requestid, so QuickBooks answers the second from its replay store
and the customer gets one email, however the requests interleave. A page rendered after the
send shows the new delivery time, so "Send again" from it is a new send.

The value comes from the browser, but it only chooses between "the same send" and "a new
send", which the person can already choose by clicking again: nothing to trust or verify.
"""

from __future__ import annotations

import hashlib


def send_request_id(realm_id: str, invoice_id: str, shown_sent_at: str) -> str:
    shown = shown_sent_at.strip()[:64]
    text = f"send\x00{realm_id}\x00{invoice_id}\x00{shown}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]
