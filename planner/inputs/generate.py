"""The seeded generator of SYNTHETIC Jilin candidates (吉教职成〔2023〕7号, 2023–2025).

Owns a fixed roster of made-up units (高职 and 中职 schools, governments, enterprises, institutes
and associations across the catalogue's 11 localities) and, for each year, a pool of candidates
for every task and track of the catalogue, written as ``candidates_<year>.csv`` (UTF-8 with BOM).
The pools oversubscribe the notice's quotas on purpose, so the province really has to choose.

Does not own reading or validating candidate files (``candidates``) nor any rule of the notice:
the quotas, minimums and targets quoted in comments here only explain why a pool is as large as
it is; the planner takes them from scenario files.

Every random draw comes from ``numpy.random.default_rng`` seeded with ``[seed, ...]`` (the roster
with ``[seed, 0]``, a task of a year with ``[seed, year, crc32("task/track")]``), so the same seed
gives byte-identical files, a year can be generated on its own, and adding a task leaves the others
unchanged.

Run ``python -m planner.generate --out data/jilin --seed 2023`` to rewrite the bundled data.
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from planner.inputs.catalogue import load_catalogue

log = logging.getLogger(__name__)

DEFAULT_SEED = 2023
DEFAULT_YEARS = (2023, 2024, 2025)

COLUMNS = [
    "candidate_id", "year", "task", "track", "title", "unit_id", "unit_name", "unit_kind",
    "tier", "locality", "level", "integrated", "score", "exempt", "eligible", "cost",
]
BOOL_COLUMNS = ["integrated", "exempt", "eligible"]

# The notice gives governments, enterprises and institutes no level, but every candidate row needs
# one (``candidates`` requires secondary/higher); only core courses use it (三(七) national split).
NON_SCHOOL_LEVEL = "higher"

# Score model: base + unit quality + noise, one decimal, clipped (see README "Scores").
BASE_SCORE = 76.0
NOISE_SD = 7.0
UNIT_SD = 3.0
YEAR_DRIFT = 0.5            # points per year after 2023: schools improve as the programme runs
SCORE_RANGE = (40.0, 98.0)
QUALITY_EFFECT = {          # by kind / tier / role: national double-high schools score higher
    "national_double_high": 5.0,
    "provincial_double_high": 2.5,
    "other_higher": 0.5,
    "secondary_vocational": -1.5,
    "government": 1.0,
    "leading": 2.0,         # 行业龙头企业
    "enterprise": -0.5,
    "other": 0.0,
}

# ---------------------------------------------------------------------------------------------
# Vocabulary: industry domains. Each gives the words that name schools and firms of the domain
# and the topics its units file (specialties, core courses, centres, enterprise problems, …).
# ---------------------------------------------------------------------------------------------
DOMAINS: dict[str, dict[str, list[str]]] = {
    "auto": {
        "college": ["汽车工业", "汽车"],
        "school": ["汽车工业", "汽车"],
        "firm": ["汽车零部件", "汽车电子", "汽车科技", "汽车装备"],
        "industries": ["汽车", "新能源汽车", "智能网联汽车"],
        "centres": ["汽车智能制造", "新能源汽车", "智能网联汽车", "汽车后市场服务", "汽车零部件检测"],
        "specialties": ["汽车制造与试验技术", "新能源汽车技术", "智能网联汽车技术", "汽车检测与维修技术",
                        "汽车电子技术", "汽车技术服务与营销"],
        "courses": ["汽车发动机构造与维修", "新能源汽车动力电池及管理系统检修", "汽车电气系统检修",
                    "智能网联汽车传感器装调", "汽车底盘构造与维修", "汽车装配与调整", "汽车车身焊装技术",
                    "新能源汽车驱动电机技术", "汽车故障诊断技术", "汽车涂装工艺"],
        "problems": ["车身焊装工艺参数优化", "动力电池包检测工装开发", "底盘零部件质量追溯系统开发",
                     "整车下线检测流程改进", "新能源汽车售后故障数据分析"],
        "equipment": ["新能源汽车动力总成教学实训装备", "智能网联汽车综合实训平台", "汽车电控系统故障诊断实训台"],
    },
    "manufacturing": {
        "college": ["工业", "机电", "装备制造", "工程技术"],
        "school": ["机械工业", "工业"],
        "firm": ["精密机械", "智能装备", "装备制造", "机电设备"],
        "industries": ["高端装备制造", "智能制造", "轨道客车"],
        "centres": ["高端装备制造", "智能制造", "工业机器人应用", "精密加工", "轨道客车制造"],
        "specialties": ["数控技术", "机电一体化技术", "工业机器人技术", "智能制造装备技术", "模具设计与制造",
                        "焊接技术与自动化"],
        "courses": ["数控加工工艺", "机械制图与CAD", "液压与气动技术", "PLC应用技术", "工业机器人编程与操作",
                    "电工电子技术", "机械制造技术", "智能制造生产线安装与调试", "公差配合与测量技术", "焊接结构生产"],
        "problems": ["数控车削夹具改进", "装配产线数字孪生建模", "关键设备预测性维护", "焊接机器人工作站调试",
                     "零件加工质量在线检测"],
        "equipment": ["工业机器人综合实训平台", "智能制造柔性生产线实训装备", "数控机床故障诊断实训台"],
    },
    "it": {
        "college": ["电子信息", "信息技术", "科技"],
        "school": ["信息技术", "电子"],
        "firm": ["光电", "信息技术", "软件", "数据科技"],
        "industries": ["光电信息", "数字经济", "卫星及航天信息"],
        "centres": ["光电信息", "数字经济", "软件与信息服务", "人工智能", "卫星及航天信息"],
        "specialties": ["计算机应用技术", "软件技术", "大数据技术", "人工智能技术应用", "物联网应用技术",
                        "云计算技术应用", "光电显示技术"],
        "courses": ["Python程序设计", "Web前端开发", "数据库技术及应用", "计算机网络技术", "物联网工程实施与运维",
                    "大数据分析与可视化", "Java程序设计", "Linux操作系统", "人工智能应用开发", "网络安全技术"],
        "problems": ["生产数据采集平台开发", "智能仓储管理系统开发", "工业视觉缺陷检测算法", "企业网络安全加固",
                     "客户服务数据中台建设"],
        "equipment": ["物联网综合实训平台", "人工智能边缘计算实训箱", "光电检测教学实训装备"],
    },
    "chem": {
        "college": ["化工", "石油化工"],
        "school": ["化工", "石油"],
        "firm": ["石化", "化工新材料", "碳纤维", "化学工业"],
        "industries": ["石油化工", "碳纤维及复合材料", "新材料"],
        "centres": ["石油化工", "碳纤维及复合材料", "精细化工", "化工安全"],
        "specialties": ["应用化工技术", "石油化工技术", "高分子材料智能制造技术", "化工装备技术", "分析检验技术",
                        "复合材料智能制造技术"],
        "courses": ["化工单元操作", "化工仪表及自动化", "有机化学", "化工安全技术", "石油炼制工艺", "化学分析技术",
                    "高分子材料成型工艺", "化工设备维护与检修"],
        "problems": ["催化剂评价装置改进", "化工污水处理工艺优化", "碳纤维原丝质量检测", "装置开停车仿真培训",
                     "危化品仓储安全监测"],
        "equipment": ["化工生产过程仿真实训装置", "精馏操作实训装备"],
    },
    "health": {
        "college": ["医药", "卫生", "医学"],
        "school": ["卫生", "护士"],
        "firm": ["药业", "生物医药", "医疗器械", "健康产业"],
        "industries": ["医药健康", "现代中药", "生物医药"],
        "centres": ["医药健康", "现代中药", "康养照护", "生物医药"],
        "specialties": ["护理", "药学", "中药学", "医学检验技术", "康复治疗技术", "生物制药技术", "药品生产技术"],
        "courses": ["基础护理", "内科护理", "外科护理", "药物制剂技术", "中药鉴定技术", "医学检验仪器",
                    "药事管理与法规", "康复评定技术", "老年护理", "生物药物检测"],
        "problems": ["中药饮片质量检测方法改进", "片剂制剂工艺优化", "智慧养老照护服务流程", "药品GMP车间数字化管理",
                     "康复辅具适配服务"],
        "equipment": ["智慧护理教学实训装备", "中药炮制实训装置"],
    },
    "agri": {
        "college": ["农业", "农业工程", "粮食"],
        "school": ["农业", "农业机械"],
        "firm": ["农业发展", "食品", "粮油", "人参产业", "牧业"],
        "industries": ["现代农业", "农产品精深加工", "人参产业"],
        "centres": ["现代农业", "农产品精深加工", "人参产业", "智慧农机", "黑土地保护"],
        "specialties": ["现代农业技术", "畜牧兽医", "食品智能加工技术", "园艺技术", "农产品加工与质量检测",
                        "智慧农业技术", "中草药栽培与加工技术"],
        "courses": ["作物生产技术", "动物疾病防治", "食品加工技术", "农产品质量检测", "设施园艺",
                    "农业机械使用与维护", "畜禽生产", "人参栽培技术", "食品营养与卫生"],
        "problems": ["玉米秸秆综合利用", "人参种植病害防治", "黑土地保护性耕作技术推广", "梅花鹿养殖标准化",
                     "大米精深加工工艺改进"],
        "equipment": ["智慧农业物联网实训装备", "农产品检测教学实训平台"],
    },
    "transport": {
        "college": ["交通", "铁道", "交通运输"],
        "school": ["交通", "铁路"],
        "firm": ["轨道交通装备", "物流", "交通建设", "运输"],
        "industries": ["轨道交通", "现代物流"],
        "centres": ["轨道交通", "现代物流", "智慧交通"],
        "specialties": ["城市轨道交通运营管理", "铁道机车运用与维护", "道路与桥梁工程技术", "现代物流管理",
                        "城市轨道交通车辆技术", "航空物流"],
        "courses": ["城市轨道交通行车组织", "铁道概论", "道路工程制图", "物流管理实务", "轨道车辆电气控制",
                    "桥梁施工技术", "仓储与配送管理", "客运组织"],
        "problems": ["轨道车辆转向架检修工艺", "物流配送路径优化", "冷链仓储温控监测", "公路养护巡检数据分析"],
        "equipment": ["城市轨道交通综合实训平台", "智慧物流分拣实训装备"],
    },
    "construction": {
        "college": ["建筑", "城市建设", "城建"],
        "school": ["建筑工程", "城市建设"],
        "firm": ["建筑工程", "建设", "建材", "工程咨询"],
        "industries": ["绿色建筑", "智能建造"],
        "centres": ["绿色建筑", "智能建造", "装配式建筑"],
        "specialties": ["建筑工程技术", "工程造价", "建筑装饰工程技术", "智能建造技术", "建设工程管理",
                        "建筑设备工程技术"],
        "courses": ["建筑施工技术", "建筑工程计量与计价", "建筑识图与构造", "BIM技术应用", "建筑材料与检测",
                    "装配式建筑施工", "建筑CAD"],
        "problems": ["装配式构件BIM深化设计", "寒地建筑节能改造方案", "工程量清单智能核算"],
        "equipment": ["装配式建筑施工实训装备", "BIM智能建造实训平台"],
    },
    "service": {
        "college": ["商贸", "旅游", "财经", "城市"],
        "school": ["商贸", "旅游", "财经"],
        "firm": ["旅游开发", "商贸", "冰雪文旅", "电子商务"],
        "industries": ["冰雪旅游", "文化旅游", "现代服务业", "边境贸易"],
        "centres": ["冰雪旅游", "文化旅游", "现代商贸", "数字商务"],
        "specialties": ["大数据与会计", "电子商务", "旅游管理", "酒店管理与数字化运营", "市场营销",
                        "跨境电子商务", "冰雪运动与管理"],
        "courses": ["基础会计", "网店运营", "导游实务", "酒店前厅服务与管理", "市场营销实务", "直播电商",
                    "财务会计实务", "冰雪旅游服务", "跨境电商实务"],
        "problems": ["农产品直播带货运营", "冰雪旅游线路产品开发", "中小企业代理记账服务", "边境电商物流方案设计",
                     "酒店数字化运营改进"],
        "equipment": ["跨境电商综合实训平台", "冰雪运动教学实训装备"],
    },
    "energy": {
        "college": ["电力", "能源", "水利电力"],
        "school": ["电力", "能源"],
        "firm": ["新能源", "电力工程", "风电", "能源科技"],
        "industries": ["新能源", "风光储氢", "清洁能源"],
        "centres": ["新能源", "风光储氢", "智能电网"],
        "specialties": ["发电厂及电力系统", "电力系统自动化技术", "风力发电工程技术", "光伏工程技术",
                        "新能源装备技术", "氢能技术应用"],
        "courses": ["电力系统继电保护", "风电机组运行与维护", "光伏电站运维", "电机与拖动", "供配电技术",
                    "储能技术与应用", "变电站运行与维护"],
        "problems": ["风机叶片无人机巡检", "光伏电站运维数据分析", "配电网故障定位改进", "储能电站安全监测"],
        "equipment": ["风光储一体化教学实训装备", "智能变电站仿真实训平台"],
    },
    "culture": {
        "college": ["文化艺术", "艺术", "传媒"],
        "school": ["幼儿师范", "艺术", "民族"],
        "firm": ["文化传媒", "教育科技", "文创", "设计"],
        "industries": ["文化创意", "数字创意", "托育服务"],
        "centres": ["文化创意", "数字创意", "托育服务"],
        "specialties": ["学前教育", "婴幼儿托育服务与管理", "数字媒体艺术设计", "艺术设计", "民族传统技艺",
                        "音乐表演"],
        "courses": ["幼儿游戏与指导", "幼儿园教育活动设计与实施", "平面设计", "摄影摄像", "婴幼儿照护",
                    "三维动画制作", "朝鲜族民族舞蹈"],
        "problems": ["非遗文创产品设计", "托育机构课程资源开发", "短视频内容制作", "民族特色文旅宣传设计"],
        "equipment": ["数字媒体综合实训平台", "智慧托育实训装备"],
    },
}


@dataclass(frozen=True)
class Locality:
    short: str                      # firms' prefix: 长春
    place: str                      # how a school or government names itself: 长春市
    government: str                 # the city / prefecture government (or 管委会)
    education_bureau: str
    pillars: tuple[str, ...]        # pillar-industry domains (the notice: 对接区域支柱产业)
    counties: tuple[str, ...]       # county-level governments
    zones: tuple[str, ...]          # 开发区 (… 管理委员会)
    college_prefixes: tuple[str, ...]
    n_secondary: int                # typical number of 中职 schools
    n_enterprise: int               # typical number of enterprises on the roster
    higher_weight: float            # where 高职 schools are (concentrated in 长春 and 吉林)


LOCALITIES: dict[str, Locality] = {
    "长春市": Locality("长春", "长春市", "长春市人民政府", "长春市教育局",
                     ("auto", "it", "manufacturing", "health", "agri", "transport"),
                     ("长春市双阳区", "长春市九台区", "榆树市", "德惠市", "公主岭市", "农安县"),
                     ("长春新区", "长春汽车经济技术开发区", "长春经济技术开发区", "长春净月高新技术产业开发区"),
                     ("长春", "吉林省"), 44, 24, 0.45),
    "吉林市": Locality("吉林", "吉林市", "吉林市人民政府", "吉林市教育局",
                     ("chem", "manufacturing", "energy", "service"),
                     ("吉林市丰满区", "永吉县", "蛟河市", "桦甸市", "舒兰市", "磐石市"),
                     ("吉林高新技术产业开发区", "吉林经济技术开发区"),
                     ("吉林",), 30, 14, 0.20),
    "四平市": Locality("四平", "四平市", "四平市人民政府", "四平市教育局",
                     ("manufacturing", "agri"),
                     ("四平市铁东区", "梨树县", "伊通满族自治县", "双辽市"),
                     ("四平红嘴经济技术开发区",), ("四平",), 18, 6, 0.05),
    "辽源市": Locality("辽源", "辽源市", "辽源市人民政府", "辽源市教育局",
                     ("manufacturing", "service"),
                     ("辽源市龙山区", "东丰县", "东辽县"),
                     ("辽源经济开发区",), ("辽源",), 10, 5, 0.04),
    "通化市": Locality("通化", "通化市", "通化市人民政府", "通化市教育局",
                     ("health", "agri"),
                     ("通化市东昌区", "通化县", "辉南县", "柳河县", "集安市"),
                     ("通化医药高新技术产业开发区",), ("通化",), 16, 7, 0.05),
    "白山市": Locality("白山", "白山市", "白山市人民政府", "白山市教育局",
                     ("agri", "service"),
                     ("白山市浑江区", "白山市江源区", "抚松县", "靖宇县", "长白朝鲜族自治县", "临江市"),
                     ("白山经济开发区",), ("白山",), 12, 5, 0.04),
    "松原市": Locality("松原", "松原市", "松原市人民政府", "松原市教育局",
                     ("chem", "energy", "agri"),
                     ("松原市宁江区", "前郭尔罗斯蒙古族自治县", "长岭县", "乾安县", "扶余市"),
                     ("松原经济技术开发区",), ("松原",), 16, 6, 0.04),
    "白城市": Locality("白城", "白城市", "白城市人民政府", "白城市教育局",
                     ("energy", "agri"),
                     ("白城市洮北区", "镇赉县", "通榆县", "洮南市", "大安市"),
                     ("白城工业园区",), ("白城",), 14, 5, 0.04),
    "延边朝鲜族自治州": Locality("延边", "延边州", "延边朝鲜族自治州人民政府", "延边朝鲜族自治州教育局",
                           ("service", "agri", "health"),
                           ("延吉市", "图们市", "敦化市", "珲春市", "龙井市", "和龙市", "汪清县", "安图县"),
                           ("延吉高新技术产业开发区", "珲春边境经济合作区"), ("延边",), 22, 8, 0.06),
    "长白山管委会": Locality("长白山", "长白山", "长白山保护开发区管理委员会", "长白山管委会科教局",
                       ("service",), (), ("长白山池北区",), ("长白山",), 3, 3, 0.0),
    "梅河口市": Locality("梅河口", "梅河口市", "梅河口市人民政府", "梅河口市教育局",
                      ("health", "agri", "transport"), (), ("梅河口经济开发区",), ("梅河口",), 5, 4, 0.03),
}

# How often each domain is a school's field, before the locality's pillars are boosted.
SCHOOL_DOMAIN_WEIGHT = {
    "auto": 1.0, "manufacturing": 1.5, "it": 1.5, "chem": 0.6, "health": 1.0, "agri": 1.2,
    "transport": 0.7, "construction": 0.8, "service": 1.3, "energy": 0.6, "culture": 1.0,
}
PILLAR_BOOST = 1.5

FIRM_BRANDS = [
    "华信", "北方", "长白", "东北", "吉瑞", "通达", "新锐", "恒泰", "鸿图", "盛达", "博远", "卓越", "金鼎",
    "天成", "瑞丰", "宏宇", "嘉禾", "鼎盛", "弘毅", "昊天", "聚能", "睿智", "启航", "远大", "中科", "华晟",
    "诚信", "汇通", "永信", "兴业", "泰和", "丰源", "利民", "科达", "万通", "松江", "江城", "雪域", "黑土",
    "关东",
]
CHINESE_NUMBERS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
MORE_NUMBERS = [f"十{n}" for n in CHINESE_NUMBERS[:9]] + ["二十"]

# Research institutes and industry associations (unit_kind "other"): name, locality, domain, role.
OTHER_UNITS = [
    ("吉林省汽车产业技术研究院", "长春市", "auto", "institute"),
    ("吉林省智能制造产业技术研究院", "长春市", "manufacturing", "institute"),
    ("吉林省化工新材料研究院", "吉林市", "chem", "institute"),
    ("吉林省中医药产业技术研究院", "通化市", "health", "institute"),
    ("吉林省现代农业产业技术研究院", "长春市", "agri", "institute"),
    ("吉林省软件和信息服务业协会", "长春市", "it", "association"),
    ("吉林省冰雪旅游产业协会", "吉林市", "service", "association"),
    ("吉林省新能源产业协会", "白城市", "energy", "association"),
    ("延边州民族文化产业协会", "延边朝鲜族自治州", "culture", "association"),
]


# ---------------------------------------------------------------------------------------------
# Random streams
# ---------------------------------------------------------------------------------------------
def _rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one purpose, derived from the seed and non-negative integer keys."""
    return np.random.default_rng([int(seed), *map(int, keys)])


def _key(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _allocate(rng: np.random.Generator, weights: np.ndarray, n: int, caps: np.ndarray) -> np.ndarray:
    """Spread n filings over units in proportion to weights, no unit above its cap."""
    weights = np.asarray(weights, dtype=float)
    caps = np.asarray(caps, dtype=np.int64)
    counts = np.zeros(len(weights), dtype=np.int64)
    capacity = int(caps[weights > 0].sum())
    if n > capacity:
        raise ValueError(f"cannot place {n} filings on units with room for {capacity}")
    remaining = n
    while remaining > 0:
        room = caps - counts
        w = np.where(room > 0, weights, 0.0)
        take = np.minimum(rng.multinomial(remaining, w / w.sum()), room)
        counts += take
        remaining -= int(take.sum())
    return counts


# ---------------------------------------------------------------------------------------------
# Roster
# ---------------------------------------------------------------------------------------------
def _pick_name(rng: np.random.Generator, options: Sequence[str], used: set[str],
               core: Callable[[str], str] = lambda s: s) -> str | None:
    """A random option whose core is not used yet (and mark it used)."""
    for i in rng.permutation(len(options)):
        name = options[i]
        if core(name) not in used:
            used.add(core(name))
            return name
    return None


def _school_domains(rng: np.random.Generator, locality: str, n: int) -> list[str]:
    """n pairs 'primary|secondary' of distinct domains, the locality's pillars more likely."""
    codes = list(SCHOOL_DOMAIN_WEIGHT)
    w = np.array([SCHOOL_DOMAIN_WEIGHT[c] * (PILLAR_BOOST if c in LOCALITIES[locality].pillars else 1.0)
                  for c in codes])
    pairs = []
    for _ in range(n):
        first, second = rng.choice(len(codes), size=2, replace=False, p=w / w.sum())
        pairs.append(f"{codes[first]}|{codes[second]}")
    return pairs


def make_roster(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The fixed roster of synthetic units (the same every year for a seed).

    Parameters
    ----------
    seed : int
        Generator seed; the roster uses the stream ``[seed, 0]``.

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit_id``, ``unit_name``, ``unit_kind``, ``tier`` ("" unless
        higher_vocational), ``locality``, ``level`` (higher / secondary for schools,
        :data:`NON_SCHOOL_LEVEL` otherwise),
        and generator-only columns ``role`` (government: city / county / zone / department;
        enterprise: leading / regular; other: institute / association; schools: ""), ``place``
        (how the unit names its projects), ``domains`` (industry domains, ``|``-joined),
        ``quality`` (score effect, points) and ``digital_pilot`` (a digital-campus pilot school).
    """
    rng = _rng(seed, 0)
    localities = list(load_catalogue().localities)
    if set(localities) != set(LOCALITIES):
        raise ValueError("generate.LOCALITIES does not match the catalogue's localities")
    rows: list[dict] = []

    # 高职 schools: ~6 national, ~9 provincial double-high, ~15 other, mostly in 长春 and 吉林.
    n_tier = {
        "national_double_high": int(rng.integers(5, 8)),
        "provincial_double_high": int(rng.integers(8, 11)),
        "other_higher": int(rng.integers(15, 18)),
    }
    # National double-high schools only in 长春 and 吉林; the lower the tier, the more spread out.
    tier_spread = {"national_double_high": 1.0, "provincial_double_high": 1.0, "other_higher": 0.5}
    used: set[str] = set()
    for tier, n in n_tier.items():
        lw = np.array([LOCALITIES[loc].higher_weight for loc in localities]) ** tier_spread[tier]
        if tier == "national_double_high":
            lw = np.where(np.isin(localities, ["长春市", "吉林市"]), lw, 0.0)
        for loc in map(str, rng.choice(localities, size=n, p=lw / lw.sum())):
            info = LOCALITIES[loc]
            domains = _school_domains(rng, loc, 1)[0]
            # 吉林省X学院 (in 长春) and 吉林X学院 (in 吉林市) would read as the same school.
            core = lambda s: s.replace("吉林省", "吉林").replace("职业技术学院", "").replace("职业学院", "")  # noqa: E731
            name = None
            for words in ([w for d in domains.split("|") for w in DOMAINS[d]["college"]],
                          [w for d in DOMAINS.values() for w in d["college"]]):   # any field, if need be
                options = [f"{p}{w}{s}" for p in info.college_prefixes for w in words
                           for s in ("职业技术学院", "职业学院")]
                name = name or _pick_name(rng, options, used, core=core)
            if name is None:
                raise RuntimeError(f"ran out of 高职 names in {loc}")
            rows.append(dict(unit_kind="higher_vocational", tier=tier, locality=loc, level="higher",
                             unit_name=name, role="", place=name, domains=domains))

    # 中职 schools in every locality, more in 长春 and 吉林.
    for loc in localities:
        info = LOCALITIES[loc]
        n = max(2, info.n_secondary + int(rng.integers(-2, 3)))
        for domains in _school_domains(rng, loc, n):
            words = [w for d in domains.split("|") for w in DOMAINS[d]["school"]]
            county_places = list(info.counties) or [info.place]
            if loc == "长白山管委会":
                county_places = ["长白山池北区", "长白山池西区", "长白山池南区"]
            any_words = [w for d in DOMAINS.values() for w in d["school"]]
            groups = [
                [f"{c}职业教育中心" for c in county_places],
                [f"{info.place}{w}中等专业学校" for w in words] + [f"{info.place}{w}学校" for w in words],
                [f"{info.place}第{c}职业中等专业学校" for c in CHINESE_NUMBERS],
            ]
            name = None
            for g in rng.choice(3, size=3, replace=False, p=[0.4, 0.35, 0.25]):
                name = name or _pick_name(rng, groups[g], used)
            # A crowded locality runs out of its fields' names: any field, then higher numbers.
            name = name or _pick_name(rng, [f"{info.place}{w}中等专业学校" for w in any_words], used)
            name = name or _pick_name(rng, [f"{info.place}第{c}职业中等专业学校" for c in MORE_NUMBERS], used)
            if name is None:
                raise RuntimeError(f"ran out of 中职 names in {loc}")
            rows.append(dict(unit_kind="secondary_vocational", tier="", locality=loc, level="secondary",
                             unit_name=name, role="", place=name, domains=domains))

    # Governments: each city / prefecture government, some counties and 开发区, a few departments.
    for loc in localities:
        info = LOCALITIES[loc]
        pillars = "|".join(info.pillars)
        govs = [(info.government, "city", info.place)]
        if info.counties:
            k = int(rng.integers(1, min(3, len(info.counties)) + 1))
            govs += [(f"{c}人民政府", "county", c) for c in rng.choice(info.counties, size=k, replace=False)]
        k = int(rng.integers(1, len(info.zones) + 1))
        govs += [(f"{z}管理委员会", "zone", z) for z in rng.choice(info.zones, size=k, replace=False)]
        govs.append((info.education_bureau, "department", info.place))
        if loc in ("长春市", "吉林市"):
            govs.append((f"{info.place}人力资源和社会保障局", "department", info.place))
        for name, role, place in govs:
            rows.append(dict(unit_kind="government", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                             unit_name=str(name), role=role, place=str(place), domains=pillars))

    # Enterprises: at least 3 per locality, in its pillar industries; about a fifth 行业龙头企业.
    for loc in localities:
        info = LOCALITIES[loc]
        n = max(3, info.n_enterprise + int(rng.integers(0, 3)))
        for _ in range(n):
            domain = (rng.choice(info.pillars) if rng.random() < 0.85
                      else rng.choice(list(DOMAINS)))
            leading = rng.random() < 0.2
            forms = ("集团有限公司", "股份有限公司") if leading else ("有限公司", "有限责任公司")
            options = [f"{info.short}{b}{f}{form}" for b in FIRM_BRANDS for f in DOMAINS[domain]["firm"]
                       for form in forms]
            # One brand per locality, so "长春华信" names a single firm in project titles.
            place_len = len(info.short) + 2
            name = _pick_name(rng, options, used, core=lambda s: s[:place_len])
            if name is None:
                raise RuntimeError(f"ran out of enterprise brands in {loc}")
            rows.append(dict(unit_kind="enterprise", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                             unit_name=name, role="leading" if leading else "regular", place=name[:place_len],
                             domains=str(domain)))

    # Research institutes and industry associations: a handful.
    k = int(rng.integers(6, len(OTHER_UNITS) + 1))
    for i in sorted(rng.choice(len(OTHER_UNITS), size=k, replace=False)):
        name, loc, domain, role = OTHER_UNITS[i]
        rows.append(dict(unit_kind="other", tier="", locality=loc, level=NON_SCHOOL_LEVEL,
                         unit_name=name, role=role, place=name, domains=domain))

    roster = pd.DataFrame(rows)
    prefix = {"higher_vocational": "H", "secondary_vocational": "S", "government": "G",
              "enterprise": "E", "other": "R"}
    roster["unit_id"] = roster.unit_kind.map(prefix) + (
        roster.groupby("unit_kind").cumcount() + 1).astype(str).str.zfill(3)

    effect_key = np.where(roster.unit_kind == "higher_vocational", roster.tier,
                          np.where(roster.role == "leading", "leading", roster.unit_kind))
    roster["quality"] = (pd.Series(effect_key).map(QUALITY_EFFECT).to_numpy()
                         + rng.normal(0.0, UNIT_SD, len(roster)))
    # 三(五): only digital-campus pilot schools may be benchmark schools; strong schools more often.
    pilot_p = roster.tier.map({"national_double_high": 0.95, "provincial_double_high": 0.8,
                               "other_higher": 0.6}).fillna(0.4).to_numpy()
    school = roster.unit_kind.isin(["higher_vocational", "secondary_vocational"]).to_numpy()
    roster["digital_pilot"] = school & (rng.random(len(roster)) < pilot_p)
    return roster[["unit_id", "unit_name", "unit_kind", "tier", "locality", "level", "role", "place",
                   "domains", "quality", "digital_pilot"]]


# ---------------------------------------------------------------------------------------------
# Tasks: who files, how many, what the filings are called
# ---------------------------------------------------------------------------------------------
Weights = Callable[[pd.DataFrame], np.ndarray]


def _by(column: str, table: dict[str, float]) -> Weights:
    return lambda r: r[column].map(table).fillna(0.0).to_numpy(dtype=float)


def _schools(national: float, provincial: float, other: float, secondary: float) -> Weights:
    return lambda r: np.where(
        r.unit_kind == "secondary_vocational", secondary,
        r.tier.map({"national_double_high": national, "provincial_double_high": provincial,
                    "other_higher": other}).fillna(0.0).to_numpy(dtype=float))


def _plus(*parts: Weights) -> Weights:
    return lambda r: sum(p(r) for p in parts)


@dataclass(frozen=True)
class TaskSpec:
    """How one task/track is filed in a synthetic year."""

    task: str
    track: str
    n: tuple[int, int]                      # filings per year, drawn uniformly in [lo, hi]
    weight: Weights                         # relative propensity of each roster unit to file
    pool: str                               # DOMAINS key naming the filings' topics
    title: Callable[[pd.DataFrame], pd.Series]
    cost: tuple[float, float]               # 万元
    per_unit: int | None = None             # at most this many a unit (default: its topic pool)
    min_per_locality: dict[str, int] | None = None   # "*" = every other locality
    min_years: tuple[int, ...] | None = None          # years the minimum applies (None = all)


SCHOOL_CENTRE_WEIGHT = _schools(6.0, 4.0, 2.5, 1.0)
SCHOOL_WEIGHT = _schools(4.0, 3.0, 2.0, 1.0)
COURSE_WEIGHT = _schools(5.0, 4.0, 3.0, 1.0)
GOVERNMENT_CONSORTIUM = _by("role", {"city": 3.0, "zone": 2.0, "county": 1.0})
GOVERNMENT_PUBLIC = lambda r: np.where(r.unit_kind == "government",  # noqa: E731
                                       r.role.map({"city": 3.0, "zone": 2.0, "county": 1.5,
                                                   "department": 1.0}).fillna(0.0), 0.0)
ENTERPRISE = lambda r: np.where(r.unit_kind == "enterprise",  # noqa: E731
                                np.where(r.role == "leading", 2.0, 1.0), 0.0)

TASKS: list[TaskSpec] = [
    # 三(一): led by a local government; every 市州 files at least one (checked on 2023's pool).
    TaskSpec("city_consortium", "", (15, 22),
             lambda r: np.where(r.unit_kind == "government", GOVERNMENT_CONSORTIUM(r), 0.0),
             "industries",
             lambda f: f.place + f.topic + np.where(f.topic.str.endswith("业"), "", "产业") + "市域产教联合体",
             (500.0, 1500.0),
             min_per_locality={"*": 1}, min_years=(2023,)),
    # 三(二): led by 行业龙头企业 (sometimes an institute or association) around pillar industries.
    TaskSpec("industry_community", "", (11, 18),
             lambda r: np.where(r.unit_kind == "enterprise", np.where(r.role == "leading", 4.0, 0.4),
                                np.where(r.unit_kind == "other", 1.5, 0.0)),
             "industries", lambda f: f.topic + "行业产教融合共同体", (300.0, 1000.0), per_unit=1),
    # 三(三): school centres oversubscribe 长春 15 / 吉林 10 / other 3 and the per-高职 caps.
    TaskSpec("practice_centre", "school", (260, 360), SCHOOL_CENTRE_WEIGHT, "centres",
             lambda f: f.topic + "开放型区域产教融合实践中心", (200.0, 800.0)),
    TaskSpec("practice_centre", "public", (22, 28), GOVERNMENT_PUBLIC, "centres",
             lambda f: f.place + f.topic + "公共实践中心", (300.0, 1000.0),
             min_per_locality={"长春市": 4, "吉林市": 3, "*": 1}),
    TaskSpec("practice_centre", "enterprise", (42, 55), ENTERPRISE, "centres",
             lambda f: f.place + f.topic + "企业实践中心", (200.0, 800.0),
             min_per_locality={"*": 3}),
    # 三(四), 三(六): schools; legacy national hosts and cultivation projects file "exempt".
    TaskSpec("resource_library", "", (170, 230), SCHOOL_WEIGHT, "specialties",
             lambda f: f.topic + "专业教学资源库", (50.0, 150.0)),
    TaskSpec("digital_benchmark_school", "", (42, 58), _schools(5.0, 4.0, 3.0, 1.0), "specialties",
             lambda f: f.unit_name + "职业教育信息化标杆学校建设", (100.0, 300.0), per_unit=1),
    TaskSpec("virtual_sim_base", "", (170, 230), SCHOOL_WEIGHT, "specialties",
             lambda f: f.topic + "虚拟仿真实训基地", (100.0, 400.0)),
    # 三(七): online and offline share the school's course list; the track is drawn per course.
    TaskSpec("core_course", "", (430, 570), COURSE_WEIGHT, "courses",
             lambda f: "《" + f.topic + "》", (5.0, 20.0)),
    TaskSpec("textbook", "", (105, 145), _schools(4.0, 3.0, 2.0, 0.8), "courses",
             lambda f: "《" + f.topic + "》", (2.0, 8.0)),
    TaskSpec("production_project", "", (160, 240), SCHOOL_WEIGHT, "problems",
             lambda f: f.topic + "生产实践项目", (10.0, 50.0)),
    # 三(十): mostly 高职 schools, some enterprises (equipment more often firms).
    TaskSpec("international_item", "standard", (16, 28),
             _plus(_schools(5.0, 3.0, 1.5, 0.0), lambda r: 0.15 * ENTERPRISE(r)), "specialties",
             lambda f: f.topic + "专业国际化教学标准", (10.0, 40.0)),
    TaskSpec("international_item", "resource", (16, 28),
             _plus(_schools(5.0, 3.0, 1.5, 0.05), lambda r: 0.15 * ENTERPRISE(r)), "courses",
             lambda f: "《" + f.topic + "》中英双语教学资源", (10.0, 40.0)),
    TaskSpec("international_item", "equipment", (16, 28),
             _plus(_schools(4.0, 2.0, 1.0, 0.0), lambda r: 0.5 * ENTERPRISE(r)), "equipment",
             lambda f: f.topic, (20.0, 100.0)),
    # 三(十一): switched off in the catalogue (guide not yet published), still filed by a few.
    TaskSpec("international_school", "", (3, 6), _schools(3.0, 2.0, 1.0, 0.1), "specialties",
             lambda f: f.unit_name + "国际化办学能力建设", (100.0, 300.0), per_unit=1),
]


def _topic_pools(roster: pd.DataFrame, pool: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unit's topics for a pool, flattened: (topics, start of each unit, length of each unit)."""
    lists = [list(dict.fromkeys(t for d in doms.split("|") for t in DOMAINS[d][pool]))
             for doms in roster.domains]
    lengths = np.array([len(x) for x in lists], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.array([t for x in lists for t in x], dtype=object), starts, lengths


def _file_task(spec: TaskSpec, roster: pd.DataFrame, year: int, seed: int) -> pd.DataFrame:
    """One task/track's filings for a year: the units that file, their topics, scores and costs."""
    rng = _rng(seed, year, _key(f"{spec.task}/{spec.track}"))
    weights = np.asarray(spec.weight(roster), dtype=float)
    topics, starts, lengths = _topic_pools(roster, spec.pool)
    caps = lengths if spec.per_unit is None else np.minimum(lengths, spec.per_unit)
    caps = np.where(weights > 0, caps, 0)
    n = int(rng.integers(spec.n[0], spec.n[1] + 1))

    # Minimum filings per locality first (the notice asks every locality to file), then the rest.
    counts = np.zeros(len(roster), dtype=np.int64)
    if spec.min_per_locality and (spec.min_years is None or year in spec.min_years):
        for loc in load_catalogue().localities:
            need = spec.min_per_locality.get(loc, spec.min_per_locality.get("*", 0))
            here = (roster.locality == loc).to_numpy()
            counts += _allocate(rng, np.where(here, weights, 0.0), need, np.where(here, caps, 0))
    counts += _allocate(rng, weights, max(0, n - int(counts.sum())), caps - counts)

    unit = np.repeat(np.arange(len(roster)), counts)
    # Distinct topics within a unit: a random start in the unit's list, then consecutive ones.
    rank = np.arange(len(unit)) - np.repeat(np.cumsum(counts) - counts, counts)
    offset = rng.integers(0, np.maximum(lengths, 1))
    topic = topics[starts[unit] + (offset[unit] + rank) % lengths[unit]]

    units = roster.iloc[unit].reset_index(drop=True)
    frame = pd.DataFrame({
        "year": year, "task": spec.task, "track": spec.track,
        "unit_id": units.unit_id, "unit_name": units.unit_name, "unit_kind": units.unit_kind,
        "tier": units.tier, "locality": units.locality, "level": units.level,
        "place": units.place, "topic": pd.Series(topic, dtype=str),
    })
    frame["title"] = spec.title(frame)
    frame["integrated"] = False
    frame["exempt"] = False
    frame["eligible"] = True
    score = (BASE_SCORE + YEAR_DRIFT * (year - 2023) + units.quality.to_numpy()
             + rng.normal(0.0, NOISE_SD, len(frame)))
    frame["score"] = np.round(np.clip(score, *SCORE_RANGE), 1)
    frame["cost"] = np.round(rng.uniform(spec.cost[0], spec.cost[1], len(frame)), 1)
    _TASK_DETAILS.get(spec.task, lambda f, r, u, g: None)(frame, roster, unit, rng)
    return frame


# --- what only some tasks have: exemptions, eligibility, tracks, partners -------------------------
def _exempt_share(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    # 三(四)/三(六): former national libraries' hosts and national cultivation projects re-file and
    # take no quota; they are mostly at strong 高职 schools.
    w = frame.tier.map({"national_double_high": 10.0, "provincial_double_high": 6.0,
                        "other_higher": 3.0}).fillna(0.4).to_numpy(dtype=float)
    k = int(round(rng.uniform(0.08, 0.12) * len(frame)))
    frame.loc[rng.choice(len(frame), size=k, replace=False, p=w / w.sum()), "exempt"] = True


def _ineligible_share(frame: pd.DataFrame, rng: np.random.Generator, mask: np.ndarray,
                      share: tuple[float, float]) -> None:
    rows = np.flatnonzero(mask)
    k = int(round(rng.uniform(*share) * len(rows)))
    frame.loc[rng.choice(rows, size=k, replace=False), "eligible"] = False


def _details_library(frame, roster, unit, rng):
    _exempt_share(frame, rng)


def _details_digital(frame, roster, unit, rng):
    # 三(五): only digital-campus pilot schools are eligible — a property of the school.
    frame["eligible"] = roster.digital_pilot.to_numpy()[unit]


def _details_course(frame, roster, unit, rng):
    # 三(七): online courses must already be selected online quality courses (~20% are not);
    # five-year integrated courses are classified secondary or higher case by case.
    online = rng.random(len(frame)) < 0.4
    frame["track"] = np.where(online, "online", "offline")
    frame["title"] = frame.title + np.where(online, "在线一流核心课程", "线下一流核心课程")
    _ineligible_share(frame, rng, online, (0.17, 0.23))
    integrated = rng.random(len(frame)) < 0.08
    frame["integrated"] = integrated
    frame["level"] = np.where(integrated, np.where(rng.random(len(frame)) < 0.5, "secondary", "higher"),
                              frame.level)


def _details_textbook(frame, roster, unit, rng):
    # 三(八): only textbooks on the national planned / award lists are eligible (~25% are not).
    edition = rng.choice(["", "", "", "（第2版）", "（第3版）"], size=len(frame))
    frame["title"] = frame.title + edition
    _ineligible_share(frame, rng, np.ones(len(frame), dtype=bool), (0.22, 0.28))


def _details_production(frame, roster, unit, rng):
    # 三(九): a real problem of a partner enterprise, most often one in the school's locality.
    firms = roster[roster.unit_kind == "enterprise"]
    partner = pd.Series(firms.unit_name.to_numpy()[rng.integers(0, len(firms), len(frame))])
    local = rng.random(len(frame)) < 0.75
    for loc, here in firms.groupby("locality").unit_name:
        rows = np.flatnonzero(local & (frame.locality == loc).to_numpy())
        partner.iloc[rows] = here.to_numpy()[rng.integers(0, len(here), len(rows))]
    frame["title"] = frame.title + "（合作企业：" + partner + "）"


_TASK_DETAILS = {
    "resource_library": _details_library,
    "virtual_sim_base": _details_library,
    "digital_benchmark_school": _details_digital,
    "core_course": _details_course,
    "textbook": _details_textbook,
    "production_project": _details_production,
}


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------
def generate_candidates(year: int, *, seed: int = DEFAULT_SEED, roster: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """One year's synthetic candidates, every task and track of the catalogue.

    Parameters
    ----------
    year : int
        Filing year (2023–2025 in the notice; any year works).
    seed : int
        Generator seed; the same seed gives the same frame.
    roster : pandas.DataFrame, optional
        Units as made by :func:`make_roster` (columns ``unit_id``, ``unit_name``, ``unit_kind``,
        ``tier``, ``locality``, ``level``, ``role``, ``place``, ``domains``, ``quality``,
        ``digital_pilot``); default ``make_roster(seed)``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS`, sorted by task and track (catalogue order), unit and title,
        with ``candidate_id`` ``C<year>-<5-digit sequence>`` in that order.
    """
    roster = make_roster(seed) if roster is None else roster
    catalogue = load_catalogue()
    frame = pd.concat([_file_task(spec, roster, year, seed) for spec in TASKS], ignore_index=True)

    task_rank = {code: i for i, code in enumerate(catalogue.tasks)}
    track_rank = {(code, tr): i for code, t in catalogue.tasks.items() for i, tr in enumerate(t.tracks)}
    frame["_task"] = frame.task.map(task_rank)
    frame["_track"] = [track_rank.get(k, -1) for k in zip(frame.task, frame.track)]
    frame = frame.sort_values(["_task", "_track", "unit_id", "title"], kind="stable", ignore_index=True)
    frame["candidate_id"] = f"C{year}-" + pd.Series(np.arange(1, len(frame) + 1)).astype(str).str.zfill(5)
    frame["year"] = frame.year.astype("int64")
    for column in BOOL_COLUMNS:
        frame[column] = frame[column].astype(bool)
    log.info("generated %d candidates for %d (seed %d)", len(frame), year, seed)
    return frame[COLUMNS]


def to_csv_text(frame: pd.DataFrame) -> str:
    """The frame as the bundled CSV text: booleans true/false, score and cost with one decimal."""
    out = frame[COLUMNS].copy()
    for column in BOOL_COLUMNS:
        out[column] = np.where(out[column].to_numpy(dtype=bool), "true", "false")
    return out.to_csv(index=False, lineterminator="\n", float_format="%.1f")


def write_bundled(out_dir: str | os.PathLike, *, seed: int = DEFAULT_SEED,
                  years: Sequence[int] = DEFAULT_YEARS) -> list[Path]:
    """Write ``candidates_<year>.csv`` (UTF-8 with BOM) for each year into out_dir.

    Each file is written to a temporary name beside it and renamed, so a failure leaves the old
    file in place. Returns the paths written, in year order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    roster = make_roster(seed)
    paths = []
    for year in years:
        text = to_csv_text(generate_candidates(year, seed=seed, roster=roster))
        path = out / f"candidates_{year}.csv"
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=out)
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, 0o644)            # mkstemp makes it private; a data file is not
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m planner.generate --out data/jilin --seed 2023 [--years 2023 2024 2025]``."""
    parser = argparse.ArgumentParser(
        prog="python -m planner.generate",
        description="Write SYNTHETIC Jilin candidate files (吉教职成〔2023〕7号) for the given years.")
    parser.add_argument("--out", default="data/jilin", help="output folder (default: data/jilin)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"seed (default: {DEFAULT_SEED})")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS),
                        help="years to generate (default: 2023 2024 2025)")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed must be a non-negative integer")
    for path in write_bundled(args.out, seed=args.seed, years=args.years):
        rows = sum(1 for _ in path.open(encoding="utf-8-sig")) - 1
        print(f"wrote {path} ({rows} candidates)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
