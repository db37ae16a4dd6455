"""Worker processes that die with the process that started them.

`concurrent.futures.ProcessPoolExecutor` does not stop its workers when the
parent is killed (SIGKILL, the OOM killer): they block on the task queue, or
finish their solve first, and stay behind. `die_with_parent` is called first
thing in a worker (the pool initializer) and uses two mechanisms:

- Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, so the kernel kills the worker
  the moment its parent goes, even in the middle of a HiGHS solve that holds
  the GIL. (The signal follows the parent *thread* that started the worker:
  the pool is created and used by one thread, the one running the sweep.)
- Everywhere: a daemon thread that waits on the parent's sentinel that
  `multiprocessing` gives a spawned process (`multiprocessing.parent_process()`;
  it becomes ready when the parent exits) and checks that the parent pid has
  not changed, then ends the worker with ``os._exit``. It needs the GIL, so a
  solve in C code may finish first.

A worker started after its parent died (the parent killed while the worker
was starting) sees a different parent pid and exits at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import wait

EXIT_ORPHANED = 1
"""Exit status of a worker whose parent died (nobody reads it: the parent is gone)."""

_POLL_S = 1.0
"""How often the watchdog also checks the parent pid (when the sentinel says nothing)."""

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int, *, kernel: bool = True) -> None:
    """Make this process end when process `parent_pid` (its parent) ends.

    `kernel`: also ask Linux to kill it (PR_SET_PDEATHSIG); the watchdog
    thread runs in any case. Exits at once if the parent is already gone.
    """
    if kernel:
        set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch, args=(parent_pid, _parent_sentinel()), daemon=True,
                     name="dcopt-parent-watch").start()


def set_parent_death_signal() -> bool:
    """Linux only: the kernel sends SIGKILL to this process when its parent dies.
    Returns whether that was set (False elsewhere, or if prctl fails)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl in this libc: the watchdog remains
        return False


def _parent_sentinel() -> int | None:
    """The handle `multiprocessing` gives a spawned child, ready once its parent has exited."""
    parent = multiprocessing.parent_process()
    return getattr(parent, "sentinel", None) if parent is not None else None


def _watch(parent_pid: int, sentinel: int | None) -> None:
    while os.getppid() == parent_pid:  # on POSIX an orphan is adopted: its parent pid changes
        if sentinel is None:
            time.sleep(_POLL_S)
            continue
        try:
            if wait([sentinel], timeout=_POLL_S):
                break  # the parent has exited (on Windows the pid check cannot tell)
        except (OSError, ValueError):  # an unusable sentinel: the pid check remains
            sentinel = None
    os._exit(EXIT_ORPHANED)
