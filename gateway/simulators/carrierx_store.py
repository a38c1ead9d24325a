"""The CarrierX account's detail records, indexed for the list endpoint.

Records are kept in insertion order: ascending `date_insert`, ties in the order they were
inserted. Each field is also held as a column of comparable values (dates as integer
microseconds, money as Decimal), parsed once, so a filtered list over thousands of records is a
few list comprehensions; `date_insert` bounds in a filter narrow the scan by bisection.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from gateway.simulators.carrierx_query import FIELDS, Condition, comparable
from gateway.simulators.dataset import iso_millis


class CarrierXStore(Sequence[dict[str, Any]]):
    """Detail records in insertion order; `add` and `update_user_data` keep the indexes."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self._records = [dict(record) for record in records]
        self._reindex()

    def add(self, record: dict[str, Any]) -> None:
        """Insert a record after every record with the same or an earlier `date_insert`."""
        self._records.append(dict(record))
        self._reindex()

    def position(self, dr_sid: str) -> int | None:
        return self._positions.get(dr_sid)

    def update_user_data(self, position: int, user_data: str | None, now: datetime) -> None:
        """Set `user_data` and bump `date_changed`, the only change the API allows."""
        record = self._records[position]
        record["user_data"] = user_data
        record["date_changed"] = iso_millis(now)
        for field in ("user_data", "date_changed"):
            self._columns[field][position] = comparable(field, record[field])
            self._texts[field][position] = record[field]
            self._sorted.pop(field, None)

    def select(self, conditions: list[Condition], order: str = "date_insert") -> list[int]:
        """Positions of the matching records, ascending by `order` then insertion order."""
        keys = self._columns["date_insert"]
        low, high = 0, len(keys)
        for term in conditions:
            if term.field == "date_insert" and not term.on_text:
                low, high = _narrow(keys, term, low, high)
        matches: Iterable[int] = range(low, high)
        for term in conditions:
            column = self._texts[term.field] if term.on_text else self._columns[term.field]
            test = term.test
            matches = [index for index in matches if test(column[index])]
        if order == "date_insert":
            return list(matches)
        wanted = set(matches)
        return [index for index in self._sorted_by(order) if index in wanted]

    def _sorted_by(self, field: str) -> list[int]:
        """All positions ascending by `field` (nulls last), ties in insertion order."""
        if field not in self._sorted:
            column = self._columns[field]
            self._sorted[field] = sorted(
                range(len(column)),
                key=lambda i: (column[i] is None, 0 if column[i] is None else column[i], i),
            )
        return self._sorted[field]

    def _reindex(self) -> None:
        self._records.sort(key=lambda record: comparable("date_insert", record["date_insert"]))
        self._positions = {record["dr_sid"]: i for i, record in enumerate(self._records)}
        if len(self._positions) != len(self._records):
            raise ValueError("dr_sid values must be unique")
        self._texts = {field: [record[field] for record in self._records] for field in FIELDS}
        self._columns = {
            field: [comparable(field, value) for value in texts]
            for field, texts in self._texts.items()
        }
        self._sorted: dict[str, list[int]] = {}

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._records)


def _narrow(keys: list[int], term: Condition, low: int, high: int) -> tuple[int, int]:
    """Tighten [low, high) on the sorted `date_insert` column for one comparison."""
    if term.op in ("gt", "ge", "eq"):
        find = bisect.bisect_right if term.op == "gt" else bisect.bisect_left
        low = max(low, find(keys, term.value))
    if term.op in ("lt", "le", "eq"):
        find = bisect.bisect_left if term.op == "lt" else bisect.bisect_right
        high = min(high, find(keys, term.value))
    return low, high
