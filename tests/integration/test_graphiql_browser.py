"""GraphiQL as a user opens it: Debian's Chromium, headless, loads the gateway's page and runs
the first example with a bearer token pasted into the headers editor, then loads the schema
with it, while every request the page makes stays on the gateway's origin. The screenshot is
kept as a CI artifact."""

import asyncio
from pathlib import Path

import pytest

from gateway.auth import token_sha256
from gateway.server.graphiql import vendored_assets
from gateway.server.graphiql_tabs import EXAMPLE_TABS
from tests.support.debian import debian_binary
from tests.support.node import node_json

from .accounts import deploy

SCREENSHOT = Path(__file__).resolve().parents[2] / ".ci" / "artifacts" / "graphiql.png"
TOKEN = "graphiql-token-" + "g" * 40
ACCOUNTS = {"dfs", "cx-a", "cx-b"}
CLIENT = {"name": "browser", "token_sha256": token_sha256(TOKEN), "providers": ["*"]}
UNAUTHENTICATED_FETCH = "the server responded with a status of 401"
"""What Chromium writes to the console for the page's requests sent before the token."""


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return debian_binary("chromium", "chromium")
    except RuntimeError as missing:
        pytest.skip(f"Debian's chromium could not be installed, so no browser test: {missing}")


async def test_graphiql_runs_the_first_example_with_a_pasted_token_and_nothing_from_outside(
    chromium: str,
):
    deployment = await deploy(
        dfs_count=60,
        cx_counts=(50, 20),
        settings={
            "clients": [
                {"name": "browser", "token_sha256": token_sha256(TOKEN), "providers": ["*"]}
            ]
        },
    )
    try:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.unlink(missing_ok=True)
        seen = await asyncio.to_thread(
            node_json,
            "graphiql_page.mjs",
            deployment.gateway_url + "/graphql",
            chromium,
            TOKEN,
            str(SCREENSHOT),
        )
        first_example = EXAMPLE_TABS[0].as_graphiql()["query"]
        answer = await deployment.gql(first_example, headers={"Authorization": f"Bearer {TOKEN}"})
    finally:
        await deployment.close()
    assert isinstance(seen, dict)

    origin = deployment.gateway_url + "/"
    left = [url for url in seen["requests"] if not url.startswith((origin, "data:"))]
    assert left == []
    assets = {origin + "graphiql/" + name for name in vendored_assets()}
    assert assets <= set(seen["requests"])
    assert not [error for error in seen["pageErrors"] if UNAUTHENTICATED_FETCH not in error]

    assert seen["tabs"] == [
        "FirstPage",
        "Next",
        "Previous",
        "Filtered",
        "ByNumber",
        "One",
        "Many",
        "Tag",
        "Totals",
    ]
    assert seen["headersEditorVisible"] is True
    assert [e["extensions"]["code"] for e in seen["withoutToken"]["errors"]] == ["UNAUTHENTICATED"]

    shown = seen["withToken"]["data"]["smsRecords"]
    assert len(shown["edges"]) == 10
    assert {edge["node"]["provider"]["name"] for edge in shown["edges"]} <= ACCOUNTS
    assert all(edge["node"]["id"] for edge in shown["edges"])
    assert seen["withToken"] == answer
    assert "SmsRecord" in seen["schemaTypes"]
    assert SCREENSHOT.stat().st_size > 10_000
