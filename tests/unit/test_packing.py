"""Compact packing of opaque strings: shorter where the shape allows, exact always."""

import pytest

from gateway.paging import packing

UUID_TEXT = "3f2b8c1e-4d5a-4e6f-9a7b-8c9d0e1f2a3b"


def size(value) -> int:
    return len(packing.dumps(packing.pack(value)))


def round_trip(value):
    return packing.loads(packing.dumps(packing.pack(value)))


@pytest.mark.parametrize(
    ("text", "at_most"),
    [
        (UUID_TEXT, 18),  # its 16 bytes, not 37 as text
        ("1234567890123", 9),  # a DIDforSale uuid: a 6-byte integer
        ("2026-11-06 12:00:00", 6),  # a DIDforSale wall-clock date: seconds since the epoch
    ],
)
def test_strings_of_a_known_shape_shrink_and_come_back_exactly(text, at_most):
    assert size(text) <= at_most < len(text)
    assert round_trip(text) == text


@pytest.mark.parametrize(
    "text",
    [
        UUID_TEXT.upper(),  # would come back lowercase
        "{" + UUID_TEXT + "}",
        "0123456789",  # a leading zero the integer would lose
        "2026-02-30 12:00:00",  # no such day
        "2026-11-06T12:00:00",
        "123",
        "",
    ],
)
def test_strings_a_shorter_form_would_change_stay_text(text):
    assert packing.pack(text) == text
    assert round_trip(text) == text


def test_values_of_every_json_type_keep_their_type():
    value = {"n": 1, "b": True, "f": 1.5, "z": None, "l": ["1000", 1000, 2**70], "t": "desc"}
    assert round_trip(value) == value
    assert [type(item) for item in round_trip(value)["l"]] == [str, int, int]
