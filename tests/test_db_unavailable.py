"""While the database is down every page answers 503 "系统繁忙，请稍后重试", never a 500: in
JSON for the grid, as a small Chinese page otherwise, with Retry-After, and without touching
the database again to say so."""

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client

BUSY = "系统繁忙，请稍后重试"


@pytest.fixture
def database_down(db):
    """From now on every statement fails as it does while PostgreSQL restarts; rendering the
    answer must not need one. Undone before the test database is torn down (which needs
    statements), hence its own MonkeyPatch rather than the shared fixture."""
    patch = pytest.MonkeyPatch()

    def refuse(self, *args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    def install(error=refuse):
        patch.setattr(CursorWrapper, "execute", error)
        patch.setattr(CursorWrapper, "executemany", error)

    yield install
    patch.undo()


@pytest.fixture
def staff_client(zone):
    # Without re-raising: Django's test client raises any exception a request logged, even
    # one the app has already answered; these tests look at the answer.
    client = Client(raise_request_exception=False)
    client.force_login(zone.staff)
    return client


def assert_busy_page(response):
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response["Content-Type"].startswith("text/html")
    assert BUSY in response.content.decode()


def test_a_page_answers_503_in_chinese_while_the_database_is_down(staff_client, database_down):
    database_down()
    assert_busy_page(staff_client.get("/orgs/"))


def test_the_grid_gets_json_it_can_show(zone, staff_client, database_down):
    database_down()
    response = staff_client.post(
        "/points/save/",
        json.dumps({"year": 2025, "cells": [{"org": zone.a1.pk, "item": 1, "month": 4}]}),
        content_type="application/json",
        headers={"X-CSRFToken": "unused"},
    )
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert response.json() == {"ok": False, "message": BUSY + "。"}


def test_a_script_asking_for_json_gets_json(staff_client, database_down):
    database_down()
    response = staff_client.get("/orgs/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json()["ok"] is False


def test_a_lost_connection_is_answered_alike(staff_client, database_down):
    def lost(self, *args, **kwargs):
        raise InterfaceError("connection already closed")

    database_down(lost)
    assert_busy_page(staff_client.get("/orgs/"))


def test_a_failure_while_saving_the_session_after_the_view_is_503(zone, monkeypatch):
    """The session is written by its middleware after the view returned, outside any view's
    exception handling: the grid page without a rule set adds a message, which goes into the
    session."""
    from django.contrib.sessions.backends.db import SessionStore

    client = Client(raise_request_exception=False)
    client.force_login(zone.staff)

    def refuse(self, *args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(SessionStore, "save", refuse)
    assert_busy_page(client.get("/points/"))


class ReadsTheUserFirst:
    """A middleware that reads the signed-in user before any view, as many do."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user.is_authenticated  # noqa: B018 - loads the session and the user
        return self.get_response(request)


def test_a_failure_in_a_middleware_before_the_view_is_503(staff_client, database_down, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ReadsTheUserFirst"]
    database_down()
    assert_busy_page(staff_client.get("/orgs/"))


def test_other_errors_still_answer_500(staff_client, database_down):
    """Only an unavailable database is "busy": a bug stays a 500."""

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError

    database_down(broken)
    response = staff_client.get("/orgs/")
    assert response.status_code == 500


def test_pages_work_as_before_when_the_database_is_up(staff_client):
    assert staff_client.get("/orgs/").status_code == 200
