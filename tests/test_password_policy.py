"""The one password policy (models/passwords.py), wherever a password is set: createUser,
updateUser, changePassword and `mcs create-admin`. Each refusal names what is wrong, in Spanish."""

from __future__ import annotations

import pytest

from mcs.bootstrap import create_admin
from models.errors import DomainError, ErrorCode
from models.passwords import password_problem
from tests.helpers import mutate
from tests.world import PASSWORD

USERNAME = object()  # stands for the username of the account at hand

# (password, what the message must say)
REFUSED = [
    ("12345678", "al menos 12 caracteres"),
    ("corta", "al menos 12 caracteres"),
    ("", "al menos 12 caracteres"),
    (USERNAME, "nombre de usuario"),
    (" " * 12, "solo espacios"),
    (" " * 8, "solo espacios"),
    ("aaaaaaaaaaaa", "mismo carácter"),
    ("contraseña123", "muy común"),
    ("Contrasena2026!", "muy común"),
    ("mexico123456", "muy común"),
    ("P@ssw0rd2026", "muy común"),
    ("123456789012", "más usadas"),
    ("qwertyuiopasdfghjkl", "más usadas"),
    ("abcdefghijklmn", "fácil de adivinar"),
]
GOOD = "tres-tristes-tigres-comen"
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token errors { code } } }"


async def login(api, _world, username: str, password: str) -> dict:
    return (await api.ok(LOGIN, {"input": {"username": username, "password": password}}))["login"]


def concrete(password, username: str) -> str:
    return username if password is USERNAME else password


def ids(value) -> str:
    return "username" if value is USERNAME else repr(value)


# --- the rule itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize("password,says", REFUSED, ids=[ids(p) for p, _ in REFUSED])
def test_refused_passwords_say_why(password, says):
    problem = password_problem(concrete(password, "ana.lopez"), "ana.lopez")
    assert problem and says in problem and problem.startswith("La contraseña")


@pytest.mark.parametrize("password", ["ana.lopez", "ANA.LOPEZ", "Ana.Lopez.2026-nueva", "mi-clave-es-analopez"])
def test_the_username_anywhere_and_in_any_case(password):
    assert "nombre de usuario" in password_problem(password, "ana.lopez")


@pytest.mark.parametrize(
    "password,username",
    [
        (GOOD, "ana.lopez"),
        ("contraseña-segura", "da_head"),  # a common word inside a passphrase is fine: "in the list", not "contains"
        ("mcs-demo-2026", "admin"),  # the demo's password
        ("mañana-con-cafe", "ana"),  # a username shorter than 4 counts only when it is the whole password
        ("mi perro se llama firulais", "da_head"),
        ("nube-roja-81", "da_head"),  # exactly 12
    ],
)
def test_good_passwords(password, username):
    assert password_problem(password, username) is None


# --- wherever a password is set ------------------------------------------------------------------------


def refusal(payload: dict, field: str) -> str:
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", field)], payload["errors"]
    return payload["errors"][0]["message"]


def new_user(world, username: str, password: str) -> dict:
    return {
        "username": username,
        "password": password,
        "fullName": "Ana López Ruiz",
        "memberships": [{"unitId": world.unit_id("DA"), "role": "STAFF"}],
    }


# what the security review found accepted by createUser, and the like
EVERYWHERE = [
    ("12345678", "al menos 12 caracteres"),
    (USERNAME, "nombre de usuario"),
    (" " * 12, "solo espacios"),
    ("contraseña123", "muy común"),
    ("aaaaaaaaaaaa", "mismo carácter"),
]


async def test_create_user(api, world):
    for password, says in EVERYWHERE:
        result = await mutate(api, world, "createUser", new_user(world, "ana.lopez", concrete(password, "ana.lopez")))
        assert result["user"] is None and says in refusal(result, "password")
    good = await mutate(api, world, "createUser", new_user(world, "ana.lopez", GOOD))
    assert good["errors"] == [] and (await login(api, world, "ana.lopez", GOOD))["token"]


async def test_update_user(api, world):
    target = {"id": world.user_id("dj_staff")}
    for password, says in EVERYWHERE:
        result = await mutate(
            api, world, "updateUser", {**target, "password": concrete(password, "dj_staff"), "fullName": "Nombre Nuevo"}
        )
        assert says in refusal(result, "password")
    assert (await login(api, world, "dj_staff", PASSWORD))["token"]  # nothing changed
    assert (await mutate(api, world, "updateUser", {**target, "password": GOOD}))["errors"] == []
    assert (await login(api, world, "dj_staff", GOOD))["token"]


CHANGE = """mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  token errors { code field message } } }"""


async def test_change_password(api, world):
    async def change(new: str) -> dict:
        variables = {"input": {"currentPassword": PASSWORD, "newPassword": new}}
        return (await api.ok(CHANGE, variables, token=world.tokens["da_head"]))["changePassword"]

    for password, says in EVERYWHERE:
        result = await change(concrete(password, "da_head"))
        assert result["token"] is None and says in refusal(result, "newPassword")
    good = await change(GOOD)
    assert good["errors"] == [] and good["token"]


async def test_create_admin(api, services):
    for password, says in EVERYWHERE:
        with pytest.raises(DomainError) as raised:
            await create_admin(services.settings, "jefatura", concrete(password, "jefatura"), full_name="Jefa")
        assert raised.value.code == ErrorCode.VALIDATION and raised.value.field == "password"
        assert says in raised.value.message
    await create_admin(services.settings, "jefatura", GOOD, full_name="Jefa")
    assert (await login(api, None, "jefatura", GOOD))["token"]
