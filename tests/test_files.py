"""Tests of planner.show.files: `write_outputs` with sub-folders, replaced sub-folders and drops.

The bytes of each format are tested in test_report.py; the swap and its portable path in
test_staging.py; which paths are refused in test_targets.py.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.errors import InputError
from planner.show import atomic_write_bytes, write_outputs
from planner.show import staging

TABLE = pd.DataFrame({"unit": ["甲校"], "selected": [True]})
BOM = b"\xef\xbb\xbf"


def tree(folder: Path) -> dict[str, bytes | None]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def test_nested_names_in_every_argument(tmp_path):
    out = tmp_path / "run"
    paths = write_outputs(out, tables={"表/a.csv": TABLE}, xlsx={"表/a.xlsx": "表/a.csv"},
                          json_files={"元/summary.json": {"n": 1}}, binary_files={"反馈/甲校.docx": b"letter"})
    assert paths == [out / "表/a.csv", out / "表/a.xlsx", out / "元/summary.json", out / "反馈/甲校.docx"]
    written = tree(out)
    assert written["表/a.csv"] == BOM + "unit,selected\n甲校,True\n".encode()
    assert written["表/a.xlsx"][:2] == b"PK" and written["元/summary.json"] == b'{\n  "n": 1\n}\n'
    assert written["反馈/甲校.docx"] == b"letter"


def test_replace_dirs_keeps_only_this_writes_files_and_other_folders_alone(tmp_path):
    """D8: a smaller re-publish kept 33 stale letters."""
    out = tmp_path / "run"
    write_outputs(out, tables={}, binary_files={f"反馈/{n}.docx": n.encode() for n in ("甲", "乙", "丙")}
                  | {"其他/x.txt": b"x"})
    write_outputs(out, tables={}, binary_files={"反馈/乙.docx": b"new"}, replace_dirs=["反馈"])
    assert tree(out) == {"其他": None, "其他/x.txt": b"x", "反馈": None, "反馈/乙.docx": b"new"}


def test_replace_dirs_with_nothing_written_leaves_no_folder(tmp_path):
    out = tmp_path / "run"
    write_outputs(out, tables={}, binary_files={"反馈/甲.docx": b"a", "keep.txt": b"k"})
    write_outputs(out, tables={}, binary_files={"keep.txt": b"k2"}, replace_dirs=["反馈"])
    assert tree(out) == {"keep.txt": b"k2"}


def test_drop_removes_names_and_globs_but_not_what_is_written_now(tmp_path):
    """D8: re-solving into a published folder kept the old 认定名单 and letters."""
    out = tmp_path / "run"
    write_outputs(out, tables={}, binary_files={"认定名单.xlsx": b"1", "认定名单.docx": b"2", "推荐名单.docx": b"3",
                                                 "反馈/甲.docx": b"4", "slate.csv": b"5", "notes.md": b"6"})
    write_outputs(out, tables={"slate.csv": TABLE}, binary_files={"推荐名单.docx": b"again"},
                  drop=["认定名单.*", "推荐名单.*", "反馈", "missing.txt"])
    after = tree(out)
    assert sorted(after) == ["notes.md", "slate.csv", "推荐名单.docx"]
    assert after["推荐名单.docx"] == b"again" and after["slate.csv"].startswith(BOM)


def test_the_old_folder_keeps_its_files_until_the_swap(tmp_path, monkeypatch):
    """Dropped and replaced entries leave the staging folder only (hard links), never the folder
    a reader sees: at the moment of the swap the old folder is still whole."""
    out = tmp_path / "run"
    write_outputs(out, tables={}, binary_files={"反馈/甲.docx": b"a", "认定名单.xlsx": b"l"})
    seen = []
    real = staging._commit
    monkeypatch.setattr(staging, "_commit", lambda stage, target: (seen.append((tree(target), tree(stage))),
                                                                   real(stage, target)))
    write_outputs(out, tables={}, binary_files={"反馈/乙.docx": b"b"}, replace_dirs=["反馈"], drop=["认定名单.xlsx"])
    [(old, new)] = seen                                  # one swap for files and sub-folder together
    assert old == {"反馈": None, "反馈/甲.docx": b"a", "认定名单.xlsx": b"l"}
    assert new == {"反馈": None, "反馈/乙.docx": b"b"} == tree(out)


def test_a_file_where_a_sub_folder_goes_is_a_located_error(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "反馈").write_bytes(b"a file")
    with pytest.raises(InputError) as caught:
        write_outputs(out, tables={}, binary_files={"反馈/甲.docx": b"x"})
    [problem] = caught.value.problems
    assert problem.file == str(out / "反馈/甲.docx") and problem.found == f"文件 {out / '反馈'}，此处需要文件夹"
    assert tree(out) == {"反馈": b"a file"}


def test_a_name_used_as_file_and_folder_is_a_caller_error(tmp_path):
    with pytest.raises(ValueError, match="as a file and as a folder"):
        write_outputs(tmp_path / "run", tables={}, binary_files={"反馈": b"", "反馈/甲.docx": b""})
    assert list(tmp_path.iterdir()) == []


def test_publication_writes_twice_as_before(tmp_path):
    """Backward compatibility: the run folder, then its 反馈/ sub-folder as a folder of its own."""
    out = tmp_path / "run"
    write_outputs(out, tables={}, binary_files={"认定名单.xlsx": b"l"})
    write_outputs(out / "反馈", tables={}, binary_files={"甲.docx": b"a"})
    assert tree(out) == {"反馈": None, "反馈/甲.docx": b"a", "认定名单.xlsx": b"l"}


def test_atomic_write_bytes_refuses_an_input_and_writes_anything_else(tmp_path):
    slate = tmp_path / "slate.csv"
    slate.write_bytes(b"slate")
    with pytest.raises(InputError):
        atomic_write_bytes(tmp_path / "." / "slate.csv", b"findings", inputs=[None, slate])
    assert atomic_write_bytes(tmp_path / "slate.csv.audit.txt", b"findings", inputs=[slate]).read_bytes() == b"findings"
    assert slate.read_bytes() == b"slate"


def test_a_rendering_that_fails_leaves_no_temporary_file_in_the_stage(tmp_path, monkeypatch):
    """Writes behind take their temporary names themselves: those dropped after a failure leave
    nothing in the staging folder (only files written in full, under their own names)."""
    from planner.show import files

    def rendered(names, *outputs):
        yield "a.csv", b"a"
        yield "b.csv", b"b"
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "rendered", rendered)
    plan = files._Plan(["a.csv", "b.csv", "c.csv"], (), (), ())
    with pytest.raises(KeyboardInterrupt):
        files._write_into(tmp_path, plan, {}, {}, {}, {})
    assert not [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
