"""A what-if written back as a scenario file: `extends` the base, and only the edits.

Owns `write_scenario` (what `Scenario.to_toml` calls): a TOML file, written with tomlkit, that
`extends` the file the scenario was loaded from (a path relative to the new file) and holds
only what the scenario's edits changed, each under a comment that cites the base rule's clause
and text and the edit's note — so the base file's citations stay where they are and the child
says why it differs. Loading the file gives the same scenario, solving it the same slate.

Uses only what the scenario syntax already has (docs/scenarios.md): a changed or added rule is
the whole `[[rule]]` table with the same `id` (it replaces the base rule in place), a removed
rule is ``{ id = "…", enabled = false }``, switches, `[defaults]` and `[plan]` keys merge key
by key, `[localities] fold` and the lists (`force_in`, `force_out`, `history`) are written
whole. Does not own reading files (`scenario_files`), the edits (`policy`, `edits`) nor what
the keys mean (`syntax`).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.errors import PolicyError, Problem
from planner.lang import say
from planner.rules.edits import Edit
from planner.rules.scenario_files import read_scenario_file

MARK = "情景推演"


def write_scenario(scenario: Any, path: str | Path | None = None, *, base: str | Path | None = None) -> str:
    """Write `scenario` (a `Scenario`) as a child of its base file holding only its edits.

    Parameters
    ----------
    scenario : Scenario
        A scenario loaded from a file and changed with its ``with_*`` methods.
    path : path, optional
        The file to write (its folder is created). None: return the text only, with paths
        relative to the current folder.
    base : path, optional
        The scenario file to extend (default ``scenario.source``).

    Returns
    -------
    str
        The TOML text written.

    Raises
    ------
    PolicyError
        The scenario has no base file, or an edit that a scenario file cannot hold (units
        withdrawn from a candidate table: that is a change of the table, not of the rules).
    """
    import tomlkit

    base_path = Path(base) if base is not None else scenario.source
    if base_path is None:
        raise PolicyError([Problem(scenario.label, say("在 Python 中构造、并非从文件读入的情景",
                                                       "a scenario built in Python, not loaded from a file"),
                                   say("从文件读入的情景（或 to_toml(path, base=...)）",
                                       "a scenario loaded from a file (or to_toml(path, base=...))"), column="extends")])
    folder = Path(path).parent if path is not None else Path.cwd()
    base_raw = read_scenario_file(base_path)
    base_rules = {r.get("id") for r in base_raw.get("rule", []) if isinstance(r, dict)}
    edits: tuple[Edit, ...] = tuple(scenario.edits)
    cannot = [e for e in edits if e.what == "units"]
    if cannot:
        raise PolicyError([Problem(scenario.label, say(f"修改：{cannot[0].describe()}", f"edit {cannot[0].describe()}"),
                                   say("对规则的修改（改过的候选表另存为表格）",
                                       "edits of the rules (a changed candidate table is saved as a table)"),
                                   column="edits")])

    doc = tomlkit.document()
    doc.add(_comment(tomlkit, f"{MARK}：{scenario.name} — 以 {Path(base_path).name} 为基础，只写出改动（按改动顺序）"))
    for k, edit in enumerate(edits, 1):
        doc.add(_comment(tomlkit, f"{k}. {edit.describe()}"))
    doc.add("extends", _rel(base_path, folder))

    kinds = {e.what for e in edits}
    raw = scenario.raw

    def comments(container: Any, selected: list[Edit]) -> None:
        for edit in selected:
            container.add(_comment(tomlkit, f"{MARK}：{edit.describe()}"))

    # top-level values: the final value of each key an edit touched
    for what, key, value in (
        ("name", "name", lambda: scenario.name),
        ("year", "year", lambda: scenario.year),
        ("candidates", "candidates", lambda: _rel(scenario.candidates, folder) if scenario.candidates else None),
        ("history", "history", lambda: [_rel(p, folder) for p in scenario.history]),
        ("force_in", "force_in", lambda: list(scenario.force_in)),
        ("force_out", "force_out", lambda: list(scenario.force_out)),
    ):
        if what in kinds:
            v = value()
            if v is None:
                continue
            doc.add(tomlkit.nl())
            comments(doc, [e for e in edits if e.what == what])
            doc.add(key, v)

    for what, table_name, keys in (
        ("switch", "switches", lambda: _keys(edits, "switch")),
        ("scope", "defaults", lambda: ["scope"]),
        ("plan", "plan", lambda: _keys(edits, "plan")),
    ):
        if what not in kinds:
            continue
        table = tomlkit.table()
        comments(table, [e for e in edits if e.what == what])
        source = (dict(scenario.switches) if table_name == "switches"
                  else dict(raw.get(table_name, {}) or {}))
        for key in keys():
            value = source.get(key)
            if table_name == "plan" and key == "pools":
                value = [_rel(p, folder) for p in value or []]
            if value is not None:
                table.add(key, _toml(value, tomlkit))
        doc.add(tomlkit.nl())
        doc.add(table_name, table)

    if "fold" in kinds:
        table = tomlkit.table()
        comments(table, [e for e in edits if e.what == "fold"])
        table.add("fold", _toml(dict(scenario.fold), tomlkit))
        doc.add(tomlkit.nl())
        doc.add("localities", table)

    rules = tomlkit.aot()
    current = {rid: scenario._raw_rule(rid) for rid in {e.rule for e in edits if e.rule} if any(
        isinstance(r, dict) and r.get("id") == rid for r in raw.get("rule", []))}
    for rid in dict.fromkeys(e.rule for e in edits if e.rule is not None):
        mine = [e for e in edits if e.rule == rid]
        table = tomlkit.table()
        base_spec = next((r for r in base_raw.get("rule", []) if isinstance(r, dict) and r.get("id") == rid), None)
        if base_spec is not None:
            table.add(_comment(tomlkit, f"{base_spec.get('clause', '')}：{base_spec.get('text', '')}（{Path(base_path).name}）"))
        comments(table, mine)
        if rid in current:
            for key, value in current[rid].items():
                table.add(key, _toml(value, tomlkit))
        elif rid in base_rules:
            table.add("id", rid)
            table.add("enabled", False)
        else:
            continue                # added, then removed: nothing to write
        rules.append(table)
    if len(rules):
        doc.add(tomlkit.nl())
        doc.add("rule", rules)

    text = tomlkit.dumps(doc)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(path).with_name(f".{Path(path).name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return text


#: Characters a TOML comment cannot hold (every control character but tab and newline; tomlkit
#: itself starts a new comment line at a newline).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _comment(tomlkit: Any, text: str) -> Any:
    """A TOML comment of `text`, a control character written as its escape (``\\r``, ``\\x00``)."""
    return tomlkit.comment(_CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text))


def _keys(edits: tuple[Edit, ...], what: str) -> list[str]:
    return list(dict.fromkeys(e.key for e in edits if e.what == what and e.key))


def _rel(target: str | Path, folder: Path) -> str:
    """`target` as a POSIX path relative to `folder` (absolute when on another drive)."""
    try:
        return Path(os.path.relpath(Path(target).resolve(), folder.resolve())).as_posix()
    except ValueError:
        return Path(target).resolve().as_posix()


def _toml(value: Any, tomlkit: Any) -> Any:
    """A value as tomlkit writes it: mappings inside a rule as inline tables, whole floats as ints."""
    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        for k, v in value.items():
            table[str(k)] = _toml(v, tomlkit)
        return table
    if isinstance(value, (list, tuple)):
        return [_toml(v, tomlkit) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, Path):
        return str(value)
    return value
