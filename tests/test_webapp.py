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
    app = create_app(
        services=dataclasses.replace(services, settings=dataclasses.replace(services.settings, web_dir=web_dir))
    )
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


# --- installable: the manifest, its icons and the service worker -------------------------------------


@pytest.fixture
def installable(dist):
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (dist / "manifest.webmanifest").write_text('{"name": "MCS", "icons": [{"src": "/icons/icon-192.png"}]}')
    (dist / "icons").mkdir()
    (dist / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return dist


async def test_the_service_worker_is_served_at_the_root_and_never_cached_by_http(services, installable):
    response = await get(services, "/sw.js", installable)
    assert response.status_code == 200 and "addEventListener" in response.text
    assert response.headers["content-type"].startswith("text/javascript")  # browsers refuse a worker of another type
    assert response.headers["cache-control"] == "no-cache"  # every navigation may find a new version
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "service-worker-allowed" not in response.headers  # at /, its scope is / without it


async def test_the_manifest_and_the_icons_have_their_types(services, installable):
    manifest = await get(services, "/manifest.webmanifest", installable)
    assert manifest.status_code == 200 and manifest.json()["name"] == "MCS"
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    icon = await get(services, "/icons/icon-192.png", installable)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert icon.headers["cache-control"].startswith("public, max-age=")
    assert (await get(services, "/icons/missing.png", installable)).status_code == 404
    assert (await get(services, "/icons", installable)).status_code == 404  # not the app's shell


async def test_the_policy_lets_the_app_register_its_worker_and_read_its_manifest(services, dist):
    policy = (await get(services, "/bandeja", dist)).headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["worker-src"] == ["'self'"]
    assert directives["manifest-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"] and directives["connect-src"] == ["'self'"]


async def test_without_a_worker_in_the_build_its_path_is_not_the_shell(services, dist):
    """An app built before the worker existed: /sw.js is a 404, never index.html posing as a script."""
    for path in ("/sw.js", "/manifest.webmanifest"):
        response = await get(services, path, dist)
        assert response.status_code == 404 and "<div id=app>" not in response.text
