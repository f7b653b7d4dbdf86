"""Where an output may go: the checks every output path passes before anything is written.

Owns refusing an output path that is not a regular file or a folder the run owns — a device, a
FIFO, a socket, a path under ``/proc``, ``/sys`` or ``/dev`` (Windows: ``NUL``, ``CON``, ``\\\\.\\…``),
a link pointing out of the output folder, an empty path — and an output that is a file the same
command reads (``inputs``); the names of files inside an output folder, plain (``slate.csv``) or
nested (``反馈/某校.docx``), and of what a write drops (``replace_dirs``, ``drop``); and the wording
of these refusals, Chinese by default, English under `planner.lang` (``--lang en``, or ``PLANNER_LANG=en``) (`MESSAGES`).

Does not write, lock or swap anything (`files`, `staging`, `lock`).
"""
from __future__ import annotations

import glob
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from planner.errors import InputError, Problem
from planner.lang import english

__all__ = ["MESSAGES", "check_given", "check_folder", "check_outputs", "describe", "dropped_paths", "message",
           "not_writable", "output_name_parts", "same_file"]

#: Every refusal of this module, keyed by a code: the Chinese text first, the English one on request.
MESSAGES: dict[str, dict[str, str]] = {
    "empty": {"zh": "输出路径为空（--out \"\"）", "en": "an empty output path (--out \"\")"},
    "empty.expected": {"zh": "一个文件或文件夹路径", "en": "a file or folder path"},
    "device": {"zh": "设备文件（不是普通文件）", "en": "a device (not a regular file)"},
    "fifo": {"zh": "命名管道 FIFO（不是普通文件）", "en": "a FIFO (a named pipe, not a regular file)"},
    "socket": {"zh": "套接字（不是普通文件）", "en": "a socket (not a regular file)"},
    "special.expected": {"zh": "普通文件：输出不写入设备、管道或套接字",
                         "en": "a regular file: outputs are never written to devices, pipes or sockets"},
    "system": {"zh": "系统目录 {root} 下的路径（由操作系统提供，不是普通文件夹）",
               "en": "a path under {root} (provided by the operating system, not a folder of files)"},
    "reserved": {"zh": "Windows 设备名 {name}", "en": "the Windows device name {name}"},
    "system.expected": {"zh": "普通文件夹中的输出路径", "en": "an output path in an ordinary folder"},
    "link_out": {"zh": "指向输出文件夹之外的链接（→ {to}）", "en": "a link pointing out of the output folder (→ {to})"},
    "link_special": {"zh": "指向非普通文件的链接（→ {to}）", "en": "a link to something that is not a regular file (→ {to})"},
    "link.expected": {"zh": "普通文件，或指向输出文件夹内普通文件的链接",
                      "en": "a regular file, or a link to a regular file inside the output folder"},
    "input": {"zh": "输出文件 {path} 是本命令读取的输入文件，不能覆盖",
              "en": "the output file {path} is a file this command reads, which it may not overwrite"},
    "input_dropped": {"zh": "{path} 将被删除，但它是本命令读取的输入文件",
                      "en": "{path} would be removed, but it is a file this command reads"},
    "input.expected": {"zh": "另一个输出路径（不同于本命令读取的文件）",
                       "en": "another output path (not one of the files this command reads)"},
    "file_on_way": {"zh": "文件 {path}，此处需要文件夹", "en": "a file at {path}, where a folder is needed"},
    "file_on_way.expected": {"zh": "可写入的输出文件夹", "en": "a writable output folder"},
    "busy": {"zh": "无法替换的文件夹（{error}）", "en": "a folder that cannot be replaced now ({error})"},
    "what.nothing": {"zh": "不存在（没有这个文件夹）", "en": "nothing (no such folder)"},
    "what.in_file": {"zh": "位于文件之内的路径", "en": "a path inside a file"},
    "what.unreadable": {"zh": "无法读取的路径（{error}）", "en": "a path that cannot be read ({error})"},
    "what.link": {"zh": "一个链接", "en": "a link"},
    "what.dangling": {"zh": "一个指向不存在位置的链接", "en": "a link to nothing"},
    "what.folder": {"zh": "一个文件夹", "en": "a folder"},
    "what.file": {"zh": "一个文件", "en": "a file"},
    "what.fifo": {"zh": "命名管道 FIFO（不是文件夹）", "en": "a FIFO (a named pipe, not a folder)"},
    "what.socket": {"zh": "套接字（不是文件夹）", "en": "a socket (not a folder)"},
    "what.device": {"zh": "设备文件（不是文件夹）", "en": "a device (not a folder)"},
    "not_folder": {"zh": "{probe} 处是{what}，此处需要文件夹", "en": "{what} at {probe}, where a folder is needed"},
    "unwritable": {"zh": "无法写入的文件夹", "en": "a folder that cannot be written"},
    "busy.expected": {"zh": "可替换的输出文件夹：请关闭在其他程序（如 Excel、WPS）中打开的其中文件后重试",
                      "en": "a folder that can be replaced: close its files open in other programs (Excel) and retry"},
}

_WINDOWS = sys.platform == "win32"
#: Folders of Linux (and most Unixes) that hold the kernel's files, not a user's.
_SYSTEM_ROOTS = ("/proc", "/sys", "/dev")
_SYSTEM_EXCEPTIONS = ("/dev/shm",)               # a plain tmpfs a user may write
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def message(code: str, **data: object) -> str:
    """The text of `code` in the user's language (`planner.lang`), filled with `data`."""
    return MESSAGES[code]["en" if english() else "zh"].format(**data)


def check_given(path: str | os.PathLike[str]) -> None:
    """Refuse an empty output path (``--out ""``), which would otherwise mean the current folder.

    A ``pathlib.Path("")`` is already ``Path(".")`` and cannot be told apart: the command line
    checks its option text itself.

    Raises
    ------
    InputError
        `path` is the empty string.
    """
    if isinstance(path, (str, bytes)) and not path:
        raise InputError([Problem(file='""', found=message("empty"), expected=message("empty.expected"))])


def check_folder(folder: str | os.PathLike[str]) -> None:
    """Refuse an output folder that lies where the operating system keeps devices and its own files.

    Raises
    ------
    InputError
        `folder`, followed through its links, is under ``/proc``, ``/sys`` or ``/dev`` (not
        ``/dev/shm``), or on Windows is a device path (``\\\\.\\…``) or a device name.
    """
    problem = _system_problem(Path(folder))
    if problem is not None:
        raise InputError([problem])


def check_outputs(folder: Path, names: Iterable[str], *, inputs: Iterable[str | os.PathLike[str] | None] = (),
                  removed: Iterable[Path] = (), shown: Path | None = None) -> None:
    """Refuse, all problems at once, output files that are not regular files the run may replace.

    Parameters
    ----------
    folder : pathlib.Path
        The folder written into (a staging folder, or the output folder itself).
    names : iterable of str
        Relative output names, ``/``-separated (see `output_name_parts`).
    inputs : iterable of path-like, optional
        Files the command reads: none of them may be written over or removed (``None`` skipped).
    removed : iterable of pathlib.Path, optional
        Paths the write removes (`dropped_paths`).
    shown : pathlib.Path, optional
        The output folder as the user named it, for messages (default `folder`).

    Raises
    ------
    InputError
        An output is a device, FIFO, socket, a link out of `folder` or to something that is not
        a regular file, a file where a sub-folder goes, or one of `inputs`; or a removed path
        is or holds one of `inputs`.
    """
    shown = shown if shown is not None else folder
    names = list(names)
    inputs = [Path(p) for p in inputs if p is not None and str(p)]
    problems: list[Problem] = []
    root = os.path.realpath(folder)
    system = _system_problem(shown / names[0] if names else shown)
    if system is not None:                       # a device says so rather than where it lives
        raise InputError([(_special(folder / names[0], shown / names[0], root) if names else None) or system])
    for name in names:
        path, where = folder / name, shown / name
        problem = _on_the_way(folder, name, shown, root) or _special(path, where, root)
        if problem is None:
            problem = next((_input_problem(where, "input") for source in inputs if same_file(path, source)), None)
        if problem is not None:
            problems.append(problem)
    for path in removed:
        for source in inputs:
            if same_file(path, source) or _inside(source, path):
                problems.append(_input_problem(shown / path.relative_to(folder), "input_dropped"))
                break
    if problems:
        raise InputError(problems)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether `a` and `b` name the same file: the same inode (hard links, links, ``..``) when
    both exist, else the same absolute path after following links (case-folded on Windows)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def output_name_parts(name: object) -> tuple[str, ...]:
    """The parts of a relative output name: ``"反馈/某校.docx"`` → ``("反馈", "某校.docx")``.

    Raises
    ------
    ValueError
        `name` is not a relative name of plain parts (a mistake of the calling code): absolute,
        ``..``, ``.``, an empty part, a backslash or a NUL character.
    """
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name or name.startswith("/"):
        raise ValueError(f"output file name {name!r} is not a plain file name")
    parts = tuple(name.split("/"))
    if any(part in ("", ".", "..") or (_WINDOWS and ":" in part) for part in parts):
        raise ValueError(f"output file name {name!r} is not a plain file name")
    return parts


def dropped_paths(folder: Path, replace_dirs: Iterable[str], drop: Iterable[str], keep: Iterable[str]) -> list[Path]:
    """What a write removes from `folder`: each existing sub-folder of `replace_dirs` and each
    entry matching a name or glob pattern of `drop`, less the names written now (`keep`).
    Hidden entries (the planner's own lock and staging files) match only a pattern that starts
    with a dot. Outermost first, each path once."""
    found: list[Path] = []
    for name in replace_dirs:
        output_name_parts(name)
        if os.path.lexists(folder / name):
            found.append(folder / name)
    for pattern in drop:
        output_name_parts(pattern)
        found += [folder / hit for hit in sorted(glob.glob(pattern, root_dir=folder))]
    kept = {PurePosixPath(name) for name in keep}
    relative = sorted({PurePosixPath(path.relative_to(folder).as_posix()) for path in found},
                      key=lambda rel: (len(rel.parts), str(rel)))
    chosen: list[PurePosixPath] = []
    for rel in relative:
        if rel not in kept and not any(outer in rel.parents for outer in chosen):
            chosen.append(rel)
    return [folder.joinpath(*rel.parts) for rel in chosen]


def describe(path: Path) -> str:
    """What is at `path`, in words a planner understands (for "发现 …" in a message)."""
    code, data = _what_code(path)
    return message(code, **data)


def _what_code(path: Path) -> tuple[str, dict[str, object]]:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "what.nothing", {}
    except NotADirectoryError:
        return "what.in_file", {}
    except OSError as exc:
        return "what.unreadable", {"error": exc.strerror}
    if stat.S_ISLNK(mode):
        return ("what.link" if path.exists() else "what.dangling"), {}
    if stat.S_ISDIR(mode):
        return "what.folder", {}
    if stat.S_ISREG(mode):
        return "what.file", {}
    if stat.S_ISFIFO(mode):
        return "what.fifo", {}
    if stat.S_ISSOCK(mode):
        return "what.socket", {}
    return "what.device", {}


def not_writable(folder: str | os.PathLike[str]) -> InputError:
    """The located error for an output folder that cannot be written, saying what is there."""
    folder = Path(folder)
    probe = Path(os.path.abspath(folder))
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    code, data = _what_code(probe)
    if probe != Path(os.path.abspath(folder)) and code != "what.folder":
        found = message("not_folder", what=message(code, **data), probe=probe)
    elif code == "what.folder":
        found = message("unwritable")
    else:
        found = message(code, **data)
    return InputError([Problem(file=str(folder), found=found, expected=message("file_on_way.expected"))])


# --- the checks ----------------------------------------------------------------------------

def _system_problem(path: Path) -> Problem | None:
    if _WINDOWS:
        text = str(path)
        if text.startswith(("\\\\.\\", "\\\\?\\GLOBALROOT")):
            return Problem(file=text, found=message("system", root="\\\\.\\"), expected=message("system.expected"))
        for part in path.parts:
            stem = part.split(".")[0].rstrip(" ").upper()
            if stem in _RESERVED:
                return Problem(file=text, found=message("reserved", name=part), expected=message("system.expected"))
        return None
    real = os.path.realpath(path)
    for root in _SYSTEM_ROOTS:
        if (real == root or real.startswith(root + "/")) and not any(
                real == ok or real.startswith(ok + "/") for ok in _SYSTEM_EXCEPTIONS):
            return Problem(file=str(path), found=message("system", root=root), expected=message("system.expected"))
    return None


def _kind(mode: int) -> str | None:
    """The message code of a file that is neither a regular file, a folder nor a link."""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return None


def _special(path: Path, where: Path, root: str) -> Problem | None:
    """A problem when the output at `path` is a device, FIFO, socket or a link out of `root`."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None                                   # nothing there yet (or its folder is checked elsewhere)
    kind = _kind(mode)
    if kind is not None:
        return Problem(file=str(where), found=message(kind), expected=message("special.expected"))
    if not stat.S_ISLNK(mode):
        return None
    to = os.path.realpath(path)
    if not _inside(Path(to), Path(root)):
        return Problem(file=str(where), found=message("link_out", to=to), expected=message("link.expected"))
    try:
        pointed = os.stat(path).st_mode
    except OSError:
        return None                                   # a link to nothing inside the folder: replaced
    if not stat.S_ISREG(pointed):
        return Problem(file=str(where), found=message("link_special", to=to), expected=message("link.expected"))
    return None


def _on_the_way(folder: Path, name: str, shown: Path, root: str) -> Problem | None:
    """A problem when a sub-folder of `name` is a file (``反馈`` written as a file earlier) or a
    link out of the output folder (the file would be written through it)."""
    parts = name.split("/")
    for depth in range(1, len(parts)):
        probe = folder.joinpath(*parts[:depth])
        if os.path.islink(probe) and not _inside(probe, Path(root)):
            return Problem(file=str(shown / name), found=message("link_out", to=os.path.realpath(probe)),
                           expected=message("link.expected"))
        if os.path.lexists(probe) and not probe.is_dir():
            return Problem(file=str(shown / name), found=message("file_on_way", path=shown.joinpath(*parts[:depth])),
                           expected=message("file_on_way.expected"))
    return None


def _input_problem(where: Path, code: str) -> Problem:
    return Problem(file=str(where), found=message(code, path=where), expected=message("input.expected"))


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` lies inside `folder` (both followed through links)."""
    real, top = (os.path.normcase(os.path.realpath(p)) for p in (path, folder))
    return real.startswith(top.rstrip(os.sep) + os.sep)
