"""An unexpected failure goes out masked, with the request's id; its log line has both."""

import json

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from gateway.logs import log_formatter
from gateway.request_ids import adopt_request_id
from gateway.schema.errors import code_errors


def test_an_unexpected_failure_is_masked_and_logged_with_the_request_id(caplog):
    caplog.handler.setFormatter(log_formatter("json"))
    request_id = adopt_request_id("req-7.a")
    failure = RuntimeError("connection string postgres://user:pw@db")
    raised = GraphQLError("connection string postgres://user:pw@db", original_error=failure)

    result = code_errors(ExecutionResult(data=None, errors=[raised]), context=None)

    (error,) = result.errors or []
    assert error.message == "Internal server error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[1] is failure
    (line,) = [json.loads(text) for text in caplog.text.splitlines()]
    assert line["request_id"] == "req-7.a" and line["level"] == "error"
    assert "RuntimeError: connection string" in line["exception"]


def test_errors_the_client_can_fix_keep_their_message_and_get_a_code():
    result = code_errors(
        ExecutionResult(data=None, errors=[GraphQLError("Unknown fragment 'B'.")]), context=None
    )
    (error,) = result.errors or []
    assert error.message == "Unknown fragment 'B'."
    assert error.extensions == {"code": "BAD_USER_INPUT"}


def test_a_well_formed_request_id_is_kept_and_any_other_replaced():
    assert adopt_request_id("trace-1_2.3") == "trace-1_2.3"
    for sent in (None, "", "has space", "x" * 65, "ünïcode"):
        assert len(adopt_request_id(sent)) == 32
