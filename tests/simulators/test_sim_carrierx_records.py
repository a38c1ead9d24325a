"""CarrierX auth, scopes, one record, and updates over real HTTP."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from gateway.simulators.carrierx import CARRIERX_RECORDS
from gateway.simulators.carrierx_query import FIELDS
from gateway.simulators.dataset import CARRIERX_PARTNER_SID

from .support import Served, bearer, cx_get, cx_ok, cx_served


def one(served: Served, index: int = 0) -> str:
    """The URL of one record."""
    return f"{served.base}/sms/message_drs/{served.app[CARRIERX_RECORDS][index]['dr_sid']}"


async def send(
    http: aiohttp.ClientSession, method: str, url: str, body: Any, token: str = "manage"
) -> tuple[int, dict[str, Any]]:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
    async with http.request(method, url, headers=bearer(token), **kwargs) as response:
        return response.status, await response.json()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer unknown"}, {"Authorization": "Basic bWFuYWdlOg=="}],
)
async def test_missing_or_unknown_token_is_401(http, cx, headers) -> None:
    url = one(cx)
    for target in (cx.base + "/sms/message_drs", url):
        async with http.get(target, headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == "Bearer"
            body = await response.json()
            assert set(body) == {"message", "errors"}


@pytest.mark.parametrize(("token", "status"), [("manage", 200), ("read", 200), ("update", 403)])
async def test_read_scopes(http, cx, token, status) -> None:
    got, _ = await cx_get(http, cx.base + "/sms/message_drs", token)
    assert got == status
    got, _ = await cx_get(http, one(cx), token)
    assert got == status


@pytest.mark.parametrize(
    ("token", "status"), [("manage", 200), ("update", 200), ("read", 403), ("nothing", 403)]
)
async def test_update_scopes(http, cx_fresh, token, status) -> None:
    got, _ = await send(http, "PATCH", one(cx_fresh), {"user_data": "x"}, token)
    assert got == status


async def test_get_one_record(http, cx) -> None:
    url = one(cx, 7)
    record = await cx_ok(http, url)
    assert record == cx.app[CARRIERX_RECORDS][7]
    assert list(record) == list(FIELDS)
    for field in ("price", "rate", "mcc_mnc_price", "mcc_mnc_rate"):
        assert isinstance(record[field], str)


async def test_unknown_sid_is_404(http, cx) -> None:
    url = cx.base + "/sms/message_drs/11111111-2222-4333-8444-555555555555"
    status, body = await cx_get(http, url)
    assert status == 404
    assert body["errors"][0]["reference_sid"] == "11111111-2222-4333-8444-555555555555"
    status, _ = await send(http, "PATCH", url, {"user_data": "x"})
    assert status == 404


async def test_patch_changes_only_user_data(http, cx_fresh) -> None:
    url = one(cx_fresh, 3)
    sid = cx_fresh.app[CARRIERX_RECORDS][3]["dr_sid"]
    before = dict(cx_fresh.app[CARRIERX_RECORDS][3])
    status, after = await send(http, "PATCH", url, {"user_data": "note", "status": "failed"})
    assert status == 200
    assert after["user_data"] == "note"
    assert after["date_changed"] > before["date_changed"]
    assert {k: v for k, v in after.items() if k not in ("user_data", "date_changed")} == {
        k: v for k, v in before.items() if k not in ("user_data", "date_changed")
    }
    assert await cx_ok(http, url) == after
    listed = await cx_ok(http, cx_fresh.base + "/sms/message_drs", filter="user_data eq 'note'")
    assert [item["dr_sid"] for item in listed["items"]] == [sid]


async def test_patch_can_clear_user_data(http, cx_fresh) -> None:
    status, record = await send(http, "PATCH", one(cx_fresh), {"user_data": None})
    assert status == 200 and record["user_data"] is None


async def test_patch_without_user_data_changes_nothing(http, cx_fresh) -> None:
    before = dict(cx_fresh.app[CARRIERX_RECORDS][0])
    status, record = await send(http, "PATCH", one(cx_fresh), {"message": "hacked"})
    assert status == 200 and record == before


async def test_user_data_limit(http, cx_fresh) -> None:
    url = one(cx_fresh)
    status, record = await send(http, "PATCH", url, {"user_data": "x" * 2000})
    assert status == 200 and len(record["user_data"]) == 2000
    status, body = await send(http, "PATCH", url, {"user_data": "x" * 2001})
    assert status == 422 and body["errors"][0]["field"] == "user_data"
    status, body = await send(http, "PATCH", url, {"user_data": 5})
    assert status == 422


@pytest.mark.parametrize("body", ["not json", "[1]", '"text"'])
async def test_update_body_must_be_an_object(http, cx_fresh, body) -> None:
    status, _ = await send(http, "PATCH", one(cx_fresh), body)
    assert status == 400


async def test_put_takes_the_whole_object(http, cx_fresh) -> None:
    url = one(cx_fresh, 5)
    sid = cx_fresh.app[CARRIERX_RECORDS][5]["dr_sid"]
    whole = await cx_ok(http, url)
    status, record = await send(
        http, "PUT", url, {**whole, "user_data": "via put", "price": "9.99", "dr_sid": "other"}
    )
    assert status == 200
    assert record["user_data"] == "via put"
    assert record["price"] == whole["price"] and record["dr_sid"] == sid
    partial = {k: v for k, v in whole.items() if k != "status"}
    status, body = await send(http, "PUT", url, partial)
    assert status == 422 and body["errors"][0]["field"] == "status"
    status, _ = await send(http, "PUT", url, {**whole, "user_data": "y" * 2001})
    assert status == 422


async def test_descendant_records_need_their_scope(http) -> None:
    async with cx_served(count=20, partner_sid=CARRIERX_PARTNER_SID) as served:
        listing = served.base + "/sms/message_drs"
        store = served.app[CARRIERX_RECORDS]
        store.add({**store[-1], "dr_sid": "child-record", "partner_sid": "another-partner"})
        listed = await cx_ok(http, listing, limit="100")
        assert "child-record" not in [item["dr_sid"] for item in listed["items"]]
        assert listed["total"] == 20
        status, _ = await cx_get(http, f"{listing}/child-record")
        assert status == 404
        status, _ = await cx_get(http, listing, after="child-record")
        assert status == 400
        listed = await cx_ok(http, listing, "descendant", limit="100")
        assert listed["items"][-1]["dr_sid"] == "child-record"
        assert (await cx_ok(http, f"{listing}/child-record", "descendant"))["dr_sid"]
