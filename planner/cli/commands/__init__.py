"""One small module per CLI subcommand beyond solve/audit/check; each defines `register(app)`.

`planner.cli` imports every module of this package and calls its `register`, so adding a
command never means editing `cli.py`. Commands hold no logic: they call the library.
"""
from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
