"""Writing the outputs of a run into a folder or a file: all of them or none, and only where they may go.

Owns the write of finished outputs (rendered by `render`): every file through a temporary
name, fsynced and renamed; a folder's files, its sub-folders (``反馈/``) and what the write
drops staged together and swapped in whole (`staging`), or, where a folder cannot be swapped,
renamed in one by one with backups that undo them; each output path checked first (`targets`):
never a device, a FIFO, a link out, a system folder or a file the command reads. Does not own
the bytes of the files (`render`), computing the tables or wording their contents.
"""
from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from planner.errors import InputError, Problem
from planner.lang import say
from planner.show.behind import written_behind
from planner.show.render import FORMULA_PREFIXES, neutralise_formulas, rendered
from planner.show.staging import folder_inputs, fsync_dir, output_folder, remove_tree, sigint_deferred, staging_target
from planner.show.targets import (
    check_given,
    check_outputs,
    dropped_paths,
    message,
    not_writable,
    output_name_parts,
)

__all__ = ["FORMULA_PREFIXES", "atomic_write_bytes", "neutralise_formulas", "write_outputs"]

logger = logging.getLogger(__name__)

# --- public API ----------------------------------------------------------------------------


def write_outputs(
    out_dir: str | os.PathLike[str],
    *,
    tables: Mapping[str, pd.DataFrame],
    json_files: Mapping[str, Mapping[str, Any]] | None = None,
    binary_files: Mapping[str, bytes] | None = None,
    xlsx: Mapping[str, str] | None = None,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    replace_dirs: Iterable[str] = (),
    drop: Iterable[str] = (),
) -> list[Path]:
    """Write every output of a run into `out_dir`, all of them or none.

    Files are first written (and fsynced) into a temporary folder next to `out_dir`
    that starts with `out_dir`'s other files, then swapped in as a whole, under a lock
    that refuses a second writer (`staging.output_folder`). If anything fails — including
    Ctrl-C — the temporary folder is removed and `out_dir` is left as it was: absent if it
    was absent, with its earlier files if it existed. Files of `out_dir` that this run
    does not write are kept. Inside `staging.output_folder`, on the folder it yields, the
    files are written straight into it (the swap comes when that block ends).

    Every output must be a regular file the run may replace (`targets.check_outputs`): a
    device, FIFO, socket, a link out of `out_dir`, a path under ``/proc``, ``/sys`` or ``/dev``
    and any of `inputs` are refused before anything is written.

    Parameters
    ----------
    out_dir : str or path-like
        Folder to write into; created (with missing parents) if absent. Not ``""``.
    tables : mapping of str to pandas.DataFrame
        File name (with extension, e.g. ``"slate.csv"``, or in a sub-folder, ``"反馈/汇总.csv"``:
        names are relative, ``/``-separated, in every argument) → frame. Any columns. Written
        as UTF-8 csv with a BOM (so Excel reads Chinese text), no index, ``\\n`` line
        ends, after :func:`neutralise_formulas`. The frames are not modified.
    json_files : mapping of str to dict, optional
        File name → JSON-able dict, written UTF-8 with ``indent=2``, key order kept and
        Chinese text unescaped. numpy scalars become numbers; NaN and ±inf become
        ``null`` (they are not valid JSON).
    binary_files : mapping of str to bytes, optional
        File name → bytes written as they are (PNG charts, HTML).
    xlsx : mapping of str to str, optional
        xlsx file name → key of `tables` to export, e.g. ``{"slate.xlsx": "slate.csv"}``.
        One sheet, header row bold and frozen, widths fitted, numbers and booleans kept
        as numbers and booleans.
    inputs : iterable of path-like, optional
        Files the command reads (a slate it audits, a run folder's slate.csv): an output that
        is one of them — by name, link or hard link — is refused, and so is dropping one.
        ``None`` entries are skipped; inside `staging.output_folder` its `inputs` count too.
    replace_dirs : iterable of str, optional
        Sub-folders whose old content is dropped: after the write each holds only the files of
        this call (``("反馈",)``: letters of units no longer applying do not linger).
    drop : iterable of str, optional
        Names or glob patterns of entries of `out_dir` to remove in the same transaction
        (files or folders; ``"*.docx"``, ``"反馈"``); names written by this call are kept.

    Returns
    -------
    list of pathlib.Path
        The final paths, in the order tables, xlsx, json, binary.

    Raises
    ------
    InputError
        `out_dir` is ``""`` or (or its nearest existing parent) is not a writable folder, a
        file this run should write is a folder in `out_dir` or not a regular file it may
        replace, an output or a dropped entry is one of `inputs`, or another process is
        writing `out_dir`.
    ValueError
        A file name is not a plain file name, a name is used twice, or `xlsx` names a
        table that is not in `tables` (mistakes of the calling code).
    """
    check_given(out_dir)
    json_files = json_files or {}
    binary_files = binary_files or {}
    xlsx = xlsx or {}
    names = _check_names(tables, xlsx, json_files, binary_files)
    inputs = (*(p for p in inputs if p is not None), *folder_inputs(out_dir))
    plan = _Plan(names, inputs, tuple(replace_dirs), tuple(drop))
    out_dir = Path(out_dir)

    outputs = (tables, xlsx, json_files, binary_files)
    real = staging_target(out_dir) or out_dir
    _check_plan(real, plan, shown=real)                  # before anything is locked or written
    if staging_target(out_dir) is not None:             # inside `staging.output_folder`: straight in
        _write_into(out_dir, plan, *outputs)
    else:
        with output_folder(out_dir) as folder:
            if staging_target(folder) is None:          # written file by file (see `staging`)
                _write_in_place(folder, plan, *outputs)
            else:
                _write_into(folder, plan, *outputs)

    paths = [out_dir / name for name in names]
    logger.info("wrote %d file(s) into %s: %s", len(paths), out_dir, ", ".join(names))
    return paths


class _Plan(NamedTuple):
    """What one `write_outputs` call writes and removes (names relative to its folder)."""

    names: list[str]
    inputs: tuple[str | os.PathLike[str], ...]
    replace_dirs: tuple[str, ...]
    drop: tuple[str, ...]

    def removed(self, folder: Path) -> list[Path]:
        return dropped_paths(folder, self.replace_dirs, self.drop, self.names)


def _check_plan(folder: Path, plan: _Plan, *, shown: Path) -> list[Path]:
    """Refuse outputs that are folders, special files or inputs (`targets`); return what the
    write removes from `folder`."""
    clashes = [name for name in plan.names
               if (folder / name).is_dir() and not (folder / name).is_symlink()]
    if clashes:
        raise InputError([Problem(file=str(shown / name), found=say("一个文件夹", "a folder"),
                                  expected=say("输出文件所在位置不能是文件夹", "no folder where an output file goes"))
                          for name in clashes])
    removed = plan.removed(folder) if folder.is_dir() else []
    check_outputs(folder, plan.names, inputs=plan.inputs, removed=removed, shown=shown)
    return removed


def _write_into(stage: Path, plan: _Plan, *outputs: Any) -> None:
    """Write the outputs into an open staging folder (each file through a temporary name)."""
    for path in _check_plan(stage, plan, shown=staging_target(stage) or stage):
        remove_tree(path)                               # hard links: the old folder keeps its files

    def put(folder: Path, data: bytes, target: Path) -> None:
        temp = _create_exclusive(folder, f".{target.name}.tmp-")     # here: a write never started leaves nothing
        try:
            _write_file(temp, data, create=False)
            os.replace(temp, target)                    # replaces a hard link, never writes through it
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    with written_behind() as behind:
        for name, data in rendered(plan.names, *outputs):
            folder = (stage / name).parent
            folder.mkdir(parents=True, exist_ok=True)
            behind(put, folder, data, stage / name)


def _write_in_place(out_dir: Path, plan: _Plan, *outputs: Any) -> None:
    """Files staged in a temporary folder inside `out_dir`, then renamed in one by one (a folder
    that cannot be swapped as a whole: see `staging`); on failure `out_dir` is put back."""
    removed = _check_plan(out_dir, plan, shown=out_dir)
    try:
        stage = Path(tempfile.mkdtemp(prefix=".planner.tmp-", dir=out_dir))
    except OSError as exc:                              # e.g. a read-only file system
        raise not_writable(out_dir) from exc
    try:
        staged = stage / "files"     # plain mkdir: the folder gets the user's usual permissions
        staged.mkdir()
        with written_behind() as behind:
            for name, data in rendered(plan.names, *outputs):
                (staged / name).parent.mkdir(parents=True, exist_ok=True)
                behind(_write_file, staged / name, data)
        _move_into_place(staged, out_dir, plan.names, backup_dir=stage / "backup", removed=removed)
    finally:                                            # also on Ctrl-C
        with sigint_deferred():
            shutil.rmtree(stage, ignore_errors=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *,
                       inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The bytes go to a hidden temporary file in the same folder, are fsynced, and the
    temporary file is renamed over `path`. On any failure the temporary file is removed
    and `path` is unchanged. Missing parent folders are created. `path` must be a regular
    file the run may replace, as for `write_outputs`.

    Parameters
    ----------
    path : str or path-like
        Final file path; not ``""``.
    data : bytes
        Contents.
    inputs : iterable of path-like, optional
        Files the command reads: `path` may not be one of them (``audit --findings`` naming
        the slate it audits).

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    InputError
        `path` is ``""``, a folder, a device, FIFO, socket, a link out of its folder, under
        ``/proc``, ``/sys`` or ``/dev``, one of `inputs`; or its folder (or the nearest
        existing parent) cannot be written.
    """
    check_given(path)
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise InputError([Problem(file=str(path), found=say("一个文件夹", "a folder"),
                                  expected=say("可以写入的文件名", "a file name that can be written"))])
    check_outputs(folder, [path.name], inputs=(*inputs, *folder_inputs(folder)))
    _check_writable(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _not_writable(folder) from exc
    temp = _create_exclusive(folder, f".{path.name}.tmp-")
    try:
        _write_file(temp, bytes(data), create=False)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    logger.debug("wrote %s (%d bytes)", path, len(data))
    return path


# --- the write protocol --------------------------------------------------------------------


def _check_names(tables: Mapping[str, pd.DataFrame], xlsx: Mapping[str, str],
                 json_files: Mapping[str, Any], binary_files: Mapping[str, bytes]) -> list[str]:
    """All output file names in write order; each a plain relative name (`targets.output_name_parts`),
    unique, and never also the folder of another."""
    names = [*tables, *xlsx, *json_files, *binary_files]
    if "" in names:                                     # `--out ""`: the file name a user gave is empty
        raise InputError([Problem(file='""', found=message("empty"), expected=message("empty.expected"))])
    for name in names:
        output_name_parts(name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"output file name(s) used twice: {', '.join(repeated)}")
    folders = {"/".join(output_name_parts(n)[:depth]) for n in names for depth in range(1, n.count("/") + 1)}
    both = sorted(folders & set(names))
    if both:
        raise ValueError(f"output name(s) used as a file and as a folder: {', '.join(both)}")
    missing = [table for table in xlsx.values() if table not in tables]
    if missing:
        raise ValueError(f"xlsx export names table(s) not in `tables`: {', '.join(missing)}")
    return names


def _not_writable(folder: Path) -> InputError:
    return not_writable(folder)


def _is_writable_dir(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _nearest_existing(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def _check_writable(folder: Path) -> None:
    """Raise InputError unless `folder`, or the nearest parent that exists, can be written.

    A regular file on the way (``report.csv/out``) can never become a folder, so it
    fails here too. As root, permission bits do not stop writes and pass this check.
    """
    if not _is_writable_dir(_nearest_existing(folder)):
        raise _not_writable(folder)


def _move_into_place(staged: Path, out_dir: Path, names: list[str], *, backup_dir: Path,
                     removed: list[Path] = ()) -> None:
    """Set aside what the write drops (`removed`), rename the staged files into `out_dir`
    (making missing sub-folders); on failure put `out_dir` back as it was."""
    backup_dir.mkdir()
    undo: list[Callable[[], None]] = []                 # each step taken, as the step that reverses it
    try:
        for n, path in enumerate(removed):
            aside = backup_dir / f"removed-{n}"
            os.rename(path, aside)
            undo.append(lambda path=path, aside=aside: os.rename(aside, path))
        for n, name in enumerate(names):
            target = out_dir / name
            for folder in _missing_folders(target.parent, out_dir):
                os.mkdir(folder)
                undo.append(folder.rmdir)
            backup = _back_up(target, backup_dir / f"file-{n}")
            undo.append(lambda target=target, backup=backup: os.replace(backup, target) if backup is not None
                        else target.unlink(missing_ok=True))
            os.replace(staged / name, target)
    except BaseException:
        with sigint_deferred():
            for step in reversed(undo):
                try:
                    step()
                except OSError:
                    logger.exception("could not undo a step of a failed write into %s", out_dir)
        raise
    for folder in {(out_dir / name).parent for name in names}:
        fsync_dir(folder)


def _missing_folders(folder: Path, root: Path) -> list[Path]:
    """The folders from `root` down to `folder` that do not exist yet, outermost first."""
    missing = []
    while folder != root and not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    return missing[::-1]


def _back_up(target: Path, backup: Path) -> Path | None:
    """Keep the current `target` (if any) at `backup`; a hard link leaves it in place."""
    if not (target.exists() or target.is_symlink()):
        return None
    try:
        os.link(target, backup, follow_symlinks=False)
    except (OSError, NotImplementedError):
        os.replace(target, backup)
    return backup


def _create_exclusive(folder: Path, prefix: str) -> Path:
    """Create a new empty file with a random name in `folder` (usual permissions,
    unlike `tempfile.mkstemp`, which makes it owner-only)."""
    while True:
        path = folder / f"{prefix}{secrets.token_hex(6)}"
        try:
            with open(path, "xb"):
                return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise _not_writable(folder) from exc


def _write_file(path: Path, data: bytes, *, create: bool = True) -> None:
    with open(path, "xb" if create else "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())

