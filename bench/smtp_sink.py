"""An SMTP server for benchmarks: accepts every message and appends one line per message,

    <arrival time, Unix seconds> <decoded Subject>

to a file (flushed at once), so that another process can tell when each message arrived.

    .venv/bin/python -m bench.smtp_sink --port 2525 --out /tmp/arrivals.txt

It prints `listening on HOST:PORT` once ready (with `--port 0`, the port it got) and runs until
SIGTERM / SIGINT. The arrival time is taken in `handle_DATA`, just before the "250" that tells
the client the message was accepted. Runs in its own process so that its CPU is not the sender's.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from aiosmtpd.smtp import SMTP

HEADERS = BytesHeaderParser(policy=default_policy)


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        arrived = time.time()
        subject = str(HEADERS.parsebytes(envelope.content).get("Subject", "")).replace("\n", " ").replace("\r", "")
        # one line per accepted message (one per recipient would count the same message twice)
        self.out.write(f"{arrived:.6f} {subject}\n")
        self.out.flush()
        self.count += 1
        return "250 OK"


async def serve(host: str, port: int, path: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        sink = Sink(out)
        loop = asyncio.get_running_loop()
        # hostname given: aiosmtpd would otherwise ask the resolver for this machine's FQDN
        server = await loop.create_server(lambda: SMTP(sink, hostname="bench-sink.local"), host, port)
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on {host}:{bound}", flush=True)
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        server.close()
        await server.wait_closed()
        print(f"accepted {sink.count} messages", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smtp_sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--out", required=True, help="file the arrival lines are appended to")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
