"""Reads side by side that stop together.

``asyncio.gather`` raises the first failure but leaves the other awaitables running. Where the
reads run beside a check (the deal as the user sees it: a hidden deal raises), the others must
not go on after the check said no, nor outlive the request: :func:`together` cancels them and
waits for them to end before the failure goes up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar, overload

__all__ = ["together"]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")


@overload
async def together(first: Awaitable[A], second: Awaitable[B], /) -> tuple[A, B]: ...


@overload
async def together(
    first: Awaitable[A], second: Awaitable[B], third: Awaitable[C], /
) -> tuple[A, B, C]: ...


async def together(*reads: Awaitable[Any]) -> tuple[Any, ...]:
    tasks = [asyncio.ensure_future(read) for read in reads]
    try:
        return tuple(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
