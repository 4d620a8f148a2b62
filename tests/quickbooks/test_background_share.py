"""Background work's share of a realm's limits: a few of the ten slots, a fifth of the minute's
requests, and after a 429 a longer rest than the people using the app get."""

from __future__ import annotations

import asyncio
import contextlib

from extension.quickbooks.limits import (
    BACKGROUND_IN_FLIGHT,
    BACKGROUND_PER_MINUTE,
    MAX_IN_FLIGHT_PER_REALM,
    BackgroundShare,
    RealmLimits,
)

REALM = "9341453050071001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_background_takes_a_few_slots_and_leaves_the_rest_to_users() -> None:
    shared = RealmLimits()
    background = BackgroundShare(shared)
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(BACKGROUND_IN_FLIGHT):
            await stack.enter_async_context(background.in_flight(REALM))
        one_more = asyncio.create_task(stack.enter_async_context(background.in_flight(REALM)))
        await asyncio.sleep(0.01)
        assert not one_more.done()  # background waits for its own slots ...
        users = MAX_IN_FLIGHT_PER_REALM - BACKGROUND_IN_FLIGHT
        for _ in range(users):  # ... while every other slot is the users'
            await asyncio.wait_for(stack.enter_async_context(shared.in_flight(REALM)), 0.5)
        one_more.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await one_more


def test_background_spends_at_most_its_share_of_the_minute() -> None:
    clock = FakeClock()
    shared = RealmLimits(clock=clock)
    background = BackgroundShare(shared)
    for _ in range(BACKGROUND_PER_MINUTE):
        assert background.wait_left(REALM) == 0
        background.note_request(REALM)
        clock.now += 0.1
    assert background.wait_left(REALM) > 0  # its share is spent for this minute
    assert shared.wait_left(REALM) == 0  # the users' is not
    clock.now += 60
    assert background.wait_left(REALM) == 0


def test_after_a_429_background_rests_a_window_longer_than_users() -> None:
    clock = FakeClock()
    shared = RealmLimits(clock=clock)
    background = BackgroundShare(shared)
    background.note_request(REALM)
    clock.now += 20
    rest = background.throttled(REALM)
    assert shared.wait_left(REALM) == 40  # the rest of the realm's window, for everyone
    assert rest == background.wait_left(REALM) == 100
    clock.now += 41
    assert shared.wait_left(REALM) == 0 and background.wait_left(REALM) == 59
