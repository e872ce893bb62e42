"""The duplicate warning must not tell a registrar what they may not read: guessing a
confidential document's sender by registering the same reference with candidate senders gives
the same warnings for the right and the wrong guess."""

from tests.helpers import REGISTER, doc_input

SECRET = {"level": "STATE", "name": "Lic. Ana Ruiz", "organization": "Fiscalía Anticorrupción"}
GUESS = {"level": "STATE", "name": "Lic. Ana Ruiz", "organization": "Secretaría de Salud"}


async def register(api, world, user, unit, **fields):
    payload = (await api.ok(REGISTER, {"input": doc_input(world, unit=unit, **fields)}, token=world.tokens[user]))[
        "registerDocument"
    ]
    assert payload["errors"] == [], payload
    return payload


async def test_a_confidential_sender_cannot_be_guessed_through_the_warning(api, world):
    # SRH registers a confidential document; DA's REGISTRAR sees its row (an ancestor's
    # registrar) but not its sender
    hidden = await register(api, world, "srh_reg", "SRH", confidential=True, reference="OF-77/2026", sender=SECRET)
    right = await register(api, world, "da_reg", "DA", reference="OF-77/2026", sender=SECRET)
    wrong = await register(api, world, "da_reg", "DA", reference="OF-77/2026", sender=GUESS)
    assert right["warnings"] == wrong["warnings"] == []
    # who may read the sender (a HEAD above, a member of the chain) is warned as before
    head = await register(api, world, "da_head", "DA", reference="OF-77/2026", sender=SECRET)
    assert any(hidden["document"]["folio"] in w for w in head["warnings"])
    mine = await register(api, world, "srh_reg", "SRH", reference="OF-77/2026", sender=SECRET)
    assert any(hidden["document"]["folio"] in w for w in mine["warnings"])


async def test_a_public_document_still_warns_everyone_who_sees_it(api, world):
    public = await register(api, world, "srh_reg", "SRH", reference="OF-78/2026", sender=SECRET)
    warned = await register(api, world, "da_reg", "DA", reference="OF-78/2026", sender=SECRET)
    assert len(warned["warnings"]) == 1 and public["document"]["folio"] in warned["warnings"][0]
