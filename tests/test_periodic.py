"""core/periodic.py: the one loop behind every background job and the realtime hub's pump."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.periodic import Sooner, run_periodically
from mcs.jobs import jobs


class Passes:
    def __init__(self, results=()):
        self.times: list[float] = []
        self.results = list(results)

    async def __call__(self):
        self.times.append(asyncio.get_running_loop().time())
        result = self.results.pop(0) if self.results else None
        if isinstance(result, Exception):
            raise result
        return result


async def run_for(seconds: float, *args, **kwargs) -> None:
    task = asyncio.create_task(run_periodically(*args, **kwargs))
    await asyncio.sleep(seconds)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_pass_every_interval_the_first_at_start_only_when_asked():
    late, early = Passes(), Passes()
    await asyncio.gather(
        run_for(0.25, "late", late, every_seconds=0.1), run_for(0.25, "early", early, every_seconds=0.1, at_start=True)
    )
    assert len(late.times) == 2 and len(early.times) == 3


async def test_a_wake_up_runs_a_pass_at_once_and_what_wakes_during_a_pass_runs_the_next():
    wake = asyncio.Event()
    passes = Passes()
    task = asyncio.create_task(run_periodically("woken", passes, every_seconds=60, wake=wake))
    await asyncio.sleep(0.02)
    assert passes.times == []
    wake.set()
    await asyncio.sleep(0.02)
    assert len(passes.times) == 1 and not wake.is_set()
    task.cancel()


async def test_failures_are_logged_once_with_their_traceback_then_once_when_it_works_again(caplog):
    passes = Passes([RuntimeError("base caída"), RuntimeError("base caída"), None])
    with caplog.at_level(logging.DEBUG, logger="mcs.periodic"):
        await run_for(0.28, "a job", passes, every_seconds=0.05, at_start=True)
    assert len(passes.times) >= 4  # a failed pass is tried again at the next interval
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info and "a job failed" in errors[0].getMessage()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "a job works again after 2 failed tries"
    ]


async def test_a_loop_that_only_wakes_retries_a_failed_pass_with_a_growing_back_off():
    wake = asyncio.Event()
    passes = Passes([RuntimeError("1"), RuntimeError("2"), RuntimeError("3"), None])
    task = asyncio.create_task(run_periodically("pump", passes, wake=wake))
    wake.set()
    await asyncio.sleep(1.0)
    task.cancel()
    assert len(passes.times) == 4  # the woken pass and three retries, then it waits for the next wake-up
    gaps = [b - a for a, b in zip(passes.times, passes.times[1:])]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19 and gaps[2] >= 0.39


async def test_a_pass_may_ask_for_the_next_one_sooner_never_later():
    passes = Passes([Sooner(0.05), Sooner(10), None])
    await run_for(0.3, "clean-up", passes, every_seconds=0.2, at_start=True)
    gaps = [b - a for a, b in zip(passes.times, passes.times[1:])]
    assert 0.04 <= gaps[0] < 0.15 and gaps[1] >= 0.19  # Sooner(10) is capped by the interval


def test_the_app_declares_every_background_job(services):
    names = {job.name for job in jobs(services)}
    assert {"deadlines", "text extraction", "export clean-up", "notifications"} <= names
    assert all(job.at_start for job in jobs(services) if job.name in {"deadlines", "text extraction"})
