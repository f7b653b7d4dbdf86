"""An output folder written as one transaction: locked, staged beside it, swapped in at once.

Owns the protocol every writer of an output folder follows (`files.write_outputs`, and a
command that writes several groups of files into one folder, e.g. ``planner solve --report``):

1. **Lock.** ``.NAME.lock`` beside the folder is held for the whole transaction (`lock`:
   filelock, so Linux, macOS and Windows alike); a second writer — another process — is
   refused at once with exit 2 instead of interleaving its files with the first one's.
2. **Stage.** A hidden folder ``.NAME.tmp-…`` beside it starts with the folder's current files
   and sub-folders (hard links, so nothing is copied) and receives every new file; what the
   write drops (a replaced sub-folder such as ``反馈/``, published lists a re-solve makes
   stale) is removed from the staging folder only.
3. **Swap.** The staging folder replaces the folder in one step, so a reader — or a run killed
   at any moment — sees the old folder or the new one, never a mix. On Linux that step is
   ``renameat2(RENAME_EXCHANGE)``. Elsewhere (Windows, macOS, a file system without it) it
   is two renames microseconds apart: the folder → ``.NAME.old-…``, the staging folder → the
   folder; if the second fails the first is undone, so the old folder is back whole. A run
   killed between the two leaves only ``.NAME.old-…``: the next writer of the folder puts it
   back before anything else, and removes leftover staging folders. Ctrl-C waits until the
   swap is done (`sigint_deferred`).
   On any exception, Ctrl-C included, the staging folder is removed and the folder is as it was.

A folder that cannot be swapped as a whole — the current directory or one above it, a folder
holding links or anything but files and folders, a mount point inside it, more than
`MAX_SWAP_ENTRIES` entries, or a folder whose parent cannot be written (e.g. ``--out .`` in a
project) — is written file by file (`files`) under the same lock, with backups that undo it.
Does not own the bytes of the files (`files`) nor which paths may be written (`targets`).
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
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.errors import InputError, Problem
from planner.lang import say
from planner.show.lock import locked
from planner.show.targets import (
    check_folder,
    check_given,
    check_outputs,
    describe,
    dropped_paths,
    message,
    not_writable,
)

__all__ = ["MAX_SWAP_ENTRIES", "describe", "folder_inputs", "fsync_dir", "not_writable", "output_folder", "remove_tree",
           "sigint_deferred", "staging_target", "written_folders"]

logger = logging.getLogger(__name__)

#: A folder with more entries than this (all levels) is written file by file rather than re-linked and swapped.
MAX_SWAP_ENTRIES = 10_000

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_ACTIVE: dict[Path, Path] = {}                   # staging folder → the folder it will replace
_WRITTEN: list[Path] = []                        # folders swapped in by this process, in order
_INPUTS: dict[Path, tuple] = {}                  # folder being written → the files its command reads


def written_folders() -> list[Path]:
    """Output folders this process has committed so far (the CLI says them after a Ctrl-C)."""
    return list(_WRITTEN)


def folder_inputs(folder: Path) -> tuple:
    """The files the command writing `folder` (an open `output_folder`) reads: its writes may
    not replace them."""
    return _INPUTS.get(Path(os.path.abspath(folder)), ())


def staging_target(folder: Path) -> Path | None:
    """The folder that `folder` will replace, when `folder` is an open staging folder."""
    return _ACTIVE.get(Path(os.path.abspath(folder)))


@contextmanager
def output_folder(out_dir: str | os.PathLike[str], *, drop: Iterable[str] = (),
                  inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Iterator[Path]:
    """Lock `out_dir` and yield a folder to write into; on success it becomes `out_dir` at once.

    Write anything into the yielded folder (`files.write_outputs` on it writes straight in).
    Leaving the block normally swaps it in; leaving it by an exception — Ctrl-C included —
    removes it and leaves `out_dir` as it was. Where `out_dir` cannot be swapped as a whole
    (see the module's docstring) the block gets `out_dir` itself, still locked, and each
    `write_outputs` call inside is atomic on its own.

    Parameters
    ----------
    out_dir : str or path-like
        The output folder; created (with missing parents) if absent. Not ``""``.
    drop : iterable of str, optional
        Names or glob patterns (relative, ``/``-separated) of entries of `out_dir` that the new
        folder no longer holds, e.g. the lists an earlier ``publish`` wrote, which a re-solve
        makes stale; files written in the block are kept. In a folder written file by file
        they are removed after the block.
    inputs : iterable of path-like, optional
        Files the command reads: every `files.write_outputs` into the yielded folder refuses to
        write over or drop one of them (``None`` entries are skipped).

    Raises
    ------
    InputError
        `out_dir` is empty, not a writable folder (saying what it is: a file, a FIFO, …), under
        a system folder (``/proc``, ``/sys``, ``/dev``), or another process is writing it.
    """
    check_given(out_dir)
    _restore_sigint()
    out_dir = Path(out_dir)
    drop = tuple(drop)
    inputs = tuple(p for p in inputs if p is not None)
    if os.path.islink(out_dir) and out_dir.is_dir():
        out_dir = Path(os.path.realpath(out_dir))           # write into the folder the link names
    target = Path(os.path.abspath(out_dir))
    if os.path.lexists(target) and not target.is_dir():
        raise not_writable(out_dir)                          # a file, a device, a FIFO: said so
    check_folder(out_dir)
    if target in _ACTIVE.values() or staging_target(target) is not None:
        raise InputError([Problem(file=str(out_dir), found=say("本次运行已在写入的文件夹", "a folder this run is already writing"),
                                  expected=say("每个输出文件夹每次运行只写一次", "each output folder written once per run"))])
    parent = target.parent
    if not _is_writable_dir(target) and os.path.exists(target):
        raise not_writable(out_dir)
    created = _make_parents(parent, out_dir)
    committed = False
    try:
        whole = _can_swap(target)
        lock_path = parent / f".{target.name}.lock" if whole or not target.exists() else target / ".planner.lock"
        with locked(lock_path, out_dir):
            if not whole:
                if not target.exists():
                    _mkdir(target, out_dir)
                    created.append(target)
                check_outputs(target, (), inputs=inputs, removed=dropped_paths(target, (), drop, ()))
                _INPUTS[target] = inputs
                try:
                    with _set_aside(target, dropped_paths(target, (), drop, ())):
                        yield out_dir
                finally:
                    _INPUTS.pop(target, None)
                committed = True
                return
            _recover(parent, target)
            stage = _new_stage(parent, target)
            _ACTIVE[stage], _INPUTS[stage] = target, inputs
            try:
                if target.exists():
                    check_outputs(target, (), inputs=inputs, removed=dropped_paths(target, (), drop, ()))
                    _link_tree(target, stage)
                    for path in dropped_paths(stage, (), drop, ()):
                        remove_tree(path)
                yield stage
                _commit(stage, target)
                committed = True
            finally:
                _ACTIVE.pop(stage, None)
                _INPUTS.pop(stage, None)
                _remove_quietly(stage)
    finally:
        if not committed:
            for folder in reversed(created):
                _rmdir_quietly(folder)


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
    device = parent.stat().st_dev
    if target.stat().st_dev != device or os.path.ismount(target):
        return False
    count, folders = 0, [target]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                count += 1
                if count > MAX_SWAP_ENTRIES:
                    return False
                if entry.is_dir(follow_symlinks=False):
                    if os.lstat(entry.path).st_dev != device:      # not entry.stat(): 0 on Windows
                        return False                       # a mount point inside
                    folders.append(Path(entry.path))
                elif not entry.is_file(follow_symlinks=False):
                    return False
    return True


@contextmanager
def _set_aside(folder: Path, paths: list[Path]) -> Iterator[None]:
    """Move `paths` out of `folder` for the block: gone if it succeeds, put back if it fails."""
    if not paths:
        yield
        return
    aside = Path(tempfile.mkdtemp(prefix=".planner.tmp-", dir=folder))
    moved: list[tuple[Path, Path]] = []
    try:
        try:
            for n, path in enumerate(paths):
                os.rename(path, aside / str(n))
                moved.append((path, aside / str(n)))
            yield
        except BaseException:
            with sigint_deferred():
                for path, kept in reversed(moved):
                    os.rename(kept, path)
            raise
    finally:
        _remove_quietly(aside)


def _recover(parent: Path, target: Path) -> None:
    """Undo what a killed run left beside `target` (the lock is held, so nobody else is writing
    it): the old folder put back if the swap stopped between its two renames, then every
    leftover staging or old folder removed."""
    old_prefix, stage_prefix = f".{target.name}.old-", f".{target.name}.tmp-"
    with os.scandir(parent) as entries:
        left = sorted((Path(e.path) for e in entries if e.name.startswith((old_prefix, stage_prefix))
                       and e.is_dir(follow_symlinks=False)), key=lambda p: p.name)
    if not left:
        return
    olds = [p for p in left if p.name.startswith(old_prefix)]
    if not os.path.lexists(target) and len(olds) == 1:
        logger.warning("putting back %s, left at %s by a run that stopped while swapping", target, olds[0])
        os.rename(olds[0], target)
        left.remove(olds[0])
    for path in left:
        _remove_quietly(path)


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
    """The folder's files and sub-folders into the staging folder: hard links, copies where
    links fail (a file system without them, a file of another user)."""
    with os.scandir(source) as entries:
        for entry in entries:
            if entry.name.endswith(".planner.lock") or entry.name.startswith(".planner.tmp-"):
                continue
            to = stage / entry.name
            if entry.is_dir(follow_symlinks=False):
                os.mkdir(to)
                shutil.copymode(entry.path, to)
                _link_tree(Path(entry.path), to)
                continue
            try:
                os.link(entry.path, to, follow_symlinks=False)
            except (OSError, NotImplementedError):         # no hard links here (FAT, some shares)
                shutil.copy2(entry.path, to, follow_symlinks=False)


def _commit(stage: Path, target: Path) -> None:
    """`stage` becomes `target` in one step; the old folder is removed. Ctrl-C waits until done."""
    for folder, _, _ in os.walk(stage):
        fsync_dir(Path(folder))
    with sigint_deferred():
        if not os.path.lexists(target):
            os.rename(stage, target)
        elif not _exchange(stage, target):             # no atomic exchange here: two renames
            _swap_by_renames(stage, target)
        fsync_dir(target.parent)
        _WRITTEN.append(target)


def _swap_by_renames(stage: Path, target: Path) -> None:
    """The portable swap: `target` → a backup name, `stage` → `target`; the backup ends up at
    `stage`'s name (removed with it). If the second rename fails, the first is undone."""
    old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
    try:
        os.rename(target, old)
    except PermissionError as exc:                    # Windows: a file of the folder is open (Excel)
        raise InputError([Problem(file=str(target), found=message("busy", error=exc.strerror or exc),
                                  expected=message("busy.expected"))]) from exc
    try:
        os.rename(stage, target)
    except BaseException:
        os.rename(old, target)
        raise
    try:
        os.rename(old, stage)                          # removed with the staging folder
    except OSError:
        _remove_quietly(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


# --- Ctrl-C --------------------------------------------------------------------------------

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


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Run the block to its end before a Ctrl-C that arrives meanwhile is raised.

    For the block, the main thread's SIGINT handler is one that only notes the signal; the
    interrupt is raised when the block has finished. Blocking the signal with
    ``pthread_sigmask`` would not do: it blocks it in one thread, the kernel hands it to another
    (CP-SAT's workers, a pool), and Python still runs its handler in the main thread at once —
    and Windows has no such call. Other threads never get KeyboardInterrupt.
    """
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    if previous is None or previous == signal.SIG_IGN:
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        if callable(previous):
            previous(signal.SIGINT, None)              # Python's own handler: KeyboardInterrupt
        raise KeyboardInterrupt


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


def remove_tree(path: Path) -> None:
    """Remove a file, a link or a folder with everything in it (never following a link)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _remove_quietly(folder: Path) -> None:
    """Remove a staging folder; a second Ctrl-C meanwhile waits until it is gone."""
    if not os.path.lexists(folder):
        return
    with sigint_deferred():
        shutil.rmtree(folder, ignore_errors=True)


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
