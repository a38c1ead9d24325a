"""How many SMS parts a text needs, for providers that do not report it (DIDforSale).

A text made only of GSM 03.38 characters is sent as GSM-7: 160 septets in one part, 153 per
part when split (the rest carries the concatenation header); characters of the extension table
take two septets and are never split across parts. Any other text is sent as UCS-2: 70 UTF-16
code units in one part, 67 per part, and a surrogate pair is never split either.
"""

from __future__ import annotations

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM = GSM_BASIC | GSM_EXTENSION

_GSM_SINGLE, _GSM_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


def count_segments(text: str) -> int:
    """Parts needed to send `text`; an empty text still takes one."""
    if set(text) <= _GSM:
        if len(text) + sum(text.count(char) for char in GSM_EXTENSION) <= _GSM_SINGLE:
            return 1
        return _pack([2 if char in GSM_EXTENSION else 1 for char in text], _GSM_PART)
    if len(text.encode("utf-16-le")) // 2 <= _UCS2_SINGLE:
        return 1
    return _pack([2 if ord(char) > 0xFFFF else 1 for char in text], _UCS2_PART)


def _pack(units: list[int], capacity: int) -> int:
    parts, used = 1, 0
    for size in units:
        if used + size > capacity:
            parts += 1
            used = 0
        used += size
    return parts
