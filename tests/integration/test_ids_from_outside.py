"""Every id from a URL, a form, ``selectedIds``, modal ``data`` or a notice is ASCII digits.

``"²".isdigit()`` is true and ``int("²")`` raises: an unchecked id was a 500 page. Ids that go
into an upstream URL path are checked before the request is built
(``tests/quickbooks/test_client_operations.py``).
"""

from __future__ import annotations

import json

import httpx
import pytest
from bs4 import BeautifulSoup

from extension.ids import parse_id
from tests.support import BASIC, CLIENT_ID, PipedriveFrames, install_user

COMPANY, ADMIN = 5101, 71
ODD = ["²", "١٢", "7²", " 7", "+7", "-7", "7.0", "0", "9" * 19, "", "7,8"]


@pytest.mark.parametrize("raw", ODD)
def test_only_plain_ascii_digits_make_an_id(raw: str) -> None:
    expected = 7 if raw in {" 7"} else None  # surrounding space is trimmed, nothing else
    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", ["²", "١٢", "7²"])
async def test_odd_digits_in_selected_ids_and_modal_data_are_no_deal(
    raw: str, client: httpx.AsyncClient, frames: PipedriveFrames, db
) -> None:
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True)
    panel = await client.get(
        frames.url("/panel/deal", company_id=COMPANY, user_id=ADMIN, selectedIds=raw)
    )
    assert panel.status_code == 200
    assert "This panel only works on a deal" in panel.text
    assert BeautifulSoup(panel.text, "html.parser").select("[hx-get]") == []
    modal = await client.get(
        frames.url(
            "/modals/create-invoice",
            company_id=COMPANY,
            user_id=ADMIN,
            data=json.dumps({"deal_id": raw}),
        )
    )
    assert modal.status_code == 200
    assert "Open this from a deal" in modal.text


async def test_odd_digits_in_a_path_or_notice_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get("/panel/deal/²/content")).status_code == 404
    notice = {"client_id": CLIENT_ID, "company_id": "²", "user_id": "9001"}
    response = await client.request(
        "DELETE", "/pipedrive/callback", json=notice, headers={"Authorization": BASIC}
    )
    assert response.status_code == 400
