"""Printing a page to PDF with a headless Chromium-family browser (Chromium, Chrome or Edge).

Owns finding the browser on Linux, macOS and Windows (`find_browser`), printing an HTML page
to an A4 PDF with it (`print_pdf`, ``--print-to-pdf`` with no header or footer, so the PDF is
what the browser shows, page for page) and counting a PDF's pages (`count_pages`). Why a
browser and not WeasyPrint: the briefing is read in a browser, so the same engine prints it
and the two cannot differ; WeasyPrint is not installed and pulls in pango (docs/briefing.md).

Does not own the page (`briefing`) nor writing files (`files`): `print_pdf` returns bytes and
leaves nothing behind. Messages are Chinese, with the English after ``--lang en`` (`MESSAGES`).
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from planner.errors import PlannerError

log = logging.getLogger(__name__)

#: A browser executable to use instead of searching (a path, or a name on PATH).
ENV_VAR = "PLANNER_BROWSER"
#: Names searched on PATH, in order.
NAMES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome", "google-chrome-stable",
         "chrome", "msedge", "microsoft-edge")
#: Install folders searched on Windows, under each of these environment variables.
WINDOWS_PLACES = (
    ("PROGRAMFILES", r"Google\Chrome\Application\chrome.exe"),
    ("PROGRAMFILES(X86)", r"Google\Chrome\Application\chrome.exe"),
    ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe"),
    ("PROGRAMFILES(X86)", r"Microsoft\Edge\Application\msedge.exe"),
    ("PROGRAMFILES", r"Microsoft\Edge\Application\msedge.exe"),
    ("LOCALAPPDATA", r"Chromium\Application\chrome.exe"),
)
MAC_PLACES = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
              "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
              "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
TIMEOUT_S = 120

MESSAGES = {
    "zh": {
        "missing": ("未找到可打印 PDF 的浏览器（Chromium、Chrome 或 Edge）。请安装其中之一："
                    "Debian/Ubuntu 执行 `apt-get install chromium`，Windows 安装 Edge 或 Chrome；"
                    "或用环境变量 {env} 指定浏览器程序的路径。briefing.html 仍可用浏览器打开后打印。"),
        "bad_env": "环境变量 {env} 指定的浏览器 “{value}” 不存在。",
        "failed": "浏览器 {browser} 未能打印 PDF（退出码 {code}）：{detail}",
        "timeout": "浏览器 {browser} 打印 PDF 超过 {seconds} 秒仍未完成。",
    },
    "en": {
        "missing": ("no browser that prints PDF (Chromium, Chrome or Edge) was found: install one "
                    "(`apt-get install chromium` on Debian/Ubuntu; Edge or Chrome on Windows), or set {env} to "
                    "the browser's path. briefing.html can still be opened and printed in a browser."),
        "bad_env": "the browser \"{value}\" named by {env} does not exist",
        "failed": "the browser {browser} did not print the PDF (exit code {code}): {detail}",
        "timeout": "the browser {browser} did not finish printing within {seconds} s",
    },
}


class BrowserError(PlannerError, RuntimeError):
    """No browser to print with, or it failed (the message says what to install or what it said)."""


def _say(key: str, lang: str, **values: object) -> str:
    return MESSAGES.get(lang, MESSAGES["zh"])[key].format(**values)


def browser_candidates(environ: "os._Environ[str] | dict[str, str] | None" = None,
                       platform: str | None = None) -> list[Path]:
    """Where a browser may be installed on this platform, in the order `find_browser` tries them
    after PATH (Windows and macOS install folders; nothing extra on Linux)."""
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform.startswith("win"):
        return [Path(environ[var]) / rel for var, rel in WINDOWS_PLACES if environ.get(var)]
    if platform == "darwin":
        return [Path(p) for p in MAC_PLACES]
    return []


def find_browser(*, lang: str = "zh") -> Path:
    """The browser executable: ``$PLANNER_BROWSER``, else the first of `NAMES` on PATH, else an
    install folder of `browser_candidates`.

    Raises
    ------
    BrowserError
        None is installed (the message says what to install), or ``$PLANNER_BROWSER`` names
        nothing.
    """
    wanted = os.environ.get(ENV_VAR, "").strip()
    if wanted:
        found = shutil.which(wanted) or (wanted if Path(wanted).is_file() else None)
        if not found:
            raise BrowserError(_say("bad_env", lang, env=ENV_VAR, value=wanted))
        return Path(found)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for path in browser_candidates():
        if path.is_file():
            return path
    raise BrowserError(_say("missing", lang, env=ENV_VAR))


def print_pdf(page_html: str, *, browser: Path | None = None, timeout_s: float = TIMEOUT_S,
              lang: str = "zh") -> bytes:
    """The page printed by a headless browser, as PDF bytes (paper size and margins from the
    page's ``@page`` rule; no header or footer added by the browser).

    The page is written to a temporary folder with a fresh browser profile, both removed
    afterwards. Images and fonts must be embedded in the page (the briefing's are).

    Parameters
    ----------
    page_html : str
        A whole HTML document.
    browser : Path, optional
        The executable; `find_browser` when not given.

    Raises
    ------
    BrowserError
        No browser, or it failed or timed out (its last words are in the message).
    """
    browser = browser or find_browser(lang=lang)
    with tempfile.TemporaryDirectory(prefix="planner-print-") as tmp:
        folder = Path(tmp)
        page = folder / "page.html"
        page.write_text(page_html, encoding="utf-8")
        target = folder / "page.pdf"
        command = [str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--disable-extensions", f"--user-data-dir={folder / 'profile'}",
                   "--no-pdf-header-footer", "--print-to-pdf-no-header",   # new and old spelling
                   f"--print-to-pdf={target}", page.as_uri()]
        log.debug("printing with %s", " ".join(command))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                  encoding="utf-8", errors="replace")
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(_say("timeout", lang, browser=browser, seconds=int(timeout_s))) from exc
        except OSError as exc:                      # not executable, wrong architecture …
            raise BrowserError(_say("failed", lang, browser=browser, code="-", detail=exc)) from exc
        if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            detail = " ".join((done.stderr or done.stdout or "").strip().splitlines()[-2:])[-300:] or "-"
            raise BrowserError(_say("failed", lang, browser=browser, code=done.returncode, detail=detail))
        return target.read_bytes()


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def count_pages(pdf: bytes) -> int:
    """The number of pages of a PDF (its ``/Type /Page`` objects; enough for the PDFs Chromium
    writes, whose page objects are not compressed)."""
    return len(_PAGE.findall(pdf))
