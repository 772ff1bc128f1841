"""The demo: a city (六安市) with two zones side by side — a deterministic, plausible development
zone of 304 scored party organizations covering 582 units, and a small county district — with
demo accounts for every role of each zone, a city viewer and the platform administrator."""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from . import registry, registry_sheet
from .credit_code import ALPHABET, check_character
from .models import (
    CoveredUnit,
    Kind,
    Organization,
    Region,
    RegionKind,
    Role,
    Sector,
    User,
    Zone,
)

ROOT_CODE = "KFQ"
SMALL_CODE = "YJQ"
CITY = "六安市"
DEMO_PASSWORD = "demo-2026"
SCORED_ORGS = 304
COVERED_UNITS = 582

BRANDS = [
    "恒达",
    "金安",
    "皖西",
    "瑞丰",
    "安泰",
    "中科",
    "新源",
    "博瑞",
    "鑫盛",
    "华宇",
    "天成",
    "宏图",
    "江淮",
    "大别山",
    "淠河",
    "佳和",
    "永信",
    "泰和",
    "德润",
    "联创",
    "晶科",
    "国轩",
    "汇通",
    "万家",
    "春晖",
    "东方",
    "长荣",
    "嘉禾",
    "正泰",
    "鼎盛",
    "明远",
    "润达",
    "精工",
    "华瑞",
    "同创",
    "兴业",
    "科瑞",
    "丰源",
    "顺达",
    "创新",
    "海川",
    "奥特",
    "宝利",
    "诚信",
    "凯盛",
    "立信",
    "龙腾",
    "美锦",
]
TRADES = [
    "新能源科技",
    "精密机械",
    "电子科技",
    "汽车零部件",
    "新材料",
    "生物医药",
    "食品",
    "纺织服饰",
    "包装材料",
    "物流",
    "智能装备",
    "光电科技",
    "环保科技",
    "建材",
    "电气",
    "信息技术",
]
DEPARTMENTS = [
    "党政办公室",
    "组织人事部",
    "纪检监察室",
    "经济发展局",
    "财政局",
    "招商服务中心",
    "建设发展局",
    "社会事务局",
    "自然资源和规划分局",
    "生态环境分局",
    "市场监督管理局",
    "应急管理局",
    "综合执法大队",
    "政务服务中心",
    "投资集团",
    "城市建设投资公司",
    "人力资源服务中心",
    "税务分局",
    "公安分局机关",
    "消防救援站",
    "实验学校",
    "第一小学",
    "第二小学",
    "第三小学",
    "第一中学",
    "第二中学",
    "实验幼儿园",
    "社区卫生服务中心",
    "人民医院",
    "疾病预防控制中心",
    "退役军人服务站",
    "统计局",
    "审计室",
    "科技创新服务中心",
    "数据资源管理中心",
    "供水公司",
    "公交公司",
    "园林绿化中心",
    "环卫所",
    "产业发展研究院",
]
VILLAGES = [
    "双河村",
    "袁店村",
    "龙井村",
    "联合村",
    "民乐村",
    "红石村",
    "桃园村",
    "高皇村",
    "新安村",
    "迎河村",
    "戴家湾村",
    "月亮岛村",
    "徐集村",
    "先生店村",
    "张店村",
    "王滩村",
    "三元村",
    "清河村",
    "汪家桥村",
    "东桥村",
    "西庙村",
    "南岗村",
    "北塘村",
    "塘岗村",
    "花园村",
    "杨柳村",
    "翟湾村",
    "荷叶村",
    "金桥村",
    "梅山社区",
    "长江社区",
    "皖西社区",
    "城东社区",
    "城北社区",
    "新城社区",
    "凤凰社区",
    "和平社区",
    "幸福社区",
    "朝阳社区",
    "锦绣社区",
    "阳光社区",
    "滨河社区",
    "翠湖社区",
    "丁集社区",
    "平桥社区",
]
SOCIETIES = [
    "商会",
    "物流行业协会",
    "电子商务协会",
    "新能源产业联盟",
    "养老服务中心",
    "社会工作服务中心",
    "志愿者协会",
    "职业技能培训学校",
    "民办幼儿园",
    "律师事务所",
    "会计师事务所",
    "青年创业协会",
    "慈善会",
    "家庭服务业协会",
    "人力资源服务协会",
    "企业家联谊会",
    "心理咨询服务中心",
    "文化艺术中心",
    "体育健身协会",
    "科技咨询服务中心",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "建国志强海燕晓明春梅丽华文杰红军玉兰德胜秀英国庆小平卫东桂芳永刚凤霞宏伟淑珍"


@dataclass
class Plan:
    """A committee and the organizations planned beneath it."""

    name: str
    short: str
    sector: str
    branches: list = field(default_factory=list)


def person_name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])


def enterprise_name(rng, used):
    while True:
        name = f"安徽{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司"
        if name not in used:
            used.add(name)
            return name


def credit_code(rng):
    """A well-formed 统一社会信用代码 of 六安 (ten random characters drawn as the demo always
    has, the last replaced by the check character)."""
    first = ("91341500" + "".join(rng.choice(ALPHABET) for _ in range(10)))[:17]
    return first + check_character(first)


def plan_zone(rng):
    """Committees with their branches: (name, short, kind, sector, [units], children)."""
    used: set[str] = set()
    plans = [
        Plan("开发区机关党委", "机关党委", Sector.AGENCY),
        Plan("三十铺镇党委", "三十铺镇党委", Sector.VILLAGE),
        Plan("新能源产业园非公企业党委", "新能源园党委", Sector.NON_PUBLIC),
        Plan("先进制造产业园非公企业党委", "先进制造园党委", Sector.NON_PUBLIC),
        Plan("电子信息产业园非公企业党委", "电子信息园党委", Sector.NON_PUBLIC),
        Plan("现代服务业非公企业党委", "现代服务业党委", Sector.NON_PUBLIC),
        Plan("综合非公企业党委", "综合非公党委", Sector.NON_PUBLIC),
        Plan("社会组织综合党委", "社会组织党委", Sector.SOCIAL),
    ]
    agency, village, *non_public, social = plans

    for dept in DEPARTMENTS:
        agency.branches.append(
            (f"开发区{dept}党支部", dept, Kind.BRANCH, [(f"六安开发区{dept}", "institution")], [])
        )
    for v in VILLAGES:
        kind = Kind.GENERAL_BRANCH if v.endswith("社区") and rng.random() < 0.3 else Kind.BRANCH
        suffix = "党总支" if kind == Kind.GENERAL_BRANCH else "党支部"
        village.branches.append(
            (f"三十铺镇{v}{suffix}", v, kind, [(f"三十铺镇{v}", "community")], [])
        )
    for s in SOCIETIES:
        unit = f"六安开发区{s}"
        social.branches.append((f"{unit}党支部", s, Kind.BRANCH, [(unit, "social")], []))
    for i in range(1, 5):
        units = [
            (f"六安开发区{rng.choice(BRANDS)}{rng.choice(SOCIETIES)}", "social") for _ in range(3)
        ]
        social.branches.append(
            (f"社会组织第{i}联合党支部", f"社会组织联合{i}支部", Kind.JOINT_BRANCH, units, [])
        )

    # Two large enterprises with a general branch over several production branches.
    for plan in non_public[:2]:
        firm = enterprise_name(rng, used)
        children: list[tuple] = [
            (f"{firm}{part}党支部", part, Kind.BRANCH, [], [])
            for part in ("生产一部", "生产二部", "研发中心", "营销中心")
        ]
        plan.branches.append(
            (f"{firm}党总支", firm[2:6], Kind.GENERAL_BRANCH, [(firm, "enterprise")], children)
        )

    counted = sum(1 + len(b[4]) for p in plans for b in p.branches) + len(plans)
    np_slots = SCORED_ORGS - counted
    joints = 45
    singles = np_slots - joints
    for i in range(singles):
        firm = enterprise_name(rng, used)
        non_public[i % len(non_public)].branches.append(
            (f"{firm}党支部", firm[2:-4], Kind.BRANCH, [(firm, "enterprise")], [])
        )
    units_so_far = sum(len(b[3]) for p in plans for b in p.branches)
    remaining = COVERED_UNITS - units_so_far
    sizes = [remaining // joints + (1 if i < remaining % joints else 0) for i in range(joints)]
    for i, size in enumerate(sizes):
        plan = non_public[i % len(non_public)]
        units = [(enterprise_name(rng, used), "enterprise") for _ in range(size)]
        plan.branches.append(
            (
                f"{plan.short[:-2]}第{i // len(non_public) + 1}联合党支部",
                f"{plan.short[:-2]}联合{i // len(non_public) + 1}支部",
                Kind.JOINT_BRANCH,
                units,
                [],
            )
        )
    return plans


def plan_small_zone(rng):
    """A county district of about thirty organizations: agencies, villages, enterprises."""
    used: set[str] = set()
    agency = Plan("叶集区机关工委", "机关工委", Sector.AGENCY)
    village = Plan("孙岗镇党委", "孙岗镇党委", Sector.VILLAGE)
    firms = Plan("叶集区非公企业党委", "非公企业党委", Sector.NON_PUBLIC)
    for dept in DEPARTMENTS[:8]:
        agency.branches.append(
            (f"叶集区{dept}党支部", dept, Kind.BRANCH, [(f"叶集区{dept}", "institution")], [])
        )
    for v in VILLAGES[10:20]:
        village.branches.append(
            (f"孙岗镇{v}党支部", v, Kind.BRANCH, [(f"孙岗镇{v}", "community")], [])
        )
    for _ in range(10):
        firm = enterprise_name(rng, used).replace("安徽", "叶集")
        firms.branches.append(
            (f"{firm}党支部", firm[2:-4], Kind.BRANCH, [(firm, "enterprise")], [])
        )
    for i in range(1, 3):
        units = [(enterprise_name(rng, used), "enterprise") for _ in range(4)]
        firms.branches.append(
            (f"叶集区非公企业第{i}联合党支部", f"非公联合{i}支部", Kind.JOINT_BRANCH, units, [])
        )
    return [agency, village, firms]


@dataclass
class ZoneSpec:
    """One demo zone: its name and code, its working committee, its plan, the first digits of
    its secretaries' mobile numbers (their usernames), and optionally one organization onboarded
    just now, whose secretary has only the one-time password of the slip."""

    code: str
    name: str
    root_name: str
    root_short: str
    plan: object
    phones: str
    demo_points: int
    fresh: tuple[str, str, str] | None = None  # (name, short name, covered enterprise)


ZONES = [
    ZoneSpec(
        ROOT_CODE,
        "六安开发区",
        "中共六安经济技术开发区工作委员会",
        "开发区党工委",
        plan_zone,
        "1395640",
        29,
    ),
    ZoneSpec(
        SMALL_CODE,
        "叶集区",
        "中共六安市叶集区委员会",
        "叶集区委",
        plan_small_zone,
        "1395641",
        3,
        fresh=("叶集新桥智慧物流有限公司党支部", "新桥物流", "叶集新桥智慧物流有限公司"),
    ),
]


class Builder:
    """The rows of a demo zone's registry file (党组织名册), drawn from its random plan."""

    def __init__(self, rng, year, spec):
        self.rng = rng
        self.year = year
        self.spec = spec
        self.orgs = []  # [code, row values], parents first
        self.units = []
        self.phones = 0

    def founded(self):
        return datetime.date(
            self.rng.randint(1985, self.year - 2), self.rng.randint(1, 12), self.rng.randint(1, 28)
        )

    def add(self, parent, name, short, kind, sector, code, units=(), members=None):
        """Add a row (the random draws in the order the demo has always made them, so that a
        seed keeps giving the same zone) and return its code."""
        members = members or self.rng.randint(3, 45)
        founded = self.founded()
        secretary, phone = None, None
        if parent is not None:
            secretary = person_name(self.rng)
            self.phones += 1
            phone = f"{self.spec.phones}{self.phones:04d}"
        row = {
            "组织编码": code,
            "组织名称": name,
            "简称": short[:40],
            "组织类别": Kind(kind).label,
            "类型": Sector(sector).label,
            "上级组织编码": parent,
            "党员人数": members,
            "成立日期": founded,
            "书记姓名": secretary,
            "书记手机号": phone,
        }
        self.orgs.append(row)
        for unit, unit_kind in units:
            credit = credit_code(self.rng) if unit_kind in ("enterprise", "social") else None
            employees = self.rng.randint(20, 800) if unit_kind == "enterprise" else None
            self.units.append([code, unit, credit, CoveredUnit.Kind(unit_kind).label, employees])
        return code

    def file(self):
        return registry_sheet.registry_file(
            ([row.get(title) for title in registry.ORG_TITLES] for row in self.orgs), self.units
        )


def tier_for(rng):
    roll = rng.random()
    return "A" if roll < 0.2 else "B" if roll < 0.75 else "C"


@dataclass
class Fresh:
    """The organization onboarded just now and its secretary's one-time password."""

    organization: Organization
    username: str
    password: str


@transaction.atomic
def build_zone(spec, *, seed, year, region, today):
    """Create a demo zone unless it exists, through the registry import of the file its plan
    writes; returns (created, zone, Fresh or None)."""
    zone = Zone.objects.filter(code=spec.code).first()
    if zone is not None:
        return False, zone, None
    zone = Zone.objects.create(code=spec.code, name=spec.name, region=region)
    rng = random.Random(f"{seed}:{spec.code}")
    b = Builder(rng, year, spec)
    Organization.objects.add_root(
        instance=Organization(
            zone=zone,
            name=spec.root_name,
            short_name=spec.root_short,
            code=spec.code,
            kind=Kind.WORKING_COMMITTEE,
            sector=Sector.AGENCY,
            member_count=12,
            founded_on=b.founded(),
        )
    )
    scored, branches = [], []
    plans = spec.plan(rng)
    for ci, plan in enumerate(plans, start=1):
        ccode = f"{spec.code}-{ci:02d}"
        members = rng.randint(15, 60)
        scored.append(
            b.add(
                spec.code,
                plan.name,
                plan.short,
                Kind.COMMITTEE,
                plan.sector,
                ccode,
                members=members,
            )
        )
        for bi, (name, short, kind, units, children) in enumerate(plan.branches, start=1):
            code = f"{ccode}-{bi:03d}"
            branches.append(b.add(ccode, name, short, kind, plan.sector, code, units))
            for ki, (cname, cshort, ckind, cunits, _) in enumerate(children, start=1):
                branches.append(
                    b.add(code, cname, cshort, ckind, plan.sector, f"{code}-{ki}", cunits)
                )
    fresh_code = None
    if spec.fresh is not None:
        name, short, firm = spec.fresh
        ccode = f"{spec.code}-{len(plans):02d}"
        fresh_code = f"{ccode}-{len(plans[-1].branches) + 1:03d}"
        branches.append(
            b.add(
                ccode,
                name,
                short,
                Kind.BRANCH,
                plans[-1].sector,
                fresh_code,
                [(firm, "enterprise")],
            )
        )
    scored += branches
    demo_points = set(rng.sample(branches, spec.demo_points))
    rows = {row["组织编码"]: row for row in b.orgs}
    for code in scored:
        rows[code]["初始分类"] = "A" if code in demo_points else tier_for(rng)
        rows[code]["党建示范点"] = "是" if code in demo_points else "否"
    # Terms ending over the next three years from the day the demo is loaded, a few already
    # ended (spread by position, not drawn, so the zone's random draws stay as they were).
    for number, row in enumerate(b.orgs):
        row["届满日期"] = today + datetime.timedelta(days=(number * 53) % 1095 - 30)
    filename = f"{spec.name}党组织名册.xlsx"
    plan = registry.prepare(b.file(), filename, zone=zone, year=year)
    opened = registry.apply(plan=plan, by=None, source=filename).opened
    # The printed demo accounts keep the printed password, so that a newcomer can try every
    # role at once; the fresh organization's secretary has only the slip's.
    demo = [o.user.pk for o in opened if o.organization.code != fresh_code]
    User.objects.filter(pk__in=demo).update(
        password=make_password(DEMO_PASSWORD), must_change_password=False
    )
    fresh = next(
        (
            Fresh(o.organization, o.user.username, o.password)
            for o in opened
            if o.organization.code == fresh_code
        ),
        None,
    )
    return True, zone, fresh


def build_city(*, seed, year, today):
    """The city and its demo zones, as they were registered on 2 January of `year` (their
    terms as they stand on `today`); returns [(created, zone, Fresh or None)]."""
    city, _ = Region.objects.get_or_create(name=CITY, defaults={"kind": RegionKind.CITY})
    return [build_zone(spec, seed=seed, year=year, region=city, today=today) for spec in ZONES]


# (username, description, family name, given name, role, zone code, committee code)
DEMO_ACCOUNTS = [
    ("admin", "管理员（六安开发区）", "系", "统", Role.ADMIN, ROOT_CODE, None),
    ("staff", "党建办工作人员（六安开发区）", "周", "敏", Role.STAFF, ROOT_CODE, None),
    ("staff2", "党建办工作人员（六安开发区）", "吴", "磊", Role.STAFF, ROOT_CODE, None),
    (
        "viewer",
        "党委查看（六安开发区新能源园党委）",
        "钱",
        "立",
        Role.COMMITTEE,
        ROOT_CODE,
        "KFQ-03",
    ),
    ("yjadmin", "管理员（叶集区）", "孙", "伟", Role.ADMIN, SMALL_CODE, None),
    ("yjstaff", "党建办工作人员（叶集区）", "冯", "静", Role.STAFF, SMALL_CODE, None),
    ("city", "市级查看（六安市，两个区）", "韩", "冰", Role.REGION, None, None),
    ("platform", "平台管理员（建开发区、跨区转移）", "林", "涛", Role.PLATFORM, None, None),
]


@transaction.atomic
def ensure_accounts():
    """The office, city and platform accounts; secretaries are created with their
    organizations."""
    password = make_password(DEMO_PASSWORD)
    city = Region.objects.get(name=CITY)
    for username, _label, last, first, role, zone_code, committee_code in DEMO_ACCOUNTS:
        zone = Zone.objects.get(code=zone_code) if zone_code else None
        committee = (
            Organization.objects.get(zone=zone, code=committee_code) if committee_code else None
        )
        User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "zone": zone,
                "region": city if role == Role.REGION else None,
                "last_name": last,
                "first_name": first,
                "committee": committee,
                "password": password,
            },
        )


def demo_logins():
    """(username, description) of the office, city and platform accounts."""
    return [(u, label) for u, label, *_ in DEMO_ACCOUNTS]
