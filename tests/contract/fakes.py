"""Provider fakes written from `providers.md` alone, as a second reading of the contract.

They share nothing with `gateway.simulators`. Wherever the contract leaves a choice they take
a legal option the simulators do not, so that an adapter leaning on a simulator habit fails:

DIDforSale: HTTP Basic only; every body must carry all three fields; `last_record_number` is
a huge random integer, good once, for the next body with the range it was issued for (not a
row id, not reusable, and `forget_tokens` drops them all, as a restart would); replies are
`text/html` as from a PHP front end; failure codes are not the simulator's; rows and
envelope carry unknown fields; ties come in insertion order.

CarrierX: `offset` is refused next to `after`/`before` even when it is 0; a SID that the
filter leaves out of the listing is as unknown to `after`/`before` as one that never was;
pagination links
use other parameters than the simulator's; `null` matches no filter operator (SQL reading);
`user_data` length is counted in UTF-16 code units; items and envelope carry unknown fields.

Both fakes record every refusal, so a test can prove an adapter never had one masked.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DFS_PAGE_SIZE = 500
CX_MAX_LIMIT = 1000
CX_USER_DATA_MAX = 2000


class Faults:
    """Statuses to answer the next requests with, before serving normally again."""

    def __init__(self) -> None:
        self._next: list[tuple[int, dict[str, str]]] = []

    def add(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._next += [(status, headers)] * times

    def clear(self) -> None:
        self._next.clear()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._next:
            status, headers = self._next.pop(0)
            return web.json_response({"message": "injected"}, status=status, headers=headers)
        return await handler(request)


# --- DIDforSale -------------------------------------------------------------------------

_DFS_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_DFS_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DidForSaleFake:
    """One account: `POST {base}/SMS/CDR`, rows listed by `date`, ties in insertion order."""

    BASE_PATH = "/didforsaleapi/index.php/api/V4"
    BAD_AUTH, BAD_REQUEST, BAD_TOKEN = 7, 21, 22  # codes are "assumed": pick others

    def __init__(self, rows: list[dict[str, Any]], *, api_key: str, token: str, seed: int) -> None:
        self.rows = list(rows)
        self._credentials = f"{api_key}:{token}"
        self._random = random.Random(seed)
        self._tokens: dict[int, tuple[str, str, int]] = {}
        self.bodies: list[Any] = []
        self.refusals: list[str] = []
        self.stale_tokens = 0  # refused continuations: a recovery path, not a client error
        self.stale_answer = "refuse"
        """How an unknown `last_record_number` is answered: `refuse` (`status: false`) or
        `empty` (a successful last page with no rows, as a provider that drops an expired
        server-side cursor might)."""
        self.faults = Faults()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware])
        app.router.add_post(self.BASE_PATH + "/SMS/CDR", self._cdr)
        return app

    def forget_tokens(self) -> None:
        """Drop every issued continuation, as a provider restart or token expiry would."""
        self._tokens.clear()

    def listing(self) -> list[dict[str, Any]]:
        """Every row in the API's order: by `date`, ties in insertion order (a stable sort)."""
        return sorted(self.rows, key=lambda row: row["date"])

    async def _cdr(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Basic " + base64.b64encode(
            self._credentials.encode()
        ).decode("ascii"):
            return self._failure(self.BAD_AUTH, "Authentication failed")
        try:
            body = json.loads(await request.text())
        except ValueError:
            body = None
        self.bodies.append(body)
        if (
            not isinstance(body, dict)
            or not {
                "start_date",
                "end_date",
                "last_record_number",
            }
            <= body.keys()
        ):
            return self._failure(self.BAD_REQUEST, "start_date, end_date, last_record_number")
        start = _wall(body["start_date"], "00:00:00")
        end = _wall(body["end_date"], "23:59:59")
        if start is None or end is None or start > end:
            return self._failure(self.BAD_REQUEST, "Invalid date range")
        number = body["last_record_number"]
        if number == 0 and type(number) is int:
            begin = 0
        else:
            issued = self._tokens.pop(number, None) if type(number) is int else None
            if issued is None or issued[:2] != (start, end):
                self.stale_tokens += 1
                if self.stale_answer == "empty":
                    return _php_json(
                        {"code": 100, "status": True, "sms_cdr": [], "last_record_number": 0}
                    )
                return _php_json(
                    {
                        "status": False,
                        "message": "Unknown last_record_number",
                        "code": self.BAD_TOKEN,
                    }
                )
            begin = issued[2]
        matching = [row for row in self.listing() if start <= row["date"] <= end]
        page = matching[begin : begin + DFS_PAGE_SIZE]
        following = 0
        if begin + DFS_PAGE_SIZE < len(matching):
            following = self._random.randrange(10**19, 10**24)
            self._tokens[following] = (start, end, begin + DFS_PAGE_SIZE)
        return _php_json(
            {
                "code": 100,
                "status": True,
                "message": "Success",
                "sms_cdr": page,
                "last_record_number": following,
                "records_in_range": len(matching),
            }
        )

    def _failure(self, code: int, message: str) -> web.Response:
        self.refusals.append(message)
        return _php_json({"status": False, "message": message, "code": code})


def _wall(value: object, day_time: str) -> str | None:
    """A body date as a comparable `YYYY-MM-DD HH:MM:SS`; a bare day takes `day_time`."""
    if not isinstance(value, str):
        return None
    text = f"{value} {day_time}" if _DFS_DAY.fullmatch(value) else value
    if not _DFS_DATE.fullmatch(text):
        return None
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return text


def _php_json(body: dict[str, Any]) -> web.Response:
    return web.Response(text=json.dumps(body), content_type="text/html", charset="utf-8")


# --- CarrierX ---------------------------------------------------------------------------

CX_FIELDS = (
    "date_changed",
    "date_insert",
    "date_sent",
    "date_start",
    "date_stop",
    "delay_sent",
    "direction",
    "dr_sid",
    "mcc",
    "mnc",
    "mcc_mnc_price",
    "mcc_mnc_rate",
    "media_urls",
    "message",
    "message_segments",
    "number_billing",
    "number_dst",
    "number_external",
    "number_group_dst",
    "number_src",
    "partner_sid",
    "passthrough_price",
    "passthrough_rate",
    "price",
    "provider",
    "rate",
    "status",
    "type",
    "user_data",
    "version",
)
_CX_DATES = frozenset(field for field in CX_FIELDS if field.startswith("date_"))
_CX_NUMBERS = frozenset(
    {"delay_sent", "mcc", "mnc", "message_segments", "version", "price", "rate"}
    | {"mcc_mnc_price", "mcc_mnc_rate", "passthrough_price", "passthrough_rate"}
)
_CX_ARRAYS = frozenset({"media_urls", "number_group_dst"})
_CX_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "like", "ilike", "in", "notin"})
_CX_TOKEN = re.compile(r"""\s*(\(|\)|,|'[^']*'|"[^"]*"|[^\s(),'"]+)""")
_READ = frozenset({"sms.read", "sms.manage"})
_UPDATE = frozenset({"sms.update", "sms.manage"})


class CxRefused(Exception):
    """A request the API refuses, with its status and the documented error body."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class CarrierXFake:
    """One partner: `/core/v2/sms/message_drs` list, get, PATCH and PUT."""

    BASE_PATH = "/core/v2"

    def __init__(self, records: list[dict[str, Any]], *, tokens: dict[str, set[str]]) -> None:
        self.records = [dict(record) for record in records]  # insertion order
        self._tokens = tokens
        self.stable_descending = False
        """True: `date_insert desc` keeps same-instant records in insertion order (a stable
        descending sort) instead of listing them in exactly the reverse of `asc`. The contract
        does not say which; both are legal readings."""
        self.queries: list[dict[str, str]] = []
        self.refusals: list[tuple[int, str]] = []
        self.faults = Faults()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware, self._refusals])
        path = self.BASE_PATH + "/sms/message_drs"
        app.router.add_get(path, self._list)
        app.router.add_get(path + "/{sid}", self._get)
        app.router.add_patch(path + "/{sid}", self._patch)
        app.router.add_put(path + "/{sid}", self._put)
        return app

    def ascending(self) -> list[dict[str, Any]]:
        """The provider's own order: `date_insert`, ties in insertion order."""
        return sorted(self.records, key=lambda record: _instant(record["date_insert"]))

    @web.middleware
    async def _refusals(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except CxRefused as refused:
            self.refusals.append((refused.status, refused.message))
            error = {"field": refused.field, "message": refused.message, "reference_sid": None}
            body = {"message": "request refused", "errors": [error]}
            return web.json_response(body, status=refused.status)

    def _authorize(self, request: web.Request, scopes: frozenset[str]) -> None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        granted = self._tokens.get(token) if scheme == "Bearer" else None
        if granted is None:
            raise CxRefused(401, "authentication required", "Authorization")
        if not granted & scopes:
            raise CxRefused(403, "insufficient scope")

    async def _list(self, request: web.Request) -> web.Response:
        self._authorize(request, _READ)
        query = dict(request.query)
        self.queries.append(query)
        limit = _count(query, "limit", 10)
        if limit > CX_MAX_LIMIT:
            raise CxRefused(422, "limit too large", "limit")
        after, before = query.get("after"), query.get("before")
        if after is not None and before is not None:
            raise CxRefused(400, "after and before together", "before")
        cursor = after is not None or before is not None
        if cursor and "offset" in query:
            raise CxRefused(400, "offset cannot be used with after/before", "offset")
        offset = _count(query, "offset", 0)
        field, descending = _order(query.get("order", "date_insert asc"))
        if cursor and field != "date_insert":
            raise CxRefused(400, "only date_insert orders cursor pages", "order")
        terms = _parse_filter(query.get("filter", ""))
        ranked = self._ordered(field, descending)
        rank = {record["dr_sid"]: index for index, record in enumerate(ranked)}
        matching = [r for r in ranked if all(_holds(term, r) for term in terms)]
        if cursor:
            sid = after if after is not None else before
            if sid not in {r["dr_sid"] for r in matching}:
                raise CxRefused(400, "unknown SID", "after" if after is not None else "before")
            if after is not None:
                beyond = [r for r in matching if rank[r["dr_sid"]] > rank[sid]]
                page, more = beyond[:limit], len(beyond) > limit
                more_before = len(matching) > len(beyond)
                more_after = more
            else:
                short = [r for r in matching if rank[r["dr_sid"]] < rank[sid]]
                page, more = short[-limit:] if limit else [], len(short) > limit
                more_before, more_after = more, len(matching) > len(short)
        else:
            page = matching[offset : offset + limit]
            more = more_after = offset + limit < len(matching)
            more_before = offset > 0 and bool(matching)
        links = self._links(request, query, page, limit, more_before, more_after, cursor, offset)
        return web.json_response(
            {
                "items": [_project(record, query) for record in page],
                "pagination": links,
                "has_more": more,
                "limit": limit,
                "offset": offset,
                "count": len(page),
                "total": None if cursor else len(matching),
                "request_sid": "f" * 32,
            }
        )

    def _ordered(self, field: str, descending: bool) -> list[dict[str, Any]]:
        ascending = self.ascending()
        if descending and self.stable_descending and field == "date_insert":
            return sorted(ascending, key=lambda r: _instant(r["date_insert"]), reverse=True)
        if field != "date_insert":
            ascending = sorted(ascending, key=lambda r: (r[field] is None, str(r[field])))
        return ascending[::-1] if descending else ascending

    @staticmethod
    def _links(
        request: web.Request,
        query: dict[str, str],
        page: list[dict[str, Any]],
        limit: int,
        more_before: bool,
        more_after: bool,
        cursor: bool,
        offset: int,
    ) -> dict[str, str]:
        """Links in this fake's own style: the SID first, no `offset`, kept parameters last."""
        kept = {key: query[key] for key in ("filter", "order") if key in query}
        links = {}
        if more_after:
            step = {"after": page[-1]["dr_sid"]} if cursor and page else {"offset": offset + limit}
            links["next"] = str(request.url.with_query({**step, "limit": limit, **kept}))
        if more_before:
            step = {"before": page[0]["dr_sid"]} if cursor and page else {"offset": 0}
            links["previous"] = str(request.url.with_query({**step, "limit": limit, **kept}))
        return links

    def _find(self, request: web.Request) -> dict[str, Any]:
        sid = request.match_info["sid"]
        for record in self.records:
            if record["dr_sid"] == sid:
                return record
        raise CxRefused(404, "not found", "dr_sid")

    async def _get(self, request: web.Request) -> web.Response:
        self._authorize(request, _READ)
        return web.json_response(_project(self._find(request), dict(request.query)))

    async def _patch(self, request: web.Request) -> web.Response:
        self._authorize(request, _UPDATE)
        record = self._find(request)
        body = await _json_object(request)
        if "user_data" in body:
            self._store_user_data(record, body["user_data"])
        return web.json_response(record)

    async def _put(self, request: web.Request) -> web.Response:
        self._authorize(request, _UPDATE)
        record = self._find(request)
        body = await _json_object(request)
        missing = [field for field in CX_FIELDS if field not in body]
        if missing:
            raise CxRefused(400, "PUT needs the whole object", missing[0])
        self._store_user_data(record, body["user_data"])
        return web.json_response(record)

    @staticmethod
    def _store_user_data(record: dict[str, Any], value: object) -> None:
        if value is not None and not isinstance(value, str):
            raise CxRefused(422, "user_data must be a string", "user_data")
        if value is not None and len(value.encode("utf-16-le")) // 2 > CX_USER_DATA_MAX:
            raise CxRefused(422, "user_data is longer than 2000 characters", "user_data")
        record["user_data"] = value
        record["date_changed"] = cx_date(datetime.now(UTC))


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise CxRefused(400, "the body must be a JSON object")
    return body


def cx_date(moment: datetime) -> str:
    """The documented date form: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _count(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise CxRefused(400 if not raw.lstrip("-").isdigit() else 422, f"bad {name}", name)
    return int(raw)


def _order(text: str) -> tuple[str, bool]:
    parts = text.split()
    if not 1 <= len(parts) <= 2 or parts[0] not in CX_FIELDS or parts[0] in _CX_ARRAYS:
        raise CxRefused(422, "bad order", "order")
    direction = parts[1] if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise CxRefused(422, "bad order", "order")
    return parts[0], direction == "desc"


def _project(record: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """`include_fields` / `exclude_fields`, comma-separated; unknown names are ignored."""
    chosen = list(record)
    if "include_fields" in query:
        wanted = {name.strip() for name in query["include_fields"].split(",")}
        chosen = [name for name in chosen if name in wanted]
    if "exclude_fields" in query:
        unwanted = {name.strip() for name in query["exclude_fields"].split(",")}
        chosen = [name for name in chosen if name not in unwanted]
    return {name: record[name] for name in chosen}


Term = tuple[str, str, list[Any]]


def _parse_filter(text: str) -> list[Term]:
    """`field op value [and ...]`; anything this grammar does not say is a 400."""
    tokens: list[str] = []
    position = 0
    while text[position:].strip():
        match = _CX_TOKEN.match(text, position)
        if match is None:
            raise CxRefused(400, "bad filter syntax", "filter")
        tokens.append(match.group(1))
        position = match.end()
    terms: list[Term] = []
    position = 0
    while position < len(tokens):
        if terms:
            if tokens[position] != "and":
                raise CxRefused(400, "only 'and' joins filter terms", "filter")
            position += 1
        if position + 3 > len(tokens):
            raise CxRefused(400, "incomplete filter term", "filter")
        field, op = tokens[position], tokens[position + 1]
        if field not in CX_FIELDS or op not in _CX_OPS:
            raise CxRefused(400, "unknown field or operator", "filter")
        position += 2
        if op in ("in", "notin"):
            if tokens[position] != "(":
                raise CxRefused(400, "a list must be parenthesised", "filter")
            raw: list[str] = []
            position += 1
            while True:
                if position + 1 >= len(tokens):
                    raise CxRefused(400, "unterminated list", "filter")
                raw.append(tokens[position])
                separator = tokens[position + 1]
                position += 2
                if separator == ")":
                    break
                if separator != ",":
                    raise CxRefused(400, "bad list", "filter")
        else:
            raw = [tokens[position]]
            position += 1
        terms.append((field, op, [_literal(field, op, token) for token in raw]))
    return terms


def _literal(field: str, op: str, token: str) -> Any:
    quoted = len(token) >= 2 and token[0] == token[-1] and token[0] in "'\""
    text = token[1:-1] if quoted else token
    if not quoted and field not in _CX_DATES:
        raise CxRefused(400, "values must be quoted", "filter")
    if op in ("like", "ilike"):
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in text)
        return re.compile(pattern, re.DOTALL | (re.IGNORECASE if op == "ilike" else 0))
    try:
        return _comparable(field, text)
    except (ValueError, InvalidOperation):
        raise CxRefused(400, "bad filter value", "filter") from None


def _comparable(field: str, value: Any) -> Any:
    if field in _CX_DATES:
        return _instant(value)
    if field in _CX_NUMBERS:
        return Decimal(str(value))
    return value


def _holds(term: Term, record: dict[str, Any]) -> bool:
    """SQL's reading of null: a null field matches no operator, `ne` and `notin` included."""
    field, op, values = term
    value = record.get(field)
    if value is None:
        return False
    if field in _CX_ARRAYS:
        tests = [_compare(op, item, values) for item in value]
        return all(tests) if op in ("ne", "notin") else any(tests)
    return _compare(op, _comparable(field, value), values)


def _compare(op: str, mine: Any, values: list[Any]) -> bool:
    if op in ("like", "ilike"):
        return values[0].fullmatch(str(mine)) is not None
    if op == "in":
        return mine in values
    if op == "notin":
        return mine not in values
    other = values[0]
    return {
        "eq": mine == other,
        "ne": mine != other,
        "gt": mine > other,
        "ge": mine >= other,
        "lt": mine < other,
        "le": mine <= other,
    }[op]
