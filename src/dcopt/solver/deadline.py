"""The wall clock of one command: a deadline created when the command starts
(before the instance is read), which every step asks for the time left."""

from __future__ import annotations

import time


class Deadline:
    """`seconds` from `start` (time.perf_counter(); now by default), or no limit (None).

    `expire()` moves the deadline to now: a test (or a caller reacting to an event)
    can end a solve as a time limit would, without depending on machine speed."""

    def __init__(self, seconds: float | None = None, start: float | None = None) -> None:
        self.start = time.perf_counter() if start is None else start
        self.at: float | None = None if seconds is None else self.start + seconds

    @property
    def limited(self) -> bool:
        return self.at is not None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def left(self, reserve: float = 0.0) -> float | None:
        """Seconds left before the deadline less `reserve` (never below 0), None without a limit."""
        if self.at is None:
            return None
        return max(0.0, self.at - reserve - time.perf_counter())

    def expired(self, reserve: float = 0.0) -> bool:
        return self.at is not None and time.perf_counter() >= self.at - reserve

    def expire(self) -> None:
        self.at = time.perf_counter()

    def __repr__(self) -> str:
        left = self.left()
        return "Deadline(no limit)" if left is None else f"Deadline({left:.3f} s left)"
