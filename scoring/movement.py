"""How a recommendation list moved between two requests: up n, down n, new, gone.

After recording events the console fetches the list again and shows each item's movement
against the list before, so a person sees the campaign react. Pure: lists of item IDs in,
labels out (ranks are 1-based; an item repeated in a list counts at its first position).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

UP, DOWN, SAME, NEW, GONE = "up", "down", "same", "new", "gone"


@dataclass(frozen=True)
class Move:
    """One item's change: `kind` is up/down/same/new/gone, `by` the number of places (0 otherwise)."""

    item_id: str
    kind: str
    by: int
    before: int | None  # 1-based rank in the previous list
    after: int | None  # 1-based rank in the new list

    @property
    def label(self) -> str:
        """What the table shows: "▲ 3", "▼ 1", "=", "new", "gone"."""
        if self.kind == UP:
            return f"▲ {self.by}"
        if self.kind == DOWN:
            return f"▼ {self.by}"
        return "=" if self.kind == SAME else self.kind


def _ranks(items: Sequence[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for position, item in enumerate(items, 1):
        ranks.setdefault(item, position)
    return ranks


def movement(before: Sequence[str], after: Sequence[str]) -> list[Move]:
    """The new list's items in their new order, then the items that left it in their old order."""
    old, new = _ranks(before), _ranks(after)
    moves = []
    for item, rank in new.items():
        was = old.get(item)
        if was is None:
            moves.append(Move(item, NEW, 0, None, rank))
        elif was > rank:
            moves.append(Move(item, UP, was - rank, was, rank))
        elif was < rank:
            moves.append(Move(item, DOWN, rank - was, was, rank))
        else:
            moves.append(Move(item, SAME, 0, was, rank))
    moves += [Move(item, GONE, 0, rank, None) for item, rank in old.items() if item not in new]
    return moves


def summary(moves: Sequence[Move]) -> dict[str, int]:
    """How many items went up, down, stayed, arrived and left."""
    counts = {UP: 0, DOWN: 0, SAME: 0, NEW: 0, GONE: 0}
    for move in moves:
        counts[move.kind] += 1
    return counts


def changed(moves: Sequence[Move]) -> bool:
    """Whether the list differs at all (order or membership)."""
    return any(m.kind != SAME for m in moves)
