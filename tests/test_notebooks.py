"""The notebooks in notebooks/ run end to end, and are kept in git without outputs.

Each notebook is executed with nbclient from a copy in memory (the file is never written), in a
kernel running this interpreter (`sys.executable`: the venv's Python, whatever kernels the
machine has installed), with notebooks/ as the working directory so its relative paths hold.
As papermill does, a cell placed after the one tagged ``parameters`` sets ``OUT`` to a
temporary folder, so a run writes nothing into the repository, and ``LOOKAHEAD = False``, so
each round is solved on its own (every cell still runs; the multi-year lookahead itself is
tested in tests/test_multiyear.py, and with it the notebooks take minutes). A failing cell fails
the test with the cell's error.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = REPO / "notebooks"
BOOKS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT_S = 300
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def test_the_three_notebooks_exist():
    assert [p.name for p in BOOKS] == ["01_quickstart.ipynb", "02_what_if.ipynb", "03_briefing.ipynb"]


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path):
    book = json.loads(path.read_text("utf-8"))
    dirty = [i for i, cell in enumerate(book["cells"]) if cell["cell_type"] == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts — clear them before committing"


@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_parameters_cell_and_bilingual_steps(path):
    book = nbformat.read(path, as_version=4)
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", "exactly one code cell tagged `parameters`"
    for name in ("YEAR", "SCENARIO", "OUT", "LOOKAHEAD"):
        assert re.search(rf"^{name} = ", tagged[0].source, re.M), f"{path.name}: no parameter {name}"
    for cell in book.cells:
        if cell.cell_type == "markdown" and len(cell.source) > 40:
            assert CJK.search(cell.source) and LATIN_WORD.search(cell.source), \
                f"{path.name}: a step explained in one language only: {cell.source[:60]!r}"


def kernel_manager(folder: Path) -> KernelManager:
    """A kernel of this very interpreter, whatever kernelspecs the machine has."""
    spec = folder / "kernels" / "planner-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "planner test", "language": "python"}), "utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return KernelManager(kernel_name="planner-test", kernel_spec_manager=specs)


def with_parameters(book: nbformat.NotebookNode, **values) -> nbformat.NotebookNode:
    """Papermill's way: a cell after the `parameters` cell overrides some of its values."""
    position = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in values.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    book.cells.insert(position + 1, cell)
    return book


@pytest.mark.slow
@pytest.mark.parametrize("path", BOOKS, ids=lambda p: p.stem)
def test_notebook_runs_end_to_end(path, tmp_path):
    committed = path.read_bytes()
    book = with_parameters(nbformat.read(path, as_version=4), OUT=str(tmp_path / "out"), LOOKAHEAD=False)
    client = NotebookClient(book, km=kernel_manager(tmp_path), timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert any(p.is_file() for p in (tmp_path / "out").rglob("*")), "the notebook wrote its files into OUT"
    assert path.read_bytes() == committed
