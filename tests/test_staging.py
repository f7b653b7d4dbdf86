"""Tests of planner.show.staging: an output folder locked, staged and swapped in whole.

Every transaction test runs twice (fixture `system`): on this machine's own path (Linux:
``renameat2(RENAME_EXCHANGE)``, flock, ``pthread_sigmask``) and on the portable path a Windows
PC takes — the exchange unavailable (``sys.platform`` not Linux), filelock's soft lock as
without ``fcntl``, and no ``pthread_sigmask`` — so the fallback is tested, not just written.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import filelock
import pandas as pd
import pytest

from planner.errors import InputError
from planner.show import files, lock, staging, write_outputs
from planner.show.staging import output_folder

REPO = Path(__file__).resolve().parents[1]
TABLE = pd.DataFrame({"candidate_id": ["C1", "C2"], "score": [90.0, 80.5]})


@pytest.fixture(params=["native", "portable"])
def system(request, monkeypatch):
    """Which path the transaction takes; yields the list of swaps made, as (how, target)."""
    swaps: list[tuple[str, Path]] = []
    if request.param == "portable":
        monkeypatch.setattr(staging, "sys", SimpleNamespace(platform="win32"))
        monkeypatch.setattr(lock, "LOCK_CLASS", filelock.SoftFileLock)
        monkeypatch.delattr(signal, "pthread_sigmask", raising=False)
    real_exchange, real_renames = staging._exchange, staging._swap_by_renames

    def exchange(a, b):
        done = real_exchange(a, b)
        if done:
            swaps.append(("exchange", b))
        return done

    def renames(stage, target):
        swaps.append(("renames", target))
        return real_renames(stage, target)

    monkeypatch.setattr(staging, "_exchange", exchange)
    monkeypatch.setattr(staging, "_swap_by_renames", renames)
    swaps.append(request.param)                      # swaps[0] says which system; swaps made follow
    return swaps


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder`: a file's bytes, None for a folder."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def published_run(out: Path) -> dict[str, bytes | None]:
    """A run folder after `publish`: its files, the lists and 反馈/ with a letter per unit."""
    files = {"slate.csv": b"old slate", "notes.txt": b"mine", "认定名单.xlsx": b"list", "认定名单.docx": b"list",
             "反馈/甲校.docx": b"letter A", "反馈/乙校.docx": b"letter B"}
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return tree(out)


# --- the transaction, on both paths ---------------------------------------------------------

def test_nested_names_replace_dirs_and_drop_in_one_swap(tmp_path, system):
    out = tmp_path / "run"
    out.mkdir()
    published_run(out)
    write_outputs(out, tables={"slate.csv": TABLE}, binary_files={"反馈/乙校.docx": b"new B", "反馈/丙校.docx": b"new C"},
                  replace_dirs=["反馈"], drop=["认定名单.*"])
    after = tree(out)
    assert sorted(after) == ["notes.txt", "slate.csv", "反馈", "反馈/丙校.docx", "反馈/乙校.docx"]
    assert after["反馈/乙校.docx"] == b"new B" and after["notes.txt"] == b"mine"
    assert after["slate.csv"].startswith(b"\xef\xbb\xbfcandidate_id,score\n")
    how = "exchange" if system[0] == "native" else "renames"
    assert system[1:] == [(how, out.absolute())]                 # one swap, whole, sub-folder included
    assert leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_the_old_folder_byte_for_byte(tmp_path, system, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    real, calls = files._write_file, []

    def second_fails(path, data, **kw):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data, **kw)

    monkeypatch.setattr(files, "_write_file", second_fails)
    with pytest.raises(OSError, match="No space"):
        write_outputs(out, tables={}, binary_files={"反馈/乙校.docx": b"x", "反馈/丙校.docx": b"y"},
                      replace_dirs=["反馈"], drop=["认定名单.*"])
    assert tree(out) == before and leftovers(tmp_path) == [] and system[1:] == []


def test_ctrl_c_while_writing_leaves_the_old_folder(tmp_path, system, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)

    def interrupted(path, data, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(out, tables={"slate.csv": TABLE}, replace_dirs=["反馈"])
    assert tree(out) == before and leftovers(tmp_path) == []


def test_a_failure_in_the_middle_of_the_swap_leaves_the_old_folder(tmp_path, system, monkeypatch):
    """Portable path: the folder is renamed aside, then the staging folder cannot take its name
    (Windows: a file open in Excel, a virus scanner): the first rename is undone. Native
    path: the exchange itself fails."""
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    real_rename = os.rename

    def stage_cannot_move(src, dst):
        if Path(src).name.startswith(".run.tmp-") and Path(dst) == out.absolute():
            raise PermissionError(13, "Permission denied", str(dst))
        return real_rename(src, dst)

    monkeypatch.setattr(staging.os, "rename", stage_cannot_move)
    if system[0] == "native":
        monkeypatch.setattr(staging.ctypes, "get_errno", lambda: 5)         # EIO from renameat2
        monkeypatch.setattr(staging.ctypes, "CDLL", lambda *a, **k: SimpleNamespace(renameat2=FailingCall()))
    with pytest.raises(OSError):
        write_outputs(out, tables={"slate.csv": TABLE}, replace_dirs=["反馈"])
    monkeypatch.undo()
    assert tree(out) == before and leftovers(tmp_path) == []


class FailingCall:
    argtypes = None

    def __call__(self, *args):
        return -1


def test_a_folder_that_cannot_be_renamed_aside_is_a_located_error(tmp_path, system, monkeypatch):
    """Windows: renaming a folder fails while one of its files is open; said in Chinese, exit 2."""
    if system[0] == "native":
        pytest.skip("the exchange moves no folder aside")
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    real_rename = os.rename

    def busy(src, dst):
        if Path(src) == out.absolute():
            raise PermissionError(13, "另一个程序正在使用此文件", str(src))
        return real_rename(src, dst)

    monkeypatch.setattr(staging.os, "rename", busy)
    with pytest.raises(InputError) as caught:
        write_outputs(out, tables={"slate.csv": TABLE})
    monkeypatch.undo()
    [problem] = caught.value.problems
    assert problem.file == str(out.absolute()) and "Excel" in problem.expected
    assert tree(out) == before and leftovers(tmp_path) == []


def test_ctrl_c_during_the_swap_waits_until_the_new_folder_is_in(tmp_path, system, monkeypatch):
    """A real SIGINT while the folder is swapped: the swap finishes (new folder, whole), then
    the interrupt is raised — blocked on Linux, held back by a handler on the portable path."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    out = tmp_path / "run"
    out.mkdir()
    published_run(out)
    real_fsync, sent = staging.fsync_dir, []

    def fsync_then_interrupt(folder):
        if folder == out.absolute().parent and not sent:             # inside the swap's deferred block
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        return real_fsync(folder)

    monkeypatch.setattr(staging, "fsync_dir", fsync_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(out, tables={"slate.csv": TABLE}, replace_dirs=["反馈"])
    assert sent and sorted(tree(out)) == sorted(["notes.txt", "slate.csv", "认定名单.docx", "认定名单.xlsx"])
    assert leftovers(tmp_path) == [] and staging.written_folders()[-1] == out.absolute()


def test_drop_given_to_the_output_folder_clears_published_files(tmp_path, system):
    """A re-solve into a published folder: the old 认定名单 and letters go in the same swap."""
    out = tmp_path / "run"
    out.mkdir()
    published_run(out)
    with output_folder(out, drop=["认定名单.*", "反馈"]) as folder:
        write_outputs(folder, tables={"slate.csv": TABLE})
    assert sorted(tree(out)) == ["notes.txt", "slate.csv"] and leftovers(tmp_path) == []


def test_a_failed_block_keeps_what_drop_named(tmp_path, system):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    with pytest.raises(RuntimeError):
        with output_folder(out, drop=["认定名单.*", "反馈"]) as folder:
            write_outputs(folder, tables={"slate.csv": TABLE})
            raise RuntimeError("the briefing failed")
    assert tree(out) == before and leftovers(tmp_path) == []


# --- a folder written file by file (--out . in a project) ------------------------------------

def test_the_current_folder_is_written_file_by_file_with_the_same_result(tmp_path, system, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    published_run(out)
    monkeypatch.chdir(out)                                     # cannot be swapped: it is the current folder
    write_outputs(".", tables={"slate.csv": TABLE}, binary_files={"反馈/丙校.docx": b"C", "新/深/x.bin": b"x"},
                  replace_dirs=["反馈"], drop=["认定名单.xlsx"])
    assert sorted(tree(out)) == sorted(["notes.txt", "slate.csv", "认定名单.docx", "反馈", "反馈/丙校.docx", "新",
                                        "新/深", "新/深/x.bin"])
    assert system[1:] == [] and leftovers(out) == []


def test_a_failure_file_by_file_puts_back_files_sub_folders_and_what_was_dropped(tmp_path, system, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    monkeypatch.chdir(out)
    real_replace, calls = os.replace, []

    def third_fails(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", third_fails)
    with pytest.raises(OSError, match="Input/output"):
        write_outputs(".", tables={"slate.csv": TABLE}, binary_files={"新/x.bin": b"x", "反馈/丙校.docx": b"C"},
                      replace_dirs=["反馈"], drop=["认定名单.*"])
    monkeypatch.undo()
    assert len(calls) >= 3 and tree(out) == before and leftovers(out) == []


def test_drop_in_a_folder_written_file_by_file(tmp_path, system, monkeypatch):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    monkeypatch.chdir(out)
    with pytest.raises(RuntimeError):
        with output_folder(".", drop=["认定名单.*"]):
            raise RuntimeError("failed")
    assert tree(out) == before
    with output_folder(".", drop=["认定名单.*"]) as folder:
        write_outputs(folder, tables={"slate.csv": TABLE})
    assert sorted(tree(out)) == sorted(["notes.txt", "slate.csv", "反馈", "反馈/乙校.docx", "反馈/甲校.docx"])
    assert leftovers(out) == []


# --- a run killed mid-swap, and the lock ---------------------------------------------------

def test_a_run_killed_between_the_two_renames_is_repaired_by_the_next_writer(tmp_path, system):
    out = tmp_path / "run"
    out.mkdir()
    before = published_run(out)
    os.rename(out, tmp_path / ".run.old-0123456789ab")          # what SIGKILL between the renames leaves
    (tmp_path / ".run.tmp-ba9876543210").mkdir()
    (tmp_path / ".run.tmp-ba9876543210" / "slate.csv").write_bytes(b"half")
    write_outputs(out, tables={"new.csv": TABLE})
    after = tree(out)
    assert {k: v for k, v in after.items() if k != "new.csv"} == before and "new.csv" in after
    assert leftovers(tmp_path) == []


def test_another_process_writing_the_folder_is_refused_at_once_on_both_paths(tmp_path, system):
    out = tmp_path / "run"
    soft = "lock.LOCK_CLASS = filelock.SoftFileLock" if system[0] == "portable" else ""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, filelock
        from planner.show import lock
        from planner.show.staging import output_folder
        {soft}
        with output_folder({str(out)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError, match="另一个规划程序正在写入"):
            write_outputs(out, tables={"slate.csv": TABLE})
    finally:
        holder.kill()
        holder.wait()
    write_outputs(out, tables={"slate.csv": TABLE})           # a killed holder leaves a lock the next writer takes
    assert sorted(tree(out)) == ["slate.csv"] and leftovers(tmp_path) == []


def test_the_same_thread_may_nest_another_thread_is_refused(tmp_path, system):
    out = tmp_path / "run"
    refused = []
    with output_folder(out) as folder:
        write_outputs(folder, tables={"a.csv": TABLE})
        write_outputs(folder / "sub", tables={"b.csv": TABLE})      # a nested folder of the same run

        def other():
            try:
                write_outputs(out, tables={"c.csv": TABLE})
            except InputError as exc:
                refused.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(refused) == 1 and sorted(tree(out)) == ["a.csv", "sub", "sub/b.csv"]
    assert leftovers(tmp_path) == []


def test_without_fcntl_and_renameat2_a_process_writes_whole_folders(tmp_path):
    """The portable path in a process where ``fcntl`` cannot be imported (as on Windows) and the
    system is not Linux: a rewrite with replace_dirs, and a failure that keeps the old folder."""
    script = textwrap.dedent(f"""
        import sys, types
        sys.modules["fcntl"] = None                         # import fcntl → ImportError
        import signal
        del signal.pthread_sigmask
        from pathlib import Path
        from planner.show import staging, write_outputs
        staging.sys = types.SimpleNamespace(platform="win32")
        out = Path({str(tmp_path / "run")!r})
        write_outputs(out, tables={{}}, binary_files={{"a.txt": b"1", "反馈/x.docx": b"x"}})
        write_outputs(out, tables={{}}, binary_files={{"a.txt": b"2", "反馈/y.docx": b"y"}}, replace_dirs=["反馈"])
        try:
            write_outputs(out, tables={{}}, binary_files={{"a.txt": b"3", "b.txt": object()}})
        except TypeError:
            pass
        import filelock
        print(sorted(p.relative_to(out).as_posix() for p in out.rglob("*")), (out / "a.txt").read_text(),
              filelock.FileLock.__name__, "fcntl" in sys.modules and sys.modules["fcntl"] is None)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("]")[0] == "['a.txt', '反馈', '反馈/y.docx'"
    assert done.stdout.split("] ")[1].split()[0] == "2"             # the failed third write left the second
    assert done.stdout.strip().endswith("True") and leftovers(tmp_path) == []
