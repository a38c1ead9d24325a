"""DIDforSale: the SMS CDR endpoint, the only SMS listing its API has.

The API lists a wall-clock date range in ascending `date` order, 500 rows a page, continued by
an opaque `last_record_number`; it has no lookup by id, no update and no descending order. So:

- a record's node key is `uuid:date` (the raw local `date`), and a lookup lists that one second;
- descending streams walk back through growing time windows, each listed ascending and reversed;
- ties inside one second are resolved in the provider's listing order, which a boundary of this
  account names by `uuid`.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

import aiohttp

from gateway.cache import PageCache
from gateway.config import DidForSaleSettings
from gateway.errors import (
    MalformedRecordId,
    ProviderError,
    UnsupportedByProvider,
    account_label,
)
from gateway.providers import values
from gateway.providers.base import Boundary, ScanPage, Stream, StreamEntry, StreamQuery, is_after
from gateway.providers.http import AccountClient, HttpReply, decode_json
from gateway.providers.read_once import ReadOnce
from gateway.providers.segments import count_segments
from gateway.providers.span import query_span, scan_query, wanted
from gateway.providers.wallclock import floor_second, wall_range, wall_to_utc
from gateway.records import (
    MessageType,
    Order,
    ProviderCapability,
    ProviderKind,
    RecordFilter,
    SmsRecord,
    TimeWindow,
    to_e164,
)

KIND = ProviderKind.DIDFORSALE
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_DATE_SHAPE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
_DATE_LENGTH = 19
_SUCCESS_CODE = 100
_BAD_CREDENTIALS_CODE = 101
_FIRST_DESCENDING_WINDOW = timedelta(hours=1)
_DESCENDING_TARGET_ROWS = 9500
_MAX_WINDOW_GROWTH = 1024
_TICK = timedelta(microseconds=1)
_EMPTY_WINDOW_GROWTH = 8
_MIN_WINDOW_SECONDS = 60
_ROWS_READ = 12_000
"""Rows of parsed pages kept per account: one descending window (about 9,500 rows) and
then some, rather than a count of pages, since a parsed row costs a kilobyte or two."""
_SECOND = timedelta(seconds=1)
_CHECK_WINDOW = timedelta(minutes=1)

PageToken = int | str


@dataclass(frozen=True, slots=True)
class CdrPage:
    """One reply of the CDR endpoint: its rows and the token that continues the range."""

    records: tuple[SmsRecord, ...]
    next_token: PageToken

    @property
    def is_last(self) -> bool:
        return int(self.next_token) == 0


class DidForSaleAdapter:
    """One DIDforSale account."""

    def __init__(
        self,
        settings: DidForSaleSettings,
        session: aiohttp.ClientSession,
        *,
        cache: PageCache | None = None,
    ) -> None:
        self._settings = settings
        self._cache = cache or PageCache.disabled()
        self._secret = f"{settings.api_key}:{settings.token}"
        self._pages_read: ReadOnce[CdrPage] = ReadOnce(_ROWS_READ, getsizeof=_rows)
        self._zone = ZoneInfo(settings.timezone)
        self._url = settings.base + "/" + settings.cdr_path.lstrip("/")
        self._label = account_label(KIND.value, settings.name)
        basic = base64.b64encode(self._secret.encode()).decode("ascii")
        self._client = AccountClient(
            session,
            settings,
            kind=KIND.value,
            headers={"Authorization": f"Basic {basic}"},
        )

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def kind(self) -> ProviderKind:
        return KIND

    @property
    def capabilities(self) -> frozenset[ProviderCapability]:
        return frozenset({ProviderCapability.LIST_RECORDS})

    async def stream(self, query: StreamQuery) -> Stream:
        span = query_span(query, self.name)
        if span is None or query.filter.type is MessageType.MMS:
            return Stream()
        if query.order is Order.ASC:
            return await self._ascending(query, span)
        return await self._descending(query, span)

    async def scan(
        self, window: TimeWindow, record_filter: RecordFilter, fields: frozenset[str]
    ) -> AsyncGenerator[ScanPage, None]:
        """The window's range listed once, 500 rows a page, through the page cache under the
        same keys as an oldest-first walk over the same window, so that each reuses the
        pages the other fetched. Only time narrows the listing; the rest is filtered here."""
        query = scan_query(window, record_filter, fields)
        span = query_span(query, self.name)
        if span is None or record_filter.type is MessageType.MMS:
            return
        listed = self._listed_range(span.start, span.end)
        if listed is None:
            return
        async with aclosing(self._pages(*listed, 0)) as pages:
            async for _, page in pages:
                matching = [record for record in page.records if wanted(query, record)]
                yield ScanPage(matching, more=not page.is_last)

    async def get_many(self, node_keys: list[str]) -> list[SmsRecord | None]:
        """One listing per distinct second named by the keys, run concurrently."""
        dates = sorted({parse_node_key(key)[1] for key in node_keys})
        listings = await asyncio.gather(*(self._one_second(date) for date in dates))
        found = {record.node_key: record for records in listings for record in records}
        return [found.get(key) for key in node_keys]

    async def update_user_data(self, node_key: str, user_data: str | None) -> SmsRecord | None:
        raise UnsupportedByProvider("DIDforSale cannot store user data on a record")

    async def check(self) -> None:
        """Lists the last minute, past the cache: authenticated, one call, usually empty."""
        now = datetime.now(UTC)
        listed = self._listed_range(now - _CHECK_WINDOW, now)
        assert listed is not None, "a minute holds whole seconds"
        await self.fetch_page(*listed, 0, cached=False)

    async def fetch_page(
        self, first: str, last: str, token: PageToken, *, cached: bool = True
    ) -> CdrPage:
        """One page of an inclusive wall-clock range; token 0 asks for the first page.

        The body always carries all three fields, 0 included: the contract's body has them,
        and an API may refuse a body without one. Pages come from the page cache when it
        has them, keyed by (account, credentials, range, token).
        """
        settings = self._settings
        body: dict[str, Any] = {
            settings.start_date_field: first,
            settings.end_date_field: last,
            settings.last_record_number_field: token,
        }
        fresh: list[CdrPage] = []

        async def load() -> bytes:
            reply = await self._client.request(
                "POST", self._url, call="list", retry=True, json=body
            )
            fresh.append(self._parsed(reply.payload, reply))
            return reply.payload

        if not cached:
            await load()
            return fresh[0]
        request = {"url": self._url, "body": body}
        payload = await self._cache.fetch(self.name, self._secret, request, load)
        if fresh:
            return fresh[0]
        assert payload is not None, "load() returns bytes or raises"
        return self._parsed(payload)

    def _parsed(self, payload: bytes, reply: HttpReply | None = None) -> CdrPage:
        """A page as records, from the reply just received or else from cached bytes; the
        same bytes are read once, since descending walks list a whole window again for every
        GraphQL page, and requests that read one page at once then share its records."""
        return self._pages_read.read(
            payload,
            lambda: read_page(
                reply or HttpReply(200, decode_json(payload), payload),
                account=self.name,
                zone=self._zone,
            ),
        )

    async def _ascending(self, query: StreamQuery, span: TimeWindow) -> Stream:
        """Follows the page tokens from the hint's page and offset, or else lists from the
        boundary's second; the hint of each record names its page and the offset after it.

        A provider may honour a page token only once or only for a while, and rows may
        arrive late: when the hinted token is refused, or its page no longer holds the
        boundary's record just before the hinted offset, the boundary alone finds the place
        again."""
        resume = _AscendingHint.parse(query.resume)
        if resume is None:
            return await self._ascending_from(query, span, None)
        try:
            return await self._ascending_from(query, span, resume)
        except _StaleHint:
            pass
        except ProviderError:
            if resume.token == 0:
                raise
        return await self._ascending_from(query, span, None)

    async def _ascending_from(
        self, query: StreamQuery, span: TimeWindow, resume: _AscendingHint | None
    ) -> Stream:
        """The lead hint is the place of the first record found, or the end of the listing
        when there is none, so that the next page reads on from the cache either way."""
        gate = _AscendingResume(query.after, self.name)
        hinted = resume is not None
        if resume is None:
            start = span.start if query.after is None else max(span.start, query.after.created_at)
            listed = self._listed_range(start, span.end)
            if listed is None:
                return Stream()
            resume = _AscendingHint(*listed, 0, 0)
        found: list[StreamEntry] = []
        lead: dict[str, Any] | None = None
        tail: dict[str, Any] | None = None
        async with aclosing(self._pages(resume.first, resume.last, resume.token)) as pages:
            async for token, page in pages:
                skip = 0
                if hinted and token == resume.token:
                    skip = resume.offset
                    gate.resume_at(page.records, skip)
                for index, record in enumerate(page.records[skip:], start=skip):
                    if not gate.passes(record):
                        continue
                    if span.contains(record.created_at) and wanted(query, record):
                        if lead is None:
                            lead = resume.at(token, index).dump()
                        found.append(StreamEntry(record, resume.at(token, index + 1).dump()))
                        if len(found) == query.limit:
                            return Stream(found, lead=lead)
                tail = resume.at(token, len(page.records)).dump()
        return Stream(found, lead=lead or tail)

    def _listed_range(self, start: datetime, end: datetime) -> tuple[str, str] | None:
        """The body's inclusive wall-clock range for exactly `[start, end)`, the same for a
        scan as for an oldest-first walk from `start`, so that the page cache serves each
        the other's pages; None when no wall-clock second falls in it."""
        wall = wall_range(start, end, self._zone)
        if wall is None:
            return None
        return wall[0].strftime(DATE_FORMAT), wall[1].strftime(DATE_FORMAT)

    async def _descending(self, query: StreamQuery, span: TimeWindow) -> Stream:
        """Walks back through adjacent time windows, each listed whole (from the cache after
        its first listing) and reversed; `docs/didforsale-descending.md` gives the sizing
        and its call bound. Each record's hint names its window, so the next page lists the
        same window again rather than searching for the boundary; the lead is the first
        record's window, or the last window listed when none matched."""
        window = _DescendingHint.parse(query.resume)
        if window is None:
            end = floor_second(span.end - _TICK) + _SECOND
            if query.after is not None:
                end = min(end, floor_second(query.after.created_at) + _SECOND)
            window = _DescendingHint(end - _FIRST_DESCENDING_WINDOW, end)
        found: list[StreamEntry] = []
        last_listed: dict[str, Any] | None = None
        while window.end > span.start:
            start, end = max(window.start, span.start), min(window.end, span.end)
            listed = [record async for record in self._records(start, end)]
            last_listed = window.dump()
            for record in reversed(_after_descending(listed, query.after, self.name)):
                if wanted(query, record):
                    found.append(StreamEntry(record, last_listed))
                    if len(found) == query.limit:
                        return Stream(found, lead=found[0].resume)
            window = window.before(len(listed), span.start)
        return Stream(found, lead=found[0].resume if found else last_listed)

    async def _records(self, start: datetime, end: datetime) -> AsyncGenerator[SmsRecord]:
        """Records created in `[start, end)`, in the provider's listing order."""
        listed = self._listed_range(start, end)
        if listed is None:
            return
        async with aclosing(self._pages(*listed, 0)) as pages:
            async for _, page in pages:
                for record in page.records:
                    if start <= record.created_at < end:
                        yield record

    async def _pages(
        self, first: str, last: str, token: PageToken
    ) -> AsyncGenerator[tuple[PageToken, CdrPage]]:
        """The pages of an inclusive wall-clock range from `token` on, each with its token."""
        seen = {int(token)}
        while True:
            page = await self.fetch_page(first, last, token)
            yield token, page
            if page.is_last:
                return
            if int(page.next_token) in seen:
                raise ProviderError(self.name, f"{self._label} repeated a page token")
            seen.add(int(page.next_token))
            token = page.next_token

    async def _one_second(self, date: str) -> list[SmsRecord]:
        return [record async for _, page in self._pages(date, date, 0) for record in page.records]


def _rows(page: CdrPage) -> int:
    return max(1, len(page.records))


@dataclass(frozen=True, slots=True)
class _AscendingHint:
    """Where an ascending listing resumes: its range, a page token and an offset in it."""

    first: str
    last: str
    token: PageToken
    offset: int

    def dump(self) -> dict[str, Any]:
        return {"o": "asc", "r": [self.first, self.last], "t": self.token, "i": self.offset}

    def at(self, token: PageToken, offset: int) -> _AscendingHint:
        """Another place in the same listing."""
        return _AscendingHint(self.first, self.last, token, offset)

    @classmethod
    def parse(cls, hint: Any) -> _AscendingHint | None:
        try:
            if hint["o"] != "asc":
                return None
            first, last = hint["r"]
            token, offset = hint["t"], hint["i"]
        except (TypeError, KeyError, ValueError):
            return None
        if not (parse_wall(first) and parse_wall(last) and _is_token(token)):
            return None
        valid = isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0
        return cls(first, last, token, offset) if valid else None


@dataclass(frozen=True, slots=True)
class _DescendingHint:
    """A time window `[start, end)` of a descending walk, in whole UTC seconds."""

    start: datetime
    end: datetime

    def dump(self) -> dict[str, Any]:
        return {"o": "desc", "w": [int(self.start.timestamp()), int(self.end.timestamp())]}

    @classmethod
    def parse(cls, hint: Any) -> _DescendingHint | None:
        try:
            if hint["o"] != "desc":
                return None
            start, end = (datetime.fromtimestamp(int(t), UTC) for t in hint["w"])
        except (TypeError, KeyError, ValueError, OverflowError, OSError):
            return None
        return cls(start, end) if start < end else None

    def before(self, rows: int, floor: datetime) -> _DescendingHint:
        """The adjacent older window, sized from this one's density (see the docs); a
        remainder down to `floor` smaller than half a window joins it, saving a call."""
        length = (self.end - self.start).total_seconds()
        if rows == 0:
            seconds = length * _EMPTY_WINDOW_GROWTH
        else:
            seconds = min(_DESCENDING_TARGET_ROWS * length / rows, length * _MAX_WINDOW_GROWTH)
        seconds = max(_MIN_WINDOW_SECONDS, math.ceil(seconds))
        remaining = (self.start - floor_second(floor)).total_seconds()
        if remaining - seconds < seconds / 2:
            seconds = max(math.ceil(remaining), 1)
        return _DescendingHint(self.start - timedelta(seconds=seconds), self.start)


class _StaleHint(Exception):
    """The hinted page is not the one the hint was made on."""


class _AscendingResume:
    """Which records, met in ascending listing order, lie strictly after a boundary."""

    def __init__(self, boundary: Boundary | None, account: str) -> None:
        self._boundary = boundary
        self._own = boundary is not None and boundary.provider == account
        self._passed_it = False

    def resume_at(self, records: Sequence[SmsRecord], offset: int) -> None:
        """Starts at `offset` of a hinted page, which must still reach that far and, for a
        boundary of this account, hold its record just before; raises `_StaleHint` if not."""
        if offset > len(records):
            raise _StaleHint
        boundary = self._boundary
        if self._own and boundary is not None:
            before = records[offset - 1] if offset else None
            if before is None or before.provider_record_id != boundary.record_id:
                raise _StaleHint
            self._passed_it = True

    def passes(self, record: SmsRecord) -> bool:
        boundary = self._boundary
        if boundary is None:
            return True
        if not self._own:
            return is_after(record, boundary, Order.ASC)
        if record.created_at != boundary.created_at:
            return record.created_at > boundary.created_at
        if self._passed_it:
            return True
        self._passed_it = record.provider_record_id == boundary.record_id
        return False


def _after_descending(
    ascending: list[SmsRecord], boundary: Boundary | None, account: str
) -> list[SmsRecord]:
    """The records (in ascending listing order) that lie strictly after `boundary` in
    descending order. A boundary of this account whose uuid is gone from its second falls
    back to time alone."""
    if boundary is None:
        return ascending
    if boundary.provider != account:
        return [record for record in ascending if is_after(record, boundary, Order.DESC)]
    earlier = [record for record in ascending if record.created_at < boundary.created_at]
    tied = [record for record in ascending if record.created_at == boundary.created_at]
    ids = [record.provider_record_id for record in tied]
    if boundary.record_id not in ids:
        return earlier
    return earlier + tied[: ids.index(boundary.record_id)]


def parse_node_key(node_key: str) -> tuple[str, str]:
    """`uuid:YYYY-MM-DD HH:MM:SS` → (uuid, date); the date is a fixed-width suffix, so the
    (opaque) uuid may hold anything."""
    if len(node_key) > _DATE_LENGTH + 1:
        uuid, date = node_key[: -_DATE_LENGTH - 1], node_key[-_DATE_LENGTH:]
        separator = node_key[-_DATE_LENGTH - 1]
        if separator == ":" and uuid.strip() and parse_wall(date) is not None:
            return uuid, date
    raise MalformedRecordId("not a DIDforSale record id")


def parse_wall(value: object) -> datetime | None:
    """A `YYYY-MM-DD HH:MM:SS` wall-clock value, or None for anything else."""
    match = _DATE_SHAPE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def read_page(reply: HttpReply, *, account: str, zone: ZoneInfo) -> CdrPage:
    """The documented envelope, or a `ProviderError` saying what was wrong with it."""
    label = account_label(KIND.value, account)
    if reply.status in (401, 403):
        raise ProviderError(account, f"{label} rejected the credentials")
    if reply.status != 200:
        raise ProviderError(account, f"{label} answered with HTTP {reply.status}")
    body = reply.body
    if not isinstance(body, dict):
        raise ProviderError(account, f"{label} sent a reply that is not a CDR listing")
    code = _reply_code(body.get("code"))
    if body.get("status") is not True or code not in (None, _SUCCESS_CODE):
        if code == _BAD_CREDENTIALS_CODE:
            raise ProviderError(account, f"{label} rejected the credentials")
        failure = "a failure" if code in (None, _SUCCESS_CODE) else f"failure code {code}"
        raise ProviderError(account, f"{label} reported {failure}")
    rows, token = body.get("sms_cdr"), body.get("last_record_number")
    if not isinstance(rows, list) or not _is_token(token):
        raise ProviderError(account, f"{label} sent a reply that is not a CDR listing")
    return CdrPage(tuple(map_row(row, account=account, zone=zone) for row in rows), token)


def map_row(row: Any, *, account: str, zone: ZoneInfo) -> SmsRecord:
    """One CDR row as an `SmsRecord`; a row that cannot be identified or placed in time, or
    whose cost is unreadable, fails the whole reply rather than being dropped silently."""
    if not isinstance(row, dict):
        raise values.bad_record(KIND, account, "that is not an object")
    uuid = row.get("uuid")
    if isinstance(uuid, int) and not isinstance(uuid, bool):
        uuid = str(uuid)
    if not isinstance(uuid, str) or not uuid.strip():
        raise values.bad_record(KIND, account, "without a uuid")
    date = row.get("date")
    wall = parse_wall(date)
    if wall is None:
        raise values.bad_record(KIND, account, "with an unreadable date")
    try:
        price = values.money(row.get("cost"))
    except ValueError:
        raise values.bad_record(KIND, account, "with an unreadable cost") from None
    message = values.text(row.get("message"))
    raw_status = row.get("status")
    return SmsRecord(
        provider=account,
        kind=KIND,
        provider_record_id=uuid,
        node_key=f"{uuid}:{date}",
        direction=values.direction(row.get("direction")),
        status=values.status(raw_status),
        raw_status=values.raw_text(raw_status),
        type=MessageType.SMS,
        from_number=to_e164(row.get("sender")),
        to_number=to_e164(row.get("reciever")),
        created_at=wall_to_utc(wall, zone),
        raw=row,
        body=message,
        segments=None if message is None else count_segments(message),
        price=price,
    )


def _reply_code(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _is_token(value: object) -> TypeGuard[PageToken]:
    """A page token: a non-negative integer, as a JSON number or a digit string."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and value.isascii() and value.isdigit()
