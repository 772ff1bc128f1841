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
