"""`planner.show.behind`: writes handed to a second thread, in order, failures and Ctrl-C heard."""
from __future__ import annotations

import pytest

from planner.show.behind import written_behind


def test_writes_behind_run_in_order_and_are_all_done_when_the_block_ends():
    import threading
    import time

    order, threads = [], set()

    def slow(k):
        time.sleep(0.01 * (5 - k))                      # later calls quicker: only the order keeps them in line
        order.append(k)
        threads.add(threading.get_ident())

    with written_behind() as behind:
        for k in range(5):
            behind(slow, k)
    assert order == [0, 1, 2, 3, 4] and threading.get_ident() not in threads


def test_a_failed_write_behind_is_raised_and_stops_what_follows():
    import time

    done = []

    def write(k):
        if k == 1:
            raise OSError(28, "No space left on device")
        done.append(k)

    with pytest.raises(OSError, match="No space"):
        with written_behind() as behind:
            behind(write, 0)
            behind(write, 1)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:           # the next hand-over raises once write 1 has failed
                behind(write, 2)
                time.sleep(0.01)
            pytest.fail("rendering went on after a write failed")
    assert done[0] == 0


def test_a_failure_in_the_block_waits_for_the_write_under_way():
    """Ctrl-C while a file is written behind: the write finishes before the block is left (its
    folder is removed next), the writes not started are dropped."""
    import threading
    import time

    started, finished = threading.Event(), []

    def write(k):
        started.set()
        time.sleep(0.2)
        finished.append(k)

    with pytest.raises(KeyboardInterrupt):
        with written_behind() as behind:
            behind(write, 0)
            behind(write, 1)
            started.wait(5)
            raise KeyboardInterrupt
    assert finished == [0]
