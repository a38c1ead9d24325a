"""CarrierX query parameters: the record fields, the `filter` grammar and `order`.

Filter grammar: `field op value [and field op value ...]`, `and` only (any case). Operators:
`eq ne gt ge lt le like ilike in notin`. A value is quoted with `'` or `"` (no escapes: a value
holding one quote character goes in the other); a date field also takes a bare ISO-8601 value;
`in`/`notin` take a parenthesised, comma-separated list of such values.

How values compare: date fields as instants (a value without offset is UTC), integer and money
fields numerically, other fields as strings; `like`/`ilike` match the field's wire text with `%`
(any run) and `_` (one character). Array fields (`media_urls`, `number_group_dst`) take
`eq ne in notin like ilike` meaning "some element matches" (`ne`/`notin`: "no element").
A null field matches only `ne` and `notin`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

FIELDS = (
    "date_changed",
    "date_insert",
    "date_sent",
    "date_start",
    "date_stop",
    "delay_sent",
    "direction",
    "dr_sid",
    "mcc",
    "mcc_mnc_price",
    "mcc_mnc_rate",
    "media_urls",
    "message",
    "message_segments",
    "mnc",
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
DATE_FIELDS = frozenset({"date_changed", "date_insert", "date_sent", "date_start", "date_stop"})
NUMBER_FIELDS = frozenset(
    {
        "delay_sent",
        "mcc",
        "message_segments",
        "mnc",
        "version",
        "mcc_mnc_price",
        "mcc_mnc_rate",
        "passthrough_price",
        "passthrough_rate",
        "price",
        "rate",
    }
)
ARRAY_FIELDS = frozenset({"media_urls", "number_group_dst"})
ORDERABLE_FIELDS = frozenset(FIELDS) - ARRAY_FIELDS

_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "like", "ilike", "in", "notin"})
_ORDERING = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
_TOKEN = re.compile(
    r"""\s*(?:(?P<open>\()|(?P<close>\))|(?P<comma>,)|'(?P<single>[^']*)'|"(?P<double>[^"]*)"
    |(?P<word>[^\s(),'"]+))""",
    re.VERBOSE,
)
_ORDER = re.compile(r"\s*([A-Za-z_]+)(?:[+ ]+([A-Za-z]+))?\s*")


class QueryError(ValueError):
    """A parameter the API refuses; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def comparable(field: str, value: Any) -> Any:
    """A wire value as the filter and `order` compare it (None stays None)."""
    if value is None:
        return None
    if field in DATE_FIELDS:
        return instant_micros(value)
    if field in NUMBER_FIELDS:
        return Decimal(value) if isinstance(value, str) else value
    if field in ARRAY_FIELDS:
        return tuple(value)
    return value


def instant_micros(text: str) -> int:
    """An ISO-8601 instant as integer microseconds since the epoch (naive means UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True, slots=True)
class Condition:
    """One `field op value` term, compiled to a test on one record."""

    field: str
    op: str
    values: tuple[Any, ...]
    on_text: bool
    test: Callable[[Any], bool]

    @property
    def value(self) -> Any:
        return self.values[0]


def condition(field: str, op: str, raw_values: list[str]) -> Condition:
    """Compile a term; QueryError (400) when the field, operator or a value does not fit."""
    if field not in FIELDS:
        raise _bad_filter(f"unknown field {field!r}")
    if op not in _OPERATORS:
        raise _bad_filter(f"unknown operator {op!r}")
    if op in ("like", "ilike"):
        pattern = _like(raw_values[0], op == "ilike")
        return Condition(field, op, (pattern,), True, _matcher(field, op, pattern))
    if field in ARRAY_FIELDS and op in _ORDERING:
        raise _bad_filter(f"operator {op!r} does not apply to array field {field!r}")
    values = tuple(_value(field, raw) for raw in raw_values)
    target: Any = frozenset(values) if op in ("in", "notin") else values[0]
    return Condition(field, op, values, False, _matcher(field, op, target))


def parse_filter(text: str) -> list[Condition]:
    """The terms of a `filter` parameter; an empty filter has none."""
    tokens = _tokenize(text)
    conditions: list[Condition] = []
    position = 0
    while position < len(tokens):
        if conditions:
            kind, word = tokens[position]
            if kind != "word" or word.lower() != "and":
                raise _bad_filter(f"expected 'and', got {word!r}")
            position += 1
        field, op, values, position = _term(tokens, position)
        conditions.append(condition(field, op, values))
    return conditions


def parse_order(text: str) -> tuple[str, bool]:
    """`field[ asc|desc]` (`+` or space between) → (field, descending); QueryError 422."""
    match = _ORDER.fullmatch(text)
    direction = (match.group(2) or "asc").lower() if match else ""
    if not match or direction not in ("asc", "desc"):
        raise QueryError(422, "order", f"invalid order {text!r}")
    if match.group(1) not in ORDERABLE_FIELDS:
        raise QueryError(422, "order", f"cannot order by {match.group(1)!r}")
    return match.group(1), direction == "desc"


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise _bad_filter(f"unbalanced quote at {text[position:].strip()!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append(("quoted" if kind in ("single", "double") else kind, value))
        position = match.end()
    return tokens


def _term(tokens: list[tuple[str, str]], position: int) -> tuple[str, str, list[str], int]:
    head = tokens[position : position + 3]
    if len(head) < 3 or head[0][0] != "word" or head[1][0] != "word":
        raise _bad_filter("expected 'field operator value'")
    field, op = head[0][1], head[1][1].lower()
    if op not in ("in", "notin"):
        return field, op, [_scalar(field, head[2])], position + 3
    if head[2][0] != "open":
        raise _bad_filter(f"{op!r} takes a parenthesised list")
    values: list[str] = []
    position += 3
    while True:
        if position + 1 >= len(tokens):
            raise _bad_filter("unterminated list")
        values.append(_scalar(field, tokens[position]))
        separator = tokens[position + 1][0]
        position += 2
        if separator == "close":
            return field, op, values, position
        if separator != "comma":
            raise _bad_filter("expected ',' or ')' in list")


def _scalar(field: str, token: tuple[str, str]) -> str:
    kind, text = token
    if kind == "quoted" or (kind == "word" and field in DATE_FIELDS):
        return text
    raise _bad_filter(f"value {text!r} must be quoted")


def _value(field: str, raw: str) -> Any:
    if field in DATE_FIELDS:
        try:
            return instant_micros(raw)
        except ValueError:
            raise _bad_filter(f"{raw!r} is not an ISO-8601 date") from None
    if field in NUMBER_FIELDS:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise _bad_filter(f"{raw!r} is not a number") from None
        if not number.is_finite():
            raise _bad_filter(f"{raw!r} is not a number")
        return number
    return raw


def _matcher(field: str, op: str, target: Any) -> Callable[[Any], bool]:
    if field in ARRAY_FIELDS:
        return _array_matcher(op, target)
    if op == "eq":
        return lambda value: value is not None and value == target
    if op == "ne":
        return lambda value: value is None or value != target
    if op == "in":
        return lambda value: value is not None and value in target
    if op == "notin":
        return lambda value: value is None or value not in target
    if op in ("like", "ilike"):
        return lambda value: value is not None and target.search(_text(value)) is not None
    compare = _ORDERING[op]
    return lambda value: value is not None and compare(value, target)


def _array_matcher(op: str, target: Any) -> Callable[[Any], bool]:
    if op == "eq":
        return lambda value: value is not None and target in value
    if op == "ne":
        return lambda value: value is None or target not in value
    if op == "in":
        return lambda value: value is not None and not target.isdisjoint(value)
    if op == "notin":
        return lambda value: value is None or target.isdisjoint(value)
    return lambda value: value is not None and any(target.search(item) for item in value)


def _like(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """A regex to `search` with: a leading or trailing `%` leaves that end unanchored, which
    avoids backtracking over `.*`."""
    core = pattern.strip("%")
    parts = (".*" if char == "%" else "." if char == "_" else re.escape(char) for char in core)
    head = "" if pattern.startswith("%") else r"\A"
    tail = "" if pattern.endswith("%") else r"\Z"
    return re.compile(
        head + "".join(parts) + tail, re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _bad_filter(message: str) -> QueryError:
    return QueryError(400, "filter", message)
