"""Sign-in throttling (resolvers/throttle.py): per address, per account, institution-wide; a
client known to the account (an address or browser that signed in to it before) is never kept
out by someone else's failures; counts live in the database; argon2 runs off the event loop.

Each `Browser` is one client: its address (X-Forwarded-For through uvicorn's proxy-headers
middleware, as `mcs serve` runs behind a proxy) and its own cookie jar (the `mcs_device` cookie)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time

import httpx
import pytest
from sqlalchemy import select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import models.users
from mcs.app import build_services, create_app
from models.users import LoginThrottle
from resolvers.throttle import ACCOUNT_FREE, ADDRESS_FREE, DEVICE_COOKIE
from tests.live import start_server
from tests.world import PASSWORD

LOGIN = """mutation($input: LoginInput!) { login(input: $input) {
  token errors { code field message retryAfterSeconds } } }"""
CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  token errors { code field message retryAfterSeconds } } }"""
WRONG = "no-es-la-clave"
ATTACKER = "203.0.113.7"
OFFICE = "10.0.0.5"


class Browser:
    """One client of the app: a fixed address and a cookie jar of its own."""

    def __init__(self, app, address: str):
        self.address = address
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"X-Forwarded-For": address}
        )

    async def gql(self, query: str, variables: dict, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def login(self, username: str, password: str) -> dict:
        return (await self.gql(LOGIN, {"input": {"username": username, "password": password}}))["login"]

    async def change_password(self, token: str, current: str, new: str) -> dict:
        data = await self.gql(CHANGE, {"input": {"currentPassword": current, "newPassword": new}}, token)
        return data["changePassword"]

    @property
    def device_cookie(self) -> str | None:
        return self.client.cookies.get(DEVICE_COOKIE)


@pytest.fixture
async def browsers(services):
    """browsers(address) → a new Browser; all share one app (one instance)."""
    app = ProxyHeadersMiddleware(create_app(services=services), trusted_hosts="127.0.0.1")
    made: list[Browser] = []

    def make(address: str, app=app) -> Browser:
        made.append(Browser(app, address))
        return made[-1]

    yield make
    for browser in made:
        await browser.client.aclose()


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def signed_in(payload: dict) -> bool:
    return payload["errors"] == [] and bool(payload["token"])


def wait_of(payload: dict, field: str = "password") -> int:
    """The wait a THROTTLED answer states, in its message and in retryAfterSeconds (the same)."""
    assert codes(payload) == ["THROTTLED"] and payload["token"] is None, payload
    error = payload["errors"][0]
    match = re.search(r"Intente de nuevo en (\d+) segundos\.$", error["message"])
    assert match, error["message"]
    assert error["field"] == field and error["retryAfterSeconds"] == int(match.group(1)) >= 1
    return int(match.group(1))


async def fail(browser: Browser, username: str, times: int, clock=None) -> None:
    """`times` wrong passwords; with a clock, each wait is sat out first (every try counts)."""
    for _ in range(times):
        result = await browser.login(username, WRONG)
        if clock is not None and codes(result) == ["THROTTLED"]:
            clock.advance(seconds=wait_of(result))
            result = await browser.login(username, WRONG)
        assert codes(result) == ["UNAUTHENTICATED"], result


async def rows(services) -> dict[str, LoginThrottle]:
    async with services.db.session() as session:
        return {r.key: r for r in (await session.execute(select(LoginThrottle))).scalars()}


# --- per address: password spraying ---------------------------------------------------------------


async def test_one_password_sprayed_over_25_usernames_is_slowed(browsers, world, clock):
    attacker = browsers(ATTACKER)
    usernames = list(world.users)[:12] + [f"persona{i}" for i in range(13)]  # real ones and guesses
    outcomes = [await attacker.login(name, "Primavera2026!") for name in usernames]
    refused = [codes(o) for o in outcomes]
    # every username got one try at most, yet the address stops after its free ones
    assert refused[:ADDRESS_FREE] == [["UNAUTHENTICATED"]] * ADDRESS_FREE
    assert refused[ADDRESS_FREE:] == [["THROTTLED"]] * (25 - ADDRESS_FREE)
    first = wait_of(outcomes[ADDRESS_FREE])

    # after the wait one more guess, and the next wait is longer
    clock.advance(seconds=first)
    assert codes(await attacker.login(usernames[ADDRESS_FREE], "Primavera2026!")) == ["UNAUTHENTICATED"]
    assert wait_of(await attacker.login(usernames[ADDRESS_FREE + 1], "Primavera2026!")) > first

    # the people sprayed at sign in from their own addresses, even from a client never seen
    assert signed_in(await browsers("198.51.100.20").login(usernames[0], PASSWORD))
    assert signed_in(await browsers(OFFICE).login(usernames[1], PASSWORD))


async def test_a_success_resets_the_account_not_what_the_address_sprayed(browsers, world, clock, services):
    attacker = browsers(ATTACKER)
    for i in range(ADDRESS_FREE - 2):
        assert codes(await attacker.login(f"persona{i}", WRONG)) == ["UNAUTHENTICATED"]
    await fail(attacker, "dj_staff", 1)
    # its own account (the address may be a shared office): the account starts again, the address
    # keeps what it sprayed (only the successful attempt is taken back)
    assert signed_in(await attacker.login("dj_staff", PASSWORD))
    state = await rows(services)
    assert "user:dj_staff" not in state and state[f"ip:{ATTACKER}"].failures == ADDRESS_FREE - 1
    assert codes(await attacker.login("otra.persona", WRONG)) == ["UNAUTHENTICATED"]
    wait_of(await attacker.login("una.mas", WRONG))


# --- per account: the real user is never locked out ---------------------------------------------------


async def test_an_attacker_cannot_lock_out_the_real_user(browsers, world, clock):
    office = browsers(OFFICE)
    assert signed_in(await office.login("da_head", PASSWORD))  # yesterday: this browser, this address
    assert office.device_cookie
    laptop = browsers("192.0.2.44")  # the same browser profile later at home: the cookie travels
    laptop.client.cookies.set(DEVICE_COOKIE, office.device_cookie, domain="testserver.local", path="/graphql")

    attacker = browsers(ATTACKER)
    await fail(attacker, "da_head", 12, clock=clock)
    assert codes(await attacker.login("da_head", PASSWORD)) == ["THROTTLED"]  # even the right one: wait

    # known clients sign in at once: the browser with its cookie, another browser at the known
    # address, the cookie from another address
    assert signed_in(await office.login("da_head", PASSWORD))
    assert signed_in(await browsers(OFFICE).login("da_head", PASSWORD))
    assert signed_in(await laptop.login("da_head", PASSWORD))
    # a new phone is an unknown client: it waits (delayed, not refused for good)
    phone = browsers("192.0.2.99")
    wait = wait_of(await phone.login("da_head", PASSWORD))
    clock.advance(seconds=wait)
    assert signed_in(await phone.login("da_head", PASSWORD))


async def test_a_forged_device_cookie_is_an_unknown_client(browsers, world, clock):
    office = browsers(OFFICE)
    assert signed_in(await office.login("da_head", PASSWORD))
    device, _, signature = office.device_cookie.partition(".")
    await fail(browsers(ATTACKER), "da_head", ACCOUNT_FREE)
    forger = browsers("192.0.2.77")
    for forged in (f"{device}.{'A' * len(signature)}", device, "x.y"):
        forger.client.cookies.set(DEVICE_COOKIE, forged, domain="testserver.local", path="/graphql")
        wait_of(await forger.login("da_head", PASSWORD))


async def test_an_unknown_client_with_the_right_password_waits_then_signs_in(browsers, world, clock):
    await fail(browsers(ATTACKER), "da_head", ACCOUNT_FREE)
    newcomer = browsers("198.51.100.30")
    wait = wait_of(await newcomer.login("da_head", PASSWORD))
    clock.advance(seconds=wait - 1)
    assert wait_of(await newcomer.login("da_head", PASSWORD)) == 1  # not a second early
    clock.advance(seconds=1)
    result = await newcomer.login("da_head", PASSWORD)
    assert signed_in(result) and newcomer.device_cookie


async def test_a_known_clients_own_failures_give_it_a_short_wait(browsers, world, clock):
    """A stolen laptop with the cookie guesses at the pace of the known client's own count."""
    office = browsers(OFFICE)
    assert signed_in(await office.login("da_head", PASSWORD))
    await fail(office, "da_head", ACCOUNT_FREE)
    wait = wait_of(await office.login("da_head", PASSWORD))
    assert wait <= 2
    clock.advance(seconds=wait)
    assert signed_in(await office.login("da_head", PASSWORD))
    # which gave unknown clients no wait: that count is the attacker's, and it is empty
    assert signed_in(await browsers("198.51.100.40").login("da_head", PASSWORD))


async def test_the_device_cookie(browsers, world):
    office = browsers(OFFICE)
    response = await office.client.post(
        "/graphql", json={"query": LOGIN, "variables": {"input": {"username": "da_head", "password": PASSWORD}}}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{DEVICE_COOKIE}=") and "HttpOnly" in cookie and "Path=/graphql" in cookie
    assert "samesite=lax" in cookie.lower() and "Max-Age=7776000" in cookie  # 90 days
    first = office.device_cookie
    assert signed_in(await office.login("da_head", PASSWORD))
    assert office.device_cookie == first  # the same device keeps its id
    failed = await browsers("192.0.2.5").client.post(
        "/graphql", json={"query": LOGIN, "variables": {"input": {"username": "da_head", "password": WRONG}}}
    )
    assert "set-cookie" not in failed.headers


# --- institution-wide ceiling --------------------------------------------------------------------------


async def test_the_global_ceiling(browsers, world, clock, services):
    services.settings = dataclasses.replace(services.settings, login_failures_per_minute=8)
    office = browsers(OFFICE)
    assert signed_in(await office.login("da_head", PASSWORD))
    clock.set(clock.now().replace(second=20))
    # a botnet: every guess from another address on another username, so no other count grows
    for i in range(8):
        assert codes(await browsers(f"198.18.0.{i}").login(f"persona{i}", WRONG)) == ["UNAUTHENTICATED"]
    throttled = await browsers("198.18.1.1").login("dj_head", PASSWORD)
    assert wait_of(throttled) == 40  # until the minute ends
    assert "en este momento" in throttled["errors"][0]["message"]
    assert signed_in(await office.login("da_head", PASSWORD))  # known clients go on
    clock.advance(seconds=40)
    assert signed_in(await browsers("198.18.1.1").login("dj_head", PASSWORD))


# --- no hashing for a throttled attempt ------------------------------------------------------------------


async def test_throttled_attempts_do_not_hash(browsers, world, monkeypatch):
    checked = []
    real = models.users.verify_password

    def counting(password_hash, password):
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(models.users, "verify_password", counting)
    attacker = browsers(ATTACKER)
    await fail(attacker, "da_head", ACCOUNT_FREE)
    assert len(checked) == ACCOUNT_FREE
    for _ in range(5):
        wait_of(await attacker.login("da_head", PASSWORD))
    assert len(checked) == ACCOUNT_FREE  # refused before any argon2 work


# --- changePassword's current password counts like a sign-in ----------------------------------------------


async def test_a_stolen_token_cannot_guess_the_password_through_change_password(browsers, world, clock):
    office = browsers(OFFICE)
    assert signed_in(await office.login("da_head", PASSWORD))
    thief = browsers(ATTACKER)
    token = world.tokens["da_head"]
    for i in range(ACCOUNT_FREE):
        result = await thief.change_password(token, f"adivinanza-{i}", "nueva-frase-muy-larga")
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("VALIDATION", "currentPassword")]
    wait_of(await thief.change_password(token, PASSWORD, "nueva-frase-muy-larga"), "currentPassword")
    wait_of(await thief.login("da_head", PASSWORD))  # the account's count, for unknown clients
    # the owner is not kept out, nor kept from changing the password
    assert signed_in(await office.login("da_head", PASSWORD))
    changed = await office.change_password(world.tokens["da_head"], PASSWORD, "nueva-frase-muy-larga")
    assert changed["errors"] == [] and changed["token"]


# --- several instances share the counts --------------------------------------------------------------------


async def test_two_instances_share_the_counts(browsers, world, services, clock):
    other = build_services(services.settings, clock=clock)  # another process on the same database
    try:
        second = ProxyHeadersMiddleware(create_app(services=other), trusted_hosts="127.0.0.1")
        await fail(browsers(ATTACKER), "da_head", ACCOUNT_FREE)
        wait_of(await browsers(ATTACKER, app=second).login("da_head", PASSWORD))
        wait_of(await browsers("198.51.100.50", app=second).login("da_head", PASSWORD))
        # and the other way round: what the second instance counted stops the first
        sprayer = browsers("192.0.2.200", app=second)
        for i in range(ADDRESS_FREE):
            assert codes(await sprayer.login(f"persona{i}", WRONG)) == ["UNAUTHENTICATED"]
        wait_of(await browsers("192.0.2.200").login("otra.persona", WRONG))
    finally:
        await other.hub.close()
        await other.db.dispose()


# --- argon2 off the event loop --------------------------------------------------------------------------


async def test_a_request_is_not_held_up_by_a_login_being_checked(services, world, monkeypatch):
    """A `{__typename}` sent while a login's password is being hashed is answered before the hash
    ends: argon2 runs in a worker thread, not on the event loop the other request needs. (Were it
    on the loop, nothing else could even be read until the hash ended.)"""
    started = time.perf_counter()
    hashing, moments = threading.Event(), {}
    real = models.users.verify_password

    def timed_check(password_hash, password):
        moments["hash started"] = time.perf_counter() - started
        hashing.set()
        try:
            return real(password_hash, password)
        finally:
            moments["hash ended"] = time.perf_counter() - started

    monkeypatch.setattr(models.users, "verify_password", timed_check)
    server = await start_server(services)
    try:
        async with httpx.AsyncClient(timeout=30) as client:

            async def post(name: str, body: dict) -> dict:
                response = await client.post(server.http_url, json=body)
                moments[name] = time.perf_counter() - started
                return response.json()

            login = asyncio.create_task(
                post(
                    "login answered",
                    {"query": LOGIN, "variables": {"input": {"username": "da_head", "password": PASSWORD}}},
                )
            )
            assert await asyncio.to_thread(hashing.wait, 10)
            small = await post("{__typename} answered", {"query": "{ __typename }"})
            result = await login
    finally:
        await server.stop()
    assert small == {"data": {"__typename": "Query"}}
    assert signed_in(result["data"]["login"])
    print("\n" + ", ".join(f"{name} at {ms * 1000:.0f} ms" for name, ms in sorted(moments.items(), key=lambda m: m[1])))
    assert moments["{__typename} answered"] < moments["hash ended"] < moments["login answered"]
