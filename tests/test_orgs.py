import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from orgs.models import CoveredUnit, Organization, TierAssignment, TierSource

from .conftest import make_org, set_tier


def org_form(zone, **overrides):
    data = {
        "name": "新建支部",
        "short_name": "新建",
        "code": "NEW-1",
        "kind": "branch",
        "sector": "non_public",
        "parent": zone.com_a.pk,
        "secretary": "",
        "member_count": "12",
        "founded_on": "2015-03-01",
        "is_active": "on",
        "units-TOTAL_FORMS": "1",
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
        "units-0-name": "安徽测试科技有限公司",
        "units-0-kind": "enterprise",
        "units-0-credit_code": "91341500MA2TEXT00J",
        "units-0-employee_count": "120",
    }
    data.update(overrides)
    return data


def test_it_creates_an_organization_under_its_parent_with_covered_units(zone, login):
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone))
    org = Organization.objects.get(code="NEW-1")
    assert response.status_code == 302
    assert org.parent() == zone.com_a
    assert org.committee() == zone.com_a
    assert [u.name for u in org.covered_units.all()] == ["安徽测试科技有限公司"]


def test_it_refuses_a_duplicate_code_and_saves_nothing(zone, login):
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone, code="a-1"))
    assert response.status_code == 200
    assert "该组织编码已被本区其他组织使用" in response.content.decode()
    assert not CoveredUnit.objects.filter(name="安徽测试科技有限公司").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member_count", "2", "党员人数不能少于 3 人"),
        ("member_count", "-5", "党员人数"),
        ("member_count", "abc", "输入整数"),
        ("member_count", "999999999", "党员人数不能超过"),
        ("founded_on", "2999-01-01", "成立日期不能晚于今天"),
        ("founded_on", "1900-01-01", "成立日期不能早于 1921 年 7 月 1 日"),
        ("founded_on", "2020-02-30", "日期"),
        ("code", "含中文", "编码只能包含字母"),
        ("parent", "999999", "选择一个有效的选项"),
        ("units-0-credit_code", "123", "统一社会信用代码应为 18 位"),
        ("units-0-employee_count", "-1", "职工人数"),
    ],
)
def test_it_names_what_is_wrong_and_saves_nothing(zone, login, field, value, message):
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organization.objects.filter(code="NEW-1").exists()


def test_it_refuses_a_parent_that_would_make_a_cycle(zone, login):
    branch_holder = make_org(zone.com_a, "A-9", "甲总支", kind="general_branch")
    data = org_form(zone, code="A", name="甲党委", kind="committee", parent=branch_holder.pk)
    data.update({"units-TOTAL_FORMS": "0"})
    response = login(zone.admin).post(reverse("orgs:edit", args=[zone.com_a.pk]), data)
    assert response.status_code == 200
    assert "会形成循环" in response.content.decode()
    zone.com_a.refresh_from_db()
    assert zone.com_a.depth == 2


def test_it_refuses_a_branch_as_parent(zone, login):
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone, parent=zone.a1.pk))
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()


def test_it_moves_an_organization_with_its_subtree(zone, login):
    general = make_org(zone.com_a, "A-9", "甲总支", kind="general_branch")
    child = make_org(general, "A-9-1", "甲总支一支部")
    data = org_form(zone, code="A-9", name="甲总支", kind="general_branch", parent=zone.com_b.pk)
    data.update({"units-TOTAL_FORMS": "0"})
    response = login(zone.admin).post(reverse("orgs:edit", args=[general.pk]), data)
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.committee() == zone.com_b


def test_the_root_cannot_get_a_second(zone, login):
    response = login(zone.admin).post(
        reverse("orgs:create"), org_form(zone, kind="working_committee")
    )
    assert "党工委每个开发区只有一个" in response.content.decode()


def test_it_refuses_a_tier_change_without_a_reason(zone, login):
    url = reverse("orgs:tier", args=[zone.a1.pk])
    response = login(zone.staff).post(url, {"year": "2026", "tier": "B", "reason": "   "})
    assert response.status_code == 200
    assert "调整分类必须填写原因" in response.content.decode()
    assert zone.a1.tier_history.count() == 1


def test_a_tier_change_is_recorded_with_who_and_why(zone, login):
    url = reverse("orgs:tier", args=[zone.a1.pk])
    year = timezone.localdate().year
    login(zone.staff).post(url, {"year": str(year), "tier": "C", "reason": "整改不力，降为孵化型"})
    latest = zone.a1.tier_history.first()
    assert (latest.tier, latest.source, latest.set_by, latest.reason) == (
        "C",
        TierSource.MANUAL,
        zone.staff,
        "整改不力，降为孵化型",
    )
    tier = Organization.objects.filter(pk=zone.a1.pk).with_tier(year).get().tier
    assert tier == "C"


def test_the_tier_form_starts_from_the_current_tier_and_says_it(zone, login):
    response = login(zone.staff).get(reverse("orgs:tier", args=[zone.a1.pk]))
    current = Organization.objects.filter(pk=zone.a1.pk).with_tier(timezone.localdate().year)
    tier = current.get().tier
    assert response.context["form"]["tier"].value() == tier
    assert f"<strong>{tier}类" in response.content.decode()


def test_the_detail_page_leads_to_the_organizations_points(zone, login):
    html = login(zone.staff).get(reverse("orgs:detail", args=[zone.a1.pk])).content.decode()
    assert reverse("scoring:status", args=[zone.a1.pk]) in html


def test_a_tier_carries_over_into_years_without_one(zone):
    orgs = Organization.objects.filter(pk=zone.a1.pk)
    assert orgs.with_tier(2024).get().tier is None
    assert orgs.with_tier(2025).get().tier == "A"
    assert orgs.with_tier(2027).get().tier == "A"
    set_tier(zone.a1, 2026, "B")
    assert orgs.with_tier(2025).get().tier == "A"
    assert orgs.with_tier(2027).get().tier == "B"


def test_the_list_filters_and_counts_by_tier(zone, login):
    client = login(zone.staff)
    response = client.get(reverse("orgs:list"), {"year": "2025"})
    assert [o.code for o in response.context["page"]] == ["A", "A-1", "A-2", "B", "B-1"]
    assert dict((t.value, n) for t, n in response.context["tiers"]) == {"A": 2, "B": 2, "C": 1}
    expected = {o.code: o.tier for o in Organization.objects.scored().with_tier(2025)}
    assert {o.code: o.tier for o in response.context["page"]} == expected
    assert "未分类" not in response.content.decode()
    response = client.get(reverse("orgs:list"), {"year": "2025", "tier": "B"})
    assert [o.code for o in response.context["page"]] == ["B", "B-1"]
    assert 'tier-B">B类' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"q": "甲一"}, ["A-1"]),
        ({"q": "b-1"}, ["B-1"]),
        ({"sector": "social"}, ["A-2"]),
        ({"committee": "B"}, ["B", "B-1"]),
        ({"active": "0"}, []),
    ],
)
def test_the_list_filters(zone, login, params, codes):
    if "committee" in params:
        params = {"committee": getattr(zone, f"com_{params['committee'].lower()}").pk}
    response = login(zone.staff).get(reverse("orgs:list"), params)
    assert [o.code for o in response.context["page"]] == codes


def test_the_list_ignores_a_bad_filter_and_says_so(zone, login):
    response = login(zone.staff).get(reverse("orgs:list"), {"committee": "abc", "page": "x"})
    assert response.status_code == 200
    assert "已忽略此条件" in response.content.decode()
    assert len(response.context["page"]) == 5


def test_a_committee_viewer_sees_only_their_subtree(zone, login):
    response = login(zone.viewer).get(reverse("orgs:list"))
    assert [o.code for o in response.context["page"]] == ["A", "A-1", "A-2"]


def test_the_list_query_count_does_not_grow_with_rows(zone, login, django_assert_max_num_queries):
    client = login(zone.staff)
    for i in range(30):
        org = make_org(zone.com_b, f"B-X{i}", f"乙扩{i}")
        CoveredUnit.objects.create(organization=org, name=f"单位{i}", kind="enterprise")
    with django_assert_max_num_queries(9):  # one of them the zone's stamp
        response = client.get(reverse("orgs:list"))
    assert len(response.context["page"]) == 35
    with django_assert_max_num_queries(5):  # reloaded: the list comes from the cache
        again = client.get(reverse("orgs:list"))
    assert again.content.decode().count("乙扩") == response.content.decode().count("乙扩") > 0


@pytest.mark.parametrize(
    ("user", "target"),
    [
        ("admin", "dashboard:dashboard"),
        ("staff", "dashboard:dashboard"),
        ("viewer", "dashboard:dashboard"),
        ("secretary", "a1"),
    ],
)
def test_each_role_lands_on_its_own_home(zone, login, user, target):
    response = login(getattr(zone, user)).get(reverse("home"))
    if target == "a1":
        assert response["Location"] == reverse("scoring:status", args=[zone.a1.pk])
    else:
        assert response["Location"] == reverse(target)


def test_a_secretary_without_an_organization_is_told_so(zone, login):
    zone.a1.secretary = None
    zone.a1.save()
    response = login(zone.secretary).get(reverse("home"))
    assert "尚未绑定党组织" in response.content.decode()


def test_tier_history_needs_a_reason_in_the_database(zone):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        TierAssignment.objects.create(
            organization=zone.a1,
            zone=zone.zone,
            year=2025,
            tier="A",
            source=TierSource.MANUAL,
            reason="",
        )


def test_login_page_speaks_chinese(client, zone):
    response = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    assert "请输入一个正确的" in response.content.decode()


def test_founded_on_cannot_be_tomorrow(zone, login):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone, founded_on=tomorrow))
    assert "成立日期不能晚于今天" in response.content.decode()


def test_the_edit_form_starts_from_the_current_parent(zone, login):
    response = login(zone.admin).get(reverse("orgs:edit", args=[zone.a1.pk]))
    assert response.context["form"]["parent"].value() == zone.com_a.pk
    html = response.content.decode()
    assert f'<option value="{zone.com_a.pk}" selected>' in html


@pytest.mark.parametrize("parent", ["²", "abc", "-1", "99999999999999999999999"])
def test_it_ignores_a_parent_in_the_link_that_is_not_an_organization(zone, login, parent):
    response = login(zone.admin).get(reverse("orgs:create"), {"parent": parent})
    assert response.status_code == 200
    assert response.context["form"]["parent"].value() is None


def test_it_starts_a_new_organization_under_the_parent_in_the_link(zone, login):
    response = login(zone.admin).get(reverse("orgs:create"), {"parent": str(zone.com_b.pk)})
    assert response.context["form"]["parent"].value() == zone.com_b.pk


def test_it_shows_that_a_credit_code_is_registered_under_another_organization(zone, login):
    CoveredUnit.objects.create(
        organization=zone.b1, name="已登记公司", kind="enterprise", credit_code="91341500MA2TEXT00J"
    )
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone))
    assert response.status_code == 200
    assert "该统一社会信用代码已登记在其他单位下。" in response.content.decode()
    assert not Organization.objects.filter(code="NEW-1").exists()


def test_it_names_the_row_that_repeats_a_credit_code_of_the_same_form(zone, login):
    data = org_form(zone, **{"units-TOTAL_FORMS": "2"})
    data.update(
        {
            "units-1-name": "安徽测试科技有限公司分公司",
            "units-1-kind": "enterprise",
            "units-1-credit_code": "91341500ma2text00j",
        }
    )
    response = login(zone.admin).post(reverse("orgs:create"), data)
    assert response.status_code == 200
    units = response.context["units"]
    assert units.forms[1].errors["credit_code"] == ["与第 1 行单位的统一社会信用代码重复。"]
    assert "与第 1 行单位的统一社会信用代码重复。" in response.content.decode()
    assert not Organization.objects.filter(code="NEW-1").exists()
    assert not CoveredUnit.objects.exists()


def test_pages_stay_in_chinese_whatever_the_browser_asks_for(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "用户名" in html and "Username" not in html


def test_a_null_character_in_a_form_is_named_for_what_it_is(zone, login):
    response = login(zone.admin).post(reverse("orgs:create"), org_form(zone, name="甲\x00乙"))
    assert response.status_code == 200
    assert "含有不可见的空字符" in response.content.decode()
    assert "不允许是用空字符串" not in response.content.decode()


def test_a_credit_code_with_a_wrong_check_character_is_refused_on_the_form(zone, login):
    data = org_form(zone, **{"units-0-credit_code": "91341500MA2TEXT001"})
    response = login(zone.admin).post(reverse("orgs:create"), data)
    assert not Organization.objects.filter(code="NEW-1").exists()
    assert "校验位错误：按前 17 位计算，第 18 位应为 J" in response.content.decode()
