"""Signed links (`?t=`) are credentials: they end with the token they were made for, and the
files they open are not kept by browsers' caches. (The access log drops them: tests/test_serve.py.)"""

from tests.helpers import LETTER, register_with

FILES = """query($id: ID!) { node(id: $id) { ... on Document { acuseUrl attachments { url } } } }"""
LOGOUT = "mutation { logout { errors { code } } }"


async def links(api, token, doc_id):
    node = (await api.ok(FILES, {"id": doc_id}, token=token))["node"]
    return node["attachments"][0]["url"], node["acuseUrl"]


async def test_a_link_ends_with_the_token_it_was_made_for(api, world):
    doc = (await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")]))["document"]
    token_a, token_b = world.tokens["da_staff"], world.tokens["da_staff"]
    file_a, acuse_a = await links(api, token_a, doc["id"])
    file_b, acuse_b = await links(api, token_b, doc["id"])
    for url in (file_a, acuse_a, file_b, acuse_b):
        assert (await api.client.get(url)).status_code == 200, url
    assert (await api.ok(LOGOUT, token=token_a))["logout"]["errors"] == []
    for url in (file_a, acuse_a):
        assert (await api.client.get(url)).status_code == 401, url
    for url in (file_b, acuse_b):  # the same person's other session keeps its links
        assert (await api.client.get(url)).status_code == 200, url


async def test_protected_files_are_not_cached_nor_referred(api, world):
    doc = (await register_with(api, world, [("oficio.pdf", LETTER, "application/pdf")]))["document"]
    file_url, acuse_url = await links(api, world.tokens["da_staff"], doc["id"])
    for url in (file_url, acuse_url):
        response = await api.client.get(url)
        assert response.headers["cache-control"] == "private, no-store", url
        assert response.headers["referrer-policy"] == "no-referrer", url
