"""DIDforSale SMS CDR API simulator.

`POST {DIDFORSALE_BASE_PATH}/SMS/CDR` with a JSON body `{"start_date", "end_date",
"last_record_number"}`. Every reply is HTTP 200; the body says whether it worked:

- success: `{"status": true, "message": "Success", "sms_cdr": [...], "last_record_number": N,
  "code": 100}`, at most `page_size` (500) rows ordered by (`date`, row id).
  `last_record_number` is the row id of the page's last row when more rows remain, else 0.
- failure: `{"status": false, "message": "...", "code": N}` with
  - 101: missing or wrong credentials (HTTP Basic key:token, or `APIKEY` + `accesstoken`);
  - 113: the body is not a JSON object, or a date is missing, malformed, or start > end;
  - 114: `last_record_number` is not a non-negative integer, or names no row of the range.

Dates are the account's naive wall-clock strings and compare as strings, as a naive local
column does in a database: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD` (start of day as a start,
end of day as an end); both ends are inclusive.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hmac
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.simulators.control import Fault, install_control
from gateway.simulators.dataset import DidForSaleRow, local_date

DIDFORSALE_BASE_PATH = "/didforsaleapi/index.php/api/V4"
CDR_PATH = DIDFORSALE_BASE_PATH + "/SMS/CDR"
PAGE_SIZE = 500

CODE_SUCCESS = 100
CODE_BAD_CREDENTIALS = 101
CODE_BAD_DATE_RANGE = 113
CODE_BAD_LAST_RECORD_NUMBER = 114
CODE_TEMPORARY_FAILURE = 199
PROVIDER_FAILURE = Fault(
    status=200,
    body={
        "status": False,
        "message": "Service temporarily unavailable",
        "code": CODE_TEMPORARY_FAILURE,
    },
)
"""How the API reports a failure of its own: HTTP 200 and `status: false` (for chaos)."""


class DidForSaleStore(Sequence[DidForSaleRow]):
    """The account's CDR table, kept in API order with the indexes a page lookup needs."""

    def __init__(self, rows: Iterable[DidForSaleRow], timezone: str) -> None:
        self._zone = ZoneInfo(timezone)
        self._rows: list[DidForSaleRow] = []
        for row in rows:
            self._check(row)
            self._rows.append(row)
        self._reindex()

    def add(self, row: DidForSaleRow) -> None:
        """Insert a row, as the provider would when a new message is logged."""
        self._check(row)
        self._rows.append(row)
        self._reindex()

    def page(self, start: str, end: str, after: int, size: int) -> tuple[list[DidForSaleRow], int]:
        """Rows with start <= date <= end after row id `after` (0: from the start).

        Returns the rows and the continuation (0 when none remain); KeyError when `after`
        is not a row of the range.
        """
        low = bisect.bisect_left(self._dates, start)
        high = bisect.bisect_right(self._dates, end)
        if after:
            position = self._position[after]
            if not low <= position < high:
                raise KeyError(after)
            low = position + 1
        stop = min(low + size, high)
        rows = self._rows[low:stop]
        return rows, rows[-1].row_id if stop < high else 0

    def _check(self, row: DidForSaleRow) -> None:
        if local_date(row.instant, self._zone) != row.date:
            raise ValueError(f"row {row.row_id} has date {row.date!r}, not in zone {self._zone}")

    def _reindex(self) -> None:
        self._rows.sort(key=lambda row: (row.date, row.row_id))
        self._dates = [row.date for row in self._rows]
        self._position = {row.row_id: index for index, row in enumerate(self._rows)}
        if len(self._position) != len(self._rows):
            raise ValueError("row ids must be unique")

    @overload
    def __getitem__(self, index: int) -> DidForSaleRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[DidForSaleRow]: ...
    def __getitem__(self, index: int | slice) -> DidForSaleRow | list[DidForSaleRow]:
        return self._rows[index]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[DidForSaleRow]:
        return iter(self._rows)


@dataclass(frozen=True, slots=True)
class _Account:
    api_key: str
    token: str
    page_size: int


DIDFORSALE_ROWS = web.AppKey("didforsale_rows", DidForSaleStore)
_ACCOUNT = web.AppKey("didforsale_account", _Account)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_NUMBER = re.compile(r"[0-9]+")


def create_didforsale_app(
    rows: Iterable[DidForSaleRow],
    *,
    api_key: str,
    token: str,
    timezone: str = "UTC",
    page_size: int = PAGE_SIZE,
) -> web.Application:
    """A DIDforSale account holding `rows`, whose `date` values must be in `timezone`."""
    if page_size < 1:
        raise ValueError("page_size must be positive")
    app = web.Application()
    install_control(app, PROVIDER_FAILURE)
    app[DIDFORSALE_ROWS] = DidForSaleStore(rows, timezone)
    app[_ACCOUNT] = _Account(api_key, token, page_size)
    app.router.add_post(CDR_PATH, _sms_cdr)
    return app


async def _sms_cdr(request: web.Request) -> web.Response:
    account = request.app[_ACCOUNT]
    if not _authenticated(request, account.api_key, account.token):
        return _failure(CODE_BAD_CREDENTIALS, "Invalid API key or access token")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return _failure(CODE_BAD_DATE_RANGE, "Request body must be a JSON object with a date range")
    start = _parse_date(body.get("start_date"), "00:00:00")
    end = _parse_date(body.get("end_date"), "23:59:59")
    if start is None or end is None or start > end:
        return _failure(CODE_BAD_DATE_RANGE, "Invalid date range")
    after = _parse_record_number(body.get("last_record_number"))
    if after is None:
        return _failure(CODE_BAD_LAST_RECORD_NUMBER, "Invalid last_record_number")
    try:
        rows, last = request.app[DIDFORSALE_ROWS].page(start, end, after, account.page_size)
    except KeyError:
        return _failure(CODE_BAD_LAST_RECORD_NUMBER, "Invalid last_record_number")
    return web.json_response(
        {
            "status": True,
            "message": "Success",
            "sms_cdr": [row.wire() for row in rows],
            "last_record_number": last,
            "code": CODE_SUCCESS,
        }
    )


def _authenticated(request: web.Request, api_key: str, token: str) -> bool:
    header_key = request.headers.get("APIKEY", "")
    header_token = request.headers.get("accesstoken", "")
    if header_key and _same(header_key, api_key) and _same(header_token, token):
        return True
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return _same(user, api_key) and _same(password, token)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _parse_date(value: object, default_time: str) -> str | None:
    """The canonical `YYYY-MM-DD HH:MM:SS` string, or None when the value is not a date."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) == 10:
        text = f"{text} {default_time}"
    if not _DATE.fullmatch(text):
        return None
    try:
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return text


def _parse_record_number(value: object) -> int | None:
    """0 for none; PHP-style, digit strings are accepted as well as integers."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _failure(code: int, message: str) -> web.Response:
    return web.json_response({"status": False, "message": message, "code": code})
