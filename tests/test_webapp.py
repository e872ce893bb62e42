"""The web app is served at / by the same app as the API: its client routes fall back to its
shell, its hashed assets are cached for good, and the API's own paths keep their meaning."""

import dataclasses

import httpx
import pytest

from mcs.app import create_app


@pytest.fixture
def dist(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>MCS</title><div id=app></div>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('mcs')")
    return tmp_path


async def get(services, path, web_dir):
    app = create_app(services=dataclasses.replace(services, settings=dataclasses.replace(services.settings, web_dir=web_dir)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.get(path)


@pytest.mark.parametrize("path", ["/", "/bandeja", "/turno/VHVybm86MQ%3D%3D", "/enviados?luz=RED"])
async def test_client_routes_get_the_shell_with_a_strict_policy(services, dist, path):
    response = await get(services, path, dist)
    assert response.status_code == 200 and "<div id=app>" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-cache"


async def test_assets_are_cached_for_good(services, dist):
    response = await get(services, "/assets/index-abc123.js", dist)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    assert (await get(services, "/assets/missing.js", dist)).status_code == 404


@pytest.mark.parametrize("path", ["/graphql/otra-cosa", "/files", "/exports/", "/health/x", "/verificar"])
async def test_the_api_paths_keep_their_meaning(services, dist, path):
    assert (await get(services, path, dist)).status_code == 404
    assert (await get(services, "/health", dist)).json()["status"] == "ok"


async def test_without_a_build_the_page_says_how_to_make_it(services, tmp_path):
    response = await get(services, "/bandeja", tmp_path / "nada")
    assert response.status_code == 503 and "make run" in response.text
