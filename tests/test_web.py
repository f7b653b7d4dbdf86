"""The what-if page (`planner.web`) through FastAPI's TestClient, on a round small enough to solve by hand.

The round: 长春市 a1–a4 (90, 80, 70, 60), 吉林市 b1–b2 (85, 75); rule "cap" allows 长春市 2 and
every other locality 1; rule "floor" asks for at least 2 in the province; rule "per-unit"
allows 10 per school (never binding: one school files all six). So the base slate is a1, a2,
b1 (3 selected, 255 points); 长春市 3 lets a3 (70) in; "*" 2 lets b2 (75) in; 长春市 0 with
every other locality 0 leaves nobody, against the floor of 2: infeasible. Messages for bad
edits are compared with what the library itself raises for the same `with_bound`.

A page opens a workspace the way a browser does: ``GET /`` (which creates nothing), then a POST
carrying the page's token (`open_workspace`); every later POST carries the workspace's token.
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

JILIN = Path(__file__).resolve().parents[1] / "scenarios" / "jilin-2023.toml"

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


TOKENS: dict[str, str] = {}


def token_of(page_text: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page_text).group(1)


def open_workspace(client) -> str:
    first = client.get("/")
    assert first.status_code == 200
    page = client.post("/new", data={"token": token_of(first.text)}, follow_redirects=True)
    assert page.status_code == 200
    wid = re.search(r"/w/([^/]+)/", str(page.url)).group(1)
    TOKENS[wid] = token_of(page.text)
    return wid


def text_of(response) -> str:
    return html.unescape(response.text)


def n_selected(response) -> int:
    return int(re.search(r'id="n-selected" data-value="(\d+)"', response.text).group(1))


def english_sentences(text: str) -> list[str]:
    """Runs of two or more English words in the text a person reads ("a number", "no slate
    satisfies"; tags and their attributes left out; a rule id or a file name is not one)."""
    shown = re.sub(r"<[^>]+>", " ", html.unescape(text))
    return re.findall(r"(?<![\w.-])[A-Za-z]+(?:[ ,;]+[A-Za-z]+)+(?![\w.-])", shown)


def part(text: str, start: str, end: str) -> str:
    """The text between two markers (the markers must exist)."""
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


def solve(client, wid: str, fields: dict[str, str], **kw):
    return client.post(f"/w/{wid}/solve", data={"token": TOKENS[wid], **fields}, headers=HX, **kw)


# --- reading the form ----------------------------------------------------------------------------

def test_read_form_keeps_only_what_differs_from_the_base(scenario_path):
    base = load_scenario(scenario_path)
    edits, note = read_form({CAP_CC: "3", CAP_REST: "1", "min::floor::*": "2", "max::floor::*": "",
                             "note": " 会上提议 "}, base)
    assert note == "会上提议"
    assert edits == [BoundEdit("cap", "max", "长春市", 2.0, 3, "会上提议")]
    assert edits[0].text(base) == "三(三)「长春市推荐不超过2个，其他市（州）不超过1个」长春市 上限 2 → 3（会上提议）"


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


def test_edit_lines_name_the_rule_by_clause_and_words_and_the_group_by_name(scenario_path):
    base = load_scenario(scenario_path)
    edits = [BoundEdit("cap", "max", "*", 1, 2, "多一个"), BoundEdit("per-unit", "max", "U1", None, 4)]
    assert edit_lines(edits, base, {"per-unit": {"U1": "长春职业技术学院"}}) == [
        "三(三)「长春市推荐不超过2个，其他市（州）不超过1个」其他各组 上限 1 → 2（多一个）",
        "三(三)「每校不超过10个」长春职业技术学院 上限 无 → 4"]


def test_group_labels_are_the_offices_names(scenario_path):
    from planner.web.edits import group_labels
    base = load_scenario(scenario_path)
    labels = group_labels(base, {"cap": ["长春市", "吉林市"], "per-unit": ["U1"]}, {"U1": "长春职业技术学院"})
    assert labels["cap"] == {"长春市": "长春市", "吉林市": "吉林市"}
    assert labels["per-unit"] == {"U1": "长春职业技术学院"}
    # a rule per track: the catalogue's Chinese names, never the codes equipment/resource/standard
    jilin = load_scenario(JILIN)
    tracks = group_labels(jilin, {"ii-national": ["equipment", "resource", "standard"]})["ii-national"]
    assert set(tracks) == {"equipment", "resource", "standard"}
    assert all(re.fullmatch(r"[\u4e00-\u9fff（）、]+", v) for v in tracks.values()), tracks


def test_a_school_is_typed_by_part_of_its_name(scenario_path):
    base = load_scenario(scenario_path)
    labels = {"per-unit": {"U1": "长春职业技术学院", "U2": "长春汽车工业高等专科学校", "U3": "吉林工业职业技术学院"}}
    edits, _ = read_form({"new::per-unit::group": "长春职业", "new::per-unit::max": "4"}, base, labels)
    assert [(e.group, e.new) for e in edits] == [("U1", 4)]
    edits, _ = read_form({"new::per-unit::group": " 吉林工业职业技术学院 ", "new::per-unit::max": "4"}, base, labels)
    assert [e.group for e in edits] == ["U3"]                       # the whole name, blanks around it
    with pytest.raises(PolicyError) as several:                      # 长春 is in two names: pick one
        read_form({"new::per-unit::group": "长春", "new::per-unit::max": "4"}, base, labels)
    assert "“长春”同时符合 2 个分组：长春职业技术学院、长春汽车工业高等专科学校" in str(several.value)


def test_apply_edits_is_with_bound(scenario_path):
    base = load_scenario(scenario_path)
    edits = [BoundEdit("cap", "max", "长春市", 2, 3), BoundEdit("cap", "max", "*", 1, 2)]
    assert apply_edits(base, edits) == base.with_bound("cap", "max", 3, group="长春市").with_bound("cap", "max", 2)


# --- the page ------------------------------------------------------------------------------------

def test_each_session_is_its_own_workspace_with_the_rules_editable(client):
    first, second = open_workspace(client), open_workspace(client)
    assert first != second
    page = text_of(client.get(f"/w/{first}/"))
    assert "小轮次" in page and "长春市推荐不超过2个，其他市（州）不超过1个" in page
    assert re.search(r'name="max::cap::长春市" value="2"', page)
    assert re.search(r'name="max::cap::\*" value="1"', page)
    assert re.search(r'name="min::floor::\*" value="2"', page)
    assert "三(三)" in page and "本页只在本机提供（127.0.0.1）" in page
    assert "planner.Session" not in page and "Python" not in page


def test_the_use_of_each_group_is_worded_as_the_letters_word_it(client):
    # by hand: the base slate a1, a2, b1 — 长春市 2 of 2, 吉林市 (the only other locality) 1 of 1,
    # the floor counts 3, the per-school cap 3 of 10; no plan, so nothing held for later years
    page = text_of(client.get("/"))
    used = re.findall(r'class="used">([^<]*)<', page)
    assert used == ["已用 1，剩余 0", "已用 2，剩余 0", "已用 3", "已用 3，剩余 7"]


def test_rule_ids_are_only_behind_the_toggle(client):
    page = client.get("/").text
    assert "显示规则编号" in page
    visible = re.sub(r'<(code|span) class="rid">[^<]*</\1>', "", page)
    visible = re.sub(r"<[^>]+>", " ", visible)                          # the text a person reads
    assert not re.search(r"\b(cap|floor|per-unit)\b", visible)


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
    assert "三(三)「长春市推荐不超过2个，其他市（州）不超过1个」长春市 上限 2 → 3（长春多一个）" in text
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
    shown = re.sub(r"<[^>]+>", "", text)          # the rule id stands in a span the 显示规则编号 toggle shows
    for line in expected.value.lines():
        assert line in shown
    assert re.search(r'<span class="rid">\[cap\]</span>', text) or "[cap]" not in expected.value.lines()[0]
    assert english_sentences(part(answer.text, 'id="refusal"', "</div>")) == []   # the page adds no English
    assert "方案1" not in text_of(client.get(f"/w/{wid}/"))     # nothing added to the list


def test_a_group_the_rule_does_not_have_is_refused(client, scenario_path):
    # the library takes any key for a per-unit rule; the page names the groups this round has
    wid = open_workspace(client)
    answer = solve(client, wid, {"new::per-unit::group": "U999", "new::per-unit::max": "3"})
    assert answer.status_code == 422
    assert ("small.toml:三(三)「每校不超过10个」 上限：发现 分组“U999”，应为 这条规则在本轮已有的分组"
            in text_of(answer))


def test_a_form_without_changes_is_refused(client):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "2", CAP_REST: "1"})
    assert answer.status_code == 422 and "没有改动" in text_of(answer)
    assert "no bound" not in answer.text


@pytest.mark.parametrize("note, shown", [("会上\r提议", "\\r"), ("会上\x0b提议", "\\x0b"), ("会上\x00提议", "\\x00")])
def test_a_note_with_a_control_character_is_refused_located(client, note, shown):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "3", "note": note})
    assert answer.status_code == 422
    assert f"求解表单:备注：发现 控制字符 {shown}（第 3 个字符），应为 可见的文字" in text_of(answer)
    assert "方案1" not in part(text_of(client.get(f"/w/{wid}/")), 'id="trial-list"', "</table>")


def test_a_note_across_lines_is_kept_and_downloads(client):
    wid = open_workspace(client)
    assert solve(client, wid, {CAP_CC: "3", "note": "会上提议\r\n再议"}).status_code == 200     # a textarea's line end
    toml = client.get(f"/w/{wid}/trial/1/scenario.toml")
    assert toml.status_code == 200
    import tomllib
    assert tomllib.loads(toml.content.decode("utf-8"))["rule"][0]["max"]["长春市"] == 3


@pytest.mark.parametrize("note", ["a\rb", "a\x0bb", "a\x00b", "a\x7fb"])
def test_the_scenario_file_of_a_note_with_control_characters_still_writes(scenario_path, note):
    # a notebook may record any note; Scenario.to_toml writes the character as its escape
    import tomllib
    changed = load_scenario(scenario_path).with_bound("cap", "max", 3, group="长春市", note=note)
    text = changed.to_toml()
    assert repr(note)[1:-1].replace("\\\\", "\\") in text or repr(note[1])[1:-1] in text
    assert tomllib.loads(text)["rule"][0]["max"]["长春市"] == 3


def test_an_infeasible_whatif_shows_the_conflict_and_the_advice(client):
    wid = open_workspace(client)
    answer = solve(client, wid, {CAP_CC: "0", CAP_REST: "0"})
    assert answer.status_code == 200
    text = text_of(answer)
    assert "无可行方案" in text
    conflict = part(text, "<h4>冲突</h4>", "</ul>")
    # the rules by their clause and words (the library's Chinese message, shown whole)
    assert "全省至少推荐2个" in conflict and "长春市推荐不超过2个" in conflict
    advice = part(text, 'id="advice"', "</ol>")
    # two units short: raise a cap by 2 in all, or lower the floor by 2 (from 2 to 0)
    assert "2" in advice and "0" in advice and ("上限" in advice or "下限" in advice), advice
    table = part(text, "冲突中的规则组（", "</table>")
    assert "全省至少推荐2个" in table and "吉林市" in table and "长春市" in table
    assert english_sentences(part(text, 'id="failure"', "</table>")) == []       # Chinese, every line
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
    assert "回到情景推演首页" in text_of(client.get("/w/nonexistent/"))
    wid = open_workspace(client)
    assert client.get(f"/w/{wid}/trial/9", headers=HX).status_code == 404
    assert client.get(f"/w/{wid}/trial/0/nothing.bin").status_code == 404


def test_without_htmx_the_form_posts_and_the_whole_page_comes_back(client):
    wid = open_workspace(client)
    page = client.post(f"/w/{wid}/solve", data={"token": TOKENS[wid], CAP_CC: "3"})
    assert page.status_code == 200 and page.text.lstrip().startswith("<!doctype html>")
    assert n_selected(page) == 4 and 'name="max::cap::长春市"' in page.text
    bad = client.post(f"/w/{wid}/solve", data={"token": TOKENS[wid], CAP_CC: "-2"})
    assert bad.status_code == 422 and "<!doctype html>" in bad.text and "改动未被接受" in text_of(bad)


def test_the_page_works_offline(client):
    page = client.get(f"/w/{open_workspace(client)}/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources)            # nothing from another site
    script = client.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:200]
    assert client.get("/static/page.css").status_code == 200


def test_a_foreign_host_header_is_refused(client):
    refused = client.get("/healthz", headers={"host": "evil.example"})
    assert refused.status_code == 400 and "DNS 重绑定" in refused.text
    assert client.get("/healthz", headers={"host": "localhost:8000"}).status_code == 200


def test_forty_cross_site_gets_leave_a_session_intact(scenario_path):
    # an <img src> on any web page makes a GET: it must not make, drop or reorder workspaces
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_sessions=8)
    with TestClient(create_app(store), base_url="http://127.0.0.1") as c:
        wid = open_workspace(c)
        assert solve(c, wid, {CAP_CC: "3"}).status_code == 200
        cross = {"Sec-Fetch-Site": "cross-site", "Referer": "http://evil.example/page"}
        for path in ["/"] * 30 + [f"/w/{wid}/", f"/w/{wid}/trial/0", f"/w/{wid}/trial/1", "/healthz"] * 2 + \
                [f"/w/{wid}/trial/1/summary.json", "/trial/0"]:
            assert c.get(path, headers=cross).status_code == 200
        assert len(store) == 1 and store.get(wid) is not None
        assert [t.number for t in store.get(wid).trials] == [0, 1]
        assert c.get("/").status_code == 200                              # never 503
        assert solve(c, wid, {CAP_REST: "2"}).status_code == 200           # and the session goes on


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Referer": "http://evil.example/x"}, {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": "http://127.0.0.1:9999"}])
def test_a_cross_origin_post_is_refused(client, headers):
    wid = open_workspace(client)
    answer = client.post(f"/w/{wid}/solve", data={"token": TOKENS[wid], CAP_CC: "3"}, headers=headers)
    assert answer.status_code == 403 and "其他网站" in answer.text
    fresh = client.post("/new", data={"token": token_of(client.get("/").text)}, headers=headers)
    assert fresh.status_code == 403
    assert "方案1" not in part(text_of(client.get(f"/w/{wid}/")), 'id="trial-list"', "</table>")


def test_a_post_without_the_pages_token_is_refused(client):
    wid = open_workspace(client)
    for token in ("", "guess", token_of(client.get("/").text)):         # the first page's token is not this one's
        answer = client.post(f"/w/{wid}/solve", data={"token": token, CAP_CC: "3"}, headers=HX)
        assert answer.status_code == 403 and "令牌" in answer.text
    assert client.post("/new", data={}).status_code == 403
    same_site = client.post(f"/w/{wid}/solve", data={"token": TOKENS[wid], CAP_CC: "3"}, headers={
        **HX, "Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"})
    assert same_site.status_code == 200


def test_the_first_solve_of_a_fresh_page_makes_its_workspace(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20)
    with TestClient(create_app(store), base_url="http://127.0.0.1") as c:
        first = c.get("/")
        assert len(store) == 0 and n_selected(first) == 3               # the base round, from what exists
        bad = c.post("/solve", data={"token": token_of(first.text), CAP_CC: "-1"}, headers=HX)
        assert bad.status_code == 422 and len(store) == 0               # a refused edit makes nothing
        answer = c.post("/solve", data={"token": token_of(first.text), CAP_CC: "3"}, headers=HX)
        assert answer.status_code == 200 and len(store) == 1
        wid = re.fullmatch(r"/w/([^/]+)/", answer.headers["HX-Redirect"]).group(1)
        page = c.get(f"/w/{wid}/")
        assert n_selected(page) == 4 and 'data-trial="1"' in page.text
        plain = c.post("/solve", data={"token": token_of(first.text), CAP_REST: "2"}, follow_redirects=False)
        assert plain.status_code == 303 and plain.headers["location"].startswith("/w/") and len(store) == 2


def test_workspaces_are_bounded(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_sessions=2)
    first, second = store.create(), store.create()
    third = store.create()                         # replaces the least recently used idle one
    assert store.get(first.id) is None and store.get(second.id) is second and len(store) == 2
    with second.lock, third.lock:                  # both solving: no room for another
        with pytest.raises(Exception, match="2 个会话都在求解"):
            store.create()
        with TestClient(create_app(store), base_url="http://127.0.0.1") as c:
            assert c.get("/").status_code == 200                          # reading needs no room
            assert c.post("/new", data={"token": store.token}).status_code == 503


def test_a_workspace_keeps_its_latest_whatifs(scenario_path):
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20, max_trials=3)
    ws = store.create()
    for value in (3, 4, 5, 6):
        ws.solve([BoundEdit("cap", "max", "长春市", 2, value)])
    assert [t.number for t in ws.trials] == [0, 3, 4]            # the base and the latest two


def test_the_bundled_round_shows_changchun_as_the_letters_do():
    # the letters say 长春市's 15 school centres (三(三)) are full: this year's and earlier picks,
    # plus the places held for 2024 and 2025, make 15. The page must say the same, not "5 of 15".
    import planner as pl
    from planner.web.edits import group_labels, known_groups
    from planner.web.views import editor_sections
    from planner.web.workspaces import unit_names
    result = pl.solve(JILIN)
    scenario, groups = result.scenario, known_groups(result.rules)
    labels = group_labels(scenario, groups, unit_names(result.slate))
    sections = editor_sections(scenario, result.rules, groups, labels, result.ledger)
    rule = next(r for s in sections for r in s["rules"] if r["id"] == "pc-school-locality")
    row = next(r for r in rule["rows"] if r["key"] == "长春市")
    used, held, left = map(int, re.fullmatch(r"已用 (\d+)，为以后年度预留 (\d+)，剩余 (\d+)", row["used"]).groups())
    slate = result.slate
    picked = slate[(slate["selected"] == 1) & (slate["task"] == "practice_centre") & (slate["track"] == "school")
                   & (slate["locality"] == "长春市") & (slate["unit_kind"] != "higher_vocational")]
    assert used == len(picked) > 0                                     # counted from the slate itself
    assert used + held + left == 15 and left == 0 and held > 0         # the notice's 15, full as the letters say
    # per-school groups by the school's name, never its unit id
    national = next(r for s in sections for r in s["rules"] if r["id"] == "pc-school-national-dh")
    # a soft target passed is said as such, never as a negative remainder
    assert not any("剩余 -" in row["used"] for s in sections for r in s["rules"] for row in r["rows"])
    names = set(unit_names(slate).values())
    assert national["groups"] and all(g in names for g in national["groups"])


def test_a_workspace_starts_from_a_session_that_solved_the_base_round(scenario_path):
    """The first what-if of a new tab is a re-solve of the base round's kept model (mode "bounds"),
    not a cold solve: the store hands each new workspace a session prepared beforehand."""
    store = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20)
    store.reference()
    trial = store.create().solve([BoundEdit("cap", "max", "长春市", 2, 3)])
    assert trial.failure is None
    assert trial.result.summary["whatif"]["mode"] == "bounds"
    cold = Workspaces(scenario_path, parallel=1, workers=1, time_limit_s=20)
    workspace = cold.create()
    with cold._spare_lock:                          # no spare to take: the old behaviour, a cold solve
        cold._spare, cold._preparing = None, True
    again = workspace.solve([BoundEdit("cap", "max", "长春市", 2, 3)])
    assert again.result.summary["whatif"]["mode"] == "cold"
    assert again.result.slate.equals(trial.result.slate)       # the same answer either way
