"""The language a person reads: Chinese by default, English on request — one switch for the library.

Owns the current language (`language`, `set_language`, the `speaking` context manager) and the
one way a message is written in both languages at the place it is made (`say(zh, en)`). Every
sentence the library makes for a person — input and scenario errors, refusals of edits,
infeasibility diagnoses, relaxation advice, notebook tables — is written ``say("中文…", "English…")``
so the CLI (``--lang en``), the notebook (``pl.set_language("en")``) and the what-if page say the
same. Does not own the terminal's own words (``planner.cli._messages``) nor wording of any check.

The language is held in a `contextvars.ContextVar`, so a web request or a thread that sets it
changes nothing for the others. Until something sets it, ``PLANNER_LANG=en`` in the environment
asks for English (a script's or a service's default).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

LANGUAGES = ("zh", "en")
_current: ContextVar[str | None] = ContextVar("planner_language", default=None)


def language() -> str:
    """``"zh"`` (the default) or ``"en"``: the language messages are made in now."""
    lang = _current.get()
    if lang is None:
        return "en" if os.environ.get("PLANNER_LANG", "").lower().startswith("en") else "zh"
    return lang


def set_language(lang: str) -> None:
    """Make messages in `lang` from now on (``"zh"`` or ``"en"``; anything else is refused).

    Raises
    ------
    ValueError
        `lang` is not one of `LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"语言应为 zh 或 en，实际为 {lang!r}（language: expected zh or en, found {lang!r}）")
    _current.set(lang)


def english() -> bool:
    return language() == "en"


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Make messages in `lang` inside the block, then go back to the language before it."""
    if lang not in LANGUAGES:
        raise ValueError(f"语言应为 zh 或 en，实际为 {lang!r}（language: expected zh or en, found {lang!r}）")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def say(zh: str, en: str) -> str:
    """The message in the current language: `zh` unless English was asked for.

    Both are finished strings (format them before): ``say(f"没有规则 {rid}", f"no rule {rid}")``.
    """
    return en if language() == "en" else zh
