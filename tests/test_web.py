"""The what-if page (`planner.web`) through FastAPI's TestClient, on a round small enough to solve by hand.

The round: 长春市 a1–a4 (90, 80, 70, 60), 吉林市 b1–b2 (85, 75); rule "cap" allows 长春市 2 and
every other locality 1; rule "floor" asks for at least 2 in the province; rule "per-unit"
allows 10 per school (never binding: one school files all six). So the base slate is a1, a2,
b1 (3 selected, 255 points); 长春市 3 lets a3 (70) in; "*" 2 lets b2 (75) in; 长春市 0 with
every other locality 0 leaves nobody, against the floor of 2: infeasible. Messages for bad
edits are compared with what the library itself raises for the same `with_bound`.
"""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from conftest import row, write_csv

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from planner import api
from planner.errors import PolicyError
from planner.rules import load_scenario
from planner.web import BoundEdit, Workspaces, apply_edits, create_app, read_form
from planner.web.edits import edit_lines

SCENARIO = """\
name = "小轮次"
year = 2023
candidates = "candidates.csv"

[[rule]]
id = "cap"
clause = "三(三)"
text = "长春市推荐不超过2个，其他市（州）不超过1个"
where = { task = "practice_centre" }
per = ["locality"]
max = { "长春市" = 2, "*" = 1 }

[[rule]]
id = "floor"
clause = "三(三)"
text = "全省至少推荐2个"
where = { task = "practice_centre" }
min = 2

[[rule]]
id = "per-unit"
clause = "三(三)"
text = "每校不超过10个"
where = { task = "practice_centre" }
per = ["unit_id"]
max = 10
"""
ROWS = [row("a1", score=90), row("a2", score=80), row("a3", score=70), row("a4", score=60),
        row("b1", locality="吉林市", score=85), row("b2", locality="吉林市", score=75)]
HX = {"HX-Request": "true"}
CAP_CC = "max::cap::长春市"
CAP_REST = "max::cap::*"


def write_round(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "candidates.csv", ROWS)
    path = folder / "small.toml"
    path.write_text(SCENARIO, "utf-8")
    return path


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory) -> Path:
    return write_round(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_sessions=50, diagnose_s=10)
    with TestClient(create_app(store), base_url="http://127.0.0.1") as c:
        yield c


def open_workspace(client) -> str:
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200
    return re.search(r"/w/([^/]+)/", str(page.url)).group(1)


def text_of(response) -> str:
    return html.unescape(response.text)


def n_selected(response) -> int:
    return int(re.search(r'id="n-selected" data-value="(\d+)"', response.text).group(1))


def part(text: str, start: str, end: str) -> str:
    """The text between two markers (the markers must exist)."""
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


def solve(client, wid: str, fields: dict[str, str], **kw):
    return client.post(f"/w/{wid}/solve", data=fields, headers=HX, **kw)


# --- reading the form ----------------------------------------------------------------------------

def test_read_form_keeps_only_what_differs_from_the_base(scenario_path):
    base = load_scenario(scenario_path)
    edits, note = read_form({CAP_CC: "3", CAP_REST: "1", "min::floor::*": "2", "max::floor::*": "",
                             "note": " 会上提议 "}, base)
    assert note == "会上提议"
    assert edits == [BoundEdit("cap", "max", "长春市", 2.0, 3, "会上提议")]
    assert edits[0].text(base) == "规则「cap」（三(三)）长春市 上限 2 → 3（会上提议）"


def test_read_form_reads_a_new_group_and_an_emptied_bound(scenario_path):
    base = load_scenario(scenario_path)
    edits, _ = read_form({"new::per-unit::group": "U1", "new::per-unit::max": "4", "new::per-unit::min": "",
                          "min::floor::*": ""}, base)
    assert [(e.rule_id, e.bound, e.group, e.old, e.new) for e in edits] == [
        ("floor", "min", "*", 2.0, None), ("per-unit", "max", "U1", None, 4)]


def test_a_locality_alias_in_a_new_group_reads_as_the_locality(scenario_path):
    base = load_scenario(scenario_path)
    edits, _ = read_form({"new::cap::group": "长春", "new::cap::max": "4"}, base)
    assert [(e.group, e.old, e.new) for e in edits] == [("长春市", 2.0, 4)]


def test_edit_lines_are_the_scenarios_own_record_worded_as_the_page_words_them(scenario_path):
    import planner as pl
    base = load_scenario(scenario_path)
    edits = [BoundEdit("cap", "max", "*", 1, 2, "多一个")]
    changed = apply_edits(base, edits)
    assert edit_lines(changed, edits, base) == pl.describe_edits(changed) == [edits[0].text(base)]
    assert edits[0].text(base) == "规则「cap」（三(三)）其他各组 上限 1 → 2（多一个）"
    assert edit_lines(base, edits, base) == [edits[0].text(base)]      # a scenario that records none


def test_apply_edits_is_with_bound(scenario_path):
    base = load_scenario(scenario_path)
    edits = [BoundEdit("cap", "max", "长春市", 2, 3), BoundEdit("cap", "max", "*", 1, 2)]
    assert apply_edits(base, edits) == base.with_bound("cap", "max", 3, group="长春市").with_bound("cap", "max", 2)


# --- the page ------------------------------------------------------------------------------------

def test_each_visit_opens_its_own_workspace_with_the_rules_editable(client):
    first, second = open_workspace(client), open_workspace(client)
    assert first != second
    page = text_of(client.get(f"/w/{first}/"))
    assert "小轮次" in page and "长春市推荐不超过2个，其他市（州）不超过1个" in page
    assert re.search(r'name="max::cap::长春市" value="2"', page)
    assert re.search(r'name="max::cap::\*" value="1"', page)
    assert re.search(r'name="min::floor::\*" value="2"', page)
    assert "三(三)" in page and "本页只在本机提供（127.0.0.1）" in page


def test_the_base_round_is_solved_for_the_page(client):
    wid = open_workspace(client)
    base = client.get(f"/w/{wid}/trial/0", headers=HX)
    assert base.status_code == 200
    assert n_selected(base) == 3                                  # a1, a2, b1
    assert 'id="total-score">255<' in base.text
    assert "最优（已证明）" in text_of(base)


def test_solve_shows_the_headline_the_movers_and_keeps_the_whatif(client):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "3", "note": "长春多一个"})
    assert answer.status_code == 200
    text = text_of(answer)
    assert n_selected(answer) == 4                                # a3 (70) enters
    assert 'id="total-score">325<' in answer.text                 # 255 + 70
    assert "规则「cap」（三(三)）长春市 上限 2 → 3（长春多一个）" in text
    entered = part(text, "新入选（1）", "</details>")
    assert "a3" in entered and "a4" not in entered
    assert "落选（0）" in text
    localities = part(text, "各地区入选数变化", "</table>")
    assert re.search(r"长春市</td><td[^>]*>2</td><td[^>]*>3</td><td[^>]*>\+1<", localities)
    assert "吉林市" not in localities                             # unchanged localities are left out
    listed = part(text, 'id="trial-list"', "</table>")            # the list, swapped out of band
    assert "方案1" in listed and "基准" in listed and "长春多一个" in listed


def test_binding_changes_are_shown(client):
    wid = open_workspace(client)
    text = text_of(solve(client, wid, {CAP_CC: "3"}))
    binding = part(text, "约束松紧变化（", "</details>")
    # 长春市 was full at 2 of 2 and is full again at 3 of 3: no change; nothing else moves
    assert "约束松紧变化（0）" in binding
    text = text_of(solve(client, wid, {CAP_CC: "5"}))            # 4 candidates, room for 5: no longer full
    binding = part(text, "约束松紧变化（", "</details>")
    assert "约束松紧变化（1）" in binding and "不再是紧约束" in binding and "长春市" in binding


@pytest.mark.parametrize("fields, call", [
    ({CAP_CC: "-1"}, ("cap", "max", -1, "长春市")),                        # negative
    ({"min::cap::*": "5"}, ("cap", "min", 5, "*")),                          # min > max
    ({"new::cap::group": "上海市", "new::cap::max": "3"}, ("cap", "max", 3, "上海市")),   # unknown locality
    ({CAP_REST: "很多"}, ("cap", "max", "很多", "*")),                       # not a number
])
def test_a_bad_edit_is_answered_with_the_libraries_message(client, scenario_path, fields, call):
    with pytest.raises(PolicyError) as expected:
        load_scenario(scenario_path).with_bound(call[0], call[1], call[2], group=call[3])
    wid = open_workspace(client)
    answer = solve(client, wid, fields)
    assert answer.status_code == 422
    text = text_of(answer)
    assert "改动未被接受" in text
    for line in expected.value.lines():
        assert line in text
    assert "方案1" not in text_of(client.get(f"/w/{wid}/"))     # nothing added to the list


def test_a_group_the_rule_does_not_have_is_refused(client, scenario_path):
    # the library takes any key for a per-unit rule; the page names the groups this round has
    wid = open_workspace(client)
    answer = solve(client, wid, {"new::per-unit::group": "U999", "new::per-unit::max": "3"})
    assert answer.status_code == 422
    assert 'group "U999", expected a group of rule "per-unit" in this round' in text_of(answer)


def test_a_form_without_changes_is_refused(client):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "2", CAP_REST: "1"})
    assert answer.status_code == 422 and "没有改动" in text_of(answer)


def test_an_infeasible_whatif_shows_the_conflict_and_the_advice(client):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "0", CAP_REST: "0"})
    assert answer.status_code == 200
    text = text_of(answer)
    assert "无可行方案" in text
    conflict = part(text, "<h4>冲突</h4>", "</ul>")
    assert '"floor"' in conflict and '"cap"' in conflict
    advice = part(text, 'id="advice"', "</ol>")
    # two units short: raise a cap by 2 in all, or lower the floor by 2
    assert re.search(r'(raise the maximum of rule "cap"|lower the minimum of rule "floor" \(三\(三\)\) from 2 to 0)',
                     advice)
    listed = part(text, 'id="trial-list"', "</table>")
    assert "方案1" in listed and "无可行方案" in listed
    summary = client.get(f"/w/{wid}/trial/1/summary.json").json()
    assert summary["status"] == "INFEASIBLE" and summary["advice"]


def test_two_whatifs_compare_pairwise(client):
    wid = open_workspace(client)
    solve(client, wid, {CAP_CC: "3"})                            # 方案1: a3 in
    solve(client, wid, {CAP_REST: "2"})                          # 方案2: b2 in (each from the base)
    answer = client.get(f"/w/{wid}/compare", params={"a": 1, "b": 2}, headers=HX)
    assert answer.status_code == 200
    text = text_of(answer)
    assert "比较：方案1 → 方案2" in text
    assert "选中 4 → 4（+0），评审总分 325 → 330（+5）" in text
    assert "a3" in part(text, "落选（1）", "</details>")
    assert "b2" in part(text, "新入选（1）", "</details>")
    localities = part(text, "各地区入选数变化", "</table>")
    assert re.search(r"长春市</td><td[^>]*>3</td><td[^>]*>2</td><td[^>]*>-1<", localities)
    assert re.search(r"吉林市</td><td[^>]*>1</td><td[^>]*>2</td><td[^>]*>\+1<", localities)


def test_downloads_of_a_whatif(client, tmp_path):
    wid = open_workspace(client)
    solve(client, wid, {CAP_CC: "3", "note": "会上提议"})
    toml = client.get(f"/w/{wid}/trial/1/scenario.toml")
    assert toml.status_code == 200 and "attachment" in toml.headers["content-disposition"]
    text = toml.content.decode("utf-8")
    assert "情景推演" in text and "三(三)" in text and "会上提议" in text       # the edit, its clause and note
    extends = re.search(r'^extends = "([^"]+)"', text, re.M).group(1)
    assert Path(extends).is_absolute() and Path(extends).samefile(client.app.state.workspaces.scenario.source)
    path = tmp_path / "elsewhere" / "whatif.toml"                      # saved anywhere, it still loads
    path.parent.mkdir()
    path.write_bytes(toml.content)
    loaded = load_scenario(path)
    assert loaded.rule("cap").max.for_group("长春市") == 3 and loaded.rule("cap").max.for_group("吉林市") == 1
    slate = api.solve(loaded).slate
    assert sorted(slate.loc[slate["selected"] == 1, "candidate_id"]) == ["a1", "a2", "a3", "b1"]

    xlsx = client.get(f"/w/{wid}/trial/1/slate.xlsx")
    assert xlsx.status_code == 200
    import openpyxl
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row >= 7                                    # a header and the six candidates

    summary = client.get(f"/w/{wid}/trial/1/summary.json").json()
    assert summary["selected"] == ["a1", "a2", "a3", "b1"] and summary["edits"][0]["note"] == "会上提议"


@pytest.mark.slow
def test_briefing_download(client):
    wid = open_workspace(client)
    solve(client, wid, {CAP_CC: "3"})
    page = client.get(f"/w/{wid}/trial/1/briefing.html")
    assert page.status_code == 200 and page.text.lstrip().lower().startswith("<!doctype html")
    assert "data:image/png;base64," in page.text
    assert "情景推演" in page.text and "上限 2 → 3" in page.text        # marked as a what-if, with its edit


def test_workspaces_do_not_see_each_others_whatifs(client):
    one, two = open_workspace(client), open_workspace(client)
    solve(client, one, {CAP_CC: "3"})
    assert client.get(f"/w/{two}/trial/1", headers=HX).status_code == 404
    assert "方案1" not in part(text_of(client.get(f"/w/{two}/")), 'id="trial-list"', "</table>")
    solve(client, two, {CAP_REST: "2"})
    first = client.get(f"/w/{one}/trial/1/summary.json").json()
    second = client.get(f"/w/{two}/trial/1/summary.json").json()
    assert first["selected"] == ["a1", "a2", "a3", "b1"] and second["selected"] == ["a1", "a2", "b1", "b2"]


def test_unknown_workspace_and_trial_are_not_found(client):
    assert client.get("/w/nonexistent/").status_code == 404
    assert "打开一个新的情景推演会话" in text_of(client.get("/w/nonexistent/"))
    wid = open_workspace(client)
    assert client.get(f"/w/{wid}/trial/9", headers=HX).status_code == 404
    assert client.get(f"/w/{wid}/trial/0/nothing.bin").status_code == 404


def test_without_htmx_the_form_posts_and_the_whole_page_comes_back(client):
    wid = open_workspace(client)
    page = client.post(f"/w/{wid}/solve", data={CAP_CC: "3"})
    assert page.status_code == 200 and page.text.lstrip().startswith("<!doctype html>")
    assert n_selected(page) == 4 and 'name="max::cap::长春市"' in page.text
    bad = client.post(f"/w/{wid}/solve", data={CAP_CC: "-2"})
    assert bad.status_code == 422 and "<!doctype html>" in bad.text and "改动未被接受" in text_of(bad)


def test_the_page_works_offline(client):
    page = client.get(f"/w/{open_workspace(client)}/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources)            # nothing from another site
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:200]
    assert client.get("/static/page.css").status_code == 200


def test_a_foreign_host_header_is_refused(client):
    assert client.get("/healthz", headers={"host": "evil.example"}).status_code == 400


def test_workspaces_are_bounded(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_sessions=2)
    first, second = store.create(), store.create()
    third = store.create()                         # replaces the least recently used idle one
    assert store.get(first.id) is None and store.get(second.id) is second and len(store) == 2
    with second.lock, third.lock:                  # both solving: no room for another
        with pytest.raises(Exception, match="all 2 workspaces are solving"):
            store.create()
        with TestClient(create_app(store), base_url="http://127.0.0.1") as c:
            assert c.get("/", follow_redirects=False).status_code == 503


def test_a_workspace_keeps_its_latest_whatifs(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_trials=3)
    ws = store.create()
    for value in (3, 4, 5, 6):
        ws.solve([BoundEdit("cap", "max", "长春市", 2, value)])
    assert [t.number for t in ws.trials] == [0, 3, 4]            # the base and the latest two
