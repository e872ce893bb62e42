"""Long-lived subscriptions hold no memory per delivered event.

A web app keeps its socket open all day: whatever a delivery leaves behind for the life of a
subscription grows the server without bound. The server here is a real uvicorn in a process of
its own (so its RSS is its own, whatever ran before in the test process), configured like
`mcs serve`. graphql-transport-ws clients of distinct users with different memberships keep a
few tabs (sockets) open on the web app's own inbox subscription (web/src/graphql/box.graphql)
and, for some, inboxSummary and documentEvents, while mutations sent to that server produce the
events. After a warm-up the test measures, in the server process:

- its RSS (/proc/<pid>/status) over thousands of deliveries. Before each reading the garbage is
  collected and glibc is asked to give back what was freed (malloc_trim): the figure is memory
  still held, not free memory the allocator keeps at hand;
- with tracemalloc, the Python allocations that grew in each of two equal windows of
  deliveries, by line: a cache filling up grows in the first only, what every delivery leaves
  behind grows in both. The top ones are printed (and shown on failure).

The cause it guards against (schema/shared_render.py): graphql-core's per-event executor is a
shallow copy of the subscription's and shared its memo of collected subfields, keyed by lists
each event builds anew, so every delivered event left ~1.5 KB of Python objects (~1.7 KiB of RSS
here) until the subscription closed.

A second test checks, by counting objects in this process, that a subscription waiting for news
holds none of the events it delivered (a bounded cost, but up to a replay's 100 events, or a
batch of 500, per idle subscription).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import websockets

from models.events import Event as EventRow
from tests.conftest import Api
from tests.live import WsClient, free_port, start_server
from tests.workflow import Flow
from tests.world import register_many

# the web app's subscription, as it sends it (web/src/graphql/box.graphql)
INBOX = """subscription InboxEvents($after: String) {
  inboxEvents(afterSequence: $after) {
    sequence
    kind
    occurredAt
    data
    turno { id number toUnit { id } fromUnit { id } }
    document { id folio }
  }
}"""
SUMMARY = "subscription { inboxSummary { green yellow red none notAcknowledged awaitingEvaluation } }"
DOCUMENT = "subscription($id: ID!) { documentEvents(documentId: $id) { sequence kind data actor { username } } }"
UPDATE = "mutation($input: UpdateDocumentInput!) { updateDocument(input: $input) { errors { code field message } } }"

# (user, also inboxSummary, also documentEvents of the long-lived document): each a different
# membership (unit x role), from the root's ADMIN to a department's STAFF
SUBSCRIBERS = [
    ("admin", True, False),
    ("dg_head", True, True),
    ("dg_reg", False, False),
    ("da_head", False, True),
    ("da_reg", False, False),
    ("da_staff", True, True),
    ("da_viewer", False, False),
    ("srh_head", True, False),
    ("srh_reg", False, False),
    ("srh_staff", False, False),
    ("drh_staff", True, False),
    ("dj_head", False, False),
    ("dj_reg", False, False),
    ("dj_staff", True, False),
    ("dj_viewer", False, False),
]
TABS = 3  # sockets per user (the web app opens one per tab), each with its own inbox subscription
# one round: a registration in a unit, a turno from there to another unit, its acknowledgement
# there, and a correction of the long-lived document (DA): four events, each reaching several
# of the users above, at different levels of the tree
ROUTES = [
    ("da_reg", "DA", "SRH", "srh_staff"),
    ("srh_reg", "SRH", "DRH", "drh_staff"),
    ("dj_reg", "DJ", "DA", "da_staff"),
    ("dg_reg", "DG", "DJ", "dj_staff"),
]

# deliveries before the first RSS reading: more than the 500 the issue asks for, because the
# server's RSS still rises by 1-2 MiB, once, over its next ~1,500 deliveries (the allocators
# reaching their working set; the Python allocations that keep growing are the few bytes the
# tracemalloc check reports), which over this window would read as 0.2-0.3 KiB per delivery
WARM_UP = 2_000
MEASURED = 6_000  # deliveries between the two RSS readings
TRACE_WARM_UP = 200  # deliveries traced before the first snapshot
TRACED = 500  # deliveries in each of the two traced windows
MAX_RSS_KB_PER_DELIVERY = 0.5  # before the fix: ~1.7; with it, 0.1 to 0.3
MAX_TRACED_BYTES_PER_DELIVERY = 150  # before the fix: ~1,500; with it, 15 to 70

CONTROL = "/_memory_test/"  # the child's own routes, answered before the app sees the request


# --- the server process ---------------------------------------------------------------------


def serve_child() -> None:
    """Entry point of the server process: `python -c "...; serve_child()" CONFIG_JSON`."""
    asyncio.run(_serve(json.loads(sys.argv[1])))


async def _serve(config: dict) -> None:
    import uvicorn

    from mcs.app import build_services, create_app
    from mcs.serve import uvicorn_config
    from core.settings import Settings
    from models.clock import FrozenClock

    settings = Settings.from_env(**config["settings"])
    services = build_services(settings, clock=FrozenClock(datetime.fromisoformat(config["now"])))
    app = create_app(services=services, host="127.0.0.1")
    control = _Control(services)

    async def with_control(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(CONTROL):
            return await control(scope, send)
        return await app(scope, receive, send)

    # as `mcs serve` does (mcs/serve.py): what is loaded now is frozen out of the collections
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    server = uvicorn.Server(
        uvicorn_config(with_control, settings, "127.0.0.1", config["port"], log_level="warning", lifespan="on")
    )
    await server.serve()


def _collect_garbage() -> None:
    for _ in range(3):
        gc.collect()


try:
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc: RSS then includes free memory the allocator keeps
    _malloc_trim = None


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def growing_in_both(
    first: tracemalloc.Snapshot, second: tracemalloc.Snapshot, third: tracemalloc.Snapshot
) -> list[tuple[int, int, str]]:
    """(bytes, blocks, where) of the allocations that grew in both windows, by the smaller growth."""
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    first, second, third = (s.filter_traces(ignore) for s in (first, second, third))
    earlier = {stat.traceback: stat for stat in second.compare_to(first, "lineno")}
    growing = []
    for stat in third.compare_to(second, "lineno"):
        before = earlier.get(stat.traceback)
        if before is not None and stat.size_diff > 0 and before.size_diff > 0:
            growing.append(
                (min(stat.size_diff, before.size_diff), min(stat.count_diff, before.count_diff), str(stat.traceback))
            )
    return sorted(growing, key=lambda item: -item[0])


class _Control:
    """What the test asks the server process: its hub's state, its RSS, tracemalloc snapshots."""

    def __init__(self, services):
        self.hub = services.hub
        self.snapshots: list[tracemalloc.Snapshot] = []

    async def __call__(self, scope, send) -> None:
        action = scope["path"][len(CONTROL) :]
        answer = getattr(self, "do_" + action.replace("-", "_"))()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    def do_state(self) -> dict:
        hub = self.hub
        return {
            "live": sum(1 for s in hub.subscriptions if s.live.is_set()),
            "idle": hub.cursor >= hub.last_sequence and not any(s.queue for s in hub.subscriptions),
            "deliveries": hub.stats["deliveries"],
            "overflows": hub.stats["overflows"],
        }

    def do_rss(self) -> dict:
        _collect_garbage()
        if _malloc_trim is not None:
            _malloc_trim(0)
        return {"rss_kb": _rss_kb()}

    def do_trace_start(self) -> dict:
        self.snapshots = []
        tracemalloc.start(1)
        return {}

    def do_snapshot(self) -> dict:
        _collect_garbage()
        self.snapshots.append(tracemalloc.take_snapshot())
        return {}

    def do_trace_report(self) -> dict:
        tracemalloc.stop()
        growing = growing_in_both(*self.snapshots[:3])
        self.snapshots = []
        return {"bytes": sum(size for size, _, _ in growing), "lines": len(growing), "top": growing[:10]}


# --- the test ---------------------------------------------------------------------------------


class ServerProcess:
    def __init__(self, services, log_path: Path):
        self.port = free_port()
        settings = services.settings
        config = {
            "port": self.port,
            "now": services.clock.now().isoformat(),
            "settings": {
                "database_url": settings.database_url,
                "redis_url": settings.redis_url,
                "redis_channel": settings.redis_channel,
                "files_dir": str(settings.files_dir),
                "secret_key": settings.secret_key,
                "deadline_watch_seconds": 0,
                "text_extraction_seconds": 0,
                "realtime_catchup_seconds": 1.0,
                "debug": False,
            },
        }
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from tests.test_realtime_memory import serve_child; serve_child()",
                json.dumps(config),
            ],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=60)

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def wait_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server process ended ({self.process.returncode}): {self.log_tail()}")
            try:
                await self.ask("state")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise AssertionError(f"the server process did not start: {self.log_tail()}")

    async def ask(self, action: str) -> dict:
        response = await self.http.get(CONTROL + action)
        response.raise_for_status()
        return response.json()

    def log_tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-3000:]

    async def stop(self) -> None:
        await self.http.aclose()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


@pytest.fixture
async def server(services, tmp_path):
    process = ServerProcess(services, tmp_path / "server.log")
    try:
        await process.wait_up()
        yield process
    finally:
        await process.stop()


class Subscriber:
    """One socket, read all the time like a browser's: counts what arrives, keeps nothing but
    the problems."""

    def __init__(self, username: str, client: WsClient):
        self.username, self.client = username, client
        self.received = 0
        self.last_at = time.monotonic()
        self.problems: list = []
        self.task = asyncio.create_task(self.read_forever())

    async def read_forever(self) -> None:
        try:
            while True:
                message = json.loads(await self.client.socket.recv())
                self.last_at = time.monotonic()
                if message["type"] != "next":
                    self.problems.append(message)
                elif message["payload"].get("errors"):
                    self.problems.append(message["payload"]["errors"])
                else:
                    self.received += 1
        except websockets.ConnectionClosed:
            pass


async def open_subscribers(server: ServerProcess, world, document_id: str) -> tuple[list[Subscriber], int]:
    subscribers, operations = [], 0
    for username, summary, follows_document in SUBSCRIBERS:
        for tab in range(TABS):
            client = await WsClient.connect(server.ws_url, world.tokens[username])
            await client.subscribe(INBOX)
            operations += 1
            if tab == 0 and summary:
                await client.subscribe(SUMMARY)
                operations += 1
            if tab == 0 and follows_document:
                await client.subscribe(DOCUMENT, {"id": document_id})
                operations += 1
            subscribers.append(Subscriber(username, client))
    deadline = time.monotonic() + 30
    while (live := (await server.ask("state"))["live"]) < operations:
        problems = [(s.username, s.problems) for s in subscribers if s.problems]
        if problems or time.monotonic() > deadline:
            raise AssertionError(f"{live} of {operations} subscriptions live: {problems}")
        await asyncio.sleep(0.05)
    return subscribers, operations


class Load:
    """Produces events with mutations sent to the server, round after round, until enough results
    reached the clients."""

    def __init__(self, server: ServerProcess, world, subscribers: list[Subscriber], document_id: str):
        self.server, self.flow = server, Flow(Api(server.http), world)
        self.subscribers, self.document_id = subscribers, document_id
        self.rounds = 0

    @property
    def delivered(self) -> int:
        return sum(s.received for s in self.subscribers)

    async def round(self) -> None:
        reg, unit, to_unit, acknowledger = ROUTES[self.rounds % len(ROUTES)]
        flow = self.flow
        document = await flow.register(user=reg, unit=unit, reference=f"MEM/{self.rounds}")
        sent = await flow.send(
            reg, document=document["id"], recipients=[{"unitId": to_unit, "instruction": "RESPONSE"}]
        )
        assert sent["errors"] == [], sent
        acknowledged = await flow.ack(acknowledger, sent["turnos"][0]["id"])
        assert acknowledged["errors"] == [], acknowledged
        updated = await flow.run(
            "da_reg",
            UPDATE,
            {"input": {"documentId": self.document_id, "subject": f"Asunto corregido {self.rounds}"}},
            "updateDocument",
        )
        assert updated["errors"] == [], updated
        self.rounds += 1

    async def settle(self) -> None:
        """Wait until every event written was handed out and every socket is quiet."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if (
                time.monotonic() - max(s.last_at for s in self.subscribers) > 0.3
                and (await self.server.ask("state"))["idle"]
            ):
                return
        raise AssertionError("the deliveries did not settle within 30 s")

    async def deliver(self, count: int) -> int:
        """Run rounds until at least `count` more results reached the clients; how many did."""
        start = self.delivered
        while self.delivered - start < count:
            await self.round()
        await self.settle()
        for s in self.subscribers:
            assert not s.problems, (s.username, s.problems[:3])
        return self.delivered - start


async def test_long_lived_subscriptions_hold_no_memory_per_delivered_event(server, world, backend):
    started = time.monotonic()
    long_lived = await Flow(Api(server.http), world).register(user="da_reg", unit="DA", reference="MEM/long-lived")
    subscribers, operations = await open_subscribers(server, world, long_lived["id"])
    load = Load(server, world, subscribers, long_lived["id"])
    try:
        await load.deliver(WARM_UP)
        rss_before, handed_before = (await server.ask("rss"))["rss_kb"], (await server.ask("state"))["deliveries"]
        delivered = await load.deliver(MEASURED)
        rss_after, state = (await server.ask("rss"))["rss_kb"], await server.ask("state")
        rss_per_delivery = (rss_after - rss_before) / delivered
        rss_figures = (
            f"[{backend}] server RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB over {delivered:,} results "
            f"delivered after {WARM_UP} of warm-up, to {len(subscribers)} sockets of {len(SUBSCRIBERS)} users "
            f"({operations} subscriptions; {state['deliveries'] - handed_before:,} events handed out): "
            f"{rss_per_delivery:.3f} KiB per delivery"
        )
        print(f"\n{rss_figures} ({time.monotonic() - started:.0f} s)")

        await server.ask("trace-start")
        await load.deliver(TRACE_WARM_UP)
        await server.ask("snapshot")
        in_first = await load.deliver(TRACED)
        await server.ask("snapshot")
        in_second = await load.deliver(TRACED)
        await server.ask("snapshot")
        report = await server.ask("trace-report")
        per_window = max(in_first, in_second)
        traced_per_delivery = report["bytes"] / per_window
        traced_figures = (
            f"[{backend}] server tracemalloc: {traced_per_delivery:.0f} bytes per delivery grew in both "
            f"windows of ~{per_window} deliveries ({report['lines']} lines)"
        )
        top = "\n".join(
            f"  {size / 1024:+.1f} KiB in {blocks:+d} blocks at {where}" for size, blocks, where in report["top"]
        )
        print(f"{traced_figures}\n{top}")
        overflows = (await server.ask("state"))["overflows"]  # queues that overflowed: read from their cursor instead
        print(
            f"[{backend}] {load.rounds} rounds, {4 * load.rounds} events, {overflows} overflows, "
            f"{time.monotonic() - started:.0f} s"
        )

        assert rss_per_delivery <= MAX_RSS_KB_PER_DELIVERY, f"{rss_figures}\n{traced_figures}\n{top}"
        assert traced_per_delivery <= MAX_TRACED_BYTES_PER_DELIVERY, f"{traced_figures}\n{top}"
    finally:
        for subscriber in subscribers:
            await subscriber.client.close()
        await asyncio.gather(*(s.task for s in subscribers), return_exceptions=True)


async def test_an_idle_subscription_holds_none_of_the_events_it_delivered(services, world):
    """A subscription waiting for news holds no event it delivered: neither those it replayed from
    its cursor (the web app resumes from the last sequence it saw after every reconnection) nor
    the hub's batch of its last live one (resolvers/streams.py, schema/subscription.py)."""
    server = await start_server(services)  # in this process: its objects are this test's to count
    try:
        await register_many(services, world, 30, user="da_reg", unit="DA")
        client = await WsClient.connect(server.ws_url, world.tokens["da_head"])
        await client.subscribe(INBOX, {"after": "0"})
        assert len(await client.take(30)) == 30  # replayed from the cursor
        await server.wait_live(1)
        await register_many(services, world, 1, user="da_reg", unit="DA")
        assert (await client.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"  # handed out by the hub
        await client.nothing_for(0.3)
        _collect_garbage()
        held = sorted(o.id for o in gc.get_objects() if isinstance(o, EventRow))
        assert held == [], f"events still held by an idle subscription: {held}"
        await client.close()
    finally:
        await server.stop()
