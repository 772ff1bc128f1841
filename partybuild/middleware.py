"""A database outage answers 503 "系统繁忙，请稍后重试" instead of a 500 error page.

While PostgreSQL restarts, fails over or refuses connections, every request that touches it
raises OperationalError or InterfaceError. Those are transient: the user should wait and send
the same thing again, and the grid must be told so in JSON it can read. A 500 says "bug" and
pages whoever is on call for something that fixes itself in seconds. (Serialization failures,
deadlocks and statement timeouts are OperationalErrors too, and just as transient.)
"""

import logging
import sys
import time
from collections.abc import Callable

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

logger = logging.getLogger("partybuild.database")

MESSAGE = "系统繁忙，请稍后重试。"
# Seconds a client should wait before sending again: a fast restart takes one or two.
RETRY_AFTER = 5
_FAILED = "_partybuild_database_unavailable"


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Django wraps driver errors in django.db's classes, but a few paths (closing a cursor
    on a dead connection) let psycopg2's own surface; treat both alike."""
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        import psycopg2
    except ImportError:  # SQLite-only installs
        return tuple(errors)
    return (*errors, psycopg2.OperationalError, psycopg2.InterfaceError)


UNAVAILABLE = _unavailable_errors()


def wants_json(request: HttpRequest) -> bool:
    """The grid posts JSON (Content-Type: application/json) and reads JSON back whatever it
    asked for; other scripts may only say so in Accept."""
    if request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer. Rendered without a request context: the context processors would read
    request.user, and with it the session, from the database that is down."""
    if wants_json(request):
        response: HttpResponse = JsonResponse({"ok": False, "message": MESSAGE}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    # This middleware sits above XFrameOptionsMiddleware, whose header the page would lack.
    response.setdefault("X-Frame-Options", "DENY")
    return response


def _remember_failure(sender: object, request: HttpRequest | None = None, **kwargs: object):
    """Django turns an exception raised inside another middleware (the session middleware
    saving the session, say) into a 500 response before any outer middleware sees it; this
    signal is the only place that still knows the exception, so note it on the request."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, UNAVAILABLE):
        setattr(request, _FAILED, error)


def _log(request: HttpRequest, error: BaseException) -> None:
    # With the traceback: on SQLite a missing table is an OperationalError too, and a bug
    # answered 503 must still be findable in the log.
    logger.warning("数据库不可用，已返回 503：%s %s", request.method, request.path, exc_info=error)


got_request_exception.connect(_remember_failure, dispatch_uid="partybuild.database_unavailable")


class DatabaseUnavailableMiddleware:
    """Place it above the session and authentication middleware, which read the database
    before the view runs and write it after."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _FAILED, None)
        if error is not None and response.status_code == 500:
            _log(request, error)
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A view's error: answered here, so Django neither logs a 500 nor renders its page.
        if isinstance(exception, UNAVAILABLE):
            _log(request, exception)
            return unavailable_response(request)
        return None


def _seen_at_login(sender: object, request: HttpRequest, user: object, **kwargs: object) -> None:
    """Stamp the session when it starts, as part of the login's own save: the first pages
    after signing in then need no session write of their own."""
    if hasattr(request, "session"):
        request.session[SlidingSessionMiddleware.KEY] = int(time.time())


class SlidingSessionMiddleware:
    """Keep a signed-in user's session alive while they work: its expiry moves on with their
    requests, so SESSION_COOKIE_AGE is the time without a request after which it ends. Saved
    once a minute at most, not on every request as SESSION_SAVE_EVERY_REQUEST would: the
    busiest pages would pay a database write each."""

    REFRESH_AFTER = 60
    KEY = "_partybuild_seen"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= self.REFRESH_AFTER:
                session[self.KEY] = now
        return response


FORCED_CHANGE = "请先设置新密码，然后才能继续使用系统。"


class PasswordChangeRequiredMiddleware:
    """A user holding a one-time password (a new account, a reset by the office) reaches no
    page but the password change until they choose their own: every other page sends them
    there, and the grid's JSON requests are told so. Signing out and static files stay open.
    The flag clears when the password is changed (partybuild.auth)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            target = reverse("password_change")
            open_paths = (target, reverse("logout"))
            if request.path not in open_paths and not request.path.startswith(settings.STATIC_URL):
                if wants_json(request):
                    return JsonResponse({"ok": False, "message": FORCED_CHANGE}, status=403)
                return redirect(target)
        return self.get_response(request)
