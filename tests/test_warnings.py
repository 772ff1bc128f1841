import datetime
from decimal import Decimal as D
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from orgs.models import Organization
from scoring import rules
from scoring.models import Notice, Period, Rectification, Warning
from scoring.services.notices import next_notice_number, publish_notice
from scoring.services.periods import reopen_month
from scoring.services.points import Cell, PointsRejected, record_points
from scoring.services.rulesets import create_rule_set
from scoring.services.steps import Refused
from scoring.standings import quarter_standings

from .conftest import score


def standings(zone, year, quarter):
    return quarter_standings(zone.zone, Organization.objects.scored(), year, quarter)


def publish(zone, year=2025, quarter=1, number=1, day=datetime.date(2025, 4, 8)):
    return publish_notice(
        zone=zone.zone,
        year=year,
        quarter=quarter,
        number=number,
        published_on=day,
        title="关于预警情况的通报",
        text="正文",
        user=zone.staff,
    )


def test_every_organization_gets_a_standing_from_one_query(
    zone, rule_set, django_assert_num_queries
):
    score(zone.a1, 2025, 1, 25)
    score(zone.a2, 2025, 1, "22.5")
    with django_assert_num_queries(3):
        result = standings(zone, 2025, 1)
    assert set(result) == {zone.com_a.pk, zone.com_b.pk, zone.a1.pk, zone.a2.pk, zone.b1.pk}
    assert (result[zone.a1.pk].total, result[zone.a1.pk].level) == (D(25), rules.NOT_WARNED)
    assert (result[zone.a2.pk].total, result[zone.a2.pk].level) == (D("22.5"), rules.YELLOW)


def test_a_quarter_without_entries_totals_zero_and_is_red(zone, rule_set):
    standing = standings(zone, 2025, 2)[zone.b1.pk]
    assert (standing.total, standing.entries, standing.level) == (0, 0, rules.RED)


def test_the_year_before_the_system_counts_as_not_warned(zone, rule_set):
    score(zone.a1, 2025, 1, 24)
    standing = standings(zone, 2025, 1)[zone.a1.pk]
    assert standing.level == rules.YELLOW  # 2024 has no rule set: Q4 and Q3 were not warned
    assert standing.previous_total is None and standing.before_previous_total is None


def test_q1_looks_back_to_last_years_q4_and_q3(zone, rule_set):
    create_rule_set(zone=zone.zone, year=2026, user=zone.admin, copy_from=rule_set)
    score(zone.a1, 2025, 3, 24)
    score(zone.a1, 2025, 4, 24)
    score(zone.a1, 2026, 1, 24)
    score(zone.a2, 2025, 3, 25)
    score(zone.a2, 2025, 4, 24)
    score(zone.a2, 2026, 1, 24)
    result = standings(zone, 2026, 1)
    assert result[zone.a1.pk].level == rules.RED  # two warned quarters before it
    assert result[zone.a2.pk].level == rules.ORANGE  # one warned quarter before it
    assert result[zone.a1.pk].previous_total == 24


def test_each_year_is_judged_by_its_own_threshold(zone, rule_set):
    lenient = create_rule_set(zone=zone.zone, year=2026, user=zone.admin, copy_from=rule_set)
    lenient.warning_threshold = 20
    lenient.save()
    score(zone.a1, 2025, 4, 22)
    score(zone.a1, 2026, 1, 21)
    assert standings(zone, 2026, 1)[zone.a1.pk].level == rules.NOT_WARNED
    assert standings(zone, 2025, 4)[zone.a1.pk].level == rules.RED  # 25's Q2 and Q3 were empty


def test_publishing_freezes_the_warnings_and_opens_rectifications(zone, rule_set):
    score(zone.a1, 2025, 1, 25)
    score(zone.a2, 2025, 1, "19.5")
    notice = publish(zone)
    assert notice.label == "〔2025〕第1号"
    warned = {w.organization_id: w for w in notice.warnings.all()}
    assert set(warned) == {zone.com_a.pk, zone.com_b.pk, zone.a2.pk, zone.b1.pk}
    assert warned[zone.a2.pk].level == rules.ORANGE
    assert warned[zone.b1.pk].had_entries is False
    task = warned[zone.a2.pk].rectification
    assert task.deadline == datetime.date(2025, 4, 8) + datetime.timedelta(days=30)
    assert task.history.get().history_change_reason == "通报 〔2025〕第1号 发布，开始整改"
    assert all(Period.objects.get(year=2025, month=m).closed for m in (1, 2, 3))
    assert notice.scored_count == 5


def test_a_yellow_warning_gets_the_shorter_deadline(zone, rule_set):
    score(zone.a1, 2025, 1, 24)
    notice = publish(zone)
    task = notice.warnings.get(organization=zone.a1).rectification
    assert task.deadline - notice.published_on == datetime.timedelta(days=15)


def test_a_published_quarter_changes_only_after_a_reopen_and_its_notice_stays_as_published(
    zone, items, rule_set
):
    score(zone.a1, 2025, 1, 20)
    notice = publish(zone)
    cell = Cell(zone.a1.pk, items["F1"].pk, 2, "2")
    with pytest.raises(PointsRejected) as excinfo:
        record_points(zone=zone.zone, year=2025, cells=[cell], user=zone.staff, reason="")
    assert "2025年2月已关账，如需修改请先重新开放" in excinfo.value.errors[0].message
    reopen_month(zone=zone.zone, year=2025, month=2, user=zone.staff, reason="补录漏报的特色工作")
    record_points(zone=zone.zone, year=2025, cells=[cell], user=zone.staff, reason="")
    assert standings(zone, 2025, 1)[zone.a1.pk].total == 22
    frozen = notice.warnings.get(organization=zone.a1)
    assert frozen.total == 20


def test_a_notice_dated_inside_its_quarter_is_refused(zone, rule_set):
    with pytest.raises(Refused, match="发布日期应晚于季度最后一天（2025年3月31日）"):
        publish(zone, day=datetime.date(2025, 3, 31))
    assert not Notice.objects.exists()
    assert not Period.objects.filter(closed=True).exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quarter": 4, "year": 2099}, "2099 年度尚未建立评分细则"),
        ({"quarter": 5}, "季度 5 无效"),
    ],
)
def test_publishing_refuses_what_cannot_be_published(zone, rule_set, kwargs, message):
    with pytest.raises(Refused, match=message):
        publish(zone, **kwargs)


def test_a_quarter_is_published_once_and_numbers_are_unique(zone, rule_set):
    publish(zone)
    with pytest.raises(Refused, match="已经发布"):
        publish(zone, number=2)
    with pytest.raises(Refused, match="〔2025〕第1号 已被使用"):
        publish(zone, quarter=2, number=1, day=datetime.date(2025, 7, 3))
    assert Notice.objects.count() == 1


def test_notices_are_numbered_within_the_year_they_are_issued(zone, rule_set):
    q3 = publish(
        zone, quarter=3, number=next_notice_number(zone.zone, 2025), day=datetime.date(2025, 10, 9)
    )
    q4 = publish(
        zone, quarter=4, number=next_notice_number(zone.zone, 2026), day=datetime.date(2026, 1, 8)
    )
    assert (q3.label, q4.label) == ("〔2025〕第1号", "〔2026〕第1号")
    assert (next_notice_number(zone.zone, 2025), next_notice_number(zone.zone, 2026)) == (2, 2)


def test_a_running_quarter_cannot_be_published(zone, rule_set):
    create_rule_set(
        zone=zone.zone, year=datetime.date.today().year, user=zone.admin, copy_from=rule_set
    )
    today = datetime.date.today()
    with pytest.raises(Refused, match="尚未结束"):
        publish(zone, year=today.year, quarter=rules.quarter_of(today.month), day=today)


def test_the_warnings_page_lists_warned_organizations_with_counts(zone, rule_set, login):
    score(zone.a1, 2025, 1, 25)
    score(zone.a2, 2025, 1, "19.5")
    response = login(zone.staff).get(reverse("scoring:warnings", args=[2025, 1]))
    html = response.content.decode()
    assert [r["org"].code for r in response.context["rows"]] == ["A", "B", "B-1", "A-2"]
    assert dict((lvl.value, n) for lvl, n in response.context["counts"]) == {3: 3, 2: 1, 1: 0}
    assert "本季度无记录" in html
    assert "发布预警通报" in html


def test_the_warnings_page_filters_by_level(zone, rule_set, login):
    score(zone.a2, 2025, 1, "19.5")
    response = login(zone.staff).get(reverse("scoring:warnings", args=[2025, 1]), {"level": "2"})
    assert [r["org"].code for r in response.context["rows"]] == ["A-2"]


def test_a_committee_viewer_sees_only_their_subtree(zone, rule_set, login):
    response = login(zone.viewer).get(reverse("scoring:warnings", args=[2025, 1]))
    assert {r["org"].code for r in response.context["rows"]} == {"A", "A-1", "A-2"}
    assert "发布预警通报" not in response.content.decode()
    assert response.context["scored"] == 3
    publish(zone)
    response = login(zone.viewer).get(reverse("scoring:warnings", args=[2025, 1]))
    assert response.context["scored"] == 3
    response = login(zone.staff).get(reverse("scoring:warnings", args=[2025, 1]))
    assert response.context["scored"] == 5


def test_a_published_quarter_shows_the_frozen_notice(zone, rule_set, login):
    score(zone.a2, 2025, 1, "19.5")
    publish(zone)
    response = login(zone.viewer).get(reverse("scoring:warnings", args=[2025, 1]))
    assert {r["org"].code for r in response.context["rows"]} == {"A", "A-1", "A-2"}
    assert "〔2025〕第1号" in response.content.decode()


def test_the_warnings_page_query_count_does_not_grow(
    zone, rule_set, login, django_assert_max_num_queries
):
    from .conftest import make_org

    client = login(zone.staff)
    for i in range(30):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
    # The page's own, the zone's stamp, and the menu's unread notices.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("scoring:warnings", args=[2025, 1]))
    assert len(response.context["rows"]) == 35
    with django_assert_max_num_queries(5):  # reloaded: the table comes from the cache
        again = client.get(reverse("scoring:warnings", args=[2025, 1]))
    assert again.content.decode().count("乙扩") == response.content.decode().count("乙扩") > 0


@pytest.mark.parametrize(
    "url", ["/warnings/2025/5/", "/warnings/2099/1/", "/warnings/2025/1/notice/"]
)
def test_impossible_quarters_and_unpublished_notices_are_404(zone, rule_set, login, url):
    assert login(zone.staff).get(url).status_code == 404


def test_staff_publish_through_the_page(zone, rule_set, login):
    score(zone.a2, 2025, 1, "19.5")
    client = login(zone.staff)
    page = client.get(reverse("scoring:publish", args=[2025, 1]))
    assert page.context["form"].initial["number"] == 1
    response = client.post(
        reverse("scoring:publish", args=[2025, 1]),
        {
            "number": "1",
            "published_on": "2025-04-08",
            "title": "关于2025年第1季度的通报",
            "text": "正文",
        },
    )
    assert response.status_code == 302
    assert Warning.objects.count() == 5
    again = client.post(
        reverse("scoring:publish", args=[2025, 1]),
        {"number": "2", "published_on": "2025-04-08", "title": "x", "text": "x"},
    )
    assert again.status_code == 302 and Notice.objects.count() == 1


def test_the_publish_form_names_what_is_wrong(zone, rule_set, login):
    response = login(zone.staff).post(
        reverse("scoring:publish", args=[2025, 1]),
        {"number": "0", "published_on": "2999-01-01", "title": "", "text": ""},
    )
    html = response.content.decode()
    assert "发布日期不能晚于今天" in html and "这个字段是必填项" in html
    assert not Notice.objects.exists()


def test_the_printable_notice_groups_by_level(zone, rule_set, login):
    score(zone.a2, 2025, 1, "19.5")
    publish(zone)
    html = login(zone.staff).get(reverse("scoring:notice", args=[2025, 1])).content.decode()
    assert "〔2025〕第1号" in html
    assert html.index("三级（红色）") < html.index("二级（橙色）")
    assert "季度得分低于 15 分；本季度无记录" in html and "季度得分低于 20 分" in html


def test_the_notice_exports_to_excel_with_plain_text_names(zone, rule_set, login):
    zone.a2.name = '=HYPERLINK("http://evil","点我")'
    zone.a2.save()
    score(zone.a2, 2025, 1, "19.5")
    publish(zone)
    response = login(zone.staff).get(reverse("scoring:notice_export", args=[2025, 1]))
    assert "filename*=utf-8''2025" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    assert [r[1] for r in rows] == ["三级（红色）"] * 4 + ["二级（橙色）"]
    hostile = next(c for c in ws["D"] if c.value and c.value.startswith("=HYPERLINK"))
    assert hostile.data_type == "s"
    assert ws.print_title_rows == "$4:$4"
    assert ws.page_setup.orientation == "landscape"


def test_the_export_warnings_command(zone, rule_set, tmp_path):
    score(zone.a2, 2025, 1, "19.5")
    publish(zone)
    path = tmp_path / "notice.xlsx"
    out = StringIO()
    call_command("export_warnings", year=2025, quarter=1, output=str(path), stdout=out)
    assert "〔2025〕第1号（5 个预警组织）" in out.getvalue()
    assert openpyxl.load_workbook(path).worksheets[0]["A1"].value == "关于预警情况的通报"
    with pytest.raises(CommandError, match="尚未发布"):
        call_command("export_warnings", year=2025, quarter=2, output=str(path))


def test_overdue_tasks_are_counted(zone, rule_set):
    score(zone.a2, 2025, 1, "19.5")
    publish(zone)
    assert Rectification.objects.overdue(datetime.date(2025, 4, 9)).count() == 0
    assert Rectification.objects.overdue(datetime.date(2025, 6, 1)).count() == 5


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (datetime.date(2025, 2, 10), (2025, 1)),  # the system's first quarter: the running one
        (datetime.date(2025, 8, 10), (2025, 2)),
        (datetime.date(2027, 2, 10), (2025, 4)),  # no rule set since: the last year that had one
    ],
)
def test_the_warnings_menu_opens_a_quarter_that_exists(
    zone, rule_set, login, monkeypatch, today, quarter
):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: today)
    client = login(zone.staff)
    response = client.get(reverse("scoring:warnings_index"))
    assert response.url == reverse("scoring:warnings", args=quarter)
    assert client.get(response.url).status_code == 200


def test_a_committee_viewers_notice_is_labelled_an_excerpt_of_their_organizations(
    zone, published, login
):
    html = login(zone.viewer).get(reverse("scoring:notice", args=[2025, 1])).content.decode()
    assert "（摘录）" in html and "摘录</strong>：本页只列出甲党委及其下属组织" in html
    assert "乙一支部" not in html
    whole = login(zone.staff).get(reverse("scoring:notice", args=[2025, 1])).content.decode()
    assert "摘录" not in whole and "乙一支部" in whole


def test_a_warned_secretary_reads_their_own_entry_of_the_notice(zone, published, login):
    html = login(zone.secretary).get(reverse("scoring:notice", args=[2025, 1])).content.decode()
    assert "甲一支部" in html and "甲二支部" not in html
    assert "本页只列出本组织在本通报中的情况（1 个）" in html


def test_the_notices_back_button_leads_where_the_reader_may_go(zone, published, login):
    notice = reverse("scoring:notice", args=[2025, 1])
    quarter = reverse("scoring:warnings", args=[2025, 1])
    assert login(zone.viewer).get(notice).context["back"] == quarter
    assert login(zone.secretary).get(notice).context["back"] == reverse("home")


def test_a_running_quarter_shows_progress_against_the_pro_rated_line_not_levels(
    zone, rule_set, login, monkeypatch
):
    import datetime

    from django.utils import timezone

    from .conftest import score

    # Mid-May 2025: April has ended, so the line is a third of 25.
    monkeypatch.setattr(timezone, "localdate", lambda *args: datetime.date(2025, 5, 15))
    score(zone.a1, 2025, 2, 10)  # in April
    response = login(zone.staff).get(reverse("scoring:warnings", args=[2025, 2]))
    context = response.context
    assert context["provisional"] and context["line"] == D("8.3")
    behind = [row["org"].code for row in context["rows"]]
    assert "A-1" not in behind and {"A-2", "B-1"} <= set(behind)
    html = response.content.decode()
    assert "预估" in html and "进度落后" in html and "level-badge" not in html
    assert context["behind_count"] == len(behind)
