"""The Chinese help of every command and option: one catalogue, keyed by command and parameter.

Owns what ``planner -h`` and ``planner COMMAND -h`` say in Chinese (the default); the English
help stays where each option is declared (``help=`` in `cli.root` and `cli.commands.*`) and is
shown with ``--lang en``. `apply` puts one language on a command's parameters and drops the
``<bool>`` type column of flags; `cli.root.PlannerGroup` calls it on every command it hands out.
A test (tests/test_cli.py) holds every option of every command to a Chinese entry here, so a new
option without one fails. Option names stay as they are (``--time-limit``, ``--out``).
"""
from __future__ import annotations

from typing import Any

from planner.cli._wrap import wrap_typer_help

wrap_typer_help()

#: Parameters several commands share, by parameter name (a command's own entry wins).
COMMON = {
    "scenario": "情景文件（TOML）",
    "candidates": "候选项目表（csv/xlsx），代替情景文件指定的表",
    "time_limit": "求解时限（秒，> 0；inf = 不限）",
    "seed": "CP-SAT 随机种子",
    "workers": "CP-SAT 线程数（0 = 全部核心）",
    "quiet": "只输出错误信息",
    "version": "显示版本号后退出",
    "help": "显示本帮助后退出",
    "lang": "终端输出的语言：zh 中文（默认）或 en 英文",
    "executor": "在哪里运行：process 进程池 | dask | serial 逐个",
    "address": "Dask 调度器地址（默认在本机启动）",
    "lookahead": "保留情景的后续年度统筹（较慢），或只解本轮",
    "verbose": "显示 Dask 自身日志和求解器的进度说明",
    "progress": "进度条（默认只在终端上显示）",
    "score_sd": "评分的默认标准差（分），表中没有 score_sd 列或单元格时使用，如 3",
    "sd_column": "存放每个项目评分标准差的列名",
    "reviewers": "逗号分隔的列名，每列是一位评审专家的评分（自助抽样）",
}

HELP: dict[str, dict[str, str]] = {
    "": {"": "按吉教职成〔2023〕7号文件的名额规则，用 CP-SAT 编制省级项目推荐名单。"},
    "solve": {
        "": "求解一个年度：审核名单，写出 slate.csv/xlsx、summary.json、rules.csv 等文件。",
        "out_dir": "输出文件夹（默认 out/<情景文件名>/）",
        "time_limit": "整个求解的时限（秒，> 0；inf = 不限）",
        "force_in": "强制某个项目入选（可重复）",
        "force_out": "强制某个项目不入选（可重复）",
        "explain": "为每个未入选项目计算确切的反事实代价",
        "alternatives": "列出至多 K 个同样最优的其他名单",
        "backend": "求解器：cpsat（默认）或 highs",
        "verify": "重新运行 OUT_DIR 中记录的求解，确认得到同一份名单",
        "report": "同时写出 briefing.html 和图表 PNG",
        "scores": "专家评分表（csv/xlsx，可重复）：按情景文件的 [scoring] 规则汇总出每个项目的评审分数后再求解",
    },
    "audit": {
        "": "审核一份名单（求解器给出的或手工编辑的）：与候选项目表核对，逐条检查硬性规则，并与最优总分比较。",
        "slate": "名单表（csv/xlsx），含 selected 和 national 列",
        "candidates": "名单所依据的候选项目表，代替情景文件指定的表",
        "against": "一次求解的输出文件夹（planner solve --out）：以其名单为最优来比较总分，不再重新求解",
        "optimum": "将名单的评审总分与同一年度的最优值比较",
        "findings": "写入前20条以外全部审核意见的文件（默认：名单文件名加 .audit.txt，放在名单旁）",
        "time_limit": "比较最优时重新求解的时限（秒，> 0；inf = 不限）；时限到时以找到的最好名单比较并说明差距",
    },
    "check": {"": "检查情景文件及其候选项目表，不求解。"},
    "compare": {
        "": "比较两次求解：谁新入选、谁落选，评审总分，各地区、各档次入选数，起决定作用的规则组。",
        "out_a": "作为参照的求解输出文件夹（如基准情景）",
        "out_b": "作为比较对象的求解输出文件夹",
        "out_dir": "同时把比较表（csv）写到这个文件夹",
        "rows": "每张表（新入选、落选）列出的项目数",
    },
    "equity": {
        "": "名单在各地区或各档次的占比与参照占比对照；均衡约束；得分—均衡前沿。",
        "by": "分组列：locality 地区 | tier 档次 | 任意列名",
        "reference": "参照占比：candidates 按候选数 | equal 均等 | column:列名 | 文件.csv（group,weight）",
        "index": "约束的指数：lh（Loosemore–Hanby）| max（最大偏差）",
        "max_index": "把指数控制在 PP 个百分点以内",
        "weight": "每个偏离比例的名额扣多少分",
        "frontier": "计算 K 个点的得分—均衡前沿",
        "workers": "计算前沿的进程数",
        "out_dir": "输出文件夹（默认 out/<情景文件名>-equity/）",
        "time_limit": "每次求解的时限（秒）",
    },
    "explain": {
        "": "解释一个年度的项目：一句话说明原因，并给出强制改变其结果的确切代价。",
        "candidate": "项目编号（可重复）",
        "force": "in 强制入选 或 out 强制不入选（默认：与名单相反）",
        "every": "本年度每个未入选项目（计算强制入选的代价）",
        "alternatives": "同时列出至多 K 个同样最优的其他名单",
        "out_file": "把 --all 的结果写入这个 CSV 文件",
        "time_limit": "求解的时限（秒），解释时再用一次",
        "processes": "--all 使用的进程数",
    },
    "ledger": {
        "": "每条规则的逐年使用、剩余名额和到2025年目标的进度。",
        "out_dirs": "planner solve 的输出文件夹，如 out/jilin-2025",
        "scenario": "最近一个年度的情景文件（默认：最后一个文件夹 summary.json 中记录的）",
        "all_groups": "列出每个规则组，而不是每条规则一行",
        "out_file": "同时把台账写入这个 csv 文件",
    },
    "plan": {
        "": "一次统筹规划剩余各年度，说明哪些2025年目标能够达到、何时达到。",
        "scenario": "本年度的情景文件（TOML）",
        "pools": "以后某一年度的候选项目表（可重复；默认：情景文件 [plan] 中的）",
        "fix": "本年度名单保持不变（如 out/jilin-2023/slate.csv），在其后规划以后年度",
        "repeat": "不用候选表：以后每年的候选项目与本年度相似",
        "out_dir": "把 plan.csv、slate.csv、ledger.csv、targets.csv、by_year.csv、summary.json 写到这里",
        "time_limit": "整个求解的时限（秒）",
    },
    "amend": {
        "": "公示后调整名单：撤回、不符合条件或复核改分的项目，以最少的变动重新确定名单（基础名单不改动）。",
        "run_dir": "已公示名单的输出文件夹（planner solve --out），或上一次调整的文件夹",
        "withdraw": "申报单位撤回的项目编号（可重复，也可用逗号分隔）",
        "ineligible": "经核查不符合申报条件的项目编号（可重复）",
        "rescore": "项目编号=复核后分数，如 C2023-00032=81.5（可重复）",
        "reason": "调整理由：整次调整的说明，或 项目编号=理由（可重复）",
        "asked_by": "提出调整的一方（记录在 summary.json 中）",
        "number": "调整后名单的文号，如 吉教职成〔2023〕15号",
        "date": "调整后名单的成文日期，YYYY-MM-DD",
        "out_dir": "调整结果写入的文件夹（默认：RUN_DIR 旁的 RUN_DIR_调整1；不能是 RUN_DIR）",
        "time_limit": "每次求解的时限（秒；默认沿用基础名单的）",
        "verify": "重新运行 RUN_DIR 中记录的调整（及其基础名单），确认得到同一份名单",
    },
    "publish": {
        "": "写出认定名单、推荐名单（xlsx/docx）、反馈汇总.xlsx 和 反馈/（每个申报单位一份反馈）。",
        "run_dir": "planner solve 写出的输出文件夹",
        "out_dir": "写到哪里（默认：RUN_DIR）",
        "templates": "办公室自己的 Word 模板所在文件夹（代替内置模板）",
    },
    "report": {
        "": "把 briefing.html（内嵌图表，无需联网）和图表 PNG 写入 OUT_DIR。",
        "out_dir": "planner solve 写出的输出文件夹",
        "compare": "更早的一次输出文件夹：谁增加、谁减少",
        "pdf": "同时写出 briefing.pdf",
        "scenario": "情景文件（TOML），当文件夹的 summary.json 找不到它时",
        "dpi": "PNG 的分辨率（300 = 印刷）",
    },
    "robust": {
        "": "在抽样的评分下重新求解：每个项目的入选概率、区间和翻转差距。",
        "samples": "重新求解的评分样本数（≥ 1）",
        "seed": "抽样和 CP-SAT 的随机种子",
        "margins": "计算翻转差距的范围：all 全部 | marginal 边缘项目 | none 不算",
        "certain": "入选概率不低于此值的项目视为稳定入选",
        "out_band": "入选概率不高于此值的项目视为稳定落选",
        "workers": "工作进程数（默认：全部核心）",
        "out_dir": "输出文件夹（默认 out/<情景文件名>-robust/）",
        "chart": "绘制 marginal.png",
        "rows": "列出的边缘项目数",
        "time_limit": "基准求解的时限（秒）",
        "sample_time_limit": "每次重新求解的时限（秒）",
        "scores": "专家评分表（csv/xlsx，可重复）：每个样本重新抽取每个项目的专家组并按 [scoring] 规则汇总，无需 --score-sd",
    },
    "scores": {
        "": "按情景文件的 [scoring] 规则汇总专家评分表：写出每个项目的得分（回避、去掉最高最低分、四舍五入）和专家评分画像（表格与图）。",
        "scenario": "情景文件（TOML），其中 [scoring] 是汇总规则（没有时：本单位专家回避，去掉一个最高分和一个最低分后取平均，保留两位小数）",
        "sheets": "专家评分表（csv/xlsx）：长表（项目编号、专家编号、专家单位、评分）或宽表（每位专家一列），可给多个",
        "out_file": "写出的工作簿（.xlsx，默认 out/<情景文件名>-scores.xlsx），图表写在它旁边",
        "chart": "绘制 <文件名>-raters.png（专家评分画像）",
        "rows": "终端列出的专家数（有评价的在前）",
    },
    "serve": {
        "": "启动情景推演页面：修改限额、点击求解、比较和下载各方案（默认只在本机可访问）。",
        "scenario": "情景文件（TOML），每个推演方案的基准",
        "host": "监听地址（默认 127.0.0.1：只有本机可访问）",
        "port": "监听端口（0 = 任意空闲端口）",
        "max_sessions": "同时服务的浏览器标签页数（超出时关闭最久未用的空闲页）",
        "max_trials": "每个标签页保留的推演方案数",
        "parallel": "所有标签页同时运行的求解数",
        "time_limit": "每次求解的时限（秒）",
        "workers": "每次求解的 CP-SAT 线程数（0 = 全部核心）",
        "open_browser": "在默认浏览器中打开页面",
        "allowed_host": "另外允许的访问主机名（以 --host 0.0.0.0 对外开放时，他人用来访问本页的名称；可多次给出）",
    },
    "sweep": {
        "": "并行求解一个或多个年度的评分样本，汇总成一张表。",
        "scenarios": "一个或多个情景文件（TOML）",
        "samples": "每个情景的评分样本数（≥ 1）",
        "seed": "抽样的随机种子",
        "workers": "工作进程数（默认：全部核心）",
        "out_dir": "输出文件夹（默认 out/sweep/）",
        "lookahead": "保留每个情景的后续年度统筹（较慢），或只解各年度本身",
    },
}


#: The fixed words of typer's help pages, by language (`typer.rich_utils` reads them when it draws).
PAGE_WORDS = {"DEFAULT_STRING": ("[默认：{}]", "[default: {}]"), "REQUIRED_LONG_STRING": ("[必填]", "[required]"),
              "ARGUMENTS_PANEL_TITLE": ("参数", "Arguments"), "OPTIONS_PANEL_TITLE": ("选项", "Options"),
              "COMMANDS_PANEL_TITLE": ("命令", "Commands")}


def page_words(lang: str) -> None:
    """Say the fixed words of the help page (panel titles, defaults) in `lang`."""
    try:
        from typer import rich_utils
    except ImportError:                                  # pragma: no cover - typer without rich
        return
    for name, (zh, en) in PAGE_WORDS.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, en if lang == "en" else zh)


def help_of(command: str, param: str) -> str | None:
    """The Chinese help of `param` of `command` ("" = the command itself), or None."""
    own = HELP.get(command, {})
    if param in own:
        return own[param]
    return None if param == "" else COMMON.get(param)


def apply(command: Any, name: str, lang: str) -> None:
    """Put `lang`'s help on `command` (a click command or group) and its parameters, and give
    flags an empty type column (no ``<bool>``). The English help is kept on first use."""
    page_words(lang)
    _swap(command, "help", help_of(name, ""), lang)
    if getattr(command, "short_help", None) is not None or hasattr(command, "_help_en"):
        command.short_help = None
    for param in command.params:
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
        if hasattr(param, "help"):
            _swap(param, "help", help_of(name, param.name or ""), lang)


def apply_help_option(option: Any, lang: str) -> Any:
    """The ``-h/--help`` option in `lang`, without a type column."""
    if option is not None:
        option.metavar = ""
        _swap(option, "help", COMMON["help"], lang)
    return option


def _swap(obj: Any, attribute: str, chinese: str | None, lang: str) -> None:
    if not hasattr(obj, "_help_en"):
        obj._help_en = getattr(obj, attribute, None)
    setattr(obj, attribute, obj._help_en if lang == "en" or chinese is None else chinese)
