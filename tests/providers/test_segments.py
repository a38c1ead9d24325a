import pytest

from gateway.providers.segments import GSM_BASIC, GSM_EXTENSION, count_segments


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("£¥èÉÑ§¿" * 20, 1),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("a" * 159 + "[", 2),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("ж" * 134, 2),
        ("ж" * 135, 3),
        ("a" * 69 + "ж", 1),
        ("a" * 70 + "ж", 2),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
)
def test_parts(text, parts):
    assert count_segments(text) == parts


def test_an_extension_character_is_not_split_across_parts():
    # 152 septets, then a two-septet character that does not fit in the first 153.
    text = "a" * 152 + "€" + "a" * 152  # 306 septets: two parts if it could split
    assert count_segments(text) == 3
    assert count_segments("a" * 151 + "€" + "a" * 153) == 2


def test_a_surrogate_pair_is_not_split_across_parts():
    assert count_segments("ж" * 66 + "😀" + "ж" * 66) == 3
    assert count_segments("ж" * 65 + "😀" + "ж" * 67) == 2


def test_the_gsm_tables():
    assert len(GSM_BASIC) == 127  # 128 code points less the escape to the extension table
    assert "\x1b" not in GSM_BASIC
    assert set("\f^{}\\[~]|€") == GSM_EXTENSION
    assert GSM_BASIC.isdisjoint(GSM_EXTENSION)
