import datetime
from decimal import Decimal as D
from io import BytesIO, StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from orgs.models import Organization, TierAssignment, TierSource
from orgs.services import assign_tier
from scoring import rules
from scoring.grades import ended_quarters, live_rows, stored_results, stored_rows
from scoring.models import AnnualResult, YearState
from scoring.services.grading import confirm_tiers, finalize_year, override_tier, reopen_year
from scoring.services.periods import reopen_month
from scoring.services.points import Cell, PointsRejected, record_points
from scoring.services.rulesets import create_rule_set
from scoring.services.steps import Refused
from scoring.sheets.grades import COLUMNS as GRADE_COLUMNS

from .conftest import score


@pytest.fixture
def year(zone, rule_set):
    """2025 with a1 at 100 (一档), a2 at 85 (二档), b1 at 100 with a veto, committees empty."""
    for quarter in range(1, 5):
        score(zone.a1, 2025, quarter, 25)
        score(zone.a2, 2025, quarter, 25 if quarter < 4 else 10)
        score(zone.b1, 2025, quarter, 25, veto=quarter == 2)
    return 2025


def graded(zone, rule_set):
    return {g.code: g for g in live_rows(rule_set, today=datetime.date(2026, 1, 1))}


def test_annual_totals_rank_overall_and_within_sector_with_ties(zone, rule_set, year):
    result = graded(zone, rule_set)
    assert {c: (g.total, g.rank) for c, g in result.items()} == {
        "A-1": (D(100), 1),
        "B-1": (D(90), 2),  # 100 routine − 10 veto
        "A-2": (D(85), 3),
        "A": (D(0), 4),
        "B": (D(0), 4),
    }
    assert result["A-1"].sector_rank == 1 and result["A-2"].sector_rank == 1
    assert (result["A"].sector_rank, result["A-1"].sector) == (2, "non_public")


def test_grades_proposals_and_use_of_results(zone, rule_set, year):
    result = graded(zone, rule_set)
    assert (result["A-1"].grade, result["A-1"].proposed_tier, result["A-1"].subsidy) == (
        1,
        "A",
        D(20000),
    )
    assert (result["A-2"].grade, result["A-2"].proposed_tier, result["A-2"].subsidy) == (
        2,
        "B",
        D(10000),
    )
    assert result["A-2"].coefficient is None and result["A-2"].warnings == 1
    b1 = result["B-1"]  # an agency: coefficient, not subsidy
    assert (b1.grade, b1.vetoed, b1.note, b1.coefficient, b1.subsidy) == (
        rules.THIRD,
        True,
        "一票否决，定为三档",
        D("0.90"),
        None,
    )
    assert result["A"].warnings == 4


def test_grading_runs_two_queries_whatever_the_zones_size(
    zone, rule_set, year, django_assert_num_queries
):
    # The organizations with their year, tier and ranks; then the committees' names.
    with django_assert_num_queries(2):
        list(live_rows(rule_set, today=datetime.date(2026, 1, 1)))


def test_finalizing_stores_the_year_and_freezes_it(zone, items, rule_set, year):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    stored = {r.organization.code: r for r in AnnualResult.objects.select_related("organization")}
    assert (stored["A-1"].grade, stored["A-1"].rank, stored["A-1"].tier) == (1, 1, "A")
    assert stored["B-1"].note == "一票否决，定为三档"
    with pytest.raises(PointsRejected) as excinfo:
        record_points(
            zone=zone.zone,
            year=2025,
            cells=[Cell(zone.a1.pk, items["2.1"].pk, 5, "0")],
            user=zone.staff,
            reason="",
        )
    assert "2025 年度已定级" in excinfo.value.errors[0].message
    with pytest.raises(Refused, match="请先撤销定级"):
        reopen_month(zone=zone.zone, year=2025, month=5, user=zone.staff, reason="改")
    with pytest.raises(Refused, match="已经定级"):
        finalize_year(zone=zone.zone, year=2025, user=zone.staff)


def test_a_running_year_cannot_be_finalized(zone, rule_set):
    this_year = datetime.date.today().year
    create_rule_set(zone=zone.zone, year=this_year, user=zone.admin, copy_from=rule_set)
    with pytest.raises(Refused, match="尚未结束"):
        finalize_year(zone=zone.zone, year=this_year, user=zone.staff)


def test_reopening_a_year_needs_a_reason_and_discards_the_results(zone, items, rule_set, year):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    with pytest.raises(Refused, match="必须填写原因"):
        reopen_year(zone=zone.zone, year=2025, user=zone.staff, reason=" ")
    reopen_year(zone=zone.zone, year=2025, user=zone.staff, reason="甲二支部四季度漏记")
    assert not AnnualResult.objects.exists()
    reopen_month(zone=zone.zone, year=2025, month=10, user=zone.staff, reason="补记")
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a2.pk, items["F1"].pk, 10, "2")],
        user=zone.staff,
        reason="",
    )
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    assert AnnualResult.objects.get(organization=zone.a2).total == 87
    state = YearState.objects.get(zone=zone.zone, year=2025)
    assert [
        h.history_change_reason for h in state.history.order_by("history_date", "history_id")
    ] == [
        "年度定级",
        "撤销定级：甲二支部四季度漏记",
        "年度定级",
    ]


def test_proposals_are_confirmed_at_once_with_single_overrides(zone, rule_set, year):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    a2 = AnnualResult.objects.get(organization=zone.a2)
    with pytest.raises(Refused, match="必须填写原因"):
        override_tier(result=a2, tier="A", reason="", user=zone.staff)
    override_tier(result=a2, tier="A", reason="获市级表彰，保留示范型", user=zone.staff)
    confirm_tiers(zone=zone.zone, year=2025, user=zone.staff)
    new = {
        t.organization.code: t
        for t in TierAssignment.objects.filter(year=2026).select_related("organization")
    }
    assert {c: t.tier for c, t in new.items()} == {
        "A": "C",
        "B": "C",
        "A-1": "A",
        "A-2": "A",
        "B-1": "C",
    }
    assert new["A-2"].reason == "2025年度定级为二档，建议B类，调整为A类：获市级表彰，保留示范型"
    assert new["A-1"].reason == "2025年度定级为一档，确认为A类"
    assert all(t.source == TierSource.GRADING and t.set_by == zone.staff for t in new.values())
    assert Organization.objects.filter(pk=zone.a2.pk).with_tier(2026).get().tier == "A"
    with pytest.raises(Refused, match="已经确认"):
        confirm_tiers(zone=zone.zone, year=2025, user=zone.staff)
    with pytest.raises(Refused, match="已确认"):
        override_tier(result=a2, tier="B", reason="x", user=zone.staff)


def test_the_grading_page_shows_distribution_and_filters(zone, rule_set, year, login):
    client = login(zone.staff)
    response = client.get(reverse("scoring:grading", args=[2025]))
    distribution = response.context["distribution"]
    assert distribution["totals"] == [1, 1, 3] and distribution["all"] == 5
    assert [r.code for r in response.context["rows"]] == ["A-1", "B-1", "A-2", "A", "B"]
    assert "按当前积分预估" in response.content.decode()
    only_third = client.get(reverse("scoring:grading", args=[2025]), {"grade": "3"})
    assert [r.code for r in only_third.context["rows"]] == ["B-1", "A", "B"]
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    stored = client.get(reverse("scoring:grading", args=[2025]), {"sector": "agency"})
    assert [r.code for r in stored.context["rows"]] == ["B-1", "B"]
    assert "已定级" in stored.content.decode()


def test_a_committee_viewer_sees_their_subtree_only(zone, rule_set, year, login):
    response = login(zone.viewer).get(reverse("scoring:grading", args=[2025]))
    assert {r.code for r in response.context["rows"]} == {"A", "A-1", "A-2"}


def test_the_grading_page_query_count_does_not_grow(
    zone, rule_set, year, login, django_assert_max_num_queries
):
    from .conftest import make_org

    for i in range(30):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
    client = login(zone.staff)
    with django_assert_max_num_queries(16):
        client.get(reverse("scoring:grading", args=[2025]))
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("scoring:grading", args=[2025]))
    assert len(response.context["rows"]) == 35


def test_pages_finalize_override_and_confirm(zone, rule_set, year, login):
    client = login(zone.staff)
    client.post(reverse("scoring:finalize", args=[2025]))
    assert YearState.objects.get(zone=zone.zone, year=2025).finalized
    url = reverse("scoring:tier_override", args=[2025, zone.a2.pk])
    page = client.post(url, {"tier": "A", "reason": ""}, follow=True)
    assert "甲二支部：调整建议类别必须填写原因" in page.content.decode()
    client.post(url, {"tier": "A", "reason": "获表彰"})
    client.post(reverse("scoring:tiers_confirm", args=[2025]))
    assert TierAssignment.objects.get(organization=zone.a2, year=2026).tier == "A"
    tiers = client.get(reverse("scoring:tiers", args=[2025])).content.decode()
    assert "2026 年度分类已确认" in tiers


def sheet(response):
    return openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))


def test_the_grade_sheet_has_exactly_the_columns_and_a_print_layout(zone, rule_set, year, login):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    response = login(zone.staff).get(reverse("scoring:grades_export", args=[2025]))
    assert (
        "filename*=utf-8''2025%E5%B9%B4%E5%BA%A6%E8%AF%84%E7%BA%A7%E8%A1%A8.xlsx"
        in response["Content-Disposition"]
    )
    wb = sheet(response)
    ws = wb["年度评级表"]
    assert ws["A1"].value == "测试开发区2025年度基层党组织积分制管理评级表"
    assert ws["A2"].value.startswith("制表日期：")
    assert [c.value for c in ws[3]] == [name for name, _ in GRADE_COLUMNS]
    first = [c.value for c in ws[4]]
    assert first[:6] == [1, "A-1", "甲一支部", "甲党委", "非公企业", "A类"]
    assert first[6:15] == [25, 25, 25, 25, 0, 0, 100, 1, 0]
    assert first[15:19] == ["一档", "A类", None, 20000]
    assert ws["G4"].number_format == "0.0"
    assert ws["P4"].fill.fgColor.rgb.endswith("C8E6C9")
    vetoed = [c.value for c in ws[5]]
    assert (vetoed[2], vetoed[15], vetoed[17], vetoed[19]) == (
        "乙一支部",
        "三档",
        0.9,
        "一票否决，定为三档",
    )
    assert ws.freeze_panes == "D4"
    assert ws.print_title_rows == "$3:$3"
    assert (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth) == (
        "landscape",
        9,
        1,
    )
    assert ws.column_dimensions["C"].width >= 30
    summary = [[c.value for c in row] for row in wb["汇总"].iter_rows(min_row=3)]
    assert summary == [
        ["机关事业单位", 0, 0, 2, 2, 0],
        ["非公企业", 1, 0, 1, 2, 20000],
        ["社会组织", 0, 1, 0, 1, 10000],
        ["合计", 1, 1, 3, 5, 30000],
    ]


def test_a_finalized_sheets_summary_counts_its_own_zone_only(
    zone, other_zone, rule_set, year, login
):
    create_rule_set(zone=other_zone.zone, year=2025, user=other_zone.admin, copy_from=rule_set)
    for quarter in range(1, 5):
        score(other_zone.x1, 2025, quarter, 25)
    finalize_year(zone=other_zone.zone, year=2025, user=other_zone.staff)
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    wb = sheet(login(zone.staff).get(reverse("scoring:grades_export", args=[2025])))
    summary = [[c.value for c in row] for row in wb["汇总"].iter_rows(min_row=3)]
    assert summary[-1] == ["合计", 1, 1, 3, 5, 30000]


def test_every_export_writes_hostile_text_as_plain_text(zone, rule_set, year, login):
    hostile = ["=cmd|' /C calc'!A0", "+SUM(A1:A2)", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
    for org, name in zip(
        (zone.a1, zone.a2, zone.b1, zone.com_a, zone.com_b), hostile, strict=False
    ):
        org.name = name
        org.short_name = name
        org.save()
    record_points(
        zone=zone.zone,
        year=2025,
        cells=[Cell(zone.a1.pk, rule_set.items.get(code="2.1").pk, 1, "3", note='=HYPERLINK("x")')],
        user=zone.staff,
        reason="",
    )
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    client = login(zone.staff)
    books = [
        sheet(client.get(reverse("scoring:grades_export", args=[2025]))),
        sheet(client.get(reverse("scoring:sheet_export", args=[zone.a1.pk, 2025]))),
        sheet(client.get(reverse("scoring:template", args=[2025, 1]))),
    ]
    strings = 0
    for wb in books:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                        assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                        strings += 1
    assert strings >= 8


def test_a_provisional_sheet_is_labelled(zone, rule_set, year, tmp_path):
    path = tmp_path / "grades.xlsx"
    out = StringIO()
    call_command("export_grades", year=2025, output=str(path), stdout=out)
    assert "尚未定级" in out.getvalue()
    ws = openpyxl.load_workbook(path)["年度评级表"]
    assert ws["A1"].value.endswith("（预估，尚未定级）")
    assert ws.max_row == 3 + 5


def test_the_record_sheet_downloads_as_excel(zone, rule_set, year, login):
    response = login(zone.secretary).get(reverse("scoring:sheet_export", args=[zone.a1.pk, 2025]))
    ws = sheet(response).worksheets[0]
    assert ws["A1"].value == "甲一支部 2025年积分制管理记录表"
    header = [c.value for c in ws[3]]
    assert header[0] == "月份" and header[-2:] == ["月合计", "说明"]
    january = [c.value for c in ws[4]]
    assert january[0] == "1月" and january[-2] == 25
    assert january[header.index("日常工作")] == 16


def test_the_tiers_page_query_count_does_not_grow(
    zone, rule_set, year, login, django_assert_max_num_queries
):
    from .conftest import make_org

    for i in range(30):
        make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    client = login(zone.staff)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("scoring:tiers", args=[2025]))
    assert len(response.context["rows"]) == 35


def test_a_finalized_sheet_keeps_the_proposal_and_notes_the_override(zone, rule_set, year, login):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    a2 = AnnualResult.objects.get(organization=zone.a2)
    override_tier(result=a2, tier="A", reason="获市级表彰", user=zone.staff)
    ws = sheet(login(zone.staff).get(reverse("scoring:grades_export", args=[2025])))["年度评级表"]
    row = next([c.value for c in r] for r in ws.iter_rows(min_row=4) if r[1].value == "A-2")
    assert (row[16], row[19]) == ("B类", "调整为A类：获市级表彰")


def test_provisional_ranks_stay_zone_wide_whatever_the_filter(zone, rule_set, year, login):
    client = login(zone.staff)
    rows = client.get(reverse("scoring:grading", args=[2025]), {"sector": "social"}).context["rows"]
    assert [(r.organization_id, r.rank, r.sector_rank) for r in rows] == [(zone.a2.pk, 3, 1)]
    rows = login(zone.viewer).get(reverse("scoring:grading", args=[2025])).context["rows"]
    assert {r.organization_id: r.rank for r in rows}[zone.a1.pk] == 1
    assert zone.b1.pk not in {r.organization_id for r in rows}


def test_the_running_years_sheet_counts_warnings_like_the_page(zone, rule_set, login):
    today = datetime.date.today()
    create_rule_set(zone=zone.zone, year=today.year, user=zone.admin, copy_from=rule_set)
    client = login(zone.staff)
    page = client.get(reverse("scoring:grading", args=[today.year])).context["rows"]
    ws = sheet(client.get(reverse("scoring:grades_export", args=[today.year])))["年度评级表"]
    in_sheet = {r[1].value: r[14].value for r in ws.iter_rows(min_row=4)}
    ended = ended_quarters(today.year, today)
    assert [r.warnings for r in page] == [ended] * 5
    assert list(in_sheet.values()) == [ended] * 5


def test_a_year_whose_tiers_are_confirmed_cannot_be_reopened(zone, rule_set, year, login):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    override_tier(
        result=AnnualResult.objects.get(organization=zone.a2),
        tier="A",
        reason="表彰",
        user=zone.staff,
    )
    confirm_tiers(zone=zone.zone, year=2025, user=zone.staff)
    with pytest.raises(Refused, match="2026 年度分类已按本次定级确认，不能再撤销定级"):
        reopen_year(zone=zone.zone, year=2025, user=zone.staff, reason="漏记")
    assert AnnualResult.objects.get(organization=zone.a2).override_reason == "表彰"
    assert TierAssignment.objects.filter(year=2026).count() == 5
    html = login(zone.staff).get(reverse("scoring:grading", args=[2025])).content.decode()
    assert reverse("scoring:reopen_year", args=[2025]) not in html


def test_confirming_keeps_a_next_year_tier_set_by_hand(zone, rule_set, year, login):
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    assign_tier(
        organization=zone.a1,
        year=2026,
        tier="C",
        source=TierSource.MANUAL,
        reason="班子调整，降为孵化型",
        user=zone.staff,
    )
    client = login(zone.staff)
    page = client.get(reverse("scoring:tiers", args=[2025])).content.decode()
    assert "已在组织页面设定，确认时保留" in page
    assert 'id="set-by-hand-count">1<' in page
    response = client.post(reverse("scoring:tiers_confirm", args=[2025]), follow=True)
    assert "1 个组织此前已在组织页面设定了 2026 年度分类，保留其设定。" in response.content.decode()
    assert Organization.objects.filter(pk=zone.a1.pk).with_tier(2026).get().tier == "C"
    assert TierAssignment.objects.filter(year=2026, organization=zone.a1).count() == 1
    assert TierAssignment.objects.filter(year=2026, source=TierSource.GRADING).count() == 4


def test_a_finalized_year_reads_back_the_same_rows_it_stored(zone, rule_set, year):
    live = list(live_rows(rule_set, today=datetime.date(2026, 1, 1)))
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    assert list(stored_rows(stored_results(zone.zone, 2025))) == live
    as_floats = list(stored_rows(stored_results(zone.zone, 2025), as_floats=True))
    assert [(r.code, r.total, r.grade) for r in as_floats] == [
        (r.code, float(r.total), r.grade) for r in live
    ]


def test_a_finalized_years_pages_show_an_empty_list_when_nothing_matches(
    zone, rule_set, year, login
):
    """A search that finds nobody, or "changed only" with nothing changed, is an empty page
    (an input probe found both answering 500)."""
    finalize_year(zone=zone.zone, year=2025, user=zone.staff)
    client = login(zone.staff)

    grading = client.get(reverse("scoring:grading", args=[2025]), {"q": "没有这个支部"})
    tiers = client.get(reverse("scoring:tiers", args=[2025]), {"changed": "1"})

    assert grading.status_code == 200 and tiers.status_code == 200
    assert "甲一支部" not in grading.content.decode()
    assert "甲一支部" not in tiers.content.decode()
