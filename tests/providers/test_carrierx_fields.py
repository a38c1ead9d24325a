"""The record's fields are listed once, in `records.SmsRecord`: the schema type, the field
selection and the CarrierX field table derive from it, and must agree with it and with the
fields the CarrierX seed document lists."""

from dataclasses import fields
from datetime import UTC, datetime

import pytest

from gateway.providers.base import StreamQuery
from gateway.providers.carrierx import SOURCE_FIELDS, included_fields, map_item, pushdown
from gateway.records import (
    Direction,
    MessageType,
    Order,
    RecordFilter,
    SmsRecord,
    SmsStatus,
    TimeWindow,
)
from gateway.schema import build_schema, types

from .carrierx_seed import DOCUMENTED_FIELDS, item

ATTRIBUTES = frozenset(field.name for field in fields(SmsRecord))
WINDOW = TimeWindow(datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))
SAMPLES = {
    "seed": item(),
    "typed by its media": item(type="fax", number_group_dst=[]),
    "typed by its group": item(type=None, media_urls=[]),
    "plain sms": item(type="sms", media_urls=[], number_group_dst=[], message="hi", mcc="310"),
}
FILTERS = {
    "direction": RecordFilter(direction=Direction.OUTBOUND),
    "statuses": RecordFilter(statuses=frozenset({SmsStatus.SENT})),
    "type": RecordFilter(type=MessageType.MMS),
    "number": RecordFilter(number="+17207210038"),
    "number, missed": RecordFilter(number="+15550000000"),
}


def query(attributes, narrowing=None):
    narrowing = narrowing or RecordFilter()
    return StreamQuery(Order.ASC, WINDOW, narrowing, None, 1, fields=frozenset(attributes))


def projected(sample, included):
    return {name: value for name, value in sample.items() if name in included}


def test_every_schema_field_reads_record_attributes():
    assert set(types.RECORD_ATTRIBUTES) == set(build_schema()._schema.type_map["SmsRecord"].fields)
    for name, attributes in types.RECORD_ATTRIBUTES.items():
        assert attributes, name
        assert attributes <= ATTRIBUTES, name


def test_every_record_attribute_names_the_documented_carrierx_fields_it_is_read_from():
    assert SOURCE_FIELDS.keys() == ATTRIBUTES
    named = {name for sources in SOURCE_FIELDS.values() for name in sources or ()}
    assert named <= DOCUMENTED_FIELDS
    assert [name for name, sources in SOURCE_FIELDS.items() if sources is None] == ["raw"]


def test_the_pushed_down_filter_names_documented_fields():
    narrowing = RecordFilter(
        direction=Direction.INBOUND, statuses=frozenset({SmsStatus.SENT}), type=MessageType.SMS
    )
    clauses = pushdown(query((), narrowing), WINDOW, "cx")
    assert {clause.split(" ", 1)[0] for clause in clauses} <= DOCUMENTED_FIELDS


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
@pytest.mark.parametrize("field", sorted(types.RECORD_ATTRIBUTES))
def test_a_field_selected_alone_reads_the_same_from_its_included_fields(field, sample):
    """Schema field → record attributes → `include_fields` → `map_item`: the reply narrowed
    to the included fields gives the field's attributes the values the whole record gives."""
    attributes = types.RECORD_ATTRIBUTES[field]
    included = included_fields(query(attributes))
    if field == "raw":
        assert included is None
        return
    assert included is not None
    assert set(included) <= DOCUMENTED_FIELDS
    whole = map_item(sample, account="cx")
    narrowed = map_item(projected(sample, included), account="cx")
    for attribute in attributes:
        assert getattr(narrowed, attribute) == getattr(whole, attribute), attribute


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
@pytest.mark.parametrize("narrowing", FILTERS.values(), ids=FILTERS.keys())
def test_the_gateway_side_filter_reads_the_same_from_the_included_fields(narrowing, sample):
    included = included_fields(query({"created_at"}, narrowing))
    assert included is not None
    assert set(included) <= DOCUMENTED_FIELDS
    narrowed = map_item(projected(sample, included), account="cx")
    assert narrowing.matches(narrowed) == narrowing.matches(map_item(sample, account="cx"))
