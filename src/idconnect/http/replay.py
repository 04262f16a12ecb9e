"""An ASGI ``receive`` that hands an app a body already read (or built), then a disconnect."""

from __future__ import annotations

from starlette.types import Message, Receive

__all__ = ["replay"]


def replay(body: bytes) -> Receive:
    """A ``receive`` whose first message is the whole ``body``; every later one a disconnect.

    :param body: the request body the app is to read.
    :returns: the ``receive`` callable to run the app with.
    """
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
