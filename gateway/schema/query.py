"""Query resolvers: translate arguments, call the service, wrap the results."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from gateway import records
from gateway.errors import BadUserInput, GatewayError
from gateway.service import PageRequest, RecordPage

from .context import GatewayContext, PartialError
from .ids import decode_record_id
from .selection import selected_record_fields
from .stats import (
    STATS_DESCRIPTION,
    GroupByArgument,
    SmsRecordStats,
    TimeZoneArgument,
    record_stats,
)
from .types import (
    Provider,
    SmsRecord,
    SmsRecordConnection,
    SmsRecordFilter,
    SmsRecordOrder,
)

GatewayInfo = Info[GatewayContext, None]


def to_record_filter(given: SmsRecordFilter | None) -> records.RecordFilter:
    """The GraphQL filter as the domain's; rejects numbers that are not E.164."""
    if given is None:
        return records.RecordFilter()
    if given.number is not None and not records.is_e164(given.number):
        raise BadUserInput(f"filter.number {given.number!r} is not E.164, e.g. +15551234567.")
    return records.RecordFilter(
        created_after=given.created_after,
        created_before=given.created_before,
        providers=frozenset(given.providers) if given.providers is not None else None,
        direction=given.direction,
        statuses=frozenset(given.statuses) if given.statuses is not None else None,
        type=given.type,
        number=given.number,
    )


@dataclass(frozen=True, slots=True)
class PageArguments:
    """The arguments of `smsRecords`, as Strawberry converts them."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    filter: SmsRecordFilter | None = None
    order_by: SmsRecordOrder = SmsRecordOrder.CREATED_AT_DESC


async def read_page(
    context: GatewayContext,
    path: tuple[str | int, ...],
    arguments: PageArguments,
    fields: frozenset[str],
) -> RecordPage:
    """One page of `smsRecords` at `path`, reading the record `fields`; the accounts that
    failed are reported at `path`. Raises `BadUserInput` or `BadCursor`."""
    page = await context.service.page(
        PageRequest(
            first=arguments.first,
            after=arguments.after,
            last=arguments.last,
            before=arguments.before,
            filter=to_record_filter(arguments.filter),
            order=records.Order(arguments.order_by.value),
            fields=fields,
        )
    )
    context.partial_errors.extend(PartialError(f, path) for f in page.failures)
    return page


async def load_record(info: GatewayInfo, value: str) -> SmsRecord | None:
    context = info.context
    record = await context.records.load(decode_record_id(value))
    if record is None:
        return None
    return SmsRecord.from_record(record, context.providers[record.provider])


@strawberry.type(description="Read SMS records of every configured provider.")
class Query:
    @strawberry.field(description="Fetch any object by its global id; null if it does not exist.")
    async def node(
        self,
        info: GatewayInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> relay.Node | None:
        return await load_record(info, id)

    @strawberry.field(
        description="Fetch objects by global ids, in order; null where one does not exist."
    )
    async def nodes(
        self,
        info: GatewayInfo,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[relay.Node | None]:
        """One failed id does not void the others: it is null, with an error at its index."""
        most = info.context.service.rules.max_page_size
        if len(ids) > most:
            raise BadUserInput(f"`nodes` takes at most {most} ids, got {len(ids)}.")
        results = await asyncio.gather(
            *(load_record(info, value) for value in ids), return_exceptions=True
        )
        path = tuple(info.path.as_list())
        found: list[relay.Node | None] = []
        for index, result in enumerate(results):
            if isinstance(result, GatewayError):
                info.context.partial_errors.append(PartialError(result, (*path, index)))
                found.append(None)
            elif isinstance(result, BaseException):
                raise result
            else:
                found.append(result)
        return found

    @strawberry.field(
        description=(
            "SMS records of every selected provider, merged into one list ordered by "
            "creation time (ties by provider name). Page forward with `first`/`after`, "
            "backward with `last`/`before`."
        )
    )
    async def sms_records(
        self,
        info: GatewayInfo,
        first: Annotated[
            int | None,
            strawberry.argument(description="Page size going forward (0 to max_page_size)."),
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor: the page starts after this edge.")
        ] = None,
        last: Annotated[
            int | None,
            strawberry.argument(description="Page size going backward (0 to max_page_size)."),
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="Cursor: the page ends before this edge.")
        ] = None,
        filter: Annotated[
            SmsRecordFilter | None,
            strawberry.argument(
                description="Narrows the records; a cursor only serves its filter."
            ),
        ] = None,
        order_by: Annotated[
            SmsRecordOrder, strawberry.argument(description="Newest or oldest first.")
        ] = SmsRecordOrder.CREATED_AT_DESC,
    ) -> SmsRecordConnection:
        page = await read_page(
            info.context,
            tuple(info.path.as_list()),
            PageArguments(first, after, last, before, filter, order_by),
            selected_record_fields(info),
        )
        return SmsRecordConnection.of(page, info.context.providers)

    @strawberry.field(description=STATS_DESCRIPTION)
    async def sms_record_stats(
        self,
        info: GatewayInfo,
        filter: Annotated[
            SmsRecordFilter | None,
            strawberry.argument(description="Narrows the records, as for `smsRecords`."),
        ] = None,
        # An immutable default, which the schema shows as `[]`; Strawberry needs `list` to
        # declare a GraphQL list.
        group_by: GroupByArgument = (),  # type: ignore[assignment]
        time_zone: TimeZoneArgument = "UTC",
    ) -> SmsRecordStats:
        return await record_stats(info, to_record_filter(filter), group_by, time_zone)

    @strawberry.field(description="The configured provider accounts.")
    def providers(self, info: GatewayInfo) -> list[Provider]:
        return list(info.context.providers.values())
