"""Plausible points for the demo zone: most organizations do most of the routine work, some miss
items, a few earn bonus points, a few get deductions and one a veto, so that every warning level
and every grade appears. All writes go through `record_points`, like any other."""

import datetime
import random
from decimal import Decimal

from orgs.models import Organization, Role, User

from . import rules
from .models import Level, Notice, Rectification, RuleSet, Scorecard
from .services.notices import next_notice_number, publish_notice
from .services.periods import close_month
from .services.points import Cell, record_points
from .services.rectifications import review_rectification, submit_rectification
from .services.rulesets import create_rule_set
from .standings import quarter_standings

HALF = Decimal("0.5")
# (share of organizations, chance a quarter falls short, shortfall range in half points)
PROFILES = [
    (0.55, 0.03, (1, 2)),
    (0.25, 0.20, (1, 4)),
    (0.12, 0.50, (4, 10)),
    (0.05, 0.80, (10, 18)),
    (0.03, 1.00, (18, 28)),
]
NOTES = {
    "2.1": [
        "召开支委会 2 次、党员大会 1 次",
        "书记讲党课《牢记初心使命》",
        "党小组会 3 次，记录完整",
    ],
    "2.2": ["开展“红色引领”主题党日", "组织党员志愿服务", "参观大别山革命历史纪念馆"],
    "5.1": ["征集“金点子” 4 条，采纳 3 条", "党员攻关小组解决生产难题"],
    "6.1": ["报送党建信息 2 篇", "报送工作动态 1 篇"],
    "F1": ["打造“红领先锋”特色品牌", "党建工作经验在全区交流"],
    "F2": ["获评市级先进基层党组织", "经验做法被市委组织部推广"],
    "D1": ["季度党建材料逾期报送", "台账资料与实际不符"],
    "D2": ["党员违纪受到党纪处分，造成不良影响"],
}


def ensure_rule_sets(*, zone, years, user):
    previous = None
    for year in years:
        rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
        if rule_set is None:
            rule_set = create_rule_set(zone=zone, year=year, user=user, copy_from=previous)
        previous = rule_set


def _profile(rng):
    roll, edge = rng.random(), 0.0
    for share, chance, shortfall in PROFILES:
        edge += share
        if roll < edge:
            return chance, shortfall
    return PROFILES[-1][1:]


def _spread(rng, amount, months):
    """Split `amount` into half points over `months`."""
    result = dict.fromkeys(months, Decimal(0))
    for _ in range(int(amount / HALF)):
        result[rng.choice(months)] += HALF
    return result


def plan_quarter(rng, profile, items, months, *, veto=False, silent=False):
    """{(item, month): points} for one organization and quarter."""
    if silent:
        return {}
    chance, (low, high) = profile
    awarded = {item: item.quarterly_cap for item in items if item.kind == rules.ROUTINE}
    if rng.random() < chance:
        for _ in range(rng.randint(low, high)):
            candidates = [i for i, v in awarded.items() if v > 0]
            if not candidates:
                break
            awarded[rng.choice(candidates)] -= HALF
    by_code = {item.code: item for item in items}
    if chance < 0.5 and rng.random() < 0.12:
        awarded[by_code["F1"]] = rng.choice([HALF * 2, HALF * 4])
    if chance < 0.1 and rng.random() < 0.04:
        awarded[by_code["F2"]] = by_code["F2"].quarterly_cap
    if rng.random() < 0.05 + chance / 10:
        awarded[by_code["D1"]] = -rng.choice([HALF * 2, HALF * 4])
    if veto:
        awarded[by_code["D2"]] = -by_code["D2"].quarterly_cap
    plan = {}
    for item, amount in awarded.items():
        if amount == 0:
            continue
        if item.kind != rules.ROUTINE:
            plan[(item, rng.choice(months))] = amount
            continue
        for month, points in _spread(rng, amount, months).items():
            if points:
                plan[(item, month)] = points
    return plan


def plan_points(*, seed, zone, organizations, years, upto):
    """Yield (year, month, cells) from January of the first year up to (year, month) `upto`:
    deterministic for a seed."""
    rng = random.Random(seed)
    profiles = {org.pk: _profile(rng) for org in organizations}
    veto_org = organizations[len(organizations) // 3]
    silent_org = organizations[2 * len(organizations) // 3]
    for year in years:
        items = list(RuleSet.objects.get(zone=zone, year=year).items.all())
        for quarter in range(1, 5):
            # The running quarter is planned whole and cut at `upto`, so that its months so far
            # hold their share rather than the whole quarter's work.
            months = list(rules.months_of(quarter))
            if (year, months[0]) > upto:
                continue
            by_month: dict[int, list[Cell]] = {m: [] for m in months if (year, m) <= upto}
            for org in organizations:
                plan = plan_quarter(
                    rng,
                    profiles[org.pk],
                    items,
                    months,
                    veto=org == veto_org and (year, quarter) == (years[0], 3),
                    silent=org == silent_org and (year, quarter) == (years[0], 2),
                )
                for (item, month), points in plan.items():
                    if month not in by_month:
                        continue
                    notes = NOTES.get(item.code)
                    note = rng.choice(notes) if notes and rng.random() < 0.35 else ""
                    by_month[month].append(Cell(org.pk, item.pk, month, points, None, note))
            for month, cells in by_month.items():
                yield year, month, cells


def fill_points(*, seed, zone, years, upto, user):
    """Record the zone's planned points month by month, closing every month before the last."""
    organizations = list(Organization.objects.in_zone(zone).scored().order_by("path"))
    if Scorecard.objects.filter(organization__in=organizations, year__in=years).exists():
        return 0
    recorded = 0
    for year, month, cells in plan_points(
        seed=seed, zone=zone, organizations=organizations, years=years, upto=upto
    ):
        record_points(zone=zone, year=year, cells=cells, user=user, reason="演示数据初始化")
        recorded += len(cells)
        if (year, month) < upto:
            close_month(zone=zone, year=year, month=month, user=user)
    return recorded


def publish_past_notices(*, seed, zone, upto, user):
    """Publish every ended quarter before (year, quarter) `upto`, then walk each rectification
    through the services: most accepted, some returned or waiting for review, a few overdue."""
    if Notice.objects.filter(zone=zone).exists():
        return 0
    rng = random.Random(seed)
    published = 0
    for year in RuleSet.objects.filter(zone=zone).order_by("year").values_list("year", flat=True):
        for quarter in range(1, 5):
            if (year, quarter) >= upto:
                return published
            day = rules.quarter_end(year, quarter) + datetime.timedelta(days=8)
            notice = publish_notice(
                zone=zone,
                year=year,
                quarter=quarter,
                number=next_notice_number(zone, day.year),
                published_on=day,
                title=f"关于{year}年第{quarter}季度基层党组织积分预警情况的通报",
                text=f"现将{year}年第{quarter}季度基层党组织积分预警情况通报如下，请被预警的党组织按期整改。",
                user=user,
            )
            published += 1
            for task in Rectification.objects.filter(warning__notice=notice).select_related(
                "warning__organization__secretary"
            ):
                secretary, roll = task.warning.organization.secretary, rng.random()
                if roll < 0.08 or secretary is None:
                    continue  # never reported: overdue
                submit_rectification(
                    rectification=task,
                    user=secretary,
                    report=rng.choice(REPORTS),
                )
                if roll < 0.16:
                    continue  # waiting for review
                if roll < 0.26:
                    review_rectification(
                        rectification=task,
                        user=user,
                        accept=False,
                        comment="请补充整改成效的佐证材料。",
                    )
                    continue
                review_rectification(rectification=task, user=user, accept=True)
    return published


REPORTS = [
    "召开专题组织生活会查摆问题，补齐“三会一课”记录，明确支委分工，按月报送台账。",
    "组织党员集中学习，开展主题党日两次，补报党建信息三篇，整改台账已归档。",
    "书记带头约谈，完善党费收缴和党员管理制度，本季度各项常规工作已按期完成。",
]


def secretary_logins(*, zone, year, quarter):
    """(username, description) of secretaries worth logging in as: one organization for each
    warning level of (year, quarter) and one that was not warned."""
    standings = quarter_standings(zone, Organization.objects.in_zone(zone).scored(), year, quarter)
    by_level: dict[int, int] = {}
    for standing in sorted(standings.values(), key=lambda s: s.organization_id):
        by_level.setdefault(standing.level, standing.organization_id)
    organizations = Organization.objects.filter(pk__in=by_level.values()).select_related(
        "secretary"
    )
    names = {org.pk: org for org in organizations}
    rows = []
    for level in (rules.RED, rules.ORANGE, rules.YELLOW, rules.NOT_WARNED):
        org = names.get(by_level.get(level))
        if org and org.secretary:
            state = Level(level).label if level else "未预警"
            rows.append(
                (org.secretary.username, f"支部书记（{org.name}，{year}年Q{quarter} {state}）")
            )
    return rows


def demo_user(zone):
    """The zone's first office account: the author of its demo data."""
    return User.objects.filter(zone=zone, role=Role.STAFF).order_by("pk").first()
