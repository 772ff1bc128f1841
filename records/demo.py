"""The demo zone's work records and appeals, through the services on the demo clock
(scoring.demo): for a sample of organizations, the last three months' records in every state
(drafts and waiting records in the running months, awarded and returned ones where the month
was still open when the office answered, late ones after a closed month's deadline) with
small photos drawn here (nothing binary is committed); an open appeal against the latest
notice and a rejected one against the notice before it."""

import datetime
import random
from decimal import Decimal
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from orgs.models import Organization
from partybuild.attachments import accept
from scoring import demo as clock_demo
from scoring.models import Notice, Period, RuleSet

from .appeals import answer_appeal, file_appeal
from .models import WorkRecord
from .services import (
    Decision,
    Draft,
    cell_facts,
    recordable_items,
    review_records,
    save_record,
    submit_record,
)

SAMPLE_EVERY = 10  # one organization in ten, and every secretary the demo lists
TITLES = {
    "1.1": ["支部班子述职评议", "党员队伍建设专题会"],
    "2.1": ["召开支委会", "党员大会", "党小组会", "书记讲党课"],
    "2.2": ["主题党日：重温入党誓词", "主题党日：参观革命纪念馆", "党员志愿服务"],
    "3.1": ["党员先锋岗评选", "党员攻关小组活动"],
    "5.1": ["征集“金点子”", "党员服务群众活动"],
    "6.1": ["报送党建信息", "微信公众号宣传"],
    "F1": ["打造特色党建品牌"],
}
PALETTE = [(198, 40, 40), (46, 125, 50), (21, 101, 192), (249, 168, 37), (106, 27, 154)]


def photo(rng: random.Random, name: str) -> SimpleUploadedFile:
    """A small picture of an "activity": a sky, a floor and a few figures, drawn by Pillow."""
    image = Image.new("RGB", (320, 240), (225, 235, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 170, 320, 240), fill=(200, 190, 170))
    draw.rectangle((20, 20, 300, 70), fill=rng.choice(PALETTE))  # the banner
    for i in range(rng.randint(3, 7)):
        x = 30 + i * 40
        color = rng.choice(PALETTE)
        draw.ellipse((x, 110, x + 20, 130), fill=(240, 200, 170))
        draw.rectangle((x - 2, 132, x + 22, 180), fill=color)
    out = BytesIO()
    image.save(out, "JPEG", quality=70)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _months(today):
    """The last three months up to today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [((i // 12), i % 12 + 1) for i in range(index - 2, index + 1)]


def _organizations(zone, listed):
    organizations = list(Organization.objects.in_zone(zone).scored().order_by("path"))
    chosen = {org.pk: org for org in organizations[::SAMPLE_EVERY] if org.secretary_id}
    for org in organizations:
        if org.secretary and org.secretary.username in listed:
            chosen[org.pk] = org
    return list(chosen.values())


def play(*, seed, zone, today, user, listed=()):
    """Returns how many records were made, or None when the zone has some already."""
    if WorkRecord.objects.filter(organization__zone=zone).exists():
        return None
    rng = random.Random(f"{seed}:{zone.code}:records")
    organizations = _organizations(zone, set(listed))
    made = 0
    for year, month in _months(today):
        rule_set = RuleSet.objects.filter(zone=zone, year=year).first()
        if rule_set is None:
            continue
        items = {item.code: item for item in recordable_items(rule_set)}
        deadline = rule_set.close_deadline(month)
        closed = Period.objects.filter(zone=zone, year=year, month=month, closed=True).exists()
        for org in organizations:
            made += _month_of(rng, zone, org, user, items, year, month, today, deadline, closed)
    _appeals(rng, zone, today, user)
    return made


def _month_of(rng, zone, org, user, items, year, month, today, deadline, closed):
    last_day = min(today, clock_demo.first_of_next(year, month) - datetime.timedelta(days=1))
    start = datetime.date(year, month, 1)
    records = []
    # A closed month shows what was answered then: fewer records, returned or late.
    for n in range(rng.randint(1, 2) if closed else rng.randint(2, 4)):
        code = rng.choice([c for c in TITLES if c in items])
        day = start + datetime.timedelta(days=rng.randint(0, (last_day - start).days))
        draft = Draft(
            item=items[code],
            date=day,
            title=rng.choice(TITLES[code]),
            participants=f"支部党员 {rng.randint(6, 30)} 人",
            content=f"{day.month}月{day.day}日组织开展，按计划完成，记录、签到表和照片附后。",
            claimed=Decimal("0.5") * rng.randint(1, 2),
        )
        pictures = [photo(rng, f"活动照片{i + 1}.jpg") for i in range(rng.randint(0, 2))]
        with clock_demo.clock(clock_demo.at(day, 20)):
            record = save_record(
                organization=org,
                user=org.secretary,
                draft=draft,
                files=[accept(p) for p in pictures],
            )
        records.append((record, n))
    submitted = []
    for record, n in records:
        if (year, month) == (today.year, today.month) and n == 0:
            continue  # a draft still being written
        # Before the deadline mostly; a closed month's stragglers after it (逾期).
        when = record.date + datetime.timedelta(days=rng.randint(0, 3))
        if closed and n == len(records) - 1:
            when = min(today, deadline + datetime.timedelta(days=rng.randint(1, 5)))
        when = min(when, today)
        with clock_demo.clock(clock_demo.at(when, 21)):
            submitted.append(submit_record(record=record, user=org.secretary))
    _review(rng, zone, org, user, year, month, today, deadline, closed, submitted)
    return len(records)


def _review(rng, zone, org, user, year, month, today, deadline, closed, submitted):
    """The office answers most of a month's records a few days after the month, before its
    deadline; a closed month's late ones wait. Awards stay within the quarter's room."""
    answer_day = min(deadline - datetime.timedelta(days=2), today - datetime.timedelta(days=1))
    waiting = [r for r in submitted if not r.late and r.submitted_at.date() <= answer_day]
    if not waiting or (year, month) == (today.year, today.month):
        return
    facts = cell_facts(org, year, month, list({r.item for r in waiting}))
    left = {item_id: fact["extra"] for item_id, fact in facts.items()}
    decisions = []
    for record in waiting:
        extra = left[record.item_id]
        if extra <= 0:
            comment = "本季度该项已记满，无需另行加分；如有其他工作请另行记录。"
            decisions.append(Decision(record.pk, award=False, comment=comment))
        elif rng.random() < 0.25 or closed:
            decisions.append(Decision(record.pk, award=False, comment="请补充签到表和现场照片。"))
        elif rng.random() < 0.8:
            points = min(record.claimed_points or Decimal("0.5"), extra)
            left[record.item_id] = extra - points
            decisions.append(Decision(record.pk, award=True, points=points, comment="材料齐全。"))
    if not decisions:
        return
    with clock_demo.clock(clock_demo.at(answer_day, 15)):
        review_records(
            zone=zone,
            organization=org,
            year=year,
            month=month,
            decisions=decisions,
            versions={},
            user=user,
        )


def _appeals(rng, zone, today, user):
    notices = list(Notice.objects.filter(zone=zone).order_by("-year", "-quarter")[:2])
    for index, notice in enumerate(notices):
        warning = (
            notice.warnings.filter(organization__secretary__isnull=False)
            .select_related("organization__secretary")
            .order_by("pk")
            .first()
        )
        if warning is None:
            continue
        filed = min(today, notice.published_on + datetime.timedelta(days=2))
        with clock_demo.clock(clock_demo.at(filed, 11)):
            appeal = file_appeal(
                warning=warning,
                user=warning.organization.secretary,
                reason=f"{notice.year}年第{notice.quarter}季度末月的主题党日活动已开展，"
                "但未记分，申请核实更正。",
            )
        if index == 1:
            answered = min(today, filed + datetime.timedelta(days=3))
            with clock_demo.clock(clock_demo.at(answered, 16)):
                answer_appeal(
                    appeal=appeal,
                    user=user,
                    accept=False,
                    answer="经核实，该活动未按要求留存记录和签到表，维持原通报。",
                )
