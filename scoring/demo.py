"""The demo zone's life up to today: plausible points (most organizations do most of the
routine work, some miss items, a few earn bonus points, a few get deductions and one a veto, so
that every warning level and every grade appears), entered month by month, notices, reports,
grading and tiers, each on the day a real zone would have done it. All writes go through the
services, like any other."""

import datetime
import random
from contextlib import contextmanager
from decimal import Decimal

from django.utils import timezone

from orgs.models import Organization, Role, TierAssignment, TierSource, User

from . import rules
from .models import Level, Rectification, RuleSet, Scorecard
from .services.grading import confirm_tiers, finalize_year
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


@contextmanager
def clock(moment):
    """Run the block as if it were `moment`: the services check dates against today (no
    points for future months, publishing only after a quarter ended, grading after the year)
    and stamp every step with now(), so the demo's history reads as a real zone's would. For
    the demo loader only: it replaces django.utils.timezone.now while the block runs."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def at(day, hour=9, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def first_of_next(year, month):
    return datetime.date(year + month // 12, month % 12 + 1, 1)


def play(*, seed, zone, today, user, say=lambda text: None):
    """What a zone that took the system into use on 2 January of last year has done by
    `today`, each step on its day: rule sets each January, every month's points entered in
    the first week of the next and closed on the deadline, each ended quarter's notice
    published on the 8th with its rectifications walked through, last year graded and this
    year's tiers confirmed in January. Open for a newcomer: the month being entered (a share
    of its points in, its deadline still ahead) and the latest notice's reports waiting for
    review. Returns (points recorded, notices published), or None when already played."""
    organizations = list(Organization.objects.in_zone(zone).scored().order_by("path"))
    if Scorecard.objects.filter(organization__in=organizations).exists():
        return None
    first_year = today.year - 1
    rng = random.Random(f"{seed}:{zone.code}:timeline")
    start = at(datetime.date(first_year, 1, 2))
    TierAssignment.objects.filter(zone=zone, source=TierSource.INITIAL, year=first_year).update(
        set_at=start
    )
    with clock(start):
        create_rule_set(zone=zone, year=first_year, user=user)
    last = (today.year, today.month - 1) if today.month > 1 else (first_year, 12)
    recorded = published = 0
    for year, month, cells in plan_points(
        seed=seed, zone=zone, organizations=organizations, years=[first_year, today.year], upto=last
    ):
        rule_set = RuleSet.objects.get(zone=zone, year=year)
        following = first_of_next(year, month)
        deadline = rule_set.close_deadline(month)
        if (year, month) == last and today <= deadline:
            # The month being entered: most organizations in, a few partly, some not yet.
            cells = entering_share(rng, cells, organizations)
            moment = at(today - datetime.timedelta(days=1), 17)
        else:
            moment = at(following + datetime.timedelta(days=rng.randint(0, 6)), rng.randint(8, 16))
        with clock(moment):
            record_points(zone=zone, year=year, cells=cells, user=user, reason="录入本月积分")
        recorded += len(cells)
        if month % 3 == 0:
            publish_day = following + datetime.timedelta(days=7)
            if publish_day < today:
                notice = publish(zone, year, month // 3, publish_day, user)
                walk_rectifications(rng, notice, today, user, latest=_is_latest(year, month, today))
                published += 1
                say(f"  {year}年第{month // 3}季度：已发布预警通报 {notice.label}")
        if deadline < today:
            with clock(at(deadline, 17)):
                close_month(zone=zone, year=year, month=month, user=user)
        if month == 12:
            new_year(zone, year, today, user)
    return recorded, published


def _is_latest(year, month, today):
    """Whether the quarter ending in (year, month) is the last one ended before today."""
    last_year, last_quarter = rules.previous_quarters(today.year, rules.quarter_of(today.month), 1)[
        0
    ]
    return (year, month // 3) == (last_year, last_quarter)


def entering_share(rng, cells, organizations):
    """The cells a zone has in when the month's deadline is still ahead: every cell of about
    three quarters of the organizations, half the cells of some, none of the rest."""
    keep = {}
    for org in organizations:
        roll = rng.random()
        keep[org.pk] = 1.0 if roll < 0.75 else 0.5 if roll < 0.9 else 0.0
    return [c for c in cells if rng.random() < keep[c.organization_id]]


def new_year(zone, year, today, user):
    """January of the following year: its rule set (a copy), then last year graded on the
    15th and this year's tiers confirmed on the 20th, when those days have come."""
    january = datetime.date(year + 1, 1, 2)
    if january >= today:
        return
    with clock(at(january)):
        create_rule_set(
            zone=zone,
            year=year + 1,
            user=user,
            copy_from=RuleSet.objects.get(zone=zone, year=year),
        )
    graded, confirmed = datetime.date(year + 1, 1, 15), datetime.date(year + 1, 1, 20)
    if graded < today:
        with clock(at(graded, 10)):
            finalize_year(zone=zone, year=year, user=user)
    if confirmed < today:
        with clock(at(confirmed, 10)):
            confirm_tiers(zone=zone, year=year, user=user)


def publish(zone, year, quarter, day, user):
    with clock(at(day, 10)):
        return publish_notice(
            zone=zone,
            year=year,
            quarter=quarter,
            number=next_notice_number(zone, day.year),
            published_on=day,
            title=f"关于{year}年第{quarter}季度基层党组织积分预警情况的通报",
            text=f"现将{year}年第{quarter}季度基层党组织积分预警情况通报如下，请被预警的党组织按期整改。",
            user=user,
        )


def walk_rectifications(rng, notice, today, user, *, latest):
    """Each warned organization's secretary reports within the deadline (a few never do);
    the office accepts most reports within days and returns some, which are reported again
    and accepted. Of the latest notice, a share of reports still waits for review."""
    published = at(notice.published_on, 10)
    tasks = Rectification.objects.filter(warning__notice=notice).select_related(
        "warning__organization__secretary"
    )
    for task in tasks:
        secretary, roll = task.warning.organization.secretary, rng.random()
        if roll < 0.08 or secretary is None:
            continue  # never reported: overdue
        moment = published + datetime.timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 6))
        steps = [("submit", moment)]
        returned = moment + datetime.timedelta(days=rng.randint(1, 4))
        if latest and roll < 0.3:
            pass  # waiting for review
        elif latest and roll < 0.4:
            steps.append(("return", returned))  # to be reported again
        elif roll < 0.25:
            again = returned + datetime.timedelta(days=rng.randint(1, 5))
            accepted = again + datetime.timedelta(days=rng.randint(1, 4))
            steps += [("return", returned), ("submit", again), ("accept", accepted)]
        else:
            steps.append(("accept", moment + datetime.timedelta(days=rng.randint(1, 5))))
        for step, when in steps:
            if when.date() >= today:
                break
            with clock(when):
                if step == "submit":
                    submit_rectification(
                        rectification=task, user=secretary, report=rng.choice(REPORTS)
                    )
                else:
                    review_rectification(
                        rectification=task,
                        user=user,
                        accept=step == "accept",
                        comment="" if step == "accept" else "请补充整改成效的佐证材料。",
                    )


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
