"""Connections that hold a place without finishing their request are closed.

uvicorn closes idle keep-alive connections, but a client that sends its headers a byte at a
time, or stops in the middle of a body, is waited for forever: a few hundred such sockets hold
the server (slowloris). This protocol (uvicorn's httptools one, with two timers) closes a
connection whose request headers are not complete `header_timeout` seconds after the request
(or the connection) began, and one whose body makes no progress for `body_timeout` seconds.
"""

from __future__ import annotations

from asyncio import TimerHandle

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def guarded_protocol(header_timeout: float, body_timeout: float) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol with these limits (uvicorn.Config(http=...) takes the class)."""

    class SlowClientGuard(HttpToolsProtocol):
        _deadline: TimerHandle | None = None

        def _arm(self, seconds: float) -> None:
            self._disarm()
            if seconds > 0:
                self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm(header_timeout)  # a connection that says nothing is no better

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm(header_timeout)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            if self.parser.should_upgrade():
                self._disarm()  # a websocket: the protocol changes hands now
            else:
                self._arm(body_timeout)

        def on_body(self, body: bytes) -> None:
            super().on_body(body)
            self._arm(body_timeout)  # progress: the stall clock starts again

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._disarm()

    return SlowClientGuard
