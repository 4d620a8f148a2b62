"""The htmx protocol helpers: what they read from requests and write into responses."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request
from starlette.responses import Response

from extension.htmx import HtmxDetails, reswap, retarget, trigger_client_event, vary_on_htmx


def _request(**headers: str) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_details_of_a_plain_request() -> None:
    details = HtmxDetails.from_request(_request())
    assert not details and not details.wants_fragment
    assert details.target is None and details.trigger is None and details.current_url is None


def test_details_of_an_htmx_request() -> None:
    details = HtmxDetails.from_request(
        _request(
            **{
                "HX-Request": "true",
                "HX-Target": "panel-content",
                "HX-Trigger": "refresh",
                "HX-Current-URL": "https://app.example.com/panel/deal",
                "HX-Boosted": "true",
            }
        )
    )
    assert details and details.wants_fragment and details.boosted
    assert details.target == "panel-content" and details.trigger == "refresh"
    assert details.current_url == "https://app.example.com/panel/deal"


def test_a_history_restore_gets_a_page_not_a_fragment() -> None:
    details = HtmxDetails.from_request(
        _request(**{"HX-Request": "true", "HX-History-Restore-Request": "true"})
    )
    assert details and details.history_restore_request and not details.wants_fragment


@pytest.mark.parametrize(
    ("after", "header"),
    [
        ("receive", "HX-Trigger"),
        ("settle", "HX-Trigger-After-Settle"),
        ("swap", "HX-Trigger-After-Swap"),
    ],
)
def test_client_events_merge_into_one_header(after: str, header: str) -> None:
    response = Response()
    trigger_client_event(response, "app:snackbar", {"message": "Saved."}, after=after)
    trigger_client_event(response, "app:settings-saved", after=after)
    assert json.loads(response.headers[header]) == {
        "app:snackbar": {"message": "Saved."},
        "app:settings-saved": {},
    }


def test_retarget_reswap_and_vary() -> None:
    response = Response(headers={"Vary": "Accept-Encoding"})
    retarget(response, "#app-error")
    reswap(response, "innerHTML")
    vary_on_htmx(response)
    assert response.headers["HX-Retarget"] == "#app-error"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert response.headers["Vary"] == "Accept-Encoding, HX-Request"
    assert vary_on_htmx(Response()).headers["Vary"] == "HX-Request"
