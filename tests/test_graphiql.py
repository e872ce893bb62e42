"""GraphiQL works without internet: its page loads only the app's own copies of its scripts and
styles (web/vendor/graphiql, made by `make`), each with its content type and the hash the page pins."""

import base64
import dataclasses
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from mcs import graphiql
from mcs.app import create_app
from tests.conftest import IN_CI

PAGE_URL = "http://testserver/graphql"
# an XML namespace in the inline SVG icon: a name, never fetched
NOT_FETCHED = {"http://www.w3.org/2000/svg"}
CONTENT_TYPES = {".js": "javascript", ".css": "text/css"}


class References(HTMLParser):
    """(url, integrity) of every script and stylesheet the page loads."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.found.append((attrs["src"], attrs.get("integrity")))
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.found.append((attrs["href"], attrs.get("integrity")))


def client(services, debug: bool) -> httpx.AsyncClient:
    app = create_app(dataclasses.replace(services.settings, debug=debug), services=services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def vendored():
    if missing := graphiql.missing_assets():
        message = f"GraphiQL's assets are missing ({', '.join(missing)}): run `make`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


async def test_the_page_loads_only_the_apps_own_assets(services, vendored):
    async with client(services, debug=True) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        # up to a quote, also a percent-encoded one (%22, in the icon's data: URL)
        urls = re.findall(r"https?://[^\s\"'<>`)%]+", page.text)
        foreign = [url for url in urls if url not in NOT_FETCHED and urlsplit(url).netloc != "testserver"]
        assert foreign == []

        parser = References()
        parser.feed(page.text)
        assert len(parser.found) == 7  # react, react-dom, js-cookie, graphiql (js, css), the explorer (js, css)
        for reference, integrity in parser.found:
            url = urljoin(PAGE_URL, reference)
            assert urlsplit(url).netloc == "testserver", reference
            asset = await http.get(url)
            assert asset.status_code == 200, url
            assert CONTENT_TYPES[reference[reference.rindex(".") :]] in asset.headers["content-type"], url
            assert "immutable" in asset.headers["cache-control"]
            # the same bytes the CDN served (strawberry's hashes): the browser refuses anything else
            assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(asset.content).digest()).decode(), url


async def test_without_its_assets_the_page_says_to_run_make(services, monkeypatch, tmp_path):
    monkeypatch.setattr(graphiql, "ASSETS_DIR", tmp_path / "nothing")
    async with client(services, debug=True) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "GraphiQL no está disponible" in page.text and "<code>make</code>" in page.text


async def test_without_graphiql_neither_page_nor_assets(services):
    async with client(services, debug=False) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        asset = await http.get("/graphiql/assets/react@18.2.0/umd/react.production.min.js")
    assert page.status_code == 404 and asset.status_code == 404
