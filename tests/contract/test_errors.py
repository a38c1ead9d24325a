"""Provider failures as the contract describes them, mapped to the gateway's error codes."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.deployment import BaseOf
from tests.support.relay import FORWARD, record_keys, walk

from .deployment import CX_NONE, CX_READ, WINDOW_FILTER, Contract, deploy, dfs_credentials
from .test_records import UPDATE, global_id

PAGE = """
query($first: Int, $after: String, $filter: SmsRecordFilter, $order: SmsRecordOrder!) {
  smsRecords(first: $first, after: $after, filter: $filter, orderBy: $order) {
    edges { node { provider { name } providerRecordId } }
    pageInfo { hasNextPage endCursor }
    providerStatus { provider ok code message }
  }
}
"""
MAIN = ["dfs-lhi", "dfs-ktm", "alpha-cx", "zulu-cx"]


@pytest.fixture
async def faulty() -> AsyncIterator[Contract]:
    """One per test: tests here queue faults, remove records and read refusal logs."""
    key, _ = dfs_credentials("dfs-ktm")
    deployed = await deploy(
        {"dfs-lhi": 200, "dfs-ktm": 120, "alpha-cx": 150, "zulu-cx": 300},
        extra_providers=[
            {
                "name": "dfs-wrong",
                "kind": "didforsale",
                "base_url": BaseOf("dfs-ktm"),
                "api_key": key,
                "token": "wrong-dfs-secret",
                "timezone": "Asia/Kathmandu",
            },
            {
                "name": "cx-anon",
                "kind": "carrierx",
                "base_url": BaseOf("alpha-cx"),
                "token": "bad-cx-secret",
            },
            {
                "name": "cx-noscope",
                "kind": "carrierx",
                "base_url": BaseOf("alpha-cx"),
                "token": CX_NONE,
            },
            {
                "name": "cx-readonly",
                "kind": "carrierx",
                "base_url": BaseOf("alpha-cx"),
                "token": CX_READ,
            },
        ],
    )
    yield deployed
    await deployed.close()


async def page(
    contract: Contract,
    providers: list[str],
    *,
    first: int = 100,
    after: str | None = None,
    order: str = "CREATED_AT_DESC",
) -> dict[str, Any]:
    record_filter = WINDOW_FILTER | {"providers": providers}
    variables = {"first": first, "after": after, "filter": record_filter, "order": order}
    return await contract.gql(PAGE, variables)


def failures(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"]["provider"]) for e in result["errors"]]


def statuses(result: dict[str, Any]) -> dict[str, tuple[bool, str | None]]:
    listed = result["data"]["smsRecords"]["providerStatus"]
    return {s["provider"]: (s["ok"], s["code"]) for s in listed}


async def test_didforsale_failure_in_a_200_body_fails_that_account_alone(faulty):
    result = await page(faulty, ["dfs-ktm", "dfs-wrong"])
    assert failures(result) == [("PROVIDER_ERROR", "dfs-wrong")]
    assert statuses(result) == {"dfs-ktm": (True, None), "dfs-wrong": (False, "PROVIDER_ERROR")}
    edges = result["data"]["smsRecords"]["edges"]
    expected = faulty.accounts.expected(descending=True, keep=lambda a, r, t: a == "dfs-ktm")[:100]
    assert [("dfs-ktm", e["node"]["providerRecordId"]) for e in edges] == expected
    assert result["data"]["smsRecords"]["pageInfo"]["hasNextPage"] is True
    text = str(result)
    assert "wrong-dfs-secret" not in text and "127.0.0.1" not in text
    assert faulty.accounts.dfs["dfs-ktm"].refusals == ["Authentication failed"]


async def test_carrierx_401_is_a_provider_error_and_403_is_forbidden(faulty):
    result = await page(faulty, ["cx-anon", "cx-noscope", "alpha-cx"])
    assert sorted(failures(result)) == [("FORBIDDEN", "cx-noscope"), ("PROVIDER_ERROR", "cx-anon")]
    assert statuses(result)["alpha-cx"] == (True, None)
    assert "bad-cx-secret" not in str(result)
    assert sorted(status for status, _ in faulty.accounts.cx["alpha-cx"].refusals) == [401, 403]


async def test_a_read_only_token_lists_but_cannot_update(faulty):
    listed = await page(faulty, ["cx-readonly"], first=1)
    assert "errors" not in listed
    sid = listed["data"]["smsRecords"]["edges"][0]["node"]["providerRecordId"]
    result = await faulty.gql(
        UPDATE, {"input": {"id": global_id("cx-readonly", sid), "userData": "x"}}
    )
    assert [e["code"] for e in result["data"]["updateSmsRecordUserData"]["errors"]] == ["FORBIDDEN"]
    assert faulty.accounts.cx["alpha-cx"].refusals == [(403, "insufficient scope")]


async def test_rate_limiting_is_waited_out(faulty):
    faulty.accounts.cx["alpha-cx"].faults.add(429, times=2, retry_after="0")
    result = await page(faulty, ["alpha-cx"], first=5)
    assert "errors" not in result
    assert len(result["data"]["smsRecords"]["edges"]) == 5


async def test_an_unavailable_account_is_reported_and_caught_up_later(faulty):
    async def outage(page: int) -> None:
        if page == 1:
            faulty.accounts.cx["zulu-cx"].faults.add(503, times=3)

    done = await walk(
        faulty.gql,
        FORWARD,
        37,
        query=PAGE,
        strict=False,
        before_each=outage,
        filter=WINDOW_FILTER | {"providers": MAIN},
        order="CREATED_AT_ASC",
    )
    for number, walked in enumerate(done.pages, start=1):
        if number == 2:
            assert failures(walked.reply) == [("PROVIDER_UNAVAILABLE", "zulu-cx")]
            assert statuses(walked.reply)["zulu-cx"] == (False, "PROVIDER_UNAVAILABLE")
        else:
            assert "errors" not in walked.reply, walked.reply["errors"]
    seen = record_keys(done.records)
    expected = faulty.accounts.expected()
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == set(expected)


async def test_a_carrierx_record_gone_from_under_a_cursor_does_not_break_the_walk(faulty):
    """Unknown SID in `after` is a 400: the walk resumes from that record's time instead."""
    fake = faulty.accounts.cx["zulu-cx"]
    ordered = faulty.accounts.expected(keep=lambda a, r, t: a == "zulu-cx")
    instants = {r["dr_sid"]: r["date_insert"] for r in fake.records}
    size = next(n for n in range(20, 60) if instants[ordered[n - 1][1]] != instants[ordered[n][1]])
    first = await page(faulty, ["zulu-cx"], first=size, order="CREATED_AT_ASC")
    gone = first["data"]["smsRecords"]["edges"][-1]["node"]["providerRecordId"]
    fake.records = [r for r in fake.records if r["dr_sid"] != gone]
    after = first["data"]["smsRecords"]["pageInfo"]["endCursor"]
    rest = await page(faulty, ["zulu-cx"], first=100, after=after, order="CREATED_AT_ASC")
    assert "errors" not in rest
    got = [("zulu-cx", e["node"]["providerRecordId"]) for e in rest["data"]["smsRecords"]["edges"]]
    assert got == ordered[size : size + 100]
    assert fake.refusals == [(400, "unknown SID")]


async def test_readiness_asks_every_account_once_with_its_own_credentials(contract, faulty):
    async with contract.http.get(f"{contract.gateway_url}/readyz") as response:
        assert response.status == 200
        body = await response.json()
    assert {name: s["ok"] for name, s in body["providers"].items()} == dict.fromkeys(MAIN, True)
    async with faulty.http.get(f"{faulty.gateway_url}/readyz") as response:
        assert response.status == 503
        body = await response.json()
    broken = {name for name, s in body["providers"].items() if not s["ok"]}
    assert broken == {"dfs-wrong", "cx-anon", "cx-noscope"}
    assert contract.accounts.refusals() == {}
