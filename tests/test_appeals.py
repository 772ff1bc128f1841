"""申诉: a warned organization's secretary appeals a published quarter within the rule set's
window; the office accepts it through a month reopen (the notice unchanged) or rejects it."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dashboard.models import Notification
from records.appeals import answer_appeal, file_appeal
from records.models import Appeal, AppealState
from scoring.models import Notice, Period, RuleSet, Warning
from scoring.services.grading import finalize_year
from scoring.services.periods import close_month
from scoring.services.steps import Refused

from .files import pdf_bytes


def on(monkeypatch, day):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def warning(zone, published):
    return Warning.objects.get(notice=published, organization=zone.a1)


@pytest.fixture
def in_window(monkeypatch, published):
    on(monkeypatch, datetime.date(2025, 4, 10))  # published on 8 April, 5 days to appeal


def test_a_warned_secretary_appeals_with_evidence_and_the_office_is_told(
    zone, warning, in_window, login
):
    client = login(zone.secretary)
    status = client.get(reverse("scoring:status", args=[zone.a1.pk])).content.decode()
    assert reverse("records:appeal_new", args=[warning.pk]) in status
    response = client.post(
        reverse("records:appeal_new", args=[warning.pk]),
        {"reason": "3月主题党日漏记 1 分", "evidence": SimpleUploadedFile("签到.pdf", pdf_bytes())},
    )
    appeal = Appeal.objects.get()
    assert response["Location"] == reverse("records:appeal", args=[appeal.pk])
    assert (appeal.state, appeal.attachment_name, appeal.created_by) == (
        AppealState.OPEN,
        "签到.pdf",
        zone.secretary,
    )
    assert set(Notification.objects.filter(kind="appeal_filed").values_list("user", flat=True)) == {
        zone.admin.pk,
        zone.staff.pk,
    }
    assert client.get(reverse("records:appeal_attachment", args=[appeal.pk])).status_code == 200


def test_the_window_closes_appeal_days_after_publishing(zone, warning, monkeypatch, login):
    on(monkeypatch, datetime.date(2025, 4, 13))
    assert file_appeal(warning=warning, user=zone.secretary, reason="理由").pk
    RuleSet.objects.filter(zone=zone.zone, year=2025).update(appeal_days=3)
    Appeal.objects.update(state=AppealState.REJECTED)
    with pytest.raises(Refused, match="申诉期限已过（截至 2025年4月11日）"):
        file_appeal(warning=warning, user=zone.secretary, reason="理由")
    response = login(zone.secretary).get(reverse("records:appeal_new", args=[warning.pk]))
    assert response.status_code == 302


def test_one_open_appeal_at_a_time_and_a_reason_is_needed(zone, warning, in_window):
    with pytest.raises(Refused, match="请填写申诉理由"):
        file_appeal(warning=warning, user=zone.secretary, reason="  ")
    file_appeal(warning=warning, user=zone.secretary, reason="理由")
    with pytest.raises(Refused, match="已有待处理的申诉"):
        file_appeal(warning=warning, user=zone.secretary, reason="又一次")


def test_only_the_warned_organizations_secretary_may_appeal(zone, warning, in_window, login):
    url = reverse("records:appeal_new", args=[warning.pk])
    assert login(zone.staff).get(url).status_code == 403
    assert login(zone.viewer).get(url).status_code == 403
    assert login(zone.outsider).get(url).status_code == 404


def test_accepting_reopens_the_month_with_the_appeal_as_reason_and_leaves_the_notice(
    zone, warning, in_window, login, published
):
    close_month(zone=zone.zone, year=2025, month=3, user=zone.staff)
    appeal = file_appeal(warning=warning, user=zone.secretary, reason="3月漏记")
    before = Notice.objects.get(pk=published.pk)
    response = login(zone.staff).post(
        reverse("records:appeal_answer", args=[appeal.pk]),
        {"decision": "accept", "month": "3", "answer": "核实属实，补记 2.1 一分"},
    )
    assert response.status_code == 302
    period = Period.objects.get(zone=zone.zone, year=2025, month=3)
    assert period.closed is False
    assert period.reason == f"申诉#{appeal.pk}（{zone.a1.label}）：核实属实，补记 2.1 一分"
    after = Notice.objects.get(pk=published.pk)
    assert (after.text, after.title, after.published_on) == (
        before.text,
        before.title,
        before.published_on,
    )
    assert Warning.objects.get(pk=warning.pk).total == warning.total
    appeal.refresh_from_db()
    assert (appeal.state, appeal.reopened_month, appeal.changed_by) == (
        AppealState.ACCEPTED,
        3,
        zone.staff,
    )
    told = Notification.objects.get(user=zone.secretary, kind="appeal_answered")
    assert "已采纳" in told.title
    secretary = login(zone.secretary)
    status = secretary.get(reverse("scoring:status", args=[zone.a1.pk])).content.decode()
    assert "申诉已采纳" in status and "核实属实" in status
    notice = secretary.get(reverse("scoring:notice", args=[2025, 1])).content.decode()
    assert 'id="notice-appeals"' in notice and "核实属实" in notice
    history = list(
        appeal.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert history == ["提交申诉", "采纳申诉，重新开放2025年3月"]


def test_rejecting_needs_a_reason_and_tells_the_secretary(zone, warning, in_window, login):
    appeal = file_appeal(warning=warning, user=zone.secretary, reason="理由")
    with pytest.raises(Refused, match="不予采纳必须说明理由"):
        answer_appeal(appeal=appeal, user=zone.staff, accept=False, answer="")
    answer_appeal(appeal=appeal, user=zone.staff, accept=False, answer="记录不符")
    appeal.refresh_from_db()
    assert (appeal.state, appeal.answer) == (AppealState.REJECTED, "记录不符")
    assert "未予采纳" in Notification.objects.get(user=zone.secretary, kind="appeal_answered").title
    with pytest.raises(Refused, match="不能再次处理"):
        answer_appeal(appeal=appeal, user=zone.staff, accept=False, answer="又")


def test_accepting_needs_a_month_of_the_quarter(zone, warning, in_window, login):
    appeal = file_appeal(warning=warning, user=zone.secretary, reason="理由")
    with pytest.raises(Refused, match="第1季度"):
        answer_appeal(appeal=appeal, user=zone.staff, accept=True, answer="好", month=4)
    response = login(zone.staff).post(
        reverse("records:appeal_answer", args=[appeal.pk]), {"decision": "accept", "answer": "好"}
    )
    assert "采纳申诉时请选择需要更正的月份" in response.content.decode()


def test_a_graded_year_refuses_the_reopen_and_the_appeal_stays_open(zone, warning, in_window):
    appeal = file_appeal(warning=warning, user=zone.secretary, reason="理由")
    on_graded = datetime.date(2026, 1, 20)
    timezone.now = lambda: timezone.make_aware(
        datetime.datetime.combine(on_graded, datetime.time(9))
    )
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    with pytest.raises(Refused, match="已定级"):
        answer_appeal(appeal=appeal, user=zone.staff, accept=True, answer="好", month=3)
    appeal.refresh_from_db()
    assert appeal.state == AppealState.OPEN


def test_the_office_lists_open_appeals_and_a_viewer_only_their_subtree(
    zone, warning, published, in_window, login
):
    file_appeal(warning=warning, user=zone.secretary, reason="理由")
    b1 = Warning.objects.get(notice=published, organization=zone.b1)
    file_appeal(warning=b1, user=zone.outsider, reason="理由")
    staff = login(zone.staff).get(reverse("records:appeals")).content.decode()
    assert "甲一支部" in staff and "乙一支部" in staff
    viewer = login(zone.viewer).get(reverse("records:appeals")).content.decode()
    assert "甲一支部" in viewer and "乙一支部" not in viewer


def test_hostile_answers_get_a_message_not_an_error(zone, warning, in_window, login):
    appeal = file_appeal(warning=warning, user=zone.secretary, reason="理由")
    client = login(zone.staff)
    url = reverse("records:appeal_answer", args=[appeal.pk])
    for data, message in (
        ({"decision": "accept", "month": "13", "answer": "好"}, "选择一个有效的选项"),
        ({"month": "3", "answer": "好"}, "请选择处理结果"),
        ({"decision": "reject", "answer": "\x00"}, "空字符"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200 and message in response.content.decode(), data
    appeal.refresh_from_db()
    assert appeal.state == AppealState.OPEN
