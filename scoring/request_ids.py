"""Random (version 4) UUIDs as text, for request and recommendation IDs.

`str(uuid.uuid4())` builds a UUID object and formats it through its int: three of them per
local GetRecommendations over the endpoint cost more than the request's JSON parsing. The same
122 random bits from os.urandom, formatted directly.
"""

from __future__ import annotations

import os

_VARIANT = "89ab"  # the RFC 4122 variant: the top two bits of clock_seq_hi are 10


def uuid4_text() -> str:
    """What `str(uuid.uuid4())` returns: 8-4-4-4-12 lower-case hex, version 4, RFC 4122 variant."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"
