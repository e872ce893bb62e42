"""Follow the MCS inbox feed: print events, keep the cursor in a file, resume after a restart."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from pathlib import Path

import websockets

SUBSCRIPTION = """subscription($after: String) {
  inboxEvents(afterSequence: $after) {
    sequence kind occurredAt
    turno { number status toUnit { acronym } }
    document { folio }
  }
}"""


def login(url: str, username: str, password: str) -> str:
    body = json.dumps(
        {
            "query": "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) "
            "{ token errors { code message } } }",
            "variables": {"u": username, "p": password},
        }
    ).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        payload = json.load(response)["data"]["login"]
    if not payload["token"]:
        raise SystemExit(f"login failed: {payload['errors']}")
    return payload["token"]


class Cursor:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> str | None:
        return self.path.read_text().strip() or None if self.path.exists() else None

    def write(self, sequence: str | None) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(sequence or "")
        tmp.replace(self.path)  # atomic: a crash never leaves half a cursor


# errors worth resuming after; FORBIDDEN on a field is normal (a confidential subject is masked)
TRANSIENT = {"INTERNAL", None}


async def follow(ws_url: str, token: str, cursor: Cursor, max_events: int | None) -> None:
    seen, backoff = 0, 0.5
    while True:
        try:
            async with websockets.connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
                ack = json.loads(await ws.recv())
                if ack["type"] != "connection_ack":
                    raise SystemExit(f"not accepted: {ack}")
                await ws.send(
                    json.dumps(
                        {
                            "id": "inbox",
                            "type": "subscribe",
                            "payload": {"query": SUBSCRIPTION, "variables": {"after": cursor.read()}},
                        }
                    )
                )
                async for raw in ws:
                    message = json.loads(raw)
                    if message["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                        continue
                    errors = (
                        message["payload"]
                        if message["type"] == "error"
                        else (message.get("payload") or {}).get("errors") or []
                    )
                    codes = {(e.get("extensions") or {}).get("code") for e in errors}
                    if "BACKLOG_TOO_LARGE" in codes:
                        print("cursor too old: following from now", file=sys.stderr)
                        cursor.write(None)
                        break
                    if codes & TRANSIENT or message["type"] == "complete":
                        # the server had a passing problem (or ended the stream): resume from the
                        # cursor, which has not moved past this event, after a pause
                        print(
                            f"server error {sorted(c for c in codes if c)}; resuming in {backoff:.1f}s", file=sys.stderr
                        )
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 30)
                        break
                    if errors and not (message.get("payload") or {}).get("data"):
                        raise SystemExit(
                            f"subscription refused: {errors}"
                        )  # a bad query or no access: retrying won't help
                    event = message["payload"]["data"]["inboxEvents"]
                    print(json.dumps(event, ensure_ascii=False), flush=True)
                    cursor.write(event["sequence"])
                    backoff = 0.5
                    seen += 1
                    if max_events is not None and seen >= max_events:
                        return
        except (OSError, websockets.ConnectionClosed) as error:
            if isinstance(error, websockets.ConnectionClosed) and error.rcvd and error.rcvd.code == 4403:
                raise SystemExit("the server closed the session (4403): sign in again")
            print(f"disconnected ({error}); retrying in {backoff:.1f}s", file=sys.stderr)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--token")
    parser.add_argument("--cursor-file", default=".inbox-cursor", type=Path)
    parser.add_argument("--max-events", type=int)
    args = parser.parse_args()
    token = args.token or login(args.url, args.username, args.password)
    ws_url = args.url.replace("http://", "ws://").replace("https://", "wss://")
    asyncio.run(follow(ws_url, token, Cursor(args.cursor_file), args.max_events))


if __name__ == "__main__":
    main()
