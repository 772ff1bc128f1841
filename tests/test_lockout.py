from django.urls import reverse

from .conftest import PASSWORD


def attempt(client, password):
    return client.post(reverse("login"), {"username": "staff", "password": password})


def test_five_wrong_passwords_lock_the_account_with_a_chinese_page(client, zone):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    response = attempt(client, "wrong")
    assert response.status_code == 429
    locked = attempt(client, PASSWORD)
    assert locked.status_code == 429
    assert "登录已暂时锁定" in locked.content.decode()


def test_a_successful_login_resets_the_count(client, zone):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200


def test_a_user_name_longer_than_any_account_is_refused_before_it_is_looked_up(client, zone):
    """It reached the lockout's records, 255 characters in PostgreSQL: a 500 there (found by
    the input probe). Refused with a message, it is no failed sign-in of anyone."""
    from axes.models import AccessAttempt, AccessFailureLog

    response = client.post(reverse("login"), {"username": "x" * 300, "password": "wrong"})

    assert response.status_code == 200
    assert "不超过 150 字符" in response.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessFailureLog.objects.exists()


def change_password(client, old):
    return client.post(
        reverse("password_change"),
        {
            "old_password": old,
            "new_password1": "A-new-long-pass-99",
            "new_password2": "A-new-long-pass-99",
        },
    )


def test_wrong_old_passwords_on_the_change_form_count_as_failed_sign_ins(client, zone, login):
    client = login(zone.staff)
    for _ in range(4):
        response = change_password(client, "wrong")
        assert response.status_code == 200
        assert (
            "旧密码不正确" in response.content.decode()
            or "old password" in response.content.decode()
        )
    assert change_password(client, "wrong").status_code == 429
    # Locked now: even the right old password is refused, and so is signing in again.
    client.logout()
    assert attempt(client, PASSWORD).status_code == 429


def test_a_lockout_is_per_address_behind_a_trusted_proxy(client, zone, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0  # one nginx in front, appending the client it saw

    def attempt_from(header, password):
        return client.post(
            reverse("login"),
            {"username": "staff", "password": password},
            HTTP_X_FORWARDED_FOR=header,
            REMOTE_ADDR="10.0.0.2",  # the proxy: every request comes from it
        )

    for _ in range(5):
        attempt_from("203.0.113.7", "wrong")
    assert attempt_from("203.0.113.7", PASSWORD).status_code == 429
    # The same account from another office is not locked.
    assert attempt_from("198.51.100.1", PASSWORD).status_code == 302
    client.logout()
    # A client that forges an address in front of its own does not get fresh attempts: the
    # header no longer has the shape the proxy gives it, so the proxy's address is counted,
    # and five forged attempts lock that route too, not the offices behind real addresses.
    for forged in range(5):
        attempt_from(f"192.0.2.{forged}, 203.0.113.7", "wrong")
    assert attempt_from("192.0.2.99, 203.0.113.7", PASSWORD).status_code == 429
    assert attempt_from("198.51.100.1", PASSWORD).status_code == 302


def test_a_session_expires_after_two_hours_without_a_request_and_at_browser_close(
    client, zone, settings
):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # gone when the browser closes


def test_working_keeps_the_session_alive(client, zone, monkeypatch):
    import time

    from django.contrib.sessions.models import Session

    client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    later = time.time() + 90 * 60  # an hour and a half of work later
    monkeypatch.setattr(time, "time", lambda: later)
    from django.utils import timezone

    real_now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + __import__("datetime").timedelta(minutes=90)
    )
    client.get(reverse("orgs:list"))
    assert Session.objects.get(session_key=key).expire_date > first
