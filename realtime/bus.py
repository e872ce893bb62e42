"""The fan-out that wakes subscribers after a commit. It carries no data: subscribers read the
events after their cursor from the database, so a lost wake-up loses nothing.

This is the in-process implementation (the embedded default); the Redis one shares the same
interface for several server instances.
"""

from __future__ import annotations

import asyncio


class InProcessBus:
    def __init__(self):
        self.last_sequence = 0
        self._changed = asyncio.Condition()

    async def publish(self, sequence: int) -> None:
        """Events up to `sequence` are committed."""
        async with self._changed:
            if sequence > self.last_sequence:
                self.last_sequence = sequence
            self._changed.notify_all()

    async def wait_beyond(self, sequence: int, timeout: float) -> int:
        """Wait until something after `sequence` was published, or the timeout passes."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.last_sequence > sequence), timeout)
            except asyncio.TimeoutError:
                pass
            return self.last_sequence

    async def close(self) -> None:
        pass
