"""Tests of planner.show.lock: one writer of an output folder at a time, with filelock's native
lock and with its soft lock (what filelock uses where ``fcntl``/``flock`` is missing)."""
from __future__ import annotations

import threading
import time

import filelock
import pytest

from planner.errors import InputError
from planner.show import lock


@pytest.fixture(params=[filelock.FileLock, filelock.SoftFileLock], ids=["native", "soft"])
def kind(request, monkeypatch):
    monkeypatch.setattr(lock, "LOCK_CLASS", request.param)
    return request.param


def test_a_second_holder_is_refused_at_once_and_the_file_removed_after(tmp_path, kind):
    path, out = tmp_path / ".out.lock", tmp_path / "out"
    inside, leave, refused = threading.Event(), threading.Event(), []

    def hold():
        with lock.locked(path, out):
            inside.set()
            leave.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(10)
        started = time.perf_counter()
        with pytest.raises(InputError, match="另一个规划程序正在写入") as caught:
            with lock.locked(path, out):
                pass
        refused.append(time.perf_counter() - started)
    finally:
        leave.set()
        holder.join()
    assert refused[0] < 1.0                                # timeout=0: never left waiting
    assert caught.value.problems[0].file == str(out)
    assert not path.exists()
    with lock.locked(path, out):                            # free again
        assert path.exists()
    assert not path.exists()


def test_the_same_thread_nests(tmp_path, kind):
    path = tmp_path / ".out.lock"
    with lock.locked(path, tmp_path / "out"):
        with lock.locked(path, tmp_path / "out"):
            pass
        assert path.exists()                               # the inner exit keeps the outer's lock
    assert not path.exists()


def test_a_lock_file_left_unlocked_is_taken(tmp_path):
    """A run killed with SIGKILL leaves the native lock's file, unlocked."""
    path = tmp_path / ".out.lock"
    path.write_text("")
    with lock.locked(path, tmp_path / "out"):
        pass
    assert not path.exists()


def test_a_lock_beside_a_folder_that_cannot_be_written_is_a_located_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="此处需要文件夹"):
        with lock.locked(tmp_path / "file" / ".out.lock", tmp_path / "file" / "out"):
            pass
