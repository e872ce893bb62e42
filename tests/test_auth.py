"""Sign-in: login, throttling of repeated failures, token checks, and the first ADMIN
(`mcs create-admin`, through mcs.bootstrap and through the real command)."""

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from mcs.bootstrap import create_admin
from models.errors import DomainError, ErrorCode
from tests.helpers import assert_unauthenticated, login, me
from tests.world import PASSWORD

WAIT = re.compile(r"(\d+) segundos")
# what the password policy accepts (models/passwords.py): not containing the username, not common
JEFA_PASSWORD = "nopal-verde-en-la-mesa"
SUPLENTE_PASSWORD = "la-lluvia-de-marzo"


def error_codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


# --- login ------------------------------------------------------------------------------------


async def test_login_returns_a_working_token(api, world):
    result = await login(api, "da_head", PASSWORD)
    assert result["errors"] == []
    assert result["user"] == {"username": "da_head", "memberships": [{"role": "HEAD", "unit": {"acronym": "DA"}}]}
    assert (await me(api, result["token"]))["username"] == "da_head"
    data = await api.ok("{ documents { totalCount } }", token=result["token"])
    assert data["documents"]["totalCount"] == 0


async def test_wrong_password_and_unknown_user_look_the_same(api, world):
    wrong = await login(api, "da_head", "no-es-la-clave")
    unknown = await login(api, "nadie.aqui", "no-es-la-clave")
    assert wrong == unknown
    assert wrong["token"] is None and wrong["user"] is None
    assert error_codes(wrong) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"]


async def test_a_deactivated_user_gets_the_same_answer(api, world):
    await _deactivate(api, world, "da_head")
    assert await login(api, "da_head", PASSWORD) == await login(api, "nadie.aqui", PASSWORD)


async def test_usernames_are_not_case_sensitive(api, world):
    """Usernames are stored in lower case (createUser, create-admin): signing in follows."""
    result = await login(api, " DA_Head ", PASSWORD)
    assert result["errors"] == [] and result["user"]["username"] == "da_head"


# --- throttling (from one unknown client; tests/test_login_throttle.py has the rest) ------------


async def fail(api, username: str, times: int) -> None:
    for _ in range(times):
        assert error_codes(await login(api, username, "no-es-la-clave")) == ["UNAUTHENTICATED"]


def wait_seconds(payload: dict) -> int:
    assert error_codes(payload) == ["THROTTLED"] and payload["token"] is None
    match = WAIT.search(payload["errors"][0]["message"])
    assert match, payload["errors"][0]["message"]
    return int(match.group(1))


async def test_five_failures_then_a_wait(api, world, clock):
    await fail(api, "da_head", 5)
    throttled = await login(api, "da_head", PASSWORD)  # even the right password must wait
    seconds = wait_seconds(throttled)
    assert seconds >= 1

    clock.advance(seconds=seconds)
    result = await login(api, "da_head", PASSWORD)
    assert result["errors"] == [] and result["token"]

    # the success reset the count: five fresh failures are allowed again before the next wait
    await fail(api, "da_head", 5)
    wait_seconds(await login(api, "da_head", PASSWORD))


async def test_the_wait_is_not_over_early(api, world, clock):
    await fail(api, "da_head", 5)
    seconds = wait_seconds(await login(api, "da_head", PASSWORD))
    clock.advance(seconds=seconds - 1, microseconds=-1)
    wait_seconds(await login(api, "da_head", PASSWORD))


async def test_waits_grow_with_more_failures(api, world, clock):
    await fail(api, "da_head", 5)
    first = wait_seconds(await login(api, "da_head", PASSWORD))
    clock.advance(seconds=first)
    await fail(api, "da_head", 1)
    second = wait_seconds(await login(api, "da_head", PASSWORD))
    assert second > first


async def test_unknown_usernames_are_throttled_too(api, world):
    await fail(api, "nadie.aqui", 5)
    throttled = await login(api, "Nadie.Aqui", "no-es-la-clave")
    wait_seconds(throttled)
    # throttling is per username: others sign in as usual
    assert (await login(api, "dj_head", PASSWORD))["token"]


@pytest.mark.parametrize("earlier_failures", [0, 1])
async def test_concurrent_guesses_are_throttled_too(api, world, earlier_failures):
    """Ten guesses sent at once get no more free tries than ten sent one by one."""
    await fail(api, "da_head", earlier_failures)
    guesses = [login(api, "da_head", f"adivinanza-{i}") for i in range(10)]
    outcomes = [error_codes(r) for r in await asyncio.gather(*guesses)]
    assert all(o in (["UNAUTHENTICATED"], ["THROTTLED"]) for o in outcomes), outcomes
    assert outcomes.count(["UNAUTHENTICATED"]) <= 5 - earlier_failures
    wait_seconds(await login(api, "da_head", PASSWORD))


# --- tokens -----------------------------------------------------------------------------------


async def test_a_token_expires_after_12_hours(api, world, clock):
    token = (await login(api, "da_head", PASSWORD))["token"]
    clock.advance(hours=11, minutes=59)
    assert (await me(api, token))["username"] == "da_head"
    clock.advance(minutes=1, seconds=1)
    await assert_unauthenticated(api, token)


async def test_a_token_signed_with_another_key(api, world, services):
    user = world.users["da_head"]
    now = int(services.clock.now().timestamp())
    claims = {"sub": str(user.id), "ver": user.token_version, "iat": now, "exp": now + 3600}
    forged = jwt.encode(claims, "another-secret-key-with-enough-length-for-hs256", algorithm="HS256")
    await assert_unauthenticated(api, forged)
    unsigned = jwt.encode(claims, None, algorithm="none")
    await assert_unauthenticated(api, unsigned)
    # the same claims with our key are fine: what failed was the signature
    genuine = jwt.encode(claims, services.settings.secret_key, algorithm="HS256")
    assert (await me(api, genuine))["username"] == "da_head"


async def test_malformed_authorization_headers(api, world):
    for header in ("Bearer", "Bearer ", "Basic " + world.tokens["da_head"], world.tokens["da_head"]):
        response = await api.client.post(
            "/graphql", json={"query": "{ me { username } }"}, headers={"Authorization": header}
        )
        assert response.status_code == 200 and response.json() == {"data": {"me": None}}, header


async def _deactivate(api, world, username: str) -> None:
    data = await api.ok(
        "mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { errors { code } } }",
        {"id": world.user_id(username)},
        token=world.tokens["admin"],
    )
    assert data["updateUser"]["errors"] == []


async def test_a_deactivated_users_token(api, world):
    token = (await login(api, "da_head", PASSWORD))["token"]
    await _deactivate(api, world, "da_head")
    await assert_unauthenticated(api, token)


# --- the first ADMIN --------------------------------------------------------------------------


async def test_create_admin_on_an_empty_database(api, services):
    root = await create_admin(services.settings, "Jefa", JEFA_PASSWORD, full_name="Jefa de Sistemas")
    assert (root.code, root.acronym, root.name, root.parent_id) == ("0", "INST", "Institución", None)

    result = await login(api, "jefa", JEFA_PASSWORD)
    assert result["errors"] == []
    assert result["user"] == {"username": "jefa", "memberships": [{"role": "ADMIN", "unit": {"acronym": "INST"}}]}
    units = await api.ok("{ orgUnits { acronym code name kind parent { id } } }", token=result["token"])
    assert units["orgUnits"] == [
        {"acronym": "INST", "code": "0", "name": "Institución", "kind": "UNIT", "parent": None}
    ]

    # the new admin can build the tree from there
    created = await api.ok(
        'mutation($p: ID!) { createOrgUnit(input: {code: "100", acronym: "DG", name: "Dirección General", '
        "kind: GENERAL_DIRECTORATE, parentId: $p}) { errors { code } } }",
        {"p": (await api.ok("{ orgUnits { id } }", token=result["token"]))["orgUnits"][0]["id"]},
        token=result["token"],
    )
    assert created["createOrgUnit"]["errors"] == []


async def test_a_second_admin_reuses_the_root(api, services):
    first = await create_admin(services.settings, "jefa", JEFA_PASSWORD, full_name="Jefa")
    second = await create_admin(
        services.settings,
        "suplente",
        SUPLENTE_PASSWORD,
        full_name="Suplente",
        root_code="9",
        root_acronym="OTRA",
        root_name="Otra",
    )
    assert second.id == first.id and second.acronym == "INST"
    token = (await login(api, "suplente", SUPLENTE_PASSWORD))["token"]
    assert (await me(api, token))["memberships"][0]["unit"]["acronym"] == "INST"
    assert len((await api.ok("{ orgUnits { id } }", token=token))["orgUnits"]) == 1


async def test_create_admin_refusals(api, services):
    await create_admin(services.settings, "jefa", JEFA_PASSWORD, full_name="Jefa")
    for username in ("jefa", " JEFA "):
        with pytest.raises(DomainError) as raised:
            await create_admin(services.settings, username, "otra-clave-larga", full_name="Otra")
        assert raised.value.code == ErrorCode.CONFLICT and raised.value.field == "username"
    with pytest.raises(DomainError) as raised:
        await create_admin(services.settings, "corta", "corta", full_name="Corta")
    assert raised.value.code == ErrorCode.VALIDATION and raised.value.field == "password"
    # the refused one still has the old password; nobody else came in
    assert (await login(api, "jefa", JEFA_PASSWORD))["token"]
    assert (await login(api, "corta", "corta"))["token"] is None


def _mcs(tmp_path: Path, *args: str, password: str | None = None, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCS_")}
    env.update(MCS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", MCS_VAR_DIR=str(tmp_path))
    if password is not None:
        env["MCS_ADMIN_PASSWORD"] = password
    command = Path(sys.executable).with_name("mcs")
    return subprocess.run(
        [str(command), *args], env=env, cwd=tmp_path, input=stdin or "", capture_output=True, text=True, timeout=120
    )


def test_the_mcs_command(tmp_path):
    """The real command on a fresh SQLite file: create-admin, then migrate (idempotent)."""
    created = _mcs(tmp_path, "create-admin", "jefa", password=JEFA_PASSWORD)
    assert created.returncode == 0, created.stderr
    assert "jefa" in created.stdout and "INST" in created.stdout

    again = _mcs(tmp_path, "create-admin", "jefa", password=JEFA_PASSWORD)
    assert again.returncode == 1 and "ya existe" in again.stderr

    from_stdin = _mcs(tmp_path, "create-admin", "suplente", stdin=SUPLENTE_PASSWORD + "\n")
    assert from_stdin.returncode == 0, from_stdin.stderr

    for _ in range(2):
        migrated = _mcs(tmp_path, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout.strip()

    with sqlite3.connect(tmp_path / "x.sqlite3") as db:
        rows = db.execute(
            "SELECT u.username, m.role, o.acronym, o.code, o.name FROM users u "
            "JOIN memberships m ON m.user_id = u.id JOIN org_units o ON o.id = m.unit_id ORDER BY u.username"
        ).fetchall()
    assert rows == [("jefa", "ADMIN", "INST", "0", "Institución"), ("suplente", "ADMIN", "INST", "0", "Institución")]
    assert (tmp_path / "secret_key").exists()  # generated once under MCS_VAR_DIR, never a constant
