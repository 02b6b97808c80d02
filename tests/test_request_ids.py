"""Request and recommendation IDs: random version 4 UUIDs as text, as `str(uuid.uuid4())` gives."""

from __future__ import annotations

import uuid

from scoring.request_ids import uuid4_text


def test_an_id_is_a_canonical_version_4_uuid() -> None:
    for _ in range(1000):
        text = uuid4_text()
        parsed = uuid.UUID(text)
        assert (str(parsed), parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)


def test_ids_do_not_repeat() -> None:
    assert len({uuid4_text() for _ in range(10_000)}) == 10_000


def test_the_random_bits_of_the_variant_nibble_vary() -> None:
    # The variant nibble is 10xx: its two free bits are random, so 8, 9, a and b all occur.
    assert {uuid4_text()[19] for _ in range(2000)} == set("89ab")
