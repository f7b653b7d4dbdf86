"""The leadership briefing (`planner.briefing`) and `planner report` (`planner.commands.report`).

Runs on the hand-built round of `test_charts.make_run`, written as `planner solve` writes an
output folder, so the headline numbers expected here are counted from those rows in this file.
A real browser check (Debian's chromium, headless) runs when chromium is installed and is
skipped otherwise; docs/briefing.md says how the screenshots were looked at.
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
from planner.show import briefing, charts

REPO = Path(__file__).resolve().parent.parent
LOW_DPI = 40          # the page's structure does not depend on resolution; print resolution is tested alone


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    return write_out_dir(make_run(), tmp_path_factory.mktemp("round") / "out", ledger=LEDGER)


@pytest.fixture(scope="module")
def written(out_dir) -> tuple[Path, list[Path]]:
    return out_dir, briefing.write_briefing(out_dir, dpi=LOW_DPI, pdf=True)


def _page(out_dir: Path) -> str:
    return (out_dir / briefing.HTML_NAME).read_text("utf-8")


def _text(page: str) -> str:
    """The page's visible text, tags and embedded data removed."""
    body = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(body))


def test_page_embeds_every_chart_and_needs_no_network(written):
    out_dir, files = written
    pngs = sorted(p for p in files if p.suffix == ".png")
    expected = {"chart-quota-resource_library.png", "chart-targets.png", "chart-scores.png", "chart-calendar.png"}
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


def test_headline_figures_are_the_runs(written):
    out_dir, _ = written
    slate = pd.read_csv(out_dir / "slate.csv", encoding="utf-8-sig")
    chosen = slate[slate["selected"] == 1]
    text = _text(_page(out_dir))
    assert f"入选省级项目 {len(chosen)} 候选 {len(slate)} 项" in text
    total = float(chosen["score"].sum())
    assert f"入选项目评审总分 {total:,.0f}" in text and total.is_integer()
    # targets: 资源库 18 of at least 45 (not yet), 学校实践中心 120 of at least 100 (met)
    assert "目标已达到 1 / 2" in text
    # full caps: 长春市 and 四平市 of four localities; H001 and H010 of three schools
    assert "满额的市（州）限额 2 / 4" in text and "满额的高职学校分档限额 2 / 3" in text


def test_without_a_comparison_the_page_shows_shares(written):
    out_dir, _ = written
    slate = pd.read_csv(out_dir / "slate.csv", encoding="utf-8-sig")
    chosen = slate[slate["selected"] == 1]
    share = (chosen["locality"] == "长春市").sum() / len(chosen)
    text = _text(_page(out_dir))
    assert "占比" in text and f"长春市 {(chosen['locality'] == '长春市').sum()} {share:.1%}" in text


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


def test_pdf_has_a4_pages(written):
    out_dir, _ = written
    data = (out_dir / briefing.PDF_NAME).read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", data)
    assert boxes and all((round(float(w)), round(float(h))) == (595, 842) for w, h in boxes)


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


def test_planner_report_on_a_missing_folder_exits_2(tmp_path):
    done = _planner("report", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "no such folder" in done.stderr and "Traceback" not in done.stderr


# --- a real browser ---------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
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


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_chromium_shows_every_picture_in_the_embedded_font(written, tmp_path):
    out_dir, _ = written
    probed = tmp_path / "probe.html"
    probed.write_text(_page(out_dir).replace("</body>", PROBE), encoding="utf-8")
    profile = tmp_path / "profile"
    dom = _chromium(f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", probed.as_uri())
    found = re.search(r'data-probe="([^"]+)"', dom.stdout)
    assert found, dom.stderr[-500:]
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["images"] == probe["decoded"] == 4
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
    assert "附件1" in text and "入选名单" in text and "国家级推荐名单" in text


def test_the_page_has_no_english_word_outside_numbers_ids_and_the_data_version(written):
    out_dir, _ = written
    page = re.sub(r"<script>.*?</script>", " ", _page(out_dir), flags=re.S)
    page = re.sub(r'<span class="version">.*?</span>', " ", page, flags=re.S)   # the data-version line
    text = _text(page)
    ids = set(make_run().slate["candidate_id"])
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9_.\-]*", text) if w not in ids]
    assert words == []
    assert "OPTIMAL" not in text and "已证明最优" in text          # the status in Chinese
    assert "planner" not in text and "<result>" not in text


def test_the_footer_names_the_office_the_date_and_the_data_version(written):
    out_dir, _ = written
    page = _page(out_dir)
    footer = re.search(r"<footer>(.*?)</footer>", page, flags=re.S).group(1)
    assert "吉林省教育厅" in footer                          # `issuer` of scenarios/jilin-base.toml
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", footer)
    assert re.search(r"数据版本 [0-9a-f]{12}", footer)
