"""Replies read once: the same bytes are mapped once, other bytes never get its records."""

from gateway.providers.read_once import ReadOnce


def test_the_same_bytes_are_read_once_and_other_bytes_afresh():
    readings: list[bytes] = []
    read_once: ReadOnce[str] = ReadOnce(maxsize=4)

    def reading(payload: bytes):
        def read() -> str:
            readings.append(payload)
            return payload.decode().upper()

        return read

    first = b'{"items":[1]}'
    assert read_once.read(first, reading(first)) == '{"ITEMS":[1]}'
    assert read_once.read(bytes(first), reading(first)) == '{"ITEMS":[1]}'
    other = b'{"items":[2]}'
    assert read_once.read(other, reading(other)) == '{"ITEMS":[2]}'
    assert readings == [first, other]


def test_the_least_recently_used_reading_goes_first():
    read_once: ReadOnce[int] = ReadOnce(maxsize=2)
    counted: list[int] = []

    def read(n: int) -> int:
        counted.append(n)
        return n

    for n in (1, 2, 1, 3, 1, 2):
        read_once.read(str(n).encode(), lambda n=n: read(n))
    assert counted == [1, 2, 3, 2]


def test_readings_are_bounded_by_their_size_and_one_beyond_the_bound_is_not_kept():
    counted: list[bytes] = []

    def read(payload: bytes) -> bytes:
        counted.append(payload)
        return payload

    read_once: ReadOnce[bytes] = ReadOnce(maxsize=10, getsizeof=len)
    for payload in (b"aaaa", b"bbbb", b"aaaa", b"cccc", b"aaaa", b"b" * 11, b"b" * 11):
        read_once.read(payload, lambda payload=payload: read(payload))
    assert counted == [b"aaaa", b"bbbb", b"cccc", b"b" * 11, b"b" * 11]
