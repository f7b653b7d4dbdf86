"""The documents of an amendment (`planner publish AMEND_DIR`): the amended list, 调整说明, letters.

Owns what an amendment folder publishes, from its slate.csv and summary.json's ``amendment``
record (every change with its cause; the 文号 and date given to ``planner amend --number/--date``)
and the scenario's ``[publication]`` block:

- 调整后认定名单.docx/.xlsx — the whole amended list, titled …认定名单（调整后）, the amendment's
  文号 in the header (the bundled 认定名单.docx template); 调整后推荐名单 too when a national
  pick changed;
- 调整说明.docx — the amendment's notice: which projects left the list and why, which project
  filled each place (its score, the rule group), any departure a rule forced (the clause and its
  words), the national changes, the attachments, 落款 and date;
- 反馈/<单位>.docx — a letter (调整告知.docx) only to each unit whose projects changed.

Names, never codes. Does not own reading the run folder, the common fields or writing
(`publication`, which calls `amendment_documents` when the folder is an amendment).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from planner.rules.publication import Publication, chinese_date
from planner.show.feedback import letter_names
from planner.show.letters import task_words
from planner.show.lists import list_groups, list_xlsx, recognised_list
from planner.show.word import BUNDLED, WordTemplate

#: The templates an amendment adds to publish's (an office folder may hold its own of each).
AMENDMENT_TEMPLATES = ("调整说明.docx", "调整告知.docx")
CAUSE_WORDS = {"withdrawn": "申报单位撤回", "ineligible": "经核查不符合申报条件", "rescored": "复核后调整评审分数",
               "forced": "按通知规定调出", "filled": "递补列入", "rule": "按通知规定列入", "room": "列入"}


def amendment_documents(slate: pd.DataFrame, summary: dict[str, Any], pub: Publication, common: dict[str, Any],
                        forms: dict[str, WordTemplate], templates: str | Path | None = None
                        ) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files and the letters (by file name) of an amendment folder.

    Parameters
    ----------
    slate : DataFrame
        The amended slate.csv, read (bool ``selected``/``national``; titles as filed).
    summary : dict
        Its summary.json, with ``amendment`` (``changes``, ``number``, ``date``, ``requests``).
    pub : Publication
        The scenario's block (the 文号 of the published list it amends).
    common : dict
        `publication._common_fields` of the round.
    forms : dict
        The list templates (认定名单.docx, 推荐名单.docx).
    templates : path, optional
        The office's template folder (its 调整说明.docx / 调整告知.docx win).
    """
    record = summary["amendment"]
    changes = pd.DataFrame(record.get("changes") or [])
    if "sentence_zh" in changes:            # the documents are Chinese whatever the terminal spoke
        changes["sentence"] = changes["sentence_zh"]
    number, date = str(record.get("number") or ""), _date(record.get("date"))
    fields = {**common, "number": number, "date": date, "base_number": pub.number}
    round_name = common["round_name"]
    titles = {"认定名单": f"{round_name}认定名单（调整后）",
              "推荐名单": f"{common['programme']}{common['year']}年度推荐参加国家级遴选项目名单（调整后）"}
    national_changed = bool(len(changes)) and bool((changes["list"] == "national").any())
    files: dict[str, bytes] = {}
    attachments = []
    for name, national_only in (("认定名单", False), ("推荐名单", True)):
        if national_only and not national_changed:
            continue
        table = recognised_list(slate, national_only=national_only)
        label = f"附件{len(attachments) + 1}"
        attachments.append(titles[name])
        files[f"调整后{name}.docx"] = forms[f"{name}.docx"].render(
            {**fields, "label": label, "title": titles[name], "groups": list_groups(table), "empty": not len(table)})
        files[f"调整后{name}.xlsx"] = list_xlsx(table, title=titles[name], sheet=f"调整后{name}", label=label,
                                             number=number)
    own = Path(templates) if templates is not None else None
    form = {n: WordTemplate.load(own / n if own is not None and (own / n).is_file() else BUNDLED / n)
            for n in AMENDMENT_TEMPLATES}
    n_selected = int(slate["selected"].astype(bool).sum())
    files["调整说明.docx"] = form["调整说明.docx"].render({
        **fields, "title": f"关于调整{round_name}认定名单的说明", "opening": _opening(record, pub, round_name),
        "sections": statement_sections(changes), "attachments": attachments,
        "closing": f"调整后，{round_name}认定名单共{n_selected}项（见附件1），其余项目不变。"})
    letters = {}
    units = changed_units(changes, slate)
    for file_name, (uid, name, rows) in zip(letter_names(units), units):
        letters[file_name] = form["调整告知.docx"].render({
            **fields, "title": f"{round_name}认定名单调整告知书", "unit": name,
            "opening": f"{round_name}认定名单{_of(pub.number)}公示后，我厅根据{_grounds(changes)}对名单作了调整"
                       f"{_of(number)}。贵单位有{len(rows)}个项目的结果有变化，告知如下。",
            "projects": rows, "closing": "其余项目的评审结果不变。如有疑问，请与我厅联系。"})
    return files, letters


def statement_sections(changes: pd.DataFrame) -> list[dict[str, Any]]:
    """The 调整说明's sections: 一、移出 (asked for and forced), 二、递补, 三、国家级推荐 — each a list of lines."""
    if not len(changes):
        return [{"heading": "一、名单无变化", "lines": ["本次调整未改变认定名单。"]}]
    prov, nat = changes[changes["list"] == "provincial"], changes[changes["list"] == "national"]
    titles = dict(zip(changes["candidate_id"].astype(str), changes["title"].astype(str)))
    sections = []
    numbers = iter("一二三四五")
    left = prov[prov["change"] == "left"]
    if len(left):
        sections.append({"heading": f"{next(numbers)}、移出认定名单的项目（{len(left)}项）",
                         "lines": [_left_line(r) for r in left.to_dict("records")]})
    entered = prov[prov["change"] == "entered"]
    if len(entered):
        sections.append({"heading": f"{next(numbers)}、递补列入认定名单的项目（{len(entered)}项）",
                         "lines": [_entered_line(r, titles) for r in entered.to_dict("records")]})
    if len(nat):
        sections.append({"heading": f"{next(numbers)}、推荐参加国家级遴选的项目调整（{len(nat)}项）",
                         "lines": [_national_line(r) for r in nat.to_dict("records")]})
    return sections


def changed_units(changes: pd.DataFrame, slate: pd.DataFrame) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(unit_id, unit_name, its changed projects for the letter) per unit with a change, by name then id."""
    if not len(changes):
        return []
    track = dict(zip(slate["candidate_id"].astype(str), slate["track"].fillna("").astype(str)))
    grouped: dict[str, list[dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for r in changes.to_dict("records"):
        uid = str(r["unit_id"])
        names[uid] = str(r["unit_name"])
        projects = grouped.setdefault(uid, [])
        same = next((p for p in projects if p["id"] == str(r["candidate_id"])), None)
        result = _result(r)
        if same is not None:                       # a project that changed on both lists: one entry
            same["result"] += "；" + result
            continue
        projects.append({"id": str(r["candidate_id"]), "no": len(projects) + 1, "title": str(r["title"]),
                         "task": task_words(str(r["task"]), track.get(str(r["candidate_id"]), "")),
                         "score": _score(r["score"]), "result": result, "reason": _plain(r)})
    out = [(uid, names[uid], rows) for uid, rows in grouped.items()]
    return sorted(out, key=lambda u: (u[1], u[0]))


# --------------------------------------------------------------------------- wording
def _opening(record: dict[str, Any], pub: Publication, round_name: str) -> str:
    requests = record.get("requests") or {}
    asked = str(requests.get("asked_by") or "")
    note = str(requests.get("note") or "")
    why = f"根据{asked}的申请，" if asked else ""
    return (f"{round_name}拟认定名单{_of(pub.number)}公示期间及公示后，{why}对名单作如下调整。"
            f"{note + '。' if note and not note.endswith(('。', '！')) else note}"
            "调整遵循“已公示且不受影响的项目不变动、空出的名额由规则允许的评审分数最高的项目递补”的原则。")


def _grounds(changes: pd.DataFrame) -> str:
    """What the amendment rests on, from the causes present: 申报单位撤回申请、异议核查结果、分数复核结果."""
    causes = set(changes["cause"]) if len(changes) else set()
    words = [w for c, w in (("withdrawn", "申报单位撤回申请"), ("ineligible", "异议核查结果"), ("rescored", "分数复核结果"))
             if c in causes]
    return "、".join(words) or "公示期间反映的情况"


def _left_line(r: dict[str, Any]) -> str:
    head = f"{r['title']}（{r['unit_name']}）"
    reason = f"（{r['reason']}）" if str(r.get("reason") or "") else ""
    if r["cause"] == "forced":
        return f"{head}：{_strip(r['sentence'])}。"
    if r["cause"] == "rescored":
        return f"{head}：{_strip(r['sentence'])}{reason}。"
    return f"{head}：{CAUSE_WORDS.get(r['cause'], '移出')}{reason}。"


def _entered_line(r: dict[str, Any], titles: dict[str, str]) -> str:
    head = f"{r['title']}（{r['unit_name']}，评审分数{_score(r['score'])}分）"
    return f"{head}：{_strip(r['sentence']).split('，列入')[0]}。"


def _national_line(r: dict[str, Any]) -> str:
    head = f"{r['title']}（{r['unit_name']}）"
    return f"{head}：{_strip(r['sentence'])}。"


def _result(r: dict[str, Any]) -> str:
    if r["list"] == "national":
        return "推荐参加国家级遴选" if r["change"] == "entered" else "不再推荐参加国家级遴选"
    return "列入认定名单" if r["change"] == "entered" else "移出认定名单"


def _plain(r: dict[str, Any]) -> str:
    text = _strip(r["sentence"])
    reason = str(r.get("reason") or "")
    return f"{text}（{reason}）。" if reason else f"{text}。"


def _strip(text: Any) -> str:
    return str(text or "").rstrip("。")


def _score(value: Any) -> str:
    number = pd.to_numeric(value, errors="coerce")
    return "" if pd.isna(number) else f"{float(number):g}"


def _of(number: str) -> str:
    return f"（{number}）" if number else ""


def _date(text: Any) -> str:
    if not text:
        return ""
    import datetime as dt
    try:
        return chinese_date(dt.date.fromisoformat(str(text)))
    except ValueError:
        return ""
