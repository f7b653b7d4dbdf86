"""Every sentence the command line prints itself, in Chinese and in English: one catalogue.

Owns the language of the terminal (Chinese by default; English with the global ``--lang en``,
which every command also takes), the message templates keyed by a code (`say`), and the words
for codes a person should not have to read: solver statuses (`status_word`), reason codes
(`reason_word`), counterfactual outcomes and methods, solve phases. Sentences the library
writes (reasons, conflicts, input errors) come from the library and are not repeated here.
"""
from __future__ import annotations

import math

from planner import lang as _library

_state = {"lang": "zh"}


def set_language(lang: str) -> None:
    _state["lang"] = "en" if lang == "en" else "zh"
    _library.set_language(_state["lang"])          # the library's messages follow the terminal


def lang() -> str:
    """``zh`` or ``en``: the language of this command's terminal output."""
    return _state["lang"]


def english() -> bool:
    return _state["lang"] == "en"


MESSAGES: dict[str, tuple[str, str]] = {
    # Ctrl-C (said once, by cli.root)
    "interrupted": ("中断：已按 Ctrl-C 停止，未写入任何文件", "interrupted: nothing was written"),
    "interrupted_after": ("中断：已按 Ctrl-C 停止；此前已完整写入 {folders}，其他未写入",
                          "interrupted after writing {folders} (complete); nothing else was written"),
    # check
    "check_ok": ("检查通过：{label}，{rules} 条规则，{candidates} 个候选项目",
                 "ok: {label}: {rules} rules; {candidates} candidates"),
    # solve
    "solve_headline": ("{name}：{status}", "{name}: {status}"),
    "solve_total": ("评审总分 {total}：入选 {selected} 项（候选 {candidates} 项），国家级推荐 {national} 项",
                    "total score {total}: {selected} selected of {candidates} candidates, {national} national"),
    "solve_objective": ("  求解目标 {objective} = {parts}", "  objective {objective} = {parts}"),
    "part_total": ("评审总分 {value}", "total score {value}"),
    "part_penalty": ("− 目标偏差计分 {value}", "− soft-rule penalty {value}"),
    "part_later": ("+ 后续年度规划入选分 {value}", "+ planned picks of later years {value}"),
    "note_later": ("  （后续年度规划入选分：为以后年度预留名额的候选项目得分，只用于不透支以后年度，不计入本年度名单）",
                   "  (planned picks of later years: scores of candidates the plan keeps places for in later years, "
                   "only so that this round does not spend them; not on this year's slate)"),
    "note_penalty": ("  （目标偏差计分：偏离“左右”目标等可放宽规则时计入的分数）",
                     "  (soft-rule penalty: points lost where a rule that may bend, such as an \"about\" target, "
                     "is exceeded)"),
    "solve_groups": ("规则组 {groups} 个，其中 {binding} 个已到限额；建模 {build} 秒，求解 {solve} 秒",
                     "{groups} rule groups, {binding} binding; build {build} s, solve {solve} s"),
    "solve_table": ("各任务入选情况", "slate by task"),
    "solve_columns": ("任务类别|候选|入选|国家级|入选最低分", "task|candidates|selected|national|lowest"),
    "solve_files": ("slate.xlsx（中文名单）、slate.csv、summary.json、rules.csv、explanations.csv、ledger.csv",
                    "slate.xlsx (Chinese), slate.csv, summary.json, rules.csv, explanations.csv, ledger.csv"),
    "solve_alternatives": ("另有 {n} 份名单达到同一最优值：见 {path}", "{n} other slates reach the same optimum: see {path}"),
    "solve_time_limit": ("warning: 时限已到：给出找到的最好名单，与最优界差距 {gap}",
                         "warning: time limit reached — best slate found, gap {gap}"),
    "solve_progress": ("求解{phase}：已证明 {proven}/{parts} 个独立部分", "solving {phase}: {proven}/{parts} parts proven"),
    "progress_best": ("，最好 {value}", ", best {value}"),
    "progress_bound": ("，上界 {value}", ", bound {value}"),
    "progress_gap": ("，差距 {value}", ", gap {value}"),
    "verified": ("已验证：{path} 逐字节重现（{sha}）", "verified: {path} is reproduced byte for byte ({sha})"),
    # audit
    "audit_passed": ("审核通过：名单与候选项目表一致；{groups} 个规则组，每条硬性规则都满足",
                     "audit passed: the slate matches its candidate table; {groups} rule groups, every hard rule holds"),
    # compare
    "compare_labels": ("A = {a}   B = {b}", "A = {a}   B = {b}"),
    "compare_headline": ("评审总分 {a} → {b}（{delta}）；入选 {na} → {nb}；新入选 {entered} 项，落选 {left} 项；"
                         "{changed} 个规则组的限额状态改变",
                         "total score {a} → {b} ({delta}); selected {na} → {nb}; {entered} entered, {left} left; "
                         "{changed} rule group(s) changed binding status"),
    "compare_entered": ("新入选（B 有、A 无）：{n} 项", "entered (in B, not in A): {n}"),
    "compare_left": ("落选（A 有、B 无）：{n} 项", "left (in A, not in B): {n}"),
    "compare_locality": ("各地区入选数", "selected per locality"),
    "compare_tier": ("各档次入选数", "selected per tier"),
    "compare_binding": ("限额状态改变的规则组：{n} 个", "binding status changed: {n}"),
    "compare_more": ("…… 另有 {n} 行（--rows 显示更多，--out 全部写出）",
                     "… {n} more (--rows to show more, --out to write them all)"),
    "written_list": ("已写入 {target}：{files}", "written to {target}: {files}"),
    "written_file": ("已写入 {path}", "written to {path}"),
    # explain
    "explain_not_optimal": ("warning: 名单未证明最优（差距 {gap}）：反事实以此名单为准比较",
                            "warning: the slate is not proven optimal (gap {gap}): counterfactuals compare with it as it is"),
    "explain_nothing": ("没有要解释的内容：请给出 --candidate 编号、--all 或 --alternatives K",
                        "nothing to explain: give --candidate ID, --all or --alternatives K"),
    "explain_force": ('--force "{force}"：应为 "in" 或 "out"', '--force "{force}": expected "in" or "out"'),
    "explain_counts": ("{n} 个未入选项目的反事实：{counts}", "counterfactuals of {n} rejected candidates: {counts}"),
    "explain_unique": ("最优名单唯一：没有其他名单达到同一最优值", "the optimum is unique: no other slate reaches it"),
    "explain_alternative": ("其他最优名单 {n}：{sentence}", "alternative {n}: {sentence}"),
    "explain_undecided": ("规则未决定、由同分排序选定的：{names}", "not decided by the rules (the tie-break chose): {names}"),
    # ledger / plan
    "ledger_error": ('规则“{rule}”分组“{group}”：{status}（已用 {used}）', 'rule "{rule}" group "{group}": {status} (used {used})'),
    "plan_headline": ("{name}：{year}–{last}年规划（{forecast}{fixed}），{status}，求解 {seconds} 秒",
                      "{name}: plan {year}–{last} (forecast {forecast}{fixed}), {status}, solved in {seconds} s"),
    "plan_fixed": ("，本年度名单固定为 {slate}", ", this year's slate fixed to {slate}"),
    "plan_year": ("{year}年 {n} 项", "{year}: {n}"),
    "plan_counts": ("本年度入选 {now} 项；以后年度规划：{planned}", "selected this year {now}; planned later: {planned}"),
    "plan_targets": ("规划中的全省目标（各年末累计，各组合计）", "targets in the plan (cumulative at each year's end, summed over groups)"),
    "plan_columns": ("目标|目标值|达到年|可达组|性质", "rule|target|reached in|groups reachable|kind"),
    "plan_short": ("（差{n}）", " (short {n})"),
    "plan_soft": ("软", "soft"),
    "plan_hard": ("硬", "hard"),
    "plan_by_year": ("各任务各年度入选（已锁定 / 本年度 / 规划）", "selected per task and year (locked / this year / planned)"),
    "plan_unreachable": ('目标“{rule}”分组“{group}”（{clause}）到{year}年无法达到：规划中为 {projected}，目标 {target}',
                         'target "{rule}" group "{group}" ({clause}) is not reachable by {year}: {projected} of {target} in the plan'),
    # robust
    "robust_headline": ("{name}：{samples} 个评分样本（{spread}，平均标准差 {sd}），用时 {wall} 秒（{executor}）；后续年度统筹{lookahead}",
                        "{name}: {samples} samples ({spread}, mean sd {sd}) in {wall} s on {executor}; lookahead {lookahead}"),
    "robust_bands": ("稳定入选 {certain}，边缘 {marginal}，稳定落选 {out}；每个样本平均有 {changed} 项与名单不同",
                     "certain {certain}, marginal {marginal}, out {out}; on average {changed} decisions differ from the slate per sample"),
    "robust_table": ("边缘项目（最接近五五开的在前）", "marginal candidates (nearest a coin toss first)"),
    "robust_columns": ("项目编号|项目名称|所属市（州）|评审分数|名单中|入选概率|翻转差距",
                       "candidate_id|title|locality|score|selected|probability|flip margin"),
    "in_out": ("入选|落选", "in|out"),
    "on_off": ("开|关", "on|off"),
    "robust_scores": ("评分取自专家评分表：每个样本按汇总规则重新抽取每个项目的专家组（{rule}）",
                      "scores from the expert sheets: each sample draws every project's panel again ({rule})"),
    # scores
    "scores_rule": ("汇总规则：{rule}", "rule: {rule}"),
    "scores_headline": ("{projects} 个项目，{scores} 个评分（{sheets} 个评分表）；回避 {recused} 次（涉及 {projects_recused} "
                        "个项目）；去掉的分数有并列 {ties} 处；评分分歧大 {wide} 个；候选项目表中没有评分的项目 {missing} 个",
                        "{projects} projects, {scores} scores ({sheets} sheets); {recused} recused (in {projects_recused} "
                        "projects); {ties} ties at a dropped end; {wide} wide panels; {missing} candidates without scores"),
    "scores_raters": ("{experts} 位专家：偏严 {harsh}，偏宽 {lenient}，不一致 {inconsistent}；异常评分 {outliers} 个"
                      "（偏差超过 3 × {scale} 分）",
                      "{experts} experts: {harsh} harsh, {lenient} lenient, {inconsistent} inconsistent; {outliers} "
                      "outlying scores (beyond 3 × {scale} points)"),
    "scores_table": ("专家评分画像（有评价的在前）", "raters (flagged first)"),
    "scores_columns": ("专家编号|专家单位|计入评分|平均偏差|偏差标准差|相关系数|评价",
                       "expert|unit|counted|mean deviation|sd of deviation|correlation|flag"),
    "scores_flags": ("偏严|偏宽|不一致|", "harsh|lenient|inconsistent|"),
    # sweep
    "sweep_title": ("{solves} 次求解，用时 {wall} 秒（每秒 {rate} 次，{executor}）", "{solves} solves in {wall} s ({rate}/s, {executor})"),
    "sweep_columns": ("情景|样本数|目标值（原始评分）|目标值均值|目标值标准差|每样本改变项数|未证明最优",
                      "scenario|samples|objective (as given)|objective mean|objective sd|changed per sample|not optimal"),
    # equity
    "equity_shares": ("按{by}的占比", "shares by {by}"),
    "equity_share_columns": ("分组|入选|占比 %|参照 %|差（百分点）", "group|selected|share %|reference %|difference (pp)"),
    "equity_indices": ("{label}：Gallagher {g} 个百分点，Loosemore–Hanby {lh} 个百分点，最大偏差 {mx} 个百分点，Gini {gini}",
                       "{label}: Gallagher {g} pp, Loosemore–Hanby {lh} pp, largest deviation {mx} pp, Gini {gini}"),
    "equity_with_bound": ("加均衡约束后", "with the bound"),
    "equity_unconstrained": ("不加约束", "unconstrained"),
    "equity_slate": ("规划名单", "the planner's slate"),
    "equity_bound": ("目标值 {objective}（不加约束 {unconstrained}）；评审总分 {total}，比不加约束的名单少 {cost} 分",
                     "objective {objective} (unconstrained {unconstrained}); total score {total}, {cost} points below the unconstrained slate"),
    "equity_frontier": ("得分与均衡（{index}，按{by}）", "score against equity ({index}, by {by})"),
    "equity_frontier_columns": ("点|上限（百分点）|指数（百分点）|Gallagher（百分点）|目标值|损失|状态",
                                "point|bound (pp)|index (pp)|Gallagher (pp)|objective|loss|status"),
    "equity_unproven": ("注意：最均衡的一端在时限内未证明最优", "note: the most balanced end was not proven optimal within the time limit"),
    # amend
    "amend_counts": ("调整：按请求移出 {requested} 项；规则所迫调出 {forced} 项；递补入选 {entered} 项；国家级推荐变动 {national} 项；"
                     "共变动 {changes} 项（不含请求本身），评审总分 {total}",
                     "amendment: {requested} out on request; {forced} forced out; {entered} entered; {national} national "
                     "changes; {changes} changes in all (the requests not counted), total score {total}"),
    "amend_full": ("全量重解同样的请求：变动 {changes} 项，评审总分 {total}，求解目标 {objective}；"
                   "调整的求解目标 {ours}，比全量重解少 {cost}",
                   "a full re-solve of the same requests: {changes} changes, total score {total}, objective "
                   "{objective}; the amendment's objective {ours}, {cost} below the full re-solve's"),
    "amend_written": ("已写入调整结果 {folder}/：slate.csv/xlsx、summary.json、changes.csv 等（基础名单未改动）；"
                      "planner publish {folder} 写出调整后的认定名单",
                      "amendment written to {folder}/ (slate.csv/xlsx, summary.json, changes.csv …; the base is "
                      "unchanged); planner publish {folder} writes the amended list"),
    "amend_published": ("已写入 {folder}/：调整后认定名单.xlsx/.docx、调整说明.docx，反馈/ 下 {letters} 份调整告知书（只发给项目有变化的单位）",
                        "written to {folder}/: the amended list (.xlsx/.docx), 调整说明.docx and {letters} letters "
                        "under 反馈/ (only to the units whose projects changed)"),
    "amend_verified": ("{folder}：已核实，重新求解得到同一份调整后名单", "{folder}: verified, the replay gives the same "
                       "amended slate"),
    "amend_not_verified": ("{folder}：未能核实", "{folder}: NOT verified"),
    "amend_bad_rescore": ("--rescore \"{item}\"：应为 项目编号=分数，如 C2023-00032=81.5",
                          "--rescore \"{item}\": expected ID=SCORE such as C2023-00032=81.5"),
    # options
    "empty_path": ("{option} \"\"：应为一个文件或文件夹的路径，不能为空", "{option} \"\": expected a path, found an empty one"),
}


def say(code: str, **values: object) -> str:
    """The message `code` in this command's language, filled with `values`."""
    zh, en = MESSAGES[code]
    return (en if english() else zh).format(**values)


STATUS = {"OPTIMAL": ("最优（已证明）", "optimal (proven)"),
          "FEASIBLE": ("可行（差距 {gap}）", "feasible (gap {gap})"),
          "INFEASIBLE": ("无解（规则互相矛盾）", "infeasible"),
          "UNKNOWN": ("时限内未得出结果", "unknown (no answer in time)"),
          "NOT_RUN": ("时间用完，未运行", "not run (time limit)"),
          "MODEL_INVALID": ("模型无效（程序错误）", "model invalid (a bug)")}


def status_word(status: str, gap: float | None = None) -> str:
    """A solver status as a person reads it: 最优（已证明）, 可行（差距 1.20%）…"""
    zh, en = STATUS.get(status, (status, status))
    shown = f"{gap:.2%}" if gap is not None and math.isfinite(gap) else "?"
    return (en if english() else zh).format(gap=shown)


REASONS = {"selected": ("入选", "selected"), "selected_national": ("入选并推荐国家级", "selected, national"),
           "selected_not_national": ("入选，未推荐国家级", "selected, not national"),
           "pinned_in": ("指定入选", "pinned in"), "pinned_out": ("指定不入选", "pinned out"),
           "other_year": ("不属本年度", "another year"), "task_disabled": ("本年度不开展该任务", "task not run"),
           "already_recognised": ("已经认定过", "already recognised"), "ineligible": ("不符合申报条件", "ineligible"),
           "not_core_course": ("不是核心课程", "not a core course"), "below_pass_mark": ("低于合格分数线", "below pass mark"),
           "not_in_scope": ("不在推荐范围内", "not in scope"), "quota_full": ("名额已用完", "quota full"),
           "target_reached": ("已达目标上限", "target reached"), "displaced": ("被更高分项目替代", "displaced"),
           "locked": ("以往年度已定", "locked")}


def reason_word(code: str) -> str:
    zh, en = REASONS.get(code, (code, code))
    return en if english() else zh


OUTCOMES = {"unchanged": ("无需强制", "unchanged"), "blocked": ("无法强制", "blocked"),
            "FRACTIONAL": ("线性松弛非整数", "fractional")}
METHODS = {"lp": ("线性规划", "lp"), "cp-sat": ("CP-SAT", "cp-sat"), "cpsat": ("CP-SAT", "cpsat"),
           "highs": ("HiGHS", "highs")}


def outcome_word(status: str, gap: float | None = None) -> str:
    """A counterfactual's status: the solver statuses, plus ``unchanged`` and ``blocked``."""
    if status in OUTCOMES:
        zh, en = OUTCOMES[status]
        return en if english() else zh
    return status_word(status, gap)


def method_word(method: str) -> str:
    zh, en = METHODS.get(method, (method, method))
    return en if english() else zh


PHASES = {"score": ("省级推荐名单", "the provincial slate"), "score_years": ("名额的年度安排", "the year of each place"),
          "national_score": ("国家级推荐", "the national picks"), "planned_score": ("以后年度的计划", "the later years' plan")}


def phase_word(name: str) -> str:
    zh, en = PHASES.get(name, (name, name))
    return en if english() else zh

