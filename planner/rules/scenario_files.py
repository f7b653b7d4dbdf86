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
from planner.lang import say
from planner.rules.messages import rule_words, suggest
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
            raise PolicyError([Problem(chain[-1]["_sources"][0], say(f"extends 形成循环：{names}", f"a cycle of extends: {names}"),
                                       say("不成环的文件链", "a chain of files without cycles"), column="extends")])
        if len(chain) >= MAX_EXTENDS:
            raise PolicyError([Problem(str(path), say(f"extends 链超过 {MAX_EXTENDS} 层（在 {current.name}）",
                                                      f"a chain of extends more than {MAX_EXTENDS} files deep "
                                                      f"(at {current.name})"),
                                       say(f"至多 {MAX_EXTENDS} 个文件", f"at most {MAX_EXTENDS} files"), column="extends")])
        seen.append(resolved)
        data = _read_one(current)
        chain.append(data)
        base_ref = data.pop("extends", None)
        if base_ref is None:
            break
        if not isinstance(base_ref, str):
            raise PolicyError([Problem(str(current), f"extends = {base_ref!r}",
                                       say("另一个情景文件的路径", "a path to another scenario file"),
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
        raise PolicyError([Problem(named_in or str(path), say(f"{path}，一个循环的链接（{exc}）", f"{path}, a link that loops ({exc})"),
                                   say("文件的路径", "a path to a file"), column=key if named_in else None)]) from None


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
        found = say("一个文件夹", "a folder") if path.is_dir() else (
            say("一个指向不存在之处或循环的链接", "a link that leads nowhere or loops") if path.is_symlink()
            else say("没有这个文件", "no such file"))
        raise PolicyError([Problem(str(path), found, say("情景 TOML 文件", "a scenario TOML file"))])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([Problem(str(path), say(f"无法读取的文件（{exc.strerror or exc}）",
                                                  f"a file that cannot be read ({exc.strerror or exc})"),
                                   say("规划程序可以读取的情景 TOML 文件", "a scenario TOML file the planner may read"))]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(str(path), say(f"不是 UTF-8 的字节（第 {exc.start} 字节处）",
                                                  f"bytes that are not UTF-8 (at byte {exc.start})"),
                                   say("UTF-8 编码的 TOML 文件", "a UTF-8 TOML file"))]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"at line (\d+), column (\d+)", msg)
        line, col = (int(m.group(1)), m.group(2)) if m else (None, None)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        column = say(f"第 {col} 列", f"column {col}") if col else None
        rule = _rule_at(text, line) if line else None
        if rule is not None and column:
            column = say(f"{rule}，{column}", f"{rule}, {column}")
        said = TOML_REASONS.get(reason.split(" (")[0].strip(), reason)
        raise PolicyError([Problem(str(path), say(f"TOML 语法错误：{said}", f"TOML syntax error: {reason}"),
                                   say("合乎语法的 TOML（数字不加引号，如 15；文字加引号）", "valid TOML"),
                                   row=line, column=column)]) from None
    except RecursionError:
        raise PolicyError([Problem(str(path), say("表或数组嵌套太深，无法读取", "tables or arrays nested too deep to read"),
                                   say("嵌套较浅的 TOML 文件", "a flatter TOML file"))]) \
            from None


#: tomllib's reasons in Chinese (others are shown as tomllib says them).
TOML_REASONS = {
    "Invalid value": "无效的值（数字不加引号，文字要加引号）",
    "Invalid statement": "无效的语句",
    "Expected '=' after a key in a key/value pair": "键的后面应有“=”",
    "Expected newline or end of document after a statement": "一条语句之后应换行",
    "Unterminated string": "字符串缺少结尾的引号",
    "Invalid initial character for a key part": "键的开头字符无效",
    "Unclosed array": "数组缺少结尾的“]”",
    "Unclosed inline table": "行内表缺少结尾的“}”",
    "Cannot declare ": "重复声明",
    "Cannot overwrite a value": "不能覆盖已有的值",
}


def _rule_at(text: str, line: int) -> str | None:
    """The `[[rule]]` table a line of a TOML text falls in, by its clause and words (None outside one).

    Read from the lines (the file does not parse): the last ``[[rule]]`` header before the line,
    and the ``id``, ``clause`` and ``text`` strings of that table.
    """
    lines = text.splitlines()
    heads = [i for i, row in enumerate(lines[:line]) if re.match(r"^\s*\[", row)]
    if not heads or not re.match(r"^\s*\[\[\s*rule\s*\]\]", lines[heads[-1]]):
        return None
    start = heads[-1] + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"^\s*\[", lines[i])), len(lines))
    keys = {}
    for row in lines[start:end]:
        m = re.match(r'^\s*(id|clause|text)\s*=\s*"([^"]*)"', row)
        if m:
            keys[m.group(1)] = m.group(2)
    if "id" not in keys:
        return None
    return rule_words(keys["id"], keys.get("clause", ""), keys.get("text", ""))


def _resolve(scenario_path: Path, ref: str, key: str = "path") -> Path:
    """A path named in a scenario, relative to the scenario file; never into a system folder."""
    ref_path = Path(ref)
    target = ref_path if ref_path.is_absolute() else (scenario_path.parent / ref_path)
    try:
        resolved = str(target.resolve())
    except (RuntimeError, OSError) as exc:
        raise PolicyError([Problem(str(scenario_path), say(f'{key} = "{ref}"，一个循环的链接（{exc}）',
                                                           f'{key} = "{ref}", a link that loops ({exc})'),
                                   say("文件的路径", "a path to a file"), column=key)]) from None
    for prefix in SYSTEM_PREFIXES:
        if resolved == prefix or resolved.startswith(prefix + "/"):
            raise PolicyError([Problem(str(scenario_path), say(f'{key} = "{ref}"，指向系统位置 {resolved}',
                                                               f'{key} = "{ref}", which resolves to {resolved} (a system location)'),
                                       say("项目数据的路径（相对于情景文件）", "a path to the project's data, relative to the scenario file"),
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
                raise PolicyError([Problem(child_file, f"rule = {value!r}",
                                           say("[[rule]] 表（按编号覆盖基础文件的规则）", "[[rule]] tables (rules by id over the base's)"),
                                           row=_line(child_text, r"^\s*rule\s*="), column="rule")])
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
                raise PolicyError([Problem(child_file, say(f"规则[{rid}]，所扩展的文件中没有这条规则",
                                                           f'rule "{rid}", which no rule of the files it extends has'),
                                           say("要关闭或覆盖的规则的编号", "the id of a rule to switch off or override"),
                                           row=_line(child_text, r'^\s*id\s*=\s*["\']' + re.escape(rid) + r'["\']'),
                                           column=say(f"规则[{rid}] 的 id", f'rule "{rid}" id'), hint=suggest(rid, ids))
                                   for rid in unknown])
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
