"""The summaries' cursor over the event broker's ids, safe against rows that appear late.

With several Rasa replicas on PostgreSQL, a row's id is drawn from a sequence when it is
inserted, and the row becomes visible when its transaction commits: a row with a smaller id can
appear after one with a larger id. A cursor "the last id folded" would skip it for good.

So the cursor is a watermark and what was folded above it:
- `watermark`: every id at or below it was folded, or given up on;
- `folded`: intervals [first, last, seen_at] of ids above the watermark that were folded, with
  the time (this machine's clock) the earliest of them was folded.

Each refresh reads only the holes (between the watermark and the intervals, between intervals,
and above the last one), folds what it finds there, adds it to the intervals and moves the
watermark over the intervals that now join it. A row is folded as soon as it is visible, never
twice; only the watermark waits. A hole below an interval folded SETTLE_S ago is given up: its
ids were drawn before a row above them was visible, so their transactions had SETTLE_S to
commit. It is a row that was never written (its Rasa died mid-insert) or one deleted before it
was folded (`forget`). On SQLite (one writer at a time) holes come only from deletions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

SETTLE_S = 60.0
# Beyond this many holes the oldest are given up at once, so that a refresh's query stays small.
MAX_INTERVALS = 200


@dataclass
class Cursor:
    watermark: int = 0
    folded: list[list[float]] = field(default_factory=list)  # [first, last, seen_at]

    @classmethod
    def load(cls, watermark: int, pending: str | None) -> Cursor:
        folded = json.loads(pending) if pending else []
        return cls(watermark, [[int(a), int(b), float(t)] for a, b, t in folded])

    def dump(self) -> str:
        return json.dumps([[int(a), int(b), t] for a, b, t in self.folded])

    def holes(self) -> list[tuple[int, int | None]]:
        """The open id intervals (after, before) not folded yet; `before` None: unbounded."""
        holes: list[tuple[int, int | None]] = []
        after = self.watermark
        for first, last, _ in self.folded:
            if first > after + 1:
                holes.append((after, int(first)))
            after = int(last)
        holes.append((after, None))
        return holes

    def add(self, ids: Iterable[int], now: float) -> None:
        """Mark these ids (read from the holes) as folded at `now`."""
        runs: list[list[float]] = []
        for i in sorted(i for i in ids if i > self.watermark):
            if runs and runs[-1][1] + 1 == i:
                runs[-1][1] = i
            else:
                runs.append([i, i, now])
        merged: list[list[float]] = []
        for first, last, seen in sorted(self.folded + runs):
            if merged and merged[-1][1] + 1 >= first:
                merged[-1][1] = max(merged[-1][1], last)
                merged[-1][2] = min(merged[-1][2], seen)
            else:
                merged.append([first, last, seen])
        self.folded = merged

    def advance(self, now: float, settle_s: float = SETTLE_S) -> int:
        """Move the watermark over the intervals that join it, and over holes older than
        `settle_s`; the number of ids given up."""
        given_up = 0
        while self.folded:
            first, last, _ = self.folded[0]
            hole = int(first) - self.watermark - 1
            # Any row above the hole was visible when it was folded: the oldest one bounds
            # when the hole's ids were drawn.
            oldest = min(seen for _, _, seen in self.folded)
            if hole > 0 and now - oldest < settle_s and len(self.folded) <= MAX_INTERVALS:
                break
            given_up += max(hole, 0)
            self.watermark = int(last)
            self.folded.pop(0)
        return given_up
