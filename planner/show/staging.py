"""An output folder written as one transaction: locked, staged beside it, swapped in at once.

Owns the protocol every writer of an output folder follows (`files.write_outputs`, and a
command that writes several groups of files into one folder, e.g. ``planner solve --report``):

1. **Lock.** ``.NAME.lock`` beside the folder is locked (``flock``) for the whole transaction; a
   second writer — another process — is refused at once with exit 2 instead of interleaving
   its files with the first one's. A run killed with SIGKILL leaves the (unlocked) lock file;
   the next writer reuses it.
2. **Stage.** A hidden folder ``.NAME.tmp-…`` beside it starts with the folder's current files
   (hard links, so nothing is copied) and receives every new file.
3. **Swap.** The staging folder replaces the folder in one step (``renameat2`` with
   ``RENAME_EXCHANGE`` on Linux; elsewhere two renames a few microseconds apart), so a reader —
   or a run killed at any moment — sees the old folder or the new one, never a mix.
   On any exception, Ctrl-C included, the staging folder is removed and the folder is as it was.

A folder that cannot be swapped as a whole — the current directory or one above it, a folder
holding sub-folders or links (e.g. ``--out .`` in a project), a mount point, or one whose parent
cannot be written — is written file by file (`files._move_into_place`) under the same lock.
Does not own the bytes of the files (`files`).
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.errors import InputError, Problem

try:                                             # not on Windows: there, writers are not locked
    import fcntl
except ImportError:                              # pragma: no cover
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

#: A folder with more entries than this is written file by file rather than re-linked and swapped.
MAX_SWAP_ENTRIES = 10_000

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_ACTIVE: dict[Path, Path] = {}                   # staging folder → the folder it will replace
_LOCAL = threading.local()                       # .held: lock file → (fd, depth) held by this thread
_WRITTEN: list[Path] = []                        # folders swapped in by this process, in order


def written_folders() -> list[Path]:
    """Output folders this process has committed so far (the CLI says them after a Ctrl-C)."""
    return list(_WRITTEN)


def staging_target(folder: Path) -> Path | None:
    """The folder that `folder` will replace, when `folder` is an open staging folder."""
    return _ACTIVE.get(Path(os.path.abspath(folder)))


def describe(path: Path) -> str:
    """What is at `path`, in words a planner understands (for "found …" in a message)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "nothing (no such folder)"
    except NotADirectoryError:
        return "a path inside a file"
    except OSError as exc:
        return f"a path that cannot be read ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "a link" + ("" if path.exists() else " to nothing")
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (a named pipe, not a folder)"
    if stat.S_ISSOCK(mode):
        return "a socket (not a folder)"
    return "a device (not a folder)"


def not_writable(folder: Path) -> InputError:
    """The located error for an output folder that cannot be written, saying what is there."""
    probe = Path(os.path.abspath(folder))
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    what = describe(probe)
    if probe != Path(os.path.abspath(folder)) and what != "a folder":
        found = f"{what} at {probe}, where a folder is needed"
    elif what == "a folder":
        found = "a folder that cannot be written"
    else:
        found = what
    return InputError([Problem(file=str(folder), found=found, expected="a writable output folder")])


@contextmanager
def output_folder(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Lock `out_dir` and yield a folder to write into; on success it becomes `out_dir` at once.

    Write anything into the yielded folder (`files.write_outputs` on it writes straight in).
    Leaving the block normally swaps it in; leaving it by an exception — Ctrl-C included —
    removes it and leaves `out_dir` as it was. Where `out_dir` cannot be swapped as a whole
    (see the module's docstring) the block gets `out_dir` itself, still locked, and each
    `write_outputs` call inside is atomic on its own.

    Raises
    ------
    InputError
        `out_dir` is not a writable folder (saying what it is: a file, a FIFO, …), or another
        process is writing it right now.
    """
    _restore_sigint()
    out_dir = Path(out_dir)
    if os.path.islink(out_dir) and out_dir.is_dir():
        out_dir = Path(os.path.realpath(out_dir))           # write into the folder the link names
    target = Path(os.path.abspath(out_dir))
    if target in _ACTIVE.values() or staging_target(target) is not None:
        raise InputError([Problem(file=str(out_dir), found="a folder this run is already writing",
                                  expected="each output folder written once per run")])
    parent = target.parent
    if os.path.lexists(target) and not target.is_dir():
        raise not_writable(out_dir)
    if not _is_writable_dir(target) and os.path.exists(target):
        raise not_writable(out_dir)
    created = _make_parents(parent, out_dir)
    committed = False
    try:
        whole = _can_swap(target)
        lock_path = parent / f".{target.name}.lock" if whole or not target.exists() else target / ".planner.lock"
        with _locked(lock_path, out_dir):
            if not whole:
                if not target.exists():
                    _mkdir(target, out_dir)
                    created.append(target)
                yield out_dir
                committed = True
                return
            stage = _new_stage(parent, target)
            _ACTIVE[stage] = target
            try:
                if target.exists():
                    _link_tree(target, stage)
                yield stage
                _commit(stage, target)
                committed = True
            finally:
                _ACTIVE.pop(stage, None)
                _remove_quietly(stage)
    finally:
        if not committed:
            for folder in reversed(created):
                _rmdir_quietly(folder)


# --- the lock ----------------------------------------------------------------------------------

@contextmanager
def _locked(lock_path: Path, out_dir: Path) -> Iterator[None]:
    """Hold the lock file; the same thread may nest (another thread or process is refused)."""
    held_here: dict[Path, tuple[int, int]] = _LOCAL.__dict__.setdefault("held", {})
    held = held_here.get(lock_path)
    if held is not None:                               # this thread holds it already (nested writes)
        held_here[lock_path] = (held[0], held[1] + 1)
        try:
            yield
        finally:
            fd, depth = held_here[lock_path]
            held_here[lock_path] = (fd, depth - 1)
        return
    fd = _acquire(lock_path, out_dir)
    held_here[lock_path] = (fd, 1)
    try:
        yield
    finally:
        held_here.pop(lock_path, None)
        try:
            os.unlink(lock_path)                       # still locked: a waiter re-checks the inode
        except OSError:
            pass
        os.close(fd)


def _acquire(lock_path: Path, out_dir: Path) -> int:
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise not_writable(out_dir) from exc
        if fcntl is None:                              # pragma: no cover
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise not_writable(out_dir) from exc
            raise InputError([Problem(file=str(out_dir), found="a folder another planner run is writing right now",
                                      expected="one run at a time writing an output folder",
                                      hint="wait for the other run to end, or give another --out")]) from None
        try:                                           # the holder before us may have unlinked it
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


# --- staging and the swap ------------------------------------------------------------------

def _can_swap(target: Path) -> bool:
    """Whether `target` can be replaced as a whole (see the module's docstring)."""
    parent = target.parent
    if not target.name or not _is_writable_dir(parent):
        return False
    cwd = Path(os.path.abspath(os.getcwd()))
    if target == cwd or target in cwd.parents:
        return False
    if not target.exists():
        return True
    if target.stat().st_dev != parent.stat().st_dev or os.path.ismount(target):
        return False
    with os.scandir(target) as entries:
        for n, entry in enumerate(entries):
            if n >= MAX_SWAP_ENTRIES or not entry.is_file(follow_symlinks=False):
                return False
    return True


def _new_stage(parent: Path, target: Path) -> Path:
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    while True:
        stage = parent / f".{target.name}.tmp-{secrets.token_hex(6)}"
        try:
            os.mkdir(stage)                            # the user's usual permissions (umask)
        except FileExistsError:
            continue
        except OSError as exc:
            raise not_writable(target) from exc
        if mode is not None:
            os.chmod(stage, mode)
        return stage


def _link_tree(source: Path, stage: Path) -> None:
    """The folder's current files into the staging folder: hard links, copies where links fail."""
    with os.scandir(source) as entries:
        for entry in entries:
            if entry.name.endswith(".planner.lock"):
                continue
            to = stage / entry.name
            try:
                os.link(entry.path, to, follow_symlinks=False)
            except OSError:
                shutil.copy2(entry.path, to, follow_symlinks=False)


def _commit(stage: Path, target: Path) -> None:
    """`stage` becomes `target` in one step; the old folder is removed. Ctrl-C waits until done."""
    fsync_dir(stage)
    blocked = _block_sigint()
    try:
        if not os.path.lexists(target):
            os.rename(stage, target)
        elif not _exchange(stage, target):             # no atomic exchange here: two renames
            old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
            os.rename(target, old)
            try:
                os.rename(stage, target)
            except BaseException:
                os.rename(old, target)
                raise
            os.rename(old, stage)                      # removed with the staging folder
        fsync_dir(target.parent)
        _WRITTEN.append(target)
    finally:
        _unblock_sigint(blocked)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _restore_sigint() -> None:
    """Make Ctrl-C raise KeyboardInterrupt again, so that an interrupted write cleans up.

    CP-SAT resets SIGINT to the system default when a search ends, which would kill the
    process mid-write and leave the staging folder behind; Python still believes its own
    handler is installed, and setting that handler again re-installs it.
    """
    if threading.current_thread() is threading.main_thread():
        current = signal.getsignal(signal.SIGINT)
        if callable(current):
            signal.signal(signal.SIGINT, current)


def _block_sigint() -> bool:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return True


def _unblock_sigint(blocked: bool) -> None:
    if blocked:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


# --- small helpers ---------------------------------------------------------------------------

def _is_writable_dir(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _make_parents(parent: Path, out_dir: Path) -> list[Path]:
    """Create `parent` and its missing parents; return the ones created, outermost first."""
    missing: list[Path] = []
    probe = parent
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise not_writable(out_dir)
    created: list[Path] = []
    try:
        for path in reversed(missing):
            os.mkdir(path)
            created.append(path)
    except OSError as exc:
        for path in reversed(created):
            _rmdir_quietly(path)
        raise not_writable(out_dir) from exc
    return created


def _mkdir(folder: Path, out_dir: Path) -> None:
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except OSError as exc:
        raise not_writable(out_dir) from exc


def _remove_quietly(folder: Path) -> None:
    """Remove a staging folder; a second Ctrl-C meanwhile waits until it is gone."""
    if not os.path.lexists(folder):
        return
    blocked = _block_sigint()
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        _unblock_sigint(blocked)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rmdir_quietly(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
