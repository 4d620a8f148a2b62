"""Reading a request body with a ceiling, before anything else looks at it.

Server-to-server callers (Intuit's webhooks, Pipedrive's notices) send small bodies; a huge
one is refused with 413 as soon as it passes the limit, so no HMAC is computed over it and it
is never held in memory whole.
"""

from __future__ import annotations

from starlette.requests import Request

from extension.web.messages import BodyTooLarge

__all__ = ["read_limited"]


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)
