"""node/nodes, the mapping onto SmsRecord, and the userData mutation, over the fakes."""

import base64
from collections import Counter
from datetime import datetime
from decimal import Decimal

from .data import dfs_created

RECORD = """
fragment Fields on SmsRecord {
  id provider { name kind } providerRecordId direction status rawStatus type from to
  groupRecipients body mediaUrls segments price createdAt sentAt finishedAt updatedAt
  userData mcc mnc carrier raw
}
"""
NODE = RECORD + "query($id: ID!) { node(id: $id) { ...Fields } }"
NODES = RECORD + "query($ids: [ID!]!) { nodes(ids: $ids) { ...Fields } }"
UPDATE = """
mutation($input: UpdateSmsRecordUserDataInput!) {
  updateSmsRecordUserData(input: $input) {
    smsRecord { id userData updatedAt }
    clientMutationId
    errors { code message field }
  }
}
"""


def global_id(account: str, key: str) -> str:
    return base64.b64encode(f"SmsRecord:{account}:{key}".encode()).decode()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def node(contract, account: str, key: str) -> dict | None:
    result = await contract.gql(NODE, {"id": global_id(account, key)})
    assert "errors" not in result, result["errors"]
    return result["data"]["node"]


async def test_didforsale_nodes_resolve_every_row_of_a_tied_second(contract):
    fake = contract.accounts.dfs["dfs-lhi"]
    dates = Counter(row["date"] for row in fake.rows)
    tied = [row for row in fake.listing() if dates[row["date"]] >= 3][:4]
    assert len({row["date"] for row in tied}) <= 2
    for row in tied:
        got = await node(contract, "dfs-lhi", f"{row['uuid']}:{row['date']}")
        assert got is not None
        assert got["providerRecordId"] == row["uuid"]
        assert got["provider"] == {"name": "dfs-lhi", "kind": "DIDFORSALE"}
        assert got["from"] == f"+{row['sender']}" and got["to"] == f"+{row['reciever']}"
        assert Decimal(got["price"]) == Decimal(repr(row["cost"]))
        assert instant(got["createdAt"]) == dfs_created(row, "dfs-lhi")
        assert got["raw"]["cdr_row"] == row["cdr_row"] and "campaign" in got["raw"]
        assert (got["type"], got["userData"], got["mediaUrls"], got["groupRecipients"]) == (
            "SMS",
            None,
            [],
            [],
        )


async def test_a_row_of_the_repeated_hour_is_found_and_read_as_its_first_occurrence(contract):
    fake = contract.accounts.dfs["dfs-lhi"]
    row = next(r for r in fake.rows if "2024-04-07 01:30:00" <= r["date"] <= "2024-04-07 01:59:59")
    got = await node(contract, "dfs-lhi", f"{row['uuid']}:{row['date']}")
    assert got is not None and got["providerRecordId"] == row["uuid"]
    assert instant(got["createdAt"]) == dfs_created(row, "dfs-lhi")
    assert instant(got["createdAt"]).utcoffset() is not None
    assert instant(got["createdAt"]).hour == 14  # 01:3x at +11:00, before clocks went back


async def test_carrierx_node_maps_the_documented_fields(contract):
    record = next(
        r for r in contract.accounts.cx["zulu-cx"].records if r["type"] == "mms" and r["date_sent"]
    )
    got = await node(contract, "zulu-cx", record["dr_sid"])
    assert got is not None
    assert got["providerRecordId"] == record["dr_sid"]
    assert got["type"] == "MMS" and got["mediaUrls"] == record["media_urls"]
    assert got["groupRecipients"] == [f"+{n}" for n in record["number_group_dst"]]
    assert got["price"] == record["price"]
    assert instant(got["createdAt"]) == instant(record["date_insert"])
    assert instant(got["sentAt"]) == instant(record["date_sent"])
    assert instant(got["finishedAt"]) == instant(record["date_stop"])
    assert (got["mcc"], got["mnc"], got["carrier"]) == ("310", str(record["mnc"]), "tsg")
    assert got["raw"]["region"] == "us-east-1" and got["raw"]["passthrough_price"] is None


async def test_nodes_mixes_accounts_and_gives_null_for_unknown_records(contract):
    row = contract.accounts.dfs["dfs-ktm"].listing()[50]
    record = contract.accounts.cx["alpha-cx"].ascending()[50]
    ids = [
        global_id("dfs-ktm", f"{row['uuid']}:{row['date']}"),
        global_id("alpha-cx", record["dr_sid"]),
        global_id("dfs-ktm", f"1:{row['date']}"),
        global_id("alpha-cx", "00000000-0000-4000-8000-00000000dead"),
    ]
    result = await contract.gql(NODES, {"ids": ids})
    assert "errors" not in result, result["errors"]
    found = result["data"]["nodes"]
    assert [n and n["providerRecordId"] for n in found] == [
        row["uuid"],
        record["dr_sid"],
        None,
        None,
    ]
    assert contract.accounts.refusals().get("alpha-cx", [])[-1:] == [(404, "not found")]


async def test_user_data_is_stored_on_carrierx_and_refused_elsewhere(own_contract):
    fake = own_contract.accounts.cx["alpha-cx"]
    record = fake.ascending()[10]
    record_id = global_id("alpha-cx", record["dr_sid"])

    async def update(user_data: str | None, target: str = record_id) -> dict:
        result = await own_contract.gql(
            UPDATE, {"input": {"id": target, "userData": user_data, "clientMutationId": "m1"}}
        )
        assert "errors" not in result, result["errors"]
        return result["data"]["updateSmsRecordUserData"]

    stored = await update("ticket #42")
    assert stored["errors"] == [] and stored["clientMutationId"] == "m1"
    assert stored["smsRecord"] == {
        "id": record_id,
        "userData": "ticket #42",
        "updatedAt": stored["smsRecord"]["updatedAt"],
    }
    assert record["user_data"] == "ticket #42"
    assert (await node(own_contract, "alpha-cx", record["dr_sid"]))["userData"] == "ticket #42"
    assert (await update(None))["smsRecord"]["userData"] is None

    wide = "😀" * 1500  # 1500 characters, 3000 UTF-16 code units: the fake counts the latter
    refused = await update(wide)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_INPUT"]
    assert refused["smsRecord"] is None and record["user_data"] is None
    assert fake.refusals.pop() == (422, "user_data is longer than 2000 characters")

    too_long = await update("x" * 2001)
    assert [e["code"] for e in too_long["errors"]] == ["INVALID_INPUT"]

    missing = await update("x", global_id("alpha-cx", "00000000-0000-4000-8000-00000000beef"))
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    assert fake.refusals.pop() == (404, "not found")

    row = own_contract.accounts.dfs["dfs-ktm"].listing()[0]
    dfs = await update("x", global_id("dfs-ktm", f"{row['uuid']}:{row['date']}"))
    assert [e["code"] for e in dfs["errors"]] == ["UNSUPPORTED_BY_PROVIDER"]
    assert own_contract.accounts.refusals() == {}
