"""The bundled 2023 round amended as the office would: `planner amend`, `planner publish`, `planner
audit --against`, `planner amend --verify`, a chain, the ledger and the next round reading it.

Three selected 长春市 school practice centres are withdrawn. Held to the issue's acceptance:
exactly those three leave, at most one project enters per withdrawal, nobody else moves, the
audit against the base passes, and the publication writes letters to the changed units only —
their number counted from the two slates, not from the program's record.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest
from conftest import JILIN, REPO, run_cli, tree

import planner as pl
from planner.api.amendments import verify_amendment
from planner.show.amendment import changed_units


def _read(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "slate.csv", dtype=str, keep_default_na=False).set_index("candidate_id")


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    root = tmp_path_factory.mktemp("amend")
    base = root / "jilin-2023"
    pl.save(pl.solve(JILIN, workers=1), base)
    slate = _read(base)
    centres = slate[(slate["locality"] == "长春市") & (slate["task"] == "practice_centre") & (slate["track"] == "school")
                    & (slate["selected"] == "1")]
    withdrawn = centres.sort_values("score").index[:3].tolist()
    before = tree(base)
    amended = root / "调整1"
    done = run_cli("amend", base, "--withdraw", ",".join(withdrawn[:2]), "--withdraw", withdrawn[2],
                   "--reason", f"{withdrawn[0]}=学校来函申请撤回", "--reason", "三所学校主动撤回",
                   "--asked-by", "申报单位", "--number", "吉教职成〔2023〕15号", "--date", "2023-11-20",
                   "--out", amended, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    return root, base, amended, withdrawn, before, done


def test_exactly_the_three_leave_and_at_most_one_enters_per_withdrawal(rounds):
    _, base, amended, withdrawn, _, done = rounds
    old, new = _read(base), _read(amended)
    left = sorted(old.index[(old["selected"] == "1") & (new.loc[old.index, "selected"] == "0")])
    entered = new.index[(new["selected"] == "1") & (old.loc[new.index, "selected"] == "0")]
    assert left == sorted(withdrawn)
    assert 0 < len(entered) <= len(withdrawn)
    assert (old["national"] == new.loc[old.index, "national"]).all()
    assert "申报单位撤回" in done.stdout and "全量重解" in done.stdout


def test_the_base_folder_is_never_modified(rounds):
    _, base, _, _, before, _ = rounds
    assert tree(base) == before


def test_summary_records_base_hash_changes_and_who_asked(rounds):
    import hashlib
    _, base, amended, withdrawn, _, _ = rounds
    record = json.loads((amended / "summary.json").read_text("utf-8"))["amendment"]
    assert record["base"]["path"] == str(base.resolve())
    assert record["base"]["sha256"]["slate.csv"] == hashlib.sha256((base / "slate.csv").read_bytes()).hexdigest()
    assert record["requests"]["withdraw"] == withdrawn and record["requests"]["asked_by"] == "申报单位"
    assert record["requests"]["reasons"] == {withdrawn[0]: "学校来函申请撤回"}
    assert record["requests"]["note"] == "三所学校主动撤回"
    assert record["number"] == "吉教职成〔2023〕15号" and record["date"] == "2023-11-20"
    assert {c["candidate_id"] for c in record["changes"] if c["cause"] == "withdrawn"} == set(withdrawn)
    assert (amended / "changes.csv").is_file()


def test_the_audit_holds_the_amendment_to_its_base(rounds, tmp_path):
    _, base, amended, _, _, _ = rounds
    done = run_cli("audit", JILIN, amended / "slate.csv", "--against", base, cwd=REPO)
    assert done.returncode == 0, done.stderr
    # A project slipped in by hand is a difference nobody recorded: exit 1, located.
    forged = tmp_path / "forged"
    shutil.copytree(amended, forged)
    slate = pd.read_csv(forged / "slate.csv", dtype=str, keep_default_na=False)
    slip = slate.index[(slate["selected"] == "0") & (slate["eligible"].str.lower() == "true")][0]
    slate.loc[slip, "selected"] = "1"
    slate.to_csv(forged / "slate.csv", index=False)
    done = run_cli("audit", JILIN, forged / "slate.csv", "--against", base, cwd=REPO)
    assert done.returncode == 1
    assert f"{slate.loc[slip, 'candidate_id']} 列入省级认定名单，调整记录中没有" in done.stderr


def test_publish_writes_letters_to_the_changed_units_only(rounds):
    _, base, amended, _, _, _ = rounds
    done = run_cli("publish", amended, cwd=REPO)
    assert done.returncode == 0, done.stderr
    old, new = _read(base), _read(amended)
    moved = old.index[(old["selected"] != new.loc[old.index, "selected"])
                      | (old["national"] != new.loc[old.index, "national"])]
    units = set(old.loc[moved, "unit_id"])
    letters = sorted((amended / "反馈").glob("*.docx"))
    assert len(letters) == len(units) and 0 < len(units) < 10
    assert {p.stem.rsplit("_", 1)[1] for p in letters} == units
    assert f"{len(letters)} 份调整告知书" in done.stdout
    for name in ("调整后认定名单.docx", "调整后认定名单.xlsx", "调整说明.docx"):
        assert (amended / name).is_file()
    assert not (amended / "调整后推荐名单.docx").exists()          # no national pick changed


def _text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    parts += [p.text for s in document.sections for p in s.header.paragraphs]
    return "\n".join(parts)


def test_the_documents_say_who_left_and_who_filled_the_place(rounds):
    _, base, amended, withdrawn, _, _ = rounds
    if not (amended / "调整说明.docx").is_file():
        assert run_cli("publish", amended, cwd=REPO).returncode == 0
    old = _read(base)
    statement = _text(amended / "调整说明.docx")
    assert "吉教职成〔2023〕15号" in statement and "2023年11月20日" in statement and "吉林省教育厅" in statement
    assert "附件：" in statement and "认定名单（调整后）" in statement
    for cid in withdrawn:
        assert old.loc[cid, "title"] in statement and cid not in statement     # names, never codes
    assert "申报单位撤回" in statement and "递补" in statement and "学校来函申请撤回" in statement
    listing = _text(amended / "调整后认定名单.docx")
    assert "吉教职成〔2023〕15号" in listing and "认定名单（调整后）" in listing
    new = _read(amended)
    assert sum(title in listing for title in new.loc[new["selected"] == "1", "title"].unique()) > 0
    letter = _text(sorted((amended / "反馈").glob("*.docx"))[0])
    assert "调整告知书" in letter and "吉教职成〔2023〕15号" in letter and "C2023-" not in letter


def test_verify_replays_the_amendment_and_a_chain(rounds):
    root, base, amended, withdrawn, _, _ = rounds
    second = root / "调整2"
    new = _read(amended)
    another = new[(new["selected"] == "1") & (new["task"] == "core_course")].sort_values("score").index[0]
    done = run_cli("amend", amended, "--withdraw", another, "--out", second, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    record = json.loads((second / "summary.json").read_text("utf-8"))["amendment"]
    assert record["base"]["path"] == str(amended.resolve()) and record["step"] == 2
    assert record["all_requests"]["withdraw"] == [*withdrawn, another]
    again = _read(second)
    assert (again.loc[[*withdrawn, another], "selected"] == "0").all()
    done = run_cli("amend", second, "--verify", cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已核实" in done.stdout
    # A base edited after the amendment is refused by the replay.
    (amended / "slate.csv").write_bytes((amended / "slate.csv").read_bytes() + b"\n")
    report = verify_amendment(second, chain=False)
    assert not report.ok and any("sha256" in p for p in report.problems)


def test_the_ledger_and_the_next_round_read_the_amended_slate(rounds):
    from planner.ledger import ledger_from_outputs
    _, base, amended, withdrawn, _, _ = rounds
    slate = _read(amended)
    _, table = ledger_from_outputs([amended])
    assert len(table)
    scenario = pl.load_scenario(REPO / "scenarios" / "jilin-2024.toml").with_history(amended / "slate.csv")
    result = pl.solve(scenario, workers=1)
    assert result.summary["status"] == "OPTIMAL"
    # A withdrawn 2023 centre is not locked history: the 2024 ledger counts the amended 2023 picks.
    used = result.ledger
    assert "used_2023" in used
    n_2023 = int((slate["selected"] == "1").sum())
    period = result.history
    assert int(period["selected"].astype(bool).sum()) == n_2023
    assert not period.set_index("candidate_id").loc[withdrawn, "selected"].astype(bool).any()


def test_changed_units_groups_a_project_changed_on_both_lists():
    changes = pd.DataFrame([
        {"candidate_id": "a", "title": "甲", "unit_id": "U1", "unit_name": "学校一", "task": "textbook", "score": 80.0,
         "list": "provincial", "change": "left", "cause": "withdrawn", "sentence": "申报单位撤回，移出省级认定名单",
         "reason": ""},
        {"candidate_id": "a", "title": "甲", "unit_id": "U1", "unit_name": "学校一", "task": "textbook", "score": 80.0,
         "list": "national", "change": "left", "cause": "withdrawn", "sentence": "申报单位撤回", "reason": ""},
        {"candidate_id": "b", "title": "乙", "unit_id": "U2", "unit_name": "学校二", "task": "textbook", "score": 70.0,
         "list": "provincial", "change": "entered", "cause": "filled", "sentence": "递补", "reason": ""},
    ])
    slate = pd.DataFrame({"candidate_id": ["a", "b"], "track": ["", ""]})
    units = changed_units(changes, slate)
    assert [u[0] for u in units] == ["U1", "U2"]
    assert len(units[0][2]) == 1 and units[0][2][0]["result"] == "移出认定名单；不再推荐参加国家级遴选"


def test_bad_requests_exit_2_located_and_write_nothing(rounds, tmp_path):
    _, base, _, _, before, _ = rounds
    done = run_cli("amend", base, "--withdraw", "C2023-0004", "--out", tmp_path / "x", cwd=REPO)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--withdraw：发现 项目编号 C2023-0004，应为 2023 年度本轮的项目编号" in done.stderr
    assert not (tmp_path / "x").exists()
    done = run_cli("amend", base, "--withdraw", "C2023-00044", "--out", base, cwd=REPO)
    assert done.returncode == 2 and "基础名单从不改写" in done.stderr
    done = run_cli("amend", base, "--withdraw", "C2023-00044", "--number", "吉教职成2023第5号", cwd=REPO)
    assert done.returncode == 2 and "--number" in done.stderr
    assert tree(base) == before


def test_an_entrant_of_a_withdrawing_unit_is_said_to_fill_its_own_units_place(rounds):
    """Several pairings hold every rule; the office names the nearest: an entrant takes the place
    its own unit left when that unit withdrew one (checked on the changes table, by unit)."""
    _, base, amended, withdrawn, _, _ = rounds
    changes = pd.read_csv(amended / "changes.csv", dtype=str, keep_default_na=False)
    old = _read(base)
    filled = changes[(changes["change"] == "entered") & (changes["cause"] == "filled")]
    units_left = {old.at[w, "unit_id"] for w in withdrawn}
    own = filled[filled["candidate_id"].map(lambda c: old.at[c, "unit_id"] in units_left)]
    assert len(own)                                     # the bundled case has such entrants
    for cid, fills in zip(own["candidate_id"], own["fills"]):
        assert old.at[fills, "unit_id"] == old.at[cid, "unit_id"], (cid, fills)
