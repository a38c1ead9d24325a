"""A document the gateway has seen is neither parsed nor validated again, as its metrics
show; a new one, or one that fails to parse, is."""

import re
import uuid

from tests.support.simulators import Simulated


async def prepared(deployment: Simulated) -> dict[str, float]:
    """`gateway_documents_prepared_total` by stage, as `/metrics` shows it."""
    async with deployment.http.get(deployment.gateway_url + "/metrics") as response:
        text = await response.text()
    found = re.findall(r'^gateway_documents_prepared_total\{stage="(\w+)"\} (\S+)$', text, re.M)
    return {stage: float(count) for stage, count in found}


async def test_repeated_documents_are_parsed_and_validated_once(deployment: Simulated):
    # A fresh alias makes the document new to this process, whatever ran before.
    query = f"{{ a{uuid.uuid4().hex}: providers {{ name }} }}"
    before = await prepared(deployment)
    for _ in range(3):
        reply = await deployment.gql(query)
        assert "errors" not in reply
    after = await prepared(deployment)
    assert after["parse"] - before.get("parse", 0) == 1
    assert after["validate"] - before.get("validate", 0) == 1

    invalid = f"{{ a{uuid.uuid4().hex}: providers {{ nope }} }}"
    for _ in range(2):
        reply = await deployment.gql(invalid)
        assert reply["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    again = await prepared(deployment)
    assert again["parse"] - after["parse"] == 1
    assert again["validate"] - after["validate"] == 1


async def test_a_syntax_error_is_reported_each_time(deployment: Simulated):
    before = await prepared(deployment)
    for _ in range(2):
        reply = await deployment.gql("{ providers { name }")
        assert reply["errors"][0]["message"].startswith("Syntax Error")
        assert reply["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    after = await prepared(deployment)
    assert after.get("validate", 0) == before.get("validate", 0)
