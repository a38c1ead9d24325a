"""CarrierX list paging over real HTTP: limit/offset, after/before, order, links, errors."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway.simulators.carrierx import CARRIERX_RECORDS

from .support import Served, cx_get, cx_ok, cx_served

ENVELOPE = {"count", "has_more", "items", "limit", "offset", "pagination", "total"}


def sids(served: Served) -> list[str]:
    """Every dr_sid in the provider's ascending order."""
    return [record["dr_sid"] for record in served.app[CARRIERX_RECORDS]]


def listing(served: Served) -> str:
    return served.base + "/sms/message_drs"


async def follow(
    http: aiohttp.ClientSession, url: str, direction: str
) -> tuple[list[str], list[dict[str, Any]]]:
    """Follow `pagination[direction]` links to the end: the sids seen and every envelope."""
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        async with http.get(next_url, headers={"Authorization": "Bearer read"}) as response:
            assert response.status == 200, await response.text()
            page = await response.json()
        pages.append(page)
        seen += [item["dr_sid"] for item in page["items"]]
        next_url = page["pagination"].get(direction)
    return seen, pages


async def test_default_page(http, cx) -> None:
    status, page = await cx_get(http, listing(cx))
    assert status == 200
    assert list(page) == ["count", "has_more", "items", "limit", "offset", "pagination", "total"]
    assert page["limit"] == 10 and page["offset"] == 0 and page["count"] == 10
    assert page["total"] == len(cx.app[CARRIERX_RECORDS])
    assert page["has_more"] is True
    assert [item["dr_sid"] for item in page["items"]] == sids(cx)[:10]
    assert "previous" not in page["pagination"]
    assert page["pagination"]["next"].startswith(cx.root + "/core/v2/sms/message_drs?")


async def test_offset_walk_follows_next_links(http, cx) -> None:
    seen, pages = await follow(http, listing(cx) + "?limit=77", "next")
    assert seen == sids(cx)
    assert all(page["total"] == len(seen) for page in pages)
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert "next" not in pages[-1]["pagination"]
    assert "previous" in pages[-1]["pagination"]


async def test_offset_previous_link_goes_back_one_page(http, cx) -> None:
    page = await cx_ok(http, listing(cx), limit="20", offset="50")
    assert "offset=30" in page["pagination"]["previous"]
    assert "offset=70" in page["pagination"]["next"]
    page = await cx_ok(http, listing(cx), limit="20", offset="5")
    assert "offset=0" in page["pagination"]["previous"]


async def test_after_walk_returns_every_record_once(http, cx) -> None:
    everything = sids(cx)
    url = f"{listing(cx)}?after={everything[0]}&limit=50"
    seen, pages = await follow(http, url, "next")
    assert seen == everything[1:]
    for page in pages:
        assert page["total"] is None and page["offset"] == 0
        assert "previous" in page["pagination"]
    assert pages[-1]["has_more"] is False and pages[-1]["count"] < 50


async def test_before_walk_backwards_lists_pages_in_order(http, cx) -> None:
    everything = sids(cx)
    url = f"{listing(cx)}?before={everything[-1]}&limit=64"
    _, pages = await follow(http, url, "previous")
    chunks = [[item["dr_sid"] for item in page["items"]] for page in pages]
    assert [sid for chunk in reversed(chunks) for sid in chunk] == everything[:-1]
    assert all(chunk == sorted(chunk, key=everything.index) for chunk in chunks)
    assert [page["has_more"] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert all("next" in page["pagination"] for page in pages)


async def test_before_takes_the_nearest_records(http, cx) -> None:
    everything = sids(cx)
    page = await cx_ok(http, listing(cx), before=everything[100], limit="7")
    assert [item["dr_sid"] for item in page["items"]] == everything[93:100]
    assert page["has_more"] is True
    assert f"before={everything[93]}" in page["pagination"]["previous"]
    assert f"after={everything[99]}" in page["pagination"]["next"]
    page = await cx_ok(http, listing(cx), before=everything[3], limit="7")
    assert [item["dr_sid"] for item in page["items"]] == everything[:3]
    assert page["has_more"] is False and "previous" not in page["pagination"]


async def test_descending_is_the_exact_reverse(http, cx) -> None:
    url = f"{listing(cx)}?limit=1000&order=date_insert+desc"
    async with http.get(url, headers={"Authorization": "Bearer read"}) as response:
        page = await response.json()
    assert [item["dr_sid"] for item in page["items"]] == sids(cx)[::-1]


async def test_descending_cursor_walks(http, cx) -> None:
    everything = sids(cx)[::-1]
    seen, _ = await follow(
        http, f"{listing(cx)}?after={everything[0]}&limit=33&order=date_insert%20desc", "next"
    )
    assert seen == everything[1:]
    page = await cx_ok(
        http, listing(cx), before=everything[50], limit="5", order="date_insert desc"
    )
    assert [item["dr_sid"] for item in page["items"]] == everything[45:50]


async def test_ties_keep_insertion_order_across_pages(http, cx) -> None:
    records = list(cx.app[CARRIERX_RECORDS])
    tied = next(
        i for i in range(len(records) - 1)
        if records[i]["date_insert"] == records[i + 1]["date_insert"]
    )  # fmt: skip
    page = await cx_ok(http, listing(cx), after=records[tied]["dr_sid"], limit="1")
    assert page["items"][0]["dr_sid"] == records[tied + 1]["dr_sid"]
    page = await cx_ok(
        http, listing(cx), after=records[tied + 1]["dr_sid"], limit="1", order="date_insert desc"
    )
    assert page["items"][0]["dr_sid"] == records[tied]["dr_sid"]


async def test_sample_style_previous_link_with_offset_zero_works(http, cx) -> None:
    everything = sids(cx)
    page = await cx_ok(http, listing(cx), after=everything[5], limit="1")
    previous = page["pagination"]["previous"]
    assert previous.endswith(f"before={everything[6]}&limit=1&offset=0")
    async with http.get(previous, headers={"Authorization": "Bearer read"}) as response:
        assert [item["dr_sid"] for item in (await response.json())["items"]] == [everything[5]]


async def test_links_keep_order_filter_and_fields(http, cx) -> None:
    page = await cx_ok(
        http,
        listing(cx),
        limit="3",
        order="date_insert desc",
        filter="direction eq 'inbound'",
        include_fields="dr_sid,direction",
    )
    seen, pages = await follow(http, page["pagination"]["next"], "next")
    inbound = [r["dr_sid"] for r in cx.app[CARRIERX_RECORDS] if r["direction"] == "inbound"]
    assert [item["dr_sid"] for item in page["items"]] + seen == inbound[::-1]
    assert all(set(item) == {"dr_sid", "direction"} for p in pages for item in p["items"])


async def test_order_by_other_fields_with_offset(http, cx) -> None:
    records = list(cx.app[CARRIERX_RECORDS])
    page = await cx_ok(http, listing(cx), limit="1000", order="price asc")
    prices = [float(item["price"]) for item in page["items"]]
    assert prices == sorted(prices) and len(prices) == len(records)
    desc = await cx_ok(http, listing(cx), limit="1000", order="price desc")
    assert desc["items"] == page["items"][::-1]
    nulls = await cx_ok(http, listing(cx), limit="1000", order="passthrough_price")
    values = [item["passthrough_price"] for item in nulls["items"]]
    assert values[-1] is None and values[0] is not None, "nulls last ascending"


async def test_limit_bounds(http, cx) -> None:
    status, page = await cx_get(http, listing(cx), limit="1000")
    assert status == 200 and page["count"] == len(cx.app[CARRIERX_RECORDS])
    status, page = await cx_get(http, listing(cx), limit="0")
    assert status == 200 and page["count"] == 0 and page["has_more"] is True


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"limit": "1001"}, 422, "limit"),
        ({"limit": "-1"}, 422, "limit"),
        ({"limit": "ten"}, 400, "limit"),
        ({"limit": "1.5"}, 400, "limit"),
        ({"offset": "-3"}, 422, "offset"),
        ({"offset": "x"}, 400, "offset"),
        ({"order": "colour asc"}, 422, "order"),
        ({"order": "date_insert sideways"}, 422, "order"),
        ({"order": "media_urls asc"}, 422, "order"),
        ({"after": "00000000-0000-4000-8000-000000000000"}, 400, "after"),
        ({"before": "nope"}, 400, "before"),
        ({"filter": "nope eq 'x'"}, 400, "filter"),
        ({"include_fields": "dr_sid,colour"}, 400, "include_fields"),
        ({"exclude_fields": "colour"}, 400, "exclude_fields"),
    ],
)
async def test_parameter_errors(http, cx, params, status, field) -> None:
    got, body = await cx_get(http, listing(cx), **params)
    assert got == status
    assert set(body) == {"message", "errors"}
    assert body["errors"][0]["field"] == field
    assert set(body["errors"][0]) == {"field", "message", "reference_sid"}


async def test_cursor_combinations_are_refused(http, cx) -> None:
    first, second = sids(cx)[:2]
    status, body = await cx_get(http, listing(cx), after=first, offset="10")
    assert status == 400 and body["errors"][0]["field"] == "offset"
    status, body = await cx_get(http, listing(cx), after=first, before=second)
    assert status == 400
    status, body = await cx_get(http, listing(cx), before=second, order="price asc")
    assert status == 400 and body["errors"][0]["field"] == "order"
    status, body = await cx_get(http, listing(cx), after=first, offset="0")
    assert status == 200


async def test_unknown_cursor_sid_names_it(http, cx) -> None:
    status, body = await cx_get(http, listing(cx), after="gone")
    assert status == 400
    assert body["errors"][0]["reference_sid"] == "gone"


async def test_cursor_outside_the_filter_still_positions(http, cx) -> None:
    records = list(cx.app[CARRIERX_RECORDS])
    anchor = next(i for i, r in enumerate(records) if r["direction"] == "outbound" and i > 20)
    page = await cx_ok(
        http, listing(cx), after=records[anchor]["dr_sid"], filter="direction eq 'inbound'"
    )
    expected = [r["dr_sid"] for r in records[anchor:] if r["direction"] == "inbound"][:10]
    assert [item["dr_sid"] for item in page["items"]] == expected


async def test_empty_after_page_at_the_end(http, cx) -> None:
    everything = sids(cx)
    page = await cx_ok(http, listing(cx), after=everything[-1])
    assert page["count"] == 0 and page["has_more"] is False
    assert "next" not in page["pagination"]
    assert page["pagination"]["previous"].startswith(listing(cx) + f"?before={everything[-1]}")


async def test_order_accepts_an_encoded_plus(http, cx) -> None:
    url = f"{listing(cx)}?limit=5&order=date_insert%2Bdesc"
    async with http.get(url, headers={"Authorization": "Bearer read"}) as response:
        page = await response.json()
    assert [item["dr_sid"] for item in page["items"]] == sids(cx)[::-1][:5]


async def test_added_record_goes_after_its_ties(http) -> None:
    async with cx_served(count=30) as served:
        store = served.app[CARRIERX_RECORDS]
        twin = {**store[10], "dr_sid": "late-twin"}
        store.add(twin)
        everything = sids(served)
        assert everything.index("late-twin") == 11
        page = await cx_ok(http, listing(served), after=everything[10], limit="1")
        assert page["items"][0]["dr_sid"] == "late-twin"
