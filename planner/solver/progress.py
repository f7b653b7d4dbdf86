"""Progress of a running solve, for whoever watches it (the command line's progress line).

Owns a small registry of listeners: `watch(callback)` while a solve runs, and `watcher(level,
offset, units)`, which the level loop (`solver.cpsat`) hands to each level so that its
components' progress reaches the listeners in score points. A listener gets a dict: ``phase``,
``proven`` and ``components`` (independent parts proven / to solve), ``objective`` (the best
slate's value so far, NaN until every part has one) and ``bound`` (a proven upper bound).
Imports no solver and prints nothing.
"""
from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

_lock = threading.Lock()
_listeners: list[Callable[[dict], None]] = []


@contextmanager
def watch(callback: Callable[[dict], None]) -> Iterator[None]:
    """Send every progress report of the solves run inside the block to `callback`."""
    with _lock:
        _listeners.append(callback)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(callback)


def watcher(phase: str, offset: int, units: float) -> Callable[[int, int, float, float], None] | None:
    """A level's progress callback (model integers in), or None when nobody listens."""
    with _lock:
        if not _listeners:
            return None

    def report(proven: int, components: int, best: float, bound: float) -> None:
        state = {"phase": phase, "proven": proven, "components": components,
                 "objective": (best + offset) / units if math.isfinite(best) else math.nan,
                 "bound": (bound + offset) / units if math.isfinite(bound) else math.nan}
        with _lock:
            listeners = list(_listeners)
        for listener in listeners:
            listener(state)
    return report
