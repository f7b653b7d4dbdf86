"""The leadership briefing (`planner.show.briefing`, `briefing_page`, `briefing_text`, `pdf`) and
`planner report` (`planner.cli.commands.report`).

Runs on the hand-built round of `test_charts.make_run`, written as `planner solve` writes an
output folder, so the headline numbers expected here are counted from those rows with pandas,
and on a second, hand-changed year of it for the change since last year. Page 1 is the HTML
before the attachments (`_page_one`). The PDF and the real-browser checks need Chromium and are
skipped, naming it, when it is not installed; docs/briefing.md says how the pages were looked at.
"""
from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from rich.console import Console
from test_charts import LEDGER, make_run, write_out_dir

from planner.cli._common import progress_reporter
from planner.inputs import load_catalogue
from planner.show import briefing, charts
from planner.show import pdf as printing
from planner.show.briefing_text import national_sentence

REPO = Path(__file__).resolve().parent.parent
LOW_DPI = 40          # the page's structure does not depend on resolution; print resolution is tested alone
CHROMIUM = next((shutil.which(n) for n in printing.NAMES if shutil.which(n)), None)
NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
#: Words a department head should not meet on page 1 (solver and modelling jargon, hashes).
JARGON = ("约束起作用", "最优", "数据版本", "核对码", "OPTIMAL", "FEASIBLE", "binding", "规则组", "起决定作用", "扣分")


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return write_out_dir(make_run(), tmp_path_factory.mktemp("round") / "out", ledger=LEDGER)


@pytest.fixture(scope="module")
def written(out_dir) -> tuple[Path, list[Path]]:
    return out_dir, briefing.write_briefing(out_dir, dpi=LOW_DPI, pdf=CHROMIUM is not None)


def _page(out_dir: Path) -> str:
    return (out_dir / briefing.HTML_NAME).read_text("utf-8")


def _page_one(page: str) -> str:
    """The HTML of printed page 1: everything before the attachments (which start on a new page)."""
    start, end = page.index('<section class="brief">'), page.index('<div class="attachments">')
    assert "break-after: page" in page and '<div class="attachments">' not in page[start:end]
    return page[start:end]


def _text(page: str) -> str:
    """The page's visible text, tags and embedded data removed."""
    body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(body))


def test_page_embeds_every_chart_and_needs_no_network(written):
    out_dir, files = written
    pngs = sorted(p for p in files if p.suffix == ".png")
    expected = {"chart-brief-localities.png", "chart-brief-targets.png", "chart-quota-resource_library.png",
                "chart-targets.png", "chart-scores.png", "chart-calendar.png"}
    assert {p.name for p in pngs} == expected
    page = _page(out_dir)
    embedded = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', page)
    assert sorted(base64.b64decode(e) for e in embedded) == sorted(p.read_bytes() for p in pngs)
    assert not re.search(r"(src|href)=\"(https?:)?//|url\((https?:)?//|@import", page)
    assert "@font-face" in page and "data:font/woff;base64," in page


def test_embedded_font_has_every_character_the_page_shows(written):
    from fontTools.ttLib import TTFont

    out_dir, _ = written
    page = _page(out_dir)
    data = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page).group(1)
    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    shown = {ch for ch in _text(page) if not ch.isascii() and not ch.isspace()}
    assert len(shown) > 50 and sorted(ch for ch in shown if ord(ch) not in cmap) == []


def test_page_one_has_the_headline_figures_counted_from_slate_csv(written):
    out_dir, _ = written
    slate = pd.read_csv(out_dir / "slate.csv", encoding="utf-8-sig")
    chosen = slate[slate["selected"] == 1]
    one = _text(_page_one(_page(out_dir)))
    assert f"认定省级项目 {len(chosen)} 项 · 申报 {len(slate)} 项" in one
    # the table by task: name, applied, recognised — every task with a row, and the total
    cat = charts.read_run(out_dir)
    by_task = slate.groupby("task").agg(applied=("selected", "size"), chosen=("selected", "sum"))
    assert len(by_task) == 3
    for task, row in by_task.iterrows():
        label = load_catalogue().label("task", task)
        assert f"{label} {row['applied']} {row['chosen']}" in one, label
    assert f"合计 {len(slate)} {len(chosen)}" in one
    # targets: 资源库 18 of at least 45 (not yet, 27 short), 学校实践中心 120 of at least 100 (met)
    assert "建设目标已达到 1 / 2 项" in one and "省级专业教学资源库还差27" in one
    assert cat.year == 2023 and "2023年度省级项目认定情况简报" in one


def test_page_one_has_no_jargon_no_hash_and_no_zero_card(written):
    out_dir, _ = written
    page = _page(out_dir)
    one = _page_one(page)
    text = _text(one)
    assert [word for word in JARGON if word in text] == []
    assert not re.search(r"[0-9a-f]{12}", text)
    # no national pick this year: said as a sentence, never as a card reading 0
    assert not re.search(r'<div class="v">\s*0\s*<', one)
    assert "国家级推荐" not in " ".join(re.findall(r'<div class="k">(.*?)</div>', one))
    assert "本年度无国家级推荐任务" in text
    assert "附件2" not in text and "国家级推荐名单" not in _text(page)      # no empty attachment


def test_the_places_limits_are_told_in_the_attachments_in_plain_words(written):
    out_dir, _ = written
    rest = _text(_page(out_dir).split('<div class="attachments">', 1)[1])
    # full caps: 长春市 and 四平市 of four localities; H001 and H010 of three schools
    assert "有名额限制的组：各市（州）4个，本年度名额已用满2个；高职学校分档3个（校·任务），名额已用满2个" in rest
    assert "约束起作用" not in rest


def test_without_a_comparison_the_page_shows_shares(written):
    out_dir, _ = written
    slate = pd.read_csv(out_dir / "slate.csv", encoding="utf-8-sig")
    chosen = slate[slate["selected"] == 1]
    share = (chosen["locality"] == "长春市").sum() / len(chosen)
    text = _text(_page(out_dir))
    assert "占比" in text and f"长春市 {(chosen['locality'] == '长春市').sum()} {share:.1%}" in text
    assert "比20" not in _text(_page_one(_page(out_dir)))           # no history: no change is claimed


def test_comparison_shows_who_gained_and_who_lost(out_dir, tmp_path):
    earlier = tmp_path / "earlier"
    shutil.copytree(out_dir, earlier)
    slate = pd.read_csv(earlier / "slate.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    changchun = slate.index[(slate["locality"] == "长春市") & (slate["selected"] == "1")][:2]
    yanbian = slate.index[slate["locality"] == "延边朝鲜族自治州"][:1]
    slate.loc[changchun, "selected"] = "0"          # the earlier run had 2 fewer in 长春市 …
    slate.loc[yanbian, "selected"] = "1"            # … and 1 more in 延边
    slate.to_csv(earlier / "slate.csv", index=False, encoding="utf-8-sig")
    now = tmp_path / "now"
    shutil.copytree(out_dir, now)
    files = briefing.write_briefing(now, compare_to=earlier, dpi=LOW_DPI)
    assert "chart-comparison.png" in {p.name for p in files}
    text = _text(_page(now))
    assert "增加：长春市 +2" in text and "减少：延边朝鲜族自治州 -1" in text


# --- the change since last year ---------------------------------------------------------------


def _next_year() -> charts.Run:
    """make_run's round as 2024, with 2023 as its locked history: 资源库 18 → 15, 教材 0 → 1."""
    before = make_run()
    slate = before.slate.copy()
    slate["year"] = 2024
    slate["candidate_id"] = slate["candidate_id"].str.replace("C", "D")
    library = slate.index[(slate["task"] == "resource_library") & (slate["selected"] == 1)][:3]
    slate.loc[library, "selected"] = 0
    slate.loc[slate.index[slate["task"] == "textbook"][:1], "selected"] = 1
    summary = {**before.summary, "year": 2024, "n_selected": int(slate["selected"].sum())}
    return charts.Run(slate=slate, rules=before.rules, summary=summary, scenario=before.scenario,
                      history=before.slate)


def test_the_sentence_that_matters_says_what_changed_since_last_year(tmp_path):
    briefing.write_briefing(tmp_path, result=_next_year(), ledger=LEDGER, dpi=LOW_DPI)
    one = _page_one(_page(tmp_path))
    key = _text(re.search(r'<p class="key">(.*?)</p>', one).group(1)).strip()
    assert key == ("2024年度认定省级项目18项，比2023年度（20项）减少2项，变化最大的是"
                   "职业教育专业教学资源库（18→15项）、职业教育优质教材（0→1项）。")
    text = _text(one)
    assert "比2023年度 −2 项" in text and "2023年度认定" in text
    assert "职业教育优质教材 2 1 0" in text                    # applied, recognised, the year before


def test_no_national_pick_is_a_sentence_and_says_why_when_the_quota_is_spent():
    headline = {"n_national": 0}
    assert national_sentence(headline, None) == "本年度无国家级推荐任务。"
    assert national_sentence(headline, 2.0) == "本年度无国家级推荐任务。"
    assert "已在以往年度用完" in national_sentence(headline, 0.0)
    assert national_sentence({"n_national": 3}, 0.0) == "推荐参加国家级遴选3项，名单见附件2。"


# --- the PDF ---------------------------------------------------------------------------------


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=60)
    return re.sub(r"\s+", "", done.stdout)


@NEEDS_CHROMIUM
def test_pdf_is_one_a4_page_printed_from_page_one_of_the_html(written, tmp_path):
    out_dir, _ = written
    data = (out_dir / briefing.PDF_NAME).read_bytes()
    assert data.startswith(b"%PDF") and printing.count_pages(data) == 1
    boxes = re.findall(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", data)
    assert boxes and all((round(float(w)), round(float(h))) == (595, 842) for w, h in boxes)
    if shutil.which("pdfinfo"):                     # a second, independent count
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, timeout=60).stdout.decode()
        assert re.search(r"Pages:\s+1\n", info)
    if shutil.which("pdftotext"):
        printed = _pdf_text(data, tmp_path)
        one = re.sub(r"\s+", "", _text(_page_one(_page(out_dir))))
        key = re.sub(r"\s+", "", _text(re.search(r'<p class="key">(.*?)</p>', _page(out_dir)).group(1)))
        assert key in printed and "吉林省教育厅" in printed               # the sentence and the 落款
        assert "附件1" not in printed and "认定名单（" in one          # the attachments are not printed


@NEEDS_CHROMIUM
def test_the_whole_html_printed_has_the_brief_alone_on_page_one(written, tmp_path):
    out_dir, _ = written
    whole = printing.print_pdf(_page(out_dir))
    assert printing.count_pages(whole) > 1
    if shutil.which("pdftotext"):
        path = tmp_path / "whole.pdf"
        path.write_bytes(whole)
        first = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True).stdout
        second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True,
                                text=True).stdout
        assert "吉林省教育厅" in first and "附：分析图表" not in first and "附：分析图表" in second


@NEEDS_CHROMIUM
def test_a_bundled_round_prints_on_one_page(tmp_path):
    from planner import api

    result = api.solve(REPO / "scenarios" / "jilin-2023.toml")
    api.save(result, tmp_path / "round")
    briefing.write_briefing(tmp_path / "round", result=result, dpi=LOW_DPI, pdf=True)
    data = (tmp_path / "round" / briefing.PDF_NAME).read_bytes()
    assert printing.count_pages(data) == 1
    slate = pd.read_csv(tmp_path / "round" / "slate.csv", encoding="utf-8-sig")
    chosen = slate[slate["selected"] == 1]
    one = _text(_page_one(_page(tmp_path / "round")))
    assert f"认定省级项目 {len(chosen)} 项" in one and f"推荐国家级项目 {int(chosen['national'].sum())} 项" in one
    if shutil.which("pdftotext"):
        assert "吉林省教育厅" in _pdf_text(data, tmp_path)          # the 落款 is not cut off the page


def test_count_pages_counts_page_objects_not_the_page_tree():
    two = b"%PDF-1.4\n1 0 obj <</Type /Pages /Kids [2 0 R 3 0 R]>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page>>"
    assert printing.count_pages(two) == 2 and printing.count_pages(b"%PDF-1.4\n") == 0


def test_no_browser_is_a_chinese_error_and_nothing_is_written(out_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    monkeypatch.setattr(printing, "browser_candidates", lambda: [])
    monkeypatch.delenv(printing.ENV_VAR, raising=False)
    target = tmp_path / "copy"
    shutil.copytree(out_dir, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(printing.BrowserError, match="未找到可打印 PDF 的浏览器.*apt-get install chromium"):
        briefing.write_briefing(target, dpi=LOW_DPI, pdf=True)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_browser_is_found_in_the_windows_install_folders():
    environ = {"PROGRAMFILES(X86)": r"C:\Program Files (x86)", "LOCALAPPDATA": r"C:\Users\u\AppData\Local"}
    places = [str(p).replace("/", "\\") for p in printing.browser_candidates(environ, platform="win32")]
    assert r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" in places
    assert r"C:\Users\u\AppData\Local\Google\Chrome\Application\chrome.exe" in places
    assert printing.browser_candidates({}, platform="linux") == []


def test_pngs_are_at_print_resolution():
    fig = charts.plot_comparison(pd.DataFrame({"locality": ["长春市"], "count_a": [1], "count_b": [2]}))
    image = Image.open(io.BytesIO(briefing.figure_png(fig)))
    assert round(image.info["dpi"][0]) == briefing.PRINT_DPI == 300
    assert image.width == round(charts.PAGE_WIDTH_IN * 300)


def test_nothing_is_written_when_the_page_fails(out_dir, tmp_path, monkeypatch):
    target = tmp_path / "copy"
    shutil.copytree(out_dir, target)
    before = sorted(p.name for p in target.iterdir())

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(briefing, "render_html", broken)
    with pytest.raises(RuntimeError):
        briefing.write_briefing(target, dpi=LOW_DPI)
    assert sorted(p.name for p in target.iterdir()) == before


def test_progress_is_shown_on_a_terminal_only():
    shown, piped = io.StringIO(), io.StringIO()
    with progress_reporter(Console(file=shown, force_terminal=True, width=80)) as update:
        update(1, 2, "targets")
    with progress_reporter(Console(file=piped, force_terminal=False)) as update:
        update(1, 2, "targets")
    assert "简报：目标进度" in shown.getvalue()
    assert piped.getvalue() == ""


# --- the command, as a user runs it ----------------------------------------------------------

def _planner(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from planner.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120)


def test_planner_report_writes_the_briefing_quietly_when_piped(out_dir, tmp_path):
    target = tmp_path / "cli"
    shutil.copytree(out_dir, target)
    done = _planner("report", str(target), "--dpi", "50")
    assert done.returncode == 0, done.stderr
    assert "简报" not in done.stderr and "━" not in done.stderr   # no progress bar into a pipe
    assert "briefing.html" in done.stdout and (target / "briefing.html").is_file()


def test_planner_report_pdf_without_a_browser_exits_2_in_chinese(out_dir, tmp_path):
    target = tmp_path / "cli"
    shutil.copytree(out_dir, target)
    before = sorted(p.name for p in target.iterdir())
    empty = tmp_path / "empty-path"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-c", "from planner.cli import main; main()", "report", str(target),
                           "--pdf", "--dpi", "50"], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**_env_without(printing.ENV_VAR), "PATH": str(empty)})
    assert done.returncode == 2, done.stderr
    assert "未找到可打印 PDF 的浏览器" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in target.iterdir()) == before


def _env_without(name: str) -> dict[str, str]:
    import os
    return {k: v for k, v in os.environ.items() if k != name}


def test_planner_report_on_a_missing_folder_exits_2(tmp_path):
    done = _planner("report", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr.startswith("错误：") and "没有这个文件夹" in done.stderr and "Traceback" not in done.stderr


# --- a real browser ---------------------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", function () {
  document.fonts.load("12px %s", "吉林省长春市").then(function () {
    var images = [].slice.call(document.images);
    var faces = []; document.fonts.forEach(function (f) { faces.push(f.status); });
    document.body.setAttribute("data-probe", JSON.stringify({images: images.length,
      decoded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length, faces: faces}));
  });
});
</script></body>""" % briefing.PAGE_FONT


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                           *args], capture_output=True, text=True, timeout=120)


@NEEDS_CHROMIUM
def test_chromium_shows_every_picture_in_the_embedded_font(written, tmp_path):
    out_dir, _ = written
    probed = tmp_path / "probe.html"
    probed.write_text(_page(out_dir).replace("</body>", PROBE), encoding="utf-8")
    profile = tmp_path / "profile"
    dom = _chromium(f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'data-probe="([^"]+)"', dom.stdout)
    assert found, dom.stderr[-500:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["images"] == probe["decoded"] == 6
    assert probe["faces"] == ["loaded"]                         # the embedded Chinese font, not a fallback
    shot = tmp_path / "page.png"
    _chromium(f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1240,1754",
              (out_dir / briefing.HTML_NAME).as_uri())
    image = Image.open(shot).convert("L")
    assert image.size == (1240, 1754) and image.getextrema()[0] < 100     # something dark is drawn


# --- the names and the words (issue 15) -----------------------------------------------------


def test_every_selected_title_is_on_the_page_exactly_once(written):
    out_dir, _ = written
    page = _page(out_dir)
    text = _text(page)
    slate = make_run().slate
    # Two tasks of one school share titles here (项目1 of 资源库 and of 核心课程): one cell per selected row.
    for title, rows in slate.groupby("title"):
        assert page.count(f"<td>{title}</td>") == int(rows["selected"].sum()), title
        assert text.count(title) == int(rows["selected"].sum()), title
    assert "附件1" in text and "认定名单" in text


def test_the_page_has_no_english_word_outside_numbers_ids_and_the_provenance(written):
    out_dir, _ = written
    page = re.sub(r"<script>.*?</script>", " ", _page(out_dir), flags=re.S)
    page = re.sub(r'<p class="provenance">.*?</p>', " ", page, flags=re.S)   # file names and the check code
    text = _text(page)
    ids = set(make_run().slate["candidate_id"])
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text) if w not in ids]
    assert words == []
    assert "planner" not in text and "<result>" not in text


def test_page_one_ends_with_the_office_and_the_date_and_the_small_print_comes_last(written):
    out_dir, _ = written
    page = _page(out_dir)
    sign = re.search(r'<div class="sign">(.*?)</div></div>', _page_one(page), flags=re.S).group(1)
    assert "吉林省教育厅" in sign                          # `issuer` of scenarios/jilin-base.toml
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", sign)
    small = re.search(r'<p class="provenance">(.*?)</p>', page, flags=re.S).group(1)
    assert page.index(small) > page.index('<div class="attachments">')
    assert re.search(r"数据核对码 [0-9a-f]{12}", small)
    assert "评审分数之和已是可能的最高值" in small             # OPTIMAL, in plain words


def test_the_publication_block_gives_the_office_the_date_and_the_programme(written):
    from planner.show.briefing_text import chinese_date, publication_of

    class Scenario:
        raw = {"issuer": "旧处室", "publication": {"office": "吉林省教育厅职成处", "date": "2024-06-30",
                                                  "programme": "现代职业教育体系建设改革重点任务"}}

    found = publication_of({}, Scenario())
    assert found == {"office": "吉林省教育厅职成处", "date": "2024-06-30", "programme": "现代职业教育体系建设改革重点任务"}
    assert chinese_date(found["date"]) == "2024年6月30日" and chinese_date("2024年7月") == "2024年7月"


def test_a_slate_not_proven_best_is_said_on_page_one_in_plain_words(tmp_path):
    run = make_run()
    run = charts.Run(slate=run.slate, rules=run.rules, scenario=run.scenario,
                     summary={**run.summary, "status": "FEASIBLE", "gap": 0.012})
    briefing.write_briefing(tmp_path, result=run, ledger=LEDGER, dpi=LOW_DPI)
    one = _text(_page_one(_page(tmp_path)))
    assert "评审分数之和可能还不是最高（与可能的最高值最多相差1.2%）" in one
    assert [word for word in JARGON if word in one] == []
