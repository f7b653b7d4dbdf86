"""Wrapping Chinese text on the terminal: display widths by `wcwidth`, the line-start rule kept.

Owns where a line of the planner's terminal output may break, and nothing else. Rich breaks
only at spaces and folds anything longer at an arbitrary cell, so a Chinese sentence (which
has no spaces) was cut anywhere: a line could begin with ``，`` or ``）`` and a file name could
be cut in half. Here a line may break between two CJK characters, after a space, or between a
CJK character and a Latin word, never inside a Latin word (``slate.xlsx``, ``102,398.6``) unless
the word alone is wider than the line; a line never begins with closing punctuation
(``，。；：？！、）」`` …) nor ends with an opening one (``（「“`` …): the character before moves
down with it (the usual 推入 rule of Chinese typesetting).

`CjkConsole` is the one place this applies: every string the command line prints — a line, a
table cell — becomes a `CjkText` through its `render_str`.
"""
from __future__ import annotations

import unicodedata

from rich.console import Console
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text
from wcwidth import wcswidth, wcwidth

#: Characters a line may not begin with (closing punctuation, Chinese and Latin).
NO_START = frozenset("，。；：？！、）」』】》〉〕”’…·％‰,.;:!?)]}%")
#: Characters a line may not end with (opening punctuation).
NO_END = frozenset("（「『【《〈〔“‘([{")


def width(text: str) -> int:
    """Display width of `text` in terminal cells (CJK = 2); unprintable characters count 0."""
    total = wcswidth(text)
    if total >= 0:
        return total
    return sum(max(0, wcwidth(ch)) for ch in text)


def _wide(ch: str) -> bool:
    return wcwidth(ch) == 2 or unicodedata.east_asian_width(ch) in ("W", "F")


def tokens(text: str) -> list[tuple[int, str]]:
    """`text` cut into pieces that are never broken: a CJK character (or CJK punctuation), a run
    of other non-space characters (a Latin word, a number, a file name), each with the spaces
    after it. Returns (start index, piece)."""
    out: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if text[i].isspace():                       # leading spaces: a piece of their own
            while i < n and text[i].isspace():
                i += 1
        elif _wide(text[i]) or text[i] in NO_START or text[i] in NO_END:
            i += 1
        else:
            while i < n and not text[i].isspace() and not _wide(text[i]) and text[i] not in NO_END:
                i += 1
                if text[i - 1] in NO_START and i < n and _wide(text[i]):
                    break
        while i < n and text[i].isspace() and start != i and not text[start].isspace():
            i += 1
        out.append((start, text[start:i]))
    return out


def break_offsets(text: str, line_width: int) -> list[int]:
    """Indices of `text` (one line, no newline) where wrapped lines begin, for `line_width` cells.

    Greedy: each line takes as many pieces (`tokens`) as fit; then a piece that may not begin a
    line, or one that may not end it, moves down with its neighbour. A piece wider than a line
    is folded by characters.
    """
    line_width = max(1, line_width)
    pieces: list[tuple[int, str]] = []
    for start, piece in tokens(text):
        if width(piece.rstrip()) > line_width:       # folded by characters
            pieces += [(start + k, ch) for k, ch in enumerate(piece)]
        else:
            pieces.append((start, piece))
    breaks: list[int] = []
    line: list[tuple[int, str]] = []
    used = 0
    for start, piece in pieces:
        if not line or used + width(piece.rstrip()) <= line_width:
            line.append((start, piece))
            used += width(piece)
            continue
        # `piece` begins the next line, unless the rule moves the break earlier.
        cut = len(line)
        first = piece
        while cut > 1 and (first[:1] in NO_START or line[cut - 1][1].rstrip()[-1:] in NO_END):
            cut -= 1
            first = line[cut][1]
        if first[:1] in NO_START:                    # the whole line is closing punctuation: no better break
            cut = len(line)
        moved = line[cut:]
        breaks.append(moved[0][0] if moved else start)
        line = moved + [(start, piece)]
        used = sum(width(p) for _, p in line)
        if used > line_width and len(line) > 1:      # what moved down does not fit with it either
            breaks[-1] = start
            line, used = [(start, piece)], width(piece)
    return breaks


class CjkText(Text):
    """A rich `Text` that wraps by `break_offsets` (CJK line breaking) instead of at spaces only."""

    def wrap(self, console, line_width, *, justify=None, overflow=None, tab_size=8, no_wrap=None) -> Lines:
        wrap_justify = justify or self.justify or "default"
        wrap_overflow = overflow or self.overflow or "fold"
        no_wrap = bool(no_wrap if no_wrap is not None else self.no_wrap) or overflow == "ignore"
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            if no_wrap:
                new_lines = Lines([line])
            else:
                new_lines = line.divide(break_offsets(line.plain, line_width))
                for part in new_lines:
                    if width(part.plain) > line_width:     # rich's rstrip_end counts characters, not cells
                        part.rstrip()
            if wrap_justify:
                new_lines.justify(console, line_width, justify=wrap_justify, overflow=wrap_overflow)
            if overflow != "ignore":
                for part in new_lines:
                    part.truncate(line_width, overflow=wrap_overflow)
            lines.extend(new_lines)
        return lines

    def __rich_measure__(self, console, options) -> Measurement:
        lines = self.plain.splitlines()
        widest = max((width(line) for line in lines), default=0)
        pieces = [width(p.rstrip()) for line in lines for _, p in tokens(line)]
        return Measurement(max(pieces, default=widest), widest)


def as_cjk(text: Text) -> CjkText:
    """`text` (styles kept) as a `CjkText`."""
    if isinstance(text, CjkText):
        return text
    cjk = CjkText(text.plain, style=text.style, justify=text.justify, overflow=text.overflow,
                  no_wrap=text.no_wrap, end=text.end, tab_size=text.tab_size)
    cjk._spans = list(text.spans)
    return cjk


class CjkConsole(Console):
    """A rich `Console` whose strings (lines, table cells) wrap as `CjkText`."""

    def render_str(self, text: str, **kwargs) -> Text:
        return as_cjk(super().render_str(text, **kwargs))

    def print(self, *objects, **kwargs) -> None:
        """As `Console.print`; a single string or Text is printed as a `CjkText` (rich would
        otherwise join it into a plain Text, which wraps at spaces only)."""
        if len(objects) == 1 and isinstance(objects[0], (str, Text)):
            text = objects[0]
            if isinstance(text, str):
                text = self.render_str(text, markup=kwargs.get("markup"), highlight=kwargs.get("highlight"),
                                       emoji=kwargs.get("emoji"))
            objects = (_Block(as_cjk(text)),)
        super().print(*objects, **kwargs)


class _Block:
    """One `CjkText` as a renderable of its own (not merged with other strings by `Console.print`)."""

    def __init__(self, text: CjkText) -> None:
        self.text = text

    def __rich_console__(self, console, options):
        yield self.text

    def __rich_measure__(self, console, options) -> Measurement:
        return self.text.__rich_measure__(console, options)


def wrap_typer_help() -> None:
    """Make the help pages typer draws with rich wrap Chinese as `CjkText` too (else rich cuts a
    Chinese help text, which has no spaces, with "…"). Typer builds every help text in
    ``typer.rich_utils._make_rich_text``; where a typer version has no such function, help
    keeps rich's own wrapping."""
    try:
        from typer import rich_utils
    except ImportError:                                  # pragma: no cover - typer without rich
        return
    make = getattr(rich_utils, "_make_rich_text", None)
    if make is None or getattr(make, "_cjk", False):
        return

    def make_cjk(*args, **kwargs):
        made = make(*args, **kwargs)
        return as_cjk(made) if isinstance(made, Text) else made

    make_cjk._cjk = True
    rich_utils._make_rich_text = make_cjk
