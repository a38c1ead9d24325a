"""`smsRecordStats`: GraphQL types over the domain's totals, and the resolver's body."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.types import Info

from gateway import records, totals
from gateway.stats import StatsRequest

from .context import GatewayContext, PartialError
from .types import Direction, MessageType, ProviderStatus, SmsStatus

SmsRecordStatsKey = totals.StatsKey
strawberry.enum(
    SmsRecordStatsKey,
    name="SmsRecordStatsKey",
    description="What `smsRecordStats` can group records by.",
)

STATS_DESCRIPTION = (
    "Totals of the records `smsRecords` would list with this filter (the same window, "
    "accounts and pushdown): how many, their segments and their price, overall and per "
    "distinct combination of the `groupBy` keys. Buckets are sorted by key, compared key by "
    "key in `groupBy` order: provider names and days as strings, hours in time, enum values "
    "in the order this schema declares them. Grouped keys are never null (every record has "
    "a direction, status and type, `UNKNOWN` and `UNDIRECTED` included); keys not grouped by "
    "are null. Each account is read once in its API's largest pages; one whose totals are "
    "missing or cut short makes `complete` false and is named in `providerStatus` and "
    "`errors`."
)

GroupByArgument = Annotated[
    list[SmsRecordStatsKey],
    strawberry.argument(
        description="Keys to group by, each at most once; none gives the total alone."
    ),
]
TimeZoneArgument = Annotated[
    str,
    strawberry.argument(
        description="IANA time zone of `DAY` (e.g. America/Chicago); a day there may last "
        "23 or 25 hours. `HOUR` is always the UTC hour."
    ),
]


@strawberry.type(description="What the records of a bucket share; null for keys not grouped by.")
class SmsRecordStatsBucketKey:
    provider: str | None = strawberry.field(description="Account name (`PROVIDER`).")
    direction: Direction | None = strawberry.field(description="Direction (`DIRECTION`).")
    status: SmsStatus | None = strawberry.field(description="Normalised status (`STATUS`).")
    type: MessageType | None = strawberry.field(description="SMS or MMS (`TYPE`).")
    day: str | None = strawberry.field(
        description="Calendar day `YYYY-MM-DD` of `createdAt` in `timeZone` (`DAY`)."
    )
    hour: datetime | None = strawberry.field(
        description="Start of the UTC hour of `createdAt` (`HOUR`)."
    )


@strawberry.type(description="Totals of a set of SMS records.")
class SmsRecordStatsBucket:
    key: SmsRecordStatsBucketKey = strawberry.field(description="What the records share.")
    count: int = strawberry.field(description="How many records.")
    segments: int = strawberry.field(
        description="Sum of their `segments` (DIDforSale's computed from the text, as on "
        "`SmsRecord`); records without a count add none."
    )
    price: Decimal = strawberry.field(description="Exact sum of their known prices, US dollars.")
    unpriced_count: int = strawberry.field(description="How many have no price.")

    @classmethod
    def from_bucket(cls, bucket: totals.Bucket) -> SmsRecordStatsBucket:
        key = bucket.key
        return cls(
            key=SmsRecordStatsBucketKey(
                provider=key.provider,
                direction=key.direction,
                status=key.status,
                type=key.type,
                day=key.day,
                hour=key.hour,
            ),
            count=bucket.count,
            segments=bucket.segments,
            price=bucket.price,
            unpriced_count=bucket.unpriced_count,
        )


@strawberry.type(description="Totals of SMS records over every selected provider account.")
class SmsRecordStats:
    total: SmsRecordStatsBucket = strawberry.field(description="All the records together.")
    buckets: list[SmsRecordStatsBucket] = strawberry.field(
        description="One per distinct key combination, sorted by key in `groupBy` order."
    )
    complete: bool = strawberry.field(
        description="False when an account failed (its records are left out) or reached "
        "`[limits] max_stats_calls` (its oldest records are in, the rest are not)."
    )
    provider_status: list[ProviderStatus] = strawberry.field(
        description="One entry per selected provider account."
    )


async def record_stats(
    info: Info[GatewayContext, None],
    record_filter: records.RecordFilter,
    group_by: Sequence[totals.StatsKey],
    time_zone: str,
) -> SmsRecordStats:
    """Asks the service, and reports each account that is not whole as an error too."""
    context = info.context
    result = await context.stats.stats(StatsRequest(record_filter, tuple(group_by), time_zone))
    path = tuple(info.path.as_list())
    context.partial_errors.extend(PartialError(problem, path) for problem in result.failures)
    return SmsRecordStats(
        total=SmsRecordStatsBucket.from_bucket(result.total),
        buckets=[SmsRecordStatsBucket.from_bucket(bucket) for bucket in result.buckets],
        complete=result.complete,
        provider_status=[ProviderStatus.from_status(s) for s in result.provider_status],
    )
