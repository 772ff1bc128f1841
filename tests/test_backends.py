from django.urls import reverse

from orgs.backends import UserModelBackend


def test_it_reads_the_signed_in_user_back_with_every_field(zone):
    user = UserModelBackend().get_user(zone.viewer.pk)
    assert (user.pk, user.role, user.committee_id) == (
        zone.viewer.pk,
        zone.viewer.role,
        zone.com_a.pk,
    )
    assert UserModelBackend().get_user(10**9) is None


def test_a_deactivated_user_is_signed_out_on_the_next_request(zone, login):
    client = login(zone.secretary)
    assert client.get(reverse("scoring:status", args=[zone.a1.pk])).status_code == 200
    zone.secretary.is_active = False
    zone.secretary.save()
    response = client.get(reverse("scoring:status", args=[zone.a1.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
