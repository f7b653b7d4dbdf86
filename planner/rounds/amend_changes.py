"""What an amendment changed and why: one row per change, each cause checked on the slate itself.

Owns `change_table`: the published decisions set against the amended slate, and per change who
left or entered which list (provincial 认定名单, national 推荐) and why —

- **requested**: withdrawn by its unit, found ineligible, rescored (the request's own reason);
- **forced** (a published project that leaves although nobody asked): the hard rules it would
  break if it were put back, named by clause and words — found by putting it back and auditing
  (`audit.check_slate`), never by reading the solver;
- **filled** (a project that enters): the departure whose place it takes — the one that, swapped
  back for it, leaves every hard rule met — and the rule groups that place belongs to; or the
  minimum that requires it (taking it out breaks that minimum); or room the rules left.

Also `count_changes` (the numbers summary.json records) and `published_flags`. Plain pandas and
the auditor: no solver. Does not own solving the amendment (`amend`).
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from planner.audit import check_slate
from planner.inputs import load_catalogue
from planner.lang import language, say, speaking
from planner.rules import notice_words

#: The columns of a change table, in order.
CHANGE_COLUMNS = ["candidate_id", "title", "unit_id", "unit_name", "locality", "task", "score", "list", "change",
                  "cause", "requested_now", "fills", "rule_id", "clause", "rule_text", "group", "reason", "sentence",
                  "sentence_zh"]
#: Causes a request makes (not counted as changes the amendment chose).
REQUESTED = ("withdrawn", "ineligible", "rescored")
#: How the place an entrant takes was left, by the leaver's cause.
LEFT_WORDS = {"withdrawn": ("撤回", "withdrawn"), "ineligible": ("因不符合条件移出", "ineligible"),
              "rescored": ("复核改分移出", "rescored"), "forced": ("调出", "forced out")}
CODE = re.compile(r"^[A-Za-z0-9_\-]+$")       # a value no person should read (a code, an id)
TRUE_WORDS = ("1", "true", "是", "yes", "y", "t")


def published_flags(base_slate: pd.DataFrame, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published flags (selected, national) over `ids`; an id the base lacks was not published.

    Parameters
    ----------
    base_slate : DataFrame
        ``candidate_id`` and ``selected``/``national`` as bool, 0/1 or 是/否.
    """
    ids_base = base_slate["candidate_id"].astype(str).to_numpy()
    out = []
    for column in ("selected", "national"):
        if column in base_slate:
            values = base_slate[column]
            flags = values.to_numpy(dtype=bool) if values.dtype == bool else \
                values.astype(str).str.strip().str.lower().isin(TRUE_WORDS).to_numpy()
        else:
            flags = np.zeros(len(base_slate), bool)
        lookup = dict(zip(ids_base, flags))
        out.append(np.array([bool(lookup.get(str(i), False)) for i in ids], dtype=bool))
    return out[0], out[1]


def change_table(result: Any, base_slate: pd.DataFrame, every: Any, now: Any, *, explain: bool = True) -> pd.DataFrame:
    """One row per change of `result`'s slate against the published `base_slate` (`CHANGE_COLUMNS`).

    Parameters
    ----------
    result : Result
        The amended (or fully re-solved) round: ``slate``, ``scenario``, ``history``.
    base_slate : DataFrame
        The published decisions (``candidate_id``, ``selected``, ``national``).
    every, now : Requests
        Every request in force (a chain's earlier ones too) and this amendment's own.
    explain : bool
        Find the forcing rules and the vacancies (one audit per probe); False: causes only.
    """
    probe = _Probe(result) if explain else None
    table = _changes(result, base_slate, every, now, probe)
    if language() == "zh":
        table["sentence_zh"] = table["sentence"]
    else:                       # the documents are Chinese whatever the terminal speaks (probes cached)
        with speaking("zh"):
            table["sentence_zh"] = _changes(result, base_slate, every, now, probe)["sentence"].to_numpy()
    return table


def _changes(result: Any, base_slate: pd.DataFrame, every: Any, now: Any, probe: _Probe | None) -> pd.DataFrame:
    slate = result.slate
    ids = slate["candidate_id"].astype(str).to_numpy()
    pub_sel, pub_nat = published_flags(base_slate, ids)
    sel = slate["selected"].to_numpy(dtype=bool)
    nat = slate["national"].to_numpy(dtype=bool)
    rows: list[dict[str, Any]] = []
    for listed, before, after in (("provincial", pub_sel, sel), ("national", pub_nat, nat)):
        left = [int(i) for i in np.flatnonzero(before & ~after)]
        entered = [int(i) for i in np.flatnonzero(~before & after)]
        out_rows = {i: _left(slate, i, listed, every, now, probe) for i in left}
        rows += out_rows.values()
        taken: set[int] = set()
        for i in sorted(entered, key=lambda i: -float(slate[result.scenario.maximise].iat[i]
                                                     if result.scenario.maximise in slate else 0)):
            rows.append(_entered(slate, i, listed, every, now, probe, left, taken,
                                 {j: r["cause"] for j, r in out_rows.items()}))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS[:-1])


def count_changes(changes: pd.DataFrame) -> dict[str, int]:
    """The numbers of a change table: requested, forced departures, entries (each list) and their sum.

    ``changes`` counts what the amendment chose — forced departures and entries, provincial and
    national — not the departures the requests themselves make.
    """
    chosen = changes[~changes["cause"].isin(REQUESTED)]
    prov, nat = chosen[chosen["list"] == "provincial"], chosen[chosen["list"] == "national"]
    return {"requested": int(changes["cause"].isin(REQUESTED).sum()),
            "forced": int((prov["change"] == "left").sum()), "entered": int((prov["change"] == "entered").sum()),
            "national_left": int((nat["change"] == "left").sum()),
            "national_entered": int((nat["change"] == "entered").sum()),
            "changes": int(len(chosen))}


# --------------------------------------------------------------------------- one change
class _Probe:
    """The amended slate with one or two decisions flipped, audited: the hard rule groups it breaks."""

    def __init__(self, result: Any) -> None:
        self.slate = result.slate.copy()
        self.slate["selected"] = self.slate["selected"].astype(np.int8)
        self.slate["national"] = self.slate["national"].astype(np.int8)
        self.scenario = result.scenario
        self.history = result.history
        self.rules = {r.id: r for r in result.scenario.rules}
        self.seen: dict[tuple, list[dict[str, Any]]] = {}
        self.units = dict(zip(self.slate["unit_id"].astype(str), self.slate["unit_name"].astype(str))) \
            if "unit_id" in self.slate and "unit_name" in self.slate else {}

    def broken(self, flips: list[tuple[int, str, int]]) -> list[dict[str, Any]]:
        """Hard rule groups broken after setting ``column`` of row ``i`` to ``value`` for each flip."""
        key = tuple(flips)
        if key not in self.seen:
            self.seen[key] = self._broken(flips)
        return self.seen[key]

    def _broken(self, flips: list[tuple[int, str, int]]) -> list[dict[str, Any]]:
        trial = self.slate.copy()
        for i, column, value in flips:
            trial.iloc[i, trial.columns.get_loc(column)] = value
            if column == "selected" and value == 0:
                trial.iloc[i, trial.columns.get_loc("national")] = 0
        report = check_slate(trial, self.scenario, history=self.history)
        out = []
        for r in report.hard_violations.to_dict("records"):
            rule = self.rules.get(str(r["rule_id"]))
            task = str(self.slate["task"].iat[flips[0][0]]) if "task" in self.slate else ""
            out.append({"rule_id": str(r["rule_id"]), "clause": str(r.get("clause", "") or ""),
                        "rule_text": notice_words(rule.text) if rule is not None else str(r.get("text", "")),
                        "group": str(r["group"]), "group_words": group_words(str(r["group"]), task, self.units),
                        "bound": "min" if _below(r) else "max"})
        return out


def _below(r: dict[str, Any]) -> bool:
    lo = r.get("min")
    return lo is not None and not pd.isna(lo) and float(r["value"]) < float(lo)


def _base_row(slate: pd.DataFrame, i: int, listed: str, change: str) -> dict[str, Any]:
    def text(column: str) -> str:
        return str(slate[column].iat[i]) if column in slate else ""
    score = float(slate["score"].iat[i]) if "score" in slate else float("nan")
    return {"candidate_id": text("candidate_id"), "title": text("title"), "unit_id": text("unit_id"),
            "unit_name": text("unit_name"), "locality": text("locality"), "task": text("task"), "score": score,
            "list": listed, "change": change, "cause": "", "requested_now": False, "fills": "", "rule_id": "",
            "clause": "", "rule_text": "", "group": "", "reason": "", "sentence": ""}


def _which_list(listed: str) -> str:
    return say("省级认定名单", "the provincial list") if listed == "provincial" else \
        say("国家级遴选推荐名单", "the national recommendations")


def _left(slate: pd.DataFrame, i: int, listed: str, every: Any, now: Any, probe: _Probe | None) -> dict[str, Any]:
    row = _base_row(slate, i, listed, "left")
    cid = row["candidate_id"]
    row["reason"] = every.reasons.get(cid, "")
    row["requested_now"] = cid in now.ids
    where = _which_list(listed)
    if cid in every.withdraw:
        row["cause"] = "withdrawn"
        row["sentence"] = say(f"申报单位撤回，移出{where}", f"withdrawn by the unit, leaves {where}")
    elif cid in every.ineligible:
        row["cause"] = "ineligible"
        row["sentence"] = say(f"经核查不符合申报条件，移出{where}", f"found ineligible, leaves {where}")
    elif cid in every.rescore:
        row["cause"] = "rescored"
        row["sentence"] = say(f"复核后评审分数为{every.rescore[cid]:g}分，按新分数未能保留在{where}中",
                              f"rescored to {every.rescore[cid]:g}; on the new score it leaves {where}")
    else:
        row["cause"] = "forced"
        column = "selected" if listed == "provincial" else "national"
        rules = probe.broken([(i, column, 1)]) if probe is not None else []
        if rules:
            first = rules[0]
            row.update({k: first[k] for k in ("rule_id", "clause", "rule_text", "group")})
            words = "；".join(_rule_words(r) for r in rules)
            row["sentence"] = say(f"若保留本项目，将不符合{words}，因此移出{where}",
                                  f"keeping it would break {words}; it leaves {where}")
        else:
            row["sentence"] = say(f"为同时满足通知的其他要求，移出{where}", f"leaves {where} for the other rules to hold")
    return row


def _entered(slate: pd.DataFrame, i: int, listed: str, every: Any, now: Any, probe: _Probe | None,
             left: list[int], taken: set[int], causes: dict[int, str]) -> dict[str, Any]:
    row = _base_row(slate, i, listed, "entered")
    cid = row["candidate_id"]
    column = "selected" if listed == "provincial" else "national"
    where = _which_list(listed)
    score = f"{row['score']:g}"
    if cid in every.rescore:
        row.update(cause="rescored", reason=every.reasons.get(cid, ""), requested_now=cid in now.ids)
        row["sentence"] = say(f"复核后评审分数为{every.rescore[cid]:g}分，按新分数列入{where}",
                              f"rescored to {every.rescore[cid]:g}; on the new score it enters {where}")
        return row
    if probe is None:
        row["cause"] = "filled"
        row["sentence"] = say(f"列入{where}（评审分数{score}分）", f"enters {where} (score {score})")
        return row
    needed = [r for r in probe.broken([(i, column, 0)]) if r["bound"] == "min"]
    if needed:
        first = needed[0]
        row.update({k: first[k] for k in ("rule_id", "clause", "rule_text", "group")}, cause="rule")
        words = "；".join(_rule_words(r) for r in needed)
        row["sentence"] = say(f"按{words}须列入，列入{where}（评审分数{score}分）",
                              f"required by {words}; enters {where} (score {score})")
        return row
    order = sorted(left, key=lambda j: (j in taken, *_unlike(slate, i, j)))     # its own unit's place first
    for j in order:
        if not probe.broken([(i, column, 0), (j, column, 1)]):     # swapped back: every hard rule holds
            groups = [r for r in probe.broken([(j, column, 1)]) if r["bound"] == "max"]
            taken.add(j)
            who = str(slate["title"].iat[j]) if "title" in slate else str(slate["candidate_id"].iat[j])
            row.update(cause="filled", fills=str(slate["candidate_id"].iat[j]))
            if groups:
                first = groups[0]
                row.update({k: first[k] for k in ("rule_id", "clause", "rule_text", "group")})
                place = say(f"，该名额属{_rule_words(first)}", f" ({_rule_words(first)})")
            else:
                place = ""
            zh, en = LEFT_WORDS.get(causes.get(j, ""), LEFT_WORDS["forced"])
            row["sentence"] = say(f"递补“{who}”{zh}后空出的名额{place}，列入{where}（评审分数{score}分）",
                                  f"takes the place \"{who}\" left ({en}){place}; enters {where} (score {score})")
            return row
    row["cause"] = "room"
    row["sentence"] = say(f"名额有空余，按评审分数列入{where}（评审分数{score}分）",
                          f"a place was free; enters {where} on its score ({score})")
    return row


def _unlike(slate: pd.DataFrame, i: int, j: int) -> tuple[bool, ...]:
    """How far departure `j` is from entrant `i`: another unit, another task or track, another
    locality (a swap that holds every rule may pair any two; the office names the nearest)."""
    return tuple(str(slate[c].iat[i]) != str(slate[c].iat[j]) for c in ("unit_id", "task", "track", "locality")
                 if c in slate)


def group_words(group: str, task: str = "", units: dict[str, str] | None = None) -> str:
    """A rule group's key in words: each part a locality, a unit's name, a task, track, level, tier or
    kind by its Chinese label; a part that stays a code is left out ("" for the whole province)."""
    if group in ("(all)", "", "全省"):
        return ""
    cat = load_catalogue()
    tracks = {code: name for t in cat.tasks.values() for code, name in t.tracks.items()}
    tracks.update(cat.tracks_of(task))
    words = []
    for part in str(group).split("|"):
        if units and part in units:
            words.append(units[part])
            continue
        label = next((cat.label(c, part) for c in ("task", "level", "tier", "unit_kind") if cat.label(c, part) != part),
                     tracks.get(part, part))
        if not CODE.match(label):
            words.append(label)
    return "、".join(words)


def _rule_words(r: dict[str, Any]) -> str:
    named = r.get("group_words", r["group"])
    group = "" if not named else say(f"（{named}）", f" ({r['group']})")
    clause = say(f"通知{r['clause']}", f"clause {r['clause']}") if r["clause"] else say("规则", "rule")
    return say(f"{clause}“{r['rule_text']}”{group}", f"{clause} \"{r['rule_text']}\"{group}")
