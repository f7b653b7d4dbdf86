"""The command line's contract (issue 17): every finding of the attempt to break it, reproduced.

Each test runs the CLI as a user would — in-process through typer's runner where a failure has to
be injected, a subprocess where signals, locks or other processes are involved — and asserts the
README's exit code, a one-line message that names the cause, no traceback and nothing written.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import REPO, row, run_cli, toml_text, tree, write_case, write_csv
from typer.testing import CliRunner

from planner import api
from planner.cli import root as cli
from planner.show import staging

ROWS = [row(f"C{i}", score=60.0 + 3 * i, locality=["长春市", "吉林市", "四平市"][i % 3], cost=10.0 + i)
        for i in range(9)]
CAP = {"id": "cap", "clause": "三(三)", "per": ["locality"], "max": {"长春市": 2, "*": 1}}


def invoke(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.app, [str(a) for a in args], prog_name="planner")
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, stderr: str, expected_code: int, *fragments: str) -> None:
    assert code == expected_code, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith(("error: ", "warning: ", "中断：")) for line in lines), stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)


@pytest.fixture
def case(tmp_path):
    return write_case(tmp_path / "case", ROWS, {"rule": [CAP]})


def switched_base(folder: Path, *, declared: bool = True) -> Path:
    """A base scenario with a switch, its [choices] (unless not `declared`) and two rules that read it."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "candidates.csv", ROWS)
    choices = {"choices": {"band": ["soft", "hard"], "spare": ["off", "on"]}} if declared else {}
    (folder / "base.toml").write_text(toml_text({
        "name": "base", "year": 2023, "candidates": "candidates.csv",
        "switches": {"band": "soft", "spare": "off"}, **choices,
        "rule": [dict(CAP, when={"band": "soft"}), dict(CAP, id="cap-hard", max=1, when={"band": "hard"})],
    }), "utf-8")
    return folder / "base.toml"


def child(folder: Path, text: str, name: str = "child.toml") -> Path:
    path = folder / name
    path.write_text('extends = "base.toml"\n' + textwrap.dedent(text), "utf-8")
    return path


# --------------------------------------------------------------------------- options
def test_an_unknown_backend_is_a_usage_error_not_a_traceback(case, tmp_path):
    """Found: `--backend gurobi` printed a traceback and exited 1 (the code of an audit failure)."""
    code, _, stderr = invoke("solve", case, "--backend", "gurobi", "--out", tmp_path / "out")
    assert_one_line_error(code, stderr, 2, "--backend", "gurobi", "cpsat", "highs")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["-5", "0", "nan", "-inf"])
def test_a_time_limit_not_above_zero_is_refused(case, tmp_path, value):
    """Found: --time-limit -5, 0 and nan ran and ended with exit 4 "no slate within -5 s"."""
    code, _, stderr = invoke("solve", case, "--time-limit", value, "--out", tmp_path / "out")
    assert_one_line_error(code, stderr, 2, "--time-limit", "expected seconds > 0")
    assert not (tmp_path / "out").exists()


def test_an_infinite_time_limit_is_allowed(case, tmp_path):
    code, _, stderr = invoke("solve", case, "--time-limit", "inf", "--workers", "1", "--out", tmp_path / "out", "-q")
    assert code == 0, stderr


def test_negative_workers_are_refused(case, tmp_path):
    """Found: --workers -3 silently meant every core."""
    code, _, stderr = invoke("solve", case, "--workers", "-3", "--out", tmp_path / "out")
    assert_one_line_error(code, stderr, 2, "--workers", "0 (every core)")


@pytest.mark.parametrize("seed", ["99999999999999999999", "2147483648", "-1"])
def test_a_seed_outside_the_solvers_range_is_refused(case, tmp_path, seed):
    """Found: --seed 99999999999999999999 crashed inside CP-SAT with a traceback."""
    code, _, stderr = invoke("solve", case, "--seed", seed, "--out", tmp_path / "out")
    assert_one_line_error(code, stderr, 2, "--seed")


def test_every_command_takes_h_and_version():
    """Found: no --version, and -h refused."""
    names = sorted(c.name or c.callback.__name__ for c in cli.app.registered_commands)
    assert {"solve", "audit", "check", "explain", "plan", "report"} <= set(names)
    from planner._version import __version__
    for name in ["", *names]:
        args = [name] if name else []
        code, out, stderr = invoke(*args, "-h")
        assert code == 0 and "Usage" in out, (name, stderr)
        code, out, stderr = invoke(*args, "--version")
        assert (code, out.strip()) == (0, f"planner {__version__}"), (name, stderr)


def test_a_choice_option_of_a_subcommand_is_a_usage_error():
    for args in (["robust", "x.toml", "--executor", "threads"], ["sweep", "x.toml", "--executor", ""],
                 ["equity", "x.toml", "--index", "gini"], ["robust", "x.toml", "--margins", "some"],
                 ["explain", "x.toml", "--force", "sideways"]):
        code, _, stderr = invoke(*args)
        assert_one_line_error(code, stderr, 2, args[-2])


# --------------------------------------------------------------------------- scenario typos
def test_a_misspelt_switch_value_is_refused_with_the_nearest(tmp_path):
    """Found: about_n = "softband" dropped every rule that reads the switch; exit 0."""
    switched_base(tmp_path)
    code, _, stderr = invoke("check", child(tmp_path, '[switches]\nband = "sotf"\n'))
    assert_one_line_error(code, stderr, 2, "child.toml", "switches.band", "'sotf'", "是否应为“soft”？")


def test_a_misspelt_switch_name_is_refused_with_the_nearest(tmp_path):
    switched_base(tmp_path)
    code, _, stderr = invoke("check", child(tmp_path, '[switches]\nbnad = "hard"\n'))
    assert_one_line_error(code, stderr, 2, '开关 "bnad"，没有规则或 [plan] 的值读它', "是否应为“band”？")


def test_a_when_value_no_switch_has_is_refused(tmp_path):
    """Found: a `when` typo made a rule that never exists; exit 0."""
    switched_base(tmp_path)
    path = child(tmp_path, '\n[[rule]]\nid = "extra"\nwhen = { band = "hrad" }\nmax = 3\n')
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "child.toml:4:", "规则[extra] 的 when", "band = 'hrad'，开关没有这个取值",
                          "是否应为“hard”？")


def test_switching_off_a_rule_that_is_not_there_is_refused(tmp_path):
    """Found: `enabled = false` on a misspelt rule id removed nothing; exit 0."""
    switched_base(tmp_path)
    code, _, stderr = invoke("check", child(tmp_path, '\n[[rule]]\nid = "cpa"\nenabled = false\n'))
    assert_one_line_error(code, stderr, 2, "child.toml:4:", "规则[cpa]，所扩展的文件中没有这条规则", "是否应为“cap”？")


def test_switching_off_a_rule_that_is_there_still_works(tmp_path):
    switched_base(tmp_path)
    code, out, stderr = invoke("check", child(tmp_path, '\n[[rule]]\nid = "cap"\nenabled = false\n'))
    assert code == 0 and "0 条规则" in out, stderr


def test_the_bundled_scenarios_declare_their_switch_choices():
    """Every reading the README's switch table names is a declared choice (so none is refused)."""
    for value in ("non_higher", "all", "soft_band", "hard_band", "exact", "at_most", "cap", "hard", "cap_only",
                  "paced", "literal", "off", "soft", "pool"):
        assert f'"{value}"' in (REPO / "scenarios" / "jilin-base.toml").read_text("utf-8")
    code, _, stderr = invoke("check", REPO / "scenarios" / "jilin-2023.toml")
    assert code == 0, stderr


@pytest.mark.parametrize("text, fragment", [
    ("max = 1e300", "max = 1e+300"),
    ("max = 9223372036854775807", "max = 9223372036854775807"),
    ("min = 1\nsoft = { weight = 1e300 }", "weight = 1e+300"),
    ('per = ["locality"]\nmax = { "长春市" = 1e300 }', '1e+300'),
])
def test_huge_numbers_in_a_scenario_are_located_errors(tmp_path, text, fragment):
    """Found: max = 1e300, max = 9223372036854775807, soft weight 1e300 crashed in CP-SAT (exit 1)."""
    switched_base(tmp_path)
    code, _, stderr = invoke("check", child(tmp_path, f'\n[[rule]]\nid = "big"\n{text}\n'))
    assert_one_line_error(code, stderr, 2, "child.toml:4:", "规则[big] 的", fragment, "1e+06")


def test_a_number_just_under_the_bound_solves(tmp_path):
    """The bound is not too tight: a soft minimum of 999999.5 with weight 999999 solves (1e9 overflowed)."""
    switched_base(tmp_path)
    path = child(tmp_path, '\n[[rule]]\nid = "big"\nmeasure = "sum:score"\nmin = 999999.5\n'
                           'soft = { weight = 999999 }\n')
    code, _, stderr = invoke("solve", path, "--out", tmp_path / "out", "--workers", "1", "-q")
    assert code == 0, stderr


def test_a_comparison_on_a_text_column_is_refused(tmp_path):
    """Found: where = { title = { ge = 5 } } was silently accepted."""
    switched_base(tmp_path)
    path = child(tmp_path, '\n[[rule]]\nid = "t"\nwhere = { title = { ge = 5 } }\nmax = 3\n')
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "规则[t] 的 where.title", '用在文本列 "title" 上')


def test_rule_as_a_number_in_a_child_is_refused(tmp_path):
    """Found: `rule = 5` in a child was silently ignored."""
    switched_base(tmp_path)
    code, _, stderr = invoke("check", child(tmp_path, "rule = 5\n"))
    assert_one_line_error(code, stderr, 2, "child.toml:2:rule", "rule = 5", "[[rule]]")


def test_errors_are_said_in_the_file_and_line_where_they_are(tmp_path):
    """Found: a child's unknown key reported at base length + child line; a base's error under the child's name."""
    folder = tmp_path
    write_csv(folder / "candidates.csv", ROWS)
    (folder / "base.toml").write_text('name = "b"\nyear = 2023\ncandidates = "candidates.csv"\n\n[[rule]]\n'
                                      'id = "in-base"\nmax = 3\nfoo = 1\n', "utf-8")
    path = child(folder, '\n\n[[rule]]\nid = "in-child"\nmax = 2\nbar = 1\n')
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2)
    assert "base.toml:6:规则[in-base] 的 foo" in stderr
    assert "child.toml:5:规则[in-child] 的 bar" in stderr


def test_a_year_given_as_text_is_one_error_not_two(tmp_path):
    """Found: year = "2023" added a spurious "year 0 outside period" line."""
    (tmp_path / "s.toml").write_text('year = "2023"\nperiod = [2023, 2025]\n', "utf-8")
    code, _, stderr = invoke("check", tmp_path / "s.toml")
    assert_one_line_error(code, stderr, 2, "year = '2023'")
    assert "year 0" not in stderr and len(stderr.strip().splitlines()) == 1


def test_a_symlink_loop_in_extends_or_candidates_is_a_located_error(tmp_path):
    """Found: a symlink loop in `extends` or `candidates` crashed with a traceback."""
    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    (tmp_path / "s.toml").write_text('extends = "a.toml"\n', "utf-8")
    code, _, stderr = invoke("check", tmp_path / "s.toml")
    assert_one_line_error(code, stderr, 2, "s.toml", "extends", "loop")
    (tmp_path / "x.csv").symlink_to(tmp_path / "y.csv")
    (tmp_path / "y.csv").symlink_to(tmp_path / "x.csv")
    (tmp_path / "t.toml").write_text('year = 2023\ncandidates = "x.csv"\n', "utf-8")
    code, _, stderr = invoke("check", tmp_path / "t.toml")
    assert_one_line_error(code, stderr, 2, "t.toml", "candidates", "loop")


def test_an_extends_chain_1100_deep_is_a_located_error(tmp_path):
    """Found: an extends chain 1,100 deep crashed (RecursionError)."""
    (tmp_path / "d0.toml").write_text('year = 2023\n', "utf-8")
    for i in range(1, 1101):
        (tmp_path / f"d{i}.toml").write_text(f'extends = "d{i - 1}.toml"\n', "utf-8")
    code, _, stderr = invoke("check", tmp_path / "d1100.toml")
    assert_one_line_error(code, stderr, 2, "d1100.toml", "extends", "extends 链超过 32 层")


def test_an_unreadable_candidates_file_is_a_located_error(case, monkeypatch):
    """Found: an unreadable candidates file named in the scenario crashed with a traceback.
    (Permission bits do not stop root, so the read is made to fail as it does for a user.)"""
    table = case.parent / "candidates.csv"
    real = Path.read_bytes

    def read_bytes(self):
        if self == table:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    code, _, stderr = invoke("check", case)
    assert_one_line_error(code, stderr, 2, "candidates.csv", "cannot be read", "Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permission bits")
def test_an_unreadable_scenario_is_a_located_error(case):
    case.chmod(0)
    try:
        done = run_cli("check", case)
    finally:
        case.chmod(0o644)
    assert_one_line_error(done.returncode, done.stderr, 2, "scenario.toml", "cannot be read")


# --------------------------------------------------------------------------- tables
def test_a_huge_cost_in_the_table_is_a_located_error(tmp_path):
    """Found: a candidate cost of 1e300 in the funded scenario: "CP-SAT says a core model is invalid"."""
    rows = [dict(r, cost=1e300 if r["candidate_id"] == "C4" else r["cost"]) for r in ROWS]
    pool = {"id": "pool", "clause": "二(三)", "measure": "sum:cost", "max": 40}
    path = write_case(tmp_path / "c", rows, {"rule": [pool]})
    code, _, stderr = invoke("solve", path, "--out", tmp_path / "out")
    assert_one_line_error(code, stderr, 2, "candidates.csv:6:cost", "1000000000", "1e+06")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad_id, fragment", [("C\u200b4", "invisible character U+200B"),
                                              ("\u04214", "Cyrillic letter")])
def test_ids_with_invisible_or_look_alike_characters_are_refused(tmp_path, bad_id, fragment):
    """Found: ids with an inner zero-width space or a Cyrillic С were distinct from their Latin twins."""
    rows = [dict(r, candidate_id=bad_id) if r["candidate_id"] == "C4" else r for r in ROWS]
    path = write_case(tmp_path / "c", rows, {"rule": [CAP]})
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "candidates.csv:6:candidate_id", fragment)


def _xlsx(path: Path, rows: list[dict], *, edit=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "candidates"
    columns = list(rows[0])
    ws.append(columns)
    for r in rows:
        ws.append([r[c] for c in columns])
    if edit:
        edit(ws, columns)
    wb.save(path)
    return path


def test_a_score_formatted_as_a_percentage_is_refused_like_the_same_text_in_a_csv(tmp_path):
    """Found: 0.967 formatted 0.0 % (shows 96.7 %) was read as 0.967; "96.7%" in a CSV is exit 2."""
    def percent(ws, columns):
        cell = ws.cell(row=3, column=columns.index("score") + 1)
        cell.value, cell.number_format = 0.967, "0.0%"

    folder = tmp_path / "c"
    path = write_case(folder, ROWS, {"rule": [CAP]}, candidates="candidates.xlsx")
    _xlsx(folder / "candidates.xlsx", ROWS, edit=percent)
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "candidates.xlsx:3:score", "96.7%")
    write_csv(folder / "same.csv", [dict(r, score="96.7%") if r["candidate_id"] == "C1" else r for r in ROWS])
    code, _, stderr = invoke("check", path, "--candidates", folder / "same.csv")
    assert_one_line_error(code, stderr, 2, "same.csv:3:score")


def test_hidden_rows_are_refused(tmp_path):
    """Found: hidden rows were included without a word."""
    def hide(ws, columns):
        ws.row_dimensions[4].hidden = True

    folder = tmp_path / "c"
    path = write_case(folder, ROWS, {"rule": [CAP]}, candidates="candidates.xlsx")
    _xlsx(folder / "candidates.xlsx", ROWS, edit=hide)
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "candidates.xlsx:4", "hidden row 4")


def test_an_xlsx_that_inflates_past_the_bound_is_refused_unread(tmp_path, monkeypatch):
    """Found: a 2.2 MB xlsx inflating to a 2 GiB sheet was read for 31 s at 5.8 GB. Here the bound
    is lowered to 64 kB so that an ordinary workbook plays the bomb (a real 2 GiB one: README)."""
    from planner.inputs import candidate_files
    folder = tmp_path / "c"
    path = write_case(folder, ROWS * 1, {"rule": [CAP]}, candidates="candidates.xlsx")
    _xlsx(folder / "candidates.xlsx", ROWS)
    monkeypatch.setattr(candidate_files, "MAX_XLSX_INFLATED", 1024)
    start = time.process_time()
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "candidates.xlsx", "inflates to")
    assert time.process_time() - start < 5


# --------------------------------------------------------------------------- other crashes
@pytest.mark.parametrize("exc, code, fragment", [
    (MemoryError(), 2, "too large for this computer's memory"),
    (RecursionError("maximum recursion depth exceeded"), 2, "nested too deep"),
    (OSError(28, "No space left on device", "out/slate.csv"), 2, "No space left on device"),
    (ZeroDivisionError("division by zero"), 70, "internal error"),
])
def test_uncaught_exceptions_end_in_one_line_and_a_readme_code(case, tmp_path, monkeypatch, exc, code, fragment):
    """Found: MemoryError on a zip bomb and other exceptions printed a traceback (exit 1)."""
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(api, "solve", boom)
    got, _, stderr = invoke("solve", case, "--out", tmp_path / "out")
    assert_one_line_error(got, stderr, code, fragment)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- output folders
def test_an_output_path_that_is_a_file_is_called_a_file(case, tmp_path):
    """Found: an output path that is a file was called "a folder"."""
    (tmp_path / "taken").write_text("mine")
    code, _, stderr = invoke("solve", case, "--out", tmp_path / "taken", "--workers", "1")
    assert_one_line_error(code, stderr, 2, "found a file")
    assert (tmp_path / "taken").read_text() == "mine"


def test_an_output_path_that_is_a_fifo_is_called_a_fifo(case, tmp_path):
    """Found: a FIFO was called "a directory"."""
    os.mkfifo(tmp_path / "pipe")
    code, _, stderr = invoke("solve", case, "--out", tmp_path / "pipe", "--workers", "1")
    assert_one_line_error(code, stderr, 2, "FIFO", "not a folder")


def test_a_second_writer_of_the_same_folder_exits_2(case, tmp_path):
    """Found: two solves into one folder interleaved their files (slate.csv disagreeing with
    summary.json), both exit 0. Another process holds the folder's lock; the CLI is refused."""
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from planner.show.staging import output_folder
        with output_folder({str(out)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        done = run_cli("solve", case, "--out", out, "--workers", "1")
    finally:
        holder.kill()
        holder.wait()
    assert_one_line_error(done.returncode, done.stderr, 2, "another planner run is writing")
    assert not out.exists() or tree(out) == {}


def test_a_folder_is_replaced_as_a_whole(case, tmp_path, monkeypatch):
    """A second solve into a folder swaps the new folder in at once (one rename), keeping files of
    the folder it does not write; a failure before the swap leaves the old folder byte for byte."""
    out = tmp_path / "out"
    assert invoke("solve", case, "--out", out, "--workers", "1", "-q")[0] == 0
    (out / "notes.txt").write_text("mine")
    before = tree(out)
    swaps = []
    real = staging._commit
    monkeypatch.setattr(staging, "_commit", lambda stage, target: (swaps.append(target), real(stage, target)))
    assert invoke("solve", case, "--out", out, "--workers", "1", "-q", "--force-out", "C8")[0] == 0
    assert swaps == [out.absolute()]
    after = tree(out)
    assert after["notes.txt"] == b"mine" and after["slate.csv"] != before["slate.csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ctrl_c_while_the_briefing_is_written_keeps_the_old_folder_whole(case, tmp_path, monkeypatch):
    """Found: with --report, an interrupt left a new slate.csv beside the old briefing."""
    out = tmp_path / "out"
    (out).mkdir()
    (out / "briefing.html").write_text("old briefing")
    (out / "slate.csv").write_text("old slate")
    before = tree(out)
    import planner.show as show

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(show, "write_briefing", interrupted, raising=False)
    code, _, stderr = invoke("solve", case, "--out", out, "--workers", "1", "--report")
    assert_one_line_error(code, stderr, 130, "中断：已按 Ctrl-C 停止，未写入任何文件")
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


_INTERRUPT_WHILE_STAGING = """
import os, signal, sys
from planner.show import files
real, calls = files._write_file, []
def write_then_interrupt(path, data, **kw):
    calls.append(path)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGINT)      # a real Ctrl-C, after CP-SAT has run
    return real(path, data, **kw)
files._write_file = write_then_interrupt
from planner.cli import main
main(sys.argv[1:])
"""


def test_a_real_ctrl_c_while_outputs_are_staged_after_the_solve_exits_130_and_leaves_nothing(case, tmp_path):
    """Found: after CpSolver.Solve() SIGINT was no longer caught (CP-SAT resets it to the system
    default): an interrupt while outputs were staged killed the process with no message and left
    `.NAME.tmp-*` beside the output folder."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", _INTERRUPT_WHILE_STAGING, "solve", str(case), "--out", str(out),
                           "--workers", "1"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert_one_line_error(done.returncode, done.stderr, 130, "中断：已按 Ctrl-C 停止，未写入任何文件")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def test_sigint_is_python_s_again_after_a_solve_through_the_cli(case, tmp_path):
    """The C-level SIGINT handler is Python's again once the CLI has solved (the fix's mechanism)."""
    script = textwrap.dedent("""
        import os, signal, sys
        from planner import api
        from planner.cli._common import restore_sigint
        api.solve(sys.argv[1], workers=1)
        restore_sigint()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            import time; time.sleep(1)
        except KeyboardInterrupt:
            print("caught")
    """)
    done = subprocess.run([sys.executable, "-c", script, str(case)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "caught", (done.returncode, done.stderr)


def test_without_choices_a_near_miss_is_a_typo_and_a_far_value_switches_off(tmp_path):
    """A scenario that declares no [choices]: "sotf" for "soft" is refused; "none", far from every
    value the rules name, switches both variants off (0 rules), as a deliberate value would."""
    switched_base(tmp_path, declared=False)
    code, _, stderr = invoke("check", child(tmp_path, '[switches]\nband = "sotf"\n'))
    assert_one_line_error(code, stderr, 2, "switches.band", "是否应为“soft”？")
    code, out, stderr = invoke("check", child(tmp_path, '[switches]\nband = "none"\n', "off.toml"))
    assert code == 0 and "0 条规则" in out, stderr
    path = child(tmp_path, '\n[[rule]]\nid = "extra"\nwhen = { band = "hrad" }\nmax = 3\n', "when.toml")
    code, _, stderr = invoke("check", path)
    assert_one_line_error(code, stderr, 2, "规则[extra] 的 when", "是否应为“hard”？")
