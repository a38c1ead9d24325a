"""The GraphiQL page over plain HTTP: it links only files the gateway serves itself, each with
its content type and a long cache life, opens with the example tabs, and is not served at
all with `[server] graphiql = false`."""

import json
from html.parser import HTMLParser
from urllib.parse import urljoin

from gateway.server.graphiql import vendored_assets
from tests.support.simulators import Simulated

from .accounts import deploy

PAGE = {"Accept": "text/html"}
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


class Links(HTMLParser):
    """The URLs a page loads (scripts, stylesheets, icons) and its JSON data blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.data_blocks: list[str] = []
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.urls.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"] or "")
        self._in_data = tag == "script" and found.get("type") == "application/json"

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_blocks.append(data)


async def test_the_page_loads_only_files_the_gateway_serves_with_their_types(
    deployment: Simulated,
):
    page_url = deployment.gateway_url + "/graphql"
    async with deployment.http.get(page_url, headers=PAGE) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        policy = response.headers["Content-Security-Policy"]
        links = Links()
        links.feed(await response.text())
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy

    urls = [urljoin(page_url, link) for link in links.urls]
    external = [url for url in urls if not url.startswith((deployment.gateway_url + "/", "data:"))]
    assert external == []
    assets = [url for url in urls if not url.startswith("data:")]
    assert {url.rsplit(".", 1)[1] for url in assets} == {"js", "css"}
    for url in assets:
        async with deployment.http.get(url, headers={"Accept-Encoding": "gzip"}) as asset:
            assert asset.status == 200, url
            assert asset.content_type == CONTENT_TYPES["." + url.rsplit(".", 1)[1]], url
            assert "immutable" in asset.headers["Cache-Control"]
            assert asset.headers["Content-Encoding"] == "gzip"
            unpacked = await asset.read()
        assert len(unpacked) > 1000
        async with deployment.http.get(url, headers={"Accept-Encoding": "identity"}) as plain:
            assert "Content-Encoding" not in plain.headers
            assert await plain.read() == unpacked, url

    tabs = json.loads(links.data_blocks[0])
    assert len(tabs) == 9
    assert "smsRecords(first: 10)" in tabs[0]["query"]
    async with deployment.http.post(page_url, json={"query": tabs[0]["query"]}) as response:
        records = (await response.json())["data"]["smsRecords"]["edges"]
    assert len(records) == 10


async def test_only_the_vendored_files_are_served_under_graphiql(deployment: Simulated):
    for name in ("manifest.json", "missing.js", "..%2Fgraphiql.html", "graphiql.js"):
        async with deployment.http.get(f"{deployment.gateway_url}/graphiql/{name}") as response:
            assert response.status == 404, name


async def test_graphiql_off_serves_neither_the_page_nor_its_files():
    deployment = await deploy(dfs_count=5, cx_counts=(5,), settings={"server": {"graphiql": False}})
    try:
        url = deployment.gateway_url
        async with deployment.http.get(url + "/graphql", headers=PAGE) as response:
            assert response.content_type != "text/html"
            assert "graphiql" not in (await response.text()).lower()
        for name in vendored_assets():
            async with deployment.http.get(f"{url}/graphiql/{name}") as response:
                assert response.status == 404, name
    finally:
        await deployment.close()
