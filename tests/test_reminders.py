"""In-app notices: events make them where they happen; send_reminders makes the reminders due
with the calendar (time moved across the deadlines) and mails them once."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Kind, Notification
from scoring.models import Rectification
from scoring.services.rectifications import review_rectification, submit_rectification

TZ = timezone.get_default_timezone()


@pytest.fixture
def clock(monkeypatch):
    def set_to(*args):
        now = datetime.datetime(*args, tzinfo=TZ)
        monkeypatch.setattr("django.utils.timezone.now", lambda: now)
        return now

    return set_to


def run(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def kinds(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_a_published_warning_tells_the_secretary_with_a_link_to_the_task(zone, published):
    task = Rectification.objects.get(warning__organization=zone.a1)
    notice = Notification.objects.get(user=zone.secretary)
    assert notice.kind == Kind.WARNING
    assert "一级（黄色）" in notice.title and "2025年04月23日" in notice.body
    assert notice.url == reverse("scoring:rectification", args=[task.pk])
    # b1's secretary too; organizations without one have nobody to tell.
    assert kinds(zone.outsider) == [Kind.WARNING]
    assert Notification.objects.count() == 2


def test_a_submitted_report_goes_to_the_office_and_its_review_back(zone, published):
    task = Rectification.objects.get(warning__organization=zone.a1)
    submit_rectification(rectification=task, user=zone.secretary, report="整改")
    assert kinds(zone.staff) == [Kind.REPORT_SUBMITTED]
    assert kinds(zone.admin) == [Kind.REPORT_SUBMITTED]
    assert kinds(zone.viewer) == []
    review_rectification(rectification=task, user=zone.staff, accept=False, comment="补充材料")
    returned = Notification.objects.get(user=zone.secretary, kind=Kind.REPORT_RETURNED)
    assert returned.body == "审核意见：补充材料"
    submit_rectification(rectification=task, user=zone.secretary, report="已补充")
    review_rectification(rectification=task, user=zone.staff, accept=True)
    assert kinds(zone.secretary) == [
        Kind.REPORT_ACCEPTED,
        Kind.REPORT_RETURNED,
        Kind.WARNING,
    ]
    assert kinds(zone.staff) == [Kind.REPORT_SUBMITTED, Kind.REPORT_SUBMITTED]


def test_the_menu_counts_unread_notices_and_opening_one_reads_it(zone, published, login):
    client = login(zone.secretary)
    page = client.get(reverse("dashboard:notifications")).content.decode()
    assert 'aria-label="未读 1 条"' in page
    notice = Notification.objects.get(user=zone.secretary)

    response = client.get(reverse("dashboard:notification", args=[notice.pk]))

    assert response["Location"] == notice.url
    notice.refresh_from_db()
    assert notice.read_at is not None
    page = client.get(reverse("dashboard:notifications")).content.decode()
    assert "未读 1 条" not in page and 'aria-label="未读' not in page


def test_all_can_be_marked_read_at_once(zone, published, login):
    Notification.objects.create(user=zone.secretary, kind=Kind.WARNING, title="二", url="/")
    client = login(zone.secretary)
    client.post(reverse("dashboard:notifications_read"))
    assert not Notification.objects.filter(user=zone.secretary).unread().exists()


def test_a_notice_leads_only_to_this_site(zone, login):
    notice = Notification.objects.create(
        user=zone.staff, kind=Kind.WARNING, title="外链", url="https://example.com/"
    )
    response = login(zone.staff).get(reverse("dashboard:notification", args=[notice.pk]))
    assert response["Location"] == reverse("dashboard:notifications")


@pytest.fixture
def addresses(zone):
    for user in (zone.staff, zone.viewer, zone.secretary):
        user.email = f"{user.username}@example.cn"
        user.save()


def test_month_deadline_reminders_five_days_and_one_day_before_once_each(
    zone, rule_set, addresses, clock
):
    # March 2025 closes on 10 April.
    clock(2025, 4, 4, 8)  # six days ahead: nothing yet
    assert "新提醒 0 条" in run()
    clock(2025, 4, 5, 8)
    out = run()
    assert "2025年3月积分将于04月10日关账（还有 5 天）" in out
    staff_notice = Notification.objects.get(user=zone.staff)
    assert staff_notice.url == reverse("dashboard:month", args=[2025, 3])
    assert "尚有 5 个组织未录完" in staff_notice.body
    viewer_notice = Notification.objects.get(user=zone.viewer)
    assert "甲党委下尚有 3 个组织未录完" in viewer_notice.body
    assert {m.to[0] for m in mail.outbox} == {"staff@example.cn", "viewer@example.cn"}
    assert Notification.objects.filter(user=zone.admin).count() == 1  # no address: no mail
    assert len(mail.outbox) == 2

    clock(2025, 4, 7, 8)  # still in the five-day window: not again
    assert "新提醒 0 条，邮件 0 封" in run()
    clock(2025, 4, 9, 8)
    assert "（还有 1 天）" in run()
    clock(2025, 4, 10, 20)
    assert "新提醒 0 条" in run()
    clock(2025, 4, 11, 8)  # past the deadline: no more deadline reminders
    assert "新提醒 0 条" in run()
    assert Notification.objects.filter(user=zone.staff, kind=Kind.MONTH_DEADLINE).count() == 2
    assert len(mail.outbox) == 4


def test_a_closed_month_needs_no_reminder(zone, rule_set, clock):
    from scoring.services.periods import close_month

    clock(2025, 4, 5, 8)
    close_month(zone=zone.zone, year=2025, month=3, user=zone.staff)
    assert "新提醒 0 条" in run()


def test_rectification_reminders_three_days_ahead_and_once_overdue(
    zone, addresses, published, clock
):
    task = Rectification.objects.get(warning__organization=zone.a1)  # due 23 April 2025
    mail.outbox.clear()
    clock(2025, 4, 19, 8)
    run("--zone", "root")
    assert not Notification.objects.filter(user=zone.secretary, kind=Kind.RECTIFICATION_DUE)
    assert len(mail.outbox) == 1  # the warning's own notice, mailed by this first run
    clock(2025, 4, 20, 8)
    out = run()
    assert "整改将于04月23日到期（还有 3 天）" in out
    due = Notification.objects.get(user=zone.secretary, kind=Kind.RECTIFICATION_DUE)
    assert due.url == reverse("scoring:rectification", args=[task.pk])
    clock(2025, 4, 23, 8)
    assert "新提醒 0 条" in run()
    clock(2025, 4, 24, 8)
    assert "整改已逾期 1 天" in run()
    clock(2025, 4, 30, 8)
    assert "新提醒 0 条" in run()
    assert kinds(zone.secretary) == [
        Kind.RECTIFICATION_DUE,
        Kind.RECTIFICATION_OVERDUE,
        Kind.WARNING,
    ]
    assert [m.to for m in mail.outbox] == [["secretary@example.cn"]] * 3
    assert "办理：http://127.0.0.1:8000/rectifications/" in mail.outbox[1].body


def test_a_submitted_report_is_not_reminded_of(zone, published, clock):
    task = Rectification.objects.get(warning__organization=zone.a1)
    submit_rectification(rectification=task, user=zone.secretary, report="整改")
    clock(2025, 4, 24, 8)
    run()
    assert not Notification.objects.filter(
        user=zone.secretary, kind__in=[Kind.RECTIFICATION_DUE, Kind.RECTIFICATION_OVERDUE]
    )


def test_a_dry_run_says_what_it_would_do_and_does_nothing(zone, rule_set, addresses, clock):
    clock(2025, 4, 5, 8)
    out = run("--dry-run")
    assert "（试运行，未保存、未发送）站内消息 → staff" in out
    assert not Notification.objects.exists() and mail.outbox == []


def test_an_unknown_zone_is_named(zone):
    with pytest.raises(CommandError, match="没有编码为“NOPE”的开发区"):
        run("--zone", "NOPE")


def test_another_zone_is_left_alone(zone, other_zone, rule_set, clock):
    from scoring.services.rulesets import create_rule_set

    create_rule_set(zone=other_zone.zone, year=2025, user=other_zone.admin)
    clock(2025, 4, 5, 8)
    run("--zone", "OTHER")
    assert not Notification.objects.filter(user=zone.staff).exists()
    assert Notification.objects.filter(user=other_zone.staff).exists()
