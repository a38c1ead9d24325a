"""GraphiQL served by the gateway itself, so that it works with no internet access: the page a
browser gets from `GET /graphql`, and the scripts and styles it loads from `GET /graphiql/{name}`.

Those files are vendored from the npm registry by `scripts/vendor-graphiql.sh` into
`graphiql_assets/`, whose `manifest.json` lists them in load order. Their names carry their
versions, so browsers may keep them for a year; the page itself is revalidated, and its
Content-Security-Policy lets it load nothing from anywhere but the gateway."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from string import Template

from aiohttp import web

from gateway.server.graphiql_tabs import EXAMPLE_TABS

ASSET_PATH = "/graphiql/"
_HERE = files(__package__)
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}
_KEPT_A_YEAR = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    gzipped: bytes
    """Compressed once when the files are read: the bundle is a megabyte, which compressing
    anew for every browser that opens the page would cost a fifth of a second of CPU."""


@dataclass(frozen=True)
class Page:
    html: str
    policy: str
    """The Content-Security-Policy: scripts, styles and requests from the gateway only, and
    the page's own inline start-up script by its hash."""


def _manifest() -> dict[str, list[str]]:
    manifest: dict[str, list[str]] = json.loads(
        (_HERE / "graphiql_assets" / "manifest.json").read_text(encoding="utf-8")
    )
    return manifest


@cache
def vendored_assets() -> dict[str, Asset]:
    """Every vendored file the page loads, by the name it is served under."""
    manifest = _manifest()
    assets = {}
    for name in manifest["styles"] + manifest["scripts"]:
        body = (_HERE / "graphiql_assets" / name).read_bytes()
        content_type = _CONTENT_TYPES[name[name.rindex(".") :]]
        assets[name] = Asset(body, content_type, gzip.compress(body, mtime=0))
    return assets


@cache
def graphiql_page() -> Page:
    """The page, its example tabs and start-up script inlined, its assets linked relative to
    `/graphql` so that it also works under a proxy's path prefix."""
    manifest = _manifest()
    start = (_HERE / "graphiql.js").read_text(encoding="utf-8")
    tabs = json.dumps([tab.as_graphiql() for tab in EXAMPLE_TABS]).replace("<", "\\u003c")
    html = Template((_HERE / "graphiql.html").read_text(encoding="utf-8")).substitute(
        styles="\n".join(
            f'    <link rel="stylesheet" href="{escape(_href(name))}" />'
            for name in manifest["styles"]
        ),
        scripts="\n".join(
            f'    <script src="{escape(_href(name))}"></script>' for name in manifest["scripts"]
        ),
        tabs=tabs,
        start=start,
    )
    digest = base64.b64encode(hashlib.sha256(start.encode()).digest()).decode()
    policy = (
        f"default-src 'none'; script-src 'self' 'sha256-{digest}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return Page(html, policy)


def _href(name: str) -> str:
    return ASSET_PATH.lstrip("/") + name


def page_response() -> web.Response:
    page = graphiql_page()
    return web.Response(
        text=page.html,
        content_type="text/html",
        headers={"Cache-Control": "no-cache", "Content-Security-Policy": page.policy},
    )


async def serve_asset(request: web.Request) -> web.Response:
    asset = vendored_assets().get(request.match_info["name"])
    if asset is None:
        raise web.HTTPNotFound()
    headers = {"Cache-Control": _KEPT_A_YEAR, "Vary": "Accept-Encoding"}
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(
        body=body, content_type=asset.content_type, charset="utf-8", headers=headers
    )


def add_asset_routes(app: web.Application) -> None:
    """Serves the vendored files, read once here, so that a wheel missing them fails at start."""
    vendored_assets()
    graphiql_page()
    app.router.add_get(ASSET_PATH + "{name}", serve_asset)
