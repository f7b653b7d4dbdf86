"""Writes done behind: handed to a second thread, in order, while the caller makes the next one.

Owns `written_behind`, shared by the writing of output files (`files`: each written and fsynced
while the next is rendered) and of a big sheet's rows (`workbook`: each chunk deflated into its zip
entry while the next is formatted) — neither holds the interpreter while it works.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def written_behind(most_waiting: int | None = None) -> Iterator[Callable[..., None]]:
    """A call that hands a write to a second thread, so that it is done (a file written and fsynced,
    a chunk deflated into a zip entry: neither holds the interpreter) while the next is made. The
    writes run one at a time, in the order given; with `most_waiting`, a hand-over waits while more
    than that many are not done (a bound on what is held in memory). Leaving the block waits for all
    of them and raises the first that failed. A failure in the block (Ctrl-C included) waits for the
    write under way, drops those not started and is raised: nothing is left writing into a folder
    its caller is about to remove."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="planner-write")
    pending: deque = deque()

    def behind(write: Callable[..., None], *args: Any) -> None:
        while pending and (pending[0].done() or (most_waiting is not None and len(pending) >= most_waiting)):
            pending.popleft().result()                   # an earlier write failed: stop making more
        pending.append(pool.submit(write, *args))

    try:
        yield behind
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    for write in pending:
        write.result()
