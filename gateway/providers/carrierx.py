"""CarrierX core API v2: SMS detail records.

The API pages natively in both directions with `after=<dr_sid>` and filters server-side, so a
stream pushes down what the filter grammar can say (time, direction, status, type) and asks
for no more rows than it still needs. The phone-number filter must match source, destination
or a group member and the grammar only has `and`, so it is a union of three listings read at
once (`number_union`).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from gateway.cache import PageCache
from gateway.config import CarrierXSettings
from gateway.errors import (
    BadUserInput,
    MalformedRecordId,
    ProviderError,
    ProviderForbidden,
    account_label,
)
from gateway.providers import values
from gateway.providers.base import (
    Boundary,
    ScanPage,
    Stream,
    StreamEntry,
    StreamQuery,
    is_after,
)
from gateway.providers.http import AccountClient, HttpReply, decode_json
from gateway.providers.number_union import (
    AT_BOUNDARY,
    UnionHint,
    merge_parts,
    order_ties,
    part_terms,
    places_at,
    tie_orders,
)
from gateway.providers.read_once import ReadOnce
from gateway.providers.span import query_span, scan_query, wanted
from gateway.records import (
    Direction,
    MessageType,
    Order,
    ProviderCapability,
    ProviderKind,
    RecordFilter,
    SmsRecord,
    SmsStatus,
    TimeWindow,
    is_e164,
    to_e164,
)

KIND = ProviderKind.CARRIERX
MAX_PAGE = 1000
LISTINGS_KEPT = 16
"""Listings kept as records (`ReadOnce`): enough for the first pages every account is
asked again and again, few enough that a long walk, which never reads a listing twice,
holds little."""
_SID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,127}")
_URL = re.compile(r"\S+://\S+")
_REASON_MAX = 200
_CAPABILITIES = frozenset(ProviderCapability)
_MILLISECOND = timedelta(milliseconds=1)
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXACT_AFTER_ROUNDING_UP = {"gt": "ge", "ge": "ge", "lt": "lt", "le": "lt"}


class CarrierXAdapter:
    """One CarrierX partner account."""

    def __init__(
        self,
        settings: CarrierXSettings,
        session: aiohttp.ClientSession,
        *,
        cache: PageCache | None = None,
    ) -> None:
        self._settings = settings
        self._cache = cache or PageCache.disabled()
        self._records_url = settings.base + "/sms/message_drs"
        self._listings: ReadOnce[tuple[list[SmsRecord], bool]] = ReadOnce(LISTINGS_KEPT)
        self._label = account_label(KIND.value, settings.name)
        self._client = AccountClient(
            session,
            settings,
            kind=KIND.value,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/json",
            },
        )

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def kind(self) -> ProviderKind:
        return KIND

    @property
    def capabilities(self) -> frozenset[ProviderCapability]:
        return _CAPABILITIES

    async def stream(self, query: StreamQuery) -> Stream:
        span = query_span(query, self.name)
        if span is None:
            return Stream()
        clauses = pushdown(query, span, self.name)
        if query.filter.number is not None and is_e164(query.filter.number):
            union = await self._number_union(query, span, query.filter.number)
            if union is not None:
                return union
        if query.order is Order.ASC:
            return Stream.of(await self._ascending(query, clauses))
        found, lead = await self._descending(query, span, clauses)
        return Stream(
            [StreamEntry(r, {"o": Order.DESC.value, "s": r.provider_record_id}) for r in found],
            lead=lead,
        )

    async def _ascending(self, query: StreamQuery, clauses: list[str]) -> list[SmsRecord]:
        """`order=date_insert asc` pages, continued with `after=<dr_sid>`. The boundary and
        the filter say where to start in one call, so no resume hint is needed."""
        walk = _Walk(query, self.name, clauses)
        fields = included_fields(query)
        while not walk.done:
            reply = await self._list(Order.ASC, walk.ask, walk.clauses, fields, after=walk.cursor)
            if reply.status == 400 and walk.resume_by_time():
                continue
            walk.take(*self._read_list(reply))
        return walk.found

    async def _descending(
        self, query: StreamQuery, span: TimeWindow, clauses: list[str]
    ) -> tuple[list[SmsRecord], dict[str, Any] | None]:
        """Newest first, as the exact reverse of the ascending order, ties included, and
        the lead hint: where the newest-first listing started.

        The contract leaves open how `order=date_insert desc` lists records of the same
        millisecond, so descending pages are read ascending with `before=<dr_sid>` (the
        records nearest before it) and reversed. The sid is this account's record at the
        boundary, or the hint of its last record; without either (a walk's first page, or
        none of the account's records has made a page yet), one descending listing finds the
        newest records and same-millisecond runs in it are read again ascending. A hinted
        sid bounds the listing by itself, so the time bound of another account's boundary,
        which would leave out the sid's own record, is not sent with it. While none of its
        records makes a page, the account has none between the listing's start and the
        boundary, so the next page repeats the very same requests (from the page cache)
        rather than new ones bounded by the new boundary.
        """
        boundary = query.after
        anchor = _anchor(query, self.name)
        foreign = boundary is not None and boundary.provider != self.name
        unbounded = pushdown(replace(query, after=None), span, self.name) if foreign else clauses
        anchored = unbounded if anchor is not None else clauses
        lead: dict[str, Any] | None = None
        if anchor is None:
            lead = _listing_lead(query, self.name)
            anchored = [*unbounded, *_until_clauses(lead)] if foreign else clauses
        fields = included_fields(query)
        found: list[SmsRecord] = []
        ask = min(MAX_PAGE, query.limit)
        while len(found) < query.limit:
            if anchor is None:
                ask = min(MAX_PAGE, query.limit + 1)
                listed, more = await self._newest(query, anchored, fields, ask)
                found.extend(record for record in listed if _beyond(query, record))
                anchor = listed[-1].provider_record_id if listed else None
                if not more or anchor is None:
                    break
                need = query.limit - len(found)
                ask = min(MAX_PAGE, max(need, 2 * ask))
                continue
            reply = await self._list(Order.ASC, ask, anchored, fields, before=anchor)
            if reply.status == 400 and not found:
                if boundary is not None and boundary.provider == self.name:
                    clauses = [*clauses, time_clause("lt", boundary.created_at)]
                anchor = None
                anchored = clauses
                continue
            items, more = self._read_list(reply)
            kept = [record for record in reversed(items) if _beyond(query, record)]
            found.extend(kept)
            if not more or len(items) < ask:
                break
            anchor = items[0].provider_record_id
            need = query.limit - len(found)
            ask = min(MAX_PAGE, max(need, 2 * ask) if len(kept) < len(items) else need)
        return found[: query.limit], lead

    async def _newest(
        self,
        query: StreamQuery,
        clauses: list[str],
        fields: tuple[str, ...] | None,
        ask: int,
        *,
        whole: bool = False,
    ) -> tuple[list[SmsRecord], bool]:
        """The newest records by one descending listing of `ask` = limit + 1, newest first,
        matching or not, and whether older records may follow.

        `desc` leaves the order of same-millisecond records open, so a run of them is read
        again ascending (one call from the oldest needed millisecond on) when it matters:
        when two of the first `limit` records share a millisecond (their order, or which
        of a cut run made the listing, decides what a page shows), or when the listing must
        be continued from its last record (always, when `whole`). A run that only the last
        of the `limit` records starts never reaches a page (the service asks one more than
        the page shows, to tell whether more follow), so it costs no second call."""
        items, more = self._read_list(await self._list(Order.DESC, ask, clauses, fields))
        full = len(items) == ask
        ordered = items[: ask - 1] if full else items
        if not ordered:
            return [], False
        kept = sum(1 for record in ordered if _beyond(query, record))
        continued = whole or ((more or full) and kept < query.limit)
        cut = full and items[-1].created_at == ordered[-1].created_at
        if _has_ties(ordered) or (continued and cut):
            since = ordered[-1].created_at
            ask = min(MAX_PAGE, len(items) + 1)
            ordered = list(reversed(await self._since(since, clauses, fields, ask)))
        return ordered, more or full

    async def _number_union(
        self, query: StreamQuery, span: TimeWindow, number: str
    ) -> Stream | None:
        """A number filter as the union of its parts (`number_union`), read at once with the
        page's limit, each from its own place, and merged. Records are certain up to the
        earliest place where a part's listing stops; while fewer than the page needs lie
        before it, that part alone reads on (`_next_ask`).

        None where the union cannot place itself exactly, and the number is then filtered
        in the gateway: after this account's own record with no places for it (the hint
        was made travelling the other way), or when a part's place is no longer listed."""
        terms = part_terms(number, query.filter.type)
        boundary = query.after
        own = boundary if boundary is not None and boundary.provider == self.name else None
        start: tuple[str | None, ...] = (None,) * len(terms)
        if own is not None:
            hint = UnionHint.parse(query.resume, query.order, len(terms), _valid_sid)
            if hint is None:
                return None
            start = tuple(own.record_id if p == AT_BOUNDARY else p for p in hint.places)
        fields = included_fields(query)
        parts = [
            self._part(query, span, term, place, own)
            for term, place in zip(terms, start, strict=True)
        ]
        reading = [(part, query.limit) for part in parts if not part.exhausted]
        while reading:
            outcomes = await asyncio.gather(
                *(self._read_part(query, fields, *ask) for ask in reading), return_exceptions=True
            )
            if any(isinstance(outcome, _LostPlace) for outcome in outcomes):
                return None
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            matching = [[r for r in part.listed if _beyond(query, r)] for part in parts]
            horizon = _horizon(parts, query.order)
            certain = [
                record
                for record in merge_parts(matching, query.order)
                if horizon is None or _before(record.created_at, horizon, query.order)
            ]
            if horizon is None or len(certain) >= query.limit:
                break
            need = query.limit - len(certain)
            reading = [
                (part, _next_ask(part, len(matched), need))
                for part, matched in zip(parts, matching, strict=True)
                if part.reaches == horizon
            ]
        merged = _up_to_last_millisecond(certain, query.limit)
        free = pushdown(replace(query, after=None), span, self.name)
        for moment, ranked in tie_orders(merged, matching):
            if ranked is None:
                millisecond = [*free, time_clause("lt", moment + _MILLISECOND)]
                listed = await self._since(moment, millisecond, fields, MAX_PAGE)
                ranked = listed if query.order is Order.ASC else listed[::-1]
            merged = order_ties(merged, moment, ranked)
        merged = merged[: query.limit]
        carried = (own.created_at, start) if own is not None else None
        along = places_at(merged, matching, carried)
        entries = [
            StreamEntry(record, UnionHint(query.order, places).dump())
            for record, places in zip(merged, along, strict=True)
        ]
        return Stream(entries, lead=query.resume)

    def _part(
        self,
        query: StreamQuery,
        span: TimeWindow,
        term: str | None,
        place: str | None,
        own: Boundary | None,
    ) -> _Part:
        """One part at its place: after its own last record, else (none of it passed yet)
        from this account's boundary's millisecond on, else from another account's
        boundary or the window's edge. A part the filter rules out is done already."""
        if term is None:
            return _Part([], place, exhausted=True)
        free = [*pushdown(replace(query, after=None), span, self.name), term]
        if place is not None:
            return _Part(free, place)
        if own is not None:
            op = "ge" if query.order is Order.ASC else "le"
            return _Part([*free, time_clause(op, own.created_at)], None)
        return _Part([*pushdown(query, span, self.name), term], None)

    async def _read_part(
        self, query: StreamQuery, fields: tuple[str, ...] | None, part: _Part, ask: int
    ) -> None:
        """The next `ask` records of a part's listing, in the query's order."""
        ask = min(MAX_PAGE, ask)
        if query.order is Order.DESC and part.place is None:
            first = min(MAX_PAGE, ask + 1)
            listed, more = await self._newest(query, part.clauses, fields, first, whole=True)
            exhausted = not more
        else:
            around = {"after" if query.order is Order.ASC else "before": part.place}
            reply = await self._list(Order.ASC, ask, part.clauses, fields, **around)
            if reply.status == 400:
                raise _LostPlace
            items, more = self._read_list(reply)
            listed = items if query.order is Order.ASC else items[::-1]
            exhausted = not more or len(items) < ask
        part.take(ask, listed, exhausted)

    async def _since(
        self, moment: datetime, clauses: list[str], fields: tuple[str, ...] | None, ask: int
    ) -> list[SmsRecord]:
        """Every record from `moment` on, in the API's ascending order: one call when `ask`
        covers them, `after=` pages of twice the size otherwise (a long same-millisecond run)."""
        since = [*clauses, time_clause("ge", moment)]
        found: list[SmsRecord] = []
        after: str | None = None
        while True:
            reply = await self._list(Order.ASC, ask, since, fields, after=after)
            items, more = self._read_list(reply)
            found.extend(items)
            if not more or len(items) < ask:
                return found
            after = items[-1].provider_record_id
            ask = min(MAX_PAGE, 2 * ask)

    async def scan(
        self, window: TimeWindow, record_filter: RecordFilter, fields: frozenset[str]
    ) -> AsyncGenerator[ScanPage, None]:
        """`limit=1000` pages oldest first, continued with `after=<dr_sid>`, with the filter
        pushed down and `include_fields` narrowed exactly as for streams."""
        query = scan_query(window, record_filter, fields)
        span = query_span(query, self.name)
        if span is None:
            return
        clauses = pushdown(query, span, self.name)
        included = included_fields(query)
        after: str | None = None
        while True:
            reply = await self._list(Order.ASC, MAX_PAGE, clauses, included, after=after)
            items, more = self._read_list(reply)
            more = more and len(items) == MAX_PAGE
            yield ScanPage([record for record in items if wanted(query, record)], more)
            if not more:
                return
            after = items[-1].provider_record_id

    async def get_many(self, node_keys: list[str]) -> list[SmsRecord | None]:
        """One GET per distinct key, run concurrently (the API has no batch lookup)."""
        sids = list(dict.fromkeys(check_sid(key) for key in node_keys))
        records = await asyncio.gather(*(self._get(sid) for sid in sids))
        found = dict(zip(sids, records, strict=True))
        return [found[key] for key in node_keys]

    async def update_user_data(self, node_key: str, user_data: str | None) -> SmsRecord | None:
        """The API enforces its own length limit (422), which the service checks up front."""
        sid = check_sid(node_key)
        reply = await self._call(
            "PATCH",
            f"{self._records_url}/{sid}",
            call="update",
            retry=False,
            json={"user_data": user_data},
        )
        if reply.status == 404:
            return None
        if reply.status == 422:
            reason = _reason(reply.body, self._settings.token)
            raise BadUserInput(f"{self._label} refused the user data{reason}")
        if reply.status != 200:
            raise self._failure(reply, "update records")
        await self._cache.invalidate(self.name)
        return map_item(reply.body, account=self.name)

    async def check(self) -> None:
        """One record of the listing: authenticated and cheap."""
        reply = await self._call(
            "GET", self._records_url, call="check", retry=True, params={"limit": "1"}
        )
        self._read_list(reply)

    async def _list(
        self,
        order: Order,
        limit: int,
        clauses: list[str],
        fields: tuple[str, ...] | None,
        *,
        after: str | None = None,
        before: str | None = None,
    ) -> HttpReply:
        params = {"order": f"date_insert {order.value}", "limit": str(limit)}
        if clauses:
            params["filter"] = " and ".join(clauses)
        if after is not None:
            params["after"] = after
        if before is not None:
            params["before"] = before
        if fields is not None:
            params["include_fields"] = ",".join(fields)
        return await self._cached_get(self._records_url, params, call="list", decode=False)

    async def _get(self, sid: str) -> SmsRecord | None:
        reply = await self._cached_get(f"{self._records_url}/{sid}", {}, call="get")
        if reply.status == 404:
            return None
        if reply.status != 200:
            raise self._failure(reply, "read records")
        return map_item(reply.body, account=self.name)

    async def _cached_get(
        self, url: str, params: dict[str, str], *, call: str, decode: bool = True
    ) -> HttpReply:
        """A read through the page cache; only successful replies are kept. A cached reply
        comes back undecoded (body None) unless `decode`: a listing read before is known by
        its bytes (`_read_list`), and decoding them again would be wasted."""
        fresh: list[HttpReply] = []

        async def load() -> bytes | None:
            reply = await self._call("GET", url, call=call, retry=True, params=params)
            fresh.append(reply)
            return reply.payload if reply.status == 200 else None

        request = {"url": url, "params": params}
        payload = await self._cache.fetch(self.name, self._settings.token, request, load)
        if fresh:
            return fresh[0]
        if payload is None:
            return await self._call("GET", url, call=call, retry=True, params=params)
        return HttpReply(200, decode_json(payload) if decode else None, payload)

    async def _call(
        self, method: str, url: str, *, call: str, retry: bool, **kwargs: Any
    ) -> HttpReply:
        return await self._client.request(method, url, call=call, retry=retry, **kwargs)

    def _read_list(self, reply: HttpReply) -> tuple[list[SmsRecord], bool]:
        """Items and whether more follow; a missing `has_more` leaves it to the page length."""
        if reply.status != 200:
            raise self._failure(reply, "list records")
        if not reply.payload:
            return self._listing(reply.body)
        body = reply.body
        records, more = self._listings.read(
            reply.payload,
            lambda: self._listing(decode_json(reply.payload) if body is None else body),
        )
        return list(records), more

    def _listing(self, body: Any) -> tuple[list[SmsRecord], bool]:
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ProviderError(self.name, f"{self._label} sent a reply that is not a list")
        more = body.get("has_more")
        records = [map_item(item, account=self.name) for item in items]
        return records, more if isinstance(more, bool) else bool(records)

    def _failure(self, reply: HttpReply, doing: str) -> ProviderError:
        label = self._label
        if reply.status == 401:
            return ProviderError(self.name, f"{label} rejected the credentials")
        if reply.status == 403:
            return ProviderForbidden(self.name, f"{label} lacks the scope to {doing}")
        if reply.status in (400, 422):
            reason = _reason(reply.body, self._settings.token)
            return ProviderError(self.name, f"{label} refused the request{reason}")
        return ProviderError(self.name, f"{label} answered with HTTP {reply.status}")


class _Walk:
    """One ascending stream's progress through `after=` pages.

    The first page asks for exactly what is still needed; when the gateway-side filter
    dropped rows of a page, the next one asks for twice as many (up to the API's maximum),
    so a sparse filter does not cost one call per record.
    """

    def __init__(self, query: StreamQuery, account: str, clauses: list[str]) -> None:
        boundary = query.after
        own = boundary if boundary is not None and boundary.provider == account else None
        self._query = query
        self._foreign = None if own is not None else boundary
        self.clauses = clauses
        self._position = (own.record_id, own.created_at) if own is not None else None
        self.found: list[SmsRecord] = []
        self.ask = min(MAX_PAGE, query.limit)
        self.done = False

    def take(self, items: list[SmsRecord], more: bool) -> None:
        """Keep the page's matching records and plan the next page, if any."""
        query = self._query
        kept = 0
        for record in items:
            if self._foreign is not None and not is_after(record, self._foreign, Order.ASC):
                continue
            if wanted(query, record):
                self.found.append(record)
                kept += 1
                if len(self.found) == query.limit:
                    break
        need = query.limit - len(self.found)
        self.done = need == 0 or not more or len(items) < self.ask
        if not self.done:
            self._position = (items[-1].provider_record_id, items[-1].created_at)
            grown = max(need, 2 * self.ask) if kept < len(items) else need
            self.ask = min(MAX_PAGE, grown)

    @property
    def cursor(self) -> str | None:
        """The sid to continue `after`, None from the window's edge."""
        return self._position[0] if self._position is not None else None

    def resume_by_time(self) -> bool:
        """When the API refuses the sid the walk stands on (its record is gone), carry on
        from that record's time alone, which may skip records that shared its millisecond.
        False when there is no sid to blame."""
        if self._position is None:
            return False
        self.clauses = [*self.clauses, time_clause("gt", self._position[1])]
        self._position = None
        self.ask = min(MAX_PAGE, self._query.limit - len(self.found))
        return True


SOURCE_FIELDS: dict[str, tuple[str, ...] | None] = {
    "provider": (),
    "kind": (),
    "provider_record_id": ("dr_sid",),
    "node_key": ("dr_sid",),
    "direction": ("direction",),
    "status": ("status",),
    "raw_status": ("status",),
    "type": ("type", "media_urls", "number_group_dst"),
    "from_number": ("number_src",),
    "to_number": ("number_dst",),
    "created_at": ("date_insert",),
    "raw": None,
    "group_recipients": ("number_group_dst",),
    "body": ("message",),
    "media_urls": ("media_urls",),
    "segments": ("message_segments",),
    "price": ("price",),
    "sent_at": ("date_sent",),
    "finished_at": ("date_stop",),
    "updated_at": ("date_changed",),
    "user_data": ("user_data",),
    "mcc": ("mcc",),
    "mnc": ("mnc",),
    "carrier": ("provider",),
}
"""The CarrierX fields that `map_item` reads each `SmsRecord` attribute from; None for the
whole record (`raw` is the record as received, undocumented fields included)."""

_PAGING_FIELDS = ("dr_sid", "date_insert")
"""What every listing needs whatever the client reads: the order and the `after=` sid."""


def included_fields(query: StreamQuery) -> tuple[str, ...] | None:
    """`include_fields` for the attributes the client reads, the paging fields and what the
    gateway-side filter checks; None when the whole record is needed (an attribute missing
    from `SOURCE_FIELDS` counts as needing it all)."""
    if query.fields is None:
        return None
    narrowing = query.filter
    attributes = set(query.fields)
    if narrowing.direction is not None:
        attributes.add("direction")
    if narrowing.statuses is not None:
        attributes.add("status")
    if narrowing.type is not None:
        attributes.add("type")
    if narrowing.number is not None:
        attributes |= {"from_number", "to_number", "group_recipients"}
    needed = set(_PAGING_FIELDS)
    for attribute in attributes:
        sources = SOURCE_FIELDS.get(attribute)
        if sources is None:
            return None
        needed.update(sources)
    return tuple(sorted(needed))


def _anchor(query: StreamQuery, account: str) -> str | None:
    """The sid a descending page continues before: this account's record at the boundary,
    else the hint of its last record (the boundary then belongs to another account, and
    this account has nothing between that record and the boundary)."""
    boundary = query.after
    if boundary is not None and boundary.provider == account:
        return boundary.record_id
    hint = query.resume
    if isinstance(hint, dict) and hint.get("o") == Order.DESC.value:
        sid = hint.get("s")
        if _valid_sid(sid):
            return sid
    return None


def _listing_lead(query: StreamQuery, account: str) -> dict[str, Any]:
    """Where a newest-first listing starts: the lead an earlier page left, else the time
    bound of the boundary (`u`, microseconds since the epoch, exclusive), else the window's
    end (no `u`)."""
    hint = query.resume
    if isinstance(hint, dict) and hint.get("o") == Order.DESC.value and "s" not in hint:
        until = hint.get("u")
        if until is None or (isinstance(until, int) and not isinstance(until, bool)):
            return {"o": Order.DESC.value} if until is None else {"o": Order.DESC.value, "u": until}
    boundary = query.after
    if boundary is None or boundary.provider == account:
        return {"o": Order.DESC.value}
    until = boundary.created_at
    if account < boundary.provider:
        until += _MICROSECOND  # this account's record at the same instant lies after it
    return {"o": Order.DESC.value, "u": (until - _EPOCH) // _MICROSECOND}


def _until_clauses(lead: dict[str, Any]) -> list[str]:
    until = lead.get("u")
    if until is None:
        return []
    try:
        return [time_clause("lt", _EPOCH + until * _MICROSECOND)]
    except OverflowError:
        return []


def _beyond(query: StreamQuery, record: SmsRecord) -> bool:
    """A record a stream yields: matching, and past a boundary of another account
    (listings from a hint or a lead start before that boundary)."""
    boundary = query.after
    foreign = boundary is not None and boundary.provider != record.provider
    if foreign and boundary is not None and not is_after(record, boundary, query.order):
        return False
    return wanted(query, record)


def _valid_sid(sid: object) -> bool:
    return isinstance(sid, str) and _SID.fullmatch(sid) is not None


def _up_to_last_millisecond(merged: list[SmsRecord], limit: int) -> list[SmsRecord]:
    """The first `limit` records and any more of the last one's millisecond, whose order
    decides which of them are the first `limit`."""
    if len(merged) <= limit:
        return merged
    edge = merged[limit - 1].created_at
    return merged[:limit] + [r for r in merged[limit:] if r.created_at == edge]


@dataclass(slots=True)
class _Part:
    """One part of a number union: its clauses, where its listing stands, what it listed
    on this page (in the query's order) and whether it has no more."""

    clauses: list[str]
    place: str | None
    exhausted: bool = False
    listed: list[SmsRecord] = field(default_factory=list)
    asked: int = 0

    def take(self, asked: int, listed: list[SmsRecord], exhausted: bool) -> None:
        self.listed.extend(listed)
        self.place = listed[-1].provider_record_id if listed else self.place
        self.exhausted = exhausted or not listed
        self.asked = asked

    @property
    def reaches(self) -> datetime | None:
        """The time its listing reached, past which its records are unknown; None when it
        has no more."""
        return None if self.exhausted or not self.listed else self.listed[-1].created_at


def _next_ask(part: _Part, matched: int, need: int) -> int:
    """How many more records a part that holds up the page lists: what its share of
    matching records so far says the page still needs, at least twice its last ask; the
    most the API gives while none of it has matched (the MMS part of a rare number)."""
    if matched == 0:
        return MAX_PAGE
    return max(2 * part.asked, math.ceil(need * len(part.listed) / matched))


def _horizon(parts: list[_Part], order: Order) -> datetime | None:
    """The earliest time, in `order`, at which a part's listing stops short: union records
    strictly before it are certain. None when every part is done."""
    reached = [part.reaches for part in parts if part.reaches is not None]
    if not reached:
        return None
    return min(reached) if order is Order.ASC else max(reached)


def _before(moment: datetime, horizon: datetime, order: Order) -> bool:
    return moment < horizon if order is Order.ASC else moment > horizon


class _LostPlace(Exception):
    """A part's place is not in its listing any more (the record is gone)."""


def _has_ties(records: list[SmsRecord]) -> bool:
    return len({record.created_at for record in records}) < len(records)


def pushdown(query: StreamQuery, span: TimeWindow, account: str) -> list[str]:
    """Filter clauses that never drop a record the gateway-side filter keeps (it still runs).

    Values outside the documented sets, null among them, map to catch-alls (`UNKNOWN`,
    `UNDIRECTED`, a type read from media). A filter that wants a catch-all is not sent: a
    complement (`notin`, `ne`) would miss the nulls where an API reads null as SQL does, so
    the gateway filters those itself. `type` is sent as `ne` the other type, which keeps
    undocumented values (typed by their media) though not a missing type.
    A boundary of another account becomes a time bound: a record of this account at the same
    instant lies after it iff this account's name sorts after (ascending) or before
    (descending) the boundary's.
    """
    clauses = [time_clause("ge", span.start), time_clause("lt", span.end)]
    boundary = query.after
    if boundary is not None and boundary.provider != account:
        if query.order is Order.ASC:
            op = "ge" if account > boundary.provider else "gt"
        else:
            op = "le" if account < boundary.provider else "lt"
        clauses.append(time_clause(op, boundary.created_at))
    narrowing = query.filter
    if narrowing.direction not in (None, Direction.UNDIRECTED):
        clauses.append(f"direction eq '{narrowing.direction.value}'")
    if narrowing.statuses is not None and SmsStatus.UNKNOWN not in narrowing.statuses:
        clauses.append(_membership("status", "in", list(narrowing.statuses)))
    if narrowing.type is not None:
        other = MessageType.MMS if narrowing.type is MessageType.SMS else MessageType.SMS
        clauses.append(f"type ne '{other.value}'")
    return clauses


def time_clause(op: str, moment: datetime) -> str:
    """A `date_insert` bound at the API's millisecond precision (documented), exact for
    every record: a moment between two milliseconds becomes the next millisecond, which
    `ge`/`lt` bound exactly the records `gt`/`ge` and `lt`/`le` the moment would."""
    whole = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if whole != moment:
        whole += _MILLISECOND
        op = _EXACT_AFTER_ROUNDING_UP[op]
    return f"date_insert {op} '{iso_millis(whole)}'"


def iso_millis(moment: datetime) -> str:
    """The API's date form: UTC, milliseconds, `Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _membership(field: str, op: str, members: list[Any]) -> str:
    quoted = ",".join(f"'{member.value}'" for member in sorted(members, key=lambda m: m.value))
    return f"{field} {op} ({quoted})"


def check_sid(node_key: str) -> str:
    """A `dr_sid` is opaque, but a lookup puts it in a URL path: only plain characters pass."""
    if not _SID.fullmatch(node_key):
        raise MalformedRecordId("not a CarrierX record id")
    return node_key


def map_item(item: Any, *, account: str) -> SmsRecord:
    """One SMS detail record as an `SmsRecord`; a record without a sid or a readable
    `date_insert`, or with an unreadable date or price, fails the whole reply."""
    if not isinstance(item, dict):
        raise values.bad_record(KIND, account, "that is not an object")
    sid = item.get("dr_sid")
    if not isinstance(sid, str) or not sid.strip():
        raise values.bad_record(KIND, account, "without a dr_sid")
    if item.get("date_insert") is None:
        raise values.bad_record(KIND, account, "without a date_insert")
    try:
        created = values.utc_instant(item.get("date_insert"))
        sent, finished, updated = (
            _optional_instant(item.get(key)) for key in ("date_sent", "date_stop", "date_changed")
        )
    except ValueError:
        raise values.bad_record(KIND, account, "with an unreadable date") from None
    try:
        price = values.money(item.get("price"))
    except ValueError:
        raise values.bad_record(KIND, account, "with an unreadable price") from None
    media = _strings(item.get("media_urls"))
    group = tuple(to_e164(number) for number in _strings(item.get("number_group_dst")))
    segments = item.get("message_segments")
    return SmsRecord(
        provider=account,
        kind=KIND,
        provider_record_id=sid,
        node_key=sid,
        direction=values.direction(item.get("direction")),
        status=values.status(item.get("status")),
        raw_status=values.raw_text(item.get("status")),
        type=_message_type(item.get("type"), media, group),
        from_number=to_e164(item.get("number_src")),
        to_number=to_e164(item.get("number_dst")),
        created_at=created,
        raw=item,
        group_recipients=group,
        body=values.text(item.get("message")),
        media_urls=media,
        segments=segments if isinstance(segments, int) and not isinstance(segments, bool) else None,
        price=price,
        sent_at=sent,
        finished_at=finished,
        updated_at=updated,
        user_data=values.text(item.get("user_data")),
        mcc=values.code(item.get("mcc")),
        mnc=values.code(item.get("mnc")),
        carrier=values.text(item.get("provider")),
    )


def _optional_instant(value: object) -> datetime | None:
    return None if value is None else values.utc_instant(value)


def _message_type(value: object, media: tuple[str, ...], group: tuple[str, ...]) -> MessageType:
    """`sms`/`mms`; anything else is read the way CarrierX defines the type: MMS when the
    message has media or group recipients."""
    read_from_content = MessageType.MMS if media or group else MessageType.SMS
    return values.member(MessageType, value, read_from_content)


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(entry for entry in value if isinstance(entry, str) and entry)


def _reason(body: Any, token: str) -> str:
    """The provider's own explanation, if any, without links or the account's token (should
    the provider echo it) and kept short."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    message = first.get("message") if isinstance(first, dict) else body.get("message")
    if not isinstance(message, str) or not message.strip():
        return ""
    cleaned = _URL.sub("<link>", message.strip()).replace(token, "<token>")
    return ": " + cleaned[:_REASON_MAX]
