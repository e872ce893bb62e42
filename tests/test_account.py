"""My account: changing my password and signing out (this token, or every token of mine),
through the GraphQL endpoint and on open websockets; revoked tokens do not pile up."""

import asyncio
import dataclasses

import jwt
import pytest
from sqlalchemy import select

from models.users import RevokedToken
from tests.helpers import assert_unauthenticated, login, me
from tests.live import WsClient, start_server
from tests.workflow import Flow
from tests.world import PASSWORD

CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  token user { username } errors { code field message } } }"""
LOGOUT = "mutation { logout { errors { code field } } }"
LOGOUT_EVERYWHERE = "mutation { logout(input: {everywhere: true}) { errors { code field } } }"
NEW_PASSWORD = "otra-clave-bastante-larga"
INBOX = "subscription { inboxEvents { sequence kind document { folio } } }"


async def change_password(api, token: str | None, current: str, new: str) -> dict:
    return (await api.ok(CHANGE, {"input": {"currentPassword": current, "newPassword": new}}, token=token))[
        "changePassword"
    ]


async def logout(api, token: str | None, everywhere: bool = False) -> list[str]:
    data = await api.ok(LOGOUT_EVERYWHERE if everywhere else LOGOUT, token=token)
    return [e["code"] for e in data["logout"]["errors"]]


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def jti(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["jti"]


async def revoked_jtis(services) -> set[str]:
    async with services.db.session() as session:
        return set((await session.execute(select(RevokedToken.jti))).scalars())


async def assert_works(api, token: str, username: str = "da_head") -> None:
    assert (await me(api, token) or {}).get("username") == username, "this token should still work"
    body = await api.gql("{ documents { totalCount } }", token=token)
    assert "errors" not in body and body["data"]["documents"]["totalCount"] == 0


# --- changePassword -----------------------------------------------------------------------------


async def test_change_password_gives_a_new_token_and_ends_every_earlier_one(api, world):
    used = (await login(api, "da_head", PASSWORD))["token"]
    other = (await login(api, "da_head", PASSWORD))["token"]  # another device of the same person
    from_world = world.tokens["da_head"]
    stranger = world.tokens["da_staff"]

    result = await change_password(api, used, PASSWORD, NEW_PASSWORD)
    assert result["errors"] == []
    assert result["user"] == {"username": "da_head"}
    new_token = result["token"]
    assert new_token and new_token not in (used, other)
    await assert_works(api, new_token)

    for earlier in (used, other, from_world):
        await assert_unauthenticated(api, earlier)
    await assert_works(api, stranger, "da_staff")  # other people are not affected

    # the new password signs in, the old one no longer does
    fresh = await login(api, "da_head", NEW_PASSWORD)
    assert fresh["errors"] == [] and fresh["token"]
    await assert_works(api, fresh["token"])
    stale = await login(api, "da_head", PASSWORD)
    assert stale["token"] is None and [e["code"] for e in stale["errors"]] == ["UNAUTHENTICATED"]
    await assert_works(api, new_token)  # signing in elsewhere does not end the token changePassword gave


async def test_change_password_twice_in_a_row(api, world):
    first = await change_password(api, world.tokens["da_head"], PASSWORD, NEW_PASSWORD)
    assert first["errors"] == []
    second = await change_password(api, first["token"], NEW_PASSWORD, "la-tercera-clave")
    assert second["errors"] == []
    await assert_unauthenticated(api, first["token"])
    await assert_works(api, second["token"])
    assert (await login(api, "da_head", "la-tercera-clave"))["token"]


async def test_a_wrong_current_password_changes_nothing(api, world):
    token = world.tokens["da_head"]
    result = await change_password(api, token, "no-es-la-clave", NEW_PASSWORD)
    assert result["token"] is None and result["user"] is None
    assert codes(result) == [("VALIDATION", "currentPassword")]
    assert result["errors"][0]["message"]
    await assert_works(api, token)
    assert (await login(api, "da_head", NEW_PASSWORD))["token"] is None
    assert (await login(api, "da_head", PASSWORD))["token"]


@pytest.mark.parametrize("new", ["corta", "", "1234567", "12345678", "once-letras"])
async def test_a_too_short_new_password_changes_nothing(api, world, new):
    """Under 12 characters (models/passwords.py; tests/test_password_policy.py tries the rest)."""
    token = world.tokens["da_head"]
    result = await change_password(api, token, PASSWORD, new)
    assert result["token"] is None and result["user"] is None
    assert codes(result) == [("VALIDATION", "newPassword")]
    await assert_works(api, token)
    assert (await login(api, "da_head", PASSWORD))["token"]


async def test_twelve_characters_are_enough(api, world):
    result = await change_password(api, world.tokens["da_head"], PASSWORD, "nube-roja-81")
    assert result["errors"] == [] and result["token"]
    assert (await login(api, "da_head", "nube-roja-81"))["token"]


async def test_change_password_needs_a_valid_token(api, world):
    result = await change_password(api, None, PASSWORD, NEW_PASSWORD)
    assert result["token"] is None and [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    result = await change_password(api, "not-a-jwt", PASSWORD, NEW_PASSWORD)
    assert [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    # a logged-out token may not change the password either
    token = world.tokens["da_head"]
    assert await logout(api, token) == []
    result = await change_password(api, token, PASSWORD, NEW_PASSWORD)
    assert [e["code"] for e in result["errors"]] == ["UNAUTHENTICATED"]
    assert (await login(api, "da_head", PASSWORD))["token"]
    assert (await login(api, "da_head", NEW_PASSWORD))["token"] is None


# --- logout -------------------------------------------------------------------------------------


async def test_logout_ends_only_the_token_of_the_request(api, world):
    earlier = world.tokens["da_head"]
    mine = (await login(api, "da_head", PASSWORD))["token"]
    later = world.tokens["da_head"]

    assert await logout(api, mine) == []
    await assert_unauthenticated(api, mine)
    await assert_works(api, earlier)
    await assert_works(api, later)
    # the ended token cannot log out again, nor change the password
    assert await logout(api, mine) == ["UNAUTHENTICATED"]
    # signing in again works, and the new token is a different one
    again = await login(api, "da_head", PASSWORD)
    assert again["errors"] == []
    await assert_works(api, again["token"])


async def test_logout_without_a_token(api, world):
    assert await logout(api, None) == ["UNAUTHENTICATED"]
    assert await logout(api, None, everywhere=True) == ["UNAUTHENTICATED"]
    assert await logout(api, "not-a-jwt") == ["UNAUTHENTICATED"]


async def test_logout_with_everywhere_false_is_the_plain_logout(api, world):
    mine, other = world.tokens["da_head"], world.tokens["da_head"]
    data = await api.ok("mutation { logout(input: {everywhere: false}) { errors { code } } }", token=mine)
    assert data["logout"]["errors"] == []
    await assert_unauthenticated(api, mine)
    await assert_works(api, other)


async def test_logout_everywhere_ends_every_token_of_mine(api, world):
    tokens = [world.tokens["da_head"], (await login(api, "da_head", PASSWORD))["token"], world.tokens["da_head"]]
    colleague = world.tokens["da_staff"]
    assert await logout(api, tokens[1], everywhere=True) == []
    for token in tokens:
        await assert_unauthenticated(api, token)
    await assert_works(api, colleague, "da_staff")
    # a later sign-in works again, with the same password
    again = await login(api, "da_head", PASSWORD)
    assert again["errors"] == [] and again["token"]
    await assert_works(api, again["token"])


async def test_logout_of_a_token_without_jti_ends_every_token(api, world, services):
    """A token issued before tokens carried a `jti` cannot be ended alone: logout ends them all."""
    user = world.users["da_head"]
    now = int(services.clock.now().timestamp())
    legacy = jwt.encode(
        {"sub": str(user.id), "ver": user.token_version, "iat": now, "exp": now + 3600},
        services.settings.secret_key,
        algorithm="HS256",
    )
    other = world.tokens["da_head"]
    await assert_works(api, legacy)
    assert await logout(api, legacy) == []
    await assert_unauthenticated(api, legacy)
    await assert_unauthenticated(api, other)
    assert await revoked_jtis(services) == set()


async def test_a_logged_out_token_cannot_download_files(api, world):
    from tests.helpers import LETTER, register_with

    result = await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")])
    assert result["errors"] == []
    bare = result["document"]["attachments"][0]["url"].split("?")[0]
    token = world.tokens["da_staff"]
    assert (await api.client.get(bare, headers={"Authorization": f"Bearer {token}"})).status_code == 200
    assert await logout(api, token) == []
    assert (await api.client.get(bare, headers={"Authorization": f"Bearer {token}"})).status_code == 401
    other = world.tokens["da_staff"]
    assert (await api.client.get(bare, headers={"Authorization": f"Bearer {other}"})).status_code == 200


async def test_concurrent_logouts_of_one_token(api, world):
    """A double click on "sign out": both requests end the same token; neither fails inside."""
    token = world.tokens["da_head"]
    outcomes = await asyncio.gather(*(logout(api, token) for _ in range(3)))
    assert all(o in ([], ["UNAUTHENTICATED"]) for o in outcomes), f"a repeated logout failed: {outcomes}"
    assert [] in outcomes
    await assert_unauthenticated(api, token)


# --- revoked tokens are cleaned -------------------------------------------------------------------


async def test_revocations_of_expired_tokens_are_removed(api, world, services, clock):
    first = world.tokens["da_head"]
    assert await logout(api, first) == []
    assert await revoked_jtis(services) == {jti(first)}

    clock.advance(hours=13)  # tokens last 12 hours: the first one would be refused anyway now
    second = world.tokens["da_staff"]
    assert await logout(api, second) == []
    assert await revoked_jtis(services) == {jti(second)}
    await assert_unauthenticated(api, second)


async def test_revocations_of_live_tokens_are_kept(api, world, services, clock):
    first = world.tokens["da_head"]
    assert await logout(api, first) == []
    clock.advance(hours=6)
    second = world.tokens["da_head"]  # expires 6 hours after the first
    assert await logout(api, second) == []
    assert await revoked_jtis(services) == {jti(first), jti(second)}

    clock.advance(hours=7)  # past the first one's expiry, not the second's
    third = world.tokens["da_head"]
    assert await logout(api, third) == []
    assert await revoked_jtis(services) == {jti(second), jti(third)}
    for token in (second, third):
        await assert_unauthenticated(api, token)
    async with services.db.session() as session:
        rows = (await session.execute(select(RevokedToken))).scalars().all()
    assert {r.user_id for r in rows} == {world.users["da_head"].id}


# --- over websockets ----------------------------------------------------------------------------


@pytest.fixture
async def server(services):
    services.settings = dataclasses.replace(services.settings, realtime_catchup_seconds=0.5, deadline_watch_seconds=0)
    services.hub.catchup_seconds = 0.5
    live = await start_server(services)
    yield live
    await live.stop()


async def subscribed(server, token: str) -> WsClient:
    client = await WsClient.connect(server.ws_url, token)
    await client.subscribe(INBOX)
    return client


async def test_logout_closes_the_sockets_of_that_token_only(server, api, world):
    token_a, token_b = world.tokens["da_head"], world.tokens["da_head"]
    a = await subscribed(server, token_a)
    b = await subscribed(server, token_b)
    await server.wait_live(2)

    assert await logout(api, token_a) == []
    assert await a.closed_with(timeout=5) == 4403

    # the other socket of the same person still receives events
    await server.wait_live(1)
    doc = await Flow(api, world).register(user="da_reg", unit="DA")
    event = (await b.next())["data"]["inboxEvents"]
    assert event["kind"] == "DOCUMENT_REGISTERED" and event["document"]["folio"] == doc["folio"]
    # and a new socket with the ended token is refused
    refused = await WsClient.connect(server.ws_url, token_a, ack=False)
    assert await refused.closed_with() == 4403
    await b.close()


async def test_change_password_closes_every_socket(server, api, world):
    a = await subscribed(server, world.tokens["da_head"])
    b = await subscribed(server, world.tokens["da_head"])
    colleague = await subscribed(server, world.tokens["da_reg"])
    await server.wait_live(3)

    result = await change_password(api, world.tokens["da_head"], PASSWORD, NEW_PASSWORD)
    assert result["errors"] == []
    assert await a.closed_with(timeout=5) == 4403
    assert await b.closed_with(timeout=5) == 4403

    # the new token opens a socket again; a colleague's socket was not touched
    c = await subscribed(server, result["token"])
    await server.wait_live(2)
    await Flow(api, world).register(user="da_reg", unit="DA")
    assert (await c.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"
    assert (await colleague.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"
    await c.close()
    await colleague.close()


async def test_logout_everywhere_closes_every_socket(server, api, world):
    a = await subscribed(server, world.tokens["da_head"])
    b = await subscribed(server, world.tokens["da_head"])
    await server.wait_live(2)
    assert await logout(api, world.tokens["da_head"], everywhere=True) == []
    assert await a.closed_with(timeout=5) == 4403
    assert await b.closed_with(timeout=5) == 4403


async def test_the_catch_up_finds_a_revocation_whose_wake_up_was_lost(server, api, world, services):
    """Another instance revoked the token and its wake-up never arrived: the periodic catch-up
    still closes that socket, and only that one."""
    token_a, token_b = world.tokens["da_head"], world.tokens["da_head"]
    a = await subscribed(server, token_a)
    b = await subscribed(server, token_b)
    await server.wait_live(2)
    async with services.db.transaction() as session:  # straight to the table: no note_changes
        session.add(
            RevokedToken(
                jti=jti(token_a), user_id=world.users["da_head"].id, expires_at=services.clock.now().replace(year=2027)
            )
        )
    assert await a.closed_with(timeout=5) == 4403
    await server.wait_live(1)
    await Flow(api, world).register(user="da_reg", unit="DA")
    assert (await b.next())["data"]["inboxEvents"]["kind"] == "DOCUMENT_REGISTERED"
    await b.close()
