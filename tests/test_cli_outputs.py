"""The commands' outputs go through the one writer with their own inputs named: a command never
writes over a file it reads (D14), and a re-solve into a published folder leaves no list or letter
of the earlier slate beside the new one (D8)."""
from __future__ import annotations

from conftest import row, write_case

from planner import api
from planner.show.publication import FEEDBACK_DIR, PUBLISHED, publish

# the same hand-made round as tests/test_run_folder (three localities, a cap of 2/1/1)
from test_run_folder import invoke, run, solved  # noqa: E402,F401  (fixtures and the CLI runner)


def test_audit_findings_never_overwrite_the_audited_slate(tmp_path):
    """Beyond 20 findings the audit writes them all to --findings: never over the slate it audits."""
    rows = [row(f"D{i}", score=70.0, title=f"项目{i}号", unit_id=f"V{i}", unit_name=f"单位{i}") for i in range(30)]
    case = write_case(tmp_path / "case", rows, {"rule": [{"id": "none", "clause": "三(三)", "per": ["unit_id"],
                                                          "max": {"*": 0}}]})
    out = tmp_path / "out"
    api.save(api.solve(case, workers=1), out)
    lines = (out / "slate.csv").read_text("utf-8-sig").splitlines()
    at = lines[0].split(",").index("selected")
    edited = [",".join("1" if i == at else cell for i, cell in enumerate(line.split(","))) for line in lines[1:]]
    (out / "slate.csv").write_text("\n".join([lines[0], *edited]) + "\n", encoding="utf-8")
    before = (out / "slate.csv").read_bytes()
    code, text = invoke("audit", case, out / "slate.csv", "--no-optimum", "--findings", out / "slate.csv")
    assert code == 1, text                                      # 30 violations: the verdict stands
    assert (out / "slate.csv").read_bytes() == before, "the slate under audit was written over"


def test_ledger_out_never_overwrites_the_run_it_reads(run):
    case, out = run
    before = (out / "slate.csv").read_bytes()
    code, text = invoke("ledger", out, "--scenario", case, "--out", out / "slate.csv")
    assert code == 2, text
    assert (out / "slate.csv").read_bytes() == before
    assert "Traceback" not in text


def test_a_re_solve_into_a_published_folder_drops_the_earlier_publication(run):
    case, out = run
    publish(out)
    assert (out / "认定名单.docx").is_file() and any((out / FEEDBACK_DIR).iterdir())
    code, text = invoke("solve", case, "--out", out, "--quiet", "--workers", "1")
    assert code == 0, text
    assert (out / "slate.csv").is_file()
    assert not any((out / name).exists() for name in PUBLISHED), "a list of the earlier slate was kept"
    assert not (out / FEEDBACK_DIR).exists(), "letters of the earlier slate were kept"
