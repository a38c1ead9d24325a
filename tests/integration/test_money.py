"""Money stays exact on the wire: a provider's fractional JSON numbers come back in `raw` as
JSON numbers with the very digits the provider sent, and `price` as the same digits in a
string, however many there are; integers too wide for 64 bits keep their digits as well."""

import json
from datetime import UTC, datetime, timedelta

from aiohttp import web

from tests.support.deployment import Upstream, deploy

COSTS = ("0.0075", "0.00750", "12345678901234567890.123456789")
WIDE_INTEGERS = ("123456789012345678901234567890", "-9223372036854775809", "18446744073709551615")
QUERY = """{
  smsRecords(first: 10, orderBy: CREATED_AT_ASC, filter: {providers: ["exact"]}) {
    nodes { price raw }
  }
}"""


def cdr_listing(now: datetime) -> bytes:
    """One page of DIDforSale CDR rows, a second apart, written by hand so that each `cost`
    is a JSON number with exactly the digits above (a float would already lose some)."""
    rows = ", ".join(
        json.dumps(
            {
                "uuid": str(1000 + index),
                "date": (now - timedelta(hours=1) + timedelta(seconds=index)).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "sender": "15550100",
                "reciever": "15550101",
                "message": "hi",
                "cost": "COST",
                "carrier_ref": "WIDE",
                "status": "delivered",
                "direction": "outbound",
            }
        )
        .replace('"COST"', cost)
        .replace('"WIDE"', wide)
        for index, (cost, wide) in enumerate(zip(COSTS, WIDE_INTEGERS, strict=True))
    )
    return (
        '{"status": true, "message": "Success", "code": 100, '
        f'"sms_cdr": [{rows}], "last_record_number": 0}}'
    ).encode()


async def test_raw_numbers_and_prices_keep_their_digits():
    listing = cdr_listing(datetime.now(UTC))

    async def cdr(request: web.Request) -> web.Response:
        return web.Response(body=listing, content_type="application/json")

    upstream = web.Application()
    upstream.router.add_post("/SMS/CDR", cdr)
    account = Upstream("exact", upstream, "", {"kind": "didforsale", "api_key": "k", "token": "t"})
    deployed = await deploy(None, [account])
    try:
        async with deployed.http.post(
            f"{deployed.gateway_url}/graphql", json={"query": QUERY}
        ) as response:
            assert response.status == 200
            text = await response.text()
    finally:
        await deployed.close()
    body = json.loads(
        text,
        parse_float=lambda digits: ("number", digits),
        parse_int=lambda digits: ("integer", digits),
    )
    nodes = body["data"]["smsRecords"]["nodes"]
    assert [node["raw"]["cost"] for node in nodes] == [("number", cost) for cost in COSTS]
    assert [node["raw"]["carrier_ref"] for node in nodes] == [
        ("integer", wide) for wide in WIDE_INTEGERS
    ]
    assert [node["price"] for node in nodes] == list(COSTS)
