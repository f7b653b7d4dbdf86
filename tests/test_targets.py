"""Tests of planner.show.targets: which paths an output may be written to (issue 23: D1, D14, D19).

Every refusal is checked through the writers a command calls (`write_outputs`,
`atomic_write_bytes`, `output_folder`) and by what is left on disk: the special file still
there and of the same kind, nothing written beside it.
"""
from __future__ import annotations

import os
import socket
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest

from planner.errors import InputError
from planner.show import atomic_write_bytes, write_outputs
from planner.show import targets
from planner.show.staging import output_folder

TABLE = pd.DataFrame({"candidate_id": ["C1"], "score": [90.0]})
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and /proc are POSIX")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and /sys are Linux's")


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def refused(action) -> InputError:
    with pytest.raises(InputError) as caught:
        action()
    return caught.value


# --- special files: a device, a FIFO, a socket --------------------------------------------

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="os.mknod of a device needs root")
def test_a_private_device_node_is_refused_by_every_writer(tmp_path):
    """D1: as root, `ledger RUN --out /dev/null` renamed a plain file over the device. The same
    kind of node (char 1:3, what /dev/null is), made private in tmp, stays a device."""
    device = tmp_path / "null"
    os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    for action in (lambda: write_outputs(tmp_path, tables={"null": TABLE}),       # ledger / explain --out
                   lambda: atomic_write_bytes(device, b"findings\n")):            # audit --findings
        error = refused(action)
        [problem] = error.problems
        assert problem.file == str(device) and problem.found == "设备文件（不是普通文件）"
        assert stat.S_ISCHR(os.lstat(device).st_mode) and os.major(os.lstat(device).st_rdev) == 1
    assert entries(tmp_path) == ["null"]


@posix_only
def test_a_fifo_is_refused_and_never_opened(tmp_path):
    pipe = tmp_path / "out.csv"
    os.mkfifo(pipe)
    for action in (lambda: write_outputs(tmp_path, tables={"out.csv": TABLE}),
                   lambda: atomic_write_bytes(pipe, b"x")):
        assert "命名管道" in refused(action).problems[0].found      # opening it would have hung the test
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode) and entries(tmp_path) == ["out.csv"]


@posix_only
def test_a_socket_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                    # a short relative name: AF_UNIX paths are limited
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("s.csv")
        error = refused(lambda: write_outputs(tmp_path, tables={"s.csv": TABLE}))
        assert error.problems[0].found == "套接字（不是普通文件）"
        assert stat.S_ISSOCK(os.lstat(tmp_path / "s.csv").st_mode)
    finally:
        server.close()


# --- links ----------------------------------------------------------------------------------

@posix_only
def test_a_link_pointing_out_of_the_output_folder_is_refused(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "slate.csv").symlink_to(outside)
    error = refused(lambda: write_outputs(out, tables={"slate.csv": TABLE}))
    assert error.problems[0].found == f"指向输出文件夹之外的链接（→ {outside}）"
    assert outside.read_text() == "keep" and os.path.islink(out / "slate.csv")
    refused(lambda: atomic_write_bytes(out / "slate.csv", b"x"))
    assert outside.read_text() == "keep"


@posix_only
def test_a_sub_folder_that_links_out_is_refused(tmp_path):
    """反馈 → a folder elsewhere: the letters would be written through the link."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "反馈").symlink_to(elsewhere)
    error = refused(lambda: write_outputs(out, tables={}, binary_files={"反馈/甲.docx": b"x"}))
    assert error.problems[0].file == str(out / "反馈/甲.docx") and "之外的链接" in error.problems[0].found
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_a_link_to_a_file_inside_the_folder_is_replaced_by_the_new_file(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old")
    (out / "slate.csv").symlink_to("old.csv")
    write_outputs(out, tables={"slate.csv": TABLE})
    assert not os.path.islink(out / "slate.csv") and (out / "old.csv").read_text() == "old"


@posix_only
def test_a_link_inside_to_a_fifo_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "pipe")
    (out / "slate.csv").symlink_to("pipe")
    assert "非普通文件" in refused(lambda: write_outputs(out, tables={"slate.csv": TABLE})).problems[0].found


# --- folders of the system ----------------------------------------------------------------

@linux_only
@pytest.mark.parametrize("path", ["/proc/self/planner-out", "/sys/planner-out", "/dev/planner-out",
                                  "/proc", "/dev"])
def test_folders_of_the_system_are_refused(path):
    with pytest.raises(InputError, match="系统目录"):
        targets.check_folder(path)


@linux_only
def test_a_path_under_proc_is_refused_by_every_writer(tmp_path):
    """/proc/self/comm is a regular-looking file of the kernel (the writer must not rename over it)."""
    before = Path("/proc/self/comm").read_text()
    refused(lambda: atomic_write_bytes("/proc/self/comm", b"hacked\n"))
    refused(lambda: write_outputs("/proc/self", tables={"comm": TABLE}))
    refused(lambda: output_folder("/proc/self/fdinfo").__enter__())
    assert Path("/proc/self/comm").read_text() == before


@linux_only
def test_a_link_into_proc_is_followed_and_refused(tmp_path):
    (tmp_path / "out").symlink_to("/proc/self")
    with pytest.raises(InputError, match="/proc"):
        write_outputs(tmp_path / "out", tables={"x.csv": TABLE})


@linux_only
def test_dev_shm_is_an_ordinary_folder():
    targets.check_folder("/dev/shm/planner-out")                 # no error


def test_windows_device_names_are_refused_there(monkeypatch):
    monkeypatch.setattr(targets, "_WINDOWS", True)
    for path in ("out/NUL", "out/nul.csv", "COM1/slate.csv", "\\\\.\\PhysicalDrive0"):
        with pytest.raises(InputError):
            targets.check_folder(path)
    targets.check_folder("out/null.csv")                         # only the exact device names
    targets.check_folder("out/console.csv")


# --- inputs of the same command (D14) -----------------------------------------------------

def test_an_output_that_is_the_commands_input_is_refused_and_kept(tmp_path):
    """D14: `audit --findings` naming the audited slate overwrote it."""
    slate = tmp_path / "slate.csv"
    slate.write_bytes(b"the slate")
    error = refused(lambda: atomic_write_bytes(slate, b"findings", inputs=[slate]))
    assert error.problems[0].found == f"输出文件 {slate} 是本命令读取的输入文件，不能覆盖"
    error = refused(lambda: write_outputs(tmp_path, tables={"slate.csv": TABLE}, inputs=["other.toml", slate]))
    assert error.problems[0].file == str(slate)
    assert slate.read_bytes() == b"the slate" and entries(tmp_path) == ["slate.csv"]


@posix_only
def test_the_same_input_under_another_name_is_recognised(tmp_path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    (run / "slate.csv").write_bytes(b"slate")
    os.link(run / "slate.csv", tmp_path / "hard.csv")              # a hard link
    (tmp_path / "soft.csv").symlink_to(run / "slate.csv")          # a symbolic link
    monkeypatch.chdir(run)
    for given in (tmp_path / "hard.csv", tmp_path / "soft.csv", Path("slate.csv"), run / ".." / "run" / "slate.csv"):
        refused(lambda: write_outputs(run, tables={"slate.csv": TABLE}, inputs=[given]))
    assert (run / "slate.csv").read_bytes() == b"slate"


def test_an_input_that_would_be_dropped_is_refused(tmp_path):
    out = tmp_path / "out"
    (out / "反馈").mkdir(parents=True)
    (out / "反馈" / "a.docx").write_bytes(b"letter")
    (out / "slate.csv").write_bytes(b"slate")
    refused(lambda: write_outputs(out, tables={}, binary_files={"x.bin": b""}, drop=["*.csv"],
                                  inputs=[out / "slate.csv"]))
    error = refused(lambda: write_outputs(out, tables={}, binary_files={"反馈/b.docx": b""}, replace_dirs=["反馈"],
                                          inputs=[out / "反馈" / "a.docx"]))
    assert "将被删除" in error.problems[0].found
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == ["slate.csv", "反馈", "反馈/a.docx"]


def test_inputs_given_to_the_output_folder_hold_for_every_write_inside(tmp_path):
    """`planner solve --candidates RUN/slate.csv --out RUN`: api.save inside the solve's folder."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "slate.csv").write_bytes(b"read by the solve")
    with pytest.raises(InputError, match="输入文件") as caught:
        with output_folder(run, inputs=[run / "slate.csv", None]) as folder:
            write_outputs(folder, tables={"summary.csv": TABLE})      # not an input: fine
            write_outputs(folder, tables={"slate.csv": TABLE})
    assert caught.value.problems[0].file == str(run.absolute() / "slate.csv")     # the folder, not its stage
    assert entries(run) == ["slate.csv"] and (run / "slate.csv").read_bytes() == b"read by the solve"


# --- the empty path (D19) -----------------------------------------------------------------

def test_an_empty_path_is_refused_by_every_writer(tmp_path, monkeypatch):
    """D19: `--out ""` wrote into the current folder."""
    monkeypatch.chdir(tmp_path)
    for action in (lambda: write_outputs("", tables={"slate.csv": TABLE}),
                   lambda: write_outputs(".", tables={"": TABLE}),                  # explain/ledger --out ""
                   lambda: atomic_write_bytes("", b"x"),
                   lambda: output_folder("").__enter__()):
        assert refused(action).problems[0].found == '输出路径为空（--out ""）'
    assert entries(tmp_path) == []


# --- the language, names and what a write drops -------------------------------------------

def test_messages_are_chinese_unless_english_is_asked_for(tmp_path, monkeypatch):
    slate = tmp_path / "slate.csv"
    slate.write_text("x")
    assert "不能覆盖" in str(refused(lambda: atomic_write_bytes(slate, b"", inputs=[slate])))
    monkeypatch.setenv("PLANNER_LANG", "en")
    assert "a file this command reads" in str(refused(lambda: atomic_write_bytes(slate, b"", inputs=[slate])))
    assert all(set(texts) == {"zh", "en"} for texts in targets.MESSAGES.values())


def test_the_library_language_switch_reaches_these_messages(tmp_path, monkeypatch):
    from planner.lang import speaking

    monkeypatch.delenv("PLANNER_LANG", raising=False)
    (tmp_path / "blocker").write_text("x")
    assert str(targets.not_writable(tmp_path / "blocker" / "out")).endswith(
        f"：发现 {tmp_path / 'blocker'} 处是一个文件，此处需要文件夹，应为 可写入的输出文件夹")
    with speaking("en"):
        assert str(targets.not_writable(tmp_path / "blocker" / "out")).endswith(
            f": found a file at {tmp_path / 'blocker'}, where a folder is needed, expected a writable output folder")
        assert targets.describe(tmp_path / "nowhere") == "nothing (no such folder)"
    assert targets.describe(tmp_path / "nowhere") == "不存在（没有这个文件夹）"


@pytest.mark.parametrize("name, parts", [("slate.csv", ("slate.csv",)), ("反馈/某校.docx", ("反馈", "某校.docx")),
                                         ("a/b/c.txt", ("a", "b", "c.txt"))])
def test_output_names_split_into_parts(name, parts):
    assert targets.output_name_parts(name) == parts


@pytest.mark.parametrize("name", ["", "/abs", "a//b", "a/./b", "../x", "a/..", "a\\b", "a\0b", 3])
def test_output_names_that_are_not_plain_are_caller_errors(name):
    with pytest.raises(ValueError):
        targets.output_name_parts(name)


def test_dropped_paths_outermost_once_without_hidden_or_kept_names(tmp_path):
    for name in ("反馈/a.docx", "反馈/b.docx", "认定名单.xlsx", "认定名单.docx", ".out.lock", "slate.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = targets.dropped_paths(tmp_path, ["反馈", "missing"], ["反馈/*.docx", "认定名单.*", "*.lock"],
                                  keep=["认定名单.docx"])
    assert found == [tmp_path / "反馈", tmp_path / "认定名单.xlsx"]   # by hand: 反馈 holds a/b; .lock is hidden
