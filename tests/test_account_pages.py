"""The office's account pages: the list, opening accounts, resets, unlocking, deactivation and
换届, each as the office's roles may do it."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from orgs import access
from orgs.models import AccountEvent, AccountEventKind, Role, SecretaryTerm, User, term_notice

from .conftest import PASSWORD, make_user


def lock(user, *, minutes_ago=1):
    attempt = AccessAttempt.objects.create(
        username=user.username,
        ip_address="203.0.113.9",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
        failures_since_start=5,
    )
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=at)


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def slip_password(response):
    """The one-time password printed on the page's only slip."""
    (slip,) = response.context["slips"]
    return slip.password


# The list


def test_the_office_lists_its_zones_accounts_only(zone, other_zone, login):
    response = login(zone.staff).get(reverse("accounts:list"))
    names = {a.username for a in response.context["page"]}
    assert {"admin", "staff", "viewer", "secretary", "outsider"} <= names
    assert not names & {"xstaff", "xadmin", "xsecretary", "platform", "cityviewer"}


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"q": "secretary"}, {"secretary"}),
        ({"q": "13900001111"}, {"secretary"}),
        ({"q": "测outsider"}, {"outsider"}),
        ({"role": "committee"}, {"viewer"}),
        ({"state": "must_change"}, set()),
    ],
)
def test_the_list_searches_name_username_and_phone_and_filters_roles(zone, login, query, found):
    User.objects.filter(pk=zone.secretary.pk).update(phone="13900001111")
    response = login(zone.staff).get(reverse("accounts:list"), query)
    assert {a.username for a in response.context["page"]} == found


def test_the_list_shows_the_last_login_the_organization_and_who_is_locked(zone, login):
    User.objects.filter(pk=zone.outsider.pk).update(
        last_login=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    )
    lock(zone.secretary)
    lock(zone.viewer, minutes_ago=30)  # the cool-off is over: no longer locked
    client = login(zone.staff)
    response = client.get(reverse("accounts:list"))
    html = response.content.decode()
    assert "2026-03-02 09:30" in html and "从未登录" in html
    assert zone.a1.name in html
    assert "当前有 1 个账号" in html
    locked = client.get(reverse("accounts:list"), {"state": "locked"})
    assert [a.username for a in locked.context["page"]] == ["secretary"]


def test_the_list_costs_the_same_for_many_accounts(zone, login, django_assert_max_num_queries):
    client = login(zone.staff)
    for i in range(40):
        make_user(f"s{i}", Role.SECRETARY, zone=zone.zone)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:list"))
    assert len(response.context["page"]) == 45  # and the zone's five


def test_staff_see_office_accounts_without_a_link_to_change_them(zone, login):
    html = login(zone.staff).get(reverse("accounts:list")).content.decode()
    assert reverse("accounts:detail", args=[zone.secretary.pk]) in html
    assert reverse("accounts:detail", args=[zone.admin.pk]) not in html


# Opening accounts


def test_staff_open_a_secretarys_account_for_an_organization_with_a_slip(zone, client, login):
    response = login(zone.staff).post(
        reverse("accounts:create"),
        {"name": "王芳", "role": "secretary", "phone": "13800000001", "organization": zone.a2.pk},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = slip_password(response)
    assert password in response.content.decode()
    user = User.objects.get(username="13800000001")
    assert (user.display_name, user.role, user.zone, user.must_change_password) == (
        "王芳",
        Role.SECRETARY,
        zone.zone,
        True,
    )
    assert password not in user.password and user.check_password(password)
    assert list(access.visible_organizations(user)) == [zone.a2]
    assert SecretaryTerm.objects.get(organization=zone.a2, ended_at=None).user == user
    assert AccountEvent.objects.get(user=user).kind == AccountEventKind.CREATED


def test_a_secretary_needs_a_phone_and_an_organization_without_a_secretary(zone, login):
    response = login(zone.staff).post(
        reverse("accounts:create"),
        {"name": "王芳", "role": "secretary", "phone": "", "organization": zone.a1.pk},
    )
    errors = response.context["form"].errors
    assert "必须填写手机号" in errors["phone"][0]
    assert "organization" in errors  # a1 has its secretary: 换届 is on its own page
    assert not User.objects.filter(last_name="王芳").exists()


def test_staff_cannot_open_office_accounts(zone, login):
    response = login(zone.staff).post(
        reverse("accounts:create"), {"name": "李", "role": "staff", "username": "li"}
    )
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="li").exists()


def test_the_administrator_opens_a_committee_viewer_with_its_committee(zone, login):
    client = login(zone.admin)
    missing = client.post(
        reverse("accounts:create"), {"name": "赵", "role": "committee", "username": "zhao"}
    )
    assert "必须指定所查看的党委" in missing.content.decode()
    response = client.post(
        reverse("accounts:create"),
        {"name": "赵", "role": "committee", "username": "zhao", "committee": zone.com_b.pk},
    )
    assert response.status_code == 200 and slip_password(response)
    user = User.objects.get(username="zhao")
    assert (user.role, user.committee, user.zone) == (Role.COMMITTEE, zone.com_b, zone.zone)


def test_a_taken_username_or_phone_is_refused_in_chinese(zone, login):
    User.objects.filter(pk=zone.secretary.pk).update(phone="13900001111")
    response = login(zone.admin).post(
        reverse("accounts:create"),
        {"name": "钱", "role": "staff", "username": "staff", "phone": "13900001111"},
    )
    errors = response.context["form"].errors
    assert "已存在" in errors["username"][0]
    assert "该手机号已属于另一个账号" in str(errors)


# Care of existing accounts


def test_a_reset_gives_a_new_one_time_password_and_ends_the_old_one(zone, client, login):
    lock(zone.secretary)
    response = login(zone.staff).post(reverse("accounts:reset", args=[zone.secretary.pk]))
    password = slip_password(response)
    assert response.context["slips"][0].organization == zone.a1.name
    assert "no-store" in response["Cache-Control"]
    zone.secretary.refresh_from_db()
    assert zone.secretary.must_change_password and zone.secretary.check_password(password)
    assert not AccessAttempt.objects.filter(username="secretary").exists()
    client.logout()
    assert sign_in(client, "secretary", PASSWORD).status_code == 200  # refused
    assert sign_in(client, "secretary", password)["Location"] == reverse("home")
    kinds = set(zone.secretary.account_events.values_list("kind", flat=True))
    assert kinds == {AccountEventKind.PASSWORD_RESET}


def test_a_reset_signs_the_account_out_everywhere(zone, client, login):
    client.force_login(zone.secretary)
    from django.test import Client

    office = Client()
    office.force_login(zone.staff)
    office.post(reverse("accounts:reset", args=[zone.secretary.pk]))
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_nobody_resets_or_deactivates_their_own_account_here(zone, login):
    client = login(zone.admin)
    reset = client.post(reverse("accounts:reset", args=[zone.admin.pk]), follow=True)
    assert "不能重置自己的账号" in reset.content.decode()
    off = client.post(reverse("accounts:active", args=[zone.admin.pk]), {"active": "0"})
    assert off.status_code == 302
    assert User.objects.get(pk=zone.admin.pk).is_active


def test_staff_cannot_touch_office_accounts_and_nobody_another_zones(zone, other_zone, login):
    client = login(zone.staff)
    assert client.post(reverse("accounts:reset", args=[zone.admin.pk])).status_code == 403
    assert client.get(reverse("accounts:detail", args=[zone.viewer.pk])).status_code == 403
    theirs = other_zone.secretary.pk
    assert client.post(reverse("accounts:reset", args=[theirs])).status_code == 404
    assert login(zone.admin).get(reverse("accounts:detail", args=[theirs])).status_code == 404


def test_unlocking_lets_the_account_sign_in_again_at_once(zone, client, login):
    lock(zone.secretary)
    page = login(zone.staff).get(reverse("accounts:detail", args=[zone.secretary.pk]))
    assert "解除锁定" in page.content.decode()
    response = client.post(reverse("accounts:unlock", args=[zone.secretary.pk]), follow=True)
    assert "已解除" in response.content.decode()
    client.logout()
    assert sign_in(client, "secretary", PASSWORD).status_code == 302
    event = zone.secretary.account_events.get()
    assert (event.kind, event.by) == (AccountEventKind.UNLOCKED, zone.staff)


def test_a_deactivated_secretary_leaves_the_organization_and_cannot_sign_in(zone, client, login):
    signed_in = Client_of(zone.secretary)
    response = login(zone.staff).post(
        reverse("accounts:active", args=[zone.secretary.pk]), {"active": "0"}, follow=True
    )
    assert f"{zone.a1.name}现无书记" in response.content.decode()
    # Their open session ends with its next request.
    assert signed_in.get(reverse("home"))["Location"].startswith(reverse("login"))
    zone.a1.refresh_from_db()
    assert zone.a1.secretary is None
    client.logout()
    assert sign_in(client, "secretary", PASSWORD).status_code == 200
    login(zone.staff).post(reverse("accounts:active", args=[zone.secretary.pk]), {"active": "1"})
    client.logout()
    assert sign_in(client, "secretary", PASSWORD).status_code == 302


def test_a_secretarys_username_follows_the_phone(zone, login):
    response = login(zone.staff).post(
        reverse("accounts:detail", args=[zone.secretary.pk]),
        {"name": "张书记", "phone": "13700002222"},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=zone.secretary.pk)
    assert (user.username, user.phone, user.display_name) == (
        "13700002222",
        "13700002222",
        "张书记",
    )
    event = user.account_events.get()
    assert event.kind == AccountEventKind.EDITED and "手机号" in event.detail


def test_the_administrator_promotes_staff_but_not_themselves(zone, login):
    client = login(zone.admin)
    client.post(
        reverse("accounts:detail", args=[zone.staff.pk]),
        {"name": "王", "role": "admin", "username": "staff", "phone": ""},
    )
    assert User.objects.get(pk=zone.staff.pk).role == Role.ADMIN
    own = client.get(reverse("accounts:detail", args=[zone.admin.pk]))
    assert "role" not in own.context["form"].fields


# 换届


def test_a_change_of_secretary_opens_the_new_account_and_ends_the_old_access(zone, client, login):
    old = Client_of(zone.secretary)
    assert old.get(reverse("scoring:status", args=[zone.a1.pk])).status_code == 200
    response = login(zone.staff).post(
        reverse("orgs:secretary", args=[zone.a1.pk]),
        {"name": "陈新", "phone": "13600003333", "term_ends_on": "2029-06-30"},
    )
    password = slip_password(response)
    new = User.objects.get(username="13600003333")
    zone.a1.refresh_from_db()
    assert zone.a1.secretary == new and zone.a1.term_ends_on == datetime.date(2029, 6, 30)
    # The old account's next request no longer reaches the organization.
    assert old.get(reverse("scoring:status", args=[zone.a1.pk])).status_code == 404
    fresh = Client_of(None)
    assert sign_in(fresh, "13600003333", password)["Location"] == reverse("home")
    detail = client.get(reverse("orgs:detail", args=[zone.a1.pk])).content.decode()
    assert "书记任职记录" in detail and "陈新" in detail and "现任" in detail


def test_a_change_to_an_existing_secretary_links_their_account_without_a_slip(zone, login):
    User.objects.filter(pk=zone.outsider.pk).update(username="13600004444", phone="13600004444")
    response = login(zone.staff).post(
        reverse("orgs:secretary", args=[zone.a1.pk]),
        {"name": "测outsider", "phone": "13600004444"},
        follow=True,
    )
    assert "沿用原账号" in response.content.decode()
    zone.a1.refresh_from_db()
    zone.b1.refresh_from_db()
    assert zone.a1.secretary_id == zone.outsider.pk and zone.b1.secretary is None


def test_a_change_to_an_office_phone_is_refused_and_changes_nothing(zone, login):
    User.objects.filter(pk=zone.staff.pk).update(username="13600005555")
    response = login(zone.admin).post(
        reverse("orgs:secretary", args=[zone.a1.pk]), {"name": "王", "phone": "13600005555"}
    )
    assert "非书记角色" in response.content.decode()
    zone.a1.refresh_from_db()
    assert zone.a1.secretary == zone.secretary


def Client_of(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# 届满


@pytest.mark.parametrize(
    ("today", "ends_on", "notice"),
    [
        ("2026-12-01", None, None),
        ("2026-12-01", "2026-11-30", "已届满"),
        ("2026-12-01", "2026-12-01", "届满将至"),
        ("2026-12-01", "2027-03-01", "届满将至"),
        ("2026-12-01", "2027-03-02", None),
        ("2026-11-30", "2027-02-28", "届满将至"),  # three months on from a month's end
        ("2026-11-30", "2027-03-01", None),
    ],
)
def test_a_term_ending_within_three_months_is_pointed_out(today, ends_on, notice):
    day = datetime.date.fromisoformat
    assert term_notice(ends_on and day(ends_on), day(today)) == notice


def test_the_office_lists_show_a_term_ending_soon(zone, login):
    soon = timezone.localdate() + datetime.timedelta(days=30)
    zone.a2.term_ends_on = soon
    zone.a2.save()
    html = login(zone.staff).get(reverse("orgs:list")).content.decode()
    assert html.count("届满将至") == 1


# Above the zones


def test_the_platform_keeps_zones_administrators_and_the_accounts_above_zones(
    zone, other_zone, login
):
    client = login(zone.platform)
    listed = {a.username for a in client.get(reverse("accounts:list")).context["page"]}
    assert listed == {"admin", "xadmin", "cityviewer", "platform"}
    assert client.get(reverse("accounts:detail", args=[zone.staff.pk])).status_code == 404
    response = client.post(reverse("accounts:reset", args=[other_zone.admin.pk]))
    assert response.context["slips"][0].organization == "另一县区管理员"
    assert User.objects.get(pk=other_zone.admin.pk).must_change_password


def test_the_platform_opens_a_city_viewer_for_its_city(zone, login):
    client = login(zone.platform)
    missing = client.post(
        reverse("accounts:create"), {"name": "周", "role": "region", "username": "zhou"}
    )
    assert "必须指定所查看的市/省" in missing.content.decode()
    response = client.post(
        reverse("accounts:create"),
        {"name": "周", "role": "region", "username": "zhou", "region": zone.city.pk},
    )
    assert response.context["slips"][0].organization == "测试市市/省级查看"
    user = User.objects.get(username="zhou")
    assert (user.role, user.region, user.zone) == (Role.REGION, zone.city, None)


def test_the_django_admin_is_for_developers_only(zone, login, client):
    assert login(zone.platform).get(reverse("admin:index")).status_code == 302
    developer = User.objects.create_superuser("dev", password=PASSWORD, role=Role.PLATFORM)
    assert login(developer).get(reverse("admin:index")).status_code == 200
