"""The wall clock of one command: a deadline created when the command starts
(before the instance is read), which every step asks for the time left."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class DeadlinePassed(Exception):
    """The deadline passed inside a step that cannot ask for the time left (`Deadline.alarm`)."""


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

    @contextmanager
    def alarm(self) -> Iterator[None]:
        """Within the block, the deadline passing raises `DeadlinePassed`: for building the
        model and handing it to HiGHS, long loops that cannot ask for the time left (large-50site
        on a busy machine: 27 s for a 10 s limit). Only where a timer signal can do it: in the
        main thread, on POSIX, with no other use of SIGALRM; elsewhere the block just runs."""
        if (self.at is None or not hasattr(signal, "setitimer")
                or threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN, None)):
            yield
            return
        if self.expired():
            raise DeadlinePassed

        def passed(signum, frame) -> None:
            raise DeadlinePassed

        previous = signal.signal(signal.SIGALRM, passed)
        try:
            signal.setitimer(signal.ITIMER_REAL, max(self.left() or 0.0, 1e-3))
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def __repr__(self) -> str:
        left = self.left()
        return "Deadline(no limit)" if left is None else f"Deadline({left:.3f} s left)"
