"""`mcs serve --workers N`: N server processes on one port, so one host uses all its cores.

Pre-fork with SO_REUSEPORT. The parent imports everything, binds the port once (it keeps that
socket bound but never listens on it: `--port 0` picks one port for all, and the port stays ours
between worker restarts), freezes what it loaded out of the garbage collector (the pages stay
shared with the workers) and forks. Each worker builds its own app (engine, pool, Redis bus,
hub, background jobs) and listens on a socket of its own bound to the same port with
SO_REUSEPORT: the kernel spreads new connections evenly over the workers by their addresses.
Even spreading matters here: most of the load is long-lived websockets, and a shared accept
socket hands a burst of connections to whichever worker wakes first.

The workers meet only through PostgreSQL and Redis, exactly like separate instances: a commit
on one wakes the hubs of all through the Redis bus. So N > 1 needs both (`check_workers`).

The parent only supervises: SIGTERM or SIGINT goes to every worker as SIGTERM (each stops
gracefully: websockets closed with 1012, requests in flight finished), and it exits once they
all did, 0 when they all exited 0. A worker that dies is started again (at most RESTARTS per
minute); one that fails to start (exit 3, uvicorn's STARTUP_FAILURE) stops them all: the
others would fail the same way.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import sys
import time

from core.settings import Settings

log = logging.getLogger("mcs")

STARTUP_FAILURE = 3
RESTARTS = 5  # per minute, before the parent gives up


def check_workers(settings: Settings, workers: int) -> str | None:
    """Why `workers` processes cannot run with these settings (None: they can)."""
    if workers < 1:
        return "--workers debe ser 1 o más."
    if workers == 1:
        return None
    if settings.is_sqlite:
        return (
            f"--workers {workers} necesita PostgreSQL y Redis: con SQLite cada proceso tendría su propia "
            "escritura y sus suscriptores no se enterarían de lo que hacen los otros. Use --workers 1 (o "
            "MCS_DATABASE_URL=postgresql+asyncpg://… y MCS_REDIS_URL=redis://…)."
        )
    if not settings.redis_url:
        return (
            f"--workers {workers} necesita MCS_REDIS_URL: los procesos se avisan de los eventos nuevos por "
            "Redis; sin él, los suscriptores de un proceso no recibirían lo que se registra en otro. Use "
            "--workers 1 o configure MCS_REDIS_URL=redis://…."
        )
    return None


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port with SO_REUSEPORT (not listening)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(False)
    return sock


def _die_with_parent() -> None:
    """A worker ends (gracefully, SIGTERM) if the supervisor is killed outright (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_worker(settings: Settings, host: str, port: int, index: int, workers: int) -> int:
    """In a forked worker: our app and uvicorn on a socket of its own."""
    from mcs.app import create_app
    from mcs.serve import RedactSignatures, Server, uvicorn_config

    class WorkerServer(Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            # the app has started (schema, pool, hub, jobs): what it keeps from now on is
            # frozen out of the cyclic GC, which bench/INBOX.md measured at a third of a request's CPU
            gc.collect()
            gc.freeze()

        async def banner(self, sockname) -> None:
            if index == 0:  # once per host, not once per worker
                await super().banner(sockname)
                print(f"{workers} procesos sirven ese puerto (supervisor: pid {os.getppid()}).\n", flush=True)

    sock = bind(host, port)
    app = create_app(settings, host=host)
    gc.collect()
    gc.freeze()
    config = uvicorn_config(app, settings, host, port)
    logging.getLogger("uvicorn.access").addFilter(RedactSignatures())
    server = WorkerServer(config, settings)
    # as mcs/serve.py: uvicorn raises the SIGTERM it handled again after the run; this takes it
    signal.signal(signal.SIGTERM, lambda signum, frame: setattr(server, "should_exit", True))
    log.info("worker %d/%d pid %d", index + 1, workers, os.getpid())
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE


class Supervisor:
    def __init__(self, settings: Settings, host: str, port: int, workers: int):
        self.settings, self.host, self.port, self.workers = settings, host, port, workers
        self.children: dict[int, int] = {}  # pid -> worker index
        self.stopping = False
        self.failed = False
        self.restarts: list[float] = []

    def spawn(self, index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _die_with_parent()
                code = run_worker(self.settings, self.host, self.port, index, self.workers)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
            except BaseException:  # noqa: BLE001 - reported, and the worker ends
                log.exception("worker %d failed", index + 1)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = index

    def stop(self, signum=None, frame=None) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for first in range(self.workers):
            self.spawn(first)
        status = 0
        while self.children:
            try:
                pid, wait_status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            index = self.children.pop(pid, None)
            if index is None:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            if self.stopping:
                if code != 0:
                    log.warning("worker %d (pid %d) ended with %s", index + 1, pid, code)
                    status = status or 1
                continue
            if code == STARTUP_FAILURE:
                log.error("worker %d (pid %d) could not start; stopping the others", index + 1, pid)
                status = STARTUP_FAILURE
                self.stop()
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < 60] + [now]
            if len(self.restarts) > RESTARTS:
                log.error("workers died %d times within a minute; stopping", len(self.restarts))
                status = 1
                self.stop()
                continue
            log.warning("worker %d (pid %d) ended with %s; starting it again", index + 1, pid, code)
            time.sleep(0.5)
            if not self.stopping:
                self.spawn(index)
        return status


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> int:
    """Bind the port once, fork `workers` workers, supervise them until SIGTERM/SIGINT."""
    import mcs.app  # noqa: F401 - imported once, before the fork: the workers share these pages
    import mcs.serve  # noqa: F401

    try:
        reserved = bind(host, port)  # the port for all, bound now: busy, it fails here, once
    except OSError as error:
        print(f"No se pudo usar {host}:{port}: {error}", file=sys.stderr)
        return 1
    port = reserved.getsockname()[1]
    # loaded code and data out of the cyclic GC before the fork: the workers' collections never
    # touch (and so never copy) those shared pages
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    log.info("supervisor pid %d: %d workers on %s:%d (SO_REUSEPORT)", os.getpid(), workers, host, port)
    try:
        return Supervisor(settings, host, port, workers).run()
    finally:
        reserved.close()
