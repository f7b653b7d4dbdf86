"""The lock of an output folder: one writer at a time, on Linux, macOS and Windows alike.

Owns holding ``.NAME.lock`` beside an output folder for the whole of a write (`staging`). The
lock is `filelock`'s: ``flock`` where the system has it, ``msvcrt.locking`` on Windows, and
filelock's soft lock (a marker file holding the process id) on a file system without either.
It is tried once (``timeout=0``): a second writer — another process or another thread — is
refused at once, never left waiting. The same thread may take it again inside its own write
(nested writes of one command). The lock file is removed when the write ends; a run killed
with SIGKILL leaves it unlocked, and the next writer takes it.

Does not own what is written under the lock (`staging`, `files`).
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from planner.errors import InputError, Problem
from planner.lang import say
from planner.show.targets import not_writable

if TYPE_CHECKING:
    import filelock

__all__ = ["locked"]

#: The lock used; None: `filelock.FileLock`, the platform's own (imported on the first write,
#: ~50 ms that a command writing nothing does not pay). Tests put `filelock.SoftFileLock` here to
#: run as without ``fcntl``, or on a file system that has no ``flock``.
LOCK_CLASS: type[filelock.BaseFileLock] | None = None

_LOCAL = threading.local()                         # .held: lock file → [lock, depth] of this thread


@contextlib.contextmanager
def locked(lock_path: Path, out_dir: Path) -> Iterator[None]:
    """Hold `lock_path` while the block runs; the same thread may nest.

    Raises
    ------
    InputError
        Another process or thread holds it ("a folder another planner run is writing right
        now"), or it cannot be created (the folder beside it cannot be written).
    """
    held: dict[Path, list] = _LOCAL.__dict__.setdefault("held", {})
    mine = held.get(lock_path)
    if mine is not None:                           # this thread holds it already (nested writes)
        mine[1] += 1
        try:
            yield
        finally:
            mine[1] -= 1
        return
    lock = _acquire(lock_path, out_dir)
    held[lock_path] = [lock, 1]
    try:
        yield
    finally:
        held.pop(lock_path, None)
        _release(lock, lock_path)


def _acquire(lock_path: Path, out_dir: Path) -> filelock.BaseFileLock:
    import filelock

    lock = (LOCK_CLASS or filelock.FileLock)(str(lock_path), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise InputError([Problem(file=str(out_dir), found=say("另一个规划程序正在写入的文件夹",
                                                               "a folder another planner run is writing right now"),
                                  expected=say("同一时间只有一次运行写入一个输出文件夹",
                                               "one run at a time writing an output folder"),
                                  hint=say("请等另一次运行结束，或用 --out 换一个文件夹",
                                           "wait for the other run to end, or give another --out"))]) from None
    except OSError as exc:
        raise not_writable(out_dir) from exc
    return lock


def _release(lock: filelock.BaseFileLock, lock_path: Path) -> None:
    """Unlock and remove the lock file. A native lock's file is unlinked while still held, so a
    writer that opened it a moment earlier finds it gone (filelock checks) and takes a fresh
    one; a soft lock is its file, and releasing it removes it; Windows cannot unlink an open
    file, and filelock removes it after the release."""
    import filelock

    if not isinstance(lock, filelock.SoftFileLock):
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
    lock.release(force=True)
