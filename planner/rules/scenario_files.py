"""Scenario files on disk: read, decoded, and merged over the files they extend.

Owns turning a scenario path into one parsed TOML mapping: UTF-8 and TOML syntax errors said
with line and column, `extends` chains followed (tables merged key by key, rules by id,
cycles refused), and the paths a file names (`candidates`, `history`, `plan.pools`) resolved
against that file and kept out of system folders. The mapping keeps the files' text
(``_text``, for line numbers) and their names (``_sources``). Does not own what the keys mean
(`syntax`, `policy`).
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from planner.errors import PolicyError, Problem

# Folders a scenario never reads from: an absolute or ../-escaping path into them is an error,
# not something to follow silently (a scenario file may come from someone else).
SYSTEM_PREFIXES = ("/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/run", "/var/run")


def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of a scenario file merged over the files it `extends`.

    Raises
    ------
    PolicyError
        The file (or one it extends) is missing, not UTF-8, not TOML, or extends in a cycle.
    """
    return _read_merged(Path(path), seen=())


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise PolicyError([Problem(str(path), "no such file", "a scenario TOML file")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(str(path), f"bytes that are not UTF-8 (at byte {exc.start})",
                                   "a UTF-8 TOML file")]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+), column (\d+)", msg)
        line, col = (int(m.group(1)), m.group(2)) if m else (None, None)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise PolicyError([Problem(str(path), f"TOML syntax error: {reason}", "valid TOML",
                                   row=line, column=f"column {col}" if col else None)]) from None


def _read_merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read `path`, resolve its relative paths, and merge it over the file it extends."""
    resolved = path.resolve()
    if resolved in seen:
        chain = " → ".join(p.name for p in (*seen, resolved))
        raise PolicyError([Problem(str(path), f"a cycle of extends: {chain}", "a chain of files without cycles")])
    data, text = _read_toml(path)
    data["_text"] = text
    data["_sources"] = [str(path)]
    for key in ("candidates",):
        if isinstance(data.get(key), str):
            data[key] = str(_resolve(path, data[key], key))
    if isinstance(data.get("history"), list):
        data["history"] = [str(_resolve(path, h, "history")) if isinstance(h, str) else h for h in data["history"]]
    plan = data.get("plan")
    if isinstance(plan, dict) and isinstance(plan.get("pools"), list):
        data["plan"] = {**plan, "pools": [str(_resolve(path, p, "plan.pools")) if isinstance(p, str) else p
                                          for p in plan["pools"]]}
    base_ref = data.pop("extends", None)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str):
        raise PolicyError([Problem(str(path), f"extends = {base_ref!r}", "a path to another scenario file",
                                   column="extends")])
    base = _read_merged(_resolve(path, base_ref, "extends"), seen=(*seen, resolved))
    return _merge(base, data)


def _resolve(scenario_path: Path, ref: str, key: str = "path") -> Path:
    """A path named in a scenario, relative to the scenario file; never into a system folder."""
    ref_path = Path(ref)
    target = ref_path if ref_path.is_absolute() else (scenario_path.parent / ref_path)
    resolved = str(target.resolve())
    for prefix in SYSTEM_PREFIXES:
        if resolved == prefix or resolved.startswith(prefix + "/"):
            raise PolicyError([Problem(str(scenario_path), f'{key} = "{ref}", which resolves to {resolved} '
                                       f"(a system location)",
                                       "a path to the project's data, relative to the scenario file",
                                       column=key)])
    return target


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, rules by id, everything else is replaced."""
    out = dict(base)
    for key, value in child.items():
        if key == "rule":
            rules = list(base.get("rule", []))
            index = {r.get("id"): i for i, r in enumerate(rules) if isinstance(r, dict)}
            for r in value if isinstance(value, list) else []:
                rid = r.get("id") if isinstance(r, dict) else None
                if rid in index:
                    rules[index[rid]] = r
                else:
                    rules.append(r)
            out["rule"] = [r for r in rules if not (isinstance(r, dict) and r.get("enabled") is False)]
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key != "_text":
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    out["_text"] = base.get("_text", "") + "\n" + child.get("_text", "")
    out["_sources"] = [*child.get("_sources", []), *base.get("_sources", [])]
    return out
