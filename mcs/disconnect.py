"""An HTTP request whose client hangs up stops there.

Without this a client could send an expensive query and leave: the server would go on building
an answer nobody reads. Once the app has read the request's body (at once for GET and HEAD,
whose body it does not read), a watcher reads the ASGI receive channel, and an `http.disconnect`
that comes before the response is complete cancels the request where it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def run_until_disconnect(
    app: Callable[..., Awaitable[None]], scope, receive, send, cancelled: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Run `app(scope, receive, send)` in this task, cancelled when the client disconnects; then
    await `cancelled()` (e.g. to let the request's database statements in flight finish)."""
    task = asyncio.current_task()
    assert task is not None  # a coroutine of the server's, run in a task
    state = {"finished": False, "responded": False, "stopped": False}
    inbox: asyncio.Queue = asyncio.Queue()  # what the watcher read, for the app if it asks
    watcher: asyncio.Task | None = None

    async def watch():
        while True:
            try:
                message = await receive()
            except Exception as error:  # noqa: BLE001 - e.g. RequestScope's BodyTooLarge: the app's to raise
                inbox.put_nowait(error)
                return
            inbox.put_nowait(message)  # a GET's empty body, or the disconnect
            if message["type"] == "http.disconnect":
                if not state["finished"] and not state["responded"]:
                    state["stopped"] = True
                    task.cancel()
                return

    def start_watching():
        nonlocal watcher
        if watcher is None:
            watcher = asyncio.create_task(watch())

    async def app_receive():
        if watcher is None:  # the app reads its body itself, chunk by chunk
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                start_watching()  # the body is in: what comes next is the disconnect
            return message
        message = await inbox.get()
        if isinstance(message, BaseException):
            raise message
        if message["type"] == "http.disconnect":
            inbox.put_nowait(message)  # for whoever asks next
        return message

    async def app_send(message):
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            state["responded"] = True  # what follows (background tasks) runs to its end
        await send(message)

    if scope.get("method") in ("GET", "HEAD"):
        start_watching()
    try:
        await app(scope, app_receive, app_send)
    except asyncio.CancelledError:
        if not state["stopped"] or task.uncancel() > 0:
            raise  # cancelled from outside too (shutdown): not ours to swallow
        if cancelled is not None:
            await cancelled()
    finally:
        state["finished"] = True
        if watcher is not None:
            watcher.cancel()
