"""Mutations. Expected failures are payload `errors`, not GraphQL errors, so that clients
can show them next to the input that caused them."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway.errors import (
    BadUserInput,
    Forbidden,
    GatewayError,
    MalformedRecordId,
    NotFound,
    ProviderFailure,
    ProviderForbidden,
    UnsupportedByProvider,
)
from gateway.records import MAX_USER_DATA_LENGTH

from .context import GatewayContext
from .ids import decode_record_id
from .types import (
    SmsRecord,
    UpdateSmsRecordUserDataInput,
    UpdateSmsRecordUserDataPayload,
    UserError,
    UserErrorCode,
)


def _user_error(error: GatewayError) -> UserError:
    if isinstance(error, ProviderForbidden | Forbidden):
        return UserError(code=UserErrorCode.FORBIDDEN, message=error.message)
    if isinstance(error, ProviderFailure):
        return UserError(code=UserErrorCode.PROVIDER_ERROR, message=error.message)
    if isinstance(error, NotFound):
        return UserError(code=UserErrorCode.NOT_FOUND, message=error.message, field=["input", "id"])
    if isinstance(error, UnsupportedByProvider):
        return UserError(
            code=UserErrorCode.UNSUPPORTED_BY_PROVIDER, message=error.message, field=["input", "id"]
        )
    input_field = "id" if isinstance(error, MalformedRecordId) else "userData"
    return UserError(
        code=UserErrorCode.INVALID_INPUT, message=error.message, field=["input", input_field]
    )


@strawberry.type(description="Change SMS records.")
class Mutation:
    @strawberry.mutation(
        description=(
            "Store free text on a record "
            f"(CarrierX records only; at most {MAX_USER_DATA_LENGTH} characters)."
        )
    )
    async def update_sms_record_user_data(
        self,
        info: Info[GatewayContext, None],
        input: Annotated[
            UpdateSmsRecordUserDataInput, strawberry.argument(description="What to change.")
        ],
    ) -> UpdateSmsRecordUserDataPayload:
        context = info.context
        try:
            node_id = decode_record_id(input.id)
            record = await context.service.update_user_data(node_id, input.user_data)
        except (BadUserInput, NotFound, Forbidden, UnsupportedByProvider, ProviderFailure) as error:
            return UpdateSmsRecordUserDataPayload(
                sms_record=None,
                client_mutation_id=input.client_mutation_id,
                errors=[_user_error(error)],
            )
        context.records.prime(node_id, record, force=True)
        return UpdateSmsRecordUserDataPayload(
            sms_record=SmsRecord.from_record(record, context.providers[record.provider]),
            client_mutation_id=input.client_mutation_id,
            errors=[],
        )
