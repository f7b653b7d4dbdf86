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
from planner.inputs import suggest
from planner.rules.switches import check_switches
from planner.rules.syntax import Context, SourceText, check_tables

# Folders a scenario never reads from: an absolute or ../-escaping path into them is an error,
# not something to follow silently (a scenario file may come from someone else).
SYSTEM_PREFIXES = ("/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/run", "/var/run")


#: The deepest `extends` chain read: a scenario extends a base, rarely a base of a base; a
#: chain this long is a mistake (or a file that extends itself under many names).
MAX_EXTENDS = 32


def read_scenario_file(path: str | Path) -> dict[str, Any]:
    """The parsed TOML of a scenario file merged over the files it `extends`.

    Raises
    ------
    PolicyError
        The file (or one it extends) is missing, unreadable, not UTF-8, not TOML, extends in a
        cycle or more than `MAX_EXTENDS` deep; a child file's `rule` is not an array of tables, or
        switches off or overrides a rule id that no base file has; a switch is set that nothing
        reads, or to a value it cannot take (see `switches.check_switches`).
    """
    chain: list[dict[str, Any]] = []                 # the named file first, then each base
    seen: list[Path] = []
    current = Path(path)
    while True:
        resolved = _resolved(current, "extends" if chain else "scenario", chain[-1]["_sources"][0] if chain else None)
        if resolved in seen:
            names = " → ".join(p.name for p in (*seen, resolved))
            raise PolicyError([Problem(chain[-1]["_sources"][0], f"a cycle of extends: {names}",
                                       "a chain of files without cycles", column="extends")])
        if len(chain) >= MAX_EXTENDS:
            raise PolicyError([Problem(str(path), f"a chain of extends more than {MAX_EXTENDS} files deep "
                                       f"(at {current.name})", f"at most {MAX_EXTENDS} files", column="extends")])
        seen.append(resolved)
        data = _read_one(current)
        chain.append(data)
        base_ref = data.pop("extends", None)
        if base_ref is None:
            break
        if not isinstance(base_ref, str):
            raise PolicyError([Problem(str(current), f"extends = {base_ref!r}", "a path to another scenario file",
                                       column="extends")])
        current = _resolve(current, base_ref, "extends")
    merged = chain[-1]
    first_values = dict(merged.get("switches") or {}) if isinstance(merged.get("switches"), dict) else {}
    root_names = tuple(first_values)
    for child in reversed(chain[:-1]):
        merged = _merge(merged, child)
        if isinstance(child.get("switches"), dict):
            first_values = {**child["switches"], **first_values}
    _check(merged, first_values, root_names, label=Path(path).name)
    return merged


def _check(data: dict[str, Any], first_values: dict[str, Any], root_names: tuple[str, ...], *, label: str) -> None:
    ctx = Context(label, data.get("_text", ""), {}, {})
    check_tables(data, ctx)
    if not ctx.problems:
        check_switches(data, first_values, ctx, root_names=root_names)
    if ctx.problems:
        raise PolicyError(ctx.problems)


def _resolved(path: Path, key: str, named_in: str | None) -> Path:
    """`path` with every link followed; a link that loops is a located error."""
    try:
        return path.resolve(strict=False)
    except (RuntimeError, OSError) as exc:
        raise PolicyError([Problem(named_in or str(path), f"{path}, a link that loops ({exc})",
                                   "a path to a file", column=key if named_in else None)]) from None


def _read_one(path: Path) -> dict[str, Any]:
    """One file: parsed, its text kept for line numbers, its relative paths resolved."""
    data, text = _read_toml(path)
    data["_text"] = SourceText.of(path.name, text)
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
    return data


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        found = "a folder" if path.is_dir() else ("a link that leads nowhere or loops" if path.is_symlink()
                                                 else "no such file")
        raise PolicyError([Problem(str(path), found, "a scenario TOML file")])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem(str(path), f"a file that cannot be read ({exc.strerror or exc})",
                                   "a scenario TOML file the planner may read")]) from None
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
    except RecursionError:
        raise PolicyError([Problem(str(path), "tables or arrays nested too deep to read", "a flatter TOML file")]) \
            from None


def _resolve(scenario_path: Path, ref: str, key: str = "path") -> Path:
    """A path named in a scenario, relative to the scenario file; never into a system folder."""
    ref_path = Path(ref)
    target = ref_path if ref_path.is_absolute() else (scenario_path.parent / ref_path)
    try:
        resolved = str(target.resolve())
    except (RuntimeError, OSError) as exc:
        raise PolicyError([Problem(str(scenario_path), f'{key} = "{ref}", a link that loops ({exc})',
                                   "a path to a file", column=key)]) from None
    for prefix in SYSTEM_PREFIXES:
        if resolved == prefix or resolved.startswith(prefix + "/"):
            raise PolicyError([Problem(str(scenario_path), f'{key} = "{ref}", which resolves to {resolved} '
                                       f"(a system location)",
                                       "a path to the project's data, relative to the scenario file",
                                       column=key)])
    return target


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, rules by id, everything else is replaced.

    A child's rule whose id no base rule has is a new rule — unless it only switches a rule off
    (`enabled`) or has no bound, which can only mean an override of a rule that is not there (a
    misspelt id): that is an error, with the nearest id.
    """
    out = dict(base)
    child_file = Path(child.get("_sources", ["<scenario>"])[0]).name
    child_text = child.get("_text", "")
    for key, value in child.items():
        if key in ("_text", "_sources"):
            continue
        if key == "rule":
            if not isinstance(value, list):
                raise PolicyError([Problem(child_file, f"rule = {value!r}", "[[rule]] tables (rules by id over "
                                           "the base's)", row=_line(child_text, r"^\s*rule\s*="), column="rule")])
            rules = list(base.get("rule", []) if isinstance(base.get("rule"), list) else [])
            index = {r.get("id"): i for i, r in enumerate(rules) if isinstance(r, dict)}
            unknown = []
            for r in value:
                rid = r.get("id") if isinstance(r, dict) else None
                if rid in index:
                    rules[index[rid]] = r
                else:
                    if isinstance(r, dict) and isinstance(rid, str) and (r.get("enabled") is False or not {"min", "max"} & set(r)):
                        unknown.append(rid)
                    rules.append(r)
            if unknown:
                ids = [i for i in index if isinstance(i, str)]
                raise PolicyError([Problem(child_file, f'rule "{rid}", which no rule of the files it extends has',
                                           "the id of a rule to switch off or override",
                                           row=_line(child_text, r'^\s*id\s*=\s*["\']' + re.escape(rid) + r'["\']'),
                                           column=f'rule "{rid}" id', hint=suggest(rid, ids)) for rid in unknown])
            out["rule"] = [r for r in rules if not (isinstance(r, dict) and r.get("enabled") is False)]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    out["_text"] = SourceText.joined(base.get("_text", ""), child_text)
    out["_sources"] = [*child.get("_sources", []), *base.get("_sources", [])]
    return out


def _line(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.MULTILINE)
    return text[: match.start()].count("\n") + 1 if match else None
