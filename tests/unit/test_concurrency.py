"""``together``: reads side by side; the first failure cancels the others before it goes up."""

from __future__ import annotations

import asyncio

import pytest

from extension.concurrency import together


async def test_answers_in_the_order_asked() -> None:
    async def later(value: int, delay: float) -> int:
        await asyncio.sleep(delay)
        return value

    assert await together(later(1, 0.02), later(2, 0)) == (1, 2)


async def test_a_failure_cancels_the_reads_beside_it_before_it_goes_up() -> None:
    ended: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            ended.append("cancelled")
            raise

    async def refused() -> None:
        await asyncio.sleep(0)
        raise PermissionError("hidden deal")

    with pytest.raises(PermissionError, match="hidden deal"):
        await together(slow(), refused())
    assert ended == ["cancelled"]  # already over when the failure arrived
