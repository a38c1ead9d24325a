"""CarrierX core v2 SMS detail records simulator.

Routes under `CARRIERX_BASE_PATH` (`/core/v2`): `GET /sms/message_drs`,
`GET /sms/message_drs/{dr_sid}`, `PATCH` and `PUT /sms/message_drs/{dr_sid}`.

Choices where the provider's documents are silent (see also `carrierx_query`):

- 401 without a known Bearer token; 403 without a read scope (`sms.read`, `sms.manage`) or,
  for updates, an update scope (`sms.update`, `sms.manage`). When the app is given the
  account's `partner_sid`, records of other (descendant) partners are visible only with
  `sms.read_descendant`; hidden records behave as unknown ones.
- 400: malformed `limit`/`offset`, `after` with `before`, a non-zero `offset` or an order
  other than `date_insert` with `after`/`before`, an unknown SID in `after`/`before`, a bad
  filter, an unknown field in `include_fields`/`exclude_fields`, a body that is not a JSON
  object. 422: negative `limit`/`offset`, `limit` over 1000, a bad `order`, `user_data` that
  is not a string or null or is over 2000 characters, a PUT missing a field. 404: unknown SID.
- Cursor links carry `offset=0`, as in the provider's sample. On an empty cursor page the
  links are anchored on the request's SID.
- PATCH/PUT ignore every field but `user_data` (read-only fields cannot change) and bump
  `date_changed` when `user_data` is given.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from gateway.simulators.carrierx_query import (
    FIELDS,
    Condition,
    QueryError,
    condition,
    parse_filter,
    parse_order,
)
from gateway.simulators.carrierx_store import CarrierXStore
from gateway.simulators.control import Handler, install_control

CARRIERX_BASE_PATH = "/core/v2"
MESSAGE_DRS_PATH = CARRIERX_BASE_PATH + "/sms/message_drs"
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_USER_DATA = 2000

READ_SCOPES = frozenset({"sms.read", "sms.manage"})
UPDATE_SCOPES = frozenset({"sms.update", "sms.manage"})
DESCENDANT_SCOPE = "sms.read_descendant"

_PRESERVED_PARAMS = ("order", "filter", "include_fields", "exclude_fields")
_INTEGER = re.compile(r"-?[0-9]+")
_STATUS_MESSAGES = {
    400: "malformed request",
    401: "authentication failed",
    403: "permission denied",
    404: "object not found",
    422: "unprocessable entity",
}


@dataclass(frozen=True, slots=True)
class _Account:
    tokens: Mapping[str, frozenset[str]]
    partner_sid: str | None


CARRIERX_RECORDS = web.AppKey("carrierx_records", CarrierXStore)
_ACCOUNT = web.AppKey("carrierx_account", _Account)


def create_carrierx_app(
    records: Iterable[dict[str, Any]],
    *,
    tokens: Mapping[str, Iterable[str]],
    partner_sid: str | None = None,
) -> web.Application:
    """A CarrierX partner holding copies of `records`; `tokens` maps each token to its scopes.

    With `partner_sid`, records of any other partner count as descendant records.
    """
    app = web.Application()
    install_control(app)
    app.middlewares.append(_errors)
    app[CARRIERX_RECORDS] = CarrierXStore(records)
    app[_ACCOUNT] = _Account(
        {token: frozenset(scopes) for token, scopes in tokens.items()}, partner_sid
    )
    app.router.add_get(MESSAGE_DRS_PATH, _list)
    app.router.add_get(MESSAGE_DRS_PATH + "/{dr_sid}", _get)
    app.router.add_patch(MESSAGE_DRS_PATH + "/{dr_sid}", _patch)
    app.router.add_put(MESSAGE_DRS_PATH + "/{dr_sid}", _put)
    return app


class _ApiError(Exception):
    def __init__(
        self, status: int, message: str, field: str | None = None, reference_sid: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.reference_sid = reference_sid


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer refused requests with the provider's error body."""
    try:
        return await handler(request)
    except QueryError as error:
        failure = _ApiError(error.status, error.message, error.field)
    except _ApiError as error:
        failure = error
    body = {
        "message": _STATUS_MESSAGES[failure.status],
        "errors": [
            {
                "field": failure.field,
                "message": failure.message,
                "reference_sid": failure.reference_sid,
            }
        ],
    }
    headers = {"WWW-Authenticate": "Bearer"} if failure.status == 401 else None
    return web.json_response(body, status=failure.status, headers=headers)


async def _list(request: web.Request) -> web.Response:
    scopes = _authorize(request, READ_SCOPES)
    query = request.query
    limit = _integer(query, "limit", DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        raise _ApiError(422, f"limit must be at most {MAX_LIMIT}", "limit")
    offset = _integer(query, "offset", 0)
    order, descending = parse_order(query.get("order", "date_insert asc"))
    cursor = _cursor(query, offset, order)
    terms = parse_filter(query.get("filter", "")) + _visibility(request, scopes)
    fields = _fields(query)
    store = request.app[CARRIERX_RECORDS]
    matches = store.select(terms, order)
    if cursor is None:
        page = _offset_page(matches[::-1] if descending else matches, limit, offset)
    else:
        name, sid = cursor
        anchor = _find(request, scopes, sid, status=400, field=name)
        page = _cursor_page(matches, descending, limit, name == "after", anchor)
    links = {
        direction: str(request.url.with_query(_link_query(query, limit, target, store)))
        for direction, target in (("next", page.next), ("previous", page.previous))
        if target is not None
    }
    items = [_project(store[index], fields) for index in page.indexes]
    return web.json_response(
        {
            "count": len(items),
            "has_more": page.has_more,
            "items": items,
            "limit": limit,
            "offset": offset,
            "pagination": links,
            "total": len(matches) if cursor is None else None,
        }
    )


async def _get(request: web.Request) -> web.Response:
    scopes = _authorize(request, READ_SCOPES)
    fields = _fields(request.query)
    store = request.app[CARRIERX_RECORDS]
    return web.json_response(_project(store[_locate(request, scopes)], fields))


async def _patch(request: web.Request) -> web.Response:
    return await _update(request, require_all=False)


async def _put(request: web.Request) -> web.Response:
    return await _update(request, require_all=True)


async def _update(request: web.Request, *, require_all: bool) -> web.Response:
    """PATCH and PUT: only `user_data` can change; PUT must carry every field."""
    scopes = _authorize(request, UPDATE_SCOPES)
    position = _locate(request, scopes)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise _ApiError(400, "the body must be a JSON object")
    if require_all:
        missing = [field for field in FIELDS if field not in body]
        if missing:
            raise _ApiError(422, "a PUT must carry every field", missing[0])
    store = request.app[CARRIERX_RECORDS]
    if "user_data" in body:
        user_data = body["user_data"]
        if user_data is not None and not isinstance(user_data, str):
            raise _ApiError(422, "user_data must be a string or null", "user_data")
        if user_data is not None and len(user_data) > MAX_USER_DATA:
            raise _ApiError(422, f"user_data exceeds {MAX_USER_DATA} characters", "user_data")
        store.update_user_data(position, user_data, datetime.now(UTC))
    return web.json_response(store[position])


@dataclass(frozen=True, slots=True)
class _Page:
    """Store positions of one page, and the anchors of the links around it: `("offset", n)`,
    or `("after" | "before", store position)`."""

    indexes: list[int]
    has_more: bool
    next: tuple[str, int] | None
    previous: tuple[str, int] | None


def _offset_page(ordered: list[int], limit: int, offset: int) -> _Page:
    end = offset + limit
    has_more = end < len(ordered)
    preceding = min(offset, len(ordered))
    return _Page(
        ordered[offset:end],
        has_more,
        ("offset", end) if has_more else None,
        ("offset", max(0, preceding - limit)) if preceding else None,
    )


def _cursor_page(
    matches: list[int], descending: bool, limit: int, forward: bool, anchor: int
) -> _Page:
    """The page after (`forward`) or before the anchor record in the requested order.

    `matches` is ascending; the anchor spans [low, high) of the ordered list: one slot, or
    none when the filter excludes it. `before` takes the `limit` records nearest to it, still
    listed in order.
    """
    ordered = matches[::-1] if descending else matches
    low, high = bisect.bisect_left(matches, anchor), bisect.bisect_right(matches, anchor)
    if descending:
        low, high = len(matches) - high, len(matches) - low
    start, end = (high, min(len(ordered), high + limit)) if forward else (max(0, low - limit), low)
    indexes = ordered[start:end]
    more_before = start > 0 if indexes else low > 0
    more_after = end < len(ordered) if indexes else high < len(ordered)
    return _Page(
        indexes,
        more_after if forward else more_before,
        ("after", indexes[-1] if indexes else anchor) if more_after else None,
        ("before", indexes[0] if indexes else anchor) if more_before else None,
    )


def _link_query(
    query: Mapping[str, str], limit: int, anchor: tuple[str, int], store: CarrierXStore
) -> list[tuple[str, str]]:
    """The query of a pagination link: the new position, then the request's other choices."""
    name, value = anchor
    if name == "offset":
        params = [("limit", str(limit)), ("offset", str(value))]
    else:
        params = [(name, store[value]["dr_sid"]), ("limit", str(limit)), ("offset", "0")]
    return params + [(key, query[key]) for key in _PRESERVED_PARAMS if key in query]


def _authorize(request: web.Request, needed: frozenset[str]) -> frozenset[str]:
    """The token's scopes; 401 for a missing or unknown token, 403 when none is `needed`."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    tokens = request.app[_ACCOUNT].tokens
    scopes = tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if scopes is None:
        raise _ApiError(401, "a valid Bearer token is required", "Authorization")
    if scopes.isdisjoint(needed):
        raise _ApiError(403, f"one of the scopes {', '.join(sorted(needed))} is required")
    return scopes


def _hidden(request: web.Request, scopes: frozenset[str], record: Mapping[str, Any]) -> bool:
    """Whether a descendant partner's record is out of the token's sight."""
    partner = request.app[_ACCOUNT].partner_sid
    return (
        partner is not None and DESCENDANT_SCOPE not in scopes and record["partner_sid"] != partner
    )


def _visibility(request: web.Request, scopes: frozenset[str]) -> list[Condition]:
    """The filter term that hides descendant partners' records, when they are hidden."""
    partner = request.app[_ACCOUNT].partner_sid
    if partner is None or DESCENDANT_SCOPE in scopes:
        return []
    return [condition("partner_sid", "eq", [partner])]


def _locate(request: web.Request, scopes: frozenset[str]) -> int:
    """The store position of the path's `dr_sid`; 404 when unknown or hidden."""
    return _find(request, scopes, request.match_info["dr_sid"], status=404, field="dr_sid")


def _find(
    request: web.Request, scopes: frozenset[str], sid: str, *, status: int, field: str
) -> int:
    """The store position of a record the token may see; `status` when there is none."""
    store = request.app[CARRIERX_RECORDS]
    position = store.position(sid)
    if position is None or _hidden(request, scopes, store[position]):
        raise _ApiError(status, f"no record with SID {sid!r}", field, sid)
    return position


def _integer(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw.strip()):
        raise _ApiError(400, f"{name} must be an integer", name)
    value = int(raw)
    if value < 0:
        raise _ApiError(422, f"{name} must not be negative", name)
    return value


def _cursor(query: Mapping[str, str], offset: int, order: str) -> tuple[str, str] | None:
    """`("after" | "before", sid)` for cursor paging, None for offset paging."""
    after, before = query.get("after"), query.get("before")
    if after is not None and before is not None:
        raise _ApiError(400, "after and before cannot be combined", "before")
    if after is None and before is None:
        return None
    name, sid = ("after", after) if after is not None else ("before", before or "")
    if offset:
        raise _ApiError(400, f"offset cannot be combined with {name}", "offset")
    if order != "date_insert":
        raise _ApiError(400, f"with {name}, only date_insert can order the results", "order")
    return name, sid


def _fields(query: Mapping[str, str]) -> tuple[str, ...] | None:
    """The fields to return after `include_fields` and `exclude_fields`; None for all."""
    chosen = set(FIELDS)
    for name in ("include_fields", "exclude_fields"):
        raw = query.get(name)
        if raw is None:
            continue
        names = {part.strip() for part in raw.split(",") if part.strip()}
        unknown = names.difference(FIELDS)
        if unknown:
            raise _ApiError(400, f"unknown field {sorted(unknown)[0]!r}", name)
        chosen = chosen & names if name == "include_fields" else chosen - names
    if len(chosen) == len(FIELDS):
        return None
    return tuple(field for field in FIELDS if field in chosen)


def _project(record: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    return record if fields is None else {field: record[field] for field in fields}
