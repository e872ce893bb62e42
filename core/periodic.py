"""Background loops, written once: a pass every so often and/or at once when woken, calm logging
through an outage, a back-off while a woken pass keeps failing, and a clean stop on cancel.

Every loop of the app is one of these: the declared jobs (mcs/jobs.py: deadlines, notifications,
text extraction, export clean-up, sweeps) and the realtime hub's pump and catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("mcs.periodic")

FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS = 0.1, 5.0


class Failures:
    """A loop that retries through an outage logs it calmly: the first failure with its
    traceback, the next ones not at all (a database down for a minute would otherwise write a
    traceback every few seconds), and one line when it works again."""

    def __init__(self, what: str):
        self.what = what
        self.count = 0

    def failed(self, error: Exception) -> None:
        self.count += 1
        if self.count == 1:
            log.exception("%s failed; retrying until it works (%s)", self.what, error)
        else:
            log.debug("%s failed again (%d): %s", self.what, self.count, error)

    def ok(self) -> None:
        if self.count:
            log.warning("%s works again after %d failed tries", self.what, self.count)
            self.count = 0


class Sooner(float):
    """What a pass returns to have the next one in fewer seconds than the loop's interval."""


async def run_periodically(
    what: str,
    run: Callable[[], Awaitable[object]],
    *,
    every_seconds: float | None = None,
    wake: asyncio.Event | None = None,
    at_start: bool = False,
) -> None:
    """Run `run` every `every_seconds` (None: only when woken), and at once whenever `wake` is set
    (cleared before the pass, so what is signalled during a pass wakes the next one). `at_start`:
    the first pass right away instead of after the first wait. A failed pass is retried at the
    next interval, or, for a loop that only wakes, after a back-off of 0.1 s doubling to 5 s."""
    failures = Failures(what)
    retry = FIRST_RETRY_SECONDS
    wait: float | None = 0.0 if at_start else every_seconds
    while True:
        if wait is None or wait > 0:
            await _until(wait, wake)
        if wake is not None:
            wake.clear()
        try:
            result = await run()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the loop goes on; the next pass tries again
            failures.failed(error)
            if every_seconds is None:
                await asyncio.sleep(retry)
                retry = min(retry * 2, MAX_RETRY_SECONDS)
                wait = 0.0
            else:
                wait = every_seconds
            continue
        failures.ok()
        retry = FIRST_RETRY_SECONDS
        wait = every_seconds if every_seconds is None or not isinstance(result, Sooner) else min(result, every_seconds)


async def _until(seconds: float | None, wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(seconds or 0)
    elif seconds is None:
        await wake.wait()
    else:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), seconds)
