"""A one-time password opens nothing but the password change: every page of the permission
matrix sends its holder there, until they choose their own password and land on their home."""

import pytest
from django.urls import reverse

from orgs.accounts import issue_one_time_password
from orgs.models import User
from partybuild.middleware import FORCED_CHANGE

from . import test_permissions as matrix

# The matrix's zones with everything a URL can show, built once for this module too.
module_media = matrix.module_media
module_zone = matrix.module_zone
private_media = matrix.private_media
zone = matrix.zone

OPEN = {"logout", "password_change"}
NEW = "A-new-long-pass-99"


def forced(user):
    User.objects.filter(pk=user.pk).update(must_change_password=True)


@pytest.mark.parametrize("role", ["admin", "staff", "viewer", "secretary", "platform"])
def test_every_page_sends_a_one_time_password_to_the_password_change(client, zone, role):
    user = getattr(zone, role)
    forced(user)
    client.force_login(user)
    target = reverse("password_change")
    for case in matrix.CASES:
        if case.name in OPEN or case.name.startswith("admin:"):
            continue
        response = getattr(client, case.method)(case.url(zone))
        assert response.status_code == 302, f"{role} {case}: {response.status_code}"
        assert response["Location"] == target, f"{role} {case}"
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.get("/no/such/page/")["Location"] == target


def test_the_grids_requests_are_told_in_json(client, zone):
    forced(zone.staff)
    client.force_login(zone.staff)
    response = client.post(reverse("scoring:save"), "{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"ok": False, "message": FORCED_CHANGE}


def test_the_password_change_and_signing_out_stay_open(client, zone):
    forced(zone.secretary)
    client.force_login(zone.secretary)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="forced-change"' in html and "初始密码" in html
    # Nothing else to reach from the page's menu while the password is the office's.
    assert reverse("dashboard:notifications") not in html
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def change(client, old, new=NEW):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_choosing_a_password_clears_the_flag_and_lands_on_the_home_page(client, zone):
    password = issue_one_time_password(user=zone.secretary)
    signed_in = client.post(reverse("login"), {"username": "secretary", "password": password})
    assert signed_in.status_code == 302
    assert client.get(reverse("scoring:status", args=[zone.a1.pk]))["Location"] == reverse(
        "password_change"
    )
    response = change(client, password)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    zone.secretary.refresh_from_db()
    assert not zone.secretary.must_change_password
    assert zone.secretary.check_password(NEW)
    page = client.get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("scoring:status", args=[zone.a1.pk])
    assert "新密码已设置" in page.content.decode()


def test_the_one_time_password_cannot_be_kept_as_the_new_one(client, zone):
    password = issue_one_time_password(user=zone.staff)
    password_kept = password + "-Kept-1"
    zone.staff.set_password(password_kept)
    zone.staff.save()
    client.force_login(zone.staff)
    response = change(client, password_kept, password_kept)
    assert response.status_code == 200
    assert "新密码不能与原密码相同" in response.content.decode()
    assert User.objects.get(pk=zone.staff.pk).must_change_password


def test_an_ordinary_change_still_ends_on_the_done_page(client, zone):
    from .conftest import PASSWORD

    client.force_login(zone.staff)
    response = change(client, PASSWORD)
    assert response["Location"] == reverse("password_change_done")
