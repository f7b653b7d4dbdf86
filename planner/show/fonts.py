"""Chinese text in pictures: finding a CJK font and handing it to matplotlib and the briefing.

Owns which font the planner draws Chinese with, and how it is found on a fresh machine: the
Noto Sans SC font shipped in the PyPI package ``pylopdf-fonts-zh-cn`` (SIL Open Font License
1.1, a dependency of the project, so ``pip install -e .`` brings it), else a font named by the
``PLANNER_CJK_FONT`` environment variable, else a Chinese system font (Debian's
``fonts-noto-cjk``, Windows' Microsoft YaHei …). Also owns the font subset embedded in
``briefing.html`` so the page needs no installed font either.

Does not own drawing (`charts`) nor the page (`briefing`). Every candidate font is checked for
the glyphs of `PROBE_TEXT` before it is used, so "found a font" means "Chinese renders".
"""
from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from planner.errors import PlannerError

log = logging.getLogger(__name__)

#: The PyPI distribution and import name of the bundled font (Noto Sans SC, OFL-1.1).
FONT_DISTRIBUTION = "pylopdf-fonts-zh-cn"
FONT_MODULE = "pylopdf_fonts_zh_cn"
#: An explicit font file (.otf/.ttf/.ttc) to use instead of the bundled one.
ENV_VAR = "PLANNER_CJK_FONT"
#: System families tried, in order, when the bundled font is absent.
SYSTEM_FAMILIES = (
    "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei",
    "Noto Sans CJK JP",   # Debian's fonts-noto-cjk collection registers under its first face
)
#: Text every chosen font must cover: locality, tier and punctuation used in the pictures.
PROBE_TEXT = "吉林省长春市延边朝鲜族自治州国家“双高计划”学校（）：、，—"
#: Families matplotlib falls back to for glyphs the CJK font lacks (arrows, check marks).
FALLBACK_FAMILIES = ("DejaVu Sans",)

INSTALL_HINT = (f"install the project (`pip install -e .` brings {FONT_DISTRIBUTION}), or "
                f"`pip install {FONT_DISTRIBUTION}`, or `apt-get install fonts-noto-cjk`, "
                f"or set {ENV_VAR}=/path/to/a/chinese/font.otf")


class FontError(PlannerError, RuntimeError):
    """No font that renders Chinese could be found (the message says how to install one)."""


@dataclass(frozen=True)
class CJKFont:
    """A font file that covers `PROBE_TEXT`, and the family name matplotlib knows it by."""

    path: Path
    family: str
    source: str          # "package", "environment" or "system"


def missing_glyphs(path: str | Path, text: str) -> list[str]:
    """The characters of `text` (blanks ignored) that the font at `path` has no glyph for.

    A font collection (.ttc/.otc) is read at its first face, as matplotlib reads it.
    """
    from fontTools.ttLib import TTCollection, TTFont

    path = Path(path)
    if path.suffix.lower() in (".ttc", ".otc"):
        holder = TTCollection(str(path), lazy=True)
        font = holder.fonts[0]
    else:
        holder = font = TTFont(str(path), lazy=True, fontNumber=0)
    try:
        cmap = font.getBestCmap() or {}
    finally:
        holder.close()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})


def _family_of(path: Path) -> str:
    from matplotlib import font_manager

    return font_manager.FontProperties(fname=str(path)).get_name()


def _candidates() -> list[tuple[Path, str]]:
    """(font file, source) pairs to try, best first."""
    found: list[tuple[Path, str]] = []
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        found.append((Path(explicit), "environment"))
    try:
        import importlib

        module = importlib.import_module(FONT_MODULE)
        found.append((Path(module.sans_path()), "package"))
    except ImportError:
        log.info("%s is not installed; looking for a system font", FONT_DISTRIBUTION)
    from matplotlib import font_manager

    for family in SYSTEM_FAMILIES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family),
                                         fallback_to_default=False)
        except ValueError:
            continue
        found.append((Path(path), "system"))
    return found


@lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont:
    """The first usable Chinese font: ``$PLANNER_CJK_FONT``, the bundled package, a system font.

    Raises
    ------
    FontError
        No candidate exists or covers `PROBE_TEXT`; the message lists what was tried and how
        to install a font.
    """
    tried: list[str] = []
    for path, source in _candidates():
        if not path.is_file():
            tried.append(f"{path} ({source}): no such file")
            continue
        try:
            gaps = missing_glyphs(path, PROBE_TEXT)
        except Exception as exc:          # an unreadable or non-font file
            tried.append(f"{path} ({source}): not a readable font ({exc})")
            continue
        if gaps:
            tried.append(f"{path} ({source}): no glyph for {''.join(gaps)}")
            continue
        font = CJKFont(path=path, family=_family_of(path), source=source)
        log.debug("Chinese font: %s (%s, %s)", font.family, font.path, source)
        return font
    detail = "; ".join(tried) if tried else "no candidate font found"
    raise FontError(f"no font that renders Chinese ({detail}) — {INSTALL_HINT}")


def use_cjk_font() -> CJKFont:
    """Register the Chinese font with matplotlib and put it first in ``font.family``.

    The setting is global on purpose: matplotlib creates some text (tick labels of a figure
    drawn again in a notebook) when it draws, not when the chart function runs, and that text
    must find the glyphs too. Latin text keeps rendering: Noto Sans SC has Latin glyphs and
    `FALLBACK_FAMILIES` follow it. Calling it again changes nothing.

    Raises
    ------
    FontError
        See `find_cjk_font`.
    """
    import matplotlib
    from matplotlib import font_manager

    font = find_cjk_font()
    if not any(Path(entry.fname) == font.path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(font.path))
    current = matplotlib.rcParams["font.family"]
    current = [current] if isinstance(current, str) else list(current)
    wanted = [font.family, *FALLBACK_FAMILIES]
    if current[:len(wanted)] != wanted:
        matplotlib.rcParams["font.family"] = wanted + [f for f in current if f not in wanted]
    return font


def font_face_css(text: str, *, family: str = "PlannerCJK") -> str:
    """An ``@font-face`` rule embedding the Chinese font, cut down to the glyphs of `text`.

    The subset (WOFF, base64) keeps ``briefing.html`` self-contained and small: it renders the
    same on a machine without any Chinese font, with no network.

    Parameters
    ----------
    text : str
        Every character the page shows.
    family : str
        The CSS family name the page uses for the embedded font.
    """
    import base64

    from fontTools import subset

    font = find_cjk_font()
    options = subset.Options()
    options.flavor = "woff"
    options.name_IDs = ["*"]
    options.notdef_outline = True
    loaded = subset.load_font(str(font.path), options, dontLoadGlyphNames=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + " 0123456789.,%")
    subsetter.subset(loaded)
    buffer = io.BytesIO()
    subset.save_font(loaded, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ("@font-face { font-family: '%s'; src: url(data:font/woff;base64,%s) format('woff'); "
            "font-weight: 100 900; font-style: normal; }" % (family, data))
